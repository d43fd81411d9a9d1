//! `text_enum!`: a gateway code list (a status, a bank, a QR type) as a Rust enum that keeps a
//! value no table lists in `Unknown(String)` instead of refusing or dropping it, and reads and
//! writes itself as the plain text the specs show.

macro_rules! text_enum {
    ($(#[$meta:meta])* pub(crate) enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub(crate) enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value the spec's table does not list, kept as it came.
            Unknown(String),
        }

        impl $name {
            pub(crate) fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Unknown(s) => s,
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(match s {
                    $($text => $name::$variant,)*
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
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                match s.parse() {
                    Ok(v) => Ok(v),
                    Err(never) => match never {},
                }
            }
        }
    };
}

pub(crate) use text_enum;

#[cfg(test)]
mod tests {
    text_enum! {
        pub(crate) enum Colour {
            Red = "RED",
        }
    }

    #[test]
    fn unknown_values_round_trip() {
        let c: Colour = serde_json::from_str("\"GREEN\"").unwrap_or(Colour::Red);
        assert_eq!(c, Colour::Unknown("GREEN".into()));
        assert_eq!(serde_json::to_string(&c).unwrap_or_default(), "\"GREEN\"");
        assert_eq!(serde_json::from_str::<Colour>("\"RED\"").ok(), Some(Colour::Red));
    }
}
