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
    step("native tests: shared core, sandbox, demo shop, xtask, widget state");
    check(
        Command::new("cargo")
            .args(["test", "--workspace", "--exclude", "checkout-edge", "--exclude", "checkout-tests"])
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
            .env("CHROMEDRIVER", "/usr/bin/chromedriver")
            .current_dir(&root),
    )?;
    step("end-to-end tests: sandbox + wrangler dev + demo shop + headless Chromium");
    check(
        Command::new("cargo")
            .args(["test", "-p", "checkout-tests", "--test", "it", "--", "--test-threads=1"])
            .current_dir(&root),
    )?;
    step("all tests passed");
    Ok(())
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
