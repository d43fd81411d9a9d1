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
