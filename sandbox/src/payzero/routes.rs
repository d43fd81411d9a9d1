//! Payzero's HTTP face: the spec's paths under `/payzero`, Bearer-token checks (401 for a bad,
//! revoked or expired token, 403 when none is sent), JSON decoding with the spec's error envelope,
//! and the answers of the state machine in `{success, errorCode, errorMsg, data}`.

use super::PzError;
use super::wire::{
    AgreeApplyRequest, AgreeConfirmRequest, ConfirmQuickpayRequest, DeclareRequest, LoginRequest, Order,
    QrCodeType, RedoMockpayRequest, RedoQuickpayRequest, RefundRequest,
};
use crate::json::decode;
use crate::sign::same_text;
use crate::state::Shared;
use crate::timefmt;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

type Shd = State<Arc<Shared>>;
type Params = Result<Query<HashMap<String, String>>, QueryRejection>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let authed = Router::new()
        .route("/orderBatch", post(upload_batch))
        .route("/orderBatch/{id}/pay", get(pay_batch))
        .route("/orderBatch/{id}/summary", get(batch_summary))
        .route("/orderBatch/{id}/feedback", get(batch_feedback))
        .route("/order/feedback", get(query_order))
        .route("/order/createAndPay", post(create_and_pay))
        .route("/order/arrangePay", get(arrange_pay))
        .route("/order/createAndQrCode", post(create_qr))
        .route("/order/qrCode", get(refresh_qr))
        .route("/order/queryOrder", get(query_order))
        .route("/sdbc/agreeApply", post(agree_apply))
        .route("/sdbc/agreeConfirm", post(agree_confirm))
        .route("/order/createAndQuickpay", post(create_quickpay))
        .route("/order/confirmQuickpay", post(confirm_quickpay))
        .route("/order/redoQuickpay", post(redo_quickpay))
        .route("/order/createAndMockpay", post(create_mockpay))
        .route("/order/redoMockpay", post(redo_mockpay))
        .route("/realPerson/val", get(real_person))
        .route("/order/declare", post(declare))
        .route("/order/refund", post(refund).get(refund_status))
        .route_layer(axum::middleware::from_fn_with_state(shared.clone(), require_token));
    Router::new().route("/auth/login", post(login)).merge(authed).fallback(not_found).with_state(shared)
}

// ---------------------------------------------------------------------------------------------
// Answers

/// The envelope every answer comes in (返回格式说明): `success`, `errorMsg`, `errorCode`, `data`.
fn envelope(
    success: bool,
    code: Option<&str>,
    msg: Option<&str>,
    data: serde_json::Value,
) -> serde_json::Value {
    json!({"success": success, "errorMsg": msg, "errorCode": code, "data": data})
}

fn ok<T: Serialize>(data: T) -> Response {
    Json(envelope(true, None, None, serde_json::to_value(data).unwrap_or_default())).into_response()
}

/// `data` as a bare string, as §2.2, §2.7 and §8.1 answer.
fn ok_text(text: String) -> Response {
    Json(envelope(true, None, None, text.into())).into_response()
}

fn fail(err: PzError) -> Response {
    Json(envelope(false, Some(&err.code), Some(&err.msg), serde_json::Value::Null)).into_response()
}

/// A refusal with an HTTP status other than 200 (400 for a body that is not JSON, 401 login).
fn fail_with(status: StatusCode, code: &str, msg: &str) -> Response {
    (status, Json(envelope(false, Some(code), Some(msg), serde_json::Value::Null))).into_response()
}

fn answer<T: Serialize>(result: Result<T, PzError>) -> Response {
    result.map_or_else(fail, ok)
}

fn answer_text(result: Result<String, PzError>) -> Response {
    result.map_or_else(fail, ok_text)
}

/// The Spring-style error body Payzero's framework gives for 401/403/404.
fn spring_error(status: StatusCode, path: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "timestamp": timefmt::iso_utc(now_real_ms()),
        "status": status.as_u16(),
        "error": status.canonical_reason().unwrap_or(""),
        "message": message,
        "path": path,
    });
    (status, Json(body)).into_response()
}

fn now_real_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(0))
        .unwrap_or(0)
}

async fn not_found(request: Request) -> Response {
    spring_error(StatusCode::NOT_FOUND, request.uri().path(), "No message available")
}

/// The shape of most JSON endpoints: decode the body (or answer the spec's error for it), run
/// one state operation, and answer its result in the envelope.
async fn json_call<T: DeserializeOwned, R: Serialize>(
    shared: &Arc<Shared>,
    bytes: &[u8],
    op: impl FnOnce(&mut crate::state::State, u64, T) -> Result<R, PzError>,
) -> Response {
    match body(bytes) {
        Ok(req) => answer(shared.with_state(|st, now| op(st, now, req)).await),
        Err(response) => response,
    }
}

/// Decodes a JSON body: not JSON at all is HTTP 400; JSON with a missing or mistyped field is
/// the spec's 30001 envelope naming the field.
#[allow(clippy::result_large_err)]
fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Response> {
    if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_err() {
        return Err(fail_with(StatusCode::BAD_REQUEST, "30001", "请求体不是合法的JSON"));
    }
    decode::<T>(bytes).map_err(|e| fail(PzError::param(&e.field())))
}

/// The query parameters, or the 400 envelope for a query that cannot be read.
#[allow(clippy::result_large_err)]
fn params(q: Params) -> Result<HashMap<String, String>, Response> {
    q.map(|Query(m)| m).map_err(|_| fail_with(StatusCode::BAD_REQUEST, "30001", "请求参数格式错误"))
}

fn param<'a>(map: &'a HashMap<String, String>, name: &str) -> &'a str {
    map.get(name).map(String::as_str).unwrap_or("")
}

// ---------------------------------------------------------------------------------------------
// 1. Login and the token check

async fn login(State(shared): Shd, bytes: Bytes) -> Response {
    let req: LoginRequest = match body(&bytes) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let config = &shared.config;
    let good = same_text(&req.username, &config.payzero_app_id)
        & same_text(&req.password, config.payzero_app_key.expose());
    if !good {
        return fail_with(StatusCode::UNAUTHORIZED, "40001", "用户名或密码错误");
    }
    let token = shared.with_state(|st, now| st.payzero.issue_token(&req.username, now / 1000)).await;
    ok(json!({"username": req.username, "token": token}))
}

/// The spec's status table (返回格式说明) gives 401 for an incorrect access_token and 403 for
/// "insufficient permission", telling the caller to check that the Authorization header was sent
/// as required. So a request that sends no header at all is refused with 403, and any token that
/// is sent but not good (not `Bearer …`, not a JWT, bad signature, revoked, expired) with 401. The
/// sandbox has no per-endpoint permissions: every good token may call every endpoint.
async fn require_token(State(shared): Shd, request: Request, next: Next) -> Response {
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return spring_error(StatusCode::FORBIDDEN, request.uri().path(), "Access Denied");
    };
    let token = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim).map(str::to_owned);
    let valid = match token {
        Some(t) => {
            let st = shared.state.lock().await;
            st.payzero.check_token(&t, st.clock.now_s()).is_ok()
        }
        None => false,
    };
    if !valid {
        return spring_error(StatusCode::UNAUTHORIZED, request.uri().path(), "Unauthorized");
    }
    next.run(request).await
}

// ---------------------------------------------------------------------------------------------
// 2. Automatic payment

async fn upload_batch(State(shared): Shd, bytes: Bytes) -> Response {
    json_call(&shared, &bytes, |st, now, req: Vec<Order>| st.payzero.upload_batch(req, now)).await
}

async fn pay_batch(State(shared): Shd, Path(id): Path<String>) -> Response {
    answer_text(shared.with_state(|st, now| st.payzero.pay_batch(&id, now)).await)
}

async fn batch_summary(State(shared): Shd, Path(id): Path<String>) -> Response {
    answer(shared.with_state(|st, _| st.payzero.batch_summary(&id)).await)
}

async fn batch_feedback(State(shared): Shd, Path(id): Path<String>, q: Params) -> Response {
    let q = match params(q) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let number = |name: &str| -> Result<Option<u32>, PzError> {
        match q.get(name).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| PzError::param(name)),
        }
    };
    let (page, pagesize) = match (number("page"), number("pagesize")) {
        (Ok(p), Ok(s)) => (p, s),
        (Err(e), _) | (_, Err(e)) => return fail(e),
    };
    answer(shared.with_state(|st, _| st.payzero.batch_feedback(&id, page, pagesize)).await)
}

async fn create_and_pay(State(shared): Shd, bytes: Bytes) -> Response {
    json_call(&shared, &bytes, |st, now, req: Order| st.payzero.create_and_pay(req, now)).await
}

async fn arrange_pay(State(shared): Shd, q: Params) -> Response {
    let q = match params(q) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let no = param(&q, "mchtOrderNo").to_owned();
    answer_text(shared.with_state(|st, now| st.payzero.arrange_pay(&no, now)).await)
}

// ---------------------------------------------------------------------------------------------
// 4. QR orders and the order query

async fn create_qr(State(shared): Shd, bytes: Bytes) -> Response {
    json_call(&shared, &bytes, |st, now, req: Order| st.payzero.create_qr(req, now, &mut st.rng)).await
}

async fn refresh_qr(State(shared): Shd, q: Params) -> Response {
    let q = match params(q) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let no = param(&q, "mchtOrderNo").to_owned();
    let qr_type = q.get("qrCodeType").filter(|t| !t.is_empty()).map(|t| t.parse::<QrCodeType>());
    let qr_type = qr_type.and_then(Result::ok);
    answer(
        shared
            .with_state(|st, now| {
                let st = &mut *st;
                st.payzero.refresh_qr(&no, qr_type, now, &mut st.rng)
            })
            .await,
    )
}

/// `queryOrder` (4.3, 5.6, 6.3) and `order/feedback` (2.4) answer the same `orderResultDto`.
async fn query_order(State(shared): Shd, q: Params) -> Response {
    let q = match params(q) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let no = param(&q, "mchtOrderNo").to_owned();
    answer(shared.with_state(|st, _| st.payzero.order(&no).map(super::PzOrder::result)).await)
}

// ---------------------------------------------------------------------------------------------
// 5. Quick pay

async fn agree_apply(State(shared): Shd, bytes: Bytes) -> Response {
    json_call(&shared, &bytes, |st, now, req: AgreeApplyRequest| st.payzero.agree_apply(req, now)).await
}

async fn agree_confirm(State(shared): Shd, bytes: Bytes) -> Response {
    json_call(&shared, &bytes, |st, now, req: AgreeConfirmRequest| {
        st.payzero.agree_confirm(req, now, &mut st.rng)
    })
    .await
}

async fn create_quickpay(State(shared): Shd, bytes: Bytes) -> Response {
    json_call(&shared, &bytes, |st, now, req: Order| st.payzero.create_quickpay(req, now, &mut st.rng)).await
}

async fn confirm_quickpay(State(shared): Shd, bytes: Bytes) -> Response {
    json_call(&shared, &bytes, |st, now, req: ConfirmQuickpayRequest| {
        st.payzero.confirm_quickpay(req, now, &mut st.rng)
    })
    .await
}

async fn redo_quickpay(State(shared): Shd, bytes: Bytes) -> Response {
    json_call(&shared, &bytes, |st, now, req: RedoQuickpayRequest| {
        st.payzero.redo_quickpay(req, now, &mut st.rng)
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// 6.–9. Mock pay, real-name check, declaration, refunds

async fn create_mockpay(State(shared): Shd, bytes: Bytes) -> Response {
    json_call(&shared, &bytes, |st, now, req: Order| st.payzero.create_mockpay(req, now, &mut st.rng)).await
}

async fn redo_mockpay(State(shared): Shd, bytes: Bytes) -> Response {
    json_call(&shared, &bytes, |st, now, req: RedoMockpayRequest| {
        st.payzero.redo_mockpay(&req.mcht_order_no, now, &mut st.rng)
    })
    .await
}

async fn real_person(State(shared): Shd, q: Params) -> Response {
    let q = match params(q) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let (idno, name) = (param(&q, "idno").to_owned(), param(&q, "name").to_owned());
    answer(
        shared
            .with_state(|st, _| {
                let st = &mut *st;
                st.payzero.real_person(&idno, &name, &mut st.rng)
            })
            .await,
    )
}

async fn declare(State(shared): Shd, bytes: Bytes) -> Response {
    let req: DeclareRequest = match body(&bytes) {
        Ok(r) => r,
        Err(r) => return r,
    };
    answer_text(shared.with_state(|st, now| st.payzero.declare(req, now)).await)
}

async fn refund(State(shared): Shd, bytes: Bytes) -> Response {
    json_call(&shared, &bytes, |st, now, req: RefundRequest| st.payzero.refund(req, now)).await
}

async fn refund_status(State(shared): Shd, q: Params) -> Response {
    let q = match params(q) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let no = param(&q, "mchtRefundOrderNo").to_owned();
    answer(shared.with_state(|st, _| st.payzero.refund_status(&no)).await)
}
