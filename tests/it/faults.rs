//! Gateways misbehaving, end to end with the sandbox's fault controls: a QR gateway failing with
//! 5xx, answering garbage or hanging past the edge's timeout gives the shopper a clear error and
//! leaves the session open and consistent, and the next try works; a cashier payment whose answer
//! is lost after the gateway took the money is settled by queries — never paid twice.

use crate::api::{checkout, checkout_view, http};
use crate::gateways::{admin, barcode, create, wait_until};
use crate::with_stack;
use anyhow::{Result, ensure};
use checkout_shared::api::{BarcodeState, ErrorBody, ErrorCode, PaymentMethod, SessionStatus};
use checkout_tests::Stack;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn clear_faults(stack: &Stack) -> Result<()> {
    http().delete(format!("{}/__admin/faults", stack.sandbox_url)).send().await?;
    Ok(())
}

async fn requests_to(stack: &Stack, path: &str, order_no: &str) -> Result<usize> {
    let log: Value = http()
        .get(format!("{}/__admin/requests?path={path}", stack.sandbox_url))
        .send()
        .await?
        .json()
        .await?;
    Ok(log
        .as_array()
        .map_or(0, |l| l.iter().filter(|r| r["body"].as_str().is_some_and(|b| b.contains(order_no))).count()))
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
