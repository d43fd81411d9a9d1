//! Properties of the session under random interleavings: shopper actions (QR codes, switches,
//! cashier codes), the merchant's cancel and refunds, gateway answers of every kind (paid with
//! the right or a wrong amount, in progress, 5xx, garbage, lost), the clock, and evictions
//! (serialise → restore) at any point. Whatever the order, money is never claimed without a
//! confirmed fact of the right amount, `paid` is said once, refunds never pass what was paid,
//! no merchant event is lost, and a cashier payment is decided once its deadline has passed.

use super::*;
use crate::api::RefundRequest;
use proptest::prelude::*;

/// What a gateway says to one call.
#[derive(Clone, Copy, Debug)]
enum Reply {
    /// Nothing paid yet, codes issued, cancels done.
    Healthy,
    /// Paid, for the session's amount and order.
    Paid,
    /// Paid, but for another amount: never the session's payment.
    WrongAmount,
    ServerError,
    Garbage,
    Lost,
}

#[derive(Clone, Debug)]
enum Step {
    ShowQr {
        method: PaymentMethod,
        channel: Channel,
    },
    Barcode {
        method: PaymentMethod,
    },
    Wait,
    Cancel,
    Refund(Option<u64>),
    /// Answer every call now due with these replies, in turn.
    Answer(Vec<Reply>),
    /// Let this many milliseconds pass (then the alarm fires).
    Advance(u64),
    Evict,
}

fn reply() -> impl Strategy<Value = Reply> {
    prop_oneof![
        4 => Just(Reply::Healthy),
        2 => Just(Reply::Paid),
        1 => Just(Reply::WrongAmount),
        1 => Just(Reply::ServerError),
        1 => Just(Reply::Garbage),
        1 => Just(Reply::Lost),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let qr = prop_oneof![
        Just((PaymentMethod::PayzeroQr, Channel::WechatPay)),
        Just((PaymentMethod::PayzeroQr, Channel::Alipay)),
        Just((PaymentMethod::ShouqianbaQr, Channel::WechatPay)),
    ];
    let barcode = prop_oneof![Just(PaymentMethod::ShouqianbaBarcode), Just(PaymentMethod::EzrBarcode)];
    prop_oneof![
        2 => qr.prop_map(|(method, channel)| Step::ShowQr { method, channel }),
        2 => barcode.prop_map(|method| Step::Barcode { method }),
        1 => Just(Step::Wait),
        1 => Just(Step::Cancel),
        1 => prop::option::of(1u64..1500).prop_map(Step::Refund),
        6 => prop::collection::vec(reply(), 1..6).prop_map(Step::Answer),
        3 => (0u64..90_000).prop_map(Step::Advance),
        2 => Just(Step::Evict),
    ]
}

/// The answer `reply` stands for, to `op`.
fn answer(op: &Op, reply: Reply) -> Answer {
    let paid = |amount: u64| match op {
        Op::PayzeroQuery { order_no }
        | Op::PayzeroCreateQr { order_no, .. }
        | Op::PayzeroRefreshQr { order_no, .. } => Some(pz_order(order_no, "PAY_SUCCEED", amount)),
        Op::ShouqianbaPay { order_no, .. }
        | Op::ShouqianbaQuery { order_no }
        | Op::ShouqianbaPrecreate { order_no, .. } => {
            let mut body = serde_json::json!({"result_code": "200", "biz_response": {"result_code": "SUCCESS",
                "data": {"sn": "SQB1", "client_sn": order_no, "total_amount": amount.to_string(), "order_status": "PAID"}}});
            if matches!(op, Op::ShouqianbaPay { .. }) {
                body["biz_response"]["result_code"] = "PAY_SUCCESS".into();
            }
            Some(http(body))
        }
        Op::EzrPay { order_no, .. } | Op::EzrQuery { order_no } => Some(ezr(serde_json::json!({
            "TradeNo": "WP9", "OutTradeNo": order_no, "TotalAmount": amount, "OrderState": "SUCCESS"}))),
        _ => None,
    };
    match reply {
        Reply::Healthy => healthy(op),
        Reply::Paid => paid(1234).unwrap_or_else(|| healthy(op)),
        Reply::WrongAmount => paid(1).unwrap_or_else(|| healthy(op)),
        Reply::ServerError => Answer::Http { status: 500, body: b"oops".to_vec() },
        Reply::Garbage => Answer::Http { status: 200, body: b"{\"not json".to_vec() },
        Reply::Lost => Answer::Lost("no answer within 10 s".into()),
    }
}

/// What the driver knows, to check the session against.
#[derive(Default)]
struct Facts {
    /// A gateway said "paid, right amount" at least once.
    right_payment: bool,
    /// Every merchant event id seen in the outbox so far, in order.
    events: Vec<String>,
}

fn check(s: &Session, facts: &mut Facts) -> Result<(), TestCaseError> {
    // Paid only with a confirmed fact of the right amount and order.
    if s.status == Status::Paid {
        prop_assert!(facts.right_payment, "paid without a right-amount payment fact");
        prop_assert!(s.paid_attempt.is_some());
    }
    // `paid` is said once at most.
    let paid_events = s.outbox.iter().filter(|w| w.event.kind == "checkout.session.paid").count();
    prop_assert!(paid_events <= 1, "{paid_events} paid events");
    // Refunds never above what was paid.
    let refunded: u64 = s
        .refunds
        .iter()
        .filter(|r| !matches!(r.status, crate::api::RefundStatus::Failed))
        .map(|r| r.amount.0)
        .sum();
    let paid = if s.paid_attempt.is_some() { 1234 } else { 0 };
    prop_assert!(refunded <= paid, "refunds {refunded} above the payment {paid}");
    // No queued merchant event is ever lost: what was in the outbox stays, in order.
    let now: Vec<String> = s.outbox.iter().map(|w| w.event.id.clone()).collect();
    prop_assert!(now.starts_with(&facts.events), "events lost: had {:?}, now {:?}", facts.events, now);
    facts.events = now;
    Ok(())
}

fn run(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let mut s = all_methods();
    let mut now = NOW_MS;
    let mut facts = Facts::default();
    let mut replies = Vec::new();
    for step in steps {
        // Refusals (a closed session, a limit, a refund before payment) are answers, not faults.
        let _ = match step {
            Step::ShowQr { method, channel } => s.handle(Input::ShowQr { method, channel }, now).map(drop),
            Step::Barcode { method } => {
                let code = if method == PaymentMethod::EzrBarcode {
                    "284567890123451001"
                } else {
                    "134567890123451001"
                };
                s.handle(Input::Barcode { method, code: code.into() }, now).map(drop)
            }
            Step::Wait => s.handle(Input::Wait, now).map(drop),
            Step::Cancel => s.handle(Input::Cancel, now).map(drop),
            Step::Refund(amount) => s
                .handle(Input::Refund(RefundRequest { amount: amount.map(Fen), reason: None }), now)
                .map(drop),
            Step::Answer(list) => {
                replies = list;
                Ok(())
            }
            Step::Advance(ms) => {
                now += ms;
                s.handle(Input::Timer, now).map(drop)
            }
            Step::Evict => {
                s = evict(&s);
                Ok(())
            }
        };
        let mut turn = 0;
        while let Some(call) = s.poll_call(now) {
            let reply = replies.get(turn % replies.len().max(1)).copied().unwrap_or(Reply::Healthy);
            turn += 1;
            if matches!(reply, Reply::Paid) && answer(&call.op, reply) != healthy(&call.op) {
                facts.right_payment = true;
            }
            let handled = s.handle(Input::Answer { call: call.id, answer: answer(&call.op, reply) }, now);
            prop_assert!(handled.is_ok(), "an answer was refused: {:?}", handled);
            check(&s, &mut facts)?;
            if turn > 60 {
                break;
            }
        }
        check(&s, &mut facts)?;
    }
    // Then the gateways recover and time runs on past every deadline: every cashier payment is
    // decided (paid, declined or canceled), none left in progress.
    for _ in 0..400 {
        while let Some(call) = s.poll_call(now) {
            let answer = healthy(&call.op);
            let handled = s.handle(Input::Answer { call: call.id, answer }, now);
            prop_assert!(handled.is_ok(), "an answer was refused: {:?}", handled);
        }
        match s.poll_timeout() {
            Some(at) if at <= NOW_MS + 3 * 3600 * 1000 => {
                now = at.max(now);
                prop_assert!(s.handle(Input::Timer, now).is_ok());
            }
            _ => break,
        }
    }
    check(&s, &mut facts)?;
    prop_assert!(
        s.attempts.iter().all(|a| !a.state.in_progress()),
        "attempts still in progress: {:?}",
        s.attempts.iter().map(|a| a.state).collect::<Vec<_>>()
    );
    Ok(())
}

proptest! {
    // `PROPTEST_CASES` sets how many sequences run (256 by default in the test command).
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_interleavings_keep_every_money_invariant(steps in prop::collection::vec(step(), 1..40)) {
        run(steps)?;
    }
}
