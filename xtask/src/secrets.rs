//! `cargo xtask secrets [--env production] [--from FILE]`: puts the edge's secrets on Cloudflare
//! by name with `wrangler secret put`, reading the values from a git-ignored file
//! (`edge/.prod.vars` by default, the `.dev.vars` format). The names are those of
//! `edge/.dev.vars.example`, the one list of the edge's secrets. A value still equal to the
//! example's (a placeholder or a sandbox credential) is refused; names the file lacks (a gateway
//! the shop does not use) are listed and left alone. Values are never printed.

use crate::dev::parse_vars;
use crate::proc::wrangler_env;
use crate::{root, step};
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::process::{Command, Stdio};

pub(crate) fn run(args: &[String]) -> Result<()> {
    let root = root();
    let mut env = "production".to_owned();
    let mut from = root.join("edge/.prod.vars");
    let mut dry_run = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--env" => env = rest.next().context("--env needs a name")?.clone(),
            "--from" => from = rest.next().context("--from needs a file")?.into(),
            "--dry-run" => dry_run = true,
            other => bail!("unknown argument {other:?}: secrets [--env NAME] [--from FILE] [--dry-run]"),
        }
    }
    let example = parse_vars(
        &std::fs::read_to_string(root.join("edge/.dev.vars.example"))
            .context("reading edge/.dev.vars.example")?,
    );
    let text = std::fs::read_to_string(&from)
        .with_context(|| format!("reading {} (KEY=value lines; see docs/deploy.md)", from.display()))?;
    let values = parse_vars(&text);
    let unknown: Vec<&String> = values.keys().filter(|k| !example.contains_key(*k)).collect();
    if !unknown.is_empty() {
        bail!(
            "{} names no secret of the edge: {unknown:?} (non-secret settings go in wrangler.toml)",
            from.display()
        );
    }
    let placeholders: Vec<&String> =
        values.iter().filter(|(k, v)| v.is_empty() || example.get(*k) == Some(v)).map(|(k, _)| k).collect();
    if !placeholders.is_empty() {
        bail!("still the example's value or empty (never deploy these): {placeholders:?}");
    }
    let missing: Vec<&String> = example.keys().filter(|k| !values.contains_key(*k)).collect();
    if !missing.is_empty() {
        step(&format!("not in {}, left as they are on Cloudflare: {missing:?}", from.display()));
    }
    for (name, value) in &values {
        if dry_run {
            step(&format!("would put {name} (--env {env})"));
            continue;
        }
        step(&format!("putting {name} (--env {env})"));
        let mut wrangler = Command::new(root.join("tools/node_modules/.bin/wrangler"));
        wrangler.args(["secret", "put", name, "--env", &env]).current_dir(root.join("edge"));
        wrangler_env(&mut wrangler, &root);
        // Interactive on purpose: `wrangler secret put` needs the account's login (wrangler
        // login or CLOUDFLARE_API_TOKEN), which the offline tooling environment does not set.
        wrangler.env_remove("CLOUDFLARE_CF_FETCH_ENABLED").env_remove("CI");
        let mut child = wrangler.stdin(Stdio::piped()).spawn().context("starting wrangler")?;
        child.stdin.take().context("wrangler's stdin")?.write_all(value.as_bytes())?;
        let status = child.wait()?;
        if !status.success() {
            bail!("wrangler secret put {name} failed ({status})");
        }
    }
    Ok(())
}
