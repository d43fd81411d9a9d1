//! Schemathesis against the live edge (`wrangler dev` + sandbox): every operation of
//! docs/openapi.json, with the merchant key and a live session's client secret, with data that
//! fits the contract and data that does not. Every check must pass (no 5xx, every status,
//! content type and body as documented, bad input refused), every answer also passes this
//! suite's own contract check (the stack's tap), and the stack is healthy afterwards. Bounded:
//! a fixed number of cases per operation, one worker, a deadline.

use crate::with_stack;
use anyhow::{Context, ensure};
use checkout_shared::Fen;
use checkout_shared::api::{BarcodeState, CreateSessionRequest, PaymentMethod, SessionStatus};
use checkout_tests::root;
use std::time::Duration;

/// Cases per operation and phase; enough to reach every documented refusal, a few minutes in all.
const MAX_EXAMPLES: &str = "20";
/// The whole run's bound.
const DEADLINE: Duration = Duration::from_secs(600);

#[test]
fn schemathesis_finds_every_answer_as_documented() {
    with_stack(|stack| async move {
        let bin = root().join("tools/venv/bin/schemathesis");
        ensure!(bin.exists(), "{} is missing: `cargo xtask setup --browser` installs it", bin.display());
        let client = stack.client()?;
        // The checkout API's operations act on this session: every method, a customer.
        let every_method = vec![
            PaymentMethod::PayzeroQr,
            PaymentMethod::PayzeroCard,
            PaymentMethod::ShouqianbaQr,
            PaymentMethod::ShouqianbaBarcode,
            PaymentMethod::EzrBarcode,
        ];
        let session = client
            .create_session(
                &CreateSessionRequest::new(Fen(1_00), "Schemathesis", "FUZZ-1")
                    .with_methods(every_method)
                    .with_customer("cus_fuzz"),
            )
            .await?;
        // Kept after the run (the stack's own directory is removed): what was sent and answered.
        let reports = root().join("target/schemathesis");
        std::fs::create_dir_all(&reports)?;
        let log = reports.join("schemathesis.log");
        let out = std::fs::File::create(&log)?;
        let mut command = tokio::process::Command::new(&bin);
        command
            .arg("--config-file")
            .arg(root().join("tests/schemathesis.toml"))
            .arg("run")
            .arg(root().join("docs/openapi.json"))
            .args(["--url", &stack.edge_url])
            // Uncompressed answers, so the suite's contract check reads the bodies it was given.
            .args(["-H", "Accept-Encoding: identity"])
            .args(["--max-examples", MAX_EXAMPLES, "--workers", "1", "--seed", "20261207"])
            .args(["--phases", "examples,coverage,fuzzing"])
            .args(["--report", "json,vcr", "--report-dir"])
            .arg(&reports)
            .env("MERCHANT_KEY", &stack.creds.merchant_key)
            .env("CLIENT_SECRET", &session.client_secret)
            .env("SCHEMATHESIS_HOOKS", root().join("tests/schemathesis_hooks.py"))
            .env("NO_COLOR", "1")
            .stdout(out.try_clone()?)
            .stderr(out)
            // Its cache goes beside the reports, not into the sources.
            .current_dir(&reports)
            .kill_on_drop(true);
        let started = std::time::Instant::now();
        let status = tokio::time::timeout(DEADLINE, command.status())
            .await
            .context("Schemathesis ran past its deadline")??;
        let output = std::fs::read_to_string(&log).unwrap_or_default();
        let summary: Vec<&str> =
            output.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
        eprintln!("schemathesis: {status} after {:.0?}\n{}", started.elapsed(), summary.join("\n"));
        ensure!(status.success(), "Schemathesis found answers not as documented:\n{output}");
        // The stack is healthy afterwards: the edge answers, takes a new session, and the
        // sandbox still pays one.
        let health = crate::api::http().get(format!("{}/health", stack.edge_url)).send().await?;
        ensure!(health.status() == 200, "/health answered {} after the run", health.status());
        let after = client
            .create_session(
                &CreateSessionRequest::new(Fen(2_00), "after Schemathesis", "FUZZ-AFTER")
                    .with_methods(vec![PaymentMethod::ShouqianbaBarcode]),
            )
            .await?;
        let code = "134567890123450000";
        let view = crate::gateways::barcode(&stack, &after.client_secret, "shouqianba_barcode", code).await?;
        ensure!(view.state == BarcodeState::Paid, "a cashier payment after the run: {view:?}");
        ensure!(client.get_session(&after.id).await?.status == SessionStatus::Paid, "not paid after the run");
        Ok(())
    });
}
