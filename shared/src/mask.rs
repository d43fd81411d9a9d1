//! Masking of card and ID numbers, so personal data never reaches a log line or a response in
//! clear: `mask_card("6217920151050000")` is `6217 **** **** 0000`, `mask_id` keeps the first 4
//! and last 4 characters, `mask_phone` hides a mobile's middle digits. The `CardNumber`,
//! `IdNumber`, `PhoneNumber` and `Redacted` newtypes carry such values
//! on the wire unchanged while their `Debug` shows only the masked form.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A card number as `6217 **** **** 0000`: the first and last four digits only. The middle is
/// always two groups of stars whatever the length, so the mask does not reveal how long the card
/// number is. Anything shorter than 8 characters is masked completely.
pub fn mask_card(number: &str) -> String {
    let chars: Vec<char> = number.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if chars.len() < 8 {
        return "****".to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head} **** **** {tail}")
}

/// An ID number with only its first 4 and last 4 characters shown: `3101**********1234`.
/// The length is kept (an ID's length is public knowledge: 18 or 15), so the masked form still
/// lines up in tables. Anything of 7 characters or fewer is masked completely.
pub fn mask_id(number: &str) -> String {
    let chars: Vec<char> = number.trim().chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len().max(4));
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// A mobile number with its middle digits hidden: `138****8000`. Anything shorter than 7 digits
/// is masked completely.
pub fn mask_phone(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if digits.len() < 7 {
        return "*".repeat(digits.len().max(4));
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(digits.len() - 7))
}

/// A newtype for a personal number that is plain on the wire while its `Debug` and `Display`
/// print only `$mask` of it, so a struct that derives `Debug` cannot leak it.
macro_rules! masked_newtype {
    ($(#[$meta:meta])* $name:ident, $mask:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(number: impl Into<String>) -> Self {
                $name(number.into())
            }

            /// The clear number, for the gateway request only. The name makes every use easy
            /// to find.
            pub fn expose(&self) -> &str {
                &self.0
            }

            pub fn masked(&self) -> String {
                $mask(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name::new(s)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.masked())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.masked())
            }
        }
    };
}

masked_newtype!(
    /// A bank card number (`acctno`), shown as `6217 **** **** 0000`.
    CardNumber,
    mask_card
);

masked_newtype!(
    /// An identity-card number (`idno`, `payerNumber`), shown as `3101**********1234`.
    IdNumber,
    mask_id
);

masked_newtype!(
    /// A mobile number (`mobile`), shown as `138****8000`.
    PhoneNumber,
    mask_phone
);

/// A value with no useful partial form (a card's CVV2, its expiry): sent as is, never printed.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Redacted(String);

impl Redacted {
    pub fn new(value: impl Into<String>) -> Self {
        Redacted(value.into())
    }

    /// The clear value, for the gateway request only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Redacted {
    fn from(s: &str) -> Self {
        Redacted::new(s)
    }
}

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// `Debug` of an optional ID number held as a plain string (fields of types that predate
/// `IdNumber` and keep `Option<String>` so their users are unaffected).
pub(crate) fn id_opt(value: &Option<String>) -> Option<String> {
    value.as_deref().map(mask_id)
}

// Tests fail by panicking, so `unwrap` is the point there; the workspace lint is for library code.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cards_show_first_and_last_four() {
        assert_eq!(mask_card("6217920151050000"), "6217 **** **** 0000");
        assert_eq!(mask_card("6217 9201 5105 0000"), "6217 **** **** 0000");
        // A 19-digit card masks to the same shape: the length is not revealed.
        assert_eq!(mask_card("6222021234567890123"), "6222 **** **** 0123");
        assert_eq!(mask_card("1234567"), "****");
        assert_eq!(mask_card(""), "****");
    }

    #[test]
    fn ids_show_first_four_and_last_four() {
        assert_eq!(mask_id("310113198010101234"), "3101**********1234");
        assert_eq!(mask_id("21080219930XXXX3X"), "2108*********XX3X");
        assert_eq!(mask_id("12345678"), "********");
        assert_eq!(mask_id("12"), "****");
    }

    #[test]
    fn phones_show_first_three_and_last_four() {
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_phone("138 0013 8000"), "138****8000");
        assert_eq!(mask_phone("123"), "****");
        assert_eq!(format!("{:?}", PhoneNumber::new("13800138000")), "PhoneNumber(138****8000)");
    }

    #[test]
    fn newtypes_are_plain_on_the_wire_and_masked_in_debug() {
        let card: CardNumber = serde_json::from_str("\"6217920151050000\"").unwrap();
        assert_eq!(serde_json::to_string(&card).unwrap(), "\"6217920151050000\"");
        assert_eq!(format!("{card:?}"), "CardNumber(6217 **** **** 0000)");
        assert_eq!(card.to_string(), "6217 **** **** 0000");
        let id = IdNumber::new("310113198010101234");
        assert!(!format!("{id:?} {id}").contains("310113198010101234"));
        let cvv = Redacted::new("123");
        assert_eq!(format!("{cvv:?}"), "[REDACTED]");
        assert_eq!(serde_json::to_string(&cvv).unwrap(), "\"123\"");
    }
}
