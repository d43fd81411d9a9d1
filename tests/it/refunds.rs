//! Refunds end to end through `checkout-client`, on every gateway: a full refund of one paid
//! session, two partial ones of another and a third above what is left refused; Shouqianba's
//! refund naming the order by `sn` and `client_sn`, EZR's by our `OutRefundNo`; for a merchant
//! whose EZR account needs approval, an application pending until approved in its back office,
//! and one rejected there requiring attention; a refund Payzero fails; refunds of an unpaid
//! session refused; an `Idempotency-Key` retried (one refund) and reused with another body; the
//! merchant's events.

use crate::api::request_qr;
use crate::gateways::{admin, barcode, create, sandbox_requests, wait_until, webhook};
use crate::{with_stack, with_stack_setup};
use anyhow::{Result, bail, ensure};
use checkout_client::api::{
    ErrorCode, PaymentMethod, RefundRequest, RefundStatus, RefundView, SessionCreated, SessionStatus,
};
use checkout_client::{Client, Error, Fen};
use checkout_tests::{Setup, Stack, WebhookSink};
use serde_json::json;
use std::time::{Duration, Instant};

/// What `gateways::create` charges.
const PAID: u64 = 1234;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Gateway {
    Payzero,
    Shouqianba,
    Ezr,
    /// EZR for a merchant whose account needs each refund approved (`EZR_REFUND_APPROVAL`).
    EzrApply,
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
        Gateway::Ezr | Gateway::EzrApply => PaymentMethod::EzrBarcode,
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
        Gateway::Ezr | Gateway::EzrApply => {
            drop(barcode(stack, cs, "ezr_barcode", "284567890123450000").await?)
        }
    }
    wait_until(stack, cs, Duration::from_secs(30), |u| u.status == SessionStatus::Paid).await?;
    Ok(session)
}

fn amount(fen: u64) -> RefundRequest {
    RefundRequest { amount: Some(Fen(fen)), reason: Some("退货 returned".into()) }
}

/// Reads the refund until it is no longer pending (bounded).
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
/// EZR application is approved. Shouqianba and EZR refunds are done at once.
async fn approve(stack: &Stack, gateway: Gateway, refund: &RefundView) -> Result<()> {
    match gateway {
        Gateway::Payzero => {
            drop(admin(stack, &format!("/payzero/refunds/{}/succeed", refund.id), json!({})).await?)
        }
        Gateway::EzrApply => {
            let no = ezr_refund_no(refund)?;
            drop(admin(stack, &format!("/ezr/refunds/{no}/approve"), json!({})).await?);
        }
        Gateway::Shouqianba | Gateway::Ezr => {}
    }
    Ok(())
}

fn ezr_refund_no(refund: &RefundView) -> Result<&str> {
    match &refund.gateway_refund_no {
        Some(no) => Ok(no),
        None => bail!("an EZR refund without its RefundNo: {refund:?}"),
    }
}

/// The bodies the sandbox received at `path`, as JSON.
async fn bodies(stack: &Stack, path: &str) -> Result<Vec<serde_json::Value>> {
    let log = sandbox_requests(stack, path).await?;
    Ok(log.iter().filter_map(|r| serde_json::from_str(r["body"].as_str()?).ok()).collect())
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
    if gateway == Gateway::EzrApply {
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
fn shouqianba_refunds_name_the_order_by_sn_and_client_sn() {
    with_stack(|stack| async move {
        let client = stack.client()?;
        let sink = WebhookSink::start().await?;
        let paid = paid_session(&stack, Gateway::Shouqianba, "RF-SQB-SN", &sink).await?;
        let refund = client.refund(&paid.id, &amount(34)).await?;
        ensure!(settled(&client, &paid.id, &refund).await?.status == RefundStatus::Succeeded, "{refund:?}");
        let sent = bodies(&stack, "/shouqianba/upay/v2/refund").await?;
        let [body] = &sent[..] else { bail!("one refund upstream, not {sent:?}") };
        let sn = body["sn"].as_str().unwrap_or_default();
        ensure!(sn.len() == 16 && sn.bytes().all(|b| b.is_ascii_digit()), "no sn: {body}");
        ensure!(body["client_sn"] == format!("{}_0", paid.id).as_str(), "{body}");
        ensure!(
            body["refund_request_no"] == refund.id.as_str() && body["operator"] == "checkout-edge",
            "{body}"
        );
        Ok(())
    });
}

#[test]
fn ezr_refunds_full_and_partial_by_our_out_refund_no() {
    with_stack(|stack| async move {
        refunds_on(&stack, Gateway::Ezr).await?;
        let sent = bodies(&stack, "/ezr/upay/refund").await?;
        ensure!(sent.len() == 4, "one §5 refund per refund: {sent:?}");
        for body in &sent {
            let reason = body["RefundReason"].as_str().unwrap_or_default();
            ensure!(
                body["OutRefundNo"].as_str().is_some_and(|no| no.starts_with("sess_") && no.contains('r'))
                    && ["退货 returned", "商户退款"].contains(&reason)
                    && body["TerminalId"] == "checkout-edge",
                "{body}"
            );
        }
        ensure!(bodies(&stack, "/ezr/upay/refund/apply").await?.is_empty(), "nothing applied");
        Ok(())
    });
}

fn approval() -> Setup {
    Setup { vars: vec![("EZR_REFUND_APPROVAL".into(), "true".into())], ..Setup::default() }
}

#[test]
fn ezr_applications_wait_for_approval() {
    with_stack_setup(&approval(), |stack| async move { refunds_on(&stack, Gateway::EzrApply).await });
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

#[test]
fn an_ezr_application_rejected_requires_attention() {
    with_stack_setup(&approval(), |stack| async move {
        let client = stack.client()?;
        let sink = WebhookSink::start().await?;
        let paid = paid_session(&stack, Gateway::EzrApply, "RF-EZR-REJECT", &sink).await?;
        let refund = client.refund(&paid.id, &amount(500)).await?;
        ensure!(refund.status == RefundStatus::Pending, "{refund:?}");
        let no = ezr_refund_no(&refund)?;
        admin(&stack, &format!("/ezr/refunds/{no}/reject"), json!({})).await?;
        let ended = settled(&client, &paid.id, &refund).await?;
        ensure!(ended.status == RefundStatus::RequiresAttention, "{ended:?}");
        ensure!(ended.attention.as_deref().is_some_and(|a| a.contains(no)), "{ended:?}");
        let event = webhook(&sink, "checkout.refund.requires_attention").await?;
        ensure!(event["data"]["refund"]["status"] == "requires_attention", "{event}");
        // What may have been refunded is not offered again, and nothing was applied twice.
        let session = client.get_session(&paid.id).await?;
        ensure!(session.amount_refunding == Fen(500) && session.status == SessionStatus::Paid, "{session:?}");
        expect_code(client.refund(&paid.id, &amount(PAID - 499)).await, ErrorCode::RefundExceedsPayment)?;
        ensure!(bodies(&stack, "/ezr/upay/refund/apply").await?.len() == 1, "applied twice");
        Ok(())
    });
}

/// Waits (bounded) until the refund is no longer pending, longer than `settled`: the edge's
/// first follow-up of an undecided refund comes 5 s later, and a machine may be slow.
async fn settled_after_follow_up(client: &Client, session: &str, refund: &RefundView) -> Result<RefundView> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let now = client.get_refund(session, &refund.id).await?;
        if now.status != RefundStatus::Pending || Instant::now() >= deadline {
            return Ok(now);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[test]
fn refund_answers_no_spec_decides_are_settled_by_asking_again() {
    with_stack(|stack| async move {
        let client = stack.client()?;
        let sink = WebhookSink::start().await?;

        // EZR refunds, but answers a BusinessCode its spec lacks: the same OutRefundNo is sent
        // again and answers the refund that was made — succeeded, one refund at EZR.
        let paid = paid_session(&stack, Gateway::Ezr, "RF-EZR-4999", &sink).await?;
        let rule = json!({"endpoint": "/ezr/upay/refund", "kind": "refuse", "code": "4999",
            "message": "某种新情况", "processed": true});
        admin(&stack, "/faults", rule).await?;
        let refund = client.refund(&paid.id, &amount(200)).await?;
        ensure!(refund.status == RefundStatus::Pending, "decided on an unknown code: {refund:?}");
        let done = settled_after_follow_up(&client, &paid.id, &refund).await?;
        ensure!(done.status == RefundStatus::Succeeded, "{done:?}");
        let sent = bodies(&stack, "/ezr/upay/refund").await?;
        ensure!(sent.len() == 2 && sent[0]["OutRefundNo"] == sent[1]["OutRefundNo"], "{sent:?}");

        // Shouqianba answers REFUND_REQUEST_CONFLICT for a refund it made: the order's query
        // shows it refunded — succeeded, never failed.
        let paid = paid_session(&stack, Gateway::Shouqianba, "RF-SQB-CONFLICT", &sink).await?;
        let rule = json!({"endpoint": "/shouqianba/upay/v2/refund", "kind": "refuse",
            "code": "REFUND_REQUEST_CONFLICT", "message": "重复的退款请求", "processed": true});
        admin(&stack, "/faults", rule).await?;
        let refund = client.refund(&paid.id, &amount(300)).await?;
        ensure!(refund.status == RefundStatus::Pending, "{refund:?}");
        let done = settled_after_follow_up(&client, &paid.id, &refund).await?;
        ensure!(done.status == RefundStatus::Succeeded, "{done:?}");
        ensure!(bodies(&stack, "/shouqianba/upay/v2/refund").await?.len() == 1, "the conflict was resent");

        // REFUND_ERROR: a person, at once, with Shouqianba's words.
        let paid = paid_session(&stack, Gateway::Shouqianba, "RF-SQB-ERROR", &sink).await?;
        let rule = json!({"endpoint": "/shouqianba/upay/v2/refund", "kind": "refuse", "result": "REFUND_ERROR",
            "message": "请立即进行人工介入"});
        admin(&stack, "/faults", rule).await?;
        let refund = client.refund(&paid.id, &amount(400)).await?;
        ensure!(refund.status == RefundStatus::RequiresAttention, "{refund:?}");
        ensure!(refund.attention.as_deref().is_some_and(|a| a.contains("REFUND_ERROR")), "{refund:?}");
        webhook(&sink, "checkout.refund.requires_attention").await?;
        Ok(())
    });
}
