//! The demo shop as most web shops will use the checkout: embedded with the one-script-tag
//! loader. A purchase paid by QR inside the edge-origin iframe ends with the shop's order paid
//! by its signed webhook, the shop's page having learnt the outcome only from `checkout:status`
//! events and its own server; and a page on an origin not in `ALLOWED_ORIGINS` cannot frame the
//! checkout. Screenshots at desktop width and 320 px go to target/e2e/.

use crate::api::{create_session, http};
use crate::browser::{pick_wechat_and_check_qr, save_screenshot, wait_for};
use crate::card_ui;
use crate::with_stack;
use anyhow::{Context, Result, bail, ensure};
use checkout_tests::{Browser, Stack};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The checkout's iframe as the loader inserted it into the shop's page.
const FRAME: &str = "#pay iframe[data-checkout-edge]";

/// Buys the sample in the demo shop; the checkout's iframe on the shop's order page.
async fn buy_sample(client: &Client, stack: &Stack) -> Result<fantoccini::elements::Element> {
    client.goto(&stack.demo_url).await?;
    wait_for(client, "button[data-product=\"sample\"]", Duration::from_secs(10)).await?.click().await?;
    wait_for(client, FRAME, Duration::from_secs(10)).await
}

#[test]
fn demo_shop_purchase_through_the_embedded_checkout_is_paid_by_the_webhook() {
    with_stack(|stack| async move {
        let browser = Browser::start(&stack.state_dir, 1280, 900).await?;
        let client = &browser.client;
        // The shopper stays on the shop's own origin, on its order page, with the checkout inside.
        let frame = buy_sample(client, &stack).await?;
        let page_url = client.current_url().await?;
        ensure!(
            page_url.as_str().starts_with(&format!("{}/orders/", stack.demo_url)),
            "the shop's page is {page_url}"
        );
        let order_no = page_url.path().trim_start_matches("/orders/").to_owned();
        // What the shop's page hears: its own listener on the loader's target element.
        client
            .execute(
                "window.heard = []; document.getElementById('pay').addEventListener('checkout:status', \
                 function (e) { window.heard.push(e.detail.status); });",
                vec![],
            )
            .await?;
        let src = frame.attr("src").await?.unwrap_or_default();
        ensure!(src.starts_with(&format!("{}/pay/", stack.edge_url)), "the iframe shows {src}");
        let hosted = wait_for(client, "a[data-testid=\"hosted-link\"]", Duration::from_secs(2)).await?;
        ensure!(
            hosted.attr("href").await?.unwrap_or_default().starts_with(&format!("{}/pay/", stack.edge_url)),
            "the second option is not the hosted page"
        );
        let client_secret =
            src.trim_start_matches(&format!("{}/pay/", stack.edge_url)).split('?').next().unwrap_or_default();
        let session_id = client_secret.split("_secret_").next().unwrap_or_default().to_owned();

        // Inside the edge-origin iframe: WeChat Pay, the QR checked against the sandbox, then
        // the test-mode "simulate payment".
        frame.enter_frame().await?;
        pick_wechat_and_check_qr(client, &stack, &session_id).await?;
        client.enter_parent_frame().await?;
        settle_frame_height(client).await?;
        save_screenshot(client, "demo-embedded-qr-desktop").await?;
        client.set_window_size(320, 900).await?;
        settle_frame_height(client).await?;
        let width: Value = client.execute("return document.documentElement.clientWidth", vec![]).await?;
        ensure!(width == json!(320), "the page is {width} px wide");
        let overflow: Value = client
            .execute(
                "return document.documentElement.scrollWidth > document.documentElement.clientWidth",
                vec![],
            )
            .await?;
        ensure!(overflow == json!(false), "the shop's page scrolls sideways at 320 px");
        save_screenshot(client, "demo-embedded-qr-320").await?;

        let frame = wait_for(client, FRAME, Duration::from_secs(2)).await?;
        frame.enter_frame().await?;
        wait_for(client, "button[data-testid=\"simulate\"]", Duration::from_secs(2)).await?.click().await?;
        wait_for(client, "[data-testid=\"paid\"]", Duration::from_secs(10)).await?;
        client.enter_parent_frame().await?;

        // The shop's page: "paid" was heard from the iframe, and the order shows paid once the
        // shop's server has the signed webhook (the page asks its server; no reload).
        let paid_line = wait_for(client, "[data-testid=\"order-paid\"]", Duration::from_secs(20)).await?;
        ensure!(paid_line.text().await?.contains("Paid"), "the paid line says {}", paid_line.text().await?);
        let heard: Value = client.execute("return window.heard", vec![]).await?;
        ensure!(
            heard.as_array().is_some_and(|h| h.contains(&json!("paid"))),
            "checkout:status events heard by the shop's page: {heard}"
        );
        let order: Value =
            http().get(format!("{}/api/orders/{order_no}", stack.demo_url)).send().await?.json().await?;
        ensure!(order["status"] == "paid", "the shop's order is {order}");
        ensure!(
            order["events"].as_array().is_some_and(|e| !e.is_empty()),
            "the order was marked paid without a webhook event: {order}"
        );
        ensure!(order.get("client_secret").is_none(), "the order JSON repeats the client secret");
        save_screenshot(client, "demo-embedded-paid-320").await?;

        // The shop's DOM never held the checkout's content: only the loader's iframe.
        let shop_dom = client.source().await?;
        ensure!(!shop_dom.contains("data-testid=\"qr\""), "the QR was rendered in the shop's DOM");

        // A reload renders the paid order from the server alone.
        client.refresh().await?;
        wait_for(client, "[data-testid=\"order-paid\"]", Duration::from_secs(5)).await?;
        ensure!(client.find(Locator::Css(FRAME)).await.is_err(), "a paid order still shows the checkout");

        let problems = browser.console_problems().await?;
        ensure!(problems.is_empty(), "the browser console has problems: {problems:#?}");
        browser.close().await?;
        Ok(())
    });
}

#[test]
fn demo_shop_card_purchase_in_the_embedded_checkout_is_paid_by_the_webhook() {
    with_stack(|stack| async move {
        let browser = Browser::start(&stack.state_dir, 1280, 900).await?;
        let client = &browser.client;
        let frame = buy_sample(client, &stack).await?;
        let order_no = client.current_url().await?.path().trim_start_matches("/orders/").to_owned();
        // The card form lives inside the edge-origin iframe, never in the shop's DOM.
        frame.enter_frame().await?;
        wait_for(client, "button[data-method=\"payzero_card\"]", Duration::from_secs(15))
            .await?
            .click()
            .await?;
        card_ui::sign_up_by_keyboard(client, "13300133001", false, "demo-card").await?;
        card_ui::step(client, "signup_code_sent").await?;
        card_ui::enter_code(client, "123456").await?;
        card_ui::step(client, "pay_code_sent").await?;
        card_ui::enter_code(client, "123456").await?;
        wait_for(client, "[data-testid=\"paid\"]", Duration::from_secs(15)).await?;
        client.enter_parent_frame().await?;
        let shop_dom = client.source().await?;
        for typed in [crate::cards::CARD, "13300133001"] {
            ensure!(!shop_dom.contains(typed), "{typed} reached the shop's page");
        }
        ensure!(!shop_dom.contains("data-field"), "the card form was rendered in the shop's DOM");
        wait_for(client, "[data-testid=\"order-paid\"]", Duration::from_secs(20)).await?;
        let order: Value =
            http().get(format!("{}/api/orders/{order_no}", stack.demo_url)).send().await?.json().await?;
        ensure!(order["status"] == "paid", "the shop's order is {order}");
        save_screenshot(client, "demo-card-paid-desktop").await?;
        let problems = browser.console_problems().await?;
        ensure!(problems.is_empty(), "the browser console has problems: {problems:#?}");
        browser.close().await?;
        Ok(())
    });
}

#[test]
fn a_page_on_a_foreign_origin_cannot_frame_the_checkout() {
    with_stack(|stack| async move {
        let session = create_session(&stack, 1, "E2E-FRAME-1").await?;
        let foreign = serve_foreign_page(&stack, &session.client_secret).await?;
        ensure!(foreign != stack.demo_url, "{foreign} is the demo's origin");

        // The edge names who may frame it: itself and the demo shop, not the foreign origin.
        let answer = http().get(&session.url).send().await?;
        let policy = answer
            .headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        ensure!(
            policy.contains(&format!("frame-ancestors 'self' {}", stack.demo_url))
                && !policy.contains(&foreign),
            "the hosted page's policy is {policy:?}"
        );

        let browser = Browser::start(&stack.state_dir, 1024, 800).await?;
        let client = &browser.client;
        client.goto(&format!("{foreign}/")).await?;
        // Chromium refuses to render the frame and says why on the console (bounded wait):
        // "Framing '{edge}/' violates … "frame-ancestors 'self' {demo}". The request has been blocked."
        let refusal = |m: &String| m.contains("frame-ancestors") && m.contains(&stack.edge_url);
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut seen = Vec::new();
        loop {
            seen.extend(browser.console_problems().await?);
            if seen.iter().any(refusal) {
                break;
            }
            if Instant::now() > deadline {
                bail!("Chromium never refused the frame; console: {seen:#?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Nothing of the checkout is inside: the frame holds Chromium's error page, not ours,
        // and the loader never heard from it.
        let frame = wait_for(client, "#pay iframe", Duration::from_secs(2)).await?;
        frame.enter_frame().await?;
        let inside: Value =
            client.execute("return [location.href, !!document.getElementById('checkout')]", vec![]).await?;
        client.enter_parent_frame().await?;
        ensure!(
            inside[1] == json!(false) && !inside[0].as_str().unwrap_or_default().contains("/pay/"),
            "the foreign page framed the checkout: {inside}"
        );
        let heard: Value = client.execute("return window.heard", vec![]).await?;
        ensure!(heard == json!([]), "the foreign page heard from the checkout: {heard}");
        save_screenshot(client, "demo-foreign-frame-refused").await?;
        seen.extend(browser.console_problems().await?);
        let others: Vec<_> = seen.iter().filter(|m| !refusal(m)).collect();
        ensure!(others.is_empty(), "other console problems: {others:#?}");
        browser.close().await?;
        Ok(())
    });
}

/// Waits (bounded) until the loader has sized the iframe to its content and the size holds.
async fn settle_frame_height(client: &Client) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut last = Value::Null;
    loop {
        let height: Value =
            client.execute(&format!("return document.querySelector('{FRAME}').style.height"), vec![]).await?;
        if height == last {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the checkout's iframe never settled its height (last {height})");
        }
        last = height;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Serves, on a loopback origin of its own (not in `ALLOWED_ORIGINS`), a page that embeds the
/// checkout exactly as the demo shop does. Answers its origin.
async fn serve_foreign_page(stack: &Stack, client_secret: &str) -> Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr().context("foreign address")?);
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">\
         <title>not a merchant</title></head><body><h1>Not an allowed merchant</h1>\
         <div id=\"pay\"></div>\
         <script>window.heard = []; document.getElementById('pay').addEventListener('checkout:status', \
         function (e) {{ window.heard.push(e.detail.status); }});</script>\
         <script src=\"{}/checkout.js\" data-client-secret=\"{client_secret}\" data-target=\"#pay\"></script>\
         </body></html>",
        stack.edge_url
    );
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let response = response.clone();
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut buf = [0u8; 4096];
                // Bounded: a browser's GET is a few hundred bytes.
                while data.len() < 1 << 16 && !data.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => data.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    Ok(origin)
}
