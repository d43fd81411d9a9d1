//! EZR pay wire types (specs/ezr-pay.md): the common signed parameters, pay (B-scan-C), query,
//! cancel, refund apply and refund requests, the `{Success, Msg, Status, BusinessCode,
//! ServerTime, Result}` envelope and each call's result, and `signed_body`, which builds a
//! request body carrying its `Sign`.
//!
//! Field names are PascalCase as on the wire, including the spec's misspelt `TrandeNo` and
//! `OutTrandeNo` in refund answers. Amounts sent are integers in fen; amounts received are
//! `EzrAmount`, because the spec's own pay example writes them as yuan decimals.

use crate::money::Fen;
use crate::sign;
use serde::de::{self, Deserializer};
use serde::ser::{self, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

// ---------------------------------------------------------------------------------------------
// Amounts

/// An amount EZR sent back, read exactly and re-encoded exactly as received.
///
/// The spec is ambiguous: its tables say every amount is an `int` in fen, and its query example
/// agrees (`"TotalAmount": 1`), but its pay example answers the same one-fen order with
/// `"TotalAmount": 0.01` — yuan, as a decimal. So: a JSON integer is read as fen, a JSON number
/// with a decimal point as yuan (parsed from its decimal text with `Fen::from_yuan_str`, so no
/// float arithmetic touches the value, and more than two decimals is refused). An integer is
/// never read as yuan: `1` is one fen, as the tables say, so an answer of `1` for a ¥1.00 order
/// is a mismatch for a person to look at, not a payment.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EzrAmount {
    fen: Fen,
    /// `Some(text)` when it arrived as a yuan decimal, with the decimal text to write back.
    yuan_text: Option<String>,
}

impl EzrAmount {
    /// An amount written as an integer in fen, as the spec's tables describe.
    pub fn from_fen(fen: Fen) -> Self {
        EzrAmount { fen, yuan_text: None }
    }

    /// An amount written as a yuan decimal (`0.01`), as the spec's pay example shows.
    pub fn from_yuan(fen: Fen) -> Self {
        EzrAmount { fen, yuan_text: Some(fen.to_yuan_string()) }
    }

    /// The amount in fen, whichever way it was written.
    pub fn fen(&self) -> Fen {
        self.fen
    }

    /// Whether it arrived as a yuan decimal.
    pub fn is_yuan_decimal(&self) -> bool {
        self.yuan_text.is_some()
    }
}

impl Serialize for EzrAmount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.yuan_text {
            None => serializer.serialize_u64(self.fen.0),
            // The decimal text goes back out as a JSON number: serde_json's `Number` parses it
            // and writes the shortest form that reads back the same, which for a yuan amount of
            // at most two decimals is that same text.
            Some(text) => {
                text.parse::<serde_json::Number>().map_err(ser::Error::custom)?.serialize(serializer)
            }
        }
    }
}

impl<'de> Deserialize<'de> for EzrAmount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = serde_json::Number::deserialize(deserializer)?;
        if let Some(fen) = number.as_u64() {
            return Ok(EzrAmount::from_fen(Fen(fen)));
        }
        // Not a non-negative integer: a decimal, read as yuan from its text.
        let text = number.to_string();
        match Fen::from_yuan_str(&text) {
            Some(fen) => Ok(EzrAmount { fen, yuan_text: Some(text) }),
            None => Err(de::Error::custom(format!(
                "an EZR amount: an integer in fen or a yuan decimal with at most two places, not {text}"
            ))),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Enumerations

/// A `wire_enum!` value that EZR writes as a JSON number (`"BusinessCode": 0`,
/// `"PayType": 0`), or sometimes as a string; it is written back in the shape it came in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Numeric<E> {
    value: E,
    quoted: bool,
}

impl<E> Numeric<E> {
    /// A value written as a JSON number.
    pub fn new(value: E) -> Self {
        Numeric { value, quoted: false }
    }

    pub fn value(&self) -> &E {
        &self.value
    }

    pub fn into_value(self) -> E {
        self.value
    }
}

impl<E> std::ops::Deref for Numeric<E> {
    type Target = E;
    fn deref(&self) -> &E {
        &self.value
    }
}

impl<E: fmt::Display> Serialize for Numeric<E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self.value.to_string();
        match text.parse::<i64>() {
            Ok(n) if !self.quoted => serializer.serialize_i64(n),
            _ => serializer.serialize_str(&text),
        }
    }
}

impl<'de, E: FromStr> Deserialize<'de> for Numeric<E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = (String, bool);
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer code, as a JSON number or a string")
            }
            fn visit_u64<Er: de::Error>(self, v: u64) -> Result<Self::Value, Er> {
                Ok((v.to_string(), false))
            }
            fn visit_i64<Er: de::Error>(self, v: i64) -> Result<Self::Value, Er> {
                Ok((v.to_string(), false))
            }
            fn visit_str<Er: de::Error>(self, v: &str) -> Result<Self::Value, Er> {
                Ok((v.to_owned(), true))
            }
        }
        let (text, quoted) = deserializer.deserialize_any(V)?;
        let value = text.parse().map_err(|_| de::Error::custom(format!("an unreadable code: {text}")))?;
        Ok(Numeric { value, quoted })
    }
}

crate::wire_enum! {
    /// `BusinessCode` of every answer (接口返回码说明).
    pub enum BusinessCode {
        Success = "0",
        /// 业务异常.
        BusinessError = "500",
        /// 参数错误.
        InvalidParameter = "4001",
    }
}

crate::wire_enum! {
    /// `PayType`: which wallet. Sent as the string "0"/"2", answered as the number 0/2.
    pub enum PayType {
        Wechat = "0",
        Alipay = "2",
    }
}

crate::wire_enum! {
    /// `OrderState` of pay and query.
    pub enum OrderState {
        /// Waiting for the payer (e.g. their password).
        Userpaying = "USERPAYING",
        Success = "SUCCESS",
        Payerror = "PAYERROR",
        /// Not paid. The spec warns of one trap: the payer paid, WeChat timed out and three
        /// queries timed out too; then EZR says NOTPAY and the order must be cancelled.
        Notpay = "NOTPAY",
    }
}

crate::wire_enum! {
    /// `RefundState` of refund apply, refund and the query's refund list.
    pub enum RefundState {
        Success = "SUCCESS",
        /// For refund apply: waiting for confirmation in the EZR back office.
        Processing = "PROCESSING",
    }
}

crate::wire_enum! {
    /// `ReverseState` of cancel (撤销状态).
    pub enum ReverseState {
        Success = "SUCCESS",
    }
}

crate::wire_enum! {
    /// `ReverseDesc` of cancel, for Alipay: was the order refunded or just closed.
    pub enum ReverseDesc {
        /// 已支付退款: it had been paid and was refunded.
        Refund = "refund",
        /// 未支付关闭: it had not been paid and was closed.
        Close = "close",
    }
}

crate::wire_enum! {
    /// `ReCall` of cancel: should the cancel be retried.
    pub enum ReCall {
        No = "N",
        Yes = "Y",
    }
}

// ---------------------------------------------------------------------------------------------
// Common parameters and signing

/// The common parameters of every request (公共请求参数) except `Sign`, which `signed_body`
/// computes. `Timestamp` comes in as text (`yyyyMMddHHmmss` in the spec's example) because this
/// crate reads no clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Common {
    pub app_id: String,
    pub timestamp: String,
    pub shop_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_code: Option<String>,
}

impl Common {
    pub fn new(
        app_id: impl Into<String>,
        timestamp: impl Into<String>,
        shop_code: impl Into<String>,
    ) -> Self {
        Common {
            app_id: app_id.into(),
            timestamp: timestamp.into(),
            shop_code: shop_code.into(),
            user_code: None,
        }
    }

    pub fn with_user_code(mut self, user_code: impl Into<String>) -> Self {
        self.user_code = Some(user_code.into());
        self
    }
}

/// Why a request body could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SignedBodyError {
    #[error("the business parameters are not a JSON object")]
    NotAnObject,
    #[error("the business parameters repeat the common parameter {0}")]
    DuplicateField(String),
    #[error("the parameters cannot be serialised: {0}")]
    Serialize(#[from] serde_json::Error),
}

fn to_object<T: Serialize>(value: &T) -> Result<Map<String, Value>, SignedBodyError> {
    match serde_json::to_value(value)? {
        Value::Object(map) => Ok(map),
        _ => Err(SignedBodyError::NotAnObject),
    }
}

/// The JSON body of an EZR request: the common parameters, the business parameters and `Sign`
/// (`sign::ezr_sign_body` over all of them plus `Token`, which itself is never sent).
/// Fails only if `business` is not a struct-like value or repeats a common parameter.
pub fn signed_body<T: Serialize>(
    common: &Common,
    business: &T,
    token: &str,
) -> Result<Map<String, Value>, SignedBodyError> {
    let mut body = to_object(common)?;
    for (key, value) in to_object(business)? {
        if body.contains_key(&key) || key == "Sign" || key == "Token" {
            return Err(SignedBodyError::DuplicateField(key));
        }
        body.insert(key, value);
    }
    let sign = sign::ezr_sign_body(&body, token);
    body.insert("Sign".to_owned(), Value::String(sign));
    Ok(body)
}

// ---------------------------------------------------------------------------------------------
// Requests

/// A line of `GoodsDetail` (pay).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Goods {
    pub goods_id: String,
    pub goods_name: String,
    /// A string in the pay table (an int in the refund tables).
    pub quantity: String,
    /// Unit price in fen.
    pub price: Fen,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_url: Option<String>,
}

/// `POST /upay/pay` (1): B-scan-C, charging the payer's code (`AuthCode`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PayRequest {
    pub auth_code: String,
    pub out_trade_no: String,
    pub body: String,
    /// In fen, an integer.
    pub total_amount: Fen,
    pub spbill_create_ip: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip_old_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay_type: Option<PayType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_detail: Option<Vec<Goods>>,
    /// The part of the amount that discounts apply to, in fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_amount: Option<Fen>,
}

impl PayRequest {
    pub fn new(
        auth_code: impl Into<String>,
        out_trade_no: impl Into<String>,
        body: impl Into<String>,
        total_amount: Fen,
        spbill_create_ip: impl Into<String>,
    ) -> Self {
        PayRequest {
            auth_code: auth_code.into(),
            out_trade_no: out_trade_no.into(),
            body: body.into(),
            total_amount,
            spbill_create_ip: spbill_create_ip.into(),
            vip_old_code: None,
            pay_type: None,
            terminal_id: None,
            goods_detail: None,
            discount_amount: None,
        }
    }

    pub fn with_pay_type(mut self, pay_type: PayType) -> Self {
        self.pay_type = Some(pay_type);
        self
    }

    pub fn with_terminal_id(mut self, terminal_id: impl Into<String>) -> Self {
        self.terminal_id = Some(terminal_id.into());
        self
    }

    pub fn with_vip_old_code(mut self, code: impl Into<String>) -> Self {
        self.vip_old_code = Some(code.into());
        self
    }

    pub fn with_goods(mut self, goods: Vec<Goods>) -> Self {
        self.goods_detail = Some(goods);
        self
    }

    pub fn with_discount_amount(mut self, amount: Fen) -> Self {
        self.discount_amount = Some(amount);
        self
    }
}

/// `POST /upay/query` (2): by EZR's `TradeNo` or our `OutTradeNo` (one of them), with refunds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<String>,
    /// Refund numbers, comma-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_no: Option<String>,
}

impl QueryRequest {
    pub fn by_trade_no(trade_no: impl Into<String>) -> Self {
        QueryRequest { trade_no: Some(trade_no.into()), out_trade_no: None, refund_no: None }
    }

    pub fn by_out_trade_no(out_trade_no: impl Into<String>) -> Self {
        QueryRequest { trade_no: None, out_trade_no: Some(out_trade_no.into()), refund_no: None }
    }

    /// Also asks about these refunds (joined with commas, as the spec wants).
    pub fn with_refund_nos<S: AsRef<str>>(mut self, refund_nos: &[S]) -> Self {
        let joined = refund_nos.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(",");
        self.refund_no = (!joined.is_empty()).then_some(joined);
        self
    }
}

/// `POST /upay/cancel` (3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CancelRequest {
    pub trade_no: String,
}

impl CancelRequest {
    pub fn new(trade_no: impl Into<String>) -> Self {
        CancelRequest { trade_no: trade_no.into() }
    }
}

/// A line of `RefundGoodsInfoList` (refund apply, refund).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RefundGoods {
    pub goods_id: String,
    pub goods_name: String,
    /// Unit price in fen.
    pub price: Fen,
    pub quantity: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_url: Option<String>,
}

impl RefundGoods {
    pub fn new(
        goods_id: impl Into<String>,
        goods_name: impl Into<String>,
        price: Fen,
        quantity: u32,
    ) -> Self {
        RefundGoods {
            goods_id: goods_id.into(),
            goods_name: goods_name.into(),
            price,
            quantity,
            goods_category: None,
            body: None,
            show_url: None,
        }
    }
}

/// `POST /upay/refund/apply` (4): asks for a refund that someone confirms in the EZR back office
/// (answer `PROCESSING`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RefundApplyRequest {
    pub trade_no: String,
    pub refund_amount: Fen,
    pub refund_goods_info_list: Vec<RefundGoods>,
}

impl RefundApplyRequest {
    pub fn new(trade_no: impl Into<String>, refund_amount: Fen, goods: Vec<RefundGoods>) -> Self {
        RefundApplyRequest { trade_no: trade_no.into(), refund_amount, refund_goods_info_list: goods }
    }
}

/// `POST /upay/refund` (5): refunds at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RefundRequest {
    /// Ours, unique per refund.
    pub out_refund_no: String,
    pub trade_no: String,
    pub refund_amount: Fen,
    pub refund_reason: String,
    pub terminal_id: String,
    pub refund_goods_info_list: Vec<RefundGoods>,
}

impl RefundRequest {
    pub fn new(
        out_refund_no: impl Into<String>,
        trade_no: impl Into<String>,
        refund_amount: Fen,
        refund_reason: impl Into<String>,
        terminal_id: impl Into<String>,
        goods: Vec<RefundGoods>,
    ) -> Self {
        RefundRequest {
            out_refund_no: out_refund_no.into(),
            trade_no: trade_no.into(),
            refund_amount,
            refund_reason: refund_reason.into(),
            terminal_id: terminal_id.into(),
            refund_goods_info_list: goods,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Responses

/// Every answer. `Success` and `BusinessCode` 0 mean the call worked; `Msg` says why not.
/// Optional fields are written back as `null`, as EZR writes them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response<T> {
    pub success: bool,
    #[serde(default)]
    pub msg: Option<String>,
    /// HTTP-like status (200).
    #[serde(default)]
    pub status: Option<u16>,
    pub business_code: Numeric<BusinessCode>,
    /// `yyyy-MM-dd HH:mm:ss`.
    #[serde(default)]
    pub server_time: Option<String>,
    // No `default`: serde would then demand `Default` of `T`; a missing `Option` is `None` anyway.
    pub result: Option<T>,
}

impl<T> Response<T> {
    /// The result, when the call succeeded.
    pub fn ok(&self) -> Option<&T> {
        if self.success && *self.business_code.value() == BusinessCode::Success {
            self.result.as_ref()
        } else {
            None
        }
    }
}

/// A coupon applied to a payment (`VoucherDetailList`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Voucher {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub amount: Option<EzrAmount>,
    #[serde(default)]
    pub merchant_contribute: Option<EzrAmount>,
    #[serde(default)]
    pub other_contribute: Option<EzrAmount>,
}

/// The `Result` of pay (1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PayResult {
    #[serde(default)]
    pub pay_type: Option<Numeric<PayType>>,
    #[serde(default)]
    pub payer_id: Option<String>,
    /// Alipay only, already masked by EZR (`159****5620`).
    #[serde(default)]
    pub payer_logon_id: Option<String>,
    #[serde(default)]
    pub terminal_id: Option<String>,
    #[serde(default)]
    pub user_code: Option<String>,
    #[serde(default)]
    pub voucher_detail_list: Option<Vec<Voucher>>,
    #[serde(default)]
    pub trade_no: Option<String>,
    pub out_trade_no: String,
    #[serde(default)]
    pub channel_trade_no: Option<String>,
    pub total_amount: EzrAmount,
    #[serde(default)]
    pub total_merchant_contribute: Option<EzrAmount>,
    #[serde(default)]
    pub total_other_contribute: Option<EzrAmount>,
    /// `TotalAmount - TotalMerchantContribute`.
    #[serde(default)]
    pub income_amount: Option<EzrAmount>,
    #[serde(default)]
    pub finish_time: Option<String>,
    #[serde(default)]
    pub channel_finish_time: Option<String>,
    pub order_state: OrderState,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub error_code_desc: Option<String>,
}

/// A refund in the query's `RefundInfoList`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RefundInfo {
    pub refund_no: String,
    pub refund_amount: EzrAmount,
    pub refund_state: RefundState,
    #[serde(default)]
    pub create_time: Option<String>,
}

/// The `Result` of query (2). (The spec's table types the order numbers as `int`; its example
/// and common sense say string.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryResult {
    #[serde(default)]
    pub trade_no: Option<String>,
    #[serde(default)]
    pub out_trade_no: Option<String>,
    #[serde(default)]
    pub channel_trade_no: Option<String>,
    #[serde(default)]
    pub user_code: Option<String>,
    pub total_amount: EzrAmount,
    #[serde(default)]
    pub pay_amount: Option<EzrAmount>,
    #[serde(default)]
    pub refund_amount: Option<EzrAmount>,
    pub order_state: OrderState,
    #[serde(default)]
    pub pay_type: Option<Numeric<PayType>>,
    #[serde(default)]
    pub pay_time: Option<String>,
    #[serde(default)]
    pub terminal_id: Option<String>,
    #[serde(default)]
    pub payer_id: Option<String>,
    #[serde(default)]
    pub voucher_detail_list: Option<Vec<Voucher>>,
    #[serde(default)]
    pub refund_info_list: Option<Vec<RefundInfo>>,
}

/// The `Result` of cancel (3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CancelResult {
    #[serde(default)]
    pub trade_no: Option<String>,
    #[serde(default)]
    pub out_trade_no: Option<String>,
    #[serde(default)]
    pub re_call: Option<ReCall>,
    pub reverse_state: ReverseState,
    #[serde(default)]
    pub reverse_desc: Option<ReverseDesc>,
    /// The table says `int`, the pay call's twin says string: either is kept as sent.
    #[serde(default)]
    pub error_code: Option<crate::flex::NumOrStr>,
    #[serde(default)]
    pub error_code_desc: Option<String>,
    #[serde(default)]
    pub finish_time: Option<String>,
}

/// The `Result` of refund apply (4). `TrandeNo`/`OutTrandeNo` are the spec's spelling and so the
/// wire's; the correct spelling is read too in case EZR fixes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RefundApplyResult {
    #[serde(rename = "TrandeNo", alias = "TradeNo")]
    pub trade_no: String,
    #[serde(rename = "OutTrandeNo", alias = "OutTradeNo")]
    pub out_trade_no: Option<String>,
    #[serde(default)]
    pub channel_trade_no: Option<String>,
    pub refund_no: String,
    #[serde(default)]
    pub finish_time: Option<String>,
    pub refund_state: RefundState,
}

/// The `Result` of refund (5), with the spec's `TrandeNo`/`OutTrandeNo` spelling.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RefundResult {
    #[serde(rename = "TrandeNo", alias = "TradeNo")]
    pub trade_no: String,
    #[serde(rename = "OutTrandeNo", alias = "OutTradeNo")]
    pub out_trade_no: Option<String>,
    #[serde(default)]
    pub channel_trade_no: Option<String>,
    pub refund_no: String,
    #[serde(default)]
    pub out_refund_no: Option<String>,
    #[serde(default)]
    pub channel_refund_no: Option<String>,
    pub refund_amount: EzrAmount,
    #[serde(default)]
    pub merchant_disct_amt: Option<EzrAmount>,
    #[serde(default)]
    pub channel_disct_amt: Option<EzrAmount>,
    #[serde(default)]
    pub payer_id: Option<String>,
    #[serde(default)]
    pub payer_logon_id: Option<String>,
    #[serde(default)]
    pub finish_time: Option<String>,
    #[serde(default)]
    pub channel_finish_time: Option<String>,
    pub refund_state: RefundState,
}

// Tests fail by panicking, so `unwrap` is the point there; the workspace lint is for library code.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_integers_as_fen_and_decimals_as_yuan() {
        let yuan: EzrAmount = serde_json::from_str("0.01").unwrap();
        assert_eq!(yuan.fen(), Fen(1));
        assert!(yuan.is_yuan_decimal());
        assert_eq!(serde_json::to_string(&yuan).unwrap(), "0.01");
        let fen: EzrAmount = serde_json::from_str("1").unwrap();
        assert_eq!(fen.fen(), Fen(1));
        assert!(!fen.is_yuan_decimal());
        assert_eq!(serde_json::to_string(&fen).unwrap(), "1");
        let big: EzrAmount = serde_json::from_str("12345.6").unwrap();
        assert_eq!(big.fen(), Fen(1_234_560));
        assert_eq!(serde_json::to_string(&big).unwrap(), "12345.6");
        let whole: EzrAmount = serde_json::from_str("1.0").unwrap();
        assert_eq!(whole.fen(), Fen(100));
        for bad in ["0.001", "-1", "-0.5", "\"1\"", "null", "1e30"] {
            assert!(serde_json::from_str::<EzrAmount>(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(serde_json::to_string(&EzrAmount::from_yuan(Fen(1234))).unwrap(), "12.34");
        assert_eq!(serde_json::to_string(&EzrAmount::from_fen(Fen(1234))).unwrap(), "1234");
    }

    #[test]
    fn an_integer_is_fen_and_only_a_decimal_is_yuan() {
        let one: EzrAmount = serde_json::from_str("1").unwrap();
        assert_eq!(one.fen(), Fen(1), "never whole yuan");
        let yuan: EzrAmount = serde_json::from_str("1.00").unwrap();
        assert_eq!(yuan.fen(), Fen(100));
    }

    #[test]
    fn numeric_codes_keep_their_shape_and_unknown_values() {
        let n: Numeric<BusinessCode> = serde_json::from_str("4001").unwrap();
        assert_eq!(*n.value(), BusinessCode::InvalidParameter);
        assert_eq!(serde_json::to_string(&n).unwrap(), "4001");
        let s: Numeric<BusinessCode> = serde_json::from_str("\"0\"").unwrap();
        assert_eq!(*s, BusinessCode::Success);
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"0\"");
        let u: Numeric<BusinessCode> = serde_json::from_str("4002").unwrap();
        assert_eq!(*u, BusinessCode::Unknown("4002".into()));
        assert_eq!(serde_json::to_string(&u).unwrap(), "4002");
        let state: OrderState = serde_json::from_str("\"CLOSED\"").unwrap();
        assert_eq!(serde_json::to_string(&state).unwrap(), "\"CLOSED\"");
    }

    #[test]
    fn signed_body_reproduces_the_spec_example() {
        // The spec's worked example signs the description as `OrderBody` (see sign.rs), so the
        // business parameters here are a map rather than `PayRequest`, which says `Body`.
        let common = Common::new("EZP", "20160523235959", "HQ01S001").with_user_code("KB1001");
        let business = serde_json::json!({
            "AuthCode": "130115575166786427", "OrderBody": "刷卡支付测试", "SpbillCreateIp": "127.0.0.1",
            "TotalAmount": 1, "VipOldCode": "EZ0541688"
        });
        let body = signed_body(&common, &business, "HH1232D").unwrap();
        assert_eq!(body["Sign"], "25a14a34dc6c18bd3da622e24292570d5276cdc3");
        assert!(!body.contains_key("Token"));
        assert!(sign::ezr_verify_body(&body, "HH1232D"));
    }

    #[test]
    fn signed_body_of_a_typed_request() {
        let common = Common::new("EZP", "20160523235959", "HQ01S001");
        let pay = PayRequest::new("130115575166786427", "POS1", "刷卡支付测试", Fen(1), "127.0.0.1")
            .with_pay_type(PayType::Alipay);
        let body = signed_body(&common, &pay, "HH1232D").unwrap();
        assert_eq!(body["TotalAmount"], 1);
        assert_eq!(body["PayType"], "2");
        assert!(!body.contains_key("VipOldCode"));
        assert!(sign::ezr_verify_body(&body, "HH1232D"));
        assert!(!sign::ezr_verify_body(&body, "other-token"));
        let clash = serde_json::json!({ "ShopCode": "X" });
        assert!(
            matches!(signed_body(&common, &clash, "t"), Err(SignedBodyError::DuplicateField(k)) if k == "ShopCode")
        );
        assert!(matches!(signed_body(&common, &"text", "t"), Err(SignedBodyError::NotAnObject)));
    }

    #[test]
    fn query_joins_refund_numbers() {
        let q = QueryRequest::by_out_trade_no("POS1").with_refund_nos(&["R1", "R2"]);
        assert_eq!(
            serde_json::to_value(&q).unwrap(),
            serde_json::json!({"OutTradeNo": "POS1", "RefundNo": "R1,R2"})
        );
    }

    #[test]
    fn refund_answers_keep_the_misspelt_names() {
        let r: RefundApplyResult = serde_json::from_str(
            r#"{"TradeNo":"AP1","OutTradeNo":"POS1","RefundNo":"R1","RefundState":"PROCESSING"}"#,
        )
        .unwrap();
        let back = serde_json::to_value(&r).unwrap();
        assert_eq!(back["TrandeNo"], "AP1");
        assert_eq!(back["OutTrandeNo"], "POS1");
    }
}
