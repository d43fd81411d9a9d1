//! The edge's own HTTP API: the merchant API (server to server, merchant key), the checkout API
//! (browser, `client_secret`) and the error body every endpoint answers with. The widget and the
//! demo shop use these same types, so the two sides cannot drift apart.

use crate::mask::{CardNumber, IdNumber, PhoneNumber, Redacted};
use crate::money::Fen;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

crate::wire_enum! {
    /// A payment method a merchant may offer in a session.
    pub enum PaymentMethod {
        /// Payzero QR (WeChat Pay / Alipay / UnionPay): the shopper scans.
        PayzeroQr = "payzero_qr",
        /// Payzero bank-card quick pay: the shopper signs a card with an SMS code once, then pays
        /// with an SMS code; with a `customer`, signed cards are offered again.
        PayzeroCard = "payzero_card",
        /// Shouqianba precreate QR (WeChat Pay / Alipay): the shopper scans.
        ShouqianbaQr = "shouqianba_qr",
        /// Shouqianba B-scan-C: the cashier scans the shopper's payment code into the page.
        ShouqianbaBarcode = "shouqianba_barcode",
        /// EZR B-scan-C: the cashier scans the shopper's payment code into the page.
        EzrBarcode = "ezr_barcode",
    }
}

impl PaymentMethod {
    /// The wallets a QR method can issue codes for, in the order the picker shows them; empty for
    /// methods that are not QR methods.
    pub fn channels(&self) -> &'static [Channel] {
        match self {
            PaymentMethod::PayzeroQr => &[Channel::WechatPay, Channel::Alipay, Channel::Unionpay],
            PaymentMethod::ShouqianbaQr => &[Channel::WechatPay, Channel::Alipay],
            _ => &[],
        }
    }

    /// Whether the shopper scans a QR code the page shows.
    pub fn is_qr(&self) -> bool {
        !self.channels().is_empty()
    }

    /// Whether the shopper shows a payment code that the cashier scans into the page.
    pub fn is_barcode(&self) -> bool {
        matches!(self, PaymentMethod::ShouqianbaBarcode | PaymentMethod::EzrBarcode)
    }
}

crate::wire_enum! {
    /// The wallet a QR code is for, whichever gateway issues it.
    pub enum Channel {
        WechatPay = "wechat_pay",
        Alipay = "alipay",
        Unionpay = "unionpay",
    }
}

crate::wire_enum! {
    /// The checkout UI language. zh-CN is the default.
    pub enum Locale {
        ZhCn = "zh-CN",
        En = "en",
    }
}

crate::wire_enum! {
    /// Where a checkout session stands. `open` → `paid` | `expired` | `canceled`, and
    /// `requires_attention` when money moved in a way a person must look at (an amount or order
    /// that does not match, or two paid attempts).
    pub enum SessionStatus {
        Open = "open",
        Paid = "paid",
        Expired = "expired",
        Canceled = "canceled",
        RequiresAttention = "requires_attention",
    }
}

impl SessionStatus {
    /// Whether the shopper can no longer pay in this session.
    pub fn is_final(&self) -> bool {
        !matches!(self, SessionStatus::Open)
    }
}

// `wire_enum!` derives a fixed set of traits, so the default is written out by hand.
#[allow(clippy::derivable_impls)]
impl Default for Locale {
    fn default() -> Self {
        Locale::ZhCn
    }
}

/// `POST /v1/sessions` (merchant key). Amounts are integers in fen; only `CNY` is accepted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateSessionRequest {
    /// Fen, 1 to 9 999 999 999.
    #[cfg_attr(feature = "schema", schemars(extend("minimum" = 1, "maximum" = 9_999_999_999u64)))]
    pub amount: Fen,
    /// `CNY`, the only currency.
    #[cfg_attr(feature = "schema", schemars(extend("enum" = ["CNY"])))]
    pub currency: String,
    /// What is bought: shown to the shopper and sent to the gateway (surrounding spaces are
    /// trimmed; no control characters).
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = 128)))]
    pub subject: String,
    /// The shop's order number (surrounding spaces are trimmed; no control characters).
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = 64)))]
    pub merchant_order_no: String,
    /// What the shopper may pay with; duplicates are dropped.
    #[cfg_attr(feature = "schema", schemars(length(min = 1)))]
    pub methods: Vec<PaymentMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// Seconds until the session expires (60 ..= 86400; default 1800).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(range(min = 60, max = 86_400)))]
    pub expires_in: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Locale>,
    /// The merchant's own customer id (validated like `merchant_order_no`). With it, bank cards
    /// signed in this session are kept for the customer and offered in later sessions; without
    /// it, a signed card serves this session only. 1 to 64 characters, no spaces, control
    /// characters, `/`, `?`, `#` or `%`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(regex(pattern = r"^[^\s/?#%\x00-\x1f\x7f-\x9f]{1,64}$")))]
    pub customer: Option<String>,
    /// Payzero orders of this session are declared to customs once paid (§8.1: `needDeclare`),
    /// for this payer; the result comes as `checkout.declaration.updated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customs: Option<CustomsDeclaration>,
    /// The shop's own key–value pairs (strings; at most 20 keys of 1–40 characters, values of at
    /// most 500), kept with the session and returned in it and in every webhook. Never shown to
    /// the shopper or sent to a gateway.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    /// Who takes the payment (a cashier's name or number), at most 32 characters: Shouqianba's
    /// `operator` on pay, precreate and refund. Default `checkout-edge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// What is bought, in more detail than `subject`, at most 256 characters: Shouqianba's
    /// `description` (cut to 256 bytes). Default: not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A value Shouqianba echoes back unchanged (`reflect`), at most 64 bytes. Default: not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reflect: Option<String>,
}

/// What a customs declaration of a Payzero payment needs (spec §4.1/§5.3 order fields, A.6).
/// The payer's ID number and phone are kept only while the session is open; `Debug` masks them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomsDeclaration {
    /// An A.6 code: `HG013` … `HG055`.
    pub customs_code: String,
    /// 海关关区代码: required for Guangzhou (`HG018`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customs_area_code: Option<String>,
    /// 检验检疫机构代码: required for Guangzhou.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customs_jy_org: Option<String>,
    /// `1` bonded import or `2` direct mail: required for Tianjin (`HG026`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customs_in_type: Option<String>,
    pub payer_name: String,
    pub payer_id_number: IdNumber,
    pub payer_phone: PhoneNumber,
}

/// Where a session's customs declaration stands, as the last `DECLARE_STATUS_NOTIFY` said.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeclarationView {
    /// Payzero's A.2 code: `PENDING_DECLARE`, `DECLARING`, `DECLARED`, `DECLARE_FAILED`, …
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_reason: Option<String>,
    /// The attempt's order number the declaration is about.
    pub order_no: String,
}

impl CreateSessionRequest {
    pub fn new(amount: Fen, subject: impl Into<String>, merchant_order_no: impl Into<String>) -> Self {
        CreateSessionRequest {
            amount,
            currency: "CNY".into(),
            subject: subject.into(),
            merchant_order_no: merchant_order_no.into(),
            methods: vec![PaymentMethod::PayzeroQr],
            notify_url: None,
            return_url: None,
            expires_in: None,
            locale: None,
            customer: None,
            customs: None,
            metadata: BTreeMap::new(),
            operator: None,
            description: None,
            reflect: None,
        }
    }

    /// Adds one metadata pair (see [`CreateSessionRequest::metadata`]).
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    pub fn with_operator(mut self, operator: impl Into<String>) -> Self {
        self.operator = Some(operator.into());
        self
    }

    pub fn with_customs(mut self, customs: CustomsDeclaration) -> Self {
        self.customs = Some(customs);
        self
    }

    pub fn with_customer(mut self, customer: impl Into<String>) -> Self {
        self.customer = Some(customer.into());
        self
    }

    pub fn with_notify_url(mut self, url: impl Into<String>) -> Self {
        self.notify_url = Some(url.into());
        self
    }

    pub fn with_return_url(mut self, url: impl Into<String>) -> Self {
        self.return_url = Some(url.into());
        self
    }

    pub fn with_expires_in(mut self, secs: u64) -> Self {
        self.expires_in = Some(secs);
        self
    }

    pub fn with_locale(mut self, locale: Locale) -> Self {
        self.locale = Some(locale);
        self
    }

    pub fn with_methods(mut self, methods: Vec<PaymentMethod>) -> Self {
        self.methods = methods;
        self
    }
}

/// `201` answer to `POST /v1/sessions`, and the body of `GET /v1/sessions/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SessionCreated {
    pub id: String,
    pub client_secret: String,
    /// The hosted checkout page for this session.
    pub url: String,
    pub status: SessionStatus,
    pub amount: Fen,
    pub merchant_order_no: String,
    /// Unix seconds.
    pub expires_at: u64,
    /// Unix seconds, once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<u64>,
    /// Every payment attempt, oldest first (empty until the shopper picks a method).
    #[serde(default)]
    pub attempts: Vec<AttemptSummary>,
    /// What has been refunded (succeeded) and what is being refunded (pending), in fen.
    #[serde(default)]
    pub amount_refunded: Fen,
    #[serde(default)]
    pub amount_refunding: Fen,
    /// Every refund, oldest first.
    #[serde(default)]
    pub refunds: Vec<RefundView>,
    /// The customs declaration, once Payzero reported on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declaration: Option<DeclarationView>,
    /// The metadata the session was created with.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

// The attempt types the merchant API shows, named here so the API's users find every type in one
// module.
pub use crate::gateway::{Gateway, Wallet};
pub use crate::session::AttemptState;

/// One payment attempt as the merchant API shows it: one gateway order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AttemptSummary {
    /// The order number the edge gave the gateway (`{session id}_{n}`).
    pub order_no: String,
    /// `payzero`, `shouqianba` or `ezr`.
    pub gateway: Gateway,
    pub method: PaymentMethod,
    pub state: AttemptState,
    /// Unix seconds.
    pub started_at: u64,
    /// The gateway's own order or payment number, once it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_order_no: Option<String>,
    /// The wallet of a QR code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet: Option<Wallet>,
    /// The bank card of a `payzero_card` attempt: bank and masked number only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<WebhookCard>,
    /// Why a payment was declined (the gateway's code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline: Option<String>,
}

/// `POST /v1/sessions/{id}/refunds`. Without `amount`, everything paid and not yet refunded.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// Fen; default: everything paid and not yet refunded or being refunded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(extend("minimum" = 1)))]
    pub amount: Option<Fen>,
    /// Why, in a few words (at most 80 characters); sent to the gateway where it takes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

crate::wire_enum! {
    /// Where a refund stands. `pending` refunds are followed up with the gateway until they end.
    pub enum RefundStatus {
        Pending = "pending",
        Succeeded = "succeeded",
        Failed = "failed",
        /// The gateway said a person must look, or stayed undecided too long: money may have
        /// moved. `attention` says why, in the gateway's words.
        RequiresAttention = "requires_attention",
    }
}

/// A refund, as `POST /v1/sessions/{id}/refunds` and `GET …/refunds/{refund_id}` answer it and
/// `checkout.refund.*` events carry it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RefundView {
    /// Ours, also the refund's number at the gateway where it takes one (`{session id}r{n}`).
    pub id: String,
    pub session_id: String,
    pub amount: Fen,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub status: RefundStatus,
    /// Unix seconds.
    pub created: u64,
    /// Unix seconds, once succeeded or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
    /// The gateway's own refund number, when it gives one (EZR's `RefundNo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_refund_no: Option<String>,
    /// Why it failed: the gateway's code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_code: Option<String>,
    /// Why it requires attention, with the gateway's own words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention: Option<String>,
}

/// `GET /v1/sessions?merchant_order_no=…`: the sessions made for one shop order, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SessionList {
    pub data: Vec<SessionCreated>,
}

/// `GET /v1/checkout`: what the widget may know. Nothing secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CheckoutView {
    pub amount: Fen,
    pub currency: String,
    pub subject: String,
    pub methods: Vec<PaymentMethod>,
    pub status: SessionStatus,
    pub locale: Locale,
    /// Unix seconds.
    pub expires_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// True when the edge runs against the sandbox: the widget shows "simulate payment".
    pub test_mode: bool,
    /// Grows by one at every change the widget can see (status, a barcode payment's progress);
    /// the long-poll waits for a larger one.
    pub version: u64,
    /// The session's clock (unix seconds) when the view was made: the widget counts down to
    /// `expires_at`, `resend_at` and the like from it, whatever the device's clock says.
    #[serde(default)]
    pub now: u64,
    /// The QR code currently issued, if any and still payable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr: Option<QrView>,
    /// The latest cashier (barcode) payment, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barcode: Option<BarcodeView>,
    /// The bank-card payment in progress, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<CardView>,
    /// The cards the shopper may pay with at once: the session customer's saved cards, or the
    /// card signed in this session. Masked; `id` names one in `CardPayRequest`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub saved_cards: Vec<SavedCard>,
}

impl CheckoutView {
    /// The QR the hosted page issues before it is sent, for a page opened with `?channel=` (a
    /// shop or app that already asked the shopper for a wallet) and optionally `?method=`: the
    /// first QR method the session offers for that wallet, or the one named. `None` when the
    /// session is not open, is busy with a cashier or card payment, already shows that QR, or
    /// offers no such QR: the page then shows what the view says, as without the parameters.
    pub fn qr_to_issue(&self, method: Option<&PaymentMethod>, channel: &Channel) -> Option<QrRequest> {
        if self.status != SessionStatus::Open || self.card.is_some() {
            return None;
        }
        if self.barcode.as_ref().is_some_and(|b| b.state == BarcodeState::Processing) {
            return None;
        }
        let method = self
            .methods
            .iter()
            .filter(|m| method.is_none_or(|wanted| *m == wanted))
            .find(|m| m.channels().contains(channel))?;
        if self.qr.as_ref().is_some_and(|qr| qr.method == *method && qr.channel == *channel) {
            return None;
        }
        Some(QrRequest { method: method.clone(), channel: channel.clone() })
    }
}

/// `POST /v1/checkout/qr`. There is no amount: the session decides it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct QrRequest {
    pub method: PaymentMethod,
    pub channel: Channel,
}

/// `POST /v1/checkout/test/clock` (test mode only): move this session's clock ahead, so a test
/// reaches cooldowns and expiries without waiting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ClockRequest {
    /// Seconds to add; more than a day moves it one day.
    pub advance_secs: u64,
}

/// The answer to `POST /v1/checkout/test/clock`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ClockAnswer {
    /// The session's clock now, unix seconds.
    pub now: u64,
}

/// The QR code to show: the widget renders `qr_content` locally.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct QrView {
    pub method: PaymentMethod,
    pub channel: Channel,
    pub qr_content: String,
    /// Unix seconds after which the code must be refreshed.
    pub expires_at: u64,
    /// The payment company behind the code when the gateway names one (Payzero's `psp`:
    /// `EASYPAY`, `ALLINPAY`, …), for the "processed by" line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

/// `POST /v1/checkout/barcode` (cashier mode): the shopper's payment code as the
/// scanner typed it. There is no amount: the session decides it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BarcodeRequest {
    pub method: PaymentMethod,
    /// The 16 to 24 digits of a WeChat Pay or Alipay payment code (surrounding spaces trimmed).
    #[cfg_attr(feature = "schema", schemars(regex(pattern = r"^\s*[0-9]{16,24}\s*$")))]
    pub code: String,
}

crate::wire_enum! {
    /// Where a cashier (barcode) payment stands.
    pub enum BarcodeState {
        /// Sent to the gateway; the shopper may be confirming on their phone. The edge polls.
        Processing = "processing",
        Paid = "paid",
        /// The gateway refused it and no money moved (`reason` says why); another code may work.
        Declined = "declined",
        /// Not confirmed before the deadline: the edge canceled it at the gateway.
        Canceled = "canceled",
        /// The outcome is uncertain at the gateway; the session needs a person.
        NeedsReview = "needs_review",
    }
}

/// A cashier payment as the widget shows it. The code itself is never echoed back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BarcodeView {
    pub method: PaymentMethod,
    pub state: BarcodeState,
    /// The gateway's reason code for a decline (`EXPIRED_BARCODE`, `NOTENOUGH`, …), when known;
    /// for a cancel, `NOTPAY` when the gateway left it unpaid (none: the deadline passed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Unix seconds after which an unconfirmed payment is canceled.
    pub deadline: u64,
}

/// `GET /v1/checkout/status?since={version}`: answered as soon as the session's
/// version exceeds `since`, or after the wait ends with the current state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StatusUpdate {
    pub status: SessionStatus,
    pub version: u64,
    /// Unix seconds, once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<u64>,
    /// The latest cashier payment, so the cashier sees its progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barcode: Option<BarcodeView>,
    /// The bank-card payment in progress, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<CardView>,
}

// ---------------------------------------------------------------------------------------------
// Bank-card quick pay (Payzero §5)

crate::wire_enum! {
    /// Debit or credit card. Credit cards also need CVV2 and expiry.
    pub enum CardType {
        Debit = "debit",
        Credit = "credit",
    }
}

crate::wire_enum! {
    /// A field of the card sign-up form (or the SMS code), named in errors so the widget puts
    /// the message next to it.
    pub enum CardField {
        AccountName = "account_name",
        CardNumber = "card_number",
        CardType = "card_type",
        BankCode = "bank_code",
        IdNumber = "id_number",
        Mobile = "mobile",
        Cvv2 = "cvv2",
        Expiry = "expiry",
        Code = "code",
        CardId = "card_id",
    }
}

crate::wire_enum! {
    /// What is wrong with a field.
    pub enum FieldProblem {
        Missing = "missing",
        /// Only digits are allowed.
        NotDigits = "not_digits",
        Length = "length",
        /// Not the expected form (an ID's birth date, a mobile's prefix, `yyMM`, …).
        Format = "format",
        /// An identity-card number whose GB 11643 check character is wrong.
        Checksum = "checksum",
        /// A credit card's expiry in the past.
        Expired = "expired",
        /// CVV2 or expiry given for a debit card.
        NotForDebit = "not_for_debit",
        /// Not a value the list allows (a bank code, a card id).
        NotInList = "not_in_list",
        /// A different mobile number than the one this session already sent codes to.
        PhoneLocked = "phone_locked",
    }
}

/// `POST /v1/checkout/card/signup`: sign a bank card for quick pay (Payzero
/// agreeApply); an SMS code goes to `mobile`. Sending the same form again asks for a new code
/// (after the cooldown). Nothing here is stored: the edge forwards it to Payzero and keeps only
/// masked forms. `Debug` masks every field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CardSignupRequest {
    pub account_name: String,
    pub card_number: CardNumber,
    pub card_type: CardType,
    /// A bank code of Payzero's list (spec A.5): `0102`, …, `999` (the test bank).
    pub bank_code: String,
    pub id_number: IdNumber,
    pub mobile: PhoneNumber,
    /// Credit cards only: the 3 digits on the back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvv2: Option<Redacted>,
    /// Credit cards only: `yyMM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<Redacted>,
}

/// `POST …/card/signup/confirm` and `POST …/card/pay/confirm`: the 6-digit SMS code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SmsCodeRequest {
    /// The 6 digits the shopper received (surrounding spaces trimmed).
    #[cfg_attr(feature = "schema", schemars(regex(pattern = r"^\s*[0-9]{6}\s*$")))]
    pub code: String,
}

/// `POST /v1/checkout/card/pay`: pay with a saved (or just signed) card; an SMS
/// code goes to the card's mobile unless the gateway needs none. There is no amount.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CardPayRequest {
    pub card_id: String,
}

/// A signed card as the shopper sees it: never more than the bank and a masked number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SavedCard {
    pub id: String,
    pub bank_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_name: Option<String>,
    /// `6217 **** **** 0000`.
    pub number: String,
    pub card_type: CardType,
    /// `138****8000`: where the SMS codes go.
    pub phone: String,
}

crate::wire_enum! {
    /// Where a bank-card payment stands.
    pub enum CardStep {
        /// A sign-up SMS code was sent; `POST …/card/signup/confirm` with it.
        SignupCodeSent = "signup_code_sent",
        /// The card is signed; paying with it is the next step (`POST …/card/pay`).
        Signed = "signed",
        /// A payment SMS code was sent; `POST …/card/pay/confirm` with it, or resend.
        PayCodeSent = "pay_code_sent",
        /// The code was taken (or none was needed); the gateway is completing the payment.
        Processing = "processing",
        Paid = "paid",
        /// This try is over (`problem` says why); the shopper starts again.
        Failed = "failed",
    }
}

crate::wire_enum! {
    /// Why the last card step did not go through.
    pub enum CardProblem {
        /// The SMS code was wrong; a new code must be requested (`tries_left` more wrong codes
        /// are allowed).
        CodeWrong = "code_wrong",
        /// The SMS code is older than its lifetime; request a new one.
        CodeExpired = "code_expired",
        /// Too many wrong codes: this try is over.
        TooManyTries = "too_many_tries",
        /// The gateway refused (`gateway_code` says why).
        Refused = "refused",
        /// The gateway failed or did not answer; trying again may work.
        Unavailable = "unavailable",
    }
}

/// A bank-card payment as the widget shows it: masked forms only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CardView {
    pub step: CardStep,
    /// The card being signed or paid with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<SavedCard>,
    /// Unix seconds from which another SMS code may be requested (the resend cooldown).
    pub resend_at: u64,
    /// Unix seconds until which the last code can be used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_expires_at: Option<u64>,
    /// Wrong codes still allowed in this try.
    pub tries_left: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<CardProblem>,
    /// The gateway's error code behind `problem`, when it gave one (Payzero `errorCode`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_code: Option<String>,
}

/// `GET /v1/customers/{customer}/cards` (merchant key): a customer's signed cards, masked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CustomerCards {
    pub customer: String,
    pub cards: Vec<SavedCard>,
}

crate::wire_enum! {
    /// Stable error codes. Clients branch on these, never on messages.
    pub enum ErrorCode {
        /// The body is not JSON, or a field has the wrong type or is missing.
        InvalidJson = "invalid_json",
        /// A field's value is not acceptable (see the message).
        InvalidRequest = "invalid_request",
        /// The body is larger than the endpoint accepts.
        PayloadTooLarge = "payload_too_large",
        /// No or wrong merchant key.
        Unauthorized = "unauthorized",
        /// The client secret or session id does not name a session.
        NotFound = "not_found",
        /// The method or route does not exist.
        MethodNotAllowed = "method_not_allowed",
        /// The session does not allow this method, or the method is not implemented yet.
        MethodNotSupported = "method_not_supported",
        /// The session is paid, expired or canceled.
        SessionClosed = "session_closed",
        /// A callback's signature did not verify.
        InvalidSignature = "invalid_signature",
        /// Too many requests; retry after the period given.
        RateLimited = "rate_limited",
        /// The payment gateway failed or answered something unusable; retrying may help.
        UpstreamError = "upstream_error",
        /// The gateway refused the operation (its code is in the message).
        UpstreamRejected = "upstream_rejected",
        /// Only available when the edge runs in test mode.
        NotAvailable = "not_available",
        /// A refund of a session that is not paid.
        SessionNotPaid = "session_not_paid",
        /// A refund above what was paid and not yet refunded.
        RefundExceedsPayment = "refund_exceeds_payment",
        /// The `Idempotency-Key` was used before with another request (another path or body).
        IdempotencyConflict = "idempotency_conflict",
        /// A request with this `Idempotency-Key` is still running; retry after the period given.
        RequestInProgress = "request_in_progress",
        /// Something went wrong on our side; nothing was changed.
        Internal = "internal",
        /// A live edge whose configuration is incomplete or points at loopback: it takes no
        /// payments until its operator fixes what the message (and `GET /health`) names.
        NotConfigured = "not_configured",
    }
}

/// The body of every error answer: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// The request field the error is about, when it is about one (`card_number`, `mobile`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What is wrong with `field` (a `FieldProblem`), so a client can word it in its language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The gateway's own error code behind an `upstream_rejected` (Payzero `errorCode`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_code: Option<String>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code,
                message: message.into(),
                field: None,
                problem: None,
                gateway_code: None,
            },
        }
    }
}

/// `GET /v1/sessions/{id}/events`: a session's merchant events and their delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EventList {
    pub data: Vec<EventDelivery>,
}

/// One merchant event and where its delivery stands. Neither `delivered` nor a
/// `next_attempt_at` means it was given up after its last retry: `POST
/// /v1/sessions/{id}/events/{event_id}/resend` sends it again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EventDelivery {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Unix seconds.
    pub created: u64,
    pub delivered: bool,
    /// Delivery attempts made so far.
    pub attempts: u32,
    /// Unix seconds of the next attempt, while one is planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<u64>,
}

/// The event posted to a merchant's `notify_url`, signed with `Checkout-Signature`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WebhookEvent {
    /// Unique per event: merchants de-duplicate on it.
    pub id: String,
    /// `checkout.session.paid`, `checkout.session.expired`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// Unix seconds.
    pub created: u64,
    pub data: WebhookSession,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WebhookSession {
    pub id: String,
    pub merchant_order_no: String,
    pub amount: Fen,
    pub status: SessionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<u64>,
    /// The gateway's own order/payment number, for reconciliation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_order_no: Option<String>,
    /// How it was paid, once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethod>,
    /// The order number the edge gave the gateway for the paying attempt (`{session id}_{n}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_no: Option<String>,
    /// Why the session requires attention, for `checkout.session.requires_attention`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention: Option<String>,
    /// The card a `payzero_card` payment was made with: bank and masked number only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<WebhookCard>,
    /// The refund a `checkout.refund.*` event is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<RefundView>,
    /// The customs declaration, for `checkout.declaration.updated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declaration: Option<DeclarationView>,
    /// The metadata the session was created with, in every event.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

/// The card of a paid bank-card session, as the merchant's webhook carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WebhookCard {
    pub bank_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_name: Option<String>,
    /// `6217 **** **** 0000`.
    pub number: String,
    pub card_type: CardType,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn view(methods: &[PaymentMethod]) -> CheckoutView {
        CheckoutView {
            amount: Fen(100),
            currency: "CNY".into(),
            subject: "tea".into(),
            methods: methods.to_vec(),
            status: SessionStatus::Open,
            locale: Locale::ZhCn,
            expires_at: 2_000,
            return_url: None,
            test_mode: true,
            version: 1,
            now: 1_000,
            qr: None,
            barcode: None,
            card: None,
            saved_cards: Vec::new(),
        }
    }

    #[test]
    fn a_page_opened_for_a_wallet_issues_the_first_qr_method_offering_it() {
        let v = view(&[PaymentMethod::PayzeroCard, PaymentMethod::ShouqianbaQr, PaymentMethod::PayzeroQr]);
        let wechat = v.qr_to_issue(None, &Channel::WechatPay).unwrap();
        assert_eq!(wechat, QrRequest { method: PaymentMethod::ShouqianbaQr, channel: Channel::WechatPay });
        // UnionPay only through Payzero; a named method is honoured, or nothing.
        assert_eq!(v.qr_to_issue(None, &Channel::Unionpay).unwrap().method, PaymentMethod::PayzeroQr);
        assert_eq!(
            v.qr_to_issue(Some(&PaymentMethod::PayzeroQr), &Channel::WechatPay).unwrap().method,
            PaymentMethod::PayzeroQr
        );
        assert_eq!(v.qr_to_issue(Some(&PaymentMethod::PayzeroCard), &Channel::WechatPay), None);
        assert_eq!(v.qr_to_issue(None, &Channel::Unknown("paypal".into())), None);
    }

    #[test]
    fn nothing_is_issued_when_the_page_would_not_show_it() {
        let mut v = view(&[PaymentMethod::PayzeroQr]);
        v.qr = Some(QrView {
            method: PaymentMethod::PayzeroQr,
            channel: Channel::WechatPay,
            qr_content: "weixin://x".into(),
            expires_at: 1_500,
            provider: None,
        });
        assert_eq!(v.qr_to_issue(None, &Channel::WechatPay), None, "already on screen");
        assert!(v.qr_to_issue(None, &Channel::Alipay).is_some(), "another wallet is a new QR");
        v.status = SessionStatus::Paid;
        assert_eq!(v.qr_to_issue(None, &Channel::Alipay), None);
        let mut busy = view(&[PaymentMethod::PayzeroQr, PaymentMethod::EzrBarcode]);
        busy.barcode = Some(BarcodeView {
            method: PaymentMethod::EzrBarcode,
            state: BarcodeState::Processing,
            reason: None,
            deadline: 1_060,
        });
        assert_eq!(busy.qr_to_issue(None, &Channel::WechatPay), None);
    }
}
