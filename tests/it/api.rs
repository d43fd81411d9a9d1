//! The edge over HTTP as a merchant server and the gateway see it: bad input gets stable error
//! codes and changes nothing; forged, unconfirmed and replayed notifications change nothing; a
//! real notification from the sandbox makes the session paid.

use crate::with_stack;
use anyhow::{Context, Result, ensure};
use checkout_shared::Fen;
use checkout_shared::api::{
    CheckoutView, CreateSessionRequest, ErrorBody, ErrorCode, QrView, SessionCreated, SessionStatus,
    StatusUpdate,
};
use checkout_shared::sign::payzero_notification_signature;
use checkout_tests::Stack;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(40)).build().unwrap_or_default()
}

/// A request to the checkout API as the widget makes it: `{edge}/v1/checkout{tail}`, with the
/// session's client secret in `Authorization` (never in the URL).
pub(crate) fn checkout(
    stack: &Stack,
    method: reqwest::Method,
    cs: &str,
    tail: &str,
) -> reqwest::RequestBuilder {
    http().request(method, format!("{}/v1/checkout{tail}", stack.edge_url)).bearer_auth(cs)
}

/// Creates a session as a merchant server would.
pub(crate) async fn create_session(stack: &Stack, amount: u64, order_no: &str) -> Result<SessionCreated> {
    Ok(stack
        .client()?
        .create_session(&CreateSessionRequest::new(Fen(amount), "E2E 测试商品", order_no))
        .await?)
}

pub(crate) async fn checkout_view(stack: &Stack, client_secret: &str) -> Result<CheckoutView> {
    let r = checkout(stack, Method::GET, client_secret, "").send().await?;
    ensure!(r.status() == 200, "checkout view answered {}", r.status());
    Ok(r.json().await?)
}

pub(crate) async fn request_qr(stack: &Stack, client_secret: &str, channel: &str) -> Result<QrView> {
    let r = checkout(stack, Method::POST, client_secret, "/qr")
        .json(&json!({"method": "payzero_qr", "channel": channel}))
        .send()
        .await?;
    ensure!(r.status() == 200, "qr answered {}: {}", r.status(), r.text().await?);
    Ok(r.json().await?)
}

/// The code URL the sandbox issued last for an order: found in the smallest part of the
/// sandbox's Payzero state that names both the order and a code URL.
pub(crate) async fn sandbox_code_url(stack: &Stack, order_no: &str) -> Result<String> {
    let state: Value =
        http().get(format!("{}/__admin/state", stack.sandbox_url)).send().await?.json().await?;
    let is_code = |s: &str| s.starts_with("weixin://") || s.starts_with("https://qr.");
    let record = smallest_with(&state["payzero"], &|strings: &[String]| {
        strings.iter().any(|s| s == order_no) && strings.iter().any(|s| is_code(s))
    })
    .with_context(|| format!("no code URL for {order_no} in the sandbox state: {state}"))?;
    let mut strings = Vec::new();
    collect_strings(&record, &mut strings);
    strings.into_iter().rfind(|s| is_code(s)).context("no code URL")
}

fn smallest_with(value: &Value, wanted: &dyn Fn(&[String]) -> bool) -> Option<Value> {
    let mut strings = Vec::new();
    collect_strings(value, &mut strings);
    if !wanted(&strings) {
        return None;
    }
    let children: Vec<&Value> = match value {
        Value::Object(map) => map.values().collect(),
        Value::Array(items) => items.iter().collect(),
        _ => Vec::new(),
    };
    children.into_iter().find_map(|c| smallest_with(c, wanted)).or_else(|| Some(value.clone()))
}

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

pub(crate) async fn status(stack: &Stack, client_secret: &str, since: u64) -> Result<StatusUpdate> {
    let r = checkout(stack, Method::GET, client_secret, &format!("/status?since={since}")).send().await?;
    ensure!(r.status() == 200, "status answered {}", r.status());
    Ok(r.json().await?)
}

async fn expect_error(response: reqwest::Response, status: u16, code: ErrorCode) -> Result<()> {
    let got = response.status();
    let body = response.text().await?;
    ensure!(got == status, "expected {status}, got {got}: {body}");
    let error: ErrorBody =
        serde_json::from_str(&body).with_context(|| format!("not an error body: {body}"))?;
    ensure!(error.error.code == code, "expected {code}, got {:?}: {}", error.error.code, error.error.message);
    ensure!(!error.error.message.is_empty(), "an error without a message");
    Ok(())
}

/// Found by Schemathesis: worker-rs read any method it does not know (`QUERY`, `PROPFIND`) as
/// `GET`, so `QUERY /v1/sessions/{id}` answered the session. Every method a path does
/// not take is `405` with the methods it does take in `Allow` (RFC 9110), and runs nothing.
#[test]
fn a_method_a_path_does_not_take_is_refused_and_named() {
    with_stack(|stack| async move {
        let session = create_session(&stack, 100, "METHODS-1").await?;
        let key = &stack.creds.merchant_key;
        let cases = [
            ("QUERY", format!("/v1/sessions/{}", session.id), "GET"),
            ("PROPFIND", "/v1/checkout".to_owned(), "GET, OPTIONS"),
            ("TRACE", "/v1/sessions".to_owned(), "POST, GET"),
            ("PUT", format!("/v1/sessions/{}/cancel", session.id), "POST"),
            ("DELETE", "/v1/checkout".to_owned(), "GET, OPTIONS"),
            ("QUERY", "/health".to_owned(), "GET"),
            ("PATCH", "/health".to_owned(), "GET"),
        ];
        for (method, path, allow) in cases {
            let method = Method::from_bytes(method.as_bytes())?;
            let r = http()
                .request(method.clone(), format!("{}{path}", stack.edge_url))
                .bearer_auth(key)
                .send()
                .await?;
            let allowed = r.headers().get("allow").and_then(|v| v.to_str().ok()).map(str::to_owned);
            ensure!(r.status() == 405, "{method} {path} answered {}", r.status());
            ensure!(allowed.as_deref() == Some(allow), "{method} {path}: Allow {allowed:?}, not {allow:?}");
            if path.starts_with("/v1/") || method.as_str() == "QUERY" {
                expect_error(r, 405, ErrorCode::MethodNotAllowed).await?;
            }
        }
        // Nothing ran: the session is as it was.
        let after = stack.client()?.get_session(&session.id).await?;
        ensure!(after.status == SessionStatus::Open, "{after:?}");
        Ok(())
    });
}

#[test]
fn bad_merchant_input_gets_stable_errors() {
    with_stack(|stack| async move {
        let url = format!("{}/v1/sessions", stack.edge_url);
        let key = &stack.creds.merchant_key;
        let valid = serde_json::to_value(CreateSessionRequest::new(Fen(100), "tea", "BAD-1"))?;
        expect_error(http().post(&url).json(&valid).send().await?, 401, ErrorCode::Unauthorized).await?;
        expect_error(
            http().post(&url).bearer_auth("sk_test_wrong").json(&valid).send().await?,
            401,
            ErrorCode::Unauthorized,
        )
        .await?;
        expect_error(
            http().post(&url).bearer_auth(key).body("{\"amount\": 1,").send().await?,
            400,
            ErrorCode::InvalidJson,
        )
        .await?;
        let mut wrong_type = valid.clone();
        wrong_type["amount"] = json!("100");
        expect_error(
            http().post(&url).bearer_auth(key).json(&wrong_type).send().await?,
            400,
            ErrorCode::InvalidJson,
        )
        .await?;
        let mut zero = valid.clone();
        zero["amount"] = json!(0);
        expect_error(
            http().post(&url).bearer_auth(key).json(&zero).send().await?,
            400,
            ErrorCode::InvalidRequest,
        )
        .await?;
        let mut usd = valid.clone();
        usd["currency"] = json!("USD");
        expect_error(
            http().post(&url).bearer_auth(key).json(&usd).send().await?,
            400,
            ErrorCode::InvalidRequest,
        )
        .await?;
        let mut unknown_method = valid.clone();
        unknown_method["methods"] = json!(["bitcoin"]);
        let r = http().post(&url).bearer_auth(key).json(&unknown_method).send().await?;
        ensure!(r.status() == 400, "unknown method answered {}", r.status());
        let huge = json!({"amount": 1, "currency": "CNY", "subject": "x".repeat(64 * 1024), "merchant_order_no": "BIG", "methods": ["payzero_qr"]});
        expect_error(
            http().post(&url).bearer_auth(key).json(&huge).send().await?,
            413,
            ErrorCode::PayloadTooLarge,
        )
        .await?;
        // The checkout API never accepts an amount, and unknown secrets name nothing.
        expect_error(
            http().get(format!("{}/v1/checkout/sess_0000_secret_0000", stack.edge_url)).send().await?,
            404,
            ErrorCode::NotFound,
        )
        .await?;
        let session = create_session(&stack, 100, "BAD-2").await?;
        let r = checkout(&stack, Method::POST, &session.client_secret, "/qr")
            .json(&json!({"method": "payzero_qr", "channel": "wechat_pay", "amount": 1}))
            .send()
            .await?;
        expect_error(r, 400, ErrorCode::InvalidJson).await?;
        let r = checkout(&stack, Method::POST, &session.client_secret, "/qr")
            .json(&json!({"method": "payzero_qr", "channel": "paypal"}))
            .send()
            .await?;
        ensure!(r.status().is_client_error(), "an unknown channel answered {}", r.status());
        let view = checkout_view(&stack, &session.client_secret).await?;
        ensure!(view.amount == Fen(100) && view.status.as_str() == "open", "the session changed: {view:?}");
        Ok(())
    });
}

#[test]
fn forged_unconfirmed_and_replayed_notifications_change_nothing() {
    with_stack(|stack| async move {
        let session = create_session(&stack, 2500, "NOTIFY-1").await?;
        let cs = &session.client_secret;
        request_qr(&stack, cs, "alipay").await?;
        let before = checkout_view(&stack, cs).await?;
        let notify_url = format!("{}/v1/notify/payzero", stack.edge_url);
        let order_no = format!("{}_0", session.id);
        let msg_body = json!({"mchtOrderNo": order_no, "paymentAmount": 2500, "payStatus": "PAY_SUCCEED",
            "paymentOrderNo": "FORGED-1", "paymentDatetime": "20261123120000"})
        .to_string();
        let timestamp = 1_763_000_000_000u64;

        // Forged: signed with a token that is not ours.
        let forged = json!({"timestamp": timestamp, "msgType": "PAY_STATUS_NOTIFY", "msgBody": msg_body,
            "sign": payzero_notification_signature("not-the-token", &timestamp.to_string(), &msg_body)});
        let r = http().post(&notify_url).body(forged.to_string()).send().await?;
        let (code, text) = (r.status(), r.text().await?);
        ensure!(
            text.trim() != "OK" && !code.is_success(),
            "a forged notification was accepted: {code} {text}"
        );
        // Malformed.
        let r = http().post(&notify_url).body("{\"timestamp\":").send().await?;
        ensure!(!r.status().is_success(), "malformed notification answered {}", r.status());

        // Correctly signed, but the gateway has no such payment: the edge asks upstream first.
        let unconfirmed = json!({"timestamp": timestamp, "msgType": "PAY_STATUS_NOTIFY", "msgBody": msg_body,
            "sign": payzero_notification_signature(&stack.creds.payzero_sign_token, &timestamp.to_string(), &msg_body)});
        let _ = http().post(&notify_url).body(unconfirmed.to_string()).send().await?;
        let after = checkout_view(&stack, cs).await?;
        ensure!(
            after.status == before.status && after.status.as_str() == "open",
            "unconfirmed notification changed the status: {after:?}"
        );

        // The shopper pays; the sandbox sends its signed notification; the long-poll sees it.
        let r = http()
            .post(format!("{}/__admin/payzero/orders/{order_no}/pay", stack.sandbox_url))
            .send()
            .await?;
        ensure!(r.status().is_success(), "sandbox pay answered {}: {}", r.status(), r.text().await?);
        let mut update = status(&stack, cs, after.version).await?;
        for _ in 0..3 {
            if update.status.as_str() == "paid" {
                break;
            }
            update = status(&stack, cs, update.version).await?;
        }
        ensure!(update.status.as_str() == "paid", "not paid after the sandbox's notification: {update:?}");

        // Replaying the sandbox's own (valid) notification is acknowledged and changes nothing.
        let log: Value =
            http().get(format!("{}/__admin/notifications", stack.sandbox_url)).send().await?.json().await?;
        let body =
            find_body(&log, &session.id).context("the sandbox recorded no notification for the order")?;
        for _ in 0..2 {
            let r = http().post(&notify_url).body(body.clone()).send().await?;
            let text = r.text().await?;
            ensure!(text.trim() == "OK", "a replayed valid notification answered {text:?}");
        }
        let view = checkout_view(&stack, cs).await?;
        ensure!(
            view.version == update.version && view.status.as_str() == "paid",
            "a replay changed the session: {view:?}"
        );

        // The merchant sees it paid too.
        let merchant = stack.client()?.get_session(&session.id).await?;
        ensure!(merchant.status.as_str() == "paid", "merchant view: {merchant:?}");
        Ok(())
    });
}

/// The raw body of a recorded notification about `order_no`.
fn find_body(log: &Value, order_no: &str) -> Option<String> {
    let mut strings = Vec::new();
    collect_strings(log, &mut strings);
    strings.into_iter().find(|s| s.contains("\"msgBody\"") && s.contains(order_no))
}
