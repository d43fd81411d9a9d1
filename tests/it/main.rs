//! End-to-end tests through the real runtime: the sandbox as upstream, the edge under
//! `wrangler dev` (workerd), the demo shop, and headless Chromium as the shopper. Run them with
//! `cargo xtask test`, which builds the widget and the worker first.

mod answers;
mod api;
mod attacks;
mod backoffice;
mod browser;
mod card_ui;
mod cards;
mod cashier;
mod demo;
mod drills;
mod faults;
mod fuzz_api;
mod gateways;
mod merchant;
mod payzero_rules;
mod phone;
mod refunds;
mod restarts;
mod scan;
mod secrets;
mod terminal;
mod webhooks;

use checkout_tests::{Setup, Stack};
use std::rc::Rc;
use std::sync::{Mutex, MutexGuard};

/// The stack is costly to start (workerd) and the machine has two cores: tests take turns, each
/// with a fresh stack of its own.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs an async scenario against a fresh stack, printing the services' logs if it fails.
fn with_stack<F, Fut>(scenario: F)
where
    F: FnOnce(Rc<Stack>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    with_stack_setup(&Setup::default(), scenario)
}

/// `with_stack` for a stack set up otherwise (live mode, rotated keys).
#[expect(clippy::expect_used, reason = "test harness: failing to start is the test's failure")]
fn with_stack_setup<F, Fut>(setup: &Setup, scenario: F)
where
    F: FnOnce(Rc<Stack>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let _guard = serial();
    let stack = Rc::new(Stack::start_with(setup).expect("starting the stack"));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let result = runtime.block_on(scenario(stack.clone()));
    drop(runtime);
    // Whatever the scenario did, every answer was as documented, and nothing it typed or
    // configured leaked into a log or a webhook.
    let result = result
        .and_then(|()| answers::as_documented(&stack))
        .and_then(|()| scan::no_leak_in_logs_webhooks_or_browsers(&stack));
    if let Err(e) = result {
        panic!("{e:#}\n\n{}", stack.logs());
    }
}
