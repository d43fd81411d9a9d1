//! After every scenario: each answer the edge gave through the stack's tap (to the tests, the
//! Rust client, the demo shop and headless Chromium alike) and each webhook an endpoint received
//! is held against docs/openapi.json — the operation exists, its status is documented, and the
//! body validates against the documented schema.

use anyhow::{Result, bail};
use checkout_tests::contract::Contract;
use checkout_tests::{Stack, every_webhook_so_far};
use std::sync::OnceLock;

fn contract() -> Result<&'static Contract> {
    static CONTRACT: OnceLock<Result<Contract, String>> = OnceLock::new();
    CONTRACT
        .get_or_init(|| Contract::load().map_err(|e| format!("{e:#}")))
        .as_ref()
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Checks the edge's answers since the last call and every webhook received so far.
pub(crate) fn as_documented(stack: &Stack) -> Result<()> {
    let contract = contract()?;
    let answers = stack.edge_answers();
    let webhooks = every_webhook_so_far();
    let mut problems = Vec::new();
    for answer in &answers {
        if let Err(e) = contract.check(answer) {
            problems.push(format!("{e:#}"));
        }
    }
    for body in &webhooks {
        if let Err(e) = contract.check_webhook(body) {
            problems.push(format!("{e:#}"));
        }
    }
    eprintln!("contract: {} answers of the edge and {} webhooks checked", answers.len(), webhooks.len());
    if !problems.is_empty() {
        problems.sort();
        problems.dedup();
        bail!("{} answer(s) not as docs/openapi.json says:\n{}", problems.len(), problems.join("\n"));
    }
    Ok(())
}
