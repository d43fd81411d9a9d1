//! The Payzero back-office calls end to end through `checkout-client`: a real-name check, a batch
//! uploaded, paid and read back page by page, createAndPay with arrangePay, an order paid
//! elsewhere pushed with createAndMockpay and redoMockpay, a customs declaration; bad input
//! refused naming the field, and no way in without the merchant key.

use crate::api::http;
use crate::gateways::admin;
use crate::with_stack;
use anyhow::{Result, bail, ensure};
use checkout_client::api::ErrorCode;
use checkout_client::{Error, Fen};
use checkout_shared::backoffice::RealNameCheck;
use checkout_shared::mask::IdNumber;
use checkout_shared::payzero::{CustomsCode, DeclareRequest, Order, PayStatus, RealPersonResult};
use checkout_tests::Stack;
use serde_json::json;

fn order(no: &str, fen: u64) -> Order {
    Order::new(no, Fen(fen), "面霜 Face cream")
}

fn declared(no: &str, fen: u64) -> Order {
    order(no, fen).with_customs_code(CustomsCode::Shanghai).with_payer(
        "李白",
        "310113198010101232",
        "13800138000",
    )
}

/// Moves the sandbox's clock, so its scheduled payments and declarations happen now.
async fn advance(stack: &Stack, seconds: u64) -> Result<()> {
    admin(stack, "/clock/advance", json!({ "seconds": seconds })).await?;
    Ok(())
}

fn refused_field<T: std::fmt::Debug>(result: Result<T, Error>, field: &str) -> Result<()> {
    match result {
        Err(Error::Api { status: 400, error, .. })
            if error.code == ErrorCode::InvalidRequest && error.message.starts_with(field) =>
        {
            Ok(())
        }
        other => bail!("expected 400 naming {field}, got {other:?}"),
    }
}

#[test]
fn payzero_back_office_calls_work_end_to_end() {
    with_stack(|stack| async move {
        let client = stack.client()?;

        // Real-name check (the sandbox passes IDs starting with 1, fails names for 3…).
        let pass = RealNameCheck { name: "张三".into(), id_number: IdNumber::from("11010519491231002X") };
        let checked = client.payzero_real_name_check(&pass).await?;
        ensure!(checked.result == RealPersonResult::Pass, "{checked:?}");
        ensure!(checked.idno.expose() == "1101**********002X", "the ID came back unmasked: {checked:?}");
        let other = RealNameCheck { name: "张三".into(), id_number: IdNumber::from("310113198010101232") };
        ensure!(
            client.payzero_real_name_check(&other).await?.result == RealPersonResult::NameInvalid,
            "3… is NAME_INVALID"
        );
        let broken = RealNameCheck { name: "张三".into(), id_number: IdNumber::from("11010519491231003X") };
        refused_field(client.payzero_real_name_check(&broken).await, "id_number")?;

        // A batch of three: uploaded, paid, settled, read back two a page.
        let batch = vec![order("BO-B-1", 100), order("BO-B-2", 200), declared("BO-B-3", 300)];
        let uploaded = client.payzero_upload_batch(&batch).await?;
        ensure!(uploaded.order_total_amount == Fen(600), "{uploaded:?}");
        let batch_id = uploaded.order_batch_id.to_string();
        client.payzero_pay_batch(&batch_id).await?;
        advance(&stack, 31).await?;
        let summary = client.payzero_batch_summary(&batch_id).await?;
        ensure!(summary.total == 3 && summary.pay_success_count == 3, "{summary:?}");
        ensure!(summary.total_payment_amount == Fen(600), "{summary:?}");
        let first = client.payzero_batch_feedback(&batch_id, 1, 2).await?;
        let second = client.payzero_batch_feedback(&batch_id, 2, 2).await?;
        ensure!(first.total == 3 && first.rows.len() == 2 && second.rows.len() == 1, "{first:?} {second:?}");
        let mut seen: Vec<String> =
            first.rows.iter().chain(&second.rows).map(|o| o.mcht_order_no.clone()).collect();
        seen.sort();
        ensure!(seen == ["BO-B-1", "BO-B-2", "BO-B-3"], "pages: {seen:?}");
        // Paying it again: Payzero has nothing left to pay (50054), passed on with its code.
        match client.payzero_pay_batch(&batch_id).await {
            Err(Error::Api { status: 502, error, .. }) if error.gateway_code.as_deref() == Some("50054") => {}
            other => bail!("a paid batch paid again answered {other:?}"),
        }

        // An order is read back (§4.3 and §2.4 together), the payer masked.
        let merchant = |r: reqwest::RequestBuilder| r.bearer_auth(&stack.creds.merchant_key);
        let r = merchant(http().get(format!("{}/v1/payzero/orders/BO-B-3", stack.edge_url))).send().await?;
        ensure!(r.status() == 200, "reading an order answered {}", r.status());
        let read: serde_json::Value = r.json().await?;
        ensure!(
            read["order"]["payStatus"] == "PAY_SUCCEED" && read["feedback"]["mchtOrderNo"] == "BO-B-3",
            "{read}"
        );
        ensure!(
            !read.to_string().contains("310113198010101232") && !read.to_string().contains("13800138000"),
            "{read}"
        );
        // A batch order not yet paid gets a QR code (§4.2) for the shopper to pay it.
        client.payzero_upload_batch(&[order("BO-Q-1", 150)]).await?;
        let r = merchant(http().post(format!("{}/v1/payzero/orders/BO-Q-1/qr", stack.edge_url)))
            .header("Idempotency-Key", "bo-q-1")
            .json(&json!({"qrCodeType": "ALIPAY"}))
            .send()
            .await?;
        ensure!(r.status() == 200, "a batch order's QR answered {}", r.status());
        let qr: serde_json::Value = r.json().await?;
        ensure!(
            qr["mchtOrderNo"] == "BO-Q-1" && qr["codeUrl"].as_str().is_some_and(|u| !u.is_empty()),
            "{qr}"
        );
        // Back-office bodies refuse fields they do not know.
        let mut extra = serde_json::to_value(order("BO-X-1", 100))?;
        extra["amount"] = json!(1);
        let r = merchant(http().post(format!("{}/v1/payzero/orders", stack.edge_url)))
            .json(&extra)
            .send()
            .await?;
        let (code, text) = (r.status(), r.text().await?);
        ensure!(code == 400 && text.contains("invalid_json") && text.contains("amount"), "{code} {text}");

        // createAndPay, then arrangePay for the same order.
        let created = client.payzero_create_and_pay(&order("BO-P-1", 500)).await?;
        ensure!(created.mcht_order_no == "BO-P-1", "{created:?}");
        client.payzero_arrange_pay("BO-P-1").await?;

        // An order paid elsewhere, pushed for declaration, and pushed again.
        let mock = client.payzero_create_mockpay(&declared("BO-M-1", 700)).await?;
        ensure!(mock.mcht_order_no == "BO-M-1", "{mock:?}");
        let redo = client.payzero_redo_mockpay("BO-M-1").await?;
        ensure!(redo.pay_status != PayStatus::PayFailed, "{redo:?}");

        // A customs declaration of a paid order that declared nothing yet.
        advance(&stack, 31).await?;
        let declaration = DeclareRequest::new("BO-P-1").with_customs_code(CustomsCode::Shanghai).with_payer(
            "李白",
            "310113198010101232",
            "13800138000",
        );
        let accepted = client.payzero_declare(&declaration).await?;
        ensure!(!accepted.message.is_empty(), "{accepted:?}");

        // Bad input is refused before Payzero sees it, naming the field as Payzero spells it.
        let mut no_payer = declared("BO-X-1", 100);
        no_payer.payer_phone = None;
        refused_field(client.payzero_create_and_pay(&no_payer).await, "payerPhone")?;
        refused_field(
            client.payzero_upload_batch(&[order("BO-X-2", 1), order("BO-X-2", 2)]).await,
            "[1].mchtOrderNo",
        )?;
        refused_field(client.payzero_batch_feedback(&batch_id, 1, 101).await, "pagesize")?;
        // One rule for order numbers: 65 characters is one too many wherever it comes.
        refused_field(client.payzero_arrange_pay(&"x".repeat(65)).await, "mchtOrderNo")?;
        refused_field(client.payzero_create_and_pay(&order(&"x".repeat(65), 1)).await, "mchtOrderNo")?;

        // Only the merchant's server gets in: no key is 401, and no browser origin is allowed.
        let r = http()
            .post(format!("{}/v1/payzero/real-name-checks", stack.edge_url))
            .header("Origin", &stack.demo_url)
            .json(&json!({"name": "张三", "id_number": "11010519491231002X"}))
            .send()
            .await?;
        ensure!(r.status() == 401, "without the key: {}", r.status());
        ensure!(r.headers().get("access-control-allow-origin").is_none(), "a browser origin was allowed");
        // The ID number never comes back unmasked from a refusal.
        let text = r.text().await?;
        ensure!(!text.contains("11010519491231002X"), "{text}");
        Ok(())
    });
}

#[test]
fn a_declared_payment_reports_its_customs_declaration() {
    with_stack(|stack| async move {
        let sink = checkout_tests::WebhookSink::start().await?;
        let customs = checkout_client::api::CustomsDeclaration {
            customs_code: "HG022".into(),
            customs_area_code: None,
            customs_jy_org: None,
            customs_in_type: None,
            payer_name: "李白".into(),
            payer_id_number: "310113198010101232".into(),
            payer_phone: "13800138000".into(),
        };
        // Shouqianba and EZR cannot declare: such a session is refused, with its own code.
        let both = checkout_client::api::CreateSessionRequest::new(Fen(1234), "面霜", "BO-D-0")
            .with_methods(vec![
                checkout_client::api::PaymentMethod::PayzeroQr,
                checkout_client::api::PaymentMethod::ShouqianbaQr,
            ])
            .with_customs(customs.clone());
        match stack.client()?.create_session(&both).await {
            Err(checkout_client::Error::Api { status: 400, error, .. })
                if error.code == checkout_client::api::ErrorCode::MethodNotSupported => {}
            other => anyhow::bail!("a customs session offering Shouqianba answered {other:?}"),
        }
        let request = checkout_client::api::CreateSessionRequest::new(Fen(1234), "面霜", "BO-D-1")
            .with_methods(vec![checkout_client::api::PaymentMethod::PayzeroQr])
            .with_customs(customs);
        let session = crate::gateways::create_with(&stack, request, Some(&sink)).await?;
        crate::api::request_qr(&stack, &session.client_secret, "alipay").await?;
        // The order Payzero got is the shop's own order number (the one its customs order
        // declares: 三单对碰), declares, and carries the payer and the order's time.
        let sent = crate::gateways::sandbox_requests(&stack, "/payzero/order/createAndQrCode").await?;
        ensure!(sent.len() == 1, "{sent:?}");
        let order: serde_json::Value = serde_json::from_str(sent[0]["body"].as_str().unwrap_or_default())?;
        ensure!(order["mchtOrderNo"] == "BO-D-1" && order["needDeclare"] == true, "{order}");
        ensure!(order["customsCode"] == "HG022" && order["payerName"] == "李白", "{order}");
        ensure!(order["orderDatetime"].as_str().is_some_and(|t| t.len() == 19), "{order}");
        // Another wallet: a new code for the same order (§4.2), no second order.
        crate::api::request_qr(&stack, &session.client_secret, "wechat_pay").await?;
        ensure!(
            crate::gateways::sandbox_requests(&stack, "/payzero/order/createAndQrCode").await?.len() == 1
        );
        let refreshes = crate::gateways::sandbox_requests(&stack, "/payzero/order/qrCode").await?;
        ensure!(
            refreshes.iter().any(|r| r["query"].as_str().is_some_and(|q| q.contains("mchtOrderNo=BO-D-1"))),
            "{refreshes:?}"
        );
        // Paid: Payzero's notification names the shop's order number, and still finds its session.
        admin(&stack, "/payzero/orders/BO-D-1/pay", json!({})).await?;
        crate::gateways::wait_until(
            &stack,
            &session.client_secret,
            std::time::Duration::from_secs(30),
            |u| u.status == checkout_client::api::SessionStatus::Paid,
        )
        .await?;
        // Customs answers: the declaration fails, and the merchant hears it.
        admin(
            &stack,
            "/payzero/orders/BO-D-1/declare",
            json!({"result": "DECLARE_FAILED", "reason": "实名认证不一致"}),
        )
        .await?;
        let event = crate::gateways::webhook(&sink, "checkout.declaration.updated").await?;
        ensure!(event["data"]["declaration"]["status"] == "DECLARE_FAILED", "{event}");
        ensure!(event["data"]["declaration"]["fail_reason"] == "实名认证不一致", "{event}");
        ensure!(event["data"]["declaration"]["order_no"] == "BO-D-1", "{event}");
        let paid = crate::gateways::webhook(&sink, "checkout.session.paid").await?;
        ensure!(
            paid["data"]["order_no"] == "BO-D-1" && paid["data"]["merchant_order_no"] == "BO-D-1",
            "{paid}"
        );
        let view = stack.client()?.get_session(&session.id).await?;
        ensure!(view.declaration.is_some_and(|d| d.status == "DECLARE_FAILED"), "not in the session view");
        // Neither the webhook nor the merchant's view carries the payer's numbers.
        for (_, body) in sink.requests() {
            let body = String::from_utf8_lossy(&body);
            ensure!(!body.contains("310113198010101232") && !body.contains("13800138000"), "{body}");
        }
        Ok(())
    });
}
