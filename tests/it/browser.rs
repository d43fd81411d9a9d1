//! The shopper's side in headless Chromium: the hosted page shows a QR that decodes to the
//! sandbox's code URL, "simulate payment" pays it, the paid screen follows within seconds, and
//! the demo shop learns of it through a verified webhook. Screenshots go to target/e2e/.

use crate::api::{create_session, http, sandbox_code_url};
use crate::with_stack;
use anyhow::{Context, Result, ensure};
use checkout_tests::{Browser, decode_qr, root};
use fantoccini::{Client, Locator};
use std::time::{Duration, Instant};

pub(crate) async fn wait_for(
    client: &Client,
    css: &str,
    timeout: Duration,
) -> Result<fantoccini::elements::Element> {
    client
        .wait()
        .at_most(timeout)
        .every(Duration::from_millis(50))
        .for_element(Locator::Css(css))
        .await
        .with_context(|| format!("{css} did not appear within {timeout:?}"))
}

pub(crate) async fn save_screenshot(client: &Client, name: &str) -> Result<()> {
    let dir = root().join("target/e2e");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(format!("{name}.png")), client.screenshot().await?)?;
    Ok(())
}

/// Picks WeChat Pay on an open hosted page and checks the QR on screen against the sandbox.
/// The session's first attempt is its first Payzero order, `{session id}_0`.
pub(crate) async fn pick_wechat_and_check_qr(
    client: &Client,
    stack: &checkout_tests::Stack,
    session_id: &str,
) -> Result<()> {
    let order_no = format!("{session_id}_0");
    let order_no = order_no.as_str();
    wait_for(client, "button[data-channel=\"WECHATPAY\"]", Duration::from_secs(15)).await?.click().await?;
    let qr = wait_for(client, "[data-testid=\"qr\"] svg", Duration::from_secs(15)).await?;
    let png = qr.screenshot().await?;
    let decoded = decode_qr(&png)?;
    let issued = sandbox_code_url(stack, order_no).await?;
    ensure!(issued.starts_with("weixin://"), "the sandbox issued {issued} for WeChat Pay");
    ensure!(
        decoded == vec![issued.clone()],
        "the QR on screen decodes to {decoded:?}, the sandbox issued {issued}"
    );
    Ok(())
}

#[test]
fn a_page_opened_for_a_wallet_arrives_with_its_qr() {
    with_stack(|stack| async move {
        let session = create_session(&stack, 1, "E2E-QR-WALLET").await?;
        // The page as served: the session's view is in it (no first round trip for the widget),
        // already holding the Alipay QR the edge issued before it answered.
        let page_url = format!("{}?channel=alipay", session.url);
        let html = http().get(&page_url).send().await?.text().await?;
        ensure!(
            html.contains(r#"<script type="application/json" id="ce-view">"#),
            "no view in the page: {html}"
        );
        let issued = sandbox_code_url(&stack, &format!("{}_0", session.id)).await?;
        ensure!(issued.starts_with("https://qr.alipay.com/"), "the sandbox issued {issued} for Alipay");
        ensure!(html.contains(&issued), "the served page does not carry the issued QR");
        ensure!(!html.contains(&stack.creds.merchant_key), "the page holds the merchant key");

        // The stylesheet comes inside the page, allowed by its hash: no file before the first paint.
        ensure!(
            html.contains("<style>") && !html.contains(r#"href="/pkg/checkout.css""#),
            "the page links its stylesheet instead of carrying it"
        );
        // The widget comes from its content-named directory, which browsers keep for a year; the
        // unversioned files (for pages that mount the widget themselves) are revalidated.
        let version = std::fs::read_to_string(checkout_tests::root().join("www/pkg/version"))?;
        let versioned = format!("/pkg/v/{}/", version.trim());
        ensure!(
            html.contains(&format!(r#"<link rel="modulepreload" href="{versioned}widget.js">"#))
                && html.contains(&format!(r#"href="{versioned}widget_bg.wasm""#)),
            "the page does not load the widget from {versioned}: {html}"
        );
        for (path, kept) in
            [(format!("{versioned}widget_bg.wasm"), true), ("/pkg/widget_bg.wasm".into(), false)]
        {
            let answer = http().get(format!("{}{path}", stack.edge_url)).send().await?;
            let caching =
                answer.headers().get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            ensure!(answer.status() == 200, "{path} answered {}", answer.status());
            ensure!(caching.contains("immutable") == kept, "{path} is served with Cache-Control {caching:?}");
        }
        // The QR is drawn into the page by the edge (the widget's own markup, `qr::markup`), so
        // it is on screen at the first paint: shown here without the widget, it scans.
        let drawn = checkout_shared::qr::encode(&issued).context("the issued code does not encode")?;
        ensure!(
            html.contains(&drawn.markup("付款二维码 Payment QR code")),
            "the page does not draw the QR: {html}"
        );
        let browser = Browser::start(&stack.state_dir, 420, 900).await?;
        let client = &browser.client;
        let without_widget = html.replace(r#"<script defer src="/pay.js"></script>"#, "");
        ensure!(!without_widget.contains("pay.js"), "the page's script was not taken out");
        // Written into a page of the edge's origin, so its stylesheet loads as it would.
        client.goto(&format!("{}/health", stack.edge_url)).await?;
        client
            .execute(
                "document.open(); document.write(arguments[0]); document.close();",
                vec![without_widget.into()],
            )
            .await?;
        let first_paint =
            wait_for(client, "[data-testid=\"qr-first-paint\"] svg", Duration::from_secs(5)).await?;
        let decoded = decode_qr(&first_paint.screenshot().await?)?;
        ensure!(decoded == vec![issued.clone()], "the first paint's QR decodes to {decoded:?}, not {issued}");
        save_screenshot(client, "hosted-qr-first-paint").await?;
        // Opening `/health` as a page made Chromium look for `/favicon.ico`; nothing else may fail.
        let problems: Vec<String> =
            browser.console_problems().await?.into_iter().filter(|p| !p.contains("/favicon.ico ")).collect();
        ensure!(problems.is_empty(), "the first paint alone has console problems: {problems:#?}");

        // No click: the QR is on screen as soon as the widget starts, and it is the same code
        // (a reload of a page opened for a wallet shows the QR already issued, not a new one).
        client.goto(&page_url).await?;
        let qr = wait_for(
            client,
            "[data-testid=\"qr-panel\"][data-channel=\"ALIPAY\"] [data-testid=\"qr\"] svg",
            Duration::from_secs(15),
        )
        .await?;
        let decoded = decode_qr(&qr.screenshot().await?)?;
        ensure!(
            decoded == vec![issued.clone()],
            "the QR on screen decodes to {decoded:?}, the sandbox issued {issued}"
        );
        ensure!(
            sandbox_code_url(&stack, &format!("{}_1", session.id)).await.is_err(),
            "the page issued a second order instead of showing the first"
        );
        save_screenshot(client, "hosted-qr-wallet").await?;

        // A wallet the session cannot offer leaves the page as it is: the picker.
        let other = create_session(&stack, 1, "E2E-QR-WALLET-2").await?;
        client.goto(&format!("{}?channel=paypal", other.url)).await?;
        wait_for(client, "button[data-channel=\"WECHATPAY\"]", Duration::from_secs(15)).await?;

        let problems = browser.console_problems().await?;
        ensure!(problems.is_empty(), "the browser console has problems: {problems:#?}");
        browser.close().await?;
        Ok(())
    });
}

#[test]
fn shopper_pays_by_wechat_qr_on_the_hosted_page() {
    with_stack(|stack| async move {
        let session = create_session(&stack, 1, "E2E-QR-1").await?;
        let browser = Browser::start(&stack.state_dir, 420, 900).await?;
        let client = &browser.client;
        client.goto(&session.url).await?;
        pick_wechat_and_check_qr(client, &stack, &session.id).await?;
        wait_for(client, "[data-testid=\"countdown\"]", Duration::from_secs(2)).await?;
        save_screenshot(client, "hosted-qr").await?;

        let clicked = Instant::now();
        wait_for(client, "button[data-testid=\"simulate\"]", Duration::from_secs(2)).await?.click().await?;
        wait_for(client, "[data-testid=\"paid\"]", Duration::from_secs(10)).await?;
        let took = clicked.elapsed();
        eprintln!("paid screen {took:?} after the simulated payment");
        save_screenshot(client, "hosted-paid").await?;

        let problems = browser.console_problems().await?;
        ensure!(problems.is_empty(), "the browser console has problems: {problems:#?}");
        browser.close().await?;
        Ok(())
    });
}

#[test]
fn demo_shop_purchase_ends_with_a_verified_webhook() {
    with_stack(|stack| async move {
        let browser = Browser::start(&stack.state_dir, 390, 844).await?;
        let client = &browser.client;
        client.goto(&stack.demo_url).await?;
        wait_for(client, "button[data-product=\"sample\"]", Duration::from_secs(10)).await?.click().await?;
        // The shop's server created the session; its order page embeds the checkout and offers
        // the hosted page as the other way to pay: this test takes that one.
        wait_for(client, "a[data-testid=\"hosted-link\"]", Duration::from_secs(10)).await?.click().await?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut url = client.current_url().await?;
        while !url.path().starts_with("/pay/") && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
            url = client.current_url().await?;
        }
        ensure!(url.as_str().starts_with(&stack.edge_url), "the shop sent us to {url}");
        let client_secret = url.path().trim_start_matches("/pay/").to_owned();
        let session_id = client_secret.split("_secret_").next().unwrap_or_default().to_owned();
        pick_wechat_and_check_qr(client, &stack, &session_id).await?;
        wait_for(client, "button[data-testid=\"simulate\"]", Duration::from_secs(2)).await?.click().await?;
        wait_for(client, "[data-testid=\"paid\"]", Duration::from_secs(10)).await?;

        // Back to the shop: its order is paid once the signed webhook arrived (bounded wait).
        wait_for(client, "[data-testid=\"paid\"] a", Duration::from_secs(2)).await?.click().await?;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if client.find(Locator::Css("[data-testid=\"order-paid\"]")).await.is_ok() {
                break;
            }
            ensure!(
                Instant::now() < deadline,
                "the demo shop never saw the webhook: {}",
                client.source().await?
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
            client.refresh().await?;
        }
        save_screenshot(client, "demo-order-paid").await?;
        let problems = browser.console_problems().await?;
        ensure!(problems.is_empty(), "the browser console has problems: {problems:#?}");
        browser.close().await?;
        let _ = http();
        Ok(())
    });
}
