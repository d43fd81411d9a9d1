//! `cargo xtask fuzz [--inputs N] [--target T]`: every coverage-guided fuzz target in `fuzz/`
//! (cargo fuzz, libFuzzer) for N inputs each, from its committed seed corpus, with a per-input
//! timeout so a hang fails like a panic. Installs the pinned nightly toolchain and cargo-fuzz
//! first, idempotently. Prints, per target, the inputs run, the result and the seconds taken.

use crate::proc::{check, output, tools_path};
use crate::setup::{self, NIGHTLY};
use crate::{root, step};
use anyhow::{Context, Result, bail};
use std::process::Command;
use std::time::Instant;

const CARGO_FUZZ: &str = "0.13.1";
/// Seconds one input may take before libFuzzer calls it a hang.
const INPUT_TIMEOUT_SECS: u32 = 10;

pub(crate) fn run(args: &[String]) -> Result<()> {
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let inputs: u64 = value("--inputs")
        .map(|n| n.parse())
        .transpose()
        .context("--inputs takes a number")?
        .unwrap_or(1_000_000);
    let only = value("--target");
    tools()?;
    let fuzz = root().join("fuzz");
    let listed = output(cargo_fuzz().args([&format!("+{NIGHTLY}"), "fuzz", "list"]).current_dir(&fuzz))
        .context("cargo fuzz list")?;
    let targets: Vec<&str> =
        listed.lines().map(str::trim).filter(|t| only.as_deref().is_none_or(|o| o == *t)).collect();
    if targets.is_empty() {
        bail!("no fuzz target named {only:?}; the targets are:\n{listed}");
    }
    step(&format!("building {} fuzz targets ({NIGHTLY}, release, debug assertions)", targets.len()));
    check(
        cargo_fuzz()
            .args([&format!("+{NIGHTLY}"), "fuzz", "build", "-O", "--debug-assertions"])
            .current_dir(&fuzz),
    )?;
    let mut report = Vec::new();
    for target in &targets {
        step(&format!("fuzzing {target} for {inputs} inputs"));
        let corpus = fuzz.join("corpus").join(target);
        std::fs::create_dir_all(&corpus)?;
        let started = Instant::now();
        // A scratch copy of the corpus grows as libFuzzer finds new paths; the committed seeds
        // stay as they are.
        let scratch = root().join("target/fuzz-corpus").join(target);
        std::fs::create_dir_all(&scratch)?;
        let status = cargo_fuzz()
            .args([&format!("+{NIGHTLY}"), "fuzz", "run", "-O", "--debug-assertions", target])
            .arg(&scratch)
            .arg(&corpus)
            .args([
                "--",
                &format!("-runs={inputs}"),
                &format!("-timeout={INPUT_TIMEOUT_SECS}"),
                "-print_final_stats=1",
            ])
            .current_dir(&fuzz)
            .status()
            .with_context(|| format!("running cargo fuzz for {target}"))?;
        let secs = started.elapsed().as_secs_f64();
        report.push(format!(
            "{target:<22} {inputs:>10} inputs  {:<42} {secs:>7.1} s",
            if status.success() { "0 panics, 0 hangs" } else { "FAILED (a panic, hang or leak: see above)" }
        ));
        if !status.success() {
            println!("{}", report.join("\n"));
            bail!("fuzz target {target} failed; the input that did it is under fuzz/artifacts/{target}/");
        }
    }
    println!("fuzz results:\n{}", report.join("\n"));
    Ok(())
}

/// `cargo`, with the project's tools first on PATH so `cargo fuzz` finds the cargo-fuzz setup
/// installed (in `.tools/bin`, or the developer's own of the same version).
fn cargo_fuzz() -> Command {
    let mut cmd = Command::new("cargo");
    cmd.env("PATH", tools_path(&root()));
    cmd
}

/// The pinned nightly (sanitizers and libFuzzer's instrumentation need one) and cargo-fuzz, each
/// installed only when missing.
fn tools() -> Result<()> {
    setup::nightly()?;
    setup::cargo_tool("cargo-fuzz", "cargo-fuzz", CARGO_FUZZ)?;
    Ok(())
}
