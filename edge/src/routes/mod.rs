//! The worker's HTTP handlers, grouped by resource, and the little they share: bounded body
//! reading, merchant authentication and idempotency keys, and relaying a session object's answer.

pub(crate) mod assets;
pub(crate) mod cards;
pub(crate) mod checkout;
pub(crate) mod notify;
pub(crate) mod payzero;
pub(crate) mod refunds;
pub(crate) mod sessions;
pub(crate) mod terminals;

use crate::body;
use crate::config;
use crate::error::{self, EdgeError};
use crate::idempotency_do::{self, Begun};
use checkout_shared::api::ErrorCode;
use checkout_shared::idempotency::{self, MAX_KEY_LEN, StoredAnswer};
use checkout_shared::session::Refusal;
use worker::{Env, Request, Response, console_error};

/// How much of an oversized chunked body is read and dropped before the refusal is sent, so the
/// client receives the 413 rather than a cut connection (see [`body::discard`]).
const DRAIN_OVERSIZED: usize = 2 << 20;

/// Reads a request body of at most `limit` bytes. A declared length over the limit is refused
/// without keeping any of the body; a body sent in chunks (no length) is read as a stream and
/// refused as soon as it passes the limit. Either way a bounded rest is drained first, so the
/// client hears the refusal.
pub(crate) async fn read_body(req: &mut Request, limit: usize) -> Result<Vec<u8>, EdgeError> {
    let too_large =
        || EdgeError::Invalid(ErrorCode::PayloadTooLarge, format!("the body must be at most {limit} bytes"));
    let declared = req.headers().get("Content-Length")?.and_then(|v| v.parse::<usize>().ok());
    let stream = req.stream().ok();
    if let Some(declared) = declared.filter(|&n| n > limit) {
        if let Some(mut stream) = stream.filter(|_| declared <= DRAIN_OVERSIZED) {
            body::discard(&mut stream, declared).await;
        }
        return Err(too_large());
    }
    // A request without a body has no stream to read.
    let Some(mut stream) = stream else {
        return Ok(Vec::new());
    };
    match body::read_capped(&mut stream, limit).await? {
        Ok(body) => Ok(body),
        Err(()) => {
            body::discard(&mut stream, DRAIN_OVERSIZED).await;
            Err(too_large())
        }
    }
}

/// Checks `Authorization: Bearer <merchant secret key>` in constant time against every key in
/// `MERCHANT_SECRET_KEY` (comma-separated: while keys are rotated, the old and the new are both
/// valid; a key removed from the list is refused at once).
pub(crate) fn authorize_merchant(req: &Request, env: &Env) -> Result<(), EdgeError> {
    let valid = config::secrets(env, "MERCHANT_SECRET_KEY")?;
    let presented = req.headers().get("Authorization")?.unwrap_or_default();
    let key = presented.strip_prefix("Bearer ").unwrap_or_default().trim();
    // Every key is compared, so the time taken does not tell which one matched.
    let matched = valid.iter().fold(false, |found, k| {
        checkout_shared::sign::bytes_eq(key.as_bytes(), k.expose().as_bytes()) | found
    });
    if matched && !key.is_empty() { Ok(()) } else { Err(EdgeError::Unauthorized) }
}

/// Copies a session object's answer into a fresh response: answers from a stub have immutable
/// headers, and the worker still adds its own (CORS, caching).
pub(crate) async fn relay(answer: Response) -> Result<Response, EdgeError> {
    rebuild(&keep(answer).await?)
}

/// An answer as data: its status, the headers the edge passes on, and its JSON text.
async fn keep(mut answer: Response) -> Result<StoredAnswer, EdgeError> {
    let headers = answer.headers();
    let content_type = headers.get("Content-Type")?;
    let retry_after = headers.get("Retry-After")?;
    let body = String::from_utf8(answer.bytes().await?)
        .map_err(|_| EdgeError::Internal("an answer that is not UTF-8 text".into()))?;
    Ok(StoredAnswer { status: answer.status_code(), content_type, retry_after, body })
}

fn rebuild(answer: &StoredAnswer) -> Result<Response, EdgeError> {
    let mut response = Response::from_bytes(answer.body.as_bytes().to_vec())?.with_status(answer.status);
    if let Some(ct) = &answer.content_type {
        response.headers_mut().set("Content-Type", ct)?;
    }
    if let Some(secs) = &answer.retry_after {
        response.headers_mut().set("Retry-After", secs)?;
    }
    Ok(response)
}

/// A merchant `POST`: the key checked, the body read (at most `limit` bytes), then `run` on the
/// body — once per `Idempotency-Key`. With a key, the same request repeated gets the first answer
/// again (marked `Idempotent-Replayed: true`) and nothing is done again; another request with
/// the key is `409 idempotency_conflict`; the same request while the first still runs is
/// `409 request_in_progress`. Answers that are not final (`429`, `5xx`) release the key.
pub(crate) async fn merchant_post<F, Fut>(
    req: &mut Request,
    env: &Env,
    limit: usize,
    run: F,
) -> Result<Response, EdgeError>
where
    F: FnOnce(Vec<u8>) -> Fut,
    Fut: Future<Output = Result<Response, EdgeError>>,
{
    authorize_merchant(req, env)?;
    let body = read_body(req, limit).await?;
    let Some(key) = req.headers().get("Idempotency-Key")? else {
        return run(body).await;
    };
    if !idempotency::is_valid_key(&key) {
        return Err(EdgeError::Invalid(
            ErrorCode::InvalidRequest,
            format!("Idempotency-Key must be 1 to {MAX_KEY_LEN} printable ASCII characters"),
        ));
    }
    let fingerprint = idempotency::fingerprint("POST", &req.path(), &body);
    match idempotency_do::begin(env, &key, &fingerprint, config::now_ms() / 1000).await? {
        Begun::Proceed => {}
        Begun::Replay { answer } => {
            let mut response = rebuild(&answer)?;
            response.headers_mut().set("Idempotent-Replayed", "true")?;
            return Ok(response);
        }
        Begun::Conflict => {
            return Err(Refusal::new(
                ErrorCode::IdempotencyConflict,
                "this Idempotency-Key was used for another request; use a new key for a new request",
            )
            .into());
        }
        Begun::InProgress => {
            return Err(Refusal {
                retry_after: Some(1),
                ..Refusal::new(
                    ErrorCode::RequestInProgress,
                    "a request with this Idempotency-Key is still running",
                )
            }
            .into());
        }
    }
    let answer = keep(run(body).await.unwrap_or_else(error::respond)).await?;
    // If this fails the key stays in flight and a retry is answered `request_in_progress` until
    // the in-flight timeout; the answer itself still goes out.
    if let Err(e) = idempotency_do::finish(env, &key, &fingerprint, &answer).await {
        console_error!("idempotency key not finished: {e}");
    }
    rebuild(&answer)
}
