//! Refunds end to end through `checkout-client`, on every gateway: a full refund of one paid
//! session, two partial ones of another and a third above what is left refused; EZR's refund
//! pending until approved in its back office; a refund Payzero fails; refunds of an unpaid
//! session refused; an `Idempotency-Key` retried (one refund) and reused with another body; the
//! merchant's events.

use crate::api::request_qr;
use crate::gateways::{admin, barcode, create, wait_until, webhook};
use crate::with_stack;
use anyhow::{Result, bail, ensure};
use checkout_client::api::{
    ErrorCode, PaymentMethod, RefundRequest, RefundStatus, RefundView, SessionCreated, SessionStatus,
};
use checkout_client::{Client, Error, Fen};
use checkout_tests::{Stack, WebhookSink};
use serde_json::json;
use std::time::{Duration, Instant};

/// What `gateways::create` charges.
const PAID: u64 = 1234;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Gateway {
    Payzero,
    Shouqianba,
    Ezr,
}

/// A session paid on `gateway`, notifying `sink`.
async fn paid_session(
    stack: &Stack,
    gateway: Gateway,
    order_no: &str,
    sink: &WebhookSink,
) -> Result<SessionCreated> {
    let method = match gateway {
        Gateway::Payzero => PaymentMethod::PayzeroQr,
        Gateway::Shouqianba => PaymentMethod::ShouqianbaBarcode,
        Gateway::Ezr => PaymentMethod::EzrBarcode,
    };
    let session = create(stack, order_no, &[method], Some(sink)).await?;
    let cs = &session.client_secret;
    match gateway {
        Gateway::Payzero => {
            request_qr(stack, cs, "alipay").await?;
            admin(stack, &format!("/payzero/orders/{}_0/pay", session.id), json!({})).await?;
        }
        // Codes the sandboxes pay at once.
        Gateway::Shouqianba => drop(barcode(stack, cs, "shouqianba_barcode", "134567890123450000").await?),
        Gateway::Ezr => drop(barcode(stack, cs, "ezr_barcode", "284567890123450000").await?),
    }
    wait_until(stack, cs, Duration::from_secs(30), |u| u.status == SessionStatus::Paid).await?;
    Ok(session)
}

fn amount(fen: u64) -> RefundRequest {
    RefundRequest { amount: Some(Fen(fen)), reason: Some("退货 returned".into()) }
}

/// Reads the refund until it is no longer pending (bounded), moving it along the way with the
/// gateway's control where one is needed.
async fn settled(client: &Client, session: &str, refund: &RefundView) -> Result<RefundView> {
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        let now = client.get_refund(session, &refund.id).await?;
        if now.status != RefundStatus::Pending {
            return Ok(now);
        }
        if Instant::now() >= deadline {
            bail!("refund still pending: {now:?}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Ends a pending refund at the gateway as its back office would: Payzero's refund settles, an
/// EZR application is approved. Shouqianba refunds are done at once.
async fn approve(stack: &Stack, gateway: Gateway, refund: &RefundView) -> Result<()> {
    match gateway {
        Gateway::Payzero => {
            drop(admin(stack, &format!("/payzero/refunds/{}/succeed", refund.id), json!({})).await?)
        }
        Gateway::Ezr => {
            let Some(no) = &refund.gateway_refund_no else {
                bail!("an EZR refund without its RefundNo: {refund:?}")
            };
            drop(admin(stack, &format!("/ezr/refunds/{no}/approve"), json!({})).await?);
        }
        Gateway::Shouqianba => {}
    }
    Ok(())
}

fn expect_code<T: std::fmt::Debug>(result: Result<T, Error>, code: ErrorCode) -> Result<()> {
    match result {
        Err(Error::Api { status: 409, error, .. }) if error.code == code => Ok(()),
        other => bail!("expected 409 {}, got {other:?}", code.as_str()),
    }
}

/// A full refund on one session; two partial ones, one too many and the rest on another.
async fn refunds_on(stack: &Stack, gateway: Gateway) -> Result<()> {
    let client = stack.client()?;
    let sink = WebhookSink::start().await?;
    let tag = format!("{gateway:?}").to_uppercase();

    let full = paid_session(stack, gateway, &format!("RF-{tag}-1"), &sink).await?;
    let refund = client.refund(&full.id, &RefundRequest::default()).await?;
    ensure!(refund.amount == Fen(PAID) && refund.session_id == full.id, "{refund:?}");
    if gateway == Gateway::Ezr {
        // Applied, and pending until someone approves it in the EZR back office.
        ensure!(refund.status == RefundStatus::Pending, "{refund:?}");
        tokio::time::sleep(Duration::from_secs(6)).await;
        let still = client.get_refund(&full.id, &refund.id).await?;
        ensure!(still.status == RefundStatus::Pending, "an unapproved EZR refund ended: {still:?}");
    }
    approve(stack, gateway, &refund).await?;
    let done = settled(&client, &full.id, &refund).await?;
    ensure!(done.status == RefundStatus::Succeeded && done.finished_at.is_some(), "{done:?}");
    let event = webhook(&sink, "checkout.refund.succeeded").await?;
    ensure!(
        event["data"]["refund"]["id"] == refund.id.as_str() && event["data"]["id"] == full.id.as_str(),
        "{event}"
    );
    let after = client.get_session(&full.id).await?;
    ensure!(after.amount_refunded == Fen(PAID) && after.refunds.len() == 1, "{after:?}");
    expect_code(client.refund(&full.id, &amount(1)).await, ErrorCode::RefundExceedsPayment)?;

    let partial = paid_session(stack, gateway, &format!("RF-{tag}-2"), &sink).await?;
    let first = client.refund(&partial.id, &amount(300)).await?;
    let second = client.refund(&partial.id, &amount(400)).await?;
    ensure!(first.id != second.id, "two refunds share an id");
    // 534 fen are left: 600 is refused and changes nothing.
    expect_code(client.refund(&partial.id, &amount(600)).await, ErrorCode::RefundExceedsPayment)?;
    for refund in [&first, &second] {
        approve(stack, gateway, refund).await?;
        ensure!(settled(&client, &partial.id, refund).await?.status == RefundStatus::Succeeded, "{refund:?}");
    }
    let rest = client.refund(&partial.id, &RefundRequest::default()).await?;
    ensure!(rest.amount == Fen(PAID - 700), "the rest: {rest:?}");
    approve(stack, gateway, &rest).await?;
    ensure!(settled(&client, &partial.id, &rest).await?.status == RefundStatus::Succeeded, "{rest:?}");
    let after = client.get_session(&partial.id).await?;
    ensure!(after.amount_refunded == Fen(PAID) && after.refunds.len() == 3, "{after:?}");
    ensure!(after.status == SessionStatus::Paid, "a refunded session stays paid: {after:?}");
    Ok(())
}

#[test]
fn payzero_refunds_full_and_partial() {
    with_stack(|stack| async move { refunds_on(&stack, Gateway::Payzero).await });
}

#[test]
fn shouqianba_refunds_full_and_partial() {
    with_stack(|stack| async move { refunds_on(&stack, Gateway::Shouqianba).await });
}

#[test]
fn ezr_refunds_wait_for_approval() {
    with_stack(|stack| async move { refunds_on(&stack, Gateway::Ezr).await });
}

#[test]
fn refunds_are_refused_safe_to_retry_and_can_fail() {
    with_stack(|stack| async move {
        let client = stack.client()?;
        let sink = WebhookSink::start().await?;

        // Not paid: refused, nothing recorded.
        let open = create(&stack, "RF-OPEN", &[PaymentMethod::PayzeroQr], None).await?;
        expect_code(client.refund(&open.id, &RefundRequest::default()).await, ErrorCode::SessionNotPaid)?;
        ensure!(client.get_session(&open.id).await?.refunds.is_empty(), "a refused refund was recorded");

        // The same key twice: one refund. The key with another body: a conflict.
        let paid = paid_session(&stack, Gateway::Payzero, "RF-IDEM", &sink).await?;
        let keyed = client.with_idempotency_key("refund-RF-IDEM-1");
        let first = keyed.refund(&paid.id, &amount(500)).await?;
        let again = keyed.refund(&paid.id, &amount(500)).await?;
        ensure!(first == again, "a retried refund differs: {first:?} {again:?}");
        match keyed.refund(&paid.id, &amount(501)).await {
            Err(Error::Api { status: 409, error, .. }) if error.code == ErrorCode::IdempotencyConflict => {}
            other => bail!("a reused key with another body answered {other:?}"),
        }
        let session = client.get_session(&paid.id).await?;
        ensure!(session.refunds.len() == 1 && session.amount_refunding == Fen(500), "{session:?}");

        // Payzero fails it: failed, with its code, the amount free again, and an event.
        admin(&stack, &format!("/payzero/refunds/{}/fail", first.id), json!({})).await?;
        let failed = settled(&client, &paid.id, &first).await?;
        ensure!(failed.status == RefundStatus::Failed && failed.failure_code.is_some(), "{failed:?}");
        let event = webhook(&sink, "checkout.refund.failed").await?;
        ensure!(event["data"]["refund"]["status"] == "failed", "{event}");
        let session = client.get_session(&paid.id).await?;
        ensure!(session.amount_refunded == Fen(0) && session.amount_refunding == Fen(0), "{session:?}");

        // Bad input changes nothing.
        match client.refund(&paid.id, &amount(0)).await {
            Err(Error::Api { status: 400, .. }) => {}
            other => bail!("a zero refund answered {other:?}"),
        }
        match client.get_refund(&paid.id, "re_nope").await {
            Err(Error::Api { status: 404, .. }) => {}
            other => bail!("an unknown refund answered {other:?}"),
        }
        ensure!(client.get_session(&paid.id).await?.refunds.len() == 1, "bad input recorded a refund");
        Ok(())
    });
}
