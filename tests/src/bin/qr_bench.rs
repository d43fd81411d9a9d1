//! Measures navigation → visible QR on the hosted page, two ways: the page opened for one wallet
//! (`?channel=wechat_pay`, the edge issues the QR before it answers and draws it into the page,
//! so it is visible at the first contentful paint) and the wallet picked on the page (a click;
//! visible when the widget draws it). For each run, a fresh session, a fresh page load, and the time from
//! `navigationStart` to the widget's `checkout:qr-visible` performance mark. Prints each run, the median, and the median of each
//! step on the way (navigation and resource timing, the widget's own marks). On the pages opened
//! for a wallet the QR is then paid in the sandbox, and the bench times the sandbox's signed
//! notification (sent to the edge on loopback) until the widget's paid screen is in the page.
//!
//! `--mobile` measures the phone profile instead (`phone` below): a phone's user agent, screen
//! and touch, Lighthouse's mobile network and CPU, and a cold cache for every load.

use anyhow::{Context, Result, bail, ensure};
use checkout_shared::Fen;
use checkout_shared::api::{CreateSessionRequest, SessionCreated};
use checkout_shared::payzero::{LoginRequest, Order, QrCodeType};
use checkout_tests::{Browser, Stack};
use fantoccini::Locator;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The steps of one load, in order: (key in `TIMELINE`'s answer, label).
const STEPS: &[(&str, &str)] = &[
    ("first_byte", "HTML first byte"),
    ("html_end", "HTML last byte"),
    ("paint", "first contentful paint"),
    ("dom_ready", "DOMContentLoaded"),
    ("js", "widget.js fetched"),
    ("wasm", "widget_bg.wasm fetched"),
    ("mounted", "wasm started, mounted"),
    ("view", "view read"),
    ("qr_request", "QR requested (click)"),
    ("qr_answer", "QR answered"),
    ("drawn", "QR drawn by the widget"),
];

/// Reads one load's timeline: navigation timing, the widget's files, the widget's marks.
const TIMELINE: &str = "
const nav = performance.getEntriesByType('navigation')[0];
const file = (tail) => {
  const e = performance.getEntriesByType('resource').find((r) => r.name.endsWith(tail));
  return e ? e.responseEnd : null;
};
const mark = (name) => {
  const m = performance.getEntriesByName(name);
  return m.length ? m[0].startTime : null;
};
const paint = performance.getEntriesByName('first-contentful-paint');
return {
  first_byte: nav ? nav.responseStart : null,
  html_end: nav ? nav.responseEnd : null,
  paint: paint.length ? paint[0].startTime : null,
  dom_ready: nav ? nav.domContentLoadedEventEnd : null,
  js: file('/pkg/widget.js'),
  wasm: file('/pkg/widget_bg.wasm'),
  mounted: mark('checkout:mounted'),
  view: mark('checkout:view'),
  qr_request: mark('checkout:qr-request'),
  qr_answer: mark('checkout:qr-answer'),
  drawn: mark('checkout:qr-visible'),
};";

/// Set up before the payment, outside any timed span: records the wall-clock time (ms since the
/// epoch, as the sandbox's notification times are) at which the paid screen enters the page.
const WATCH_PAID: &str = "
window.__cePaidAt = null;
const seen = () => {
  if (window.__cePaidAt === null && document.querySelector('[data-testid=\"paid\"]')) {
    window.__cePaidAt = performance.timeOrigin + performance.now();
  }
  return window.__cePaidAt !== null;
};
if (!seen()) {
  const watcher = new MutationObserver(() => { if (seen()) watcher.disconnect(); });
  watcher.observe(document.body, { childList: true, subtree: true });
}";

fn main() -> Result<()> {
    let mut runs: Option<usize> = None;
    let mut mobile = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--runs" {
            runs = Some(args.next().context("--runs needs a number")?.parse()?);
        } else if arg == "--mobile" {
            mobile = true;
        }
    }
    let stack = Stack::start()?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = if mobile {
        // Each cold load on the throttled profile takes seconds: 5 is the least the figures are
        // medians of.
        rt.block_on(phone::measure(&stack, runs.unwrap_or(5).clamp(5, 50)))
    } else {
        rt.block_on(measure(&stack, runs.unwrap_or(15).clamp(1, 200)))
    };
    if result.is_err() {
        eprintln!("{}", stack.logs());
    }
    result
}

/// How the shopper gets to the QR.
#[derive(Clone, Copy)]
enum Way {
    /// The page is opened for one wallet (`?channel=wechat_pay`): the edge issues the QR before
    /// it answers, and the page arrives with it.
    OpenedForWallet,
    /// The shopper picks WeChat Pay on the page (a click sent over WebDriver).
    Picked,
}

async fn measure(stack: &Stack, runs: usize) -> Result<()> {
    let http = reqwest::Client::new();
    // First, on the fresh stack: its sessions are all paid (and its faults removed) before the
    // browser series start.
    notification_ok_while_query_is_slow(stack, &http, runs.max(15) * 4).await?;
    let browser = Browser::direct(&stack.state_dir, 420, 900).await?;
    for way in [Way::OpenedForWallet, Way::Picked] {
        series(stack, &http, &browser, way, runs).await?;
    }
    browser.close().await?;
    edge_overhead(stack, &http, runs.max(15) * 2).await
}

/// How long Payzero waits for its `OK` (§3.1 allows 5 s) while queryOrder takes 8 s: the edge
/// records a verified notification and answers at once, confirming it on the session's alarm.
/// Each run pays a fresh session's QR order in the sandbox (its own notification held back by a
/// fault), then posts the signed notification Payzero would send and times it until `OK`.
async fn notification_ok_while_query_is_slow(
    stack: &Stack,
    http: &reqwest::Client,
    runs: usize,
) -> Result<()> {
    let fault = |body: Value| async move {
        let answer = http.post(format!("{}/__admin/faults", stack.sandbox_url)).json(&body).send().await?;
        ensure!(answer.status().is_success(), "the sandbox refused a fault: {}", answer.status());
        anyhow::Ok(())
    };
    fault(serde_json::json!({"endpoint": "/payzero/order/queryOrder", "kind": "latency_ms", "ms": 8000, "always": true}))
        .await?;
    fault(serde_json::json!({"endpoint": "/v1/notify/payzero", "kind": "drop_notification", "always": true}))
        .await?;
    let mut times = Vec::new();
    let mut sessions = Vec::new();
    for run in 0..=runs {
        let session: SessionCreated = http
            .post(format!("{}/v1/sessions", stack.edge_url))
            .bearer_auth(&stack.creds.merchant_key)
            .json(&CreateSessionRequest::new(Fen(1), "bench", format!("BENCH-N{run}")))
            .send()
            .await?
            .json()
            .await?;
        let qr = http
            .post(format!("{}/v1/checkout/qr", stack.edge_url))
            .bearer_auth(&session.client_secret)
            .json(&serde_json::json!({"method": "payzero_qr", "channel": "wechat_pay"}))
            .send()
            .await?;
        ensure!(qr.status() == 200, "the edge answered {} for a QR", qr.status());
        let order_no = format!("{}_0", session.id);
        let paid =
            http.post(format!("{}/__admin/payzero/orders/{order_no}/pay", stack.sandbox_url)).send().await?;
        ensure!(paid.status().is_success(), "the sandbox's pay control answered {}", paid.status());
        let order: Value = paid.json().await?;
        let msg_body = order.to_string();
        let timestamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis();
        let sign = checkout_shared::sign::payzero_notification_signature(
            &stack.creds.payzero_sign_token,
            &timestamp.to_string(),
            &msg_body,
        );
        let notice = serde_json::json!({"timestamp": timestamp, "msgType": "PAY_STATUS_NOTIFY",
            "msgBody": msg_body, "sign": sign});
        let started = Instant::now();
        let answer = http.post(format!("{}/v1/notify/payzero", stack.edge_url)).json(&notice).send().await?;
        let status = answer.status();
        let text = answer.text().await?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        ensure!(status == 200 && text == "OK", "the edge answered {status} {text:?} to a notification");
        if run > 0 {
            times.push(ms);
            sessions.push(session);
        }
    }
    times.sort_by(f64::total_cmp);
    let n = times.len();
    let p99 = times[(n * 99).div_ceil(100).saturating_sub(1).min(n - 1)];
    println!(
        "notification → OK while queryOrder takes 8 s: median {:.1} ms, p99 {p99:.1} ms, max {:.1} ms over {n} runs",
        times[n / 2],
        times[n - 1]
    );
    // The confirmations run on the sessions' alarms: every one of them ends paid once the slow
    // queries come back.
    let deadline = Instant::now() + Duration::from_secs(60);
    for session in &sessions {
        loop {
            let view: Value = http
                .get(format!("{}/v1/sessions/{}", stack.edge_url, session.id))
                .bearer_auth(&stack.creds.merchant_key)
                .send()
                .await?
                .json()
                .await?;
            if view["status"] == "paid" {
                break;
            }
            ensure!(Instant::now() < deadline, "a session was not paid after its notification: {view}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    let answer = http.delete(format!("{}/__admin/faults", stack.sandbox_url)).send().await?;
    ensure!(answer.status().is_success(), "the sandbox kept its faults: {}", answer.status());
    Ok(())
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The time the edge adds to a QR: the same Payzero `createAndQrCode` sent to the sandbox
/// directly (with a token logged in once, as the edge holds one) and through the checkout API
/// (`POST /v1/checkout/qr` on a fresh session: routing, the session object, signing, storage),
/// alternating, in the same run. Sessions are created outside the timed spans.
async fn edge_overhead(stack: &Stack, http: &reqwest::Client, runs: usize) -> Result<()> {
    let login: Value = http
        .post(format!("{}/payzero/auth/login", stack.sandbox_url))
        .json(&LoginRequest {
            username: stack.creds.payzero_app_id.clone(),
            password: stack.creds.payzero_app_key.clone(),
        })
        .send()
        .await?
        .json()
        .await?;
    let token = login["data"]["token"]
        .as_str()
        .or_else(|| login["data"].as_str())
        .context("no token in the sandbox's login answer")?
        .to_owned();
    let (mut direct, mut through, mut floor, mut one_object) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // One untimed round of each first, as the browser series had its warm-up.
    for run in 0..=runs {
        let order = Order::new(format!("BENCHDIRECT{run}"), Fen(1), "bench")
            .with_qr_code_type(QrCodeType::Wechatpay)
            .with_notify_url(format!("{}/v1/notify/payzero", stack.edge_url));
        let started = Instant::now();
        let answer = http
            .post(format!("{}/payzero/order/createAndQrCode", stack.sandbox_url))
            .bearer_auth(&token)
            .json(&order)
            .send()
            .await?;
        ensure!(answer.status() == 200, "the sandbox answered {}", answer.status());
        answer.bytes().await?;
        let direct_ms = started.elapsed().as_secs_f64() * 1000.0;

        let session: SessionCreated = http
            .post(format!("{}/v1/sessions", stack.edge_url))
            .bearer_auth(&stack.creds.merchant_key)
            .json(&CreateSessionRequest::new(Fen(1), "bench", format!("BENCH-E{run}")))
            .send()
            .await?
            .json()
            .await?;
        let started = Instant::now();
        let answer = http
            .post(format!("{}/v1/checkout/qr", stack.edge_url))
            .bearer_auth(&session.client_secret)
            .json(&serde_json::json!({"method": "payzero_qr", "channel": "wechat_pay"}))
            .send()
            .await?;
        ensure!(answer.status() == 200, "the edge answered {}", answer.status());
        answer.bytes().await?;
        let through_ms = started.elapsed().as_secs_f64() * 1000.0;

        // Where the edge's time goes: a request the worker answers alone (`/health`), and one
        // that asks the session object and nothing upstream (the checkout view).
        let started = Instant::now();
        http.get(format!("{}/health", stack.edge_url)).send().await?.bytes().await?;
        let floor_ms = started.elapsed().as_secs_f64() * 1000.0;
        let started = Instant::now();
        let view = http
            .get(format!("{}/v1/checkout", stack.edge_url))
            .bearer_auth(&session.client_secret)
            .send()
            .await?;
        ensure!(view.status() == 200, "the view answered {}", view.status());
        view.bytes().await?;
        let one_object_ms = started.elapsed().as_secs_f64() * 1000.0;
        if run > 0 {
            direct.push(direct_ms);
            through.push(through_ms);
            floor.push(floor_ms);
            one_object.push(one_object_ms);
        }
    }
    let n = direct.len();
    let (direct, through) = (median(direct), median(through));
    println!(
        "a Payzero QR order, {n} of each: sandbox directly median {direct:.1} ms, through the edge median {through:.1} ms; the edge adds {:.1} ms",
        through - direct
    );
    println!(
        "  under wrangler dev, same run: a request the worker answers alone (GET /health) median {:.1} ms; one session-object call (GET /v1/checkout) median {:.1} ms",
        median(floor),
        median(one_object)
    );
    Ok(())
}

async fn series(
    stack: &Stack,
    http: &reqwest::Client,
    browser: &Browser,
    way: Way,
    runs: usize,
) -> Result<()> {
    let client = &browser.client;
    let (name, tag) = match way {
        Way::OpenedForWallet => ("page opened for WeChat Pay (?channel=wechat_pay), no click", "W"),
        Way::Picked => ("WeChat Pay picked on the page (incl. the click over WebDriver)", "P"),
    };
    println!("{name}:");
    if let Way::OpenedForWallet = way {
        first_paint_holds_the_qr(stack, http).await?;
    }
    let mut times = Vec::with_capacity(runs);
    let mut to_paid = Vec::with_capacity(runs);
    let mut breakdown: Vec<Vec<f64>> = vec![Vec::new(); STEPS.len()];
    // One warm-up load so the first measured run is not paying for workerd's first compile.
    for run in 0..=runs {
        let session: SessionCreated = http
            .post(format!("{}/v1/sessions", stack.edge_url))
            .bearer_auth(&stack.creds.merchant_key)
            .json(&CreateSessionRequest::new(Fen(1), "bench", format!("BENCH-{tag}{run}")))
            .send()
            .await?
            .json()
            .await?;
        // Every run starts from a blank tab, as a shopper comes from the shop's page: a previous
        // checkout page's open status wait would otherwise be torn down during the navigation.
        client.goto("about:blank").await?;
        match way {
            Way::OpenedForWallet => client.goto(&format!("{}?channel=wechat_pay", session.url)).await?,
            Way::Picked => {
                client.goto(&session.url).await?;
                client
                    .wait()
                    .at_most(Duration::from_secs(15))
                    .for_element(Locator::Css("button[data-channel=\"WECHATPAY\"]"))
                    .await?
                    .click()
                    .await?;
            }
        }
        client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css("[data-testid=\"qr\"] svg"))
            .await?;
        // Everything is read from the page's own performance timeline after the QR is drawn, so
        // no WebDriver round trip is inside a measured step (the click's own latency shows as
        // the gap between `view` and `qr_request`).
        let figures = client.execute(TIMELINE, vec![]).await?;
        let Some(widget_drawn) = figures.get("drawn").and_then(|v| v.as_f64()) else {
            bail!("the widget set no checkout:qr-visible mark")
        };
        // A page opened for a wallet carries the QR drawn by the edge (checked below, on a page
        // of its own): it is visible at the first paint. A page with the picker shows it when
        // the widget draws it after the click.
        let drawn = match way {
            Way::OpenedForWallet => {
                figures.get("paint").and_then(|v| v.as_f64()).context("no first-contentful-paint entry")?
            }
            Way::Picked => widget_drawn,
        };
        let paid = match way {
            Way::OpenedForWallet => Some(notification_to_paid(stack, http, browser, &session.id).await?),
            Way::Picked => None,
        };
        if run > 0 {
            to_paid.extend(paid);
            let steps: Vec<Option<f64>> =
                STEPS.iter().map(|(key, _)| figures.get(*key).and_then(|v| v.as_f64())).collect();
            let line: Vec<String> = STEPS
                .iter()
                .zip(&steps)
                .map(|((_, label), ms)| format!("{label} {}", ms.map_or("-".into(), |ms| format!("{ms:.0}"))))
                .collect();
            let paid = paid.map_or(String::new(), |ms| format!("; notification → paid {ms:.0} ms"));
            println!("run {run:>3}: {drawn:.0} ms ({}){paid}", line.join(", "));
            times.push(drawn);
            for (column, ms) in breakdown.iter_mut().zip(steps) {
                column.extend(ms);
            }
        }
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "navigation → visible QR, {name}: median {median:.0} ms, min {:.0} ms, max {:.0} ms over {} runs",
        times[0],
        times[times.len() - 1],
        times.len()
    );
    println!("where the time goes (median ms after navigation start):");
    for ((_, label), column) in STEPS.iter().zip(&mut breakdown) {
        column.sort_by(f64::total_cmp);
        match column.get(column.len() / 2) {
            Some(ms) => println!("  {label:<24} {ms:>6.0}"),
            None => println!("  {label:<24}      -"),
        }
    }
    if !to_paid.is_empty() {
        let n = to_paid.len();
        to_paid.sort_by(f64::total_cmp);
        println!(
            "notification sent to the edge → paid screen in the page: median {:.0} ms, min {:.0} ms, max {:.0} ms over {n} runs",
            to_paid[n / 2],
            to_paid[0],
            to_paid[n - 1]
        );
    }
    Ok(())
}

/// Checks, on a session of its own (so the timed loads still wait for their QR to be issued),
/// that a page opened for a wallet arrives with the QR drawn into it: the first paint shows it.
async fn first_paint_holds_the_qr(stack: &Stack, http: &reqwest::Client) -> Result<()> {
    let session: SessionCreated = http
        .post(format!("{}/v1/sessions", stack.edge_url))
        .bearer_auth(&stack.creds.merchant_key)
        .json(&CreateSessionRequest::new(Fen(1), "bench", "BENCH-FIRST-PAINT"))
        .send()
        .await?
        .json()
        .await?;
    let html = http.get(format!("{}?channel=wechat_pay", session.url)).send().await?.text().await?;
    ensure!(
        html.contains(r#"data-testid="qr-first-paint""#) && html.contains("<svg"),
        "the page opened for a wallet does not carry its QR: the first paint would not show it"
    );
    Ok(())
}

/// Pays the session's first Payzero order in the sandbox and returns the milliseconds from the
/// sandbox sending its signed notification to the edge (its delivery's due time, taken when the
/// payment is made; the attempt is spawned at once, on loopback) to the widget's paid screen
/// entering the page (a `MutationObserver` installed beforehand). The widget hears of the
/// payment only through its status long-poll, so this is the edge verifying the notice,
/// changing the session, answering the waiting long-poll, and the widget drawing the screen.
async fn notification_to_paid(
    stack: &Stack,
    http: &reqwest::Client,
    browser: &Browser,
    session_id: &str,
) -> Result<f64> {
    let client = &browser.client;
    client.execute(WATCH_PAID, vec![]).await?;
    let order_no = format!("{session_id}_0");
    let paid =
        http.post(format!("{}/__admin/payzero/orders/{order_no}/pay", stack.sandbox_url)).send().await?;
    ensure!(paid.status().is_success(), "the sandbox's pay control answered {}", paid.status());
    client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("[data-testid=\"paid\"]"))
        .await
        .context("no paid screen after the sandbox's notification")?;
    let seen = client.execute("return window.__cePaidAt;", vec![]).await?;
    let seen = seen.as_f64().context("the paid screen's time was not recorded")?;
    let attempts: Value = http
        .get(format!("{}/__admin/notifications?subject={order_no}", stack.sandbox_url))
        .send()
        .await?
        .json()
        .await?;
    let sent = attempts
        .as_array()
        .and_then(|list| list.first())
        .and_then(|a| a["at_ms"].as_f64())
        .context("the sandbox recorded no notification for the order")?;
    Ok(seen - sent)
}

/// The phone profile: Chromium emulating a phone (Android Chrome's user agent, 390 CSS pixels
/// wide at 3×, touch), with the DevTools protocol's `Network.emulateNetworkConditions` (150 ms
/// round trip, 1.6 Mbit/s down, 750 kbit/s up: Lighthouse's mobile figures) and
/// `Emulation.setCPUThrottlingRate` 4, and the browser's cache cleared before every load. Each
/// load is read back from the page: the first contentful paint, the frame in which each thing
/// first appears (a `MutationObserver` installed before the page's own scripts, which notes the
/// next animation frame after the element enters the DOM), and every response's transfer size.
mod phone {
    use super::median;
    use anyhow::{Context, Result, ensure};
    use checkout_shared::Fen;
    use checkout_shared::api::{CreateSessionRequest, SessionCreated};
    use checkout_tests::{Browser, Stack, user_agent};
    use serde_json::json;
    use std::time::{Duration, Instant};

    /// Installed before any script of each new page: notes, per selector, the start of the first
    /// animation frame after a matching element is in the DOM (the frame that paints it).
    const WATCH: &str = r#"
window.__ceSeen = {};
(function () {
  var wanted = {
    qr: '[data-testid="qr"] svg, [data-testid="qr"] img, [data-testid="qr-first-paint"] svg',
    picker: 'button[data-channel]',
    usable: 'section.ce[lang] > .ce-panel:not(.ce-loading)'
  };
  var pending = {};
  function check() {
    for (var key in wanted) {
      if (!(key in window.__ceSeen) && !pending[key] && document.querySelector(wanted[key])) {
        pending[key] = true;
        (function (key) {
          requestAnimationFrame(function (frame) { window.__ceSeen[key] = frame; });
        })(key);
      }
    }
  }
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
})();"#;

    /// One load's figures, read once the widget is usable.
    const READ: &str = r#"
const paint = performance.getEntriesByName('first-contentful-paint');
const seen = window.__ceSeen || {};
const usable = seen.usable;
let bytes = 0;
for (const e of performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))) {
  if (usable !== undefined && e.responseEnd <= usable) bytes += e.transferSize;
}
return { paint: paint.length ? paint[0].startTime : null, qr: seen.qr ?? null, picker: seen.picker ?? null,
         usable: usable ?? null, bytes };"#;

    /// How the page is opened.
    #[derive(Clone, Copy)]
    enum Page {
        /// For one wallet (`?channel=alipay`): the edge draws its QR into the page.
        Wallet,
        /// Plain: the picker.
        Picker,
    }

    pub(super) async fn measure(stack: &Stack, runs: usize) -> Result<()> {
        let http = reqwest::Client::new();
        let browser = Browser::phone_direct(&stack.state_dir, user_agent::ANDROID_CHROME).await?;
        browser.cdp("Network.enable", json!({})).await?;
        browser.cdp("Page.enable", json!({})).await?;
        browser.cdp("Page.addScriptToEvaluateOnNewDocument", json!({"source": WATCH})).await?;
        browser
            .cdp(
                "Network.emulateNetworkConditions",
                json!({
                    "offline": false,
                    "latency": 150,
                    "downloadThroughput": 1.6 * 1024.0 * 1024.0 / 8.0,
                    "uploadThroughput": 750.0 * 1024.0 / 8.0,
                }),
            )
            .await?;
        browser.cdp("Emulation.setCPUThrottlingRate", json!({"rate": 4})).await?;
        println!(
            "phone profile: Android Chrome user agent, 390 px at 3x, touch; RTT 150 ms, 1.6 Mbit/s down, 750 kbit/s up; CPU 4x slower; cache cleared before each load; {runs} loads of each page after one warm-up"
        );
        for page in [Page::Wallet, Page::Picker] {
            series(stack, &http, &browser, page, runs).await?;
        }
        browser.close().await
    }

    async fn series(
        stack: &Stack,
        http: &reqwest::Client,
        browser: &Browser,
        page: Page,
        runs: usize,
    ) -> Result<()> {
        let (name, tag, figures): (&str, &str, &[(&str, &str)]) = match page {
            Page::Wallet => (
                "page opened for Alipay (?channel=alipay)",
                "MW",
                &[("qr", "QR first paint"), ("usable", "widget usable"), ("bytes", "bytes until usable")],
            ),
            Page::Picker => (
                "page with the picker",
                "MP",
                &[
                    ("picker", "picker on screen"),
                    ("usable", "widget usable"),
                    ("bytes", "bytes until usable"),
                ],
            ),
        };
        println!("{name}:");
        let mut columns: Vec<Vec<f64>> = vec![Vec::new(); figures.len()];
        for run in 0..=runs {
            let session: SessionCreated = http
                .post(format!("{}/v1/sessions", stack.edge_url))
                .bearer_auth(&stack.creds.merchant_key)
                .json(&CreateSessionRequest::new(Fen(1), "bench", format!("BENCH-{tag}{run}")))
                .send()
                .await?
                .json()
                .await?;
            let client = &browser.client;
            client.goto("about:blank").await?;
            browser.cdp("Network.clearBrowserCache", json!({})).await?;
            let url = match page {
                Page::Wallet => format!("{}?channel=alipay", session.url),
                Page::Picker => session.url.clone(),
            };
            client.goto(&url).await?;
            // Bounded: the throttled load takes a few seconds.
            let deadline = Instant::now() + Duration::from_secs(60);
            let read = loop {
                let read = client.execute(READ, vec![]).await?;
                // A whole number of milliseconds comes as an integer: `as_f64` takes both.
                if read["usable"].as_f64().is_some() {
                    break read;
                }
                ensure!(Instant::now() < deadline, "the widget was not usable within 60 s: {read}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            };
            let paint = read["paint"].as_f64().context("no first contentful paint")?;
            // Something in the DOM before the first paint is on screen at the first paint.
            let on_screen =
                |key: &str| read[key].as_f64().map(|ms| if key == "bytes" { ms } else { ms.max(paint) });
            let values: Vec<Option<f64>> = figures.iter().map(|(key, _)| on_screen(key)).collect();
            if run > 0 {
                let line: Vec<String> = figures
                    .iter()
                    .zip(&values)
                    .map(|((key, label), v)| match (v, *key) {
                        (Some(v), "bytes") => format!("{label} {:.1} KB", v / 1024.0),
                        (Some(v), _) => format!("{label} {v:.0} ms"),
                        (None, _) => format!("{label} -"),
                    })
                    .collect();
                println!("run {run:>3}: first contentful paint {paint:.0} ms, {}", line.join(", "));
                for (column, v) in columns.iter_mut().zip(values) {
                    column.extend(v);
                }
            }
        }
        for ((key, label), column) in figures.iter().zip(columns) {
            let n = column.len();
            let m = median(column);
            if *key == "bytes" {
                println!("  {label:<20} median {:>7.1} KB over {n} cold loads", m / 1024.0);
            } else {
                println!("  {label:<20} median {m:>7.0} ms over {n} cold loads");
            }
        }
        Ok(())
    }
}
