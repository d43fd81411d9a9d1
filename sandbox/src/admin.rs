//! The admin API under `/__admin` (on for loopback binds or `SANDBOX_ADMIN=1`): play the shopper
//! (pay, fail), inject faults, move the clock, read recorded requests, notifications and state,
//! and reset. Every answer is JSON; refusals are `{"error": "…"}` with a 4xx status.

use crate::faults::FaultSpec;
use crate::payzero::wire::{DeclareStatus, PayStatus};
use crate::payzero::{AdminError, Merchant};
use crate::state::Shared;
use crate::timefmt;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

type Shd = State<Arc<Shared>>;

/// The largest single clock jump (ten years).
const MAX_ADVANCE_S: u64 = 10 * 366 * 86_400;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/clock", get(clock))
        .route("/clock/advance", post(advance))
        .route("/faults", post(add_fault).get(list_faults).delete(clear_faults))
        .route("/faults/{id}", delete(remove_fault))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/notifications", get(notifications))
        .route("/notifications/deliveries", get(deliveries))
        .route("/state", get(state))
        .route("/reset", post(reset))
        .route("/payzero/orders/{no}/pay", post(payzero_pay))
        .route("/payzero/orders/{no}/fail", post(payzero_fail))
        .route("/payzero/orders/{no}/declare", post(payzero_declare))
        .route("/payzero/orders/{no}/status", post(payzero_status))
        .route("/payzero/refunds/{no}/succeed", post(payzero_refund_succeed))
        .route("/payzero/refunds/{no}/fail", post(payzero_refund_fail))
        .route("/payzero/merchant", get(payzero_merchant).post(set_payzero_merchant))
        .route("/payzero/notify-url", post(set_payzero_notify_url))
        .route("/payzero/tokens/revoke", post(revoke_tokens))
        .route("/shouqianba/orders/{id}/pay", post(sqb_pay))
        .route("/shouqianba/orders/{id}/fail", post(sqb_fail))
        .route("/ezr/orders/{id}/pay", post(ezr_pay))
        .route("/ezr/orders/{id}/fail", post(ezr_fail))
        .route("/ezr/refunds/{no}/approve", post(ezr_approve_refund))
        .route("/ezr/refunds/{no}/reject", post(ezr_reject_refund))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such admin endpoint") })
        .with_state(shared)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

fn admin_error(e: AdminError) -> Response {
    match e {
        AdminError::NotFound(_) => error(StatusCode::NOT_FOUND, e.to_string()),
        AdminError::Conflict(_) => error(StatusCode::CONFLICT, e.to_string()),
    }
}

#[allow(clippy::result_large_err)]
fn json_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Response> {
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { bytes };
    serde_json::from_slice(bytes).map_err(|e| error(StatusCode::BAD_REQUEST, format!("bad JSON body: {e}")))
}

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

// ---------------------------------------------------------------------------------------------
// Clock

fn clock_json(now_ms: u64, offset_ms: u64) -> Value {
    json!({
        "nowMs": now_ms,
        "nowUtc": timefmt::iso_utc(now_ms),
        "nowChina": timefmt::dashed(now_ms),
        "offsetSeconds": offset_ms / 1000,
    })
}

async fn clock(State(shared): Shd) -> Response {
    let st = shared.state.lock().await;
    Json(clock_json(st.clock.now_ms(), st.clock.offset_ms())).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: u64,
}

/// Moves the clock, then runs every expiry, scheduled completion and notification attempt that
/// fell due, in order, before answering.
async fn advance(State(shared): Shd, bytes: Bytes) -> Response {
    let Advance { seconds } = match json_body(&bytes) {
        Ok(a) => a,
        Err(r) => return r,
    };
    // Ten years is more than any test needs and keeps every `now + delay` far from overflow.
    if seconds > MAX_ADVANCE_S {
        return error(StatusCode::BAD_REQUEST, format!("seconds must be at most {MAX_ADVANCE_S}"));
    }
    // Attempts already on their way finish first, so their retries are scheduled before the jump.
    shared.wait_for_attempts().await;
    shared.state.lock().await.clock.advance(seconds);
    shared.changed();
    shared.run_due().await;
    clock(State(shared)).await
}

// ---------------------------------------------------------------------------------------------
// Faults

async fn add_fault(State(shared): Shd, bytes: Bytes) -> Response {
    let spec: FaultSpec = match json_body(&bytes) {
        Ok(s) => s,
        Err(r) => return r,
    };
    match shared.state.lock().await.faults.add(spec) {
        Ok(id) => (StatusCode::CREATED, Json(json!({ "id": id }))).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

async fn list_faults(State(shared): Shd) -> Response {
    Json(to_json(&shared.state.lock().await.faults.list())).into_response()
}

async fn clear_faults(State(shared): Shd) -> Response {
    shared.state.lock().await.faults.clear();
    StatusCode::NO_CONTENT.into_response()
}

async fn remove_fault(State(shared): Shd, Path(id): Path<String>) -> Response {
    let removed = match id.parse::<u64>() {
        Ok(id) => shared.state.lock().await.faults.remove(id),
        Err(_) => false,
    };
    if removed {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error(StatusCode::NOT_FOUND, "no such fault")
    }
}

// ---------------------------------------------------------------------------------------------
// Records

/// Recorded requests, oldest first; `?path=` (exact, or a prefix ending in `*`) and `?method=`
/// filter them.
async fn requests(State(shared): Shd, Query(q): Query<HashMap<String, String>>) -> Response {
    let st = shared.state.lock().await;
    let path = q.get("path").map(String::as_str);
    let method = q.get("method").map(String::as_str);
    let list: Vec<_> = st
        .requests
        .iter()
        .filter(|r| match path {
            None => true,
            Some(p) => p.strip_suffix('*').map_or(r.path == p, |prefix| r.path.starts_with(prefix)),
        })
        .filter(|r| method.is_none_or(|m| r.method.eq_ignore_ascii_case(m)))
        .collect();
    Json(to_json(&list)).into_response()
}

async fn clear_requests(State(shared): Shd) -> Response {
    shared.state.lock().await.requests.clear();
    StatusCode::NO_CONTENT.into_response()
}

/// Every notification attempt, oldest first (after waiting for attempts in flight);
/// `?subject=` (the order number) and `?gateway=` filter them.
async fn notifications(State(shared): Shd, Query(q): Query<HashMap<String, String>>) -> Response {
    shared.wait_for_attempts().await;
    let st = shared.state.lock().await;
    let list: Vec<_> = st
        .notifications
        .attempts()
        .iter()
        .filter(|a| q.get("subject").is_none_or(|s| &a.subject == s))
        .filter(|a| q.get("gateway").is_none_or(|g| &a.gateway == g))
        .collect();
    Json(to_json(&list)).into_response()
}

async fn deliveries(State(shared): Shd) -> Response {
    shared.wait_for_attempts().await;
    Json(to_json(&shared.state.lock().await.notifications.deliveries())).into_response()
}

async fn state(State(shared): Shd) -> Response {
    let st = shared.state.lock().await;
    Json(json!({
        "clock": clock_json(st.clock.now_ms(), st.clock.offset_ms()),
        "payzero": to_json(&st.payzero),
        "shouqianba": to_json(&st.sqb),
        "ezr": to_json(&st.ezr),
    }))
    .into_response()
}

async fn reset(State(shared): Shd) -> Response {
    shared.wait_for_attempts().await;
    shared.state.lock().await.reset(&shared.config);
    shared.changed();
    StatusCode::NO_CONTENT.into_response()
}

// ---------------------------------------------------------------------------------------------
// Payzero

async fn payzero_pay(State(shared): Shd, Path(no): Path<String>) -> Response {
    let result = shared
        .with_state(|st, now| {
            let st = &mut *st;
            st.payzero.shopper_pay(&no, now, &mut st.rng)
        })
        .await;
    result.map_or_else(admin_error, |r| Json(r).into_response())
}

async fn payzero_fail(State(shared): Shd, Path(no): Path<String>) -> Response {
    let result = shared.with_state(|st, _| st.payzero.shopper_fail(&no)).await;
    result.map_or_else(admin_error, |r| Json(r).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeclareOutcome {
    #[serde(default = "declared")]
    result: DeclareStatus,
    #[serde(default)]
    reason: Option<String>,
}

fn declared() -> DeclareStatus {
    DeclareStatus::Declared
}

async fn payzero_declare(State(shared): Shd, Path(no): Path<String>, bytes: Bytes) -> Response {
    let outcome: DeclareOutcome = match json_body(&bytes) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let result =
        shared.with_state(|st, _| st.payzero.admin_declare(&no, outcome.result, outcome.reason)).await;
    result.map_or_else(admin_error, |r| Json(r).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PayStatusChange {
    pay_status: String,
    #[serde(default)]
    notify: bool,
}

async fn payzero_status(State(shared): Shd, Path(no): Path<String>, bytes: Bytes) -> Response {
    let change: PayStatusChange = match json_body(&bytes) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if change.pay_status.trim().is_empty() {
        return error(StatusCode::BAD_REQUEST, "payStatus must not be empty");
    }
    let status: PayStatus = match change.pay_status.parse() {
        Ok(s) => s,
        Err(never) => match never {},
    };
    let result = shared.with_state(|st, _| st.payzero.set_pay_status(&no, status, change.notify)).await;
    result.map_or_else(admin_error, |r| Json(r).into_response())
}

async fn payzero_refund_succeed(State(shared): Shd, Path(no): Path<String>) -> Response {
    let result = shared.with_state(|st, _| st.payzero.finish_refund(&no, true)).await;
    result.map_or_else(admin_error, |r| Json(r).into_response())
}

async fn payzero_refund_fail(State(shared): Shd, Path(no): Path<String>) -> Response {
    let result = shared.with_state(|st, _| st.payzero.finish_refund(&no, false)).await;
    result.map_or_else(admin_error, |r| Json(r).into_response())
}

async fn payzero_merchant(State(shared): Shd) -> Response {
    Json(to_json(&shared.state.lock().await.payzero.merchant)).into_response()
}

async fn set_payzero_merchant(State(shared): Shd, bytes: Bytes) -> Response {
    let merchant: Merchant = match json_body(&bytes) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut st = shared.state.lock().await;
    st.payzero.merchant = merchant;
    shared.changed();
    Json(to_json(&st.payzero.merchant)).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotifyUrl {
    url: Option<String>,
}

async fn set_payzero_notify_url(State(shared): Shd, bytes: Bytes) -> Response {
    let NotifyUrl { url } = match json_body(&bytes) {
        Ok(u) => u,
        Err(r) => return r,
    };
    shared.state.lock().await.payzero_notify_url = url.clone();
    shared.changed();
    Json(json!({ "url": url })).into_response()
}

async fn revoke_tokens(State(shared): Shd) -> Response {
    let mut st = shared.state.lock().await;
    let st = &mut *st;
    st.payzero.revoke_tokens(&mut st.rng);
    shared.changed();
    StatusCode::NO_CONTENT.into_response()
}

// ---------------------------------------------------------------------------------------------
// Shouqianba

/// Optional body of the Shouqianba pay control: `{"amount": N}` makes the gateway report N fen
/// paid instead of the order's amount — a misbehaving gateway, for the edge's mismatch handling.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PayOptions {
    #[serde(default)]
    amount: Option<u64>,
}

async fn sqb_pay(State(shared): Shd, Path(id): Path<String>, bytes: Bytes) -> Response {
    let options: PayOptions = if bytes.iter().all(u8::is_ascii_whitespace) {
        PayOptions::default()
    } else {
        match json_body(&bytes) {
            Ok(options) => options,
            Err(response) => return response,
        }
    };
    let result = shared
        .with_state(|st, now| {
            let st = &mut *st;
            st.sqb.shopper_pay(&id, now, &mut st.rng, options.amount.map(crate::money::Fen))
        })
        .await;
    result.map_or_else(admin_error, |r| Json(r).into_response())
}

async fn sqb_fail(State(shared): Shd, Path(id): Path<String>) -> Response {
    let result = shared.with_state(|st, now| st.sqb.shopper_fail(&id, now)).await;
    result.map_or_else(admin_error, |r| Json(r).into_response())
}

// ---------------------------------------------------------------------------------------------
// EZR

async fn ezr_pay(State(shared): Shd, Path(id): Path<String>) -> Response {
    let result = shared
        .with_state(|st, now| {
            let st = &mut *st;
            st.ezr.shopper_pay(&id, now, &mut st.rng)
        })
        .await;
    result.map_or_else(admin_error, |r| Json(r).into_response())
}

async fn ezr_fail(State(shared): Shd, Path(id): Path<String>) -> Response {
    let result = shared.with_state(|st, now| st.ezr.shopper_fail(&id, now)).await;
    result.map_or_else(admin_error, |r| Json(r).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RejectRefund {
    #[serde(default)]
    state: Option<String>,
}

async fn ezr_reject_refund(State(shared): Shd, Path(no): Path<String>, bytes: Bytes) -> Response {
    let body: RejectRefund = match json_body(&bytes) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let state = body.state.unwrap_or_else(|| crate::ezr::REJECTED_STATE.to_owned());
    let result = shared.with_state(|st, _| st.ezr.reject_refund(&no, &state)).await;
    result.map_or_else(admin_error, |r| Json(r).into_response())
}

async fn ezr_approve_refund(State(shared): Shd, Path(no): Path<String>) -> Response {
    let result = shared.with_state(|st, _| st.ezr.approve_refund(&no)).await;
    result.map_or_else(admin_error, |r| Json(r).into_response())
}
