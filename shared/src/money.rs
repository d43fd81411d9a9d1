//! Money as an integer number of fen (1 CNY = 100 fen). No floats anywhere near money.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount in fen. Serialised as a JSON integer; each gateway's own encoding (string, 10-digit
/// limit, yuan decimals) lives beside that gateway's types.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Fen(pub u64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }

    /// Parses a yuan amount written as a decimal ("12.34", "0.01", "5") exactly, without floats.
    /// More than two decimal places is an error rather than a rounding.
    pub fn from_yuan_str(text: &str) -> Option<Fen> {
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let whole: u64 = whole.parse().ok()?;
        let mut frac_fen: u64 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
        if frac.len() == 1 {
            frac_fen *= 10;
        }
        whole.checked_mul(100)?.checked_add(frac_fen).map(Fen)
    }

    /// The yuan decimal form, always with two places: `Fen(1234)` → `"12.34"`.
    pub fn to_yuan_string(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl fmt::Display for Fen {
    /// Displays as `¥12.34` for people; wire formats never use Display.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "¥{}", self.to_yuan_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_parsing_is_exact() {
        assert_eq!(Fen::from_yuan_str("0.01"), Some(Fen(1)));
        assert_eq!(Fen::from_yuan_str("12.3"), Some(Fen(1230)));
        assert_eq!(Fen::from_yuan_str("5"), Some(Fen(500)));
        assert_eq!(Fen::from_yuan_str("0.001"), None);
        assert_eq!(Fen::from_yuan_str("-1"), None);
        assert_eq!(Fen::from_yuan_str(".5"), None);
        assert_eq!(Fen(1234).to_yuan_string(), "12.34");
        assert_eq!(Fen(5).to_string(), "¥0.05");
    }
}
