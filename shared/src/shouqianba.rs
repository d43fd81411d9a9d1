//! Shouqianba (收钱吧) upay v2 wire types (specs/shouqianba-upay-v2.md): pay (B-scan-C),
//! precreate (C-scan-B QR), query, cancel and refund; terminal activation and daily check-in
//! (from Shouqianba's public terminal API, not in our spec); the three-layer response; and the
//! spec's pay → poll → cancel algorithm (section 2.4) as pure decision functions.
//!
//! Every value on this wire is a string, amounts included (fen, at most 10 digits: `SqbAmount`).
//! Optional fields are left out when absent rather than written as `null`, as the spec's
//! examples do.

use crate::money::Fen;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

// ---------------------------------------------------------------------------------------------
// Amounts

/// An amount in fen as Shouqianba writes it: a JSON string of 1 to 10 ASCII digits.
/// Anything else (a JSON number, a sign, a decimal point, 11 digits) is refused, so an amount
/// the gateway would reject is caught before sending and a malformed one is never believed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SqbAmount(Fen);

/// Why a value is not a Shouqianba amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqbAmountError {
    #[error("a Shouqianba amount has at most 10 digits (fen)")]
    TooLarge,
    #[error("a Shouqianba amount is a string of digits (fen)")]
    NotDigits,
}

impl SqbAmount {
    /// The largest amount 10 digits can write: 99,999,999.99 yuan.
    pub const MAX: SqbAmount = SqbAmount(Fen(9_999_999_999));

    pub fn new(fen: Fen) -> Result<Self, SqbAmountError> {
        if fen > Self::MAX.0 { Err(SqbAmountError::TooLarge) } else { Ok(SqbAmount(fen)) }
    }

    pub fn fen(self) -> Fen {
        self.0
    }

    /// Parses the wire text.
    pub fn parse(text: &str) -> Result<Self, SqbAmountError> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SqbAmountError::NotDigits);
        }
        if text.len() > 10 {
            return Err(SqbAmountError::TooLarge);
        }
        // At most 10 digits always fits in a u64.
        text.parse::<u64>().map(|n| SqbAmount(Fen(n))).map_err(|_| SqbAmountError::NotDigits)
    }
}

impl TryFrom<Fen> for SqbAmount {
    type Error = SqbAmountError;
    fn try_from(fen: Fen) -> Result<Self, SqbAmountError> {
        SqbAmount::new(fen)
    }
}

impl From<SqbAmount> for Fen {
    fn from(a: SqbAmount) -> Fen {
        a.0
    }
}

impl fmt::Display for SqbAmount {
    /// The wire text: the fen as decimal digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.0)
    }
}

impl Serialize for SqbAmount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SqbAmount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        SqbAmount::parse(&text).map_err(de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------
// Enumerations (appendices)

crate::wire_enum! {
    /// Top-level `result_code`: did the call get through (appendix 1).
    pub enum CommResult {
        Ok = "200",
        /// The client's fault (parameters, terminal, signature): contact the terminal developer.
        ClientError = "400",
        /// Shouqianba's fault.
        ServerError = "500",
    }
}

crate::wire_enum! {
    /// Appendix 1, 通讯错误码: top-level `error_code`, present only when `result_code` is not
    /// "200". The spec's own examples use more codes than its table; they are listed too.
    pub enum CommErrorCode {
        InvalidParams = "INVALID_PARAMS",
        InvalidTerminal = "INVALID_TERMINAL",
        IllegalSign = "ILLEGAL_SIGN",
        InvalidBarcode = "INVALID_BARCODE",
        UnknownSystemError = "UNKNOWN_SYSTEM_ERROR",
        UnexpectedProviderError = "UNEXPECTED_PROVIDER_ERROR",
        /// From example iv.
        TerminalNotExists = "TERMINAL_NOT_EXISTS",
        /// From example v (the table says `INVALID_PARAMS`).
        InvalidParameter = "INVALID_PARAMETER",
        /// From example vii: upgrading, retry in about 5 minutes.
        MaintenanceInprogress = "MAINTENANCE_INPROGRESS",
    }
}

crate::wire_enum! {
    /// Appendix 2, 业务响应码: `biz_response.result_code`.
    pub enum BizResultCode {
        PaySuccess = "PAY_SUCCESS",
        /// Failed and reversed: the payer has the money back.
        PayFail = "PAY_FAIL",
        /// Failed, and the channel's state is uncertain.
        PayFailError = "PAY_FAIL_ERROR",
        /// Not in appendix 2, but the spec's state classes include INPROGRESS and Shouqianba's
        /// public docs return it for a pay awaiting the payer's password.
        PayInProgress = "PAY_IN_PROGRESS",
        CancelSuccess = "CANCEL_SUCCESS",
        CancelError = "CANCEL_ERROR",
        CancelAbortError = "CANCEL_ABORT_ERROR",
        CancelAbortSuccess = "CANCEL_ABORT_SUCCESS",
        RefundSuccess = "REFUND_SUCCESS",
        RefundError = "REFUND_ERROR",
        PrecreateSuccess = "PRECREATE_SUCCESS",
        PrecreateFail = "PRECREATE_FAIL",
        Success = "SUCCESS",
        /// Failed without starting anything (no money moved).
        Fail = "FAIL",
    }
}

crate::wire_enum! {
    /// Appendix 3, 订单状态: `data.order_status`.
    pub enum OrderStatus {
        Created = "CREATED",
        Paid = "PAID",
        PayCanceled = "PAY_CANCELED",
        PayError = "PAY_ERROR",
        Refunded = "REFUNDED",
        PartialRefunded = "PARTIAL_REFUNDED",
        RefundError = "REFUND_ERROR",
        Canceled = "CANCELED",
        CancelError = "CANCEL_ERROR",
    }
}

crate::wire_enum! {
    /// Appendix 4, 流水状态: `data.status`, the state of this one operation.
    pub enum TransactionStatus {
        Success = "SUCCESS",
        FailCanceled = "FAIL_CANCELED",
        FailProtocol1 = "FAIL_PROTOCOL_1",
        FailIo1 = "FAIL_IO_1",
        FailProtocol2 = "FAIL_PROTOCOL_2",
        FailIo2 = "FAIL_IO_2",
        FailProtocol3 = "FAIL_PROTOCOL_3",
        FailError = "FAIL_ERROR",
        CancelError = "CANCEL_ERROR",
        RefundError = "REFUND_ERROR",
    }
}

crate::wire_enum! {
    /// Appendix 5, 业务执行错误码: `biz_response.error_code`. The spec's examples and its
    /// algorithm use codes its table lacks; they are listed too.
    pub enum BizErrorCode {
        AuthcodeExpire = "AUTHCODE_EXPIRE",
        InvalidBarcode = "INVALID_BARCODE",
        InsufficientFund = "INSUFFICIENT_FUND",
        ExpiredBarcode = "EXPIRED_BARCODE",
        BuyerOverDailyLimit = "BUYER_OVER_DAILY_LIMIT",
        BuyerOverTransactionLimit = "BUYER_OVER_TRANSACTION_LIMIT",
        SellerOverDailyLimit = "SELLER_OVER_DAILY_LIMIT",
        TradeNotExist = "TRADE_NOT_EXIST",
        TradeHasSuccess = "TRADE_HAS_SUCCESS",
        SellerBalanceNotEnough = "SELLER_BALANCE_NOT_ENOUGH",
        RefundAmtNotEqualTotal = "REFUND_AMT_NOT_EQUAL_TOTAL",
        TradeFailed = "TRADE_FAILED",
        ClientSnConflict = "CLIENT_SN_CONFLICT",
        /// Appendix 5 spells it without the final S…
        UpayOrderNotExist = "UPAY_ORDER_NOT_EXIST",
        /// …and the 2.4 algorithm with it. Both mean "no such order".
        UpayOrderNotExists = "UPAY_ORDER_NOT_EXISTS",
        RefundRequestConflict = "REFUND_REQUEST_CONFLICT",
        UnexpectedProviderError = "UNEXPECTED_PROVIDER_ERROR",
        /// From the refund failure example (3.3).
        UpayRefundInvalidOrderState = "UPAY_REFUND_INVALID_ORDER_STATE",
        /// From the cancel failure example (5.3).
        UpayCancelInvalidOrderState = "UPAY_CANCEL_INVALID_ORDER_STATE",
        IllegalSign = "ILLEGAL_SIGN",
    }
}

impl BizErrorCode {
    /// "No such order", whichever of the spec's two spellings arrived.
    pub fn is_order_not_exists(&self) -> bool {
        matches!(self, BizErrorCode::UpayOrderNotExist | BizErrorCode::UpayOrderNotExists)
    }
}

crate::wire_enum! {
    /// Appendix 6, 支付方式: `payway`.
    pub enum Payway {
        Alipay = "1",
        Wechat = "3",
        Baifubao = "4",
        Jd = "5",
    }
}

crate::wire_enum! {
    /// Appendix 7, 二级支付方式: `sub_payway`.
    pub enum SubPayway {
        Barcode = "1",
        Qrcode = "2",
        /// Not in our spec; Shouqianba's public docs list it for precreate (WAP pay).
        Wap = "3",
        /// Not in our spec; Shouqianba's public docs list it for precreate (mini program).
        MiniProgram = "4",
    }
}

// ---------------------------------------------------------------------------------------------
// Requests

/// `POST /upay/v2/pay` (2.2): B-scan-C, charging the code the cashier scanned (`dynamic_id`).
/// Required fields go through `new`; optional ones through `with_*`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayRequest {
    pub terminal_sn: String,
    /// Ours, unique in the merchant's system; the key for query and cancel.
    pub client_sn: String,
    pub total_amount: SqbAmount,
    /// Left out to let Shouqianba recognise the wallet from the code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payway: Option<Payway>,
    /// The scanned barcode, at most 32 bytes.
    pub dynamic_id: String,
    pub subject: String,
    pub operator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// The spec's table calls it a 256-character string; Shouqianba's public docs send an
    /// object. Kept as raw JSON so either works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended: Option<serde_json::Value>,
    /// Echoed back unchanged. The spec's pay table misspells it `reflact`; its precreate table,
    /// its response tables and Shouqianba's public docs say `reflect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reflect: Option<String>,
}

impl PayRequest {
    pub fn new(
        terminal_sn: impl Into<String>,
        client_sn: impl Into<String>,
        total_amount: SqbAmount,
        dynamic_id: impl Into<String>,
        subject: impl Into<String>,
        operator: impl Into<String>,
    ) -> Self {
        PayRequest {
            terminal_sn: terminal_sn.into(),
            client_sn: client_sn.into(),
            total_amount,
            payway: None,
            dynamic_id: dynamic_id.into(),
            subject: subject.into(),
            operator: operator.into(),
            description: None,
            longitude: None,
            latitude: None,
            device_id: None,
            extended: None,
            reflect: None,
        }
    }

    pub fn with_payway(mut self, payway: Payway) -> Self {
        self.payway = Some(payway);
        self
    }

    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    pub fn with_device_id(mut self, device_id: impl Into<String>) -> Self {
        self.device_id = Some(device_id.into());
        self
    }

    pub fn with_reflect(mut self, reflect: impl Into<String>) -> Self {
        self.reflect = Some(reflect.into());
        self
    }
}

/// `POST /upay/v2/precreate` (6): C-scan-B, a QR code for the payer to scan (`qr_code`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrecreateRequest {
    pub terminal_sn: String,
    pub client_sn: String,
    pub total_amount: SqbAmount,
    /// Required here: a QR code belongs to one wallet.
    pub payway: Payway,
    /// Not in our spec's table; Shouqianba's public docs accept it (default QR code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_payway: Option<SubPayway>,
    pub subject: String,
    pub operator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reflect: Option<String>,
    /// Not in our spec's table; Shouqianba's public docs accept a callback URL here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<String>,
}

impl PrecreateRequest {
    pub fn new(
        terminal_sn: impl Into<String>,
        client_sn: impl Into<String>,
        total_amount: SqbAmount,
        payway: Payway,
        subject: impl Into<String>,
        operator: impl Into<String>,
    ) -> Self {
        PrecreateRequest {
            terminal_sn: terminal_sn.into(),
            client_sn: client_sn.into(),
            total_amount,
            payway,
            sub_payway: None,
            subject: subject.into(),
            operator: operator.into(),
            description: None,
            longitude: None,
            latitude: None,
            device_id: None,
            extended: None,
            reflect: None,
            notify_url: None,
        }
    }

    pub fn with_sub_payway(mut self, sub_payway: SubPayway) -> Self {
        self.sub_payway = Some(sub_payway);
        self
    }

    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    pub fn with_notify_url(mut self, url: impl Into<String>) -> Self {
        self.notify_url = Some(url.into());
        self
    }

    pub fn with_reflect(mut self, reflect: impl Into<String>) -> Self {
        self.reflect = Some(reflect.into());
        self
    }
}

/// An order named by Shouqianba's `sn` or by our `client_sn` (at least one; `sn` wins when both
/// are given). The body of `POST /upay/v2/query` (4) and `POST /upay/v2/cancel` (5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRef {
    pub terminal_sn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_sn: Option<String>,
}

impl OrderRef {
    pub fn by_client_sn(terminal_sn: impl Into<String>, client_sn: impl Into<String>) -> Self {
        OrderRef { terminal_sn: terminal_sn.into(), sn: None, client_sn: Some(client_sn.into()) }
    }

    pub fn by_sn(terminal_sn: impl Into<String>, sn: impl Into<String>) -> Self {
        OrderRef { terminal_sn: terminal_sn.into(), sn: Some(sn.into()), client_sn: None }
    }
}

/// `POST /upay/v2/query` (4).
pub type QueryRequest = OrderRef;
/// `POST /upay/v2/cancel` (5).
pub type CancelRequest = OrderRef;

/// `POST /upay/v2/refund` (3). A paid order may be refunded in several parts, each with its own
/// `refund_request_no`; repeating one is idempotent (`REFUND_REQUEST_CONFLICT` otherwise).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    pub terminal_sn: String,
    /// The spec marks both `sn` and `client_sn` required; Shouqianba's public docs accept either.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_sn: Option<String>,
    pub refund_request_no: String,
    pub operator: String,
    pub refund_amount: SqbAmount,
}

impl RefundRequest {
    pub fn new(
        order: OrderRef,
        refund_request_no: impl Into<String>,
        operator: impl Into<String>,
        refund_amount: SqbAmount,
    ) -> Self {
        RefundRequest {
            terminal_sn: order.terminal_sn,
            sn: order.sn,
            client_sn: order.client_sn,
            refund_request_no: refund_request_no.into(),
            operator: operator.into(),
            refund_amount,
        }
    }
}

/// `POST /terminal/activate`: turns an activation code into a terminal (`terminal_sn`,
/// `terminal_key`). NOT in our spec: modelled on Shouqianba's public terminal API, where this
/// call is signed with the vendor's `vendor_sn`/`vendor_key` (same MD5 scheme, `Authorization:
/// {vendor_sn} {sign}`) rather than a terminal's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivateRequest {
    pub app_id: String,
    /// The activation code from the Shouqianba back office.
    pub code: String,
    /// Stable per device; check-in must send the same one.
    pub device_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_sn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_info: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk_version: Option<String>,
}

impl ActivateRequest {
    pub fn new(app_id: impl Into<String>, code: impl Into<String>, device_id: impl Into<String>) -> Self {
        ActivateRequest {
            app_id: app_id.into(),
            code: code.into(),
            device_id: device_id.into(),
            client_sn: None,
            name: None,
            os_info: None,
            sdk_version: None,
        }
    }

    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    pub fn with_os_info(mut self, os_info: impl Into<String>) -> Self {
        self.os_info = Some(os_info.into());
        self
    }

    pub fn with_sdk_version(mut self, sdk_version: impl Into<String>) -> Self {
        self.sdk_version = Some(sdk_version.into());
        self
    }
}

/// `POST /terminal/checkin`: the daily check-in that rotates the terminal key. NOT in our spec:
/// modelled on Shouqianba's public terminal API, where it is signed with the terminal's current
/// key and answers with the key to use from now on (the old one stops working, hence one
/// serialised owner per terminal).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckinRequest {
    pub terminal_sn: String,
    pub device_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_info: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk_version: Option<String>,
}

impl CheckinRequest {
    pub fn new(terminal_sn: impl Into<String>, device_id: impl Into<String>) -> Self {
        CheckinRequest {
            terminal_sn: terminal_sn.into(),
            device_id: device_id.into(),
            os_info: None,
            sdk_version: None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Responses

/// Every response, layer one: did the call get through (`result_code` "200"), and if not why
/// (`error_code`, `error_message`). `B` is the `biz_response`: `BizResponse<OrderData>` for the
/// trade calls, `TerminalKeys` for activate and check-in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Response<B> {
    pub result_code: CommResult,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<CommErrorCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    // No `default`: serde would then demand `Default` of the type parameter; a missing
    // `Option` field is `None` anyway.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub biz_response: Option<B>,
}

/// The answer of pay, precreate, query, cancel and refund.
pub type TradeResponse = Response<BizResponse<OrderData>>;
/// The answer of terminal activate and check-in.
pub type TerminalResponse = Response<TerminalKeys>;

/// Layer two: what the operation did (`result_code`), why it failed (`error_code`,
/// `error_message`), and the order as it now is (`data`, absent on failures that touched
/// nothing).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BizResponse<T> {
    pub result_code: BizResultCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<BizErrorCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    // No `default`: serde would then demand `Default` of the type parameter; a missing
    // `Option` field is `None` anyway.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
}

/// Layer three: the order (`biz_response.data`). Which fields appear depends on the call
/// (3.1, 2.3, 3.3, 4.3, 5.3, 6.3); all but the two order numbers are optional.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderData {
    /// Shouqianba's order number.
    pub sn: String,
    /// Ours.
    pub client_sn: String,
    /// Creation time, unix milliseconds as text (query only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ctime: Option<String>,
    /// The state of this operation (appendix 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TransactionStatus>,
    /// The state of the order (appendix 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_status: Option<OrderStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payway: Option<Payway>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_payway: Option<SubPayway>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_uid: Option<String>,
    /// 2.3 calls it `payer_login`, 3.1 `pay_login`; both are read.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "pay_login")]
    pub payer_login: Option<String>,
    /// The channel's (WeChat's, Alipay's…) order number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<SqbAmount>,
    /// What the merchant keeps: `total_amount` minus refunds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_amount: Option<SqbAmount>,
    /// Unix milliseconds as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_time: Option<String>,
    /// Unix milliseconds as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_finish_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_sn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reflect: Option<String>,
    /// Precreate only: the text to render as the QR code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code: Option<String>,
}

/// The `biz_response` of terminal activate and check-in (Shouqianba's public terminal API; not
/// in our spec). `Debug` hides the key: it signs every call of the terminal.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalKeys {
    pub terminal_sn: String,
    pub terminal_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_sn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_sn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_name: Option<String>,
}

impl fmt::Debug for TerminalKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TerminalKeys")
            .field("terminal_sn", &self.terminal_sn)
            .field("terminal_key", &format_args!("[REDACTED]"))
            .field("merchant_sn", &self.merchant_sn)
            .field("merchant_name", &self.merchant_name)
            .field("store_sn", &self.store_sn)
            .field("store_name", &self.store_name)
            .finish()
    }
}

impl<T> Response<BizResponse<T>> {
    /// The business result code, when the call got through.
    pub fn biz_result(&self) -> Option<&BizResultCode> {
        self.biz_response.as_ref().map(|b| &b.result_code)
    }

    /// The order data, when there is some.
    pub fn data(&self) -> Option<&T> {
        self.biz_response.as_ref().and_then(|b| b.data.as_ref())
    }
}

// ---------------------------------------------------------------------------------------------
// The pay → poll → cancel algorithm (2.4)

/// How long the algorithm waits between queries while an order is `CREATED`.
pub const POLL_INTERVAL_SECS: u64 = 5;

/// A call that did not come back with a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportError {
    /// Nothing was sent (no connection): the gateway cannot have acted on it.
    Connect,
    /// Sent, but the answer was lost (timeout, reset): the gateway may have acted on it.
    Io,
}

/// `handle_response_error` of 2.4: the call did not get through to the business layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallError {
    /// `result_code` "400": our request was wrong; contact the terminal developer (联系终端开发商).
    Client { code: Option<CommErrorCode>, message: Option<String> },
    /// `result_code` "500" (or any other non-200): the gateway failed; contact Shouqianba support.
    Server { code: Option<CommErrorCode>, message: Option<String> },
}

pub fn call_error<B>(response: &Response<B>) -> Option<CallError> {
    let (code, message) = (response.error_code.clone(), response.error_message.clone());
    match response.result_code {
        CommResult::Ok => None,
        CommResult::ClientError => Some(CallError::Client { code, message }),
        // An unknown top-level code is not a success either; treat it as the gateway's fault.
        CommResult::ServerError | CommResult::Unknown(_) => Some(CallError::Server { code, message }),
    }
}

/// What a `pay` call's answer means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayOutcome {
    /// 本次收款成功.
    Paid,
    /// 本次收款失败并且支付金额已退还付款人: failed, the payer has the money back.
    Failed,
    /// 本次收款异常请联系收钱吧客服: failed and the channel state is uncertain. Do not hand over
    /// goods; a person must follow up (Shouqianba will reverse it eventually).
    NeedsSupport,
    /// 收款失败不涉及金额变更: refused before any money moved (e.g. an expired barcode); tell the
    /// operator `error_code`/`error_message` and let them retry.
    Rejected { code: Option<BizErrorCode>, message: Option<String> },
    /// Still going (or unknown): poll with `query` until it settles or the deadline passes, then
    /// cancel.
    Poll,
    /// The network was unavailable: nothing was sent (网络不可用).
    NetworkUnavailable,
    /// The call did not get through (400/500). The spec stops here ("raise"); note a pay that
    /// answered 500 may still be in flight upstream, so keep the order open until a query or a
    /// cancel settles it.
    CallFailed(CallError),
}

/// Decides what a `pay` response means (2.4, `Sub pay`).
pub fn classify_pay(response: &TradeResponse) -> PayOutcome {
    if let Some(e) = call_error(response) {
        return PayOutcome::CallFailed(e);
    }
    let Some(biz) = &response.biz_response else {
        // A 200 with no business answer says nothing about the money: find out by polling.
        return PayOutcome::Poll;
    };
    match &biz.result_code {
        BizResultCode::PaySuccess => PayOutcome::Paid,
        BizResultCode::PayFail => PayOutcome::Failed,
        BizResultCode::PayFailError => PayOutcome::NeedsSupport,
        BizResultCode::Fail => {
            PayOutcome::Rejected { code: biz.error_code.clone(), message: biz.error_message.clone() }
        }
        // The spec's `else`: anything else, PAY_IN_PROGRESS included, is settled by polling.
        _ => PayOutcome::Poll,
    }
}

/// What a `pay` call that got no response means (2.4: a connect error is final, a lost answer
/// is polled).
pub fn classify_pay_transport(error: TransportError) -> PayOutcome {
    match error {
        TransportError::Connect => PayOutcome::NetworkUnavailable,
        TransportError::Io => PayOutcome::Poll,
    }
}

/// What to do after a `query` while polling a pay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PollDecision {
    /// The order is paid (本次收款成功).
    Paid,
    /// Failed and the payer has the money back, or the order was cancelled: no need to cancel.
    Failed,
    /// The order does not exist (本次收款失败并且不需要撤单): the pay never arrived.
    NotFound,
    /// Uncertain (本次收款异常请联系收钱吧客服): a person must follow up.
    NeedsSupport,
    /// Not settled: query again after `POLL_INTERVAL_SECS`, unless the deadline has passed, in
    /// which case cancel (see `next_poll_step`).
    Wait,
    /// The call did not get through (400/500); the spec stops here.
    CallFailed(CallError),
}

/// Decides what a `query` response means while polling a pay (2.4, `Sub poll`).
///
/// Where the spec's pseudo-code falls through (an order state or result it does not mention),
/// this answers `Wait`: the poll continues and the deadline's cancel settles the order, which
/// never takes an unknown state for paid. Two cases are decided beyond the spec: `CANCELED`
/// means the order is closed (`Failed`), and `REFUNDED`/`PARTIAL_REFUNDED`/`*_ERROR` cannot
/// happen to a pay still being polled, so a person must look (`NeedsSupport`).
pub fn classify_query(response: &TradeResponse) -> PollDecision {
    if let Some(e) = call_error(response) {
        return PollDecision::CallFailed(e);
    }
    let Some(biz) = &response.biz_response else {
        return PollDecision::Wait;
    };
    match &biz.result_code {
        BizResultCode::Fail if biz.error_code.as_ref().is_some_and(BizErrorCode::is_order_not_exists) => {
            PollDecision::NotFound
        }
        BizResultCode::Success => match biz.data.as_ref().and_then(|d| d.order_status.as_ref()) {
            Some(OrderStatus::Paid) => PollDecision::Paid,
            Some(OrderStatus::PayCanceled | OrderStatus::Canceled) => PollDecision::Failed,
            Some(OrderStatus::PayError) => PollDecision::NeedsSupport,
            Some(
                OrderStatus::Refunded
                | OrderStatus::PartialRefunded
                | OrderStatus::RefundError
                | OrderStatus::CancelError,
            ) => PollDecision::NeedsSupport,
            Some(OrderStatus::Created | OrderStatus::Unknown(_)) | None => PollDecision::Wait,
        },
        _ => PollDecision::Wait,
    }
}

/// A `query` that got no response: wait `POLL_INTERVAL_SECS` and poll again (2.4).
pub fn classify_query_transport(_error: TransportError) -> PollDecision {
    PollDecision::Wait
}

/// The next step of the poll loop, given how long it has run and its deadline (2.4: once the
/// remaining time is below zero, cancel).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PollStep {
    Query,
    Cancel,
}

pub fn next_poll_step(elapsed_ms: u64, timeout_ms: u64) -> PollStep {
    if elapsed_ms > timeout_ms { PollStep::Cancel } else { PollStep::Query }
}

/// What a `cancel` (sent when polling timed out) means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CancelOutcome {
    /// 本次收款超时并且已经成功撤单: cancelled (any money is returned).
    Cancelled,
    /// 本次收款超时并且不需要撤单: there was no order to cancel.
    NothingToCancel,
    /// 本次收款超时撤单异常请联系收钱吧客服: a person must follow up.
    NeedsSupport,
    /// The call did not get through (400/500); also needs a person.
    CallFailed(CallError),
}

/// Decides what a `cancel` response means (2.4, the timeout branch of `Sub poll`).
pub fn classify_cancel(response: &TradeResponse) -> CancelOutcome {
    if let Some(e) = call_error(response) {
        return CancelOutcome::CallFailed(e);
    }
    let Some(biz) = &response.biz_response else {
        return CancelOutcome::NeedsSupport;
    };
    match &biz.result_code {
        BizResultCode::CancelSuccess | BizResultCode::CancelAbortSuccess => CancelOutcome::Cancelled,
        BizResultCode::Fail if biz.error_code.as_ref().is_some_and(BizErrorCode::is_order_not_exists) => {
            CancelOutcome::NothingToCancel
        }
        _ => CancelOutcome::NeedsSupport,
    }
}

/// The longest prefix of `text` that fits a `String(n)` field of `max_bytes` bytes, cut on a
/// UTF-8 character boundary (the spec's lengths are bytes: `dynamic_id` "不超过32字节").
pub fn fit(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A `cancel` that got no response: 本次收款超时撤单网络异常请联系收钱吧客服.
pub fn classify_cancel_transport(_error: TransportError) -> CancelOutcome {
    CancelOutcome::NeedsSupport
}

// Tests fail by panicking, so `unwrap` is the point there; the workspace lint is for library code.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ok(result_code: &str, error_code: Option<&str>, order_status: Option<&str>) -> TradeResponse {
        let mut biz = serde_json::json!({ "result_code": result_code });
        if let Some(code) = error_code {
            biz["error_code"] = code.into();
        }
        if let Some(status) = order_status {
            biz["data"] = serde_json::json!({ "sn": "1", "client_sn": "c", "order_status": status });
        }
        serde_json::from_value(serde_json::json!({ "result_code": "200", "biz_response": biz })).unwrap()
    }

    fn failed(result_code: &str) -> TradeResponse {
        serde_json::from_value(serde_json::json!({
            "result_code": result_code, "error_code": "ILLEGAL_SIGN", "error_message": "签名错误"
        }))
        .unwrap()
    }

    #[test]
    fn amounts_are_strings_of_at_most_ten_digits() {
        let a: SqbAmount = serde_json::from_str("\"9999999999\"").unwrap();
        assert_eq!(a.fen(), Fen(9_999_999_999));
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"9999999999\"");
        assert_eq!(serde_json::to_string(&SqbAmount::new(Fen(0)).unwrap()).unwrap(), "\"0\"");
        for bad in ["\"10000000000\"", "\"\"", "\"-1\"", "\"1.5\"", "\" 1\"", "\"1e3\"", "1", "null"] {
            assert!(serde_json::from_str::<SqbAmount>(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(SqbAmount::new(Fen(10_000_000_000)), Err(SqbAmountError::TooLarge));
        assert_eq!(SqbAmount::parse("12345678901"), Err(SqbAmountError::TooLarge));
        assert_eq!(SqbAmount::parse("12a"), Err(SqbAmountError::NotDigits));
        assert_eq!(SqbAmount::try_from(Fen(1)).map(Fen::from), Ok(Fen(1)));
    }

    #[test]
    fn unknown_codes_round_trip() {
        let r: TradeResponse = serde_json::from_str(
            r#"{"result_code":"200","biz_response":{"result_code":"PAY_SOMETHING_NEW","error_code":"NEW_ERROR",
                "data":{"sn":"1","client_sn":"c","order_status":"FROZEN","payway":"17","status":"FAIL_IO_9"}}}"#,
        )
        .unwrap();
        assert_eq!(r.biz_result(), Some(&BizResultCode::Unknown("PAY_SOMETHING_NEW".into())));
        let data = r.data().unwrap();
        assert_eq!(data.payway, Some(Payway::Unknown("17".into())));
        let back = serde_json::to_value(&r).unwrap();
        assert_eq!(back["biz_response"]["data"]["order_status"], "FROZEN");
        assert_eq!(back["biz_response"]["error_code"], "NEW_ERROR");
    }

    #[test]
    fn pay_follows_the_spec() {
        assert_eq!(classify_pay(&ok("PAY_SUCCESS", None, Some("PAID"))), PayOutcome::Paid);
        assert_eq!(
            classify_pay(&ok("PAY_FAIL", Some("EXPIRED_BARCODE"), Some("PAY_CANCELED"))),
            PayOutcome::Failed
        );
        assert_eq!(classify_pay(&ok("PAY_FAIL_ERROR", None, Some("PAY_ERROR"))), PayOutcome::NeedsSupport);
        assert_eq!(
            classify_pay(&ok("FAIL", Some("CLIENT_SN_CONFLICT"), None)),
            PayOutcome::Rejected { code: Some(BizErrorCode::ClientSnConflict), message: None }
        );
        assert_eq!(classify_pay(&ok("PAY_IN_PROGRESS", None, Some("CREATED"))), PayOutcome::Poll);
        assert_eq!(classify_pay(&ok("SOMETHING_NEW", None, None)), PayOutcome::Poll);
        assert!(matches!(classify_pay(&failed("400")), PayOutcome::CallFailed(CallError::Client { .. })));
        assert!(matches!(classify_pay(&failed("500")), PayOutcome::CallFailed(CallError::Server { .. })));
        assert!(matches!(classify_pay(&failed("503")), PayOutcome::CallFailed(CallError::Server { .. })));
        assert_eq!(classify_pay_transport(TransportError::Connect), PayOutcome::NetworkUnavailable);
        assert_eq!(classify_pay_transport(TransportError::Io), PayOutcome::Poll);
        // A 200 with no biz_response is not a success.
        let bare: TradeResponse = serde_json::from_str(r#"{"result_code":"200"}"#).unwrap();
        assert_eq!(classify_pay(&bare), PayOutcome::Poll);
    }

    #[test]
    fn query_follows_the_spec() {
        let cases = [
            (ok("FAIL", Some("UPAY_ORDER_NOT_EXISTS"), None), PollDecision::NotFound),
            (ok("FAIL", Some("UPAY_ORDER_NOT_EXIST"), None), PollDecision::NotFound),
            (ok("FAIL", Some("ILLEGAL_SIGN"), None), PollDecision::Wait),
            (ok("SUCCESS", None, Some("CREATED")), PollDecision::Wait),
            (ok("SUCCESS", None, Some("PAID")), PollDecision::Paid),
            (ok("SUCCESS", None, Some("PAY_CANCELED")), PollDecision::Failed),
            (ok("SUCCESS", None, Some("CANCELED")), PollDecision::Failed),
            (ok("SUCCESS", None, Some("PAY_ERROR")), PollDecision::NeedsSupport),
            (ok("SUCCESS", None, Some("REFUNDED")), PollDecision::NeedsSupport),
            (ok("SUCCESS", None, Some("PARTIAL_REFUNDED")), PollDecision::NeedsSupport),
            (ok("SUCCESS", None, Some("REFUND_ERROR")), PollDecision::NeedsSupport),
            (ok("SUCCESS", None, Some("CANCEL_ERROR")), PollDecision::NeedsSupport),
            (ok("SUCCESS", None, Some("SOMETHING_NEW")), PollDecision::Wait),
            (ok("SUCCESS", None, None), PollDecision::Wait),
        ];
        for (response, expected) in cases {
            assert_eq!(classify_query(&response), expected, "{response:?}");
        }
        assert!(matches!(classify_query(&failed("400")), PollDecision::CallFailed(CallError::Client { .. })));
        assert!(matches!(classify_query(&failed("500")), PollDecision::CallFailed(CallError::Server { .. })));
        assert_eq!(classify_query_transport(TransportError::Io), PollDecision::Wait);
        assert_eq!(classify_query_transport(TransportError::Connect), PollDecision::Wait);
        assert_eq!(next_poll_step(0, 30_000), PollStep::Query);
        assert_eq!(next_poll_step(30_000, 30_000), PollStep::Query);
        assert_eq!(next_poll_step(30_001, 30_000), PollStep::Cancel);
    }

    #[test]
    fn cancel_follows_the_spec() {
        assert_eq!(classify_cancel(&ok("CANCEL_SUCCESS", None, Some("CANCELED"))), CancelOutcome::Cancelled);
        assert_eq!(classify_cancel(&ok("CANCEL_ABORT_SUCCESS", None, None)), CancelOutcome::Cancelled);
        assert_eq!(
            classify_cancel(&ok("FAIL", Some("UPAY_ORDER_NOT_EXISTS"), None)),
            CancelOutcome::NothingToCancel
        );
        assert_eq!(
            classify_cancel(&ok("FAIL", Some("UPAY_CANCEL_INVALID_ORDER_STATE"), None)),
            CancelOutcome::NeedsSupport
        );
        assert_eq!(classify_cancel(&ok("CANCEL_ERROR", None, None)), CancelOutcome::NeedsSupport);
        assert_eq!(classify_cancel(&ok("CANCEL_ABORT_ERROR", None, None)), CancelOutcome::NeedsSupport);
        assert!(matches!(classify_cancel(&failed("400")), CancelOutcome::CallFailed(_)));
        assert_eq!(classify_cancel_transport(TransportError::Io), CancelOutcome::NeedsSupport);
    }

    #[test]
    fn requests_serialise_as_the_spec_says() {
        let amount = SqbAmount::new(Fen(1234)).unwrap();
        let pay = PayRequest::new("T1", "C1", amount, "130115575166786427", "披萨", "刘侃");
        assert_eq!(
            serde_json::to_value(&pay).unwrap(),
            serde_json::json!({"terminal_sn":"T1","client_sn":"C1","total_amount":"1234",
                "dynamic_id":"130115575166786427","subject":"披萨","operator":"刘侃"})
        );
        let refund = RefundRequest::new(OrderRef::by_sn("T1", "789"), "R1", "op", amount);
        assert_eq!(
            serde_json::to_value(&refund).unwrap(),
            serde_json::json!({"terminal_sn":"T1","sn":"789","refund_request_no":"R1","operator":"op","refund_amount":"1234"})
        );
        let keys: TerminalResponse = serde_json::from_str(
            r#"{"result_code":"200","biz_response":{"terminal_sn":"100","terminal_key":"secret-key"}}"#,
        )
        .unwrap();
        assert!(!format!("{keys:?}").contains("secret-key"));
    }
}
