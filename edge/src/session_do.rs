//! `CheckoutSession`: one Durable Object per checkout session, a thin loop around the sans-IO
//! core in `checkout_shared::session`: load → `handle` → while `poll_call` { save and wait, sign
//! and send, `handle` the answer } → save (left to the output gate) with the alarm at
//! `poll_timeout`. Every decision is in the core; this file only moves bytes, reads credentials
//! and wakes status waiters. A call is saved as sent before it goes out, so an eviction mid-call
//! never sends a payment twice; a request that changed nothing writes nothing.

use crate::config;
use crate::customer_do;
use crate::error::{self, EdgeError};
use crate::objects;
use crate::payzero_auth;
use crate::sms_limiter_do;
use crate::terminal_do;
use crate::undelivered_do;
use crate::upstream;
use checkout_shared::api::{
    BarcodeRequest, Channel, CheckoutView, ClockAnswer, ErrorCode, EventList, PaymentMethod, QrRequest,
    RefundRequest,
};
use checkout_shared::gateway::payzero::{CachedToken, Endpoints};
use checkout_shared::gateway::{self, Answer, Op, Upstream};
use checkout_shared::payzero::MsgType;
use checkout_shared::session::{
    self, Accepted, CardInput, Event, Input, LONG_POLL_MS, MAX_STATUS_WAITS, Outgoing, QUERY_INTERVAL_MS,
    Refusal, Session, Status,
};
use checkout_shared::sign;
use futures_util::future::{join3, select};
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::pin::pin;
use std::time::Duration;
use worker::js_sys;
use worker::wasm_bindgen::JsValue;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{
    Delay, DurableObject, Env, Request, Response, State, console_error, console_log, durable_object,
};

const BINDING: &str = "CHECKOUT_SESSION";
const STORAGE_KEY: &str = "session";
/// Test mode only: how far this session's clock was moved ahead (`POST …/test/clock`).
const CLOCK_KEY: &str = "clock_offset_ms";
/// The most a test may move a session's clock in one step: a day.
const MAX_CLOCK_STEP_SECS: u64 = 86_400;

/// A request from the worker to one session object: the one serialised call enum between them.
/// Bodies were size-checked and parsed by the worker.
#[derive(Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub(crate) enum SessionCall {
    Create {
        session: Box<Session>,
    },
    MerchantView,
    Cancel,
    /// The merchant reads the session's events and their delivery.
    Events,
    /// The merchant asks for an event to be delivered again.
    ResendEvent {
        event_id: String,
    },
    /// The merchant refunds (part of) the payment; the worker checked the body's shape.
    Refund {
        request: RefundRequest,
    },
    /// The merchant reads refund `index`.
    RefundView {
        index: u32,
    },
    View {
        secret: String,
    },
    /// The hosted page's view: for a page opened for one wallet (`?channel=`, `?method=`), with
    /// that wallet's QR issued first when `CheckoutView::qr_to_issue` says so, in one call.
    PageView {
        secret: String,
        wallet: Option<(Option<PaymentMethod>, Channel)>,
    },
    Qr {
        secret: String,
        request: QrRequest,
    },
    Barcode {
        secret: String,
        request: BarcodeRequest,
        /// `CF-Connecting-IP` of the request.
        #[serde(default)]
        client_ip: Option<String>,
    },
    Status {
        secret: String,
        since: u64,
    },
    Simulate {
        secret: String,
    },
    /// A shopper's bank-card request; the worker checked the body's size and shape.
    Card {
        secret: String,
        input: CardInput,
    },
    /// Test mode: moves this session's clock ahead (the sandbox's clock is moved separately).
    Clock {
        secret: String,
        advance_secs: u64,
    },
    /// A Payzero notification, exactly as received (it is verified again here).
    Notify {
        raw: String,
    },
}

/// Sends `call` to the session object named `session_id` and returns its answer as is.
pub(crate) async fn call(env: &Env, session_id: &str, call: &SessionCall) -> Result<Response, EdgeError> {
    let body = serde_json::to_vec(call).map_err(|e| EdgeError::Internal(e.to_string()))?;
    objects::post(env, BINDING, session_id, "https://session.internal/call", &body).await
}

#[durable_object(alarm)]
pub struct CheckoutSession {
    state: State,
    env: Env,
    /// The session as last changed. Every change is made here first, synchronously, and then
    /// saved, so requests interleaving at `await`s always see the latest state.
    session: RefCell<Option<Session>>,
    /// The alarm time last set (unix ms), to skip needless `setAlarm` calls.
    alarm_at: Cell<Option<u64>>,
    /// The session's text as last written (or read), so a request that changed nothing writes
    /// nothing.
    saved: RefCell<Option<String>>,
    /// The Payzero token this object uses, so the global token cache is asked only when there is
    /// none or Payzero refused it.
    token: RefCell<Option<CachedToken>>,
    /// Status waits held now, and the senders that wake them when the session changes.
    waits: Cell<u32>,
    waiters: RefCell<Vec<futures_channel::oneshot::Sender<()>>>,
    /// Test mode: the session clock's lead over real time (ms); read with the session.
    clock_offset: Cell<u64>,
}

impl DurableObject for CheckoutSession {
    fn new(state: State, env: Env) -> Self {
        CheckoutSession {
            state,
            env,
            session: RefCell::new(None),
            alarm_at: Cell::new(None),
            saved: RefCell::new(None),
            token: RefCell::new(None),
            waits: Cell::new(0),
            waiters: RefCell::new(Vec::new()),
            clock_offset: Cell::new(0),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let body = req.bytes().await?;
        let call: SessionCall = match serde_json::from_slice(&body) {
            Ok(call) => call,
            Err(e) => return error::handle(Err(EdgeError::Internal(format!("session call: {e}")))),
        };
        if let SessionCall::Notify { raw } = call {
            return Ok(error::callback_response(self.notify(raw.as_bytes()).await));
        }
        error::handle(self.route(call).await)
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let result = async {
            if self.load().await?.is_none() {
                return Ok(());
            }
            // The alarm that fired is gone (whatever a load read of it); what comes next is set
            // anew.
            self.alarm_at.set(None);
            self.step_with(Input::Timer, true).await.map(|_| ())
        }
        .await;
        if let Err(e) = result {
            console_error!("session alarm: {e}");
            // Try again shortly rather than leave the session without an alarm.
            self.set_alarm(Some(self.now_ms() + 60_000)).await.ok();
        }
        Response::ok("")
    }
}

impl CheckoutSession {
    /// The session's clock: real time, plus the lead a test gave it (always 0 in live mode).
    fn now_ms(&self) -> u64 {
        config::now_ms().saturating_add(self.clock_offset.get())
    }

    async fn route(&self, call: SessionCall) -> Result<Response, EdgeError> {
        match call {
            SessionCall::Create { session } => self.create(*session).await,
            SessionCall::MerchantView => {
                self.current().await?;
                self.step(Input::Timer).await?;
                self.merchant_view(200)
            }
            SessionCall::Cancel => {
                self.current().await?;
                self.step(Input::Cancel).await?;
                let status = self.read(|s| s.status)?;
                // A shopper paid just before: the cancel is answered as refused.
                if status == Status::Paid {
                    return Err(Refusal::closed(status).into());
                }
                self.merchant_view(200)
            }
            SessionCall::Events => {
                self.current().await?;
                self.step(Input::Timer).await?;
                error::json(&EventList { data: self.read(|s| s.event_deliveries())? }, 200)
            }
            SessionCall::ResendEvent { event_id } => {
                self.current().await?;
                self.step(Input::ResendEvent { event_id: event_id.clone() }).await?;
                // The delivery itself goes out on the alarm, set to fire at once by the save.
                let events = self.read(|s| s.event_deliveries())?;
                match events.into_iter().find(|e| e.id == event_id) {
                    Some(event) => error::json(&event, 202),
                    None => Err(Refusal::new(ErrorCode::NotFound, "this session has no such event").into()),
                }
            }
            SessionCall::Refund { request } => {
                self.current().await?;
                let Accepted::Refund(index) = self.step(Input::Refund(request)).await? else {
                    return Err(busy());
                };
                match self.read(|s| s.refund_view(index))? {
                    Some(view) => error::json(&view, 201),
                    None => Err(busy()),
                }
            }
            SessionCall::RefundView { index } => {
                self.current().await?;
                self.step(Input::Timer).await?;
                match self.read(|s| s.refund_view(index))? {
                    Some(view) => error::json(&view, 200),
                    None => Err(Refusal::new(ErrorCode::NotFound, "no such refund").into()),
                }
            }
            SessionCall::View { secret } => {
                self.authorize(&secret).await?;
                self.step(Input::Timer).await?;
                error::json(&self.checkout_view().await?, 200)
            }
            SessionCall::PageView { secret, wallet } => {
                self.authorize(&secret).await?;
                self.step(Input::Timer).await?;
                let view = self.checkout_view().await?;
                let Some(request) =
                    wallet.and_then(|(method, channel)| view.qr_to_issue(method.as_ref(), &channel))
                else {
                    return error::json(&view, 200);
                };
                // A QR that cannot be issued leaves the page as it was (the picker).
                let shown =
                    self.step(Input::ShowQr { method: request.method, channel: request.channel }).await;
                let now = self.now_ms() / 1000;
                let issued = match shown {
                    Ok(Accepted::Attempt(index)) => {
                        matches!(self.with(|s| s.qr_result(index, now))?, Some(Ok(_)))
                    }
                    _ => false,
                };
                if !issued {
                    return error::json(&view, 200);
                }
                error::json(&self.checkout_view().await?, 200)
            }
            SessionCall::Card { secret, input } => {
                self.authorize(&secret).await?;
                self.card(input).await
            }
            SessionCall::Clock { secret, advance_secs } => {
                if !config::test_mode(&self.env) {
                    return Err(EdgeError::NotAvailable);
                }
                self.authorize(&secret).await?;
                let step = advance_secs.min(MAX_CLOCK_STEP_SECS) * 1000;
                let offset = self.clock_offset.get().saturating_add(step);
                self.state.storage().put(CLOCK_KEY, offset).await?;
                self.clock_offset.set(offset);
                // The alarm set is on real time, from the old offset: whatever is due next must
                // be set again (`u64::MAX` is never a due time, so the save always sets it).
                self.alarm_at.set(Some(u64::MAX));
                self.step(Input::Timer).await?;
                error::json(&ClockAnswer { now: self.now_ms() / 1000 }, 200)
            }
            SessionCall::Qr { secret, request } => {
                self.authorize(&secret).await?;
                let accepted =
                    self.step(Input::ShowQr { method: request.method, channel: request.channel }).await?;
                let Accepted::Attempt(index) = accepted else { return Err(busy()) };
                let now = self.now_ms() / 1000;
                let result = self.with(|s| s.qr_result(index, now))?;
                match result {
                    Some(Ok(qr)) => error::json(&qr, 200),
                    Some(Err(refusal)) => Err(refusal.into()),
                    None => Err(busy()),
                }
            }
            SessionCall::Barcode { secret, request, client_ip } => {
                self.authorize(&secret).await?;
                self.step(Input::Barcode { method: request.method, code: request.code, client_ip }).await?;
                let now = self.now_ms() / 1000;
                let update = self.read(|s| s.status_update(now))?;
                error::json(&update.barcode, 202)
            }
            SessionCall::Status { secret, since } => {
                self.authorize(&secret).await?;
                self.status(since).await
            }
            SessionCall::Simulate { secret } => {
                if !config::test_mode(&self.env) {
                    return Err(EdgeError::NotAvailable);
                }
                self.authorize(&secret).await?;
                let Accepted::Attempt(index) = self.step(Input::Simulate).await? else { return Err(busy()) };
                match self.with(|s| s.simulate_result(index))? {
                    Some(Ok(())) => error::json(&serde_json::json!({}), 202),
                    Some(Err(refusal)) => Err(refusal.into()),
                    None => Err(busy()),
                }
            }
            SessionCall::Notify { .. } => Err(EdgeError::NoRoute),
        }
    }

    // ----- the loop

    /// Hands `input` to the core, then makes the calls it asks for until none is due now. On a
    /// request (anything but the alarm), merchant webhooks are left to the alarm, which the save
    /// sets to fire at once for them: a slow merchant endpoint never holds a shopper's page.
    async fn step(&self, input: Input) -> Result<Accepted, EdgeError> {
        self.step_with(input, false).await
    }

    async fn step_with(&self, input: Input, webhooks_too: bool) -> Result<Accepted, EdgeError> {
        let before = self.read(|s| s.status)?;
        let accepted = self.with(|s| s.handle(input, self.now_ms()))?.map_err(EdgeError::Refused);
        // Even a refused input may have caught up with the clock (an expiry): run what is due.
        self.run_calls(webhooks_too).await?;
        // The one line an operator's alert keys on (docs/deploy.md): money needs a person.
        let (status, id, why) = self.read(|s| (s.status, s.id.clone(), s.attention.clone()))?;
        if status == session::Status::RequiresAttention && before != status {
            console_error!("ALERT requires_attention: session {id}: {}", why.unwrap_or_default());
        }
        accepted
    }

    async fn run_calls(&self, webhooks_too: bool) -> Result<(), EdgeError> {
        let wanted = |op: &Op| webhooks_too || !matches!(op, Op::Webhook { .. });
        loop {
            let outgoing = self.with(|s| s.poll_call_where(self.now_ms(), wanted))?;
            let Some(call) = outgoing else {
                // Nothing goes out: a request's write is left to the output gate, which holds its
                // answer; the alarm's end is no answer, so its writes are awaited.
                if webhooks_too {
                    self.save_now().await?
                } else {
                    self.save_behind()?
                }
                break;
            };
            // Saved before it is sent: after an eviction the call is known to be out.
            self.save_now().await?;
            let answer = self.send(&call).await;
            self.with(|s| s.handle(Input::Answer { call: call.id, answer }, self.now_ms()))?
                .map_err(EdgeError::Refused)?;
        }
        self.wake_waiters();
        Ok(())
    }

    /// Signs and sends one call; any failure to get an answer is an `Answer::Lost` for the core.
    async fn send(&self, call: &Outgoing) -> Answer {
        let result = match call.op.upstream() {
            Upstream::Payzero => self.send_payzero(call).await,
            Upstream::Shouqianba => match gateway::shouqianba::request(&call.op) {
                Some((path, body)) => terminal_do::send(&self.env, path, body).await,
                None => Err(EdgeError::Internal(format!("{:?} cannot be sent to Shouqianba", call.op))),
            },
            Upstream::Ezr => self.send_ezr(&call.op).await,
            Upstream::SandboxAdmin => self.send_sandbox(&call.op).await,
            Upstream::Merchant => self.send_webhook(&call.op).await,
            // The edge's own objects: their answers are already what the core reads.
            Upstream::SmsLimiter | Upstream::Customer | Upstream::UndeliveredEvents => {
                return match self.send_internal(&call.op).await {
                    Ok(answer) => answer,
                    Err(e) => {
                        console_error!("{:?}: {e}", call.op);
                        Answer::Lost(e.to_string())
                    }
                };
            }
        };
        match result {
            Ok(response) => response.into_answer(),
            Err(e) => {
                console_error!("{:?}: {e}", call.op);
                Answer::Lost(e.to_string())
            }
        }
    }

    async fn send_payzero(&self, call: &Outgoing) -> Result<upstream::UpstreamResponse, EdgeError> {
        let held = self.token.borrow().clone();
        // Gateway-facing times are real time, whatever a test did to the session's clock.
        let now = config::now_ms() / 1000;
        let token = match held {
            Some(t) if !call.fresh_token && t.is_fresh(now) => t,
            // The core asks for a fresh token after a 401/403: report the one that was refused.
            other => {
                let refused = if call.fresh_token { other.as_ref() } else { None };
                let t = payzero_auth::token(&self.env, refused).await?;
                *self.token.borrow_mut() = Some(t.clone());
                t
            }
        };
        let api_url = config::var(&self.env, "PAYZERO_API_URL")?;
        let notify_url =
            format!("{}/v1/notify/payzero", config::var(&self.env, "PUBLIC_BASE_URL")?.trim_end_matches('/'));
        let endpoints = Endpoints { api_url: &api_url, notify_url: &notify_url, sandbox_admin_url: "" };
        let request = gateway::payzero::build(&call.op, &endpoints, &token.secret())
            .ok_or_else(|| EdgeError::Internal(format!("{:?} is not a Payzero call", call.op)))?;
        upstream::send(&request).await.map_err(EdgeError::Upstream)
    }

    async fn send_ezr(&self, op: &Op) -> Result<upstream::UpstreamResponse, EdgeError> {
        let api_url = config::var(&self.env, "EZR_API_URL")?;
        let app_id = config::var(&self.env, "EZR_APP_ID")?;
        let shop_code = config::var(&self.env, "EZR_SHOP_CODE")?;
        let token = config::secret(&self.env, "EZR_TOKEN")?;
        let terminal_id = config::optional_var(&self.env, "EZR_TERMINAL_ID")
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| gateway::ezr::DEFAULT_TERMINAL_ID.to_owned());
        let creds = gateway::ezr::Credentials {
            api_url: &api_url,
            app_id: &app_id,
            shop_code: &shop_code,
            terminal_id: &terminal_id,
            token: &token,
        };
        let request = gateway::ezr::build(op, &creds, config::now_ms())
            .ok_or_else(|| EdgeError::Internal(format!("{op:?} is not an EZR call")))?;
        upstream::send(&request).await.map_err(EdgeError::Upstream)
    }

    async fn send_sandbox(&self, op: &Op) -> Result<upstream::UpstreamResponse, EdgeError> {
        let Op::SandboxPay { gateway, order_no } = op else {
            return Err(EdgeError::Internal(format!("{op:?} is not a sandbox control")));
        };
        if !config::test_mode(&self.env) {
            return Err(EdgeError::NotAvailable);
        }
        let admin_url = config::var(&self.env, "SANDBOX_ADMIN_URL")?;
        let request = gateway::payzero::sandbox_pay(&admin_url, gateway.as_str(), order_no);
        upstream::send(&request).await.map_err(EdgeError::Upstream)
    }

    async fn send_internal(&self, op: &Op) -> Result<Answer, EdgeError> {
        match op {
            Op::SmsPermit { key, .. } => sms_limiter_do::permit(&self.env, key, self.now_ms()).await,
            Op::CustomerCard { customer, request } => customer_do::send(&self.env, customer, request).await,
            Op::UndeliveredEvent { request } => {
                if let checkout_shared::undelivered::LedgerRequest::GaveUp { event } = request {
                    // The line an operator's alert keys on (docs/deploy.md): an event no retry delivered.
                    console_error!(
                        "ALERT webhook_given_up: event {} ({}) of session {} after {} attempts",
                        event.id,
                        event.kind,
                        event.session_id,
                        event.attempts
                    );
                }
                undelivered_do::send(&self.env, request).await
            }
            other => Err(EdgeError::Internal(format!("{other:?} is not for an object of ours"))),
        }
    }

    // ----- bank cards

    /// A card request: the customer's saved card is looked up for a payment with one or its
    /// removal, then the core decides; the answer is the card step as the shopper sees it.
    async fn card(&self, mut input: CardInput) -> Result<Response, EdgeError> {
        if let Some(customer) = self.read(|s| s.card_customer().map(str::to_owned))? {
            match &mut input {
                CardInput::Pay { card_id, saved, .. } => {
                    *saved = customer_do::get(&self.env, &customer, card_id).await?.map(Box::new);
                }
                CardInput::Remove { card_id, saved } => {
                    *saved = customer_do::get(&self.env, &customer, card_id).await?.is_some();
                }
                _ => {}
            }
        }
        let remove = matches!(input, CardInput::Remove { .. });
        let accepted = self.step(Input::Card(input)).await?;
        if remove {
            return Ok(Response::empty()?.with_status(204));
        }
        if accepted != Accepted::Card {
            return Err(busy());
        }
        let now = self.now_ms() / 1000;
        match self.with(|s| s.card_result(now))? {
            Some(Ok(view)) => error::json(&view, 200),
            Some(Err(refusal)) => Err(refusal.into()),
            None => Err(busy()),
        }
    }

    /// The session as the shopper's page sees it.
    async fn checkout_view(&self) -> Result<CheckoutView, EdgeError> {
        let test_mode = config::test_mode(&self.env);
        let customer_cards = self.customer_cards().await;
        let now = self.now_ms() / 1000;
        self.read(|s| s.checkout_view(test_mode, now, &customer_cards))
    }

    /// The session customer's saved cards for the view; a failure to read them leaves the list
    /// empty rather than the page broken.
    async fn customer_cards(&self) -> Vec<checkout_shared::api::SavedCard> {
        let Ok(Some(customer)) = self.read(|s| s.card_customer().map(str::to_owned)) else {
            return Vec::new();
        };
        match customer_do::list(&self.env, &customer).await {
            Ok(cards) => cards,
            Err(e) => {
                console_error!("saved cards of a customer: {e}");
                Vec::new()
            }
        }
    }

    async fn send_webhook(&self, op: &Op) -> Result<upstream::UpstreamResponse, EdgeError> {
        let Op::Webhook { event_id } = op else {
            return Err(EdgeError::Internal(format!("{op:?} is not a webhook")));
        };
        let (notify_url, event) =
            self.read(|s| (s.params.notify_url.clone(), s.webhook_event(event_id).cloned()))?;
        let (Some(notify_url), Some(event)) = (notify_url, event) else {
            return Err(EdgeError::Internal(format!("webhook {event_id} has no event or URL")));
        };
        let secrets = config::secrets(&self.env, "WEBHOOK_SECRET")?;
        let request = session::webhook_delivery(&notify_url, &secrets, &event, config::now_ms() / 1000);
        let answer = upstream::send(&request).await.map_err(EdgeError::Upstream)?;
        if !answer.is_success() {
            console_log!("webhook {event_id}: HTTP {}", answer.status);
        }
        Ok(answer)
    }

    // ----- status waits

    async fn status(&self, since: u64) -> Result<Response, EdgeError> {
        if self.waits.get() >= MAX_STATUS_WAITS {
            return Err(Refusal {
                retry_after: Some(1),
                ..Refusal::new(ErrorCode::RateLimited, "too many status waits on this session")
            }
            .into());
        }
        self.waits.set(self.waits.get() + 1);
        let result = self.wait_for_change(since).await;
        self.waits.set(self.waits.get() - 1);
        result
    }

    async fn wait_for_change(&self, since: u64) -> Result<Response, EdgeError> {
        let deadline = self.now_ms() + LONG_POLL_MS;
        loop {
            let now = self.now_ms();
            // A query is started only if it can time out before the deadline, so the long-poll
            // never overruns its limit; the next poll queries instead.
            let input = if deadline.saturating_sub(now) >= upstream::TIMEOUT.as_millis() as u64 {
                Input::Wait
            } else {
                Input::Timer
            };
            self.step(input).await?;
            let now = self.now_ms() / 1000;
            let update = self.read(|s| s.status_update(now))?;
            if update.version > since || self.now_ms() >= deadline {
                return error::json(&update, 200);
            }
            // Woken by a change, or after the query interval to ask the gateway again.
            let (sender, receiver) = futures_channel::oneshot::channel();
            {
                let mut waiters = self.waiters.borrow_mut();
                // Waits that ended (answered, or their client gone) leave their sender behind.
                waiters.retain(|w| !w.is_canceled());
                waiters.push(sender);
            }
            let nap = QUERY_INTERVAL_MS.min(deadline.saturating_sub(self.now_ms()));
            let _ = select(receiver, pin!(Delay::from(Duration::from_millis(nap)))).await;
        }
    }

    fn wake_waiters(&self) {
        let mut changed = false;
        while let Ok(Some(Event::Changed(_))) = self.with(Session::poll_event) {
            changed = true;
        }
        if changed {
            for waiter in self.waiters.borrow_mut().drain(..) {
                let _ = waiter.send(());
            }
        }
    }

    // ----- notifications

    /// Records a Payzero notification the worker routed here. It is verified again, so this
    /// handler, like every callback handler, works only on a `Verified` value.
    async fn notify(&self, raw: &[u8]) -> Result<(), EdgeError> {
        let token = config::secret(&self.env, "PAYZERO_SIGN_TOKEN")?;
        let verified = sign::verify_payzero_notification(raw, &token)
            .map_err(|e| EdgeError::InvalidSignature(e.to_string()))?;
        let order = verified
            .order_result()
            .map_err(|e| EdgeError::InvalidSignature(format!("signed but unreadable msgBody: {e}")))?;
        // Not this session's order (a session that does not exist, or a shop order number this
        // session never used): 404, and the worker asks the next session that may have it.
        if self.load().await?.is_none() || !self.read(|s| s.has_order(&order.mcht_order_no))? {
            return Err(EdgeError::NotFound);
        }
        let digest = session::notice_digest(raw);
        let msg_type: MsgType = verified.get().msg_type.clone();
        let input = Input::Notice { digest, msg_type, order: Box::new(order) };
        // Recorded by the core, saved, and answered: the confirming queryOrder (and anything else
        // it queued) runs on the alarm, which the save sets to fire at once, so a slow queryOrder
        // never holds Payzero's request (§3.1: it waits 5 s). The write is left to the output
        // gate, which holds the `OK` until it is durable.
        self.with(|s| s.handle(input, self.now_ms()))?.map_err(EdgeError::Refused)?;
        self.save_behind()
    }

    // ----- state

    async fn load(&self) -> Result<Option<()>, EdgeError> {
        if self.session.borrow().is_some() {
            return Ok(Some(()));
        }
        let storage = self.state.storage();
        // Read at once: the session, its alarm (so a request after a cold start does not set
        // the same alarm again) and, in test mode, its clock offset.
        let offset = async {
            if config::test_mode(&self.env) { storage.get::<u64>(CLOCK_KEY).await } else { Ok(None) }
        };
        let (stored, alarm, offset) =
            join3(storage.get::<String>(STORAGE_KEY), storage.get_alarm(), offset).await;
        let (stored, alarm, offset) = (stored?, alarm?, offset?.unwrap_or(0));
        let Some(text) = stored else { return Ok(None) };
        let loaded = session::load(text.as_bytes())
            .map_err(|e| EdgeError::Internal(format!("stored session: {e}")))?;
        // Another request may have loaded (and changed) it while we awaited storage.
        let mut slot = self.session.borrow_mut();
        if slot.is_none() {
            *slot = Some(loaded);
            self.clock_offset.set(offset);
            // The runtime's alarm is on real time; `alarm_at` on the session's clock.
            self.alarm_at.set(alarm.map(|real| (real.max(0) as u64).saturating_add(offset)));
            *self.saved.borrow_mut() = Some(text);
        }
        Ok(Some(()))
    }

    async fn current(&self) -> Result<(), EdgeError> {
        self.load().await?.ok_or(EdgeError::NotFound)
    }

    /// Runs `f` on the loaded session.
    fn with<T>(&self, f: impl FnOnce(&mut Session) -> T) -> Result<T, EdgeError> {
        let mut slot = self.session.borrow_mut();
        slot.as_mut().map(f).ok_or(EdgeError::NotFound)
    }

    fn read<T>(&self, f: impl FnOnce(&Session) -> T) -> Result<T, EdgeError> {
        self.session.borrow().as_ref().map(f).ok_or(EdgeError::NotFound)
    }

    /// Writes the session if it changed, and its alarm if it moved, and waits until both are
    /// durable: a call is about to go out, and must be known as sent first.
    async fn save_now(&self) -> Result<(), EdgeError> {
        // Issued together, so the wait is for the slower of the two, not their sum.
        for write in self.issue_writes()? {
            JsFuture::from(write).await.map_err(worker::Error::from)?;
        }
        Ok(())
    }

    /// The same writes, left to the object's output gate: the runtime holds the answer (and
    /// anything else the object sends) until they are durable, so no one hears of a change that
    /// could still be lost, and a write that fails resets the object and fails the answer.
    fn save_behind(&self) -> Result<(), EdgeError> {
        self.issue_writes().map(drop)
    }

    /// Starts the writes a save needs, synchronously: the session's text unless it is what was
    /// last written (a request that changed nothing writes nothing), the alarm if it moved.
    fn issue_writes(&self) -> Result<Vec<js_sys::Promise>, EdgeError> {
        let (text, next_alarm) = self.read(|s| (serde_json::to_string(s), s.poll_timeout()))?;
        let text = text.map_err(|e| EdgeError::Internal(format!("session: {e}")))?;
        let mut writes = Vec::new();
        if self.saved.borrow().as_deref() != Some(text.as_str()) {
            let put = self.state.storage().as_raw().put(STORAGE_KEY, JsValue::from_str(&text));
            writes.push(put.map_err(worker::Error::from)?);
            *self.saved.borrow_mut() = Some(text);
        }
        if self.alarm_at.get() != next_alarm {
            writes.push(self.alarm_write(next_alarm)?);
        }
        Ok(writes)
    }

    async fn set_alarm(&self, at_ms: Option<u64>) -> Result<(), EdgeError> {
        JsFuture::from(self.alarm_write(at_ms)?).await.map_err(worker::Error::from)?;
        Ok(())
    }

    /// Issues the alarm's write (set or delete) and notes it as set.
    fn alarm_write(&self, at_ms: Option<u64>) -> Result<js_sys::Promise, EdgeError> {
        let storage = self.state.storage();
        let raw = storage.as_raw();
        let promise = match at_ms {
            Some(at) => {
                // `at` is on the session's clock; the runtime's alarms are on real time.
                let real = at.saturating_sub(self.clock_offset.get());
                let date = js_sys::Date::new(&js_sys::Number::from(real as f64));
                raw.set_alarm(date, JsValue::NULL.into())
            }
            None => raw.delete_alarm(JsValue::NULL.into()),
        }
        .map_err(worker::Error::from)?;
        self.alarm_at.set(at_ms);
        Ok(promise)
    }

    /// Checks that `secret` is the session's whole client secret (in constant time).
    async fn authorize(&self, secret: &str) -> Result<(), EdgeError> {
        self.current().await?;
        if self.read(|s| s.client_secret.matches(secret))? { Ok(()) } else { Err(EdgeError::NotFound) }
    }

    fn merchant_view(&self, status: u16) -> Result<Response, EdgeError> {
        let base = config::var(&self.env, "PUBLIC_BASE_URL")?;
        error::json(&self.read(|s| s.merchant_view(&base))?, status)
    }

    async fn create(&self, session: Session) -> Result<Response, EdgeError> {
        if self.load().await?.is_some() {
            return Err(EdgeError::Internal(format!("session id {} is taken", session.id)));
        }
        *self.session.borrow_mut() = Some(session);
        // The output gate holds the 201 until the new session is durable.
        self.save_behind()?;
        self.merchant_view(201)
    }
}

/// Another request of the same session holds the call this one needs.
fn busy() -> EdgeError {
    EdgeError::Refused(Refusal {
        retry_after: Some(1),
        ..Refusal::new(ErrorCode::RateLimited, "another request of this session is in progress; try again")
    })
}
