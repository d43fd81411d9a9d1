//! What a call can end in besides its answer: the edge's own error (with its stable code), a
//! transport failure, or an answer the client cannot read.

use checkout_shared::api::{ErrorCode, ErrorDetail};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The edge refused the call: branch on `error.code`, never on the message.
    #[error("the edge answered {status}: {} ({})", error.message, error.code.as_str())]
    Api {
        status: u16,
        error: Box<ErrorDetail>,
        /// Seconds to wait before retrying, when the edge said (`429`, `503`).
        retry_after: Option<u64>,
    },
    /// The edge could not be reached, or the connection broke or timed out.
    #[error("the edge could not be reached: {0}")]
    Transport(#[source] reqwest::Error),
    /// An answer that is not what the API documents (a proxy's error page, a wrong URL).
    #[error("unexpected answer ({status}): {detail}")]
    UnexpectedAnswer { status: u16, detail: String },
    /// The client was set up wrongly.
    #[error("client configuration: {0}")]
    Config(String),
}

impl Error {
    /// The edge's error code, for an `Api` error.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Api { error, .. } => Some(&error.code),
            _ => None,
        }
    }

    /// How long to wait before retrying the same call (with the same idempotency key), if
    /// retrying may help: transport failures, `429`, and `5xx` but `501` (the edge's own
    /// failures change nothing, and a gateway's may pass). `backoff` is the wait when the edge
    /// named none.
    pub(crate) fn retry_wait(&self, backoff: Duration) -> Option<Duration> {
        match self {
            Error::Transport(e) if e.is_builder() => None,
            Error::Transport(_) => Some(backoff),
            Error::Api { status, retry_after, .. } => {
                let retryable = *status == 429 || (*status >= 500 && *status != 501);
                retryable.then(|| retry_after.map(Duration::from_secs).unwrap_or(backoff))
            }
            Error::UnexpectedAnswer { status, .. } => (*status >= 500 && *status != 501).then_some(backoff),
            Error::Config(_) => None,
        }
    }
}
