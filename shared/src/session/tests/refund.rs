//! Refunds in the core: what is refused (and changes nothing), each gateway's refund and its
//! follow-ups with time as an argument, failures and lost answers, evictions, and the events.

use super::*;
use crate::api::{ErrorCode, RefundRequest, RefundStatus};

fn paid(method: PaymentMethod) -> Session {
    let mut s = all_methods();
    let (code, paid_answer): (&str, fn(&str) -> Answer) = match method {
        PaymentMethod::ShouqianbaBarcode => ("134567890123450000", |no| sqb_order("PAY_SUCCESS", no, "PAID")),
        PaymentMethod::EzrBarcode => ("284567890123450000", |no| {
            ezr(
                serde_json::json!({"TradeNo": "WP1", "OutTradeNo": no, "TotalAmount": 12.34, "OrderState": "SUCCESS"}),
            )
        }),
        _ => {
            let i = attempt_of(s.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS).unwrap());
            let no = s.attempts[i as usize].order_no.clone();
            drive(&mut s, NOW_MS, |_| pz_qr(&no));
            s.handle(Input::Wait, NOW_MS).unwrap();
            drive(&mut s, NOW_MS, |_| pz_order(&no, "PAY_SUCCEED", 1234));
            assert_eq!(s.status, Status::Paid);
            return s;
        }
    };
    let i = barcode(&mut s, method, code, NOW_MS);
    let no = s.attempts[i as usize].order_no.clone();
    drive(&mut s, NOW_MS, |_| paid_answer(&no));
    assert_eq!(s.status, Status::Paid);
    s
}

fn refund(s: &mut Session, amount: Option<u64>, now_ms: u64) -> Result<u32, Refusal> {
    let request = RefundRequest { amount: amount.map(Fen), reason: Some("returned".into()) };
    match s.handle(Input::Refund(request), now_ms)? {
        Accepted::Refund(index) => Ok(index),
        other => panic!("expected a refund, got {other:?}"),
    }
}

fn status_of(s: &Session, index: u32) -> RefundStatus {
    s.refund_view(index).unwrap().status
}

fn pz_refund_answer(status: &str) -> Answer {
    pz_ok(
        serde_json::json!({"mchtOrderNo": "x", "mchtRefundOrderNo": "y", "refundAmount": 1, "refundStatus": status}),
    )
}

fn pz_refused(code: &str) -> Answer {
    http(serde_json::json!({"success": false, "errorCode": code, "errorMsg": "refused", "data": null}))
}

#[test]
fn refunds_are_refused_before_payment_above_the_rest_and_with_bad_input() {
    let mut open = all_methods();
    let refusal = refund(&mut open, None, NOW_MS).unwrap_err();
    assert_eq!(refusal.code, ErrorCode::SessionNotPaid);
    assert!(open.refunds.is_empty() && open.calls.is_empty());

    let mut s = paid(PaymentMethod::PayzeroQr);
    let before = serde_json::to_value(&s).unwrap();
    assert_eq!(refund(&mut s, Some(1235), NOW_MS).unwrap_err().code, ErrorCode::RefundExceedsPayment);
    assert_eq!(refund(&mut s, Some(0), NOW_MS).unwrap_err().code, ErrorCode::InvalidRequest);
    let long = RefundRequest { amount: None, reason: Some("x".repeat(MAX_REASON_CHARS + 1)) };
    assert_eq!(s.handle(Input::Refund(long), NOW_MS).unwrap_err().code, ErrorCode::InvalidRequest);
    assert_eq!(serde_json::to_value(&s).unwrap(), before, "a refused refund changed the session");

    // Pending refunds count: 1000 + 234, then nothing is left.
    refund(&mut s, Some(1000), NOW_MS).unwrap();
    refund(&mut s, None, NOW_MS).unwrap();
    assert_eq!(s.refund_view(2).unwrap().amount, Fen(234));
    assert_eq!(refund(&mut s, None, NOW_MS).unwrap_err().code, ErrorCode::RefundExceedsPayment);
    assert_eq!(s.refunded(), (Fen(0), Fen(1234)));
}

#[test]
fn a_payzero_refund_is_requested_then_followed_until_it_succeeds() {
    let mut s = paid(PaymentMethod::PayzeroQr);
    let index = refund(&mut s, Some(500), NOW_MS).unwrap();
    let id = refund_id(&s.id, index);
    assert_eq!(refund_index_of(&s.id, &id), Some(index));
    let sent = drive(&mut s, NOW_MS, |_| pz_refund_answer("REFUND_REQUESTED"));
    assert!(
        matches!(&sent[..], [Op::PayzeroRefund { refund_no, amount: Fen(500), .. }] if *refund_no == id),
        "{sent:?}"
    );
    assert_eq!(status_of(&s, index), RefundStatus::Pending);
    let follow_up = NOW_MS + REFUND_FOLLOW_UP_SECS[0] * 1000;
    assert_eq!(s.poll_timeout(), Some(follow_up));
    // Evicted while pending: the stored session follows up all the same.
    let mut s = evict(&s);
    s.handle(Input::Timer, follow_up).unwrap();
    let sent = drive(&mut s, follow_up, |_| pz_refund_answer("REFUND_REQUESTED"));
    assert!(matches!(&sent[..], [Op::PayzeroRefundQuery { .. }]));
    // Backing off: the next follow-up waits longer.
    let next = follow_up + REFUND_FOLLOW_UP_SECS[1] * 1000;
    assert_eq!(s.poll_timeout(), Some(next));
    s.handle(Input::Timer, next).unwrap();
    let version = s.version;
    drive(&mut s, next, |_| pz_refund_answer("REFUND_SUCCEED"));
    let view = s.refund_view(index).unwrap();
    assert_eq!((view.status, view.finished_at), (RefundStatus::Succeeded, Some(next / 1000)));
    assert_eq!(s.version, version + 1);
    assert_eq!(s.status, Status::Paid, "a refunded session stays paid");
    let event = &s.outbox.last().unwrap().event;
    assert_eq!(event.kind, "checkout.refund.succeeded");
    assert_eq!(event.data.refund.as_ref().map(|r| r.id.as_str()), Some(id.as_str()));
    assert_eq!(s.refunded(), (Fen(500), Fen(0)));
    assert_eq!(s.poll_timeout(), None, "nothing more to follow");
    assert_eq!(s.merchant_view("https://edge").amount_refunded, Fen(500));
}

#[test]
fn a_payzero_refusal_decides_nothing_the_refund_query_does() {
    // The spec defines no refusal code for 9.1 or 9.2: whatever Payzero answers (the sandbox's
    // 50070, a duplicate's 30002, a code nobody has seen), the refund stays pending and the
    // refund query settles it.
    for code in ["50070", "30002", "E_NEVER_SEEN"] {
        let mut s = paid(PaymentMethod::PayzeroQr);
        let index = refund(&mut s, Some(1234), NOW_MS).unwrap();
        let sent = drive(&mut s, NOW_MS, |_| pz_refused(code));
        assert_eq!(sent.len(), 1, "a refusal is not retried blindly: {sent:?}");
        assert_eq!(status_of(&s, index), RefundStatus::Pending, "{code}");
        assert_eq!(s.refunded(), (Fen(0), Fen(1234)), "its amount stays taken");
        let at = s.poll_timeout().unwrap();
        s.handle(Input::Timer, at).unwrap();
        let sent = drive(&mut s, at, |_| pz_refund_answer("REFUND_SUCCEED"));
        assert!(matches!(&sent[..], [Op::PayzeroRefundQuery { .. }, Op::Webhook { .. }]), "{sent:?}");
        assert_eq!(status_of(&s, index), RefundStatus::Succeeded, "{code}");
        assert_eq!(s.outbox.last().unwrap().event.kind, "checkout.refund.succeeded");
    }
    // Only A.8's REFUND_FAILED ends it failed, and a failed refund frees its amount.
    let mut s = paid(PaymentMethod::PayzeroQr);
    let index = refund(&mut s, Some(1234), NOW_MS).unwrap();
    drive(&mut s, NOW_MS, |_| pz_refused("59999"));
    let at = s.poll_timeout().unwrap();
    s.handle(Input::Timer, at).unwrap();
    drive(&mut s, at, |_| pz_refund_answer("REFUND_FAILED"));
    let view = s.refund_view(index).unwrap();
    assert_eq!((view.status, view.failure_code.as_deref()), (RefundStatus::Failed, Some("REFUND_FAILED")));
    assert_eq!(s.outbox.last().unwrap().event.kind, "checkout.refund.failed");
    assert_eq!(s.refunded(), (Fen(0), Fen(0)));
}

#[test]
fn refund_calls_survive_every_transport_failure() {
    for failure in [
        Answer::Lost("timeout".into()),
        Answer::Http { status: 502, body: b"bad gateway".to_vec() },
        Answer::Http { status: 200, body: b"<html>".to_vec() },
    ] {
        let mut s = paid(PaymentMethod::PayzeroQr);
        let index = refund(&mut s, Some(100), NOW_MS).unwrap();
        // Every try fails (the op is retried with backoff), and the refund stays pending.
        let mut now = NOW_MS;
        for _ in 0..10 {
            drive(&mut s, now, |_| failure.clone());
            now = s.poll_timeout().unwrap();
            s.handle(Input::Timer, now).unwrap();
            assert_eq!(status_of(&s, index), RefundStatus::Pending, "{failure:?}");
        }
        // The gateway comes back: the follow-up ends it.
        drive(&mut s, now, |_| pz_refund_answer("REFUND_SUCCEED"));
        assert_eq!(status_of(&s, index), RefundStatus::Succeeded, "{failure:?}");
        let kinds = webhook_kinds(&s);
        assert_eq!(kinds.iter().filter(|k| **k == "checkout.refund.succeeded").count(), 1);
    }
}

/// The gateway calls among `sent` (merchant webhooks left out).
fn upstream(sent: Vec<Op>) -> Vec<Op> {
    sent.into_iter().filter(|op| !matches!(op, Op::Webhook { .. })).collect()
}

fn next(s: &mut Session) -> u64 {
    let at = s.poll_timeout().unwrap();
    s.handle(Input::Timer, at).unwrap();
    at
}

fn attention_of(s: &Session, index: u32) -> String {
    let view = s.refund_view(index).unwrap();
    assert_eq!(view.status, RefundStatus::RequiresAttention, "{view:?}");
    assert_eq!(view.finished_at, None, "not finished: a person finds out");
    view.attention.unwrap()
}

#[test]
fn a_shouqianba_refund_names_the_order_both_ways_and_a_lost_answer_is_sent_again() {
    let mut s = paid(PaymentMethod::ShouqianbaBarcode);
    let index = refund(&mut s, Some(234), NOW_MS).unwrap();
    let no = s.attempts[0].order_no.clone();
    let first = drive(&mut s, NOW_MS, |_| Answer::Lost("timeout".into()));
    assert!(
        matches!(&first[0], Op::ShouqianbaRefund { sn, order_no, .. } if sn == "SQB1" && *order_no == no),
        "{first:?}"
    );
    assert_eq!(status_of(&s, index), RefundStatus::Pending);
    let at = next(&mut s);
    let second = drive(&mut s, at, |_| sqb_order("REFUND_SUCCESS", &no, "PARTIAL_REFUNDED"));
    assert_eq!(first[0], second[0], "the same refund, the same refund_request_no");
    assert_eq!(status_of(&s, index), RefundStatus::Succeeded);

    let refused = refund(&mut s, None, NOW_MS).unwrap();
    drive(&mut s, NOW_MS, |_| {
        sqb(
            serde_json::json!({"result_code": "FAIL", "error_code": "UPAY_REFUND_INVALID_ORDER_STATE", "error_message": "no"}),
        )
    });
    let view = s.refund_view(refused).unwrap();
    assert_eq!(view.status, RefundStatus::Failed);
    assert_eq!(view.failure_code.as_deref(), Some("UPAY_REFUND_INVALID_ORDER_STATE"));
}

#[test]
fn shouqianba_refund_error_needs_a_person_at_once() {
    let mut s = paid(PaymentMethod::ShouqianbaBarcode);
    let index = refund(&mut s, Some(234), NOW_MS).unwrap();
    drive(&mut s, NOW_MS, |_| {
        sqb(serde_json::json!({"result_code": "REFUND_ERROR", "error_message": "请立即进行人工介入"}))
    });
    assert!(attention_of(&s, index).contains("REFUND_ERROR"));
    assert_eq!(s.outbox.last().unwrap().event.kind, "checkout.refund.requires_attention");
    assert_eq!(s.poll_timeout(), None, "not resent hourly forever");
    // Still counted: what may have been refunded is not offered again.
    assert_eq!(s.refunded(), (Fen(0), Fen(234)));
    assert_eq!(refund(&mut s, Some(1001), NOW_MS).unwrap_err().code, ErrorCode::RefundExceedsPayment);
}

fn conflict() -> Answer {
    sqb(
        serde_json::json!({"result_code": "FAIL", "error_code": "REFUND_REQUEST_CONFLICT", "error_message": "重复的退款请求"}),
    )
}

fn sqb_balance(net: u64) -> Answer {
    sqb(serde_json::json!({"result_code": "SUCCESS", "data": {"sn": "SQB1", "client_sn": "o",
        "order_status": "PARTIAL_REFUNDED", "total_amount": "1234", "net_amount": net.to_string()}}))
}

#[test]
fn a_shouqianba_refund_request_conflict_is_settled_by_a_query() {
    // The order shows this refund: it went through on an earlier try.
    let mut s = paid(PaymentMethod::ShouqianbaBarcode);
    let index = refund(&mut s, Some(234), NOW_MS).unwrap();
    drive(&mut s, NOW_MS, |_| conflict());
    assert_eq!(status_of(&s, index), RefundStatus::Pending, "never failed on a conflict");
    let at = next(&mut s);
    let sent = upstream(drive(&mut s, at, |_| sqb_balance(1000)));
    assert!(matches!(&sent[..], [Op::ShouqianbaRefundQuery { sn, .. }] if sn == "SQB1"), "{sent:?}");
    assert_eq!(status_of(&s, index), RefundStatus::Succeeded);

    // Not there yet: sent again with the same number; a figure that fits nothing needs a person.
    let mut t = paid(PaymentMethod::ShouqianbaBarcode);
    let index = refund(&mut t, Some(234), NOW_MS).unwrap();
    drive(&mut t, NOW_MS, |_| conflict());
    let at = next(&mut t);
    drive(&mut t, at, |_| sqb_balance(1234));
    let at = next(&mut t);
    let sent = upstream(drive(&mut t, at, |_| conflict()));
    assert!(matches!(&sent[..], [Op::ShouqianbaRefund { .. }]), "{sent:?}");
    let at = next(&mut t);
    drive(&mut t, at, |_| sqb_balance(1));
    assert!(attention_of(&t, index).contains("1233 fen refunded"));
}

#[test]
fn an_unknown_refusal_is_followed_up_then_needs_a_person_never_failed() {
    let mut s = paid(PaymentMethod::ShouqianbaBarcode);
    let index = refund(&mut s, Some(100), NOW_MS).unwrap();
    let unknown =
        || sqb(serde_json::json!({"result_code": "REFUND_WHATEVER", "error_message": "某种新情况"}));
    let mut now = NOW_MS;
    drive(&mut s, now, |_| unknown());
    while status_of(&s, index) == RefundStatus::Pending && now < NOW_MS + 2 * REFUND_UNDECIDED_SECS * 1000 {
        now = next(&mut s);
        drive(&mut s, now, |op| match op {
            // The query shows nothing refunded: the same refund is sent again, and again it
            // decides nothing.
            Op::ShouqianbaRefundQuery { .. } => sqb_balance(1234),
            _ => unknown(),
        });
    }
    assert!(now >= NOW_MS + REFUND_UNDECIDED_SECS * 1000, "a person only after a day of follow-ups");
    let words = attention_of(&s, index);
    assert!(words.contains("24 hours") && words.contains("某种新情况"), "{words}");
    assert_eq!(webhook_kinds(&s).iter().filter(|k| k.starts_with("checkout.refund.")).count(), 1);
}

fn ezr_refunds(list: serde_json::Value) -> Answer {
    ezr(
        serde_json::json!({"TradeNo": "WP1", "TotalAmount": 1234, "OrderState": "SUCCESS", "RefundInfoList": list}),
    )
}

fn ezr_refunded(amount: u64, state: &str) -> Answer {
    ezr(serde_json::json!({"TrandeNo": "WP1", "RefundNo": "APR1", "OutRefundNo": "x", "RefundAmount": amount,
        "RefundState": state}))
}

fn ezr_refused(code: u32, msg: &str) -> Answer {
    http(
        serde_json::json!({"Success": false, "Msg": msg, "Status": 200, "BusinessCode": code, "Result": null}),
    )
}

fn applying(mut s: Session) -> Session {
    s.params.ezr_refund_approval = true;
    s
}

#[test]
fn an_ezr_refund_goes_by_its_out_refund_no_and_is_resent_safely() {
    let mut s = paid(PaymentMethod::EzrBarcode);
    let index = refund(&mut s, Some(300), NOW_MS).unwrap();
    let id = refund_id(&s.id, index);
    // Lost, then refused with 业务异常: both decide nothing; the follow-up is the same request.
    let first = upstream(drive(&mut s, NOW_MS, |_| Answer::Lost("timeout".into())));
    assert!(
        matches!(&first[0], Op::EzrRefund { refund_no, gateway_ref, amount: Fen(300), reason, .. }
            if *refund_no == id && gateway_ref == "WP1" && reason == "returned"),
        "{first:?}"
    );
    let at = next(&mut s);
    let second = upstream(drive(&mut s, at, |_| ezr_refused(500, "系统繁忙")));
    assert_eq!(status_of(&s, index), RefundStatus::Pending);
    let at = next(&mut s);
    let third = upstream(drive(&mut s, at, |_| ezr_refunded(300, "SUCCESS")));
    assert!(first.iter().chain(&second).chain(&third).all(|op| *op == first[0]), "one refund, one number");
    let view = s.refund_view(index).unwrap();
    assert_eq!((view.status, view.gateway_refund_no.as_deref()), (RefundStatus::Succeeded, Some("APR1")));

    // 参数错误 refused it: nothing moved.
    let refused = refund(&mut s, Some(100), NOW_MS).unwrap();
    drive(&mut s, NOW_MS, |_| ezr_refused(4001, "参数TerminalId不能为空"));
    assert_eq!(status_of(&s, refused), RefundStatus::Failed);
}

#[test]
fn an_ezr_application_waits_for_its_approval() {
    let mut s = applying(paid(PaymentMethod::EzrBarcode));
    let index = refund(&mut s, Some(300), NOW_MS).unwrap();
    let sent = drive(&mut s, NOW_MS, |_| {
        ezr(serde_json::json!({"TradeNo": "WP1", "RefundNo": "ER1", "RefundState": "PROCESSING"}))
    });
    assert!(matches!(&sent[..], [Op::EzrRefundApply { amount: Fen(300), .. }]), "{sent:?}");
    let view = s.refund_view(index).unwrap();
    assert_eq!((view.status, view.gateway_refund_no.as_deref()), (RefundStatus::Pending, Some("ER1")));
    // Not approved yet: still pending, asked less and less often.
    for _ in 0..3 {
        let now = next(&mut s);
        drive(&mut s, now, |_| {
            ezr_refunds(
                serde_json::json!([{"RefundNo": "ER1", "RefundAmount": 300, "RefundState": "PROCESSING"}]),
            )
        });
        assert_eq!(status_of(&s, index), RefundStatus::Pending);
    }
    let now = next(&mut s);
    drive(&mut s, now, |_| {
        ezr_refunds(serde_json::json!([{"RefundNo": "ER1", "RefundAmount": 300, "RefundState": "SUCCESS"}]))
    });
    assert_eq!(status_of(&s, index), RefundStatus::Succeeded);
}

#[test]
fn an_ezr_application_rejected_or_left_unapproved_needs_a_person() {
    let processing = || {
        ezr_refunds(
            serde_json::json!([{"RefundNo": "ER1", "RefundAmount": 300, "RefundState": "PROCESSING"}]),
        )
    };
    for (answer, words) in [
        (ezr_refunds(serde_json::json!([])), "no longer lists"),
        (
            ezr_refunds(
                serde_json::json!([{"RefundNo": "ER1", "RefundAmount": 300, "RefundState": "REJECTED"}]),
            ),
            "REJECTED",
        ),
    ] {
        let mut s = applying(paid(PaymentMethod::EzrBarcode));
        let index = refund(&mut s, Some(300), NOW_MS).unwrap();
        drive(&mut s, NOW_MS, |_| {
            ezr(serde_json::json!({"TradeNo": "WP1", "RefundNo": "ER1", "RefundState": "PROCESSING"}))
        });
        let at = next(&mut s);
        drive(&mut s, at, |_| answer.clone());
        assert!(attention_of(&s, index).contains(words));
    }
    // Unapproved: pending for three days, then a person.
    let mut s = applying(paid(PaymentMethod::EzrBarcode));
    let index = refund(&mut s, Some(300), NOW_MS).unwrap();
    drive(&mut s, NOW_MS, |_| {
        ezr(serde_json::json!({"TradeNo": "WP1", "RefundNo": "ER1", "RefundState": "PROCESSING"}))
    });
    let mut now = NOW_MS;
    while status_of(&s, index) == RefundStatus::Pending && now < NOW_MS + 2 * EZR_APPROVAL_WAIT_SECS * 1000 {
        now = next(&mut s);
        drive(&mut s, now, |_| processing());
    }
    assert!(now >= NOW_MS + EZR_APPROVAL_WAIT_SECS * 1000);
    assert!(attention_of(&s, index).contains("still PROCESSING after 3 days"));
}

#[test]
fn an_ezr_apply_whose_answer_was_lost_is_found_or_never_failed() {
    // Found: the one listed refund of that amount nobody claims is ours.
    let mut s = applying(paid(PaymentMethod::EzrBarcode));
    let index = refund(&mut s, Some(300), NOW_MS).unwrap();
    drive(&mut s, NOW_MS, |_| Answer::Lost("timeout".into()));
    assert_eq!(status_of(&s, index), RefundStatus::Pending);
    let at = next(&mut s);
    let sent = drive(&mut s, at, |_| {
        ezr_refunds(
            serde_json::json!([{"RefundNo": "ER7", "RefundAmount": 300, "RefundState": "PROCESSING"}]),
        )
    });
    assert!(matches!(&sent[..], [Op::EzrRefundQuery { .. }]), "never applied twice: {sent:?}");
    assert_eq!(s.refund_view(index).unwrap().gateway_refund_no.as_deref(), Some("ER7"));

    // Not there: it may still appear, so it is never `failed` (the merchant could refund twice);
    // listed again with backoff, then a person.
    let mut t = applying(paid(PaymentMethod::EzrBarcode));
    let index = refund(&mut t, Some(300), NOW_MS).unwrap();
    drive(&mut t, NOW_MS, |_| Answer::Lost("timeout".into()));
    let mut now = NOW_MS;
    while status_of(&t, index) == RefundStatus::Pending && now < NOW_MS + 2 * REFUND_UNDECIDED_SECS * 1000 {
        now = next(&mut t);
        let sent = upstream(drive(&mut t, now, |_| ezr_refunds(serde_json::json!([]))));
        assert!(sent.iter().all(|op| matches!(op, Op::EzrRefundQuery { .. })), "{sent:?}");
        assert_ne!(status_of(&t, index), RefundStatus::Failed);
    }
    assert!(now >= NOW_MS + REFUND_UNDECIDED_SECS * 1000);
    assert!(attention_of(&t, index).contains("does not list"));
    assert_eq!(refund(&mut t, None, now).unwrap().to_string().len(), 1, "only what is surely left");
    assert_eq!(t.refund_view(2).unwrap().amount, Fen(934));
}

#[test]
fn refunds_stored_before_ezr_refund_existed_stay_applications() {
    let mut s = paid(PaymentMethod::EzrBarcode);
    let index = refund(&mut s, Some(300), NOW_MS).unwrap();
    drive(&mut s, NOW_MS, |_| ezr_refused(500, "busy"));
    let mut stored = serde_json::to_value(&s).unwrap();
    stored["refunds"][0].as_object_mut().unwrap().remove("ezr_apply");
    let mut old = load(&serde_json::to_vec(&stored).unwrap()).unwrap();
    let at = next(&mut old);
    let sent = drive(&mut old, at, |_| ezr_refunds(serde_json::json!([])));
    assert!(matches!(&sent[..], [Op::EzrRefundQuery { refund, .. }] if *refund == index), "{sent:?}");
}

#[test]
fn refund_ids_name_their_session() {
    let s = paid(PaymentMethod::PayzeroQr);
    assert_eq!(refund_id(&s.id, 3), format!("{}r3", s.id));
    assert_eq!(refund_index_of(&s.id, &format!("{}r12", s.id)), Some(12));
    for bad in [
        "r1".to_owned(),
        format!("{}r", s.id),
        format!("{}rx", s.id),
        format!("{}r123", s.id),
        "sess_other_r1".into(),
    ] {
        assert_eq!(refund_index_of(&s.id, &bad), None, "{bad}");
    }
    // At most 20 per session, and the longest id fits Shouqianba's refund_request_no (32).
    assert!(refund_id(&s.id, MAX_REFUNDS).len() <= 32);
}
