//! The worker's HTTP handlers, grouped by resource, and the little they share: bounded body
//! reading, merchant authentication, and relaying a session object's answer.

pub(crate) mod assets;
pub(crate) mod cards;
pub(crate) mod checkout;
pub(crate) mod notify;
pub(crate) mod sessions;
pub(crate) mod terminals;

use crate::config;
use crate::error::EdgeError;
use checkout_shared::api::ErrorCode;
use worker::{Env, Request, Response};

/// Reads a request body of at most `limit` bytes. The declared length is checked first so an
/// oversized body is refused before it is read.
pub(crate) async fn read_body(req: &mut Request, limit: usize) -> Result<Vec<u8>, EdgeError> {
    let too_large =
        || EdgeError::Invalid(ErrorCode::PayloadTooLarge, format!("the body must be at most {limit} bytes"));
    let declared = req.headers().get("Content-Length")?.and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let body = req.bytes().await?;
    if body.len() > limit {
        return Err(too_large());
    }
    Ok(body)
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
pub(crate) async fn relay(mut answer: Response) -> Result<Response, EdgeError> {
    let status = answer.status_code();
    let content_type = answer.headers().get("Content-Type")?;
    let retry_after = answer.headers().get("Retry-After")?;
    let body = answer.bytes().await?;
    let mut response = Response::from_bytes(body)?.with_status(status);
    if let Some(ct) = content_type {
        response.headers_mut().set("Content-Type", &ct)?;
    }
    if let Some(secs) = retry_after {
        response.headers_mut().set("Retry-After", &secs)?;
    }
    Ok(response)
}
