//! The stored form of a session and its versions. Sessions live up to a day and their webhook
//! retries longer, so a session stored by an older release must still load: `load` reads every
//! past schema and brings it to the current one.
//!
//! - schema 1 (the first release, no `schema` field): one Payzero QR order per session, numbered
//!   with the session id itself, `order_created`/`qr`/`last_query_ms` on the session.
//! - schema 2: attempts, calls and the outbox as calls.

use super::attempt::{Attempt, AttemptState, Qr};
use super::{Call, CallState, ClientSecret, Method, OutgoingWebhook, Purpose, Session, SessionParams};
use crate::api::Locale;
use crate::gateway::{Op, Wallet};
use crate::json::{DecodeError, decode};
use crate::money::Fen;
use crate::payzero::{Psp, QrCodeType};
use serde::Deserialize;

/// The schema this release writes.
pub const SCHEMA: u32 = 2;

/// Reads a stored session of any known schema.
pub fn load(bytes: &[u8]) -> Result<Session, DecodeError> {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        schema: Option<u32>,
    }
    let probe: Probe = decode(bytes)?;
    match probe.schema {
        None | Some(1) => decode::<V1>(bytes).map(V1::upgrade),
        Some(SCHEMA) => decode(bytes),
        Some(other) => Err(DecodeError {
            path: "schema".into(),
            message: format!("schema {other} is newer than this release ({SCHEMA})"),
        }),
    }
}

#[derive(Deserialize)]
struct V1Params {
    amount: Fen,
    currency: String,
    subject: String,
    merchant_order_no: String,
    /// Only `payzero_qr` existed.
    methods: Vec<Method>,
    notify_url: Option<String>,
    return_url: Option<String>,
    expires_in: u64,
    locale: Locale,
}

#[derive(Deserialize)]
struct V1Qr {
    qr_content: String,
    channel: QrCodeType,
    psp: Psp,
    expires_at: u64,
}

#[derive(Deserialize)]
struct V1 {
    id: String,
    client_secret: ClientSecret,
    params: V1Params,
    created_at: u64,
    expires_at: u64,
    status: super::Status,
    version: u64,
    paid_at: Option<u64>,
    gateway_order_no: Option<String>,
    order_created: bool,
    qr: Option<V1Qr>,
    last_query_ms: Option<u64>,
    seen_notifications: Vec<String>,
    outbox: Vec<OutgoingWebhook>,
}

impl V1 {
    fn upgrade(self) -> Session {
        let p = self.params;
        let params = SessionParams {
            amount: p.amount,
            currency: p.currency,
            subject: p.subject,
            merchant_order_no: p.merchant_order_no,
            methods: p.methods,
            barcode_deadline: super::DEFAULT_BARCODE_DEADLINE_SECS,
            notify_url: p.notify_url,
            return_url: p.return_url,
            expires_in: p.expires_in,
            locale: p.locale,
            customer: None,
            sms: crate::sms::SmsLimits::default(),
            customs: None,
            metadata: Default::default(),
            operator: None,
            description: None,
            reflect: None,
            ezr_refund_approval: false,
        };
        let mut session = Session::open(self.id, self.client_secret, params, self.created_at);
        session.expires_at = self.expires_at;
        session.status = self.status;
        session.version = self.version;
        session.paid_at = self.paid_at;
        session.seen_notices = self.seen_notifications;
        if self.order_created || self.paid_at.is_some() {
            // The first release numbered its one Payzero order with the session id.
            let mut a = Attempt::new(
                0,
                Method::PayzeroQr,
                session.id.clone(),
                AttemptState::Open,
                self.created_at * 1000,
            );
            a.order_created = self.order_created;
            a.last_query_ms = self.last_query_ms;
            a.gateway_ref = self.gateway_order_no;
            a.qr = self.qr.and_then(|qr| {
                let wallet = match qr.channel {
                    QrCodeType::Wechatpay => Wallet::WechatPay,
                    QrCodeType::Alipay => Wallet::Alipay,
                    QrCodeType::Unionpay => Wallet::Unionpay,
                    QrCodeType::Unknown(_) => return None,
                };
                Some(Qr {
                    wallet,
                    content: qr.qr_content,
                    provider: Some(qr.psp.as_str().to_owned()),
                    expires_at: qr.expires_at,
                })
            });
            a.state = match session.status {
                super::Status::Open => AttemptState::Open,
                super::Status::Paid => AttemptState::Paid,
                _ => AttemptState::Closed,
            };
            if a.state == AttemptState::Paid {
                session.paid_attempt = Some(0);
            }
            session.attempts.push(a);
        }
        // Events still to deliver become webhook calls at their scheduled time.
        for w in &self.outbox {
            if let Some(at) = w.next_attempt_ms {
                let id = session.take_call_id();
                session.calls.push(Call {
                    id,
                    attempt: None,
                    op: Op::Webhook { event_id: w.event.id.clone() },
                    purpose: Purpose::Normal,
                    state: CallState::Queued { not_before_ms: at },
                    tries: 0,
                    fresh_token: false,
                });
            }
        }
        session.outbox = self.outbox;
        session
    }
}
