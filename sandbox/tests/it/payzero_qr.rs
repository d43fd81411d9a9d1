//! Payzero's QR slice end to end: login and tokens, createAndQrCode, qrCode, queryOrder, the
//! shopper paying or failing through the admin API, and signed notifications with retries.

use crate::harness::{Env, PZ_QR_EXAMPLE, Receiver, independent_payzero_sign, qr_order};
use checkout_sandbox::Config;
use serde_json::{Value, json};

#[tokio::test]
async fn login_issues_a_four_hour_token_and_refuses_bad_credentials() {
    let env = Env::start().await;
    let token = env.pz_login().await;
    use base64::Engine;
    let body = token.split('.').nth(1).unwrap();
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(body).unwrap())
            .unwrap();
    assert_eq!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(), 4 * 3600);
    assert_eq!(claims["sub"], "sandbox-app");

    let r = env
        .post_raw(
            "/payzero/auth/login",
            json!({"username": "sandbox-app", "password": "nope"}).to_string(),
            &[],
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["success"], false);
    assert_eq!(r.json()["errorCode"], "40001");
    let r = env.post_raw("/payzero/auth/login", "{not json", &[]).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["errorCode"], "30001");
}

#[tokio::test]
async fn bad_expired_and_revoked_tokens_get_401_and_a_fresh_login_works() {
    let env = Env::start().await;
    let path = "/order/queryOrder?mchtOrderNo=X";
    let garbage = env.pz_get("not-a-jwt", path).await;
    assert_eq!(garbage.status, 401);
    let body = garbage.json();
    assert_eq!(body["status"], 401);
    assert_eq!(body["error"], "Unauthorized");
    // The path as Payzero itself sees it (the sandbox mounts it under /payzero).
    assert_eq!(body["path"], "/order/queryOrder");
    assert_eq!(env.pz_get("eyJhbGciOiJIUzI1NiJ9.e30.AAAA", path).await.status, 401);
    let token = env.pz_login().await;
    // A token sent without the Bearer scheme is an incorrect access_token, not a missing one.
    let basic =
        env.get_raw(&format!("/payzero{path}"), &[("authorization", &format!("Basic {token}"))]).await;
    assert_eq!(basic.status, 401);
    // A byte changed in the token's signature makes it unknown.
    let mut forged = token.clone().into_bytes();
    let last = forged.len() - 2;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    assert_eq!(env.pz_get(&String::from_utf8(forged).unwrap(), path).await.status, 401);

    assert_eq!(env.pz_get(&token, path).await.status, 200);
    env.advance(4 * 3600 - 60).await;
    assert_eq!(env.pz_get(&token, path).await.status, 200, "still valid a minute before exp");
    env.advance(60).await;
    let r = env.pz_get(&token, path).await;
    assert_eq!(r.status, 401, "expired at exp");
    assert_eq!(r.json()["status"], 401);
    // A new login works again; revoking makes every token unknown, and logging in after that
    // works too (what the edge does on a 401).
    let fresh = env.pz_login().await;
    assert_eq!(env.pz_get(&fresh, path).await.status, 200);
    assert_eq!(env.admin("/payzero/tokens/revoke", json!({})).await.status, 204);
    assert_eq!(env.pz_get(&fresh, path).await.status, 401, "revoked");
    let after_revoke = env.pz_login().await;
    let q = env.pz_get(&after_revoke, path).await;
    assert_eq!(q.status, 200);
    assert_eq!(q.json()["errorCode"], "30003", "the token works; the order is unknown");
}

#[tokio::test]
async fn a_request_without_authorization_gets_403() {
    // The spec's 403 row: "check that the Authorization header was added as required".
    let env = Env::start().await;
    let r = env.get_raw("/payzero/order/queryOrder?mchtOrderNo=X", &[]).await;
    assert_eq!(r.status, 403);
    let body = r.json();
    assert_eq!(body["status"], 403);
    assert_eq!(body["error"], "Forbidden");
    let r = env.post_raw("/payzero/order/createAndQrCode", json!({}).to_string(), &[]).await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn the_spec_example_creates_a_wechat_qr_and_every_channel_looks_real() {
    let env = Env::start().await;
    let token = env.pz_login().await;
    let example: Value = serde_json::from_str(PZ_QR_EXAMPLE).unwrap();
    let data = env.pz_ok(&token, "/order/createAndQrCode", &example).await;
    assert_eq!(data["mchtOrderNo"], "F20190402123");
    assert_eq!(data["psp"], "EASYPAY");
    assert_eq!(data["qrCodeType"], "WECHATPAY");
    let url = data["codeUrl"].as_str().unwrap();
    let pr = url.strip_prefix("weixin://wxpay/bizpayurl?pr=").unwrap();
    assert_eq!(pr.len(), 7);
    assert!(pr.bytes().all(|b| b.is_ascii_alphanumeric()));

    let ali = env.pz_ok(&token, "/order/createAndQrCode", &qr_order("A2", "ALIPAY")).await;
    assert!(ali["codeUrl"].as_str().unwrap().starts_with("https://qr.alipay.com/"));
    assert_eq!(ali["psp"], "EASYPAY");
    let union = env.pz_ok(&token, "/order/createAndQrCode", &qr_order("A3", "UNIONPAY")).await;
    assert!(union["codeUrl"].as_str().unwrap().starts_with("https://qr.95516.com/"));
    assert_eq!(union["psp"], "ALLINPAY");

    let q = env.pz_get_ok(&token, "/order/queryOrder?mchtOrderNo=F20190402123").await;
    assert_eq!(q["payStatus"], "NOT_PAYED");
    assert_eq!(q["paymentAmount"], 3352);
    assert_eq!(q["paymentOrderNo"], Value::Null);
}

#[tokio::test]
async fn orders_are_validated_as_the_spec_says() {
    let env = Env::start().await;
    let token = env.pz_login().await;
    env.pz_ok(&token, "/order/createAndQrCode", &qr_order("D1", "WECHATPAY")).await;

    let fail = |r: crate::harness::Reply| {
        assert_eq!(r.status, 200, "{}", r.text);
        let v = r.json();
        assert_eq!(v["success"], false, "{v}");
        assert_eq!(v["data"], Value::Null);
        (v["errorCode"].as_str().unwrap().to_owned(), v["errorMsg"].as_str().unwrap().to_owned())
    };
    let (code, _) = fail(env.pz_post(&token, "/order/createAndQrCode", &qr_order("D1", "ALIPAY")).await);
    assert_eq!(code, "30002", "duplicate mchtOrderNo");

    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit)> = vec![
        ("paymentAmount", Box::new(|v| v["paymentAmount"] = json!(0))),
        ("currency", Box::new(|v| v["currency"] = json!("USD"))),
        ("subject", Box::new(|v| v["subject"] = json!(""))),
        ("subject", Box::new(|v| drop(v.as_object_mut().unwrap().remove("subject")))),
        ("qrCodeType", Box::new(|v| v["qrCodeType"] = json!("PAYPAL"))),
        ("qrCodeType", Box::new(|v| drop(v.as_object_mut().unwrap().remove("qrCodeType")))),
        ("orderDatetime", Box::new(|v| v["orderDatetime"] = json!("2019/04/02"))),
        ("paymentAmount", Box::new(|v| v["paymentAmount"] = json!(-5))),
        ("paymentAmount", Box::new(|v| v["paymentAmount"] = json!(12.5))),
        ("paymentAmount", Box::new(|v| v["paymentAmount"] = json!(u64::MAX))),
        // Declaring needs the payer.
        (
            "payerName",
            Box::new(|v| {
                v["needDeclare"] = json!(true);
                v.as_object_mut().unwrap().remove("payerName");
            }),
        ),
    ];
    for (i, (field, edit)) in cases.iter().enumerate() {
        let mut order = qr_order(&format!("V{i}"), "WECHATPAY");
        edit(&mut order);
        let (code, msg) = fail(env.pz_post(&token, "/order/createAndQrCode", &order).await);
        assert_eq!(code, "30001", "case {i}");
        assert!(msg.contains(field), "case {i}: {msg}");
    }
    let r = env.pz_post(&token, "/order/createAndQrCode", &json!("{")).await;
    assert_eq!(r.status, 200, "a JSON string is JSON, just the wrong shape");
    let r = env
        .post_raw(
            "/payzero/order/createAndQrCode",
            "{\"mchtOrderNo\":",
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["errorCode"], "30001");

    let (code, _) = fail(env.pz_get(&token, "/order/queryOrder?mchtOrderNo=NOPE").await);
    assert_eq!(code, "30003");
    let (code, _) = fail(env.pz_get(&token, "/order/queryOrder").await);
    assert_eq!(code, "30001");
}

#[tokio::test]
async fn qr_codes_refresh_switch_channel_and_expire_after_600_seconds() {
    let env = Env::start().await;
    let token = env.pz_login().await;
    let first = env.pz_ok(&token, "/order/createAndQrCode", &qr_order("Q1", "WECHATPAY")).await;
    let second = env.pz_get_ok(&token, "/order/qrCode?mchtOrderNo=Q1&qrCodeType=WECHATPAY").await;
    assert_ne!(first["codeUrl"], second["codeUrl"], "a refresh issues a new code");
    let ali = env.pz_get_ok(&token, "/order/qrCode?mchtOrderNo=Q1&qrCodeType=ALIPAY").await;
    assert_eq!(ali["qrCodeType"], "ALIPAY");
    assert!(ali["codeUrl"].as_str().unwrap().starts_with("https://qr.alipay.com/"));

    // 599 s after issue the code still pays; at 600 s it has expired.
    env.advance(600).await;
    let r = env.admin("/payzero/orders/Q1/pay", json!({})).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.json()["error"].as_str().unwrap().contains("expired"));
    let q = env.pz_get_ok(&token, "/order/queryOrder?mchtOrderNo=Q1").await;
    assert_eq!(q["payStatus"], "NOT_PAYED");

    env.pz_get_ok(&token, "/order/qrCode?mchtOrderNo=Q1&qrCodeType=UNIONPAY").await;
    env.advance(599).await;
    let r = env.admin("/payzero/orders/Q1/pay", json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["payStatus"], "PAY_SUCCEED");

    // A paid order gets no new code, and cannot be paid again.
    let r = env.pz_get(&token, "/order/qrCode?mchtOrderNo=Q1&qrCodeType=WECHATPAY").await.json();
    assert_eq!(r["success"], false);
    assert_eq!(r["errorCode"], "30004");
    assert_eq!(env.admin("/payzero/orders/Q1/pay", json!({})).await.status, 409);
    let r = env.pz_get(&token, "/order/qrCode?mchtOrderNo=Q1&qrCodeType=BITCOIN").await.json();
    assert_eq!(r["errorCode"], "30004", "state is checked first for a paid order");
    assert_eq!(env.admin("/payzero/orders/NOPE/pay", json!({})).await.status, 404);
}

fn verify(notification: &Value, token: &str) -> bool {
    let ts = notification["timestamp"].as_u64().expect("timestamp is a JSON number").to_string();
    let body = notification["msgBody"].as_str().unwrap();
    let sign = notification["sign"].as_str().unwrap();
    independent_payzero_sign(token, &ts, body).eq_ignore_ascii_case(sign)
}

#[tokio::test]
async fn paying_sends_a_signed_notification_to_the_orders_notify_url() {
    let env = Env::start().await;
    let mut rx = Receiver::start().await;
    let token = env.pz_login().await;
    let mut order = qr_order("N1", "WECHATPAY");
    order["notifyUrl"] = json!(rx.url);
    env.pz_ok(&token, "/order/createAndQrCode", &order).await;
    let paid = env.admin("/payzero/orders/N1/pay", json!({})).await;
    assert_eq!(paid.status, 200);

    let n = rx.next().await;
    assert_eq!(n["msgType"], "PAY_STATUS_NOTIFY");
    assert!(verify(&n, "sandbox-sign-token"), "independent signer agrees: {n}");
    // One byte changed in msgBody no longer verifies.
    let mut tampered = n.clone();
    tampered["msgBody"] = json!(n["msgBody"].as_str().unwrap().replacen("N1", "N2", 1));
    assert!(!verify(&tampered, "sandbox-sign-token"));
    assert!(!verify(&n, "another-token"));

    let body: Value = serde_json::from_str(n["msgBody"].as_str().unwrap()).unwrap();
    assert_eq!(body["mchtOrderNo"], "N1");
    assert_eq!(body["payStatus"], "PAY_SUCCEED");
    let q = env.pz_get_ok(&token, "/order/queryOrder?mchtOrderNo=N1").await;
    assert_eq!(q["payStatus"], "PAY_SUCCEED");
    assert_eq!(q["paymentOrderNo"].as_str().unwrap().len(), 18);
    assert_eq!(q["paymentDatetime"].as_str().unwrap().len(), 14);
    assert_eq!(q, body, "the notification carries the same orderResultDto as the query");

    let attempts = env.admin_get("/notifications?subject=N1").await;
    let attempts = attempts.as_array().unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["attempt"], 1);
    assert_eq!(attempts[0]["outcome"], "answered");
    assert_eq!(attempts[0]["answer"], "OK");
    assert_eq!(attempts[0]["url"], json!(rx.url));
    env.advance(7 * 3600).await;
    assert!(!rx.has_pending(), "an OK ends delivery");
}

#[tokio::test]
async fn failing_notifies_pay_failed_to_the_merchant_url() {
    let mut rx = Receiver::start().await;
    let env = Env::with(Config::default().with_payzero_notify_url(rx.url.clone())).await;
    let token = env.pz_login().await;
    env.pz_ok(&token, "/order/createAndQrCode", &qr_order("F1", "ALIPAY")).await;
    let r = env.admin("/payzero/orders/F1/fail", json!({})).await;
    assert_eq!(r.json()["payStatus"], "PAY_FAILED");
    let n = rx.next().await;
    let body: Value = serde_json::from_str(n["msgBody"].as_str().unwrap()).unwrap();
    assert_eq!(body["payStatus"], "PAY_FAILED");
    assert_eq!(env.admin("/payzero/orders/F1/fail", json!({})).await.status, 409);
    // A failed QR order can be paid by a new code (spec 4.2).
    env.pz_get_ok(&token, "/order/qrCode?mchtOrderNo=F1&qrCodeType=WECHATPAY").await;
    assert_eq!(env.admin("/payzero/orders/F1/pay", json!({})).await.status, 200);
    let n = rx.next().await;
    assert!(n["msgBody"].as_str().unwrap().contains("PAY_SUCCEED"));
}

#[tokio::test]
async fn notifications_retry_at_1m_5m_10m_1h_6h_after_the_first_send() {
    let mut rx = Receiver::start().await;
    let env = Env::with(Config::default().with_payzero_notify_url(rx.url.clone())).await;
    let token = env.pz_login().await;
    env.pz_ok(&token, "/order/createAndQrCode", &qr_order("R1", "WECHATPAY")).await;
    rx.answer_with(&["FAIL", "ok", "", "busy", "nope", "no"]);
    env.admin("/payzero/orders/R1/pay", json!({})).await;
    let first = rx.next().await;

    env.advance(59).await;
    assert!(!rx.has_pending(), "no retry before a minute");
    env.advance(1).await;
    assert_eq!(rx.next().await, first, "a retry repeats the notification byte for byte");
    env.advance(240).await; // 5m
    rx.next().await;
    // Jump past 10m and 1h at once: both retries run, in order, before advance answers.
    env.advance(3300).await; // 1h
    rx.next().await;
    rx.next().await;
    env.advance(5 * 3600 - 1).await;
    assert!(!rx.has_pending());
    env.advance(1).await; // 6h
    rx.next().await;
    env.advance(24 * 3600).await;
    assert!(!rx.has_pending(), "five retries, then it gives up");

    let attempts = env.admin_get("/notifications?subject=R1").await;
    let attempts = attempts.as_array().unwrap();
    assert_eq!(attempts.len(), 6);
    let t0 = attempts[0]["at_ms"].as_u64().unwrap();
    let offsets: Vec<u64> =
        attempts.iter().map(|a| (a["at_ms"].as_u64().unwrap() - t0 + 500) / 1000).collect();
    assert_eq!(offsets, vec![0, 60, 300, 600, 3600, 21_600]);
    let numbers: Vec<u64> = attempts.iter().map(|a| a["attempt"].as_u64().unwrap()).collect();
    assert_eq!(numbers, vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(attempts[0]["answer"], "FAIL");
    let deliveries = env.admin_get("/notifications/deliveries").await;
    assert_eq!(deliveries[0]["state"], "gave_up");
}

#[tokio::test]
async fn a_retry_that_gets_ok_ends_delivery() {
    let mut rx = Receiver::start().await;
    let env = Env::with(Config::default().with_payzero_notify_url(rx.url.clone())).await;
    let token = env.pz_login().await;
    env.pz_ok(&token, "/order/createAndQrCode", &qr_order("R2", "WECHATPAY")).await;
    rx.answer_with(&["FAIL"]);
    env.admin("/payzero/orders/R2/pay", json!({})).await;
    rx.next().await;
    env.advance(60).await;
    rx.next().await;
    env.advance(7 * 3600).await;
    assert!(!rx.has_pending());
    let deliveries = env.admin_get("/notifications/deliveries").await;
    assert_eq!(deliveries[0]["state"], "delivered");
    assert_eq!(deliveries[0]["attempts"], 2);
}

#[tokio::test]
async fn unreachable_receivers_are_retried_and_orders_without_url_are_recorded() {
    // Nothing listens on this port: the connection is refused.
    let env = Env::with(Config::default().with_payzero_notify_url("http://127.0.0.1:9/cb")).await;
    let token = env.pz_login().await;
    env.pz_ok(&token, "/order/createAndQrCode", &qr_order("U1", "WECHATPAY")).await;
    env.admin("/payzero/orders/U1/pay", json!({})).await;
    env.advance(60).await;
    let attempts = env.admin_get("/notifications?subject=U1").await;
    assert_eq!(attempts.as_array().unwrap().len(), 2);
    assert_eq!(attempts[0]["outcome"], "error");

    let env = Env::start().await;
    let token = env.pz_login().await;
    env.pz_ok(&token, "/order/createAndQrCode", &qr_order("U2", "WECHATPAY")).await;
    env.admin("/payzero/orders/U2/pay", json!({})).await;
    let attempts = env.admin_get("/notifications").await;
    assert_eq!(attempts[0]["outcome"], "no_url");
    // The merchant URL can be set at run time.
    let mut rx = Receiver::start().await;
    env.admin("/payzero/notify-url", json!({ "url": rx.url })).await;
    env.pz_ok(&token, "/order/createAndQrCode", &qr_order("U3", "WECHATPAY")).await;
    env.admin("/payzero/orders/U3/pay", json!({})).await;
    assert!(rx.next().await["msgBody"].as_str().unwrap().contains("U3"));
}
