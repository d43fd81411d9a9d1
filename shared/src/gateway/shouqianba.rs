//! Shouqianba calls as data: precreate (QR), pay (barcode), query, cancel and refund, built as JSON
//! objects *without* `terminal_sn` — the terminal object, the only code that holds a terminal
//! key, inserts it and signs the exact bytes — and their answers read with the 2.4 algorithm's
//! classifiers in `crate::shouqianba`.

use super::{Op, Outcome, PayState, PaymentFact, RefundFact, SqbText, Wallet, failed};
use crate::json::decode;
use crate::session::DEFAULT_OPERATOR;
use crate::shouqianba::{
    self as wire, BizErrorCode, BizResultCode, CallError, CancelOutcome, CommResult, OrderRef, OrderStatus,
    PayOutcome, PayRequest, Payway, PollDecision, PrecreateRequest, RefundRequest, SqbAmount, TradeResponse,
    fit,
};
use serde::Serialize;
use serde_json::{Map, Value};

/// `String(n)` of the request tables (2.2, 3.2, 6.2), in bytes.
const SUBJECT_BYTES: usize = 64;
const OPERATOR_BYTES: usize = 32;
/// The refund table gives its `operator` more room.
const REFUND_OPERATOR_BYTES: usize = 64;
const DESCRIPTION_BYTES: usize = 256;
const REFLECT_BYTES: usize = 64;

/// The path and the unsigned body (no `terminal_sn`) of a Shouqianba `op`; `None` for other
/// gateways' operations, or an amount Shouqianba cannot carry (more than ten digits, which
/// session validation already rules out).
pub fn request(op: &Op) -> Option<(&'static str, Map<String, Value>)> {
    match op {
        Op::ShouqianbaPrecreate { order_no, amount, subject, wallet, text } => {
            let payway = match wallet {
                Wallet::WechatPay => Payway::Wechat,
                Wallet::Alipay => Payway::Alipay,
                // Shouqianba's precreate has no UnionPay wallet; the session never asks. Its
                // payways 4 (百付宝) and 5 (京东) have no wallet of ours: docs/gateways.md.
                Wallet::Unionpay => return None,
            };
            let amount = SqbAmount::new(*amount).ok()?;
            let mut body = PrecreateRequest::new(
                "",
                order_no,
                amount,
                payway,
                fit(subject, SUBJECT_BYTES),
                operator(text),
            );
            body.description = description(text);
            body.reflect = reflect(text);
            Some(("/upay/v2/precreate", object(&body)?))
        }
        Op::ShouqianbaPay { order_no, amount, subject, code, text } => {
            let amount = SqbAmount::new(*amount).ok()?;
            let mut body =
                PayRequest::new("", order_no, amount, code, fit(subject, SUBJECT_BYTES), operator(text));
            body.description = description(text);
            body.reflect = reflect(text);
            Some(("/upay/v2/pay", object(&body)?))
        }
        Op::ShouqianbaQuery { order_no } => {
            Some(("/upay/v2/query", object(&OrderRef::by_client_sn("", order_no))?))
        }
        Op::ShouqianbaCancel { order_no } => {
            Some(("/upay/v2/cancel", object(&OrderRef::by_client_sn("", order_no))?))
        }
        Op::ShouqianbaRefund { order_no, sn, refund_no, amount, text, .. } => {
            let amount = SqbAmount::new(*amount).ok()?;
            let operator = fit(text.operator.as_deref().unwrap_or(DEFAULT_OPERATOR), REFUND_OPERATOR_BYTES);
            // 3.2 marks both `sn` and `client_sn` required: both go (an `sn` is missing only
            // from a call stored before it was sent).
            let body = RefundRequest::new(both(order_no, sn), refund_no, operator, amount);
            Some(("/upay/v2/refund", object(&body)?))
        }
        Op::ShouqianbaRefundQuery { order_no, sn, .. } => {
            Some(("/upay/v2/query", object(&both(order_no, sn))?))
        }
        _ => None,
    }
}

fn both(client_sn: &str, sn: &str) -> OrderRef {
    let mut order = OrderRef::by_client_sn("", client_sn);
    order.sn = (!sn.is_empty()).then(|| sn.to_owned());
    order
}

fn operator(text: &SqbText) -> &str {
    fit(text.operator.as_deref().unwrap_or(DEFAULT_OPERATOR), OPERATOR_BYTES)
}

fn description(text: &SqbText) -> Option<String> {
    text.description.as_deref().map(|d| fit(d, DESCRIPTION_BYTES).to_owned())
}

fn reflect(text: &SqbText) -> Option<String> {
    text.reflect.as_deref().map(|r| fit(r, REFLECT_BYTES).to_owned())
}

/// The body as a JSON object with the terminal's field left for the terminal to fill.
fn object<T: Serialize>(body: &T) -> Option<Map<String, Value>> {
    match serde_json::to_value(body).ok()? {
        Value::Object(mut map) => {
            map.remove("terminal_sn");
            Some(map)
        }
        _ => None,
    }
}

fn trade(status: u16, body: &[u8]) -> Result<TradeResponse, Outcome> {
    if !(200..300).contains(&status) {
        return Err(failed(format!("Shouqianba answered HTTP {status}")));
    }
    decode(body).map_err(|e| failed(format!("Shouqianba's answer is not usable: {e}")))
}

/// 400 is our fault (refused, nothing done); 500 is theirs (unknown).
fn call_failed(error: CallError) -> Outcome {
    match error {
        CallError::Client { code, message } => Outcome::Rejected {
            code: code.map(|c| c.as_str().to_owned()).unwrap_or_else(|| "400".into()),
            message: message.unwrap_or_default(),
        },
        CallError::Server { code, message } => failed(format!(
            "Shouqianba result_code 500 {} {}",
            code.map(|c| c.as_str().to_owned()).unwrap_or_default(),
            message.unwrap_or_default()
        )),
    }
}

fn fact(response: &TradeResponse, state: PayState) -> Outcome {
    match response.data() {
        Some(data) => Outcome::Payment(PaymentFact {
            order_no: data.client_sn.clone(),
            amount: data.total_amount.map(SqbAmount::fen),
            state,
            gateway_ref: Some(data.sn.clone()),
        }),
        None => failed("Shouqianba reported an order without its data"),
    }
}

fn reason(response: &TradeResponse) -> String {
    response
        .biz_response
        .as_ref()
        .and_then(|b| {
            b.error_code
                .as_ref()
                .map(|c| c.as_str().to_owned())
                .or_else(|| Some(b.result_code.as_str().to_owned()))
        })
        .unwrap_or_default()
}

/// precreate (6): a QR code, or a refusal.
pub fn interpret_precreate(status: u16, body: &[u8]) -> Outcome {
    let response = match trade(status, body) {
        Ok(r) => r,
        Err(outcome) => return outcome,
    };
    if let Some(error) = wire::call_error(&response) {
        return call_failed(error);
    }
    match (response.biz_result(), response.data()) {
        (Some(BizResultCode::PrecreateSuccess | BizResultCode::Success), Some(data)) => match &data.qr_code {
            Some(code) if !code.is_empty() => {
                Outcome::Qr { order_no: data.client_sn.clone(), content: code.clone(), provider: None }
            }
            _ => failed("Shouqianba's precreate answer has no qr_code"),
        },
        (Some(_), _) => Outcome::Rejected { code: reason(&response), message: String::new() },
        (None, _) => failed("Shouqianba's precreate answer has no biz_response"),
    }
}

/// pay (2.2), read as 2.4's `Sub pay`.
pub fn interpret_pay(status: u16, body: &[u8]) -> Outcome {
    let response = match trade(status, body) {
        Ok(r) => r,
        // A pay whose answer is lost or garbled may have reached the gateway: 2.4 polls.
        Err(_) => return Outcome::InProgress { gateway_ref: None },
    };
    match wire::classify_pay(&response) {
        PayOutcome::Paid => fact(&response, PayState::Paid),
        PayOutcome::Failed | PayOutcome::Rejected { .. } => Outcome::Declined { reason: reason(&response) },
        PayOutcome::NeedsSupport => Outcome::NeedsReview { reason: reason(&response) },
        PayOutcome::Poll | PayOutcome::NetworkUnavailable => {
            Outcome::InProgress { gateway_ref: response.data().map(|d| d.sn.clone()) }
        }
        // A 400 is refused before anything moved (a malformed code).
        PayOutcome::CallFailed(CallError::Client { code, .. }) => Outcome::Declined {
            reason: code.map(|c| c.as_str().to_owned()).unwrap_or_else(|| "INVALID_PARAMS".into()),
        },
        // 2.4's `handle_response_error`: a 500 is "收钱吧支付网关故障,联系收钱吧客服" — the
        // algorithm stops and a person asks support; it is not polled.
        PayOutcome::CallFailed(CallError::Server { code, message })
            if response.result_code == CommResult::ServerError =>
        {
            Outcome::NeedsReview {
                reason: words("result_code 500", code.as_ref().map(|c| c.as_str()), message.as_deref()),
            }
        }
        // A `result_code` the spec does not define decides nothing: polled like a lost answer,
        // and the deadline's cancel settles it.
        PayOutcome::CallFailed(CallError::Server { .. }) => Outcome::InProgress { gateway_ref: None },
    }
}

/// query (4), read as 2.4's `Sub poll`.
pub fn interpret_query(status: u16, body: &[u8]) -> Outcome {
    let response = match trade(status, body) {
        Ok(r) => r,
        Err(outcome) => return outcome,
    };
    match wire::classify_query(&response) {
        PollDecision::Paid => fact(&response, PayState::Paid),
        PollDecision::Failed => fact(&response, PayState::Closed),
        PollDecision::NotFound => Outcome::NotFound,
        PollDecision::NeedsSupport => {
            let status = response.data().and_then(|d| d.order_status.as_ref()).map(OrderStatus::as_str);
            Outcome::NeedsReview { reason: status.unwrap_or("PAY_ERROR").to_owned() }
        }
        PollDecision::Wait => Outcome::InProgress { gateway_ref: response.data().map(|d| d.sn.clone()) },
        PollDecision::CallFailed(error) => call_failed(error),
    }
}

/// The gateway's words for a person: what it said, its code and its message.
fn words(what: &str, code: Option<&str>, message: Option<&str>) -> String {
    [Some(what), code, message].into_iter().flatten().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ")
}

/// refund (3). `REFUND_SUCCESS` is done. `REFUND_ERROR` ("退款失败并且不确定第三方支付通道状态":
/// uncertain, 人工介入) needs a person. `FAIL` changed nothing (appendix 2: "不会触发流程"), except
/// `REFUND_REQUEST_CONFLICT`: the number was seen before, so an earlier try may have refunded —
/// undecided, settled by a query. A 400 is our request refused; a 500 or anything new decides
/// nothing and is followed up.
pub fn interpret_refund(status: u16, body: &[u8]) -> Outcome {
    let response = match trade(status, body) {
        Ok(r) => r,
        Err(outcome) => return outcome,
    };
    match wire::call_error(&response) {
        None => {}
        Some(CallError::Client { code, .. }) => {
            return Outcome::Refund(RefundFact::Failed {
                code: code.map(|c| c.as_str().to_owned()).unwrap_or_else(|| "INVALID_PARAMS".into()),
            });
        }
        Some(CallError::Server { code, message }) => {
            let what = format!("result_code {}", response.result_code.as_str());
            return Outcome::Refund(RefundFact::Undecided {
                words: words(&what, code.as_ref().map(|c| c.as_str()), message.as_deref()),
            });
        }
    }
    let Some(biz) = response.biz_response.as_ref() else {
        return failed("Shouqianba answered a refund without biz_response");
    };
    let said = || {
        words(
            biz.result_code.as_str(),
            biz.error_code.as_ref().map(|c| c.as_str()),
            biz.error_message.as_deref(),
        )
    };
    let fact = match &biz.result_code {
        BizResultCode::RefundSuccess => RefundFact::Succeeded { gateway_refund_no: None },
        BizResultCode::RefundError => RefundFact::Attention { words: said() },
        BizResultCode::Fail if biz.error_code == Some(BizErrorCode::RefundRequestConflict) => {
            RefundFact::Undecided { words: said() }
        }
        BizResultCode::Fail => {
            RefundFact::Failed { code: biz.error_code.as_ref().map_or("FAIL", |c| c.as_str()).to_owned() }
        }
        _ => RefundFact::Undecided { words: said() },
    };
    Outcome::Refund(fact)
}

/// query (4) of a refunded order: how much of it is left (`net_amount`), for the session to
/// tell whether a refund went through; `REFUND_ERROR` is the gateway's own doubt.
pub fn interpret_refund_query(status: u16, body: &[u8]) -> Outcome {
    let response = match trade(status, body) {
        Ok(r) => r,
        Err(outcome) => return outcome,
    };
    if let Some(error) = wire::call_error(&response) {
        return call_failed(error);
    }
    match (response.biz_result(), response.data()) {
        (Some(BizResultCode::Success), Some(data)) => {
            let uncertain = match &data.order_status {
                Some(status @ (OrderStatus::RefundError | OrderStatus::Unknown(_))) => {
                    Some(status.as_str().to_owned())
                }
                _ => None,
            };
            Outcome::OrderRefunded {
                total: data.total_amount.map(SqbAmount::fen),
                net: data.net_amount.map(SqbAmount::fen),
                uncertain,
            }
        }
        _ => failed(format!("Shouqianba's query answered {}", reason(&response))),
    }
}

/// cancel (5), read as 2.4's timeout branch.
pub fn interpret_cancel(status: u16, body: &[u8]) -> Outcome {
    let response = match trade(status, body) {
        Ok(r) => r,
        Err(outcome) => return outcome,
    };
    match wire::classify_cancel(&response) {
        CancelOutcome::Cancelled => Outcome::Canceled,
        CancelOutcome::NothingToCancel => Outcome::NotFound,
        CancelOutcome::NeedsSupport => Outcome::NeedsReview { reason: reason(&response) },
        CancelOutcome::CallFailed(error) => call_failed(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Fen;

    fn answer(biz: Value) -> Vec<u8> {
        serde_json::json!({"result_code": "200", "biz_response": biz}).to_string().into_bytes()
    }

    #[test]
    fn bodies_leave_the_terminal_to_the_terminal() {
        let op = Op::ShouqianbaPay {
            order_no: "sess_a_1".into(),
            amount: Fen(1500),
            subject: "茶".repeat(70),
            code: "134567890123450000".into(),
            text: SqbText::default(),
        };
        let (path, body) = request(&op).unwrap();
        assert_eq!(path, "/upay/v2/pay");
        assert!(!body.contains_key("terminal_sn"));
        assert_eq!(body["client_sn"], "sess_a_1");
        assert_eq!(body["total_amount"], "1500");
        assert_eq!(body["dynamic_id"], "134567890123450000");
        // String(64) is bytes: 21 three-byte characters, never half of one.
        assert_eq!(body["subject"].as_str().unwrap(), "茶".repeat(21));
        assert_eq!(body["operator"], DEFAULT_OPERATOR);
        assert!(!body.contains_key("description") && !body.contains_key("reflect"));
        let qr = Op::ShouqianbaPrecreate {
            order_no: "o".into(),
            amount: Fen(1),
            subject: "s".into(),
            wallet: Wallet::WechatPay,
            text: SqbText {
                operator: Some("收银员".repeat(4)),
                description: Some("d".repeat(300)),
                reflect: Some("r".into()),
            },
        };
        let (_, body) = request(&qr).unwrap();
        assert_eq!(body["payway"], "3");
        assert_eq!(body["operator"], "收银员收银员收银员收", "32 bytes: ten characters and no half");
        assert_eq!(body["description"].as_str().unwrap().len(), 256);
        assert_eq!(body["reflect"], "r");
        let union = Op::ShouqianbaPrecreate {
            order_no: "o".into(),
            amount: Fen(1),
            subject: "s".into(),
            wallet: Wallet::Unionpay,
            text: SqbText::default(),
        };
        assert!(request(&union).is_none());
        let (path, body) = request(&Op::ShouqianbaCancel { order_no: "o".into() }).unwrap();
        assert_eq!((path, body["client_sn"].as_str()), ("/upay/v2/cancel", Some("o")));
        assert!(request(&Op::EzrQuery { order_no: "o".into() }).is_none());
    }

    #[test]
    fn pay_answers_follow_the_spec_algorithm() {
        let paid = answer(
            serde_json::json!({"result_code": "PAY_SUCCESS", "data": {"sn": "S1", "client_sn": "o", "total_amount": "1500", "order_status": "PAID"}}),
        );
        assert_eq!(
            interpret_pay(200, &paid),
            Outcome::Payment(PaymentFact {
                order_no: "o".into(),
                amount: Some(Fen(1500)),
                state: PayState::Paid,
                gateway_ref: Some("S1".into())
            })
        );
        let declined =
            answer(serde_json::json!({"result_code": "PAY_FAIL", "error_code": "INSUFFICIENT_FUND"}));
        assert_eq!(interpret_pay(200, &declined), Outcome::Declined { reason: "INSUFFICIENT_FUND".into() });
        let refused = answer(serde_json::json!({"result_code": "FAIL", "error_code": "EXPIRED_BARCODE"}));
        assert_eq!(interpret_pay(200, &refused), Outcome::Declined { reason: "EXPIRED_BARCODE".into() });
        let review = answer(serde_json::json!({"result_code": "PAY_FAIL_ERROR"}));
        assert!(matches!(interpret_pay(200, &review), Outcome::NeedsReview { .. }));
        let progress = answer(
            serde_json::json!({"result_code": "PAY_IN_PROGRESS", "data": {"sn": "S2", "client_sn": "o", "order_status": "CREATED"}}),
        );
        assert_eq!(interpret_pay(200, &progress), Outcome::InProgress { gateway_ref: Some("S2".into()) });
        // Lost, garbled or 500: the money may be moving, so the loop polls.
        assert_eq!(interpret_pay(502, b""), Outcome::InProgress { gateway_ref: None });
        assert_eq!(interpret_pay(200, b"<html>"), Outcome::InProgress { gateway_ref: None });
        // 2.4: a result_code 500 stops the algorithm for support; it is not polled.
        let server =
            r#"{"result_code":"500","error_code":"UNKNOWN_SYSTEM_ERROR","error_message":"未知的系统错误"}"#;
        assert_eq!(
            interpret_pay(200, server.as_bytes()),
            Outcome::NeedsReview {
                reason: "result_code 500 UNKNOWN_SYSTEM_ERROR 未知的系统错误".into()
            }
        );
        // A result_code the spec lacks decides nothing: polled.
        let odd = br#"{"result_code":"302","error_code":"MOVED"}"#;
        assert_eq!(interpret_pay(200, odd), Outcome::InProgress { gateway_ref: None });
        let bad_code = br#"{"result_code":"400","error_code":"INVALID_BARCODE","error_message":"x"}"#;
        assert_eq!(interpret_pay(200, bad_code), Outcome::Declined { reason: "INVALID_BARCODE".into() });
    }

    #[test]
    fn refunds_name_the_order_both_ways_and_decide_only_on_the_specs_words() {
        let op = Op::ShouqianbaRefund {
            refund: 1,
            order_no: "sess_a_1".into(),
            sn: "7894259244067218".into(),
            refund_no: "sess_ar1".into(),
            amount: Fen(5),
            text: SqbText { operator: Some("店长".into()), ..SqbText::default() },
        };
        let (path, body) = request(&op).unwrap();
        assert_eq!(path, "/upay/v2/refund");
        assert_eq!(body["sn"], "7894259244067218");
        assert_eq!(body["client_sn"], "sess_a_1");
        assert_eq!(body["refund_request_no"], "sess_ar1");
        assert_eq!(body["refund_amount"], "5");
        assert_eq!(body["operator"], "店长");
        let query = Op::ShouqianbaRefundQuery { refund: 1, order_no: "sess_a_1".into(), sn: "789".into() };
        let (path, body) = request(&query).unwrap();
        assert_eq!(
            (path, body["sn"].as_str(), body["client_sn"].as_str()),
            ("/upay/v2/query", Some("789"), Some("sess_a_1"))
        );

        let refund = |biz: Value| interpret_refund(200, &answer(biz));
        assert_eq!(
            refund(serde_json::json!({"result_code": "REFUND_SUCCESS"})),
            Outcome::Refund(RefundFact::Succeeded { gateway_refund_no: None })
        );
        assert!(matches!(
            refund(serde_json::json!({"result_code": "REFUND_ERROR", "error_message": "x"})),
            Outcome::Refund(RefundFact::Attention { words }) if words.starts_with("REFUND_ERROR")
        ));
        assert!(matches!(
            refund(serde_json::json!({"result_code": "FAIL", "error_code": "REFUND_REQUEST_CONFLICT"})),
            Outcome::Refund(RefundFact::Undecided { .. })
        ));
        assert!(matches!(
            refund(serde_json::json!({"result_code": "FAIL", "error_code": "UPAY_REFUND_INVALID_ORDER_STATE"})),
            Outcome::Refund(RefundFact::Failed { code }) if code == "UPAY_REFUND_INVALID_ORDER_STATE"
        ));
        assert!(matches!(
            refund(serde_json::json!({"result_code": "REFUND_MAYBE"})),
            Outcome::Refund(RefundFact::Undecided { .. })
        ));
        let server = br#"{"result_code":"500","error_code":"UNKNOWN_SYSTEM_ERROR"}"#;
        assert!(matches!(interpret_refund(200, server), Outcome::Refund(RefundFact::Undecided { .. })));

        let balance =
            answer(serde_json::json!({"result_code": "SUCCESS", "data": {"sn": "S", "client_sn": "o",
            "order_status": "PARTIAL_REFUNDED", "total_amount": "100", "net_amount": "95"}}));
        assert_eq!(
            interpret_refund_query(200, &balance),
            Outcome::OrderRefunded { total: Some(Fen(100)), net: Some(Fen(95)), uncertain: None }
        );
        let doubt =
            answer(serde_json::json!({"result_code": "SUCCESS", "data": {"sn": "S", "client_sn": "o",
            "order_status": "REFUND_ERROR", "total_amount": "100", "net_amount": "100"}}));
        assert!(matches!(
            interpret_refund_query(200, &doubt),
            Outcome::OrderRefunded { uncertain: Some(_), .. }
        ));
    }

    #[test]
    fn fit_cuts_bytes_on_a_character_boundary() {
        assert_eq!(fit("abc", 64), "abc");
        assert_eq!(fit("茶茶", 5), "茶");
        assert_eq!(fit("茶茶", 6), "茶茶");
        assert_eq!(fit("a茶", 3), "a");
        assert_eq!(fit("", 0), "");
    }

    #[test]
    fn query_cancel_and_precreate_answers() {
        let created = answer(
            serde_json::json!({"result_code": "SUCCESS", "data": {"sn": "S", "client_sn": "o", "order_status": "CREATED"}}),
        );
        assert_eq!(interpret_query(200, &created), Outcome::InProgress { gateway_ref: Some("S".into()) });
        let gone = answer(serde_json::json!({"result_code": "FAIL", "error_code": "UPAY_ORDER_NOT_EXIST"}));
        assert_eq!(interpret_query(200, &gone), Outcome::NotFound);
        let canceled = answer(
            serde_json::json!({"result_code": "SUCCESS", "data": {"sn": "S", "client_sn": "o", "order_status": "PAY_CANCELED"}}),
        );
        assert!(matches!(
            interpret_query(200, &canceled),
            Outcome::Payment(PaymentFact { state: PayState::Closed, .. })
        ));
        assert!(matches!(interpret_query(500, b""), Outcome::Failed { .. }));
        let ok = answer(
            serde_json::json!({"result_code": "CANCEL_ABORT_SUCCESS", "data": {"sn": "S", "client_sn": "o"}}),
        );
        assert_eq!(interpret_cancel(200, &ok), Outcome::Canceled);
        assert_eq!(interpret_cancel(200, &gone), Outcome::NotFound);
        let err = answer(serde_json::json!({"result_code": "CANCEL_ERROR"}));
        assert!(matches!(interpret_cancel(200, &err), Outcome::NeedsReview { .. }));
        let qr = answer(
            serde_json::json!({"result_code": "PRECREATE_SUCCESS", "data": {"sn": "S", "client_sn": "o", "qr_code": "https://qr.shouqianba.com/x"}}),
        );
        assert_eq!(
            interpret_precreate(200, &qr),
            Outcome::Qr {
                order_no: "o".into(),
                content: "https://qr.shouqianba.com/x".into(),
                provider: None
            }
        );
        let conflict =
            answer(serde_json::json!({"result_code": "PRECREATE_FAIL", "error_code": "CLIENT_SN_CONFLICT"}));
        assert!(
            matches!(interpret_precreate(200, &conflict), Outcome::Rejected { code, .. } if code == "CLIENT_SN_CONFLICT")
        );
        let sign = br#"{"result_code":"400","error_code":"ILLEGAL_SIGN","error_message":"x"}"#;
        assert!(
            matches!(interpret_precreate(200, sign), Outcome::Rejected { code, .. } if code == "ILLEGAL_SIGN")
        );
    }
}
