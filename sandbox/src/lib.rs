//! checkout-sandbox: a local HTTP server that behaves like the Payzero, Shouqianba and EZR
//! gateways as their specs describe (signatures checked, states kept, errors as documented), plus
//! an admin API under `/__admin` that tests use to play the shopper, inject faults, move the
//! clock and read what the edge sent. `start` runs it in-process; `main.rs` runs it as a binary.

mod admin;
mod clock;
mod config;
mod ezr;
mod faults;
mod ids;
mod middleware;
mod notify;
mod payzero;
mod shouqianba;
mod state;
use checkout_shared::china_time as timefmt;

pub use config::Config;

use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running sandbox. Dropping it leaves the server running until the runtime ends; call
/// [`Sandbox::stop`] for a clean shutdown.
pub struct Sandbox {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    ticker: JoinHandle<()>,
}

impl Sandbox {
    /// The address it listens on (with the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Payzero's base URL: `http://127.0.0.1:PORT/payzero`.
    pub fn payzero_url(&self) -> String {
        format!("{}/payzero", self.url())
    }

    /// Shouqianba's base URL: `http://127.0.0.1:PORT/shouqianba`.
    pub fn shouqianba_url(&self) -> String {
        format!("{}/shouqianba", self.url())
    }

    /// EZR's base URL: `http://127.0.0.1:PORT/ezr`.
    pub fn ezr_url(&self) -> String {
        format!("{}/ezr", self.url())
    }

    /// Stops accepting connections, lets requests in flight finish (held `timeout` faults are
    /// released), and waits for the server and its ticker to end.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.server.await.context("the server task failed")?.context("the server failed")?;
        self.ticker.await.context("the ticker task failed")?;
        Ok(())
    }
}

/// Binds `addr` (port 0 picks a free port) and serves the sandbox until [`Sandbox::stop`].
pub async fn start(config: Config, addr: SocketAddr) -> anyhow::Result<Sandbox> {
    let listener = TcpListener::bind(addr).await.with_context(|| format!("cannot bind {addr}"))?;
    let addr = listener.local_addr()?;
    let admin = config.admin_forced || addr.ip().is_loopback();
    let (shutdown, stop_rx) = watch::channel(false);
    let shared = Arc::new(state::Shared::new(config, stop_rx.clone())?);
    let app = state::router(shared.clone(), admin);
    let ticker = tokio::spawn(state::ticker(shared, stop_rx.clone()));
    let mut stop = stop_rx;
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                state::stopped(&mut stop).await;
            })
            .await
    });
    Ok(Sandbox { addr, shutdown, server, ticker })
}
