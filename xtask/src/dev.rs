//! `cargo xtask dev [--fresh]`: set up, build, then run the whole product locally – the gateway
//! sandbox and the edge under `wrangler dev` (both keep their state in `.state/`, so they
//! survive a restart together; `--fresh` starts both clean), and the demo shop – and print where
//! to start. Ctrl-C stops everything (the services share our process group).

use crate::proc::{Service, wrangler_env};
use crate::{build, root, setup, step};
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

pub(crate) const SANDBOX_PORT: u16 = 8790;
pub(crate) const EDGE_PORT: u16 = 8787;
pub(crate) const DEMO_PORT: u16 = 8788;

pub(crate) fn run(args: &[String]) -> Result<()> {
    let root = root();
    let fresh = match args {
        [] => false,
        [flag] if flag == "--fresh" => true,
        other => bail!("unknown arguments {other:?}: `cargo xtask dev [--fresh]`"),
    };
    for port in [SANDBOX_PORT, EDGE_PORT, DEMO_PORT] {
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            bail!("port {port} is in use – is another `cargo xtask dev` running? Stop it and try again");
        }
    }
    setup::run(&setup::Needs { browser: false })?;
    build::all()?;
    step("building the sandbox and the demo shop");
    crate::proc::check(
        Command::new("cargo")
            .args(["build", "--release", "-p", "checkout-sandbox", "-p", "checkout-demo"])
            .current_dir(&root),
    )?;
    let vars = dev_vars(&root)?;
    // The edge and the sandbox remember each other (the edge its Shouqianba terminal, the
    // sandbox that terminal): both are kept, or both start clean.
    let state = root.join(".state");
    if fresh {
        for part in ["wrangler", "sandbox"] {
            let dir = state.join(part);
            if dir.exists() {
                fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
            }
        }
        step("--fresh: removed .state/wrangler and .state/sandbox");
    } else if state.join("wrangler").exists() && !state.join("sandbox/state.json").exists() {
        // State from before the sandbox kept its own: the edge remembers a Shouqianba terminal
        // this sandbox has never seen.
        step(
            "the edge keeps its state but the sandbox starts without one: if Shouqianba answers \
             INVALID_TERMINAL, stop and run `cargo xtask dev --fresh` once",
        );
    }
    let edge_url = format!("http://127.0.0.1:{EDGE_PORT}");
    let demo_url = format!("http://127.0.0.1:{DEMO_PORT}");

    let mut services = Vec::new();
    step("starting the gateway sandbox");
    services.push(Service::start(
        "sandbox",
        Command::new(root.join("target/release/checkout-sandbox"))
            .args(["--port", &SANDBOX_PORT.to_string(), "--state-dir"])
            .arg(state.join("sandbox"))
            .env("SANDBOX_PAYZERO_NOTIFY_URL", format!("{edge_url}/v1/notify/payzero")),
        "sandbox listening on",
        Duration::from_secs(30),
        false,
    )?);
    step("starting the edge (wrangler dev)");
    let mut wrangler = Command::new(root.join("tools/node_modules/.bin/wrangler"));
    wrangler
        .args(["dev", "--ip", "127.0.0.1", "--port", &EDGE_PORT.to_string(), "--persist-to"])
        .arg(state.join("wrangler"))
        .args(["--log-level", "info", "--show-interactive-dev-session=false"])
        // The edge is live unless told: the local stack runs against the sandbox, in test mode.
        .args(["--var", "CHECKOUT_MODE:test"])
        .current_dir(root.join("edge"));
    wrangler_env(&mut wrangler, &root);
    services.push(Service::start("edge", &mut wrangler, "Ready on", Duration::from_secs(90), false)?);
    step("starting the demo shop");
    services.push(Service::start(
        "demo",
        Command::new(root.join("target/release/checkout-demo"))
            .args(["--port", &DEMO_PORT.to_string()])
            .env("EDGE_URL", &edge_url)
            .env(
                "MERCHANT_SECRET_KEY",
                vars.get("MERCHANT_SECRET_KEY").map(String::as_str).unwrap_or_default(),
            )
            .env("WEBHOOK_SECRET", vars.get("WEBHOOK_SECRET").map(String::as_str).unwrap_or_default()),
        "demo shop listening on",
        Duration::from_secs(30),
        false,
    )?);

    let first = |name: &str| {
        vars.get(name)
            .and_then(|v| v.split(',').map(str::trim).find(|k| !k.is_empty()))
            .unwrap_or_default()
            .to_owned()
    };
    println!("{}", banner(&edge_url, &demo_url, &first("MERCHANT_SECRET_KEY"), &first("WEBHOOK_SECRET")));
    loop {
        std::thread::sleep(Duration::from_millis(500));
        if let Some(s) = services.iter_mut().find_map(|s| s.exited().then(|| s.name().to_owned())) {
            bail!("{s} stopped; stopping the others");
        }
    }
}

/// What `cargo xtask dev` prints once everything runs: where each part is, the local merchant key
/// and webhook secret (from `edge/.dev.vars`, the developer's own machine), a first session, and
/// how to let the developer's own shop embed the checkout.
fn banner(edge_url: &str, demo_url: &str, merchant_key: &str, webhook_secret: &str) -> String {
    format!(
        "
  Checkout Edge is running locally.

  Demo shop:        {demo_url}
  Edge:             {edge_url}  (health: {edge_url}/health)
  Gateway sandbox:  http://127.0.0.1:{SANDBOX_PORT}  (controls: /__admin, see sandbox/README.md)
  Merchant key:     {merchant_key}
  Webhook secret:   {webhook_secret}  (verify Checkout-Signature with it: docs/webhooks.md)

  Create a session yourself (open its \"url\" and press 模拟支付 / Simulate payment):
    curl -s {edge_url}/v1/sessions -H 'Authorization: Bearer {merchant_key}' \\
      -d '{{\"amount\":1,\"currency\":\"CNY\",\"subject\":\"test\",\"merchant_order_no\":\"A1\",\"methods\":[\"payzero_qr\"],\"notify_url\":\"http://127.0.0.1:3000/webhook\"}}'

  Your own shop's pages may embed the checkout once their origin is allowed: add
    ALLOWED_ORIGINS=http://127.0.0.1:{DEMO_PORT},http://localhost:3000
  (your origins, comma-separated) to edge/.dev.vars, then run `cargo xtask dev` again.

  Press Ctrl-C to stop.
"
    )
}

/// Reads `edge/.dev.vars`, creating it from `edge/.dev.vars.example` with fresh random local
/// keys the first time. It holds secrets, so it is git-ignored and never printed whole.
pub(crate) fn dev_vars(root: &Path) -> Result<BTreeMap<String, String>> {
    let path = root.join("edge/.dev.vars");
    let example =
        fs::read_to_string(root.join("edge/.dev.vars.example")).context("reading edge/.dev.vars.example")?;
    let fill = |text: &str| -> Result<String> {
        Ok(text
            .replace("sk_test_change_me", &format!("sk_test_{}", random_hex(16)?))
            .replace("whsec_change_me", &format!("whsec_{}", random_hex(16)?))
            .replace("pdk_change_me", &format!("pdk_{}", random_hex(16)?)))
    };
    if !path.exists() {
        fs::write(&path, fill(&example)?).context("writing edge/.dev.vars")?;
        step("created edge/.dev.vars with a new local merchant key");
    } else {
        // A .dev.vars made before a setting existed lacks it, and the edge would refuse to work
        // without it: add the example's line, keeping every value the developer has.
        let current = fs::read_to_string(&path)?;
        let missing = missing_lines(&example, &current);
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().filter_map(|l| l.split_once('=')).map(|(k, _)| k).collect();
            let mut text = current.clone();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&fill(&missing.join("\n"))?);
            text.push('\n');
            fs::write(&path, text).context("writing edge/.dev.vars")?;
            step(&format!("added {} to edge/.dev.vars from the example", names.join(", ")));
        }
    }
    Ok(parse_vars(&fs::read_to_string(&path)?))
}

/// The `KEY=value` lines of `example` whose key `current` does not set.
fn missing_lines<'a>(example: &'a str, current: &str) -> Vec<&'a str> {
    let have = parse_vars(current);
    example
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .filter(|l| l.split_once('=').is_some_and(|(k, _)| !have.contains_key(k.trim())))
        .collect()
}

/// `KEY=value` lines (optionally quoted), comments and blanks ignored – the `.dev.vars` format.
pub(crate) fn parse_vars(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
        .collect()
}

pub(crate) fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    use std::io::Read;
    fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banner_shows_the_key_the_webhook_secret_and_how_to_allow_an_origin() {
        let text = banner("http://127.0.0.1:8787", "http://127.0.0.1:8788", "sk_test_k", "whsec_s");
        assert!(text.contains("Merchant key:     sk_test_k"));
        assert!(text.contains("Webhook secret:   whsec_s"));
        assert!(text.contains("Bearer sk_test_k"));
        assert!(text.contains("ALLOWED_ORIGINS=http://127.0.0.1:8788,"));
    }

    #[test]
    fn parses_dev_vars() {
        let vars = parse_vars("# comment\nA=1\nB = \"two\"\n\nnot a pair\n");
        assert_eq!(vars.get("A").map(String::as_str), Some("1"));
        assert_eq!(vars.get("B").map(String::as_str), Some("two"));
        assert_eq!(vars.len(), 2);
    }

    #[test]
    fn finds_settings_an_older_dev_vars_lacks() {
        let example = "# a\nA=1\n# b\nB=2\nC=3\n";
        assert_eq!(missing_lines(example, "A=mine\nC = \"x\"\n"), vec!["B=2"]);
        assert!(missing_lines(example, "A=1\nB=2\nC=3").is_empty());
    }
}
