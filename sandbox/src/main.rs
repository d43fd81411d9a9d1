//! `checkout-sandbox [--port N] [--host H] [--state-dir DIR]`: serves the gateway sandbox until
//! SIGINT/SIGTERM, keeping its state in `DIR` when given.
//! When ready it prints exactly one line, `sandbox listening on http://HOST:PORT`, so the dev
//! command and test harnesses can wait for it.

use anyhow::{Context, bail};
use checkout_sandbox::{Config, start};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

const USAGE: &str = "usage: checkout-sandbox [--port N (default 8790; 0 = any free port)] \
     [--host ADDR (default 127.0.0.1)] [--state-dir DIR (keep the state there across restarts)]";

struct Args {
    addr: SocketAddr,
    state_dir: Option<PathBuf>,
}

fn parse_args(args: impl Iterator<Item = String>) -> anyhow::Result<Args> {
    let mut port: u16 = 8790;
    let mut state_dir = None;
    let mut host: IpAddr = IpAddr::from([127, 0, 0, 1]);
    let mut args = args;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let v = args.next().context("--port needs a value")?;
                port = v.parse().with_context(|| format!("bad port {v:?}"))?;
            }
            "--host" => {
                let v = args.next().context("--host needs a value")?;
                host = if v == "localhost" {
                    IpAddr::from([127, 0, 0, 1])
                } else {
                    v.parse().with_context(|| format!("bad host {v:?}"))?
                };
            }
            "--state-dir" => {
                let v = args.next().context("--state-dir needs a directory")?;
                if v.is_empty() {
                    bail!("--state-dir needs a directory");
                }
                state_dir = Some(PathBuf::from(v));
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    Ok(Args { addr: SocketAddr::new(host, port), state_dir })
}

/// Resolves on SIGINT or SIGTERM. The listeners are registered when this is called, so a signal
/// sent right after the ready line is never the default "terminate at once".
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args(std::env::args().skip(1))?;
    let mut config = Config::from_env();
    if let Some(dir) = args.state_dir {
        config = config.with_state_dir(dir);
    }
    let sandbox = start(config, args.addr).await?;
    let stop = shutdown_signal()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "sandbox listening on {}", sandbox.url())?;
        out.flush()?;
    }
    stop.await;
    sandbox.stop().await
}
