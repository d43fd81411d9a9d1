//! EZR calls as data: pay (barcode), query, cancel and refund apply, each signed with the EZR token over the
//! common and business parameters (PRODUCT.md's rule, in `crate::ezr::signed_body`), and their
//! answers read into shared outcomes. EZR's pay → query → cancel on NOTPAY is driven by the
//! session; here is only what one answer means.

use super::{ListedRefund, Op, Outcome, PayState, PaymentFact, RefundFact, UpstreamRequest, failed, join};
use crate::china_time;
use crate::ezr::{
    self as wire, BusinessCode, CancelRequest, CancelResult, Common, OrderState, PayRequest, PayResult,
    QueryRequest, QueryResult, ReCall, RefundApplyRequest, RefundApplyResult, RefundGoods, RefundState,
};
use crate::json::decode;
use crate::money::Fen;
use crate::sign::Secret;

/// What the edge needs to sign an EZR call. `Debug` never shows the token (it is a `Secret`).
#[derive(Clone, Debug)]
pub struct Credentials<'a> {
    pub api_url: &'a str,
    pub app_id: &'a str,
    pub shop_code: &'a str,
    pub token: &'a Secret,
}

/// The signed request for an EZR `op` at `now_ms`; `None` for other gateways' operations.
pub fn build(op: &Op, creds: &Credentials<'_>, now_ms: u64) -> Option<UpstreamRequest> {
    let common = Common::new(creds.app_id, china_time::compact(now_ms), creds.shop_code);
    let token = creds.token.expose();
    let (path, body) = match op {
        Op::EzrPay { order_no, amount, subject, code } => {
            // EZR wants the client's address; the cashier's browser is not the payer, and the
            // edge does not forward addresses upstream, so the documented placeholder is sent.
            let pay = PayRequest::new(code, order_no, subject, *amount, "127.0.0.1");
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
        Op::EzrRefundApply { gateway_ref, amount, subject, .. } => {
            // The list is required; a checkout session is one line: what was bought, once.
            let goods =
                vec![RefundGoods::new("checkout", subject.chars().take(64).collect::<String>(), *amount, 1)];
            let apply = RefundApplyRequest::new(gateway_ref.as_str(), *amount, goods);
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

/// pay (1). `expected` is the amount asked for: EZR's pay answer may write it in yuan, and an
/// integer there is ambiguous (`EzrAmount::may_equal`).
pub fn interpret_pay(status: u16, body: &[u8], expected: Fen) -> Outcome {
    let response: wire::Response<PayResult> = match envelope(status, body) {
        Ok(r) => r,
        // Lost or garbled: the money may be moving, so the session queries.
        Err(_) => return Outcome::InProgress { gateway_ref: None },
    };
    let Some(result) = response.ok() else {
        return match refusal(&response) {
            Outcome::Rejected { message, .. } => Outcome::Declined { reason: decline_reason(&message) },
            _ => Outcome::InProgress { gateway_ref: None },
        };
    };
    let amount = if result.total_amount.may_equal(expected) { expected } else { result.total_amount.fen() };
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

/// refund apply (4): PROCESSING (awaiting the back office) is pending; SUCCESS done; a refusal
/// ends the refund (no money moved).
pub fn interpret_refund_apply(status: u16, body: &[u8]) -> Outcome {
    let response: wire::Response<RefundApplyResult> = match envelope(status, body) {
        Ok(r) => r,
        Err(outcome) => return outcome,
    };
    let Some(result) = response.ok() else {
        return match refusal(&response) {
            Outcome::Rejected { code, message } => {
                Outcome::Refund(RefundFact::Failed { code: format!("{code} {}", decline_reason(&message)) })
            }
            other => other,
        };
    };
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
        succeeded: r.refund_state == RefundState::Success,
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
        Credentials { api_url: "http://ezr/ezr", app_id: "EZP", shop_code: "HQ01S001", token }
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
        };
        let request = build(&op, &creds(&token), 1_555_816_968_018).unwrap();
        assert_eq!(request.url, "http://ezr/ezr/upay/pay");
        let body: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(request.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["Timestamp"], "20190421112248");
        assert_eq!(body["OutTradeNo"], "sess_a_2");
        assert_eq!(body["AuthCode"], "134567890123450000");
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
            interpret_pay(200, &paid, Fen(1)),
            Outcome::Payment(PaymentFact {
                order_no: "o".into(),
                amount: Some(Fen(1)),
                state: PayState::Paid,
                gateway_ref: Some("WP1".into())
            })
        );
        // An integer in the pay answer may be whole yuan: it matches what was asked.
        let yuan = ok(
            serde_json::json!({"TradeNo": "WP1", "OutTradeNo": "o", "TotalAmount": 1, "OrderState": "SUCCESS"}),
        );
        assert!(matches!(
            interpret_pay(200, &yuan, Fen(100)),
            Outcome::Payment(PaymentFact { amount: Some(Fen(100)), .. })
        ));
        assert!(matches!(
            interpret_pay(200, &yuan, Fen(7)),
            Outcome::Payment(PaymentFact { amount: Some(Fen(1)), .. })
        ));
        let declined = ok(
            serde_json::json!({"OutTradeNo": "o", "TotalAmount": 1, "OrderState": "PAYERROR", "ErrorCode": "NOTENOUGH"}),
        );
        assert_eq!(interpret_pay(200, &declined, Fen(1)), Outcome::Declined { reason: "NOTENOUGH".into() });
        let paying = ok(
            serde_json::json!({"TradeNo": "WP2", "OutTradeNo": "o", "TotalAmount": 1, "OrderState": "USERPAYING"}),
        );
        assert_eq!(
            interpret_pay(200, &paying, Fen(1)),
            Outcome::InProgress { gateway_ref: Some("WP2".into()) }
        );
        let notpay = ok(
            serde_json::json!({"TradeNo": "WP3", "OutTradeNo": "o", "TotalAmount": 1, "OrderState": "NOTPAY"}),
        );
        assert!(matches!(
            interpret_pay(200, &notpay, Fen(1)),
            Outcome::Payment(PaymentFact { state: PayState::Pending, .. })
        ));
        let refused =
            r#"{"Success":false,"Msg":"商户订单号重复","Status":200,"BusinessCode":500,"Result":null}"#
                .as_bytes();
        assert_eq!(
            interpret_pay(200, refused, Fen(1)),
            Outcome::Declined { reason: "商户订单号重复".into() }
        );
        assert_eq!(interpret_pay(200, b"garbage", Fen(1)), Outcome::InProgress { gateway_ref: None });

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
