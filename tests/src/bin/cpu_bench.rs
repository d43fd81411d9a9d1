//! The edge's CPU time per request kind, measured on the real stack (sandbox + `wrangler dev` on
//! loopback), printing figures, never asserting one.
//!
//! Method: requests of one kind are sent one after another; around each, the CPU time of every
//! workerd thread is read from Linux's scheduler statistics (`checkout_tests::cpu`, nanosecond
//! resolution), and the difference, less workerd's idle rate over the same wall time, is that
//! request's CPU. Each read is taken after a short settle (`SETTLE`) so work the request leaves
//! behind (writes committed after the answer, an alarm due at once) is counted with it. Over each
//! batch, workerd's `utime + stime` (10 ms ticks, ended threads included) is read too, as a
//! cross-check of the sum. What is measured is workerd as a whole (HTTP parsing, the isolate's JS
//! and wasm, SQLite, the loopback fetches to the sandbox), an upper bound of what Cloudflare bills
//! as CPU time; the time waiting for the sandbox is not CPU and is not counted.
//!
//! Kinds: `/health` (the worker alone, the floor), a creation with an `Idempotency-Key`, the
//! checkout view, a QR issued (`POST /v1/checkout/qr`), a status wait answered at once (the page's
//! long-poll when there is news: `since=0`), the hosted page opened for WeChat Pay (its QR issued
//! and drawn into the HTML), and a Payzero notification (the sandbox's payment notice, verified,
//! confirmed with `queryOrder`, the session paid). Every loop is bounded by its count and by a
//! deadline; the only target is the stack's loopback address.

use anyhow::{Context, Result, bail, ensure};
use checkout_client::Fen;
use checkout_client::api::{CreateSessionRequest, SessionCreated};
use checkout_tests::Stack;
use checkout_tests::cpu::{TICK_NS, WorkerdCpu};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Time left after each answer for work the request set off to be counted with it.
const SETTLE: Duration = Duration::from_millis(15);
/// How long a notification may take to be delivered and answered.
const DELIVERY_DEADLINE: Duration = Duration::from_secs(10);

fn main() -> Result<()> {
    let mut requests = 200usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--requests" => requests = args.next().context("--requests needs a number")?.parse()?,
            other => bail!("unknown argument {other:?} (usage: cpu-bench [--requests N])"),
        }
    }
    let requests = requests.clamp(10, 2_000);
    let stack = Stack::start()?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = rt.block_on(run(&stack, requests));
    if result.is_err() {
        eprintln!("{}", stack.logs());
    }
    result
}

struct Bench<'a> {
    stack: &'a Stack,
    http: reqwest::Client,
    cpu: WorkerdCpu,
    /// workerd's CPU while nothing is asked of it, ns per ms of wall time.
    idle_ns_per_ms: f64,
}

async fn run(stack: &Stack, n: usize) -> Result<()> {
    let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(30)).build()?;
    let cpu = WorkerdCpu::of_group(stack.edge.id())?;
    let mut bench = Bench { stack, http, cpu, idle_ns_per_ms: 0.0 };
    // Warm-up: workerd compiles the worker and opens the first objects on first use.
    let warm = bench.create("CPU-WARM-0").await?;
    bench.issue_qr(&warm).await?;
    bench.page(&bench.create("CPU-WARM-1").await?).await?;
    bench.idle_ns_per_ms = bench.idle_rate().await?;
    println!(
        "workerd CPU per request, {n} sequential requests of each kind (schedstat of every workerd thread; idle {:.3} ms CPU per s subtracted; settle {} ms):",
        bench.idle_ns_per_ms / 1000.0,
        SETTLE.as_millis()
    );
    let bench = &bench;
    bench.kind("GET /health (the worker alone: the floor)", n, |_| Box::pin(bench.health())).await?;

    let mut sessions = Vec::with_capacity(n);
    let before = bench.batch_start()?;
    for i in 0..n {
        let (cpu, session) = bench.timed(bench.create(&format!("CPU-C{i}"))).await?;
        before.samples.borrow_mut().push(cpu);
        sessions.push(session);
    }
    bench.report("POST /v1/sessions with an Idempotency-Key (creation)", before)?;

    let sessions = &sessions;
    bench.kind("GET /v1/checkout (checkout view)", n, |i| Box::pin(bench.view(&sessions[i]))).await?;
    bench
        .kind("POST /v1/checkout/qr (QR issued at Payzero)", n, |i| Box::pin(bench.issue_qr(&sessions[i])))
        .await?;
    bench
        .kind("GET /v1/checkout/status?since=0 (status wait answered at once, QR open)", n, |i| {
            Box::pin(bench.status(&sessions[i]))
        })
        .await?;
    bench
        .kind("POST /v1/notify/payzero (notification: verified, queryOrder, paid)", n, |i| {
            Box::pin(bench.notification(&sessions[i]))
        })
        .await?;

    let mut fresh = Vec::with_capacity(n);
    for i in 0..n {
        fresh.push(bench.create(&format!("CPU-P{i}")).await?);
    }
    let fresh = &fresh;
    bench
        .kind("GET /pay/{secret}?channel=wechat_pay (hosted page, QR issued and drawn)", n, |i| {
            Box::pin(bench.page(&fresh[i]))
        })
        .await?;
    println!("workerd resident memory at the end: {:.1} MiB", bench.cpu.rss_kib()? as f64 / 1024.0);
    Ok(())
}

/// One batch's samples (ms of CPU) and workerd's ticks when it began.
struct Batch {
    ticks: u64,
    started: Instant,
    samples: std::cell::RefCell<Vec<f64>>,
}

type Step<'a> = std::pin::Pin<Box<dyn Future<Output = Result<()>> + 'a>>;

impl<'a> Bench<'a> {
    async fn idle_rate(&self) -> Result<f64> {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (before, t) = (self.cpu.ns()?, Instant::now());
        tokio::time::sleep(Duration::from_secs(2)).await;
        let after = self.cpu.ns()?;
        Ok(after.saturating_sub(before) as f64 / (t.elapsed().as_secs_f64() * 1000.0))
    }

    fn batch_start(&self) -> Result<Batch> {
        Ok(Batch { ticks: self.cpu.ticks()?, started: Instant::now(), samples: Default::default() })
    }

    /// Runs `work` and returns workerd's CPU for it (ms) with its result.
    async fn timed<T>(&self, work: impl Future<Output = Result<T>>) -> Result<(f64, T)> {
        let (before, t) = (self.cpu.ns()?, Instant::now());
        let value = work.await?;
        tokio::time::sleep(SETTLE).await;
        let after = self.cpu.ns()?;
        let idle = self.idle_ns_per_ms * t.elapsed().as_secs_f64() * 1000.0;
        Ok(((after.saturating_sub(before) as f64 - idle) / 1e6, value))
    }

    async fn kind<'s>(&self, label: &str, n: usize, step: impl Fn(usize) -> Step<'s>) -> Result<()> {
        let batch = self.batch_start()?;
        for i in 0..n {
            let (cpu, ()) = self.timed(step(i)).await?;
            batch.samples.borrow_mut().push(cpu);
        }
        self.report(label, batch)
    }

    fn report(&self, label: &str, batch: Batch) -> Result<()> {
        let wall_ms = batch.started.elapsed().as_secs_f64() * 1000.0;
        let ticks = self.cpu.ticks()?.saturating_sub(batch.ticks);
        let mut samples = batch.samples.into_inner();
        let n = samples.len().max(1) as f64;
        let sum: f64 = samples.iter().sum();
        samples.sort_by(f64::total_cmp);
        let pick =
            |p: usize| samples.get((samples.len().saturating_sub(1)) * p / 100).copied().unwrap_or(0.0);
        let by_ticks = ((ticks * TICK_NS) as f64 / 1e6 - self.idle_ns_per_ms * wall_ms / 1e6) / n;
        println!("{label}");
        println!(
            "  CPU per request: median {:.2} ms, p99 {:.2} ms, mean {:.2} ms; over the batch by utime+stime (10 ms ticks): {by_ticks:.2} ms",
            pick(50),
            pick(99),
            sum / n
        );
        Ok(())
    }

    async fn health(&self) -> Result<()> {
        let answer = self.http.get(format!("{}/health", self.stack.edge_url)).send().await?;
        expect(answer, 200).await.map(drop)
    }

    async fn create(&self, order_no: &str) -> Result<SessionCreated> {
        let answer = self
            .http
            .post(format!("{}/v1/sessions", self.stack.edge_url))
            .bearer_auth(&self.stack.creds.merchant_key)
            .header("Idempotency-Key", format!("cpu-{order_no}"))
            .json(&CreateSessionRequest::new(Fen(100), "cpu bench", order_no))
            .send()
            .await?;
        Ok(serde_json::from_slice(&expect(answer, 201).await?)?)
    }

    async fn view(&self, session: &SessionCreated) -> Result<()> {
        let answer = self
            .http
            .get(format!("{}/v1/checkout", self.stack.edge_url))
            .bearer_auth(&session.client_secret)
            .send()
            .await?;
        expect(answer, 200).await.map(drop)
    }

    async fn issue_qr(&self, session: &SessionCreated) -> Result<()> {
        let answer = self
            .http
            .post(format!("{}/v1/checkout/qr", self.stack.edge_url))
            .bearer_auth(&session.client_secret)
            .json(&serde_json::json!({"method": "payzero_qr", "channel": "wechat_pay"}))
            .send()
            .await?;
        expect(answer, 200).await.map(drop)
    }

    async fn status(&self, session: &SessionCreated) -> Result<()> {
        let answer = self
            .http
            .get(format!("{}/v1/checkout/status?since=0", self.stack.edge_url))
            .bearer_auth(&session.client_secret)
            .send()
            .await?;
        expect(answer, 200).await.map(drop)
    }

    async fn page(&self, session: &SessionCreated) -> Result<()> {
        let answer = self.http.get(format!("{}?channel=wechat_pay", session.url)).send().await?;
        let html = String::from_utf8(expect(answer, 200).await?)?;
        ensure!(html.contains("<svg"), "the hosted page arrived without its QR");
        Ok(())
    }

    /// The sandbox pays the session's Payzero order and notifies the edge; done when the sandbox
    /// has the edge's answer to its notification.
    async fn notification(&self, session: &SessionCreated) -> Result<()> {
        let sandbox = &self.stack.sandbox_url;
        let order_no = format!("{}_0", session.id);
        let paid = self.http.post(format!("{sandbox}/__admin/payzero/orders/{order_no}/pay")).send().await?;
        ensure!(paid.status().is_success(), "the sandbox's pay control answered {}", paid.status());
        let deadline = Instant::now() + DELIVERY_DEADLINE;
        loop {
            let attempts: Value = self
                .http
                .get(format!("{sandbox}/__admin/notifications?subject={order_no}"))
                .send()
                .await?
                .json()
                .await?;
            let answered = attempts.as_array().and_then(|a| a.first()).and_then(|a| a["status"].as_u64());
            match answered {
                Some(200) => return Ok(()),
                Some(other) => bail!("the edge answered the notification with HTTP {other}"),
                None if Instant::now() > deadline => bail!("no answer to the notification of {order_no}"),
                None => tokio::time::sleep(Duration::from_millis(2)).await,
            }
        }
    }
}

async fn expect(answer: reqwest::Response, status: u16) -> Result<Vec<u8>> {
    let got = answer.status().as_u16();
    let body = answer.bytes().await?.to_vec();
    ensure!(got == status, "answered {got}, expected {status}: {}", String::from_utf8_lossy(&body));
    Ok(body)
}
