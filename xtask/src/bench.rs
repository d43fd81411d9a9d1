//! `cargo xtask bench`: the figures the budgets are checked against – widget transfer size
//! (wasm + JS, gzip -9), worker size (gzip -9), the median time from navigation to a visible
//! QR on the hosted page over repeated runs on localhost (measured by `checkout-tests`'s
//! `qr-bench` in headless Chromium against the real stack; `--runs N`), and workerd's CPU time
//! per request kind (`cpu-bench`: median and p99 of `--requests N`, default 200; `--cpu-only`
//! skips the browser runs).
//! `--mobile` times the phone profile instead of both (a phone's screen, touch and user agent, a
//! throttled network and CPU, cold caches): QR first paint, picker on screen, widget usable and
//! the bytes until then.

use crate::proc::check;
use crate::size::{Sizes, WIDGET_BUDGET, gz, kb};
use crate::{build, root, setup, step};
use anyhow::{Context, Result};
use std::process::Command;

const WORKER_BUDGET: usize = 1024 * 1024;

pub(crate) fn run(args: &[String]) -> Result<()> {
    let root = root();
    setup::run(&setup::Needs { browser: true })?;
    build::all()?;
    let sizes = Sizes::measure(&root)?;
    let widget = sizes.widget();
    let mut worker = 0;
    for entry in std::fs::read_dir(root.join("edge/build")).context("edge/build")? {
        let path = entry?.path();
        if path.is_file() {
            worker += gz(&path)?;
        }
    }
    sizes.print();
    println!(
        "worker size (gzip -9):                     {:.1} KB (budget {} KB)",
        kb(worker),
        WORKER_BUDGET / 1024
    );
    let value = |name: &str, default: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.into())
    };
    if args.iter().any(|a| a == "--mobile") {
        let runs = value("--runs", "5");
        step(&format!("timing the phone profile over {runs} cold loads of each page"));
        check(
            Command::new("cargo")
                .args(bench_bin("qr-bench"))
                .args(["--runs", &runs, "--mobile"])
                .current_dir(&root),
        )?;
    } else {
        let cpu_only = args.iter().any(|a| a == "--cpu-only");
        if !cpu_only {
            let runs = value("--runs", "15");
            step(&format!("timing navigation → visible QR over {runs} runs"));
            check(
                Command::new("cargo").args(bench_bin("qr-bench")).args(["--runs", &runs]).current_dir(&root),
            )?;
        }
        let requests = value("--requests", "200");
        step(&format!("workerd CPU time per request kind, {requests} requests each"));
        check(
            Command::new("cargo")
                .args(bench_bin("cpu-bench"))
                .args(["--requests", &requests])
                .current_dir(&root),
        )?;
    }
    if widget > WIDGET_BUDGET || worker > WORKER_BUDGET {
        anyhow::bail!("over budget");
    }
    Ok(())
}

/// `cargo run` of one of `checkout-tests`'s benchmark binaries, release-built.
fn bench_bin(name: &str) -> [&str; 8] {
    ["run", "--quiet", "--release", "-p", "checkout-tests", "--bin", name, "--"]
}
