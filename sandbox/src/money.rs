//! Amounts in fen as integers, the unit every spec table uses (Payzero `Long` 分, Shouqianba
//! strings of 分, EZR `int` 分). No floats: a yuan decimal is only ever text on the way out.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount in fen. On the wire it is a bare JSON integer; a negative or fractional number does
/// not decode (Payzero answers 30001 for it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Fen(pub(crate) u64);

impl Fen {
    pub(crate) const ZERO: Fen = Fen(0);

    pub(crate) fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    pub(crate) fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }

    /// `12.34` for 1234 fen, `1.00` for 100: the yuan text with exactly two decimals.
    pub(crate) fn yuan_text(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Adds amounts without overflowing: hostile amounts near `u64::MAX` saturate instead of panicking.
pub(crate) fn sum_fen(amounts: impl Iterator<Item = Fen>) -> Fen {
    amounts.fold(Fen::ZERO, |acc, a| acc.checked_add(a).unwrap_or(Fen(u64::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_text_has_two_decimals_and_sums_saturate() {
        assert_eq!(Fen(1).yuan_text(), "0.01");
        assert_eq!(Fen(100).yuan_text(), "1.00");
        assert_eq!(Fen(123_456).yuan_text(), "1234.56");
        assert_eq!(sum_fen([Fen(u64::MAX), Fen(1)].into_iter()), Fen(u64::MAX));
        assert!(serde_json::from_str::<Fen>("-1").is_err());
        assert!(serde_json::from_str::<Fen>("1.5").is_err());
        assert_eq!(serde_json::from_str::<Fen>("4023").ok(), Some(Fen(4023)));
    }
}
