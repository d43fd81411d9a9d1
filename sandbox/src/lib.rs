//! checkout-sandbox: a local HTTP server that behaves like the Payzero, Shouqianba and EZR
//! gateways as their specs describe (signatures checked, states kept, errors as documented), plus
//! an admin API under `/__admin` that tests use to play the shopper, inject faults, move the
//! clock and read what the edge sent. `start` runs it in-process; `main.rs` runs it as a binary.

mod admin;
mod app;
mod clock;
mod config;
mod ezr;
mod faults;
mod ids;
mod json;
mod jwt;
mod middleware;
mod money;
mod notify;
mod payzero;
mod persist;
mod personal;
mod secret;
mod shouqianba;
mod sign;
mod state;
mod textenum;
mod timefmt;

pub use config::Config;
pub use secret::Secret;

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
    saver: JoinHandle<()>,
    shared: Arc<state::Shared>,
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
    /// released), waits for the server and its ticker to end, and writes the state file one
    /// last time (with `--state-dir`).
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.server.await.context("the server task failed")?.context("the server failed")?;
        self.ticker.await.context("the ticker task failed")?;
        self.saver.await.context("the saver task failed")?;
        self.shared.changed();
        self.shared.save().await;
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
    let app = app::router(shared.clone(), admin);
    let ticker = tokio::spawn(state::ticker(shared.clone(), stop_rx.clone()));
    let saver = tokio::spawn(state::saver(shared.clone(), stop_rx.clone()));
    let mut stop = stop_rx;
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                state::stopped(&mut stop).await;
            })
            .await
    });
    Ok(Sandbox { addr, shutdown, server, ticker, saver, shared })
}
