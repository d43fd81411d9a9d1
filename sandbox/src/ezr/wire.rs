//! EZR pay bodies as `ezr-pay.md` writes them, read by the sandbox on its own: PascalCase
//! fields, amounts `int` in fen (the pay answer's example writes yuan decimals, `0.01`; the
//! sandbox follows the example there), and the `{Success, Msg, Status, BusinessCode, ServerTime,
//! Result}` envelope with BusinessCode 0 / 500 / 4001.

use crate::money::Fen;
use crate::textenum::text_enum;
use serde::{Deserialize, Serialize, Serializer};

/// 接口返回码说明 (BusinessCode).
pub(crate) const SUCCESS: u32 = 0;
pub(crate) const BUSINESS_ERROR: u32 = 500;
pub(crate) const INVALID_PARAMETER: u32 = 4001;

text_enum! {
    /// `PayType`: "0" 微信, "2" 支付宝 (a digit string in requests, an int in answers).
    pub(crate) enum PayType {
        Wechat = "0",
        Alipay = "2",
    }
}

impl PayType {
    /// The answers' `int`.
    pub(crate) fn number(&self) -> Option<u32> {
        self.as_str().parse().ok()
    }
}

text_enum! {
    /// `OrderState` (pay's 备注).
    pub(crate) enum OrderState {
        Userpaying = "USERPAYING",
        Success = "SUCCESS",
        Payerror = "PAYERROR",
        Notpay = "NOTPAY",
    }
}

text_enum! {
    /// `RefundState`: query's SUCCESS/PROCESSING, refund apply's PROCESSING ("需要到EZR后台确认
    /// 退款"), refund's SUCCESS. A rejected application has no name in the spec.
    pub(crate) enum RefundState {
        Success = "SUCCESS",
        Processing = "PROCESSING",
    }
}

text_enum! {
    /// Cancel's `ReverseState`.
    pub(crate) enum ReverseState {
        Success = "SUCCESS",
    }
}

text_enum! {
    /// Cancel's `ReverseDesc`: "refund-已支付退款 close-未支付关闭".
    pub(crate) enum ReverseDesc {
        Refund = "refund",
        Close = "close",
    }
}

/// An amount written as yuan with two decimals, as the pay answer's example (`0.01`) does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Yuan(pub(crate) Fen);

impl Serialize for Yuan {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A JSON number with a decimal point: never an integer a reader could take for fen.
        let number: serde_json::Number = self.0.yuan_text().parse().map_err(serde::ser::Error::custom)?;
        number.serialize(s)
    }
}

// ---------------------------------------------------------------------------------------------
// Requests (the common parameters AppId, Sign, Timestamp, ShopCode, UserCode are read apart)

/// Pay's `GoodsDetail` entry (`Quantity` is a string here, an int in the refund lists). The
/// optional GoodsCategory, Body and ShowUrl play no part and are not read.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PayGoods {
    pub(crate) goods_id: String,
    pub(crate) goods_name: String,
    pub(crate) quantity: String,
    /// Required and an int in fen; no rule ties it to the total, so it is only decoded.
    #[serde(rename = "Price")]
    pub(crate) _price: Fen,
}

/// The required goods fields that are blank, as `GoodsDetail[i].GoodsId`.
pub(crate) fn goods_fault<'a>(
    list: &str,
    goods: impl Iterator<Item = (&'a str, &'a str, Option<&'a str>)>,
) -> Option<String> {
    for (i, (id, name, quantity)) in goods.enumerate() {
        if id.trim().is_empty() {
            return Some(format!("{list}[{i}].GoodsId"));
        }
        if name.trim().is_empty() {
            return Some(format!("{list}[{i}].GoodsName"));
        }
        // Pay's Quantity is a string: a count of at least one.
        if quantity.is_some_and(|q| q.parse::<u64>().map_or(true, |n| n == 0)) {
            return Some(format!("{list}[{i}].Quantity"));
        }
    }
    None
}

/// 1. 支付.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PayRequest {
    pub(crate) auth_code: String,
    pub(crate) out_trade_no: String,
    pub(crate) body: String,
    pub(crate) total_amount: Fen,
    pub(crate) spbill_create_ip: String,
    #[serde(default)]
    pub(crate) pay_type: Option<PayType>,
    #[serde(default)]
    pub(crate) terminal_id: Option<String>,
    #[serde(default)]
    pub(crate) goods_detail: Option<Vec<PayGoods>>,
    #[serde(default)]
    pub(crate) discount_amount: Option<Fen>,
}

/// 2. 查询: `TradeNo` or `OutTradeNo`; `RefundNo` a comma-separated list.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct QueryRequest {
    #[serde(default)]
    pub(crate) trade_no: Option<String>,
    #[serde(default)]
    pub(crate) out_trade_no: Option<String>,
    #[serde(default)]
    pub(crate) refund_no: Option<String>,
}

/// 3. 撤销.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CancelRequest {
    pub(crate) trade_no: String,
}

/// A `RefundGoodsInfoList` entry (4. and 5.); the optional fields of 5.'s list are not read.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RefundGoods {
    pub(crate) goods_id: String,
    pub(crate) goods_name: String,
    /// Required and an int in fen; only decoded.
    #[serde(rename = "Price")]
    pub(crate) _price: Fen,
    pub(crate) quantity: u64,
}

impl RefundGoods {
    /// The list's blank names or zero quantities, as `RefundGoodsInfoList[i].GoodsId`.
    pub(crate) fn fault(list: &[RefundGoods]) -> Option<String> {
        let quantities = list.iter().position(|g| g.quantity == 0);
        goods_fault(
            "RefundGoodsInfoList",
            list.iter().map(|g| (g.goods_id.as_str(), g.goods_name.as_str(), None)),
        )
        .or_else(|| quantities.map(|i| format!("RefundGoodsInfoList[{i}].Quantity")))
    }
}

/// 4. 申请退款.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RefundApplyRequest {
    pub(crate) trade_no: String,
    pub(crate) refund_amount: Fen,
    pub(crate) refund_goods_info_list: Vec<RefundGoods>,
}

/// 5. 退款.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RefundRequest {
    pub(crate) out_refund_no: String,
    pub(crate) trade_no: String,
    pub(crate) refund_amount: Fen,
    pub(crate) refund_reason: String,
    pub(crate) terminal_id: String,
    pub(crate) refund_goods_info_list: Vec<RefundGoods>,
}

// ---------------------------------------------------------------------------------------------
// Answers: every field written, `null` without a value, as the examples show

/// 1. 支付's `Result`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PayResult {
    pub(crate) pay_type: Option<u32>,
    pub(crate) payer_id: Option<String>,
    pub(crate) payer_logon_id: Option<String>,
    pub(crate) terminal_id: Option<String>,
    pub(crate) user_code: Option<String>,
    pub(crate) voucher_detail_list: Option<Vec<serde_json::Value>>,
    pub(crate) trade_no: Option<String>,
    pub(crate) out_trade_no: String,
    pub(crate) channel_trade_no: Option<String>,
    pub(crate) total_amount: Yuan,
    pub(crate) total_merchant_contribute: Option<Fen>,
    pub(crate) total_other_contribute: Option<Fen>,
    pub(crate) income_amount: Option<Yuan>,
    pub(crate) finish_time: Option<String>,
    pub(crate) channel_finish_time: Option<String>,
    pub(crate) order_state: OrderState,
    pub(crate) error_code: Option<String>,
    pub(crate) error_code_desc: Option<String>,
}

/// A `RefundInfoList` entry.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RefundInfo {
    pub(crate) refund_no: String,
    pub(crate) refund_amount: Fen,
    pub(crate) refund_state: RefundState,
    pub(crate) create_time: Option<String>,
}

/// 2. 查询's `Result`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct QueryResult {
    pub(crate) trade_no: Option<String>,
    pub(crate) out_trade_no: Option<String>,
    pub(crate) channel_trade_no: Option<String>,
    pub(crate) user_code: Option<String>,
    pub(crate) total_amount: Fen,
    pub(crate) pay_amount: Option<Fen>,
    pub(crate) refund_amount: Option<Fen>,
    pub(crate) order_state: OrderState,
    pub(crate) pay_type: Option<u32>,
    pub(crate) pay_time: Option<String>,
    pub(crate) terminal_id: Option<String>,
    pub(crate) payer_id: Option<String>,
    pub(crate) voucher_detail_list: Option<Vec<serde_json::Value>>,
    pub(crate) refund_info_list: Option<Vec<RefundInfo>>,
}

/// 3. 撤销's `Result`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CancelResult {
    pub(crate) trade_no: Option<String>,
    pub(crate) out_trade_no: Option<String>,
    /// "N" 不需要 / "Y" 需要 (retry).
    pub(crate) re_call: Option<String>,
    pub(crate) reverse_state: ReverseState,
    pub(crate) reverse_desc: Option<ReverseDesc>,
    pub(crate) error_code: Option<String>,
    pub(crate) error_code_desc: Option<String>,
    pub(crate) finish_time: Option<String>,
}

/// 4. 申请退款's `Result`, with the spec's `TrandeNo`/`OutTrandeNo` spelling.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct RefundApplyResult {
    #[serde(rename = "TrandeNo")]
    pub(crate) trade_no: String,
    #[serde(rename = "OutTrandeNo")]
    pub(crate) out_trade_no: Option<String>,
    #[serde(rename = "ChannelTradeNo")]
    pub(crate) channel_trade_no: Option<String>,
    #[serde(rename = "RefundNo")]
    pub(crate) refund_no: String,
    #[serde(rename = "FinishTime")]
    pub(crate) finish_time: Option<String>,
    #[serde(rename = "RefundState")]
    pub(crate) refund_state: RefundState,
}

/// 5. 退款's `Result`, with the spec's `TrandeNo`/`OutTrandeNo` spelling.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct RefundResult {
    #[serde(rename = "TrandeNo")]
    pub(crate) trade_no: String,
    #[serde(rename = "OutTrandeNo")]
    pub(crate) out_trade_no: Option<String>,
    #[serde(rename = "ChannelTradeNo")]
    pub(crate) channel_trade_no: Option<String>,
    #[serde(rename = "RefundNo")]
    pub(crate) refund_no: String,
    #[serde(rename = "OutRefundNo")]
    pub(crate) out_refund_no: Option<String>,
    #[serde(rename = "ChannelRefundNo")]
    pub(crate) channel_refund_no: Option<String>,
    #[serde(rename = "RefundAmount")]
    pub(crate) refund_amount: Fen,
    #[serde(rename = "MerchantDisctAmt")]
    pub(crate) merchant_disct_amt: Option<Fen>,
    #[serde(rename = "ChannelDisctAmt")]
    pub(crate) channel_disct_amt: Option<Fen>,
    #[serde(rename = "PayerId")]
    pub(crate) payer_id: Option<String>,
    #[serde(rename = "PayerLogonId")]
    pub(crate) payer_logon_id: Option<String>,
    #[serde(rename = "FinishTime")]
    pub(crate) finish_time: Option<String>,
    #[serde(rename = "ChannelFinishTime")]
    pub(crate) channel_finish_time: Option<String>,
    #[serde(rename = "RefundState")]
    pub(crate) refund_state: RefundState,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_is_written_with_a_decimal_point() {
        assert_eq!(serde_json::to_string(&Yuan(Fen(1))).unwrap_or_default(), "0.01");
        assert_eq!(serde_json::to_string(&Yuan(Fen(1234))).unwrap_or_default(), "12.34");
        assert_eq!(serde_json::to_string(&Yuan(Fen(100))).unwrap_or_default(), "1.0");
    }

    #[test]
    fn pay_type_is_a_digit_string_in_and_a_number_out() {
        let p: PayRequest = crate::json::decode(
            br#"{"AuthCode":"130115575166786427","OutTradeNo":"O","Body":"b","TotalAmount":1,"SpbillCreateIp":"127.0.0.1","PayType":"2"}"#,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(p.pay_type.as_ref().and_then(PayType::number), Some(2));
        let bad = crate::json::decode::<PayRequest>(
            br#"{"AuthCode":"1","OutTradeNo":"O","Body":"b","TotalAmount":"1","SpbillCreateIp":"x"}"#,
        );
        assert_eq!(bad.map(|_| ()).unwrap_err().field(), "TotalAmount", "an int, not a string");
    }
}

#[cfg(test)]
mod answer_shapes {
    //! Each answer has exactly the fields of the spec's example for it.
    use super::*;
    use std::collections::BTreeSet;

    fn keys(v: &serde_json::Value) -> BTreeSet<String> {
        v.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
    }

    fn example_keys(example: &str) -> BTreeSet<String> {
        keys(&serde_json::from_str::<serde_json::Value>(example).unwrap_or_default())
    }

    #[test]
    fn pay_query_cancel_apply_and_refund_answers_have_the_examples_fields() {
        let pay = PayResult {
            pay_type: Some(0),
            payer_id: None,
            payer_logon_id: None,
            terminal_id: None,
            user_code: None,
            voucher_detail_list: None,
            trade_no: None,
            out_trade_no: "O".into(),
            channel_trade_no: None,
            total_amount: Yuan(Fen(1)),
            total_merchant_contribute: None,
            total_other_contribute: None,
            income_amount: None,
            finish_time: None,
            channel_finish_time: None,
            order_state: OrderState::Success,
            error_code: None,
            error_code_desc: None,
        };
        let spec_pay = r#"{"PayType": 0, "PayerId": "oV5mxvz2KRy_Ey8DEIulG0HQpyeU", "PayerLogonId": "159****5620",
            "TerminalId": "test001TerminalId", "UserCode": null, "VoucherDetailList": null,
            "TradeNo": "WP01085519082300000001", "OutTradeNo": "POS1566540689295",
            "ChannelTradeNo": "4200000380201908236033064095", "TotalAmount": 0.01, "TotalMerchantContribute": 0,
            "TotalOtherContribute": 0, "IncomeAmount": 0.01, "FinishTime": "2019-08-23 14:11:06",
            "ChannelFinishTime": "2019-08-23 14:11:31", "OrderState": "SUCCESS", "ErrorCode": null, "ErrorCodeDesc": null}"#;
        let value = serde_json::to_value(&pay).unwrap_or_default();
        assert_eq!(keys(&value), example_keys(spec_pay));
        assert_eq!(value["TotalAmount"].to_string(), "0.01", "as the example writes it");

        let query = QueryResult {
            trade_no: None,
            out_trade_no: None,
            channel_trade_no: None,
            user_code: None,
            total_amount: Fen(1),
            pay_amount: None,
            refund_amount: None,
            order_state: OrderState::Success,
            pay_type: None,
            pay_time: None,
            terminal_id: None,
            payer_id: None,
            voucher_detail_list: None,
            refund_info_list: Some(vec![RefundInfo {
                refund_no: "R".into(),
                refund_amount: Fen(1),
                refund_state: RefundState::Success,
                create_time: None,
            }]),
        };
        let spec_query = r#"{"TradeNo": "AP01106119081800000002", "OutTradeNo": "POS1566114508737",
            "ChannelTradeNo": "2019081822001483430542089451", "UserCode": null, "TotalAmount": 1, "PayAmount": 1,
            "RefundAmount": 1, "OrderState": "SUCCESS", "PayType": 0, "PayTime": "2019-08-18 15:48:38",
            "TerminalId": "test001TerminalId", "PayerId": "oV5mxvz2KRy_Ey8DEIulG0HQpyeU", "VoucherDetailList": null,
            "RefundInfoList": [ { "RefundNo": "APR01286419081800000002", "RefundAmount": 1, "RefundState": "SUCCESS",
            "CreateTime": "2019-08-18 15:49:35" } ] }"#;
        let value = serde_json::to_value(&query).unwrap_or_default();
        assert_eq!(keys(&value), example_keys(spec_query));
        let spec_info: serde_json::Value = serde_json::from_str(spec_query).unwrap_or_default();
        assert_eq!(keys(&value["RefundInfoList"][0]), keys(&spec_info["RefundInfoList"][0]));

        let cancel = CancelResult {
            trade_no: None,
            out_trade_no: None,
            re_call: Some("N".into()),
            reverse_state: ReverseState::Success,
            reverse_desc: Some(ReverseDesc::Refund),
            error_code: None,
            error_code_desc: None,
            finish_time: None,
        };
        let spec_cancel = r#"{"TradeNo": "AP01625319081700000015", "OutTradeNo": "POS1566035451985", "ReCall": "N",
            "ReverseState": "SUCCESS", "ReverseDesc": "refund", "ErrorCode": null, "ErrorCodeDesc": null,
            "FinishTime": "2019-08-17 17:52:30"}"#;
        assert_eq!(keys(&serde_json::to_value(&cancel).unwrap_or_default()), example_keys(spec_cancel));

        let apply = RefundApplyResult {
            trade_no: "T".into(),
            out_trade_no: None,
            channel_trade_no: None,
            refund_no: "R".into(),
            finish_time: None,
            refund_state: RefundState::Processing,
        };
        let spec_apply = r#"{"TrandeNo": "AP01106119081800000002", "OutTrandeNo": "POS1566114508737",
            "ChannelTradeNo": "2019081822001483430542089451", "RefundNo": "APR01286419081800000002",
            "FinishTime": "2019-08-18 15:49:35", "RefundState": "PROCESSING"}"#;
        assert_eq!(keys(&serde_json::to_value(&apply).unwrap_or_default()), example_keys(spec_apply));

        let refund = RefundResult {
            trade_no: "T".into(),
            out_trade_no: None,
            channel_trade_no: None,
            refund_no: "R".into(),
            out_refund_no: None,
            channel_refund_no: None,
            refund_amount: Fen(1),
            merchant_disct_amt: None,
            channel_disct_amt: None,
            payer_id: None,
            payer_logon_id: None,
            finish_time: None,
            channel_finish_time: None,
            refund_state: RefundState::Success,
        };
        let spec_refund = r#"{"TrandeNo": "AP01106119081800000002", "OutTrandeNo": "POS1566114508737",
            "ChannelTradeNo": "2019081822001483430542089451", "RefundNo": "APR01286419081800000002",
            "OutRefundNo": "testrefundno", "ChannelRefundNo": "testchannelrefundno", "RefundAmount": 1,
            "MerchantDisctAmt": 0, "ChannelDisctAmt": 0, "PayerId": "test", "PayerLogonId": "test",
            "FinishTime": "2019-08-18 15:49:35", "ChannelFinishTime": "2019-08-18 15:49:35", "RefundState": "SUCCESS"}"#;
        assert_eq!(keys(&serde_json::to_value(&refund).unwrap_or_default()), example_keys(spec_refund));
    }
}
