//! `CheckoutSession`: one Durable Object per checkout session, wrapping the pure state machine of
//! `checkout_shared::session`. It alone changes its session, so every check-then-act (QR issue,
//! notification de-duplication, the bounded query rate, webhook delivery) is consistent. The
//! worker talks to it over a small internal HTTP protocol (`SessionCall`); the expiry and the
//! webhook retries run on its alarm.

use crate::config;
use crate::error::{self, EdgeError};
use crate::payzero_auth;
use crate::upstream;
use checkout_shared::api::{ErrorCode, Method as PayMethod, QrRequest, SessionStatus};
use checkout_shared::payzero::{self, OrderResult, QrCodeResponse, QrCodeType};
use checkout_shared::session::{
    self, Event, LONG_POLL_MS, NotificationPlan, QrCall, Refusal, Session, UpstreamFailure,
};
use checkout_shared::sign;
use std::cell::{Cell, RefCell};
use std::time::Duration;
use worker::js_sys::{self, Uint8Array};
use worker::{
    Delay, DurableObject, Env, Headers, Method, Request, RequestInit, Response, State, console_error,
    console_log, durable_object,
};

const BINDING: &str = "CHECKOUT_SESSION";
const STORAGE_KEY: &str = "session";
const SECRET_HEADER: &str = "x-client-secret";
/// A status wait re-reads the session this often; the upstream query rate is bounded separately.
const POLL_STEP_MS: u64 = 500;

/// A request from the worker to one session object.
pub(crate) enum SessionCall<'a> {
    Create(&'a Session),
    MerchantView,
    Cancel,
    View { secret: &'a str },
    Qr { secret: &'a str, body: Vec<u8> },
    Status { secret: &'a str, since: u64 },
    Simulate { secret: &'a str },
    Notify { raw: Vec<u8> },
}

/// Sends `call` to the session object named `session_id` and returns its answer as is.
pub(crate) async fn call(env: &Env, session_id: &str, call: SessionCall<'_>) -> Result<Response, EdgeError> {
    let stub = env.durable_object(BINDING)?.id_from_name(session_id)?.get_stub()?;
    let headers = Headers::new();
    let (method, path, body) = match call {
        SessionCall::Create(session) => {
            let body = serde_json::to_vec(session).map_err(|e| EdgeError::Internal(e.to_string()))?;
            (Method::Post, "/create".to_owned(), Some(body))
        }
        SessionCall::MerchantView => (Method::Get, "/merchant".to_owned(), None),
        SessionCall::Cancel => (Method::Post, "/cancel".to_owned(), None),
        SessionCall::View { secret } => {
            headers.set(SECRET_HEADER, secret)?;
            (Method::Get, "/view".to_owned(), None)
        }
        SessionCall::Qr { secret, body } => {
            headers.set(SECRET_HEADER, secret)?;
            (Method::Post, "/qr".to_owned(), Some(body))
        }
        SessionCall::Status { secret, since } => {
            headers.set(SECRET_HEADER, secret)?;
            (Method::Get, format!("/status?since={since}"), None)
        }
        SessionCall::Simulate { secret } => {
            headers.set(SECRET_HEADER, secret)?;
            (Method::Post, "/simulate".to_owned(), None)
        }
        SessionCall::Notify { raw } => (Method::Post, "/notify".to_owned(), Some(raw)),
    };
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(headers);
    if let Some(body) = body {
        init.with_body(Some(Uint8Array::from(body.as_slice()).into()));
    }
    let request = Request::new_with_init(&format!("https://session.internal{path}"), &init)?;
    Ok(stub.fetch_with_request(request).await?)
}

#[durable_object(alarm)]
pub struct CheckoutSession {
    state: State,
    env: Env,
    /// The session as last written; every change is made here first (synchronously) and then
    /// persisted, so concurrent requests interleaving at `await`s always see the latest state.
    session: RefCell<Option<Session>>,
    /// The alarm time last set (unix ms), to skip needless `setAlarm` calls.
    alarm_at: Cell<Option<u64>>,
}

impl DurableObject for CheckoutSession {
    fn new(state: State, env: Env) -> Self {
        CheckoutSession { state, env, session: RefCell::new(None), alarm_at: Cell::new(None) }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let is_notify = req.path() == "/notify";
        let result = self.route(req).await;
        if is_notify {
            return Ok(error::callback_response(result.map(|_| ())));
        }
        error::handle(result)
    }

    async fn alarm(&self) -> worker::Result<Response> {
        // The alarm that fired is gone; whatever comes next is set anew.
        self.alarm_at.set(None);
        if let Err(e) = self.on_alarm().await {
            console_error!("session alarm: {e}");
            // Try again shortly rather than leave the session without an alarm.
            let retry = config::now_ms() + 60_000;
            self.set_alarm(Some(retry)).await.ok();
        }
        Response::ok("")
    }
}

impl CheckoutSession {
    async fn route(&self, mut req: Request) -> Result<Response, EdgeError> {
        let secret = req.headers().get(SECRET_HEADER)?.unwrap_or_default();
        match (req.method(), req.path().as_str()) {
            (Method::Post, "/create") => {
                let body = req.bytes().await?;
                let session: Session =
                    serde_json::from_slice(&body).map_err(|e| EdgeError::Internal(format!("create: {e}")))?;
                self.create(session).await
            }
            (Method::Get, "/merchant") => {
                let s = self.current().await?;
                error::json(&s.merchant_view(&self.public_base_url()?), 200)
            }
            (Method::Post, "/cancel") => self.cancel().await,
            (Method::Get, "/view") => {
                let s = self.authorized(&secret).await?;
                let now = config::now_ms() / 1000;
                error::json(&s.checkout_view(config::test_mode(&self.env), now), 200)
            }
            (Method::Post, "/qr") => {
                let body = req.bytes().await?;
                self.qr(&secret, &body).await
            }
            (Method::Get, "/status") => {
                let since = req
                    .url()?
                    .query_pairs()
                    .find(|(k, _)| k == "since")
                    .and_then(|(_, v)| v.parse::<u64>().ok())
                    .unwrap_or(0);
                self.status(&secret, since).await
            }
            (Method::Post, "/simulate") => self.simulate(&secret).await,
            (Method::Post, "/notify") => {
                let raw = req.bytes().await?;
                self.notify(&raw).await
            }
            _ => Err(EdgeError::NoRoute),
        }
    }

    // ----- state

    async fn load(&self) -> Result<Option<Session>, EdgeError> {
        if let Some(s) = self.session.borrow().as_ref() {
            return Ok(Some(s.clone()));
        }
        let stored: Option<String> = self.state.storage().get(STORAGE_KEY).await?;
        let Some(text) = stored else {
            return Ok(None);
        };
        let loaded: Session =
            serde_json::from_str(&text).map_err(|e| EdgeError::Internal(format!("stored session: {e}")))?;
        // Another request may have loaded (and changed) it while we awaited storage.
        let mut slot = self.session.borrow_mut();
        Ok(Some(slot.get_or_insert(loaded).clone()))
    }

    async fn current(&self) -> Result<Session, EdgeError> {
        self.load().await?.ok_or(EdgeError::NotFound)
    }

    async fn save(&self, session: Session) -> Result<(), EdgeError> {
        let text =
            serde_json::to_string(&session).map_err(|e| EdgeError::Internal(format!("session: {e}")))?;
        let next_alarm = session.next_alarm_ms();
        *self.session.borrow_mut() = Some(session);
        self.state.storage().put(STORAGE_KEY, text).await?;
        if self.alarm_at.get() != next_alarm {
            self.set_alarm(next_alarm).await?;
        }
        Ok(())
    }

    async fn set_alarm(&self, at_ms: Option<u64>) -> Result<(), EdgeError> {
        let storage = self.state.storage();
        match at_ms {
            Some(at) => {
                let date = js_sys::Date::new(&js_sys::Number::from(at as f64));
                storage.set_alarm(worker::ScheduledTime::new(date)).await?;
            }
            None => storage.delete_alarm().await?,
        }
        self.alarm_at.set(at_ms);
        Ok(())
    }

    /// The session, if `secret` is its whole client secret (compared in constant time); an
    /// overdue session is expired first so no one acts on it.
    async fn authorized(&self, secret: &str) -> Result<Session, EdgeError> {
        let s = self.current().await?;
        if !s.client_secret.matches(secret) {
            return Err(EdgeError::NotFound);
        }
        self.expire_if_overdue().await?;
        self.current().await
    }

    fn public_base_url(&self) -> Result<String, EdgeError> {
        config::var(&self.env, "PUBLIC_BASE_URL")
    }

    // ----- merchant operations

    async fn create(&self, session: Session) -> Result<Response, EdgeError> {
        if self.load().await?.is_some() {
            return Err(EdgeError::Internal(format!("session id {} is taken", session.id)));
        }
        let view = session.merchant_view(&self.public_base_url()?);
        self.save(session).await?;
        error::json(&view, 201)
    }

    async fn cancel(&self) -> Result<Response, EdgeError> {
        self.expire_if_overdue().await?;
        let s = self.current().await?;
        // A shopper may have paid just now: ask Payzero first, so a paid session is answered as
        // such (409) instead of being canceled and then turning paid. If Payzero cannot be asked,
        // the cancel goes ahead; a payment seen later still wins and the merchant hears of it.
        if s.status == SessionStatus::Open
            && s.order_created
            && let Err(e) = self.query_and_apply().await
        {
            console_error!("final queryOrder for {}: {e}", s.id);
        }
        let mut s = self.current().await?;
        s.apply(Event::Cancel, config::now_ms()).map_err(refusal)?;
        let view = s.merchant_view(&self.public_base_url()?);
        self.save(s).await?;
        error::json(&view, 200)
    }

    // ----- checkout operations

    async fn qr(&self, secret: &str, body: &[u8]) -> Result<Response, EdgeError> {
        let s = self.authorized(secret).await?;
        // The body's size was checked by the worker (routes/checkout.rs), the only caller.
        let request: QrRequest = payzero::decode(body)
            .map_err(|e| EdgeError::Invalid(ErrorCode::InvalidJson, format!("{}: {}", e.path, e.message)))?;
        if request.method != PayMethod::PayzeroQr || !s.params.methods.contains(&PayMethod::PayzeroQr) {
            return Err(EdgeError::Invalid(
                ErrorCode::MethodNotSupported,
                format!("method: this session does not offer \"{}\" QR codes", request.method),
            ));
        }
        let channel = request.channel;
        if let QrCodeType::Unknown(other) = &channel {
            return Err(EdgeError::Invalid(
                ErrorCode::InvalidRequest,
                format!("channel must be WECHATPAY, ALIPAY or UNIONPAY, not \"{other}\""),
            ));
        }
        if s.status != SessionStatus::Open {
            return Err(EdgeError::SessionClosed(s.status));
        }
        if let Some(qr) = s.reusable_qr(&channel, config::now_ms() / 1000) {
            return error::json(qr, 200);
        }
        if !s.may_issue_qr(config::now_ms() / 1000) {
            return Err(EdgeError::Invalid(
                ErrorCode::InvalidRequest,
                "the session ends in less than a minute, too soon for a new QR code".into(),
            ));
        }
        let answer = self.fetch_qr(&s, channel.clone()).await?;
        if answer.mcht_order_no != s.id {
            return Err(EdgeError::Upstream(UpstreamFailure::Malformed(format!(
                "QR answer for order {}",
                answer.mcht_order_no
            ))));
        }
        let now_ms = config::now_ms();
        let qr = session::qr_response(answer, now_ms / 1000, s.expires_at);
        let mut s = self.current().await?;
        s.apply(Event::QrIssued(qr.clone()), now_ms).map_err(refusal)?;
        self.save(s).await?;
        error::json(&qr, 200)
    }

    async fn fetch_qr(&self, s: &Session, channel: QrCodeType) -> Result<QrCodeResponse, EdgeError> {
        let api_url = config::var(&self.env, "PAYZERO_API_URL")?;
        let refresh = || {
            payzero_auth::call::<QrCodeResponse>(&self.env, |token| {
                session::payzero_refresh_qr(&api_url, token, &s.id, channel.clone())
            })
        };
        match s.qr_call() {
            QrCall::Refresh => refresh().await,
            QrCall::Create => {
                let notify_url =
                    format!("{}/v1/notify/payzero", self.public_base_url()?.trim_end_matches('/'));
                let created = payzero_auth::call::<QrCodeResponse>(&self.env, |token| {
                    session::payzero_create_qr(&api_url, token, s, channel.clone(), &notify_url)
                })
                .await;
                match created {
                    // The order may exist already (an earlier answer was lost, or a concurrent
                    // request created it): a refresh then gives the code for it.
                    Err(EdgeError::Upstream(UpstreamFailure::Rejected { code, message })) => {
                        console_log!("createAndQrCode refused ({code} {message}); trying qrCode");
                        refresh().await
                    }
                    other => other,
                }
            }
        }
    }

    async fn status(&self, secret: &str, since: u64) -> Result<Response, EdgeError> {
        self.authorized(secret).await?;
        let deadline = config::now_ms() + LONG_POLL_MS;
        loop {
            let now = config::now_ms();
            if self.current().await?.is_overdue(now / 1000) {
                self.expire_if_overdue().await?;
            }
            let s = self.current().await?;
            if s.version > since || now >= deadline {
                return error::json(&s.status_update(), 200);
            }
            // A query is started only if it can time out before the deadline, so the long-poll
            // never overruns its limit; the next poll queries instead.
            let time_left = Duration::from_millis(deadline - now);
            if s.query_due(now) && time_left >= upstream::TIMEOUT {
                // A failed query only delays the answer; the wait goes on.
                if let Err(e) = self.query_and_apply().await {
                    console_error!("queryOrder for {}: {e}", s.id);
                }
                continue;
            }
            let step = POLL_STEP_MS.min(deadline - now);
            Delay::from(Duration::from_millis(step)).await;
        }
    }

    /// Asks Payzero for the order and applies the answer. The query time is recorded before the
    /// call, so waits that run meanwhile do not query too.
    async fn query_and_apply(&self) -> Result<(), EdgeError> {
        let mut s = self.current().await?;
        s.last_query_ms = Some(config::now_ms());
        let id = s.id.clone();
        self.save(s).await?;
        let result = self.query_order(&id).await?;
        let mut s = self.current().await?;
        match s.apply(Event::OrderConfirmed(result), config::now_ms()) {
            Ok(applied) => {
                if applied.status_changed {
                    self.save(s).await?;
                }
                Ok(())
            }
            Err(r) => Err(EdgeError::Internal(format!("session {id}: {r}"))),
        }
    }

    async fn query_order(&self, id: &str) -> Result<OrderResult, EdgeError> {
        let api_url = config::var(&self.env, "PAYZERO_API_URL")?;
        payzero_auth::call::<OrderResult>(&self.env, |token| {
            session::payzero_query_order(&api_url, token, id)
        })
        .await
    }

    async fn simulate(&self, secret: &str) -> Result<Response, EdgeError> {
        if !config::test_mode(&self.env) {
            return Err(EdgeError::NotAvailable);
        }
        let s = self.authorized(secret).await?;
        if s.status != SessionStatus::Open {
            return Err(EdgeError::SessionClosed(s.status));
        }
        if !s.order_created {
            return Err(EdgeError::Invalid(
                ErrorCode::InvalidRequest,
                "request a QR code before simulating its payment".into(),
            ));
        }
        let admin_url = config::var(&self.env, "SANDBOX_ADMIN_URL")?;
        let answer = upstream::send(&session::sandbox_pay(&admin_url, &s.id)).await?;
        if !answer.is_success() {
            return Err(EdgeError::Upstream(UpstreamFailure::Http(answer.status)));
        }
        error::json(&serde_json::json!({}), 202)
    }

    // ----- Payzero notifications

    /// Records a notification the worker routed here. It is verified again so that this
    /// function, like every callback handler, works only on a `Verified` value.
    async fn notify(&self, raw: &[u8]) -> Result<Response, EdgeError> {
        let token = config::secret(&self.env, "PAYZERO_SIGN_TOKEN")?;
        let verified = sign::verify_payzero_notification(raw, &token)
            .map_err(|e| EdgeError::InvalidSignature(e.to_string()))?;
        let digest = session::notification_digest(raw);
        let s = self.current().await?;
        let plan = s
            .plan_notification(&digest, &verified)
            .map_err(|e| EdgeError::InvalidSignature(format!("signed but unreadable msgBody: {e}")))?;
        match plan {
            NotificationPlan::Duplicate => {}
            NotificationPlan::Record => {
                let mut s = self.current().await?;
                s.remember_notification(digest);
                self.save(s).await?;
            }
            NotificationPlan::ConfirmThenRecord => {
                // PRODUCT.md: a status a callback reports is confirmed upstream first.
                let result = self.query_order(&s.id).await?;
                let mut s = self.current().await?;
                s.last_query_ms = Some(config::now_ms());
                s.apply(Event::OrderConfirmed(result), config::now_ms())
                    .map_err(|r| EdgeError::NotConfirmed(format!("session {}: {r}", s.id)))?;
                if s.status != SessionStatus::Paid {
                    // Not recorded: Payzero retries, and by then queryOrder may agree.
                    self.save(s).await?;
                    return Err(EdgeError::NotConfirmed("queryOrder does not report the payment yet".into()));
                }
                s.remember_notification(digest);
                self.save(s).await?;
            }
        }
        Ok(error::text("OK", 200))
    }

    // ----- expiry and webhooks

    /// Expires an open session whose time is up. If its order exists upstream, Payzero is asked
    /// first, so a payment made at the last moment ends as paid rather than expired.
    async fn expire_if_overdue(&self) -> Result<(), EdgeError> {
        let s = self.current().await?;
        let now_ms = config::now_ms();
        if !s.is_overdue(now_ms / 1000) {
            return Ok(());
        }
        // Every request and poll step of an overdue session comes through here: the bounded
        // query rate keeps them from each firing a queryOrder (a payment seen later still wins).
        if s.order_created
            && s.query_due(now_ms)
            && let Err(e) = self.query_and_apply().await
        {
            console_error!("final queryOrder for {}: {e}", s.id);
        }
        let mut s = self.current().await?;
        if s.apply(Event::Expire, config::now_ms()).map_err(refusal)?.status_changed {
            self.save(s).await?;
        }
        Ok(())
    }

    async fn on_alarm(&self) -> Result<(), EdgeError> {
        let Some(_) = self.load().await? else {
            return Ok(());
        };
        self.expire_if_overdue().await?;
        self.deliver_webhooks().await?;
        // Re-arm for whatever is next (the save above may not have happened).
        let s = self.current().await?;
        self.set_alarm(s.next_alarm_ms()).await
    }

    async fn deliver_webhooks(&self) -> Result<(), EdgeError> {
        let s = self.current().await?;
        let due = s.due_webhooks(config::now_ms());
        let Some(notify_url) = s.params.notify_url.clone() else {
            return Ok(());
        };
        if due.is_empty() {
            return Ok(());
        }
        let secret = config::secret(&self.env, "WEBHOOK_SECRET")?;
        for event in due {
            let request = session::webhook_delivery(&notify_url, &secret, &event, config::now_ms() / 1000);
            let delivered = match upstream::send(&request).await {
                Ok(answer) if answer.is_success() => true,
                Ok(answer) => {
                    console_log!("webhook {} for {}: HTTP {}", event.id, s.id, answer.status);
                    false
                }
                Err(e) => {
                    console_log!("webhook {} for {}: {e}", event.id, s.id);
                    false
                }
            };
            let mut s = self.current().await?;
            s.record_delivery(&event.id, delivered, config::now_ms());
            self.save(s).await?;
        }
        Ok(())
    }
}

fn refusal(r: Refusal) -> EdgeError {
    match r {
        Refusal::Closed(status) => EdgeError::SessionClosed(status),
        other => EdgeError::Internal(other.to_string()),
    }
}
