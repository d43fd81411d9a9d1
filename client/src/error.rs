//! What a call can end in besides its answer: the edge's own error (with its stable code), a
//! transport failure, or an answer the client cannot read.

use checkout_shared::api::{ErrorCode, ErrorDetail};
use std::time::Duration;

/// Why a call did not give its answer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The edge refused the call: branch on `error.code`, never on the message.
    #[error("the edge answered {status}: {} ({})", error.message, error.code.as_str())]
    Api {
        /// The HTTP status.
        status: u16,
        /// The edge's error: its stable `code`, a message, and for some codes the `field`,
        /// `problem` or `gateway_code`.
        error: Box<ErrorDetail>,
        /// Seconds to wait before retrying, when the edge said (`429`, `503`).
        retry_after: Option<u64>,
    },
    /// The edge could not be reached, or the connection broke or timed out.
    #[error("the edge could not be reached: {0}")]
    Transport(#[source] reqwest::Error),
    /// An answer that is not what the API documents (a proxy's error page, a wrong URL).
    #[error("unexpected answer ({status}): {detail}")]
    UnexpectedAnswer {
        /// The HTTP status.
        status: u16,
        /// What was wrong with it, or the start of the body.
        detail: String,
    },
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

    /// Whether the edge's answer is final: asking again, even with the same idempotency key,
    /// gets the same refusal. Every `4xx` but `429` and `request_in_progress` is, and so is
    /// `502 upstream_rejected` (the gateway's definite refusal: a card declined, an order it
    /// will not take) and `501`. A transport failure, `429`, `request_in_progress`,
    /// `upstream_error` and the other `5xx` are not: nothing was done, or the edge will find out.
    pub fn is_final(&self) -> bool {
        match self {
            Error::Transport(e) => e.is_builder(),
            Error::Api { status, error, .. } => match error.code {
                ErrorCode::UpstreamRejected => true,
                ErrorCode::RateLimited | ErrorCode::RequestInProgress => false,
                _ => !(*status == 429 || (*status >= 500 && *status != 501)),
            },
            Error::UnexpectedAnswer { status, .. } => !(*status >= 500 && *status != 501),
            Error::Config(_) => true,
        }
    }

    /// How long to wait before retrying the same call (with the same idempotency key), if it is
    /// not final ([`Error::is_final`]). `backoff` is the wait when the edge named none.
    pub(crate) fn retry_wait(&self, backoff: Duration) -> Option<Duration> {
        if self.is_final() {
            return None;
        }
        match self {
            Error::Api { retry_after, .. } => Some(retry_after.map(Duration::from_secs).unwrap_or(backoff)),
            Error::Transport(_) | Error::UnexpectedAnswer { .. } => Some(backoff),
            Error::Config(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: ErrorCode) -> Error {
        let error =
            ErrorDetail { code, message: String::new(), field: None, problem: None, gateway_code: None };
        Error::Api { status, error: Box::new(error), retry_after: None }
    }

    #[test]
    fn final_answers_are_never_retried() {
        let wait = Duration::from_millis(500);
        for (status, code) in [
            (502, ErrorCode::UpstreamRejected),
            (400, ErrorCode::InvalidRequest),
            (401, ErrorCode::Unauthorized),
            (404, ErrorCode::NotFound),
            (409, ErrorCode::IdempotencyConflict),
            (409, ErrorCode::SessionClosed),
            (409, ErrorCode::RefundExceedsPayment),
            (501, ErrorCode::Internal),
        ] {
            let error = api(status, code.clone());
            assert!(error.is_final(), "{status} {}", code.as_str());
            assert_eq!(error.retry_wait(wait), None, "{status} {}", code.as_str());
        }
        for (status, code) in [
            (502, ErrorCode::UpstreamError),
            (500, ErrorCode::Internal),
            (429, ErrorCode::RateLimited),
            (409, ErrorCode::RequestInProgress),
            (503, ErrorCode::Unknown("overloaded".into())),
        ] {
            let error = api(status, code.clone());
            assert!(!error.is_final(), "{status} {}", code.as_str());
            assert_eq!(error.retry_wait(wait), Some(wait), "{status} {}", code.as_str());
        }
        assert!(Error::UnexpectedAnswer { status: 503, detail: String::new() }.retry_wait(wait).is_some());
        assert!(Error::UnexpectedAnswer { status: 404, detail: String::new() }.retry_wait(wait).is_none());
    }
}
