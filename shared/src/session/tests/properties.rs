//! Properties of the session under random interleavings: shopper actions (QR codes, switches,
//! cashier codes, the card flow's sign-up, codes, payment and resends), the merchant's cancel and
//! refunds, Payzero notices (for its orders or others, claiming paid or failed, for the right
//! amount or not, replayed), gateway answers of every kind (paid with the right or a wrong
//! amount, in progress, refused, 5xx, garbage, lost), the clock, and evictions (serialise →
//! restore) at any point. Whatever the order, money is never claimed without a confirmed fact of
//! the right amount (a notice or a card step saying "paid" is not one), `paid` is said once,
//! refunds never pass what was paid, no merchant event is lost, a cashier payment is decided once
//! its deadline has passed, and what is stored never holds the card's number, ID, phone, CVV2 or
//! expiry. Shouqianba and EZR also answer with codes their specs do not define: none of them
//! decides money — no refund is `failed` on one, and no refund request is ever sent as two
//! refunds (every refund call carries the refund's own number; an EZR application goes once).

use super::card::{CARD, CVV2, EXPIRY, ID, PHONE, form, pz_refused};
use super::*;
use crate::api::{CardType, RefundRequest};
use crate::gateway;
use crate::payzero::{MsgType, OrderResult};
use crate::session::card::CardInput;
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
    /// A card step refused (Payzero's wrong-code error); other calls answer as healthy.
    Refused,
    ServerError,
    Garbage,
    Lost,
    /// Any gateway call refused with a code its spec does not define: Payzero `E_NEVER_SEEN`,
    /// Shouqianba a result code it does not list (a refund: `REFUND_REQUEST_CONFLICT`), EZR
    /// `BusinessCode` 4999; the edge's own objects answer as healthy.
    UnknownCode,
    /// A Payzero refund call answered REFUND_FAILED (A.8): the only answer that fails a refund.
    RefundFailed,
    /// No answer yet: the call stays out and is answered (paid) at a later `Release`, after the
    /// session may have taken it for lost.
    Slow,
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
    /// A verified Payzero notice. `order`: an attempt of the session (by index, wrapping) or,
    /// `None`, an order of another session; `digest` from a small set, so notices repeat.
    Notice {
        order: Option<usize>,
        paid: bool,
        right_amount: bool,
        digest: u8,
    },
    CardSignup {
        credit: bool,
    },
    /// A card code: the sign-up's or the payment's, whichever step the card is at.
    CardCode,
    /// Pay with the card the session signed (if any).
    CardPay,
    CardResend,
    Refund(Option<u64>),
    /// Answer every call now due with these replies, in turn.
    Answer(Vec<Reply>),
    /// Let this many milliseconds pass (then the alarm fires).
    Advance(u64),
    /// The slow calls held so far answer now.
    Release,
    Evict,
}

fn reply() -> impl Strategy<Value = Reply> {
    prop_oneof![
        4 => Just(Reply::Healthy),
        2 => Just(Reply::Paid),
        1 => Just(Reply::WrongAmount),
        1 => Just(Reply::Refused),
        1 => Just(Reply::ServerError),
        1 => Just(Reply::Garbage),
        1 => Just(Reply::Lost),
        2 => Just(Reply::UnknownCode),
        1 => Just(Reply::RefundFailed),
        1 => Just(Reply::Slow),
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
        2 => (prop::option::of(0usize..4), any::<bool>(), any::<bool>(), 0u8..3)
            .prop_map(|(order, paid, right_amount, digest)| Step::Notice { order, paid, right_amount, digest }),
        1 => any::<bool>().prop_map(|credit| Step::CardSignup { credit }),
        2 => Just(Step::CardCode),
        1 => Just(Step::CardPay),
        1 => Just(Step::CardResend),
        1 => prop::option::of(1u64..1500).prop_map(Step::Refund),
        6 => prop::collection::vec(reply(), 1..6).prop_map(Step::Answer),
        3 => (0u64..90_000).prop_map(Step::Advance),
        1 => Just(Step::Release),
        2 => Just(Step::Evict),
    ]
}

/// The answer `reply` stands for, to `op`, and whether it is a fact of the session's payment
/// (a query or a pay answer saying paid for the right amount and order).
fn answer(op: &Op, reply: Reply) -> (Answer, bool) {
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
    let card_step = matches!(
        op,
        Op::PayzeroAgreeApply { .. }
            | Op::PayzeroAgreeConfirm { .. }
            | Op::PayzeroQuickpay { .. }
            | Op::PayzeroQuickpayConfirm { .. }
            | Op::PayzeroQuickpayRedo { .. }
    );
    match reply {
        Reply::Healthy => (healthy(op), false),
        Reply::Paid => match (paid(1234), op) {
            (Some(answer), _) => (answer, true),
            // A card step's own "paid" is only a claim: queryOrder must confirm it.
            (None, Op::PayzeroQuickpay { order_no, .. } | Op::PayzeroQuickpayConfirm { order_no, .. }) => {
                (card::pz_quickpay(order_no, "PAY_SUCCEED"), false)
            }
            (None, _) => (healthy(op), false),
        },
        Reply::WrongAmount => (paid(1).unwrap_or_else(|| healthy(op)), false),
        Reply::Refused if card_step => (pz_refused("50061"), false),
        Reply::Refused => (healthy(op), false),
        Reply::ServerError => (Answer::Http { status: 500, body: b"oops".to_vec() }, false),
        Reply::Garbage => (Answer::Http { status: 200, body: b"{\"not json".to_vec() }, false),
        Reply::Lost => (Answer::Lost("no answer within 10 s".into()), false),
        Reply::UnknownCode if op.upstream() == gateway::Upstream::Payzero => {
            (pz_refused("E_NEVER_SEEN"), false)
        }
        Reply::RefundFailed => match op {
            Op::PayzeroRefund { order_no, refund_no, amount, .. } => {
                (pz_refund(order_no, refund_no, *amount, "REFUND_FAILED"), false)
            }
            Op::PayzeroRefundQuery { refund_no, .. } => {
                (pz_refund("", refund_no, Fen(1), "REFUND_FAILED"), false)
            }
            _ => (healthy(op), false),
        },
        Reply::UnknownCode => match op.upstream() {
            gateway::Upstream::Shouqianba if matches!(op, Op::ShouqianbaRefund { .. }) => (
                sqb(serde_json::json!({"result_code": "FAIL", "error_code": "REFUND_REQUEST_CONFLICT"})),
                false,
            ),
            gateway::Upstream::Shouqianba => (
                sqb(serde_json::json!({"result_code": "SOMETHING_NEW", "error_code": "E_NEVER_SEEN"})),
                false,
            ),
            gateway::Upstream::Ezr => (
                http(
                    serde_json::json!({"Success": false, "Msg": "某种新情况", "Status": 200, "BusinessCode": 4999}),
                ),
                false,
            ),
            _ => (healthy(op), false),
        },
        Reply::Slow => (healthy(op), false),
    }
}

/// A Payzero notice, as the edge hands it over once its signature is verified.
fn notice(order_no: &str, paid: bool, amount: u64, digest: u8) -> Input {
    let status = if paid { "PAY_SUCCEED" } else { "PAY_FAILED" };
    let order: OrderResult = serde_json::from_value(
        serde_json::json!({"mchtOrderNo": order_no, "paymentAmount": amount, "payStatus": status}),
    )
    .unwrap_or_else(|e| panic!("a notice's order: {e}"));
    Input::Notice {
        digest: format!("digest-{digest}"),
        msg_type: MsgType::PayStatusNotify,
        order: Box::new(order),
    }
}

/// What the driver knows, to check the session against.
#[derive(Default)]
struct Facts {
    /// A gateway said "paid, right amount" at least once.
    right_payment: bool,
    /// Every merchant event id seen in the outbox so far, in order.
    events: Vec<String>,
    /// Refunds (by index) Payzero said REFUND_FAILED about.
    refund_failed_said: Vec<u32>,
    /// Refunds the merchant's requests made.
    refunds_requested: usize,
    /// EZR refund applications sent, by refund index.
    applies: Vec<u32>,
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
    // One refund per request, never two.
    prop_assert_eq!(s.refunds.len(), facts.refunds_requested, "refunds made per request");
    // A refund fails only on the gateway's word that nothing moved — here only Payzero's
    // REFUND_FAILED says so; after any other answer (an unknown code, a conflict, nothing) the
    // money may have moved.
    for r in &s.refunds {
        if r.status == crate::api::RefundStatus::Failed {
            prop_assert!(
                facts.refund_failed_said.contains(&r.index),
                "refund {} failed on a guess: {:?}",
                r.index,
                r.failure_code
            );
        }
    }
    // No queued merchant event is ever lost: what was in the outbox stays, in order.
    let now: Vec<String> = s.outbox.iter().map(|w| w.event.id.clone()).collect();
    prop_assert!(now.starts_with(&facts.events), "events lost: had {:?}, now {:?}", facts.events, now);
    facts.events = now;
    // What storage gets never holds the card's personal data, in any form it was typed in.
    let stored = serde_json::to_string(s).unwrap_or_default();
    for value in [CARD, "6217 9201 5105 0000", ID, PHONE] {
        prop_assert!(!stored.contains(value), "{value} is stored");
    }
    for value in [CVV2, EXPIRY] {
        prop_assert!(!stored.contains(&format!("\"{value}\"")), "{value} is stored");
    }
    Ok(())
}

/// A refund request is never sent as two refunds: a refund call carries that refund's own number
/// (which the gateway refunds once), and an EZR application, which carries none, goes once.
fn one_refund_per_request(s: &Session, op: &Op, facts: &mut Facts) -> Result<(), TestCaseError> {
    match op {
        Op::PayzeroRefund { refund, refund_no, .. }
        | Op::ShouqianbaRefund { refund, refund_no, .. }
        | Op::EzrRefund { refund, refund_no, .. } => {
            prop_assert_eq!(refund_no, &refund_id(&s.id, *refund), "a refund call under another number");
        }
        Op::EzrRefundApply { refund, .. } => {
            prop_assert!(!facts.applies.contains(refund), "refund {refund} applied twice");
            facts.applies.push(*refund);
        }
        _ => {}
    }
    Ok(())
}

fn run(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let mut s = session_with(&[
        PaymentMethod::PayzeroQr,
        PaymentMethod::ShouqianbaQr,
        PaymentMethod::ShouqianbaBarcode,
        PaymentMethod::EzrBarcode,
        PaymentMethod::PayzeroCard,
    ]);
    // Half the runs are for a merchant whose EZR refunds need approval (applications).
    s.params.ezr_refund_approval = steps.len().is_multiple_of(2);
    let mut now = NOW_MS;
    let mut facts = Facts::default();
    let mut replies = Vec::new();
    let mut held: Vec<(u64, Op)> = Vec::new();
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
                s.handle(Input::Barcode { method, code: code.into(), client_ip: None }, now).map(drop)
            }
            Step::Wait => s.handle(Input::Wait, now).map(drop),
            Step::Notice { order, paid, right_amount, digest } => {
                let order_no = match order {
                    Some(i) if !s.attempts.is_empty() => s.attempts[i % s.attempts.len()].order_no.clone(),
                    _ => "sess_elsewhere_0".to_owned(),
                };
                let amount = if right_amount { 1234 } else { 1 };
                s.handle(notice(&order_no, paid, amount, digest), now).map(drop)
            }
            Step::CardSignup { credit } => {
                let card_type = if credit { CardType::Credit } else { CardType::Debit };
                let signup = CardInput::Signup {
                    form: form(card_type),
                    phone_tag: "ph1".into(),
                    client_tag: "ip1".into(),
                };
                s.handle(Input::Card(signup), now).map(drop)
            }
            Step::CardCode => {
                let code = "123456".to_owned();
                let input = match s.card.as_ref().map(|c| &c.step) {
                    Some(crate::api::CardStep::SignupCodeSent) => {
                        CardInput::SignupCode { code, client_tag: "ip1".into() }
                    }
                    _ => CardInput::PayCode { code },
                };
                s.handle(Input::Card(input), now).map(drop)
            }
            Step::CardPay => {
                let card_id = s.agreements.first().map(|a| a.card.id.clone()).unwrap_or_default();
                s.handle(Input::Card(CardInput::Pay { card_id, saved: None, client_tag: "ip1".into() }), now)
                    .map(drop)
            }
            Step::CardResend => {
                s.handle(Input::Card(CardInput::Resend { client_tag: "ip1".into() }), now).map(drop)
            }
            Step::Cancel => s.handle(Input::Cancel, now).map(drop),
            Step::Refund(amount) => {
                let made =
                    s.handle(Input::Refund(RefundRequest { amount: amount.map(Fen), reason: None }), now);
                if matches!(made, Ok(Accepted::Refund(_))) {
                    facts.refunds_requested += 1;
                }
                made.map(drop)
            }
            Step::Release => {
                for (id, op) in std::mem::take(&mut held) {
                    let (answer, fact) = answer(&op, Reply::Paid);
                    facts.right_payment |= fact;
                    let handled = s.handle(Input::Answer { call: id, answer }, now);
                    prop_assert!(handled.is_ok(), "a late answer was refused: {:?}", handled);
                    check(&s, &mut facts)?;
                }
                Ok(())
            }
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
            one_refund_per_request(&s, &call.op, &mut facts)?;
            let reply = replies.get(turn % replies.len().max(1)).copied().unwrap_or(Reply::Healthy);
            turn += 1;
            if matches!(reply, Reply::Slow) {
                held.push((call.id, call.op));
                if turn > 60 {
                    break;
                }
                continue;
            }
            if matches!(reply, Reply::RefundFailed)
                && let Some(index) = call.op.refund_index()
                && call.op.upstream() == gateway::Upstream::Payzero
            {
                facts.refund_failed_said.push(index);
            }
            let (answer, fact) = answer(&call.op, reply);
            facts.right_payment |= fact;
            let handled = s.handle(Input::Answer { call: call.id, answer }, now);
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
            one_refund_per_request(&s, &call.op, &mut facts)?;
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
