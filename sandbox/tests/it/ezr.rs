//! EZR end to end: the SHA-1 signature on every call (checked against an independent signer and
//! the spec's worked example), pay with each order state, query with refunds, cancel, refund
//! apply and refund.

use crate::harness::{Env, ezr_signed, independent_ezr_sign};
use serde_json::{Value, json};

fn ok(v: &Value) -> &Value {
    assert_eq!(v["Success"], true, "{v}");
    assert_eq!(v["BusinessCode"], 0);
    &v["Result"]
}

fn failed(v: &Value, code: u64) -> String {
    assert_eq!(v["Success"], false, "{v}");
    assert_eq!(v["BusinessCode"], code, "{v}");
    assert_eq!(v["Result"], Value::Null);
    v["Msg"].as_str().unwrap().to_owned()
}

fn pay(out_trade_no: &str, amount: u64, code: &str) -> Value {
    json!({"AuthCode": code, "OutTradeNo": out_trade_no, "Body": "刷卡支付测试", "TotalAmount": amount,
           "SpbillCreateIp": "127.0.0.1", "TerminalId": "test001TerminalId"})
}

#[test]
fn the_independent_signer_reproduces_the_spec_example() {
    let params = json!({"AppId": "EZP", "Timestamp": "20160523235959", "ShopCode": "HQ01S001", "UserCode": "KB1001",
        "AuthCode": "130115575166786427", "OrderBody": "刷卡支付测试", "SpbillCreateIp": "127.0.0.1",
        "TotalAmount": "1", "VipOldCode": "EZ0541688", "Empty": ""});
    assert_eq!(
        independent_ezr_sign(params.as_object().unwrap(), "HH1232D"),
        "25a14a34dc6c18bd3da622e24292570d5276cdc3"
    );
}

#[tokio::test]
async fn every_call_checks_the_signature() {
    let env = Env::start().await;
    let body = ezr_signed(pay("POS1", 1, "130115575166786427"), "sandbox-ezr-token");
    let r = ok(&env.ezr_raw("/upay/pay", body.clone()).await).clone();
    assert_eq!(r["OrderState"], "SUCCESS");
    assert_eq!(r["OutTradeNo"], "POS1");
    assert_eq!(r["TotalAmount"], json!(0.01), "the pay answer writes yuan, as the spec's example");
    assert!(r["TradeNo"].as_str().unwrap().starts_with("WP01"));

    // One byte changed after signing: refused, nothing created.
    let tampered = body.replacen("POS1", "POS2", 1);
    assert_eq!(failed(&env.ezr_raw("/upay/pay", tampered).await, 4001), "签名错误");
    let q = env.ezr("/upay/query", json!({"OutTradeNo": "POS2"})).await;
    assert_eq!(failed(&q, 500), "订单不存在");
    // Signed with another token; no signature; another AppId; not JSON.
    let other = ezr_signed(pay("POS3", 1, "130115575166786427"), "other-token");
    assert_eq!(failed(&env.ezr_raw("/upay/pay", other).await, 4001), "签名错误");
    let mut unsigned: Value = serde_json::from_str(&body).unwrap();
    unsigned.as_object_mut().unwrap().remove("Sign");
    failed(&env.ezr_raw("/upay/pay", unsigned.to_string()).await, 4001);
    let mut other_app: Value = serde_json::from_str(&body).unwrap();
    other_app["AppId"] = json!("XYZ");
    failed(&env.ezr_raw("/upay/pay", other_app.to_string()).await, 4001);
    failed(&env.ezr_raw("/upay/pay", "{\"AppId\":".into()).await, 4001);
    // An empty value takes no part in the signature, so adding one changes nothing.
    let mut with_empty: Value =
        serde_json::from_str(&ezr_signed(pay("POS4", 1, "130115575166786427"), "sandbox-ezr-token")).unwrap();
    with_empty["VipOldCode"] = json!("");
    ok(&env.ezr_raw("/upay/pay", with_empty.to_string()).await);
}

#[tokio::test]
async fn pay_reaches_each_documented_order_state() {
    let env = Env::start().await;
    let r = ok(&env.ezr("/upay/pay", pay("U1", 100, "280115575166781001")).await).clone();
    assert_eq!(r["OrderState"], "USERPAYING");
    assert_eq!(r["PayType"], 2, "a 28… code is Alipay");
    let trade_no = r["TradeNo"].as_str().unwrap().to_owned();
    let q = env.ezr("/upay/query", json!({"TradeNo": trade_no})).await;
    assert_eq!(ok(&q)["OrderState"], "USERPAYING");
    assert_eq!(env.admin("/ezr/orders/U1/pay", json!({})).await.status, 200);
    let q = env.ezr("/upay/query", json!({"OutTradeNo": "U1"})).await;
    assert_eq!(ok(&q)["OrderState"], "SUCCESS");
    assert_eq!(ok(&q)["TotalAmount"], 100);
    assert_eq!(ok(&q)["PayAmount"], 100);

    let r = env.ezr("/upay/pay", pay("E1", 100, "130115575166782002")).await;
    assert_eq!(ok(&r)["OrderState"], "PAYERROR");
    assert_eq!(ok(&r)["ErrorCode"], "NOTENOUGH");
    let r = env.ezr("/upay/pay", pay("E2", 100, "130115575166783001")).await;
    assert_eq!(ok(&r)["OrderState"], "NOTPAY");
    let r = env.ezr("/upay/pay", pay("E3", 100, "130115575166785001")).await;
    failed(&r, 500);
    assert_eq!(
        failed(&env.ezr("/upay/pay", pay("E1", 100, "130115575166786427")).await, 500),
        "商户订单号重复"
    );
    let mut no_body = pay("E4", 100, "130115575166786427");
    no_body.as_object_mut().unwrap().remove("Body");
    assert!(failed(&env.ezr("/upay/pay", no_body).await, 4001).contains("Body"));
    failed(&env.ezr("/upay/pay", pay("E5", 0, "130115575166786427")).await, 4001);
    let mut yuan = pay("E6", 1, "130115575166786427");
    yuan["TotalAmount"] = json!(0.01);
    failed(&env.ezr("/upay/pay", yuan).await, 4001);
    assert_eq!(env.admin("/ezr/orders/E2/fail", json!({})).await.json()["OrderState"], "PAYERROR");
}

#[tokio::test]
async fn cancel_closes_unpaid_and_reverses_paid_orders() {
    let env = Env::start().await;
    let unpaid = ok(&env.ezr("/upay/pay", pay("C1", 100, "130115575166781001")).await)["TradeNo"].clone();
    let c = env.ezr("/upay/cancel", json!({"TradeNo": unpaid})).await;
    assert_eq!(ok(&c)["ReverseState"], "SUCCESS");
    assert_eq!(ok(&c)["ReverseDesc"], "close");
    assert_eq!(ok(&c)["ReCall"], "N");
    let paid = ok(&env.ezr("/upay/pay", pay("C2", 100, "280115575166786427")).await)["TradeNo"].clone();
    let c = env.ezr("/upay/cancel", json!({"TradeNo": paid})).await;
    assert_eq!(ok(&c)["ReverseDesc"], "refund");
    let q = env.ezr("/upay/query", json!({"TradeNo": paid})).await;
    assert_eq!(ok(&q)["OrderState"], "PAYERROR");
    assert_eq!(env.admin("/ezr/orders/C1/pay", json!({})).await.status, 409);
    assert_eq!(failed(&env.ezr("/upay/cancel", json!({"TradeNo": "NOPE"})).await, 500), "订单不存在");
    failed(&env.ezr("/upay/cancel", json!({})).await, 4001);
}

#[tokio::test]
async fn refunds_apply_then_approve_or_refund_at_once() {
    let env = Env::start().await;
    let trade_no = ok(&env.ezr("/upay/pay", pay("R1", 100, "130115575166786427")).await)["TradeNo"].clone();
    let goods = json!([{"GoodsId": "G1", "GoodsName": "披萨", "Price": 30, "Quantity": 1}]);
    let a = env
        .ezr(
            "/upay/refund/apply",
            json!({"TradeNo": trade_no, "RefundAmount": 30, "RefundGoodsInfoList": goods}),
        )
        .await;
    assert_eq!(ok(&a)["RefundState"], "PROCESSING");
    assert_eq!(ok(&a)["TrandeNo"], trade_no, "the spec's spelling");
    let applied_no = ok(&a)["RefundNo"].as_str().unwrap().to_owned();

    let refund = |no: &str, amount: u64| {
        json!({"OutRefundNo": no, "TradeNo": trade_no, "RefundAmount": amount, "RefundReason": "退货",
               "TerminalId": "test001TerminalId", "RefundGoodsInfoList": goods})
    };
    let r = env.ezr("/upay/refund", refund("testrefundno", 50)).await;
    assert_eq!(ok(&r)["RefundState"], "SUCCESS");
    assert_eq!(ok(&r)["OutRefundNo"], "testrefundno");
    let again = env.ezr("/upay/refund", refund("testrefundno", 50)).await;
    assert_eq!(ok(&again)["RefundNo"], ok(&r)["RefundNo"], "same OutRefundNo, same refund");
    assert_eq!(failed(&env.ezr("/upay/refund", refund("testrefundno", 10)).await, 500), "商户退款单号重复");
    assert_eq!(failed(&env.ezr("/upay/refund", refund("r2", 21)).await, 500), "退款金额超过可退金额");
    let mut no_reason = refund("r3", 1);
    no_reason.as_object_mut().unwrap().remove("RefundReason");
    failed(&env.ezr("/upay/refund", no_reason).await, 4001);

    let q = env.ezr("/upay/query", json!({"TradeNo": trade_no})).await;
    let list = ok(&q)["RefundInfoList"].as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    assert_eq!(ok(&q)["RefundAmount"], 50, "the applied refund is still PROCESSING");
    assert_eq!(env.admin(&format!("/ezr/refunds/{applied_no}/approve"), json!({})).await.status, 200);
    let q = env.ezr("/upay/query", json!({"TradeNo": trade_no, "RefundNo": applied_no})).await;
    assert_eq!(ok(&q)["RefundAmount"], 80);
    let only = ok(&q)["RefundInfoList"].as_array().unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["RefundState"], "SUCCESS");

    let unpaid = ok(&env.ezr("/upay/pay", pay("R2", 100, "130115575166781001")).await)["TradeNo"].clone();
    let r = env
        .ezr("/upay/refund/apply", json!({"TradeNo": unpaid, "RefundAmount": 1, "RefundGoodsInfoList": []}))
        .await;
    failed(&r, 500);
}
