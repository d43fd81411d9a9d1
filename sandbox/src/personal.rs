//! Personal data the quick-pay calls carry (card, ID and phone numbers, CVV2, expiry): kept as
//! sent, because the admin API shows tests what the edge forwarded, but never shown in clear by
//! `Debug`, so nothing formatted for a message leaks it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A number whose `Debug` shows only its last four characters (`**** 0000`).
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Personal(String);

impl Personal {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Personal {
    fn from(s: &str) -> Self {
        Personal(s.to_owned())
    }
}

impl fmt::Debug for Personal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chars: Vec<char> = self.0.chars().collect();
        // Short values (CVV2, expiry) show nothing at all.
        if chars.len() <= 6 {
            return f.write_str("****");
        }
        let tail: String = chars[chars.len() - 4..].iter().collect();
        write!(f, "**** {tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_masks() {
        assert_eq!(format!("{:?}", Personal::from("6217920151050000")), "**** 0000");
        assert_eq!(format!("{:?}", Personal::from("987")), "****");
    }
}
