//! Shouqianba upay v2 as its spec describes it: terminals (activated with the vendor key, keys
//! rotated by the daily check-in), B-scan-C pay whose barcode decides the outcome, precreate QR
//! orders that expire, query, cancel and partial refunds, each answered in the spec's three
//! layers. Plain data over `now_ms`; `routes` does the HTTP and the signature header.

pub(crate) mod routes;
pub(crate) mod wire;

use crate::money::Fen;
use crate::{ids, timefmt};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use wire::{
    ActivateRequest, Amount, BizErrorCode, BizResponse, BizResultCode, CheckinRequest, CommErrorCode,
    CommResult, OrderData, OrderRef, OrderStatus, PayRequest, Payway, PrecreateRequest, RefundRequest,
    SubPayway, TerminalKeys, TransactionStatus,
};

/// A precreate QR code can be paid for 600 seconds; then the order is cancelled.
pub(crate) const QR_TTL_MS: u64 = 600_000;

/// A failure of the call itself (layer one: `result_code` 400/500).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CommError {
    pub(crate) result: CommResult,
    pub(crate) code: CommErrorCode,
    pub(crate) msg: String,
}

impl CommError {
    pub(crate) fn client(code: CommErrorCode, msg: impl Into<String>) -> Self {
        CommError { result: CommResult::ClientError, code, msg: msg.into() }
    }

    pub(crate) fn params(msg: impl Into<String>) -> Self {
        Self::client(CommErrorCode::InvalidParams, msg)
    }

    fn illegal_sign() -> Self {
        Self::client(CommErrorCode::IllegalSign, "签名错误")
    }

    fn server(code: CommErrorCode, msg: &str) -> Self {
        CommError { result: CommResult::ServerError, code, msg: msg.to_owned() }
    }
}

pub(crate) type Biz = BizResponse<OrderData>;

fn biz(result: BizResultCode, data: OrderData) -> Biz {
    BizResponse { result_code: result, error_code: None, error_message: None, data: Some(data) }
}

fn biz_fail(result: BizResultCode, code: BizErrorCode, msg: &str, data: Option<OrderData>) -> Biz {
    BizResponse { result_code: result, error_code: Some(code), error_message: Some(msg.to_owned()), data }
}

/// An activated terminal and its current key.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Terminal {
    pub(crate) terminal_sn: String,
    pub(crate) device_id: String,
    #[serde(skip)]
    key: String,
    /// The China calendar day the key was issued: it signs trade calls on that day only.
    pub(crate) key_day: u64,
    pub(crate) checkins: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct SqbOrder {
    pub(crate) sn: String,
    pub(crate) client_sn: String,
    pub(crate) terminal_sn: String,
    pub(crate) total: Fen,
    pub(crate) net: Fen,
    pub(crate) payway: Payway,
    pub(crate) sub_payway: SubPayway,
    pub(crate) subject: String,
    pub(crate) operator: String,
    pub(crate) description: Option<String>,
    pub(crate) reflect: Option<String>,
    pub(crate) order_status: OrderStatus,
    /// The state of the last operation on the order.
    pub(crate) status: TransactionStatus,
    pub(crate) trade_no: Option<String>,
    pub(crate) payer_uid: Option<String>,
    pub(crate) ctime: u64,
    pub(crate) finish_time: Option<u64>,
    pub(crate) channel_finish_time: Option<u64>,
    pub(crate) qr_code: Option<String>,
    pub(crate) qr_expires_ms: Option<u64>,
    /// `refund_request_no` → amount, for idempotent refunds.
    pub(crate) refunds: BTreeMap<String, Fen>,
}

impl SqbOrder {
    fn data(&self) -> OrderData {
        let amount = |f: Fen| Some(Amount(f));
        OrderData {
            sn: self.sn.clone(),
            client_sn: self.client_sn.clone(),
            ctime: Some(self.ctime.to_string()),
            status: Some(self.status.clone()),
            order_status: Some(self.order_status.clone()),
            payway: Some(self.payway.clone()),
            sub_payway: Some(self.sub_payway.clone()),
            payer_uid: self.payer_uid.clone(),
            payer_login: None,
            trade_no: self.trade_no.clone(),
            total_amount: amount(self.total),
            net_amount: amount(self.net),
            finish_time: self.finish_time.map(|t| t.to_string()),
            channel_finish_time: self.channel_finish_time.map(|t| t.to_string()),
            terminal_sn: Some(self.terminal_sn.clone()),
            store_id: Some("sandbox-store".into()),
            subject: Some(self.subject.clone()),
            operator: Some(self.operator.clone()),
            reflect: self.reflect.clone(),
            qr_code: self.qr_code.clone(),
        }
    }

    fn in_progress() -> TransactionStatus {
        // Appendix 4 has no name for "not finished"; Shouqianba's own docs call it IN_PROG.
        TransactionStatus::Unknown("IN_PROG".into())
    }

    fn mark_paid(&mut self, now_ms: u64, rng: &mut impl Rng) {
        self.order_status = OrderStatus::Paid;
        self.status = TransactionStatus::Success;
        self.net = self.total;
        self.trade_no = Some(format!("42000{}", ids::digits(rng, 23)));
        self.payer_uid = Some(match self.payway {
            Payway::Alipay => format!("2088{}", ids::digits(rng, 12)),
            _ => format!("okSz{}", ids::alnum(rng, 24)),
        });
        self.finish_time = Some(now_ms);
        self.channel_finish_time = Some(now_ms);
        self.qr_expires_ms = None;
    }

    fn mark_pay_canceled(&mut self, now_ms: u64) {
        self.order_status = OrderStatus::PayCanceled;
        self.status = TransactionStatus::FailCanceled;
        self.finish_time = Some(now_ms);
        self.qr_expires_ms = None;
    }
}

/// What a barcode makes a B-scan-C payment do (the sandbox's rules, by its last four digits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum BarcodeOutcome {
    Success,
    InProgress,
    Fail(BizErrorCode, &'static str),
    FailError,
    SystemError,
}

/// The last four digits of `dynamic_id` pick the outcome; anything not listed pays.
pub(crate) fn barcode_outcome(dynamic_id: &str) -> BarcodeOutcome {
    let tail = dynamic_id.get(dynamic_id.len().saturating_sub(4)..).unwrap_or("");
    match tail {
        "1001" => BarcodeOutcome::InProgress,
        "2001" => BarcodeOutcome::Fail(BizErrorCode::ExpiredBarcode, "过期的支付条码"),
        "2002" => BarcodeOutcome::Fail(BizErrorCode::InsufficientFund, "账户金额不足"),
        "2003" => BarcodeOutcome::Fail(BizErrorCode::AuthcodeExpire, "二维码过期"),
        "2004" => BarcodeOutcome::Fail(BizErrorCode::BuyerOverDailyLimit, "付款人当日付款金额超过上限"),
        "2005" => BarcodeOutcome::Fail(BizErrorCode::BuyerOverTransactionLimit, "付款人单笔付款金额超过上限"),
        "2006" => BarcodeOutcome::Fail(BizErrorCode::SellerOverDailyLimit, "收款账户当日收款金额超过上限"),
        "2007" => BarcodeOutcome::Fail(BizErrorCode::TradeFailed, "交易失败"),
        "2008" => BarcodeOutcome::Fail(BizErrorCode::SellerBalanceNotEnough, "卖家余额不足"),
        "2009" => BarcodeOutcome::Fail(BizErrorCode::InvalidBarcode, "条码错误"),
        "3001" => BarcodeOutcome::FailError,
        "5001" => BarcodeOutcome::SystemError,
        _ => BarcodeOutcome::Success,
    }
}

/// The wallet a barcode belongs to: WeChat codes start 10–15, Alipay codes 25–30.
fn payway_of_barcode(dynamic_id: &str) -> Option<Payway> {
    match dynamic_id.get(..2).and_then(|p| p.parse::<u8>().ok())? {
        10..=15 => Some(Payway::Wechat),
        25..=30 => Some(Payway::Alipay),
        _ => None,
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Shouqianba {
    pub(crate) terminals: BTreeMap<String, Terminal>,
    pub(crate) orders: BTreeMap<String, SqbOrder>,
    /// `client_sn` → `sn`: a client_sn is unique in the merchant's system.
    pub(crate) by_client_sn: BTreeMap<String, String>,
}

impl Shouqianba {
    // -----------------------------------------------------------------------------------------
    // Terminals

    /// Every terminal's current key, for the state file (the admin view leaves keys out).
    pub(crate) fn terminal_keys(&self) -> BTreeMap<String, String> {
        self.terminals.iter().map(|(sn, t)| (sn.clone(), t.key.clone())).collect()
    }

    /// Gives the terminals read back from the state file their keys again.
    pub(crate) fn restore_terminal_keys(&mut self, keys: &BTreeMap<String, String>) {
        for (sn, t) in &mut self.terminals {
            if let Some(key) = keys.get(sn) {
                t.key.clone_from(key);
            }
        }
    }

    /// Keeps the newest `max` orders (by creation), so a long-running sandbox stays bounded.
    pub(crate) fn bound(&mut self, max: usize) {
        if self.orders.len() <= max {
            return;
        }
        let mut by_age: Vec<(u64, String)> = self.orders.values().map(|o| (o.ctime, o.sn.clone())).collect();
        by_age.sort();
        for (_, sn) in by_age.into_iter().take(self.orders.len() - max) {
            if let Some(o) = self.orders.remove(&sn) {
                self.by_client_sn.remove(&o.client_sn);
            }
        }
    }

    /// `POST /terminal/activate`, already checked against the vendor signature.
    pub(crate) fn activate(
        &mut self,
        req: ActivateRequest,
        activation_code: &str,
        now_ms: u64,
        rng: &mut impl Rng,
    ) -> Result<TerminalKeys, CommError> {
        if req.app_id.is_empty() || req.device_id.is_empty() {
            return Err(CommError::params("app_id与device_id不可以为空"));
        }
        if req.code != activation_code {
            return Err(CommError::params("激活码错误"));
        }
        let terminal_sn = format!("100{}", ids::digits(rng, 15));
        let key = hex_key(rng);
        self.terminals.insert(
            terminal_sn.clone(),
            Terminal {
                terminal_sn: terminal_sn.clone(),
                device_id: req.device_id,
                key: key.clone(),
                key_day: timefmt::china_day(now_ms),
                checkins: 0,
            },
        );
        Ok(terminal_keys(terminal_sn, key))
    }

    /// Checks `Authorization: {terminal_sn} {sign}` over the body with the terminal's key. Trade
    /// calls need today's key; the check-in (`any_day`) may use the key of an earlier day, since
    /// it is how a terminal gets a new one.
    pub(crate) fn authenticate(
        &self,
        sn: &str,
        sign: &str,
        body: &[u8],
        now_ms: u64,
        any_day: bool,
    ) -> Result<&Terminal, CommError> {
        let terminal = self
            .terminals
            .get(sn)
            .ok_or_else(|| CommError::client(CommErrorCode::InvalidTerminal, "终端错误"))?;
        if !crate::sign::shouqianba_ok(body, sign, &terminal.key) {
            return Err(CommError::illegal_sign());
        }
        if !any_day && terminal.key_day != timefmt::china_day(now_ms) {
            // Yesterday's key: the terminal has not checked in today.
            return Err(CommError::illegal_sign());
        }
        Ok(terminal)
    }

    /// `POST /terminal/checkin`, already authenticated as `sn`: a new key; the old one is dead.
    pub(crate) fn checkin(
        &mut self,
        sn: &str,
        req: CheckinRequest,
        now_ms: u64,
        rng: &mut impl Rng,
    ) -> Result<TerminalKeys, CommError> {
        let t = self
            .terminals
            .get_mut(sn)
            .ok_or_else(|| CommError::client(CommErrorCode::InvalidTerminal, "终端错误"))?;
        if req.terminal_sn != sn {
            return Err(CommError::params("terminal_sn与签名终端不一致"));
        }
        if req.device_id != t.device_id {
            return Err(CommError::params("device_id与激活时不一致"));
        }
        t.key = hex_key(rng);
        t.key_day = timefmt::china_day(now_ms);
        t.checkins += 1;
        Ok(terminal_keys(sn.to_owned(), t.key.clone()))
    }

    // -----------------------------------------------------------------------------------------
    // Orders

    fn find(&self, r: &OrderRef) -> Option<&SqbOrder> {
        let sn = r.sn.as_deref().filter(|s| !s.is_empty());
        let by_sn = sn.and_then(|sn| self.orders.get(sn));
        by_sn.or_else(|| {
            let client = r.client_sn.as_deref().filter(|c| !c.is_empty())?;
            self.by_client_sn.get(client).and_then(|sn| self.orders.get(sn))
        })
    }

    fn sn_of(&self, r: &OrderRef) -> Result<Option<String>, CommError> {
        if r.sn.as_deref().unwrap_or("").is_empty() && r.client_sn.as_deref().unwrap_or("").is_empty() {
            return Err(CommError::params("sn与client_sn不能同时为空"));
        }
        Ok(self.find(r).map(|o| o.sn.clone()))
    }

    fn insert(&mut self, order: SqbOrder) {
        self.by_client_sn.insert(order.client_sn.clone(), order.sn.clone());
        self.orders.insert(order.sn.clone(), order);
    }

    fn new_order(
        &self,
        common: NewOrder<'_>,
        payway: Payway,
        sub_payway: SubPayway,
        now_ms: u64,
        rng: &mut impl Rng,
    ) -> SqbOrder {
        SqbOrder {
            sn: format!("7894{}", ids::digits(rng, 12)),
            client_sn: common.client_sn.to_owned(),
            terminal_sn: common.terminal_sn.to_owned(),
            total: common.total,
            net: Fen::ZERO,
            payway,
            sub_payway,
            subject: common.subject.to_owned(),
            operator: common.operator.to_owned(),
            description: common.description.map(str::to_owned),
            reflect: common.reflect.map(str::to_owned),
            order_status: OrderStatus::Created,
            status: SqbOrder::in_progress(),
            trade_no: None,
            payer_uid: None,
            ctime: now_ms,
            finish_time: None,
            channel_finish_time: None,
            qr_code: None,
            qr_expires_ms: None,
            refunds: BTreeMap::new(),
        }
    }

    /// 2. `POST /upay/v2/pay`: B-scan-C. The barcode's last digits decide what happens.
    pub(crate) fn pay(&mut self, req: PayRequest, now_ms: u64, rng: &mut impl Rng) -> Result<Biz, CommError> {
        let common = NewOrder {
            terminal_sn: &req.terminal_sn,
            client_sn: &req.client_sn,
            total: req.total_amount.fen(),
            subject: &req.subject,
            operator: &req.operator,
            description: req.description.as_deref(),
            reflect: req.reflect.as_deref(),
        };
        common.validate()?;
        check_optional_len("device_id", req.device_id.as_deref(), 32)?;
        check_optional_len("extended", req.extended.as_deref(), 256)?;
        check_len("dynamic_id", &req.dynamic_id, 32)?;
        check_location(req.longitude.as_deref(), req.latitude.as_deref())?;
        let code = &req.dynamic_id;
        if code.len() < 16 || code.len() > 24 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CommError::client(CommErrorCode::InvalidBarcode, "支付条码错误"));
        }
        let payway = match (&req.payway, payway_of_barcode(code)) {
            (Some(p @ (Payway::Alipay | Payway::Wechat)), _) => p.clone(),
            (Some(_), _) | (None, None) => {
                return Err(CommError::server(CommErrorCode::UnexpectedProviderError, "不识别的支付通道"));
            }
            (None, Some(p)) => p,
        };
        let outcome = barcode_outcome(code);
        if outcome == BarcodeOutcome::SystemError {
            return Err(CommError::server(CommErrorCode::UnknownSystemError, "未知的系统错误"));
        }
        if self.by_client_sn.contains_key(&req.client_sn) {
            return Ok(biz_fail(
                BizResultCode::Fail,
                BizErrorCode::ClientSnConflict,
                "client_sn在系统中已存在",
                None,
            ));
        }
        let mut order = self.new_order(common, payway, SubPayway::Barcode, now_ms, rng);
        let response = match outcome {
            BarcodeOutcome::Success => {
                order.mark_paid(now_ms, rng);
                biz(BizResultCode::PaySuccess, order.data())
            }
            BarcodeOutcome::InProgress => biz(BizResultCode::PayInProgress, order.data()),
            BarcodeOutcome::Fail(code, msg) => {
                order.mark_pay_canceled(now_ms);
                biz_fail(BizResultCode::PayFail, code, msg, Some(order.data()))
            }
            BarcodeOutcome::FailError | BarcodeOutcome::SystemError => {
                order.order_status = OrderStatus::PayError;
                order.status = TransactionStatus::FailError;
                order.finish_time = Some(now_ms);
                biz_fail(
                    BizResultCode::PayFailError,
                    BizErrorCode::TradeFailed,
                    "交易失败",
                    Some(order.data()),
                )
            }
        };
        self.insert(order);
        Ok(response)
    }

    /// 6. `POST /upay/v2/precreate`: a QR code the payer scans; it expires after 600 seconds.
    pub(crate) fn precreate(
        &mut self,
        req: PrecreateRequest,
        now_ms: u64,
        rng: &mut impl Rng,
    ) -> Result<Biz, CommError> {
        let common = NewOrder {
            terminal_sn: &req.terminal_sn,
            client_sn: &req.client_sn,
            total: req.total_amount.fen(),
            subject: &req.subject,
            operator: &req.operator,
            description: req.description.as_deref(),
            reflect: req.reflect.as_deref(),
        };
        common.validate()?;
        check_optional_len("device_id", req.device_id.as_deref(), 32)?;
        check_optional_len("extended", req.extended.as_deref(), 256)?;
        check_location(req.longitude.as_deref(), req.latitude.as_deref())?;
        let qr_code = match req.payway {
            Payway::Alipay => format!("https://qr.alipay.com/bax0{}", ids::lower_alnum(rng, 20)),
            Payway::Wechat => format!("weixin://wxpay/bizpayurl?pr={}", ids::alnum(rng, 7)),
            _ => return Err(CommError::server(CommErrorCode::UnexpectedProviderError, "不识别的支付通道")),
        };
        if self.by_client_sn.contains_key(&req.client_sn) {
            return Ok(biz_fail(
                BizResultCode::PrecreateFail,
                BizErrorCode::ClientSnConflict,
                "client_sn在系统中已存在",
                None,
            ));
        }
        let mut order = self.new_order(common, req.payway, SubPayway::Qrcode, now_ms, rng);
        order.qr_code = Some(qr_code);
        order.qr_expires_ms = Some(now_ms + QR_TTL_MS);
        let response = biz(BizResultCode::PrecreateSuccess, order.data());
        self.insert(order);
        Ok(response)
    }

    /// 4. `POST /upay/v2/query`.
    pub(crate) fn query(&self, r: &OrderRef) -> Result<Biz, CommError> {
        let Some(sn) = self.sn_of(r)? else {
            return Ok(not_exist());
        };
        Ok(self.orders.get(&sn).map_or_else(not_exist, |o| biz(BizResultCode::Success, o.data())))
    }

    /// 5. `POST /upay/v2/cancel`: stops a payment in progress, or reverses a paid one.
    pub(crate) fn cancel(&mut self, r: &OrderRef, now_ms: u64) -> Result<Biz, CommError> {
        let Some(sn) = self.sn_of(r)? else {
            return Ok(not_exist());
        };
        let Some(o) = self.orders.get_mut(&sn) else {
            return Ok(not_exist());
        };
        let result = match o.order_status {
            OrderStatus::Created => BizResultCode::CancelAbortSuccess,
            OrderStatus::Paid | OrderStatus::Canceled => BizResultCode::CancelSuccess,
            _ => {
                let msg = format!("当前的订单状态是{}", o.order_status);
                return Ok(BizResponse {
                    result_code: BizResultCode::Fail,
                    error_code: Some(BizErrorCode::UpayCancelInvalidOrderState),
                    error_message: Some(msg),
                    data: None,
                });
            }
        };
        if o.order_status != OrderStatus::Canceled {
            o.order_status = OrderStatus::Canceled;
            o.status = TransactionStatus::Success;
            o.net = Fen::ZERO;
            o.finish_time = Some(now_ms);
            o.channel_finish_time = Some(now_ms);
            o.qr_expires_ms = None;
        }
        Ok(biz(result, o.data()))
    }

    /// `POST /upay/v2/refund` (spec 3): partial refunds; the same `refund_request_no` again
    /// answers the same refund, a different amount under it is a conflict.
    pub(crate) fn refund(&mut self, req: RefundRequest, now_ms: u64) -> Result<Biz, CommError> {
        if req.refund_request_no.is_empty() || req.refund_request_no.len() > 32 {
            return Err(CommError::params("refund_request_no不可以为空且不超过32字节"));
        }
        check_len("operator", &req.operator, 64)?;
        check_len("sn", &req.sn, 16)?;
        check_len("client_sn", &req.client_sn, 64)?;
        if req.refund_amount.fen() == Fen::ZERO {
            return Err(CommError::params("refund_amount必须大于0"));
        }
        // Both numbers name the order; numbers of two different orders name none.
        let Some(o) = self.orders.get_mut(&req.sn).filter(|o| o.client_sn == req.client_sn) else {
            return Ok(not_exist());
        };
        let amount = req.refund_amount.fen();
        if let Some(previous) = o.refunds.get(&req.refund_request_no) {
            return Ok(if *previous == amount {
                biz(BizResultCode::RefundSuccess, o.data())
            } else {
                biz_fail(BizResultCode::Fail, BizErrorCode::RefundRequestConflict, "重复的退款请求", None)
            });
        }
        if !matches!(o.order_status, OrderStatus::Paid | OrderStatus::PartialRefunded) {
            return Ok(biz_fail(
                BizResultCode::Fail,
                BizErrorCode::UpayRefundInvalidOrderState,
                "无法对错误的订单状态执行退款操作",
                None,
            ));
        }
        let Some(net) = o.net.checked_sub(amount) else {
            return Ok(biz_fail(
                BizResultCode::Fail,
                BizErrorCode::RefundAmtNotEqualTotal,
                "退款金额无效",
                None,
            ));
        };
        o.net = net;
        o.refunds.insert(req.refund_request_no, amount);
        o.order_status = if net == Fen::ZERO { OrderStatus::Refunded } else { OrderStatus::PartialRefunded };
        o.status = TransactionStatus::Success;
        o.finish_time = Some(now_ms);
        o.channel_finish_time = Some(now_ms);
        Ok(biz(BizResultCode::RefundSuccess, o.data()))
    }

    /// A refund the gateway could not finish and cannot tell the fate of (appendix 3
    /// `REFUND_ERROR`): the order named in the refund body reads REFUND_ERROR from now on.
    /// Driven by a `refuse` fault with `result: "REFUND_ERROR"`; answers the order's data.
    pub(crate) fn mark_refund_error(&mut self, body: &[u8], now_ms: u64) -> Option<serde_json::Value> {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        let text = |k: &str| v.get(k).and_then(serde_json::Value::as_str).map(str::to_owned);
        let r = OrderRef {
            terminal_sn: text("terminal_sn").unwrap_or_default(),
            sn: text("sn"),
            client_sn: text("client_sn"),
        };
        let sn = self.find(&r)?.sn.clone();
        let o = self.orders.get_mut(&sn)?;
        o.order_status = OrderStatus::RefundError;
        o.status = TransactionStatus::RefundError;
        o.finish_time = Some(now_ms);
        serde_json::to_value(o.data()).ok()
    }

    /// Cancels precreate orders whose QR code expired unpaid.
    pub(crate) fn tick(&mut self, now_ms: u64) {
        for o in self.orders.values_mut() {
            if o.order_status == OrderStatus::Created
                && let Some(expiry) = o.qr_expires_ms
                && expiry <= now_ms
            {
                o.mark_pay_canceled(expiry);
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Test controls

    fn admin_order(&mut self, id: &str) -> Result<&mut SqbOrder, crate::payzero::AdminError> {
        let sn = if self.orders.contains_key(id) {
            Some(id.to_owned())
        } else {
            self.by_client_sn.get(id).cloned()
        };
        sn.and_then(|sn| self.orders.get_mut(&sn))
            .ok_or_else(|| crate::payzero::AdminError::NotFound(id.to_owned()))
    }

    /// The payer completes a payment in progress (enters the password, scans the QR).
    pub(crate) fn shopper_pay(
        &mut self,
        id: &str,
        now_ms: u64,
        rng: &mut impl Rng,
        reported_amount: Option<Fen>,
    ) -> Result<OrderData, crate::payzero::AdminError> {
        let o = self.admin_order(id)?;
        if o.order_status != OrderStatus::Created {
            return Err(crate::payzero::AdminError::Conflict(format!("order {id} is {}", o.order_status)));
        }
        if o.qr_expires_ms.is_some_and(|t| t <= now_ms) {
            return Err(crate::payzero::AdminError::Conflict(format!(
                "the QR code of order {id} has expired"
            )));
        }
        if let Some(amount) = reported_amount {
            o.total = amount;
            o.net = amount;
        }
        o.mark_paid(now_ms, rng);
        Ok(o.data())
    }

    /// The payment in progress fails (the payer cancels, the wallet refuses).
    pub(crate) fn shopper_fail(
        &mut self,
        id: &str,
        now_ms: u64,
    ) -> Result<OrderData, crate::payzero::AdminError> {
        let o = self.admin_order(id)?;
        if o.order_status != OrderStatus::Created {
            return Err(crate::payzero::AdminError::Conflict(format!("order {id} is {}", o.order_status)));
        }
        o.mark_pay_canceled(now_ms);
        Ok(o.data())
    }
}

fn not_exist() -> Biz {
    biz_fail(BizResultCode::Fail, BizErrorCode::UpayOrderNotExist, "订单不存在", None)
}

fn hex_key(rng: &mut impl Rng) -> String {
    (0..16).map(|_| format!("{:02x}", rng.random::<u8>())).collect()
}

fn terminal_keys(terminal_sn: String, terminal_key: String) -> TerminalKeys {
    TerminalKeys {
        terminal_sn,
        terminal_key,
        merchant_sn: "sandbox-merchant".into(),
        merchant_name: "沙箱商户".into(),
        store_sn: "sandbox-store".into(),
        store_name: "沙箱门店".into(),
    }
}

/// The fields pay and precreate share.
struct NewOrder<'a> {
    terminal_sn: &'a str,
    client_sn: &'a str,
    total: Fen,
    subject: &'a str,
    operator: &'a str,
    description: Option<&'a str>,
    reflect: Option<&'a str>,
}

impl NewOrder<'_> {
    fn validate(&self) -> Result<(), CommError> {
        check_len("client_sn", self.client_sn, 64)?;
        check_len("subject", self.subject, 64)?;
        check_len("operator", self.operator, 32)?;
        if self.total == Fen::ZERO {
            return Err(CommError::params("total_amount必须大于0"));
        }
        if self.description.is_some_and(|d| d.len() > 256) {
            return Err(CommError::params("description不超过256字节"));
        }
        if self.reflect.is_some_and(|r| r.len() > 64) {
            return Err(CommError::params("reflect不超过64字节"));
        }
        Ok(())
    }
}

/// A required `String(max)` field: not blank, at most `max` bytes of UTF-8. (The spec writes
/// `String(n)` and, for `dynamic_id`, "不超过32字节": the sandbox reads every `n` as bytes, so
/// 22 Chinese characters (66 bytes) overflow a `String(64)`.)
fn check_len(field: &str, value: &str, max: usize) -> Result<(), CommError> {
    if value.trim().is_empty() {
        return Err(CommError::params(format!("{field}不可以为空")));
    }
    if value.len() > max {
        return Err(CommError::params(format!("{field}不超过{max}字节")));
    }
    Ok(())
}

/// An optional `String(max)` field: at most `max` bytes when given.
fn check_optional_len(field: &str, value: Option<&str>, max: usize) -> Result<(), CommError> {
    match value {
        Some(v) if v.len() > max => Err(CommError::params(format!("{field}不超过{max}字节"))),
        _ => Ok(()),
    }
}

fn check_location(longitude: Option<&str>, latitude: Option<&str>) -> Result<(), CommError> {
    if longitude.is_some() != latitude.is_some() {
        return Err(CommError::params("经纬度必须同时出现"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
