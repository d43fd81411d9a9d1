//! The shopper on a phone, in headless Chromium playing one (390 px, touch, the user agents of
//! Android Chrome, iOS Safari, WeChat's and Alipay's browsers): every wallet's "pay on this phone"
//! action carries exactly the code the sandbox issued (the Alipay app link, the UnionPay link,
//! the saved PNG and the long-press image, each decoded), the picker leads with what works on
//! the phone, and a browser without WebAssembly still shows the QR and says why the rest is
//! missing. Screenshots go to target/e2e/phone-*.png.

use crate::api::{create_session, sandbox_code_url};
use crate::browser::{save_screenshot, wait_for};
use crate::with_stack;
use anyhow::{Context, Result, ensure};
use base64::Engine;
use checkout_tests::{Browser, Stack, decode_qr, user_agent};
use fantoccini::{Client, Locator};
use std::time::Duration;

/// The percent-encoding the Alipay link puts the code in (RFC 3986 unreserved kept), written
/// here on its own so the test does not borrow the widget's.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The wallets of the picker, top to bottom.
async fn picker_order(client: &Client) -> Result<Vec<String>> {
    wait_for(client, "[data-testid=\"group-qr\"] button", Duration::from_secs(15)).await?;
    let mut order = Vec::new();
    for button in client.find_all(Locator::Css("[data-testid=\"group-qr\"] button")).await? {
        order.push(button.attr("data-channel").await?.unwrap_or_default());
    }
    Ok(order)
}

/// A fresh session's page opened for `channel`, and the code the sandbox issued for it.
async fn open_for(stack: &Stack, client: &Client, channel: &str, order: &str) -> Result<(String, String)> {
    let session = create_session(stack, 1, order).await?;
    client.goto(&format!("{}?channel={channel}", session.url)).await?;
    wait_for(client, "[data-testid=\"qr-panel\"]", Duration::from_secs(20)).await?;
    let issued = sandbox_code_url(stack, &format!("{}_0", session.id)).await?;
    Ok((session.id, issued))
}

async fn open_wallet_href(client: &Client) -> Result<String> {
    let link = wait_for(client, "a[data-testid=\"open-wallet\"]", Duration::from_secs(5)).await?;
    link.attr("href").await?.context("the wallet button has no link")
}

/// The codes in a `data:image/png;base64,` URL's picture.
fn codes_in_data_url(url: &str) -> Result<Vec<String>> {
    let data = url
        .strip_prefix("data:image/png;base64,")
        .with_context(|| format!("not a PNG data URL: {url:.40}"))?;
    decode_qr(&base64::engine::general_purpose::STANDARD.decode(data)?)
}

async fn clean_console(browser: &Browser, who: &str) -> Result<()> {
    let problems = browser.console_problems().await?;
    ensure!(problems.is_empty(), "{who}: the browser console has problems: {problems:#?}");
    Ok(())
}

#[test]
fn a_phone_hands_each_wallet_its_code() {
    with_stack(|stack| async move {
        // Android Chrome: Alipay and UnionPay open their apps, WeChat Pay is saved as a picture.
        let browser = Browser::phone(&stack.state_dir, user_agent::ANDROID_CHROME, &[]).await?;
        let client = &browser.client;
        let plain = create_session(&stack, 1, "E2E-PHONE-PICKER").await?;
        client.goto(&plain.url).await?;
        let order = picker_order(client).await?;
        ensure!(order == ["ALIPAY", "UNIONPAY", "WECHATPAY"], "a phone's picker lists {order:?}");
        save_screenshot(client, "phone-picker").await?;
        client.goto(&format!("{}?method_order=session", plain.url)).await?;
        let order = picker_order(client).await?;
        ensure!(order == ["WECHATPAY", "ALIPAY", "UNIONPAY"], "the merchant's order became {order:?}");

        let (_, issued) = open_for(&stack, client, "alipay", "E2E-PHONE-ALIPAY").await?;
        ensure!(issued.starts_with("https://qr.alipay.com/"), "the sandbox issued {issued} for Alipay");
        let href = open_wallet_href(client).await?;
        let expected = format!("alipays://platformapi/startapp?saId=10000007&qrcode={}", encode(&issued));
        ensure!(href == expected, "the Alipay button opens {href}, not {expected}");
        // The QR is still there for another phone, and it is the same code.
        let svg = wait_for(client, "[data-testid=\"qr\"] svg", Duration::from_secs(5)).await?;
        ensure!(
            decode_qr(&svg.screenshot().await?)? == vec![issued.clone()],
            "the QR is not the issued code"
        );
        save_screenshot(client, "phone-alipay").await?;

        let (_, issued) = open_for(&stack, client, "unionpay", "E2E-PHONE-UNIONPAY").await?;
        ensure!(issued.starts_with("https://qr.95516.com/"), "the sandbox issued {issued} for UnionPay");
        let href = open_wallet_href(client).await?;
        ensure!(href == issued, "the UnionPay button opens {href}, not the code {issued}");
        save_screenshot(client, "phone-unionpay").await?;

        let (session_id, issued) = open_for(&stack, client, "wechat_pay", "E2E-PHONE-WECHAT").await?;
        ensure!(issued.starts_with("weixin://"), "the sandbox issued {issued} for WeChat Pay");
        let save = wait_for(client, "a[data-testid=\"save-qr\"]", Duration::from_secs(5)).await?;
        let name = save.attr("download").await?.unwrap_or_default();
        ensure!(name == format!("{session_id}.png"), "the saved picture is called {name:?}");
        let saved = codes_in_data_url(&save.attr("href").await?.unwrap_or_default())?;
        ensure!(saved == vec![issued.clone()], "the saved PNG decodes to {saved:?}, not {issued}");
        let steps =
            wait_for(client, "[data-testid=\"save-steps\"]", Duration::from_secs(2)).await?.text().await?;
        ensure!(steps.contains("扫一扫 → 相册"), "the steps say {steps:?}");
        let image = wait_for(client, "img[data-testid=\"qr-image\"]", Duration::from_secs(2)).await?;
        ensure!(
            decode_qr(&image.screenshot().await?)? == vec![issued.clone()],
            "the shown picture is not the code"
        );
        save_screenshot(client, "phone-wechat-save").await?;
        clean_console(&browser, "Android Chrome").await?;
        browser.close().await?;

        // iOS Safari: the same phone page.
        let browser = Browser::phone(&stack.state_dir, user_agent::IOS_SAFARI, &[]).await?;
        let client = &browser.client;
        let (_, issued) = open_for(&stack, client, "alipay", "E2E-PHONE-IOS").await?;
        let href = open_wallet_href(client).await?;
        ensure!(
            href.ends_with(&encode(&issued)) && href.starts_with("alipays://"),
            "iOS: the button opens {href}"
        );
        save_screenshot(client, "phone-ios-alipay").await?;
        clean_console(&browser, "iOS Safari").await?;
        browser.close().await?;

        // Inside WeChat: WeChat Pay first, its code an image to long-press; Alipay cannot be
        // reached from there, and the page says so.
        let browser = Browser::phone(&stack.state_dir, user_agent::WECHAT, &[]).await?;
        let client = &browser.client;
        client.goto(&create_session(&stack, 1, "E2E-WECHAT-PICKER").await?.url).await?;
        let order = picker_order(client).await?;
        ensure!(
            order.first().map(String::as_str) == Some("WECHATPAY"),
            "inside WeChat the picker lists {order:?}"
        );
        let (_, issued) = open_for(&stack, client, "wechat_pay", "E2E-WECHAT-PAY").await?;
        let image =
            wait_for(client, "[data-testid=\"qr\"] img[data-testid=\"qr-image\"]", Duration::from_secs(5))
                .await?;
        let pressed = codes_in_data_url(&image.attr("src").await?.unwrap_or_default())?;
        ensure!(pressed == vec![issued.clone()], "the long-press image decodes to {pressed:?}, not {issued}");
        ensure!(
            decode_qr(&image.screenshot().await?)? == vec![issued.clone()],
            "the image on screen is not the code"
        );
        let width = client
            .execute(
                "return document.querySelector('[data-testid=\"qr-image\"]').getBoundingClientRect().width;",
                vec![],
            )
            .await?
            .as_f64()
            .unwrap_or(0.0);
        ensure!(width >= 200.0, "the long-press image is {width} px wide");
        let panel =
            wait_for(client, "[data-testid=\"qr-panel\"]", Duration::from_secs(2)).await?.text().await?;
        ensure!(panel.contains("长按二维码，识别付款"), "no long-press instruction: {panel}");
        save_screenshot(client, "phone-wechat-longpress").await?;
        open_for(&stack, client, "alipay", "E2E-WECHAT-ALIPAY").await?;
        wait_for(client, "[data-testid=\"inapp\"]", Duration::from_secs(5)).await?;
        save_screenshot(client, "phone-wechat-alipay").await?;
        clean_console(&browser, "WeChat").await?;
        browser.close().await?;

        // Inside Alipay: its own code is opened as it is.
        let browser = Browser::phone(&stack.state_dir, user_agent::ALIPAY, &[]).await?;
        let client = &browser.client;
        let (_, issued) = open_for(&stack, client, "alipay", "E2E-ALIPAY-APP").await?;
        let href = open_wallet_href(client).await?;
        ensure!(href == issued, "inside Alipay the button opens {href}, not the code {issued}");
        save_screenshot(client, "phone-alipay-inapp").await?;
        clean_console(&browser, "Alipay").await?;
        browser.close().await?;

        // A desktop keeps today's page: the code to scan, nothing to open.
        let browser = Browser::start(&stack.state_dir, 420, 900).await?;
        let client = &browser.client;
        open_for(&stack, client, "alipay", "E2E-DESKTOP-ALIPAY").await?;
        wait_for(client, "[data-testid=\"qr\"] svg", Duration::from_secs(5)).await?;
        ensure!(
            client.find(Locator::Css("[data-testid=\"open-wallet\"]")).await.is_err(),
            "a desktop offers to open the Alipay app"
        );
        clean_console(&browser, "desktop").await?;
        browser.close().await?;
        Ok(())
    });
}

#[test]
fn without_webassembly_the_qr_stays_and_the_page_says_why() {
    with_stack(|stack| async move {
        // Every page loses its `WebAssembly` object before its own scripts run: what a browser
        // without WebAssembly runs (Chromium 148 ignores V8's `--noexpose_wasm`).
        let browser = Browser::phone(&stack.state_dir, user_agent::ANDROID_CHROME, &[]).await?;
        browser
            .cdp(
                "Page.addScriptToEvaluateOnNewDocument",
                serde_json::json!({"source": "delete window.WebAssembly;"}),
            )
            .await?;
        let client = &browser.client;
        let session = create_session(&stack, 1, "E2E-NO-WASM").await?;
        client.goto(&format!("{}?channel=alipay", session.url)).await?;
        let said =
            wait_for(client, "[data-testid=\"unsupported\"]", Duration::from_secs(15)).await?.text().await?;
        ensure!(said.contains("WebAssembly") && said.contains("二维码仍可使用"), "the page says {said:?}");
        let issued = sandbox_code_url(&stack, &format!("{}_0", session.id)).await?;
        let qr = wait_for(client, "[data-testid=\"qr-first-paint\"] svg", Duration::from_secs(2)).await?;
        ensure!(
            decode_qr(&qr.screenshot().await?)? == vec![issued.clone()],
            "the edge's QR is not the issued code"
        );
        let hidden = client
            .execute("return document.querySelector('[data-testid=\"qr-first-paint\"]').getAttribute('aria-hidden');", vec![])
            .await?;
        ensure!(hidden.is_null(), "the QR stays hidden from assistive technology: {hidden}");
        save_screenshot(client, "phone-no-wasm-qr").await?;

        // Without a QR in the page, the words alone.
        let plain = create_session(&stack, 1, "E2E-NO-WASM-2").await?;
        client.goto(&plain.url).await?;
        let said =
            wait_for(client, "[data-testid=\"unsupported\"]", Duration::from_secs(15)).await?.text().await?;
        ensure!(said.contains("Chrome 96"), "the page says {said:?}");
        save_screenshot(client, "phone-no-wasm-picker").await?;
        clean_console(&browser, "no WebAssembly").await?;
        browser.close().await?;
        Ok(())
    });
}

#[test]
fn the_picture_of_a_code_decodes_to_the_code() {
    for code in [
        "weixin://wxpay/bizpayurl?pr=AbC1234",
        "https://qr.alipay.com/bax03431ljhokirwl38f00a7",
        "https://qr.95516.com/00010000/01234567890123456789",
    ] {
        let png = checkout_shared::qr::png(code).expect("the code fits a QR");
        assert_eq!(decode_qr(&png).expect("a PNG"), vec![code.to_owned()]);
        let url = checkout_shared::qr::data_url(&png);
        assert_eq!(codes_in_data_url(&url).expect("a PNG data URL"), vec![code.to_owned()]);
    }
}
