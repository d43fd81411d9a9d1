//! `cargo xtask <task>`: the project's one task runner. Every task installs or checks what it
//! needs first, idempotently, so a fresh machine and a warm one run the same commands.

mod bench;
mod build;
mod dev;
mod fuzz;
mod imports;
mod load;
mod proc;
mod secrets;
mod setup;
mod size;
mod test;

use anyhow::{Result, bail};
use std::path::{Path, PathBuf};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  dev      set up, build, start the sandbox + edge (wrangler dev) + demo shop; print the demo URL
           (both keep their state in .state/ across restarts; --fresh starts both clean)
  test     set up (incl. Chromium), fmt + clippy (native, wasm32), build, run every test:
           native, widget-in-browser, end-to-end
  bench    print widget/worker transfer sizes, the median navigation → visible QR time
           ([--runs N]) and workerd's CPU per request kind ([--requests N]; --cpu-only);
           --mobile: the phone profile instead (throttled, cold: QR first paint, picker on
           screen, widget usable, bytes until usable)
  load     a bounded load run on loopback, every figure as a ratio of the /health floor:
           creations, mixed checkouts, concurrent status waits released by payments
           ([--sessions N] [--concurrency C] [--checkouts K] [--soak-minutes M] [--waits W])
  size     build the widget alone and print its gzip sizes per file (wasm, JS, CSS) and the
           totals; --names also keeps target/widget-names.wasm for twiggy
  fuzz     run every fuzz target (cargo fuzz on a pinned nightly, installed if missing) for
           [--inputs N] inputs each (default 1000000) [--target T]
  build    build the widget (www/pkg) and the worker (edge/build)
  secrets  put the edge's secrets on Cloudflare by name from edge/.prod.vars (docs/deploy.md)
           [--env production] [--from FILE] [--dry-run]
  setup    install or check the toolchain: wasm target, wasm-bindgen-cli, worker-build, npm tools
           (add --browser for what the tests add: Chromium + chromedriver, Schemathesis)";

fn main() {
    if let Err(e) = run() {
        eprintln!("xtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(task) = args.first() else {
        println!("{USAGE}");
        return Ok(());
    };
    let rest = &args[1..];
    match task.as_str() {
        "setup" => setup::run(&setup::Needs { browser: rest.iter().any(|a| a == "--browser") }),
        "build" => {
            setup::run(&setup::Needs { browser: false })?;
            build::all()
        }
        "dev" => dev::run(rest),
        "test" => test::run(),
        "bench" => bench::run(rest),
        "size" => size::run(rest),
        "load" => load::run(rest),
        "fuzz" => fuzz::run(rest),
        "secrets" => secrets::run(rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown task {other:?}\n\n{USAGE}"),
    }
}

/// The workspace root (xtask lives one level below it).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// A short progress line, so long steps are never silent.
pub(crate) fn step(message: &str) {
    eprintln!("==> {message}");
}
