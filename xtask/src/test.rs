//! `cargo xtask test`: every test the project has, in one command – formatting, the native tests
//! (pure core, sandbox, demo, xtask), the widget's tests in headless Chromium, and the end-to-end
//! tests through wrangler dev with the sandbox upstream and Chromium as the shopper.

use crate::proc::{check, tools_path};
use crate::{build, root, setup, step};
use anyhow::Result;
use std::process::Command;

pub(crate) fn run() -> Result<()> {
    let root = root();
    setup::run(&setup::Needs { browser: true })?;
    step("checking formatting");
    check(Command::new("cargo").args(["fmt", "--all", "--", "--check"]).current_dir(&root))?;
    build::all()?;
    step("native tests: shared core, sandbox, demo shop, xtask, widget state");
    check(
        Command::new("cargo")
            .args(["test", "--workspace", "--exclude", "checkout-edge", "--exclude", "checkout-tests"])
            .current_dir(&root),
    )?;
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
