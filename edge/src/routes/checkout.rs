//! The checkout API the widget uses, authorised by a session's `client_secret` alone (sent as
//! `Authorization: Bearer`): the public
//! view, QR codes, cashier barcode payments, the status long-poll and (test mode) simulated
//! payment and the session's test clock. Bank cards are in `cards.rs`. No endpoint here takes an amount: the session decides it, and none cancels or
//! refunds: only the merchant and the session's own deadlines do.

use super::{read_body, relay};
use crate::config;
use crate::error::{self, EdgeError};
use crate::session_do::{self, SessionCall};
use checkout_shared::api::{ClockRequest, ErrorCode};
use checkout_shared::json::decode;
use checkout_shared::session::{self, Refusal};
use worker::{Request, Response, RouteContext};

/// The largest body the widget sends (a `QrRequest` or `BarcodeRequest` is a few dozen bytes).
/// This is the only check: the session object is reachable only through its Durable Object
/// binding, which only this worker holds (no other script binds it, and objects have no public
/// URL), so every body it sees has passed here.
const MAX_BODY: usize = 1024;

/// The client secret the browser presents (`Authorization: Bearer <client_secret>`: a header,
/// so it stays out of URLs, access logs and `Referer`s) and the session it names. A request
/// without one is `401`; a secret not of our shape is "not found" without touching any object;
/// the session object compares the whole secret.
pub(super) fn secret_of(req: &Request) -> Result<(String, String), EdgeError> {
    let header = req.headers().get("Authorization")?.unwrap_or_default();
    let Some(secret) = header.strip_prefix("Bearer ").map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(Refusal::new(
            ErrorCode::Unauthorized,
            "send the session's client_secret as `Authorization: Bearer <client_secret>`",
        )
        .into());
    };
    let id = session::session_id_of_secret(secret).ok_or(EdgeError::NotFound)?.to_owned();
    Ok((secret.to_owned(), id))
}

/// `GET /v1/checkout`.
pub(crate) async fn view(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            let (secret, id) = secret_of(&req)?;
            relay(session_do::call(&ctx.env, &id, &SessionCall::View { secret }).await?).await
        }
        .await,
    )
}

/// `POST /v1/checkout/qr`.
pub(crate) async fn qr(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            let (secret, id) = secret_of(&req)?;
            let request = parse(&read_body(&mut req, MAX_BODY).await?, "QR request")?;
            relay(session_do::call(&ctx.env, &id, &SessionCall::Qr { secret, request }).await?).await
        }
        .await,
    )
}

/// `POST /v1/checkout/barcode` (cashier mode): `202` with the payment's progress.
pub(crate) async fn barcode(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            let (secret, id) = secret_of(&req)?;
            // EZR's `SpbillCreateIp`: the address of the browser submitting the code (Cloudflare
            // sets `CF-Connecting-IP`; without it the gateway module sends its fallback).
            let client_ip = req.headers().get("CF-Connecting-IP")?;
            let request = parse(&read_body(&mut req, MAX_BODY).await?, "barcode request")?;
            let call = SessionCall::Barcode { secret, request, client_ip };
            relay(session_do::call(&ctx.env, &id, &call).await?).await
        }
        .await,
    )
}

pub(super) fn parse<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, EdgeError> {
    decode(body)
        .map_err(|e| EdgeError::Invalid(checkout_shared::api::ErrorCode::InvalidJson, e.describe(what)))
}

/// `GET /v1/checkout/status?since={version}`: the long-poll.
pub(crate) async fn status(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            let (secret, id) = secret_of(&req)?;
            let since = req
                .url()?
                .query_pairs()
                .find(|(k, _)| k == "since")
                .map(|(_, v)| v.parse::<u64>())
                .transpose()
                .map_err(|_| {
                    EdgeError::Invalid(
                        checkout_shared::api::ErrorCode::InvalidRequest,
                        "since must be a version number".into(),
                    )
                })?
                .unwrap_or(0);
            relay(session_do::call(&ctx.env, &id, &SessionCall::Status { secret, since }).await?).await
        }
        .await,
    )
}

/// `POST /v1/checkout/simulate` (test mode only): the sandbox pays the order.
pub(crate) async fn simulate(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            if !config::test_mode(&ctx.env) {
                return Err(EdgeError::NotAvailable);
            }
            // No body is expected; it is read (bounded) so an oversized one is refused with the
            // same 413 as everywhere, before anything happens.
            read_body(&mut req, MAX_BODY).await?;
            let (secret, id) = secret_of(&req)?;
            relay(session_do::call(&ctx.env, &id, &SessionCall::Simulate { secret }).await?).await
        }
        .await,
    )
}

/// `POST /v1/checkout/test/clock {"advance_secs": N}` (test mode only): moves the
/// session's clock ahead, so tests reach cooldowns and expiries without sleeping.
pub(crate) async fn clock(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            if !config::test_mode(&ctx.env) {
                return Err(EdgeError::NotAvailable);
            }
            let (secret, id) = secret_of(&req)?;
            let advance: ClockRequest = parse(&read_body(&mut req, MAX_BODY).await?, "clock request")?;
            let call = SessionCall::Clock { secret, advance_secs: advance.advance_secs };
            relay(session_do::call(&ctx.env, &id, &call).await?).await
        }
        .await,
    )
}
