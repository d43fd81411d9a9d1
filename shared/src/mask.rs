//! Masking of card and ID numbers, so personal data never reaches a log line or a response in
//! clear: `mask_card("6217920151050000")` is `6217 **** **** 0000`, `mask_id` keeps the first 3
//! and last 4 characters. The `CardNumber`, `IdNumber` and `Redacted` newtypes carry such values
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

/// An ID number with only its first 3 and last 4 characters shown: `310***********1234`.
/// The length is kept (an ID's length is public knowledge: 18 or 15), so the masked form still
/// lines up in tables. Anything of 7 characters or fewer is masked completely.
pub fn mask_id(number: &str) -> String {
    let chars: Vec<char> = number.trim().chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len().max(4));
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// A bank card number (`acctno`). On the wire it is the plain string; `Debug` and `Display`
/// print only the mask, so a struct that derives `Debug` cannot leak it.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CardNumber(String);

impl CardNumber {
    pub fn new(number: impl Into<String>) -> Self {
        CardNumber(number.into())
    }

    /// The clear number, for the gateway request only. The name makes every use easy to find.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn masked(&self) -> String {
        mask_card(&self.0)
    }
}

impl From<&str> for CardNumber {
    fn from(s: &str) -> Self {
        CardNumber::new(s)
    }
}

impl From<String> for CardNumber {
    fn from(s: String) -> Self {
        CardNumber(s)
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber({})", self.masked())
    }
}

impl fmt::Display for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// An identity-card number (`idno`, `payerNumber`). On the wire it is the plain string; `Debug`
/// and `Display` print only the mask.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdNumber(String);

impl IdNumber {
    pub fn new(number: impl Into<String>) -> Self {
        IdNumber(number.into())
    }

    /// The clear number, for the gateway request only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn masked(&self) -> String {
        mask_id(&self.0)
    }
}

impl From<&str> for IdNumber {
    fn from(s: &str) -> Self {
        IdNumber::new(s)
    }
}

impl From<String> for IdNumber {
    fn from(s: String) -> Self {
        IdNumber(s)
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// A value with no useful partial form (a card's CVV2, its expiry): sent as is, never printed.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    fn ids_show_first_three_and_last_four() {
        assert_eq!(mask_id("310113198010101234"), "310***********1234");
        assert_eq!(mask_id("21080219930XXXX3X"), "210**********XX3X");
        assert_eq!(mask_id("1234567"), "*******");
        assert_eq!(mask_id("12"), "****");
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
