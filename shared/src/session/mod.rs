//! The checkout session as a sans-IO state machine, in quinn-proto's shape: `handle` takes what
//! happened (a shopper's request, a merchant's cancel, a gateway's answer, a verified notice, the
//! clock), `poll_call` says which upstream call to make next, `poll_timeout` when to be woken, and
//! `poll_event` what changed. A session holds payment attempts; its status follows from their
//! facts. The Durable Object only moves bytes around this: every decision is here, tested with
//! time as an argument, including an eviction between two steps (serialise, restore, go on).

mod attempt;
mod card;
mod ids;
mod outbox;
mod params;
mod refund;
mod stored;

pub use attempt::{Attempt, AttemptError, AttemptState, PaidClaim, Qr};
pub use card::{CARD_POLL_MS, CardFlow, CardInput, MAX_WRONG_CODES, SMS_CODE_LIFETIME_SECS};
pub use ids::{
    ClientSecret, MAX_SESSIONS_PER_ORDER, attempt_order_no, is_session_id, new_client_secret, new_session_id,
    remember_session, session_id_of_order_no, session_id_of_secret,
};
pub use outbox::{
    GIVEN_UP_AFTER_ATTEMPTS, OutgoingWebhook, WEBHOOK_RETRY_DELAYS_SECS, webhook_delivery,
    webhook_retry_delay_secs,
};
pub use params::*;
pub use refund::{
    EZR_APPROVAL_WAIT_SECS, MAX_REASON_CHARS, MAX_REFUNDS, REFUND_FOLLOW_UP_SECS, REFUND_UNDECIDED_SECS,
    Refund, refund_id, refund_index_of,
};
pub use stored::{SCHEMA, load};

use crate::api::{
    CardField, Channel, CheckoutView, ErrorCode, FieldProblem, PaymentMethod, SavedCard, SessionCreated,
    SessionStatus, StatusUpdate, WebhookEvent, WebhookSession,
};
use crate::customer::StoredCard;
use crate::gateway::{self, Answer, Gateway, Op, Outcome, PayState, PaymentFact, Wallet};
use crate::money::Fen;
use crate::payzero::{MsgType, OrderResult, PayStatus};
use crate::undelivered::{LedgerRequest, Undelivered};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::fmt;

// ---------------------------------------------------------------------------------------------
// Timing and budgets

/// How long a QR code can be paid. Neither gateway returns it; the sandbox uses the same.
pub const QR_LIFETIME_SECS: u64 = 600;
/// A cached QR with less life than this left is replaced rather than handed out: the shopper
/// needs time to open the app and scan.
pub const QR_REUSE_MARGIN_SECS: u64 = 60;
/// At most one query per attempt per this period while browsers wait, however many there are.
pub const QUERY_INTERVAL_MS: u64 = 5_000;
/// A Shouqianba QR order has no notification: it is queried this often even with no browser
/// waiting, so a shopper who pays and closes the page is still seen.
pub const SHOUQIANBA_QR_POLL_MS: u64 = 15_000;
/// Shouqianba 2.4: a barcode payment in progress is queried every 5 s until its deadline.
pub const BARCODE_POLL_MS: u64 = 5_000;
/// A call marked as sent that has had no answer this long was lost (the object was evicted or
/// restarted while it was out): well past the edge's 10 s upstream timeout, even with a login.
pub const CALL_LOST_MS: u64 = 60_000;
/// How long a status long-poll waits before answering with the unchanged state.
pub const LONG_POLL_MS: u64 = 20_000;
/// A session's browser-triggered budget: QR codes issued (incl. refreshes and switches).
pub const MAX_QR_ISSUES: u32 = 30;
/// A session's browser-triggered budget: barcode submissions.
pub const MAX_BARCODES: u32 = 10;
/// Status waits held at once per session; more are refused with `rate_limited`.
pub const MAX_STATUS_WAITS: u32 = 8;
/// Waits between the queryOrder calls that confirm a notification's "paid" (the first is made at
/// once): quick while Payzero settles, then spread over about seven hours, the span of Payzero's
/// own notification retries (§3.3). Unconfirmed after them, the session requires attention.
pub const NOTICE_CONFIRM_FOLLOW_UP_SECS: [u64; 10] = [1, 2, 5, 10, 30, 60, 300, 600, 3600, 21_600];
/// How many notification digests a session remembers. Payzero retries one notification at most
/// five times and a session sees only a handful of distinct ones.
pub const MAX_SEEN_NOTICES: usize = 32;

// ---------------------------------------------------------------------------------------------
// Inputs, refusals, events

/// Where a session stands. Closed: `api::SessionStatus` is its wire form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Paid,
    Expired,
    Canceled,
    /// Money moved in a way a person must look at.
    RequiresAttention,
}

impl Status {
    pub fn wire(self) -> SessionStatus {
        match self {
            Status::Open => SessionStatus::Open,
            Status::Paid => SessionStatus::Paid,
            Status::Expired => SessionStatus::Expired,
            Status::Canceled => SessionStatus::Canceled,
            Status::RequiresAttention => SessionStatus::RequiresAttention,
        }
    }
}

/// One refusal a client can act on: the stable code, a message naming the field or the state,
/// and when a rate-limited request may be tried again.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds, for `rate_limited`.
    pub retry_after: Option<u64>,
    /// Boxed: most refusals have none, and a `Result` carrying a refusal stays small.
    pub detail: Option<Box<RefusalDetail>>,
}

/// What a client needs to word a refusal in its own language.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RefusalDetail {
    /// The request field at fault and what is wrong with it.
    pub field: Option<(CardField, FieldProblem)>,
    /// The gateway's own code behind an `upstream_rejected`.
    pub gateway_code: Option<String>,
}

impl Refusal {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Refusal {
        Refusal { code, message: message.into(), retry_after: None, detail: None }
    }

    pub fn with_field(mut self, field: CardField, problem: FieldProblem) -> Refusal {
        self.detail.get_or_insert_default().field = Some((field, problem));
        self
    }

    pub fn with_gateway_code(mut self, code: &str) -> Refusal {
        self.detail.get_or_insert_default().gateway_code = Some(code.to_owned());
        self
    }

    pub fn field(&self) -> Option<&(CardField, FieldProblem)> {
        self.detail.as_ref()?.field.as_ref()
    }

    pub fn gateway_code(&self) -> Option<&str> {
        self.detail.as_ref()?.gateway_code.as_deref()
    }

    pub fn closed(status: Status) -> Refusal {
        Refusal::new(ErrorCode::SessionClosed, format!("the session is {}", status.wire()))
    }

    fn invalid(message: impl Into<String>) -> Refusal {
        Refusal::new(ErrorCode::InvalidRequest, message)
    }
}

/// What happened to a session.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// The shopper wants a QR code for `channel` with `method`.
    ShowQr { method: PaymentMethod, channel: Channel },
    /// The cashier scanned the shopper's payment code; `client_ip` is the address the request
    /// came from (`CF-Connecting-IP`), EZR's `SpbillCreateIp`.
    Barcode { method: PaymentMethod, code: String, client_ip: Option<String> },
    /// A browser is waiting for a change: queries may be due.
    Wait,
    /// The merchant cancels the session.
    Cancel,
    /// Test mode: the sandbox should pay the QR on screen, as a shopper's phone would.
    Simulate,
    /// The merchant refunds (part of) the payment.
    Refund(crate::api::RefundRequest),
    /// A verified Payzero notification; `digest` is `notice_digest` of its raw body.
    Notice { digest: String, msg_type: MsgType, order: Box<OrderResult> },
    /// The answer to call `call`.
    Answer { call: u64, answer: Answer },
    /// A shopper's bank-card request.
    Card(CardInput),
    /// The merchant asks for an event to be delivered again now: one given up after its last
    /// retry, or one still waiting for its next.
    ResendEvent { event_id: String },
    /// Only the clock moved (an alarm).
    Timer,
}

/// What `handle` accepted, so the requester knows what to read once the calls are done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// Nothing particular to wait for.
    Done,
    /// The attempt the request concerns.
    Attempt(u32),
    /// A card request: read `card_result` once its calls are done.
    Card,
    /// A notice is recorded (durably, once the session is saved): answer at once. What it claims
    /// is confirmed by the calls it queued, which the shell leaves to the alarm.
    Recorded,
    /// A refund, by index: read `refund_view` once its calls are done.
    Refund(u32),
}

/// What changed, for whoever waits on the session (status long-polls).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Something a browser can see changed; the version is now this.
    Changed(u64),
}

/// Why a session is being closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Closing {
    Expire,
    Cancel,
}

/// What a queued call is for, beyond its attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Normal,
    /// The last word before the session closes.
    FinalQuery,
    /// Confirms a notification's claim; recorded as `digest` when paid.
    Confirm(String),
}

/// Where a call stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    Queued { not_before_ms: u64 },
    Sent { at_ms: u64 },
}

/// An upstream call the session wants made or is waiting on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    pub id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    pub op: Op,
    pub purpose: Purpose,
    pub state: CallState,
    /// Tries sent so far.
    pub tries: u32,
    /// Payzero: the token was refused; ask the cache for a new one before sending.
    #[serde(default)]
    pub fresh_token: bool,
}

/// A call handed to the shell: what to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub id: u64,
    pub op: Op,
    pub fresh_token: bool,
}

// ---------------------------------------------------------------------------------------------
// The session

/// One checkout session, as its Durable Object stores it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// The stored form's version (`stored::SCHEMA`).
    pub schema: u32,
    pub id: String,
    pub client_secret: ClientSecret,
    pub params: SessionParams,
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds.
    pub expires_at: u64,
    pub status: Status,
    /// Grows by one at every change a browser can see.
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<u64>,
    /// The attempt whose payment counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_attempt: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closing: Option<Closing>,
    pub attempts: Vec<Attempt>,
    pub calls: Vec<Call>,
    pub next_call_id: u64,
    pub outbox: Vec<OutgoingWebhook>,
    /// SHA-256 digests of the raw notifications already recorded, newest last.
    pub seen_notices: Vec<String>,
    pub qr_issues: u32,
    pub barcodes: u32,
    /// The bank-card step the shopper is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<CardFlow>,
    /// Cards signed in this session (with a `customer`, also saved for them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agreements: Vec<StoredCard>,
    /// Card sign-ups started (numbers their `requestId`s).
    #[serde(default)]
    pub signups: u32,
    /// SMS codes sent, and when the last one went out (unix ms).
    #[serde(default)]
    pub sms_sent: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sms_ms: Option<u64>,
    /// The keyed hash of the mobile the first code went to: the session's only phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_tag: Option<String>,
    /// The customs declaration, as Payzero last reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declaration: Option<crate::api::DeclarationView>,
    /// The merchant's refunds of the payment, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refunds: Vec<Refund>,
    /// Why the last card request was refused, for its requester (taken once).
    #[serde(skip)]
    card_refusal: Option<Refusal>,
    #[serde(skip)]
    events: VecDeque<Event>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("status", &self.status)
            .field("version", &self.version)
            .field("attempts", &self.attempts.len())
            .field("calls", &self.calls.len())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A new open session created at `now` (unix seconds).
    pub fn open(id: String, client_secret: ClientSecret, params: SessionParams, now: u64) -> Session {
        Session {
            schema: SCHEMA,
            expires_at: now.saturating_add(params.expires_in),
            id,
            client_secret,
            params,
            created_at: now,
            status: Status::Open,
            version: 1,
            paid_at: None,
            paid_attempt: None,
            attention: None,
            closing: None,
            attempts: Vec::new(),
            calls: Vec::new(),
            next_call_id: 1,
            outbox: Vec::new(),
            seen_notices: Vec::new(),
            qr_issues: 0,
            barcodes: 0,
            card: None,
            agreements: Vec::new(),
            signups: 0,
            sms_sent: 0,
            last_sms_ms: None,
            phone_tag: None,
            declaration: None,
            refunds: Vec::new(),
            card_refusal: None,
            events: VecDeque::new(),
        }
    }

    // ----- the sans-IO interface

    /// Takes what happened at `now_ms` (unix milliseconds). Time-driven work (expiry, polls,
    /// lost calls) is caught up first, whatever the input.
    pub fn handle(&mut self, input: Input, now_ms: u64) -> Result<Accepted, Refusal> {
        self.catch_up(now_ms);
        match input {
            Input::ShowQr { method, channel } => self.show_qr(&method, &channel, now_ms),
            Input::Barcode { method, code, client_ip } => {
                self.submit_barcode(&method, &code, client_ip, now_ms)
            }
            Input::Wait => {
                self.queue_due_queries(now_ms, QUERY_INTERVAL_MS);
                Ok(Accepted::Done)
            }
            Input::Cancel => self.cancel(now_ms),
            Input::ResendEvent { event_id } => self.resend_event(&event_id, now_ms),
            Input::Refund(request) => self.refund(request, now_ms).map(Accepted::Refund),
            Input::Simulate => self.simulate(now_ms),
            Input::Notice { digest, msg_type, order } => Ok(self.notice(digest, &msg_type, *order, now_ms)),
            Input::Answer { call, answer } => {
                self.answer(call, &answer, now_ms);
                Ok(Accepted::Done)
            }
            Input::Card(input) => self.card_input(input, now_ms),
            Input::Timer => Ok(Accepted::Done),
        }
    }

    /// The next call to send at `now_ms`, marked as sent. The shell sends it and hands the
    /// answer back as `Input::Answer`.
    pub fn poll_call(&mut self, now_ms: u64) -> Option<Outgoing> {
        self.poll_call_where(now_ms, |_| true)
    }

    /// `poll_call` limited to the calls `wanted` accepts; the others stay queued (and
    /// `poll_timeout` keeps asking for them). A shopper's request makes only the calls that
    /// concern it, so a slow merchant endpoint never holds a page: webhooks go out on the alarm.
    pub fn poll_call_where(&mut self, now_ms: u64, wanted: impl Fn(&Op) -> bool) -> Option<Outgoing> {
        let call = self.calls.iter_mut().find(|c| {
            matches!(c.state, CallState::Queued { not_before_ms } if not_before_ms <= now_ms) && wanted(&c.op)
        })?;
        call.state = CallState::Sent { at_ms: now_ms };
        call.tries = call.tries.saturating_add(1);
        Some(Outgoing { id: call.id, op: call.op.clone(), fresh_token: call.fresh_token })
    }

    /// When the session next needs the clock (unix milliseconds): its expiry, a queued call, a
    /// call that may have been lost, a barcode poll or deadline, a background query.
    pub fn poll_timeout(&self) -> Option<u64> {
        let expiry = (self.status == Status::Open && self.closing.is_none()).then(|| self.expires_at * 1000);
        let calls = self.calls.iter().map(|c| match c.state {
            CallState::Queued { not_before_ms } => not_before_ms,
            CallState::Sent { at_ms } => at_ms.saturating_add(CALL_LOST_MS),
        });
        let polls = self.attempts.iter().filter_map(|a| self.next_poll_of(a));
        expiry.into_iter().chain(calls).chain(polls).chain(self.next_refund_follow_up()).min()
    }

    /// The next change to tell waiters about.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    // ----- time

    fn catch_up(&mut self, now_ms: u64) {
        // Calls sent so long ago that their answer will never come.
        let lost: Vec<u64> = self
            .calls
            .iter()
            .filter(|c| matches!(c.state, CallState::Sent { at_ms } if now_ms >= at_ms.saturating_add(CALL_LOST_MS)))
            .map(|c| c.id)
            .collect();
        for id in lost {
            self.answer(id, &Answer::Lost("no answer before the object restarted".into()), now_ms);
        }
        if self.status == Status::Open && self.closing.is_none() && now_ms >= self.expires_at * 1000 {
            self.begin_close(Closing::Expire, now_ms);
        }
        // Barcode polls and deadlines, and the background polls of QR orders without notices.
        let due: Vec<u32> = self
            .attempts
            .iter()
            .filter(|a| self.next_poll_of(a).is_some_and(|at| at <= now_ms))
            .map(|a| a.index)
            .collect();
        for index in due {
            self.poll_attempt(index, now_ms);
        }
        self.follow_up_refunds(now_ms);
    }

    /// When attempt `a` next needs a query or a cancel, if it waits for one.
    fn next_poll_of(&self, a: &Attempt) -> Option<u64> {
        if self.has_call(a.index) {
            return None;
        }
        let claim = a.claim.as_ref().and_then(|c| c.next_ms);
        let own = match (a.method, a.state) {
            (Method::ShouqianbaBarcode | Method::EzrBarcode, AttemptState::Polling) => {
                let deadline = a.deadline_ms.unwrap_or(0);
                Some(a.next_poll_ms.unwrap_or(0).min(deadline.saturating_add(1)))
            }
            (Method::ShouqianbaQr, AttemptState::Open) if self.status == Status::Open => {
                Some(a.last_query_ms.unwrap_or(a.started_ms).saturating_add(SHOUQIANBA_QR_POLL_MS))
            }
            (Method::PayzeroCard, AttemptState::Polling) => {
                let deadline = a.deadline_ms.unwrap_or(u64::MAX);
                Some(a.next_poll_ms.unwrap_or(0).min(deadline.saturating_add(1)))
            }
            _ => None,
        };
        match (own, claim) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        }
    }

    fn poll_attempt(&mut self, index: u32, now_ms: u64) {
        let Some(a) = self.attempt(index) else { return };
        if a.claim.as_ref().is_some_and(|c| c.next_ms.is_some_and(|at| at <= now_ms)) {
            // A notice's "paid" to confirm: this query also serves the attempt's own polling.
            let op = query_op(a);
            if let Some(claim) = self.attempt_mut(index).and_then(|a| a.claim.as_mut()) {
                claim.next_ms = None;
                claim.follow_ups = claim.follow_ups.saturating_add(1);
            }
            self.queue(Some(index), op, Purpose::Normal, now_ms);
            return;
        }
        let op = match (a.method, a.state) {
            (Method::ShouqianbaBarcode | Method::EzrBarcode, AttemptState::Polling) => {
                if now_ms > a.deadline_ms.unwrap_or(0) {
                    self.start_cancel(index, now_ms);
                    return;
                }
                query_op(a)
            }
            (Method::PayzeroCard, AttemptState::Polling) => {
                if a.deadline_ms.is_some_and(|deadline| now_ms > deadline) {
                    self.card_undecided(index, now_ms);
                    return;
                }
                query_op(a)
            }
            (Method::ShouqianbaQr, AttemptState::Open) => query_op(a),
            _ => return,
        };
        if let Some(a) = self.attempt_mut(index) {
            a.last_query_ms = Some(now_ms);
            a.next_poll_ms = None;
            if a.method == Method::PayzeroCard {
                // A card payment stored before deadlines existed gets one now.
                a.deadline_ms.get_or_insert(now_ms.saturating_add(card::CARD_DECISION_MS));
            }
        }
        self.queue(Some(index), op, Purpose::Normal, now_ms);
    }

    // ----- shopper requests

    fn check_open(&self, now_ms: u64) -> Result<(), Refusal> {
        if self.status != Status::Open || self.closing.is_some() || now_ms >= self.expires_at * 1000 {
            let status = if self.status == Status::Open { Status::Expired } else { self.status };
            return Err(Refusal::closed(status));
        }
        Ok(())
    }

    fn offered(&self, wire: &PaymentMethod) -> Result<Method, Refusal> {
        Method::from_wire(wire).filter(|m| self.params.methods.contains(m)).ok_or_else(|| {
            Refusal::new(
                ErrorCode::MethodNotSupported,
                format!("method: this session does not offer \"{wire}\""),
            )
        })
    }

    fn show_qr(&mut self, wire: &PaymentMethod, channel: &Channel, now_ms: u64) -> Result<Accepted, Refusal> {
        let method = self.offered(wire)?;
        let now = now_ms / 1000;
        let wallet =
            Wallet::from_channel(channel).filter(|_| wire.channels().contains(channel)).ok_or_else(|| {
                let names: Vec<&str> = wire.channels().iter().map(Channel::as_str).collect();
                Refusal::invalid(format!(
                    "channel must be one of {} for {wire}, not \"{channel}\"",
                    names.join(", ")
                ))
            })?;
        self.check_open(now_ms)?;
        // A code for this wallet that can still be scanned and paid is handed out again.
        if let Some(a) = self.attempts.iter().rev().find(|a| {
            a.method == method
                && a.state == AttemptState::Open
                && a.qr
                    .as_ref()
                    .is_some_and(|qr| qr.wallet == wallet && qr.expires_at > now + QR_REUSE_MARGIN_SECS)
        }) {
            return Ok(Accepted::Attempt(a.index));
        }
        if self.expires_at < now.saturating_add(QR_REUSE_MARGIN_SECS) {
            return Err(Refusal::invalid(
                "the session ends in less than a minute, too soon for a new QR code",
            ));
        }
        if self.attempts.iter().any(|a| a.state == AttemptState::Issuing) {
            return Err(rate_limited("a QR code is being issued", 1));
        }
        if self.qr_issues >= MAX_QR_ISSUES {
            return Err(rate_limited(
                "this session has issued as many QR codes as it may",
                self.seconds_left(now),
            ));
        }
        self.qr_issues += 1;
        let index =
            match method {
                // One Payzero order per session: another wallet or a fresh code is a `qrCode` call
                // on the same order.
                Method::PayzeroQr => {
                    match self.attempts.iter().rposition(|a| a.method == method && a.order_created) {
                        Some(pos) => {
                            let a = &mut self.attempts[pos];
                            a.state = AttemptState::Issuing;
                            a.error = None;
                            let op = Op::PayzeroRefreshQr { order_no: a.order_no.clone(), wallet };
                            let index = a.index;
                            self.queue(Some(index), op, Purpose::Normal, now_ms);
                            index
                        }
                        None => {
                            let (declare, customs) = self.customs_for_order();
                            let order_datetime = self.order_datetime();
                            self.issue_new_order(method, now_ms, |order_no, amount, subject| {
                                Op::PayzeroCreateQr {
                                    order_no,
                                    amount,
                                    subject,
                                    wallet,
                                    declare,
                                    order_datetime,
                                    customs,
                                }
                            })
                        }
                    }
                }
                // A Shouqianba precreate order belongs to one wallet: each code is a new order. The
                // older ones stay open (a shopper may be paying one) until the session closes.
                Method::ShouqianbaQr => {
                    let text = self.params.sqb_text();
                    self.issue_new_order(method, now_ms, |order_no, amount, subject| {
                        Op::ShouqianbaPrecreate { order_no, amount, subject, wallet, text }
                    })
                }
                Method::PayzeroCard | Method::ShouqianbaBarcode | Method::EzrBarcode => {
                    return Err(Refusal::new(
                        ErrorCode::MethodNotSupported,
                        format!("method: {wire} has no QR code"),
                    ));
                }
            };
        Ok(Accepted::Attempt(index))
    }

    fn submit_barcode(
        &mut self,
        wire: &PaymentMethod,
        code: &str,
        client_ip: Option<String>,
        now_ms: u64,
    ) -> Result<Accepted, Refusal> {
        let method = self.offered(wire)?;
        if !method.is_barcode() {
            return Err(Refusal::new(
                ErrorCode::MethodNotSupported,
                format!("method: {wire} takes no payment code"),
            ));
        }
        let code = code.trim();
        if !is_payment_code(code) {
            return Err(Refusal::invalid(
                "code must be the 16 to 24 digits of a WeChat Pay or Alipay payment code",
            ));
        }
        self.check_open(now_ms)?;
        if self.attempts.iter().any(|a| a.method.is_barcode() && a.state.in_progress()) {
            return Err(rate_limited("a payment is already in progress", BARCODE_POLL_MS / 1000));
        }
        if self.barcodes >= MAX_BARCODES {
            return Err(rate_limited(
                "this session has taken as many payment codes as it may",
                self.seconds_left(now_ms / 1000),
            ));
        }
        self.barcodes += 1;
        let index = self.new_attempt(method, AttemptState::Paying, now_ms);
        let a = &mut self.attempts[index as usize];
        a.order_created = true;
        a.deadline_ms = Some(now_ms.saturating_add(self.params.barcode_deadline.saturating_mul(1000)));
        let (order_no, amount, subject) =
            (a.order_no.clone(), self.params.amount, self.params.subject.clone());
        let code = code.to_owned();
        let op = match method {
            Method::ShouqianbaBarcode => {
                Op::ShouqianbaPay { order_no, amount, subject, code, text: self.params.sqb_text() }
            }
            _ => Op::EzrPay { order_no, amount, subject, code, client_ip },
        };
        self.queue(Some(index), op, Purpose::Normal, now_ms);
        self.changed();
        Ok(Accepted::Attempt(index))
    }

    fn simulate(&mut self, now_ms: u64) -> Result<Accepted, Refusal> {
        self.check_open(now_ms)?;
        let a = self
            .attempts
            .iter()
            .rev()
            .find(|a| a.qr.is_some() && a.state == AttemptState::Open)
            .ok_or_else(|| Refusal::invalid("request a QR code before simulating its payment"))?;
        let (index, op) = (a.index, Op::SandboxPay { gateway: a.gateway(), order_no: a.order_no.clone() });
        if let Some(a) = self.attempt_mut(index) {
            a.error = None;
        }
        self.queue(Some(index), op, Purpose::Normal, now_ms);
        Ok(Accepted::Attempt(index))
    }

    // ----- merchant requests

    fn cancel(&mut self, now_ms: u64) -> Result<Accepted, Refusal> {
        match self.status {
            Status::Open => {
                if self.closing.is_none() {
                    self.begin_close(Closing::Cancel, now_ms);
                } else {
                    // Already closing (expiry): a cancel now asks for the same end.
                    self.closing = Some(Closing::Cancel);
                }
                Ok(Accepted::Done)
            }
            Status::Canceled => Ok(Accepted::Done),
            other => Err(Refusal::closed(other)),
        }
    }

    /// Starts closing: a last query of every order the shopper may have paid, so a payment made
    /// at the last moment ends as paid rather than canceled or expired; cancels of barcode
    /// payments still being decided. The session closes when the last queries are answered.
    fn begin_close(&mut self, reason: Closing, now_ms: u64) {
        self.closing = Some(reason);
        let indexes: Vec<u32> = self.attempts.iter().map(|a| a.index).collect();
        for index in indexes {
            let Some(a) = self.attempt(index) else { continue };
            if a.method.is_barcode() && matches!(a.state, AttemptState::Polling) {
                self.start_cancel(index, now_ms);
            } else if !a.method.is_barcode()
                && (a.awaits_shopper()
                    || (a.method == Method::PayzeroCard && a.state == AttemptState::Polling))
                && !self.has_call(index)
            {
                let op = query_op(a);
                self.queue(Some(index), op, Purpose::FinalQuery, now_ms);
            }
        }
        self.finish_close_if_ready(now_ms);
    }

    fn finish_close_if_ready(&mut self, now_ms: u64) {
        let Some(reason) = self.closing else { return };
        if self.calls.iter().any(|c| c.purpose == Purpose::FinalQuery) {
            return;
        }
        self.closing = None;
        if self.status == Status::Open {
            let status = match reason {
                Closing::Expire => Status::Expired,
                Closing::Cancel => Status::Canceled,
            };
            self.set_status(status, now_ms);
        }
        self.close_other_attempts(None, now_ms);
    }

    /// Closes every attempt the shopper could still pay except `keep`: Shouqianba orders are
    /// canceled at the gateway; Payzero QR orders cannot be withdrawn and are closed here.
    fn close_other_attempts(&mut self, keep: Option<u32>, now_ms: u64) {
        let indexes: Vec<u32> = self.attempts.iter().map(|a| a.index).filter(|i| Some(*i) != keep).collect();
        for index in indexes {
            let Some(a) = self.attempt(index) else { continue };
            match (a.method, a.state) {
                (Method::ShouqianbaQr, AttemptState::Open | AttemptState::Issuing | AttemptState::Failed)
                    if a.order_created =>
                {
                    self.start_cancel(index, now_ms)
                }
                // A card payment still completing cannot be withdrawn; Payzero's notice will
                // tell if it does complete, and a payment still counts.
                (Method::PayzeroCard, AttemptState::Polling) => {
                    if let Some(a) = self.attempt_mut(index) {
                        a.state = AttemptState::Closed;
                    }
                }
                (_, AttemptState::Polling) => self.start_cancel(index, now_ms),
                (
                    Method::PayzeroQr | Method::PayzeroCard | Method::ShouqianbaQr,
                    AttemptState::Open | AttemptState::Issuing | AttemptState::Failed,
                ) => {
                    if let Some(a) = self.attempt_mut(index) {
                        a.state = AttemptState::Closed;
                    }
                }
                _ => {}
            }
        }
    }

    fn start_cancel(&mut self, index: u32, now_ms: u64) {
        let Some(a) = self.attempt(index) else { return };
        if self.has_call(index) && a.state == AttemptState::Canceling {
            return;
        }
        let op = match (a.method, &a.gateway_ref) {
            (Method::ShouqianbaQr | Method::ShouqianbaBarcode, _) => {
                Op::ShouqianbaCancel { order_no: a.order_no.clone() }
            }
            (Method::EzrBarcode, Some(gateway_ref)) => Op::EzrCancel { gateway_ref: gateway_ref.clone() },
            // EZR cancels by its own order number: learn it first.
            (Method::EzrBarcode, None) => Op::EzrQuery { order_no: a.order_no.clone() },
            (Method::PayzeroQr | Method::PayzeroCard, _) => return,
        };
        if let Some(a) = self.attempt_mut(index) {
            a.state = AttemptState::Canceling;
        }
        // A query already out for this attempt will be answered; the cancel follows it.
        self.calls.retain(|c| !(c.attempt == Some(index) && matches!(c.state, CallState::Queued { .. })));
        self.queue(Some(index), op, Purpose::Normal, now_ms);
    }

    // ----- notifications

    fn notice(&mut self, digest: String, msg_type: &MsgType, order: OrderResult, now_ms: u64) -> Accepted {
        if self.seen_notices.contains(&digest) {
            return Accepted::Done;
        }
        let Some(index) = self.attempts.iter().find(|a| a.order_no == order.mcht_order_no).map(|a| a.index)
        else {
            // Not an order of ours in this session: acknowledged, so Payzero stops retrying.
            self.remember_notice(digest);
            return Accepted::Done;
        };
        if *msg_type == MsgType::DeclareStatusNotify {
            self.declaration_notice(&order, now_ms);
            self.remember_notice(digest);
            return Accepted::Done;
        }
        let claims_paid = *msg_type == MsgType::PayStatusNotify && order.pay_status == PayStatus::PaySucceed;
        let mut accepted = Accepted::Done;
        if claims_paid
            && let Some(a) = self.attempt_mut(index)
            && a.state != AttemptState::Paid
            && a.claim.is_none()
        {
            accepted = Accepted::Recorded;
            // PRODUCT.md: a status a callback reports is confirmed with the gateway first. The
            // claim is recorded now and queryOrder asked on the alarm, so Payzero hears `OK` at
            // once (§3.1: it waits 5 s at most) however slow queryOrder is.
            a.claim =
                Some(PaidClaim { since_ms: now_ms, follow_ups: 0, next_ms: Some(now_ms), last_answer: None });
        }
        self.remember_notice(digest);
        accepted
    }

    /// After queryOrder answered about attempt `index` (in `words` when it did not say "paid"):
    /// a claim of payment still unconfirmed is asked about again, later each time, and handed to
    /// a person when the schedule runs out — a signed notice and the query disagree about money.
    fn follow_claim(&mut self, index: u32, words: String, now_ms: u64) {
        let Some(a) = self.attempt_mut(index) else { return };
        if matches!(a.state, AttemptState::Paid | AttemptState::NeedsReview) {
            a.claim = None;
            return;
        }
        let order_no = a.order_no.clone();
        let Some(claim) = a.claim.as_mut() else { return };
        if claim.next_ms.is_some() {
            // A query of the attempt's own (a waiting browser's): the claim keeps its schedule.
            return;
        }
        claim.last_answer = Some(words);
        let step = claim.follow_ups.saturating_sub(1) as usize;
        if let Some(wait) = NOTICE_CONFIRM_FOLLOW_UP_SECS.get(step) {
            claim.next_ms = Some(now_ms.saturating_add(wait * 1000));
            return;
        }
        let claim = a.claim.take();
        let last = claim.and_then(|c| c.last_answer).unwrap_or_default();
        let reason = format!(
            "Payzero notified order {order_no} paid, but queryOrder has not confirmed it after {} \
             queries (last: {last})",
            NOTICE_CONFIRM_FOLLOW_UP_SECS.len() + 1
        );
        self.require_attention(reason, now_ms);
    }

    /// A verified DECLARE_STATUS_NOTIFY (§3.5): a new declaration state reaches the merchant as
    /// `checkout.declaration.updated`; the same state again changes nothing.
    fn declaration_notice(&mut self, order: &OrderResult, now_ms: u64) {
        let Some(status) = &order.declare_status else { return };
        let view = crate::api::DeclarationView {
            status: status.as_str().to_owned(),
            fail_reason: order.declare_fail_reason.clone().filter(|r| !r.is_empty()),
            order_no: order.mcht_order_no.clone(),
        };
        if self.declaration.as_ref() == Some(&view) {
            return;
        }
        self.declaration = Some(view);
        self.changed();
        self.queue_webhook("checkout.declaration.updated", now_ms);
    }

    /// Whether the notice with `digest` is recorded (so it may be acknowledged).
    pub fn notice_recorded(&self, digest: &str) -> bool {
        self.seen_notices.iter().any(|d| d == digest)
    }

    fn remember_notice(&mut self, digest: String) {
        if self.seen_notices.contains(&digest) {
            return;
        }
        self.seen_notices.push(digest);
        let excess = self.seen_notices.len().saturating_sub(MAX_SEEN_NOTICES);
        self.seen_notices.drain(..excess);
    }

    // ----- answers

    fn answer(&mut self, id: u64, answer: &Answer, now_ms: u64) {
        let Some(pos) =
            self.calls.iter().position(|c| c.id == id && matches!(c.state, CallState::Sent { .. }))
        else {
            // Already handled (a late answer to a call taken for lost): nothing to do.
            return;
        };
        let outcome = gateway::interpret(&self.calls[pos].op, answer);
        let call = &mut self.calls[pos];
        match &outcome {
            Outcome::Unauthorized if !call.fresh_token => {
                // The token was refused and nothing was done: once more with a new token.
                call.fresh_token = true;
                call.state = CallState::Queued { not_before_ms: now_ms };
                return;
            }
            Outcome::Failed { .. } => {
                if let Some(at) = call.op.strategy().retry_at(call.tries, now_ms) {
                    call.state = CallState::Queued { not_before_ms: at };
                    return;
                }
            }
            _ => {}
        }
        let call = self.calls.remove(pos);
        let claim_words = match (&call.op, &outcome) {
            (Op::PayzeroQuery { .. }, Outcome::Payment(fact)) => {
                Some(format!("queryOrder: {:?} for {} fen", fact.state, fact.amount.map_or(0, |f| f.0)))
            }
            (Op::PayzeroQuery { .. }, Outcome::Rejected { code, message }) => {
                Some(format!("queryOrder refused: {code} {message}"))
            }
            (Op::PayzeroQuery { .. }, Outcome::Failed { reason }) => Some(format!("queryOrder: {reason}")),
            (Op::PayzeroQuery { .. }, other) => Some(format!("queryOrder: {other:?}")),
            _ => None,
        };
        let claim_of = call.attempt.filter(|_| claim_words.is_some());
        match &call.op {
            Op::Webhook { event_id } => self.delivered(event_id, outcome == Outcome::Done, now_ms),
            Op::SmsPermit { .. }
            | Op::PayzeroAgreeApply { .. }
            | Op::PayzeroAgreeConfirm { .. }
            | Op::PayzeroQuickpay { .. }
            | Op::PayzeroQuickpayConfirm { .. }
            | Op::PayzeroQuickpayRedo { .. }
            | Op::CustomerCard { .. } => self.card_answer(call.attempt, &call.op, outcome, now_ms),
            op if op.refund_index().is_some() => self.refund_answer(op, outcome, now_ms),
            Op::PayzeroQuery { .. } if self.settles_refused_confirm(call.attempt) => {
                if let Some(index) = call.attempt {
                    self.refused_confirm_settled(index, outcome, now_ms);
                }
            }
            _ => {
                if let Some(index) = call.attempt {
                    self.apply(index, &call.op, &call.purpose, outcome, now_ms);
                }
            }
        }
        if let (Some(index), Some(words)) = (claim_of, claim_words) {
            self.follow_claim(index, words, now_ms);
        }
        self.finish_close_if_ready(now_ms);
    }

    fn apply(&mut self, index: u32, op: &Op, purpose: &Purpose, outcome: Outcome, now_ms: u64) {
        let Some(a) = self.attempt(index) else { return };
        let (method, state) = (a.method, a.state);
        match outcome {
            Outcome::Qr { order_no, content, provider } => {
                let expires_at = (now_ms / 1000).saturating_add(QR_LIFETIME_SECS).min(self.expires_at);
                let wallet = op_wallet(op);
                let closed = self.status != Status::Open || self.closing.is_some();
                let Some(a) = self.attempt_mut(index) else { return };
                if order_no != a.order_no {
                    a.state = if a.order_created { AttemptState::Open } else { AttemptState::Failed };
                    a.error = Some(error(ErrorCode::UpstreamError, "the gateway answered for another order"));
                    return;
                }
                a.order_created = true;
                if closed {
                    // The session closed while the code was being issued: it is never shown.
                    a.state = AttemptState::Open;
                    self.close_other_attempts(self.paid_attempt, now_ms);
                    return;
                }
                a.state = AttemptState::Open;
                a.qr = wallet.map(|wallet| Qr { wallet, content, provider, expires_at });
            }
            Outcome::Payment(fact) => self.payment(index, fact, purpose, now_ms),
            // Refund calls are answered in `refund_answer`, never about an attempt.
            Outcome::Refund(_) | Outcome::Refunds(_) | Outcome::OrderRefunded { .. } => {}
            Outcome::InProgress { gateway_ref } => {
                let Some(a) = self.attempt_mut(index) else { return };
                if gateway_ref.is_some() {
                    a.gateway_ref = gateway_ref;
                }
                match state {
                    AttemptState::Paying | AttemptState::Polling => {
                        a.state = AttemptState::Polling;
                        a.next_poll_ms = Some(now_ms.saturating_add(BARCODE_POLL_MS));
                    }
                    // The query before an EZR cancel: now the cancel can name the order.
                    AttemptState::Canceling => self.start_cancel(index, now_ms),
                    _ => {}
                }
            }
            Outcome::Declined { reason } => {
                if let Some(a) = self.attempt_mut(index) {
                    a.state = AttemptState::Declined;
                    a.decline = Some(reason);
                }
                self.changed();
            }
            Outcome::NotFound => match state {
                // The pay never reached the gateway (2.4: "失败并且不需要撤单").
                AttemptState::Paying | AttemptState::Polling => {
                    if let Some(a) = self.attempt_mut(index) {
                        a.state = AttemptState::Declined;
                        a.decline = Some("ORDER_NOT_EXISTS".into());
                    }
                    self.changed();
                }
                // Nothing to cancel.
                AttemptState::Canceling => self.attempt_canceled(index),
                _ => {}
            },
            Outcome::Canceled => self.attempt_canceled(index),
            Outcome::NeedsReview { reason } => {
                if let Some(a) = self.attempt_mut(index) {
                    a.state = AttemptState::NeedsReview;
                }
                let reason = format!(
                    "{} order {} is uncertain at the gateway ({reason})",
                    method_name(method),
                    self.attempts[index as usize].order_no
                );
                self.require_attention(reason, now_ms);
            }
            Outcome::Rejected { code, message } => self.failed(
                index,
                op,
                state,
                ErrorCode::UpstreamRejected,
                format!("the gateway refused: {code} {message}"),
                now_ms,
            ),
            Outcome::Unauthorized => self.failed(
                index,
                op,
                state,
                ErrorCode::UpstreamError,
                "the gateway refused our credentials".into(),
                now_ms,
            ),
            Outcome::Failed { reason } => {
                self.failed(index, op, state, ErrorCode::UpstreamError, reason, now_ms)
            }
            // Answers only card calls get; those never reach here.
            Outcome::Done | Outcome::CodeSent | Outcome::Signed { .. } | Outcome::RateLimited { .. } => {}
        }
    }

    /// A call on attempt `index` failed for good.
    fn failed(
        &mut self,
        index: u32,
        op: &Op,
        state: AttemptState,
        code: ErrorCode,
        message: String,
        now_ms: u64,
    ) {
        match op {
            // The order may already exist (an earlier answer was lost, or a concurrent request
            // made it): `qrCode` gives the code for it.
            Op::PayzeroCreateQr { order_no, wallet, .. } if code == ErrorCode::UpstreamRejected => {
                let op = Op::PayzeroRefreshQr { order_no: order_no.clone(), wallet: *wallet };
                if let Some(a) = self.attempt_mut(index) {
                    a.order_created = true;
                }
                self.queue(Some(index), op, Purpose::Normal, now_ms);
            }
            Op::PayzeroCreateQr { .. }
            | Op::PayzeroRefreshQr { .. }
            | Op::ShouqianbaPrecreate { .. }
            | Op::SandboxPay { .. } => {
                let Some(a) = self.attempt_mut(index) else { return };
                if state == AttemptState::Issuing {
                    a.state = if a.order_created { AttemptState::Open } else { AttemptState::Failed };
                }
                a.error = Some(error(code, &message));
            }
            Op::ShouqianbaCancel { .. } | Op::EzrCancel { .. } => {
                if let Some(a) = self.attempt_mut(index) {
                    a.state = AttemptState::NeedsReview;
                }
                let order_no =
                    self.attempts.get(index as usize).map(|a| a.order_no.clone()).unwrap_or_default();
                self.require_attention(
                    format!("the cancel of order {order_no} did not go through: {message}"),
                    now_ms,
                );
            }
            // A failed query changes nothing: a barcode payment polls again, a QR waits.
            _ => {
                if let Some(a) = self.attempt_mut(index) {
                    if a.state == AttemptState::Polling
                        || (a.state == AttemptState::Paying && a.method.is_barcode())
                    {
                        a.state = AttemptState::Polling;
                        a.next_poll_ms = Some(now_ms.saturating_add(BARCODE_POLL_MS));
                    } else if a.state == AttemptState::Canceling {
                        // The query before an EZR cancel failed: try the cancel path again later.
                        a.state = AttemptState::Polling;
                        a.next_poll_ms = Some(now_ms.saturating_add(BARCODE_POLL_MS));
                    }
                }
            }
        }
    }

    fn attempt_canceled(&mut self, index: u32) {
        if let Some(a) = self.attempt_mut(index) {
            a.state = AttemptState::Canceled;
            a.qr = None;
        }
        self.changed();
    }

    /// The gateway's word on an attempt's order.
    fn payment(&mut self, index: u32, fact: PaymentFact, purpose: &Purpose, now_ms: u64) {
        let Some(a) = self.attempt(index) else { return };
        let (method, state, order_no) = (a.method, a.state, a.order_no.clone());
        if fact.order_no != order_no {
            if fact.state == PayState::Paid {
                let reason = format!(
                    "the gateway reports order {} paid in answer to a question about {order_no}",
                    fact.order_no
                );
                self.require_attention(reason, now_ms);
            }
            return;
        }
        if let Some(a) = self.attempt_mut(index)
            && fact.gateway_ref.is_some()
        {
            a.gateway_ref.clone_from(&fact.gateway_ref);
        }
        match fact.state {
            PayState::Paid => {
                if let Purpose::Confirm(digest) = purpose {
                    self.remember_notice(digest.clone());
                }
                if let Some(got) = fact.amount
                    && got != self.params.amount
                {
                    if let Some(a) = self.attempt_mut(index) {
                        a.state = AttemptState::NeedsReview;
                    }
                    let reason = format!(
                        "the gateway reports {} fen paid for order {order_no}, a session of {} fen",
                        got.0, self.params.amount.0
                    );
                    self.require_attention(reason, now_ms);
                    return;
                }
                self.paid(index, now_ms);
            }
            PayState::Pending | PayState::Processing => match (method, state) {
                // EZR NOTPAY after a pay: the spec says cancel it. The reason tells the cashier
                // it was the gateway's answer, not the deadline.
                (Method::EzrBarcode, AttemptState::Paying | AttemptState::Polling) => {
                    if let Some(a) = self.attempt_mut(index) {
                        a.decline = Some("NOTPAY".into());
                    }
                    self.start_cancel(index, now_ms)
                }
                (Method::EzrBarcode, AttemptState::Canceling) => self.start_cancel(index, now_ms),
                // A card payment being completed: ask again shortly.
                (Method::PayzeroCard, AttemptState::Polling) => {
                    if let Some(a) = self.attempt_mut(index) {
                        a.next_poll_ms = Some(card::next_card_poll(a.started_ms, now_ms));
                    }
                }
                _ => {}
            },
            PayState::Closed => match method {
                // PAY_FAILED is not final for a Payzero QR order: a new code makes it payable.
                Method::PayzeroQr => {}
                Method::PayzeroCard => {
                    if let Some(a) = self.attempt_mut(index) {
                        a.state = AttemptState::Declined;
                        a.decline = Some("PAY_FAILED".into());
                    }
                    if let Some(flow) = self.card.as_mut()
                        && flow.attempt == Some(index)
                    {
                        flow.step = crate::api::CardStep::Failed;
                        flow.problem = Some(crate::api::CardProblem::Refused);
                        flow.gateway_code = Some("PAY_FAILED".into());
                    }
                    self.changed();
                }
                Method::ShouqianbaQr => self.attempt_canceled(index),
                Method::ShouqianbaBarcode | Method::EzrBarcode => {
                    if state == AttemptState::Canceling {
                        self.attempt_canceled(index);
                    } else {
                        if let Some(a) = self.attempt_mut(index) {
                            a.state = AttemptState::Declined;
                            a.decline = Some("CANCELED".into());
                        }
                        self.changed();
                    }
                }
            },
        }
    }

    fn paid(&mut self, index: u32, now_ms: u64) {
        if self.attempt(index).is_some_and(|a| a.state == AttemptState::Paid) {
            return;
        }
        if let Some(a) = self.attempt_mut(index) {
            a.state = AttemptState::Paid;
            a.qr = None;
            a.claim = None;
        }
        match self.paid_attempt {
            Some(first) if first != index => {
                let reason = format!(
                    "two attempts were paid: orders {} and {}",
                    self.attempts[first as usize].order_no, self.attempts[index as usize].order_no
                );
                self.require_attention(reason, now_ms);
            }
            Some(_) => {}
            None => {
                // Paid wins even over expired or canceled: a QR code cannot be withdrawn, so a
                // shopper can pay after the session closed, and the merchant must hear that
                // money moved.
                self.paid_attempt = Some(index);
                self.paid_at = Some(now_ms / 1000);
                if self.status != Status::RequiresAttention {
                    self.set_status(Status::Paid, now_ms);
                }
                self.close_other_attempts(Some(index), now_ms);
            }
        }
    }

    fn require_attention(&mut self, reason: String, now_ms: u64) {
        self.attention = Some(match self.attention.take() {
            Some(earlier) if !earlier.contains(&reason) => format!("{earlier}; {reason}"),
            Some(earlier) => earlier,
            None => reason,
        });
        self.set_status(Status::RequiresAttention, now_ms);
    }

    /// Whether a new Payzero order declares to customs, and its fields (carried by the call in
    /// memory only).
    fn customs_for_order(&self) -> (bool, Option<Box<crate::api::CustomsDeclaration>>) {
        match &self.params.customs {
            Some(c) => (true, Some(Box::new(c.clone()))),
            None => (false, None),
        }
    }

    /// The `orderDatetime` of a declared Payzero order: when the checkout was made, China time
    /// (the spec's `yyyy-MM-dd HH:mm:ss`). Orders that do not declare leave it out.
    fn order_datetime(&self) -> Option<String> {
        self.params.customs.as_ref().map(|_| crate::china_time::dashed(self.created_at.saturating_mul(1000)))
    }

    /// Whether Payzero order `order_no` is one of this session's (a declared session's orders
    /// carry the shop's number, so a notice cannot be routed by its shape alone).
    pub fn has_order(&self, order_no: &str) -> bool {
        self.attempts.iter().any(|a| a.order_no == order_no)
    }

    fn set_status(&mut self, status: Status, now_ms: u64) {
        if status != Status::Open
            && let Some(c) = self.params.customs.as_mut()
        {
            // No order is made once the session ends: the payer's numbers are not kept.
            c.payer_id_number = c.payer_id_number.masked().into();
            c.payer_phone = c.payer_phone.masked().into();
        }
        let kind = match status {
            Status::Paid => "checkout.session.paid",
            Status::Expired => "checkout.session.expired",
            Status::Canceled => "checkout.session.canceled",
            Status::RequiresAttention => "checkout.session.requires_attention",
            _ => "checkout.session.updated",
        };
        let repeat = self.status == status;
        self.status = status;
        self.changed();
        if !repeat || self.status == Status::RequiresAttention {
            self.queue_webhook(kind, now_ms);
        }
    }

    fn changed(&mut self) {
        self.version += 1;
        self.events.push_back(Event::Changed(self.version));
    }

    // ----- the outbox

    fn queue_webhook(&mut self, kind: &str, now_ms: u64) {
        let data = self.webhook_data();
        self.queue_event(kind, data, now_ms);
    }

    /// Queues the merchant event `kind` about `data`. Call after `changed()`: the event's id
    /// comes from the version.
    fn queue_event(&mut self, kind: &str, data: WebhookSession, now_ms: u64) {
        if self.params.notify_url.is_none() {
            return;
        }
        // Derived from the session id and the version, which only grows: unique, and the same
        // event keeps its id across retries so merchants can de-duplicate on it.
        let suffix = self.id.strip_prefix(ids::SESSION_PREFIX).unwrap_or(&self.id);
        let event = WebhookEvent {
            id: format!("evt_{suffix}_{}", self.version),
            kind: kind.to_owned(),
            created: now_ms / 1000,
            data,
        };
        let event_id = event.id.clone();
        self.outbox.push(OutgoingWebhook {
            event,
            attempts: 0,
            next_attempt_ms: Some(now_ms),
            delivered: false,
        });
        self.queue(None, Op::Webhook { event_id }, Purpose::Normal, now_ms);
    }

    fn webhook_data(&self) -> WebhookSession {
        let paid = self.paid_attempt.and_then(|i| self.attempt(i));
        WebhookSession {
            id: self.id.clone(),
            merchant_order_no: self.params.merchant_order_no.clone(),
            amount: self.params.amount,
            status: self.status.wire(),
            paid_at: self.paid_at,
            gateway_order_no: paid.and_then(|a| a.gateway_ref.clone()),
            payment_method: paid.map(|a| a.method.wire()),
            order_no: paid.map(|a| a.order_no.clone()),
            attention: self.attention.clone(),
            card: paid.and_then(Attempt::masked_card),
            refund: None,
            declaration: self.declaration.clone(),
            metadata: self.params.metadata.clone(),
        }
    }

    fn delivered(&mut self, event_id: &str, ok: bool, now_ms: u64) {
        let Some(w) = self.outbox.iter_mut().find(|w| w.event.id == event_id) else { return };
        // Attempts past the schedule's are resends of an event given up (and so listed as
        // undelivered merchant-wide).
        let was_given_up = w.attempts >= GIVEN_UP_AFTER_ATTEMPTS;
        w.attempts = w.attempts.saturating_add(1);
        if ok {
            w.delivered = true;
            w.next_attempt_ms = None;
            if was_given_up {
                let event = Undelivered::of(&w.event, w.attempts);
                let request = LedgerRequest::Delivered { event };
                self.queue(None, Op::UndeliveredEvent { request }, Purpose::Normal, now_ms);
            }
            return;
        }
        w.next_attempt_ms = webhook_retry_delay_secs(w.attempts).map(|d| now_ms.saturating_add(d * 1000));
        if w.next_attempt_ms.is_none() {
            let event = Undelivered::of(&w.event, w.attempts);
            let request = LedgerRequest::GaveUp { event };
            self.queue(None, Op::UndeliveredEvent { request }, Purpose::Normal, now_ms);
            return;
        }
        if let Some(at) = w.next_attempt_ms {
            let op = Op::Webhook { event_id: event_id.to_owned() };
            let id = self.take_call_id();
            self.calls.push(Call {
                id,
                attempt: None,
                op,
                purpose: Purpose::Normal,
                state: CallState::Queued { not_before_ms: at },
                tries: 0,
                fresh_token: false,
            });
        }
    }

    /// Sends event `event_id` again now. A delivered event is refused (the merchant has it); one
    /// waiting for a retry is tried at once; one given up gets one more try, and is given up
    /// again if that fails (a merchant can ask again).
    fn resend_event(&mut self, event_id: &str, now_ms: u64) -> Result<Accepted, Refusal> {
        let Some(w) = self.outbox.iter_mut().find(|w| w.event.id == event_id) else {
            return Err(Refusal::new(ErrorCode::NotFound, "this session has no such event"));
        };
        if w.delivered {
            return Err(Refusal::new(ErrorCode::InvalidRequest, "this event was delivered already"));
        }
        w.next_attempt_ms = Some(now_ms);
        let queued =
            self.calls.iter_mut().find(|c| matches!(&c.op, Op::Webhook { event_id: e } if e == event_id));
        match queued {
            Some(call) => {
                if let CallState::Queued { not_before_ms } = &mut call.state {
                    *not_before_ms = (*not_before_ms).min(now_ms);
                }
            }
            None => {
                let id = self.take_call_id();
                self.calls.push(Call {
                    id,
                    attempt: None,
                    op: Op::Webhook { event_id: event_id.to_owned() },
                    purpose: Purpose::Normal,
                    state: CallState::Queued { not_before_ms: now_ms },
                    tries: 0,
                    fresh_token: false,
                });
            }
        }
        Ok(Accepted::Done)
    }

    /// Every merchant event of the session with where its delivery stands, oldest first.
    pub fn event_deliveries(&self) -> Vec<crate::api::EventDelivery> {
        self.outbox
            .iter()
            .map(|w| crate::api::EventDelivery {
                id: w.event.id.clone(),
                kind: w.event.kind.clone(),
                created: w.event.created,
                delivered: w.delivered,
                attempts: w.attempts,
                next_attempt_at: w.next_attempt_ms.map(|ms| ms / 1000),
            })
            .collect()
    }

    /// The event a `Webhook` call delivers.
    pub fn webhook_event(&self, event_id: &str) -> Option<&WebhookEvent> {
        self.outbox.iter().find(|w| w.event.id == event_id).map(|w| &w.event)
    }

    // ----- bookkeeping

    /// A new attempt whose first call creates its order: `op` gets the attempt's order number
    /// and the session's amount and subject.
    fn issue_new_order(
        &mut self,
        method: Method,
        now_ms: u64,
        op: impl FnOnce(String, Fen, String) -> Op,
    ) -> u32 {
        let index = self.new_attempt(method, AttemptState::Issuing, now_ms);
        let order_no = self.attempts[index as usize].order_no.clone();
        let op = op(order_no, self.params.amount, self.params.subject.clone());
        self.queue(Some(index), op, Purpose::Normal, now_ms);
        index
    }

    fn new_attempt(&mut self, method: Method, state: AttemptState, now_ms: u64) -> u32 {
        let index = u32::try_from(self.attempts.len()).unwrap_or(u32::MAX);
        let order_no = match (&self.params.customs, method) {
            // Declared under the shop's own order number, which its customs order carries too
            // (三单对碰): the payment and the order then match at customs.
            (Some(_), Method::PayzeroQr | Method::PayzeroCard) => self.params.merchant_order_no.clone(),
            _ => attempt_order_no(&self.id, index),
        };
        self.attempts.push(Attempt::new(index, method, order_no, state, now_ms));
        index
    }

    fn queue(&mut self, attempt: Option<u32>, op: Op, purpose: Purpose, now_ms: u64) {
        let id = self.take_call_id();
        if matches!(op, Op::PayzeroQuery { .. } | Op::ShouqianbaQuery { .. } | Op::EzrQuery { .. })
            && let Some(a) = attempt.and_then(|i| self.attempt_mut(i))
        {
            a.last_query_ms = Some(now_ms);
        }
        self.calls.push(Call {
            id,
            attempt,
            op,
            purpose,
            state: CallState::Queued { not_before_ms: now_ms },
            tries: 0,
            fresh_token: false,
        });
    }

    fn take_call_id(&mut self) -> u64 {
        let id = self.next_call_id;
        self.next_call_id += 1;
        id
    }

    fn has_call(&self, index: u32) -> bool {
        self.calls.iter().any(|c| c.attempt == Some(index))
    }

    /// Queries of orders browsers are waiting on, at most one per attempt per `interval_ms`.
    fn queue_due_queries(&mut self, now_ms: u64, interval_ms: u64) {
        if self.status != Status::Open || self.closing.is_some() {
            return;
        }
        let due: Vec<u32> = self
            .attempts
            .iter()
            .filter(|a| {
                matches!(a.method, Method::PayzeroQr | Method::ShouqianbaQr)
                    && a.awaits_shopper()
                    && a.state == AttemptState::Open
                    && !self.has_call(a.index)
                    && a.last_query_ms.is_none_or(|last| now_ms.saturating_sub(last) >= interval_ms)
            })
            .map(|a| a.index)
            .collect();
        for index in due {
            let Some(op) = self.attempt(index).map(query_op) else { continue };
            self.queue(Some(index), op, Purpose::Normal, now_ms);
        }
    }

    pub fn attempt(&self, index: u32) -> Option<&Attempt> {
        self.attempts.get(usize::try_from(index).ok()?)
    }

    fn attempt_mut(&mut self, index: u32) -> Option<&mut Attempt> {
        self.attempts.get_mut(usize::try_from(index).ok()?)
    }

    fn seconds_left(&self, now: u64) -> u64 {
        self.expires_at.saturating_sub(now).max(1)
    }

    /// Whether an open session's time is up at `now` (unix seconds).
    pub fn is_overdue(&self, now: u64) -> bool {
        self.status == Status::Open && now >= self.expires_at
    }

    // ----- reading results

    /// The answer to a QR request on attempt `index`, once its calls are done: the code, or why
    /// there is none. `None` while a call is still out.
    pub fn qr_result(&mut self, index: u32, now: u64) -> Option<Result<crate::api::QrView, Refusal>> {
        let status = self.status;
        let a = self.attempt_mut(index)?;
        if a.state == AttemptState::Issuing {
            return None;
        }
        if let Some(e) = a.error.take() {
            return Some(Err(Refusal::new(e.code, e.message)));
        }
        Some(a.qr_view(now).ok_or_else(|| Refusal::closed(status)))
    }

    /// The answer to a simulate request on attempt `index`: `None` while its call is out.
    pub fn simulate_result(&mut self, index: u32) -> Option<Result<(), Refusal>> {
        let busy =
            self.calls.iter().any(|c| c.attempt == Some(index) && matches!(c.op, Op::SandboxPay { .. }));
        if busy {
            return None;
        }
        let a = self.attempt_mut(index)?;
        Some(match a.error.take() {
            Some(e) => Err(Refusal::new(e.code, e.message)),
            None => Ok(()),
        })
    }

    /// Whether any call is still queued or out (the shell's loop runs until this is false for
    /// the calls it can send now).
    pub fn has_calls(&self) -> bool {
        !self.calls.is_empty()
    }

    // ----- views

    /// The merchant's view (`POST`/`GET /v1/sessions`).
    pub fn merchant_view(&self, public_base_url: &str) -> SessionCreated {
        SessionCreated {
            id: self.id.clone(),
            client_secret: self.client_secret.expose().to_owned(),
            url: hosted_page_url(public_base_url, self.client_secret.expose()),
            status: self.status.wire(),
            amount: self.params.amount,
            merchant_order_no: self.params.merchant_order_no.clone(),
            expires_at: self.expires_at,
            paid_at: self.paid_at,
            attempts: self.attempts.iter().map(Attempt::summary).collect(),
            amount_refunded: self.refunded().0,
            amount_refunding: self.refunded().1,
            refunds: self.refund_views(),
            declaration: self.declaration.clone(),
            metadata: self.params.metadata.clone(),
        }
    }

    /// The widget's view: nothing secret, the QR only while it can still be paid;
    /// `customer_cards` are the session customer's saved cards (masked).
    pub fn checkout_view(&self, test_mode: bool, now: u64, customer_cards: &[SavedCard]) -> CheckoutView {
        CheckoutView {
            amount: self.params.amount,
            currency: self.params.currency.clone(),
            subject: self.params.subject.clone(),
            methods: self.params.methods.iter().map(|m| m.wire()).collect(),
            status: self.status.wire(),
            locale: self.params.locale.clone(),
            expires_at: self.expires_at,
            return_url: self.params.return_url.clone(),
            test_mode,
            version: self.version,
            now,
            qr: if self.status == Status::Open {
                self.attempts.iter().rev().find_map(|a| a.qr_view(now))
            } else {
                None
            },
            barcode: self.latest_barcode(),
            card: self.card_view(now),
            saved_cards: self.saved_cards(customer_cards),
        }
    }

    fn latest_barcode(&self) -> Option<crate::api::BarcodeView> {
        self.attempts.iter().rev().find_map(Attempt::barcode_view)
    }

    pub fn status_update(&self, now: u64) -> StatusUpdate {
        StatusUpdate {
            status: self.status.wire(),
            version: self.version,
            paid_at: self.paid_at,
            barcode: self.latest_barcode(),
            card: self.card_view(now),
        }
    }
}

fn rate_limited(what: &str, retry_after: u64) -> Refusal {
    Refusal {
        retry_after: Some(retry_after),
        ..Refusal::new(ErrorCode::RateLimited, format!("{what}; try again in {retry_after} s"))
    }
}

fn error(code: ErrorCode, message: &str) -> AttemptError {
    AttemptError { code, message: message.to_owned() }
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::PayzeroQr => "Payzero QR",
        Method::PayzeroCard => "Payzero bank card",
        Method::ShouqianbaQr => "Shouqianba QR",
        Method::ShouqianbaBarcode => "Shouqianba barcode",
        Method::EzrBarcode => "EZR barcode",
    }
}

/// The query of an attempt's order at its gateway.
fn query_op(a: &Attempt) -> Op {
    let order_no = a.order_no.clone();
    match a.gateway() {
        Gateway::Payzero => Op::PayzeroQuery { order_no },
        Gateway::Shouqianba => Op::ShouqianbaQuery { order_no },
        Gateway::Ezr => Op::EzrQuery { order_no },
    }
}

fn op_wallet(op: &Op) -> Option<Wallet> {
    match op {
        Op::PayzeroCreateQr { wallet, .. }
        | Op::PayzeroRefreshQr { wallet, .. }
        | Op::ShouqianbaPrecreate { wallet, .. } => Some(*wallet),
        _ => None,
    }
}

/// A WeChat Pay or Alipay payment code: 16 to 24 digits.
pub fn is_payment_code(code: &str) -> bool {
    (16..=24).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
}

/// The hosted checkout page of a client secret.
pub fn hosted_page_url(public_base_url: &str, client_secret: &str) -> String {
    format!("{}/pay/{}", public_base_url.trim_end_matches('/'), client_secret)
}

/// The digest a notification is de-duplicated on: SHA-256 over the exact bytes received, so a
/// retry of the same message matches and any other message does not.
pub fn notice_digest(raw_body: &[u8]) -> String {
    hex::encode(Sha256::digest(raw_body))
}

#[cfg(test)]
mod tests;
