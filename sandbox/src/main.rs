//! `checkout-sandbox [--port N] [--host H]`: serves the gateway sandbox until SIGINT/SIGTERM.
//! When ready it prints exactly one line, `sandbox listening on http://HOST:PORT`, so the dev
//! command and test harnesses can wait for it.

use anyhow::{Context, bail};
use checkout_sandbox::{Config, start};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};

const USAGE: &str =
    "usage: checkout-sandbox [--port N (default 8790; 0 = any free port)] [--host ADDR (default 127.0.0.1)]";

fn parse_args(args: impl Iterator<Item = String>) -> anyhow::Result<SocketAddr> {
    let mut port: u16 = 8790;
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
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    Ok(SocketAddr::new(host, port))
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let addr = parse_args(std::env::args().skip(1))?;
    let sandbox = start(Config::from_env(), addr).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "sandbox listening on {}", sandbox.url())?;
        out.flush()?;
    }
    shutdown_signal().await;
    sandbox.stop().await
}
