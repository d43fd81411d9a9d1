//! No secret reaches a browser: the built assets and every widget-facing response (success and
//! error) are scanned for the run's configured credential values.

use crate::api::{checkout, create_session, http, request_qr};
use crate::with_stack;
use anyhow::{Result, ensure};
use checkout_tests::root;
use reqwest::Method;
use std::path::Path;

fn scan(what: &str, bytes: &[u8], secrets: &[&str]) -> Result<()> {
    for (index, secret) in secrets.iter().enumerate().filter(|(_, s)| !s.is_empty()) {
        ensure!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{what} contains configured secret #{index} of `Credentials::secrets`"
        );
    }
    Ok(())
}

fn scan_dir(dir: &Path, secrets: &[&str]) -> Result<usize> {
    let mut count = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            count += scan_dir(&path, secrets)?;
        } else {
            scan(&path.display().to_string(), &std::fs::read(&path)?, secrets)?;
            count += 1;
        }
    }
    Ok(count)
}

#[test]
fn nothing_a_browser_receives_holds_a_secret() {
    with_stack(|stack| async move {
        let mut secrets = stack.creds.secrets();
        // The developer's own local keys, if any, must not have leaked into the build either.
        // Values still equal to the committed example's (the sandbox's public defaults, such as
        // its activation code 12345678) are no one's secret.
        let values = |name: &str| -> Vec<String> {
            std::fs::read_to_string(root().join("edge").join(name))
                .unwrap_or_default()
                .lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .filter_map(|l| l.split_once('='))
                .map(|(_, v)| v.trim().trim_matches('"').to_owned())
                .collect()
        };
        let public = values(".dev.vars.example");
        let local_values: Vec<String> =
            values(".dev.vars").into_iter().filter(|v| v.len() >= 8 && !public.contains(v)).collect();
        secrets.extend(local_values.iter().map(String::as_str));
        let files = scan_dir(&root().join("www"), &secrets)?;
        ensure!(files >= 4, "www/ holds only {files} files: is the widget built?");

        let session = create_session(&stack, 990, "SECRET-1").await?;
        let cs = &session.client_secret;
        let qr = request_qr(&stack, cs, "wechat_pay").await?;
        scan("the QR answer", serde_json::to_string(&qr)?.as_bytes(), &secrets)?;
        let edge = &stack.edge_url;
        let paths = [
            "/".to_owned(),
            "/health".to_owned(),
            format!("/pay/{cs}"),
            "/checkout.js".to_owned(),
            "/pkg/widget.js".to_owned(),
            "/pkg/widget_bg.wasm".to_owned(),
        ];
        for path in &paths {
            let r = http().get(format!("{edge}{path}")).send().await?;
            let headers = format!("{:?}", r.headers());
            scan(&format!("headers of {path}"), headers.as_bytes(), &secrets)?;
            scan(path, &r.bytes().await?, &secrets)?;
        }
        // The checkout API, with the session's secret, a wrong one, garbage and none.
        for (tail, secret) in [
            ("", cs.as_str()),
            ("/status?since=999999", cs.as_str()),
            ("", "sess_nope_secret_nope"),
            ("", "garbage"),
            ("", ""),
        ] {
            let r = checkout(&stack, Method::GET, secret, tail).send().await?;
            let headers = format!("{:?}", r.headers());
            scan(&format!("headers of /v1/checkout{tail}"), headers.as_bytes(), &secrets)?;
            scan(&format!("/v1/checkout{tail}"), &r.bytes().await?, &secrets)?;
        }
        // The hosted page carries the secret in its URL: never cached, never a referrer, and a
        // strict policy (the browser tests pass under it with a clean console).
        let page = http().get(format!("{edge}/pay/{cs}")).send().await?;
        let header =
            |name: &str| page.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        ensure!(header("cache-control") == "no-store", "the hosted page may be cached");
        ensure!(header("referrer-policy") == "no-referrer", "the hosted page leaks its URL as referrer");
        ensure!(
            header("content-security-policy").contains("default-src 'none'"),
            "no strict CSP on the hosted page"
        );
        for body in [
            "{",
            "{\"method\":\"payzero_qr\",\"channel\":\"NOPE\"}",
            "{\"method\":\"bitcoin\",\"channel\":\"wechat_pay\"}",
        ] {
            let r = checkout(&stack, Method::POST, cs, "/qr").body(body).send().await?;
            scan("a QR error", &r.bytes().await?, &secrets)?;
        }
        // A gateway failure must not echo credentials either: make the next login fail.
        let _ = http()
            .post(format!("{}/__admin/faults", stack.sandbox_url))
            .json(&serde_json::json!({"endpoint": "/payzero/order/qrCode", "kind": "http_500", "times": 1}))
            .send()
            .await?;
        let r = checkout(&stack, Method::POST, cs, "/qr")
            .json(&serde_json::json!({"method": "payzero_qr", "channel": "alipay"}))
            .send()
            .await?;
        scan("an upstream failure", &r.bytes().await?, &secrets)?;
        Ok(())
    });
}
