//! The crate's one JSON decoder: every body from outside (merchant requests, gateway answers,
//! callbacks, stored sessions) is read through `decode`, so a failure always names the field.

use serde::de::DeserializeOwned;

/// Decodes JSON, naming the field that failed (`data.payStatus: invalid type…`).
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de)
        .map_err(|e| DecodeError { path: e.path().to_string(), message: e.inner().to_string() })
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
