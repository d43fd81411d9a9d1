//! The checkout session as pure data and functions: validation of `POST /v1/sessions`, session
//! ids and client secrets, the state machine (open → paid | expired | canceled), the bounded
//! upstream query rate, notification de-duplication, the merchant webhook outbox with its retry
//! schedule, and the Payzero/sandbox/webhook calls as `UpstreamRequest` data with the
//! interpretation of their answers. The edge's Durable Objects only do IO around these; time and
//! randomness come in as arguments.

use crate::api::{
    CheckoutView, CreateSessionRequest, ErrorCode, Locale, Method, QrResponse, SessionCreated, SessionStatus,
    StatusUpdate, WebhookEvent, WebhookSession,
};
use crate::money::Fen;
use crate::payzero::{
    self, Envelope, LoginRequest, LoginResponse, MsgType, Notification, Order, OrderResult, PayStatus,
    QrCodeRequest, QrCodeResponse, QrCodeType, QueryOrderRequest,
};
use crate::sign::{self, Secret, Verified};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

// ---------------------------------------------------------------------------------------------
// Limits

/// Request bodies larger than this are refused before they are parsed.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// The largest amount a session may ask for: Payzero's `Long` is fine with more, but ten digits of
/// fen (¥100,000,000) is far above any checkout and keeps every gateway's encoding in range.
pub const MAX_AMOUNT: Fen = Fen(10_000_000_000);
pub const DEFAULT_EXPIRES_IN: u64 = 1800;
pub const MIN_EXPIRES_IN: u64 = 60;
pub const MAX_EXPIRES_IN: u64 = 86_400;
pub const MAX_SUBJECT_CHARS: usize = 128;
pub const MAX_ORDER_NO_CHARS: usize = 64;
pub const MAX_URL_CHARS: usize = 2048;
/// How long a Payzero QR code can be paid. Payzero does not return it; the sandbox uses the same.
pub const QR_LIFETIME_SECS: u64 = 600;
/// A cached QR with less life than this left is replaced rather than handed out: the shopper
/// needs time to open the app and scan.
pub const QR_REUSE_MARGIN_SECS: u64 = 60;
/// At most one `queryOrder` per session per this period, however many browsers poll.
pub const QUERY_INTERVAL_MS: u64 = 5_000;
/// How long a status long-poll waits before answering with the unchanged state.
pub const LONG_POLL_MS: u64 = 20_000;
/// Log in again this long before the Payzero token's `exp`, so no call races the expiry.
pub const TOKEN_REFRESH_MARGIN_SECS: u64 = 300;
/// How many notification digests a session remembers. Payzero retries one notification at most
/// five times and a QR session sees only a handful of distinct ones.
pub const MAX_SEEN_NOTIFICATIONS: usize = 32;

/// A refusal a client can act on: the stable code and a message naming the field.
pub type Rejection = (ErrorCode, String);

fn invalid(message: impl Into<String>) -> Rejection {
    (ErrorCode::InvalidRequest, message.into())
}

// ---------------------------------------------------------------------------------------------
// Validation of `POST /v1/sessions`

/// What a valid `CreateSessionRequest` becomes: every default resolved, nothing left to check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionParams {
    pub amount: Fen,
    pub currency: String,
    pub subject: String,
    pub merchant_order_no: String,
    pub methods: Vec<Method>,
    pub notify_url: Option<String>,
    pub return_url: Option<String>,
    pub expires_in: u64,
    pub locale: Locale,
}

/// Decodes a `POST /v1/sessions` body, naming the field that failed, and validates it.
pub fn parse_create_request(body: &[u8]) -> Result<SessionParams, Rejection> {
    if body.len() > MAX_BODY_BYTES {
        return Err((ErrorCode::PayloadTooLarge, format!("the body must be at most {MAX_BODY_BYTES} bytes")));
    }
    let request: CreateSessionRequest = payzero::decode(body).map_err(|e| {
        let message = if e.path.is_empty() || e.path == "." || e.path == "?" {
            format!("the body is not a valid session request: {}", e.message)
        } else {
            format!("{}: {}", e.path, e.message)
        };
        (ErrorCode::InvalidJson, message)
    })?;
    validate(request)
}

/// Checks every value of a session request; the message names the field at fault.
pub fn validate(request: CreateSessionRequest) -> Result<SessionParams, Rejection> {
    if request.amount == Fen::ZERO {
        return Err(invalid("amount must be at least 1 fen"));
    }
    if request.amount > MAX_AMOUNT {
        return Err(invalid(format!("amount must be at most {} fen", MAX_AMOUNT.0)));
    }
    if request.currency != "CNY" {
        return Err(invalid("currency must be \"CNY\""));
    }
    let subject = check_text("subject", &request.subject, MAX_SUBJECT_CHARS)?;
    let merchant_order_no = check_text("merchant_order_no", &request.merchant_order_no, MAX_ORDER_NO_CHARS)?;
    if request.methods.is_empty() {
        return Err(invalid("methods must list at least one payment method"));
    }
    let mut methods: Vec<Method> = Vec::with_capacity(request.methods.len());
    for (i, method) in request.methods.into_iter().enumerate() {
        match method {
            Method::PayzeroQr => {}
            Method::Unknown(name) => {
                return Err(invalid(format!("methods[{i}]: unknown payment method \"{name}\"")));
            }
            other => {
                return Err((
                    ErrorCode::MethodNotSupported,
                    format!("methods[{i}]: \"{other}\" is not available yet"),
                ));
            }
        }
        // A repeated method is harmless; keep the first mention so the order stays the merchant's.
        if !methods.contains(&method) {
            methods.push(method);
        }
    }
    let notify_url = request.notify_url.map(|u| check_url("notify_url", u)).transpose()?;
    let return_url = request.return_url.map(|u| check_url("return_url", u)).transpose()?;
    let expires_in = request.expires_in.unwrap_or(DEFAULT_EXPIRES_IN);
    if !(MIN_EXPIRES_IN..=MAX_EXPIRES_IN).contains(&expires_in) {
        return Err(invalid(format!(
            "expires_in must be between {MIN_EXPIRES_IN} and {MAX_EXPIRES_IN} seconds"
        )));
    }
    let locale = match request.locale {
        None => Locale::default(),
        Some(Locale::Unknown(other)) => {
            return Err(invalid(format!("locale must be \"zh-CN\" or \"en\", not \"{other}\"")));
        }
        Some(known) => known,
    };
    Ok(SessionParams {
        amount: request.amount,
        currency: request.currency,
        subject,
        merchant_order_no,
        methods,
        notify_url,
        return_url,
        expires_in,
        locale,
    })
}

fn check_text(field: &str, value: &str, max_chars: usize) -> Result<String, Rejection> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(invalid(format!("{field} must not be empty")));
    }
    if trimmed.chars().count() > max_chars {
        return Err(invalid(format!("{field} must be at most {max_chars} characters")));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(invalid(format!("{field} must not contain control characters")));
    }
    Ok(trimmed.to_owned())
}

fn check_url(field: &str, url: String) -> Result<String, Rejection> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    let well_formed = matches!(host, Some(h) if !h.is_empty() && !h.starts_with(':'))
        && url.len() <= MAX_URL_CHARS
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if well_formed {
        Ok(url)
    } else {
        Err(invalid(format!(
            "{field} must be an absolute http:// or https:// URL of at most {MAX_URL_CHARS} characters"
        )))
    }
}

// ---------------------------------------------------------------------------------------------
// Ids and client secrets

const SESSION_PREFIX: &str = "sess_";
const SECRET_INFIX: &str = "_secret_";

/// `sess_` + 24 lowercase hex characters from 12 random bytes.
pub fn new_session_id(random: [u8; 12]) -> String {
    format!("{SESSION_PREFIX}{}", hex::encode(random))
}

/// `{session id}_secret_{32 hex}`: the session id in front lets the edge find the Durable Object,
/// and the random tail is what the object checks, in constant time, against the whole stored value.
pub fn new_client_secret(session_id: &str, random: [u8; 16]) -> String {
    format!("{session_id}{SECRET_INFIX}{}", hex::encode(random))
}

/// Whether `text` has the shape of a session id (so arbitrary path text never names an object).
pub fn is_session_id(text: &str) -> bool {
    text.strip_prefix(SESSION_PREFIX)
        .is_some_and(|hex| hex.len() == 24 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// The session id a client secret claims to belong to; `None` when it is not of our shape.
/// The claim is only a routing hint: the session object compares the whole secret.
pub fn session_id_of_secret(client_secret: &str) -> Option<&str> {
    let (id, tail) = client_secret.split_once(SECRET_INFIX)?;
    let tail_ok = tail.len() == 32 && tail.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    (is_session_id(id) && tail_ok).then_some(id)
}

/// A session's client secret. It authorises acting on one session, so it never prints.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientSecret(String);

impl ClientSecret {
    pub fn new(value: impl Into<String>) -> Self {
        ClientSecret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison with a secret a client presented.
    pub fn matches(&self, presented: &str) -> bool {
        sign::bytes_eq(self.0.as_bytes(), presented.as_bytes())
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret([REDACTED])")
    }
}

// ---------------------------------------------------------------------------------------------
// The session and its state machine

/// One checkout session, as its Durable Object stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub client_secret: ClientSecret,
    pub params: SessionParams,
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds.
    pub expires_at: u64,
    pub status: SessionStatus,
    /// Grows by one at every change of status.
    pub version: u64,
    pub paid_at: Option<u64>,
    pub gateway_order_no: Option<String>,
    /// Whether the Payzero order (`mchtOrderNo` = session id) exists upstream: after that, QR
    /// codes are refreshed rather than created, and the order can be queried.
    pub order_created: bool,
    pub qr: Option<QrResponse>,
    /// Unix milliseconds of the last `queryOrder`, for the bounded query rate.
    pub last_query_ms: Option<u64>,
    /// SHA-256 digests of the raw notifications already recorded, newest last.
    pub seen_notifications: Vec<String>,
    /// Webhook events for the merchant, delivered or still to deliver.
    pub outbox: Vec<OutgoingWebhook>,
}

/// Something that happened to a session.
// Events live for one call; boxing the order result would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A QR code was obtained from Payzero.
    QrIssued(QrResponse),
    /// Payzero's `queryOrder` answered this: the upstream word, never a callback's claim alone.
    OrderConfirmed(OrderResult),
    /// The merchant canceled the session.
    Cancel,
    /// The expiry alarm fired (or a request noticed the time had passed).
    Expire,
}

/// Why an event could not be applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the session is {0}")]
    Closed(SessionStatus),
    #[error("upstream reports {got} fen paid for a session of {expected} fen")]
    AmountMismatch { expected: u64, got: u64 },
    #[error("upstream reports order {0}, not this session's")]
    OrderMismatch(String),
}

/// What applying an event did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Applied {
    /// The status changed (and the version grew); any webhook it queued is in the outbox, and
    /// `next_alarm_ms` schedules its delivery.
    pub status_changed: bool,
}

impl Applied {
    const NOTHING: Applied = Applied { status_changed: false };
}

impl Session {
    /// A new open session created at `now` (unix seconds).
    pub fn open(id: String, client_secret: ClientSecret, params: SessionParams, now: u64) -> Session {
        Session {
            expires_at: now.saturating_add(params.expires_in),
            id,
            client_secret,
            params,
            created_at: now,
            status: SessionStatus::Open,
            version: 1,
            paid_at: None,
            gateway_order_no: None,
            order_created: false,
            qr: None,
            last_query_ms: None,
            seen_notifications: Vec::new(),
            outbox: Vec::new(),
        }
    }

    /// Applies an event at `now_ms` (unix milliseconds).
    pub fn apply(&mut self, event: Event, now_ms: u64) -> Result<Applied, Refusal> {
        let now = now_ms / 1000;
        match event {
            Event::QrIssued(qr) => {
                if self.status != SessionStatus::Open {
                    return Err(Refusal::Closed(self.status.clone()));
                }
                self.qr = Some(qr);
                self.order_created = true;
                Ok(Applied::NOTHING)
            }
            Event::OrderConfirmed(result) => self.confirm(result, now_ms),
            Event::Cancel => match self.status {
                SessionStatus::Open => Ok(self.close(SessionStatus::Canceled, now_ms)),
                SessionStatus::Canceled => Ok(Applied::NOTHING),
                ref other => Err(Refusal::Closed(other.clone())),
            },
            Event::Expire => {
                if self.status == SessionStatus::Open && now >= self.expires_at {
                    Ok(self.close(SessionStatus::Expired, now_ms))
                } else {
                    Ok(Applied::NOTHING)
                }
            }
        }
    }

    fn confirm(&mut self, result: OrderResult, now_ms: u64) -> Result<Applied, Refusal> {
        if result.mcht_order_no != self.id {
            return Err(Refusal::OrderMismatch(result.mcht_order_no));
        }
        if result.pay_status != PayStatus::PaySucceed || self.status == SessionStatus::Paid {
            // Not paid (yet), or already recorded: nothing to tell anyone. A failed attempt leaves
            // the session open, since a QR order can be paid again with a fresh code (spec 4.2).
            return Ok(Applied::NOTHING);
        }
        if result.payment_amount != self.params.amount {
            return Err(Refusal::AmountMismatch {
                expected: self.params.amount.0,
                got: result.payment_amount.0,
            });
        }
        // Paid wins even over expired or canceled: Payzero has no way to withdraw a QR code, so a
        // shopper can pay after the session closed, and the merchant must hear that money moved.
        self.paid_at = Some(now_ms / 1000);
        self.gateway_order_no = result.payment_order_no;
        Ok(self.close(SessionStatus::Paid, now_ms))
    }

    fn close(&mut self, status: SessionStatus, now_ms: u64) -> Applied {
        let kind = match status {
            SessionStatus::Paid => "checkout.session.paid",
            SessionStatus::Expired => "checkout.session.expired",
            SessionStatus::Canceled => "checkout.session.canceled",
            _ => "checkout.session.updated",
        };
        self.status = status;
        self.version += 1;
        self.qr = None;
        self.queue_webhook(kind, now_ms);
        Applied { status_changed: true }
    }

    fn queue_webhook(&mut self, kind: &str, now_ms: u64) {
        if self.params.notify_url.is_none() {
            return;
        }
        // Derived from the session id and the version, which only grows: unique, and the same
        // event keeps its id across retries so merchants can de-duplicate on it.
        let suffix = self.id.strip_prefix(SESSION_PREFIX).unwrap_or(&self.id);
        let event = WebhookEvent {
            id: format!("evt_{suffix}_{}", self.version),
            kind: kind.to_owned(),
            created: now_ms / 1000,
            data: self.webhook_data(),
        };
        self.outbox.push(OutgoingWebhook {
            event,
            attempts: 0,
            next_attempt_ms: Some(now_ms),
            delivered: false,
        });
    }

    fn webhook_data(&self) -> WebhookSession {
        WebhookSession {
            id: self.id.clone(),
            merchant_order_no: self.params.merchant_order_no.clone(),
            amount: self.params.amount,
            status: self.status.clone(),
            paid_at: self.paid_at,
            gateway_order_no: self.gateway_order_no.clone(),
        }
    }

    /// Whether the session should be treated as expired at `now` (unix seconds) even if the
    /// alarm has not fired yet.
    pub fn is_overdue(&self, now: u64) -> bool {
        self.status == SessionStatus::Open && now >= self.expires_at
    }

    // ----- views

    /// The merchant's view (`POST`/`GET /v1/sessions`).
    pub fn merchant_view(&self, public_base_url: &str) -> SessionCreated {
        SessionCreated {
            id: self.id.clone(),
            client_secret: self.client_secret.expose().to_owned(),
            url: hosted_page_url(public_base_url, self.client_secret.expose()),
            status: self.status.clone(),
            amount: self.params.amount,
            merchant_order_no: self.params.merchant_order_no.clone(),
            expires_at: self.expires_at,
        }
    }

    /// The widget's view: nothing secret, and the QR only while it can still be paid.
    pub fn checkout_view(&self, test_mode: bool, now: u64) -> CheckoutView {
        CheckoutView {
            amount: self.params.amount,
            currency: self.params.currency.clone(),
            subject: self.params.subject.clone(),
            methods: self.params.methods.clone(),
            status: self.status.clone(),
            locale: self.params.locale.clone(),
            expires_at: self.expires_at,
            return_url: self.params.return_url.clone(),
            test_mode,
            version: self.version,
            qr: self.qr.clone().filter(|qr| qr.expires_at > now),
        }
    }

    pub fn status_update(&self) -> StatusUpdate {
        StatusUpdate { status: self.status.clone(), version: self.version, paid_at: self.paid_at }
    }

    // ----- QR codes

    /// A QR already issued for `channel` that still has time left at `now` (unix seconds).
    pub fn reusable_qr(&self, channel: &QrCodeType, now: u64) -> Option<&QrResponse> {
        self.qr
            .as_ref()
            .filter(|qr| &qr.channel == channel && qr.expires_at > now.saturating_add(QR_REUSE_MARGIN_SECS))
    }

    /// Whether a new QR code may be issued at `now` (unix seconds): only for an open session with
    /// at least `QR_REUSE_MARGIN_SECS` left, since a shorter-lived code could not be scanned and
    /// paid in time. (A session of the shortest allowed length, 60 s, still gets its first code.)
    pub fn may_issue_qr(&self, now: u64) -> bool {
        self.status == SessionStatus::Open && self.expires_at >= now.saturating_add(QR_REUSE_MARGIN_SECS)
    }

    /// Which Payzero call gets a QR code for this session.
    pub fn qr_call(&self) -> QrCall {
        if self.order_created { QrCall::Refresh } else { QrCall::Create }
    }

    // ----- bounded upstream queries

    /// Whether a status wait may query Payzero now: only for an open session whose order exists,
    /// and at most once per `QUERY_INTERVAL_MS` however many browsers wait.
    pub fn query_due(&self, now_ms: u64) -> bool {
        self.status == SessionStatus::Open
            && self.order_created
            && self.last_query_ms.is_none_or(|last| now_ms.saturating_sub(last) >= QUERY_INTERVAL_MS)
    }

    // ----- notifications

    /// What to do with a verified notification whose raw body has `digest`.
    pub fn plan_notification(
        &self,
        digest: &str,
        notification: &Verified<Notification>,
    ) -> Result<NotificationPlan, payzero::DecodeError> {
        if self.seen_notifications.iter().any(|d| d == digest) {
            return Ok(NotificationPlan::Duplicate);
        }
        let result = notification.order_result()?;
        let claims_paid =
            notification.msg_type == MsgType::PayStatusNotify && result.pay_status == PayStatus::PaySucceed;
        if claims_paid && self.status != SessionStatus::Paid {
            Ok(NotificationPlan::ConfirmThenRecord)
        } else {
            Ok(NotificationPlan::Record)
        }
    }

    /// Remembers a recorded notification so its retries change nothing.
    pub fn remember_notification(&mut self, digest: String) {
        if self.seen_notifications.contains(&digest) {
            return;
        }
        self.seen_notifications.push(digest);
        let excess = self.seen_notifications.len().saturating_sub(MAX_SEEN_NOTIFICATIONS);
        self.seen_notifications.drain(..excess);
    }

    // ----- webhook outbox

    /// The events due for delivery at `now_ms`.
    pub fn due_webhooks(&self, now_ms: u64) -> Vec<WebhookEvent> {
        self.outbox
            .iter()
            .filter(|w| w.next_attempt_ms.is_some_and(|at| at <= now_ms))
            .map(|w| w.event.clone())
            .collect()
    }

    /// Records the outcome of one delivery attempt of event `event_id` at `now_ms`.
    pub fn record_delivery(&mut self, event_id: &str, delivered: bool, now_ms: u64) {
        let Some(w) = self.outbox.iter_mut().find(|w| w.event.id == event_id) else {
            return;
        };
        w.attempts = w.attempts.saturating_add(1);
        if delivered {
            w.delivered = true;
            w.next_attempt_ms = None;
        } else {
            w.next_attempt_ms = webhook_retry_delay_secs(w.attempts).map(|d| now_ms.saturating_add(d * 1000));
        }
    }

    /// When the session's alarm should next fire (unix milliseconds): the expiry of an open
    /// session or the next webhook attempt, whichever is first.
    pub fn next_alarm_ms(&self) -> Option<u64> {
        let expiry = (self.status == SessionStatus::Open).then(|| self.expires_at * 1000);
        let webhook = self.outbox.iter().filter_map(|w| w.next_attempt_ms).min();
        match (expiry, webhook) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The hosted checkout page of a client secret.
pub fn hosted_page_url(public_base_url: &str, client_secret: &str) -> String {
    format!("{}/pay/{}", public_base_url.trim_end_matches('/'), client_secret)
}

/// Which Payzero endpoint gives a session its QR code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QrCall {
    /// `POST /order/createAndQrCode`: the first QR, which creates the order.
    Create,
    /// `GET /order/qrCode`: a fresh code or another channel for the existing order.
    Refresh,
}

/// What a verified notification calls for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotificationPlan {
    /// Already recorded: acknowledge, change nothing.
    Duplicate,
    /// It claims a payment: confirm with `queryOrder`, then record it.
    ConfirmThenRecord,
    /// Nothing to act on (another status, a declaration, or already paid): record and acknowledge.
    Record,
}

/// The digest a notification is de-duplicated on: SHA-256 over the exact bytes received, so a
/// retry of the same message matches and any other message does not.
pub fn notification_digest(raw_body: &[u8]) -> String {
    hex::encode(Sha256::digest(raw_body))
}

/// A webhook event in the outbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutgoingWebhook {
    pub event: WebhookEvent,
    pub attempts: u32,
    /// Unix milliseconds of the next attempt; `None` once delivered or given up.
    pub next_attempt_ms: Option<u64>,
    pub delivered: bool,
}

/// Waits between failed webhook attempts: quick at first (a merchant restarting), then spread
/// over about a day (a merchant down for hours), then we give up.
pub const WEBHOOK_RETRY_DELAYS_SECS: [u64; 8] = [10, 30, 120, 600, 3600, 3 * 3600, 6 * 3600, 12 * 3600];

/// The wait after the `failed_attempts`-th failed attempt (1-based); `None`: give up.
pub fn webhook_retry_delay_secs(failed_attempts: u32) -> Option<u64> {
    let index = usize::try_from(failed_attempts.checked_sub(1)?).ok()?;
    WEBHOOK_RETRY_DELAYS_SECS.get(index).copied()
}

// ---------------------------------------------------------------------------------------------
// Upstream calls as data

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Post,
}

/// One outbound HTTP call, built by the pure functions below; the edge's `upstream.rs` is the
/// only place that turns it into a `fetch`. Headers and body may hold a token or a password, and
/// a merchant's `notify_url` may carry one in its query, so `Debug` shows only the method and
/// `url_for_log` of the URL.
#[derive(Clone, PartialEq, Eq)]
pub struct UpstreamRequest {
    pub method: HttpMethod,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl fmt::Debug for UpstreamRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {}", self.method, url_for_log(&self.url))
    }
}

/// `scheme://host[:port]/path` of `url`, for logs and error text: the query and fragment are
/// dropped (a merchant's webhook URL may carry a token there), and so are any user and password.
pub fn url_for_log(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or_default();
    let Some((scheme, rest)) = without_query.split_once("://") else {
        // Not an absolute URL: nothing to keep that is known to be safe.
        return "[unparsable URL]".to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    format!("{scheme}://{host}{path}")
}

impl UpstreamRequest {
    fn get(url: String) -> Self {
        UpstreamRequest {
            method: HttpMethod::Get,
            url,
            headers: vec![("Accept".into(), "application/json".into())],
            body: None,
        }
    }

    fn post_json<T: Serialize>(url: String, body: &T) -> Self {
        UpstreamRequest {
            method: HttpMethod::Post,
            url,
            headers: vec![
                ("Accept".into(), "application/json".into()),
                ("Content-Type".into(), "application/json".into()),
            ],
            // Serialising our own plain structs cannot fail; an empty body would be refused
            // upstream rather than panic here.
            body: Some(serde_json::to_vec(body).unwrap_or_default()),
        }
    }

    fn bearer(mut self, token: &Secret) -> Self {
        self.headers.push(("Authorization".into(), format!("Bearer {}", token.expose())));
        self
    }
}

fn join(base: &str, path_and_query: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path_and_query)
}

/// `POST /auth/login {username: AppId, password: AppKey}`.
pub fn payzero_login(api_url: &str, app_id: &Secret, app_key: &Secret) -> UpstreamRequest {
    let body = LoginRequest { username: app_id.expose().to_owned(), password: app_key.expose().to_owned() };
    UpstreamRequest::post_json(join(api_url, "/auth/login"), &body)
}

/// `POST /order/createAndQrCode` for a session: the order number is the session id, the amount
/// and subject are the session's, and the notification comes back to `notify_url`.
pub fn payzero_create_qr(
    api_url: &str,
    token: &Secret,
    session: &Session,
    channel: QrCodeType,
    notify_url: &str,
) -> UpstreamRequest {
    let order = Order::new(session.id.clone(), session.params.amount, session.params.subject.clone())
        .with_qr_code_type(channel)
        .with_need_declare(false)
        .with_notify_url(notify_url);
    UpstreamRequest::post_json(join(api_url, "/order/createAndQrCode"), &order).bearer(token)
}

/// `GET /order/qrCode?mchtOrderNo=&qrCodeType=`: a fresh code or another channel.
pub fn payzero_refresh_qr(
    api_url: &str,
    token: &Secret,
    order_no: &str,
    channel: QrCodeType,
) -> UpstreamRequest {
    let path = QrCodeRequest::new(order_no, channel).path_and_query();
    UpstreamRequest::get(join(api_url, &path)).bearer(token)
}

/// `GET /order/queryOrder?mchtOrderNo=`.
pub fn payzero_query_order(api_url: &str, token: &Secret, order_no: &str) -> UpstreamRequest {
    let path = QueryOrderRequest::new(order_no).path_and_query();
    UpstreamRequest::get(join(api_url, &path)).bearer(token)
}

/// The sandbox's "the shopper paid" control (test mode only).
pub fn sandbox_pay(admin_url: &str, order_no: &str) -> UpstreamRequest {
    let path = format!("/payzero/orders/{}/pay", payzero::percent_encode(order_no));
    UpstreamRequest::post_json(join(admin_url, &path), &serde_json::json!({}))
}

/// A merchant webhook delivery: the JSON event signed with
/// `Checkout-Signature: t={now},v1={HMAC-SHA256(secret, "{t}.{body}")}`.
pub fn webhook_delivery(
    notify_url: &str,
    secret: &Secret,
    event: &WebhookEvent,
    now: u64,
) -> UpstreamRequest {
    let mut request = UpstreamRequest::post_json(notify_url.to_owned(), event);
    let body = request.body.as_deref().unwrap_or_default();
    let signature = sign::webhook_signature_header(secret.expose(), now, body);
    request.headers.push(("Checkout-Signature".into(), signature));
    request
}

/// The QR code to hand the widget, from Payzero's answer at `now` (unix seconds). It expires
/// with the session if that ends first: after that the session no longer counts a payment as
/// on time, so the widget must not show the code as payable.
pub fn qr_response(answer: QrCodeResponse, now: u64, session_expires_at: u64) -> QrResponse {
    QrResponse {
        qr_content: answer.code_url,
        channel: answer.qr_code_type,
        psp: answer.psp,
        expires_at: now.saturating_add(QR_LIFETIME_SECS).min(session_expires_at),
    }
}

// ---------------------------------------------------------------------------------------------
// Interpreting Payzero's answers

/// Why a Payzero call gave no usable answer. Nothing here holds a credential.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamFailure {
    /// 401 or 403: the token is wrong or expired; log in again and retry once.
    #[error("Payzero refused the token (HTTP {0})")]
    Unauthorized(u16),
    #[error("Payzero answered HTTP {0}")]
    Http(u16),
    /// `success: false`: the gateway refused the operation.
    #[error("Payzero refused: {code} {message}")]
    Rejected { code: String, message: String },
    #[error("Payzero's answer is not usable: {0}")]
    Malformed(String),
    /// The call did not complete (network, timeout).
    #[error("Payzero could not be reached: {0}")]
    Unreachable(String),
}

/// Reads a Payzero answer whose `data` is an object of type `T`.
pub fn interpret_payzero<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, UpstreamFailure> {
    if status == 401 || status == 403 {
        return Err(UpstreamFailure::Unauthorized(status));
    }
    if !(200..300).contains(&status) {
        return Err(UpstreamFailure::Http(status));
    }
    let envelope: Envelope<T> =
        payzero::decode(body).map_err(|e| UpstreamFailure::Malformed(e.to_string()))?;
    if !envelope.success {
        return Err(UpstreamFailure::Rejected {
            code: envelope.error_code.unwrap_or_default(),
            message: envelope.error_msg.unwrap_or_default(),
        });
    }
    match envelope.data {
        Some(crate::flex::ObjectOrText::Object(data)) => Ok(data),
        Some(crate::flex::ObjectOrText::Text(_)) => {
            Err(UpstreamFailure::Malformed("data is text where an object belongs".into()))
        }
        None => Err(UpstreamFailure::Malformed("data is missing".into())),
    }
}

/// A Payzero token with its expiry, as the token cache keeps it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedToken {
    pub token: String,
    /// The JWT's `exp`, unix seconds.
    pub exp: u64,
}

impl fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CachedToken([REDACTED], exp {})", self.exp)
    }
}

impl CachedToken {
    /// Whether the token may still be used at `now` (unix seconds): not within
    /// `TOKEN_REFRESH_MARGIN_SECS` of its expiry.
    pub fn is_fresh(&self, now: u64) -> bool {
        now.saturating_add(TOKEN_REFRESH_MARGIN_SECS) < self.exp
    }
}

/// Reads the login answer: the token and the `exp` of its JWT claims.
pub fn interpret_login(status: u16, body: &[u8]) -> Result<CachedToken, UpstreamFailure> {
    let login: LoginResponse = interpret_payzero(status, body)?;
    let claims = crate::jwt::read_claims_unverified(&login.token)
        .map_err(|e| UpstreamFailure::Malformed(format!("login token: {e}")))?;
    Ok(CachedToken { token: login.token, exp: claims.exp })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payzero::Psp;

    const NOW_MS: u64 = 1_700_000_000_000;
    const NOW: u64 = NOW_MS / 1000;

    fn request() -> CreateSessionRequest {
        CreateSessionRequest::new(Fen(1234), "Lipstick", "ORDER-1")
            .with_notify_url("https://shop.example/hooks/checkout")
    }

    fn session() -> Session {
        let params = validate(request()).unwrap();
        let id = new_session_id([7; 12]);
        let secret = ClientSecret::new(new_client_secret(&id, [9; 16]));
        Session::open(id, secret, params, NOW)
    }

    fn result(session: &Session, status: PayStatus, amount: u64) -> OrderResult {
        let json = serde_json::json!({
            "mchtOrderNo": session.id, "paymentAmount": amount, "payStatus": status.as_str(),
            "paymentOrderNo": "PZ123"
        });
        serde_json::from_value(json).unwrap()
    }

    fn qr(channel: QrCodeType, expires_at: u64) -> QrResponse {
        QrResponse {
            qr_content: "weixin://wxpay/bizpayurl?pr=abc".into(),
            channel,
            psp: Psp::Easypay,
            expires_at,
        }
    }

    fn rejects(body: &str) -> Rejection {
        parse_create_request(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn a_valid_request_gets_defaults() {
        let body = r#"{"amount":100,"currency":"CNY","subject":" Tea ","merchant_order_no":"A1","methods":["payzero_qr","payzero_qr"]}"#;
        let params = parse_create_request(body.as_bytes()).unwrap();
        assert_eq!(params.subject, "Tea");
        assert_eq!(params.methods, vec![Method::PayzeroQr]);
        assert_eq!(params.expires_in, DEFAULT_EXPIRES_IN);
        assert_eq!(params.locale, Locale::ZhCn);
    }

    #[test]
    fn invalid_requests_name_the_field() {
        let base = r#""currency":"CNY","subject":"Tea","merchant_order_no":"A1","methods":["payzero_qr"]"#;
        let cases: &[(String, ErrorCode, &str)] = &[
            ("{".into(), ErrorCode::InvalidJson, "not a valid"),
            (format!(r#"{{"amount":"1",{base}}}"#), ErrorCode::InvalidJson, "amount"),
            (format!(r#"{{"amount":-1,{base}}}"#), ErrorCode::InvalidJson, "amount"),
            (format!(r#"{{"amount":1.5,{base}}}"#), ErrorCode::InvalidJson, "amount"),
            (format!(r#"{{"amount":1,"extra":1,{base}}}"#), ErrorCode::InvalidJson, "extra"),
            (format!(r#"{{"amount":0,{base}}}"#), ErrorCode::InvalidRequest, "amount"),
            (format!(r#"{{"amount":10000000001,{base}}}"#), ErrorCode::InvalidRequest, "amount"),
            (
                r#"{"amount":1,"currency":"USD","subject":"T","merchant_order_no":"A","methods":["payzero_qr"]}"#.into(),
                ErrorCode::InvalidRequest,
                "currency",
            ),
            (
                r#"{"amount":1,"currency":"CNY","subject":"  ","merchant_order_no":"A","methods":["payzero_qr"]}"#.into(),
                ErrorCode::InvalidRequest,
                "subject",
            ),
            (
                format!(r#"{{"amount":1,"currency":"CNY","subject":"T","merchant_order_no":"{}","methods":["payzero_qr"]}}"#, "x".repeat(65)),
                ErrorCode::InvalidRequest,
                "merchant_order_no",
            ),
            (
                r#"{"amount":1,"currency":"CNY","subject":"T","merchant_order_no":"A","methods":[]}"#.into(),
                ErrorCode::InvalidRequest,
                "methods",
            ),
            (
                r#"{"amount":1,"currency":"CNY","subject":"T","merchant_order_no":"A","methods":["bitcoin"]}"#.into(),
                ErrorCode::InvalidRequest,
                "methods[0]",
            ),
            (
                r#"{"amount":1,"currency":"CNY","subject":"T","merchant_order_no":"A","methods":["payzero_qr","payzero_quickpay"]}"#.into(),
                ErrorCode::MethodNotSupported,
                "methods[1]",
            ),
            (format!(r#"{{"amount":1,"notify_url":"ftp://x",{base}}}"#), ErrorCode::InvalidRequest, "notify_url"),
            (format!(r#"{{"amount":1,"return_url":"https://",{base}}}"#), ErrorCode::InvalidRequest, "return_url"),
            (format!(r#"{{"amount":1,"expires_in":59,{base}}}"#), ErrorCode::InvalidRequest, "expires_in"),
            (format!(r#"{{"amount":1,"expires_in":86401,{base}}}"#), ErrorCode::InvalidRequest, "expires_in"),
            (format!(r#"{{"amount":1,"locale":"fr",{base}}}"#), ErrorCode::InvalidRequest, "locale"),
        ];
        for (body, code, field) in cases {
            let (got_code, message) = rejects(body);
            assert_eq!(&got_code, code, "{body} → {message}");
            assert!(message.contains(field), "{body} → {message}");
        }
        let big = format!(r#"{{"amount":1,"subject":"{}"}}"#, "x".repeat(MAX_BODY_BYTES));
        assert_eq!(rejects(&big).0, ErrorCode::PayloadTooLarge);
    }

    #[test]
    fn ids_and_secrets_round_trip() {
        let id = new_session_id([0xab; 12]);
        assert_eq!(id, format!("sess_{}", "ab".repeat(12)));
        assert!(is_session_id(&id));
        let secret = new_client_secret(&id, [0x01; 16]);
        assert_eq!(session_id_of_secret(&secret), Some(id.as_str()));
        assert_eq!(session_id_of_secret(&format!("{secret}0")), None);
        assert_eq!(session_id_of_secret("sess_x_secret_y"), None);
        assert!(!is_session_id("sess_ABABABABABABABABABABABAB"));
        let stored = ClientSecret::new(secret.clone());
        assert!(stored.matches(&secret));
        assert!(!stored.matches(&secret[..secret.len() - 1]));
        assert!(!format!("{stored:?}").contains(&secret));
    }

    #[test]
    fn payment_confirmed_upstream_marks_paid_once_and_queues_one_webhook() {
        let mut s = session();
        assert_eq!(s.version, 1);
        let applied =
            s.apply(Event::OrderConfirmed(result(&s, PayStatus::PaySucceed, 1234)), NOW_MS + 5).unwrap();
        assert!(applied.status_changed);
        // The paid event is due at once, and the alarm is set for it.
        assert_eq!(s.due_webhooks(NOW_MS + 5).len(), 1);
        assert_eq!(s.next_alarm_ms(), Some(NOW_MS + 5));
        assert_eq!(s.status, SessionStatus::Paid);
        assert_eq!(s.version, 2);
        assert_eq!(s.paid_at, Some(NOW));
        assert_eq!(s.gateway_order_no.as_deref(), Some("PZ123"));
        // The same answer again changes nothing.
        let again =
            s.apply(Event::OrderConfirmed(result(&s, PayStatus::PaySucceed, 1234)), NOW_MS + 9).unwrap();
        assert_eq!(again, Applied::NOTHING);
        assert_eq!(s.version, 2);
        assert_eq!(s.outbox.len(), 1);
        assert_eq!(s.outbox[0].event.kind, "checkout.session.paid");
        assert_eq!(s.outbox[0].event.data.status, SessionStatus::Paid);
    }

    #[test]
    fn a_wrong_amount_or_order_is_never_paid() {
        let mut s = session();
        let wrong = result(&s, PayStatus::PaySucceed, 1);
        assert_eq!(
            s.apply(Event::OrderConfirmed(wrong), NOW_MS),
            Err(Refusal::AmountMismatch { expected: 1234, got: 1 })
        );
        let mut other = result(&s, PayStatus::PaySucceed, 1234);
        other.mcht_order_no = "sess_000000000000000000000000".into();
        assert!(matches!(s.apply(Event::OrderConfirmed(other), NOW_MS), Err(Refusal::OrderMismatch(_))));
        assert_eq!(s.status, SessionStatus::Open);
        assert!(s.outbox.is_empty());
    }

    #[test]
    fn unpaid_or_failed_results_leave_the_session_open() {
        let mut s = session();
        for status in [PayStatus::NotPayed, PayStatus::PayFailed, PayStatus::Unknown("X".into())] {
            let applied = s.apply(Event::OrderConfirmed(result(&s, status, 1234)), NOW_MS).unwrap();
            assert_eq!(applied, Applied::NOTHING);
        }
        assert_eq!(s.status, SessionStatus::Open);
    }

    #[test]
    fn expiry_waits_for_the_time_and_then_closes() {
        let mut s = session();
        s.apply(Event::Expire, NOW_MS + 1000).unwrap();
        assert_eq!(s.status, SessionStatus::Open);
        assert!(!s.is_overdue(NOW + 10));
        assert!(s.is_overdue(s.expires_at));
        let applied = s.apply(Event::Expire, s.expires_at * 1000).unwrap();
        assert!(applied.status_changed);
        assert_eq!(s.status, SessionStatus::Expired);
        assert_eq!(
            s.apply(Event::QrIssued(qr(QrCodeType::Alipay, NOW + 600)), NOW_MS),
            Err(Refusal::Closed(SessionStatus::Expired))
        );
        assert_eq!(s.apply(Event::Cancel, NOW_MS), Err(Refusal::Closed(SessionStatus::Expired)));
        // A payment that arrives after expiry still wins: the money moved.
        s.apply(Event::OrderConfirmed(result(&s, PayStatus::PaySucceed, 1234)), s.expires_at * 1000 + 1)
            .unwrap();
        assert_eq!(s.status, SessionStatus::Paid);
        assert_eq!(s.version, 3);
        let kinds: Vec<_> = s.outbox.iter().map(|w| w.event.kind.as_str()).collect();
        assert_eq!(kinds, ["checkout.session.expired", "checkout.session.paid"]);
        assert_ne!(s.outbox[0].event.id, s.outbox[1].event.id);
    }

    #[test]
    fn cancel_is_idempotent_and_refused_once_paid() {
        let mut s = session();
        assert!(s.apply(Event::Cancel, NOW_MS).unwrap().status_changed);
        assert_eq!(s.apply(Event::Cancel, NOW_MS).unwrap(), Applied::NOTHING);
        assert_eq!(s.version, 2);
        let mut p = session();
        p.apply(Event::OrderConfirmed(result(&p, PayStatus::PaySucceed, 1234)), NOW_MS).unwrap();
        assert_eq!(p.apply(Event::Cancel, NOW_MS), Err(Refusal::Closed(SessionStatus::Paid)));
    }

    #[test]
    fn qr_codes_are_reused_only_for_the_same_channel_while_fresh() {
        let mut s = session();
        assert_eq!(s.qr_call(), QrCall::Create);
        s.apply(Event::QrIssued(qr(QrCodeType::Wechatpay, NOW + QR_LIFETIME_SECS)), NOW_MS).unwrap();
        assert_eq!(s.qr_call(), QrCall::Refresh);
        assert!(s.reusable_qr(&QrCodeType::Wechatpay, NOW + 100).is_some());
        assert!(s.reusable_qr(&QrCodeType::Alipay, NOW + 100).is_none());
        assert!(s.reusable_qr(&QrCodeType::Wechatpay, NOW + QR_LIFETIME_SECS - 30).is_none());
        // The widget's view drops a QR that can no longer be paid, and never shows the secret.
        assert!(s.checkout_view(true, NOW + 1).qr.is_some());
        assert!(s.checkout_view(true, NOW + QR_LIFETIME_SECS).qr.is_none());
        let view = serde_json::to_string(&s.checkout_view(true, NOW)).unwrap();
        assert!(!view.contains("secret") && !view.contains(&s.id));
    }

    #[test]
    fn qr_codes_never_outlive_the_session() {
        let s = session();
        let answer = QrCodeResponse {
            mcht_order_no: s.id.clone(),
            psp: Psp::Easypay,
            code_url: "weixin://x".into(),
            qr_code_type: QrCodeType::Wechatpay,
        };
        // Plenty of session left: the code's own lifetime.
        assert_eq!(qr_response(answer.clone(), NOW, s.expires_at).expires_at, NOW + QR_LIFETIME_SECS);
        // The session ends first: the code ends with it.
        let late = s.expires_at - QR_LIFETIME_SECS / 2;
        assert_eq!(qr_response(answer, late, s.expires_at).expires_at, s.expires_at);
        // No new code once less than the reuse margin is left, nor for a closed session.
        assert!(s.may_issue_qr(NOW));
        assert!(s.may_issue_qr(s.expires_at - QR_REUSE_MARGIN_SECS));
        assert!(!s.may_issue_qr(s.expires_at - QR_REUSE_MARGIN_SECS + 1));
        assert!(!s.may_issue_qr(s.expires_at + 1));
        let mut c = session();
        c.apply(Event::Cancel, NOW_MS).unwrap();
        assert!(!c.may_issue_qr(NOW));
    }

    #[test]
    fn queries_are_bounded_per_session() {
        let mut s = session();
        assert!(!s.query_due(NOW_MS), "no order upstream yet");
        s.apply(Event::QrIssued(qr(QrCodeType::Wechatpay, NOW + 600)), NOW_MS).unwrap();
        assert!(s.query_due(NOW_MS));
        s.last_query_ms = Some(NOW_MS);
        assert!(!s.query_due(NOW_MS + QUERY_INTERVAL_MS - 1));
        assert!(s.query_due(NOW_MS + QUERY_INTERVAL_MS));
        s.apply(Event::Cancel, NOW_MS).unwrap();
        assert!(!s.query_due(NOW_MS + 60_000), "closed sessions are not queried");
    }

    fn signed_notification(s: &Session, status: &str, timestamp: u64) -> Vec<u8> {
        let msg_body = format!(r#"{{"mchtOrderNo":"{}","paymentAmount":1234,"payStatus":"{status}"}}"#, s.id);
        let sign = sign::payzero_notification_signature("tok", &timestamp.to_string(), &msg_body);
        serde_json::json!({"timestamp": timestamp, "msgType": "PAY_STATUS_NOTIFY", "msgBody": msg_body, "sign": sign})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn notifications_are_confirmed_then_deduplicated_on_content() {
        let token = Secret::new("tok");
        let mut s = session();
        let raw = signed_notification(&s, "PAY_SUCCEED", 1);
        let verified = sign::verify_payzero_notification(&raw, &token).unwrap();
        let digest = notification_digest(&raw);
        assert_eq!(s.plan_notification(&digest, &verified).unwrap(), NotificationPlan::ConfirmThenRecord);
        s.remember_notification(digest.clone());
        assert_eq!(s.plan_notification(&digest, &verified).unwrap(), NotificationPlan::Duplicate);
        // A retry sent later is another message with the same content → also new bytes, but a
        // failed-payment notice needs no confirmation.
        let failed = signed_notification(&s, "PAY_FAILED", 2);
        let verified_failed = sign::verify_payzero_notification(&failed, &token).unwrap();
        assert_eq!(
            s.plan_notification(&notification_digest(&failed), &verified_failed).unwrap(),
            NotificationPlan::Record
        );
        for i in 0..(MAX_SEEN_NOTIFICATIONS as u8 + 5) {
            s.remember_notification(notification_digest(&[i]));
        }
        assert_eq!(s.seen_notifications.len(), MAX_SEEN_NOTIFICATIONS);
    }

    #[test]
    fn webhook_retry_schedule_backs_off_and_gives_up() {
        assert_eq!(webhook_retry_delay_secs(0), None);
        assert_eq!(webhook_retry_delay_secs(1), Some(10));
        assert_eq!(webhook_retry_delay_secs(2), Some(30));
        assert_eq!(webhook_retry_delay_secs(5), Some(3600));
        assert_eq!(webhook_retry_delay_secs(8), Some(12 * 3600));
        assert_eq!(webhook_retry_delay_secs(9), None);
        assert!(WEBHOOK_RETRY_DELAYS_SECS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn the_outbox_drives_the_alarm() {
        let mut s = session();
        assert_eq!(s.next_alarm_ms(), Some(s.expires_at * 1000));
        s.apply(Event::OrderConfirmed(result(&s, PayStatus::PaySucceed, 1234)), NOW_MS).unwrap();
        assert_eq!(s.next_alarm_ms(), Some(NOW_MS), "deliver at once");
        let id = s.due_webhooks(NOW_MS)[0].id.clone();
        s.record_delivery(&id, false, NOW_MS);
        assert_eq!(s.next_alarm_ms(), Some(NOW_MS + 10_000));
        assert!(s.due_webhooks(NOW_MS + 9_999).is_empty());
        s.record_delivery(&id, true, NOW_MS + 10_000);
        assert_eq!(s.next_alarm_ms(), None);
        assert!(s.outbox[0].delivered);
        // A merchant that never answers 2xx is given up after the last delay.
        let mut t = session();
        t.apply(Event::Cancel, NOW_MS).unwrap();
        let id = t.outbox[0].event.id.clone();
        for _ in 0..=WEBHOOK_RETRY_DELAYS_SECS.len() {
            t.record_delivery(&id, false, NOW_MS);
        }
        assert_eq!(t.next_alarm_ms(), None);
        assert!(!t.outbox[0].delivered);
    }

    #[test]
    fn without_notify_url_no_webhook_is_queued() {
        let mut params = validate(request()).unwrap();
        params.notify_url = None;
        let mut s = Session::open(new_session_id([1; 12]), ClientSecret::new("x"), params, NOW);
        assert!(s.apply(Event::Cancel, NOW_MS).unwrap().status_changed);
        assert!(s.outbox.is_empty());
        assert!(s.due_webhooks(NOW_MS).is_empty());
        assert_eq!(s.next_alarm_ms(), None, "nothing to deliver, so no alarm");
    }

    #[test]
    fn upstream_requests_carry_the_session_and_never_print_credentials() {
        let s = session();
        let token = Secret::new("jwt-token");
        let create = payzero_create_qr(
            "http://pz/payzero/",
            &token,
            &s,
            QrCodeType::Alipay,
            "https://edge/v1/notify/payzero",
        );
        assert_eq!(create.url, "http://pz/payzero/order/createAndQrCode");
        let body: serde_json::Value = serde_json::from_slice(create.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["mchtOrderNo"], s.id.as_str());
        assert_eq!(body["paymentAmount"], 1234);
        assert_eq!(body["currency"], "CNY");
        assert_eq!(body["needDeclare"], false);
        assert_eq!(body["qrCodeType"], "ALIPAY");
        assert_eq!(body["notifyUrl"], "https://edge/v1/notify/payzero");
        assert!(create.headers.contains(&("Authorization".into(), "Bearer jwt-token".into())));
        assert!(!format!("{create:?}").contains("jwt-token"));

        let refresh = payzero_refresh_qr("http://pz", &token, &s.id, QrCodeType::Unionpay);
        assert_eq!(refresh.url, format!("http://pz/order/qrCode?mchtOrderNo={}&qrCodeType=UNIONPAY", s.id));
        let query = payzero_query_order("http://pz", &token, &s.id);
        assert_eq!(query.url, format!("http://pz/order/queryOrder?mchtOrderNo={}", s.id));
        assert_eq!(query.method, HttpMethod::Get);

        let login = payzero_login("http://pz", &Secret::new("app"), &Secret::new("app-key"));
        assert_eq!(login.url, "http://pz/auth/login");
        assert!(!format!("{login:?}").contains("app-key"));

        let pay = sandbox_pay("http://sb/__admin", &s.id);
        assert_eq!(pay.url, format!("http://sb/__admin/payzero/orders/{}/pay", s.id));
    }

    #[test]
    fn logged_urls_keep_no_query_or_credentials() {
        assert_eq!(
            url_for_log("https://shop.example:8443/hook?token=s3cret#x"),
            "https://shop.example:8443/hook"
        );
        assert_eq!(url_for_log("http://user:pw@shop.example/a/b?x=1"), "http://shop.example/a/b");
        assert_eq!(url_for_log("http://pz/order/queryOrder?mchtOrderNo=A"), "http://pz/order/queryOrder");
        assert_eq!(url_for_log("https://shop.example?token=s3cret"), "https://shop.example");
        assert_eq!(url_for_log("not a url?token=s3cret"), "[unparsable URL]");
        let mut s = session();
        s.apply(Event::Cancel, NOW_MS).unwrap();
        let hook = webhook_delivery(
            "https://shop.example/hook?token=s3cret",
            &Secret::new("w"),
            &s.outbox[0].event,
            NOW,
        );
        assert_eq!(format!("{hook:?}"), "Post https://shop.example/hook");
    }

    #[test]
    fn webhook_deliveries_are_signed_over_the_exact_body() {
        let mut s = session();
        s.apply(Event::Cancel, NOW_MS).unwrap();
        let event = s.outbox[0].event.clone();
        let request = webhook_delivery("https://shop.example/hook", &Secret::new("whsec"), &event, NOW);
        let header = &request.headers.iter().find(|(k, _)| k == "Checkout-Signature").unwrap().1;
        let body = request.body.as_deref().unwrap();
        assert!(sign::webhook_verify(header, body, "whsec", NOW, 300).is_ok());
        let decoded: WebhookEvent = serde_json::from_slice(body).unwrap();
        assert_eq!(decoded, event);
    }

    #[test]
    fn payzero_answers_are_interpreted() {
        let ok = br#"{"success":true,"errorMsg":null,"errorCode":null,"data":{"mchtOrderNo":"A","psp":"EASYPAY","codeUrl":"weixin://x","qrCodeType":"WECHATPAY"}}"#;
        let answer: QrCodeResponse = interpret_payzero(200, ok).unwrap();
        let response = qr_response(answer, NOW, NOW + 1800);
        assert_eq!(response.qr_content, "weixin://x");
        assert_eq!(response.expires_at, NOW + QR_LIFETIME_SECS);
        assert_eq!(interpret_payzero::<QrCodeResponse>(401, b""), Err(UpstreamFailure::Unauthorized(401)));
        assert_eq!(interpret_payzero::<QrCodeResponse>(403, b""), Err(UpstreamFailure::Unauthorized(403)));
        assert_eq!(interpret_payzero::<QrCodeResponse>(500, b""), Err(UpstreamFailure::Http(500)));
        let refused = br#"{"success":false,"errorMsg":"bad","errorCode":"30001","data":null}"#;
        assert!(matches!(
            interpret_payzero::<QrCodeResponse>(200, refused),
            Err(UpstreamFailure::Rejected { code, .. }) if code == "30001"
        ));
        let text = br#"{"success":true,"errorMsg":null,"errorCode":null,"data":"ok"}"#;
        assert!(matches!(interpret_payzero::<QrCodeResponse>(200, text), Err(UpstreamFailure::Malformed(_))));
        assert!(matches!(
            interpret_payzero::<QrCodeResponse>(200, b"<html>"),
            Err(UpstreamFailure::Malformed(_))
        ));
    }

    #[test]
    fn login_reads_the_token_expiry() {
        let claims = crate::jwt::Claims { sub: "app".into(), roles: vec![], iat: NOW, exp: NOW + 4 * 3600 };
        let token = crate::jwt::issue_hs256(&claims, b"k");
        let body = serde_json::json!({"success": true, "errorMsg": null, "errorCode": null, "data": {"username": "app", "token": token}});
        let cached = interpret_login(200, body.to_string().as_bytes()).unwrap();
        assert_eq!(cached.exp, NOW + 4 * 3600);
        assert!(cached.is_fresh(NOW));
        assert!(cached.is_fresh(cached.exp - TOKEN_REFRESH_MARGIN_SECS - 1));
        assert!(!cached.is_fresh(cached.exp - TOKEN_REFRESH_MARGIN_SECS));
        assert!(!format!("{cached:?}").contains(&token));
    }
}
