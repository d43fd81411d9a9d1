//! The layer in front of every gateway endpoint: it records each request (so tests can assert
//! what the edge sent) and applies the fault injected for its path, if any.

use crate::faults::{FaultKind, Hit};
use crate::state::{RecordedRequest, Shared};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The largest request body accepted (the gateways' bodies are small).
const BODY_LIMIT: usize = 1 << 20;
/// How many requests are kept; older ones are dropped first.
const RECORD_CAP: usize = 5000;
/// How long a `timeout` fault holds a request when the rule gives no `ms`.
const DEFAULT_HOLD_MS: u64 = 300_000;

pub(crate) async fn record_and_fault(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response(),
    };
    let path = parts.uri.path().to_owned();
    let hit = {
        let mut st = shared.state.lock().await;
        let hit = st.faults.take_for_request(&path);
        st.request_seq += 1;
        let mut headers = BTreeMap::<String, String>::new();
        for (name, value) in &parts.headers {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            headers
                .entry(name.as_str().to_owned())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(&value);
                })
                .or_insert(value);
        }
        let record = RecordedRequest {
            seq: st.request_seq,
            at_ms: st.clock.now_ms(),
            method: parts.method.to_string(),
            path: path.clone(),
            query: parts.uri.query().map(str::to_owned),
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            fault: hit.as_ref().map(|h| h.id),
        };
        if st.requests.len() >= RECORD_CAP {
            st.requests.pop_front();
        }
        st.requests.push_back(record);
        hit
    };
    let request = Request::from_parts(parts, Body::from(bytes.clone()));
    match hit {
        None => next.run(request).await,
        Some(hit) if hit.kind == FaultKind::Refuse => {
            if hit.processed {
                let _ = next.run(request).await;
            }
            refusal(&shared, &hit, &path, &bytes).await
        }
        Some(hit) => apply(&shared, hit, request, next).await,
    }
}

/// The gateway's own refusal with the fault's code and text, in the shape of the gateway the
/// path belongs to (all HTTP 200, as the gateways answer business failures).
async fn refusal(shared: &Arc<Shared>, hit: &Hit, path: &str, body: &[u8]) -> Response {
    let code = hit.code.clone().unwrap_or_default();
    let message = hit.message.clone().unwrap_or_else(|| format!("沙箱注入的拒绝 {code}"));
    let json = if path.starts_with("/shouqianba/") {
        let result = hit.result.clone().unwrap_or_else(|| "FAIL".to_owned());
        if matches!(result.as_str(), "400" | "500") {
            serde_json::json!({"result_code": result, "error_code": code, "error_message": message})
        } else {
            // REFUND_ERROR leaves the order as appendix 3 describes it: the refund's fate unknown.
            let data = if result == "REFUND_ERROR" && !hit.processed && path == "/shouqianba/upay/v2/refund" {
                shared.with_state(|st, now| st.sqb.mark_refund_error(body, now)).await
            } else {
                None
            };
            let mut biz = serde_json::json!({"result_code": result});
            if !code.is_empty() {
                biz["error_code"] = code.into();
                biz["error_message"] = message.into();
            }
            if let Some(data) = data {
                biz["data"] = data;
            }
            serde_json::json!({"result_code": "200", "biz_response": biz})
        }
    } else if path.starts_with("/ezr/") {
        let now = shared.state.lock().await.clock.now_ms();
        // BusinessCode is a number in the spec; a code that is not one is sent as text.
        let business_code = code.parse::<i64>().map_or_else(|_| code.clone().into(), serde_json::Value::from);
        serde_json::json!({
            "Success": false, "Msg": message, "Status": 200, "BusinessCode": business_code,
            "ServerTime": crate::timefmt::dashed(now), "Result": null,
        })
    } else {
        serde_json::json!({"success": false, "errorCode": code, "errorMsg": message, "data": null})
    };
    axum::Json(json).into_response()
}

async fn apply(shared: &Shared, hit: Hit, request: Request, next: Next) -> Response {
    match hit.kind {
        FaultKind::LatencyMs => {
            hold(shared, hit.ms.unwrap_or(0)).await;
            next.run(request).await
        }
        FaultKind::Http500 => {
            if hit.processed {
                let _ = next.run(request).await;
            }
            let status = hit
                .status
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (
                status,
                [(header::CONTENT_TYPE, "text/html")],
                "<html><body><h1>Whitelabel Error Page</h1></body></html>",
            )
                .into_response()
        }
        FaultKind::Timeout => {
            if hit.processed {
                let _ = next.run(request).await;
            }
            hold(shared, hit.ms.unwrap_or(DEFAULT_HOLD_MS)).await;
            // Reached only when the hold ends (or the sandbox stops): the caller gave up long ago.
            (StatusCode::GATEWAY_TIMEOUT, "timeout").into_response()
        }
        FaultKind::MalformedJson => {
            let body = if hit.processed {
                let response = next.run(request).await;
                let bytes = axum::body::to_bytes(response.into_body(), BODY_LIMIT).await.unwrap_or_default();
                // Cut the real answer in half: valid JSON never survives that.
                Bytes::copy_from_slice(&bytes[..bytes.len() / 2])
            } else {
                Bytes::from_static(b"{\"success\":true,\"data\":{\"mchtOrderNo\":")
            };
            let mut response = Response::new(Body::from(body));
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        // Notification faults never match a request; refusals are answered before `apply`.
        FaultKind::DropNotification | FaultKind::DuplicateNotification | FaultKind::Refuse => {
            next.run(request).await
        }
    }
}

/// Sleeps `ms` of real time, or less if the sandbox is stopping.
async fn hold(shared: &Shared, ms: u64) {
    let mut stop = shared.stop.clone();
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_millis(ms)) => {}
        _ = crate::state::stopped(&mut stop) => {}
    }
}
