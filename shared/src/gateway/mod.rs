//! What the checkout does with each gateway, as data: an operation (`Op`) becomes an
//! `UpstreamRequest` (method, URL, headers, exact body bytes), and the gateway's answer becomes a
//! gateway-neutral `Outcome`. The wire types themselves live in `crate::payzero`,
//! `crate::shouqianba` and `crate::ezr`; the edge's `upstream.rs` is the only place that turns a
//! request into a `fetch`. Each operation also carries its retry rule (`Strategy`) as data.

pub mod ezr;
pub mod payzero;
pub mod shouqianba;

use crate::api::{CardSignupRequest, Channel, CustomsDeclaration};
use crate::customer::CustomerRequest;
use crate::money::Fen;
use crate::sign::Secret;
use crate::sms::SmsKey;
use serde::{Deserialize, Serialize};
use std::fmt;

// ---------------------------------------------------------------------------------------------
// Requests as data

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Post,
}

/// One outbound HTTP call. Headers and body may hold a token, a password or a payment code, and a
/// merchant's `notify_url` may carry one in its query, so `Debug` shows only the method and
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

impl UpstreamRequest {
    pub fn get(url: String) -> Self {
        UpstreamRequest {
            method: HttpMethod::Get,
            url,
            headers: vec![("Accept".into(), "application/json".into())],
            body: None,
        }
    }

    /// A JSON `POST` of exactly `body`: what is signed is what is sent.
    pub fn post_bytes(url: String, body: Vec<u8>) -> Self {
        UpstreamRequest {
            method: HttpMethod::Post,
            url,
            headers: vec![
                ("Accept".into(), "application/json".into()),
                ("Content-Type".into(), "application/json".into()),
            ],
            body: Some(body),
        }
    }

    pub fn post_json<T: Serialize>(url: String, body: &T) -> Self {
        // Serialising our own plain structs cannot fail; an empty body would be refused upstream
        // rather than panic here.
        UpstreamRequest::post_bytes(url, serde_json::to_vec(body).unwrap_or_default())
    }

    pub fn bearer(self, token: &Secret) -> Self {
        self.with_header("Authorization", format!("Bearer {}", token.expose()))
    }

    pub fn with_header(mut self, name: &str, value: String) -> Self {
        self.headers.push((name.to_owned(), value));
        self
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

pub(crate) fn join(base: &str, path_and_query: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path_and_query)
}

/// What came back from one call: an HTTP answer, or nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Answer {
    Http {
        status: u16,
        body: Vec<u8>,
    },
    /// No answer (network error, timeout, or the object restarted while the call was out). The
    /// gateway may or may not have acted on it.
    Lost(String),
}

// ---------------------------------------------------------------------------------------------
// Operations, their retry rules, and their outcomes

/// Which upstream a call goes to; each is signed differently in the edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upstream {
    /// Payzero, with the cached JWT (`Authorization: Bearer`).
    Payzero,
    /// Shouqianba, through the terminal object that alone holds the terminal key.
    Shouqianba,
    /// EZR, signed with the EZR token.
    Ezr,
    /// The sandbox's test controls (test mode only): no credentials.
    SandboxAdmin,
    /// The merchant's `notify_url`, signed with the webhook secret.
    Merchant,
    /// The edge's own SMS limiter object of an `SmsKey` (no credentials).
    SmsLimiter,
    /// The edge's own object holding a customer's saved cards.
    Customer,
    /// The edge's own object listing the events given up across sessions.
    UndeliveredEvents,
}

/// An upstream call the session wants made, with everything needed to build it except the
/// credentials and the time. It is stored with the session until its answer is handled, so it
/// survives an eviction; nothing in it is secret but a barcode `Pay`'s one-time payment code,
/// which is dropped with the call. A card sign-up form and an SMS code are never stored at all:
/// they are `serde(skip)`, held in memory for the one call, and a call restored without them
/// cannot be sent (it counts as lost).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    PayzeroCreateQr {
        order_no: String,
        amount: Fen,
        subject: String,
        wallet: Wallet,
        /// Declared to customs once paid, with `customs` (held in memory only, like a card form:
        /// a call restored without it cannot be sent and counts as lost).
        #[serde(default)]
        declare: bool,
        /// `orderDatetime` (declared orders: when the checkout was made, China time).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        order_datetime: Option<String>,
        #[serde(skip)]
        customs: Option<Box<CustomsDeclaration>>,
    },
    PayzeroRefreshQr {
        order_no: String,
        wallet: Wallet,
    },
    PayzeroQuery {
        order_no: String,
    },
    ShouqianbaPrecreate {
        order_no: String,
        amount: Fen,
        subject: String,
        wallet: Wallet,
        #[serde(default)]
        text: SqbText,
    },
    ShouqianbaPay {
        order_no: String,
        amount: Fen,
        subject: String,
        code: String,
        #[serde(default)]
        text: SqbText,
    },
    ShouqianbaQuery {
        order_no: String,
    },
    ShouqianbaCancel {
        order_no: String,
    },
    EzrPay {
        order_no: String,
        amount: Fen,
        subject: String,
        code: String,
        /// The address of the browser that submitted the code (`CF-Connecting-IP`), sent as
        /// `SpbillCreateIp`; `None` sends `EZR_FALLBACK_IP`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_ip: Option<String>,
    },
    EzrQuery {
        order_no: String,
    },
    EzrCancel {
        gateway_ref: String,
    },
    /// Payzero 5.1 agreeApply: start signing a card; an SMS code goes to its mobile.
    PayzeroAgreeApply {
        request_id: String,
        #[serde(skip)]
        form: Option<Box<CardSignupRequest>>,
    },
    /// Payzero 5.2 agreeConfirm: the sign-up SMS code.
    PayzeroAgreeConfirm {
        request_id: String,
        #[serde(skip)]
        code: Option<String>,
    },
    /// Payzero 5.3 createAndQuickpay: an order paid with an agreement; usually sends an SMS code.
    PayzeroQuickpay {
        order_no: String,
        amount: Fen,
        subject: String,
        agreeid: String,
        /// As for `PayzeroCreateQr`.
        #[serde(default)]
        declare: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        order_datetime: Option<String>,
        #[serde(skip)]
        customs: Option<Box<CustomsDeclaration>>,
    },
    /// Payzero 5.4 confirmQuickpay: the payment SMS code.
    PayzeroQuickpayConfirm {
        order_no: String,
        agreeid: String,
        #[serde(skip)]
        code: Option<String>,
    },
    /// Payzero 5.5 redoQuickpay: a new payment SMS code, or another agreement for the order.
    PayzeroQuickpayRedo {
        order_no: String,
        agreeid: String,
    },
    /// Takes one SMS from the limiter of `key`; when granted, `then` is made (another permit,
    /// or the call that sends the SMS).
    SmsPermit {
        key: SmsKey,
        then: Box<Op>,
    },
    /// Keeps or forgets a customer's saved card.
    CustomerCard {
        customer: String,
        request: CustomerRequest,
    },
    /// Tells the merchant-wide list of undelivered events that one was given up or delivered.
    UndeliveredEvent {
        request: crate::undelivered::LedgerRequest,
    },
    /// Payzero 9.1: refund `amount` of the paid `order_no` as our `refund_no` (session refund
    /// `refund`). Repeating it is safe: a refund number cannot repeat at Payzero (9.1), so a
    /// second try is refused, and every refusal is settled by the refund query (9.2).
    PayzeroRefund {
        refund: u32,
        order_no: String,
        refund_no: String,
        amount: Fen,
    },
    /// Payzero 9.2: where refund `refund_no` stands.
    PayzeroRefundQuery {
        refund: u32,
        refund_no: String,
    },
    /// Shouqianba 3: refund `amount` of `order_no` (Shouqianba's `sn`) as `refund_no`
    /// (`refund_request_no`). The same number with the same amount answers again without
    /// refunding twice, so this one op is both the request and its follow-up after a lost answer;
    /// a `REFUND_REQUEST_CONFLICT` is settled by `ShouqianbaRefundQuery`.
    ShouqianbaRefund {
        refund: u32,
        order_no: String,
        /// Shouqianba's order number; empty only in calls stored before it was sent.
        #[serde(default)]
        sn: String,
        refund_no: String,
        amount: Fen,
        #[serde(default)]
        text: SqbText,
    },
    /// Shouqianba 4 query of the refunded order: its `net_amount` tells whether refund
    /// `refund` went through, where the refund's own answer could not.
    ShouqianbaRefundQuery {
        refund: u32,
        order_no: String,
        #[serde(default)]
        sn: String,
    },
    /// EZR 5 refund of the EZR order `gateway_ref` as our `refund_no` (`OutRefundNo`): done at
    /// once, and the same `OutRefundNo` answers the same refund, so it is also its own follow-up.
    EzrRefund {
        refund: u32,
        gateway_ref: String,
        refund_no: String,
        amount: Fen,
        /// `RefundReason` (required): the merchant's reason, or `EZR_DEFAULT_REFUND_REASON`.
        reason: String,
        /// The one line of `RefundGoodsInfoList`.
        subject: String,
    },
    /// EZR 4 refund apply on the EZR order `gateway_ref`, for a merchant whose EZR account needs
    /// each refund approved (`EZR_REFUND_APPROVAL`): PROCESSING until someone confirms it in
    /// the EZR back office. EZR takes no number of ours, so it is never sent twice: a lost answer
    /// is settled by listing the order's refunds.
    EzrRefundApply {
        refund: u32,
        gateway_ref: String,
        amount: Fen,
        subject: String,
    },
    /// EZR 2 query of the order `gateway_ref`: its refunds, to follow an applied one.
    EzrRefundQuery {
        refund: u32,
        gateway_ref: String,
    },
    /// Test mode: the sandbox plays the shopper and pays `order_no`.
    SandboxPay {
        gateway: Gateway,
        order_no: String,
    },
    /// Deliver the merchant event `event_id` from the outbox.
    Webhook {
        event_id: String,
    },
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The payment code of a barcode pay is never printed.
        f.write_str(self.name())?;
        if let Some(order_no) = self.order_no() {
            write!(f, " {order_no}")?;
        }
        Ok(())
    }
}

impl Op {
    /// The session refund a refund call is about.
    pub fn refund_index(&self) -> Option<u32> {
        match self {
            Op::PayzeroRefund { refund, .. }
            | Op::PayzeroRefundQuery { refund, .. }
            | Op::ShouqianbaRefund { refund, .. }
            | Op::ShouqianbaRefundQuery { refund, .. }
            | Op::EzrRefund { refund, .. }
            | Op::EzrRefundApply { refund, .. }
            | Op::EzrRefundQuery { refund, .. } => Some(*refund),
            _ => None,
        }
    }

    /// A short name for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Op::PayzeroCreateQr { .. } => "payzero createAndQrCode",
            Op::PayzeroRefreshQr { .. } => "payzero qrCode",
            Op::PayzeroQuery { .. } => "payzero queryOrder",
            Op::ShouqianbaPrecreate { .. } => "shouqianba precreate",
            Op::ShouqianbaPay { .. } => "shouqianba pay",
            Op::ShouqianbaQuery { .. } => "shouqianba query",
            Op::ShouqianbaCancel { .. } => "shouqianba cancel",
            Op::EzrPay { .. } => "ezr pay",
            Op::EzrQuery { .. } => "ezr query",
            Op::EzrCancel { .. } => "ezr cancel",
            Op::PayzeroAgreeApply { .. } => "payzero agreeApply",
            Op::PayzeroAgreeConfirm { .. } => "payzero agreeConfirm",
            Op::PayzeroQuickpay { .. } => "payzero createAndQuickpay",
            Op::PayzeroQuickpayConfirm { .. } => "payzero confirmQuickpay",
            Op::PayzeroQuickpayRedo { .. } => "payzero redoQuickpay",
            Op::SmsPermit { .. } => "sms permit",
            Op::CustomerCard { .. } => "customer card",
            Op::UndeliveredEvent { .. } => "undelivered events",
            Op::SandboxPay { .. } => "sandbox pay",
            Op::Webhook { .. } => "webhook",
            Op::PayzeroRefund { .. } => "payzero refund",
            Op::PayzeroRefundQuery { .. } => "payzero refund query",
            Op::ShouqianbaRefund { .. } => "shouqianba refund",
            Op::ShouqianbaRefundQuery { .. } => "shouqianba refund query",
            Op::EzrRefund { .. } => "ezr refund",
            Op::EzrRefundApply { .. } => "ezr refund apply",
            Op::EzrRefundQuery { .. } => "ezr refund query",
        }
    }

    /// Our order number the call is about, if any.
    pub fn order_no(&self) -> Option<&str> {
        match self {
            Op::PayzeroCreateQr { order_no, .. }
            | Op::PayzeroRefreshQr { order_no, .. }
            | Op::PayzeroQuery { order_no }
            | Op::ShouqianbaPrecreate { order_no, .. }
            | Op::ShouqianbaPay { order_no, .. }
            | Op::ShouqianbaQuery { order_no }
            | Op::ShouqianbaCancel { order_no }
            | Op::EzrPay { order_no, .. }
            | Op::EzrQuery { order_no }
            | Op::PayzeroQuickpay { order_no, .. }
            | Op::PayzeroQuickpayConfirm { order_no, .. }
            | Op::PayzeroQuickpayRedo { order_no, .. }
            | Op::SandboxPay { order_no, .. }
            | Op::PayzeroRefund { order_no, .. }
            | Op::ShouqianbaRefund { order_no, .. }
            | Op::ShouqianbaRefundQuery { order_no, .. } => Some(order_no),
            Op::PayzeroRefundQuery { refund_no, .. } => Some(refund_no),
            Op::PayzeroAgreeApply { request_id, .. } | Op::PayzeroAgreeConfirm { request_id, .. } => {
                Some(request_id)
            }
            Op::SmsPermit { then, .. } => then.order_no(),
            Op::EzrCancel { .. }
            | Op::EzrRefund { .. }
            | Op::EzrRefundApply { .. }
            | Op::EzrRefundQuery { .. }
            | Op::Webhook { .. }
            | Op::CustomerCard { .. }
            | Op::UndeliveredEvent { .. } => None,
        }
    }

    pub fn upstream(&self) -> Upstream {
        match self {
            Op::PayzeroCreateQr { .. }
            | Op::PayzeroRefreshQr { .. }
            | Op::PayzeroQuery { .. }
            | Op::PayzeroAgreeApply { .. }
            | Op::PayzeroAgreeConfirm { .. }
            | Op::PayzeroQuickpay { .. }
            | Op::PayzeroQuickpayConfirm { .. }
            | Op::PayzeroQuickpayRedo { .. }
            | Op::PayzeroRefund { .. }
            | Op::PayzeroRefundQuery { .. } => Upstream::Payzero,
            Op::SmsPermit { .. } => Upstream::SmsLimiter,
            Op::CustomerCard { .. } => Upstream::Customer,
            Op::UndeliveredEvent { .. } => Upstream::UndeliveredEvents,
            Op::ShouqianbaPrecreate { .. }
            | Op::ShouqianbaPay { .. }
            | Op::ShouqianbaQuery { .. }
            | Op::ShouqianbaCancel { .. }
            | Op::ShouqianbaRefund { .. }
            | Op::ShouqianbaRefundQuery { .. } => Upstream::Shouqianba,
            Op::EzrPay { .. }
            | Op::EzrQuery { .. }
            | Op::EzrCancel { .. }
            | Op::EzrRefund { .. }
            | Op::EzrRefundApply { .. }
            | Op::EzrRefundQuery { .. } => Upstream::Ezr,
            Op::SandboxPay { .. } => Upstream::SandboxAdmin,
            Op::Webhook { .. } => Upstream::Merchant,
        }
    }

    /// The retry rule of this operation (async-stripe's `RequestStrategy`, as data).
    pub fn strategy(&self) -> Strategy {
        match self {
            // A barcode pay moves money: never sent twice. A lost answer is settled by queries
            // and, at the deadline, a cancel — the gateway's own algorithm.
            Op::ShouqianbaPay { .. } | Op::EzrPay { .. } => Strategy::Once,
            // The shopper waits for a QR and can press again; a retry here would only delay the
            // error. A lost create is harmless: the next one is refused as a duplicate and
            // falls back to `qrCode`.
            Op::PayzeroCreateQr { .. }
            | Op::PayzeroRefreshQr { .. }
            | Op::ShouqianbaPrecreate { .. }
            | Op::SandboxPay { .. } => Strategy::Once,
            // Reading changes nothing, and canceling twice is the same as once.
            Op::PayzeroQuery { .. } | Op::ShouqianbaQuery { .. } | Op::EzrQuery { .. } => {
                Strategy::Retry { tries: 3, backoff_ms: 1_000 }
            }
            Op::ShouqianbaCancel { .. } | Op::EzrCancel { .. } => {
                Strategy::Retry { tries: 6, backoff_ms: 5_000 }
            }
            // Each of these sends an SMS or spends one, or may move money (a confirm): never
            // repeated blindly. The shopper sees the failure and asks again, within the limits.
            Op::PayzeroAgreeApply { .. }
            | Op::PayzeroAgreeConfirm { .. }
            | Op::PayzeroQuickpay { .. }
            | Op::PayzeroQuickpayConfirm { .. }
            | Op::PayzeroQuickpayRedo { .. }
            | Op::SmsPermit { .. } => Strategy::Once,
            // Keeping or forgetting a saved card is idempotent, and so is an entry in the list
            // of undelivered events (one key per event).
            Op::CustomerCard { .. } | Op::UndeliveredEvent { .. } => {
                Strategy::Retry { tries: 3, backoff_ms: 1_000 }
            }
            // Webhooks have their own schedule (the outbox's), spread over a day.
            Op::Webhook { .. } => Strategy::Once,
            // Refunds carrying our number are idempotent at the gateway (see each op), and
            // queries change nothing. A refund whose tries all fail stays pending and is
            // followed up by the session on its own schedule.
            Op::PayzeroRefund { .. }
            | Op::PayzeroRefundQuery { .. }
            | Op::ShouqianbaRefund { .. }
            | Op::ShouqianbaRefundQuery { .. }
            | Op::EzrRefund { .. }
            | Op::EzrRefundQuery { .. } => Strategy::Retry { tries: 3, backoff_ms: 2_000 },
            // No number of ours: never sent twice blindly.
            Op::EzrRefundApply { .. } => Strategy::Once,
        }
    }
}

/// How a call that failed in transport (no answer, 5xx, garbage) may be repeated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Never repeated blindly: the outcome of a failure is decided by the session.
    Once,
    /// Repeated up to `tries` times in all, `backoff_ms × try` apart.
    Retry { tries: u32, backoff_ms: u64 },
}

impl Strategy {
    /// When to try again after the `tries`-th failed try at `now_ms`; `None` when no more.
    pub fn retry_at(self, tries: u32, now_ms: u64) -> Option<u64> {
        match self {
            Strategy::Once => None,
            Strategy::Retry { tries: max, backoff_ms } => {
                (tries < max).then(|| now_ms.saturating_add(backoff_ms.saturating_mul(u64::from(tries))))
            }
        }
    }
}

/// A gateway, as stored and as named in the sandbox's controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Gateway {
    Payzero,
    Shouqianba,
    Ezr,
}

impl Gateway {
    pub fn as_str(self) -> &'static str {
        match self {
            Gateway::Payzero => "payzero",
            Gateway::Shouqianba => "shouqianba",
            Gateway::Ezr => "ezr",
        }
    }
}

/// The wallet a QR code or a payment code belongs to. Closed: the core only issues codes for
/// wallets it knows, and maps each to the gateway's own name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Wallet {
    WechatPay,
    Alipay,
    Unionpay,
}

impl Wallet {
    pub fn from_channel(channel: &Channel) -> Option<Wallet> {
        match channel {
            Channel::WechatPay => Some(Wallet::WechatPay),
            Channel::Alipay => Some(Wallet::Alipay),
            Channel::Unionpay => Some(Wallet::Unionpay),
            Channel::Unknown(_) => None,
        }
    }

    pub fn channel(self) -> Channel {
        match self {
            Wallet::WechatPay => Channel::WechatPay,
            Wallet::Alipay => Channel::Alipay,
            Wallet::Unionpay => Channel::Unionpay,
        }
    }
}

/// Where a payment stands at the gateway, in the gateway's own words mapped to ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayState {
    Paid,
    /// Not paid yet; the shopper may still pay.
    Pending,
    /// Being decided at the gateway, not by the shopper (Payzero's PAY_SMS_CONFIRMED, or a
    /// state its spec does not list): not paid, and not known to be unpaid either.
    Processing,
    /// Closed without payment (failed, canceled, expired): nothing moved.
    Closed,
}

/// What a gateway says about one of our orders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentFact {
    /// Our order number as the gateway echoed it.
    pub order_no: String,
    /// The amount the gateway reports, when it reports one.
    pub amount: Option<Fen>,
    pub state: PayState,
    /// The gateway's own order or payment number.
    pub gateway_ref: Option<String>,
}

/// A gateway's answer to one operation, in terms every gateway shares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A QR code to show.
    Qr { order_no: String, content: String, provider: Option<String> },
    /// The gateway's word on the order.
    Payment(PaymentFact),
    /// Still being decided at the gateway (the shopper confirms on the phone): ask again later.
    InProgress { gateway_ref: Option<String> },
    /// Refused before any money moved; `reason` is the gateway's code for it.
    Declined { reason: String },
    /// The gateway has no such order.
    NotFound,
    /// The order was canceled (any money taken is returned).
    Canceled,
    /// The gateway reports a state a person must look at (its own "contact support").
    NeedsReview { reason: String },
    /// The call was refused (`code` is the gateway's); nothing changed upstream.
    Rejected { code: String, message: String },
    /// The credentials were refused: log in again and retry once (Payzero 401/403).
    Unauthorized,
    /// No usable answer (transport, 5xx, garbage): what happened upstream is unknown.
    Failed { reason: String },
    /// Done, nothing more to learn (a webhook delivered, a sandbox control accepted, an SMS
    /// permit granted).
    Done,
    /// An SMS code was sent (a card sign-up, or a quick payment waiting for its code).
    CodeSent,
    /// A card was signed: the agreement to pay with.
    Signed { agreeid: String, bank_name: Option<String> },
    /// An SMS limiter refused: another code may be sent after `retry_after` seconds.
    RateLimited { retry_after: u64 },
    /// Where a refund stands at the gateway.
    Refund(RefundFact),
    /// The refunds an order has at the gateway (EZR's query), to find ours among.
    Refunds(Vec<ListedRefund>),
    /// What is left of a paid order after its refunds (Shouqianba's query: `total_amount`,
    /// `net_amount`), to tell whether a refund whose own answer was unclear went through.
    /// `uncertain` is the order state when the gateway itself calls it uncertain.
    OrderRefunded { total: Option<Fen>, net: Option<Fen>, uncertain: Option<String> },
}

/// Shouqianba's free-text fields of a trade call, from the session: `operator` (default
/// `session::DEFAULT_OPERATOR`), `description` and `reflect`; each cut to its `String(n)` in
/// bytes when the call is built.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SqbText {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reflect: Option<String>,
}

/// A gateway's word on one refund.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundFact {
    /// Accepted and still being processed (or awaiting approval): ask again later.
    Pending {
        gateway_refund_no: Option<String>,
    },
    Succeeded {
        gateway_refund_no: Option<String>,
    },
    /// Refused or failed for good; `code` is the gateway's reason. No money moved.
    Failed {
        code: String,
    },
    /// An answer that decides nothing (a code the spec does not define, a generic refusal):
    /// money may have moved. Followed up; if it stays so, a person must look.
    Undecided {
        words: String,
    },
    /// The gateway says a person must look (its own "人工介入"), or reports a state nothing
    /// automatic can settle (an application rejected, an amount that differs).
    Attention {
        words: String,
    },
}

/// One refund of an order as the gateway lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedRefund {
    pub gateway_refund_no: String,
    pub amount: Fen,
    pub state: ListedState,
}

/// Where a listed refund stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListedState {
    Succeeded,
    /// Being processed, or (an EZR application) waiting for its approval.
    Processing,
    /// A state the spec does not name (a rejected application, perhaps): for a person.
    Other(String),
}

/// Reads the HTTP status of a gateway answer before its body: 5xx and garbage are `Failed`.
pub(crate) fn failed(reason: impl Into<String>) -> Outcome {
    Outcome::Failed { reason: reason.into() }
}

/// Interprets the answer to `op`, whatever its gateway.
pub fn interpret(op: &Op, answer: &Answer) -> Outcome {
    let (status, body) = match answer {
        Answer::Http { status, body } => (*status, body.as_slice()),
        // A pay whose answer is lost may have charged the shopper: the session polls to find out.
        Answer::Lost(_)
            if matches!(
                op,
                Op::ShouqianbaPay { .. } | Op::EzrPay { .. } | Op::PayzeroQuickpayConfirm { .. }
            ) =>
        {
            return Outcome::InProgress { gateway_ref: None };
        }
        Answer::Lost(reason) => return failed(reason.clone()),
    };
    match op {
        Op::PayzeroCreateQr { .. } | Op::PayzeroRefreshQr { .. } => payzero::interpret_qr(status, body),
        Op::PayzeroQuery { .. } => payzero::interpret_query(status, body),
        Op::ShouqianbaPrecreate { .. } => shouqianba::interpret_precreate(status, body),
        Op::ShouqianbaPay { .. } => shouqianba::interpret_pay(status, body),
        Op::ShouqianbaQuery { .. } => shouqianba::interpret_query(status, body),
        Op::ShouqianbaCancel { .. } => shouqianba::interpret_cancel(status, body),
        Op::EzrPay { .. } => ezr::interpret_pay(status, body),
        Op::EzrQuery { .. } => ezr::interpret_query(status, body),
        Op::EzrCancel { .. } => ezr::interpret_cancel(status, body),
        Op::PayzeroAgreeApply { .. } => payzero::interpret_agree_apply(status, body),
        Op::PayzeroAgreeConfirm { .. } => payzero::interpret_agree_confirm(status, body),
        Op::PayzeroQuickpay { order_no, .. } | Op::PayzeroQuickpayRedo { order_no, .. } => {
            payzero::interpret_quickpay(status, body, order_no)
        }
        Op::PayzeroQuickpayConfirm { order_no, .. } => {
            payzero::interpret_quickpay_confirm(status, body, order_no)
        }
        Op::SmsPermit { .. } => interpret_permit(status, body),
        Op::PayzeroRefund { .. } | Op::PayzeroRefundQuery { .. } => payzero::interpret_refund(status, body),
        Op::ShouqianbaRefund { .. } => shouqianba::interpret_refund(status, body),
        Op::ShouqianbaRefundQuery { .. } => shouqianba::interpret_refund_query(status, body),
        Op::EzrRefund { amount, .. } => ezr::interpret_refund(status, body, *amount),
        Op::EzrRefundApply { .. } => ezr::interpret_refund_apply(status, body),
        Op::EzrRefundQuery { .. } => ezr::interpret_refund_query(status, body),
        Op::SandboxPay { .. }
        | Op::Webhook { .. }
        | Op::CustomerCard { .. }
        | Op::UndeliveredEvent { .. } => {
            if (200..300).contains(&status) {
                Outcome::Done
            } else {
                failed(format!("HTTP {status}"))
            }
        }
    }
}

/// The SMS limiter's answer: `200` granted, `429 {"retry_after": seconds}` refused.
fn interpret_permit(status: u16, body: &[u8]) -> Outcome {
    #[derive(Deserialize)]
    struct Refused {
        retry_after: u64,
    }
    match status {
        200..=299 => Outcome::Done,
        429 => match crate::json::decode::<Refused>(body) {
            Ok(r) => Outcome::RateLimited { retry_after: r.retry_after.max(1) },
            Err(e) => failed(format!("the SMS limiter's refusal is unreadable: {e}")),
        },
        other => failed(format!("the SMS limiter answered HTTP {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn money_moving_calls_are_never_retried_and_reads_are() {
        let code = "134567890123451001".to_owned();
        let pay = Op::ShouqianbaPay {
            order_no: "o".into(),
            amount: Fen(1),
            subject: "s".into(),
            code: code.clone(),
            text: SqbText::default(),
        };
        assert_eq!(pay.strategy().retry_at(1, 0), None);
        let ezr = Op::EzrPay {
            order_no: "o".into(),
            amount: Fen(1),
            subject: "s".into(),
            code: code.clone(),
            client_ip: None,
        };
        assert_eq!(ezr.strategy().retry_at(1, 0), None);
        let query = Op::ShouqianbaQuery { order_no: "o".into() };
        assert_eq!(query.strategy().retry_at(1, 100), Some(1_100));
        assert_eq!(query.strategy().retry_at(2, 100), Some(2_100));
        assert_eq!(query.strategy().retry_at(3, 100), None);
        let cancel = Op::ShouqianbaCancel { order_no: "o".into() };
        assert!(cancel.strategy().retry_at(5, 0).is_some());
        assert_eq!(cancel.strategy().retry_at(6, 0), None);
        // The payment code never prints.
        assert!(!format!("{pay:?}").contains(&code));
        assert!(!format!("{ezr:?}").contains(&code));
    }

    #[test]
    fn lost_answers_and_server_errors_are_failures() {
        let op = Op::PayzeroQuery { order_no: "o".into() };
        assert!(matches!(interpret(&op, &Answer::Lost("timeout".into())), Outcome::Failed { .. }));
        let hook = Op::Webhook { event_id: "e".into() };
        assert_eq!(interpret(&hook, &Answer::Http { status: 204, body: vec![] }), Outcome::Done);
        assert!(matches!(
            interpret(&hook, &Answer::Http { status: 500, body: vec![] }),
            Outcome::Failed { .. }
        ));
    }
}
