//! Payzero QuickPay as its spec describes it: orders with their pay and declare states, order
//! batches, QR codes that expire, quick-pay agreements and their SMS steps, mock pay, the
//! real-name check, customs declarations and refunds. Plain data over a clock value (`now_ms`)
//! and a random generator; `routes` does the HTTP.

pub(crate) mod routes;
pub(crate) mod wire;

use crate::jwt::{self, Claims};
use crate::money::{Fen, sum_fen};
use crate::{ids, timefmt};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use wire::{
    AcctType, AgreeApplyRequest, AgreeConfirmRequest, AgreementResponse, BankCode, BatchSummary,
    ConfirmQuickpayRequest, CreateAndPayResponse, DeclareRequest, DeclareStatus, DeclaresByDefault,
    FeedbackPage, MockpayResponse, MsgType, Order, OrderBatchResponse, OrderResult, PayStatus, Psp,
    QrCodeResponse, QrCodeType, QuickpayResponse, RealPersonResponse, RealPersonResult, RedoQuickpayRequest,
    RefundRequest, RefundResponse, RefundStatus, SpecError,
};

/// A QR code can be paid for 600 seconds after it was issued.
pub(crate) const QR_TTL_MS: u64 = 600_000;
/// Tokens last four hours (spec 1).
pub(crate) const TOKEN_TTL_S: u64 = 4 * 3600;
/// A payment SMS code is good for three minutes (spec 5.5).
pub(crate) const PAY_SMS_TTL_MS: u64 = 180_000;
/// Automatic payment (batches, createAndPay, arrangePay) completes this long after it is arranged.
pub(crate) const SETTLE_DELAY_MS: u64 = 30_000;
/// A customs declaration completes this long after it starts.
pub(crate) const DECLARE_DELAY_MS: u64 = 60_000;
/// A refund completes this long after it is requested.
pub(crate) const REFUND_DELAY_MS: u64 = 60_000;
/// The payment SMS code the sandbox treats as mistyped (any other 6 characters are right).
pub(crate) const WRONG_SMS_CODE: &str = "000000";
/// A card signed with a number ending in this pays without an SMS: createAndQuickpay (and
/// redoQuickpay) answer PAY_SUCCEED at once (spec 5.3, "no SMS needed").
pub(crate) const NO_SMS_PAID_CARD_SUFFIX: &str = "0002";
/// A card signed with a number ending in this needs no SMS but settles later: PAY_SMS_CONFIRMED,
/// then PAY_SUCCEED (and its notification) `SETTLE_DELAY_MS` of sandbox time later.
pub(crate) const NO_SMS_CONFIRMED_CARD_SUFFIX: &str = "0003";

/// What the channel asks for to pay with an agreement (spec 5.3), chosen by the last four digits
/// of the card the agreement was signed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum QuickpayPath {
    /// PAY_APPLIED: a payment SMS is sent and confirmQuickpay finishes the payment.
    Sms,
    /// PAY_SUCCEED at once, no SMS.
    PaidAtOnce,
    /// PAY_SMS_CONFIRMED, no SMS; settled later like an automatic payment.
    ConfirmedThenSettled,
}

impl QuickpayPath {
    fn for_card(acctno: &str) -> Self {
        if acctno.ends_with(NO_SMS_PAID_CARD_SUFFIX) {
            QuickpayPath::PaidAtOnce
        } else if acctno.ends_with(NO_SMS_CONFIRMED_CARD_SUFFIX) {
            QuickpayPath::ConfirmedThenSettled
        } else {
            QuickpayPath::Sms
        }
    }
}

/// A business failure, answered as `{success:false, errorCode, errorMsg}` with HTTP 200.
/// 30001 and 500xx are the spec's; the others are the sandbox's own, listed in the README.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PzError {
    pub(crate) code: String,
    pub(crate) msg: String,
}

impl PzError {
    fn new(code: &str, msg: impl Into<String>) -> Self {
        PzError { code: code.to_owned(), msg: msg.into() }
    }

    /// 30001, the spec's "参数 xxxx 未正确设置。".
    pub(crate) fn param(field: &str) -> Self {
        Self::new("30001", format!("参数 {field} 未正确设置。"))
    }

    fn spec(code: SpecError) -> Self {
        PzError { code: code.code().to_owned(), msg: code.message().to_owned() }
    }

    fn duplicate(what: &str, value: &str) -> Self {
        Self::new("30002", format!("{what} {value} 已存在，请确保不重复"))
    }

    fn not_found(what: &str, value: &str) -> Self {
        Self::new("30003", format!("{what} {value} 不存在"))
    }

    fn state(msg: impl Into<String>) -> Self {
        Self::new("30004", msg)
    }
}

/// How an order entered the system; it decides what can be done with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Channel {
    Batch,
    CreateAndPay,
    Qr,
    Quickpay,
    Mockpay,
}

impl Channel {
    /// Orders pushed for automatic payment or mock pay cannot be refunded (spec 9.1).
    fn refundable(self) -> bool {
        matches!(self, Channel::Qr | Channel::Quickpay)
    }

    fn automatic(self) -> bool {
        matches!(self, Channel::Batch | Channel::CreateAndPay)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QrState {
    pub(crate) qr_code_type: QrCodeType,
    pub(crate) psp: Psp,
    pub(crate) code_url: String,
    pub(crate) issued_ms: u64,
    pub(crate) expires_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SmsState {
    /// A code was sent and may be entered once.
    Awaiting,
    /// A wrong or late code was entered: only `redoQuickpay` sends a new one.
    Burned,
    /// The code was accepted.
    Used,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QuickpayState {
    pub(crate) agreeid: String,
    pub(crate) sms: SmsState,
    pub(crate) sms_sent_ms: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PzOrder {
    pub(crate) order: Order,
    pub(crate) channel: Channel,
    pub(crate) batch_id: Option<u64>,
    pub(crate) created_ms: u64,
    pub(crate) pay_status: PayStatus,
    pub(crate) declare_status: DeclareStatus,
    pub(crate) declare_fail_reason: Option<String>,
    /// The outcome the admin API chose for the declaration in progress.
    pub(crate) declare_outcome: Option<(DeclareStatus, Option<String>)>,
    pub(crate) psp: Option<Psp>,
    pub(crate) payment_order_no: Option<String>,
    pub(crate) payment_datetime: Option<String>,
    pub(crate) qr: Option<QrState>,
    pub(crate) quickpay: Option<QuickpayState>,
    /// Refunds requested or done, not counting failed ones.
    pub(crate) refunded: Fen,
}

impl PzOrder {
    /// `declares`: whether the order is declared to customs once paid.
    fn new(order: Order, channel: Channel, now_ms: u64, declares: bool) -> Self {
        let declare_status =
            if declares { DeclareStatus::PendingDeclare } else { DeclareStatus::NotDeclared };
        PzOrder {
            order,
            channel,
            batch_id: None,
            created_ms: now_ms,
            pay_status: PayStatus::NotPayed,
            declare_status,
            declare_fail_reason: None,
            declare_outcome: None,
            psp: None,
            payment_order_no: None,
            payment_datetime: None,
            qr: None,
            quickpay: None,
            refunded: Fen::ZERO,
        }
    }

    /// The spec's `orderResultDto` (2.4).
    pub(crate) fn result(&self) -> OrderResult {
        let paid = self.pay_status == PayStatus::PaySucceed;
        let (company_name, company_code) = match (&self.psp, paid) {
            (Some(Psp::Allinpay), true) => (Some("通联支付网络服务股份有限公司"), Some("312228034T")),
            (Some(Psp::Easypay), true) => (Some("易生支付有限公司"), None),
            (Some(Psp::Lycheepay), true) => (Some("快付通（北京）信息技术有限公司"), None),
            _ => (None, None),
        };
        let ver_dept = paid.then(|| match (&self.channel, self.qr.as_ref().map(|q| &q.qr_code_type)) {
            (Channel::Qr, Some(QrCodeType::Unionpay)) => "1",
            (Channel::Quickpay, _) => "2",
            _ => "3",
        });
        OrderResult {
            mcht_order_no: self.order.mcht_order_no.clone(),
            payment_amount: self.order.payment_amount,
            payer_name: self.order.payer_name.clone(),
            payer_number: self.order.payer_number.as_ref().map(|n| n.expose().to_owned()),
            payer_phone: self.order.payer_phone.as_ref().map(|n| n.expose().to_owned()),
            subject: Some(self.order.subject.clone()),
            pay_status: self.pay_status.clone(),
            declare_status: Some(self.declare_status.clone()),
            declare_fail_reason: self.declare_fail_reason.clone(),
            payment_order_no: self.payment_order_no.clone(),
            ver_dept: ver_dept.map(str::to_owned),
            pay_type: Some(if self.channel == Channel::Qr { "3" } else { "2" }.to_owned()),
            init_request: None,
            init_response: None,
            payment_datetime: self.payment_datetime.clone(),
            customs_pay_company_name: company_name.map(str::to_owned),
            customs_pay_company_code: company_code.map(str::to_owned),
        }
    }

    fn qr_expired(&self, now_ms: u64) -> bool {
        self.qr.as_ref().is_some_and(|q| now_ms >= q.expires_ms)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Batch {
    pub(crate) id: u64,
    pub(crate) disp_batch_num: String,
    pub(crate) order_nos: Vec<String>,
    pub(crate) total: Fen,
    pub(crate) created_ms: u64,
    pub(crate) updated_ms: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Application {
    pub(crate) request: AgreeApplyRequest,
    pub(crate) applied_ms: u64,
    pub(crate) agreeid: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Refund {
    pub(crate) response: RefundResponse,
    pub(crate) created_ms: u64,
}

/// The merchant's back-office set-up that decides the automatic-payment errors 50001, 50010 and
/// 50056. Tests change it through `POST /__admin/payzero/merchant`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub(crate) struct Merchant {
    /// `false` → 50001 (no supported card and agreement: the prepayment mode is wrong).
    pub(crate) advance_mode_ok: bool,
    /// `false` → 50010 (no signed bank card).
    pub(crate) card_signed: bool,
    /// The recorded card balance in fen; less than what is to be paid → 50056.
    pub(crate) card_balance: Fen,
    /// Whether an order that leaves out `needDeclare` is declared (the onboarding business
    /// form, spec §4.1): `when_customs_code` (default), `always` or `never`.
    pub(crate) declares_by_default: DeclaresByDefault,
    /// The merchant's cash account in fen (spec 9.1: refunds are taken from it, and a refund
    /// it cannot cover fails). A refund above it is refused with the sandbox's `50072`
    /// "现金账户余额不足"; each refund requested takes its amount, a failed one gives it back.
    pub(crate) cash_balance: Fen,
}

impl Default for Merchant {
    fn default() -> Self {
        Merchant {
            advance_mode_ok: true,
            card_signed: true,
            card_balance: Fen(10_000_000_000),
            cash_balance: Fen(10_000_000_000),
            declares_by_default: DeclaresByDefault::WhenCustomsCode,
        }
    }
}

/// Work the gateway does later, on the sandbox clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub(crate) enum Job {
    Settle { mcht_order_no: String },
    Declare { mcht_order_no: String },
    Refund { mcht_refund_order_no: String },
}

/// A notification to send.
#[derive(Clone, Debug)]
pub(crate) struct Outgoing {
    pub(crate) msg_type: MsgType,
    pub(crate) result: OrderResult,
    pub(crate) notify_url: Option<String>,
}

/// What the admin API can be refused for.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AdminError {
    #[error("no such order: {0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Payzero {
    pub(crate) orders: BTreeMap<String, PzOrder>,
    /// Order numbers in the order they arrived (feedback pages list newest first).
    pub(crate) arrival: Vec<String>,
    pub(crate) batches: BTreeMap<u64, Batch>,
    pub(crate) applications: BTreeMap<String, Application>,
    pub(crate) agreements: BTreeMap<String, AgreementResponse>,
    pub(crate) refunds: BTreeMap<String, Refund>,
    pub(crate) merchant: Merchant,
    pub(crate) jobs: Vec<(u64, Job)>,
    pub(crate) tokens_issued: u64,
    #[serde(skip)]
    jwt_key: Vec<u8>,
    #[serde(skip)]
    pub(crate) outbox: Vec<Outgoing>,
}

impl Payzero {
    pub(crate) fn new(rng: &mut impl Rng) -> Self {
        Payzero {
            orders: BTreeMap::new(),
            arrival: Vec::new(),
            batches: BTreeMap::new(),
            applications: BTreeMap::new(),
            agreements: BTreeMap::new(),
            refunds: BTreeMap::new(),
            merchant: Merchant::default(),
            jobs: Vec::new(),
            tokens_issued: 0,
            jwt_key: (0..32).map(|_| rng.random()).collect(),
            outbox: Vec::new(),
        }
    }

    // -----------------------------------------------------------------------------------------
    // 1. Tokens

    /// A JWT for `username`, valid for four hours of sandbox time.
    pub(crate) fn issue_token(&mut self, username: &str, now_s: u64) -> String {
        self.tokens_issued += 1;
        let claims = Claims {
            sub: username.to_owned(),
            roles: vec!["ROLE_USER".into()],
            iat: now_s,
            exp: now_s + TOKEN_TTL_S,
        };
        jwt::issue(&claims, &self.jwt_key)
    }

    pub(crate) fn check_token(&self, token: &str, now_s: u64) -> Result<Claims, jwt::Refused> {
        jwt::verify(token, &self.jwt_key, now_s)
    }

    /// Keeps the signing key of `other`, so tokens it issued stay valid across a reset.
    pub(crate) fn adopt_jwt_key(&mut self, other: &Payzero) {
        self.jwt_key = other.jwt_key.clone();
    }

    /// The token signing key, for the state file (tokens stay valid across a restart).
    pub(crate) fn jwt_key(&self) -> &[u8] {
        &self.jwt_key
    }

    /// Takes the signing key read back from the state file.
    pub(crate) fn restore_jwt_key(&mut self, key: Vec<u8>) {
        if !key.is_empty() {
            self.jwt_key = key;
        }
    }

    /// Keeps the newest `max` orders (by arrival) and the refunds, batches and jobs that still
    /// name one, so a long-running sandbox stays bounded.
    pub(crate) fn bound(&mut self, max: usize) {
        if self.arrival.len() <= max {
            return;
        }
        let gone: Vec<String> = self.arrival.drain(..self.arrival.len() - max).collect();
        for no in &gone {
            self.orders.remove(no);
        }
        let orders = &self.orders;
        self.refunds.retain(|_, r| orders.contains_key(&r.response.mcht_order_no));
        self.batches.retain(|_, b| b.order_nos.iter().any(|n| orders.contains_key(n)));
        self.jobs.retain(|(_, j)| match j {
            Job::Settle { mcht_order_no } | Job::Declare { mcht_order_no } => {
                orders.contains_key(mcht_order_no)
            }
            Job::Refund { mcht_refund_order_no } => self.refunds.contains_key(mcht_refund_order_no),
        });
        if self.applications.len() > max {
            let excess = self.applications.len() - max;
            let oldest: Vec<String> = {
                let mut v: Vec<(u64, String)> =
                    self.applications.iter().map(|(k, a)| (a.applied_ms, k.clone())).collect();
                v.sort();
                v.into_iter().take(excess).map(|(_, k)| k).collect()
            };
            for k in oldest {
                self.applications.remove(&k);
            }
        }
    }

    /// Makes every token issued so far unknown (as after a Payzero restart or key rotation).
    pub(crate) fn revoke_tokens(&mut self, rng: &mut impl Rng) {
        self.jwt_key = (0..32).map(|_| rng.random()).collect();
    }

    // -----------------------------------------------------------------------------------------
    // Shared order handling

    fn insert(&mut self, order: PzOrder) {
        let no = order.order.mcht_order_no.clone();
        self.arrival.push(no.clone());
        self.orders.insert(no, order);
    }

    /// Whether `order` is declared once paid, for this merchant.
    fn declares(&self, order: &Order) -> bool {
        order.declares(self.merchant.declares_by_default)
    }

    /// The spec's order rules (30001 naming the field), for this merchant.
    fn validate(&self, order: &Order) -> Result<(), PzError> {
        match order.fault(self.declares(order)) {
            Some(field) => Err(PzError::param(&field)),
            None => Ok(()),
        }
    }

    /// A new order: valid, and a `mchtOrderNo` not seen before ("请确保商户订单不重复").
    fn check_new(&self, order: &Order) -> Result<bool, PzError> {
        self.validate(order)?;
        if self.orders.contains_key(&order.mcht_order_no) {
            return Err(PzError::duplicate("商户订单号", &order.mcht_order_no));
        }
        Ok(self.declares(order))
    }

    fn order_mut(&mut self, no: &str) -> Result<&mut PzOrder, PzError> {
        if no.is_empty() {
            return Err(PzError::param("mchtOrderNo"));
        }
        self.orders.get_mut(no).ok_or_else(|| PzError::not_found("订单", no))
    }

    pub(crate) fn order(&self, no: &str) -> Result<&PzOrder, PzError> {
        if no.is_empty() {
            return Err(PzError::param("mchtOrderNo"));
        }
        self.orders.get(no).ok_or_else(|| PzError::not_found("订单", no))
    }

    fn notify(&mut self, no: &str, msg_type: MsgType) {
        if let Some(o) = self.orders.get(no) {
            self.outbox.push(Outgoing {
                msg_type,
                result: o.result(),
                notify_url: o.order.notify_url.clone(),
            });
        }
    }

    /// The payment succeeded: PAY_SUCCEED, a payment order number and time, the notification,
    /// and the customs declaration if the order needs one.
    fn succeed(&mut self, no: &str, psp: Psp, at_ms: u64, rng: &mut impl Rng) {
        let Some(o) = self.orders.get_mut(no) else {
            return;
        };
        o.pay_status = PayStatus::PaySucceed;
        o.psp = Some(psp);
        o.payment_order_no = Some(ids::digits(rng, 18));
        o.payment_datetime = Some(timefmt::compact(at_ms));
        if let Some(q) = o.quickpay.as_mut() {
            q.sms = SmsState::Used;
        }
        let declare = o.declare_status == DeclareStatus::PendingDeclare;
        if declare {
            o.declare_status = DeclareStatus::Declaring;
        }
        self.notify(no, MsgType::PayStatusNotify);
        if declare {
            self.schedule(at_ms + DECLARE_DELAY_MS, Job::Declare { mcht_order_no: no.to_owned() });
        }
    }

    fn fail(&mut self, no: &str) {
        if let Some(o) = self.orders.get_mut(no) {
            o.pay_status = PayStatus::PayFailed;
            self.notify(no, MsgType::PayStatusNotify);
        }
    }

    fn schedule(&mut self, due_ms: u64, job: Job) {
        self.jobs.push((due_ms, job));
    }

    fn merchant_can_pay(&self, amount: Fen) -> Result<(), PzError> {
        if !self.merchant.advance_mode_ok {
            return Err(PzError::spec(SpecError::NoSupportedCard));
        }
        if !self.merchant.card_signed {
            return Err(PzError::spec(SpecError::NoSignedCard));
        }
        if amount > self.merchant.card_balance {
            return Err(PzError::spec(SpecError::InsufficientCardBalance));
        }
        Ok(())
    }

    /// Arranges automatic payment of an order: PAY_APPLIED now, settled later.
    fn arrange(&mut self, no: &str, now_ms: u64) {
        if let Some(o) = self.orders.get_mut(no) {
            o.pay_status = PayStatus::PayApplied;
            self.schedule(now_ms + SETTLE_DELAY_MS, Job::Settle { mcht_order_no: no.to_owned() });
        }
    }

    /// Runs the jobs that are due, each at its own due time, so a long clock jump plays out in
    /// order (payment, then its declaration a minute later). Returns how many ran.
    pub(crate) fn tick(&mut self, now_ms: u64, rng: &mut impl Rng) -> usize {
        let mut ran = 0;
        // Each job can schedule at most one more (settle → declare), so this is bounded.
        for _ in 0..10_000 {
            let Some(i) = self
                .jobs
                .iter()
                .enumerate()
                .filter(|(_, (due, _))| *due <= now_ms)
                .min_by_key(|(_, (due, _))| *due)
                .map(|(i, _)| i)
            else {
                break;
            };
            let (due, job) = self.jobs.remove(i);
            self.run(job, due, rng);
            ran += 1;
        }
        ran
    }

    fn run(&mut self, job: Job, at_ms: u64, rng: &mut impl Rng) {
        match job {
            Job::Settle { mcht_order_no } => {
                let due = self.orders.get(&mcht_order_no).is_some_and(|o| {
                    (o.channel.automatic() && o.pay_status == PayStatus::PayApplied)
                        || (o.channel == Channel::Quickpay && o.pay_status == PayStatus::PaySmsConfirmed)
                });
                if due {
                    self.succeed(&mcht_order_no, Psp::Allinpay, at_ms, rng);
                }
            }
            Job::Declare { mcht_order_no } => {
                let outcome = self
                    .orders
                    .get_mut(&mcht_order_no)
                    .filter(|o| o.declare_status == DeclareStatus::Declaring)
                    .map(|o| o.declare_outcome.take().unwrap_or((DeclareStatus::Declared, None)));
                if let Some((status, reason)) = outcome {
                    self.finish_declaration(&mcht_order_no, status, reason);
                }
            }
            Job::Refund { mcht_refund_order_no } => {
                let _ = self.finish_refund(&mcht_refund_order_no, true);
            }
        }
    }

    fn finish_declaration(&mut self, no: &str, status: DeclareStatus, reason: Option<String>) {
        if let Some(o) = self.orders.get_mut(no) {
            o.declare_fail_reason = if status == DeclareStatus::DeclareFailed {
                Some(reason.unwrap_or_else(|| "支付人姓名和证件号不匹配".into()))
            } else {
                None
            };
            o.declare_status = status;
            self.notify(no, MsgType::DeclareStatusNotify);
        }
    }

    // -----------------------------------------------------------------------------------------
    // 2. Automatic payment

    /// 2.1 `POST /orderBatch`.
    pub(crate) fn upload_batch(
        &mut self,
        orders: Vec<Order>,
        now_ms: u64,
    ) -> Result<OrderBatchResponse, PzError> {
        if orders.is_empty() {
            return Err(PzError::param("orders"));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, o) in orders.iter().enumerate() {
            self.validate(o)
                .map_err(|e| PzError { msg: format!("第{}笔订单: {}", i + 1, e.msg), ..e })?;
            if self.orders.contains_key(&o.mcht_order_no) || !seen.insert(o.mcht_order_no.as_str()) {
                return Err(PzError::duplicate("商户订单号", &o.mcht_order_no));
            }
        }
        let id = self.batches.keys().next_back().map_or(1, |k| k + 1);
        let total = sum_fen(orders.iter().map(|o| o.payment_amount));
        let order_nos: Vec<String> = orders.iter().map(|o| o.mcht_order_no.clone()).collect();
        for o in orders {
            let declares = self.declares(&o);
            let mut rec = PzOrder::new(o, Channel::Batch, now_ms, declares);
            rec.batch_id = Some(id);
            self.insert(rec);
        }
        let batch = Batch {
            id,
            disp_batch_num: timefmt::compact_millis(now_ms),
            order_nos,
            total,
            created_ms: now_ms,
            updated_ms: now_ms,
        };
        let response = OrderBatchResponse {
            order_batch_id: id,
            merchant_id: 1,
            disp_batch_num: batch.disp_batch_num.clone(),
            is_reconed: false,
            fee_amount: None,
            order_total_amount: total,
            object_id: None,
            feedback_object_id: None,
            created_time: now_ms,
            updated_time: now_ms,
        };
        self.batches.insert(id, batch);
        Ok(response)
    }

    fn batch(&self, id: &str) -> Result<&Batch, PzError> {
        id.parse::<u64>()
            .ok()
            .and_then(|n| self.batches.get(&n))
            .ok_or_else(|| PzError::not_found("订单批次", id))
    }

    fn batch_orders(&self, id: &str) -> Result<Vec<&PzOrder>, PzError> {
        let batch = self.batch(id)?;
        Ok(batch.order_nos.iter().filter_map(|n| self.orders.get(n)).collect())
    }

    /// 2.2 `GET /orderBatch/{id}/pay`: pays the orders not yet paid (or failed).
    pub(crate) fn pay_batch(&mut self, id: &str, now_ms: u64) -> Result<String, PzError> {
        let orders = self.batch_orders(id)?;
        let to_pay: Vec<(String, Fen)> = orders
            .iter()
            .filter(|o| matches!(o.pay_status, PayStatus::NotPayed | PayStatus::PayFailed))
            .map(|o| (o.order.mcht_order_no.clone(), o.order.payment_amount))
            .collect();
        if !self.merchant.advance_mode_ok {
            return Err(PzError::spec(SpecError::NoSupportedCard));
        }
        if !self.merchant.card_signed {
            return Err(PzError::spec(SpecError::NoSignedCard));
        }
        if to_pay.is_empty() {
            return Err(PzError::spec(SpecError::NothingToPay));
        }
        self.merchant_can_pay(sum_fen(to_pay.iter().map(|(_, a)| *a)))?;
        for (no, _) in &to_pay {
            self.arrange(no, now_ms);
        }
        if let Some(b) = id.parse::<u64>().ok().and_then(|n| self.batches.get_mut(&n)) {
            b.updated_ms = now_ms;
        }
        Ok("分配任务完成".into())
    }

    /// 2.3 `GET /orderBatch/{id}/summary`.
    pub(crate) fn batch_summary(&self, id: &str) -> Result<BatchSummary, PzError> {
        let orders = self.batch_orders(id)?;
        let count = |f: &dyn Fn(&PzOrder) -> bool| orders.iter().filter(|o| f(o)).count() as u64;
        let total = orders.len() as u64;
        let pay_success = count(&|o| o.pay_status == PayStatus::PaySucceed);
        let pay_failed = count(&|o| o.pay_status == PayStatus::PayFailed);
        let declare_success = count(&|o| o.declare_status == DeclareStatus::Declared);
        let declare_failed = count(&|o| o.declare_status == DeclareStatus::DeclareFailed);
        Ok(BatchSummary {
            total,
            pay_success_count: pay_success,
            pay_failed_count: pay_failed,
            pay_other_count: total - pay_success - pay_failed,
            declare_success_count: declare_success,
            declare_failed_count: declare_failed,
            declare_other_count: total - declare_success - declare_failed,
            total_payment_amount: sum_fen(
                orders
                    .iter()
                    .filter(|o| o.pay_status == PayStatus::PaySucceed)
                    .map(|o| o.order.payment_amount),
            ),
        })
    }

    /// 2.5 `GET /orderBatch/{id}/feedback`: newest first, at most 100 a page.
    pub(crate) fn batch_feedback(
        &self,
        id: &str,
        page: Option<u32>,
        pagesize: Option<u32>,
    ) -> Result<FeedbackPage, PzError> {
        let orders = self.batch_orders(id)?;
        let page = page.unwrap_or(1);
        let pagesize = pagesize.unwrap_or(10);
        if page == 0 {
            return Err(PzError::param("page"));
        }
        if pagesize == 0 || pagesize > 100 {
            return Err(PzError::new("30001", "参数 pagesize 未正确设置。每页数据条数最大不能超过100条"));
        }
        let skip = usize::try_from((page - 1).saturating_mul(pagesize)).unwrap_or(usize::MAX);
        let rows = orders
            .iter()
            .rev()
            .skip(skip)
            .take(usize::try_from(pagesize).unwrap_or(100))
            .map(|o| o.result())
            .collect();
        Ok(FeedbackPage { rows, page, pagesize, total: orders.len() as u64 })
    }

    /// 2.6 `POST /order/createAndPay`.
    pub(crate) fn create_and_pay(
        &mut self,
        order: Order,
        now_ms: u64,
    ) -> Result<CreateAndPayResponse, PzError> {
        let declares = self.check_new(&order)?;
        self.merchant_can_pay(order.payment_amount)?;
        let no = order.mcht_order_no.clone();
        self.insert(PzOrder::new(order, Channel::CreateAndPay, now_ms, declares));
        self.arrange(&no, now_ms);
        Ok(CreateAndPayResponse { mcht_order_no: no })
    }

    /// 2.7 `GET /order/arrangePay`.
    pub(crate) fn arrange_pay(&mut self, no: &str, now_ms: u64) -> Result<String, PzError> {
        let o = self.order(no)?;
        if !o.channel.automatic() {
            return Err(PzError::state("该订单不是自动支付订单，无法安排支付"));
        }
        match o.pay_status {
            PayStatus::PaySucceed => return Err(PzError::state("订单已支付成功")),
            PayStatus::PayApplied => return Ok("订单进入支付队列成功".into()),
            _ => {}
        }
        self.merchant_can_pay(o.order.payment_amount)?;
        self.arrange(no, now_ms);
        Ok("订单进入支付队列成功".into())
    }

    // -----------------------------------------------------------------------------------------
    // 4. QR orders

    fn issue_qr(
        &mut self,
        no: &str,
        qr_type: QrCodeType,
        now_ms: u64,
        rng: &mut impl Rng,
    ) -> Option<QrCodeResponse> {
        let (psp, code_url) = qr_code_for(&qr_type, rng);
        let o = self.orders.get_mut(no)?;
        o.qr = Some(QrState {
            qr_code_type: qr_type.clone(),
            psp: psp.clone(),
            code_url: code_url.clone(),
            issued_ms: now_ms,
            expires_ms: now_ms + QR_TTL_MS,
        });
        o.psp = Some(psp.clone());
        Some(QrCodeResponse { mcht_order_no: no.to_owned(), psp, code_url, qr_code_type: qr_type })
    }

    /// 4.1 `POST /order/createAndQrCode`.
    pub(crate) fn create_qr(
        &mut self,
        order: Order,
        now_ms: u64,
        rng: &mut impl Rng,
    ) -> Result<QrCodeResponse, PzError> {
        let qr_type = known_qr_type(order.qr_code_type.as_ref())?;
        let declares = self.check_new(&order)?;
        let no = order.mcht_order_no.clone();
        self.insert(PzOrder::new(order, Channel::Qr, now_ms, declares));
        self.issue_qr(&no, qr_type, now_ms, rng).ok_or_else(|| PzError::not_found("订单", &no))
    }

    /// 4.2 `GET /order/qrCode`: a new code (any channel) for an order not yet paid.
    pub(crate) fn refresh_qr(
        &mut self,
        no: &str,
        qr_type: Option<QrCodeType>,
        now_ms: u64,
        rng: &mut impl Rng,
    ) -> Result<QrCodeResponse, PzError> {
        let o = self.order_mut(no)?;
        match o.pay_status {
            PayStatus::PaySucceed => return Err(PzError::state("订单已支付成功，无法生成二维码")),
            PayStatus::PayApplied | PayStatus::PaySmsConfirmed => {
                return Err(PzError::state("订单支付处理中，无法生成二维码"));
            }
            // A failed payment may be retried by QR (spec 4.2).
            _ => o.pay_status = PayStatus::NotPayed,
        }
        if o.channel == Channel::Batch {
            // Paying a batch order by QR takes it out of automatic payment.
            o.channel = Channel::Qr;
        }
        if o.channel != Channel::Qr {
            return Err(PzError::state("该订单不支持二维码支付"));
        }
        let qr_type = known_qr_type(qr_type.as_ref())?;
        self.issue_qr(no, qr_type, now_ms, rng).ok_or_else(|| PzError::not_found("订单", no))
    }

    // -----------------------------------------------------------------------------------------
    // 5. Quick pay

    /// 5.1 `POST /sdbc/agreeApply`. In the test environment only bank 999 signs.
    pub(crate) fn agree_apply(
        &mut self,
        req: AgreeApplyRequest,
        now_ms: u64,
    ) -> Result<AgreementResponse, PzError> {
        validate_application(&req)?;
        if let Some(existing) = self.applications.get(&req.request_id)
            && existing.agreeid.is_some()
        {
            return Err(PzError::duplicate("请求流水号", &req.request_id));
        }
        let response = agreement_response(&req, None, "请输入短信验证码");
        self.applications
            .insert(req.request_id.clone(), Application { request: req, applied_ms: now_ms, agreeid: None });
        Ok(response)
    }

    /// 5.2 `POST /sdbc/agreeConfirm`: any 6-character code signs (the test-environment rule).
    pub(crate) fn agree_confirm(
        &mut self,
        req: AgreeConfirmRequest,
        now_ms: u64,
        rng: &mut impl Rng,
    ) -> Result<AgreementResponse, PzError> {
        if req.request_id.is_empty() {
            return Err(PzError::param("requestId"));
        }
        if req.sms_code.is_empty() {
            return Err(PzError::param("smsCode"));
        }
        let app = self
            .applications
            .get_mut(&req.request_id)
            .ok_or_else(|| PzError::not_found("请求流水号", &req.request_id))?;
        if let Some(agreeid) = &app.agreeid {
            // Confirming again answers the agreement already signed.
            return self
                .agreements
                .get(agreeid)
                .cloned()
                .ok_or_else(|| PzError::not_found("协议号", agreeid));
        }
        if req.sms_code.chars().count() != 6 {
            return Err(PzError::new("50081", "短信验证码错误"));
        }
        let agreeid = format!("{}{}", timefmt::compact(now_ms), ids::digits(rng, 4));
        app.agreeid = Some(agreeid.clone());
        let response = agreement_response(&app.request, Some(agreeid.clone()), "协议支付-账户认证成功");
        self.agreements.insert(agreeid, response.clone());
        Ok(response)
    }

    /// 5.3 `POST /order/createAndQuickpay`: usually the payment SMS is sent (PAY_APPLIED); for
    /// the test cards of `QuickpayPath` no SMS is needed (PAY_SUCCEED, or PAY_SMS_CONFIRMED).
    pub(crate) fn create_quickpay(
        &mut self,
        order: Order,
        now_ms: u64,
        rng: &mut impl Rng,
    ) -> Result<QuickpayResponse, PzError> {
        let agreeid =
            order.agreeid.clone().filter(|a| !a.is_empty()).ok_or_else(|| PzError::param("agreeid"))?;
        let declares = self.check_new(&order)?;
        let path = self.quickpay_path(&agreeid)?;
        let no = order.mcht_order_no.clone();
        let mut rec = PzOrder::new(order, Channel::Quickpay, now_ms, declares);
        rec.psp = Some(Psp::Allinpay);
        self.insert(rec);
        Ok(self.start_quickpay(&no, &agreeid, path, now_ms, rng))
    }

    /// How a payment with this agreement goes; 30003 for an unknown agreement.
    fn quickpay_path(&self, agreeid: &str) -> Result<QuickpayPath, PzError> {
        self.agreements
            .get(agreeid)
            .map(|a| QuickpayPath::for_card(a.acctno.expose()))
            .ok_or_else(|| PzError::not_found("协议号", agreeid))
    }

    /// Starts (or restarts) paying a quick-pay order with an agreement, and answers the state it
    /// is in: waiting for its SMS code, paid, or confirmed and settling later.
    fn start_quickpay(
        &mut self,
        no: &str,
        agreeid: &str,
        path: QuickpayPath,
        now_ms: u64,
        rng: &mut impl Rng,
    ) -> QuickpayResponse {
        // No SMS was sent on the no-SMS paths: confirmQuickpay then has no code to check (50062).
        let sms = if path == QuickpayPath::Sms { SmsState::Awaiting } else { SmsState::Used };
        if let Some(o) = self.orders.get_mut(no) {
            o.pay_status = PayStatus::PayApplied;
            o.quickpay = Some(QuickpayState { agreeid: agreeid.to_owned(), sms, sms_sent_ms: now_ms });
        }
        match path {
            QuickpayPath::Sms => {
                quickpay_response(no, agreeid, PayStatus::PayApplied, Some("请输入短信验证码"))
            }
            QuickpayPath::PaidAtOnce => {
                self.succeed(no, Psp::Allinpay, now_ms, rng);
                quickpay_response(no, agreeid, PayStatus::PaySucceed, None)
            }
            QuickpayPath::ConfirmedThenSettled => {
                if let Some(o) = self.orders.get_mut(no) {
                    o.pay_status = PayStatus::PaySmsConfirmed;
                }
                self.schedule(now_ms + SETTLE_DELAY_MS, Job::Settle { mcht_order_no: no.to_owned() });
                quickpay_response(no, agreeid, PayStatus::PaySmsConfirmed, Some("支付处理中"))
            }
        }
    }

    /// 5.4 `POST /order/confirmQuickpay`. A wrong or late code burns the SMS: every later confirm
    /// fails with "请求异常" until `redoQuickpay` sends a new one (spec 5.4).
    pub(crate) fn confirm_quickpay(
        &mut self,
        req: ConfirmQuickpayRequest,
        now_ms: u64,
        rng: &mut impl Rng,
    ) -> Result<QuickpayResponse, PzError> {
        if req.agreeid.is_empty() {
            return Err(PzError::param("agreeid"));
        }
        if req.sms_code.is_empty() {
            return Err(PzError::param("smsCode"));
        }
        let o = self.order_mut(&req.mcht_order_no)?;
        if o.pay_status == PayStatus::PaySucceed {
            return Err(PzError::state("订单已支付成功"));
        }
        let Some(q) = o.quickpay.as_mut() else {
            return Err(PzError::state("该订单不是快捷支付订单"));
        };
        if q.agreeid != req.agreeid || q.sms != SmsState::Awaiting {
            return Err(PzError::new("50062", "请求异常"));
        }
        if now_ms > q.sms_sent_ms + PAY_SMS_TTL_MS {
            q.sms = SmsState::Burned;
            return Err(PzError::new("50063", "短信验证码已过期，请重新获取"));
        }
        if req.sms_code.chars().count() != 6 || req.sms_code == WRONG_SMS_CODE {
            q.sms = SmsState::Burned;
            return Err(PzError::new("50061", "短信验证码错误"));
        }
        let agreeid = q.agreeid.clone();
        self.succeed(&req.mcht_order_no, Psp::Allinpay, now_ms, rng);
        Ok(quickpay_response(&req.mcht_order_no, &agreeid, PayStatus::PaySucceed, None))
    }

    /// 5.5 `POST /order/redoQuickpay`: a new SMS, possibly with another agreement (whose test
    /// card may need no SMS, as in createAndQuickpay).
    pub(crate) fn redo_quickpay(
        &mut self,
        req: RedoQuickpayRequest,
        now_ms: u64,
        rng: &mut impl Rng,
    ) -> Result<QuickpayResponse, PzError> {
        if req.agreeid.is_empty() {
            return Err(PzError::param("agreeid"));
        }
        let o = self.order(&req.mcht_order_no)?;
        if o.channel != Channel::Quickpay {
            return Err(PzError::state("该订单不是快捷支付订单"));
        }
        match o.pay_status {
            PayStatus::PaySucceed => return Err(PzError::state("订单已支付成功")),
            PayStatus::PaySmsConfirmed => return Err(PzError::state("订单支付处理中")),
            _ => {}
        }
        let path = self.quickpay_path(&req.agreeid)?;
        Ok(self.start_quickpay(&req.mcht_order_no, &req.agreeid, path, now_ms, rng))
    }

    // -----------------------------------------------------------------------------------------
    // 6. Mock pay

    /// 6.1 `POST /order/createAndMockpay`: paid at once by LYCHEEPAY.
    pub(crate) fn create_mockpay(
        &mut self,
        order: Order,
        now_ms: u64,
        rng: &mut impl Rng,
    ) -> Result<MockpayResponse, PzError> {
        let declares = self.check_new(&order)?;
        let no = order.mcht_order_no.clone();
        self.insert(PzOrder::new(order, Channel::Mockpay, now_ms, declares));
        self.succeed(&no, Psp::Lycheepay, now_ms, rng);
        Ok(mockpay_response(&no))
    }

    /// 6.2 `POST /order/redoMockpay`.
    pub(crate) fn redo_mockpay(
        &mut self,
        no: &str,
        now_ms: u64,
        rng: &mut impl Rng,
    ) -> Result<MockpayResponse, PzError> {
        let o = self.order(no)?;
        if o.channel != Channel::Mockpay {
            return Err(PzError::state("该订单不是虚拟支付订单"));
        }
        if o.pay_status != PayStatus::PaySucceed {
            self.succeed(no, Psp::Lycheepay, now_ms, rng);
        }
        Ok(mockpay_response(no))
    }

    // -----------------------------------------------------------------------------------------
    // 7. Real-name check

    /// 7.1 `GET /realPerson/val`: the test rules by the first digit of `idno` (1 pass, 2 not in
    /// the database, 3 name invalid, 4 ID invalid, anything else not passed).
    pub(crate) fn real_person(
        &self,
        idno: &str,
        name: &str,
        rng: &mut impl Rng,
    ) -> Result<RealPersonResponse, PzError> {
        if idno.is_empty() {
            return Err(PzError::param("idno"));
        }
        if name.is_empty() {
            return Err(PzError::param("name"));
        }
        let result = match idno.chars().next() {
            Some('1') => RealPersonResult::Pass,
            Some('2') => RealPersonResult::CannotFindId,
            Some('3') => RealPersonResult::NameInvalid,
            Some('4') => RealPersonResult::IdnoInvalid,
            _ => RealPersonResult::NotPass,
        };
        let pass = result == RealPersonResult::Pass;
        let chars: Vec<char> = idno.chars().collect();
        let (birth, sex) = if pass && chars.len() == 18 {
            let birth: String = chars[6..14].iter().collect();
            let sex = chars[16].to_digit(10).map(|d| if d % 2 == 1 { "男" } else { "女" });
            (Some(birth), sex.map(str::to_owned))
        } else {
            (None, None)
        };
        Ok(RealPersonResponse {
            real_person_validation_order_id: ids::uuid(rng),
            name: name.to_owned(),
            idno: idno.into(),
            birth,
            addr: pass.then(|| "沙箱测试地址".to_owned()),
            sex,
            result,
        })
    }

    // -----------------------------------------------------------------------------------------
    // 8. Customs declaration

    /// 8.1 `POST /order/declare`: (re)declares a paid order; fields left out keep their values.
    pub(crate) fn declare(&mut self, req: DeclareRequest, now_ms: u64) -> Result<String, PzError> {
        let o = self.order_mut(&req.mcht_order_no)?;
        if o.pay_status != PayStatus::PaySucceed {
            return Err(PzError::state("订单未支付成功，无法申报"));
        }
        match o.declare_status {
            DeclareStatus::Declaring => return Err(PzError::state("订单正在申报中")),
            DeclareStatus::Declared => return Err(PzError::state("订单已申报成功")),
            _ => {}
        }
        let mut order = o.order.clone();
        if let Some(v) = req.payer_name {
            order.payer_name = Some(v);
        }
        if let Some(v) = req.payer_number {
            order.payer_number = Some(v);
        }
        if let Some(v) = req.payer_phone {
            order.payer_phone = Some(v);
        }
        if let Some(v) = req.customs_code {
            order.customs_code = Some(v);
        }
        if let Some(v) = req.customs_area_code {
            order.customs_area_code = Some(v);
        }
        if let Some(v) = req.customs_jy_org {
            order.customs_jy_org = Some(v);
        }
        if let Some(v) = req.customs_in_type {
            order.customs_in_type = Some(v);
        }
        order.need_declare = Some(true);
        if let Some(field) = order.fault(true) {
            return Err(PzError::param(&field));
        }
        o.order = order;
        o.declare_status = DeclareStatus::Declaring;
        o.declare_fail_reason = None;
        let no = req.mcht_order_no.clone();
        self.schedule(now_ms + DECLARE_DELAY_MS, Job::Declare { mcht_order_no: no });
        Ok("申报信息已提交".into())
    }

    // -----------------------------------------------------------------------------------------
    // 9. Refunds

    /// 9.1 `POST /order/refund`: REFUND_REQUESTED now, REFUND_SUCCEED a minute later.
    pub(crate) fn refund(&mut self, req: RefundRequest, now_ms: u64) -> Result<RefundResponse, PzError> {
        if req.mcht_refund_order_no.is_empty() {
            return Err(PzError::param("mchtRefundOrderNo"));
        }
        if req.refund_amount == Fen::ZERO {
            return Err(PzError::param("refundAmount"));
        }
        if self.refunds.contains_key(&req.mcht_refund_order_no) {
            return Err(PzError::duplicate("退款请求编号", &req.mcht_refund_order_no));
        }
        let o = self.order_mut(&req.mcht_order_no)?;
        if !o.channel.refundable() {
            return Err(PzError::new("50071", "自动支付或无支付推单的订单无法退款"));
        }
        if o.pay_status != PayStatus::PaySucceed {
            return Err(PzError::state("订单未支付成功，无法退款"));
        }
        let after = o.refunded.checked_add(req.refund_amount).filter(|t| *t <= o.order.payment_amount);
        let Some(after) = after else {
            return Err(PzError::new("50070", "退款额度超过订单可退金额"));
        };
        let Some(cash_left) = self.merchant.cash_balance.checked_sub(req.refund_amount) else {
            return Err(PzError::new("50072", "现金账户余额不足"));
        };
        let o = self.order_mut(&req.mcht_order_no)?;
        o.refunded = after;
        self.merchant.cash_balance = cash_left;
        let response = RefundResponse {
            mcht_order_no: req.mcht_order_no,
            mcht_refund_order_no: req.mcht_refund_order_no.clone(),
            refund_amount: req.refund_amount,
            refund_status: RefundStatus::RefundRequested,
        };
        self.refunds.insert(
            req.mcht_refund_order_no.clone(),
            Refund { response: response.clone(), created_ms: now_ms },
        );
        self.schedule(
            now_ms + REFUND_DELAY_MS,
            Job::Refund { mcht_refund_order_no: req.mcht_refund_order_no },
        );
        Ok(response)
    }

    /// 9.2 `GET /order/refund`.
    pub(crate) fn refund_status(&self, no: &str) -> Result<RefundResponse, PzError> {
        if no.is_empty() {
            return Err(PzError::param("mchtRefundOrderNo"));
        }
        self.refunds.get(no).map(|r| r.response.clone()).ok_or_else(|| PzError::not_found("退款请求编号", no))
    }

    // -----------------------------------------------------------------------------------------
    // Test controls

    /// The shopper pays: a QR order is scanned and paid (refused once its code expired), an
    /// automatic or quick-pay order is settled at once.
    pub(crate) fn shopper_pay(
        &mut self,
        no: &str,
        now_ms: u64,
        rng: &mut impl Rng,
    ) -> Result<OrderResult, AdminError> {
        let o = self.orders.get(no).ok_or_else(|| AdminError::NotFound(no.to_owned()))?;
        if matches!(o.pay_status, PayStatus::PaySucceed | PayStatus::PayFailed) {
            return Err(AdminError::Conflict(format!("order {no} is already final ({})", o.pay_status)));
        }
        if o.channel == Channel::Qr {
            if o.qr.is_none() {
                return Err(AdminError::Conflict(format!("order {no} has no QR code")));
            }
            if o.qr_expired(now_ms) {
                return Err(AdminError::Conflict(format!("the QR code of order {no} has expired")));
            }
        }
        let psp = o.psp.clone().unwrap_or(Psp::Allinpay);
        self.succeed(no, psp, now_ms, rng);
        self.orders.get(no).map(PzOrder::result).ok_or_else(|| AdminError::NotFound(no.to_owned()))
    }

    /// The payment fails (the shopper cancels, the card is declined): PAY_FAILED and notified.
    pub(crate) fn shopper_fail(&mut self, no: &str) -> Result<OrderResult, AdminError> {
        let o = self.orders.get(no).ok_or_else(|| AdminError::NotFound(no.to_owned()))?;
        if matches!(o.pay_status, PayStatus::PaySucceed | PayStatus::PayFailed) {
            return Err(AdminError::Conflict(format!("order {no} is already final ({})", o.pay_status)));
        }
        self.fail(no);
        self.orders.get(no).map(PzOrder::result).ok_or_else(|| AdminError::NotFound(no.to_owned()))
    }

    /// Puts an order in any pay status (A.1's `INIT_FEE_PENDING`, or one no table lists), as
    /// the gateway's back office might; `notify` sends PAY_STATUS_NOTIFY with it.
    pub(crate) fn set_pay_status(
        &mut self,
        no: &str,
        status: PayStatus,
        notify: bool,
    ) -> Result<OrderResult, AdminError> {
        let o = self.orders.get_mut(no).ok_or_else(|| AdminError::NotFound(no.to_owned()))?;
        o.pay_status = status;
        if notify {
            self.notify(no, MsgType::PayStatusNotify);
        }
        self.orders.get(no).map(PzOrder::result).ok_or_else(|| AdminError::NotFound(no.to_owned()))
    }

    /// Ends the declaration in progress now with the given outcome.
    pub(crate) fn admin_declare(
        &mut self,
        no: &str,
        status: DeclareStatus,
        reason: Option<String>,
    ) -> Result<OrderResult, AdminError> {
        let o = self.orders.get(no).ok_or_else(|| AdminError::NotFound(no.to_owned()))?;
        if o.declare_status != DeclareStatus::Declaring {
            return Err(AdminError::Conflict(format!(
                "order {no} is not being declared ({})",
                o.declare_status
            )));
        }
        if !matches!(status, DeclareStatus::Declared | DeclareStatus::DeclareFailed) {
            return Err(AdminError::Conflict("the outcome must be DECLARED or DECLARE_FAILED".into()));
        }
        self.jobs.retain(|(_, j)| !matches!(j, Job::Declare { mcht_order_no } if mcht_order_no == no));
        self.finish_declaration(no, status, reason);
        self.orders.get(no).map(PzOrder::result).ok_or_else(|| AdminError::NotFound(no.to_owned()))
    }

    /// Ends a requested refund now (`ok`: REFUND_SUCCEED, else REFUND_FAILED and the amount is
    /// refundable again).
    pub(crate) fn finish_refund(&mut self, refund_no: &str, ok: bool) -> Result<RefundResponse, AdminError> {
        let r = self.refunds.get_mut(refund_no).ok_or_else(|| AdminError::NotFound(refund_no.to_owned()))?;
        if r.response.refund_status != RefundStatus::RefundRequested {
            return Err(AdminError::Conflict(format!(
                "refund {refund_no} is already final ({})",
                r.response.refund_status
            )));
        }
        r.response.refund_status = if ok { RefundStatus::RefundSucceed } else { RefundStatus::RefundFailed };
        let response = r.response.clone();
        if !ok && let Some(o) = self.orders.get_mut(&response.mcht_order_no) {
            o.refunded = o.refunded.checked_sub(response.refund_amount).unwrap_or(Fen::ZERO);
            self.merchant.cash_balance =
                self.merchant.cash_balance.checked_add(response.refund_amount).unwrap_or(Fen(u64::MAX));
        }
        self.jobs.retain(
            |(_, j)| !matches!(j, Job::Refund { mcht_refund_order_no } if mcht_refund_order_no == refund_no),
        );
        Ok(response)
    }
}

fn quickpay_response(no: &str, agreeid: &str, status: PayStatus, message: Option<&str>) -> QuickpayResponse {
    QuickpayResponse {
        mcht_order_no: no.to_owned(),
        psp: Psp::Allinpay,
        agreeid: Some(agreeid.to_owned()),
        pay_status: status,
        message: message.map(str::to_owned),
    }
}

fn mockpay_response(no: &str) -> MockpayResponse {
    MockpayResponse {
        mcht_order_no: no.to_owned(),
        psp: Psp::Lycheepay,
        pay_status: PayStatus::PaySucceed,
        message: None,
    }
}

fn agreement_response(req: &AgreeApplyRequest, agreeid: Option<String>, message: &str) -> AgreementResponse {
    AgreementResponse {
        request_id: req.request_id.clone(),
        accttype: req.accttype.clone(),
        acctno: req.acctno.clone(),
        idno: req.idno.clone(),
        acctname: req.acctname.clone(),
        mobile: req.mobile.clone(),
        validdate: req.validdate.clone(),
        cvv2: req.cvv2.clone(),
        bankcode: req.bankcode.clone(),
        bankname: req.bankcode.name_zh().map(str::to_owned),
        agreeid,
        psp: Psp::Allinpay,
        message: Some(message.to_owned()),
    }
}

/// The psp and a code URL shaped like the real thing for a QR type.
fn qr_code_for(qr_type: &QrCodeType, rng: &mut impl Rng) -> (Psp, String) {
    match qr_type {
        QrCodeType::Alipay => {
            (Psp::Easypay, format!("https://qr.alipay.com/bax0{}", ids::lower_alnum(rng, 20)))
        }
        QrCodeType::Unionpay => {
            (Psp::Allinpay, format!("https://qr.95516.com/00010000/{}", ids::digits(rng, 20)))
        }
        _ => (Psp::Easypay, format!("weixin://wxpay/bizpayurl?pr={}", ids::alnum(rng, 7))),
    }
}

fn known_qr_type(t: Option<&QrCodeType>) -> Result<QrCodeType, PzError> {
    match t {
        Some(t @ (QrCodeType::Wechatpay | QrCodeType::Alipay | QrCodeType::Unionpay)) => Ok(t.clone()),
        _ => Err(PzError::param("qrCodeType")),
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The agreeApply checks (5.1), with the test environment's bank rule.
fn validate_application(req: &AgreeApplyRequest) -> Result<(), PzError> {
    if req.request_id.trim().is_empty() {
        return Err(PzError::param("requestId"));
    }
    if req.acctname.trim().is_empty() {
        return Err(PzError::param("acctname"));
    }
    let acctno = req.acctno.expose();
    if !all_digits(acctno) || !(12..=19).contains(&acctno.len()) {
        return Err(PzError::param("acctno"));
    }
    let idno = req.idno.expose();
    let id_ok = (idno.len() == 18
        && all_digits(&idno[..17])
        && idno[17..].chars().all(|c| c.is_ascii_digit() || c == 'X' || c == 'x'))
        || (idno.len() == 15 && all_digits(idno));
    if !id_ok {
        return Err(PzError::param("idno"));
    }
    let mobile = req.mobile.expose();
    if !(mobile.len() == 11 && all_digits(mobile) && mobile.starts_with('1')) {
        return Err(PzError::param("mobile"));
    }
    match req.accttype {
        AcctType::Debit => {}
        AcctType::Credit => {
            if !req.cvv2.as_ref().is_some_and(|c| c.expose().len() == 3 && all_digits(c.expose())) {
                return Err(PzError::param("cvv2"));
            }
            let valid = req.validdate.as_ref().map(|v| v.expose()).unwrap_or("");
            let month = valid.get(2..4).and_then(|m| m.parse::<u32>().ok()).unwrap_or(0);
            if !(valid.len() == 4 && all_digits(valid) && (1..=12).contains(&month)) {
                return Err(PzError::param("validdate"));
            }
        }
        AcctType::Unknown(_) => return Err(PzError::param("accttype")),
    }
    match req.bankcode {
        BankCode::NetsUnionTest => Ok(()),
        BankCode::Unknown(_) => Err(PzError::param("bankcode")),
        _ => Err(PzError::new("50080", "测试环境请使用银行代码999(网联测试专用银行)")),
    }
}

#[cfg(test)]
mod tests;
