//! EZR calls as data: pay (barcode), query, cancel, refund (§5) and refund apply (§4), each
//! signed with the EZR token over the common and business parameters (PRODUCT.md's rule, in
//! `crate::ezr::signed_body`), and their answers read into shared outcomes. EZR's pay → query →
//! cancel on NOTPAY is driven by the session; here is only what one answer means.

use super::{
    ListedRefund, ListedState, Op, Outcome, PayState, PaymentFact, RefundFact, UpstreamRequest, failed, join,
};
use crate::china_time;
use crate::ezr::{
    self as wire, BusinessCode, CancelRequest, CancelResult, Common, OrderState, PayRequest, PayResult,
    QueryRequest, QueryResult, ReCall, RefundApplyRequest, RefundApplyResult, RefundGoods, RefundRequest,
    RefundResult, RefundState,
};
use crate::json::decode;
use crate::money::Fen;
use crate::sign::Secret;

/// `SpbillCreateIp` when the shopper's address is unknown (no `CF-Connecting-IP`, as under
/// `wrangler dev`, or not an IP address): the spec's own example value.
pub const FALLBACK_IP: &str = "127.0.0.1";
/// `TerminalId` (required by §5 refund, optional on pay) when `EZR_TERMINAL_ID` is not set.
pub const DEFAULT_TERMINAL_ID: &str = "checkout-edge";
/// `RefundReason` (required by §5) when the merchant gave none.
pub const DEFAULT_REFUND_REASON: &str = "商户退款";

/// What the edge needs to sign an EZR call. `Debug` never shows the token (it is a `Secret`).
#[derive(Clone, Debug)]
pub struct Credentials<'a> {
    pub api_url: &'a str,
    pub app_id: &'a str,
    pub shop_code: &'a str,
    /// `EZR_TERMINAL_ID`, or `DEFAULT_TERMINAL_ID`.
    pub terminal_id: &'a str,
    pub token: &'a Secret,
}

/// The one line of a `RefundGoodsInfoList` (required by §4 and §5): a checkout session is one
/// thing bought once, at the refunded amount.
fn refund_goods(subject: &str, amount: Fen) -> Vec<RefundGoods> {
    vec![RefundGoods::new("checkout", subject.chars().take(64).collect::<String>(), amount, 1)]
}

/// `SpbillCreateIp`: the shopper's address when it is one, else `FALLBACK_IP`.
pub fn spbill_create_ip(client_ip: Option<&str>) -> &str {
    client_ip.map(str::trim).filter(|ip| ip.parse::<std::net::IpAddr>().is_ok()).unwrap_or(FALLBACK_IP)
}

/// The signed request for an EZR `op` at `now_ms`; `None` for other gateways' operations.
pub fn build(op: &Op, creds: &Credentials<'_>, now_ms: u64) -> Option<UpstreamRequest> {
    let common = Common::new(creds.app_id, china_time::compact(now_ms), creds.shop_code);
    let token = creds.token.expose();
    let (path, body) = match op {
        Op::EzrPay { order_no, amount, subject, code, client_ip } => {
            let pay =
                PayRequest::new(code, order_no, subject, *amount, spbill_create_ip(client_ip.as_deref()))
                    .with_terminal_id(creds.terminal_id);
            ("/upay/pay", wire::signed_body(&common, &pay, token).ok()?)
        }
        Op::EzrQuery { order_no } => (
            "/upay/query",
            wire::signed_body(&common, &QueryRequest::by_out_trade_no(order_no.as_str()), token).ok()?,
        ),
        Op::EzrCancel { gateway_ref } => (
            "/upay/cancel",
            wire::signed_body(&common, &CancelRequest::new(gateway_ref.as_str()), token).ok()?,
        ),
        Op::EzrRefund { gateway_ref, refund_no, amount, reason, subject, .. } => {
            let refund = RefundRequest::new(
                refund_no,
                gateway_ref,
                *amount,
                reason,
                creds.terminal_id,
                refund_goods(subject, *amount),
            );
            ("/upay/refund", wire::signed_body(&common, &refund, token).ok()?)
        }
        Op::EzrRefundApply { gateway_ref, amount, subject, .. } => {
            let apply =
                RefundApplyRequest::new(gateway_ref.as_str(), *amount, refund_goods(subject, *amount));
            ("/upay/refund/apply", wire::signed_body(&common, &apply, token).ok()?)
        }
        Op::EzrRefundQuery { gateway_ref, .. } => (
            "/upay/query",
            wire::signed_body(&common, &QueryRequest::by_trade_no(gateway_ref.as_str()), token).ok()?,
        ),
        _ => return None,
    };
    let bytes = serde_json::to_vec(&body).ok()?;
    Some(UpstreamRequest::post_bytes(join(creds.api_url, path), bytes))
}

fn envelope<T: serde::de::DeserializeOwned>(status: u16, body: &[u8]) -> Result<wire::Response<T>, Outcome> {
    if !(200..300).contains(&status) {
        return Err(failed(format!("EZR answered HTTP {status}")));
    }
    decode(body).map_err(|e| failed(format!("EZR's answer is not usable: {e}")))
}

/// A refusal: 500 is a business refusal (nothing done), 4001 our parameters, anything else odd.
fn refusal<T>(response: &wire::Response<T>) -> Outcome {
    let message = response.msg.clone().unwrap_or_default();
    match response.business_code.value() {
        BusinessCode::BusinessError | BusinessCode::InvalidParameter => {
            Outcome::Rejected { code: response.business_code.value().as_str().to_owned(), message }
        }
        other => failed(format!("EZR BusinessCode {} {message}", other.as_str())),
    }
}

/// A failed query or cancel: "订单不存在" (no such order) is an answer, anything else a refusal.
fn not_found_or_refusal<T>(response: &wire::Response<T>) -> Outcome {
    if response.msg.as_deref().is_some_and(|m| m.contains("订单不存在")) {
        Outcome::NotFound
    } else {
        refusal(response)
    }
}

/// pay (1). The amount is read as the spec's tables say: an integer is fen, a decimal yuan
/// (`EzrAmount`); an answer that matches the session only when its integer is read as yuan is a
/// mismatch, which the session sends to `requires_attention`.
pub fn interpret_pay(status: u16, body: &[u8]) -> Outcome {
    let response: wire::Response<PayResult> = match envelope(status, body) {
        Ok(r) => r,
        // Lost or garbled: the money may be moving, so the session queries.
        Err(_) => return Outcome::InProgress { gateway_ref: None },
    };
    let Some(result) = response.ok() else {
        return match response.business_code.value() {
            // 参数错误: the request was refused as malformed; nothing was charged.
            BusinessCode::InvalidParameter => {
                Outcome::Declined { reason: decline_reason(response.msg.as_deref().unwrap_or_default()) }
            }
            // 业务异常 (or a code the spec lacks) says nothing about the money: the session
            // queries, and "订单不存在" then declines it.
            _ => Outcome::InProgress { gateway_ref: None },
        };
    };
    let amount = result.total_amount.fen();
    state_outcome(
        &result.order_state,
        &result.out_trade_no,
        amount,
        result.trade_no.clone(),
        result.error_code.as_deref(),
    )
}

/// query (2).
pub fn interpret_query(status: u16, body: &[u8]) -> Outcome {
    let response: wire::Response<QueryResult> = match envelope(status, body) {
        Ok(r) => r,
        Err(outcome) => return outcome,
    };
    let Some(result) = response.ok() else { return not_found_or_refusal(&response) };
    let order_no = result.out_trade_no.clone().unwrap_or_default();
    state_outcome(&result.order_state, &order_no, result.total_amount.fen(), result.trade_no.clone(), None)
}

fn state_outcome(
    state: &OrderState,
    order_no: &str,
    amount: Fen,
    gateway_ref: Option<String>,
    error_code: Option<&str>,
) -> Outcome {
    let fact = |state| {
        Outcome::Payment(PaymentFact {
            order_no: order_no.to_owned(),
            amount: Some(amount),
            state,
            gateway_ref: gateway_ref.clone(),
        })
    };
    match state {
        OrderState::Success => fact(PayState::Paid),
        OrderState::Payerror => Outcome::Declined { reason: error_code.unwrap_or("PAYERROR").to_owned() },
        OrderState::Userpaying => Outcome::InProgress { gateway_ref },
        // The spec: NOTPAY after the pay means the outcome is unknown at WeChat; cancel it.
        // Anything new is treated the same way: never taken for paid.
        OrderState::Notpay | OrderState::Unknown(_) => fact(PayState::Pending),
    }
}

/// A refused refund or apply: 4001 (参数错误) refused our request, nothing done; 500 (业务异常)
/// and codes the spec lacks say nothing about the money.
fn refund_refusal<T>(response: &wire::Response<T>) -> RefundFact {
    let message = decline_reason(response.msg.as_deref().unwrap_or_default());
    let code = response.business_code.value().as_str().to_owned();
    match response.business_code.value() {
        BusinessCode::InvalidParameter => RefundFact::Failed { code: format!("{code} {message}") },
        _ => RefundFact::Undecided { words: format!("EZR BusinessCode {code} {message}") },
    }
}

/// refund (5), for `amount`: SUCCESS is done (an other amount needs a person), PROCESSING
/// pending; the same `OutRefundNo` is sent again to follow it up.
pub fn interpret_refund(status: u16, body: &[u8], amount: Fen) -> Outcome {
    let response: wire::Response<RefundResult> = match envelope(status, body) {
        Ok(r) => r,
        Err(outcome) => return outcome,
    };
    let Some(result) = response.ok() else { return Outcome::Refund(refund_refusal(&response)) };
    let gateway_refund_no = Some(result.refund_no.clone());
    Outcome::Refund(match &result.refund_state {
        RefundState::Success if result.refund_amount.fen() == amount => {
            RefundFact::Succeeded { gateway_refund_no }
        }
        RefundState::Success => RefundFact::Attention {
            words: format!(
                "EZR refunded {} fen as {} for a refund of {} fen",
                result.refund_amount.fen().0,
                result.refund_no,
                amount.0
            ),
        },
        RefundState::Processing => RefundFact::Pending { gateway_refund_no },
        RefundState::Unknown(other) => RefundFact::Undecided { words: format!("EZR RefundState {other}") },
    })
}

/// refund apply (4): PROCESSING (awaiting the back office) is pending and SUCCESS done; a state
/// the spec lacks is followed up by listing like PROCESSING. 4001 refused it; any other refusal
/// is undecided (the listing settles whether an application exists).
pub fn interpret_refund_apply(status: u16, body: &[u8]) -> Outcome {
    let response: wire::Response<RefundApplyResult> = match envelope(status, body) {
        Ok(r) => r,
        Err(outcome) => return outcome,
    };
    let Some(result) = response.ok() else { return Outcome::Refund(refund_refusal(&response)) };
    let gateway_refund_no = Some(result.refund_no.clone());
    Outcome::Refund(match result.refund_state {
        RefundState::Success => RefundFact::Succeeded { gateway_refund_no },
        _ => RefundFact::Pending { gateway_refund_no },
    })
}

/// query (2), for refunds: every refund of the order with its state.
pub fn interpret_refund_query(status: u16, body: &[u8]) -> Outcome {
    let response: wire::Response<QueryResult> = match envelope(status, body) {
        Ok(r) => r,
        Err(outcome) => return outcome,
    };
    let Some(result) = response.ok() else { return not_found_or_refusal(&response) };
    let listed = result.refund_info_list.iter().flatten().map(|r| ListedRefund {
        gateway_refund_no: r.refund_no.clone(),
        amount: r.refund_amount.fen(),
        state: match &r.refund_state {
            RefundState::Success => ListedState::Succeeded,
            RefundState::Processing => ListedState::Processing,
            RefundState::Unknown(other) => ListedState::Other(other.clone()),
        },
    });
    Outcome::Refunds(listed.collect())
}

/// A short, stable reason from an EZR refusal message (which is Chinese prose).
fn decline_reason(message: &str) -> String {
    if message.is_empty() { "REFUSED".to_owned() } else { message.chars().take(64).collect() }
}

/// cancel (3). `ReCall: Y` asks for the cancel to be sent again.
pub fn interpret_cancel(status: u16, body: &[u8]) -> Outcome {
    let response: wire::Response<CancelResult> = match envelope(status, body) {
        Ok(r) => r,
        Err(outcome) => return outcome,
    };
    let Some(result) = response.ok() else { return not_found_or_refusal(&response) };
    if result.re_call == Some(ReCall::Yes) {
        return failed("EZR asks for the cancel to be sent again (ReCall Y)");
    }
    match &result.reverse_state {
        wire::ReverseState::Success => Outcome::Canceled,
        wire::ReverseState::Unknown(other) => {
            Outcome::NeedsReview { reason: format!("ReverseState {other}") }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(token: &Secret) -> Credentials<'_> {
        Credentials {
            api_url: "http://ezr/ezr",
            app_id: "EZP",
            shop_code: "HQ01S001",
            terminal_id: "T1",
            token,
        }
    }

    fn ok(result: serde_json::Value) -> Vec<u8> {
        serde_json::json!({"Success": true, "Msg": "操作成功", "Status": 200, "BusinessCode": 0, "Result": result})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn requests_are_signed_over_every_field() {
        let token = Secret::new("sandbox-ezr-token");
        let op = Op::EzrPay {
            order_no: "sess_a_2".into(),
            amount: Fen(1),
            subject: "茶".into(),
            code: "134567890123450000".into(),
            client_ip: Some("203.0.113.7".into()),
        };
        let request = build(&op, &creds(&token), 1_555_816_968_018).unwrap();
        assert_eq!(request.url, "http://ezr/ezr/upay/pay");
        let body: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(request.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["Timestamp"], "20190421112248");
        assert_eq!(body["OutTradeNo"], "sess_a_2");
        assert_eq!(body["AuthCode"], "134567890123450000");
        assert_eq!(body["SpbillCreateIp"], "203.0.113.7", "the shopper's address");
        assert_eq!(body["TerminalId"], "T1");
        assert!(crate::sign::ezr_verify_body(&body, "sandbox-ezr-token"));
        assert!(!format!("{request:?}").contains("134567890123450000"));
        let cancel = build(&Op::EzrCancel { gateway_ref: "WP01".into() }, &creds(&token), 0).unwrap();
        assert!(cancel.url.ends_with("/upay/cancel"));
        assert!(build(&Op::ShouqianbaQuery { order_no: "o".into() }, &creds(&token), 0).is_none());
    }

    #[test]
    fn pay_and_query_answers() {
        let paid = ok(
            serde_json::json!({"TradeNo": "WP1", "OutTradeNo": "o", "TotalAmount": 0.01, "OrderState": "SUCCESS"}),
        );
        assert_eq!(
            interpret_pay(200, &paid),
            Outcome::Payment(PaymentFact {
                order_no: "o".into(),
                amount: Some(Fen(1)),
                state: PayState::Paid,
                gateway_ref: Some("WP1".into())
            })
        );
        // An integer is fen, never whole yuan: `1` is one fen, whatever was asked (the session
        // then finds the amount wrong).
        let integer = ok(
            serde_json::json!({"TradeNo": "WP1", "OutTradeNo": "o", "TotalAmount": 1, "OrderState": "SUCCESS"}),
        );
        assert!(matches!(
            interpret_pay(200, &integer),
            Outcome::Payment(PaymentFact { amount: Some(Fen(1)), .. })
        ));
        let declined = ok(
            serde_json::json!({"OutTradeNo": "o", "TotalAmount": 1, "OrderState": "PAYERROR", "ErrorCode": "NOTENOUGH"}),
        );
        assert_eq!(interpret_pay(200, &declined), Outcome::Declined { reason: "NOTENOUGH".into() });
        let paying = ok(
            serde_json::json!({"TradeNo": "WP2", "OutTradeNo": "o", "TotalAmount": 1, "OrderState": "USERPAYING"}),
        );
        assert_eq!(interpret_pay(200, &paying), Outcome::InProgress { gateway_ref: Some("WP2".into()) });
        let notpay = ok(
            serde_json::json!({"TradeNo": "WP3", "OutTradeNo": "o", "TotalAmount": 1, "OrderState": "NOTPAY"}),
        );
        assert!(matches!(
            interpret_pay(200, &notpay),
            Outcome::Payment(PaymentFact { state: PayState::Pending, .. })
        ));
        // 业务异常 says nothing about the money: the session asks with a query.
        let refused =
            r#"{"Success":false,"Msg":"系统繁忙","Status":200,"BusinessCode":500,"Result":null}"#.as_bytes();
        assert_eq!(interpret_pay(200, refused), Outcome::InProgress { gateway_ref: None });
        let unknown =
            r#"{"Success":false,"Msg":"?","Status":200,"BusinessCode":4999,"Result":null}"#.as_bytes();
        assert_eq!(interpret_pay(200, unknown), Outcome::InProgress { gateway_ref: None });
        // 参数错误 refused the request: nothing was charged.
        let params =
            r#"{"Success":false,"Msg":"参数AuthCode格式错误","Status":200,"BusinessCode":4001}"#.as_bytes();
        assert_eq!(interpret_pay(200, params), Outcome::Declined { reason: "参数AuthCode格式错误".into() });
        assert_eq!(interpret_pay(200, b"garbage"), Outcome::InProgress { gateway_ref: None });

        let queried = ok(
            serde_json::json!({"TradeNo": "WP1", "OutTradeNo": "o", "TotalAmount": 1, "OrderState": "SUCCESS"}),
        );
        assert!(matches!(
            interpret_query(200, &queried),
            Outcome::Payment(PaymentFact { state: PayState::Paid, amount: Some(Fen(1)), .. })
        ));
        let missing = r#"{"Success":false,"Msg":"订单不存在","Status":200,"BusinessCode":500,"Result":null}"#
            .as_bytes();
        assert_eq!(interpret_query(200, missing), Outcome::NotFound);
        assert!(matches!(interpret_query(200, b"{"), Outcome::Failed { .. }));
    }

    fn refused(code: u32, msg: &str) -> Vec<u8> {
        serde_json::json!({"Success": false, "Msg": msg, "Status": 200, "BusinessCode": code, "Result": null})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn a_refund_carries_our_number_and_every_required_field() {
        let token = Secret::new("sandbox-ezr-token");
        let op = Op::EzrRefund {
            refund: 1,
            gateway_ref: "WP01".into(),
            refund_no: "sess_a_r1".into(),
            amount: Fen(300),
            reason: DEFAULT_REFUND_REASON.into(),
            subject: "茶".into(),
        };
        let request = build(&op, &creds(&token), 0).unwrap();
        assert!(request.url.ends_with("/upay/refund"));
        let body: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(request.body.as_deref().unwrap()).unwrap();
        for (field, value) in [
            ("OutRefundNo", serde_json::json!("sess_a_r1")),
            ("TradeNo", serde_json::json!("WP01")),
            ("RefundAmount", serde_json::json!(300)),
            ("RefundReason", serde_json::json!("商户退款")),
            ("TerminalId", serde_json::json!("T1")),
        ] {
            assert_eq!(body[field], value, "{field}");
        }
        assert_eq!(body["RefundGoodsInfoList"][0]["Price"], 300);
        assert!(crate::sign::ezr_verify_body(&body, "sandbox-ezr-token"));
    }

    #[test]
    fn refund_answers_decide_only_on_the_specs_words() {
        let done = ok(serde_json::json!({"TrandeNo": "WP1", "RefundNo": "R1", "OutRefundNo": "sess_a_r1",
            "RefundAmount": 300, "RefundState": "SUCCESS"}));
        assert_eq!(
            interpret_refund(200, &done, Fen(300)),
            Outcome::Refund(RefundFact::Succeeded { gateway_refund_no: Some("R1".into()) })
        );
        // Another amount than ours, or a state the spec lacks: not believed.
        assert!(matches!(
            interpret_refund(200, &done, Fen(30)),
            Outcome::Refund(RefundFact::Attention { .. })
        ));
        let odd = ok(
            serde_json::json!({"TrandeNo": "WP1", "RefundNo": "R1", "RefundAmount": 300, "RefundState": "FAIL"}),
        );
        assert!(matches!(
            interpret_refund(200, &odd, Fen(300)),
            Outcome::Refund(RefundFact::Undecided { .. })
        ));
        // 4001 refused our request; 500 or an unknown code decides nothing.
        assert!(matches!(
            interpret_refund(200, &refused(4001, "参数RefundReason不能为空"), Fen(300)),
            Outcome::Refund(RefundFact::Failed { .. })
        ));
        for code in [500, 4002] {
            let Outcome::Refund(RefundFact::Undecided { words }) =
                interpret_refund(200, &refused(code, "现金账户余额不足"), Fen(300))
            else {
                panic!("{code} decided a refund");
            };
            assert!(words.contains("现金账户余额不足"), "the gateway's words are kept: {words}");
        }
        assert!(matches!(interpret_refund(502, b"", Fen(300)), Outcome::Failed { .. }));
        // The same for an application: a refusal other than 4001 leaves it to the listing.
        assert!(matches!(
            interpret_refund_apply(200, &refused(500, "x")),
            Outcome::Refund(RefundFact::Undecided { .. })
        ));
        let listed = ok(serde_json::json!({"TradeNo": "WP1", "TotalAmount": 300, "OrderState": "SUCCESS",
            "RefundInfoList": [{"RefundNo": "R1", "RefundAmount": 300, "RefundState": "REJECTED"}]}));
        let Outcome::Refunds(list) = interpret_refund_query(200, &listed) else { panic!() };
        assert_eq!(list[0].state, ListedState::Other("REJECTED".into()));
    }

    #[test]
    fn the_shoppers_address_or_the_fallback() {
        assert_eq!(spbill_create_ip(Some("203.0.113.7")), "203.0.113.7");
        assert_eq!(spbill_create_ip(Some("2001:db8::1")), "2001:db8::1");
        assert_eq!(spbill_create_ip(Some("not an address")), FALLBACK_IP);
        assert_eq!(spbill_create_ip(None), FALLBACK_IP);
    }

    #[test]
    fn cancel_answers() {
        let done = ok(
            serde_json::json!({"TradeNo": "WP1", "ReCall": "N", "ReverseState": "SUCCESS", "ReverseDesc": "close"}),
        );
        assert_eq!(interpret_cancel(200, &done), Outcome::Canceled);
        let again = ok(serde_json::json!({"TradeNo": "WP1", "ReCall": "Y", "ReverseState": "SUCCESS"}));
        assert!(matches!(interpret_cancel(200, &again), Outcome::Failed { .. }));
        let odd = ok(serde_json::json!({"TradeNo": "WP1", "ReverseState": "FAILED"}));
        assert!(matches!(interpret_cancel(200, &odd), Outcome::NeedsReview { .. }));
    }
}
