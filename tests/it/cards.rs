//! Bank-card quick pay over HTTP, through `wrangler dev` and the sandbox: a card signed and paid
//! with SMS codes, a wrong code then a new one after the cooldown (the session's test clock moved,
//! no sleeps), an expired code, the card saved for the customer and paid again in a later session,
//! removed by the merchant, the per-phone SMS cap across two sessions, a credit card's CVV2 and
//! expiry forwarded and kept nowhere, and bad input refused field by field.

use crate::api::{checkout, http};
use crate::gateways::{create_with, wait_until, webhook};
use crate::with_stack;
use anyhow::{Context, Result, bail, ensure};
use checkout_shared::Fen;
use checkout_shared::api::{
    CardProblem, CardStep, CardView, CheckoutView, CreateSessionRequest, CustomerCards, ErrorCode,
    PaymentMethod, SessionCreated, StatusUpdate,
};
use checkout_tests::{Stack, WebhookSink};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

pub(crate) const AMOUNT: u64 = 2599;
/// The test bank of spec 5.1 with a real-shaped card number (the sandbox signs bank 999 only).
pub(crate) const CARD: &str = "6217920151050000";
pub(crate) const ID: &str = "310113198010101232";
pub(crate) const CVV2: &str = "739";
pub(crate) const EXPIRY: &str = "2911";

pub(crate) async fn create(
    stack: &Stack,
    order_no: &str,
    customer: Option<&str>,
    hooks: Option<&WebhookSink>,
) -> Result<SessionCreated> {
    let mut request = CreateSessionRequest::new(Fen(AMOUNT), "E2E 银行卡", order_no)
        .with_methods(vec![PaymentMethod::PayzeroCard, PaymentMethod::PayzeroQr]);
    if let Some(customer) = customer {
        request = request.with_customer(customer);
    }
    create_with(stack, request, hooks).await
}

pub(crate) fn signup_form(phone: &str, credit: bool) -> Value {
    let mut form = json!({
        "account_name": "张三", "card_number": "6217 9201 5105 0000", "card_type": "debit",
        "bank_code": "999", "id_number": ID, "mobile": phone,
    });
    if credit {
        form["card_type"] = json!("credit");
        form["cvv2"] = json!(CVV2);
        form["expiry"] = json!(EXPIRY);
    }
    form
}

/// A card call: `Ok(view)` on 200, `Err((status, body))` otherwise.
pub(crate) async fn card(
    stack: &Stack,
    cs: &str,
    path: &str,
    body: Value,
) -> Result<Result<CardView, (u16, Value)>> {
    let r = checkout(stack, Method::POST, cs, &format!("/{path}")).json(&body).send().await?;
    let status = r.status().as_u16();
    let retry_after = r.headers().get("Retry-After").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let text = r.text().await?;
    if status == 200 {
        return Ok(Ok(serde_json::from_str(&text).with_context(|| format!("card view: {text}"))?));
    }
    let mut body: Value = serde_json::from_str(&text).with_context(|| format!("error body: {text}"))?;
    body["retry_after_header"] = json!(retry_after);
    Ok(Err((status, body)))
}

pub(crate) async fn ok(stack: &Stack, cs: &str, path: &str, body: Value) -> Result<CardView> {
    match card(stack, cs, path, body).await? {
        Ok(view) => Ok(view),
        Err((status, body)) => bail!("{path} answered {status}: {body}"),
    }
}

pub(crate) async fn advance(stack: &Stack, cs: &str, secs: u64) -> Result<()> {
    let r =
        checkout(stack, Method::POST, cs, "/test/clock").json(&json!({"advance_secs": secs})).send().await?;
    ensure!(r.status() == 200, "clock answered {}: {}", r.status(), r.text().await?);
    Ok(())
}

async fn view(stack: &Stack, cs: &str) -> Result<CheckoutView> {
    let r = checkout(stack, Method::GET, cs, "").send().await?;
    ensure!(r.status() == 200, "view answered {}", r.status());
    Ok(r.json().await?)
}

async fn wait_paid(stack: &Stack, cs: &str) -> Result<StatusUpdate> {
    wait_until(stack, cs, Duration::from_secs(60), |u| u.status.as_str() == "paid").await
}

async fn customer_cards(stack: &Stack, customer: &str) -> Result<CustomerCards> {
    Ok(stack.client()?.customer_cards(customer).await?)
}

#[test]
fn a_card_is_signed_paid_saved_paid_again_and_removed() {
    with_stack(|stack| async move {
        let sink = WebhookSink::start().await?;
        let phone = "13800138001";
        let first = create(&stack, "CARD-1", Some("cus_e2e_1"), Some(&sink)).await?;
        let cs = &first.client_secret;
        let v = ok(&stack, cs, "card/signup", signup_form(phone, false)).await?;
        ensure!(v.step == CardStep::SignupCodeSent, "{v:?}");
        let masked = v.card.clone().context("the card in the view")?;
        ensure!(masked.number == "6217 **** **** 0000" && masked.phone == "138****8001", "{masked:?}");
        ensure!(v.code_expires_at.is_some() && v.tries_left == 3, "{v:?}");
        // The sign-up code; the payment code goes out at once.
        let v = ok(&stack, cs, "card/signup/confirm", json!({"code": "123456"})).await?;
        ensure!(v.step == CardStep::PayCodeSent, "{v:?}");
        // A wrong code (the sandbox's 000000), then a resend blocked by the cooldown, allowed after.
        let v = ok(&stack, cs, "card/pay/confirm", json!({"code": "000000"})).await?;
        ensure!(v.problem == Some(CardProblem::CodeWrong) && v.tries_left == 2, "{v:?}");
        ensure!(v.gateway_code.as_deref() == Some("50061"), "{v:?}");
        match card(&stack, cs, "card/pay/resend", json!({})).await? {
            Err((429, body)) => {
                ensure!(body["error"]["code"] == "rate_limited", "{body}");
                ensure!(body["retry_after_header"].as_str().is_some(), "no Retry-After: {body}");
            }
            other => bail!("a resend inside the cooldown was not refused: {other:?}"),
        }
        advance(&stack, cs, 61).await?;
        let v = ok(&stack, cs, "card/pay/resend", json!({})).await?;
        ensure!(v.step == CardStep::PayCodeSent && v.problem.is_none(), "{v:?}");
        let v = ok(&stack, cs, "card/pay/confirm", json!({"code": "654321"})).await?;
        ensure!(matches!(v.step, CardStep::Processing | CardStep::Paid), "{v:?}");
        wait_paid(&stack, cs).await?;
        let paid = webhook(&sink, "checkout.session.paid").await?;
        ensure!(paid["data"]["payment_method"] == "payzero_card", "{paid}");
        ensure!(paid["data"]["card"]["number"] == "6217 **** **** 0000", "{paid}");
        ensure!(paid["data"]["card"]["bank_code"] == "999", "{paid}");

        // Saved for the customer, seen by the merchant, offered in the next session.
        let saved = customer_cards(&stack, "cus_e2e_1").await?;
        ensure!(saved.cards.len() == 1 && saved.cards[0].number == "6217 **** **** 0000", "{saved:?}");
        let second = create(&stack, "CARD-2", Some("cus_e2e_1"), None).await?;
        let offered = view(&stack, &second.client_secret).await?.saved_cards;
        ensure!(offered == saved.cards, "offered {offered:?}");
        let v = ok(&stack, &second.client_secret, "card/pay", json!({"card_id": offered[0].id})).await?;
        ensure!(v.step == CardStep::PayCodeSent, "{v:?}");
        ok(&stack, &second.client_secret, "card/pay/confirm", json!({"code": "112233"})).await?;
        wait_paid(&stack, &second.client_secret).await?;

        // Another customer's session cannot pay with it.
        let stranger = create(&stack, "CARD-3", Some("cus_e2e_2"), None).await?;
        match card(&stack, &stranger.client_secret, "card/pay", json!({"card_id": offered[0].id})).await? {
            Err((400, body)) => ensure!(body["error"]["field"] == "card_id", "{body}"),
            other => bail!("a stranger paid with the card: {other:?}"),
        }
        // Nor remove it: a card that is not the session's is 404, and stays saved.
        let r =
            checkout(&stack, Method::DELETE, &stranger.client_secret, &format!("/cards/{}", offered[0].id))
                .send()
                .await?;
        let status = r.status();
        let body: Value = r.json().await?;
        ensure!(
            status == 404 && body["error"]["code"] == "not_found",
            "a stranger's removal: {status} {body}"
        );
        ensure!(customer_cards(&stack, "cus_e2e_1").await?.cards.len() == 1, "removed by a stranger");
        // The merchant removes it; a second removal is 404.
        let client = stack.client()?;
        client.forget_card("cus_e2e_1", &offered[0].id).await?;
        match client.forget_card("cus_e2e_1", &offered[0].id).await {
            Err(e) if e.code() == Some(&ErrorCode::NotFound) => {}
            other => bail!("a second removal answered {other:?}"),
        }
        ensure!(customer_cards(&stack, "cus_e2e_1").await?.cards.is_empty(), "still saved");
        let r = http().get(format!("{}/v1/customers/cus_e2e_1/cards", stack.edge_url)).send().await?;
        ensure!(r.status() == 401, "the card list without the merchant key answered {}", r.status());

        // No unmasked card, ID or phone in any webhook.
        for (_, body) in sink.requests() {
            let text = String::from_utf8_lossy(&body);
            for secret in [CARD, ID, phone] {
                ensure!(!text.contains(secret), "{secret} in a webhook: {text}");
            }
        }
        Ok(())
    });
}

#[test]
fn expired_codes_credit_cards_and_bad_input() {
    with_stack(|stack| async move {
        let session = create(&stack, "CARD-4", None, None).await?;
        let cs = &session.client_secret;
        // Bad input, field by field, changes nothing.
        let mut bad = signup_form("13800138002", false);
        bad["id_number"] = json!("310113198010101234");
        match card(&stack, cs, "card/signup", bad).await? {
            Err((400, body)) => {
                ensure!(body["error"]["code"] == "invalid_request", "{body}");
                ensure!(
                    body["error"]["field"] == "id_number" && body["error"]["problem"] == "checksum",
                    "{body}"
                );
                ensure!(!body.to_string().contains("310113198010101234"), "the ID echoed: {body}");
            }
            other => bail!("a bad ID number was accepted: {other:?}"),
        }
        let mut extra = signup_form("13800138002", false);
        extra["amount"] = json!(1);
        match card(&stack, cs, "card/signup", extra).await? {
            Err((400, body)) => ensure!(body["error"]["code"] == "invalid_json", "{body}"),
            other => bail!("an amount field was accepted: {other:?}"),
        }
        // A wrong type: the error names the field and never repeats the value.
        let mut typed = signup_form("13800138002", false);
        typed["card_number"] = json!(6_217_920_151_050_000_u64);
        match card(&stack, cs, "card/signup", typed).await? {
            Err((400, body)) => {
                ensure!(body["error"]["code"] == "invalid_json", "{body}");
                ensure!(body["error"]["message"].as_str().unwrap_or("").contains("card_number"), "{body}");
                ensure!(!body.to_string().contains(CARD), "the card number echoed: {body}");
            }
            other => bail!("a numeric card number was accepted: {other:?}"),
        }
        let mut debit_cvv = signup_form("13800138002", false);
        debit_cvv["cvv2"] = json!("123");
        match card(&stack, cs, "card/signup", debit_cvv).await? {
            Err((400, body)) => ensure!(body["error"]["problem"] == "not_for_debit", "{body}"),
            other => bail!("a debit card with CVV2 was accepted: {other:?}"),
        }
        let r = checkout(&stack, Method::POST, cs, "/card/signup").body(vec![b'x'; 10_000]).send().await?;
        ensure!(r.status() == 413, "an oversized body answered {}", r.status());
        ensure!(view(&stack, cs).await?.card.is_none(), "bad input changed the session");

        // A credit card: CVV2 and expiry reach Payzero, and nothing else keeps them.
        let v = ok(&stack, cs, "card/signup", signup_form("13800138002", true)).await?;
        ensure!(v.step == CardStep::SignupCodeSent, "{v:?}");
        let sent = Value::from(crate::gateways::sandbox_requests(&stack, "/payzero/sdbc/agreeApply").await?);
        let sent = sent.to_string();
        ensure!(sent.contains(CVV2) && sent.contains(EXPIRY), "CVV2/expiry not forwarded: {sent}");
        ok(&stack, cs, "card/signup/confirm", json!({"code": "123456"})).await?;
        // The payment code expires unused: refused here, with no call.
        advance(&stack, cs, 181).await?;
        let v = ok(&stack, cs, "card/pay/confirm", json!({"code": "123456"})).await?;
        ensure!(v.problem == Some(CardProblem::CodeExpired) && v.code_expires_at.is_none(), "{v:?}");
        let v = ok(&stack, cs, "card/pay/resend", json!({})).await?;
        ensure!(v.step == CardStep::PayCodeSent && v.problem.is_none(), "{v:?}");
        ok(&stack, cs, "card/pay/confirm", json!({"code": "123456"})).await?;
        wait_paid(&stack, cs).await?;
        // The edge's log never printed the card data.
        let logs = stack.logs();
        for secret in [CARD, ID, "13800138002", CVV2] {
            ensure!(!logs.contains(secret), "{secret} in the logs");
        }
        Ok(())
    });
}

#[test]
fn the_per_phone_sms_cap_holds_across_sessions() {
    with_stack(|stack| async move {
        let phone = "13900139000";
        let a = create(&stack, "CARD-5", None, None).await?;
        let b = create(&stack, "CARD-6", None, None).await?;
        // Five codes per phone per hour by default: three in one session, two in another.
        for i in 0..3 {
            if i > 0 {
                advance(&stack, &a.client_secret, 61).await?;
            }
            ok(&stack, &a.client_secret, "card/signup", signup_form(phone, false)).await?;
        }
        for i in 0..2 {
            if i > 0 {
                advance(&stack, &b.client_secret, 61).await?;
            }
            ok(&stack, &b.client_secret, "card/signup", signup_form(phone, false)).await?;
        }
        advance(&stack, &b.client_secret, 61).await?;
        match card(&stack, &b.client_secret, "card/signup", signup_form(phone, false)).await? {
            Err((429, body)) => {
                ensure!(body["error"]["code"] == ErrorCode::RateLimited.as_str(), "{body}");
                let retry: u64 = body["retry_after_header"].as_str().unwrap_or("0").parse()?;
                ensure!(retry > 60, "retry after {retry} s");
            }
            other => bail!("a sixth code to one phone within the hour was sent: {other:?}"),
        }
        // Another phone in a fresh session is not held back by it.
        let c = create(&stack, "CARD-7", None, None).await?;
        ok(&stack, &c.client_secret, "card/signup", signup_form("13900139001", false)).await?;
        // The phone is locked to a session after its first code.
        advance(&stack, &c.client_secret, 61).await?;
        match card(&stack, &c.client_secret, "card/signup", signup_form("13900139002", false)).await? {
            Err((400, body)) => ensure!(body["error"]["problem"] == "phone_locked", "{body}"),
            other => bail!("a second phone number was accepted: {other:?}"),
        }
        Ok(())
    });
}

#[test]
fn payments_that_need_no_sms_code_are_confirmed_and_paid() {
    with_stack(|stack| async move {
        // The sandbox's test cards (its README): …0002 is paid at once, …0003 is confirmed
        // without a code and settles 30 s of sandbox time later.
        for (ending, phone) in [("0002", "13500135002"), ("0003", "13500135003")] {
            let session = create(&stack, &format!("CARD-NOSMS-{ending}"), None, None).await?;
            let cs = &session.client_secret;
            let mut form = signup_form(phone, false);
            form["card_number"] = json!(format!("621792015105{ending}"));
            ok(&stack, cs, "card/signup", form).await?;
            let v = ok(&stack, cs, "card/signup/confirm", json!({"code": "123456"})).await?;
            ensure!(matches!(v.step, CardStep::Processing | CardStep::Paid), "{ending}: {v:?}");
            if ending == "0003" {
                let r = http()
                    .post(format!("{}/__admin/clock/advance", stack.sandbox_url))
                    .json(&json!({"seconds": 31}))
                    .send()
                    .await?;
                ensure!(r.status().is_success(), "clock advance answered {}", r.status());
            }
            wait_paid(&stack, cs).await?;
            let v = view(&stack, cs).await?;
            ensure!(v.card.as_ref().is_some_and(|c| c.step == CardStep::Paid), "{ending}: {:?}", v.card);
        }
        Ok(())
    });
}
