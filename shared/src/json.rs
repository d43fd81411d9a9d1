//! The crate's one JSON decoder: every body from outside (merchant requests, gateway answers,
//! callbacks, stored sessions) is read through `decode`, so a failure always names the field.

use serde::de::DeserializeOwned;

/// Decodes JSON, naming the field that failed (`data.payStatus: invalid type…`). The message
/// never repeats the value it refused: a card number sent as a number, or a token in a gateway's
/// answer, must not reach a response or a log line through an error.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| DecodeError {
        path: e.path().to_string(),
        message: without_values(&e.inner().to_string()),
    })
}

/// serde's `invalid type: integer `6217…`, expected a string` without the value:
/// `invalid type: integer, expected a string`. Field and variant names are kept.
fn without_values(message: &str) -> String {
    for marker in ["invalid type: ", "invalid value: "] {
        if let Some(start) = message.find(marker) {
            let kind_at = start + marker.len();
            let rest = &message[kind_at..];
            let end = rest.find(", expected").unwrap_or(rest.len());
            let kind = rest[..end].split([' ', '`', '"']).next().unwrap_or_default();
            // "floating point" is the one two-word kind.
            let kind = if rest.starts_with("floating point") { "floating point" } else { kind };
            return format!("{}{kind}{}", &message[..kind_at], &rest[end..]);
        }
    }
    message.to_owned()
}

/// A JSON body that did not match the expected type, with the path of the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct DecodeError {
    pub path: String,
    pub message: String,
}

impl DecodeError {
    /// The message for a client: the field path when there is one, else the whole-body problem.
    pub fn describe(&self, what: &str) -> String {
        if self.path.is_empty() || self.path == "." || self.path == "?" {
            format!("the body is not a valid {what}: {}", self.message)
        } else {
            format!("{}: {}", self.path, self.message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Form {
        card_number: String,
        amount: u64,
    }

    #[test]
    fn refused_values_are_never_repeated() {
        let e = decode::<Form>(br#"{"card_number": 6217920151050000, "amount": 1}"#).unwrap_err();
        assert_eq!(e.path, "card_number");
        assert!(e.message.starts_with("invalid type: integer, expected a string"), "{e}");
        assert!(!e.to_string().contains("6217920151050000"));
        let e = decode::<Form>(br#"{"card_number": "x", "amount": "310113198010101232"}"#).unwrap_err();
        assert!(!e.to_string().contains("310113198010101232"), "{e}");
        let e = decode::<Form>(br#"{"card_number": "x", "amount": 1.5}"#).unwrap_err();
        assert!(e.message.starts_with("invalid type: floating point, expected"), "{e}");
        // Field names stay: they are what the client needs.
        let e = decode::<Form>(br#"{"amount": 1}"#).unwrap_err();
        assert!(e.message.contains("card_number"), "{e}");
    }
}
