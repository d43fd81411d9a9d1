//! `cargo xtask load`: a bounded load run against the real stack on loopback — session creations
//! per second and concurrent status waits with lost updates counted — measured by
//! `checkout-tests`'s `load` binary, which prints the figures.

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
