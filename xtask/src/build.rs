//! Builds the browser and edge artifacts: the widget (`www/pkg/widget.js` + `widget_bg.wasm`,
//! import names shortened, size-optimised with wasm-opt, and the same two files under
//! `www/pkg/v/{hash}/`, named by their content, for the hosted page) and the worker (`edge/build/`, via
//! worker-build with our own wasm-bindgen and wasm-opt so nothing is fetched from GitHub).

use crate::proc::{check, tool, tools_path};
use crate::setup::NIGHTLY;
use crate::{imports, root, step};
use anyhow::{Context, Result};
use std::path::Path;
use std::process::Command;

/// The oldest browsers the widget runs in (docs/browsers.md): those whose WebAssembly has
/// reference types, the newest feature in the module rustc emits. `www/pay.js` checks the same.
pub(crate) const WIDGET_BROWSERS: &str = "chrome96,firefox79,safari15,ios15";

pub(crate) fn all() -> Result<()> {
    widget()?;
    edge()
}

pub(crate) fn widget() -> Result<()> {
    let out = root().join("www/pkg");
    widget_into(&out, false)?;
    versioned(&out)
}

/// Copies the built widget into `pkg/v/{hash}/` (the first 16 hex digits of the SHA-256 of its
/// glue and module) and writes the hash to `pkg/version`. The hosted page loads the widget from
/// there, so the edge can let browsers keep those files for a year without asking again: a new
/// build is a new directory. The glue finds its module next to itself (`import.meta.url`), so
/// the copies need no change. Only the current version is kept: the hosted page is never cached,
/// so nothing refers to an older one. `pkg/widget.js` stays for pages that mount the widget
/// themselves.
fn versioned(out: &Path) -> Result<()> {
    use sha2::{Digest, Sha256};
    let files = ["widget.js", "widget_bg.wasm"];
    let mut digest = Sha256::new();
    for file in files {
        digest.update(std::fs::read(out.join(file))?);
    }
    let hash = hex::encode(digest.finalize())[..16].to_owned();
    let versions = out.join("v");
    if versions.exists() {
        std::fs::remove_dir_all(&versions)?;
    }
    let dir = versions.join(&hash);
    std::fs::create_dir_all(&dir)?;
    for file in files {
        std::fs::copy(out.join(file), dir.join(file))?;
    }
    std::fs::write(out.join("version"), &hash)?;
    Ok(())
}

/// The widget as shipped, into `out`. With `names`, the function names stay in the module (for
/// twiggy); everything else is the same, so the attribution is of the bytes that ship.
pub(crate) fn widget_into(out: &Path, names: bool) -> Result<()> {
    let root = root();
    step(&format!("building the widget (wasm32, release, {NIGHTLY} with build-std)"));
    // The shipped widget is built by the pinned nightly so the standard library is compiled with
    // it, for size (`-Z build-std`, LTO across std), without the code that formats panics, their
    // locations and `Debug` output: on wasm32-unknown-unknown a panic message has nowhere to go
    // (stderr discards it; the widget installs no panic hook), so each of these only cost bytes.
    // Together 11.6 KB gzip (docs/benchmarks.md). A panic is still a trap that stops the widget.
    // Its own target directory keeps the stable builds (tests, clippy) warm.
    let flags =
        ["-Zunstable-options", "-Cpanic=immediate-abort", "-Zlocation-detail=none", "-Zfmt-debug=none"];
    let rustflags = format!("target.wasm32-unknown-unknown.rustflags={flags:?}");
    check(
        Command::new("cargo")
            .arg(format!("+{NIGHTLY}"))
            .args(["build", "--release", "--target", "wasm32-unknown-unknown", "-p", "checkout-widget"])
            .args(["-Zbuild-std=std,panic_abort", "--target-dir", "target/widget", "--config", &rustflags])
            .current_dir(&root),
    )?;
    let wasm = root.join("target/widget/wasm32-unknown-unknown/release/checkout_widget.wasm");
    let mut bindgen = Command::new(tool(&root, "wasm-bindgen"));
    bindgen.args(["--target", "web", "--no-typescript", "--out-name", "widget", "--out-dir"]).arg(out);
    if names {
        bindgen.arg("--keep-debug");
    }
    check(bindgen.arg(&wasm))?;
    let glue = out.join("widget.js");
    let bg = out.join("widget_bg.wasm");
    let (module, js) = imports::shorten(&std::fs::read(&bg)?, &std::fs::read_to_string(&glue)?)
        .context("shortening the widget's import names")?;
    std::fs::write(&bg, module)?;
    std::fs::write(&glue, js)?;
    // The glue is shipped to every shopper: minified, it is a quarter smaller after gzip. Its
    // syntax is held to the oldest browsers that run the module (`--target`, docs/browsers.md):
    // esbuild rewrites anything newer, or fails the build where it cannot.
    check(
        Command::new(root.join("tools/node_modules/.bin/esbuild"))
            .env("PATH", tools_path(&root))
            .arg(&glue)
            .args(["--minify", "--format=esm", "--log-level=warning", "--allow-overwrite"])
            .arg(format!("--target={WIDGET_BROWSERS}"))
            .arg(format!("--outfile={}", glue.display())),
    )?;
    // The stylesheet is written readable in `www/checkout.css` and shipped minified beside the
    // widget (`/pkg/checkout.css`, which the hosted page links): 0.5 KB less after gzip.
    check(
        Command::new(root.join("tools/node_modules/.bin/esbuild"))
            .env("PATH", tools_path(&root))
            .arg(root.join("www/checkout.css"))
            .args(["--minify", "--log-level=warning"])
            .arg(format!("--outfile={}", out.join("checkout.css").display())),
    )?;
    let keep: &[&str] = if names { &["-g"] } else { &["--strip-debug", "--strip-producers"] };
    check(
        Command::new(root.join("tools/node_modules/.bin/wasm-opt"))
            .env("PATH", tools_path(&root))
            // The features rustc's wasm32 target emits by default (Rust ≥ 1.82); wasm-opt must be told.
            // `--converge` repeats -Oz until the module stops shrinking (about 0.6 KB gzip).
            .args([
                "-Oz",
                "--converge",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
                "--enable-sign-ext",
                "--enable-mutable-globals",
                "--enable-reference-types",
                "--enable-multivalue",
            ])
            .args(keep)
            .arg(&bg)
            .arg("-o")
            .arg(&bg),
    )?;
    Ok(())
}

pub(crate) fn edge() -> Result<()> {
    let root = root();
    step("building the worker (worker-build, release)");
    check(
        Command::new(tool(&root, "worker-build"))
            .arg("--release")
            .current_dir(root.join("edge"))
            .env("PATH", tools_path(&root))
            .env("WASM_BINDGEN_BIN", tool(&root, "wasm-bindgen"))
            .env("WASM_OPT_BIN", root.join("tools/node_modules/.bin/wasm-opt"))
            .env("ESBUILD_BIN", root.join("tools/node_modules/.bin/esbuild")),
    )
}
