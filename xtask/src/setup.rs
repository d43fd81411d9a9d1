//! Installs or checks every tool the project needs, quickly when all are present, on Linux and
//! macOS, x64 and arm64: the wasm32 target, a pinned nightly with rust-src (the widget's release
//! build), wasm-bindgen-cli and worker-build at the exact versions in `Cargo.lock` (crates.io,
//! into the project's own `.tools/`, never over the developer's), Node ≥ 22.12 (the machine's,
//! or the official binary for this platform from npm into `tools/node/`), the npm tools pinned in
//! `tools/package-lock.json` (wrangler, binaryen's wasm-opt), and, for tests, Chromium and
//! chromedriver plus the runtimes the webhook snippets run on (PHP and Go; Python, Java and Node
//! are checked) from Debian's packages, and Schemathesis from PyPI (into `tools/venv`). Nothing is downloaded
//! from GitHub.

use crate::proc::{check, home_cargo_bin, output, tool_dirs};
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
    node(&root)?;
    npm_tools(&root)?;
    if needs.browser {
        browser()?;
        snippet_runtimes()?;
        schemathesis(&root)?;
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
    node(&root)?;
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

/// Makes a cargo binary of an exact version the first one the project's tasks find
/// (`proc::tool_dirs`): the project's `.tools/bin` if it holds that version; else the
/// developer's own (`~/.cargo/bin`) if it is exactly that version and `.tools` has none to shadow
/// it; else installed into `.tools` with `cargo install --root` — never `--force` over the
/// developer's own tools.
pub(crate) fn cargo_tool(binary: &str, krate: &str, version: &str) -> Result<()> {
    let root = root();
    let is_version = |path: &Path| {
        output(Command::new(path).arg("--version"))
            .is_some_and(|v| v.split_whitespace().any(|w| w.trim_start_matches('v') == version))
    };
    let local = root.join(".tools/bin").join(binary);
    if is_version(&local) {
        return Ok(());
    }
    let own = Path::new(&home_cargo_bin()).join(binary);
    if !local.exists() && is_version(&own) {
        return Ok(());
    }
    step(&format!("installing {krate} {version} from crates.io into .tools/ (a few minutes, once)"));
    check(
        Command::new("cargo")
            .args(["install", krate, "--version", version, "--root"])
            .arg(root.join(".tools")),
    )
}

/// The oldest Node wrangler runs on.
const NODE_MIN: (u32, u32) = (22, 12);

/// Node for wrangler: the machine's when it is recent enough, otherwise the pinned official
/// binary for this platform from npm (`tools/node/package.json`: one optional package per
/// platform, npm installs the one whose os and cpu match) into `tools/node/`, which
/// `proc::tool_dirs` puts first.
fn node(root: &Path) -> Result<()> {
    let local = tool_dirs(root)[0].join("node");
    let version_of = |cmd: &mut Command| output(cmd.arg("--version")).and_then(|v| node_version(&v));
    if version_of(&mut Command::new(&local)).is_some_and(|v| v >= NODE_MIN) {
        return Ok(());
    }
    if version_of(&mut Command::new("node")).is_some_and(|v| v >= NODE_MIN) {
        return Ok(());
    }
    if output(Command::new("npm").arg("--version")).is_none() {
        bail!(
            "npm is not installed; install Node.js and npm (any version; e.g. `apt-get install -y nodejs npm` or `brew install node`) and run again"
        );
    }
    step("installing Node 22 for wrangler into tools/node (the machine's Node is older than 22.12)");
    check(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(root.join("tools/node")),
    )?;
    match version_of(&mut Command::new(&local)) {
        Some(v) if v >= NODE_MIN => Ok(()),
        _ => bail!(
            "no Node ≥ 22.12 for this platform ({} {}): install Node 22 yourself and run again",
            std::env::consts::OS,
            std::env::consts::ARCH
        ),
    }
}

/// `v22.23.2` → `(22, 23)`.
fn node_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.trim().trim_start_matches('v').split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// `npm install` in tools/ when node_modules is missing or was installed from another lock file.
/// (`npm ci` would be the natural choice, but npm 11 rejects this lock as "out of sync" over
/// workerd's optional per-platform packages; `npm install` honours the locked versions.)
fn npm_tools(root: &Path) -> Result<()> {
    let tools = root.join("tools");
    let lock = fs::read(tools.join("package-lock.json")).context("reading tools/package-lock.json")?;
    let stamp = tools.join("node_modules/.checkout-stamp");
    let want = format!("{:x}", fnv1a(&lock));
    let have_bins =
        [".bin/wrangler", ".bin/wasm-opt"].iter().all(|p| tools.join("node_modules").join(p).exists());
    if have_bins && fs::read_to_string(&stamp).ok().as_deref() == Some(want.as_str()) {
        return Ok(());
    }
    if output(Command::new("npm").arg("--version")).is_none() {
        bail!(
            "npm is not installed; install Node.js and npm (e.g. `apt-get install -y nodejs npm`) and run again"
        );
    }
    step("installing npm tools (wrangler, wasm-opt) into tools/node_modules");
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
    if !cfg!(target_os = "linux") {
        // No Debian here: the tests use the Chromium and chromedriver named by CHROMIUM and
        // CHROMEDRIVER (tests/src/lib.rs), which the developer installs.
        let named =
            ["CHROMIUM", "CHROMEDRIVER"].map(|v| std::env::var(v).ok().filter(|p| Path::new(p).exists()));
        if named.iter().all(Option::is_some) {
            return Ok(());
        }
        bail!(
            "the browser tests need Chromium and chromedriver: `brew install --cask chromium` and \
             `brew install chromedriver`, then set CHROMIUM (e.g. /Applications/Chromium.app/Contents/MacOS/Chromium) \
             and CHROMEDRIVER (e.g. $(brew --prefix)/bin/chromedriver)"
        );
    }
    // A CJK font too: without one, screenshots of the zh-CN checkout show boxes for every character.
    let needed =
        ["/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"];
    if needed.iter().all(|p| Path::new(p).exists()) {
        return Ok(());
    }
    step("installing Chromium, chromedriver and a CJK font from Debian's packages (about a minute)");
    apt_get(&["update", "-qq"])?;
    apt_get(&["install", "-y", "-qq", "chromium", "chromium-driver", "fonts-wqy-microhei"])
}

/// What the webhook snippets of docs/webhooks.md run on (tests/it/webhooks.rs): PHP and Go from
/// Debian's packages (`php-cli`, `golang-go`) when missing, Java from `default-jdk-headless` when
/// there is no `java`; Python 3 and Node are already needed by the rest.
fn snippet_runtimes() -> Result<()> {
    let have = |cmd: &str, arg: &str| output(Command::new(cmd).arg(arg)).is_some();
    let mut packages = Vec::new();
    if !have("php", "--version") {
        packages.push("php-cli");
    }
    if !have("go", "version") {
        packages.push("golang-go");
    }
    if !have("java", "--version") {
        packages.push("default-jdk-headless");
    }
    if !have("python3", "--version") {
        packages.push("python3");
    }
    if packages.is_empty() {
        return Ok(());
    }
    if !cfg!(target_os = "linux") {
        bail!(
            "the webhook snippets' tests need {} (macOS: `brew install php go openjdk python`)",
            packages.join(", ")
        );
    }
    step(&format!("installing {} from Debian's packages (for the webhook snippets)", packages.join(", ")));
    apt_get(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq"];
    args.extend(packages);
    apt_get(&args)
}

/// `apt-get` as root, or through sudo.
fn apt_get(args: &[&str]) -> Result<()> {
    let sudo = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() != "0");
    let mut cmd = if sudo { Command::new("sudo") } else { Command::new("apt-get") };
    if sudo {
        cmd.arg("apt-get");
    }
    cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    check(&mut cmd)
}

/// Schemathesis, pinned, from PyPI: the end-to-end tests run it against the live edge with
/// docs/openapi.json.
pub(crate) const SCHEMATHESIS: &str = "4.32.5";

/// Schemathesis in a virtual environment of the project's own (`tools/venv`), so nothing of the
/// machine's Python is changed; checked by its version and left alone when it is there.
fn schemathesis(root: &Path) -> Result<()> {
    let venv = root.join("tools/venv");
    let installed = output(Command::new(venv.join("bin/schemathesis")).arg("--version")).unwrap_or_default();
    if installed.split_whitespace().any(|w| w == SCHEMATHESIS) {
        return Ok(());
    }
    let python = ["python3", "python"]
        .into_iter()
        .find(|p| output(Command::new(p).arg("--version")).is_some_and(|v| v.contains("Python 3")))
        .context("Python 3 is not installed; install it (e.g. `apt-get install -y python3 python3-venv`) and run again")?;
    step(&format!("installing Schemathesis {SCHEMATHESIS} from PyPI into tools/venv (half a minute, once)"));
    if !venv.join("bin/pip").exists() {
        check(Command::new(python).args(["-m", "venv"]).arg(&venv)).context(
            "creating tools/venv failed; on Debian or Ubuntu, `apt-get install -y python3-venv` first",
        )?;
    }
    check(Command::new(venv.join("bin/pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("schemathesis=={SCHEMATHESIS}"),
    ]))
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

    #[test]
    fn reads_node_versions() {
        assert_eq!(node_version("v22.23.2\n"), Some((22, 23)));
        assert_eq!(node_version("v20.20.2"), Some((20, 20)));
        assert!(node_version("v20.20.2").is_some_and(|v| v < NODE_MIN));
        assert!(node_version("v22.12.0").is_some_and(|v| v >= NODE_MIN));
        assert_eq!(node_version("node"), None);
    }
}
