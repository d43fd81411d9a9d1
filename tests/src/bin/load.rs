//! A bounded load run against the real stack (sandbox + `wrangler dev` on loopback), printing
//! figures, never asserting a timing:
//!
//! 1. session creations: `--sessions N` creates by `--concurrency C` workers through the merchant
//!    API; throughput, p50/p99 latency and errors; first, as many requests of three lighter
//!    kinds (the worker alone, one Durable Object call, a creation without an idempotency key)
//!    to show where a creation's time goes;
//! 2. status waits: `--waits W` long-polls held at once (four per session, under the per-session
//!    cap), then every session is canceled by the merchant; each wait must answer with the change
//!    (`canceled`, a newer version): a wait that times out with the old state, fails or answers
//!    late is counted, as "lost" or as an error.
//!
//! Every loop is bounded by its count and by a deadline; the only target is the stack's loopback
//! address.

use anyhow::{Context, Result, bail};
use checkout_client::api::{CreateSessionRequest, SessionCreated, SessionStatus, StatusUpdate};
use checkout_client::{Client, Fen};
use checkout_tests::Stack;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Status waits per session: below the edge's cap of 8 per session, so none is refused.
const WAITS_PER_SESSION: usize = 4;
/// No phase may run longer than this, whatever the machine.
const PHASE_DEADLINE: Duration = Duration::from_secs(120);

struct Options {
    sessions: usize,
    concurrency: usize,
    waits: usize,
}

fn options() -> Result<Options> {
    let mut o = Options { sessions: 1000, concurrency: 32, waits: 500 };
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
            "--waits" => o.waits = value("--waits")?,
            other => {
                bail!("unknown argument {other:?} (usage: load [--sessions N] [--concurrency C] [--waits W])")
            }
        }
    }
    // Bounded whatever is asked.
    o.sessions = o.sessions.clamp(1, 20_000);
    o.concurrency = o.concurrency.clamp(1, 256);
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

async fn run(stack: &Stack, options: &Options) -> Result<()> {
    // No retries: an error is an error, not a slower success.
    let client = stack.client()?.with_max_retries(0);
    // Warm-up: workerd compiles the worker on its first request.
    let warm = client.create_session(&request("WARM-0")).await?;
    creations(stack, &client, &warm, options).await?;
    waits(stack, &client, options.waits).await
}

fn request(order_no: &str) -> CreateSessionRequest {
    CreateSessionRequest::new(Fen(100), "load", order_no)
}

/// Phase 1: `sessions` creations by `concurrency` workers on the fresh stack, then, for the
/// breakdown, as many requests that do less: the worker alone (routing and the merchant key, no Durable
/// Object), one Durable Object call, and a creation without an `Idempotency-Key` (which skips
/// the idempotency record's two calls).
async fn creations(stack: &Stack, client: &Client, warm: &SessionCreated, options: &Options) -> Result<()> {
    let http = reqwest::Client::builder().no_proxy().build()?;
    let key = stack.creds.merchant_key.clone();
    let edge = stack.edge_url.clone();
    let (n, c) = (options.sessions, options.concurrency);
    println!(
        "session creations: {n} by {c} concurrent clients (POST /v1/sessions through checkout-client, with an Idempotency-Key)"
    );
    phase("", n, c, {
        let client = client.clone();
        move |n| {
            let client = client.clone();
            async move {
                client
                    .create_session(&request(&format!("LOAD-{n}")))
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        }
    })
    .await?;
    println!("breakdown, {n} requests each by {c} concurrent clients:");
    phase("  the worker alone: GET /v1/sessions/<malformed id> → 404, no Durable Object", n, c, {
        let (http, key, edge) = (http.clone(), key.clone(), edge.clone());
        move |_| {
            let request = http.get(format!("{edge}/v1/sessions/not-a-session")).bearer_auth(&key);
            async move { expect(request, 404).await }
        }
    })
    .await?;
    phase("  one Durable Object call: GET /v1/sessions/{id} → 200", n, c, {
        let (http, key, edge, id) = (http.clone(), key.clone(), edge.clone(), warm.id.clone());
        move |_| {
            let request = http.get(format!("{edge}/v1/sessions/{id}")).bearer_auth(&key);
            async move { expect(request, 200).await }
        }
    })
    .await?;
    phase("  creation without an Idempotency-Key (order index + session object)", n, c, {
        let (http, key, edge) = (http.clone(), key.clone(), edge.clone());
        move |n| {
            let request = http
                .post(format!("{edge}/v1/sessions"))
                .bearer_auth(&key)
                .json(&request(&format!("LOAD-B{n}")));
            async move { expect(request, 201).await }
        }
    })
    .await
}

/// Sends a request and counts anything but `status` as an error.
async fn expect(request: reqwest::RequestBuilder, status: u16) -> Result<(), String> {
    let answer = request.send().await.map_err(|e| e.to_string())?;
    let got = answer.status().as_u16();
    answer.bytes().await.map_err(|e| e.to_string())?;
    if got == status { Ok(()) } else { Err(format!("answered {got}, expected {status}")) }
}

/// Runs `count` requests made by `make(n)`, at most `concurrency` at once, and prints the rate,
/// p50/p99 latency and errors under `label` (nothing when it is empty).
async fn phase<F, Fut>(label: &str, count: usize, concurrency: usize, make: F) -> Result<()>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    if !label.is_empty() {
        println!("{label}");
    }
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
    let elapsed = started.elapsed();
    report(&mut latencies, elapsed, errors.len());
    if let Some(first) = errors.first() {
        println!("  first error: {first}");
    }
    Ok(())
}

/// Phase 2: `waits` status waits held at once, then a change each must see.
async fn waits(stack: &Stack, client: &Client, waits: usize) -> Result<()> {
    let sessions = waits.div_ceil(WAITS_PER_SESSION);
    println!("status waits: {waits} long-polls held on {sessions} sessions, then each session canceled");
    let mut created: Vec<SessionCreated> = Vec::with_capacity(sessions);
    for n in 0..sessions {
        created.push(client.create_session(&request(&format!("WAIT-{n}"))).await?);
    }
    let http =
        reqwest::Client::builder().timeout(Duration::from_secs(40)).pool_max_idle_per_host(waits).build()?;
    let mut tasks = Vec::with_capacity(waits);
    for n in 0..waits {
        let session = &created[n / WAITS_PER_SESSION];
        let url = format!("{}/v1/checkout/status?since=1", stack.edge_url);
        let request = http.get(url).bearer_auth(&session.client_secret);
        tasks.push(tokio::spawn(async move {
            let answer = request.send().await.map_err(|e| e.to_string())?;
            if !answer.status().is_success() {
                return Err(format!("HTTP {}", answer.status()));
            }
            let update: StatusUpdate = answer.json().await.map_err(|e| e.to_string())?;
            Ok((Instant::now(), update))
        }));
    }
    // Let every wait reach its session object before the change (the edge holds them up to 20 s).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let changed_at = Instant::now();
    for session in &created {
        client.cancel_session(&session.id).await?;
    }
    let (mut seen, mut lost, mut errors) = (Vec::with_capacity(waits), 0, Vec::new());
    for task in tasks {
        match tokio::time::timeout(PHASE_DEADLINE, task).await.context("waits overran")?? {
            Ok((at, update)) if update.status == SessionStatus::Canceled && update.version > 1 => {
                seen.push(at.saturating_duration_since(changed_at));
            }
            Ok(_) => lost += 1,
            Err(e) => errors.push(e),
        }
    }
    seen.sort();
    println!(
        "  {} answered with the change, {lost} lost (answered without it), {} errors",
        seen.len(),
        errors.len()
    );
    if !seen.is_empty() {
        println!(
            "  change → answer, counted from the first cancel: p50 {:.0} ms, p99 {:.0} ms, last {:.0} ms",
            ms(percentile(&seen, 50)),
            ms(percentile(&seen, 99)),
            ms(*seen.last().unwrap_or(&Duration::ZERO))
        );
    }
    if let Some(first) = errors.first() {
        println!("  first error: {first}");
    }
    Ok(())
}

fn report(latencies: &mut [Duration], elapsed: Duration, errors: usize) {
    latencies.sort();
    println!(
        "  {:.0} per second over {:.1} s; latency p50 {:.1} ms, p99 {:.1} ms; {errors} errors",
        latencies.len() as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
        ms(percentile(latencies, 50)),
        ms(percentile(latencies, 99)),
    );
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
