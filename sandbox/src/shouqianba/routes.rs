//! Shouqianba's HTTP face under `/shouqianba`: the `Authorization: {sn} {sign}` check on the
//! exact body bytes (terminal key, or the vendor key for activation), JSON decoding into the
//! spec's INVALID_PARAMS, and the three-layer answer. Every answer is HTTP 200, as the gateway's.

use super::wire::{
    ActivateRequest, CheckinRequest, CommErrorCode, CommResult, OrderRef, PayRequest, PrecreateRequest,
    RefundRequest, Response as SqbResponse, TerminalKeys,
};
use super::{Biz, CommError, Shouqianba};
use crate::json::decode;
use crate::sign::{shouqianba_authorization, shouqianba_ok};
use crate::state::{Shared, State as SandboxState};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use rand::rngs::StdRng;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

type Shd = State<Arc<Shared>>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/upay/v2/pay", post(pay))
        .route("/upay/v2/precreate", post(precreate))
        // The spec writes this one URL with a capital U.
        .route("/Upay/v2/precreate", post(precreate))
        .route("/upay/v2/query", post(query))
        .route("/upay/v2/cancel", post(cancel))
        .route("/upay/v2/refund", post(refund))
        .route("/terminal/activate", post(activate))
        .route("/terminal/checkin", post(checkin))
        .with_state(shared)
}

fn reply<B: Serialize>(result: Result<B, CommError>) -> Response {
    let body = match result {
        Ok(b) => SqbResponse {
            result_code: CommResult::Ok,
            error_code: None,
            error_message: None,
            biz_response: Some(b),
        },
        Err(e) => SqbResponse {
            result_code: e.result,
            error_code: Some(e.code),
            error_message: Some(e.msg),
            biz_response: None,
        },
    };
    Json(body).into_response()
}

/// Decodes a body into the spec's INVALID_PARAMS, naming the field (with the spec's own message
/// for an amount).
fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CommError> {
    if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_err() {
        return Err(CommError::params("请求体不是合法的JSON"));
    }
    decode::<T>(bytes).map_err(|e| {
        if e.is_missing() {
            CommError::params(format!("{}不可以为空", e.field()))
        } else if e.path.ends_with("amount") {
            // The spec's own message for a bad amount (2.3's example).
            CommError::params(format!("{}金额为整数,长度不超过10位,以分为单位", e.path))
        } else {
            CommError::params(format!("{}: {}", e.path, e.message))
        }
    })
}

/// The signer and signature from `Authorization`, or ILLEGAL_SIGN.
fn authorization(headers: &HeaderMap) -> Result<(String, String), CommError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(shouqianba_authorization)
        .map(|(sn, sign)| (sn.to_owned(), sign.to_owned()))
        .ok_or_else(|| CommError::client(CommErrorCode::IllegalSign, "签名错误"))
}

/// A request that names the terminal it is made for.
trait ForTerminal {
    fn terminal_sn(&self) -> &str;
}

impl ForTerminal for PayRequest {
    fn terminal_sn(&self) -> &str {
        &self.terminal_sn
    }
}

impl ForTerminal for PrecreateRequest {
    fn terminal_sn(&self) -> &str {
        &self.terminal_sn
    }
}

impl ForTerminal for OrderRef {
    fn terminal_sn(&self) -> &str {
        &self.terminal_sn
    }
}

impl ForTerminal for RefundRequest {
    fn terminal_sn(&self) -> &str {
        &self.terminal_sn
    }
}

/// Every trade call: authenticate with today's terminal key, decode, check the body names the
/// signing terminal, then run `op`.
async fn trade<T: DeserializeOwned + ForTerminal>(
    shared: Arc<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
    op: impl FnOnce(&mut Shouqianba, T, u64, &mut StdRng) -> Result<Biz, CommError>,
) -> Response {
    let (sn, sign) = match authorization(&headers) {
        Ok(a) => a,
        Err(e) => return reply::<Biz>(Err(e)),
    };
    let result = shared
        .with_state(|st: &mut SandboxState, now| {
            st.sqb.authenticate(&sn, &sign, &bytes, now, false)?;
            let req: T = body(&bytes)?;
            if req.terminal_sn() != sn {
                return Err(CommError::params("terminal_sn与签名终端不一致"));
            }
            op(&mut st.sqb, req, now, &mut st.rng)
        })
        .await;
    reply(result)
}

async fn pay(State(shared): Shd, headers: HeaderMap, bytes: Bytes) -> Response {
    trade(shared, headers, bytes, |sq, req: PayRequest, now, rng| sq.pay(req, now, rng)).await
}

async fn precreate(State(shared): Shd, headers: HeaderMap, bytes: Bytes) -> Response {
    trade(shared, headers, bytes, |sq, req: PrecreateRequest, now, rng| sq.precreate(req, now, rng)).await
}

async fn query(State(shared): Shd, headers: HeaderMap, bytes: Bytes) -> Response {
    trade(shared, headers, bytes, |sq, req: OrderRef, _, _| sq.query(&req)).await
}

async fn cancel(State(shared): Shd, headers: HeaderMap, bytes: Bytes) -> Response {
    trade(shared, headers, bytes, |sq, req: OrderRef, now, _| sq.cancel(&req, now)).await
}

async fn refund(State(shared): Shd, headers: HeaderMap, bytes: Bytes) -> Response {
    trade(shared, headers, bytes, |sq, req: RefundRequest, now, _| sq.refund(req, now)).await
}

/// Terminal activation is signed with the vendor's key (`Authorization: {vendor_sn} {sign}`).
async fn activate(State(shared): Shd, headers: HeaderMap, bytes: Bytes) -> Response {
    let result = match authorization(&headers) {
        Err(e) => Err(e),
        Ok((sn, _)) if sn != shared.config.sqb_vendor_sn => {
            Err(CommError::client(CommErrorCode::InvalidTerminal, "vendor_sn错误"))
        }
        Ok((_, sign)) if !shouqianba_ok(&bytes, &sign, shared.config.sqb_vendor_key.expose()) => {
            Err(CommError::client(CommErrorCode::IllegalSign, "签名错误"))
        }
        Ok(_) => match body::<ActivateRequest>(&bytes) {
            Err(e) => Err(e),
            Ok(req) => {
                let code = shared.config.sqb_activation_code.clone();
                shared
                    .with_state(|st, now| {
                        let st = &mut *st;
                        st.sqb.activate(req, &code, now, &mut st.rng)
                    })
                    .await
            }
        },
    };
    reply::<TerminalKeys>(result)
}

/// The daily check-in, signed with the terminal's current key (which may be from an earlier
/// day); answers the new key.
async fn checkin(State(shared): Shd, headers: HeaderMap, bytes: Bytes) -> Response {
    let (sn, sign) = match authorization(&headers) {
        Ok(a) => a,
        Err(e) => return reply::<TerminalKeys>(Err(e)),
    };
    let result = shared
        .with_state(|st, now| {
            st.sqb.authenticate(&sn, &sign, &bytes, now, true)?;
            let req: CheckinRequest = body(&bytes)?;
            st.sqb.checkin(&sn, req, now, &mut st.rng)
        })
        .await;
    reply(result)
}
