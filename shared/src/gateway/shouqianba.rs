//! Shouqianba calls as data: precreate (QR), pay (barcode), query, cancel and refund, built as JSON
//! objects *without* `terminal_sn` — the terminal object, the only code that holds a terminal
//! key, inserts it and signs the exact bytes — and their answers read with the 2.4 algorithm's
//! classifiers in `crate::shouqianba`.

use super::{Op, Outcome, PayState, PaymentFact, RefundFact, Wallet, failed};
use crate::json::decode;
use crate::shouqianba::{
    self as wire, BizResultCode, CallError, CancelOutcome, OrderRef, OrderStatus, PayOutcome, PayRequest,
    Payway, PollDecision, PrecreateRequest, RefundRequest, SqbAmount, TradeResponse,
};
use serde::Serialize;
use serde_json::{Map, Value};

/// The `operator` field every trade call needs: the checkout acts for the merchant.
const OPERATOR: &str = "checkout-edge";
/// Shouqianba's `subject` is at most 64 characters.
const MAX_SUBJECT_CHARS: usize = 64;

/// The path and the unsigned body (no `terminal_sn`) of a Shouqianba `op`; `None` for other
/// gateways' operations, or an amount Shouqianba cannot carry (more than ten digits, which
/// session validation already rules out).
pub fn request(op: &Op) -> Option<(&'static str, Map<String, Value>)> {
    match op {
        Op::ShouqianbaPrecreate { order_no, amount, subject, wallet } => {
            let payway = match wallet {
                Wallet::WechatPay => Payway::Wechat,
                Wallet::Alipay => Payway::Alipay,
                // Shouqianba's precreate has no UnionPay wallet; the session never asks.
                Wallet::Unionpay => return None,
            };
            let amount = SqbAmount::new(*amount).ok()?;
            let body = PrecreateRequest::new("", order_no, amount, payway, short(subject), OPERATOR);
            Some(("/upay/v2/precreate", object(&body)?))
        }
        Op::ShouqianbaPay { order_no, amount, subject, code } => {
            let amount = SqbAmount::new(*amount).ok()?;
            let body = PayRequest::new("", order_no, amount, code, short(subject), OPERATOR);
            Some(("/upay/v2/pay", object(&body)?))
        }
        Op::ShouqianbaQuery { order_no } => {
            Some(("/upay/v2/query", object(&OrderRef::by_client_sn("", order_no))?))
        }
        Op::ShouqianbaCancel { order_no } => {
            Some(("/upay/v2/cancel", object(&OrderRef::by_client_sn("", order_no))?))
        }
        Op::ShouqianbaRefund { order_no, refund_no, amount, .. } => {
            let amount = SqbAmount::new(*amount).ok()?;
            let body = RefundRequest::new(OrderRef::by_client_sn("", order_no), refund_no, OPERATOR, amount);
            Some(("/upay/v2/refund", object(&body)?))
        }
        _ => None,
    }
}

fn short(subject: &str) -> String {
    subject.chars().take(MAX_SUBJECT_CHARS).collect()
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
        // A 400 is refused before anything moved (a malformed code); a 500 may still be in
        // flight upstream, so it is polled like a lost answer.
        PayOutcome::CallFailed(CallError::Client { code, .. }) => Outcome::Declined {
            reason: code.map(|c| c.as_str().to_owned()).unwrap_or_else(|| "INVALID_PARAMS".into()),
        },
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

/// refund (3). `REFUND_SUCCESS` is done; `REFUND_ERROR` leaves the channel's state uncertain, so
/// the refund stays pending and is sent again with the same `refund_request_no` (which never
/// refunds twice); `FAIL` with its error code is a refusal (no money moved).
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
        Some(error @ CallError::Server { .. }) => return call_failed(error),
    }
    let Some(biz) = response.biz_response.as_ref() else {
        return failed("Shouqianba answered a refund without biz_response");
    };
    let fact = match &biz.result_code {
        BizResultCode::RefundSuccess => RefundFact::Succeeded { gateway_refund_no: None },
        BizResultCode::Fail => {
            RefundFact::Failed { code: biz.error_code.as_ref().map_or("FAIL", |c| c.as_str()).to_owned() }
        }
        // REFUND_ERROR and anything new: uncertain, asked again.
        _ => RefundFact::Pending { gateway_refund_no: None },
    };
    Outcome::Refund(fact)
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
        };
        let (path, body) = request(&op).unwrap();
        assert_eq!(path, "/upay/v2/pay");
        assert!(!body.contains_key("terminal_sn"));
        assert_eq!(body["client_sn"], "sess_a_1");
        assert_eq!(body["total_amount"], "1500");
        assert_eq!(body["dynamic_id"], "134567890123450000");
        assert_eq!(body["subject"].as_str().unwrap().chars().count(), 64);
        let qr = Op::ShouqianbaPrecreate {
            order_no: "o".into(),
            amount: Fen(1),
            subject: "s".into(),
            wallet: Wallet::WechatPay,
        };
        assert_eq!(request(&qr).unwrap().1["payway"], "3");
        let union = Op::ShouqianbaPrecreate {
            order_no: "o".into(),
            amount: Fen(1),
            subject: "s".into(),
            wallet: Wallet::Unionpay,
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
        let server = br#"{"result_code":"500","error_code":"UNKNOWN_SYSTEM_ERROR"}"#;
        assert_eq!(interpret_pay(200, server), Outcome::InProgress { gateway_ref: None });
        let bad_code = br#"{"result_code":"400","error_code":"INVALID_BARCODE","error_message":"x"}"#;
        assert_eq!(interpret_pay(200, bad_code), Outcome::Declined { reason: "INVALID_BARCODE".into() });
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
