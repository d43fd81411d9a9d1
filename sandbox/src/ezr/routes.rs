//! EZR's HTTP face under `/ezr`: the common parameters (AppId, Timestamp, ShopCode, Sign) and the
//! SHA-1 signature checked on every call, JSON decoding into BusinessCode 4001, and the
//! `{Success, Msg, Status, BusinessCode, ServerTime, Result}` envelope. HTTP status is always 200.

use super::wire::{CancelRequest, PayRequest, QueryRequest, RefundApplyRequest, RefundRequest, SUCCESS};
use super::{Ezr, EzrError};
use crate::json::{decode, raw_members};
use crate::state::{Shared, State as SandboxState};
use crate::timefmt;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use rand::rngs::StdRng;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::sync::Arc;

type Shd = State<Arc<Shared>>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/upay/pay", post(pay))
        .route("/upay/query", post(query))
        .route("/upay/cancel", post(cancel))
        .route("/upay/refund/apply", post(refund_apply))
        .route("/upay/refund", post(refund))
        .with_state(shared)
}

fn reply<T: Serialize>(result: Result<T, EzrError>, now_ms: u64) -> Response {
    let server_time = timefmt::dashed(now_ms);
    let body = match result {
        Ok(r) => json!({
            "Success": true, "Msg": "操作成功", "Status": 200, "BusinessCode": SUCCESS,
            "ServerTime": server_time, "Result": serde_json::to_value(r).unwrap_or_default(),
        }),
        Err(e) => json!({
            "Success": false, "Msg": e.msg, "Status": 200, "BusinessCode": e.code,
            "ServerTime": server_time, "Result": null,
        }),
    };
    Json(body).into_response()
}

fn text<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Checks the common parameters and the signature; answers the `UserCode` when there is one.
fn authenticate(bytes: &[u8], app_id: &str, token: &str) -> Result<Option<String>, EzrError> {
    let map: Map<String, Value> =
        serde_json::from_slice(bytes).map_err(|_| EzrError::params("请求体不是合法的JSON对象"))?;
    if text(&map, "Sign").is_none() {
        return Err(EzrError::params("参数Sign不能为空"));
    }
    match text(&map, "AppId") {
        None => return Err(EzrError::params("参数AppId不能为空")),
        Some(a) if a != app_id => return Err(EzrError::params("AppId错误")),
        Some(_) => {}
    }
    let ts = text(&map, "Timestamp").ok_or_else(|| EzrError::params("参数Timestamp不能为空"))?;
    if ts.len() != 14 || !ts.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EzrError::params("参数Timestamp格式错误(yyyyMMddHHmmss)"));
    }
    if text(&map, "ShopCode").is_none() {
        return Err(EzrError::params("参数ShopCode不能为空"));
    }
    if !signature_ok(bytes, token) {
        return Err(EzrError::params("签名错误"));
    }
    Ok(text(&map, "UserCode").map(str::to_owned))
}

/// The spec's rule over the values as they were sent: strings as their text, numbers as written,
/// lists and objects as their JSON text; `null`, `""`, `[]` and `{}` are empty values (空值不参与
/// 签名). The signature must be the lowercase hex the spec asks for.
fn signature_ok(bytes: &[u8], token: &str) -> bool {
    let Some(members) = raw_members(bytes) else {
        return false;
    };
    let sign = members.iter().find(|(k, _)| k == "Sign").map(|(_, v)| v.clone()).unwrap_or_default();
    let params = members
        .iter()
        .filter(|(_, v)| !matches!(v.as_str(), "null" | "[]" | "{}"))
        .map(|(k, v)| (k.as_str(), v.as_str()));
    let expected = crate::sign::ezr(&crate::sign::ezr_string1(params, token));
    crate::sign::same_text(&expected, &sign)
}

fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, EzrError> {
    decode::<T>(bytes).map_err(|e| {
        if e.is_missing() {
            EzrError::params(format!("参数{}不能为空", e.field()))
        } else {
            EzrError::params(format!("参数{}格式错误", e.path))
        }
    })
}

/// Every call: authenticate, decode, run `op`.
async fn call<T: DeserializeOwned, R: Serialize>(
    shared: Arc<Shared>,
    bytes: Bytes,
    op: impl FnOnce(&mut Ezr, T, Option<String>, u64, &mut StdRng) -> Result<R, EzrError>,
) -> Response {
    let token = shared.config.ezr_token.clone();
    let app_id = shared.config.ezr_app_id.clone();
    let (result, now) = shared
        .with_state(|st: &mut SandboxState, now| {
            let result = authenticate(&bytes, &app_id, token.expose())
                .and_then(|user| Ok((body::<T>(&bytes)?, user)))
                .and_then(|(req, user)| op(&mut st.ezr, req, user, now, &mut st.rng));
            (result, now)
        })
        .await;
    reply(result, now)
}

async fn pay(State(shared): Shd, bytes: Bytes) -> Response {
    call(shared, bytes, |ezr, req: PayRequest, user, now, rng| ezr.pay(req, user, now, rng)).await
}

async fn query(State(shared): Shd, bytes: Bytes) -> Response {
    call(shared, bytes, |ezr, req: QueryRequest, _, _, _| ezr.query(&req)).await
}

async fn cancel(State(shared): Shd, bytes: Bytes) -> Response {
    call(shared, bytes, |ezr, req: CancelRequest, _, now, _| ezr.cancel(&req, now)).await
}

async fn refund_apply(State(shared): Shd, bytes: Bytes) -> Response {
    call(shared, bytes, |ezr, req: RefundApplyRequest, _, now, rng| ezr.refund_apply(req, now, rng)).await
}

async fn refund(State(shared): Shd, bytes: Bytes) -> Response {
    call(shared, bytes, |ezr, req: RefundRequest, _, now, rng| ezr.refund(req, now, rng)).await
}
