//! Shouqianba upay v2 bodies as `shouqianba-upay-v2.md` writes them, read by the sandbox on its
//! own: snake_case fields, every value a string ("所有返回数据的类型都是 字符串"), amounts in fen
//! as strings of at most 10 digits, and the appendix code lists.

use crate::money::Fen;
use crate::textenum::text_enum;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

text_enum! {
    /// 附录1: `result_code` of the call itself.
    pub(crate) enum CommResult {
        Ok = "200",
        ClientError = "400",
        ServerError = "500",
    }
}

text_enum! {
    /// 附录1 通讯错误码. (Examples iv and v of 3.2 write `TERMINAL_NOT_EXISTS` and
    /// `INVALID_PARAMETER`; the sandbox answers the appendix's codes.)
    pub(crate) enum CommErrorCode {
        InvalidParams = "INVALID_PARAMS",
        InvalidTerminal = "INVALID_TERMINAL",
        IllegalSign = "ILLEGAL_SIGN",
        InvalidBarcode = "INVALID_BARCODE",
        UnknownSystemError = "UNKNOWN_SYSTEM_ERROR",
        UnexpectedProviderError = "UNEXPECTED_PROVIDER_ERROR",
    }
}

text_enum! {
    /// 附录2 业务响应码. `PAY_IN_PROGRESS` is not in the list (example ii, 交易进行中, is
    /// empty): it is the name the sandbox gives a payment still in progress, which §2.4's
    /// algorithm polls like any code it does not name.
    pub(crate) enum BizResultCode {
        PaySuccess = "PAY_SUCCESS",
        PayFail = "PAY_FAIL",
        PayFailError = "PAY_FAIL_ERROR",
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
        Fail = "FAIL",
    }
}

text_enum! {
    /// 附录5 业务执行错误码. (§2.4's pseudo-code compares with `UPAY_ORDER_NOT_EXISTS`; the
    /// appendix, which the sandbox answers, spells it `UPAY_ORDER_NOT_EXIST`.)
    pub(crate) enum BizErrorCode {
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
        UpayOrderNotExist = "UPAY_ORDER_NOT_EXIST",
        RefundRequestConflict = "REFUND_REQUEST_CONFLICT",
        UnexpectedProviderError = "UNEXPECTED_PROVIDER_ERROR",
        /// Refund and cancel failures in 3.3/5.3's examples.
        UpayRefundInvalidOrderState = "UPAY_REFUND_INVALID_ORDER_STATE",
        UpayCancelInvalidOrderState = "UPAY_CANCEL_INVALID_ORDER_STATE",
    }
}

text_enum! {
    /// 附录3 订单状态.
    pub(crate) enum OrderStatus {
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

text_enum! {
    /// 附录4 流水状态. It has no name for a flow not finished yet; the sandbox writes
    /// `IN_PROG` for it (as `Unknown`).
    pub(crate) enum TransactionStatus {
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

text_enum! {
    /// 附录6 支付方式.
    pub(crate) enum Payway {
        Alipay = "1",
        Wechat = "3",
        Baifubao = "4",
        Jd = "5",
    }
}

text_enum! {
    /// 附录7 二级支付方式.
    pub(crate) enum SubPayway {
        Barcode = "1",
        Qrcode = "2",
    }
}

/// An amount: "以分为单位,不超过10位" — a string of 1 to 10 digits (no sign, no leading zero),
/// in fen. A JSON number is not a string and is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Amount(pub(crate) Fen);

impl Amount {
    pub(crate) fn fen(self) -> Fen {
        self.0
    }

    pub(crate) fn parse(text: &str) -> Option<Amount> {
        let digits = !text.is_empty() && text.len() <= 10 && text.bytes().all(|b| b.is_ascii_digit());
        let canonical = text == "0" || !text.starts_with('0');
        (digits && canonical).then(|| text.parse().ok().map(|n| Amount(Fen(n)))).flatten()
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Amount::parse(&text).ok_or_else(|| serde::de::Error::custom("not 1 to 10 digits of fen"))
    }
}

// ---------------------------------------------------------------------------------------------
// Requests

/// Terminal activation (not in the upay v2 text; the product's terminal rules), signed with the
/// vendor key.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct ActivateRequest {
    pub(crate) app_id: String,
    pub(crate) code: String,
    pub(crate) device_id: String,
}

/// The daily check-in, signed with the terminal's current key.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct CheckinRequest {
    pub(crate) terminal_sn: String,
    pub(crate) device_id: String,
}

/// 2.2 付款.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct PayRequest {
    pub(crate) terminal_sn: String,
    pub(crate) client_sn: String,
    pub(crate) total_amount: Amount,
    #[serde(default)]
    pub(crate) payway: Option<Payway>,
    pub(crate) dynamic_id: String,
    pub(crate) subject: String,
    pub(crate) operator: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) longitude: Option<String>,
    #[serde(default)]
    pub(crate) latitude: Option<String>,
    #[serde(default)]
    pub(crate) device_id: Option<String>,
    #[serde(default)]
    pub(crate) extended: Option<String>,
    /// The 2.2 table spells it `reflact`, 6.2 and every answer `reflect`: both are read.
    #[serde(default, alias = "reflact")]
    pub(crate) reflect: Option<String>,
}

/// 6.2 预下单.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct PrecreateRequest {
    pub(crate) terminal_sn: String,
    pub(crate) client_sn: String,
    pub(crate) total_amount: Amount,
    pub(crate) payway: Payway,
    pub(crate) subject: String,
    pub(crate) operator: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) longitude: Option<String>,
    #[serde(default)]
    pub(crate) latitude: Option<String>,
    #[serde(default)]
    pub(crate) device_id: Option<String>,
    #[serde(default)]
    pub(crate) extended: Option<String>,
    #[serde(default, alias = "reflact")]
    pub(crate) reflect: Option<String>,
}

/// 4.2 查询 and 5.2 撤单: the terminal, and `sn` or `client_sn`.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct OrderRef {
    pub(crate) terminal_sn: String,
    #[serde(default)]
    pub(crate) sn: Option<String>,
    #[serde(default)]
    pub(crate) client_sn: Option<String>,
}

/// 3.2 退款. The table marks `sn` and `client_sn` both required (Y): both must be sent, and name
/// the same order.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct RefundRequest {
    pub(crate) terminal_sn: String,
    pub(crate) sn: String,
    pub(crate) client_sn: String,
    pub(crate) refund_request_no: String,
    pub(crate) operator: String,
    pub(crate) refund_amount: Amount,
}

// ---------------------------------------------------------------------------------------------
// Answers

/// The three layers (3.1): `result_code` of the call, then `biz_response`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Response<B> {
    pub(crate) result_code: CommResult,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error_code: Option<CommErrorCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) biz_response: Option<B>,
}

/// `biz_response`: its own `result_code`, and `data` (the order) when there is one.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct BizResponse<T> {
    pub(crate) result_code: BizResultCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error_code: Option<BizErrorCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) data: Option<T>,
}

/// `biz_response.data`: the order (3.1's field list, 2.3/3.3/4.3/5.3/6.3). Fields without a value
/// are left out, as the examples do. (3.1 lists `pay_login`, 2.3 `payer_login`: the sandbox, which
/// never knows a payer's login, writes neither; `description` is asked for but never answered.)
#[derive(Clone, Debug, Serialize)]
pub(crate) struct OrderData {
    pub(crate) sn: String,
    pub(crate) client_sn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ctime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<TransactionStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) order_status: Option<OrderStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) payway: Option<Payway>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sub_payway: Option<SubPayway>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) payer_uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) payer_login: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) trade_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) total_amount: Option<Amount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) net_amount: Option<Amount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) finish_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) channel_finish_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) terminal_sn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) store_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) operator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reflect: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) qr_code: Option<String>,
}

/// The activation and check-in answer (`biz_response`).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct TerminalKeys {
    pub(crate) terminal_sn: String,
    pub(crate) terminal_key: String,
    pub(crate) merchant_sn: String,
    pub(crate) merchant_name: String,
    pub(crate) store_sn: String,
    pub(crate) store_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_data_writes_only_fields_the_spec_answers() {
        let full = OrderData {
            sn: "7894259244067349".into(),
            client_sn: "12345677767776".into(),
            ctime: Some("1449036464229".into()),
            status: Some(TransactionStatus::Success),
            order_status: Some(OrderStatus::Paid),
            payway: Some(Payway::Wechat),
            sub_payway: Some(SubPayway::Barcode),
            payer_uid: Some("okSzXt3uY4-W8fKBH7B4z8seMzBU".into()),
            payer_login: Some("x".into()),
            trade_no: Some("1006101016201512081965934048".into()),
            total_amount: Some(Amount(Fen(1))),
            net_amount: Some(Amount(Fen(1))),
            finish_time: Some("1449569460430".into()),
            channel_finish_time: Some("1449569460000".into()),
            terminal_sn: Some("1122234-dewls02s2".into()),
            store_id: Some("00293001928483902".into()),
            subject: Some("达美乐披萨".into()),
            operator: Some("刘侃".into()),
            reflect: Some("r".into()),
            qr_code: Some("weixin://wxpay/bizpayurl?pr=abc".into()),
        };
        // 3.1's list, with 2.3's payer_login, the query example's ctime and 6.3's qr_code.
        let answered = [
            "sn",
            "client_sn",
            "status",
            "order_status",
            "payer_uid",
            "pay_login",
            "payer_login",
            "trade_no",
            "total_amount",
            "net_amount",
            "payway",
            "sub_payway",
            "finish_time",
            "channel_finish_time",
            "terminal_sn",
            "store_id",
            "subject",
            "reflect",
            "operator",
            "ctime",
            "qr_code",
        ];
        let value = serde_json::to_value(&full).unwrap_or_default();
        for key in value.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
            assert!(answered.contains(&key.as_str()), "{key} is not a field the spec answers");
        }
        // Every value is a string ("所有返回数据的类型都是 字符串").
        assert!(value.as_object().is_some_and(|m| m.values().all(serde_json::Value::is_string)));
    }

    #[test]
    fn amounts_are_strings_of_at_most_ten_digits() {
        assert_eq!(Amount::parse("1"), Some(Amount(Fen(1))));
        assert_eq!(Amount::parse("9999999999"), Some(Amount(Fen(9_999_999_999))));
        for bad in ["", "12345678901", "-1", "1.5", "01", " 1", "１"] {
            assert_eq!(Amount::parse(bad), None, "{bad:?}");
        }
        assert!(serde_json::from_str::<Amount>("100").is_err(), "a number is not a String");
        assert_eq!(serde_json::to_string(&Amount(Fen(30))).unwrap_or_default(), "\"30\"");
    }

    #[test]
    fn the_pay_example_fields_decode_and_reflact_is_read_as_reflect() {
        let body = r#"{"terminal_sn":"1122234-dewls02s2","client_sn":"12345677767776","total_amount":"1",
            "dynamic_id":"130818341921441147","subject":"达美乐披萨","operator":"刘侃","reflact":"r"}"#;
        let p: PayRequest = crate::json::decode(body.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((p.total_amount.fen(), p.reflect.as_deref()), (Fen(1), Some("r")));
    }
}
