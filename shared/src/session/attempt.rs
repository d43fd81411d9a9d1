//! One payment attempt: a gateway order of one kind (QR, barcode or bank card), its own order
//! number, and where it stands. The session's status is derived from its attempts' facts.

use super::params::Method;
use crate::api::{AttemptSummary, BarcodeState, BarcodeView, QrView, SavedCard, WebhookCard};
use crate::gateway::{Gateway, Wallet};
use serde::{Deserialize, Serialize};

/// Where an attempt stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttemptState {
    /// A QR code is being issued.
    Issuing,
    /// The order exists upstream and the shopper may pay it (a QR is shown, or was).
    Open,
    /// Issuing failed; `error` says why. The order may exist upstream (`order_created`).
    Failed,
    /// A barcode `pay` is out.
    Paying,
    /// A barcode payment is in progress: queried every `BARCODE_POLL_MS` until its deadline.
    Polling,
    /// A cancel (or the query that must precede it) is out.
    Canceling,
    Paid,
    /// Refused before money moved (`decline` says why).
    Declined,
    /// Canceled at the gateway (any money taken is returned).
    Canceled,
    /// The gateway reports an uncertain state; a person must look.
    NeedsReview,
    /// Closed by us with nothing to cancel upstream (a Payzero QR order cannot be withdrawn; a
    /// payment that still arrives for it is recorded all the same).
    Closed,
}

impl AttemptState {
    /// Whether nothing more will happen to the attempt at the gateway by our doing.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            AttemptState::Paid
                | AttemptState::Declined
                | AttemptState::Canceled
                | AttemptState::NeedsReview
                | AttemptState::Closed
        )
    }

    /// Whether a barcode payment is still being decided.
    pub fn in_progress(self) -> bool {
        matches!(self, AttemptState::Paying | AttemptState::Polling | AttemptState::Canceling)
    }
}

/// A QR code an attempt issued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Qr {
    pub wallet: Wallet,
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Unix seconds.
    pub expires_at: u64,
}

/// A refusal kept with an attempt until its requester has read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptError {
    pub code: crate::api::ErrorCode,
    pub message: String,
}

/// One payment attempt of a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub index: u32,
    pub method: Method,
    /// Our order number at the gateway (`{session id}_{index}`).
    pub order_no: String,
    pub state: AttemptState,
    /// Unix milliseconds.
    pub started_ms: u64,
    /// Whether an order may exist upstream (so it can be queried, refreshed or canceled).
    pub order_created: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr: Option<Qr>,
    /// Barcode: unix ms after which an unconfirmed payment is canceled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
    /// Barcode: unix ms of the next query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_poll_ms: Option<u64>,
    /// Unix ms of the last query sent, for the bounded query rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_query_ms: Option<u64>,
    /// The gateway's own order or payment number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_ref: Option<String>,
    /// Why a barcode payment was declined (the gateway's code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline: Option<String>,
    /// Why the last request on this attempt failed, for the requester.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<AttemptError>,
    /// Bank card: the card paid with (masked) and its Payzero agreement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<SavedCard>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreeid: Option<String>,
    /// Bank card: confirmQuickpay refused the code with this gateway code, and queryOrder is being
    /// asked what that meant (the spec defines no code for a wrong SMS code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_refused: Option<String>,
    /// Payzero: a verified notification said this order was paid and queryOrder has not yet
    /// confirmed it; followed up on the session's alarm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<PaidClaim>,
}

/// A notification's "paid" waiting for queryOrder's confirmation (PRODUCT.md: a status a
/// callback reports is confirmed upstream before the merchant is told).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaidClaim {
    /// Unix ms the first such notification was recorded.
    pub since_ms: u64,
    /// Queries asked so far.
    pub follow_ups: u32,
    /// Unix ms of the next query; `None` while one is out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_ms: Option<u64>,
    /// What the last query said instead of "paid", in the gateway's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_answer: Option<String>,
}

impl Attempt {
    /// The merchant API's view of the attempt: nothing secret, the card masked.
    pub fn summary(&self) -> AttemptSummary {
        AttemptSummary {
            order_no: self.order_no.clone(),
            gateway: self.gateway(),
            method: self.method.wire(),
            state: self.state,
            started_at: self.started_ms / 1000,
            gateway_order_no: self.gateway_ref.clone(),
            wallet: self.qr.as_ref().map(|q| q.wallet),
            card: self.masked_card(),
            decline: self.decline.clone(),
        }
    }

    /// The card paid with, as the merchant sees it: bank and masked number.
    pub fn masked_card(&self) -> Option<WebhookCard> {
        self.card.as_ref().map(|c| WebhookCard {
            bank_code: c.bank_code.clone(),
            bank_name: c.bank_name.clone(),
            number: c.number.clone(),
            card_type: c.card_type.clone(),
        })
    }

    pub fn new(index: u32, method: Method, order_no: String, state: AttemptState, now_ms: u64) -> Attempt {
        Attempt {
            index,
            method,
            order_no,
            state,
            started_ms: now_ms,
            order_created: false,
            qr: None,
            deadline_ms: None,
            next_poll_ms: None,
            last_query_ms: None,
            gateway_ref: None,
            decline: None,
            error: None,
            card: None,
            agreeid: None,
            confirm_refused: None,
            claim: None,
        }
    }

    pub fn gateway(&self) -> Gateway {
        match self.method {
            Method::PayzeroQr | Method::PayzeroCard => Gateway::Payzero,
            Method::ShouqianbaQr | Method::ShouqianbaBarcode => Gateway::Shouqianba,
            Method::EzrBarcode => Gateway::Ezr,
        }
    }

    /// Whether the shopper may still pay this attempt's order (so it is worth asking about).
    pub fn awaits_shopper(&self) -> bool {
        self.order_created
            && matches!(self.state, AttemptState::Open | AttemptState::Failed | AttemptState::Issuing)
    }

    /// The QR to show at `now` (unix seconds), if it can still be paid.
    pub fn qr_view(&self, now: u64) -> Option<QrView> {
        let qr = self.qr.as_ref().filter(|qr| qr.expires_at > now)?;
        (self.state == AttemptState::Open).then(|| QrView {
            method: self.method.wire(),
            channel: qr.wallet.channel(),
            qr_content: qr.content.clone(),
            expires_at: qr.expires_at,
            provider: qr.provider.clone(),
        })
    }

    /// A barcode attempt as the cashier sees it.
    pub fn barcode_view(&self) -> Option<BarcodeView> {
        if !self.method.is_barcode() {
            return None;
        }
        let state = match self.state {
            AttemptState::Paid => BarcodeState::Paid,
            AttemptState::Declined => BarcodeState::Declined,
            AttemptState::Canceled | AttemptState::Closed => BarcodeState::Canceled,
            AttemptState::NeedsReview => BarcodeState::NeedsReview,
            _ => BarcodeState::Processing,
        };
        Some(BarcodeView {
            method: self.method.wire(),
            state,
            reason: self.decline.clone(),
            deadline: self.deadline_ms.unwrap_or(self.started_ms) / 1000,
        })
    }
}
