//! Shouqianba end to end: terminals and their daily keys, the signature on every call, pay with
//! each barcode outcome, precreate and its expiry, query, cancel and refunds, in three layers.

use crate::harness::{Env, independent_sqb_sign, sqb_pay};
use serde_json::{Value, json};

fn biz(v: &Value) -> &Value {
    assert_eq!(v["result_code"], "200", "{v}");
    &v["biz_response"]
}

#[tokio::test]
async fn activation_is_signed_with_the_vendor_key() {
    let env = Env::start().await;
    let (sn, key) = env.sqb_activate().await;
    assert_eq!(key.len(), 32);
    assert!(sn.starts_with("100"));
    let body = json!({"app_id": "2019", "code": "12345678", "device_id": "d"}).to_string();
    let v = env.sqb_raw("/terminal/activate", "sandbox-vendor", "wrong-key", &body).await;
    assert_eq!((v["result_code"].as_str(), v["error_code"].as_str()), (Some("400"), Some("ILLEGAL_SIGN")));
    let body = json!({"app_id": "2019", "code": "00000000", "device_id": "d"}).to_string();
    let v = env.sqb_raw("/terminal/activate", "sandbox-vendor", "sandbox-vendor-key", &body).await;
    assert_eq!(v["error_code"], "INVALID_PARAMS");
}

#[tokio::test]
async fn every_call_checks_the_md5_signature_over_the_exact_bytes() {
    let env = Env::start().await;
    let t = env.sqb_activate().await;
    let body = sqb_pay(&t, "S1", "1", "130115575166786427").to_string();
    // Signed by the independent signer: accepted.
    let good = format!("{} {}", t.0, independent_sqb_sign(body.as_bytes(), &t.1));
    let r = env.post_raw("/shouqianba/upay/v2/pay", body.clone(), &[("authorization", &good)]).await.json();
    assert_eq!(biz(&r)["result_code"], "PAY_SUCCESS");
    // The same signature over a body with one byte changed: refused, nothing created.
    let tampered = body.replacen("\"S1\"", "\"S2\"", 1);
    let r = env.post_raw("/shouqianba/upay/v2/pay", tampered, &[("authorization", &good)]).await.json();
    assert_eq!((r["result_code"].as_str(), r["error_code"].as_str()), (Some("400"), Some("ILLEGAL_SIGN")));
    assert!(r.get("biz_response").is_none());
    let r = env
        .post_raw(
            "/shouqianba/upay/v2/query",
            json!({"terminal_sn": t.0, "client_sn": "S1"}).to_string(),
            &[],
        )
        .await
        .json();
    assert_eq!(r["error_code"], "ILLEGAL_SIGN", "no Authorization header");
    let r = env
        .sqb_raw("/upay/v2/query", "999", &t.1, &json!({"terminal_sn": "999", "client_sn": "S1"}).to_string())
        .await;
    assert_eq!(r["error_code"], "INVALID_TERMINAL");
    let r = env.sqb(&t, "/upay/v2/query", &json!({"terminal_sn": t.0, "client_sn": "S2"})).await;
    assert_eq!(biz(&r)["error_code"], "UPAY_ORDER_NOT_EXIST", "the tampered order was never made");
}

#[tokio::test]
async fn pay_answers_in_three_layers_for_success_and_each_documented_failure() {
    let env = Env::start().await;
    let t = env.sqb_activate().await;
    let v = env.sqb(&t, "/upay/v2/pay", &sqb_pay(&t, "P0", "1", "130115575166786427")).await;
    let b = biz(&v);
    assert_eq!(b["result_code"], "PAY_SUCCESS");
    assert_eq!(b["data"]["order_status"], "PAID");
    assert_eq!(b["data"]["status"], "SUCCESS");
    assert_eq!(b["data"]["payway"], "3", "a 13… code is WeChat");
    assert_eq!(b["data"]["sub_payway"], "1");
    assert_eq!(b["data"]["total_amount"], "1");
    assert_eq!(b["data"]["net_amount"], "1");
    assert!(b["data"]["trade_no"].is_string());

    let failures = [
        ("2001", "EXPIRED_BARCODE"),
        ("2002", "INSUFFICIENT_FUND"),
        ("2003", "AUTHCODE_EXPIRE"),
        ("2004", "BUYER_OVER_DAILY_LIMIT"),
        ("2005", "BUYER_OVER_TRANSACTION_LIMIT"),
        ("2006", "SELLER_OVER_DAILY_LIMIT"),
        ("2007", "TRADE_FAILED"),
        ("2008", "SELLER_BALANCE_NOT_ENOUGH"),
        ("2009", "INVALID_BARCODE"),
    ];
    for (i, (tail, code)) in failures.iter().enumerate() {
        let v = env
            .sqb(&t, "/upay/v2/pay", &sqb_pay(&t, &format!("F{i}"), "100", &format!("28476532147650{tail}")))
            .await;
        let b = biz(&v);
        assert_eq!(b["result_code"], "PAY_FAIL", "{tail}");
        assert_eq!(b["error_code"], *code);
        assert_eq!(b["data"]["order_status"], "PAY_CANCELED");
        assert_eq!(b["data"]["status"], "FAIL_CANCELED");
        assert_eq!(b["data"]["payway"], "1", "a 28… code is Alipay");
    }
    let v = env.sqb(&t, "/upay/v2/pay", &sqb_pay(&t, "E1", "1", "130115575166783001")).await;
    assert_eq!(biz(&v)["result_code"], "PAY_FAIL_ERROR");
    assert_eq!(biz(&v)["data"]["order_status"], "PAY_ERROR");
    let v = env.sqb(&t, "/upay/v2/pay", &sqb_pay(&t, "E2", "1", "130115575166785001")).await;
    assert_eq!(
        (v["result_code"].as_str(), v["error_code"].as_str()),
        (Some("500"), Some("UNKNOWN_SYSTEM_ERROR"))
    );
    let v = env.sqb(&t, "/upay/v2/pay", &sqb_pay(&t, "E3", "1", "abc")).await;
    assert_eq!((v["result_code"].as_str(), v["error_code"].as_str()), (Some("400"), Some("INVALID_BARCODE")));
    let v = env.sqb(&t, "/upay/v2/pay", &sqb_pay(&t, "E4", "1", "990115575166786427")).await;
    assert_eq!(v["error_code"], "UNEXPECTED_PROVIDER_ERROR");

    // client_sn is unique; amounts are 1–10 digit strings; required fields are required.
    let v = env.sqb(&t, "/upay/v2/pay", &sqb_pay(&t, "P0", "1", "130115575166786427")).await;
    assert_eq!(biz(&v)["result_code"], "FAIL");
    assert_eq!(biz(&v)["error_code"], "CLIENT_SN_CONFLICT");
    for amount in [json!("12.5"), json!(100), json!("12345678901"), json!("-1")] {
        let mut body = sqb_pay(&t, "A1", "1", "130115575166786427");
        body["total_amount"] = amount.clone();
        let v = env.sqb(&t, "/upay/v2/pay", &body).await;
        assert_eq!(v["error_code"], "INVALID_PARAMS", "{amount}");
        assert!(v["error_message"].as_str().unwrap().contains("total_amount"));
    }
    let v = env.sqb(&t, "/upay/v2/pay", &sqb_pay(&t, "A1", "0", "130115575166786427")).await;
    assert_eq!(v["error_code"], "INVALID_PARAMS");
    let mut body = sqb_pay(&t, "A1", "1", "130115575166786427");
    body.as_object_mut().unwrap().remove("operator");
    let v = env.sqb(&t, "/upay/v2/pay", &body).await;
    assert_eq!(v["error_code"], "INVALID_PARAMS");
    assert!(v["error_message"].as_str().unwrap().contains("operator"));
    let v = env.sqb_raw("/upay/v2/pay", &t.0, &t.1, "{\"terminal_sn\":").await;
    assert_eq!(v["error_code"], "INVALID_PARAMS");
    let mut other = sqb_pay(&t, "A2", "1", "130115575166786427");
    other["terminal_sn"] = json!("100000000000000000");
    assert_eq!(env.sqb(&t, "/upay/v2/pay", &other).await["error_code"], "INVALID_PARAMS");
}

#[tokio::test]
async fn a_payment_in_progress_is_polled_then_completed_or_cancelled() {
    let env = Env::start().await;
    let t = env.sqb_activate().await;
    let v = env.sqb(&t, "/upay/v2/pay", &sqb_pay(&t, "IP1", "500", "130115575166781001")).await;
    assert_eq!(biz(&v)["result_code"], "PAY_IN_PROGRESS");
    let sn = biz(&v)["data"]["sn"].as_str().unwrap().to_owned();
    let q = env.sqb(&t, "/upay/v2/query", &json!({"terminal_sn": t.0, "sn": sn})).await;
    assert_eq!(biz(&q)["result_code"], "SUCCESS");
    assert_eq!(biz(&q)["data"]["order_status"], "CREATED");
    assert_eq!(env.admin("/shouqianba/orders/IP1/pay", json!({})).await.status, 200);
    let q = env.sqb(&t, "/upay/v2/query", &json!({"terminal_sn": t.0, "client_sn": "IP1"})).await;
    assert_eq!(biz(&q)["data"]["order_status"], "PAID");
    assert_eq!(env.admin("/shouqianba/orders/IP1/pay", json!({})).await.status, 409);

    env.sqb(&t, "/upay/v2/pay", &sqb_pay(&t, "IP2", "500", "130115575166781001")).await;
    let c = env.sqb(&t, "/upay/v2/cancel", &json!({"terminal_sn": t.0, "client_sn": "IP2"})).await;
    assert_eq!(biz(&c)["result_code"], "CANCEL_ABORT_SUCCESS");
    assert_eq!(biz(&c)["data"]["order_status"], "CANCELED");

    env.sqb(&t, "/upay/v2/pay", &sqb_pay(&t, "IP3", "500", "130115575166781001")).await;
    assert_eq!(
        env.admin("/shouqianba/orders/IP3/fail", json!({})).await.json()["order_status"],
        "PAY_CANCELED"
    );
    let c = env.sqb(&t, "/upay/v2/cancel", &json!({"terminal_sn": t.0, "client_sn": "IP3"})).await;
    assert_eq!(biz(&c)["result_code"], "FAIL");
    assert_eq!(biz(&c)["error_code"], "UPAY_CANCEL_INVALID_ORDER_STATE");
    let c = env.sqb(&t, "/upay/v2/cancel", &json!({"terminal_sn": t.0, "client_sn": "NOPE"})).await;
    assert_eq!(biz(&c)["error_code"], "UPAY_ORDER_NOT_EXIST");
    let c = env.sqb(&t, "/upay/v2/cancel", &json!({"terminal_sn": t.0})).await;
    assert_eq!(c["error_code"], "INVALID_PARAMS", "sn and client_sn cannot both be empty");
}

#[tokio::test]
async fn precreate_returns_a_qr_code_that_expires() {
    let env = Env::start().await;
    let t = env.sqb_activate().await;
    let body = |client_sn: &str, payway: &str| {
        json!({"terminal_sn": t.0, "client_sn": client_sn, "total_amount": "1", "payway": payway,
               "subject": "wx", "operator": "op"})
    };
    let v = env.sqb(&t, "/upay/v2/precreate", &body("PC1", "3")).await;
    assert_eq!(biz(&v)["result_code"], "PRECREATE_SUCCESS");
    assert!(biz(&v)["data"]["qr_code"].as_str().unwrap().starts_with("weixin://wxpay/bizpayurl?pr="));
    assert_eq!(biz(&v)["data"]["order_status"], "CREATED");
    let v = env.sqb(&t, "/upay/v2/precreate", &body("PC2", "1")).await;
    assert!(biz(&v)["data"]["qr_code"].as_str().unwrap().starts_with("https://qr.alipay.com/"));
    let v = env.sqb(&t, "/upay/v2/precreate", &body("PC1", "3")).await;
    assert_eq!(biz(&v)["result_code"], "PRECREATE_FAIL");
    assert_eq!(biz(&v)["error_code"], "CLIENT_SN_CONFLICT");

    assert_eq!(env.admin("/shouqianba/orders/PC2/pay", json!({})).await.status, 200);
    env.advance(600).await;
    let q = env.sqb(&t, "/upay/v2/query", &json!({"terminal_sn": t.0, "client_sn": "PC1"})).await;
    assert_eq!(biz(&q)["data"]["order_status"], "PAY_CANCELED", "expired unpaid");
    assert_eq!(env.admin("/shouqianba/orders/PC1/pay", json!({})).await.status, 409);
    let q = env.sqb(&t, "/upay/v2/query", &json!({"terminal_sn": t.0, "client_sn": "PC2"})).await;
    assert_eq!(biz(&q)["data"]["order_status"], "PAID", "paid in time");
}

#[tokio::test]
async fn refunds_are_partial_idempotent_and_bounded() {
    let env = Env::start().await;
    let t = env.sqb_activate().await;
    let paid = env.sqb(&t, "/upay/v2/pay", &sqb_pay(&t, "R1", "1000", "130115575166786427")).await;
    let sn = biz(&paid)["data"]["sn"].as_str().unwrap().to_owned();
    let refund = |no: &str, amount: &str| json!({"terminal_sn": t.0, "sn": sn, "client_sn": "R1", "refund_request_no": no, "operator": "op", "refund_amount": amount});
    // 3.2 marks both numbers required, and they must name the same order.
    let mut only_client_sn = refund("0", "1");
    only_client_sn.as_object_mut().unwrap().remove("sn");
    let v = env.sqb(&t, "/upay/v2/refund", &only_client_sn).await;
    assert_eq!(
        (v["result_code"].as_str(), v["error_code"].as_str()),
        (Some("400"), Some("INVALID_PARAMS")),
        "{v}"
    );
    let mut other_order = refund("0", "1");
    other_order["client_sn"] = json!("R9");
    assert_eq!(
        biz(&env.sqb(&t, "/upay/v2/refund", &other_order).await)["error_code"],
        "UPAY_ORDER_NOT_EXIST"
    );
    let v = env.sqb(&t, "/upay/v2/refund", &refund("1", "300")).await;
    assert_eq!(biz(&v)["result_code"], "REFUND_SUCCESS");
    assert_eq!(biz(&v)["data"]["order_status"], "PARTIAL_REFUNDED");
    assert_eq!(biz(&v)["data"]["net_amount"], "700");
    // The same request again changes nothing.
    let again = env.sqb(&t, "/upay/v2/refund", &refund("1", "300")).await;
    assert_eq!(biz(&again)["result_code"], "REFUND_SUCCESS");
    assert_eq!(biz(&again)["data"]["net_amount"], "700");
    let conflict = env.sqb(&t, "/upay/v2/refund", &refund("1", "200")).await;
    assert_eq!(biz(&conflict)["error_code"], "REFUND_REQUEST_CONFLICT");
    let too_much = env.sqb(&t, "/upay/v2/refund", &refund("2", "701")).await;
    assert_eq!(biz(&too_much)["result_code"], "FAIL");
    assert_eq!(biz(&too_much)["error_code"], "REFUND_AMT_NOT_EQUAL_TOTAL");
    let rest = env.sqb(&t, "/upay/v2/refund", &refund("2", "700")).await;
    assert_eq!(biz(&rest)["data"]["order_status"], "REFUNDED");
    assert_eq!(biz(&rest)["data"]["net_amount"], "0");
    let more = env.sqb(&t, "/upay/v2/refund", &refund("3", "1")).await;
    assert_eq!(biz(&more)["error_code"], "UPAY_REFUND_INVALID_ORDER_STATE");

    let paid = env.sqb(&t, "/upay/v2/pay", &sqb_pay(&t, "R2", "100", "130115575166786427")).await;
    let sn2 = biz(&paid)["data"]["sn"].as_str().unwrap().to_owned();
    let c = env.sqb(&t, "/upay/v2/cancel", &json!({"terminal_sn": t.0, "client_sn": "R2"})).await;
    assert_eq!(biz(&c)["result_code"], "CANCEL_SUCCESS");
    assert_eq!(biz(&c)["data"]["net_amount"], "0");
    let r = env
        .sqb(&t, "/upay/v2/refund", &json!({"terminal_sn": t.0, "sn": sn2, "client_sn": "R2", "refund_request_no": "1", "operator": "op", "refund_amount": "1"}))
        .await;
    assert_eq!(biz(&r)["error_code"], "UPAY_REFUND_INVALID_ORDER_STATE");
}

#[tokio::test]
async fn the_daily_checkin_rotates_the_key_and_yesterdays_key_fails() {
    let env = Env::start().await;
    let t = env.sqb_activate().await;
    let query = json!({"terminal_sn": t.0, "client_sn": "X"});
    assert_eq!(env.sqb(&t, "/upay/v2/query", &query).await["result_code"], "200");
    env.advance(24 * 3600).await;
    let v = env.sqb(&t, "/upay/v2/query", &query).await;
    assert_eq!(v["error_code"], "ILLEGAL_SIGN", "a key from a previous day");

    let checkin = json!({"terminal_sn": t.0, "device_id": "till-1"});
    let v = env.sqb(&t, "/terminal/checkin", &checkin).await;
    assert_eq!(v["result_code"], "200", "{v}");
    let new_key = v["biz_response"]["terminal_key"].as_str().unwrap().to_owned();
    assert_ne!(new_key, t.1);
    let t2 = (t.0.clone(), new_key);
    assert_eq!(env.sqb(&t2, "/upay/v2/query", &query).await["result_code"], "200");
    // The old key is dead now, for check-in too.
    assert_eq!(env.sqb(&t, "/terminal/checkin", &checkin).await["error_code"], "ILLEGAL_SIGN");
    let wrong_device = json!({"terminal_sn": t.0, "device_id": "other"});
    assert_eq!(env.sqb(&t2, "/terminal/checkin", &wrong_device).await["error_code"], "INVALID_PARAMS");
}
