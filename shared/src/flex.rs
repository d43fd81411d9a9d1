//! Wire values that gateways send in more than one JSON shape: numbers that arrive as JSON
//! numbers or as strings, and Payzero's `data` that is sometimes an object and sometimes a string.
//! Each type remembers the shape it arrived in, so a value re-serialises exactly as received.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// A decimal integer that may arrive as `20190313124233` or `"20190313124233"`.
/// The digits are kept as text (nothing is lost to overflow), and the shape is kept for re-encoding.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NumOrStr {
    text: String,
    quoted: bool,
}

impl NumOrStr {
    /// A value that will be written as a JSON number.
    pub fn number(value: u64) -> Self {
        NumOrStr { text: value.to_string(), quoted: false }
    }

    /// A value that will be written as a JSON string.
    pub fn string(text: impl Into<String>) -> Self {
        NumOrStr { text: text.into(), quoted: true }
    }

    /// The decimal text, the same whichever shape it arrived in.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The value as an integer, if it is one that fits.
    pub fn as_u64(&self) -> Option<u64> {
        self.text.parse().ok()
    }

    pub fn was_quoted(&self) -> bool {
        self.quoted
    }
}

impl fmt::Display for NumOrStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for NumOrStr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.quoted {
            return serializer.serialize_str(&self.text);
        }
        match self.text.parse::<u64>() {
            Ok(n) => serializer.serialize_u64(n),
            Err(_) => serializer.serialize_str(&self.text),
        }
    }
}

/// The contract: a non-negative integer or a string, as the gateway wrote it.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for NumOrStr {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "NumOrStr".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": ["integer", "string"] })
    }
}

impl<'de> Deserialize<'de> for NumOrStr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = NumOrStr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer, as a JSON number or a string of digits")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumOrStr, E> {
                Ok(NumOrStr::number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumOrStr, E> {
                u64::try_from(v)
                    .map(NumOrStr::number)
                    .map_err(|_| E::custom("a negative number where a non-negative one belongs"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NumOrStr, E> {
                Ok(NumOrStr::string(v))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Payzero's envelope `data`: an object for most calls, a bare string for a few
/// (`arrangePay`, `declare`, `orderBatch/{id}/pay`), `null` on failures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ObjectOrText<T> {
    Object(T),
    Text(String),
}

impl<T> ObjectOrText<T> {
    pub fn object(&self) -> Option<&T> {
        match self {
            ObjectOrText::Object(t) => Some(t),
            ObjectOrText::Text(_) => None,
        }
    }
}

/// Declares a gateway enum that keeps values it does not know: every listed variant maps to its
/// wire text, and anything else becomes `Unknown(text)` and re-serialises unchanged.
///
/// ```
/// checkout_shared::wire_enum! {
///     /// A colour.
///     pub enum Colour { Red = "RED", Blue = "BLUE" }
/// }
/// let c: Colour = serde_json::from_str("\"GREEN\"").unwrap();
/// assert_eq!(c, Colour::Unknown("GREEN".into()));
/// assert_eq!(serde_json::to_string(&c).unwrap(), "\"GREEN\"");
/// ```
#[macro_export]
macro_rules! wire_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version does not know, kept as received.
            Unknown(String),
        }

        impl $name {
            /// The wire text.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Unknown(s) => s.as_str(),
                }
            }

            /// Every known variant, in declaration order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(match s {
                    $($text => $name::$variant,)+
                    other => $name::Unknown(other.to_owned()),
                })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                Ok(s.parse().unwrap_or_else(|never: ::std::convert::Infallible| match never {}))
            }
        }

        // The contract lists the values this version knows; `Unknown` exists for what a
        // gateway may send later, never for what the edge answers.
        #[cfg(feature = "schema")]
        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                ::schemars::json_schema!({ "type": "string", "enum": [$($text),+] })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn num_or_str_keeps_its_shape() {
        let n: NumOrStr = serde_json::from_str("1555816968018").unwrap();
        let s: NumOrStr = serde_json::from_str("\"1555816968018\"").unwrap();
        assert_eq!(n.as_str(), s.as_str());
        assert_eq!(serde_json::to_string(&n).unwrap(), "1555816968018");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"1555816968018\"");
        assert!(serde_json::from_str::<NumOrStr>("-3").is_err());
    }
}
