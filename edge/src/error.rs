//! The one place an error becomes an HTTP answer. Clients get a stable `ErrorCode` and a plain
//! message; internal details (upstream answers, binding failures) go to the log only. Nothing
//! here ever holds a credential, a token or a signature, so logging an `EdgeError` is safe.

use checkout_shared::api::{ErrorBody, ErrorCode};
use checkout_shared::session::Refusal;
use checkout_shared::terminal::TerminalError;
use worker::{Response, console_error, console_warn};

/// Every way a request can fail in the edge.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EdgeError {
    /// The client's request is wrong; the message names the field and is shown as is.
    #[error("{1}")]
    Invalid(ErrorCode, String),
    #[error("missing or wrong merchant key")]
    Unauthorized,
    #[error("no such session")]
    NotFound,
    #[error("no such route")]
    NoRoute,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A callback did not verify; the reason is for the log.
    #[error("callback rejected: {0}")]
    InvalidSignature(String),
    #[error("only available in test mode")]
    NotAvailable,
    /// The core refused the request; its code and message are the client's.
    #[error("{0}")]
    Refused(Refusal),
    /// An upstream call gave no usable answer; the reason is for the log.
    #[error("upstream: {0}")]
    Upstream(String),
    /// A Shouqianba terminal call failed.
    #[error("shouqianba terminal: {0}")]
    Shouqianba(#[from] TerminalError),
    /// An error answer from another Durable Object, which already classified and logged it:
    /// passed on as it is.
    #[error("relayed HTTP {status}: {code} {message}")]
    Relayed { status: u16, code: ErrorCode, message: String },
    #[error("configuration: {0}")]
    Config(String),
    #[error("internal: {0}")]
    Internal(String),
    #[error("runtime: {0}")]
    Worker(#[from] worker::Error),
}

impl From<Refusal> for EdgeError {
    fn from(refusal: Refusal) -> Self {
        EdgeError::Refused(refusal)
    }
}

/// Status, code and client message of an error, logging what the client must not see.
fn classify(error: &EdgeError) -> (u16, ErrorCode, String) {
    match error {
        EdgeError::Invalid(code, message) => {
            let status = match code {
                ErrorCode::PayloadTooLarge => 413,
                _ => 400,
            };
            (status, code.clone(), message.clone())
        }
        EdgeError::Unauthorized => (
            401,
            ErrorCode::Unauthorized,
            "send the merchant secret key as `Authorization: Bearer <key>`".into(),
        ),
        EdgeError::NotFound => (404, ErrorCode::NotFound, "no such checkout session".into()),
        EdgeError::NoRoute => (404, ErrorCode::NotFound, "no such endpoint".into()),
        EdgeError::MethodNotAllowed => {
            (405, ErrorCode::MethodNotAllowed, "this endpoint does not accept that HTTP method".into())
        }
        EdgeError::InvalidSignature(reason) => {
            console_warn!("callback rejected: {reason}");
            (400, ErrorCode::InvalidSignature, "the callback's signature does not verify".into())
        }
        EdgeError::NotAvailable => {
            (404, ErrorCode::NotAvailable, "only available when the edge runs in test mode".into())
        }
        EdgeError::Refused(refusal) => {
            let status = match refusal.code {
                ErrorCode::PayloadTooLarge => 413,
                ErrorCode::NotFound => 404,
                ErrorCode::Unauthorized => 401,
                ErrorCode::SessionClosed
                | ErrorCode::SessionNotPaid
                | ErrorCode::RefundExceedsPayment
                | ErrorCode::IdempotencyConflict
                | ErrorCode::RequestInProgress => 409,
                ErrorCode::RateLimited => 429,
                ErrorCode::UpstreamError | ErrorCode::UpstreamRejected => {
                    console_error!("upstream: {}", refusal.message);
                    502
                }
                ErrorCode::Internal => 500,
                ErrorCode::NotConfigured => 503,
                _ => 400,
            };
            let message = match refusal.code {
                // The gateway's own words go to the log; the client gets a stable sentence.
                ErrorCode::UpstreamError => "the payment gateway is not available; try again".to_owned(),
                ErrorCode::UpstreamRejected => "the payment gateway refused the request".to_owned(),
                _ => refusal.message.clone(),
            };
            (status, refusal.code.clone(), message)
        }
        EdgeError::Upstream(failure) => {
            console_error!("upstream failure: {failure}");
            (502, ErrorCode::UpstreamError, "the payment gateway is not available; try again".into())
        }
        EdgeError::Shouqianba(TerminalError::NotTradePath(_)) => {
            console_error!("{error}");
            (500, ErrorCode::Internal, "something went wrong on our side; nothing was changed".into())
        }
        EdgeError::Shouqianba(failure) => {
            console_error!("{error}");
            match failure.refusal_code() {
                Some(code) => (
                    502,
                    ErrorCode::UpstreamRejected,
                    format!("the payment gateway refused the request (code {code})"),
                ),
                None => {
                    (502, ErrorCode::UpstreamError, "the payment gateway is not available; try again".into())
                }
            }
        }
        EdgeError::Relayed { status, code, message } => (*status, code.clone(), message.clone()),
        EdgeError::Config(_) | EdgeError::Internal(_) | EdgeError::Worker(_) => {
            console_error!("{error}");
            (500, ErrorCode::Internal, "something went wrong on our side; nothing was changed".into())
        }
    }
}

/// The JSON error answer for the edge API: `{"error": {"code", "message"}}`.
pub(crate) fn respond(error: EdgeError) -> Response {
    let (status, code, message) = classify(&error);
    let mut body = ErrorBody::new(code, message);
    if let EdgeError::Refused(refusal) = &error {
        // The field at fault and the gateway's code let a client word the error itself.
        if let Some((field, problem)) = refusal.field() {
            body.error.field = Some(field.as_str().to_owned());
            body.error.problem = Some(problem.as_str().to_owned());
        }
        body.error.gateway_code = refusal.gateway_code().map(str::to_owned);
    }
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let mut response = json_bytes(body, status);
    if let EdgeError::Refused(Refusal { retry_after: Some(secs), .. }) = &error {
        let _ = response.headers_mut().set("Retry-After", &secs.to_string());
    }
    response
}

/// The answer a gateway callback gets: plain `OK` once recorded, plain `FAIL` (with the status
/// of the error) otherwise — anything but `OK` makes Payzero retry.
pub(crate) fn callback_response(result: Result<(), EdgeError>) -> Response {
    match result {
        Ok(()) => text("OK", 200),
        Err(error) => {
            let (status, _, _) = classify(&error);
            text("FAIL", status)
        }
    }
}

/// Turns a handler's result into the runtime's, so no error escapes unmapped.
pub(crate) fn handle(result: Result<Response, EdgeError>) -> worker::Result<Response> {
    Ok(result.unwrap_or_else(respond))
}

/// A JSON body with a status. Building a response from bytes cannot fail in practice; if the
/// runtime ever refuses, an empty 500 is still an answer rather than a panic.
pub(crate) fn json_bytes(body: Vec<u8>, status: u16) -> Response {
    let response = Response::from_bytes(body).map(|r| r.with_status(status));
    match response {
        Ok(mut r) => {
            let _ = r.headers_mut().set("Content-Type", "application/json; charset=utf-8");
            r
        }
        Err(_) => empty(500),
    }
}

/// A JSON answer from a value.
pub(crate) fn json<T: serde::Serialize>(value: &T, status: u16) -> Result<Response, EdgeError> {
    let body =
        serde_json::to_vec(value).map_err(|e| EdgeError::Internal(format!("serialising an answer: {e}")))?;
    Ok(json_bytes(body, status))
}

pub(crate) fn text(body: &str, status: u16) -> Response {
    match Response::ok(body) {
        Ok(r) => r.with_status(status),
        Err(_) => empty(500),
    }
}

fn empty(status: u16) -> Response {
    Response::builder().with_status(status).empty()
}
