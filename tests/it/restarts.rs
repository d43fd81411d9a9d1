//! `cargo xtask dev` stopped and started again, twice: the sandbox and the edge both come back
//! from their state directories (the sandbox its Shouqianba terminal and orders, the edge its
//! terminal key and sessions), so a Shouqianba QR and a Shouqianba barcode still pay after each
//! restart, with no INVALID_TERMINAL and no new activation.

use crate::api::checkout;
use crate::gateways::{admin, barcode, create, sandbox_requests, wait_until};
use crate::serial;
use anyhow::{Result, ensure};
use checkout_shared::api::{BarcodeState, PaymentMethod, QrView, SessionStatus};
use checkout_tests::Stack;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

async fn pays_a_shouqianba_qr_and_barcode(stack: &Stack, round: u32) -> Result<()> {
    let session = create(stack, &format!("RESTART-QR-{round}"), &[PaymentMethod::ShouqianbaQr], None).await?;
    let r = checkout(stack, Method::POST, &session.client_secret, "/qr")
        .json(&json!({"method": "shouqianba_qr", "channel": "wechat_pay"}))
        .send()
        .await?;
    ensure!(r.status() == 200, "round {round}: qr answered {}: {}", r.status(), r.text().await?);
    let code: QrView = r.json().await?;
    ensure!(!code.qr_content.is_empty(), "round {round}: {code:?}");
    admin(stack, &format!("/shouqianba/orders/{}_0/pay", session.id), json!({})).await?;
    wait_until(stack, &session.client_secret, Duration::from_secs(30), |u| u.status == SessionStatus::Paid)
        .await?;

    let session =
        create(stack, &format!("RESTART-BC-{round}"), &[PaymentMethod::ShouqianbaBarcode], None).await?;
    let view = barcode(stack, &session.client_secret, "shouqianba_barcode", "134567890123450000").await?;
    ensure!(view.state == BarcodeState::Paid, "round {round}: the barcode came to {view:?}");
    Ok(())
}

async fn restarted_twice(stack: &mut Stack) -> Result<()> {
    pays_a_shouqianba_qr_and_barcode(stack, 0).await?;
    for round in 1..=2 {
        // Everything stops, then starts again in the order `cargo xtask dev` starts it.
        stack.edge.stop();
        stack.restart_sandbox()?;
        stack.restart_edge()?;
        pays_a_shouqianba_qr_and_barcode(stack, round).await?;
    }
    let activations = sandbox_requests(stack, "/shouqianba/terminal/activate").await?;
    ensure!(activations.is_empty(), "activated again after a restart: {activations:?}");
    Ok(())
}

#[test]
fn the_local_stack_stopped_and_started_twice_still_pays_shouqianba() {
    let _guard = serial();
    let mut stack = Stack::start().unwrap_or_else(|e| panic!("starting the stack: {e:#}"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("tokio runtime: {e}"));
    let result = runtime.block_on(restarted_twice(&mut stack));
    drop(runtime);
    if let Err(e) = result {
        panic!("{e:#}\n\n{}", stack.logs());
    }
}
