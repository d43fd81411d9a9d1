//! The sandbox's one shared state (every gateway, the clock, faults, recorded requests and the
//! notification queue) behind a tokio mutex, the router that puts the gateways under their path
//! prefixes, and the loop that runs what falls due on the sandbox clock.

use crate::clock::Clock;
use crate::config::Config;
use crate::faults::{FaultKind, Faults};
use crate::middleware::{self, RecordedRequest};
use crate::notify::{self, Job, Outcome};
use crate::{admin, ezr, payzero, shouqianba};
use axum::Router;
use checkout_shared::flex::NumOrStr;
use checkout_shared::payzero::Notification;
use checkout_shared::sign::payzero_notification_signature;
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Notify, watch};

/// Everything the gateways remember.
pub(crate) struct State {
    pub(crate) clock: Clock,
    pub(crate) rng: StdRng,
    pub(crate) payzero: payzero::Payzero,
    pub(crate) sqb: shouqianba::Shouqianba,
    pub(crate) ezr: ezr::Ezr,
    pub(crate) faults: Faults,
    pub(crate) requests: VecDeque<RecordedRequest>,
    pub(crate) request_seq: u64,
    pub(crate) notifications: notify::Queue,
    /// The merchant-level Payzero notification URL (configured, or set by the admin API).
    pub(crate) payzero_notify_url: Option<String>,
}

impl State {
    fn new(config: &Config) -> Self {
        let mut rng = match config.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        State {
            clock: Clock::default(),
            payzero: payzero::Payzero::new(&mut rng),
            rng,
            sqb: shouqianba::Shouqianba::default(),
            ezr: ezr::Ezr::default(),
            faults: Faults::default(),
            requests: VecDeque::new(),
            request_seq: 0,
            notifications: notify::Queue::default(),
            payzero_notify_url: config.payzero_notify_url.clone(),
        }
    }

    /// Forgets every order, fault, record and clock offset. Payzero tokens stay valid, so an edge
    /// that logged in before a reset keeps working.
    pub(crate) fn reset(&mut self, config: &Config) {
        let mut fresh = State::new(config);
        fresh.payzero.adopt_jwt_key(&self.payzero);
        *self = fresh;
    }

    /// Runs what fell due on the clock and queues the notifications it (and the request just
    /// handled) produced.
    pub(crate) fn settle(&mut self, config: &Config) {
        let now = self.clock.now_ms();
        self.payzero.tick(now, &mut self.rng);
        self.sqb.tick(now);
        for out in std::mem::take(&mut self.payzero.outbox) {
            let msg_body = serde_json::to_string(&out.result).unwrap_or_default();
            let timestamp = now.to_string();
            let sign =
                payzero_notification_signature(config.payzero_sign_token.expose(), &timestamp, &msg_body);
            let notification = Notification {
                timestamp: NumOrStr::number(now),
                msg_type: out.msg_type.clone(),
                msg_body,
                sign: Some(sign),
            };
            let body = serde_json::to_string(&notification).unwrap_or_default();
            let url = out.notify_url.or_else(|| self.payzero_notify_url.clone());
            self.notifications.push(
                "payzero",
                url,
                out.msg_type.as_str(),
                &out.result.mcht_order_no,
                body,
                now,
            );
        }
    }

    /// The notification attempts due now, each with the fault it runs into.
    fn due_attempts(&mut self) -> Vec<(Job, Option<FaultKind>)> {
        let now = self.clock.now_ms();
        let jobs = self.notifications.take_due(now);
        jobs.into_iter()
            .map(|job| {
                let fault = self.faults.take_for_notification(&job.url).map(|h| h.kind);
                (job, fault)
            })
            .collect()
    }
}

/// The state plus what never changes while the sandbox runs.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) state: Mutex<State>,
    pub(crate) http: reqwest::Client,
    pub(crate) stop: watch::Receiver<bool>,
    /// Woken whenever a notification attempt finishes.
    attempt_done: Notify,
}

impl Shared {
    pub(crate) fn new(config: Config, stop: watch::Receiver<bool>) -> anyhow::Result<Self> {
        // Loopback only, never through a proxy from the environment.
        let http = reqwest::Client::builder().no_proxy().build()?;
        Ok(Shared { state: Mutex::new(State::new(&config)), config, http, stop, attempt_done: Notify::new() })
    }

    /// Runs `f` on the state at the current sandbox time (after running what fell due), then
    /// starts the notifications it produced. Handlers go through here so nothing due is missed.
    pub(crate) async fn with_state<R>(self: &Arc<Self>, f: impl FnOnce(&mut State, u64) -> R) -> R {
        let (result, attempts) = {
            let mut st = self.state.lock().await;
            st.settle(&self.config);
            let now = st.clock.now_ms();
            let result = f(&mut st, now);
            st.settle(&self.config);
            (result, st.due_attempts())
        };
        for attempt in attempts {
            let shared = self.clone();
            tokio::spawn(async move { shared.attempt(attempt).await });
        }
        result
    }

    /// Sends one notification attempt and records what came of it.
    async fn attempt(&self, (job, fault): (Job, Option<FaultKind>)) {
        let outcomes = match fault {
            Some(FaultKind::DropNotification) => vec![Outcome::Dropped],
            Some(FaultKind::DuplicateNotification) => {
                let first = notify::send(&self.http, &job.url, &job.body).await;
                let second = notify::send(&self.http, &job.url, &job.body).await;
                vec![first, second]
            }
            _ => vec![notify::send(&self.http, &job.url, &job.body).await],
        };
        self.state.lock().await.notifications.complete(job.id, job.due_ms, outcomes);
        self.attempt_done.notify_waiters();
    }

    /// Waits (bounded) until no notification attempt is in flight, so what a test reads next
    /// includes its outcome.
    pub(crate) async fn wait_for_attempts(&self) {
        // Attempts time out after 5 s; 100 rounds of at most 100 ms covers two of them.
        for _ in 0..100 {
            let done = self.attempt_done.notified();
            if !self.state.lock().await.notifications.any_in_flight() {
                return;
            }
            let _ = tokio::time::timeout(Duration::from_millis(100), done).await;
        }
    }

    /// Runs everything due, one attempt after another in due order, until nothing is left, and
    /// waits for each: `clock/advance` answers only when all of it has happened.
    pub(crate) async fn run_due(&self) {
        // Each notification has at most six attempts, so this ends long before the bound.
        for _ in 0..10_000 {
            self.wait_for_attempts().await;
            let attempts = {
                let mut st = self.state.lock().await;
                st.settle(&self.config);
                st.due_attempts()
            };
            if attempts.is_empty() {
                return;
            }
            for attempt in attempts {
                self.attempt(attempt).await;
            }
        }
    }
}

/// Resolves once the sandbox is stopping (or its stop handle is gone).
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`; it is dropped before anything else awaits.
    let _ = stop.wait_for(|s| *s).await.map(|_| ());
}

/// Every second of real time, runs what fell due (retries a developer's edge should get without
/// touching the clock).
pub(crate) async fn ticker(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = interval.tick() => shared.with_state(|_, _| ()).await,
            _ = stopped(&mut stop) => return,
        }
    }
}

/// The whole sandbox: each gateway under its prefix, the admin API when enabled, and the
/// recording/fault layer in front of the gateways.
pub(crate) fn router(shared: Arc<Shared>, admin_enabled: bool) -> Router {
    let gateways = Router::new()
        .nest("/payzero", payzero::routes::router(shared.clone()))
        .nest("/shouqianba", shouqianba::routes::router(shared.clone()))
        .nest("/ezr", ezr::routes::router(shared.clone()))
        .layer(axum::middleware::from_fn_with_state(shared.clone(), middleware::record_and_fault));
    let mut app = gateways;
    if admin_enabled {
        app = app.nest("/__admin", admin::router(shared.clone()));
    }
    app
}
