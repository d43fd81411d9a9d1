//! The sandbox's one shared state (every gateway, the clock, faults, recorded requests and the
//! notification queue) behind a tokio mutex, the loop that runs what falls due on the sandbox
//! clock, and the one that keeps the state file (`persist`) up to date.

use crate::clock::Clock;
use crate::config::Config;
use crate::faults::{FaultKind, Faults};
use crate::notify::{self, Job, Outcome};
use crate::payzero::wire::Notification;
use crate::persist::Store;
use crate::{ezr, payzero, shouqianba};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, Notify, watch};

/// A request as the sandbox received it.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct RecordedRequest {
    pub(crate) seq: u64,
    /// Sandbox clock, Unix milliseconds.
    pub(crate) at_ms: u64,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    /// Header names in lower case; repeated headers joined with `, `.
    pub(crate) headers: BTreeMap<String, String>,
    /// The body as text (invalid UTF-8 replaced).
    pub(crate) body: String,
    /// The id of the fault the request ran into.
    pub(crate) fault: Option<u64>,
}

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
                crate::sign::payzero_notification(config.payzero_sign_token.expose(), &timestamp, &msg_body);
            let notification =
                Notification { timestamp: now, msg_type: out.msg_type.clone(), msg_body, sign };
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
    /// Where the state is kept between runs (`--state-dir`); `None` keeps it in memory only.
    store: Option<Store>,
    /// Counts changes to the state; the saver writes when it moved since the last write.
    generation: AtomicU64,
    saved_generation: AtomicU64,
    /// A hash of the bytes last written: an unchanged state is not written again.
    saved_hash: AtomicU64,
}

impl Shared {
    /// The state, read back from the state directory when there is one.
    pub(crate) fn new(config: Config, stop: watch::Receiver<bool>) -> anyhow::Result<Self> {
        // Loopback only, never through a proxy from the environment.
        let http = reqwest::Client::builder().no_proxy().build()?;
        let mut state = State::new(&config);
        let store = match &config.state_dir {
            Some(dir) => {
                let store = Store::open(dir)?;
                store.load_into(&mut state)?;
                Some(store)
            }
            None => None,
        };
        Ok(Shared {
            state: Mutex::new(state),
            config,
            http,
            stop,
            attempt_done: Notify::new(),
            store,
            generation: AtomicU64::new(0),
            saved_generation: AtomicU64::new(0),
            saved_hash: AtomicU64::new(0),
        })
    }

    /// Notes that the state changed, so the saver writes it.
    pub(crate) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// Writes the state file if the state changed since the last write. Errors are not fatal
    /// (the sandbox keeps serving from memory) and are tried again on the next change.
    pub(crate) async fn save(&self) {
        let Some(store) = &self.store else {
            return;
        };
        let generation = self.generation.load(Ordering::Relaxed);
        if generation == self.saved_generation.load(Ordering::Relaxed) {
            return;
        }
        let bytes = Store::encode(&mut *self.state.lock().await);
        let Some(bytes) = bytes else {
            return;
        };
        let hash = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut h);
            h.finish()
        };
        if hash == self.saved_hash.load(Ordering::Relaxed) {
            self.saved_generation.store(generation, Ordering::Relaxed);
            return;
        }
        let store = store.clone();
        let written = tokio::task::spawn_blocking(move || store.write(&bytes)).await;
        if matches!(written, Ok(Ok(()))) {
            self.saved_generation.store(generation, Ordering::Relaxed);
            self.saved_hash.store(hash, Ordering::Relaxed);
        }
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
        self.changed();
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
        self.changed();
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

/// Keeps the state file current: a write at most every 200 ms while things change, and a last
/// one when the sandbox stops (after the server has finished its requests).
pub(crate) async fn saver(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut interval = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = interval.tick() => shared.save().await,
            _ = stopped(&mut stop) => return,
        }
    }
}
