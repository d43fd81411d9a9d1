//! Attacks from a browser's side, over HTTP: another session's id with a wrong secret, and an
//! amount or price slipped into every browser-facing request. Each is refused with a stable code
//! and changes nothing: the session keeps the merchant's amount and no order is made.

use crate::api::{checkout, checkout_view, http};
use crate::with_stack;
use anyhow::{Result, ensure};
use checkout_shared::Fen;
use checkout_shared::api::{CreateSessionRequest, ErrorBody, ErrorCode, PaymentMethod, SessionCreated};
use checkout_tests::Stack;
use reqwest::Method;
use serde_json::{Value, json};

async fn open_session(stack: &Stack, order_no: &str) -> Result<SessionCreated> {
    let request = CreateSessionRequest::new(Fen(8800), "攻击测试", order_no).with_methods(vec![
        PaymentMethod::PayzeroQr,
        PaymentMethod::PayzeroCard,
        PaymentMethod::ShouqianbaBarcode,
    ]);
    Ok(stack.client()?.create_session(&request).await?)
}

async fn expect_error(response: reqwest::Response, status: u16, code: ErrorCode, what: &str) -> Result<()> {
    let got = response.status().as_u16();
    let text = response.text().await?;
    ensure!(got == status, "{what}: answered {got}, expected {status}: {text}");
    let body: ErrorBody = serde_json::from_str(&text)?;
    ensure!(body.error.code == code, "{what}: code {:?}, expected {code:?}", body.error.code);
    Ok(())
}

#[test]
fn another_sessions_id_with_a_wrong_secret_reaches_nothing() {
    with_stack(|stack| async move {
        let a = open_session(&stack, "ATTACK-A").await?;
        let b = open_session(&stack, "ATTACK-B").await?;
        // A's real id with B's (valid-looking) secret part, and A's secret cut short.
        let b_tail = b.client_secret.rsplit_once("_secret_").map(|(_, t)| t).unwrap_or_default();
        let forged = format!("{}_secret_{b_tail}", a.id);
        let cut = &a.client_secret[..a.client_secret.len() - 1];
        for secret in [forged.as_str(), cut] {
            expect_error(
                checkout(&stack, Method::GET, secret, "").send().await?,
                404,
                ErrorCode::NotFound,
                "view",
            )
            .await?;
            let qr = checkout(&stack, Method::POST, secret, "/qr")
                .json(&json!({"method": "payzero_qr", "channel": "wechat_pay"}))
                .send()
                .await?;
            expect_error(qr, 404, ErrorCode::NotFound, "qr").await?;
            let status = checkout(&stack, Method::GET, secret, "/status?since=0").send().await?;
            expect_error(status, 404, ErrorCode::NotFound, "status").await?;
            let pay = checkout(&stack, Method::POST, secret, "/card/pay")
                .json(&json!({"card_id": "card_x"}))
                .send()
                .await?;
            expect_error(pay, 404, ErrorCode::NotFound, "card pay").await?;
            // The hosted page still loads (it is the same page for everyone) but carries no view.
            let page =
                http().get(format!("{}/pay/{secret}?channel=wechat_pay", stack.edge_url)).send().await?;
            ensure!(page.status() == 200, "the page answered {}", page.status());
            let html = page.text().await?;
            ensure!(!html.contains("id=\"ce-view\""), "a wrong secret got a session's view in the page");
        }
        // Neither session was touched: no QR, no order.
        for session in [&a, &b] {
            let view = checkout_view(&stack, &session.client_secret).await?;
            ensure!(
                view.qr.is_none()
                    && view.version == checkout_view(&stack, &session.client_secret).await?.version
            );
            let merchant = stack.client()?.get_session(&session.id).await?;
            ensure!(merchant.attempts.is_empty(), "{} has attempts: {:?}", session.id, merchant.attempts);
        }
        Ok(())
    });
}

#[test]
fn an_amount_slipped_into_any_browser_request_is_refused() {
    with_stack(|stack| async move {
        let session = open_session(&stack, "ATTACK-AMOUNT").await?;
        let cs = session.client_secret.as_str();
        let signup = json!({
            "account_name": "张三", "card_number": "6217000000000000", "card_type": "debit",
            "bank_code": "0105", "id_number": "11010519491231002X", "mobile": "13800138000",
        });
        let requests: [(&str, Value); 6] = [
            ("/qr", json!({"method": "payzero_qr", "channel": "wechat_pay"})),
            ("/barcode", json!({"method": "shouqianba_barcode", "code": "134567890123456789"})),
            ("/card/signup", signup),
            ("/card/signup/confirm", json!({"code": "123456"})),
            ("/card/pay", json!({"card_id": "card_x"})),
            ("/card/pay/confirm", json!({"code": "123456"})),
        ];
        for (tail, body) in requests {
            for field in ["amount", "price", "total_fee"] {
                let mut body = body.clone();
                body[field] = json!(1);
                let answer = checkout(&stack, Method::POST, cs, tail).json(&body).send().await?;
                expect_error(answer, 400, ErrorCode::InvalidJson, &format!("{tail} with {field}")).await?;
            }
        }
        // Endpoints that read no body ignore one: nothing in it can reach the session.
        let resend =
            checkout(&stack, Method::POST, cs, "/card/pay/resend").json(&json!({"amount": 1})).send().await?;
        ensure!(
            !resend.status().is_success(),
            "a resend with nothing to resend answered {}",
            resend.status()
        );
        let view = checkout_view(&stack, cs).await?;
        ensure!(view.amount == Fen(8800), "the amount became {:?}", view.amount);
        ensure!(
            view.qr.is_none() && view.barcode.is_none() && view.card.is_none(),
            "something started: {view:?}"
        );
        let merchant = stack.client()?.get_session(&session.id).await?;
        ensure!(
            merchant.attempts.is_empty() && merchant.amount == Fen(8800),
            "the session changed: {merchant:?}"
        );
        Ok(())
    });
}
