//! Measures navigation → visible QR on the hosted page: for each run, a fresh session, a fresh
//! page load, a click on WeChat Pay, and the time from `navigationStart` to the widget's
//! `checkout:qr-visible` performance mark. Prints each run and the median.

use anyhow::{Context, Result, bail};
use checkout_shared::Fen;
use checkout_shared::api::{CreateSessionRequest, SessionCreated};
use checkout_tests::{Browser, Stack};
use fantoccini::Locator;
use std::time::Duration;

fn main() -> Result<()> {
    let mut runs: usize = 15;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--runs" {
            runs = args.next().context("--runs needs a number")?.parse()?;
        }
    }
    let runs = runs.clamp(1, 200);
    let stack = Stack::start()?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = rt.block_on(measure(&stack, runs));
    if result.is_err() {
        eprintln!("{}", stack.logs());
    }
    result
}

async fn measure(stack: &Stack, runs: usize) -> Result<()> {
    let http = reqwest::Client::new();
    let browser = Browser::start(&stack.state_dir, 420, 900).await?;
    let client = &browser.client;
    let mut times = Vec::with_capacity(runs);
    // One warm-up load so the first measured run is not paying for workerd's first compile.
    for run in 0..=runs {
        let session: SessionCreated = http
            .post(format!("{}/v1/sessions", stack.edge_url))
            .bearer_auth(&stack.creds.merchant_key)
            .json(&CreateSessionRequest::new(Fen(1), "bench", format!("BENCH-{run}")))
            .send()
            .await?
            .json()
            .await?;
        client.goto(&session.url).await?;
        client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css("button[data-channel=\"WECHATPAY\"]"))
            .await?
            .click()
            .await?;
        client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css("[data-testid=\"qr\"] svg"))
            .await?;
        let mark = client
            .execute(
                "const m = performance.getEntriesByName('checkout:qr-visible'); return m.length ? m[0].startTime : null;",
                vec![],
            )
            .await?;
        let Some(ms) = mark.as_f64() else { bail!("the widget set no checkout:qr-visible mark") };
        if run > 0 {
            println!("run {run:>3}: {ms:.0} ms");
            times.push(ms);
        }
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "navigation → visible QR (incl. the click on WeChat Pay and the upstream QR call): median {median:.0} ms, min {:.0} ms, max {:.0} ms over {} runs",
        times[0],
        times[times.len() - 1],
        times.len()
    );
    browser.close().await?;
    Ok(())
}
