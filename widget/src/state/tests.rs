//! Native tests of the reducer: the shared flow, then each sub-reducer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use checkout_shared::Fen;
use checkout_shared::api::{Channel, Locale, QrView};

fn view() -> CheckoutView {
    CheckoutView {
        amount: Fen(1234),
        currency: "CNY".into(),
        subject: "Tea".into(),
        methods: vec![PaymentMethod::PayzeroQr],
        status: SessionStatus::Open,
        locale: Locale::ZhCn,
        expires_at: 10_000,
        return_url: None,
        test_mode: true,
        version: 3,
        now: 0,
        qr: None,
        barcode: None,
        card: None,
        saved_cards: Vec::new(),
    }
}

fn all_methods() -> CheckoutView {
    let mut v = view();
    v.methods = vec![
        PaymentMethod::PayzeroQr,
        PaymentMethod::ShouqianbaQr,
        PaymentMethod::ShouqianbaBarcode,
        PaymentMethod::EzrBarcode,
    ];
    v
}

fn choice(method: PaymentMethod, channel: Channel) -> QrChoice {
    QrChoice { method, channel }
}

fn payzero(channel: Channel) -> QrChoice {
    choice(PaymentMethod::PayzeroQr, channel)
}

fn qr_for(choice: &QrChoice, expires_at: u64) -> QrView {
    QrView {
        method: choice.method.clone(),
        channel: choice.channel.clone(),
        qr_content: "weixin://wxpay/bizpayurl?pr=abc".into(),
        expires_at,
        provider: (choice.method == PaymentMethod::PayzeroQr).then(|| "ALLINPAY".into()),
    }
}

fn qr(channel: Channel, expires_at: u64) -> QrView {
    qr_for(&payzero(channel), expires_at)
}

fn run(state: State, actions: impl IntoIterator<Item = Action>) -> State {
    actions.into_iter().fold(state, reduce)
}

fn loaded(view: CheckoutView) -> State {
    reduce(State::new(), Action::Loaded { view: Box::new(view), client_now: 1000, server_now: None })
}

fn seq(state: &State) -> u64 {
    state.pending.as_ref().map(|p| p.seq).unwrap()
}

fn command(state: &State) -> Option<&Command> {
    state.pending.as_ref().map(|p| &p.command)
}

fn status(status: SessionStatus, version: u64) -> Action {
    Action::Status(StatusUpdate { status, version, paid_at: None, barcode: None, card: None })
}

fn choose(c: QrChoice) -> Action {
    Action::Qr(QrAction::Choose(c))
}

/// Chooses `c` and answers the request with a code expiring at `expires_at`.
fn showing(state: State, c: QrChoice, expires_at: u64) -> State {
    let s = reduce(state, choose(c.clone()));
    let seq = seq(&s);
    reduce(s, Action::Qr(QrAction::Issued { seq, qr: qr_for(&c, expires_at) }))
}

#[test]
fn starts_loading_with_the_load_requested() {
    let s = State::new();
    assert_eq!(s.phase, Phase::Loading);
    assert_eq!(s.pending.map(|p| p.command), Some(Command::Load));
}

#[test]
fn an_open_session_shows_the_picker() {
    let s = loaded(view());
    assert_eq!(s.phase, Phase::Picking);
    assert_eq!(s.version, 3);
    assert!(s.should_poll());
}

#[test]
fn a_session_already_paid_or_expired_goes_straight_to_its_screen() {
    let mut v = view();
    v.status = SessionStatus::Paid;
    let s = loaded(v.clone());
    assert_eq!(s.phase, Phase::Paid);
    assert!(!s.should_poll());
    v.status = SessionStatus::Expired;
    assert_eq!(loaded(v.clone()).phase, Phase::Closed(SessionStatus::Expired));
    v.status = SessionStatus::RequiresAttention;
    assert_eq!(loaded(v).phase, Phase::Closed(SessionStatus::RequiresAttention));
}

#[test]
fn a_session_without_a_method_this_widget_can_take_says_so() {
    let mut v = view();
    v.methods = vec![PaymentMethod::Unknown("bank_transfer".into())];
    assert_eq!(loaded(v).phase, Phase::Unavailable(UiError::Api(ErrorCode::MethodNotSupported)));
}

#[test]
fn a_failed_load_can_be_retried() {
    let s = reduce(State::new(), Action::LoadFailed(UiError::Network));
    assert_eq!(s.phase, Phase::Unavailable(UiError::Network));
    let s = reduce(s, Action::Retry);
    assert_eq!(s.phase, Phase::Loading);
    assert_eq!(s.pending, Some(Pending { seq: 2, command: Command::Load }));
}

#[test]
fn the_offer_groups_qr_wallets_in_session_order_and_names_the_gateway_only_when_shared() {
    let offer = Offer::of(&[
        PaymentMethod::ShouqianbaQr,
        PaymentMethod::EzrBarcode,
        PaymentMethod::PayzeroCard,
        PaymentMethod::PayzeroQr,
        PaymentMethod::Unknown("future".into()),
        PaymentMethod::ShouqianbaBarcode,
        PaymentMethod::ShouqianbaQr,
    ]);
    let qr: Vec<_> = offer.qr.iter().map(|o| (o.choice.clone(), o.shared)).collect();
    assert_eq!(
        qr,
        vec![
            (choice(PaymentMethod::ShouqianbaQr, Channel::WechatPay), true),
            (choice(PaymentMethod::ShouqianbaQr, Channel::Alipay), true),
            (payzero(Channel::WechatPay), true),
            (payzero(Channel::Alipay), true),
            (payzero(Channel::Unionpay), false),
        ],
        "a method listed twice is offered once; only Payzero has UnionPay"
    );
    assert_eq!(offer.barcode, vec![PaymentMethod::EzrBarcode, PaymentMethod::ShouqianbaBarcode]);

    let alone = Offer::of(&[PaymentMethod::PayzeroQr]);
    assert!(alone.qr.iter().all(|o| !o.shared));
    assert!(alone.barcode.is_empty());
    assert!(Offer::of(&[PaymentMethod::Unknown("future".into())]).is_empty());
    assert!(Offer::of(&[PaymentMethod::PayzeroCard]).card);
    assert!(!offer.card || offer.qr.len() == 5, "the card method is offered beside the others");
}

#[test]
fn going_back_to_the_picker_clears_the_error() {
    let s = showing(loaded(view()), payzero(Channel::Alipay), 2000);
    let s = reduce(s, Action::Qr(QrAction::Simulate));
    let sim = seq(&s);
    let s = reduce(s, Action::Qr(QrAction::SimulateFailed { seq: sim, error: UiError::Network }));
    assert_eq!(s.error, Some(UiError::Network));
    let s = reduce(s, Action::SwitchMethod);
    assert_eq!(s.phase, Phase::Picking);
    assert_eq!(s.error, None);
}

#[test]
fn paid_status_shows_the_paid_screen_from_anywhere() {
    let s = showing(loaded(view()), payzero(Channel::WechatPay), 2000);
    let s = reduce(
        s,
        Action::Status(StatusUpdate {
            status: SessionStatus::Paid,
            version: 4,
            paid_at: Some(1500),
            barcode: None,
            card: None,
        }),
    );
    assert_eq!(s.phase, Phase::Paid);
    assert_eq!(s.paid_at, Some(1500));
    assert!(!s.should_poll());
    // Nothing the shopper does afterwards leaves the paid screen.
    let s = run(
        s,
        [
            choose(payzero(Channel::Alipay)),
            Action::Qr(QrAction::Refresh),
            Action::SwitchMethod,
            Action::Qr(QrAction::Simulate),
            Action::Barcode(BarcodeAction::Open(PaymentMethod::ShouqianbaBarcode)),
        ],
    );
    assert_eq!(s.phase, Phase::Paid);
}

#[test]
fn an_older_status_answer_does_not_undo_a_newer_one() {
    let s = run(loaded(view()), [status(SessionStatus::Paid, 5), status(SessionStatus::Open, 4)]);
    assert_eq!(s.phase, Phase::Paid);
    assert_eq!(s.version, 5);
}

#[test]
fn final_statuses_have_their_screens() {
    for st in [SessionStatus::Expired, SessionStatus::Canceled, SessionStatus::RequiresAttention] {
        let s = run(loaded(view()), [status(st.clone(), 4)]);
        assert_eq!(s.phase, Phase::Closed(st));
        assert!(!s.should_poll());
    }
    let s = run(loaded(view()), [status(SessionStatus::Unknown("refunded".into()), 4)]);
    assert!(matches!(s.phase, Phase::Closed(_)));
    assert!(!s.should_poll());
}

#[test]
fn a_long_poll_timeout_with_the_same_state_changes_nothing() {
    let s = showing(loaded(view()), payzero(Channel::Alipay), 2000);
    let after = reduce(s.clone(), status(SessionStatus::Open, 3));
    assert_eq!(after, s);
}

#[test]
fn only_passing_failures_offer_a_retry() {
    assert!(UiError::Network.is_retryable());
    assert!(UiError::Api(ErrorCode::UpstreamError).is_retryable());
    assert!(!UiError::Api(ErrorCode::NotFound).is_retryable());
    assert!(!UiError::Api(ErrorCode::SessionClosed).is_retryable());
}

#[test]
fn backoff_doubles_up_to_fifteen_seconds() {
    let delays: Vec<u32> = (0..8).map(poll_backoff_secs).collect();
    assert_eq!(delays, [0, 1, 2, 4, 8, 15, 15, 15]);
    assert_eq!(poll_backoff_secs(u32::MAX), 15);
}

mod qr {
    use super::*;

    #[test]
    fn a_session_with_an_issued_qr_shows_it_again() {
        let mut v = all_methods();
        v.qr = Some(qr_for(&choice(PaymentMethod::ShouqianbaQr, Channel::Alipay), 1300));
        let s = loaded(v);
        assert!(matches!(
            &s.phase,
            Phase::Qr(QrPhase::Showing { qr, refreshing: None, .. })
                if qr.method == PaymentMethod::ShouqianbaQr && qr.channel == Channel::Alipay
        ));
        assert_eq!(s.qr_seconds_left(), Some(300));
        assert!(s.needs_clock());
    }

    #[test]
    fn choosing_a_wallet_requests_one_qr_even_on_double_click() {
        let s = run(loaded(view()), [choose(payzero(Channel::WechatPay))]);
        assert_eq!(s.phase, Phase::Qr(QrPhase::Requesting { choice: payzero(Channel::WechatPay), seq: 2 }));
        let first = s.pending.clone();
        assert_eq!(command(&s), Some(&Command::RequestQr(payzero(Channel::WechatPay))));
        let s = reduce(s, choose(payzero(Channel::WechatPay)));
        assert_eq!(s.pending, first, "a second click while waiting must not send a second request");
    }

    #[test]
    fn a_shouqianba_wallet_is_requested_from_shouqianba() {
        let sqb = choice(PaymentMethod::ShouqianbaQr, Channel::WechatPay);
        let s = run(loaded(all_methods()), [choose(sqb.clone())]);
        assert_eq!(command(&s), Some(&Command::RequestQr(sqb.clone())));
        let s = showing(loaded(all_methods()), sqb, 1120);
        assert!(matches!(&s.phase, Phase::Qr(QrPhase::Showing { qr, .. }) if qr.provider.is_none()));
    }

    #[test]
    fn a_wallet_the_session_does_not_offer_is_not_requested() {
        // Shouqianba has no UnionPay, and this session has no Shouqianba at all.
        for c in [
            choice(PaymentMethod::ShouqianbaQr, Channel::Unionpay),
            choice(PaymentMethod::ShouqianbaQr, Channel::WechatPay),
        ] {
            let s = run(loaded(view()), [choose(c)]);
            assert_eq!(s.phase, Phase::Picking);
            assert_eq!(command(&s), Some(&Command::Load));
        }
    }

    #[test]
    fn an_issued_qr_is_shown_with_its_countdown() {
        let s = showing(loaded(view()), payzero(Channel::WechatPay), 1120);
        assert!(matches!(s.phase, Phase::Qr(QrPhase::Showing { refreshing: None, .. })));
        assert_eq!(s.qr_seconds_left(), Some(120));
        let s = reduce(s, Action::Tick(1119));
        assert_eq!(s.qr_seconds_left(), Some(1));
        assert!(!s.qr_expired());
        let s = reduce(s, Action::Tick(1200));
        assert!(s.qr_expired());
    }

    #[test]
    fn the_countdown_uses_the_edge_clock_when_the_phone_clock_is_off() {
        // The phone is 10 minutes behind the edge.
        let s = reduce(
            State::new(),
            Action::Loaded { view: Box::new(view()), client_now: 400, server_now: Some(1000) },
        );
        assert_eq!(s.now, 1000);
        let s = showing(s, payzero(Channel::Alipay), 1300);
        let s = reduce(s, Action::Tick(460));
        assert_eq!(s.qr_seconds_left(), Some(240));
    }

    #[test]
    fn a_second_of_date_header_rounding_is_not_skew() {
        let s = reduce(
            State::new(),
            Action::Loaded { view: Box::new(view()), client_now: 999, server_now: Some(1000) },
        );
        assert_eq!((s.skew, s.now), (0, 999));
    }

    #[test]
    fn a_late_qr_for_an_abandoned_wallet_is_ignored() {
        let s = run(
            loaded(view()),
            [choose(payzero(Channel::WechatPay)), Action::SwitchMethod, choose(payzero(Channel::Alipay))],
        );
        assert_eq!(s.phase, Phase::Qr(QrPhase::Requesting { choice: payzero(Channel::Alipay), seq: 3 }));
        let s = reduce(s, Action::Qr(QrAction::Issued { seq: 2, qr: qr(Channel::WechatPay, 2000) }));
        assert!(matches!(s.phase, Phase::Qr(QrPhase::Requesting { .. })), "{:?}", s.phase);
        let s = reduce(s, Action::Qr(QrAction::Failed { seq: 2, error: UiError::Network }));
        assert_eq!(s.error, None, "the abandoned request's failure is not this one's");
        let s = reduce(s, Action::Qr(QrAction::Issued { seq: 3, qr: qr(Channel::Alipay, 2000) }));
        assert!(matches!(&s.phase, Phase::Qr(QrPhase::Showing { qr, .. }) if qr.channel == Channel::Alipay));
    }

    #[test]
    fn a_failed_qr_request_goes_back_to_the_picker_with_the_error() {
        let s = run(
            loaded(view()),
            [
                choose(payzero(Channel::Unionpay)),
                Action::Qr(QrAction::Failed { seq: 2, error: UiError::Api(ErrorCode::UpstreamError) }),
            ],
        );
        assert_eq!(s.phase, Phase::Picking);
        assert_eq!(s.error, Some(UiError::Api(ErrorCode::UpstreamError)));
        let s = reduce(s, choose(payzero(Channel::Alipay)));
        assert_eq!(s.error, None, "trying again clears the old error");
    }

    #[test]
    fn refresh_asks_for_a_new_code_on_the_same_wallet_and_keeps_the_old_one_until_it_arrives() {
        let sqb = choice(PaymentMethod::ShouqianbaQr, Channel::Alipay);
        let s = showing(loaded(all_methods()), sqb.clone(), 1010);
        let s = reduce(s, Action::Tick(1011));
        assert!(s.qr_expired());
        let s = reduce(s, Action::Qr(QrAction::Refresh));
        let refresh = seq(&s);
        assert!(matches!(s.phase, Phase::Qr(QrPhase::Showing { refreshing: Some(r), .. }) if r == refresh));
        assert_eq!(command(&s), Some(&Command::RequestQr(sqb.clone())), "same gateway, same wallet");
        let s = reduce(s, Action::Qr(QrAction::Refresh));
        assert_eq!(seq(&s), refresh, "one refresh at a time");
        let s = reduce(s, Action::Qr(QrAction::Issued { seq: refresh, qr: qr_for(&sqb, 1311) }));
        assert_eq!(s.qr_seconds_left(), Some(300));
        // A failed refresh keeps the (expired) code on screen with the error and allows another try.
        let s = run(s, [Action::Tick(1400), Action::Qr(QrAction::Refresh)]);
        let refresh = seq(&s);
        let s = reduce(s, Action::Qr(QrAction::Failed { seq: refresh, error: UiError::Network }));
        assert!(matches!(s.phase, Phase::Qr(QrPhase::Showing { refreshing: None, .. })));
        assert_eq!(s.error, Some(UiError::Network));
    }

    #[test]
    fn simulate_only_in_test_mode_while_a_live_code_is_shown() {
        let shown = showing(loaded(view()), payzero(Channel::WechatPay), 2000);
        let s = reduce(shown.clone(), Action::Qr(QrAction::Simulate));
        let sim = seq(&s);
        assert!(matches!(
            s.phase,
            Phase::Qr(QrPhase::Showing { simulation: Simulation::Sending { seq }, .. }) if seq == sim
        ));
        assert_eq!(command(&s), Some(&Command::Simulate));
        let s = reduce(s, Action::Qr(QrAction::Simulate));
        assert_eq!(seq(&s), sim, "one simulation at a time");
        let s = reduce(s, Action::Qr(QrAction::SimulateAccepted { seq: sim }));
        assert!(matches!(s.phase, Phase::Qr(QrPhase::Showing { simulation: Simulation::Sent, .. })));

        let mut live = view();
        live.test_mode = false;
        let s = showing(loaded(live), payzero(Channel::WechatPay), 2000);
        let s = reduce(s, Action::Qr(QrAction::Simulate));
        assert_ne!(command(&s), Some(&Command::Simulate));

        let s = run(shown, [Action::Tick(5000), Action::Qr(QrAction::Simulate)]);
        assert_ne!(
            command(&s),
            Some(&Command::Simulate),
            "an expired code cannot be paid, not even in the sandbox"
        );
    }

    #[test]
    fn simulate_works_for_a_shouqianba_code_too() {
        let s = showing(loaded(all_methods()), choice(PaymentMethod::ShouqianbaQr, Channel::WechatPay), 2000);
        let s = reduce(s, Action::Qr(QrAction::Simulate));
        assert_eq!(command(&s), Some(&Command::Simulate));
    }

    #[test]
    fn a_failed_simulation_shows_why_and_can_be_tried_again() {
        let s = showing(loaded(view()), payzero(Channel::WechatPay), 2000);
        let s = reduce(s, Action::Qr(QrAction::Simulate));
        let sim = seq(&s);
        let s = reduce(
            s,
            Action::Qr(QrAction::SimulateFailed { seq: sim, error: UiError::Api(ErrorCode::NotAvailable) }),
        );
        assert!(matches!(s.phase, Phase::Qr(QrPhase::Showing { simulation: Simulation::Idle, .. })));
        assert_eq!(s.error, Some(UiError::Api(ErrorCode::NotAvailable)));
        let s = run(s, [Action::DismissError, Action::Qr(QrAction::Simulate)]);
        assert_eq!(s.error, None);
        assert!(matches!(
            s.phase,
            Phase::Qr(QrPhase::Showing { simulation: Simulation::Sending { .. }, .. })
        ));
    }

    #[test]
    fn a_late_simulation_answer_for_an_older_code_is_ignored() {
        let s = showing(loaded(view()), payzero(Channel::WechatPay), 2000);
        let s = reduce(s, Action::Qr(QrAction::Simulate));
        let old = seq(&s);
        let s = reduce(s, Action::SwitchMethod);
        let s = showing(s, payzero(Channel::Alipay), 2000);
        let s = reduce(s, Action::Qr(QrAction::Simulate));
        let s = reduce(s, Action::Qr(QrAction::SimulateAccepted { seq: old }));
        assert!(matches!(
            s.phase,
            Phase::Qr(QrPhase::Showing { simulation: Simulation::Sending { .. }, .. })
        ));
    }
}

mod barcode {
    use super::*;
    use crate::state::barcode::{check, digits_of};
    use checkout_shared::api::{BarcodeState, BarcodeView};

    const CODE: &str = "134567890123456789";

    fn open(view: CheckoutView) -> State {
        run(loaded(view), [Action::Barcode(BarcodeAction::Open(PaymentMethod::ShouqianbaBarcode))])
    }

    fn typed(state: State, text: &str) -> State {
        reduce(state, Action::Barcode(BarcodeAction::Input(text.into())))
    }

    fn submitted(state: State, code: &str) -> State {
        run(typed(state, code), [Action::Barcode(BarcodeAction::Submit)])
    }

    fn panel(state: &State) -> &BarcodePanel {
        match &state.phase {
            Phase::Barcode(panel) => panel,
            other => panic!("not the barcode panel: {other:?}"),
        }
    }

    fn bv(state: BarcodeState, reason: Option<&str>, deadline: u64) -> BarcodeView {
        BarcodeView {
            method: PaymentMethod::ShouqianbaBarcode,
            state,
            reason: reason.map(Into::into),
            deadline,
        }
    }

    fn accepted(seq: u64, view: BarcodeView) -> Action {
        Action::Barcode(BarcodeAction::Accepted { seq, view })
    }

    fn progress(version: u64, view: BarcodeView) -> Action {
        Action::Status(StatusUpdate {
            status: SessionStatus::Open,
            version,
            paid_at: None,
            barcode: Some(view),
            card: None,
        })
    }

    #[test]
    fn codes_are_digits_with_spaces_stripped_and_sixteen_to_twenty_four_long() {
        assert_eq!(digits_of("1345 6789 0123 4567 89"), ("134567890123456789".into(), false));
        assert_eq!(digits_of("１３４５"), ("1345".into(), false), "full-width digits from a Chinese IME");
        assert_eq!(digits_of("12a3-4"), ("1234".into(), true));
        assert_eq!(check("1234567890123456"), Ok(()));
        assert_eq!(check("123456789012345678901234"), Ok(()));
        assert_eq!(check("123456789012345"), Err(CodeProblem::Length));
        assert_eq!(check("1234567890123456789012345"), Err(CodeProblem::Length));
        assert_eq!(check(""), Err(CodeProblem::Length));
    }

    #[test]
    fn the_picker_opens_the_panel_with_an_empty_field() {
        let s = open(all_methods());
        assert_eq!(panel(&s).method, PaymentMethod::ShouqianbaBarcode);
        assert_eq!(panel(&s).step, BarcodeStep::Entering);
        assert!(panel(&s).input.is_empty());
        assert_eq!(command(&s), Some(&Command::Load), "opening the panel asks the edge nothing");
    }

    #[test]
    fn a_barcode_method_the_session_does_not_offer_does_not_open() {
        let s = open(view());
        assert_eq!(s.phase, Phase::Picking);
    }

    #[test]
    fn anything_but_digits_is_refused_with_a_message_and_the_message_goes_with_the_next_edit() {
        let s = typed(open(all_methods()), "1345x");
        assert_eq!(panel(&s).input, "1345");
        assert_eq!(panel(&s).notice, Some(BarcodeNotice::Invalid(CodeProblem::NotDigits)));
        let s = typed(s, "13456");
        assert_eq!(panel(&s).notice, None);
    }

    #[test]
    fn a_code_of_the_wrong_length_is_not_sent() {
        let s = submitted(open(all_methods()), "12345");
        assert_eq!(panel(&s).notice, Some(BarcodeNotice::Invalid(CodeProblem::Length)));
        assert_eq!(panel(&s).step, BarcodeStep::Entering);
        assert_eq!(command(&s), Some(&Command::Load));
    }

    #[test]
    fn enter_sends_the_code_once_even_when_the_scanner_sends_two() {
        let s = submitted(open(all_methods()), "1345 6789 0123 4567 89");
        let sent = seq(&s);
        assert_eq!(
            command(&s),
            Some(&Command::SubmitBarcode { method: PaymentMethod::ShouqianbaBarcode, code: CODE.into() })
        );
        assert_eq!(panel(&s).step, BarcodeStep::Sending { seq: sent });
        let s = run(s, [Action::Barcode(BarcodeAction::Submit), Action::Barcode(BarcodeAction::Submit)]);
        assert_eq!(seq(&s), sent, "one code at a time");
        let s = typed(s, "999");
        assert_eq!(panel(&s).input, CODE, "the field takes nothing while a code is out");
    }

    #[test]
    fn an_accepted_code_shows_progress_with_the_deadline_countdown() {
        let s = submitted(open(all_methods()), CODE);
        let sent = seq(&s);
        let s = reduce(s, accepted(sent, bv(BarcodeState::Processing, None, 1045)));
        assert_eq!(panel(&s).step, BarcodeStep::Processing { deadline: 1045 });
        assert!(panel(&s).input.is_empty());
        assert_eq!(s.barcode_seconds_left(), Some(45));
        assert!(s.needs_clock());
        let s = reduce(s, Action::Tick(1040));
        assert_eq!(s.barcode_seconds_left(), Some(5));
        let s = reduce(s, Action::SwitchMethod);
        assert!(matches!(s.phase, Phase::Barcode(_)), "no leaving while the gateway decides");
    }

    #[test]
    fn paid_progress_shows_the_paid_screen() {
        let s = submitted(open(all_methods()), CODE);
        let sent = seq(&s);
        let s = run(
            s,
            [
                accepted(sent, bv(BarcodeState::Processing, None, 1045)),
                progress(4, bv(BarcodeState::Processing, None, 1045)),
                Action::Status(StatusUpdate {
                    status: SessionStatus::Paid,
                    version: 5,
                    paid_at: Some(1010),
                    barcode: Some(bv(BarcodeState::Paid, None, 1045)),
                    card: None,
                }),
            ],
        );
        assert_eq!(s.phase, Phase::Paid);
        assert_eq!(s.paid_at, Some(1010));
        assert!(!s.should_poll());
    }

    #[test]
    fn a_code_paid_at_once_goes_straight_to_the_paid_screen() {
        let s = submitted(open(all_methods()), CODE);
        let sent = seq(&s);
        let s = reduce(s, accepted(sent, bv(BarcodeState::Paid, None, 1045)));
        assert_eq!(s.phase, Phase::Paid);
    }

    #[test]
    fn a_decline_says_why_and_readies_the_field_for_another_code() {
        let s = submitted(open(all_methods()), CODE);
        let sent = seq(&s);
        let s = run(
            s,
            [
                accepted(sent, bv(BarcodeState::Processing, None, 1045)),
                progress(4, bv(BarcodeState::Declined, Some("NOTENOUGH"), 1045)),
            ],
        );
        assert_eq!(panel(&s).step, BarcodeStep::Entering);
        assert_eq!(panel(&s).notice, Some(BarcodeNotice::Declined(Some("NOTENOUGH".into()))));
        assert!(panel(&s).input.is_empty());
        // Another code goes out as a new request.
        let s = submitted(s, "284567890123456789");
        assert!(matches!(panel(&s).step, BarcodeStep::Sending { seq } if seq > sent));
        assert_eq!(panel(&s).notice, None);
    }

    #[test]
    fn a_decline_in_the_answer_itself_is_shown_too() {
        let s = submitted(open(all_methods()), CODE);
        let sent = seq(&s);
        let s = reduce(s, accepted(sent, bv(BarcodeState::Declined, Some("EXPIRED_BARCODE"), 1045)));
        assert_eq!(panel(&s).notice, Some(BarcodeNotice::Declined(Some("EXPIRED_BARCODE".into()))));
        assert_eq!(panel(&s).step, BarcodeStep::Entering);
    }

    #[test]
    fn a_payment_canceled_at_the_deadline_says_no_money_was_taken() {
        let s = submitted(open(all_methods()), CODE);
        let sent = seq(&s);
        let s = run(
            s,
            [
                accepted(sent, bv(BarcodeState::Processing, None, 1045)),
                Action::Tick(1046),
                progress(5, bv(BarcodeState::Canceled, None, 1045)),
            ],
        );
        assert_eq!(panel(&s).notice, Some(BarcodeNotice::TimedOut));
        assert_eq!(panel(&s).step, BarcodeStep::Entering);
        assert!(s.should_poll(), "the session stays open for another code");
        // Canceled because the gateway left it unpaid (EZR's NOTPAY): said as such, not as late.
        let s = submitted(open(all_methods()), CODE);
        let sent = seq(&s);
        let s = run(s, [accepted(sent, bv(BarcodeState::Canceled, Some("NOTPAY"), 1045))]);
        assert_eq!(panel(&s).notice, Some(BarcodeNotice::Declined(Some("NOTPAY".into()))));
        assert!(
            crate::i18n::barcode_notice_text(crate::i18n::Lang::En, &panel(&s).notice.clone().unwrap())
                .contains("canceled")
        );
    }

    #[test]
    fn a_payment_that_needs_review_shows_the_attention_screen() {
        let s = submitted(open(all_methods()), CODE);
        let sent = seq(&s);
        let s = run(
            s,
            [
                accepted(sent, bv(BarcodeState::Processing, None, 1045)),
                progress(5, bv(BarcodeState::NeedsReview, None, 1045)),
            ],
        );
        assert_eq!(s.phase, Phase::Closed(SessionStatus::RequiresAttention));
        let s = reduce(
            s,
            Action::Status(StatusUpdate {
                status: SessionStatus::RequiresAttention,
                version: 6,
                paid_at: None,
                barcode: Some(bv(BarcodeState::NeedsReview, None, 1045)),
                card: None,
            }),
        );
        assert_eq!(s.phase, Phase::Closed(SessionStatus::RequiresAttention));
        assert!(!s.should_poll());
    }

    #[test]
    fn rate_limited_keeps_the_code_and_says_to_wait() {
        let s = submitted(open(all_methods()), CODE);
        let sent = seq(&s);
        let s = reduce(
            s,
            Action::Barcode(BarcodeAction::Refused {
                seq: sent,
                error: UiError::Api(ErrorCode::RateLimited),
            }),
        );
        assert_eq!(panel(&s).step, BarcodeStep::Entering);
        assert_eq!(panel(&s).notice, Some(BarcodeNotice::Refused(UiError::Api(ErrorCode::RateLimited))));
        assert_eq!(panel(&s).input, CODE);
        // Enter again retries the same code.
        let s = reduce(s, Action::Barcode(BarcodeAction::Submit));
        assert_eq!(
            command(&s),
            Some(&Command::SubmitBarcode { method: PaymentMethod::ShouqianbaBarcode, code: CODE.into() })
        );
        assert!(seq(&s) > sent);
    }

    #[test]
    fn a_stale_answer_to_an_earlier_submission_is_ignored() {
        let s = submitted(open(all_methods()), CODE);
        let first = seq(&s);
        let s = reduce(s, Action::Barcode(BarcodeAction::Refused { seq: first, error: UiError::Network }));
        let s = reduce(s, Action::Barcode(BarcodeAction::Submit));
        let second = seq(&s);
        let before = s.clone();
        let s = reduce(s, accepted(first, bv(BarcodeState::Declined, Some("NOTENOUGH"), 1045)));
        assert_eq!(s, before, "an answer to an earlier request changes nothing");
        let s = reduce(
            s,
            Action::Barcode(BarcodeAction::Refused {
                seq: first,
                error: UiError::Api(ErrorCode::RateLimited),
            }),
        );
        assert_eq!(s, before);
        let s = reduce(s, accepted(second, bv(BarcodeState::Processing, None, 1045)));
        assert_eq!(panel(&s).step, BarcodeStep::Processing { deadline: 1045 });
    }

    #[test]
    fn the_previous_payment_in_a_crossing_long_poll_does_not_settle_the_new_one() {
        // The first code was declined at version 4; the second goes out at version 4.
        let s = submitted(open(all_methods()), CODE);
        let first = seq(&s);
        let declined = bv(BarcodeState::Declined, Some("NOTENOUGH"), 1045);
        let s = run(s, [accepted(first, declined.clone()), progress(4, declined.clone())]);
        let s = submitted(s, "284567890123456789");
        let second = seq(&s);
        // A long-poll timeout at the same version, and a newer version that still shows the old
        // payment (something else changed first), both describe the first code.
        let s = run(s, [progress(4, declined.clone()), progress(5, declined)]);
        assert_eq!(panel(&s).step, BarcodeStep::Sending { seq: second });
        assert_eq!(panel(&s).notice, None);
        // The status can overtake the POST's own answer.
        let s = reduce(s, progress(6, bv(BarcodeState::Processing, None, 1100)));
        assert_eq!(panel(&s).step, BarcodeStep::Processing { deadline: 1100 });
        let s = reduce(s, accepted(second, bv(BarcodeState::Processing, None, 1100)));
        assert_eq!(panel(&s).step, BarcodeStep::Processing { deadline: 1100 });
        let s = reduce(s, progress(7, bv(BarcodeState::Declined, Some("AUTHCODE_EXPIRE"), 1100)));
        assert_eq!(panel(&s).notice, Some(BarcodeNotice::Declined(Some("AUTHCODE_EXPIRE".into()))));
        // The POST's answer after the status already settled the payment changes nothing.
        let after = reduce(s.clone(), accepted(second, bv(BarcodeState::Processing, None, 1100)));
        assert_eq!(after, s);
    }

    #[test]
    fn an_old_result_does_not_reach_a_panel_that_sent_nothing() {
        let s = open(all_methods());
        let s = reduce(s, progress(4, bv(BarcodeState::Declined, Some("NOTENOUGH"), 900)));
        assert_eq!(panel(&s).notice, None);
        assert_eq!(panel(&s).step, BarcodeStep::Entering);
    }

    #[test]
    fn a_reload_during_a_payment_resumes_its_progress() {
        let mut v = all_methods();
        v.barcode = Some(bv(BarcodeState::Processing, None, 1030));
        v.qr = Some(qr(Channel::WechatPay, 1300));
        let s = loaded(v);
        assert_eq!(panel(&s).step, BarcodeStep::Processing { deadline: 1030 });
        assert_eq!(s.barcode_seconds_left(), Some(30));
        let s = reduce(s, progress(4, bv(BarcodeState::Declined, Some("NOTENOUGH"), 1030)));
        assert_eq!(panel(&s).notice, Some(BarcodeNotice::Declined(Some("NOTENOUGH".into()))));

        // A finished payment is history: the picker (or the QR) as usual.
        let mut v = all_methods();
        v.barcode = Some(bv(BarcodeState::Declined, Some("NOTENOUGH"), 900));
        assert_eq!(loaded(v).phase, Phase::Picking);
    }

    #[test]
    fn the_session_closing_while_a_code_is_out_shows_its_screen() {
        let s = submitted(open(all_methods()), CODE);
        let sent = seq(&s);
        let s = run(s, [status(SessionStatus::Expired, 4)]);
        assert_eq!(s.phase, Phase::Closed(SessionStatus::Expired));
        let s = reduce(s, accepted(sent, bv(BarcodeState::Canceled, None, 1045)));
        assert_eq!(s.phase, Phase::Closed(SessionStatus::Expired));
    }

    #[test]
    fn back_to_the_picker_only_between_codes() {
        let s = reduce(open(all_methods()), Action::SwitchMethod);
        assert_eq!(s.phase, Phase::Picking);
        let s = submitted(open(all_methods()), CODE);
        let s = reduce(s, Action::SwitchMethod);
        assert!(matches!(s.phase, Phase::Barcode(_)));
    }
}

mod card {
    use super::*;
    use crate::state::card::{CardAction, CardFailure, CardStage, FORM_FIELDS};
    use checkout_shared::api::{
        CardField, CardProblem, CardStep, CardType, CardView, FieldProblem, SavedCard,
    };

    fn card_view() -> CheckoutView {
        let mut v = view();
        v.methods = vec![PaymentMethod::PayzeroQr, PaymentMethod::PayzeroCard];
        v
    }

    fn saved(id: &str) -> SavedCard {
        SavedCard {
            id: id.into(),
            bank_code: "0308".into(),
            bank_name: None,
            number: "6217 **** **** 0000".into(),
            card_type: CardType::Debit,
            phone: "138****8000".into(),
        }
    }

    fn cv(step: CardStep, resend_at: u64) -> CardView {
        CardView {
            step,
            card: Some(saved("card_1")),
            resend_at,
            code_expires_at: Some(1180),
            tries_left: 3,
            problem: None,
            gateway_code: None,
        }
    }

    fn act(a: CardAction) -> Action {
        Action::Card(a)
    }

    fn input(field: CardField, text: &str) -> Action {
        act(CardAction::Input(field, text.into()))
    }

    fn panel(s: &State) -> &CardPanel {
        match &s.phase {
            Phase::Card(p) => p,
            other => panic!("not the card screen: {other:?}"),
        }
    }

    fn opened(v: CheckoutView) -> State {
        reduce(loaded(v), act(CardAction::Open))
    }

    /// A debit-card form every rule accepts, typed the way a shopper types it.
    fn filled() -> State {
        run(
            opened(card_view()),
            [
                input(CardField::AccountName, "张三"),
                input(CardField::CardNumber, "4111 1111 1111 1111"),
                input(CardField::BankCode, "999"),
                input(CardField::IdNumber, "11010519491231002x"),
                input(CardField::Mobile, "138 0013 8000"),
            ],
        )
    }

    fn answer(s: State, result: Result<CardView, CardFailure>) -> State {
        let seq = seq(&s);
        reduce(s, act(CardAction::Answer { seq, result }))
    }

    /// Signed up and the payment code sent.
    fn pay_code_sent() -> State {
        let s = answer(reduce(filled(), act(CardAction::Submit)), Ok(cv(CardStep::SignupCodeSent, 1060)));
        let s = run(s, [input(CardField::Code, "123456"), act(CardAction::SubmitCode)]);
        answer(s, Ok(cv(CardStep::PayCodeSent, 1060)))
    }

    fn failure(code: ErrorCode) -> CardFailure {
        CardFailure::new(UiError::Api(code))
    }

    #[test]
    fn the_card_button_opens_the_form_or_the_saved_cards_first() {
        let s = opened(card_view());
        assert_eq!(panel(&s).stage, CardStage::Form);
        let mut v = card_view();
        v.saved_cards = vec![saved("card_1")];
        assert_eq!(panel(&opened(v)).stage, CardStage::Choosing);
        // Not offered: nothing happens.
        assert_eq!(opened(view()).phase, Phase::Picking);
    }

    #[test]
    fn problems_show_after_the_field_is_left_not_at_the_first_keystroke() {
        let today = (2026, 11);
        let s = run(opened(card_view()), [input(CardField::Mobile, "12")]);
        assert_eq!(panel(&s).shown_problem(&CardField::Mobile, today), None);
        let s = reduce(s, act(CardAction::Leave(CardField::Mobile)));
        assert_eq!(panel(&s).shown_problem(&CardField::Mobile, today), Some(FieldProblem::Length));
        let s = reduce(s, input(CardField::Mobile, "13800138000"));
        assert_eq!(panel(&s).shown_problem(&CardField::Mobile, today), None);
        // The card number shows grouped in fours as typed.
        let s = reduce(s, input(CardField::CardNumber, "621792015105"));
        assert_eq!(panel(&s).value(&CardField::CardNumber), "6217 9201 5105");
    }

    #[test]
    fn a_submit_with_problems_sends_nothing_and_shows_them_all() {
        let s = reduce(opened(card_view()), act(CardAction::Submit));
        assert_eq!(command(&s), Some(&Command::Load), "nothing new was issued");
        let p = panel(&s);
        assert_eq!(p.touched, FORM_FIELDS.to_vec());
        assert_eq!(p.shown_problem(&CardField::AccountName, (2026, 11)), Some(FieldProblem::Missing));
        assert_eq!(p.shown_problem(&CardField::Cvv2, (2026, 11)), None, "debit: no CVV2 asked");
    }

    #[test]
    fn a_valid_debit_form_is_sent_clean_and_only_once() {
        let s = reduce(filled(), act(CardAction::Submit));
        let Some(Command::CardSignup(form)) = command(&s) else { panic!("{:?}", s.pending) };
        assert_eq!(form.card_number.expose(), "4111111111111111");
        assert_eq!(form.mobile.expose(), "13800138000");
        assert_eq!(form.id_number.expose(), "11010519491231002X");
        assert_eq!((form.cvv2.clone(), form.expiry.clone()), (None, None));
        let sent = seq(&s);
        let s = reduce(s, act(CardAction::Submit));
        assert_eq!(seq(&s), sent, "a double submit sends once");
        assert!(panel(&s).busy.is_some());
        assert!(!panel(&s).can_leave());
    }

    #[test]
    fn a_credit_card_needs_cvv2_and_expiry_and_sends_them() {
        let s = run(filled(), [input(CardField::CardType, "credit"), act(CardAction::Submit)]);
        assert_eq!(command(&s), Some(&Command::Load));
        assert_eq!(panel(&s).shown_problem(&CardField::Cvv2, (2026, 11)), Some(FieldProblem::Missing));
        let s = run(
            s,
            [input(CardField::Cvv2, "123"), input(CardField::Expiry, "3012"), act(CardAction::Submit)],
        );
        let Some(Command::CardSignup(form)) = command(&s) else { panic!("{:?}", s.pending) };
        assert_eq!(form.card_type, CardType::Credit);
        assert_eq!(form.cvv2.as_ref().map(|c| c.expose()), Some("123"));
        assert_eq!(form.expiry.as_ref().map(|c| c.expose()), Some("3012"));
        // Back to debit: the credit-only values are not forwarded.
        let s = run(filled(), [input(CardField::CardType, "credit"), input(CardField::Cvv2, "123")]);
        let s = run(s, [input(CardField::CardType, "debit"), act(CardAction::Submit)]);
        let Some(Command::CardSignup(form)) = command(&s) else { panic!("{:?}", s.pending) };
        assert_eq!(form.cvv2, None);
    }

    #[test]
    fn luhn_only_warns() {
        let s = run(
            filled(),
            [input(CardField::CardNumber, "4111111111111112"), act(CardAction::Leave(CardField::CardNumber))],
        );
        assert!(panel(&s).luhn_warning());
        assert_eq!(panel(&s).shown_problem(&CardField::CardNumber, (2026, 11)), None);
        let s = reduce(s, act(CardAction::Submit));
        assert!(matches!(command(&s), Some(Command::CardSignup(_))), "a Luhn failure does not block");
    }

    #[test]
    fn sign_up_code_then_payment_code_then_paid() {
        let s = answer(reduce(filled(), act(CardAction::Submit)), Ok(cv(CardStep::SignupCodeSent, 1060)));
        assert!(panel(&s).wants_code());
        assert!(s.needs_clock());
        // Digits only, six at most; a short code is refused here.
        let s = run(s, [input(CardField::Code, "12a3"), act(CardAction::SubmitCode)]);
        assert_eq!(panel(&s).code, "123");
        assert_eq!(panel(&s).notice.as_ref().and_then(|n| n.field.clone()), Some(CardField::Code));
        let s = run(s, [input(CardField::Code, "１２３４５６７"), act(CardAction::SubmitCode)]);
        assert_eq!(command(&s), Some(&Command::CardSignupConfirm("123456".into())));
        let s = answer(s, Ok(cv(CardStep::PayCodeSent, 1060)));
        assert_eq!(panel(&s).code, "", "a new code step starts empty");
        let s = run(s, [input(CardField::Code, "654321"), act(CardAction::SubmitCode)]);
        assert_eq!(command(&s), Some(&Command::CardPayConfirm("654321".into())));
        let s = answer(s, Ok(cv(CardStep::Processing, 1060)));
        assert_eq!(panel(&s).step(), Some(&CardStep::Processing));
        assert!(!panel(&s).can_leave());
        let s = reduce(s, Action::SwitchMethod);
        assert!(matches!(s.phase, Phase::Card(_)), "no leaving while the bank decides");
        let update = StatusUpdate {
            status: SessionStatus::Open,
            version: 4,
            paid_at: None,
            barcode: None,
            card: Some(cv(CardStep::Paid, 1060)),
        };
        assert_eq!(reduce(s, Action::Status(update)).phase, Phase::Paid);
    }

    #[test]
    fn a_paid_answer_goes_straight_to_the_paid_screen() {
        let s = pay_code_sent();
        let s = run(s, [input(CardField::Code, "654321"), act(CardAction::SubmitCode)]);
        assert_eq!(answer(s, Ok(cv(CardStep::Paid, 0))).phase, Phase::Paid);
    }

    #[test]
    fn a_wrong_code_asks_for_a_new_one_after_the_cooldown() {
        let s = pay_code_sent();
        let s = run(s, [input(CardField::Code, "000000"), act(CardAction::SubmitCode)]);
        let wrong = CardView {
            problem: Some(CardProblem::CodeWrong),
            tries_left: 2,
            ..cv(CardStep::PayCodeSent, 1060)
        };
        let s = answer(s, Ok(wrong.clone()));
        assert_eq!(panel(&s).stage, CardStage::Step(wrong));
        let before = seq(&s);
        let s = reduce(s, act(CardAction::Resend));
        assert_eq!(seq(&s), before, "not before resend_at");
        let s = run(s, [Action::Tick(1060), act(CardAction::Resend)]);
        assert_eq!(command(&s), Some(&Command::CardPayResend));
        let s = answer(s, Ok(cv(CardStep::PayCodeSent, 1120)));
        assert_eq!(panel(&s).step(), Some(&CardStep::PayCodeSent));
    }

    #[test]
    fn the_sign_up_code_is_resent_with_the_form_kept_in_memory() {
        let s = answer(reduce(filled(), act(CardAction::Submit)), Ok(cv(CardStep::SignupCodeSent, 1060)));
        let s = run(s, [Action::Tick(1061), act(CardAction::Resend)]);
        assert!(matches!(command(&s), Some(Command::CardSignup(_))));
        // After a reload the form is gone: resend leads back to the form.
        let mut v = card_view();
        v.card = Some(cv(CardStep::SignupCodeSent, 900));
        let s = run(loaded(v), [act(CardAction::Resend)]);
        assert_eq!(panel(&s).stage, CardStage::Form);
    }

    #[test]
    fn too_many_tries_ends_the_try_and_the_shopper_starts_again() {
        let s = pay_code_sent();
        let s = run(s, [input(CardField::Code, "000000"), act(CardAction::SubmitCode)]);
        let over = CardView {
            problem: Some(CardProblem::TooManyTries),
            tries_left: 0,
            ..cv(CardStep::Failed, 1000)
        };
        let s = answer(s, Ok(over));
        assert!(!panel(&s).wants_code());
        assert!(!s.needs_clock(), "nothing counts down: the card may be paid again at once");
        let again = reduce(s.clone(), act(CardAction::Pay("card_1".into())));
        assert_eq!(command(&again), Some(&Command::CardPay("card_1".into())));
        let new = reduce(s, act(CardAction::NewCard));
        assert_eq!(panel(&new).stage, CardStage::Form);
        assert_eq!(panel(&new).value(&CardField::AccountName), "张三", "the form is still filled in");
    }

    #[test]
    fn a_signed_card_without_a_payment_code_yet_pays_from_resend_at() {
        let s = answer(reduce(filled(), act(CardAction::Submit)), Ok(cv(CardStep::SignupCodeSent, 1000)));
        let s = run(s, [input(CardField::Code, "123456"), act(CardAction::SubmitCode)]);
        let s = answer(s, Ok(cv(CardStep::Signed, 1030)));
        assert!(s.needs_clock(), "the pay button's countdown runs");
        let before = seq(&s);
        let s = reduce(s, act(CardAction::Pay("card_1".into())));
        assert_eq!(seq(&s), before);
        let s = run(s, [Action::Tick(1030), act(CardAction::Pay("other".into()))]);
        assert_eq!(seq(&s), before, "only the signed card");
        let s = reduce(s, act(CardAction::Pay("card_1".into())));
        assert_eq!(command(&s), Some(&Command::CardPay("card_1".into())));
    }

    #[test]
    fn a_field_the_edge_refused_is_marked_until_changed() {
        let s = reduce(filled(), act(CardAction::Submit));
        let refused = CardFailure {
            field: Some(CardField::Mobile),
            problem: Some(FieldProblem::PhoneLocked),
            ..failure(ErrorCode::InvalidRequest)
        };
        let s = answer(s, Err(refused));
        let p = panel(&s);
        assert_eq!(p.stage, CardStage::Form);
        assert_eq!(p.shown_problem(&CardField::Mobile, (2026, 11)), Some(FieldProblem::PhoneLocked));
        assert_eq!(p.general_notice(), None, "shown next to the field, not above");
        let s = reduce(s, input(CardField::Mobile, "13900139000"));
        assert_eq!(panel(&s).shown_problem(&CardField::Mobile, (2026, 11)), None);
    }

    #[test]
    fn a_rate_limit_holds_the_form_with_a_countdown() {
        let s = reduce(filled(), act(CardAction::Submit));
        let limited = CardFailure { retry_after: Some(90), ..failure(ErrorCode::RateLimited) };
        let s = answer(s, Err(limited));
        assert_eq!(panel(&s).retry_at, 1090);
        assert!(s.needs_clock());
        let before = seq(&s);
        let s = reduce(s, act(CardAction::Submit));
        assert_eq!(seq(&s), before);
        let s = run(s, [Action::Tick(1090), act(CardAction::Submit)]);
        assert!(matches!(command(&s), Some(Command::CardSignup(_))));
        // Without Retry-After, the cooldown's minimum.
        let s = answer(s, Err(failure(ErrorCode::RateLimited)));
        assert_eq!(panel(&s).retry_at, 1150);
    }

    #[test]
    fn a_gateway_refusal_is_a_message_above_the_form() {
        let s = reduce(filled(), act(CardAction::Submit));
        let refused =
            CardFailure { gateway_code: Some("50080".into()), ..failure(ErrorCode::UpstreamRejected) };
        let s = answer(s, Err(refused.clone()));
        assert_eq!(panel(&s).general_notice(), Some(&refused));
        assert!(panel(&s).busy.is_none());
    }

    #[test]
    fn late_answers_are_dropped() {
        let s = reduce(filled(), act(CardAction::Submit));
        let sent = seq(&s);
        let s =
            reduce(s, act(CardAction::Answer { seq: sent + 7, result: Ok(cv(CardStep::SignupCodeSent, 1)) }));
        assert_eq!(panel(&s).stage, CardStage::Form);
        // An answer after the session closed changes nothing.
        let s = reduce(s, status(SessionStatus::Expired, 4));
        let s = reduce(s, act(CardAction::Answer { seq: sent, result: Ok(cv(CardStep::SignupCodeSent, 1)) }));
        assert_eq!(s.phase, Phase::Closed(SessionStatus::Expired));
    }

    #[test]
    fn saved_cards_pay_at_one_tap_and_are_removed_after_a_confirmation() {
        let mut v = card_view();
        v.saved_cards = vec![saved("card_1"), saved("card_2")];
        let s = opened(v);
        let pay = reduce(s.clone(), act(CardAction::Pay("card_2".into())));
        assert_eq!(command(&pay), Some(&Command::CardPay("card_2".into())));
        let s = reduce(s, act(CardAction::AskRemove("card_1".into())));
        assert_eq!(panel(&s).removing.as_deref(), Some("card_1"));
        let kept = reduce(s.clone(), act(CardAction::KeepCard));
        assert_eq!(panel(&kept).removing, None);
        let s = reduce(s, act(CardAction::Remove));
        assert_eq!(command(&s), Some(&Command::CardRemove("card_1".into())));
        let removed = seq(&s);
        let s = reduce(s, act(CardAction::Removed { seq: removed, result: Ok(()) }));
        assert_eq!(s.view.as_ref().unwrap().saved_cards, vec![saved("card_2")]);
        assert_eq!(panel(&s).stage, CardStage::Choosing);
        // The last one removed: the form.
        let s = run(s, [act(CardAction::AskRemove("card_2".into())), act(CardAction::Remove)]);
        let removed = seq(&s);
        let s = reduce(s, act(CardAction::Removed { seq: removed, result: Ok(()) }));
        assert_eq!(panel(&s).stage, CardStage::Form);
        // A failed removal keeps the card and says why.
        let mut v = card_view();
        v.saved_cards = vec![saved("card_1")];
        let s = run(opened(v), [act(CardAction::AskRemove("card_1".into())), act(CardAction::Remove)]);
        let removed = seq(&s);
        let s =
            reduce(s, act(CardAction::Removed { seq: removed, result: Err(failure(ErrorCode::NotFound)) }));
        assert_eq!(s.view.as_ref().unwrap().saved_cards.len(), 1);
        assert!(panel(&s).notice.is_some());
    }

    #[test]
    fn back_and_switch_between_cards_forms_and_methods() {
        let mut v = card_view();
        v.saved_cards = vec![saved("card_1")];
        let s = run(opened(v), [act(CardAction::NewCard)]);
        assert_eq!(panel(&s).stage, CardStage::Form);
        let s = reduce(s, act(CardAction::Back));
        assert_eq!(panel(&s).stage, CardStage::Choosing);
        let s = reduce(s, Action::SwitchMethod);
        assert_eq!(s.phase, Phase::Picking);
    }

    #[test]
    fn a_card_payment_in_progress_reopens_after_a_reload() {
        let mut v = card_view();
        v.card = Some(cv(CardStep::PayCodeSent, 900));
        let s = loaded(v.clone());
        assert_eq!(panel(&s).step(), Some(&CardStep::PayCodeSent));
        v.card = Some(cv(CardStep::Failed, 900));
        assert_eq!(loaded(v).phase, Phase::Picking, "a finished try is history");
    }

    #[test]
    fn a_failed_payment_reported_by_the_status_is_shown() {
        let s = pay_code_sent();
        let s = run(s, [input(CardField::Code, "654321"), act(CardAction::SubmitCode)]);
        let s = answer(s, Ok(cv(CardStep::Processing, 1060)));
        let failed = CardView {
            problem: Some(CardProblem::Refused),
            gateway_code: Some("30004".into()),
            ..cv(CardStep::Failed, 1060)
        };
        let update = StatusUpdate {
            status: SessionStatus::Open,
            version: 5,
            paid_at: None,
            barcode: None,
            card: Some(failed.clone()),
        };
        let s = reduce(s, Action::Status(update));
        assert_eq!(panel(&s).stage, CardStage::Step(failed));
        // An older card view from a status update does not move a code step back.
        let s = pay_code_sent();
        let update = StatusUpdate {
            status: SessionStatus::Open,
            version: 5,
            paid_at: None,
            barcode: None,
            card: Some(cv(CardStep::Failed, 0)),
        };
        assert_eq!(panel(&reduce(s, Action::Status(update))).step(), Some(&CardStep::PayCodeSent));
    }
}
