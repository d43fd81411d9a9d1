//! A bounded load run against the real stack (sandbox + `wrangler dev` on loopback), printing
//! figures, never asserting a timing. Every figure is printed beside the floor measured in the
//! same run — `GET /health`, which the worker answers alone — as a ratio of it:
//!
//! 1. the floor: `--sessions N` requests of `/health` by `--concurrency C` clients;
//! 2. session creations with an `Idempotency-Key` through `checkout-client`, as many, as
//!    concurrent; then, for the breakdown, three lighter kinds (the worker alone with the
//!    merchant key, one Durable Object call, a creation without an idempotency key);
//! 3. the mixed traffic of a real checkout, `--checkouts K` of them by C clients: creation, the
//!    hosted page opened for WeChat Pay (its QR issued and drawn), the page's `pay.js`, its first
//!    status read, its status long-poll held while the sandbox pays and notifies the edge, and the
//!    paid answer; with `--soak-minutes M` the same at half that rate for M minutes (at most
//!    15), p50/p99 and workerd's memory minute by minute;
//! 4. status waits: `--waits W` long-polls held at once (four per session, under the per-session
//!    cap) on sessions with an open Payzero QR, then each session paid in the sandbox in turn;
//!    each wait must answer `paid`, and how long after its session's payment is counted.
//!
//! Every loop is bounded by its count and by a deadline; the only target is the stack's loopback
//! address. No retries: an error is an error, not a slower success.

use anyhow::{Context, Result, bail};
use checkout_client::api::{CreateSessionRequest, SessionCreated, SessionStatus, StatusUpdate};
use checkout_client::{Client, Fen};
use checkout_tests::Stack;
use checkout_tests::cpu::WorkerdCpu;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Status waits per session: below the edge's cap of 8 per session, so none is refused.
const WAITS_PER_SESSION: usize = 4;
/// No phase may run longer than this, whatever the machine (a soak phase: its minutes plus this).
const PHASE_DEADLINE: Duration = Duration::from_secs(180);
/// Edge requests one mixed checkout makes: creation, page, `pay.js`, status read, held status
/// wait, and the gateway's notification.
const REQUESTS_PER_CHECKOUT: usize = 6;

struct Options {
    sessions: usize,
    concurrency: usize,
    checkouts: usize,
    soak_minutes: u64,
    waits: usize,
}

fn options() -> Result<Options> {
    let mut o = Options { sessions: 1000, concurrency: 32, checkouts: 300, soak_minutes: 0, waits: 500 };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<usize> {
            args.next()
                .with_context(|| format!("{name} needs a number"))?
                .parse()
                .with_context(|| name.to_owned())
        };
        match arg.as_str() {
            "--sessions" => o.sessions = value("--sessions")?,
            "--concurrency" => o.concurrency = value("--concurrency")?,
            "--checkouts" => o.checkouts = value("--checkouts")?,
            "--soak-minutes" => o.soak_minutes = value("--soak-minutes")? as u64,
            "--waits" => o.waits = value("--waits")?,
            other => bail!(
                "unknown argument {other:?} (usage: load [--sessions N] [--concurrency C] [--checkouts K] [--soak-minutes M] [--waits W])"
            ),
        }
    }
    // Bounded whatever is asked.
    o.sessions = o.sessions.clamp(1, 20_000);
    o.concurrency = o.concurrency.clamp(1, 256);
    o.checkouts = o.checkouts.clamp(1, 5_000);
    o.soak_minutes = o.soak_minutes.min(15);
    o.waits = o.waits.clamp(WAITS_PER_SESSION, 2_000);
    Ok(o)
}

fn main() -> Result<()> {
    let options = options()?;
    let stack = Stack::start()?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = rt.block_on(run(&stack, &options));
    if result.is_err() {
        eprintln!("{}", stack.logs());
    }
    result
}

/// What every phase shares.
#[derive(Clone)]
struct Load {
    http: reqwest::Client,
    /// For the held status waits, which last up to the edge's 20 s long-poll.
    waits_http: reqwest::Client,
    edge: String,
    sandbox: String,
    key: String,
}

async fn run(stack: &Stack, options: &Options) -> Result<()> {
    let client = stack.client()?.with_max_retries(0);
    let load = Load {
        http: reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(30)).build()?,
        waits_http: reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(40))
            .pool_max_idle_per_host(options.waits.max(options.concurrency * 2))
            .build()?,
        edge: stack.edge_url.clone(),
        sandbox: stack.sandbox_url.clone(),
        key: stack.creds.merchant_key.clone(),
    };
    let workerd = WorkerdCpu::of_group(stack.edge.id())?;
    // Warm-up: workerd compiles the worker on its first request.
    let warm = client.create_session(&request("WARM-0")).await?;
    load.checkout("WARM-1").await.map_err(anyhow::Error::msg)?;

    let (n, c) = (options.sessions, options.concurrency);
    println!("the floor: {n} × GET /health by {c} concurrent clients (the worker alone, no Durable Object)");
    let floor = phase(n, c, |_| {
        let load = load.clone();
        async move { load.expect(load.http.get(format!("{}/health", load.edge)), 200).await }
    })
    .await?
    .report(None);

    println!(
        "session creations: {n} by {c} concurrent clients (POST /v1/sessions through checkout-client, with an Idempotency-Key)"
    );
    phase(n, c, {
        let client = client.clone();
        move |n| {
            let client = client.clone();
            async move {
                client
                    .create_session(&request(&format!("LOAD-{n}")))
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            }
        }
    })
    .await?
    .report(Some(floor));

    println!("breakdown, {n} requests each by {c} concurrent clients:");
    println!("  the worker alone with the merchant key: GET /v1/sessions/<malformed id> → 404");
    phase(n, c, |_| {
        let load = load.clone();
        async move {
            let request =
                load.http.get(format!("{}/v1/sessions/not-a-session", load.edge)).bearer_auth(&load.key);
            load.expect(request, 404).await
        }
    })
    .await?
    .report(Some(floor));
    println!("  one Durable Object call: GET /v1/sessions/{{id}} → 200");
    phase(n, c, |_| {
        let (load, id) = (load.clone(), warm.id.clone());
        async move {
            let request = load.http.get(format!("{}/v1/sessions/{id}", load.edge)).bearer_auth(&load.key);
            load.expect(request, 200).await
        }
    })
    .await?
    .report(Some(floor));
    println!("  creation without an Idempotency-Key (order index shard + the new session object)");
    phase(n, c, |n| {
        let load = load.clone();
        async move {
            let request = load
                .http
                .post(format!("{}/v1/sessions", load.edge))
                .bearer_auth(&load.key)
                .json(&request(&format!("LOAD-B{n}")));
            load.expect(request, 201).await
        }
    })
    .await?
    .report(Some(floor));

    let k = options.checkouts;
    println!(
        "mixed traffic: {k} checkouts by {c} concurrent shoppers, {REQUESTS_PER_CHECKOUT} edge requests each (create, hosted page with its QR, pay.js, status, status wait held through the payment, the gateway's notification)"
    );
    let mixed = phase(k, c, |n| {
        let load = load.clone();
        async move { load.checkout(&format!("MIX-{n}")).await }
    })
    .await?;
    let checkouts_per_sec = mixed.rate();
    mixed.report_mixed(floor);

    if options.soak_minutes > 0 {
        soak(&load, &workerd, options.soak_minutes, checkouts_per_sec / 2.0).await?;
    }
    waits(&load, &client, options.waits).await
}

fn request(order_no: &str) -> CreateSessionRequest {
    CreateSessionRequest::new(Fen(100), "load", order_no)
}

impl Load {
    /// Sends a request and counts anything but `status` as an error.
    async fn expect(&self, request: reqwest::RequestBuilder, status: u16) -> Result<(), String> {
        self.expect_body(request, status).await.map(drop)
    }

    async fn expect_body(&self, request: reqwest::RequestBuilder, status: u16) -> Result<Vec<u8>, String> {
        let answer = request.send().await.map_err(|e| e.to_string())?;
        let got = answer.status().as_u16();
        let body = answer.bytes().await.map_err(|e| e.to_string())?;
        if got == status { Ok(body.to_vec()) } else { Err(format!("answered {got}, expected {status}")) }
    }

    async fn create(&self, order_no: &str) -> Result<SessionCreated, String> {
        let request = self
            .http
            .post(format!("{}/v1/sessions", self.edge))
            .bearer_auth(&self.key)
            .header("Idempotency-Key", format!("load-{order_no}"))
            .json(&request(order_no));
        serde_json::from_slice(&self.expect_body(request, 201).await?).map_err(|e| e.to_string())
    }

    async fn status(
        &self,
        http: &reqwest::Client,
        session: &SessionCreated,
        since: u64,
    ) -> Result<StatusUpdate, String> {
        let request = http
            .get(format!("{}/v1/checkout/status?since={since}", self.edge))
            .bearer_auth(&session.client_secret);
        serde_json::from_slice(&self.expect_body(request, 200).await?).map_err(|e| e.to_string())
    }

    /// Opens the hosted page for WeChat Pay: the edge issues the Payzero QR and draws it.
    async fn page(&self, session: &SessionCreated) -> Result<(), String> {
        let html =
            self.expect_body(self.http.get(format!("{}?channel=wechat_pay", session.url)), 200).await?;
        if !String::from_utf8_lossy(&html).contains("<svg") {
            return Err("the hosted page arrived without its QR".into());
        }
        Ok(())
    }

    /// The sandbox pays the session's Payzero order; it notifies the edge at once, on its own.
    async fn pay(&self, session: &SessionCreated) -> Result<(), String> {
        let url = format!("{}/__admin/payzero/orders/{}_0/pay", self.sandbox, session.id);
        let answer = self.http.post(url).send().await.map_err(|e| e.to_string())?;
        if !answer.status().is_success() {
            return Err(format!("the sandbox's pay control answered {}", answer.status()));
        }
        Ok(())
    }

    /// One checkout as a shop and a shopper make it, until the page's long-poll hears `paid`.
    async fn checkout(&self, order_no: &str) -> Result<(), String> {
        let session = self.create(order_no).await?;
        self.page(&session).await?;
        self.expect(self.http.get(format!("{}/pay.js", self.edge)), 200).await?;
        let first = self.status(&self.http, &session, 0).await?;
        let wait = {
            let (load, session) = (self.clone(), session.clone());
            tokio::spawn(async move { load.status(&load.waits_http, &session, first.version).await })
        };
        // The payment may reach the session before the long-poll does: it is answered at once.
        self.pay(&session).await?;
        let update = wait.await.map_err(|e| e.to_string())??;
        if update.status != SessionStatus::Paid {
            return Err(format!("the status wait answered {:?}, not paid", update.status));
        }
        Ok(())
    }
}

/// The latencies and errors of one phase.
struct Phase {
    latencies: Vec<Duration>,
    elapsed: Duration,
    errors: Vec<String>,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// Prints the rate, latency and errors, as a ratio of `floor` when given; returns the rate.
    fn report(mut self, floor: Option<f64>) -> f64 {
        let rate = self.rate();
        self.latencies.sort();
        let ratio = floor.map(|f| format!(" = {:.2} × the floor", rate / f)).unwrap_or_default();
        println!(
            "  {rate:.0} per second{ratio} over {:.1} s; latency p50 {:.1} ms, p99 {:.1} ms; {} errors",
            self.elapsed.as_secs_f64(),
            ms(percentile(&self.latencies, 50)),
            ms(percentile(&self.latencies, 99)),
            self.errors.len()
        );
        if let Some(first) = self.errors.first() {
            println!("  first error: {first}");
        }
        rate
    }

    fn report_mixed(mut self, floor: f64) {
        let rate = self.rate();
        let requests = rate * REQUESTS_PER_CHECKOUT as f64;
        self.latencies.sort();
        println!(
            "  {rate:.1} checkouts per second = {requests:.0} edge requests per second = {:.2} × the floor, over {:.1} s; a checkout (create → paid) p50 {:.0} ms, p99 {:.0} ms; {} errors",
            requests / floor,
            self.elapsed.as_secs_f64(),
            ms(percentile(&self.latencies, 50)),
            ms(percentile(&self.latencies, 99)),
            self.errors.len()
        );
        if let Some(first) = self.errors.first() {
            println!("  first error: {first}");
        }
    }
}

/// Runs `count` units of work made by `make(n)`, at most `concurrency` at once.
async fn phase<F, Fut>(count: usize, concurrency: usize, make: F) -> Result<Phase>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let gate = Arc::new(Semaphore::new(concurrency));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(count);
    for n in 0..count {
        let permit = gate.clone().acquire_owned().await?;
        let work = make(n);
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let result = work.await;
            drop(permit);
            (t.elapsed(), result)
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    let mut errors = Vec::new();
    for task in tasks {
        let (took, result) =
            tokio::time::timeout(PHASE_DEADLINE, task).await.context("a phase overran")??;
        latencies.push(took);
        if let Err(e) = result {
            errors.push(e);
        }
    }
    Ok(Phase { latencies, elapsed: started.elapsed(), errors })
}

/// Mixed checkouts started at `rate` per second (open loop, at most 256 at once) for `minutes`,
/// reported minute by minute with workerd's resident memory.
async fn soak(load: &Load, workerd: &WorkerdCpu, minutes: u64, rate: f64) -> Result<()> {
    let rate = rate.max(0.5);
    println!("soak: mixed checkouts at {rate:.1} per second (half the mixed rate above) for {minutes} min");
    let gate = Arc::new(Semaphore::new(256));
    let done: Arc<Mutex<Vec<(u64, Duration, bool)>>> = Arc::default();
    let started = Instant::now();
    let end = Duration::from_secs(minutes * 60);
    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut tasks = Vec::new();
    let mut n = 0u64;
    let mut reported = 0;
    while started.elapsed() < end {
        let due = started + interval.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        let minute = started.elapsed().as_secs() / 60;
        if minute > reported {
            report_minute(&done, workerd, reported);
            reported = minute;
        }
        let Ok(permit) = gate.clone().try_acquire_owned() else {
            done.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.push((minute, Duration::ZERO, false));
            n += 1;
            continue;
        };
        let (load, done) = (load.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let ok = load.checkout(&format!("SOAK-{n}")).await.is_ok();
            drop(permit);
            if let Ok(mut done) = done.lock() {
                done.push((minute, t.elapsed(), ok));
            }
        }));
        n += 1;
    }
    for task in tasks {
        tokio::time::timeout(PHASE_DEADLINE, task).await.context("the soak overran")??;
    }
    report_minute(&done, workerd, reported);
    Ok(())
}

fn report_minute(done: &Mutex<Vec<(u64, Duration, bool)>>, workerd: &WorkerdCpu, minute: u64) {
    let Ok(done) = done.lock() else { return };
    let mut latencies: Vec<Duration> =
        done.iter().filter(|(m, _, ok)| *m == minute && *ok).map(|(_, d, _)| *d).collect();
    let errors = done.iter().filter(|(m, _, ok)| *m == minute && !ok).count();
    latencies.sort();
    let rss = workerd.rss_kib().map(|kib| format!("{:.1} MiB", kib as f64 / 1024.0)).unwrap_or_default();
    println!(
        "  minute {}: {} checkouts started then, p50 {:.0} ms, p99 {:.0} ms, {errors} errors (or not started: 256 at once); workerd resident {rss}",
        minute + 1,
        latencies.len(),
        ms(percentile(&latencies, 50)),
        ms(percentile(&latencies, 99)),
    );
}

/// Phase 4: `waits` status waits held at once on sessions with an open Payzero QR, then each
/// session paid; every wait must answer `paid`, soon after its session's payment.
async fn waits(load: &Load, client: &Client, waits: usize) -> Result<()> {
    let sessions = waits.div_ceil(WAITS_PER_SESSION);
    println!(
        "status waits: {waits} long-polls held on {sessions} sessions with an open Payzero QR, then each session paid in the sandbox in turn"
    );
    let mut created: Vec<(SessionCreated, u64)> = Vec::with_capacity(sessions);
    for n in 0..sessions {
        let session = client.create_session(&request(&format!("WAIT-{n}"))).await?;
        load.page(&session).await.map_err(anyhow::Error::msg)?;
        let version = load.status(&load.http, &session, 0).await.map_err(anyhow::Error::msg)?.version;
        created.push((session, version));
    }
    let mut tasks = Vec::with_capacity(waits);
    for n in 0..waits {
        let (load, (session, version)) = (load.clone(), created[n / WAITS_PER_SESSION].clone());
        tasks.push((
            n / WAITS_PER_SESSION,
            tokio::spawn(async move {
                let update = load.status(&load.waits_http, &session, version).await?;
                Ok::<_, String>((Instant::now(), update))
            }),
        ));
    }
    // Let every wait reach its session object before the payments (the edge holds them 20 s).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut paid_at = Vec::with_capacity(sessions);
    for (session, _) in &created {
        paid_at.push(Instant::now());
        load.pay(session).await.map_err(anyhow::Error::msg)?;
    }
    let (mut released, mut lost, mut errors) = (Vec::with_capacity(waits), 0, Vec::new());
    for (index, task) in tasks {
        match tokio::time::timeout(PHASE_DEADLINE, task).await.context("waits overran")?? {
            Ok((at, update)) if update.status == SessionStatus::Paid => {
                released.push(at.saturating_duration_since(paid_at[index]));
            }
            Ok(_) => lost += 1,
            Err(e) => errors.push(e),
        }
    }
    released.sort();
    let late = released.iter().filter(|d| **d > Duration::from_secs(1)).count();
    println!(
        "  {} answered paid, {lost} lost (answered without it), {} errors; {late} later than 1 s after their payment",
        released.len(),
        errors.len()
    );
    if !released.is_empty() {
        println!(
            "  payment → wait answered: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            ms(percentile(&released, 50)),
            ms(percentile(&released, 99)),
            ms(*released.last().unwrap_or(&Duration::ZERO))
        );
    }
    if let Some(first) = errors.first() {
        println!("  first error: {first}");
    }
    Ok(())
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) * p / 100).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
