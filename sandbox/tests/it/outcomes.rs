//! The controls that make the sandbox produce every outcome the edge claims to handle: a refusal
//! with any code on any call (before or after the gateway did the work), a Payzero refund refused
//! for "现金账户余额不足", a pay status such as INIT_FEE_PENDING, Shouqianba REFUND_ERROR and
//! result code 500, an EZR refund application rejected, and a slow queryOrder.

use crate::harness::{Env, qr_order, sqb_pay};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn paid_payzero_order(env: &Env, token: &str, no: &str) {
    env.pz_ok(token, "/order/createAndQrCode", &qr_order(no, "ALIPAY")).await;
    assert_eq!(env.admin(&format!("/payzero/orders/{no}/pay"), json!({})).await.status, 200);
}

#[tokio::test]
async fn payzero_refusals_with_codes_no_spec_defines() {
    let env = Env::start().await;
    let token = env.pz_login().await;
    paid_payzero_order(&env, &token, "U1").await;

    // A refusal with an unknown code, after the gateway did the work: the refund exists.
    let r = env
        .admin(
            "/faults",
            json!({"endpoint": "/payzero/order/refund", "kind": "refuse", "code": "59999",
                   "message": "未知错误", "processed": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let refund = json!({"mchtOrderNo": "U1", "mchtRefundOrderNo": "RF-U1", "refundAmount": 100});
    let v = env.pz_post(&token, "/order/refund", &refund).await;
    assert_eq!(v.status, 200);
    let v = v.json();
    assert_eq!((v["success"].as_bool(), v["errorCode"].as_str()), (Some(false), Some("59999")), "{v}");
    assert_eq!(v["errorMsg"], "未知错误");
    let q = env.pz_get_ok(&token, "/order/refund?mchtRefundOrderNo=RF-U1").await;
    assert_eq!(q["refundStatus"], "REFUND_REQUESTED", "the refund was made all the same");

    // Without `processed` nothing happens upstream.
    env.admin("/faults", json!({"endpoint": "/payzero/order/refund", "kind": "refuse", "code": "50099"}))
        .await;
    let second = json!({"mchtOrderNo": "U1", "mchtRefundOrderNo": "RF-U2", "refundAmount": 100});
    assert_eq!(env.pz_post(&token, "/order/refund", &second).await.json()["errorCode"], "50099");
    assert_eq!(
        env.pz_get(&token, "/order/refund?mchtRefundOrderNo=RF-U2").await.json()["errorCode"],
        "30003"
    );

    // The cash account that refunds come out of (spec 9.1).
    let m = env.admin("/payzero/merchant", json!({"cashBalance": 50})).await;
    assert_eq!(m.json()["cashBalance"], 50);
    let v = env.pz_post(&token, "/order/refund", &second).await.json();
    assert_eq!((v["errorCode"].as_str(), v["errorMsg"].as_str()), (Some("50072"), Some("现金账户余额不足")));
    let small = json!({"mchtOrderNo": "U1", "mchtRefundOrderNo": "RF-U3", "refundAmount": 50});
    assert_eq!(env.pz_ok(&token, "/order/refund", &small).await["refundStatus"], "REFUND_REQUESTED");
    assert_eq!(env.admin_get("/payzero/merchant").await["cashBalance"], 0);
    env.admin("/payzero/refunds/RF-U3/fail", json!({})).await;
    assert_eq!(env.admin_get("/payzero/merchant").await["cashBalance"], 50, "a failed refund gives it back");

    // Any pay status, A.1's INIT_FEE_PENDING or one no table lists.
    env.pz_ok(&token, "/order/createAndQrCode", &qr_order("U2", "WECHATPAY")).await;
    let s = env.admin("/payzero/orders/U2/status", json!({"payStatus": "INIT_FEE_PENDING"})).await;
    assert_eq!(s.status, 200, "{}", s.text);
    assert_eq!(
        env.pz_get_ok(&token, "/order/queryOrder?mchtOrderNo=U2").await["payStatus"],
        "INIT_FEE_PENDING"
    );
    env.admin("/payzero/orders/U2/status", json!({"payStatus": "PAY_CANCELLED"})).await;
    assert_eq!(env.pz_get_ok(&token, "/order/queryOrder?mchtOrderNo=U2").await["payStatus"], "PAY_CANCELLED");
    assert_eq!(env.admin("/payzero/orders/NOPE/status", json!({"payStatus": "X"})).await.status, 404);
    assert_eq!(env.admin("/payzero/orders/U2/status", json!({"payStatus": ""})).await.status, 400);
    assert_eq!(env.admin("/faults", json!({"kind": "refuse"})).await.status, 400, "refuse needs a code");
}

#[tokio::test]
async fn a_slow_query_order_takes_its_time_and_then_answers() {
    let env = Env::start().await;
    let token = env.pz_login().await;
    env.pz_ok(&token, "/order/createAndQrCode", &qr_order("S1", "WECHATPAY")).await;
    env.admin("/faults", json!({"endpoint": "/payzero/order/queryOrder", "kind": "latency_ms", "ms": 1500}))
        .await;
    let started = Instant::now();
    let q = env.pz_get_ok(&token, "/order/queryOrder?mchtOrderNo=S1").await;
    assert!(started.elapsed() >= Duration::from_millis(1500), "{:?}", started.elapsed());
    assert_eq!(q["payStatus"], "NOT_PAYED");
}

fn biz(v: &Value) -> &Value {
    assert_eq!(v["result_code"], "200", "{v}");
    &v["biz_response"]
}

#[tokio::test]
async fn shouqianba_refund_error_conflict_and_result_code_500() {
    let env = Env::start().await;
    let t = env.sqb_activate().await;
    let paid = env.sqb(&t, "/upay/v2/pay", &sqb_pay(&t, "E1", "1000", "130115575166786427")).await;
    let sn = biz(&paid)["data"]["sn"].as_str().unwrap().to_owned();
    let refund = |no: &str, amount: &str| {
        json!({"terminal_sn": t.0, "sn": sn, "client_sn": "E1", "refund_request_no": no,
               "operator": "op", "refund_amount": amount})
    };
    env.admin(
        "/faults",
        json!({"endpoint": "/shouqianba/upay/v2/refund", "kind": "refuse", "result": "REFUND_ERROR"}),
    )
    .await;
    let v = env.sqb(&t, "/upay/v2/refund", &refund("1", "300")).await;
    assert_eq!(biz(&v)["result_code"], "REFUND_ERROR", "{v}");
    assert_eq!(biz(&v)["data"]["order_status"], "REFUND_ERROR");
    let q = env.sqb(&t, "/upay/v2/query", &json!({"terminal_sn": t.0, "client_sn": "E1"})).await;
    assert_eq!(biz(&q)["data"]["order_status"], "REFUND_ERROR", "the order reads as appendix 3 says");

    let paid = env.sqb(&t, "/upay/v2/pay", &sqb_pay(&t, "E2", "1000", "130115575166786427")).await;
    let sn2 = biz(&paid)["data"]["sn"].as_str().unwrap().to_owned();
    let refund2 = json!({"terminal_sn": t.0, "sn": sn2, "client_sn": "E2", "refund_request_no": "1", "operator": "op", "refund_amount": "100"});
    env.sqb(&t, "/upay/v2/refund", &refund2).await;
    let mut conflicting = refund2.clone();
    conflicting["refund_amount"] = json!("200");
    let c = env.sqb(&t, "/upay/v2/refund", &conflicting).await;
    assert_eq!(biz(&c)["error_code"], "REFUND_REQUEST_CONFLICT");

    // Result code 500 on a pay that went through upstream.
    env.admin(
        "/faults",
        json!({"endpoint": "/shouqianba/upay/v2/pay", "kind": "refuse", "result": "500",
               "code": "UNKNOWN_SYSTEM_ERROR", "message": "未知的系统错误", "processed": true}),
    )
    .await;
    let v = env.sqb(&t, "/upay/v2/pay", &sqb_pay(&t, "E3", "1000", "130115575166786427")).await;
    assert_eq!(
        (v["result_code"].as_str(), v["error_code"].as_str()),
        (Some("500"), Some("UNKNOWN_SYSTEM_ERROR"))
    );
    assert!(v.get("biz_response").is_none());
    let q = env.sqb(&t, "/upay/v2/query", &json!({"terminal_sn": t.0, "client_sn": "E3"})).await;
    assert_eq!(biz(&q)["data"]["order_status"], "PAID");

    // An unknown business error code.
    env.admin(
        "/faults",
        json!({"endpoint": "/shouqianba/upay/v2/refund", "kind": "refuse", "code": "SOMETHING_NEW"}),
    )
    .await;
    let v = env.sqb(&t, "/upay/v2/refund", &refund("9", "1")).await;
    assert_eq!(
        (biz(&v)["result_code"].as_str(), biz(&v)["error_code"].as_str()),
        (Some("FAIL"), Some("SOMETHING_NEW"))
    );
}

#[tokio::test]
async fn ezr_refund_application_rejected_and_unknown_business_codes() {
    let env = Env::start().await;
    let pay = json!({"AuthCode": "130115575166786427", "OutTradeNo": "Z1", "Body": "b", "TotalAmount": 100,
                     "SpbillCreateIp": "127.0.0.1"});
    let trade_no = env.ezr("/upay/pay", pay).await["Result"]["TradeNo"].clone();
    let apply = json!({"TradeNo": trade_no, "RefundAmount": 100, "RefundGoodsInfoList": []});
    let a = env.ezr("/upay/refund/apply", apply.clone()).await;
    let refund_no = a["Result"]["RefundNo"].as_str().unwrap().to_owned();
    assert_eq!(env.ezr("/upay/refund/apply", apply.clone()).await["BusinessCode"], 500, "all of it is held");
    let r = env.admin(&format!("/ezr/refunds/{refund_no}/reject"), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let q = env.ezr("/upay/query", json!({"TradeNo": trade_no})).await;
    assert_eq!(q["Result"]["RefundInfoList"][0]["RefundState"], "FAIL");
    assert_eq!(q["Result"]["RefundAmount"], 0);
    assert_eq!(env.admin(&format!("/ezr/refunds/{refund_no}/approve"), json!({})).await.status, 409);
    assert_eq!(env.ezr("/upay/refund/apply", apply).await["Result"]["RefundState"], "PROCESSING", "freed");

    env.admin(
        "/faults",
        json!({"endpoint": "/ezr/upay/refund", "kind": "refuse", "code": "4999", "message": "新错误"}),
    )
    .await;
    let refund = json!({"OutRefundNo": "o1", "TradeNo": trade_no, "RefundAmount": 1, "RefundReason": "r",
                        "TerminalId": "t", "RefundGoodsInfoList": []});
    let v = env.ezr("/upay/refund", refund).await;
    assert_eq!(
        (v["Success"].as_bool(), v["BusinessCode"].as_i64(), v["Msg"].as_str()),
        (Some(false), Some(4999), Some("新错误"))
    );
}

#[tokio::test]
async fn needdeclare_left_out_follows_the_merchants_onboarding_form() {
    let env = Env::start().await;
    let token = env.pz_login().await;
    let plain = |no: &str| json!({"qrCodeType": "WECHATPAY", "currency": "CNY", "mchtOrderNo": no, "paymentAmount": 100, "subject": "s"});
    // A merchant onboarded to declare everything: an order that does not say is declared, and
    // without a customs code it cannot be; an explicit false overrides the onboarding.
    env.admin("/payzero/merchant", json!({"declaresByDefault": "always"})).await;
    let v = env.pz_post(&token, "/order/createAndQrCode", &plain("D1")).await.json();
    assert_eq!(
        (v["errorCode"].as_str(), v["errorMsg"].as_str()),
        (Some("30001"), Some("参数 customsCode 未正确设置。"))
    );
    let mut explicit = plain("D1");
    explicit["needDeclare"] = json!(false);
    env.pz_ok(&token, "/order/createAndQrCode", &explicit).await;
    assert_eq!(
        env.pz_get_ok(&token, "/order/queryOrder?mchtOrderNo=D1").await["declareStatus"],
        "NOT_DECLARED"
    );

    // A merchant that never declares by itself: a customs code alone does not declare.
    env.admin("/payzero/merchant", json!({"declaresByDefault": "never"})).await;
    let mut with_customs = plain("D2");
    with_customs["customsCode"] = json!("HG022");
    env.pz_ok(&token, "/order/createAndQrCode", &with_customs).await;
    assert_eq!(
        env.pz_get_ok(&token, "/order/queryOrder?mchtOrderNo=D2").await["declareStatus"],
        "NOT_DECLARED"
    );
    // The default: a customs code makes the order declare, and then the payer is needed.
    env.admin("/payzero/merchant", json!({})).await;
    let v = env
        .pz_post(&token, "/order/createAndQrCode", &{
            let mut o = with_customs.clone();
            o["mchtOrderNo"] = json!("D3");
            o
        })
        .await
        .json();
    assert_eq!(v["errorMsg"], "参数 payerName 未正确设置。");
}

#[tokio::test]
async fn shouqianba_string_lengths_are_bytes_and_amounts_are_strings() {
    let env = Env::start().await;
    let t = env.sqb_activate().await;
    // 21 Chinese characters are 63 bytes: a String(64) takes them; 22 (66 bytes) it does not.
    let mut ok = sqb_pay(&t, "L1", "100", "130115575166786427");
    ok["subject"] = json!("披".repeat(21));
    assert_eq!(biz(&env.sqb(&t, "/upay/v2/pay", &ok).await)["result_code"], "PAY_SUCCESS");
    let mut long = sqb_pay(&t, "L2", "100", "130115575166786427");
    long["subject"] = json!("披".repeat(22));
    let v = env.sqb(&t, "/upay/v2/pay", &long).await;
    assert_eq!(
        (v["result_code"].as_str(), v["error_code"].as_str()),
        (Some("400"), Some("INVALID_PARAMS")),
        "{v}"
    );
    let mut number = sqb_pay(&t, "L3", "100", "130115575166786427");
    number["total_amount"] = json!(100);
    let v = env.sqb(&t, "/upay/v2/pay", &number).await;
    assert_eq!(v["error_code"], "INVALID_PARAMS", "an amount must be a string: {v}");
    let leading_zero = sqb_pay(&t, "L4", "0100", "130115575166786427");
    assert_eq!(env.sqb(&t, "/upay/v2/pay", &leading_zero).await["error_code"], "INVALID_PARAMS");
    let mut spelled = sqb_pay(&t, "L5", "100", "130115575166786427");
    spelled["reflact"] = json!("kept");
    assert_eq!(
        biz(&env.sqb(&t, "/upay/v2/pay", &spelled).await)["data"]["reflect"],
        "kept",
        "2.2's spelling is read"
    );
}

#[tokio::test]
async fn ezr_signs_lists_as_sent_and_wants_lowercase() {
    use crate::harness::independent_ezr_sign;
    let env = Env::start().await;
    // A GoodsDetail whose keys are not in sorted order: the signature covers the list as sent.
    let list = r#"[{"GoodsName":"披萨","GoodsId":"G1","Quantity":"1","Price":1}]"#;
    let head = r#"{"AppId":"EZP","Timestamp":"20190823141109","ShopCode":"HQ01S001","AuthCode":"130115575166786427","OutTradeNo":"S1","Body":"b","TotalAmount":1,"SpbillCreateIp":"127.0.0.1","GoodsDetail":"#;
    let params = [
        ("AppId", "EZP"),
        ("Timestamp", "20190823141109"),
        ("ShopCode", "HQ01S001"),
        ("AuthCode", "130115575166786427"),
        ("OutTradeNo", "S1"),
        ("Body", "b"),
        ("TotalAmount", "1"),
        ("SpbillCreateIp", "127.0.0.1"),
        ("GoodsDetail", list),
        ("Token", "sandbox-ezr-token"),
    ];
    let mut sorted: Vec<_> = params.to_vec();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let string1 = sorted.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let sign = {
        use sha1::{Digest, Sha1};
        hex::encode(Sha1::digest(string1.as_bytes()))
    };
    let body = format!(r#"{head}{list},"Sign":"{sign}"}}"#);
    let v = env.ezr_raw("/upay/pay", body).await;
    assert_eq!(v["Success"], true, "{v}");
    // The same list re-serialised with sorted keys is another text, so another signature.
    let map: serde_json::Map<String, Value> = serde_json::from_str(&format!("{head}{list}}}")).unwrap();
    let resorted = independent_ezr_sign(&map, "sandbox-ezr-token");
    assert_ne!(resorted, sign);
    // Accepted, the same OutTradeNo would be a duplicate (500); refused for its case it is 4001.
    let upper = format!(r#"{head}{list},"Sign":"{}"}}"#, sign.to_uppercase());
    assert_eq!(env.ezr_raw("/upay/pay", upper).await["BusinessCode"], 4001, "the spec asks for lowercase");
}
