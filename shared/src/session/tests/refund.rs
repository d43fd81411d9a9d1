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

#[test]
fn a_shouqianba_refund_in_doubt_is_sent_again_with_the_same_number() {
    let mut s = paid(PaymentMethod::ShouqianbaBarcode);
    let index = refund(&mut s, Some(234), NOW_MS).unwrap();
    let no = s.attempts[0].order_no.clone();
    let first = drive(&mut s, NOW_MS, |_| sqb_order("REFUND_ERROR", &no, "PAID"));
    assert_eq!(status_of(&s, index), RefundStatus::Pending);
    let at = s.poll_timeout().unwrap();
    s.handle(Input::Timer, at).unwrap();
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

fn ezr_refunds(list: serde_json::Value) -> Answer {
    ezr(
        serde_json::json!({"TradeNo": "WP1", "TotalAmount": 1234, "OrderState": "SUCCESS", "RefundInfoList": list}),
    )
}

#[test]
fn an_ezr_refund_waits_for_its_approval() {
    let mut s = paid(PaymentMethod::EzrBarcode);
    let index = refund(&mut s, Some(300), NOW_MS).unwrap();
    let sent = drive(&mut s, NOW_MS, |_| {
        ezr(serde_json::json!({"TradeNo": "WP1", "RefundNo": "ER1", "RefundState": "PROCESSING"}))
    });
    assert!(matches!(&sent[..], [Op::EzrRefundApply { amount: Fen(300), .. }]), "{sent:?}");
    let view = s.refund_view(index).unwrap();
    assert_eq!((view.status, view.gateway_refund_no.as_deref()), (RefundStatus::Pending, Some("ER1")));
    // Not approved yet: still pending, asked less and less often.
    for _ in 0..3 {
        let now = s.poll_timeout().unwrap();
        s.handle(Input::Timer, now).unwrap();
        drive(&mut s, now, |_| {
            ezr_refunds(
                serde_json::json!([{"RefundNo": "ER1", "RefundAmount": 300, "RefundState": "PROCESSING"}]),
            )
        });
        assert_eq!(status_of(&s, index), RefundStatus::Pending);
    }
    let now = s.poll_timeout().unwrap();
    s.handle(Input::Timer, now).unwrap();
    drive(&mut s, now, |_| {
        ezr_refunds(serde_json::json!([{"RefundNo": "ER1", "RefundAmount": 300, "RefundState": "SUCCESS"}]))
    });
    assert_eq!(status_of(&s, index), RefundStatus::Succeeded);
}

#[test]
fn an_ezr_apply_whose_answer_was_lost_is_found_or_failed() {
    // Found: the one listed refund of that amount nobody claims is ours.
    let mut s = paid(PaymentMethod::EzrBarcode);
    let index = refund(&mut s, Some(300), NOW_MS).unwrap();
    drive(&mut s, NOW_MS, |_| Answer::Lost("timeout".into()));
    assert_eq!(status_of(&s, index), RefundStatus::Pending);
    let at = s.poll_timeout().unwrap();
    s.handle(Input::Timer, at).unwrap();
    let sent = drive(&mut s, at, |_| {
        ezr_refunds(
            serde_json::json!([{"RefundNo": "ER7", "RefundAmount": 300, "RefundState": "PROCESSING"}]),
        )
    });
    assert!(matches!(&sent[..], [Op::EzrRefundQuery { .. }]), "never applied twice: {sent:?}");
    assert_eq!(s.refund_view(index).unwrap().gateway_refund_no.as_deref(), Some("ER7"));

    // Not there: the apply never arrived, nothing moved.
    let mut t = paid(PaymentMethod::EzrBarcode);
    let index = refund(&mut t, Some(300), NOW_MS).unwrap();
    drive(&mut t, NOW_MS, |_| Answer::Lost("timeout".into()));
    let at = t.poll_timeout().unwrap();
    t.handle(Input::Timer, at).unwrap();
    drive(&mut t, at, |_| ezr_refunds(serde_json::json!([])));
    let view = t.refund_view(index).unwrap();
    assert_eq!((view.status, view.failure_code.as_deref()), (RefundStatus::Failed, Some("NOT_APPLIED")));
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
