//! The Shouqianba terminal as a merchant server sees it: a forced check-in activates the terminal
//! on first use, rotates its key every time, and never shows the key.

use crate::api::http;
use crate::with_stack;
use anyhow::{Context, Result, ensure};
use checkout_shared::terminal::CheckInInfo;
use checkout_tests::Stack;
use serde_json::Value;

async fn check_in(stack: &Stack) -> Result<(CheckInInfo, String)> {
    let r = http()
        .post(format!("{}/v1/shouqianba/terminal/checkin", stack.edge_url))
        .bearer_auth(&stack.creds.merchant_key)
        .send()
        .await?;
    let (status, text) = (r.status(), r.text().await?);
    ensure!(status == 200, "check-in answered {status}: {text}");
    Ok((serde_json::from_str(&text).with_context(|| format!("check-in answer: {text}"))?, text))
}

/// The `Authorization` header of every recorded call to `path` on the sandbox.
async fn signatures(stack: &Stack, path: &str) -> Result<Vec<String>> {
    let calls = crate::gateways::sandbox_requests(stack, path).await?;
    Ok(calls.iter().filter_map(|c| c["headers"]["authorization"].as_str().map(str::to_owned)).collect())
}

#[test]
fn forced_check_ins_activate_once_and_rotate_the_key() {
    with_stack(|stack| async move {
        let url = format!("{}/v1/shouqianba/terminal/checkin", stack.edge_url);
        let r = http().post(&url).send().await?;
        ensure!(r.status() == 401, "a check-in without the merchant key answered {}", r.status());

        let (first, first_text) = check_in(&stack).await?;
        let (second, second_text) = check_in(&stack).await?;
        ensure!(first.terminal_sn == second.terminal_sn, "the terminal changed: {first:?} then {second:?}");
        ensure!(second.checked_in_at >= first.checked_in_at, "time went back: {first:?} then {second:?}");
        for text in [&first_text, &second_text] {
            ensure!(!text.contains("key"), "a check-in answer talks about a key: {text}");
            ensure!(!text.contains(&stack.creds.sqb_vendor_key), "a check-in answer holds the vendor key");
        }

        let state: Value =
            http().get(format!("{}/__admin/state", stack.sandbox_url)).send().await?.json().await?;
        let terminals =
            state["shouqianba"]["terminals"].as_object().context("no terminals in the sandbox")?;
        ensure!(terminals.len() == 1, "one terminal expected, the sandbox has {}", terminals.len());
        let terminal = &terminals[&first.terminal_sn];
        ensure!(terminal["checkins"] == 2, "two check-ins expected: {terminal}");

        ensure!(signatures(&stack, "/shouqianba/terminal/activate").await?.len() == 1, "activated again");
        // Both check-ins sent the same body; different signatures mean different keys, i.e. the
        // second was signed with the key the first one answered.
        let checkins = signatures(&stack, "/shouqianba/terminal/checkin").await?;
        ensure!(checkins.len() == 2, "two check-in calls expected: {checkins:?}");
        ensure!(checkins[0] != checkins[1], "both check-ins were signed with the same key");
        ensure!(
            checkins.iter().all(|a| a.starts_with(&format!("{} ", first.terminal_sn))),
            "a check-in was not signed by the terminal: {checkins:?}"
        );
        Ok(())
    });
}
