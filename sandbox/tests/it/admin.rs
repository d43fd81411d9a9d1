//! The test controls themselves: faults, recorded requests, state, clock and reset.

use crate::harness::{Env, Receiver, qr_order};
use checkout_sandbox::Config;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn http_500_hits_exactly_the_next_n_matching_requests() {
    let env = Env::start().await;
    let token = env.pz_login().await;
    let path = "/order/queryOrder?mchtOrderNo=X";
    let r = env
        .admin(
            "/faults",
            json!({"endpoint": "/payzero/order/queryOrder", "kind": "http_500", "times": 2, "skip": 1}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(env.pz_get(&token, path).await.status, 200, "skipped");
    assert_eq!(
        env.pz_get(&token, "/order/qrCode?mchtOrderNo=X&qrCodeType=ALIPAY").await.status,
        200,
        "other path"
    );
    assert_eq!(env.pz_get(&token, path).await.status, 500);
    assert_eq!(env.pz_get(&token, path).await.status, 500);
    assert_eq!(env.pz_get(&token, path).await.status, 200, "used up");

    env.admin(
        "/faults",
        json!({"endpoint": "/payzero/*", "kind": "http_500", "status": 503, "always": true}),
    )
    .await;
    assert_eq!(env.pz_get(&token, path).await.status, 503);
    assert_eq!(env.pz_get(&token, path).await.status, 503);
    let faults = env.admin_get("/faults").await;
    assert_eq!(faults.as_array().unwrap().len(), 1);
    assert_eq!(env.http.delete(env.url("/__admin/faults")).send().await.unwrap().status(), 204);
    assert_eq!(env.pz_get(&token, path).await.status, 200);
}

#[tokio::test]
async fn a_processed_fault_does_the_work_but_loses_the_answer() {
    let env = Env::start().await;
    let token = env.pz_login().await;
    env.admin(
        "/faults",
        json!({"endpoint": "/payzero/order/createAndQrCode", "kind": "http_500", "processed": true}),
    )
    .await;
    assert_eq!(env.pz_post(&token, "/order/createAndQrCode", &qr_order("P1", "WECHATPAY")).await.status, 500);
    let q = env.pz_get_ok(&token, "/order/queryOrder?mchtOrderNo=P1").await;
    assert_eq!(q["payStatus"], "NOT_PAYED", "the order was created");
    // Retrying the create is now a duplicate.
    let r = env.pz_post(&token, "/order/createAndQrCode", &qr_order("P1", "WECHATPAY")).await.json();
    assert_eq!(r["errorCode"], "30002");
}

#[tokio::test]
async fn malformed_json_and_timeouts_are_reproducible() {
    let env = Env::start().await;
    let token = env.pz_login().await;
    env.admin("/faults", json!({"endpoint": "/payzero/order/queryOrder", "kind": "malformed_json"})).await;
    let r = env.pz_get(&token, "/order/queryOrder?mchtOrderNo=X").await;
    assert_eq!(r.status, 200);
    assert!(serde_json::from_str::<Value>(&r.text).is_err(), "{}", r.text);

    env.admin("/faults", json!({"endpoint": "/payzero/order/queryOrder", "kind": "timeout", "ms": 60000}))
        .await;
    let quick = reqwest::Client::builder().no_proxy().timeout(Duration::from_millis(300)).build().unwrap();
    let err = quick
        .get(env.url("/payzero/order/queryOrder?mchtOrderNo=X"))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(env.pz_get(&token, "/order/queryOrder?mchtOrderNo=X").await.status, 200);

    env.admin("/faults", json!({"endpoint": "/payzero/order/queryOrder", "kind": "latency_ms", "ms": 400}))
        .await;
    let err = quick
        .get(env.url("/payzero/order/queryOrder?mchtOrderNo=X"))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "the latency outlasts a 300 ms client");
    assert_eq!(env.admin("/faults", json!({"kind": "latency_ms"})).await.status, 400, "latency needs ms");
    assert_eq!(env.admin("/faults", json!({"kind": "http_500", "status": 404})).await.status, 400);
    assert_eq!(env.admin("/faults", json!({"kind": "explode"})).await.status, 400);
    // Stopping releases the request still held by the timeout fault.
    env.sandbox.stop().await.unwrap();
}

#[tokio::test]
async fn notifications_can_be_dropped_or_sent_twice() {
    let mut rx = Receiver::start().await;
    let env = Env::with(Config::default().with_payzero_notify_url(rx.url.clone())).await;
    let token = env.pz_login().await;
    env.pz_ok(&token, "/order/createAndQrCode", &qr_order("X1", "WECHATPAY")).await;
    env.pz_ok(&token, "/order/createAndQrCode", &qr_order("X2", "WECHATPAY")).await;

    env.admin("/faults", json!({"kind": "drop_notification"})).await;
    env.admin("/payzero/orders/X1/pay", json!({})).await;
    let attempts = env.admin_get("/notifications?subject=X1").await;
    assert_eq!(attempts[0]["outcome"], "dropped");
    assert!(!rx.has_pending(), "nothing was sent");
    env.advance(60).await;
    assert!(rx.next().await["msgBody"].as_str().unwrap().contains("X1"), "the retry comes a minute later");

    env.admin("/faults", json!({"kind": "duplicate_notification"})).await;
    env.admin("/payzero/orders/X2/pay", json!({})).await;
    let a = rx.next().await;
    let b = rx.next().await;
    assert_eq!(a, b);
    let attempts = env.admin_get("/notifications?subject=X2").await;
    assert_eq!(attempts.as_array().unwrap().len(), 2);
    assert_eq!(attempts[1]["duplicate"], true);
}

#[tokio::test]
async fn requests_are_recorded_with_headers_and_body() {
    let env = Env::start().await;
    let token = env.pz_login().await;
    env.pz_ok(&token, "/order/createAndQrCode", &qr_order("REC1", "WECHATPAY")).await;
    let recorded = env.admin_get("/requests?path=/payzero/order/createAndQrCode").await;
    let recorded = recorded.as_array().unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["method"], "POST");
    assert_eq!(recorded[0]["headers"]["authorization"], format!("Bearer {token}"));
    let body: Value = serde_json::from_str(recorded[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["mchtOrderNo"], "REC1");
    let all = env.admin_get("/requests?path=/payzero/*").await;
    assert_eq!(all.as_array().unwrap().len(), 2, "login + create; admin calls are not recorded");
    env.pz_get_ok(&token, "/order/queryOrder?mchtOrderNo=REC1").await;
    let q = env.admin_get("/requests?method=GET").await;
    assert_eq!(q[0]["query"], "mchtOrderNo=REC1");
}

#[tokio::test]
async fn state_clock_and_reset() {
    let env = Env::start().await;
    let token = env.pz_login().await;
    env.pz_ok(&token, "/order/createAndQrCode", &qr_order("S1", "WECHATPAY")).await;
    let state = env.admin_get("/state").await;
    assert_eq!(state["payzero"]["orders"]["S1"]["payStatus"], "NOT_PAYED");
    assert_eq!(state["payzero"]["orders"]["S1"]["qr"]["qrCodeType"], "WECHATPAY");

    let before = env.admin_get("/clock").await;
    env.advance(3600).await;
    let after = env.admin_get("/clock").await;
    assert_eq!(after["offsetSeconds"], 3600);
    assert!(after["nowMs"].as_u64().unwrap() >= before["nowMs"].as_u64().unwrap() + 3_600_000);
    assert_eq!(env.admin("/clock/advance", json!({"seconds": -1})).await.status, 400);
    assert_eq!(env.admin("/clock/advance", json!({"seconds": u64::MAX})).await.status, 400);

    assert_eq!(env.admin("/reset", json!({})).await.status, 204);
    let state = env.admin_get("/state").await;
    assert!(state["payzero"]["orders"].as_object().unwrap().is_empty());
    assert_eq!(state["clock"]["offsetSeconds"], 0);
    assert!(env.admin_get("/requests").await.as_array().unwrap().is_empty());
    // The token from before the reset still works.
    assert_eq!(env.pz_get(&token, "/order/queryOrder?mchtOrderNo=S1").await.status, 200);
    assert_eq!(env.get_raw("/__admin/nothing", &[]).await.status, 404);
    assert_eq!(env.get_raw("/payzero/nothing", &[]).await.status, 404);
}

#[tokio::test]
async fn a_notification_still_to_be_delivered_is_retried_after_a_restart() {
    let dir = std::env::temp_dir().join(format!("sandbox-retry-{}-{}", std::process::id(), line!()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut rx = Receiver::start().await;
    let config = || Config::default().with_payzero_notify_url(rx.url.clone()).with_state_dir(&dir);
    let env = Env::with(config()).await;
    let token = env.pz_login().await;
    env.pz_ok(&token, "/order/createAndQrCode", &qr_order("R1", "WECHATPAY")).await;
    // The first attempt is lost; the sandbox stops before the retry is due.
    env.admin("/faults", json!({"kind": "drop_notification"})).await;
    env.admin("/payzero/orders/R1/pay", json!({})).await;
    assert_eq!(env.admin_get("/notifications?subject=R1").await[0]["outcome"], "dropped");
    env.sandbox.stop().await.unwrap();

    let env = Env::with(config()).await;
    let deliveries = env.admin_get("/notifications/deliveries").await;
    assert_eq!(
        (deliveries[0]["state"].as_str(), deliveries[0]["attempts"].as_u64()),
        (Some("pending"), Some(1))
    );
    env.advance(60).await;
    assert!(rx.next().await["msgBody"].as_str().unwrap().contains("R1"), "the retry comes after the restart");
    assert_eq!(env.admin_get("/notifications/deliveries").await[0]["state"], "delivered");
    // The token issued before the restart still works, and the order is still paid.
    assert_eq!(env.pz_get_ok(&token, "/order/queryOrder?mchtOrderNo=R1").await["payStatus"], "PAY_SUCCEED");
    env.sandbox.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
