//! The `checkout-sandbox` binary as the dev command and harnesses run it: one ready line on a
//! free port, then a clean exit on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn prints_one_ready_line_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_checkout-sandbox"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let url = line.trim().strip_prefix("sandbox listening on ").expect("the ready line").to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().unwrap();
    let clock = http.get(format!("{url}/__admin/clock")).send().await.unwrap();
    assert_eq!(clock.status(), 200, "admin is on for a loopback bind");

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "a clean exit: {status:?}");
}

#[test]
fn refuses_unknown_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_checkout-sandbox")).arg("--nope").output().unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "nothing that looks like a ready line");
}

/// Starts the binary on a free port with `--state-dir`, answering its base URL.
fn spawn_with_state(dir: &std::path::Path) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_checkout-sandbox"))
        .args(["--port", "0", "--state-dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("sandbox listening on ").expect("the ready line").to_owned();
    (child, url)
}

fn terminate(mut child: std::process::Child) {
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    assert!(child.wait().unwrap().success(), "a clean exit");
}

async fn signed(
    http: &reqwest::Client,
    url: &str,
    signer: &str,
    key: &str,
    body: &serde_json::Value,
) -> serde_json::Value {
    let body = body.to_string();
    let sign = crate::harness::independent_sqb_sign(body.as_bytes(), key);
    let r =
        http.post(url).header("authorization", format!("{signer} {sign}")).body(body).send().await.unwrap();
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_restart_on_the_same_state_dir_remembers_terminals_orders_tokens_and_the_clock() {
    use serde_json::json;
    let dir = std::env::temp_dir().join(format!("sandbox-state-{}-{}", std::process::id(), line!()));
    let _ = std::fs::remove_dir_all(&dir);
    let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().unwrap();

    let (child, url) = spawn_with_state(&dir);
    let activate = json!({"app_id": "2019", "code": "12345678", "device_id": "till-1"});
    let keys = signed(
        &http,
        &format!("{url}/shouqianba/terminal/activate"),
        "sandbox-vendor",
        "sandbox-vendor-key",
        &activate,
    )
    .await;
    let sn = keys["biz_response"]["terminal_sn"].as_str().unwrap().to_owned();
    let key = keys["biz_response"]["terminal_key"].as_str().unwrap().to_owned();
    let pay = |client_sn: &str| {
        json!({"terminal_sn": sn, "client_sn": client_sn, "total_amount": "100", "dynamic_id": "130115575166786427",
               "subject": "s", "operator": "op"})
    };
    let paid = signed(&http, &format!("{url}/shouqianba/upay/v2/pay"), &sn, &key, &pay("BEFORE")).await;
    assert_eq!(paid["biz_response"]["result_code"], "PAY_SUCCESS", "{paid}");
    let login = json!({"username": "sandbox-app", "password": "sandbox-app-key"});
    let token: serde_json::Value = http
        .post(format!("{url}/payzero/auth/login"))
        .json(&login)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["data"]["token"].as_str().unwrap().to_owned();
    let order = json!({"qrCodeType": "WECHATPAY", "currency": "CNY", "mchtOrderNo": "KEPT", "paymentAmount": 1, "subject": "s"});
    http.post(format!("{url}/payzero/order/createAndQrCode"))
        .bearer_auth(&token)
        .json(&order)
        .send()
        .await
        .unwrap();
    http.post(format!("{url}/__admin/clock/advance")).json(&json!({"seconds": 60})).send().await.unwrap();
    terminate(child);
    assert!(dir.join("state.json").exists());

    let (child, url) = spawn_with_state(&dir);
    let after = signed(&http, &format!("{url}/shouqianba/upay/v2/pay"), &sn, &key, &pay("AFTER")).await;
    assert_eq!(after["result_code"], "200", "the terminal is still known: {after}");
    assert_eq!(after["biz_response"]["result_code"], "PAY_SUCCESS", "{after}");
    let again = signed(&http, &format!("{url}/shouqianba/upay/v2/pay"), &sn, &key, &pay("BEFORE")).await;
    assert_eq!(again["biz_response"]["error_code"], "CLIENT_SN_CONFLICT", "the old order is still there");
    let q: serde_json::Value = http
        .get(format!("{url}/payzero/order/queryOrder?mchtOrderNo=KEPT"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(q["data"]["payStatus"], "NOT_PAYED", "the token and the order survived: {q}");
    let clock: serde_json::Value =
        http.get(format!("{url}/__admin/clock")).send().await.unwrap().json().await.unwrap();
    assert_eq!(clock["offsetSeconds"], 60);
    terminate(child);

    // A file the sandbox cannot read is refused, not silently replaced.
    std::fs::write(dir.join("state.json"), "{not json").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_checkout-sandbox"))
        .args(["--port", "0", "--state-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no ready line");
    assert!(String::from_utf8_lossy(&out.stderr).contains("state.json"));
    let _ = std::fs::remove_dir_all(&dir);
}
