//! Bank-card quick pay in the session: sign-up with its SMS code, payment with its SMS code,
//! resend and its cooldown, wrong and expired codes, the SMS limits, saved cards, the no-SMS
//! outcomes, every Payzero code the flow maps, and personal data that never reaches storage.

use super::*;
use crate::api::{CardProblem, CardSignupRequest, CardStep, CardType, CardView};
use crate::customer::CustomerRequest;
use crate::mask::{CardNumber, IdNumber, PhoneNumber, Redacted};
use crate::session::card::CARD_DECISION_MS;

pub(super) const CARD: &str = "6217920151050000";
pub(super) const ID: &str = "310113198010101232";
pub(super) const PHONE: &str = "13800138000";
pub(super) const CVV2: &str = "789";
pub(super) const EXPIRY: &str = "2812";

pub(super) fn pz_agreement(request_id: &str, agreeid: Option<&str>) -> Answer {
    pz_ok(serde_json::json!({
        "requestId": request_id, "accttype": "00", "acctno": CARD, "idno": ID, "acctname": "张三",
        "mobile": PHONE, "validdate": null, "cvv2": null, "bankcode": "999", "bankname": "网联测试专用银行",
        "agreeid": agreeid, "psp": "ALLINPAY", "message": "ok"
    }))
}

pub(super) fn pz_quickpay(order_no: &str, status: &str) -> Answer {
    pz_ok(serde_json::json!({
        "mchtOrderNo": order_no, "psp": "ALLINPAY", "agreeid": "AGREE1", "payStatus": status, "message": null
    }))
}

pub(super) fn pz_refused(code: &str) -> Answer {
    http(serde_json::json!({"success": false, "errorMsg": "refused", "errorCode": code, "data": null}))
}

pub(super) fn form(card_type: CardType) -> Box<CardSignupRequest> {
    let credit = card_type == CardType::Credit;
    Box::new(CardSignupRequest {
        account_name: "张三".into(),
        card_number: CardNumber::new("6217 9201 5105 0000"),
        card_type,
        bank_code: "999".into(),
        id_number: IdNumber::new(ID),
        mobile: PhoneNumber::new(PHONE),
        cvv2: credit.then(|| Redacted::new(CVV2)),
        expiry: credit.then(|| Redacted::new(EXPIRY)),
    })
}

fn card_session() -> Session {
    session_with(&[PaymentMethod::PayzeroCard, PaymentMethod::PayzeroQr])
}

fn signup(s: &mut Session, now_ms: u64) -> Result<Accepted, Refusal> {
    s.handle(
        Input::Card(CardInput::Signup {
            form: form(CardType::Debit),
            phone_tag: "ph1".into(),
            client_tag: "ip1".into(),
        }),
        now_ms,
    )
}

fn code(
    s: &mut Session,
    input: fn(String) -> CardInput,
    code: &str,
    now_ms: u64,
) -> Result<Accepted, Refusal> {
    s.handle(Input::Card(input(code.into())), now_ms)
}

fn signup_code(c: String) -> CardInput {
    CardInput::SignupCode { code: c, client_tag: "ip1".into() }
}

fn pay_code(c: String) -> CardInput {
    CardInput::PayCode { code: c }
}

fn view(s: &mut Session, now_ms: u64) -> CardView {
    s.card_result(now_ms / 1000).expect("no call is out").expect("not refused")
}

/// A gateway where every call works: codes are sent, the code is taken, the order is paid.
fn gateway(op: &Op) -> Answer {
    match op {
        Op::PayzeroQuery { order_no } => pz_order(order_no, "PAY_SUCCEED", 1234),
        other => healthy(other),
    }
}

/// A gateway that refuses the payment code (the sandbox's 50061) and whose queryOrder then
/// says the order still waits for its code.
fn not_taken(op: &Op) -> Answer {
    match op {
        Op::PayzeroQuickpayConfirm { .. } => pz_refused("50061"),
        Op::PayzeroQuery { order_no } => pz_order(order_no, "PAY_APPLIED", 1234),
        other => gateway(other),
    }
}

/// Signs the test card in `s` (first code at `NOW_MS`), which also starts its payment.
fn signed(s: &mut Session) -> Vec<Op> {
    signup(s, NOW_MS).unwrap();
    let mut sent = drive(s, NOW_MS, gateway);
    code(s, signup_code, "123456", NOW_MS + 20_000).unwrap();
    sent.extend(drive(s, NOW_MS + 20_000, gateway));
    sent
}

#[test]
fn a_new_card_is_signed_and_paid_with_sms_codes() {
    let mut s = card_session();
    signup(&mut s, NOW_MS).unwrap();
    assert_eq!(s.card_result(NOW), None, "the code is being sent");
    let sent = drive(&mut s, NOW_MS, gateway);
    let names: Vec<&str> = sent.iter().map(Op::name).collect();
    assert_eq!(names, ["sms permit", "sms permit", "payzero agreeApply"]);
    match &sent[0] {
        Op::SmsPermit { key, .. } => assert_eq!(key.name, "phone:ph1"),
        other => panic!("{other:?}"),
    }
    // The form went to Payzero in full, digits only.
    let endpoints = crate::gateway::payzero::Endpoints {
        api_url: "http://pz",
        notify_url: "https://edge/v1/notify/payzero",
        sandbox_admin_url: "",
    };
    let token = crate::sign::Secret::new("t");
    let apply = crate::gateway::payzero::build(&sent[2], &endpoints, &token).unwrap();
    let body: serde_json::Value = serde_json::from_slice(apply.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["acctno"], CARD);
    assert_eq!(body["idno"], ID);
    assert_eq!(body["mobile"], PHONE);
    assert_eq!(body["accttype"], "00");
    assert!(body.get("cvv2").is_none(), "a debit card sends no CVV2");
    let v = view(&mut s, NOW_MS);
    assert_eq!(v.step, CardStep::SignupCodeSent);
    assert_eq!(v.code_expires_at, Some(NOW + SMS_CODE_LIFETIME_SECS));
    assert_eq!(v.resend_at, NOW + 60);
    let card = v.card.unwrap();
    assert_eq!((card.number.as_str(), card.phone.as_str()), ("6217 **** **** 0000", "138****8000"));

    // The sign-up code signs the card, and the payment code goes out at once (no cooldown for
    // the first payment code after a sign-up).
    code(&mut s, signup_code, "123456", NOW_MS + 20_000).unwrap();
    let sent = drive(&mut s, NOW_MS + 20_000, gateway);
    let names: Vec<&str> = sent.iter().map(Op::name).collect();
    assert_eq!(names, ["payzero agreeConfirm", "sms permit", "sms permit", "payzero createAndQuickpay"]);
    let v = view(&mut s, NOW_MS + 20_000);
    assert_eq!(v.step, CardStep::PayCodeSent);
    assert_eq!(v.resend_at, NOW + 80);
    assert!(v.card.as_ref().unwrap().id.starts_with("card_"));
    assert_eq!(s.agreements.len(), 1, "signed for this session only: no customer");
    assert!(!s.calls.iter().any(|c| matches!(c.op, Op::CustomerCard { .. })));

    // The payment code: taken, then queryOrder confirms the payment.
    code(&mut s, pay_code, "654321", NOW_MS + 40_000).unwrap();
    let sent = drive(&mut s, NOW_MS + 40_000, gateway);
    let names: Vec<&str> = sent.iter().map(Op::name).collect();
    assert_eq!(names, ["payzero confirmQuickpay", "payzero queryOrder", "webhook"]);
    assert_eq!(s.status, Status::Paid);
    assert_eq!(view(&mut s, NOW_MS + 40_000).step, CardStep::Paid);
    let paid = s.outbox.iter().find(|w| w.event.kind == "checkout.session.paid").unwrap();
    let card = paid.event.data.card.as_ref().unwrap();
    assert_eq!((card.number.as_str(), card.bank_code.as_str()), ("6217 **** **** 0000", "999"));
    assert_eq!(paid.event.data.payment_method, Some(PaymentMethod::PayzeroCard));
}

#[test]
fn personal_data_never_reaches_storage_or_a_view() {
    let mut s = session_with(&[PaymentMethod::PayzeroCard]);
    s.params.customer = Some("cus_1".into());
    let secrets = [CARD, "6217 9201 5105 0000", ID, PHONE, CVV2, EXPIRY, "AGREE1"];
    let check = |s: &Session, when: &str| {
        let stored = serde_json::to_string(s).unwrap();
        let view = serde_json::to_string(&s.checkout_view(true, NOW, &[])).unwrap();
        let webhooks = serde_json::to_string(&s.outbox.iter().map(|w| &w.event).collect::<Vec<_>>()).unwrap();
        for secret in secrets {
            // The agreement is kept (it is the card token) but never shown.
            if secret != "AGREE1" {
                assert!(!stored.contains(secret), "{when}: {secret} stored");
            }
            assert!(!view.contains(secret), "{when}: {secret} in the view");
            assert!(!webhooks.contains(secret), "{when}: {secret} in a webhook");
            assert!(!format!("{s:?} {:?}", s.calls).contains(secret), "{when}: {secret} in Debug");
        }
    };
    s.handle(
        Input::Card(CardInput::Signup {
            form: form(CardType::Credit),
            phone_tag: "ph1".into(),
            client_tag: "ip1".into(),
        }),
        NOW_MS,
    )
    .unwrap();
    check(&s, "queued");
    // An eviction while the sign-up is out: the form is gone, and the call cannot be rebuilt.
    let mut restored = evict(&s);
    let call = restored.poll_call(NOW_MS).unwrap();
    assert!(matches!(&call.op, Op::SmsPermit { .. }));
    let Op::SmsPermit { then, .. } = &call.op else { unreachable!() };
    let Op::SmsPermit { then, .. } = then.as_ref() else { panic!("{then:?}") };
    assert!(matches!(then.as_ref(), Op::PayzeroAgreeApply { form: None, .. }));
    let endpoints =
        crate::gateway::payzero::Endpoints { api_url: "http://pz", notify_url: "", sandbox_admin_url: "" };
    assert!(crate::gateway::payzero::build(then, &endpoints, &crate::sign::Secret::new("t")).is_none());
    // Without the eviction the whole flow runs, and at every step nothing unmasked is kept.
    let sent = drive(&mut s, NOW_MS, gateway);
    let apply = sent.iter().find(|op| op.name() == "payzero agreeApply").unwrap();
    let request = crate::gateway::payzero::build(apply, &endpoints, &crate::sign::Secret::new("t")).unwrap();
    let body: serde_json::Value = serde_json::from_slice(request.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        (body["accttype"].as_str(), body["cvv2"].as_str(), body["validdate"].as_str()),
        (Some("02"), Some(CVV2), Some(EXPIRY))
    );
    check(&s, "code sent");
    code(&mut s, signup_code, "123456", NOW_MS + 1000).unwrap();
    drive(&mut s, NOW_MS + 1000, gateway);
    check(&s, "signed");
    code(&mut s, pay_code, "123456", NOW_MS + 2000).unwrap();
    drive(&mut s, NOW_MS + 2000, gateway);
    assert_eq!(s.status, Status::Paid);
    check(&s, "paid");
}

#[test]
fn a_wrong_code_then_a_new_code_after_the_cooldown_then_the_right_one() {
    let mut s = card_session();
    signed(&mut s);
    let t = NOW_MS + 30_000;
    code(&mut s, pay_code, "000000", t).unwrap();
    let sent = drive(&mut s, t, not_taken);
    // The refusal's code decides nothing: queryOrder says the order still waits for its code.
    assert_eq!(
        sent.iter().map(Op::name).collect::<Vec<_>>(),
        ["payzero confirmQuickpay", "payzero queryOrder"]
    );
    let v = view(&mut s, t);
    assert_eq!((v.step, v.problem, v.tries_left), (CardStep::PayCodeSent, Some(CardProblem::CodeWrong), 2));
    assert_eq!(v.gateway_code.as_deref(), Some("50061"));
    assert_eq!(v.code_expires_at, None, "a wrong code burns the SMS");
    // The burnt code is not sent again: the shopper needs a new one.
    code(&mut s, pay_code, "123456", t + 1000).unwrap();
    assert!(s.poll_call(t + 1000).is_none());
    assert_eq!(view(&mut s, t + 1000).problem, Some(CardProblem::CodeExpired));
    // A resend inside the cooldown is refused with when to retry; after it, redoQuickpay.
    let early = s.handle(Input::Card(CardInput::Resend { client_tag: "ip1".into() }), t + 2000).unwrap_err();
    assert_eq!(early.code, ErrorCode::RateLimited);
    assert_eq!(early.retry_after, Some(48), "60 s after the payment code sent at +20 s");
    let later = NOW_MS + 80_000;
    s.handle(Input::Card(CardInput::Resend { client_tag: "ip1".into() }), later).unwrap();
    let sent = drive(&mut s, later, gateway);
    assert_eq!(sent.last().map(Op::name), Some("payzero redoQuickpay"));
    let v = view(&mut s, later);
    assert_eq!((v.step, v.problem, v.tries_left), (CardStep::PayCodeSent, None, 2));
    assert_eq!(v.code_expires_at, Some(later / 1000 + SMS_CODE_LIFETIME_SECS));
    code(&mut s, pay_code, "654321", later + 5000).unwrap();
    drive(&mut s, later + 5000, gateway);
    assert_eq!(s.status, Status::Paid);
}

#[test]
fn too_many_wrong_codes_end_the_try_and_expired_codes_are_not_sent() {
    let mut s = card_session();
    signed(&mut s);
    let mut t = NOW_MS + 30_000;
    for round in 0..MAX_WRONG_CODES {
        if round > 0 {
            t += 61_000;
            s.handle(Input::Card(CardInput::Resend { client_tag: "ip1".into() }), t).unwrap();
            drive(&mut s, t, gateway);
        }
        code(&mut s, pay_code, "000000", t).unwrap();
        drive(&mut s, t, not_taken);
    }
    let v = view(&mut s, t);
    assert_eq!((v.step, v.problem, v.tries_left), (CardStep::Failed, Some(CardProblem::TooManyTries), 0));
    assert_eq!(s.attempts[0].state, AttemptState::Closed);
    // Starting again is a new order with the signed card.
    t += 61_000;
    let card_id = s.agreements[0].card.id.clone();
    s.handle(Input::Card(CardInput::Pay { card_id, saved: None, client_tag: "ip1".into() }), t).unwrap();
    let sent = drive(&mut s, t, gateway);
    assert_eq!(sent.last().map(Op::name), Some("payzero createAndQuickpay"));
    assert_eq!(s.attempts.len(), 2);

    // A code older than its lifetime is refused here, without a call.
    let late = t + (SMS_CODE_LIFETIME_SECS + 1) * 1000;
    code(&mut s, pay_code, "123456", late).unwrap();
    assert!(s.poll_call(late).is_none());
    let v = view(&mut s, late);
    assert_eq!((v.problem, v.code_expires_at), (Some(CardProblem::CodeExpired), None));
    // Malformed codes never leave.
    let bad = code(&mut s, pay_code, "12a456", late).unwrap_err();
    assert_eq!(bad.field(), Some(&(CardField::Code, FieldProblem::Format)));
}

#[test]
fn every_payzero_refusal_in_the_flow_is_mapped() {
    // agreeApply refused (50080: only bank 999 in the test environment): the form stays, no flow.
    let mut s = card_session();
    signup(&mut s, NOW_MS).unwrap();
    drive(&mut s, NOW_MS, |op| match op {
        Op::PayzeroAgreeApply { .. } => pz_refused("50080"),
        other => gateway(other),
    });
    let refusal = s.card_result(NOW).unwrap().unwrap_err();
    assert_eq!((&refusal.code, refusal.gateway_code()), (&ErrorCode::UpstreamRejected, Some("50080")));
    assert!(s.card.is_none());

    // A refused payment code: whatever the code (the sandbox's 50061/50062/50063, one nobody has
    // seen), queryOrder says what it meant. Still waiting for its code: not taken, a new one is
    // needed. Paid after all: paid. Being completed, or no answer: processing, asked again.
    for gateway_code in ["50061", "50062", "50063", "E_NEVER_SEEN"] {
        for (query, step, problem) in [
            (Some("PAY_APPLIED"), CardStep::PayCodeSent, Some(CardProblem::CodeWrong)),
            (Some("NOT_PAYED"), CardStep::PayCodeSent, Some(CardProblem::CodeWrong)),
            (Some("PAY_SUCCEED"), CardStep::Paid, None),
            (Some("PAY_SMS_CONFIRMED"), CardStep::Processing, None),
            (Some("PAY_FAILED"), CardStep::Failed, Some(CardProblem::Refused)),
            (None, CardStep::Processing, None),
        ] {
            let mut s = card_session();
            signed(&mut s);
            let mut t = NOW_MS + 30_000;
            code(&mut s, pay_code, "123456", t).unwrap();
            let answer = |op: &Op| match (op, query) {
                (Op::PayzeroQuickpayConfirm { .. }, _) => pz_refused(gateway_code),
                (Op::PayzeroQuery { order_no }, Some(status)) => pz_order(order_no, status, 1234),
                (Op::PayzeroQuery { .. }, None) => Answer::Http { status: 502, body: vec![] },
                (other, _) => gateway(other),
            };
            drive(&mut s, t, answer);
            // While the query is retried (a 502 is tried three times) the page shows processing.
            if s.attempts[0].confirm_refused.is_some() {
                assert_eq!(view(&mut s, t).step, CardStep::Processing);
            }
            while s.attempts[0].confirm_refused.is_some() {
                t = s.poll_timeout().unwrap();
                s.handle(Input::Timer, t).unwrap();
                drive(&mut s, t, answer);
            }
            let v = view(&mut s, t);
            assert_eq!(
                (v.step, v.problem.clone()),
                (step.clone(), problem.clone()),
                "{gateway_code} then {query:?}"
            );
            if problem == Some(CardProblem::CodeWrong) {
                assert_eq!(v.gateway_code.as_deref(), Some(gateway_code));
            }
            assert_eq!(s.status == Status::Paid, step == CardStep::Paid, "{gateway_code} then {query:?}");
            assert!(s.attempts[0].confirm_refused.is_none());
        }
    }

    // confirmQuickpay accepted with PAY_APPLIED (5.4's table): in progress, queryOrder decides.
    let mut s = card_session();
    signed(&mut s);
    code(&mut s, pay_code, "123456", NOW_MS + 30_000).unwrap();
    let sent = drive(&mut s, NOW_MS + 30_000, |op| match op {
        Op::PayzeroQuickpayConfirm { order_no, .. } => pz_quickpay(order_no, "PAY_APPLIED"),
        other => gateway(other),
    });
    let names: Vec<&str> = sent.iter().map(Op::name).collect();
    assert_eq!(names[names.len() - 2..], ["payzero queryOrder", "webhook"], "{names:?}");
    assert_eq!(s.status, Status::Paid);

    // A sign-up code refused (81: not 6 characters at Payzero): the shopper may try again.
    let mut s = card_session();
    signup(&mut s, NOW_MS).unwrap();
    drive(&mut s, NOW_MS, gateway);
    code(&mut s, signup_code, "123456", NOW_MS + 1000).unwrap();
    drive(&mut s, NOW_MS + 1000, |op| match op {
        Op::PayzeroAgreeConfirm { .. } => pz_refused("50081"),
        other => gateway(other),
    });
    // The spec defines no code for a wrong sign-up code: it is a refusal in the gateway's words,
    // and it counts against the tries.
    let v = view(&mut s, NOW_MS + 1000);
    assert_eq!(
        (v.step, v.problem, v.tries_left, v.gateway_code.as_deref()),
        (CardStep::SignupCodeSent, Some(CardProblem::Refused), 2, Some("50081"))
    );

    // createAndQuickpay refused (30003: unknown agreement): this try is over, clearly.
    let mut s = card_session();
    signup(&mut s, NOW_MS).unwrap();
    drive(&mut s, NOW_MS, gateway);
    code(&mut s, signup_code, "123456", NOW_MS + 1000).unwrap();
    drive(&mut s, NOW_MS + 1000, |op| match op {
        Op::PayzeroQuickpay { .. } => pz_refused("30003"),
        other => gateway(other),
    });
    let v = view(&mut s, NOW_MS + 1000);
    assert_eq!(
        (v.step, v.problem, v.gateway_code.as_deref()),
        (CardStep::Failed, Some(CardProblem::Refused), Some("30003"))
    );

    // PAY_FAILED from a confirm.
    let mut s = card_session();
    signed(&mut s);
    code(&mut s, pay_code, "123456", NOW_MS + 30_000).unwrap();
    drive(&mut s, NOW_MS + 30_000, |op| match op {
        Op::PayzeroQuickpayConfirm { order_no, .. } => pz_quickpay(order_no, "PAY_FAILED"),
        other => gateway(other),
    });
    assert_eq!(view(&mut s, NOW_MS + 30_000).step, CardStep::Failed);
    assert_eq!(s.status, Status::Open);
}

#[test]
fn outcomes_without_a_payment_code_are_confirmed_by_query() {
    for status in ["PAY_SUCCEED", "PAY_SMS_CONFIRMED"] {
        let mut s = card_session();
        signup(&mut s, NOW_MS).unwrap();
        drive(&mut s, NOW_MS, gateway);
        code(&mut s, signup_code, "123456", NOW_MS + 1000).unwrap();
        let mut queries = 0;
        let sent = drive(&mut s, NOW_MS + 1000, |op| match op {
            Op::PayzeroQuickpay { order_no, .. } => pz_quickpay(order_no, status),
            Op::PayzeroQuery { order_no } => {
                queries += 1;
                pz_order(order_no, if queries == 1 { "PAY_SMS_CONFIRMED" } else { "PAY_SUCCEED" }, 1234)
            }
            other => gateway(other),
        });
        assert!(!sent.iter().any(|op| op.name() == "payzero confirmQuickpay"), "{status}");
        assert_eq!(view(&mut s, NOW_MS + 1000).step, CardStep::Processing, "{status}");
        assert_eq!(s.status, Status::Open, "{status}: paid only once queryOrder says so");
        // The next poll, CARD_POLL_MS later, finds it paid.
        let at = s.poll_timeout().unwrap();
        assert_eq!(at, NOW_MS + 1000 + CARD_POLL_MS, "{status}");
        s.handle(Input::Timer, at).unwrap();
        drive(&mut s, at, |op| match op {
            Op::PayzeroQuery { order_no } => pz_order(order_no, "PAY_SUCCEED", 1234),
            other => gateway(other),
        });
        assert_eq!(s.status, Status::Paid, "{status}");
        assert_eq!(view(&mut s, at).step, CardStep::Paid, "{status}");
    }
}

#[test]
fn sms_limits_hold_per_session_and_from_the_limiters() {
    // A limiter refuses: the sign-up ends with when to retry, and nothing counts.
    let mut s = card_session();
    signup(&mut s, NOW_MS).unwrap();
    drive(&mut s, NOW_MS, |op| match op {
        Op::SmsPermit { key, .. } if key.name.starts_with("client:") => {
            Answer::Http { status: 429, body: br#"{"retry_after": 1200}"#.to_vec() }
        }
        other => gateway(other),
    });
    let refusal = s.card_result(NOW).unwrap().unwrap_err();
    assert_eq!((refusal.code, refusal.retry_after), (ErrorCode::RateLimited, Some(1200)));
    assert_eq!((s.sms_sent, s.last_sms_ms, s.phone_tag.as_deref()), (0, None, None));
    assert!(s.card.is_none());

    // The phone is locked to the session after the first code.
    let mut s = card_session();
    signup(&mut s, NOW_MS).unwrap();
    drive(&mut s, NOW_MS, gateway);
    let other = s
        .handle(
            Input::Card(CardInput::Signup {
                form: form(CardType::Debit),
                phone_tag: "ph2".into(),
                client_tag: "ip1".into(),
            }),
            NOW_MS + 120_000,
        )
        .unwrap_err();
    assert_eq!(other.field(), Some(&(CardField::Mobile, FieldProblem::PhoneLocked)));
    // Sending the form again is the sign-up resend: refused during the cooldown, then allowed,
    // up to the session's cap.
    assert_eq!(signup(&mut s, NOW_MS + 30_000).unwrap_err().retry_after, Some(30));
    let mut t = NOW_MS;
    for _ in 1..s.params.sms.per_session {
        t += 60_000;
        signup(&mut s, t).unwrap();
        drive(&mut s, t, gateway);
    }
    assert_eq!(s.sms_sent, s.params.sms.per_session);
    let capped = signup(&mut s, t + 60_000).unwrap_err();
    assert_eq!(capped.code, ErrorCode::RateLimited);
    assert!(capped.message.contains("as many SMS codes"), "{}", capped.message);

    // Bad input is refused field by field and sends nothing.
    let mut s = card_session();
    let mut bad = form(CardType::Debit);
    bad.id_number = IdNumber::new("310113198010101234");
    let refusal = s
        .handle(
            Input::Card(CardInput::Signup { form: bad, phone_tag: "p".into(), client_tag: "c".into() }),
            NOW_MS,
        )
        .unwrap_err();
    assert_eq!(refusal.field(), Some(&(CardField::IdNumber, FieldProblem::Checksum)));
    assert!(!refusal.message.contains(ID));
    assert!(s.calls.is_empty());
    // A session without the card method refuses every card request.
    let mut qr_only = session_with(&[PaymentMethod::PayzeroQr]);
    assert_eq!(signup(&mut qr_only, NOW_MS).unwrap_err().code, ErrorCode::MethodNotSupported);
}

#[test]
fn saved_cards_are_kept_for_the_customer_paid_again_and_removed() {
    let mut first = card_session();
    first.params.customer = Some("cus_1".into());
    let sent = signed(&mut first);
    let saved = sent
        .iter()
        .find_map(|op| match op {
            Op::CustomerCard { customer, request: CustomerRequest::Save { card } } => {
                assert_eq!(customer, "cus_1");
                Some(card.clone())
            }
            _ => None,
        })
        .expect("the signed card is saved for the customer");
    assert_eq!(saved.agreeid, "AGREE1");
    assert_eq!(saved.phone_tag, "ph1");

    // A later session of the same customer: the card is offered and pays with one code.
    let mut second = card_session();
    second.params.customer = Some("cus_1".into());
    assert_eq!(second.card_customer(), Some("cus_1"));
    let offered = second.checkout_view(true, NOW, std::slice::from_ref(&saved.card)).saved_cards;
    assert_eq!(offered, vec![saved.card.clone()]);
    second
        .handle(
            Input::Card(CardInput::Pay {
                card_id: saved.card.id.clone(),
                saved: Some(Box::new(saved.clone())),
                client_tag: "ip9".into(),
            }),
            NOW_MS,
        )
        .unwrap();
    let sent = drive(&mut second, NOW_MS, gateway);
    assert!(matches!(sent.last(), Some(Op::PayzeroQuickpay { agreeid, .. }) if agreeid == "AGREE1"));
    code(&mut second, pay_code, "123456", NOW_MS + 5000).unwrap();
    drive(&mut second, NOW_MS + 5000, gateway);
    assert_eq!(second.status, Status::Paid);

    // Another id, or a customer card that does not match the id asked for, is refused.
    let mut third = card_session();
    let refusal = third
        .handle(
            Input::Card(CardInput::Pay {
                card_id: "card_x".into(),
                saved: Some(Box::new(saved.clone())),
                client_tag: "c".into(),
            }),
            NOW_MS,
        )
        .unwrap_err();
    assert_eq!(refusal.field(), Some(&(CardField::CardId, FieldProblem::NotInList)));
    // Removing forgets it for the customer.
    third.params.customer = Some("cus_1".into());
    let not_ours = CardInput::Remove { card_id: "card_x".into(), saved: false };
    let refusal = third.handle(Input::Card(not_ours), NOW_MS).unwrap_err();
    assert_eq!(refusal.code, ErrorCode::NotFound, "a card that is not the session's is refused");
    assert!(drive(&mut third, NOW_MS, gateway).is_empty(), "and nothing is forgotten");
    third
        .handle(Input::Card(CardInput::Remove { card_id: saved.card.id.clone(), saved: true }), NOW_MS)
        .unwrap();
    let sent = drive(&mut third, NOW_MS, gateway);
    assert!(
        matches!(&sent[..], [Op::CustomerCard { request: CustomerRequest::Forget { id }, .. }] if *id == saved.card.id)
    );
}

#[test]
fn an_unfinished_card_payment_is_asked_about_when_the_session_closes() {
    let mut s = card_session();
    signed(&mut s);
    // The shopper never types the code; the session expires. A last query settles it.
    let end = s.expires_at * 1000;
    s.handle(Input::Timer, end).unwrap();
    let sent = drive(&mut s, end, |op| match op {
        Op::PayzeroQuery { order_no } => pz_order(order_no, "PAY_APPLIED", 1234),
        other => gateway(other),
    });
    assert_eq!(sent.iter().map(Op::name).collect::<Vec<_>>(), ["payzero queryOrder", "webhook"]);
    assert_eq!(s.status, Status::Expired);
    assert_eq!(s.attempts[0].state, AttemptState::Closed);
    // A late notification that it was paid after all still wins (a Payzero order cannot be
    // withdrawn).
    let order = crate::payzero::OrderResult {
        mcht_order_no: s.attempts[0].order_no.clone(),
        payment_amount: Fen(1234),
        pay_status: crate::payzero::PayStatus::PaySucceed,
        ..serde_json::from_value(
            serde_json::json!({"mchtOrderNo": "x", "paymentAmount": 1, "payStatus": "PAY_SUCCEED"}),
        )
        .unwrap()
    };
    s.handle(
        Input::Notice {
            digest: "d1".into(),
            msg_type: crate::payzero::MsgType::PayStatusNotify,
            order: Box::new(order),
        },
        end + 1000,
    )
    .unwrap();
    // Recorded at once; queryOrder confirms it on the alarm.
    s.handle(Input::Timer, end + 1000).unwrap();
    drive(&mut s, end + 1000, gateway);
    assert_eq!(s.status, Status::Paid);
}

#[test]
fn a_card_payment_undecided_past_its_deadline_is_the_merchants_to_review() {
    let mut s = card_session();
    signed(&mut s);
    let start = NOW_MS + 30_000;
    code(&mut s, pay_code, "654321", start).unwrap();
    // Payzero took the code but never decides: asked about, less and less often, until the
    // deadline; then no more.
    let undecided = |op: &Op| match op {
        Op::PayzeroQuery { order_no } => pz_order(order_no, "PAY_SMS_CONFIRMED", 1234),
        other => gateway(other),
    };
    let mut now = start;
    let mut queries = drive(&mut s, now, undecided).len();
    while let Some(at) = s.poll_timeout() {
        if at > start + CARD_DECISION_MS + 120_000 {
            break;
        }
        now = at.max(now);
        s.handle(Input::Timer, now).unwrap();
        queries +=
            drive(&mut s, now, undecided).iter().filter(|op| op.name() == "payzero queryOrder").count();
    }
    assert!((10..=40).contains(&queries), "{queries} queries in ten minutes");
    assert_eq!(s.attempts[0].state, AttemptState::NeedsReview);
    assert_eq!(s.status, Status::RequiresAttention);
    assert!(s.attention.as_deref().is_some_and(|a| a.contains("undecided")), "{:?}", s.attention);
    assert!(webhook_kinds(&s).contains(&"checkout.session.requires_attention"), "{:?}", webhook_kinds(&s));
    // A paid notice after all is still taken: the attempt is paid (the session stays for the
    // merchant to review, as every session that required attention does).
    let order: crate::payzero::OrderResult = serde_json::from_value(serde_json::json!({
        "mchtOrderNo": s.attempts[0].order_no, "paymentAmount": 1234, "payStatus": "PAY_SUCCEED"}))
    .unwrap();
    let notice = Input::Notice {
        digest: "late".into(),
        msg_type: crate::payzero::MsgType::PayStatusNotify,
        order: Box::new(order),
    };
    s.handle(notice, now).unwrap();
    s.handle(Input::Timer, now).unwrap();
    drive(&mut s, now, gateway);
    assert_eq!(s.attempts[0].state, AttemptState::Paid);
    assert_eq!(s.paid_attempt, Some(0));
}

#[test]
fn every_card_call_survives_every_failure_mode_and_ends_consistent() {
    fn started() -> Session {
        let mut s = card_session();
        s.params.customer = Some("cus_1".into());
        s
    }
    fn to_signup_code(s: &mut Session) {
        signup(s, NOW_MS).unwrap();
        drive(s, NOW_MS, healthy);
        code(s, signup_code, "123456", NOW_MS).unwrap();
    }
    fn to_pay_code(s: &mut Session) {
        to_signup_code(s);
        drive(s, NOW_MS, healthy);
        code(s, pay_code, "123456", NOW_MS).unwrap();
    }
    let scenarios: Vec<(&str, Start)> = vec![
        ("sms permit", |s: &mut Session| {
            signup(s, NOW_MS).unwrap();
        }),
        ("payzero agreeApply", |s: &mut Session| {
            signup(s, NOW_MS).unwrap();
        }),
        ("payzero agreeConfirm", to_signup_code),
        ("customer card", to_signup_code),
        ("payzero createAndQuickpay", to_signup_code),
        ("payzero confirmQuickpay", to_pay_code),
        ("payzero redoQuickpay", |s: &mut Session| {
            to_signup_code(s);
            drive(s, NOW_MS, healthy);
            s.handle(Input::Card(CardInput::Resend { client_tag: "ip1".into() }), NOW_MS + 61_000).unwrap();
        }),
    ];
    for (target, start) in &scenarios {
        for (fault, failure) in failures() {
            let mut s = started();
            start(&mut s);
            let begin = s.calls.iter().filter_map(|c| match c.state {
                CallState::Queued { not_before_ms } => Some(not_before_ms),
                CallState::Sent { .. } => None,
            });
            let begin = begin.min().unwrap_or(NOW_MS);
            let sent = run_with_failure(&mut s, target, &failure, begin);
            let case = format!("{target} / {fault}");
            assert!(sent.iter().any(|op| op.name() == *target), "{case}: never made: {sent:?}");
            assert_ne!(s.status, Status::Paid, "{case}");
            let confirms = sent.iter().filter(|op| op.name() == "payzero confirmQuickpay").count();
            assert!(confirms <= 1, "{case}: a code was confirmed {confirms} times");
            assert!(s.status.wire().is_final(), "{case}: still {:?}", s.status);
            assert!(s.calls.is_empty(), "{case}: calls left {:?}", s.calls);
            assert!(!s.card.as_ref().is_some_and(|f| f.busy), "{case}: the card flow is left busy");
            assert!(s.attempts.iter().all(|a| a.state.is_final()), "{case}: {:?}", s.attempts);
        }
    }
}

#[test]
fn a_payment_code_held_back_by_a_limiter_leaves_the_card_signed() {
    let mut s = card_session();
    signup(&mut s, NOW_MS).unwrap();
    drive(&mut s, NOW_MS, gateway);
    code(&mut s, signup_code, "123456", NOW_MS + 10_000).unwrap();
    // The phone's limiter refuses the payment code for 10 minutes.
    drive(&mut s, NOW_MS + 10_000, |op| match op {
        Op::SmsPermit { key, .. } if key.name.starts_with("phone:") => {
            Answer::Http { status: 429, body: br#"{"retry_after": 600}"#.to_vec() }
        }
        other => gateway(other),
    });
    // The sign-up itself succeeded: the view says signed, and when the code may be sent.
    let v = view(&mut s, NOW_MS + 10_000);
    assert_eq!(v.step, CardStep::Signed);
    assert_eq!(v.resend_at, NOW + 10 + 600);
    let card_id = v.card.unwrap().id;
    assert_eq!(s.agreements.len(), 1);
    // Later the shopper pays with the signed card.
    let later = NOW_MS + 700_000;
    s.handle(Input::Card(CardInput::Pay { card_id, saved: None, client_tag: "ip1".into() }), later).unwrap();
    drive(&mut s, later, gateway);
    assert_eq!(view(&mut s, later).step, CardStep::PayCodeSent);
}

#[test]
fn cards_signed_in_one_session_keep_distinct_ids_after_a_removal() {
    let mut s = card_session();
    let mut ids: Vec<String> = Vec::new();
    for round in 0..3u64 {
        let t = NOW_MS + round * 120_000;
        if round == 2 {
            // The first card is removed before the third is signed.
            let first = ids[0].clone();
            s.handle(Input::Card(CardInput::Remove { card_id: first, saved: false }), t).unwrap();
        }
        signup(&mut s, t).unwrap();
        drive(&mut s, t, gateway);
        code(&mut s, signup_code, "123456", t + 1000).unwrap();
        drive(&mut s, t + 1000, gateway);
        ids.push(s.agreements.last().unwrap().card.id.clone());
    }
    assert_eq!(s.agreements.len(), 2);
    assert_ne!(ids[1], ids[2], "a removal let two cards share an id: {ids:?}");
    let kept: Vec<&str> = s.agreements.iter().map(|c| c.card.id.as_str()).collect();
    assert_eq!(kept, [ids[1].as_str(), ids[2].as_str()]);
}
