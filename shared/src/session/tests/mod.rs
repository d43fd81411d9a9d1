//! Tests of the session state machine: every attempt kind, with time as an argument, a scripted
//! gateway answering each call, and evictions (serialise, restore, go on) between steps.

use super::*;
use crate::api::{BarcodeState, CreateSessionRequest};
use crate::money::Fen;

const NOW_MS: u64 = 1_700_000_000_000;
const NOW: u64 = NOW_MS / 1000;

fn session_with(methods: &[PaymentMethod]) -> Session {
    let request = CreateSessionRequest::new(Fen(1234), "Lipstick", "ORDER-1")
        .with_notify_url("https://shop.example/hooks/checkout")
        .with_methods(methods.to_vec());
    let params = validate(request, &Settings::default()).unwrap();
    let id = new_session_id([7; 12]);
    let secret = ClientSecret::new(new_client_secret(&id, [9; 16]));
    Session::open(id, secret, params, NOW)
}

fn all_methods() -> Session {
    session_with(&[
        PaymentMethod::PayzeroQr,
        PaymentMethod::ShouqianbaQr,
        PaymentMethod::ShouqianbaBarcode,
        PaymentMethod::EzrBarcode,
    ])
}

fn http(body: serde_json::Value) -> Answer {
    Answer::Http { status: 200, body: body.to_string().into_bytes() }
}

fn pz_ok(data: serde_json::Value) -> Answer {
    http(serde_json::json!({"success": true, "errorMsg": null, "errorCode": null, "data": data}))
}

fn pz_qr(order_no: &str) -> Answer {
    pz_ok(
        serde_json::json!({"mchtOrderNo": order_no, "psp": "EASYPAY", "codeUrl": "weixin://wxpay/bizpayurl?pr=abc", "qrCodeType": "WECHATPAY"}),
    )
}

fn pz_order(order_no: &str, status: &str, amount: u64) -> Answer {
    pz_ok(
        serde_json::json!({"mchtOrderNo": order_no, "paymentAmount": amount, "payStatus": status, "paymentOrderNo": "PZ123"}),
    )
}

fn sqb(biz: serde_json::Value) -> Answer {
    http(serde_json::json!({"result_code": "200", "biz_response": biz}))
}

fn sqb_order(result: &str, order_no: &str, status: &str) -> Answer {
    sqb(
        serde_json::json!({"result_code": result, "data": {"sn": "SQB1", "client_sn": order_no, "total_amount": "1234", "order_status": status, "qr_code": "https://qr.shouqianba.com/x"}}),
    )
}

fn ezr(result: serde_json::Value) -> Answer {
    http(
        serde_json::json!({"Success": true, "Msg": "ok", "Status": 200, "BusinessCode": 0, "Result": result}),
    )
}

/// Sends every call due at `now_ms` to `gateway`, hands the answers back, and returns the ops
/// sent, as the Durable Object's loop does.
fn drive(s: &mut Session, now_ms: u64, mut gateway: impl FnMut(&Op) -> Answer) -> Vec<Op> {
    let mut sent = Vec::new();
    for _ in 0..50 {
        let Some(call) = s.poll_call(now_ms) else { break };
        let answer = gateway(&call.op);
        sent.push(call.op);
        s.handle(Input::Answer { call: call.id, answer }, now_ms).unwrap();
    }
    sent
}

/// An eviction: the object's memory is gone and the stored session is read back.
fn evict(s: &Session) -> Session {
    load(&serde_json::to_vec(s).unwrap()).unwrap()
}

fn attempt_of(accepted: Accepted) -> u32 {
    match accepted {
        Accepted::Attempt(i) => i,
        other => panic!("expected an attempt, got {other:?}"),
    }
}

fn webhook_kinds(s: &Session) -> Vec<&str> {
    s.outbox.iter().map(|w| w.event.kind.as_str()).collect()
}

fn wechat(method: PaymentMethod) -> Input {
    Input::ShowQr { method, channel: Channel::WechatPay }
}

// ----- Payzero QR

#[test]
fn payzero_qr_is_issued_then_confirmed_paid_once() {
    let mut s = session_with(&[PaymentMethod::PayzeroQr]);
    let index = attempt_of(s.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS).unwrap());
    assert_eq!(s.qr_result(index, NOW), None, "the code is still being issued");
    let order_no = s.attempts[0].order_no.clone();
    assert_eq!(order_no, format!("{}_0", s.id));
    let sent = drive(&mut s, NOW_MS, |_| pz_qr(&order_no));
    assert!(matches!(&sent[..], [Op::PayzeroCreateQr { amount: Fen(1234), .. }]));
    let qr = s.qr_result(index, NOW).unwrap().unwrap();
    assert_eq!(qr.qr_content, "weixin://wxpay/bizpayurl?pr=abc");
    assert_eq!(qr.expires_at, NOW + QR_LIFETIME_SECS);
    assert_eq!(qr.provider.as_deref(), Some("EASYPAY"));
    // The same wallet again: the same code, no call.
    assert_eq!(s.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS + 1000).unwrap(), Accepted::Attempt(index));
    assert!(s.poll_call(NOW_MS + 1000).is_none());
    // Another wallet: a refresh of the same order.
    s.handle(Input::ShowQr { method: PaymentMethod::PayzeroQr, channel: Channel::Alipay }, NOW_MS + 2000)
        .unwrap();
    let sent = drive(&mut s, NOW_MS + 2000, |_| pz_qr(&order_no));
    assert!(matches!(&sent[..], [Op::PayzeroRefreshQr { wallet: Wallet::Alipay, .. }]));
    // A browser waits: one query per interval, however many wait.
    s.handle(Input::Wait, NOW_MS + 3000).unwrap();
    s.handle(Input::Wait, NOW_MS + 3000).unwrap();
    let sent = drive(&mut s, NOW_MS + 3000, |_| pz_order(&order_no, "NOT_PAYED", 1234));
    assert_eq!(sent.len(), 1);
    s.handle(Input::Wait, NOW_MS + 3000 + QUERY_INTERVAL_MS - 1).unwrap();
    assert!(s.poll_call(NOW_MS + 3000 + QUERY_INTERVAL_MS - 1).is_none());
    s.handle(Input::Wait, NOW_MS + 3000 + QUERY_INTERVAL_MS).unwrap();
    let version = s.version;
    drive(&mut s, NOW_MS + 9000, |_| pz_order(&order_no, "PAY_SUCCEED", 1234));
    assert_eq!(s.status, Status::Paid);
    assert_eq!(s.version, version + 1);
    assert_eq!(s.poll_event(), Some(Event::Changed(s.version)));
    assert_eq!(s.paid_at, Some(NOW + 9));
    assert_eq!(webhook_kinds(&s), ["checkout.session.paid"]);
    let data = &s.outbox[0].event.data;
    assert_eq!(data.gateway_order_no.as_deref(), Some("PZ123"));
    assert_eq!(data.order_no.as_deref(), Some(order_no.as_str()));
    assert_eq!(data.payment_method, Some(PaymentMethod::PayzeroQr));
    // Shopper actions on a paid session are refused.
    assert_eq!(
        s.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS + 10_000).unwrap_err().code,
        ErrorCode::SessionClosed
    );
}

#[test]
fn a_refused_create_falls_back_to_a_refresh_and_failures_reach_the_shopper() {
    let mut s = session_with(&[PaymentMethod::PayzeroQr]);
    let index = attempt_of(s.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS).unwrap());
    let order_no = s.attempts[0].order_no.clone();
    let sent = drive(&mut s, NOW_MS, |op| match op {
        Op::PayzeroCreateQr { .. } => pz_ok(serde_json::Value::Null).then_refuse(),
        _ => pz_qr(&order_no),
    });
    assert!(matches!(&sent[..], [Op::PayzeroCreateQr { .. }, Op::PayzeroRefreshQr { .. }]));
    assert!(s.qr_result(index, NOW).unwrap().is_ok());

    // A gateway that is down: the shopper hears `upstream_error`, and may try again.
    let mut down = session_with(&[PaymentMethod::PayzeroQr]);
    let index = attempt_of(down.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS).unwrap());
    drive(&mut down, NOW_MS, |_| Answer::Http { status: 502, body: vec![] });
    let refusal = down.qr_result(index, NOW).unwrap().unwrap_err();
    assert_eq!(refusal.code, ErrorCode::UpstreamError);
    assert!(down.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS + 1000).is_ok());
}

trait ThenRefuse {
    fn then_refuse(self) -> Answer;
}

impl ThenRefuse for Answer {
    fn then_refuse(self) -> Answer {
        http(
            serde_json::json!({"success": false, "errorMsg": "商户订单号重复", "errorCode": "30002", "data": null}),
        )
    }
}

#[test]
fn a_refused_token_is_renewed_once_per_call() {
    let mut s = session_with(&[PaymentMethod::PayzeroQr]);
    let index = attempt_of(s.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS).unwrap());
    let order_no = s.attempts[0].order_no.clone();
    let first = s.poll_call(NOW_MS).unwrap();
    assert!(!first.fresh_token);
    s.handle(Input::Answer { call: first.id, answer: Answer::Http { status: 401, body: vec![] } }, NOW_MS)
        .unwrap();
    let second = s.poll_call(NOW_MS).unwrap();
    assert_eq!(second.id, first.id);
    assert!(second.fresh_token, "the shell asks the cache for a new token");
    s.handle(Input::Answer { call: second.id, answer: pz_qr(&order_no) }, NOW_MS).unwrap();
    assert!(s.qr_result(index, NOW).unwrap().is_ok());
    // Refused again with a fresh token: a configuration problem, not a loop.
    let mut t = session_with(&[PaymentMethod::PayzeroQr]);
    let index = attempt_of(t.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS).unwrap());
    let sent = drive(&mut t, NOW_MS, |_| Answer::Http { status: 403, body: vec![] });
    assert_eq!(sent.len(), 2);
    assert_eq!(t.qr_result(index, NOW).unwrap().unwrap_err().code, ErrorCode::UpstreamError);
}

#[test]
fn notices_are_confirmed_recorded_and_deduplicated() {
    let mut s = session_with(&[PaymentMethod::PayzeroQr]);
    s.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS).unwrap();
    let order_no = s.attempts[0].order_no.clone();
    drive(&mut s, NOW_MS, |_| pz_qr(&order_no));
    let order = |status: &str| -> OrderResult {
        serde_json::from_value(
            serde_json::json!({"mchtOrderNo": order_no, "paymentAmount": 1234, "payStatus": status}),
        )
        .unwrap()
    };
    let notice = |digest: &str, status: &str| Input::Notice {
        digest: digest.into(),
        msg_type: MsgType::PayStatusNotify,
        order: Box::new(order(status)),
    };
    // Claimed paid: recorded at once (so the edge answers `OK` at once), confirmed by queryOrder
    // on the alarm, which is due now.
    assert_eq!(s.handle(notice("d1", "PAY_SUCCEED"), NOW_MS).unwrap(), Accepted::Recorded);
    assert!(s.notice_recorded("d1"));
    assert!(s.poll_call(NOW_MS).is_none(), "the notice's own request makes no call");
    assert_eq!(s.poll_timeout(), Some(NOW_MS));
    s.handle(Input::Timer, NOW_MS).unwrap();
    // The query does not agree yet: not paid, asked again later.
    let sent = drive(&mut s, NOW_MS, |_| pz_order(&order_no, "NOT_PAYED", 1234));
    assert!(matches!(&sent[..], [Op::PayzeroQuery { .. }]), "{sent:?}");
    assert_eq!(s.status, Status::Open);
    let next = NOW_MS + NOTICE_CONFIRM_FOLLOW_UP_SECS[0] * 1000;
    assert_eq!(s.poll_timeout(), Some(next));
    // Payzero's retry of the same notice changes nothing.
    assert_eq!(s.handle(notice("d1", "PAY_SUCCEED"), NOW_MS + 500).unwrap(), Accepted::Done);
    assert!(s.poll_call(NOW_MS + 500).is_none());
    // Evicted in between: the stored claim is followed all the same; once the query agrees,
    // paid, said once.
    let mut s = evict(&s);
    s.handle(Input::Timer, next).unwrap();
    drive(&mut s, next, |_| pz_order(&order_no, "PAY_SUCCEED", 1234));
    assert_eq!(s.status, Status::Paid);
    assert!(s.attempts[0].claim.is_none());
    let version = s.version;
    assert_eq!(s.handle(notice("d1", "PAY_SUCCEED"), NOW_MS + 61_000).unwrap(), Accepted::Done);
    assert_eq!(s.handle(notice("d9", "PAY_SUCCEED"), NOW_MS + 61_000).unwrap(), Accepted::Done);
    assert!(s.poll_call(NOW_MS + 61_000).is_none());
    assert_eq!(s.version, version);
    assert_eq!(webhook_kinds(&s), ["checkout.session.paid"]);
    // A failed-payment notice, or one for an order this session never made, is just recorded.
    assert_eq!(s.handle(notice("d2", "PAY_FAILED"), NOW_MS).unwrap(), Accepted::Done);
    assert!(s.notice_recorded("d2"));
    let stranger = Input::Notice {
        digest: "d3".into(),
        msg_type: MsgType::PayStatusNotify,
        order: serde_json::from_value(
            serde_json::json!({"mchtOrderNo": "elsewhere", "paymentAmount": 1, "payStatus": "PAY_SUCCEED"}),
        )
        .unwrap(),
    };
    assert_eq!(s.handle(stranger, NOW_MS).unwrap(), Accepted::Done);
    assert!(s.notice_recorded("d3"));
    for i in 0..(MAX_SEEN_NOTICES + 5) {
        s.handle(notice(&format!("x{i}"), "PAY_FAILED"), NOW_MS).unwrap();
    }
    assert_eq!(s.seen_notices.len(), MAX_SEEN_NOTICES);
}

#[test]
fn a_notice_queryorder_never_confirms_requires_attention_never_paid() {
    let mut s = session_with(&[PaymentMethod::PayzeroQr]);
    s.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS).unwrap();
    let order_no = s.attempts[0].order_no.clone();
    drive(&mut s, NOW_MS, |_| pz_qr(&order_no));
    let order: OrderResult = serde_json::from_value(
        serde_json::json!({"mchtOrderNo": order_no, "paymentAmount": 1234, "payStatus": "PAY_SUCCEED"}),
    )
    .unwrap();
    let notice =
        Input::Notice { digest: "n".into(), msg_type: MsgType::PayStatusNotify, order: Box::new(order) };
    s.handle(notice, NOW_MS).unwrap();
    let mut queries = 0;
    let mut now = NOW_MS;
    // queryOrder is slow (each answer comes 8 s after the question) and never agrees.
    while let Some(at) = s.poll_timeout() {
        if s.status != Status::Open && s.status != Status::Expired {
            break;
        }
        now = at.max(now);
        s.handle(Input::Timer, now).unwrap();
        while let Some(call) = s.poll_call(now) {
            if matches!(call.op, Op::PayzeroQuery { .. }) {
                queries += 1;
            }
            now += 8_000;
            let answer = pz_order(&order_no, "NOT_PAYED", 1234);
            s.handle(Input::Answer { call: call.id, answer }, now).unwrap();
        }
        assert!(queries < 100, "asked forever");
    }
    assert_eq!(s.status, Status::RequiresAttention);
    assert!(s.paid_attempt.is_none());
    let attention = s.attention.clone().unwrap_or_default();
    assert!(attention.contains(&order_no) && attention.contains("queryOrder"), "{attention}");
    assert!(queries > NOTICE_CONFIRM_FOLLOW_UP_SECS.len(), "{queries} queries");
    assert!(now - NOW_MS > 6 * 3600 * 1000, "given up after {} s", (now - NOW_MS) / 1000);
    assert!(webhook_kinds(&s).contains(&"checkout.session.requires_attention"));
}

#[test]
fn expiry_asks_the_gateway_first_and_a_late_payment_still_wins() {
    let mut s = session_with(&[PaymentMethod::PayzeroQr]);
    s.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS).unwrap();
    let order_no = s.attempts[0].order_no.clone();
    drive(&mut s, NOW_MS, |_| pz_qr(&order_no));
    assert_eq!(s.poll_timeout(), Some(s.expires_at * 1000));
    let at = s.expires_at * 1000;
    s.handle(Input::Timer, at).unwrap();
    assert_eq!(s.status, Status::Open, "a last query is out");
    assert_eq!(s.handle(wechat(PaymentMethod::PayzeroQr), at).unwrap_err().code, ErrorCode::SessionClosed);
    let sent = drive(&mut s, at, |_| pz_order(&order_no, "NOT_PAYED", 1234));
    assert!(matches!(&sent[..], [Op::PayzeroQuery { .. }, Op::Webhook { .. }]));
    assert_eq!(s.status, Status::Expired);
    assert_eq!(s.attempts[0].state, AttemptState::Closed);
    // The shopper paid the last code anyway; the notice is confirmed and the money counts.
    let order = serde_json::from_value(
        serde_json::json!({"mchtOrderNo": order_no, "paymentAmount": 1234, "payStatus": "PAY_SUCCEED"}),
    )
    .unwrap();
    s.handle(
        Input::Notice { digest: "late".into(), msg_type: MsgType::PayStatusNotify, order: Box::new(order) },
        at + 5000,
    )
    .unwrap();
    s.handle(Input::Timer, at + 5000).unwrap();
    drive(&mut s, at + 5000, |op| match op {
        Op::Webhook { .. } => Answer::Http { status: 200, body: vec![] },
        _ => pz_order(&order_no, "PAY_SUCCEED", 1234),
    });
    assert_eq!(s.status, Status::Paid);
    assert_eq!(webhook_kinds(&s), ["checkout.session.expired", "checkout.session.paid"]);
    assert_ne!(s.outbox[0].event.id, s.outbox[1].event.id);
}

#[test]
fn a_canceled_session_that_was_just_paid_ends_paid() {
    let mut s = session_with(&[PaymentMethod::PayzeroQr]);
    s.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS).unwrap();
    let order_no = s.attempts[0].order_no.clone();
    drive(&mut s, NOW_MS, |_| pz_qr(&order_no));
    s.handle(Input::Cancel, NOW_MS + 1000).unwrap();
    drive(&mut s, NOW_MS + 1000, |_| pz_order(&order_no, "PAY_SUCCEED", 1234));
    assert_eq!(s.status, Status::Paid);
    assert_eq!(s.handle(Input::Cancel, NOW_MS + 2000).unwrap_err().code, ErrorCode::SessionClosed);
    // Without a payment, cancel ends canceled, and a second cancel is a no-op.
    let mut c = session_with(&[PaymentMethod::PayzeroQr]);
    c.handle(Input::Cancel, NOW_MS).unwrap();
    assert_eq!(c.status, Status::Canceled);
    let version = c.version;
    c.handle(Input::Cancel, NOW_MS).unwrap();
    assert_eq!(c.version, version);
}

#[test]
fn a_wrong_amount_or_order_requires_attention_never_paid() {
    let mut s = session_with(&[PaymentMethod::PayzeroQr]);
    s.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS).unwrap();
    let order_no = s.attempts[0].order_no.clone();
    drive(&mut s, NOW_MS, |_| pz_qr(&order_no));
    s.handle(Input::Wait, NOW_MS + 5000).unwrap();
    drive(&mut s, NOW_MS + 5000, |_| pz_order(&order_no, "PAY_SUCCEED", 1));
    assert_eq!(s.status, Status::RequiresAttention);
    assert!(s.paid_at.is_none());
    assert_eq!(webhook_kinds(&s), ["checkout.session.requires_attention"]);
    assert!(s.outbox[0].event.data.attention.as_deref().unwrap().contains("1 fen"));

    let mut t = session_with(&[PaymentMethod::PayzeroQr]);
    t.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS).unwrap();
    let order_no = t.attempts[0].order_no.clone();
    drive(&mut t, NOW_MS, |_| pz_qr(&order_no));
    t.handle(Input::Wait, NOW_MS + 5000).unwrap();
    drive(&mut t, NOW_MS + 5000, |_| pz_order("someone-else", "PAY_SUCCEED", 1234));
    assert_eq!(t.status, Status::RequiresAttention);
}

// ----- Shouqianba QR

#[test]
fn shouqianba_qr_is_polled_and_canceled_when_the_session_closes() {
    let mut s = all_methods();
    let index = attempt_of(s.handle(wechat(PaymentMethod::ShouqianbaQr), NOW_MS).unwrap());
    let order_no = s.attempts[index as usize].order_no.clone();
    drive(&mut s, NOW_MS, |_| sqb_order("PRECREATE_SUCCESS", &order_no, "CREATED"));
    let qr = s.qr_result(index, NOW).unwrap().unwrap();
    assert_eq!(qr.method, PaymentMethod::ShouqianbaQr);
    assert_eq!(qr.qr_content, "https://qr.shouqianba.com/x");
    // No notification comes from Shouqianba: it is queried in the background.
    assert_eq!(s.poll_timeout(), Some(NOW_MS + SHOUQIANBA_QR_POLL_MS));
    s.handle(Input::Timer, NOW_MS + SHOUQIANBA_QR_POLL_MS).unwrap();
    let sent = drive(&mut s, NOW_MS + SHOUQIANBA_QR_POLL_MS, |_| sqb_order("SUCCESS", &order_no, "CREATED"));
    assert!(matches!(&sent[..], [Op::ShouqianbaQuery { .. }]));
    // UnionPay is not a Shouqianba wallet.
    let refusal = s
        .handle(Input::ShowQr { method: PaymentMethod::ShouqianbaQr, channel: Channel::Unionpay }, NOW_MS)
        .unwrap_err();
    assert_eq!(refusal.code, ErrorCode::InvalidRequest);
    // The merchant cancels: a last query, then the precreate order is canceled upstream.
    s.handle(Input::Cancel, NOW_MS + 20_000).unwrap();
    let sent = drive(&mut s, NOW_MS + 20_000, |op| match op {
        Op::ShouqianbaQuery { .. } => sqb_order("SUCCESS", &order_no, "CREATED"),
        Op::ShouqianbaCancel { .. } => sqb_order("CANCEL_ABORT_SUCCESS", &order_no, "CANCELED"),
        _ => Answer::Http { status: 200, body: vec![] },
    });
    assert!(sent.iter().any(|op| matches!(op, Op::ShouqianbaCancel { .. })));
    assert_eq!(s.status, Status::Canceled);
    assert_eq!(s.attempts[index as usize].state, AttemptState::Canceled);
}

#[test]
fn switching_wallets_and_methods_then_paying_once_closes_the_rest() {
    let mut s = all_methods();
    let sqb_index = attempt_of(s.handle(wechat(PaymentMethod::ShouqianbaQr), NOW_MS).unwrap());
    let sqb_no = s.attempts[sqb_index as usize].order_no.clone();
    drive(&mut s, NOW_MS, |_| sqb_order("PRECREATE_SUCCESS", &sqb_no, "CREATED"));
    let pz_index = attempt_of(s.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS + 1000).unwrap());
    let pz_no = s.attempts[pz_index as usize].order_no.clone();
    assert_ne!(pz_no, sqb_no);
    drive(&mut s, NOW_MS + 1000, |_| pz_qr(&pz_no));
    // The widget shows the code asked for last.
    assert_eq!(s.checkout_view(false, NOW + 1, &[]).qr.unwrap().method, PaymentMethod::PayzeroQr);
    s.handle(Input::Wait, NOW_MS + 6000).unwrap();
    let sent = drive(&mut s, NOW_MS + 6000, |op| match op {
        Op::PayzeroQuery { .. } => pz_order(&pz_no, "PAY_SUCCEED", 1234),
        Op::ShouqianbaQuery { .. } => sqb_order("SUCCESS", &sqb_no, "CREATED"),
        Op::ShouqianbaCancel { .. } => sqb_order("CANCEL_ABORT_SUCCESS", &sqb_no, "CANCELED"),
        _ => Answer::Http { status: 200, body: vec![] },
    });
    assert_eq!(s.status, Status::Paid);
    assert!(sent.iter().any(|op| matches!(op, Op::ShouqianbaCancel { order_no } if *order_no == sqb_no)));
    assert_eq!(s.attempts[sqb_index as usize].state, AttemptState::Canceled);
    assert_eq!(webhook_kinds(&s), ["checkout.session.paid"]);
}

#[test]
fn a_second_paid_attempt_requires_attention() {
    let mut s = all_methods();
    let sqb_index = attempt_of(s.handle(wechat(PaymentMethod::ShouqianbaQr), NOW_MS).unwrap());
    let sqb_no = s.attempts[sqb_index as usize].order_no.clone();
    drive(&mut s, NOW_MS, |_| sqb_order("PRECREATE_SUCCESS", &sqb_no, "CREATED"));
    s.handle(
        Input::Barcode {
            method: PaymentMethod::EzrBarcode,
            code: "134567890123450000".into(),
            client_ip: None,
        },
        NOW_MS,
    )
    .unwrap();
    let ezr_no = s.attempts[1].order_no.clone();
    // The barcode pays, and the shopper had also paid the QR: its cancel is too late.
    drive(&mut s, NOW_MS, |op| match op {
        Op::EzrPay { .. } => ezr(
            serde_json::json!({"TradeNo": "WP1", "OutTradeNo": ezr_no, "TotalAmount": 1234, "OrderState": "SUCCESS"}),
        ),
        Op::ShouqianbaCancel { .. } => {
            sqb(serde_json::json!({"result_code": "FAIL", "error_code": "UPAY_CANCEL_INVALID_ORDER_STATE"}))
        }
        _ => Answer::Http { status: 200, body: vec![] },
    });
    assert_eq!(s.status, Status::RequiresAttention);
    assert!(s.attention.as_deref().unwrap().contains(&sqb_no));
    let mut t = all_methods();
    let a = attempt_of(t.handle(wechat(PaymentMethod::ShouqianbaQr), NOW_MS).unwrap());
    let a_no = t.attempts[a as usize].order_no.clone();
    drive(&mut t, NOW_MS, |_| sqb_order("PRECREATE_SUCCESS", &a_no, "CREATED"));
    let b = attempt_of(
        t.handle(Input::ShowQr { method: PaymentMethod::ShouqianbaQr, channel: Channel::Alipay }, NOW_MS)
            .unwrap(),
    );
    let b_no = t.attempts[b as usize].order_no.clone();
    drive(&mut t, NOW_MS, |_| sqb_order("PRECREATE_SUCCESS", &b_no, "CREATED"));
    // Both codes were paid before either query: the first pays, the second needs a person.
    t.handle(Input::Timer, NOW_MS + SHOUQIANBA_QR_POLL_MS).unwrap();
    drive(&mut t, NOW_MS + SHOUQIANBA_QR_POLL_MS, |op| match op {
        Op::ShouqianbaQuery { order_no } => sqb_order("SUCCESS", order_no, "PAID"),
        Op::ShouqianbaCancel { .. } => sqb(serde_json::json!({"result_code": "CANCEL_ERROR"})),
        _ => Answer::Http { status: 200, body: vec![] },
    });
    assert_eq!(t.status, Status::RequiresAttention);
    assert_eq!(webhook_kinds(&t), ["checkout.session.paid", "checkout.session.requires_attention"]);
}

// ----- barcodes

fn barcode(s: &mut Session, method: PaymentMethod, code: &str, now_ms: u64) -> u32 {
    attempt_of(s.handle(Input::Barcode { method, code: code.into(), client_ip: None }, now_ms).unwrap())
}

#[test]
fn shouqianba_barcode_paid_at_once_or_after_polling() {
    let mut s = all_methods();
    let i = barcode(&mut s, PaymentMethod::ShouqianbaBarcode, "134567890123450000", NOW_MS);
    assert_eq!(s.status_update(NOW).barcode.unwrap().state, BarcodeState::Processing);
    let no = s.attempts[i as usize].order_no.clone();
    drive(&mut s, NOW_MS, |_| sqb_order("PAY_SUCCESS", &no, "PAID"));
    assert_eq!(s.status, Status::Paid);
    assert_eq!(s.status_update(NOW).barcode.unwrap().state, BarcodeState::Paid);

    let mut t = all_methods();
    let i = barcode(&mut t, PaymentMethod::ShouqianbaBarcode, "134567890123451001", NOW_MS);
    let no = t.attempts[i as usize].order_no.clone();
    drive(&mut t, NOW_MS, |_| sqb_order("PAY_IN_PROGRESS", &no, "CREATED"));
    assert_eq!(t.attempts[i as usize].state, AttemptState::Polling);
    assert_eq!(t.poll_timeout(), Some(NOW_MS + BARCODE_POLL_MS));
    // Evicted between two polls: the stored session goes on where it was.
    let mut t = evict(&t);
    t.handle(Input::Timer, NOW_MS + BARCODE_POLL_MS).unwrap();
    let sent = drive(&mut t, NOW_MS + BARCODE_POLL_MS, |_| sqb_order("SUCCESS", &no, "CREATED"));
    assert!(matches!(&sent[..], [Op::ShouqianbaQuery { .. }]));
    t.handle(Input::Timer, NOW_MS + 2 * BARCODE_POLL_MS).unwrap();
    drive(&mut t, NOW_MS + 2 * BARCODE_POLL_MS, |_| sqb_order("SUCCESS", &no, "PAID"));
    assert_eq!(t.status, Status::Paid);
}

#[test]
fn shouqianba_barcode_past_its_deadline_is_canceled() {
    let mut s = all_methods();
    let i = barcode(&mut s, PaymentMethod::ShouqianbaBarcode, "134567890123451001", NOW_MS);
    let no = s.attempts[i as usize].order_no.clone();
    let deadline = NOW_MS + DEFAULT_BARCODE_DEADLINE_SECS * 1000;
    drive(&mut s, NOW_MS, |_| sqb_order("PAY_IN_PROGRESS", &no, "CREATED"));
    let mut now = NOW_MS;
    let mut queries = 0;
    while let Some(at) = s.poll_timeout().filter(|at| *at <= deadline + 1) {
        now = at;
        s.handle(Input::Timer, now).unwrap();
        s = evict(&s);
        let sent = drive(&mut s, now, |op| match op {
            Op::ShouqianbaQuery { .. } => sqb_order("SUCCESS", &no, "CREATED"),
            _ => sqb_order("CANCEL_ABORT_SUCCESS", &no, "CANCELED"),
        });
        queries += sent.iter().filter(|op| matches!(op, Op::ShouqianbaQuery { .. })).count();
        if sent.iter().any(|op| matches!(op, Op::ShouqianbaCancel { .. })) {
            break;
        }
    }
    assert!(now > deadline);
    assert_eq!(queries as u64, DEFAULT_BARCODE_DEADLINE_SECS * 1000 / BARCODE_POLL_MS);
    assert_eq!(s.attempts[i as usize].state, AttemptState::Canceled);
    let view = s.status_update(NOW).barcode.unwrap();
    assert_eq!((view.state, view.reason), (BarcodeState::Canceled, None), "canceled by the deadline");
    assert_eq!(s.status, Status::Open, "the cashier may take another code");
    barcode(&mut s, PaymentMethod::ShouqianbaBarcode, "134567890123450000", now);
}

#[test]
fn declined_codes_and_uncertain_outcomes() {
    let mut s = all_methods();
    let i = barcode(&mut s, PaymentMethod::ShouqianbaBarcode, "134567890123452002", NOW_MS);
    drive(&mut s, NOW_MS, |_| {
        sqb(serde_json::json!({"result_code": "PAY_FAIL", "error_code": "INSUFFICIENT_FUND"}))
    });
    let view = s.status_update(NOW).barcode.unwrap();
    assert_eq!((view.state, view.reason.as_deref()), (BarcodeState::Declined, Some("INSUFFICIENT_FUND")));
    assert_eq!(s.attempts[i as usize].state, AttemptState::Declined);
    assert_eq!(s.status, Status::Open);
    // A malformed code never reaches a gateway.
    for bad in ["", "12345", "1345678901234500001234567", "13456789012345000x"] {
        let refusal = s
            .handle(
                Input::Barcode {
                    method: PaymentMethod::ShouqianbaBarcode,
                    code: bad.into(),
                    client_ip: None,
                },
                NOW_MS,
            )
            .unwrap_err();
        assert_eq!(refusal.code, ErrorCode::InvalidRequest, "{bad}");
    }
    // PAY_FAIL_ERROR: a person must look.
    let mut t = all_methods();
    barcode(&mut t, PaymentMethod::ShouqianbaBarcode, "134567890123453001", NOW_MS);
    drive(&mut t, NOW_MS, |_| sqb(serde_json::json!({"result_code": "PAY_FAIL_ERROR"})));
    assert_eq!(t.status, Status::RequiresAttention);
    assert_eq!(t.status_update(NOW).barcode.unwrap().state, BarcodeState::NeedsReview);
}

#[test]
fn a_lost_pay_is_polled_never_sent_again() {
    let mut s = all_methods();
    let i = barcode(&mut s, PaymentMethod::ShouqianbaBarcode, "134567890123450000", NOW_MS);
    let no = s.attempts[i as usize].order_no.clone();
    // The object restarts while the pay is out: the stored call is marked sent.
    let call = s.poll_call(NOW_MS).unwrap();
    assert!(matches!(call.op, Op::ShouqianbaPay { .. }));
    let mut s = evict(&s);
    assert!(s.poll_call(NOW_MS + 1000).is_none(), "a sent pay is never sent again");
    assert_eq!(s.poll_timeout(), Some(NOW_MS + CALL_LOST_MS));
    s.handle(Input::Timer, NOW_MS + CALL_LOST_MS).unwrap();
    assert_eq!(s.attempts[i as usize].state, AttemptState::Polling);
    // The deadline has passed meanwhile: the next step cancels (2.4), never pays again.
    let at = s.poll_timeout().unwrap();
    s.handle(Input::Timer, at).unwrap();
    let sent = drive(&mut s, at, |_| sqb_order("CANCEL_SUCCESS", &no, "CANCELED"));
    assert!(matches!(&sent[..], [Op::ShouqianbaCancel { .. }]));
    // A late answer to the lost call changes nothing.
    s.handle(Input::Answer { call: call.id, answer: sqb_order("PAY_SUCCESS", &no, "PAID") }, at).unwrap();
    assert_eq!(s.attempts[i as usize].state, AttemptState::Canceled);
}

#[test]
fn a_cancel_that_fails_for_good_requires_attention() {
    let mut s = all_methods();
    let i = barcode(&mut s, PaymentMethod::ShouqianbaBarcode, "134567890123451001", NOW_MS);
    let no = s.attempts[i as usize].order_no.clone();
    drive(&mut s, NOW_MS, |_| sqb_order("PAY_IN_PROGRESS", &no, "CREATED"));
    let mut now = NOW_MS;
    for _ in 0..40 {
        let Some(at) = s.poll_timeout() else { break };
        now = at;
        s.handle(Input::Timer, now).unwrap();
        drive(&mut s, now, |op| match op {
            Op::ShouqianbaQuery { .. } => sqb_order("SUCCESS", &no, "CREATED"),
            Op::Webhook { .. } => Answer::Http { status: 200, body: vec![] },
            _ => Answer::Http { status: 503, body: vec![] },
        });
    }
    assert!(now > NOW_MS + DEFAULT_BARCODE_DEADLINE_SECS * 1000);
    assert_eq!(s.attempts[i as usize].state, AttemptState::NeedsReview);
    assert_eq!(s.status, Status::RequiresAttention);
    assert!(s.poll_timeout().is_none(), "nothing left to do but for a person to look");
}

#[test]
fn ezr_barcode_success_notpay_cancel_and_declines() {
    let mut s = all_methods();
    let i = barcode(&mut s, PaymentMethod::EzrBarcode, "284567890123450000", NOW_MS);
    let no = s.attempts[i as usize].order_no.clone();
    drive(&mut s, NOW_MS, |_| {
        ezr(
            serde_json::json!({"TradeNo": "WP1", "OutTradeNo": no, "TotalAmount": 12.34, "OrderState": "SUCCESS"}),
        )
    });
    assert_eq!(s.status, Status::Paid);
    assert_eq!(s.outbox[0].event.data.gateway_order_no.as_deref(), Some("WP1"));

    // NOTPAY: canceled at once, by EZR's own order number.
    let mut t = all_methods();
    let i = barcode(&mut t, PaymentMethod::EzrBarcode, "284567890123453001", NOW_MS);
    let no = t.attempts[i as usize].order_no.clone();
    let sent = drive(&mut t, NOW_MS, |op| match op {
        Op::EzrPay { .. } => ezr(
            serde_json::json!({"TradeNo": "WP2", "OutTradeNo": no, "TotalAmount": 12.34, "OrderState": "NOTPAY"}),
        ),
        _ => ezr(
            serde_json::json!({"TradeNo": "WP2", "ReCall": "N", "ReverseState": "SUCCESS", "ReverseDesc": "close"}),
        ),
    });
    assert!(matches!(&sent[..], [Op::EzrPay { .. }, Op::EzrCancel { gateway_ref }] if gateway_ref == "WP2"));
    let view = t.status_update(NOW).barcode.unwrap();
    assert_eq!((view.state, view.reason.as_deref()), (BarcodeState::Canceled, Some("NOTPAY")));

    // A lost pay answer: the query learns EZR's number, and the deadline's cancel uses it.
    let mut u = all_methods();
    let i = barcode(&mut u, PaymentMethod::EzrBarcode, "284567890123451001", NOW_MS);
    let no = u.attempts[i as usize].order_no.clone();
    drive(&mut u, NOW_MS, |_| Answer::Lost("reset".into()));
    assert_eq!(u.attempts[i as usize].state, AttemptState::Polling);
    u.handle(Input::Timer, NOW_MS + BARCODE_POLL_MS).unwrap();
    drive(&mut u, NOW_MS + BARCODE_POLL_MS, |_| {
        ezr(
            serde_json::json!({"TradeNo": "WP3", "OutTradeNo": no, "TotalAmount": 1234, "OrderState": "USERPAYING"}),
        )
    });
    assert_eq!(u.attempts[i as usize].gateway_ref.as_deref(), Some("WP3"));

    let mut v = all_methods();
    barcode(&mut v, PaymentMethod::EzrBarcode, "284567890123452002", NOW_MS);
    drive(&mut v, NOW_MS, |_| {
        ezr(
            serde_json::json!({"OutTradeNo": "x", "TotalAmount": 1234, "OrderState": "PAYERROR", "ErrorCode": "NOTENOUGH"}),
        )
    });
    assert_eq!(v.status_update(NOW).barcode.unwrap().reason.as_deref(), Some("NOTENOUGH"));
}

#[test]
fn an_ezr_integer_is_fen_so_whole_yuan_is_a_mismatch_not_a_payment() {
    // ¥12.34 answered as the integer 12 (whole yuan?) or 1234 (fen): only fen matches.
    for (total, paid) in [(serde_json::json!(1234), true), (serde_json::json!(12), false)] {
        let mut s = all_methods();
        let i = barcode(&mut s, PaymentMethod::EzrBarcode, "284567890123450000", NOW_MS);
        let no = s.attempts[i as usize].order_no.clone();
        drive(&mut s, NOW_MS, |_| {
            ezr(
                serde_json::json!({"TradeNo": "WP1", "OutTradeNo": no, "TotalAmount": total, "OrderState": "SUCCESS"}),
            )
        });
        if paid {
            assert_eq!(s.status, Status::Paid);
        } else {
            assert_eq!(s.status, Status::RequiresAttention, "{total}");
            assert!(s.attention.as_deref().unwrap().contains("12 fen"), "{:?}", s.attention);
        }
    }
    // A session of ¥1.00 answered `1`: one fen, not a yuan.
    let request =
        CreateSessionRequest::new(Fen(100), "Tea", "ORDER-2").with_methods(vec![PaymentMethod::EzrBarcode]);
    let params = validate(request, &Settings::default()).unwrap();
    let id = new_session_id([8; 12]);
    let mut s = Session::open(id.clone(), ClientSecret::new(new_client_secret(&id, [1; 16])), params, NOW);
    let i = barcode(&mut s, PaymentMethod::EzrBarcode, "284567890123450000", NOW_MS);
    let no = s.attempts[i as usize].order_no.clone();
    drive(&mut s, NOW_MS, |_| {
        ezr(
            serde_json::json!({"TradeNo": "WP1", "OutTradeNo": no, "TotalAmount": 1, "OrderState": "SUCCESS"}),
        )
    });
    assert_eq!(s.status, Status::RequiresAttention);
}

#[test]
fn the_cashiers_address_goes_with_the_ezr_pay() {
    let mut s = all_methods();
    let input = Input::Barcode {
        method: PaymentMethod::EzrBarcode,
        code: "284567890123450000".into(),
        client_ip: Some("198.51.100.4".into()),
    };
    s.handle(input, NOW_MS).unwrap();
    let call = s.poll_call(NOW_MS).unwrap();
    assert!(
        matches!(&call.op, Op::EzrPay { client_ip: Some(ip), .. } if ip == "198.51.100.4"),
        "{:?}",
        call.op
    );
}

#[test]
fn shouqianba_text_fields_come_from_the_session() {
    let request = CreateSessionRequest::new(Fen(1234), "Lipstick", "ORDER-3")
        .with_methods(vec![PaymentMethod::ShouqianbaBarcode, PaymentMethod::ShouqianbaQr])
        .with_operator("收银员 07");
    let mut request = request;
    request.description = Some("口红 ×1".into());
    request.reflect = Some("shop-ref-1".into());
    let params = validate(request, &Settings::default()).unwrap();
    let id = new_session_id([6; 12]);
    let mut s = Session::open(id.clone(), ClientSecret::new(new_client_secret(&id, [2; 16])), params, NOW);
    barcode(&mut s, PaymentMethod::ShouqianbaBarcode, "134567890123450000", NOW_MS);
    let call = s.poll_call(NOW_MS).unwrap();
    let Op::ShouqianbaPay { text, .. } = &call.op else { panic!("{:?}", call.op) };
    assert_eq!(text.operator.as_deref(), Some("收银员 07"));
    assert_eq!(text.description.as_deref(), Some("口红 ×1"));
    assert_eq!(text.reflect.as_deref(), Some("shop-ref-1"));
    // Without them: the documented default operator, nothing else sent.
    let mut t = session_with(&[PaymentMethod::ShouqianbaQr]);
    t.handle(wechat(PaymentMethod::ShouqianbaQr), NOW_MS).unwrap();
    let call = t.poll_call(NOW_MS).unwrap();
    let (_, body) = gateway::shouqianba::request(&call.op).unwrap();
    assert_eq!(body["operator"], DEFAULT_OPERATOR);
    assert!(!body.contains_key("reflect"));
}

#[test]
fn shouqianba_payways_4_and_5_are_refused_with_a_clear_error() {
    // 百付宝 (4) and 京东 (5) have no wallet of ours: a QR for them is refused, naming the
    // channels there are (docs/gateways.md).
    let mut s = session_with(&[PaymentMethod::ShouqianbaQr]);
    for channel in [Channel::Unknown("jd_pay".into()), Channel::Unknown("baifubao".into()), Channel::Unionpay]
    {
        let refusal =
            s.handle(Input::ShowQr { method: PaymentMethod::ShouqianbaQr, channel }, NOW_MS).unwrap_err();
        assert_eq!(refusal.code, ErrorCode::InvalidRequest);
        assert!(refusal.message.contains("wechat_pay, alipay"), "{}", refusal.message);
    }
    assert!(s.attempts.is_empty() && s.calls.is_empty());
}

#[test]
fn ezr_refund_approval_is_a_setting_a_session_keeps() {
    let vars = |value: &'static str| {
        Settings::from_vars(move |name| (name == "EZR_REFUND_APPROVAL").then(|| value.to_owned()))
    };
    assert!(vars("true").unwrap().ezr_refund_approval);
    assert!(!vars("false").unwrap().ezr_refund_approval);
    assert!(!Settings::from_vars(|_| None).unwrap().ezr_refund_approval, "unset: §5 refunds");
    assert!(vars("yes").unwrap_err().contains("EZR_REFUND_APPROVAL"));
    let request = CreateSessionRequest::new(Fen(1234), "Lipstick", "ORDER-4");
    let settings = Settings { ezr_refund_approval: true, ..Settings::default() };
    assert!(validate(request, &settings).unwrap().ezr_refund_approval);
}

#[test]
fn shouqianba_text_fields_are_checked_at_creation() {
    let base = r#""amount": 100, "currency": "CNY", "subject": "s", "merchant_order_no": "o", "methods": ["shouqianba_qr"]"#;
    for (extra, field) in [
        (r#""operator": "123456789012345678901234567890123""#, "operator"),
        (r#""operator": "  ""#, "operator"),
        (r#""reflect": "茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶茶""#, "reflect"),
        (
            r#""description": "a
b""#,
            "description",
        ),
    ] {
        let refusal = rejects(&format!("{{{base}, {extra}}}"));
        assert!(refusal.message.starts_with(field), "{extra}: {}", refusal.message);
    }
}

#[test]
fn browser_load_is_bounded() {
    let mut s = all_methods();
    for n in 0..MAX_BARCODES {
        let i =
            barcode(&mut s, PaymentMethod::ShouqianbaBarcode, "134567890123452002", NOW_MS + u64::from(n));
        assert!(i < MAX_BARCODES);
        // While one is in progress, another is refused.
        let busy = s.handle(
            Input::Barcode {
                method: PaymentMethod::ShouqianbaBarcode,
                code: "134567890123450000".into(),
                client_ip: None,
            },
            NOW_MS,
        );
        assert_eq!(busy.unwrap_err().code, ErrorCode::RateLimited);
        drive(&mut s, NOW_MS + u64::from(n), |_| {
            sqb(serde_json::json!({"result_code": "PAY_FAIL", "error_code": "INSUFFICIENT_FUND"}))
        });
    }
    let refusal = s
        .handle(
            Input::Barcode {
                method: PaymentMethod::ShouqianbaBarcode,
                code: "134567890123450000".into(),
                client_ip: None,
            },
            NOW_MS,
        )
        .unwrap_err();
    assert_eq!(refusal.code, ErrorCode::RateLimited);
    assert!(refusal.retry_after.is_some());

    let mut q = session_with(&[PaymentMethod::PayzeroQr]);
    for n in 0..MAX_QR_ISSUES {
        let wallet = if n % 2 == 0 { Channel::WechatPay } else { Channel::Alipay };
        q.handle(Input::ShowQr { method: PaymentMethod::PayzeroQr, channel: wallet }, NOW_MS).unwrap();
        let order_no = q.attempts[0].order_no.clone();
        drive(&mut q, NOW_MS, |_| pz_qr(&order_no));
    }
    let refusal = q
        .handle(Input::ShowQr { method: PaymentMethod::PayzeroQr, channel: Channel::Unionpay }, NOW_MS)
        .unwrap_err();
    assert_eq!(refusal.code, ErrorCode::RateLimited);
}

#[test]
fn methods_not_offered_are_refused() {
    let mut s = session_with(&[PaymentMethod::PayzeroQr]);
    let refusal = s.handle(wechat(PaymentMethod::ShouqianbaQr), NOW_MS).unwrap_err();
    assert_eq!(refusal.code, ErrorCode::MethodNotSupported);
    let refusal = s
        .handle(
            Input::Barcode {
                method: PaymentMethod::EzrBarcode,
                code: "134567890123450000".into(),
                client_ip: None,
            },
            NOW_MS,
        )
        .unwrap_err();
    assert_eq!(refusal.code, ErrorCode::MethodNotSupported);
    let refusal = s
        .handle(
            Input::ShowQr { method: PaymentMethod::PayzeroQr, channel: Channel::Unknown("BITCOIN".into()) },
            NOW_MS,
        )
        .unwrap_err();
    assert_eq!(refusal.code, ErrorCode::InvalidRequest);
    assert_eq!(s.handle(Input::Simulate, NOW_MS).unwrap_err().code, ErrorCode::InvalidRequest);
}

// ----- webhooks and storage

#[test]
fn webhooks_are_retried_on_the_schedule_then_given_up() {
    let mut s = session_with(&[PaymentMethod::PayzeroQr]);
    s.handle(Input::Cancel, NOW_MS).unwrap();
    let mut now = NOW_MS;
    let mut sent = Vec::new();
    // The merchant's endpoint is down; the edge's own list of undelivered events is not.
    let down = |op: &Op| match op {
        Op::Webhook { .. } => Answer::Http { status: 500, body: vec![] },
        _ => Answer::Http { status: 200, body: vec![] },
    };
    while let Some(at) = s.poll_timeout() {
        now = at;
        s.handle(Input::Timer, now).unwrap();
        sent.extend(drive(&mut s, now, down));
        s = evict(&s);
    }
    let tries = sent.iter().filter(|op| matches!(op, Op::Webhook { .. })).count();
    assert_eq!(tries, 1 + WEBHOOK_RETRY_DELAYS_SECS.len());
    assert_eq!(u32::try_from(tries).unwrap(), GIVEN_UP_AFTER_ATTEMPTS);
    assert_eq!(now - NOW_MS, WEBHOOK_RETRY_DELAYS_SECS.iter().sum::<u64>() * 1000);
    assert!(!s.outbox[0].delivered);
    // Given up, it is listed merchant-wide, once, with the attempts made.
    let listed: Vec<_> = sent.iter().filter(|op| matches!(op, Op::UndeliveredEvent { .. })).collect();
    assert!(
        matches!(&listed[..], [Op::UndeliveredEvent { request: LedgerRequest::GaveUp { event } }]
            if event.id == s.outbox[0].event.id && event.session_id == s.id && event.attempts == 9),
        "{listed:?}"
    );
    let mut ok = session_with(&[PaymentMethod::PayzeroQr]);
    ok.handle(Input::Cancel, NOW_MS).unwrap();
    drive(&mut ok, NOW_MS, |op| {
        let Op::Webhook { event_id } = op else { panic!("{op:?}") };
        assert!(event_id.starts_with("evt_"));
        Answer::Http { status: 204, body: vec![] }
    });
    assert!(ok.outbox[0].delivered);
    assert_eq!(ok.poll_timeout(), None);
}

#[test]
fn an_event_given_up_or_waiting_can_be_sent_again_and_a_delivered_one_is_not() {
    let failing = |_: &Op| Answer::Http { status: 500, body: vec![] };
    let mut s = session_with(&[PaymentMethod::PayzeroQr]);
    s.handle(Input::Cancel, NOW_MS).unwrap();
    drive(&mut s, NOW_MS, failing);
    let id = s.outbox[0].event.id.clone();
    // Waiting for its retry in 10 s: a resend sends it now instead, once.
    let waiting = &s.event_deliveries()[0];
    assert_eq!((waiting.attempts, waiting.next_attempt_at), (1, Some(NOW + 10)));
    s.handle(Input::ResendEvent { event_id: id.clone() }, NOW_MS + 1000).unwrap();
    assert_eq!(drive(&mut s, NOW_MS + 1000, failing).len(), 1);
    // Given up after every retry: neither delivered nor planned.
    let mut now = NOW_MS + 1000;
    while let Some(at) = s.poll_timeout() {
        now = at;
        s.handle(Input::Timer, now).unwrap();
        drive(&mut s, now, failing);
    }
    let given_up = &s.event_deliveries()[0];
    assert!(!given_up.delivered && given_up.next_attempt_at.is_none(), "{given_up:?}");
    // Days later the merchant is back and asks for it: one more try, which is stored.
    let later = now + 3 * 24 * 3600 * 1000;
    s.handle(Input::ResendEvent { event_id: id.clone() }, later).unwrap();
    let mut s = evict(&s);
    let sent = drive(&mut s, later, |_| Answer::Http { status: 200, body: vec![] });
    // Delivered at last, it leaves the merchant-wide list of undelivered events.
    assert!(
        matches!(&sent[..], [Op::Webhook { event_id }, Op::UndeliveredEvent { request: LedgerRequest::Delivered { event } }]
            if *event_id == id && event.id == id),
        "{sent:?}"
    );
    assert!(s.event_deliveries()[0].delivered);
    // Delivered: nothing to resend; an unknown id is not found.
    let again = s.handle(Input::ResendEvent { event_id: id }, later).unwrap_err();
    assert_eq!(again.code, ErrorCode::InvalidRequest);
    let unknown = s.handle(Input::ResendEvent { event_id: "evt_nope".into() }, later).unwrap_err();
    assert_eq!(unknown.code, ErrorCode::NotFound);
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn without_notify_url_no_webhook_is_queued() {
    let request = CreateSessionRequest::new(Fen(5), "Tea", "A1");
    let params = validate(request, &Settings::default()).unwrap();
    let mut s = Session::open(new_session_id([1; 12]), ClientSecret::new("x"), params, NOW);
    s.handle(Input::Cancel, NOW_MS).unwrap();
    assert!(s.outbox.is_empty());
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn sessions_stored_by_the_first_release_still_load() {
    let open = load(include_bytes!("../../../tests/stored-sessions/v1_open.json")).unwrap();
    assert_eq!(open.schema, SCHEMA);
    assert_eq!(open.status, Status::Open);
    let a = &open.attempts[0];
    assert_eq!(a.order_no, open.id, "the first release numbered its order with the session id");
    assert_eq!((a.method, a.state, a.order_created), (Method::PayzeroQr, AttemptState::Open, true));
    assert_eq!(open.params.methods, [Method::PayzeroQr]);
    assert_eq!(open.client_secret.expose(), format!("{}_secret_{}", open.id, "3c".repeat(16)));
    assert!(open.notice_recorded(&"ab".repeat(32)));
    let view = open.checkout_view(true, open.created_at + 1, &[]);
    let qr = view.qr.unwrap();
    assert_eq!((qr.channel, qr.provider.as_deref()), (Channel::WechatPay, Some("EASYPAY")));
    // It goes on working: a notice for its order is confirmed and pays it.
    let mut open = open;
    let order = serde_json::from_value(
        serde_json::json!({"mchtOrderNo": open.id, "paymentAmount": 8800, "payStatus": "PAY_SUCCEED"}),
    )
    .unwrap();
    let now = open.created_at * 1000 + 1000;
    open.handle(
        Input::Notice { digest: "n".into(), msg_type: MsgType::PayStatusNotify, order: Box::new(order) },
        now,
    )
    .unwrap();
    let id = open.id.clone();
    open.handle(Input::Timer, now).unwrap();
    drive(&mut open, now, |_| pz_order(&id, "PAY_SUCCEED", 8800));
    assert_eq!(open.status, Status::Paid);

    let paid = load(include_bytes!("../../../tests/stored-sessions/v1_paid.json")).unwrap();
    assert_eq!(paid.status, Status::Paid);
    assert_eq!(paid.paid_attempt, Some(0));
    assert_eq!(paid.attempts[0].gateway_ref.as_deref(), Some("PZ20260101000001"));
    // Its undelivered webhook is still due at the time it was scheduled.
    assert_eq!(paid.poll_timeout(), Some(1_790_000_071_000));
    assert!(
        matches!(&paid.calls[0].op, Op::Webhook { event_id } if event_id == "evt_5a5a5a5a5a5a5a5a5a5a5a5a_2")
    );
    // A newer schema is refused rather than misread.
    let newer = br#"{"schema": 99}"#;
    assert!(load(newer).unwrap_err().to_string().contains("newer"));
}

#[test]
fn views_never_show_secrets_or_payment_codes() {
    let mut s = all_methods();
    let code = "134567890123451001";
    barcode(&mut s, PaymentMethod::ShouqianbaBarcode, code, NOW_MS);
    let view = serde_json::to_string(&s.checkout_view(true, NOW, &[])).unwrap();
    assert!(!view.contains("secret") && !view.contains(&s.id) && !view.contains(code));
    let status = serde_json::to_string(&s.status_update(NOW)).unwrap();
    assert!(!status.contains(code));
    assert!(!format!("{s:?}").contains(code));
}

// ----- validation and ids

fn rejects(body: &str) -> Refusal {
    parse_create_request(body.as_bytes(), &Settings::default()).unwrap_err()
}

#[test]
fn a_valid_request_gets_defaults() {
    let body = r#"{"amount":100,"currency":"CNY","subject":" Tea ","merchant_order_no":"A1","methods":["payzero_qr","ezr_barcode","payzero_qr"]}"#;
    let params =
        parse_create_request(body.as_bytes(), &Settings { barcode_deadline: 90, ..Settings::default() })
            .unwrap();
    assert_eq!(params.subject, "Tea");
    assert_eq!(params.methods, vec![Method::PayzeroQr, Method::EzrBarcode]);
    assert_eq!(params.expires_in, DEFAULT_EXPIRES_IN);
    assert_eq!(params.barcode_deadline, 90);
    assert_eq!(params.locale, crate::api::Locale::ZhCn);
    assert_eq!(barcode_deadline_setting(None), Ok(DEFAULT_BARCODE_DEADLINE_SECS));
    assert_eq!(barcode_deadline_setting(Some("120")), Ok(120));
    assert!(barcode_deadline_setting(Some("5")).is_err());
    assert!(barcode_deadline_setting(Some("soon")).is_err());
}

#[test]
fn invalid_requests_name_the_field() {
    let base = r#""currency":"CNY","subject":"Tea","merchant_order_no":"A1","methods":["payzero_qr"]"#;
    let cases: &[(String, ErrorCode, &str)] = &[
        ("{".into(), ErrorCode::InvalidJson, "not a valid"),
        (format!(r#"{{"amount":"1",{base}}}"#), ErrorCode::InvalidJson, "amount"),
        (format!(r#"{{"amount":-1,{base}}}"#), ErrorCode::InvalidJson, "amount"),
        (format!(r#"{{"amount":1.5,{base}}}"#), ErrorCode::InvalidJson, "amount"),
        (format!(r#"{{"amount":1,"extra":1,{base}}}"#), ErrorCode::InvalidJson, "extra"),
        (format!(r#"{{"amount":0,{base}}}"#), ErrorCode::InvalidRequest, "amount"),
        (format!(r#"{{"amount":10000000000,{base}}}"#), ErrorCode::InvalidRequest, "amount"),
        (
            r#"{"amount":1,"currency":"USD","subject":"T","merchant_order_no":"A","methods":["payzero_qr"]}"#.into(),
            ErrorCode::InvalidRequest,
            "currency",
        ),
        (
            r#"{"amount":1,"currency":"CNY","subject":"  ","merchant_order_no":"A","methods":["payzero_qr"]}"#.into(),
            ErrorCode::InvalidRequest,
            "subject",
        ),
        (
            format!(r#"{{"amount":1,"currency":"CNY","subject":"T","merchant_order_no":"{}","methods":["payzero_qr"]}}"#, "x".repeat(65)),
            ErrorCode::InvalidRequest,
            "merchant_order_no",
        ),
        (
            r#"{"amount":1,"currency":"CNY","subject":"T","merchant_order_no":"A","methods":[]}"#.into(),
            ErrorCode::InvalidRequest,
            "methods",
        ),
        (
            r#"{"amount":1,"currency":"CNY","subject":"T","merchant_order_no":"A","methods":["bitcoin"]}"#.into(),
            ErrorCode::InvalidRequest,
            "methods[0]",
        ),
        (format!(r#"{{"amount":1,"customer":"a/b",{base}}}"#), ErrorCode::InvalidRequest, "customer"),
        (format!(r#"{{"amount":1,"customer":"",{base}}}"#), ErrorCode::InvalidRequest, "customer"),
        (format!(r#"{{"amount":1,"notify_url":"ftp://x",{base}}}"#), ErrorCode::InvalidRequest, "notify_url"),
        (format!(r#"{{"amount":1,"return_url":"https://",{base}}}"#), ErrorCode::InvalidRequest, "return_url"),
        (format!(r#"{{"amount":1,"expires_in":59,{base}}}"#), ErrorCode::InvalidRequest, "expires_in"),
        (format!(r#"{{"amount":1,"expires_in":86401,{base}}}"#), ErrorCode::InvalidRequest, "expires_in"),
        (format!(r#"{{"amount":1,"locale":"fr",{base}}}"#), ErrorCode::InvalidRequest, "locale"),
    ];
    for (body, code, field) in cases {
        let refusal = rejects(body);
        assert_eq!(&refusal.code, code, "{body} → {}", refusal.message);
        assert!(refusal.message.contains(field), "{body} → {}", refusal.message);
    }
    let big = format!(r#"{{"amount":1,"subject":"{}"}}"#, "x".repeat(MAX_BODY_BYTES));
    assert_eq!(rejects(&big).code, ErrorCode::PayloadTooLarge);
}

#[test]
fn live_mode_sends_webhooks_only_to_public_https_hosts() {
    let base =
        r#""amount":1,"currency":"CNY","subject":"Tea","merchant_order_no":"A1","methods":["payzero_qr"]"#;
    let create = |url: &str, live: bool| {
        let body = format!(r#"{{"notify_url":"{url}",{base}}}"#);
        parse_create_request(body.as_bytes(), &Settings { live, ..Settings::default() })
    };
    for public in
        ["https://shop.example.com/hooks", "https://api.shop.cn:8443/h?x=1", "https://shop.example.com."]
    {
        assert!(create(public, true).is_ok(), "{public}");
    }
    for refused in [
        "http://shop.example.com/hooks",
        "https://127.0.0.1/hooks",
        "https://10.0.0.8:8443/hooks",
        "https://[::1]/hooks",
        "https://2130706433/hooks",
        "https://0x7f.0.0.1/hooks",
        "https://localhost/hooks",
        "https://LOCALHOST./hooks",
        "https://shop.localhost/hooks",
        "https://printer.local/hooks",
        "https://db.internal/hooks",
        "https://intranet/hooks",
        "https://user:pw@shop.example.com/hooks",
    ] {
        let refusal = create(refused, true).unwrap_err();
        assert_eq!(refusal.code, ErrorCode::InvalidRequest, "{refused}");
        assert!(refusal.message.contains("notify_url"), "{refused}: {}", refusal.message);
        // Test mode (a developer's machine) takes them.
        if !refused.contains('@') {
            assert!(create(refused, false).is_ok(), "{refused} in test mode");
        }
    }
    assert!(is_live_mode(None));
    assert!(is_live_mode(Some("live")));
    assert!(is_live_mode(Some("tset")));
    assert!(!is_live_mode(Some("test")));
}

#[test]
fn metadata_is_bounded_kept_and_carried_by_every_view_and_event() {
    let create = |metadata: serde_json::Value| {
        let body = serde_json::json!({"amount": 1, "currency": "CNY", "subject": "Tea",
            "merchant_order_no": "A1", "methods": ["payzero_qr"], "metadata": metadata});
        parse_create_request(body.to_string().as_bytes(), &Settings::default())
    };
    // Every bound at once (ASCII: in Chinese the 16 KiB body cap comes first).
    let max: serde_json::Map<String, serde_json::Value> = (0..MAX_METADATA_KEYS)
        .map(|i| (format!("{i:0>40}"), serde_json::Value::String("x".repeat(MAX_METADATA_VALUE_CHARS))))
        .collect();
    assert_eq!(create(serde_json::Value::Object(max.clone())).unwrap().metadata.len(), MAX_METADATA_KEYS);
    let mut too_many = max;
    too_many.insert("one more".into(), "x".into());
    for bad in [
        serde_json::Value::Object(too_many),
        serde_json::json!({ "k".repeat(MAX_METADATA_KEY_CHARS + 1): "x" }),
        serde_json::json!({ "": "x" }),
        serde_json::json!({ "a\nb": "x" }),
        serde_json::json!({ "note": "x".repeat(MAX_METADATA_VALUE_CHARS + 1) }),
    ] {
        let refusal = create(bad).unwrap_err();
        assert_eq!(refusal.code, ErrorCode::InvalidRequest);
        assert!(refusal.message.contains("metadata"), "{}", refusal.message);
    }
    // Strings only: a number is a decoding error naming the field.
    let refusal = create(serde_json::json!({"n": 1})).unwrap_err();
    assert_eq!(refusal.code, ErrorCode::InvalidJson);
    assert!(refusal.message.contains("metadata"), "{}", refusal.message);

    let request = CreateSessionRequest::new(Fen(1234), "Lipstick", "ORDER-1")
        .with_notify_url("https://shop.example/hooks/checkout")
        .with_metadata("cart_id", "c_7731")
        .with_metadata("gift_note", "生日快乐");
    let params = validate(request, &Settings::default()).unwrap();
    let id = new_session_id([7; 12]);
    let mut s = Session::open(id.clone(), ClientSecret::new(new_client_secret(&id, [9; 16])), params, NOW);
    let view = s.merchant_view("https://pay.example.com");
    assert_eq!(view.metadata.get("gift_note").map(String::as_str), Some("生日快乐"));
    s.handle(Input::Cancel, NOW_MS).unwrap();
    assert_eq!(webhook_kinds(&s), ["checkout.session.canceled"]);
    assert_eq!(s.outbox[0].event.data.metadata, view.metadata);
    // Stored and loaded again, it stays; the shopper's view never has it.
    let again = evict(&s);
    assert_eq!(again.merchant_view("https://pay.example.com").metadata, view.metadata);
    let public = serde_json::to_string(&again.checkout_view(true, NOW, &[])).unwrap();
    assert!(!public.contains("c_7731"), "{public}");
}

#[test]
fn an_order_remembers_its_sessions_newest_first_and_bounded() {
    let mut sessions = Vec::new();
    remember_session(&mut sessions, "sess_a");
    remember_session(&mut sessions, "sess_b");
    remember_session(&mut sessions, "sess_a");
    assert_eq!(sessions, ["sess_a", "sess_b"]);
    for n in 0..MAX_SESSIONS_PER_ORDER + 5 {
        remember_session(&mut sessions, &format!("sess_{n}"));
    }
    assert_eq!(sessions.len(), MAX_SESSIONS_PER_ORDER);
    assert_eq!(sessions[0], format!("sess_{}", MAX_SESSIONS_PER_ORDER + 4));
}

#[test]
fn ids_secrets_and_order_numbers_round_trip() {
    let id = new_session_id([0xab; 12]);
    assert_eq!(id, format!("sess_{}", "ab".repeat(12)));
    assert!(is_session_id(&id));
    let secret = new_client_secret(&id, [0x01; 16]);
    assert_eq!(session_id_of_secret(&secret), Some(id.as_str()));
    assert_eq!(session_id_of_secret(&format!("{secret}0")), None);
    assert_eq!(session_id_of_secret("sess_x_secret_y"), None);
    assert!(!is_session_id("sess_ABABABABABABABABABABABAB"));
    let stored = ClientSecret::new(secret.clone());
    assert!(stored.matches(&secret));
    assert!(!stored.matches(&secret[..secret.len() - 1]));
    assert!(!format!("{stored:?}").contains(&secret));
    let order_no = attempt_order_no(&id, 12);
    assert_eq!(session_id_of_order_no(&order_no), Some(id.as_str()));
    assert_eq!(session_id_of_order_no(&id), Some(id.as_str()));
    for bad in [
        "",
        "sess_",
        "A1001",
        &format!("{id}_"),
        &format!("{id}_x"),
        &format!("{id}x"),
        &format!("{id}_1234567890"),
    ] {
        assert_eq!(session_id_of_order_no(bad), None, "{bad}");
    }
}

// ----- every call kind under every failure the sandbox can inject

/// The failures the sandbox's fault modes produce, as the session sees them: no answer
/// (`timeout`, a dropped connection), a 5xx (`http_500`), a 200 that is not JSON
/// (`malformed_json`), and JSON of the wrong shape. (`latency_ms` is a slow success, and
/// `processed` is one of these after the gateway did the work.)
fn failures() -> Vec<(&'static str, Answer)> {
    vec![
        ("timeout", Answer::Lost("no answer within 10 s".into())),
        ("http_500", Answer::Http { status: 500, body: b"oops".to_vec() }),
        ("malformed_json", Answer::Http { status: 200, body: b"{\"not json".to_vec() }),
        ("wrong shape", http(serde_json::json!({"hello": "world"}))),
    ]
}

/// Drives a session whose next call of kind `target` fails with `failure`, every other call
/// answered well, through the clock until nothing is left to do; returns the ops sent.
fn run_with_failure(s: &mut Session, target: &str, failure: &Answer, start_ms: u64) -> Vec<Op> {
    let mut sent = Vec::new();
    let mut now = start_ms;
    let mut failed = false;
    for _ in 0..200 {
        while let Some(call) = s.poll_call(now) {
            let answer = if !failed && call.op.name() == target {
                failed = true;
                failure.clone()
            } else {
                healthy(&call.op)
            };
            sent.push(call.op);
            s.handle(Input::Answer { call: call.id, answer }, now).unwrap();
            // Any point may be an eviction.
            *s = evict(s);
        }
        match s.poll_timeout() {
            Some(at) if at <= start_ms + 2 * 3600 * 1000 => {
                now = at.max(now);
                s.handle(Input::Timer, now).unwrap();
            }
            _ => break,
        }
    }
    sent
}

/// What a well gateway answers: nothing paid yet, codes issued, cancels done.
fn healthy(op: &Op) -> Answer {
    match op {
        Op::PayzeroCreateQr { order_no, .. } | Op::PayzeroRefreshQr { order_no, .. } => pz_qr(order_no),
        Op::PayzeroQuery { order_no } => pz_order(order_no, "NOT_PAYED", 1234),
        Op::ShouqianbaPrecreate { order_no, .. } => sqb_order("PRECREATE_SUCCESS", order_no, "CREATED"),
        Op::ShouqianbaPay { order_no, .. } => sqb_order("PAY_IN_PROGRESS", order_no, "CREATED"),
        Op::ShouqianbaQuery { order_no } => sqb_order("SUCCESS", order_no, "CREATED"),
        Op::ShouqianbaCancel { order_no } => sqb_order("CANCEL_ABORT_SUCCESS", order_no, "CANCELED"),
        Op::EzrPay { order_no, .. } | Op::EzrQuery { order_no } => ezr(
            serde_json::json!({"TradeNo": "WP9", "OutTradeNo": order_no, "TotalAmount": 1234, "OrderState": "USERPAYING"}),
        ),
        Op::EzrCancel { .. } => {
            ezr(serde_json::json!({"TradeNo": "WP9", "ReCall": "N", "ReverseState": "SUCCESS"}))
        }
        Op::PayzeroAgreeApply { request_id, .. } => card::pz_agreement(request_id, None),
        Op::PayzeroAgreeConfirm { request_id, .. } => card::pz_agreement(request_id, Some("AGREE1")),
        Op::PayzeroQuickpay { order_no, .. } | Op::PayzeroQuickpayRedo { order_no, .. } => {
            card::pz_quickpay(order_no, "PAY_APPLIED")
        }
        Op::PayzeroQuickpayConfirm { order_no, .. } => card::pz_quickpay(order_no, "PAY_SMS_CONFIRMED"),
        Op::SmsPermit { .. }
        | Op::CustomerCard { .. }
        | Op::UndeliveredEvent { .. }
        | Op::SandboxPay { .. }
        | Op::Webhook { .. } => Answer::Http { status: 200, body: vec![] },
        Op::PayzeroRefund { order_no, refund_no, amount, .. } => {
            pz_refund(order_no, refund_no, *amount, "REFUND_REQUESTED")
        }
        Op::PayzeroRefundQuery { refund_no, .. } => pz_refund("", refund_no, Fen(1), "REFUND_REQUESTED"),
        Op::ShouqianbaRefund { order_no, .. } => sqb_order("REFUND_SUCCESS", order_no, "PARTIAL_REFUNDED"),
        Op::ShouqianbaRefundQuery { order_no, .. } => sqb_order("SUCCESS", order_no, "PAID"),
        Op::EzrRefund { refund_no, amount, .. } => {
            ezr(serde_json::json!({"TrandeNo": "WP9", "RefundNo": "APR9",
            "OutRefundNo": refund_no, "RefundAmount": amount.0, "RefundState": "SUCCESS"}))
        }
        Op::EzrRefundApply { .. } => {
            ezr(serde_json::json!({"TradeNo": "WP9", "RefundNo": "ER1", "RefundState": "PROCESSING"}))
        }
        Op::EzrRefundQuery { .. } => ezr(
            serde_json::json!({"TradeNo": "WP9", "TotalAmount": 1234, "OrderState": "SUCCESS", "RefundInfoList": []}),
        ),
    }
}

fn pz_refund(order_no: &str, refund_no: &str, amount: Fen, status: &str) -> Answer {
    let body = serde_json::json!({"success": true, "data": {
        "mchtOrderNo": order_no, "mchtRefundOrderNo": refund_no, "refundAmount": amount.0, "refundStatus": status}});
    Answer::Http { status: 200, body: body.to_string().into_bytes() }
}

/// How a scenario starts its session.
type Start = fn(&mut Session);

#[test]
fn every_call_kind_survives_every_failure_mode_and_ends_consistent() {
    let scenarios: Vec<(&str, Start)> = vec![
        ("payzero createAndQrCode", |s: &mut Session| {
            s.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS).unwrap();
        }),
        ("payzero queryOrder", |s: &mut Session| {
            s.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS).unwrap();
        }),
        ("shouqianba precreate", |s: &mut Session| {
            s.handle(wechat(PaymentMethod::ShouqianbaQr), NOW_MS).unwrap();
        }),
        ("shouqianba query", |s: &mut Session| {
            s.handle(wechat(PaymentMethod::ShouqianbaQr), NOW_MS).unwrap();
        }),
        ("shouqianba pay", |s: &mut Session| {
            barcode(s, PaymentMethod::ShouqianbaBarcode, "134567890123451001", NOW_MS);
        }),
        ("shouqianba cancel", |s: &mut Session| {
            barcode(s, PaymentMethod::ShouqianbaBarcode, "134567890123451001", NOW_MS);
        }),
        ("ezr pay", |s: &mut Session| {
            barcode(s, PaymentMethod::EzrBarcode, "284567890123451001", NOW_MS);
        }),
        ("ezr query", |s: &mut Session| {
            barcode(s, PaymentMethod::EzrBarcode, "284567890123451001", NOW_MS);
        }),
        ("ezr cancel", |s: &mut Session| {
            barcode(s, PaymentMethod::EzrBarcode, "284567890123451001", NOW_MS);
        }),
        ("webhook", |s: &mut Session| {
            s.handle(Input::Cancel, NOW_MS).unwrap();
        }),
    ];
    for (target, start) in &scenarios {
        for (fault, failure) in failures() {
            let mut s = all_methods();
            start(&mut s);
            let sent = run_with_failure(&mut s, target, &failure, NOW_MS);
            let case = format!("{target} / {fault}");
            assert!(sent.iter().any(|op| op.name() == *target), "{case}: the call was never made: {sent:?}");
            // Nothing was paid, so nothing may say so.
            assert_ne!(s.status, Status::Paid, "{case}");
            assert!(s.paid_attempt.is_none(), "{case}");
            assert!(!webhook_kinds(&s).contains(&"checkout.session.paid"), "{case}");
            // A payment is never sent twice, whatever happened to its answer.
            let pays =
                sent.iter().filter(|op| matches!(op, Op::ShouqianbaPay { .. } | Op::EzrPay { .. })).count();
            assert!(pays <= 1, "{case}: {pays} pays");
            // Nothing is left hanging: the session reached its end (expired after two hours at
            // most), every barcode payment is decided, and no call is still out.
            assert!(s.status.wire().is_final(), "{case}: still {:?}", s.status);
            assert!(
                s.attempts.iter().all(|a| !a.state.in_progress()),
                "{case}: {:?}",
                s.attempts.iter().map(|a| a.state).collect::<Vec<_>>()
            );
            assert!(s.calls.is_empty(), "{case}: calls left {:?}", s.calls);
        }
    }
}

#[test]
fn a_request_can_leave_webhooks_to_the_alarm() {
    let mut s = session_with(&[PaymentMethod::PayzeroQr]);
    s.handle(Input::Cancel, NOW_MS).unwrap();
    s.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS).unwrap_err();
    let not_webhooks = |op: &Op| !matches!(op, Op::Webhook { .. });
    assert!(s.poll_call_where(NOW_MS, not_webhooks).is_none(), "only the webhook is due");
    assert_eq!(s.poll_timeout(), Some(NOW_MS), "the alarm is asked to fire at once for it");
    assert!(matches!(s.poll_call(NOW_MS).map(|c| c.op), Some(Op::Webhook { .. })));
}

mod card;
#[cfg(not(target_arch = "wasm32"))]
mod properties;
mod refund;

// ----- customs declaration

fn customs() -> crate::api::CustomsDeclaration {
    crate::api::CustomsDeclaration {
        customs_code: "HG022".into(),
        customs_area_code: None,
        customs_jy_org: None,
        customs_in_type: None,
        payer_name: "李白".into(),
        payer_id_number: "310113198010101232".into(),
        payer_phone: "13800138000".into(),
    }
}

#[test]
fn customs_fields_are_checked_at_creation() {
    let base =
        CreateSessionRequest::new(Fen(1234), "Cream", "C1").with_methods(vec![PaymentMethod::PayzeroQr]);
    assert!(validate(base.clone().with_customs(customs()), &Settings::default()).is_ok());
    let refused = |c: crate::api::CustomsDeclaration, methods: Vec<PaymentMethod>| {
        validate(base.clone().with_methods(methods).with_customs(c), &Settings::default())
            .unwrap_err()
            .message
    };
    let qr = vec![PaymentMethod::PayzeroQr];
    assert!(
        validate(
            base.clone().with_methods(vec![PaymentMethod::PayzeroCard]).with_customs(customs()),
            &Settings::default()
        )
        .is_ok()
    );
    // Shouqianba and EZR cannot declare: a customs session offering them is refused with a code
    // of its own, and so is one offering both Payzero methods (it makes one Payzero order).
    for methods in [
        vec![PaymentMethod::ShouqianbaQr],
        vec![PaymentMethod::PayzeroQr, PaymentMethod::EzrBarcode],
        vec![PaymentMethod::ShouqianbaBarcode, PaymentMethod::PayzeroCard],
        vec![PaymentMethod::PayzeroQr, PaymentMethod::PayzeroCard],
    ] {
        let refusal = validate(
            base.clone().with_methods(methods.clone()).with_customs(customs()),
            &Settings::default(),
        )
        .unwrap_err();
        assert_eq!(refusal.code, ErrorCode::MethodNotSupported, "{methods:?}");
        assert!(refusal.message.starts_with("methods:"), "{}", refusal.message);
    }
    assert!(refused(customs(), vec![PaymentMethod::ShouqianbaQr]).contains("shouqianba_qr"));
    assert!(
        refused(crate::api::CustomsDeclaration { customs_code: "HG999".into(), ..customs() }, qr.clone())
            .contains("customs_code")
    );
    assert!(
        refused(crate::api::CustomsDeclaration { customs_code: "HG018".into(), ..customs() }, qr.clone())
            .contains("Guangzhou")
    );
    assert!(
        refused(crate::api::CustomsDeclaration { customs_code: "HG026".into(), ..customs() }, qr.clone())
            .contains("customs_in_type")
    );
    assert!(
        refused(
            crate::api::CustomsDeclaration { payer_id_number: "310113198010101233".into(), ..customs() },
            qr.clone()
        )
        .contains("payer_id_number")
    );
    assert!(
        refused(crate::api::CustomsDeclaration { payer_phone: "12345".into(), ..customs() }, qr)
            .contains("payer_phone")
    );
}

#[test]
fn a_declared_session_declares_its_orders_and_tells_the_merchant() {
    let request = CreateSessionRequest::new(Fen(1234), "Cream", "C1")
        .with_notify_url("https://shop.example/hooks")
        .with_methods(vec![PaymentMethod::PayzeroQr])
        .with_customs(customs());
    let params = validate(request, &Settings::default()).unwrap();
    let id = new_session_id([8; 12]);
    let mut s = Session::open(id.clone(), ClientSecret::new(new_client_secret(&id, [9; 16])), params, NOW);
    let i = attempt_of(s.handle(wechat(PaymentMethod::PayzeroQr), NOW_MS).unwrap());
    let no = s.attempts[i as usize].order_no.clone();
    // The Payzero order carries the shop's own order number: the one its customs order declares.
    assert_eq!(no, "C1");
    assert!(s.has_order("C1") && !s.has_order(&format!("{id}_0")));
    let sent = drive(&mut s, NOW_MS, |_| pz_qr(&no));
    let dashed = crate::china_time::dashed(NOW * 1000);
    assert!(
        matches!(&sent[..], [Op::PayzeroCreateQr { declare: true, customs: Some(_), order_datetime: Some(at), .. }] if *at == dashed),
        "{sent:?}"
    );
    // Another wallet: a new code for the same order (4.2), never a second order.
    let j = attempt_of(
        s.handle(Input::ShowQr { method: PaymentMethod::PayzeroQr, channel: Channel::Alipay }, NOW_MS)
            .unwrap(),
    );
    assert_eq!(i, j);
    let sent = drive(&mut s, NOW_MS, |_| pz_qr(&no));
    assert!(matches!(&sent[..], [Op::PayzeroRefreshQr { order_no, .. }] if order_no == "C1"), "{sent:?}");
    assert_eq!(s.attempts.len(), 1);
    s.handle(Input::Wait, NOW_MS).unwrap();
    drive(&mut s, NOW_MS, |_| pz_order(&no, "PAY_SUCCEED", 1234));
    assert_eq!(s.status, Status::Paid);
    // Once the session ended, the payer's numbers are kept masked only.
    let stored = serde_json::to_string(&s).unwrap();
    assert!(!stored.contains("310113198010101232") && !stored.contains("13800138000"), "{stored}");

    let declare = |digest: &str, status: &str| Input::Notice {
        digest: digest.into(),
        msg_type: MsgType::DeclareStatusNotify,
        order: Box::new(
            serde_json::from_value(serde_json::json!({"mchtOrderNo": no, "paymentAmount": 1234,
                "payStatus": "PAY_SUCCEED", "declareStatus": status, "declareFailReason": ""}))
            .unwrap(),
        ),
    };
    assert_eq!(s.handle(declare("n1", "DECLARING"), NOW_MS + 1000).unwrap(), Accepted::Done);
    assert!(s.notice_recorded("n1"));
    s.handle(declare("n2", "DECLARED"), NOW_MS + 2000).unwrap();
    let kinds = webhook_kinds(&s);
    assert_eq!(kinds.iter().filter(|k| **k == "checkout.declaration.updated").count(), 2);
    let last = &s.outbox.last().unwrap().event;
    assert_eq!(last.data.declaration.as_ref().map(|d| d.status.as_str()), Some("DECLARED"));
    // The same state again (another delivery) changes nothing; the session stays paid.
    let version = s.version;
    s.handle(declare("n3", "DECLARED"), NOW_MS + 3000).unwrap();
    assert_eq!(s.version, version);
    assert_eq!(s.status, Status::Paid);
    assert_eq!(s.merchant_view("https://edge").declaration.unwrap().status, "DECLARED");
}
