//! A bounded load run against the real stack (sandbox + `wrangler dev` on loopback), printing
//! figures, never asserting a timing:
//!
//! 1. session creations: `--sessions N` creates by `--concurrency C` workers through the merchant
//!    API; throughput, p50/p99 latency and errors;
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
    client.create_session(&request("WARM-0")).await?;
    creations(&client, options).await?;
    waits(stack, &client, options.waits).await
}

fn request(order_no: &str) -> CreateSessionRequest {
    CreateSessionRequest::new(Fen(100), "load", order_no)
}

/// Phase 1: `sessions` creations by `concurrency` workers.
async fn creations(client: &Client, options: &Options) -> Result<()> {
    println!(
        "session creations: {} by {} concurrent clients (POST /v1/sessions, merchant API)",
        options.sessions, options.concurrency
    );
    let gate = Arc::new(Semaphore::new(options.concurrency));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(options.sessions);
    for n in 0..options.sessions {
        let permit = gate.clone().acquire_owned().await?;
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let result = client.create_session(&request(&format!("LOAD-{n}"))).await;
            drop(permit);
            (t.elapsed(), result.map(|_| ()).map_err(|e| e.to_string()))
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    let mut errors = Vec::new();
    for task in tasks {
        let (took, result) =
            tokio::time::timeout(PHASE_DEADLINE, task).await.context("creations overran")??;
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
