//! Bank-card quick pay as a shopper does it in headless Chromium on the hosted page: the sign-up
//! form filled by keyboard alone (every field labelled, errors next to their field), the sign-up
//! SMS code, the payment code — a wrong one, a new one after the cooldown (the session's test
//! clock moved, the page reloaded, no sleeps), the right one — and the paid screen, in zh-CN and
//! English at 320 px and desktop width; a returning customer pays with the saved card and removes
//! it; a credit card with CVV2 and expiry. No unmasked card, ID or phone number appears in the
//! page (beyond the fields the shopper typed into), the edge's log or a webhook. Screenshots go
//! to target/e2e/.

use crate::browser::{save_screenshot, wait_for};
use crate::cards::{CARD, CVV2, EXPIRY, ID, advance, create};
use crate::with_stack;
use anyhow::{Context, Result, bail, ensure};
use checkout_shared::api::SessionCreated;
use checkout_tests::{Browser, Stack, WebhookSink};
use fantoccini::{Client, Locator, key::Key};
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

pub(crate) async fn step(client: &Client, name: &str) -> Result<()> {
    wait_for(client, &format!("[data-testid=\"card\"][data-step=\"{name}\"]"), WAIT).await?;
    Ok(())
}

/// Every form control in the card screen has a label (its own `<label for>`, or an
/// `aria-label`).
async fn every_field_is_labelled(client: &Client) -> Result<()> {
    let unlabelled = client
        .execute(
            "return [...document.querySelectorAll('[data-testid=card] input, [data-testid=card] select')]
                .filter(e => e.type !== 'hidden' && e.labels.length === 0 && !e.getAttribute('aria-label'))
                .map(e => e.outerHTML);",
            vec![],
        )
        .await?;
    ensure!(unlabelled.as_array().is_some_and(Vec::is_empty), "unlabelled fields: {unlabelled}");
    Ok(())
}

/// The `data-field` of the focused element.
async fn focused_field(client: &Client) -> Result<String> {
    let field = client
        .execute(
            "return document.activeElement?.dataset?.field ?? document.activeElement?.dataset?.testid ?? '';",
            vec![],
        )
        .await?;
    Ok(field.as_str().unwrap_or_default().to_owned())
}

/// Moves the focus with Tab (at most 8 presses) until `field` has it, then types `text`: the
/// form is usable by keyboard alone.
async fn tab_to_and_type(client: &Client, field: &str, text: &str) -> Result<()> {
    for _ in 0..8 {
        if focused_field(client).await? == field {
            client.active_element().await?.send_keys(text).await?;
            return Ok(());
        }
        client.active_element().await?.send_keys(&Key::Tab.to_string()).await?;
    }
    bail!("Tab never reached the {field} field (stuck at {})", focused_field(client).await?)
}

/// The page as text and markup, without what the shopper typed into the form's fields.
async fn page_without_typed_values(client: &Client) -> Result<String> {
    let text = client
        .execute(
            "const copy = document.documentElement.cloneNode(true);
             copy.querySelectorAll('input, select, textarea').forEach(e => e.removeAttribute('value'));
             return copy.outerHTML;",
            vec![],
        )
        .await?;
    Ok(text.as_str().unwrap_or_default().to_owned())
}

pub(crate) async fn no_unmasked_data(client: &Client, phone: &str, when: &str) -> Result<()> {
    let page = page_without_typed_values(client).await?;
    for secret in [CARD, "6217 9201 5105 0000", ID, phone] {
        ensure!(!page.contains(secret), "{when}: {secret} is in the page");
    }
    Ok(())
}

async fn open_card(client: &Client, session: &SessionCreated, lang: &str) -> Result<()> {
    client.goto(&format!("{}?lang={lang}", session.url)).await?;
    wait_for(client, "button[data-method=\"payzero_card\"]", WAIT).await?.click().await?;
    Ok(())
}

/// Fills and sends the sign-up form by keyboard alone.
pub(crate) async fn sign_up_by_keyboard(
    client: &Client,
    phone: &str,
    credit: bool,
    shot: &str,
) -> Result<()> {
    step(client, "form").await?;
    every_field_is_labelled(client).await?;
    // A wrong ID number is flagged next to its field once the shopper leaves it.
    let id = wait_for(client, "input[data-field=\"id_number\"]", WAIT).await?;
    id.send_keys(&format!("310113198010101234{}", Key::Tab)).await?;
    let error = wait_for(client, "[data-testid=\"field-error\"][data-field=\"id_number\"]", WAIT).await?;
    ensure!(!error.text().await?.is_empty(), "the ID error is empty");
    let invalid = id.attr("aria-invalid").await?;
    ensure!(invalid.as_deref() == Some("true"), "the ID field is not aria-invalid");
    save_screenshot(client, &format!("{shot}-form-error")).await?;
    id.clear().await?;

    client.execute("document.getElementById('ce-card-account_name').focus();", vec![]).await?;
    tab_to_and_type(client, "account_name", "张三").await?;
    tab_to_and_type(client, "card_number", CARD).await?;
    let number = wait_for(client, "input[data-field=\"card_number\"]", WAIT).await?;
    let shown = number.prop("value").await?;
    ensure!(shown.as_deref() == Some("6217 9201 5105 0000"), "the card number is shown as {shown:?}");
    // An edit in the middle (a digit typed after "62", then taken back) regroups the number
    // and keeps the caret where the shopper was typing.
    number.send_keys(&format!("{}{}{}8{}", Key::Home, Key::Right, Key::Right, Key::Backspace)).await?;
    let caret = client.execute("return document.activeElement.selectionStart", vec![]).await?;
    let shown = number.prop("value").await?;
    ensure!(
        shown.as_deref() == Some("6217 9201 5105 0000") && caret == json!(2),
        "after an edit in the middle the number is {shown:?} with the caret at {caret}"
    );
    number.send_keys(&Key::End.to_string()).await?;
    if credit {
        client
            .execute("document.querySelector('input[name=card_type][value=credit]').click();", vec![])
            .await?;
    }
    // The bank: the searchable list, narrowed to the test bank, then chosen from the select.
    tab_to_and_type(client, "bank-filter", "999").await?;
    client.active_element().await?.send_keys(&Key::Tab.to_string()).await?;
    ensure!(
        focused_field(client).await? == "bank_code",
        "Tab from the filter went to {}",
        focused_field(client).await?
    );
    client.active_element().await?.send_keys(&Key::Down.to_string()).await?;
    let bank = wait_for(client, "select[data-field=\"bank_code\"]", WAIT).await?.prop("value").await?;
    ensure!(bank.as_deref() == Some("999"), "the bank chosen is {bank:?}");
    tab_to_and_type(client, "id_number", ID).await?;
    tab_to_and_type(client, "mobile", phone).await?;
    if credit {
        tab_to_and_type(client, "cvv2", CVV2).await?;
        tab_to_and_type(client, "expiry", EXPIRY).await?;
    }
    save_screenshot(client, &format!("{shot}-form")).await?;
    client.active_element().await?.send_keys(&Key::Enter.to_string()).await?;
    Ok(())
}

pub(crate) async fn enter_code(client: &Client, code: &str) -> Result<()> {
    let input = wait_for(client, "input[data-field=\"code\"]", WAIT).await?;
    ensure!(
        input.attr("autocomplete").await?.as_deref() == Some("one-time-code"),
        "no one-time-code autocomplete"
    );
    input.clear().await?;
    input.send_keys(&format!("{code}{}", Key::Enter)).await?;
    Ok(())
}

async fn clean_console(browser: &Browser) -> Result<()> {
    let problems = browser.console_problems().await?;
    ensure!(problems.is_empty(), "the browser console has problems: {problems:#?}");
    Ok(())
}

/// One shopper's whole first purchase with a new card, in `lang` at `width` px.
async fn first_purchase(
    stack: &Stack,
    lang: &str,
    width: u32,
    phone: &str,
    sink: &WebhookSink,
) -> Result<String> {
    let shot = format!("card-{lang}-{width}");
    let session =
        create(stack, &format!("UI-CARD-{lang}-{width}"), Some(&format!("cus_{lang}_{width}")), Some(sink))
            .await?;
    let browser = Browser::start(&stack.state_dir, width, 900).await?;
    let client = &browser.client;
    // Chromium starts no narrower than 500 px; resized, the page is exactly `width` wide.
    client.set_window_size(width, 900).await?;
    open_card(client, &session, lang).await?;
    let viewport = client.execute("return document.documentElement.clientWidth", vec![]).await?;
    ensure!(viewport == json!(width), "the page is {viewport} px wide, not {width}");
    sign_up_by_keyboard(client, phone, false, &shot).await?;
    let sideways = client
        .execute("return document.documentElement.scrollWidth > document.documentElement.clientWidth", vec![])
        .await?;
    ensure!(sideways == json!(false), "the card form scrolls sideways at {width} px");

    step(client, "signup_code_sent").await?;
    let masked = wait_for(client, "[data-testid=\"code-phone\"]", WAIT).await?.text().await?;
    ensure!(masked.contains(&format!("{}****{}", &phone[..3], &phone[7..])), "the phone shown is {masked}");
    save_screenshot(client, &format!("{shot}-signup-code")).await?;
    no_unmasked_data(client, phone, "sign-up code").await?;
    enter_code(client, "123456").await?;

    step(client, "pay_code_sent").await?;
    save_screenshot(client, &format!("{shot}-pay-code")).await?;
    // A wrong code: said so, with the tries left; the resend waits for the cooldown.
    enter_code(client, "000000").await?;
    wait_for(client, "[data-testid=\"tries-left\"]", WAIT).await?;
    let resend = wait_for(client, "button[data-testid=\"code-resend\"]", WAIT).await?;
    ensure!(resend.attr("disabled").await?.is_some(), "resend is allowed during the cooldown");
    wait_for(client, "[data-testid=\"resend-countdown\"]", WAIT).await?;
    save_screenshot(client, &format!("{shot}-wrong-code")).await?;
    // The cooldown passes on the session's clock; the shopper reloads and the step resumes.
    advance(stack, &session.client_secret, 61).await?;
    client.refresh().await?;
    step(client, "pay_code_sent").await?;
    let resend = wait_for(client, "button[data-testid=\"code-resend\"]:not([disabled])", WAIT).await?;
    resend.click().await?;
    wait_for(client, "[data-testid=\"code-expiry\"]", WAIT).await?;
    enter_code(client, "654321").await?;
    wait_for(client, "[data-testid=\"paid\"]", WAIT).await?;
    save_screenshot(client, &format!("{shot}-paid")).await?;
    no_unmasked_data(client, phone, "paid").await?;
    clean_console(&browser).await?;
    browser.close().await?;
    Ok(session.id)
}

#[test]
fn shoppers_sign_a_card_and_pay_with_sms_codes_in_both_languages_and_widths() {
    with_stack(|stack| async move {
        let sink = WebhookSink::start().await?;
        let runs = [
            ("zh-CN", 320, "13700137001"),
            ("en", 320, "13700137002"),
            ("zh-CN", 1280, "13700137003"),
            ("en", 1280, "13700137004"),
        ];
        for (lang, width, phone) in runs {
            let id = first_purchase(&stack, lang, width, phone, &sink)
                .await
                .with_context(|| format!("{lang} at {width} px"))?;
            wait_paid_event(&sink, &id).await?;
        }
        let logs = stack.logs();
        for (_, body) in sink.requests() {
            let text = String::from_utf8_lossy(&body).into_owned();
            for secret in [CARD, ID] {
                ensure!(!text.contains(secret), "{secret} in a webhook");
            }
        }
        for secret in [CARD, ID, "13700137001", "13700137004"] {
            ensure!(!logs.contains(secret), "{secret} in the logs");
        }
        Ok(())
    });
}

async fn wait_paid_event(sink: &WebhookSink, id: &str) -> Result<Value> {
    for _ in 0..100 {
        if let Some(e) =
            sink.events().into_iter().find(|e| e["type"] == "checkout.session.paid" && e["data"]["id"] == id)
        {
            return Ok(e);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("no paid event for {id}")
}

#[test]
fn a_returning_customer_pays_with_the_saved_card_and_removes_it_and_a_credit_card_signs() {
    with_stack(|stack| async move {
        let phone = "13600136001";
        // The first session signs the card (over the API: the browser flow is tested above).
        let first = create(&stack, "UI-SAVED-1", Some("cus_saved"), None).await?;
        crate::cards::ok(
            &stack,
            &first.client_secret,
            "card/signup",
            crate::cards::signup_form(phone, false),
        )
        .await?;
        crate::cards::ok(&stack, &first.client_secret, "card/signup/confirm", json!({"code": "123456"}))
            .await?;

        let browser = Browser::start(&stack.state_dir, 1280, 900).await?;
        let client = &browser.client;
        let second = create(&stack, "UI-SAVED-2", Some("cus_saved"), None).await?;
        open_card(client, &second, "en").await?;
        step(client, "choose").await?;
        let saved = wait_for(client, "[data-testid=\"saved-card\"]", WAIT).await?;
        let text = saved.text().await?;
        ensure!(text.contains("0000") && !text.contains(CARD), "the saved card shows {text}");
        save_screenshot(client, "card-en-1280-saved").await?;
        saved.find(Locator::Css("button[data-testid=\"card-pay\"]")).await?.click().await?;
        step(client, "pay_code_sent").await?;
        enter_code(client, "112233").await?;
        wait_for(client, "[data-testid=\"paid\"]", WAIT).await?;
        clean_console(&browser).await?;

        // A third session removes it: asked first, then gone, for the merchant too.
        let third = create(&stack, "UI-SAVED-3", Some("cus_saved"), None).await?;
        open_card(client, &third, "zh-CN").await?;
        step(client, "choose").await?;
        wait_for(client, "button[data-testid=\"card-remove\"]", WAIT).await?.click().await?;
        save_screenshot(client, "card-zh-1280-remove").await?;
        wait_for(client, "button[data-testid=\"card-remove-confirm\"]", WAIT).await?.click().await?;
        step(client, "form").await?;
        let cards = stack.client()?.customer_cards("cus_saved").await?;
        ensure!(cards.cards.is_empty(), "still saved: {cards:?}");

        // A credit card, in the same browser: CVV2 and expiry are asked for and signed.
        let credit = create(&stack, "UI-CREDIT", None, None).await?;
        open_card(client, &credit, "en").await?;
        sign_up_by_keyboard(client, "13600136002", true, "card-en-1280-credit").await?;
        step(client, "signup_code_sent").await?;
        enter_code(client, "123456").await?;
        step(client, "pay_code_sent").await?;
        enter_code(client, "123456").await?;
        wait_for(client, "[data-testid=\"paid\"]", WAIT).await?;
        no_unmasked_data(client, "13600136002", "credit paid").await?;
        clean_console(&browser).await?;
        browser.close().await?;
        Ok(())
    });
}
