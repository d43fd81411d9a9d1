//! `cargo xtask test`: every test the project has, in one command – formatting, clippy (native
//! and wasm32), the native tests (pure core, sandbox, demo, xtask), a short run of every fuzz
//! target, the widget's tests in headless
//! Chromium, and the end-to-end tests through wrangler dev with the sandbox upstream and Chromium
//! as the shopper.

use crate::proc::{check, tools_path};
use crate::{build, root, setup, step};
use anyhow::Result;
use std::path::Path;
use std::process::Command;

pub(crate) fn run() -> Result<()> {
    let root = root();
    setup::run(&setup::Needs { browser: true })?;
    step("checking formatting");
    check(Command::new("cargo").args(["fmt", "--all", "--", "--check"]).current_dir(&root))?;
    clippy(&root)?;
    build::all()?;
    deploy_dry_run(&root)?;
    step("native tests: shared core, sandbox, demo shop, xtask, widget state");
    check(
        Command::new("cargo")
            .args(["test", "--workspace", "--exclude", "checkout-edge", "--exclude", "checkout-tests"])
            .current_dir(&root),
    )?;
    // The client is published with the shared types it exposes: both packages build from what
    // they would upload (cargo checks the client against the shared package, not the path).
    step("cargo publish --dry-run: checkout-shared and checkout-client");
    check(
        Command::new("cargo")
            .args(["publish", "--dry-run", "--allow-dirty", "-p", "checkout-shared", "-p", "checkout-client"])
            .current_dir(&root),
    )?;
    // A short run of every fuzz target from its seed corpus: a parser that panics on an input
    // near the specs' examples fails here; the long runs are `cargo xtask fuzz`.
    crate::fuzz::run(&["--inputs".into(), "10000".into()])?;
    step("widget tests in headless Chromium (wasm-bindgen-test)");
    check(
        Command::new("cargo")
            .args([
                "test",
                "-p",
                "checkout-widget",
                "--target",
                "wasm32-unknown-unknown",
                "--test",
                "browser",
            ])
            .env("PATH", tools_path(&root))
            .env(
                "CHROMEDRIVER",
                std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into()),
            )
            .current_dir(&root),
    )?;
    // The contract's own checks (docs/openapi.json against the Rust types and the edge's routes)
    // run with the end-to-end tests, whose every answer is then checked against it.
    step("end-to-end tests: the API contract, then sandbox + wrangler dev + demo shop + headless Chromium");
    check(
        Command::new("cargo")
            .args([
                "test",
                "-p",
                "checkout-tests",
                "--test",
                "contract",
                "--test",
                "it",
                "--",
                "--test-threads=1",
            ])
            .current_dir(&root),
    )?;
    step("all tests passed");
    Ok(())
}

/// `wrangler deploy --dry-run --env production` on the built worker: the production environment
/// of edge/wrangler.toml is valid and bundles, offline and without an account. The bundle is
/// kept in target/deploy-dry-run/.
pub(crate) fn deploy_dry_run(root: &Path) -> Result<()> {
    step(
        "wrangler deploy --dry-run --env production (the production configuration bundles the built worker)",
    );
    let mut wrangler = Command::new(root.join("tools/node_modules/.bin/wrangler"));
    wrangler
        .args(["deploy", "--dry-run", "--env", "production", "--outdir"])
        .arg(root.join("target/deploy-dry-run"))
        .current_dir(root.join("edge"));
    crate::proc::wrangler_env(&mut wrangler, root);
    check(&mut wrangler)
}

/// Clippy with warnings as errors, before the release builds, so a lint stops the run before the
/// long browser and end-to-end steps. Two passes because the crates live on two targets: the
/// worker is wasm-only (so it is left out natively), and the widget's browser tests compile only
/// for wasm32. `setup::run` has already added the wasm32 target.
fn clippy(root: &Path) -> Result<()> {
    step("clippy, native: every crate but the worker, incl. tests (-D warnings)");
    check(
        Command::new("cargo")
            .args([
                "clippy",
                "--workspace",
                "--exclude",
                "checkout-edge",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])
            .current_dir(root),
    )?;
    step("clippy, wasm32: shared, widget (incl. its browser tests), worker (-D warnings)");
    check(
        Command::new("cargo")
            .args([
                "clippy",
                "--target",
                "wasm32-unknown-unknown",
                "-p",
                "checkout-shared",
                "-p",
                "checkout-widget",
                "-p",
                "checkout-edge",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])
            .current_dir(root),
    )
}

#[cfg(test)]
mod tests {
    use crate::root;

    /// The production environment of edge/wrangler.toml: live, no test control, no loopback or
    /// private URL (its placeholders are `*.invalid`, which the edge refuses until replaced).
    #[test]
    fn the_production_environment_is_live_and_points_nowhere_local() {
        let toml = std::fs::read_to_string(root().join("edge/wrangler.toml")).expect("wrangler.toml");
        let production = &toml[toml.find("[env.production]").expect("a production environment")..];
        assert!(production.contains("CHECKOUT_MODE = \"live\""));
        for local in ["127.0.0.1", "localhost", "0.0.0.0", "[::1]", "http://", "SANDBOX_ADMIN_URL"] {
            assert!(!production.contains(local), "the production environment holds {local}");
        }
        for binding in toml[..toml.find("[env.production]").unwrap_or(0)]
            .lines()
            .filter(|l| l.starts_with("name = \"") && l.contains('_'))
        {
            assert!(production.contains(binding), "production lacks the Durable Object binding {binding}");
        }
    }
}
