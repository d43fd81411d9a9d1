//! The methods beyond Payzero QR, through the real runtime and the sandbox, as a merchant's
//! server and a shopper's browser would call the edge: Shouqianba QR, Shouqianba and EZR cashier
//! barcodes (success, in progress, past the deadline, declined, NOTPAY), a terminal check-in in
//! the middle of a payment, an amount mismatch and two paid attempts (`requires_attention`), and
//! a session offering every method where the shopper switches and pays once.

use crate::api::{checkout, checkout_view, http, status};
use crate::with_stack;
use anyhow::{Context, Result, bail, ensure};
use checkout_shared::Fen;
use checkout_shared::api::{
    BarcodeState, BarcodeView, CreateSessionRequest, PaymentMethod, QrView, SessionCreated, SessionStatus,
    StatusUpdate,
};
use checkout_tests::{Stack, WebhookSink};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const AMOUNT: u64 = 1234;

pub(crate) async fn create(
    stack: &Stack,
    order_no: &str,
    methods: &[PaymentMethod],
    hooks: Option<&WebhookSink>,
) -> Result<SessionCreated> {
    let request =
        CreateSessionRequest::new(Fen(AMOUNT), "E2E 收银台", order_no).with_methods(methods.to_vec());
    create_with(stack, request, hooks).await
}

/// Creates the session `request` describes as a merchant server would, notifying `hooks`.
pub(crate) async fn create_with(
    stack: &Stack,
    mut request: CreateSessionRequest,
    hooks: Option<&WebhookSink>,
) -> Result<SessionCreated> {
    if let Some(sink) = hooks {
        request = request.with_notify_url(&sink.url);
    }
    Ok(stack.client()?.create_session(&request).await?)
}

async fn qr(stack: &Stack, cs: &str, method: &str, channel: &str) -> Result<QrView> {
    let r = checkout(stack, Method::POST, cs, "/qr")
        .json(&json!({"method": method, "channel": channel}))
        .send()
        .await?;
    ensure!(r.status() == 200, "qr answered {}: {}", r.status(), r.text().await?);
    Ok(r.json().await?)
}

pub(crate) async fn barcode(stack: &Stack, cs: &str, method: &str, code: &str) -> Result<BarcodeView> {
    let r = checkout(stack, Method::POST, cs, "/barcode")
        .json(&json!({"method": method, "code": code}))
        .send()
        .await?;
    ensure!(r.status() == 202, "barcode answered {}: {}", r.status(), r.text().await?);
    Ok(r.json().await?)
}

/// Every request the sandbox recorded to `path`, oldest first (its `/__admin/requests` log).
pub(crate) async fn sandbox_requests(stack: &Stack, path: &str) -> Result<Vec<Value>> {
    let log: Value = http()
        .get(format!("{}/__admin/requests?path={path}", stack.sandbox_url))
        .send()
        .await?
        .json()
        .await?;
    Ok(log.as_array().cloned().unwrap_or_default())
}

/// How many requests to `path` carry `needle` (an order number) in their body.
pub(crate) async fn requests_to(stack: &Stack, path: &str, needle: &str) -> Result<usize> {
    let log = sandbox_requests(stack, path).await?;
    Ok(log.iter().filter(|r| r["body"].as_str().is_some_and(|b| b.contains(needle))).count())
}

pub(crate) async fn admin(stack: &Stack, path: &str, body: Value) -> Result<Value> {
    let r = http().post(format!("{}/__admin{path}", stack.sandbox_url)).json(&body).send().await?;
    let (code, text) = (r.status(), r.text().await?);
    ensure!(code.is_success(), "admin {path} answered {code}: {text}");
    // Some controls answer with no body.
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Long-polls until `done` holds or `limit` passes (each poll is bounded by the edge's wait).
pub(crate) async fn wait_until(
    stack: &Stack,
    cs: &str,
    limit: Duration,
    done: impl Fn(&StatusUpdate) -> bool,
) -> Result<StatusUpdate> {
    let deadline = Instant::now() + limit;
    let mut update = status(stack, cs, 0).await?;
    while !done(&update) {
        if Instant::now() >= deadline {
            bail!("still {update:?} after {limit:?}");
        }
        update = status(stack, cs, update.version).await?;
    }
    Ok(update)
}

/// Waits (bounded) for the merchant's endpoint to receive an event of `kind`.
pub(crate) async fn webhook(sink: &WebhookSink, kind: &str) -> Result<Value> {
    for _ in 0..100 {
        if let Some(event) = sink.events().into_iter().find(|e| e["type"] == kind) {
            return Ok(event);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("no {kind} event; received {:?}", sink.events())
}

async fn sandbox_state(stack: &Stack) -> Result<Value> {
    Ok(http().get(format!("{}/__admin/state", stack.sandbox_url)).send().await?.json().await?)
}

/// The Shouqianba order `client_sn` as the sandbox holds it.
async fn sqb_order(stack: &Stack, client_sn: &str) -> Result<Value> {
    let state = sandbox_state(stack).await?;
    let orders = &state["shouqianba"]["orders"];
    let found = match orders {
        Value::Object(map) => map.values().find(|o| o["client_sn"] == client_sn).cloned(),
        Value::Array(list) => list.iter().find(|o| o["client_sn"] == client_sn).cloned(),
        _ => None,
    };
    found.with_context(|| format!("no Shouqianba order {client_sn} in {}", state["shouqianba"]))
}

#[test]
fn shouqianba_qr_paid_by_the_shopper_and_canceled_with_the_session() {
    with_stack(|stack| async move {
        let sink = WebhookSink::start().await?;
        let session = create(&stack, "SQB-QR-1", &[PaymentMethod::ShouqianbaQr], Some(&sink)).await?;
        let cs = &session.client_secret;
        let code = qr(&stack, cs, "shouqianba_qr", "wechat_pay").await?;
        ensure!(code.method == PaymentMethod::ShouqianbaQr && !code.qr_content.is_empty(), "{code:?}");
        let order_no = format!("{}_0", session.id);
        let order = sqb_order(&stack, &order_no).await?;
        ensure!(order["qr_code"] == code.qr_content.as_str(), "the QR is not the sandbox's: {order}");
        // UnionPay is not a Shouqianba wallet.
        let r = checkout(&stack, Method::POST, cs, "/qr")
            .json(&json!({"method": "shouqianba_qr", "channel": "unionpay"}))
            .send()
            .await?;
        ensure!(r.status() == 400, "a UnionPay Shouqianba QR answered {}", r.status());

        admin(&stack, &format!("/shouqianba/orders/{order_no}/pay"), json!({})).await?;
        let paid =
            wait_until(&stack, cs, Duration::from_secs(30), |u| u.status == SessionStatus::Paid).await?;
        ensure!(paid.paid_at.is_some(), "{paid:?}");
        let event = webhook(&sink, "checkout.session.paid").await?;
        ensure!(event["data"]["payment_method"] == "shouqianba_qr", "{event}");
        ensure!(event["data"]["order_no"] == order_no.as_str(), "{event}");

        // Another session: canceled by the merchant, its precreate order is canceled upstream.
        let other = create(&stack, "SQB-QR-2", &[PaymentMethod::ShouqianbaQr], None).await?;
        qr(&stack, &other.client_secret, "shouqianba_qr", "alipay").await?;
        stack.client()?.cancel_session(&other.id).await?;
        let order = sqb_order(&stack, &format!("{}_0", other.id)).await?;
        ensure!(order["order_status"] == "CANCELED", "the precreate order was not canceled: {order}");
        Ok(())
    });
}

#[test]
fn shouqianba_barcode_success_progress_deadline_and_decline() {
    with_stack(|stack| async move {
        let sink = WebhookSink::start().await?;
        let methods = [PaymentMethod::ShouqianbaBarcode];
        // Paid at once.
        let s1 = create(&stack, "SQB-BC-1", &methods, Some(&sink)).await?;
        let view = barcode(&stack, &s1.client_secret, "shouqianba_barcode", "134567890123450000").await?;
        ensure!(view.state == BarcodeState::Paid, "{view:?}");
        ensure!(checkout_view(&stack, &s1.client_secret).await?.status == SessionStatus::Paid, "not paid");
        let event = webhook(&sink, "checkout.session.paid").await?;
        ensure!(event["data"]["payment_method"] == "shouqianba_barcode", "{event}");

        // In progress, then the shopper confirms on the phone: the edge's polls see it.
        let s2 = create(&stack, "SQB-BC-2", &methods, None).await?;
        let view = barcode(&stack, &s2.client_secret, "shouqianba_barcode", "134567890123451001").await?;
        ensure!(view.state == BarcodeState::Processing, "{view:?}");
        admin(&stack, &format!("/shouqianba/orders/{}_0/pay", s2.id), json!({})).await?;
        wait_until(&stack, &s2.client_secret, Duration::from_secs(30), |u| u.status == SessionStatus::Paid)
            .await?;

        // Declined: no money moved, and the cashier may scan another code.
        let s3 = create(&stack, "SQB-BC-3", &methods, None).await?;
        let view = barcode(&stack, &s3.client_secret, "shouqianba_barcode", "134567890123452002").await?;
        ensure!(
            view.state == BarcodeState::Declined && view.reason.as_deref() == Some("INSUFFICIENT_FUND"),
            "{view:?}"
        );
        // A malformed code never reaches the gateway.
        let r = checkout(&stack, Method::POST, &s3.client_secret, "/barcode")
            .json(&json!({"method": "shouqianba_barcode", "code": "12ab"}))
            .send()
            .await?;
        ensure!(r.status() == 400, "a malformed code answered {}", r.status());

        // Left unconfirmed past the deadline (30 s in the test stack): canceled upstream.
        let s4 = create(&stack, "SQB-BC-4", &methods, None).await?;
        let started = Instant::now();
        barcode(&stack, &s4.client_secret, "shouqianba_barcode", "134567890123451001").await?;
        let update = wait_until(&stack, &s4.client_secret, Duration::from_secs(60), |u| {
            u.barcode.as_ref().is_some_and(|b| b.state != BarcodeState::Processing)
        })
        .await?;
        ensure!(update.barcode.as_ref().is_some_and(|b| b.state == BarcodeState::Canceled), "{update:?}");
        ensure!(started.elapsed() >= Duration::from_secs(30), "canceled before the deadline");
        ensure!(update.status == SessionStatus::Open, "the session must stay open for another code");
        let order = sqb_order(&stack, &format!("{}_0", s4.id)).await?;
        ensure!(order["order_status"] == "CANCELED", "not canceled upstream: {order}");
        // The edge polled every 5 s meanwhile, not faster.
        let queries = requests_to(&stack, "/shouqianba/upay/v2/query", &format!("{}_0", s4.id)).await?;
        ensure!((4..=8).contains(&queries), "{queries} queries in 30 s");
        Ok(())
    });
}

#[test]
fn ezr_barcode_success_and_notpay_canceled() {
    with_stack(|stack| async move {
        let methods = [PaymentMethod::EzrBarcode];
        let s1 = create(&stack, "EZR-1", &methods, None).await?;
        let view = barcode(&stack, &s1.client_secret, "ezr_barcode", "284567890123450000").await?;
        ensure!(view.state == BarcodeState::Paid, "{view:?}");
        ensure!(checkout_view(&stack, &s1.client_secret).await?.status == SessionStatus::Paid, "not paid");
        // SpbillCreateIp is the address the cashier's browser called from (CF-Connecting-IP, or
        // the documented fallback), never an invented value.
        let pays = sandbox_requests(&stack, "/ezr/upay/pay").await?;
        let body: Value = serde_json::from_str(pays[0]["body"].as_str().unwrap_or("{}"))?;
        let ip = body["SpbillCreateIp"].as_str().unwrap_or_default();
        ensure!(ip.parse::<std::net::IpAddr>().is_ok() && body["TerminalId"] == "checkout-edge", "{body}");

        let s2 = create(&stack, "EZR-2", &methods, None).await?;
        let view = barcode(&stack, &s2.client_secret, "ezr_barcode", "284567890123453001").await?;
        ensure!(view.state == BarcodeState::Canceled, "NOTPAY must be canceled at once: {view:?}");
        let log = sandbox_requests(&stack, "/ezr/upay/cancel").await?;
        ensure!(log.len() == 1, "one cancel expected: {log:?}");
        Ok(())
    });
}

#[test]
fn a_terminal_check_in_mid_payment_rotates_the_key_and_the_payment_completes() {
    with_stack(|stack| async move {
        let session = create(&stack, "SQB-ROT-1", &[PaymentMethod::ShouqianbaBarcode], None).await?;
        let cs = &session.client_secret;
        barcode(&stack, cs, "shouqianba_barcode", "134567890123451001").await?;
        let before = sandbox_state(&stack).await?["shouqianba"]["terminals"].to_string();
        stack.client()?.checkin_shouqianba_terminal().await?;
        let after = sandbox_state(&stack).await?["shouqianba"]["terminals"].to_string();
        ensure!(before != after, "the terminal's key did not change");
        admin(&stack, &format!("/shouqianba/orders/{}_0/pay", session.id), json!({})).await?;
        // The polls after the check-in are signed with the new key, or the sandbox would refuse.
        wait_until(&stack, cs, Duration::from_secs(30), |u| u.status == SessionStatus::Paid).await?;
        Ok(())
    });
}

#[test]
fn an_amount_mismatch_or_two_paid_attempts_require_attention() {
    with_stack(|stack| async move {
        let sink = WebhookSink::start().await?;
        let s1 = create(&stack, "ATTN-1", &[PaymentMethod::ShouqianbaQr], Some(&sink)).await?;
        qr(&stack, &s1.client_secret, "shouqianba_qr", "wechat_pay").await?;
        admin(&stack, &format!("/shouqianba/orders/{}_0/pay", s1.id), json!({"amount": 1})).await?;
        let update =
            wait_until(&stack, &s1.client_secret, Duration::from_secs(30), |u| u.status.is_final()).await?;
        ensure!(update.status == SessionStatus::RequiresAttention, "{update:?}");
        let event = webhook(&sink, "checkout.session.requires_attention").await?;
        ensure!(event["data"]["attention"].as_str().is_some_and(|a| a.contains("1 fen")), "{event}");
        ensure!(!sink.events().iter().any(|e| e["type"] == "checkout.session.paid"), "a paid event was sent");
        // The line an operator's alert keys on (docs/deploy.md), once, naming the session.
        let alert = format!("ALERT requires_attention: session {}", s1.id);
        let mut seen = 0;
        for _ in 0..50 {
            seen = stack.our_full_logs().iter().map(|(_, text)| text.matches(&alert).count()).sum::<usize>();
            if seen > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        ensure!(seen == 1, "the edge logged {alert:?} {seen} times");

        let s2 = create(&stack, "ATTN-2", &[PaymentMethod::ShouqianbaQr], Some(&sink)).await?;
        qr(&stack, &s2.client_secret, "shouqianba_qr", "wechat_pay").await?;
        qr(&stack, &s2.client_secret, "shouqianba_qr", "alipay").await?;
        admin(&stack, &format!("/shouqianba/orders/{}_0/pay", s2.id), json!({})).await?;
        admin(&stack, &format!("/shouqianba/orders/{}_1/pay", s2.id), json!({})).await?;
        let update = wait_until(&stack, &s2.client_secret, Duration::from_secs(30), |u| {
            u.status == SessionStatus::RequiresAttention
        })
        .await?;
        ensure!(update.status == SessionStatus::RequiresAttention, "{update:?}");
        Ok(())
    });
}

#[test]
fn a_session_offering_every_method_is_paid_once_after_switching() {
    with_stack(|stack| async move {
        let sink = WebhookSink::start().await?;
        let methods = [
            PaymentMethod::PayzeroQr,
            PaymentMethod::ShouqianbaQr,
            PaymentMethod::ShouqianbaBarcode,
            PaymentMethod::EzrBarcode,
        ];
        let session = create(&stack, "ALL-1", &methods, Some(&sink)).await?;
        let cs = &session.client_secret;
        let view = checkout_view(&stack, cs).await?;
        ensure!(view.methods == methods, "{view:?}");
        let pz = qr(&stack, cs, "payzero_qr", "wechat_pay").await?;
        ensure!(pz.qr_content.starts_with("weixin://"), "{pz:?}");
        let sqb = qr(&stack, cs, "shouqianba_qr", "alipay").await?;
        ensure!(checkout_view(&stack, cs).await?.qr.as_ref() == Some(&sqb), "the view shows another code");
        let declined = barcode(&stack, cs, "shouqianba_barcode", "134567890123452002").await?;
        ensure!(declined.state == BarcodeState::Declined, "{declined:?}");
        let paid = barcode(&stack, cs, "ezr_barcode", "284567890123450000").await?;
        ensure!(paid.state == BarcodeState::Paid, "{paid:?}");
        let event = webhook(&sink, "checkout.session.paid").await?;
        ensure!(event["data"]["payment_method"] == "ezr_barcode", "{event}");
        ensure!(event["data"]["order_no"] == format!("{}_3", session.id).as_str(), "{event}");
        // The open Shouqianba QR order was canceled; only one paid event was ever sent.
        let order = sqb_order(&stack, &format!("{}_1", session.id)).await?;
        ensure!(order["order_status"] == "CANCELED", "{order}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let paid_events = sink.events().iter().filter(|e| e["type"] == "checkout.session.paid").count();
        ensure!(paid_events == 1, "{paid_events} paid events");
        // Every webhook verifies with the merchant's secret.
        for (signature, body) in sink.requests() {
            let now = checkout_shared::sign::webhook_verify(
                &signature,
                &body,
                &stack.creds.webhook_secret,
                unix_now(),
                300,
            );
            ensure!(now.is_ok(), "a webhook does not verify: {signature}");
        }
        Ok(())
    });
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[test]
fn a_revoked_payzero_token_is_replaced_without_the_shopper_noticing() {
    with_stack(|stack| async move {
        let session = create(&stack, "RELOGIN-1", &[PaymentMethod::PayzeroQr], None).await?;
        let cs = &session.client_secret;
        qr(&stack, cs, "payzero_qr", "wechat_pay").await?;
        // Every token issued so far is now unknown to Payzero: it answers 401 (spec: bad token).
        admin(&stack, "/payzero/tokens/revoke", json!({})).await?;
        let code = qr(&stack, cs, "payzero_qr", "alipay").await?;
        ensure!(code.qr_content.starts_with("https://qr.alipay.com/"), "{code:?}");
        let log = sandbox_requests(&stack, "/payzero/auth/login").await?;
        ensure!(log.len() == 2, "one login, then one more after the 401: {log:?}");
        Ok(())
    });
}
