//! Outage drills through the real runtime: `wrangler dev` stopped and started again (same port,
//! same persisted state) in the middle of a cashier payment's poll loop, of a card sign-up's SMS
//! step and of a webhook's retry series, with the merchant's endpoint down meanwhile. Everything resumes from what the Durable
//! Objects stored; nothing is lost or sent twice. And the merchant's endpoint down for ten minutes
//! (every retry on the schedule) and for three days (given up, listed, resent). Time is moved with
//! the session's test clock.

use crate::api::http;
use crate::cards::{self, advance, ok, signup_form};
use crate::gateways::{admin, barcode, create_with, wait_until};
use crate::serial;
use anyhow::{Context, Result, bail, ensure};
use checkout_shared::Fen;
use checkout_shared::api::{
    BarcodeState, CardStep, CreateSessionRequest, EventDelivery, PaymentMethod, RefundRequest, SessionStatus,
};
use checkout_shared::session::WEBHOOK_RETRY_DELAYS_SECS;
use checkout_shared::undelivered::Undelivered;
use checkout_tests::{Stack, WebhookSink, free_port};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Waits (bounded) until the endpoint holds `kind` events for `session`; returns them.
async fn events_for(sink: &WebhookSink, session: &str, kind: &str, limit: Duration) -> Result<Vec<Value>> {
    let deadline = Instant::now() + limit;
    loop {
        let found: Vec<Value> =
            sink.events().into_iter().filter(|e| e["type"] == kind && e["data"]["id"] == session).collect();
        if !found.is_empty() {
            return Ok(found);
        }
        if Instant::now() >= deadline {
            bail!("no {kind} for {session} within {limit:?}; received {:?}", sink.events());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn drill(stack: &mut Stack) -> Result<()> {
    // The merchant's endpoint is down (nothing listens on its port) from the start.
    let hook_port = free_port()?;
    let hook_url = format!("http://127.0.0.1:{hook_port}/webhook");
    let request = |order_no: &str| {
        CreateSessionRequest::new(Fen(2500), "演练", order_no)
            .with_methods(vec![PaymentMethod::ShouqianbaBarcode])
            .with_notify_url(hook_url.clone())
    };
    // A payment the shopper has not confirmed yet: the edge polls it every 5 s.
    let polled = create_with(stack, request("DRILL-POLL"), None).await?;
    let view = barcode(stack, &polled.client_secret, "shouqianba_barcode", "134567890123451001").await?;
    ensure!(view.state == BarcodeState::Processing, "{view:?}");
    // A payment made at once, whose paid webhook fails against the dead endpoint.
    let hooked = create_with(stack, request("DRILL-HOOK"), None).await?;
    let view = barcode(stack, &hooked.client_secret, "shouqianba_barcode", "134567890123450000").await?;
    ensure!(view.state == BarcodeState::Paid, "{view:?}");

    // A card sign-up waiting for its SMS code.
    let signing = cards::create(stack, "DRILL-CARD", None, None).await?;
    let v = ok(stack, &signing.client_secret, "card/signup", signup_form("13800138099", false)).await?;
    ensure!(v.step == CardStep::SignupCodeSent, "{v:?}");

    // The edge goes down; meanwhile the shopper confirms on the phone.
    stack.edge.stop();
    admin(stack, &format!("/shouqianba/orders/{}_0/pay", polled.id), json!({})).await?;
    stack.restart_edge()?;

    // The poll loop resumes from storage and finds the payment.
    let update = wait_until(stack, &polled.client_secret, Duration::from_secs(30), |u| {
        u.status == SessionStatus::Paid
    })
    .await?;
    ensure!(update.barcode.as_ref().is_some_and(|b| b.state == BarcodeState::Paid), "{update:?}");

    // The SMS step goes on where it was: the code signs the card, and the payment code follows.
    let v = ok(stack, &signing.client_secret, "card/signup/confirm", json!({"code": "123456"})).await?;
    ensure!(v.step == CardStep::PayCodeSent, "after the restart the sign-up came to {v:?}");
    ok(stack, &signing.client_secret, "card/pay/confirm", json!({"code": "654321"})).await?;
    wait_until(stack, &signing.client_secret, Duration::from_secs(30), |u| u.status == SessionStatus::Paid)
        .await?;

    // The merchant's endpoint comes back; the retry series resumes after the restart (the
    // sessions' clocks moved past the next retries), and each event arrives once.
    let sink = WebhookSink::start_on(hook_port).await?;
    for session in [&hooked, &polled] {
        advance(stack, &session.client_secret, 40).await?;
    }
    for session in [&hooked, &polled] {
        let paid = events_for(&sink, &session.id, "checkout.session.paid", Duration::from_secs(60)).await?;
        ensure!(paid.len() == 1, "{} paid events for {}", paid.len(), session.id);
    }
    // No event is sent twice later either: one more step of the clocks delivers nothing new.
    let before = sink.requests().len();
    for session in [&hooked, &polled] {
        advance(stack, &session.client_secret, 600).await?;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let ids: Vec<Value> = sink.events().iter().map(|e| e["id"].clone()).collect();
    let mut unique = ids.clone();
    unique.sort_by_key(|v| v.to_string());
    unique.dedup();
    ensure!(unique.len() == ids.len(), "an event arrived twice: {ids:?}");
    ensure!(sink.requests().len() == before, "deliveries after every event was acknowledged");
    Ok(())
}

#[test]
fn a_restart_mid_poll_loop_sms_step_and_webhook_retries_resumes_from_storage() {
    let _guard = serial();
    let mut stack = Stack::start().unwrap_or_else(|e| panic!("starting the stack: {e:#}"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("tokio runtime: {e}"));
    let result = runtime.block_on(drill(&mut stack));
    drop(runtime);
    if let Err(e) = result {
        panic!("{e:#}\n\n{}", stack.logs());
    }
}

/// The merchant's endpoint down for three days: the paid event is tried on the documented
/// schedule (1 + 8 retries over about 22 hours), given up, shown as such, and delivered once when
/// the merchant asks for it after recovery. The session's test clock stands in for the days.
/// The merchant-wide undelivered events once `wanted` holds of them (the list is kept by a call
/// the session queues after giving up or delivering, so it may lag a moment); bounded.
async fn undelivered_until(
    client: &checkout_client::Client,
    wanted: impl Fn(&[Undelivered]) -> bool,
) -> Result<Vec<Undelivered>> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let list = client.undelivered_events(100).await?;
        if wanted(&list.data) {
            return Ok(list.data);
        }
        ensure!(Instant::now() < deadline, "the undelivered events never came to: {list:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn three_days_down(stack: &Stack) -> Result<()> {
    let hook_port = free_port()?;
    let request = CreateSessionRequest::new(Fen(2500), "演练", "DRILL-3DAYS")
        .with_methods(vec![PaymentMethod::ShouqianbaBarcode])
        .with_notify_url(format!("http://127.0.0.1:{hook_port}/webhook"));
    let session = create_with(stack, request, None).await?;
    let view = barcode(stack, &session.client_secret, "shouqianba_barcode", "134567890123450000").await?;
    ensure!(view.state == BarcodeState::Paid, "{view:?}");
    let client = stack.client()?;
    // A part refunded at once: its event fails beside the payment's, a moment newer.
    let refund = RefundRequest { amount: Some(Fen(500)), reason: None };
    client.with_idempotency_key("drill-refund").refund(&session.id, &refund).await?;
    let paid = |events: &[EventDelivery]| events.iter().find(|e| e.kind == "checkout.session.paid").cloned();
    let mut attempts = 0;
    for _ in 0..12 {
        // Wait (bounded) for the attempt that is due to have been made and failed.
        let deadline = Instant::now() + Duration::from_secs(15);
        let event = loop {
            let events = client.session_events(&session.id).await?;
            let event = paid(&events).context("no paid event")?;
            if event.attempts > attempts || Instant::now() >= deadline {
                break event;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        ensure!(!event.delivered, "delivered to a dead endpoint: {event:?}");
        ensure!(event.attempts > attempts, "no new attempt after the clock moved: {event:?}");
        attempts = event.attempts;
        if event.next_attempt_at.is_none() {
            break;
        }
        advance(stack, &session.client_secret, 13 * 3600).await?;
    }
    ensure!(attempts == 9, "given up after {attempts} attempts, the schedule makes 9");
    // Three days in all; then the endpoint is back and the merchant asks for what it missed,
    // merchant-wide, without knowing which sessions had events given up.
    advance(stack, &session.client_secret, 2 * 24 * 3600).await?;
    let sink = WebhookSink::start_on(hook_port).await?;
    let events = client.session_events(&session.id).await?;
    let event = paid(&events).context("no paid event")?;
    let refunded =
        events.iter().find(|e| e.kind == "checkout.refund.succeeded").context("no refund event")?;
    let listed = undelivered_until(&client, |list| {
        list.iter().any(|u| u.id == event.id) && list.iter().any(|u| u.id == refunded.id)
    })
    .await?;
    // Page by page: the newer event is reached by the cursor without resending the older one.
    let first = client.undelivered_events(1).await?;
    ensure!(first.data.len() == 1 && first.data[0].id == event.id && first.has_more, "{first:?}");
    let cursor = first.next_cursor.as_deref().context("a page with more after it has no next_cursor")?;
    let next = client.undelivered_events_after(1, cursor).await?;
    ensure!(next.data.len() == 1 && next.data[0].id == refunded.id, "the page after {cursor}: {next:?}");
    ensure!(!next.has_more && next.next_cursor.is_none(), "{next:?}");
    let entry = listed.iter().find(|u| u.id == event.id).context("not listed")?;
    ensure!(
        entry.session_id == session.id && entry.kind == "checkout.session.paid" && entry.attempts == 9,
        "{entry:?}"
    );
    let resent = client.resend_event(&entry.session_id, &entry.id).await?;
    ensure!(resent.id == event.id && !resent.delivered, "{resent:?}");
    let received = events_for(&sink, &session.id, "checkout.session.paid", Duration::from_secs(20)).await?;
    ensure!(received.len() == 1 && received[0]["id"] == event.id.as_str(), "{received:?}");
    let after = paid(&client.session_events(&session.id).await?).context("no paid event")?;
    ensure!(after.delivered && after.attempts == 10, "{after:?}");
    // Delivered, it leaves the merchant-wide list.
    undelivered_until(&client, |list| list.iter().all(|u| u.id != event.id)).await?;
    // Only `delivered=false` is listed across sessions; a bad limit is refused.
    for query in [
        "delivered=true",
        "",
        "delivered=false&limit=0",
        "delivered=false&limit=101",
        "delivered=false&cursor=u%2F000000000001%2Fsess_a%2Fevt_a",
    ] {
        let r = http()
            .get(format!("{}/v1/events?{query}", stack.edge_url))
            .bearer_auth(&stack.creds.merchant_key)
            .send()
            .await?;
        let status = r.status().as_u16();
        let text = r.text().await?;
        ensure!(status == 400 && text.contains("invalid_request"), "?{query}: {status} {text}");
    }
    let r = http().get(format!("{}/v1/events?delivered=false", stack.edge_url)).send().await?;
    ensure!(r.status() == 401, "listed without the merchant key: {}", r.status());
    // Delivered: asking again is refused and sends nothing; the refund's event, never resent,
    // is still listed.
    ensure!(client.resend_event(&session.id, &event.id).await.is_err(), "a delivered event was sent again");
    tokio::time::sleep(Duration::from_secs(1)).await;
    ensure!(sink.requests().len() == 1, "{} deliveries", sink.requests().len());
    let left = client.undelivered_events(100).await?;
    ensure!(left.data.len() == 1 && left.data[0].id == refunded.id, "{left:?}");
    Ok(())
}

#[test]
fn a_merchant_down_for_three_days_gets_its_given_up_event_on_request() {
    crate::with_stack(|stack| async move { three_days_down(&stack).await });
}

/// The `t=` of a `Checkout-Signature` header: when the edge signed that attempt (real time).
fn signed_at(signature: &str) -> Result<u64> {
    signature
        .split(',')
        .find_map(|part| part.strip_prefix("t="))
        .and_then(|t| t.parse().ok())
        .with_context(|| format!("no timestamp in {signature:?}"))
}

fn unix_now() -> Result<u64> {
    Ok(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs())
}

/// The merchant's endpoint answers `503` for ten minutes (on the session's clock) after a
/// payment: each retry comes on the documented schedule to the second, the first one after
/// recovery delivers the event, and nothing more is sent.
async fn ten_minutes_down(stack: &Stack) -> Result<()> {
    let sink = WebhookSink::start().await?;
    sink.answer_with(503);
    let request = CreateSessionRequest::new(Fen(1200), "演练", "DRILL-10MIN")
        .with_methods(vec![PaymentMethod::ShouqianbaBarcode])
        .with_notify_url(sink.url.clone());
    let session = create_with(stack, request, None).await?;
    let view = barcode(stack, &session.client_secret, "shouqianba_barcode", "134567890123450000").await?;
    ensure!(view.state == BarcodeState::Paid, "{view:?}");
    let client = stack.client()?;
    // The session's clock runs `lead` seconds ahead of real time: the sum of the advances made.
    // A webhook is signed with real time (the merchant checks it against its own clock), so an
    // attempt's time on the session's clock is its signature's plus the lead when it was made.
    let mut lead = 0;
    // The paid event's attempts (the session's other events are retried alongside it).
    let paid_requests = |sink: &WebhookSink| -> Vec<(String, Vec<u8>)> {
        let is_paid = |body: &[u8]| {
            serde_json::from_slice::<Value>(body).is_ok_and(|e| e["type"] == "checkout.session.paid")
        };
        sink.requests().into_iter().filter(|(_, body)| is_paid(body)).collect()
    };
    let last_signed = |sink: &WebhookSink| -> Result<u64> {
        signed_at(&paid_requests(sink).last().context("no attempt")?.0)
    };
    // Waits (bounded) for the endpoint to have received `n` attempts.
    let attempts_reach = |n: usize| {
        let sink = &sink;
        async move {
            let deadline = Instant::now() + Duration::from_secs(20);
            while paid_requests(sink).len() < n {
                ensure!(Instant::now() < deadline, "{} attempts, waited for {n}", paid_requests(sink).len());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok::<_, anyhow::Error>(())
        }
    };
    attempts_reach(1).await?;
    let first = last_signed(&sink)?;
    let mut made = 1;
    loop {
        // The failed attempt is recorded with its next try, `delay` after it.
        let deadline = Instant::now() + Duration::from_secs(15);
        let event = loop {
            let events = client.session_events(&session.id).await?;
            let event =
                events.iter().find(|e| e.kind == "checkout.session.paid").cloned().context("no event")?;
            if event.attempts as usize >= made && event.next_attempt_at.is_some()
                || Instant::now() >= deadline
            {
                break event;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let last = last_signed(&sink)? + lead;
        let next = event.next_attempt_at.with_context(|| format!("no retry planned: {event:?}"))?;
        let delay = WEBHOOK_RETRY_DELAYS_SECS[made - 1];
        // The answer may come back a second after the attempt was signed.
        ensure!(
            (last + delay..=last + delay + 1).contains(&next),
            "attempt {made} at {last}: next at {next}, the schedule says {delay} s later"
        );
        let recovered = next - first >= 600;
        if recovered {
            sink.answer_with(200);
        }
        let step = next.saturating_sub(unix_now()? + lead);
        advance(stack, &session.client_secret, step).await?;
        lead += step;
        made += 1;
        attempts_reach(made).await?;
        let at = last_signed(&sink)? + lead;
        ensure!((next..=next + 2).contains(&at), "attempt {made} at {at}, due at {next}");
        if recovered {
            break;
        }
    }
    // 0 s, 10 s, 40 s, 160 s fail; the fifth, at 760 s, is the first after the ten minutes.
    ensure!(made == 5, "delivered by attempt {made}, the schedule makes it the fifth");
    let bodies: Vec<Vec<u8>> = paid_requests(&sink).into_iter().map(|(_, body)| body).collect();
    ensure!(bodies.windows(2).all(|w| w[0] == w[1]), "the retries sent different events");
    // Every event of the session is delivered, each after as many requests as it has attempts:
    // the one answered 2xx was its last.
    let deadline = Instant::now() + Duration::from_secs(15);
    let events = loop {
        let events = client.session_events(&session.id).await?;
        if events.iter().all(|e| e.delivered) {
            break events;
        }
        ensure!(Instant::now() < deadline, "not all recorded as delivered: {events:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let paid = events.iter().find(|e| e.kind == "checkout.session.paid").context("no paid event")?;
    ensure!(paid.attempts == 5 && paid.next_attempt_at.is_none(), "{paid:?}");
    // A day later nothing more was sent, and nothing is listed as undelivered.
    advance(stack, &session.client_secret, 24 * 3600).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let sent = sink.events();
    for event in &events {
        let requests = sent.iter().filter(|e| e["id"] == event.id.as_str()).count();
        ensure!(requests == event.attempts as usize, "{event:?} came {requests} times");
    }
    ensure!(sent.len() == events.iter().map(|e| e.attempts as usize).sum::<usize>(), "{sent:?}");
    let list = client.undelivered_events(100).await?;
    ensure!(list.data.iter().all(|u| u.session_id != session.id), "{list:?}");
    Ok(())
}

#[test]
fn a_merchant_down_for_ten_minutes_gets_each_event_once_on_the_documented_schedule() {
    crate::with_stack(|stack| async move { ten_minutes_down(&stack).await });
}
