//! `cargo xtask load`: a bounded load run against the real stack on loopback — the `/health`
//! floor, session creations, the mixed traffic of real checkouts (optionally a soak of
//! `--soak-minutes`) and concurrent status waits released by payments, each as a ratio of the
//! floor — measured by `checkout-tests`'s `load` binary, which prints the figures.

use crate::proc::check;
use crate::{build, root, setup, step};
use anyhow::Result;
use std::process::Command;

pub(crate) fn run(args: &[String]) -> Result<()> {
    let root = root();
    setup::run(&setup::Needs { browser: false })?;
    build::all()?;
    step("load run: sandbox + wrangler dev on loopback (bounded)");
    check(
        Command::new("cargo")
            .args(["run", "--quiet", "--release", "-p", "checkout-tests", "--bin", "load", "--"])
            .args(args)
            .current_dir(&root),
    )
}
