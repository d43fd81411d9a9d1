//! Gateways misbehaving, end to end with the sandbox's fault controls: a QR gateway failing with
//! 5xx, answering garbage or hanging past the edge's timeout gives the shopper a clear error and
//! leaves the session open and consistent, and the next try works; a cashier payment whose answer
//! is lost after the gateway took the money is settled by queries — never paid twice. The same for
//! the card flow's steps; and every flow still completes when every gateway is slow.

use crate::api::{checkout, checkout_view, http};
use crate::cards;
use crate::gateways::{admin, barcode, create, requests_to, wait_until, webhook};
use crate::with_stack;
use anyhow::{Result, bail, ensure};
use checkout_shared::api::{
    BarcodeState, CardProblem, CardStep, ErrorBody, ErrorCode, PaymentMethod, SessionStatus,
};
use checkout_tests::{Stack, WebhookSink};
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};

async fn clear_faults(stack: &Stack) -> Result<()> {
    http().delete(format!("{}/__admin/faults", stack.sandbox_url)).send().await?;
    Ok(())
}

#[test]
fn a_failing_qr_gateway_gives_a_clear_error_and_the_next_try_works() {
    with_stack(|stack| async move {
        let cases = [
            ("/payzero/order/*", "payzero_qr", json!({"kind": "http_500", "status": 503, "always": true})),
            ("/payzero/order/*", "payzero_qr", json!({"kind": "malformed_json", "always": true})),
            // Held past the edge's 10 s bound on every upstream call.
            ("/payzero/order/*", "payzero_qr", json!({"kind": "timeout", "ms": 15000, "always": true})),
            ("/shouqianba/*", "shouqianba_qr", json!({"kind": "http_500", "always": true})),
            ("/shouqianba/*", "shouqianba_qr", json!({"kind": "malformed_json", "always": true})),
        ];
        let methods = [PaymentMethod::PayzeroQr, PaymentMethod::ShouqianbaQr];
        for (n, (endpoint, method, fault)) in cases.into_iter().enumerate() {
            let session = create(&stack, &format!("FAULT-QR-{n}"), &methods, None).await?;
            let cs = &session.client_secret;
            let mut rule = fault.clone();
            rule["endpoint"] = json!(endpoint);
            admin(&stack, "/faults", rule).await?;
            let started = Instant::now();
            let answer = checkout(&stack, Method::POST, cs, "/qr")
                .json(&json!({"method": method, "channel": "wechat_pay"}))
                .send()
                .await?;
            let status = answer.status().as_u16();
            let body: ErrorBody = serde_json::from_str(&answer.text().await?)?;
            ensure!(
                status == 502 && body.error.code == ErrorCode::UpstreamError,
                "{method} under {fault}: answered {status} {:?}",
                body.error.code
            );
            ensure!(!body.error.message.is_empty(), "no message for the shopper");
            ensure!(
                started.elapsed() < Duration::from_secs(25),
                "the shopper waited {:?}",
                started.elapsed()
            );
            let view = checkout_view(&stack, cs).await?;
            ensure!(view.status == SessionStatus::Open && view.qr.is_none(), "after {fault}: {view:?}");

            clear_faults(&stack).await?;
            let answer = checkout(&stack, Method::POST, cs, "/qr")
                .json(&json!({"method": method, "channel": "wechat_pay"}))
                .send()
                .await?;
            ensure!(answer.status() == 200, "the next try after {fault} answered {}", answer.status());
            ensure!(checkout_view(&stack, cs).await?.qr.is_some(), "no QR after the next try");
        }
        Ok(())
    });
}

#[test]
fn a_lost_cashier_payment_answer_is_settled_by_queries_and_never_charged_twice() {
    with_stack(|stack| async move {
        let cases = [
            (
                "shouqianba_barcode",
                PaymentMethod::ShouqianbaBarcode,
                "/shouqianba/upay/v2/pay",
                "134567890123450000",
                "http_500",
            ),
            (
                "shouqianba_barcode",
                PaymentMethod::ShouqianbaBarcode,
                "/shouqianba/upay/v2/pay",
                "134567890123450000",
                "malformed_json",
            ),
            ("ezr_barcode", PaymentMethod::EzrBarcode, "/ezr/upay/pay", "284567890123450000", "http_500"),
            (
                "ezr_barcode",
                PaymentMethod::EzrBarcode,
                "/ezr/upay/pay",
                "284567890123450000",
                "malformed_json",
            ),
        ];
        for (n, (method, kind, path, code, fault)) in cases.into_iter().enumerate() {
            let session = create(&stack, &format!("FAULT-BC-{n}"), &[kind], None).await?;
            // The gateway takes the payment, then its answer is lost.
            admin(&stack, "/faults", json!({"endpoint": path, "kind": fault, "processed": true})).await?;
            let view = barcode(&stack, &session.client_secret, method, code).await?;
            ensure!(view.state == BarcodeState::Processing, "{method} with a lost answer: {view:?}");
            let update = wait_until(&stack, &session.client_secret, Duration::from_secs(30), |u| {
                u.status == SessionStatus::Paid
            })
            .await?;
            ensure!(update.barcode.as_ref().is_some_and(|b| b.state == BarcodeState::Paid), "{update:?}");
            let order_no = format!("{}_0", session.id);
            let pays = requests_to(&stack, path, &order_no).await?;
            ensure!(pays == 1, "{method}: {pays} pay requests for {order_no} after a lost {fault} answer");
        }
        Ok(())
    });
}

/// The card flow under a failing Payzero: a sign-up whose agreeApply fails gives a clear error and
/// the form can be sent again; a payment code whose createAndQuickpay answer is lost after the
/// order was made can still be entered; a confirmQuickpay answer lost after the payment went
/// through is settled by queryOrder — one confirm, one payment, one paid event.
#[test]
fn a_failing_card_gateway_gives_clear_errors_and_never_pays_twice() {
    with_stack(|stack| async move {
        let sink = WebhookSink::start().await?;
        let session = cards::create(&stack, "FAULT-CARD-1", None, Some(&sink)).await?;
        let cs = &session.client_secret;
        let form = cards::signup_form("13900139100", false);
        admin(&stack, "/faults", json!({"endpoint": "/payzero/sdbc/agreeApply", "kind": "http_500"})).await?;
        match cards::card(&stack, cs, "card/signup", form.clone()).await? {
            Err((502, body)) => {
                ensure!(body["error"]["code"] == "upstream_error", "{body}");
                ensure!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
            }
            other => bail!("a failing agreeApply answered {other:?}"),
        }
        let view = checkout_view(&stack, cs).await?;
        ensure!(view.status == SessionStatus::Open, "{view:?}");
        // Sent again (the sign-up resend waits out its cooldown first), it goes through.
        cards::advance(&stack, cs, 61).await?;
        let v = cards::ok(&stack, cs, "card/signup", form).await?;
        ensure!(v.step == CardStep::SignupCodeSent, "{v:?}");

        // The order is made and its code sent, but the answer never arrives.
        admin(
            &stack,
            "/faults",
            json!({"endpoint": "/payzero/order/createAndQuickpay", "kind": "http_500", "processed": true}),
        )
        .await?;
        let v = cards::ok(&stack, cs, "card/signup/confirm", json!({"code": "123456"})).await?;
        ensure!(
            v.step == CardStep::PayCodeSent && v.problem == Some(CardProblem::Unavailable),
            "a lost createAndQuickpay answer: {v:?}"
        );
        // The code that did arrive is taken; its confirm's answer is lost after the payment.
        admin(
            &stack,
            "/faults",
            json!({"endpoint": "/payzero/order/confirmQuickpay", "kind": "malformed_json", "processed": true}),
        )
        .await?;
        let v = cards::ok(&stack, cs, "card/pay/confirm", json!({"code": "654321"})).await?;
        ensure!(matches!(v.step, CardStep::Processing | CardStep::Paid), "{v:?}");
        wait_until(&stack, cs, Duration::from_secs(30), |u| u.status == SessionStatus::Paid).await?;
        let order_no = format!("{}_0", session.id);
        for path in ["/payzero/order/createAndQuickpay", "/payzero/order/confirmQuickpay"] {
            let sent = requests_to(&stack, path, &order_no).await?;
            ensure!(sent == 1, "{sent} requests to {path} for {order_no}");
        }
        webhook(&sink, "checkout.session.paid").await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let paid = sink.events().iter().filter(|e| e["type"] == "checkout.session.paid").count();
        ensure!(paid == 1, "{paid} paid events");
        Ok(())
    });
}

/// Every gateway slow (3 s per call, inside the edge's 10 s bound) on every flow: each QR, each
/// cashier payment and the card flow go through, only slower, and each payment is made once.
#[test]
fn slow_gateways_slow_every_flow_down_but_every_flow_completes() {
    with_stack(|stack| async move {
        const SLOW_MS: u64 = 3000;
        for prefix in ["/payzero/*", "/shouqianba/*", "/ezr/*"] {
            admin(
                &stack,
                "/faults",
                json!({"endpoint": prefix, "kind": "latency_ms", "ms": SLOW_MS, "always": true}),
            )
            .await?;
        }
        let slow = Duration::from_millis(SLOW_MS);
        for (n, (kind, method)) in
            [(PaymentMethod::PayzeroQr, "payzero_qr"), (PaymentMethod::ShouqianbaQr, "shouqianba_qr")]
                .into_iter()
                .enumerate()
        {
            let session = create(&stack, &format!("SLOW-QR-{n}"), &[kind], None).await?;
            let started = Instant::now();
            let answer = checkout(&stack, Method::POST, &session.client_secret, "/qr")
                .json(&json!({"method": method, "channel": "alipay"}))
                .send()
                .await?;
            let took = started.elapsed();
            ensure!(answer.status() == 200, "{method} when slow: {}", answer.status());
            ensure!(took >= slow, "{method} answered in {took:?}: the gateway was not slow");
            ensure!(checkout_view(&stack, &session.client_secret).await?.qr.is_some(), "{method}: no QR");
        }
        for (n, (kind, method, path, code)) in [
            (
                PaymentMethod::ShouqianbaBarcode,
                "shouqianba_barcode",
                "/shouqianba/upay/v2/pay",
                "134567890123450000",
            ),
            (PaymentMethod::EzrBarcode, "ezr_barcode", "/ezr/upay/pay", "284567890123450000"),
        ]
        .into_iter()
        .enumerate()
        {
            let session = create(&stack, &format!("SLOW-BC-{n}"), &[kind], None).await?;
            let cs = &session.client_secret;
            let started = Instant::now();
            barcode(&stack, cs, method, code).await?;
            ensure!(started.elapsed() >= slow, "{method} answered in {:?}", started.elapsed());
            wait_until(&stack, cs, Duration::from_secs(60), |u| u.status == SessionStatus::Paid).await?;
            let pays = requests_to(&stack, path, &format!("{}_0", session.id)).await?;
            ensure!(pays == 1, "{method}: {pays} pay requests");
        }
        let session = cards::create(&stack, "SLOW-CARD", None, None).await?;
        let cs = &session.client_secret;
        let started = Instant::now();
        let v = cards::ok(&stack, cs, "card/signup", cards::signup_form("13900139101", false)).await?;
        ensure!(
            v.step == CardStep::SignupCodeSent && started.elapsed() >= slow,
            "{v:?} in {:?}",
            started.elapsed()
        );
        let v = cards::ok(&stack, cs, "card/signup/confirm", json!({"code": "123456"})).await?;
        ensure!(v.step == CardStep::PayCodeSent, "{v:?}");
        cards::ok(&stack, cs, "card/pay/confirm", json!({"code": "654321"})).await?;
        wait_until(&stack, cs, Duration::from_secs(60), |u| u.status == SessionStatus::Paid).await?;
        let confirms =
            requests_to(&stack, "/payzero/order/confirmQuickpay", &format!("{}_0", session.id)).await?;
        ensure!(confirms == 1, "{confirms} confirms");
        Ok(())
    });
}
