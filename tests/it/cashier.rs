//! The new methods as a shopper and a cashier use them in headless Chromium on the hosted page of
//! a session offering all four methods: a Payzero QR, then a switch to a Shouqianba QR that
//! decodes to the sandbox's code and is paid; a Shouqianba payment code typed and sent with
//! Enter, declined, then one that pays; an EZR code the gateway leaves unpaid (NOTPAY),
//! canceled, then one that pays. Each page must end with a clean console. Screenshots go to
//! target/e2e/.

use crate::browser::{save_screenshot, wait_for};
use crate::with_stack;
use anyhow::{Context, Result, ensure};
use checkout_shared::api::{PaymentMethod, SessionCreated};
use checkout_tests::{Browser, Stack, decode_qr};
use fantoccini::{Client, Locator, key::Key};
use serde_json::Value;
use std::time::Duration;

const ALL: [PaymentMethod; 4] = [
    PaymentMethod::PayzeroQr,
    PaymentMethod::ShouqianbaQr,
    PaymentMethod::ShouqianbaBarcode,
    PaymentMethod::EzrBarcode,
];

async fn create(stack: &Stack, order_no: &str) -> Result<SessionCreated> {
    crate::gateways::create(stack, order_no, &ALL, None).await
}

/// Opens the hosted page and picks the cashier mode of `method`.
async fn open_cashier(client: &Client, session: &SessionCreated, method: &str) -> Result<()> {
    client.goto(&session.url).await?;
    let button = format!("button[data-method=\"{method}\"]");
    wait_for(client, &button, Duration::from_secs(15)).await?.click().await?;
    Ok(())
}

/// Types a payment code into the cashier field the way a scanner does: digits, then Enter.
async fn scan(client: &Client, code: &str) -> Result<()> {
    let input = wait_for(client, "input[data-testid=\"barcode-input\"]", Duration::from_secs(10)).await?;
    input.send_keys(&format!("{code}{}", char::from(Key::Enter))).await?;
    Ok(())
}

async fn clean_console(browser: &Browser) -> Result<()> {
    let problems = browser.console_problems().await?;
    ensure!(problems.is_empty(), "the browser console has problems: {problems:#?}");
    Ok(())
}

#[test]
fn shopper_switches_from_payzero_to_a_shouqianba_qr_and_pays_it() {
    with_stack(|stack| async move {
        let session = create(&stack, "UI-SQB-QR").await?;
        let browser = Browser::start(&stack.state_dir, 420, 900).await?;
        let client = &browser.client;
        client.goto(&session.url).await?;
        wait_for(client, "[data-testid=\"group-barcode\"]", Duration::from_secs(15)).await?;
        save_screenshot(client, "picker-all-methods").await?;
        // First a Payzero code, then the shopper changes their mind.
        wait_for(
            client,
            "button[data-method=\"payzero_qr\"][data-channel=\"WECHATPAY\"]",
            Duration::from_secs(2),
        )
        .await?
        .click()
        .await?;
        let payzero_qr = "[data-testid=\"qr-panel\"][data-method=\"payzero_qr\"] [data-testid=\"qr\"] svg";
        wait_for(client, payzero_qr, Duration::from_secs(15)).await?;
        wait_for(client, "button[data-testid=\"switch\"]", Duration::from_secs(2)).await?.click().await?;
        wait_for(
            client,
            "button[data-method=\"shouqianba_qr\"][data-channel=\"ALIPAY\"]",
            Duration::from_secs(2),
        )
        .await?
        .click()
        .await?;
        let qr = wait_for(
            client,
            "[data-testid=\"qr-panel\"][data-method=\"shouqianba_qr\"] [data-testid=\"qr\"] svg",
            Duration::from_secs(15),
        )
        .await?;
        let decoded = decode_qr(&qr.screenshot().await?)?;
        let state: Value = reqwest::get(format!("{}/__admin/state", stack.sandbox_url)).await?.json().await?;
        // Attempt 0 was the Payzero order; the Shouqianba one is attempt 1.
        let order_no = format!("{}_1", session.id);
        let orders = state["shouqianba"]["orders"].to_string();
        ensure!(
            decoded.len() == 1 && orders.contains(&decoded[0]),
            "the QR decodes to {decoded:?}, not a code of {orders}"
        );
        ensure!(orders.contains(&order_no), "no Shouqianba order {order_no}");
        save_screenshot(client, "shouqianba-qr").await?;
        wait_for(client, "button[data-testid=\"simulate\"]", Duration::from_secs(2)).await?.click().await?;
        // No notification from Shouqianba: the page's status wait makes the edge query.
        wait_for(client, "[data-testid=\"paid\"]", Duration::from_secs(20)).await?;
        clean_console(&browser).await?;
        browser.close().await?;
        Ok(())
    });
}

#[test]
fn cashier_scans_a_shouqianba_code_after_a_declined_one() {
    with_stack(|stack| async move {
        let session = create(&stack, "UI-SQB-BC").await?;
        let browser = Browser::start(&stack.state_dir, 390, 844).await?;
        let client = &browser.client;
        open_cashier(client, &session, "shouqianba_barcode").await?;
        // Not a payment code: refused next to the field, nothing sent.
        scan(client, "12345").await?;
        wait_for(client, "[data-testid=\"barcode-message\"]", Duration::from_secs(5)).await?;
        // Declined by the wallet (insufficient funds), then a code that pays.
        let input = wait_for(client, "input[data-testid=\"barcode-input\"]", Duration::from_secs(5)).await?;
        input.clear().await?;
        scan(client, "134567890123452002").await?;
        let message = client
            .wait()
            .at_most(Duration::from_secs(10))
            .every(Duration::from_millis(50))
            .for_element(Locator::XPath(
                "//*[@data-testid='barcode-message'][contains(., '余额') or contains(., 'fund')]",
            ))
            .await
            .context("the decline reason was not shown")?;
        ensure!(!message.text().await?.is_empty(), "an empty decline message");
        save_screenshot(client, "barcode-declined").await?;
        scan(client, "134567890123450000").await?;
        wait_for(client, "[data-testid=\"paid\"]", Duration::from_secs(15)).await?;
        save_screenshot(client, "barcode-paid").await?;
        clean_console(&browser).await?;
        browser.close().await?;
        Ok(())
    });
}

#[test]
fn cashier_sees_an_unpaid_ezr_code_canceled_then_one_that_pays() {
    with_stack(|stack| async move {
        let session = create(&stack, "UI-EZR-BC").await?;
        let browser = Browser::start(&stack.state_dir, 390, 844).await?;
        let client = &browser.client;
        open_cashier(client, &session, "ezr_barcode").await?;
        let focused = client.active_element().await?.attr("data-testid").await?;
        ensure!(focused.as_deref() == Some("barcode-input"), "the code field is not focused: {focused:?}");
        scan(client, "284567890123453001").await?;
        let message = wait_for(client, "[data-testid=\"barcode-message\"]", Duration::from_secs(15)).await?;
        let text = message.text().await?;
        ensure!(
            text.contains("撤销") || text.contains("取消") || text.contains("cancel"),
            "not told it was canceled: {text}"
        );
        save_screenshot(client, "ezr-canceled").await?;
        let cancels = crate::gateways::sandbox_requests(&stack, "/ezr/upay/cancel").await?;
        ensure!(cancels.len() == 1, "one EZR cancel expected: {cancels:?}");
        // The field is ready for the next code, which pays.
        let input = wait_for(client, "input[data-testid=\"barcode-input\"]", Duration::from_secs(5)).await?;
        input.clear().await?;
        scan(client, "284567890123450000").await?;
        wait_for(client, "[data-testid=\"paid\"]", Duration::from_secs(15)).await?;
        clean_console(&browser).await?;
        browser.close().await?;
        Ok(())
    });
}

#[test]
fn cashier_watches_a_payment_in_progress_get_paid_and_another_canceled_at_its_deadline() {
    with_stack(|stack| async move {
        // In progress (the shopper confirms on the phone), then paid.
        let session = create(&stack, "UI-SQB-PROGRESS").await?;
        let browser = Browser::start(&stack.state_dir, 390, 844).await?;
        let client = &browser.client;
        open_cashier(client, &session, "shouqianba_barcode").await?;
        scan(client, "134567890123451001").await?;
        wait_for(client, "[data-testid=\"barcode-progress\"]", Duration::from_secs(10)).await?;
        wait_for(client, "[data-testid=\"barcode\"] [data-testid=\"countdown\"]", Duration::from_secs(2))
            .await?;
        save_screenshot(client, "barcode-in-progress").await?;
        let r = reqwest::Client::new()
            .post(format!("{}/__admin/shouqianba/orders/{}_0/pay", stack.sandbox_url, session.id))
            .send()
            .await?;
        ensure!(r.status().is_success(), "sandbox pay answered {}", r.status());
        // The edge polls every 5 s; the page hears of it through its status wait.
        wait_for(client, "[data-testid=\"paid\"]", Duration::from_secs(20)).await?;

        // Left unconfirmed: canceled at the deadline (30 s in the test stack), and the field is
        // ready for another code.
        let other = create(&stack, "UI-SQB-DEADLINE").await?;
        open_cashier(client, &other, "shouqianba_barcode").await?;
        scan(client, "134567890123451001").await?;
        wait_for(client, "[data-testid=\"barcode-progress\"]", Duration::from_secs(10)).await?;
        let message = client
            .wait()
            .at_most(Duration::from_secs(60))
            .every(Duration::from_millis(200))
            .for_element(Locator::XPath("//*[@data-testid='barcode-message'][contains(., '撤销')]"))
            .await
            .context("the cashier was not told the payment was canceled at its deadline")?;
        ensure!(!message.text().await?.is_empty(), "an empty message");
        wait_for(client, "input[data-testid=\"barcode-input\"]:not([readonly])", Duration::from_secs(2))
            .await?;
        save_screenshot(client, "barcode-canceled-at-deadline").await?;
        clean_console(&browser).await?;
        browser.close().await?;
        Ok(())
    });
}
