//! The checkout flow as a pure reducer: `State` + `Action` → `State`. No IO and no clock: the
//! time arrives in actions, and the requests the flow wants made are written into the state as a
//! numbered `Pending` command that the yew shell carries out. That keeps every decision (what a
//! double click does, which late answer to ignore, when to poll again) testable natively.

use checkout_shared::api::{CheckoutView, ErrorCode, Method, QrResponse, SessionStatus, StatusUpdate};
use checkout_shared::payzero::QrCodeType;

/// A failure the shopper may need to hear about. The edge's message text is dropped on purpose:
/// the widget shows its own words for each stable code.
#[derive(Clone, Debug, PartialEq)]
pub enum UiError {
    /// The edge answered with a stable error code.
    Api(ErrorCode),
    /// No answer at all: offline, DNS, connection reset.
    Network,
    /// An answer the API does not promise (not JSON, wrong shape, unexpected status).
    Protocol,
    /// The QR content is too long to draw as a QR code.
    QrEncode,
}

impl UiError {
    /// Whether asking again may work: a dead link or a refusal will not change by retrying.
    pub fn is_retryable(&self) -> bool {
        match self {
            UiError::Network | UiError::Protocol => true,
            UiError::Api(code) => {
                matches!(
                    code,
                    ErrorCode::RateLimited
                        | ErrorCode::UpstreamError
                        | ErrorCode::Internal
                        | ErrorCode::Unknown(_)
                )
            }
            UiError::QrEncode => false,
        }
    }
}

/// Which screen the shopper is on.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// Reading the session.
    Loading,
    /// The session could not be read (or offers nothing this widget can do).
    Unavailable(UiError),
    /// Choosing a wallet.
    Picking,
    /// Waiting for the edge to issue a QR for this channel.
    RequestingQr(QrCodeType),
    /// Showing a QR; `refreshing` while a replacement is being fetched.
    ShowingQr {
        qr: QrResponse,
        refreshing: bool,
    },
    Paid,
    /// Expired, canceled, failed (or a final status this version does not know).
    Closed(SessionStatus),
}

/// Where the test-mode "simulate payment" control stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Simulation {
    #[default]
    Idle,
    /// The request is on its way.
    Sending,
    /// The edge accepted it; the status long-poll will report the payment.
    Sent,
}

/// A request the flow wants made. The shell runs each new `Pending` exactly once.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Load,
    RequestQr(QrCodeType),
    Simulate,
}

/// A command with a sequence number, so two identical commands in a row are still two.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub seq: u64,
    pub command: Command,
}

/// Everything the widget knows about the checkout.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub phase: Phase,
    /// The session as last read; `None` until loaded.
    pub view: Option<CheckoutView>,
    /// The latest status the edge reported, and its version (the long-poll cursor).
    pub status: SessionStatus,
    pub version: u64,
    pub paid_at: Option<u64>,
    /// The edge's clock in unix seconds, as best known (client clock corrected by `skew`): QR
    /// expiry times are the edge's, and shoppers' phone clocks are often minutes off.
    pub now: u64,
    pub skew: i64,
    /// A failure to show next to the current screen.
    pub error: Option<UiError>,
    pub simulation: Simulation,
    pub pending: Option<Pending>,
}

/// What happened.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// The session was read. `server_now` is the edge's `Date` header when readable.
    Loaded {
        view: CheckoutView,
        client_now: u64,
        server_now: Option<u64>,
    },
    LoadFailed(UiError),
    /// Read the session again after a failure.
    Retry,
    ChooseChannel(QrCodeType),
    /// Replace the current (usually expired) QR for the same channel.
    RefreshQr,
    QrIssued(QrResponse),
    QrFailed(UiError),
    /// Back to the wallet list.
    SwitchChannel,
    Status(StatusUpdate),
    /// The client clock, unix seconds.
    Tick(u64),
    Simulate,
    SimulateAccepted,
    SimulateFailed(UiError),
    DismissError,
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

impl State {
    /// A fresh widget: loading, with the load already requested.
    pub fn new() -> State {
        State {
            phase: Phase::Loading,
            view: None,
            status: SessionStatus::Open,
            version: 0,
            paid_at: None,
            now: 0,
            skew: 0,
            error: None,
            simulation: Simulation::Idle,
            pending: Some(Pending { seq: 1, command: Command::Load }),
        }
    }

    fn issue(&mut self, command: Command) {
        let seq = self.pending.as_ref().map_or(0, |p| p.seq) + 1;
        self.pending = Some(Pending { seq, command });
    }

    /// Seconds until the shown QR expires (0 once it has), or `None` when no QR is shown.
    pub fn qr_seconds_left(&self) -> Option<u64> {
        match &self.phase {
            Phase::ShowingQr { qr, .. } => Some(qr.expires_at.saturating_sub(self.now)),
            _ => None,
        }
    }

    /// Whether the shown QR can no longer be paid.
    pub fn qr_expired(&self) -> bool {
        self.qr_seconds_left() == Some(0)
    }

    /// Whether the long-poll for status changes should be running.
    pub fn should_poll(&self) -> bool {
        self.view.is_some() && !self.status.is_final()
    }

    /// Whether the session was created against the sandbox.
    pub fn test_mode(&self) -> bool {
        self.view.as_ref().is_some_and(|v| v.test_mode)
    }

    fn is_open(&self) -> bool {
        self.view.is_some() && !self.status.is_final()
    }

    /// Applies a status the edge reported, moving to the final screens.
    fn apply_status(&mut self, status: SessionStatus) {
        self.status = status;
        match &self.status {
            SessionStatus::Open => {}
            SessionStatus::Paid => {
                self.phase = Phase::Paid;
                self.error = None;
            }
            other => {
                self.phase = Phase::Closed(other.clone());
                self.error = None;
            }
        }
    }
}

/// The one place the flow changes.
pub fn reduce(mut state: State, action: Action) -> State {
    match action {
        Action::Loaded { view, client_now, server_now } => {
            // `Date` has whole seconds, so a difference of a second or two is rounding, not skew.
            let skew = server_now.map_or(0, |s| s as i64 - client_now as i64);
            state.skew = if skew.abs() <= 2 { 0 } else { skew };
            state.now = client_now.saturating_add_signed(state.skew);
            state.version = view.version;
            state.error = None;
            let status = view.status.clone();
            let qr = view.qr.clone();
            let supported = view.methods.contains(&Method::PayzeroQr);
            state.view = Some(view);
            state.apply_status(status);
            if state.status == SessionStatus::Open {
                state.phase = match qr {
                    // A reload or a second tab: show the code already issued rather than a new one.
                    Some(qr) => Phase::ShowingQr { qr, refreshing: false },
                    None if supported => Phase::Picking,
                    None => Phase::Unavailable(UiError::Api(ErrorCode::MethodNotSupported)),
                };
            }
        }
        Action::LoadFailed(error) => {
            if state.phase == Phase::Loading {
                state.phase = Phase::Unavailable(error);
            }
        }
        Action::Retry => {
            if matches!(state.phase, Phase::Unavailable(_)) && state.view.is_none() {
                state.phase = Phase::Loading;
                state.issue(Command::Load);
            }
        }
        Action::ChooseChannel(channel) => {
            let can_choose =
                matches!(state.phase, Phase::Picking | Phase::ShowingQr { refreshing: false, .. });
            if state.is_open() && can_choose {
                state.phase = Phase::RequestingQr(channel.clone());
                state.error = None;
                state.simulation = Simulation::Idle;
                state.issue(Command::RequestQr(channel));
            }
        }
        Action::RefreshQr => {
            if let Phase::ShowingQr { qr, refreshing: false } = &state.phase
                && state.is_open()
            {
                let channel = qr.channel.clone();
                state.phase = Phase::ShowingQr { qr: qr.clone(), refreshing: true };
                state.error = None;
                state.issue(Command::RequestQr(channel));
            }
        }
        Action::QrIssued(qr) => {
            // Only the answer the current screen waits for counts: after "switch channel" a late
            // code for the old wallet must not pop back up.
            let wanted = match &state.phase {
                Phase::RequestingQr(channel) => *channel == qr.channel,
                Phase::ShowingQr { qr: old, refreshing: true } => old.channel == qr.channel,
                _ => false,
            };
            if wanted && state.is_open() {
                state.phase = Phase::ShowingQr { qr, refreshing: false };
                state.simulation = Simulation::Idle;
            }
        }
        Action::QrFailed(error) => match &state.phase {
            Phase::RequestingQr(_) => {
                state.phase = Phase::Picking;
                state.error = Some(error);
            }
            Phase::ShowingQr { qr, refreshing: true } => {
                state.phase = Phase::ShowingQr { qr: qr.clone(), refreshing: false };
                state.error = Some(error);
            }
            _ => {}
        },
        Action::SwitchChannel => {
            if state.is_open() && matches!(state.phase, Phase::ShowingQr { .. } | Phase::RequestingQr(_)) {
                state.phase = Phase::Picking;
                state.error = None;
                state.simulation = Simulation::Idle;
            }
        }
        Action::Status(update) => {
            // Answers can cross (a slow long-poll after a faster one); the version orders them.
            if update.version >= state.version && state.view.is_some() {
                state.version = update.version;
                if update.paid_at.is_some() {
                    state.paid_at = update.paid_at;
                }
                state.apply_status(update.status);
                if state.status.is_final() {
                    state.simulation = Simulation::Idle;
                }
            }
        }
        Action::Tick(client_now) => {
            state.now = client_now.saturating_add_signed(state.skew);
        }
        Action::Simulate => {
            let showing = matches!(state.phase, Phase::ShowingQr { refreshing: false, .. });
            if state.test_mode()
                && state.is_open()
                && showing
                && state.simulation == Simulation::Idle
                && !state.qr_expired()
            {
                state.simulation = Simulation::Sending;
                state.error = None;
                state.issue(Command::Simulate);
            }
        }
        Action::SimulateAccepted => {
            if state.simulation == Simulation::Sending {
                state.simulation = Simulation::Sent;
            }
        }
        Action::SimulateFailed(error) => {
            if state.simulation == Simulation::Sending {
                state.simulation = Simulation::Idle;
                state.error = Some(error);
            }
        }
        Action::DismissError => state.error = None,
    }
    state
}

/// Seconds to wait before the next status long-poll after `failures` failures in a row:
/// 1, 2, 4, 8, then 15 at most, so an outage is not hammered and a blip is not waited out long.
pub fn poll_backoff_secs(failures: u32) -> u32 {
    match failures {
        0 => 0,
        n => 1u32.checked_shl(n - 1).map_or(15, |s| s.min(15)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use checkout_shared::Fen;
    use checkout_shared::api::Locale;
    use checkout_shared::payzero::Psp;

    fn view() -> CheckoutView {
        CheckoutView {
            amount: Fen(1234),
            currency: "CNY".into(),
            subject: "Tea".into(),
            methods: vec![Method::PayzeroQr],
            status: SessionStatus::Open,
            locale: Locale::ZhCn,
            expires_at: 10_000,
            return_url: None,
            test_mode: true,
            version: 3,
            qr: None,
        }
    }

    fn qr(channel: QrCodeType, expires_at: u64) -> QrResponse {
        QrResponse {
            qr_content: "weixin://wxpay/bizpayurl?pr=abc".into(),
            channel,
            psp: Psp::Allinpay,
            expires_at,
        }
    }

    fn run(state: State, actions: impl IntoIterator<Item = Action>) -> State {
        actions.into_iter().fold(state, reduce)
    }

    fn loaded(view: CheckoutView) -> State {
        reduce(State::new(), Action::Loaded { view, client_now: 1000, server_now: None })
    }

    fn status(status: SessionStatus, version: u64) -> Action {
        Action::Status(StatusUpdate { status, version, paid_at: None })
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
    fn a_session_with_an_issued_qr_shows_it_again() {
        let mut v = view();
        v.qr = Some(qr(QrCodeType::Alipay, 1300));
        let s = loaded(v);
        assert!(
            matches!(&s.phase, Phase::ShowingQr { qr, refreshing: false } if qr.channel == QrCodeType::Alipay)
        );
        assert_eq!(s.qr_seconds_left(), Some(300));
    }

    #[test]
    fn a_session_already_paid_or_expired_goes_straight_to_its_screen() {
        let mut v = view();
        v.status = SessionStatus::Paid;
        let s = loaded(v.clone());
        assert_eq!(s.phase, Phase::Paid);
        assert!(!s.should_poll());
        v.status = SessionStatus::Expired;
        assert_eq!(loaded(v).phase, Phase::Closed(SessionStatus::Expired));
    }

    #[test]
    fn a_session_without_a_supported_method_says_so() {
        let mut v = view();
        v.methods = vec![Method::Barcode];
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
    fn choosing_a_channel_requests_one_qr_even_on_double_click() {
        let s = run(loaded(view()), [Action::ChooseChannel(QrCodeType::Wechatpay)]);
        assert_eq!(s.phase, Phase::RequestingQr(QrCodeType::Wechatpay));
        let first = s.pending.clone();
        assert_eq!(first.as_ref().map(|p| &p.command), Some(&Command::RequestQr(QrCodeType::Wechatpay)));
        let s = reduce(s, Action::ChooseChannel(QrCodeType::Wechatpay));
        assert_eq!(s.pending, first, "a second click while waiting must not send a second request");
    }

    #[test]
    fn an_issued_qr_is_shown_with_its_countdown() {
        let s = run(
            loaded(view()),
            [Action::ChooseChannel(QrCodeType::Wechatpay), Action::QrIssued(qr(QrCodeType::Wechatpay, 1120))],
        );
        assert!(matches!(s.phase, Phase::ShowingQr { refreshing: false, .. }));
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
        let s =
            reduce(State::new(), Action::Loaded { view: view(), client_now: 400, server_now: Some(1000) });
        assert_eq!(s.now, 1000);
        let s = run(
            s,
            [Action::ChooseChannel(QrCodeType::Alipay), Action::QrIssued(qr(QrCodeType::Alipay, 1300))],
        );
        let s = reduce(s, Action::Tick(460));
        assert_eq!(s.qr_seconds_left(), Some(240));
    }

    #[test]
    fn a_second_of_date_header_rounding_is_not_skew() {
        let s =
            reduce(State::new(), Action::Loaded { view: view(), client_now: 999, server_now: Some(1000) });
        assert_eq!((s.skew, s.now), (0, 999));
    }

    #[test]
    fn a_late_qr_for_an_abandoned_channel_is_ignored() {
        let s = run(
            loaded(view()),
            [
                Action::ChooseChannel(QrCodeType::Wechatpay),
                Action::SwitchChannel,
                Action::ChooseChannel(QrCodeType::Alipay),
                Action::QrIssued(qr(QrCodeType::Wechatpay, 2000)),
            ],
        );
        assert_eq!(s.phase, Phase::RequestingQr(QrCodeType::Alipay));
        let s = reduce(s, Action::QrIssued(qr(QrCodeType::Alipay, 2000)));
        assert!(matches!(&s.phase, Phase::ShowingQr { qr, .. } if qr.channel == QrCodeType::Alipay));
    }

    #[test]
    fn a_failed_qr_request_goes_back_to_the_picker_with_the_error() {
        let s = run(
            loaded(view()),
            [
                Action::ChooseChannel(QrCodeType::Unionpay),
                Action::QrFailed(UiError::Api(ErrorCode::UpstreamError)),
            ],
        );
        assert_eq!(s.phase, Phase::Picking);
        assert_eq!(s.error, Some(UiError::Api(ErrorCode::UpstreamError)));
        let s = reduce(s, Action::ChooseChannel(QrCodeType::Alipay));
        assert_eq!(s.error, None, "trying again clears the old error");
    }

    #[test]
    fn refresh_asks_for_a_new_code_on_the_same_channel_and_keeps_the_old_one_until_it_arrives() {
        let s = run(
            loaded(view()),
            [
                Action::ChooseChannel(QrCodeType::Alipay),
                Action::QrIssued(qr(QrCodeType::Alipay, 1010)),
                Action::Tick(1011),
            ],
        );
        assert!(s.qr_expired());
        let s = reduce(s, Action::RefreshQr);
        assert!(matches!(s.phase, Phase::ShowingQr { refreshing: true, .. }));
        assert_eq!(s.pending.as_ref().map(|p| &p.command), Some(&Command::RequestQr(QrCodeType::Alipay)));
        let seq = s.pending.as_ref().map(|p| p.seq);
        let s = reduce(s, Action::RefreshQr);
        assert_eq!(s.pending.as_ref().map(|p| p.seq), seq, "one refresh at a time");
        let s = reduce(s, Action::QrIssued(qr(QrCodeType::Alipay, 1311)));
        assert_eq!(s.qr_seconds_left(), Some(300));
        // A failed refresh keeps the (expired) code on screen with the error and allows another try.
        let s = run(s, [Action::Tick(1400), Action::RefreshQr, Action::QrFailed(UiError::Network)]);
        assert!(matches!(s.phase, Phase::ShowingQr { refreshing: false, .. }));
        assert_eq!(s.error, Some(UiError::Network));
    }

    #[test]
    fn paid_status_shows_the_paid_screen_from_anywhere() {
        let s = run(
            loaded(view()),
            [Action::ChooseChannel(QrCodeType::Wechatpay), Action::QrIssued(qr(QrCodeType::Wechatpay, 2000))],
        );
        let s = reduce(
            s,
            Action::Status(StatusUpdate { status: SessionStatus::Paid, version: 4, paid_at: Some(1500) }),
        );
        assert_eq!(s.phase, Phase::Paid);
        assert_eq!(s.paid_at, Some(1500));
        assert!(!s.should_poll());
        // Nothing the shopper does afterwards leaves the paid screen.
        let s = run(
            s,
            [
                Action::ChooseChannel(QrCodeType::Alipay),
                Action::RefreshQr,
                Action::SwitchChannel,
                Action::Simulate,
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
        for st in [SessionStatus::Expired, SessionStatus::Canceled, SessionStatus::Failed] {
            let s = run(loaded(view()), [status(st.clone(), 4)]);
            assert_eq!(s.phase, Phase::Closed(st));
        }
        let s = run(loaded(view()), [status(SessionStatus::Unknown("refunded".into()), 4)]);
        assert!(matches!(s.phase, Phase::Closed(_)));
        assert!(!s.should_poll());
    }

    #[test]
    fn a_long_poll_timeout_with_the_same_state_changes_nothing() {
        let s = run(
            loaded(view()),
            [Action::ChooseChannel(QrCodeType::Alipay), Action::QrIssued(qr(QrCodeType::Alipay, 2000))],
        );
        let after = reduce(s.clone(), status(SessionStatus::Open, 3));
        assert_eq!(after, s);
    }

    #[test]
    fn simulate_only_in_test_mode_while_a_live_code_is_shown() {
        let showing = run(
            loaded(view()),
            [Action::ChooseChannel(QrCodeType::Wechatpay), Action::QrIssued(qr(QrCodeType::Wechatpay, 2000))],
        );
        let s = reduce(showing.clone(), Action::Simulate);
        assert_eq!(s.simulation, Simulation::Sending);
        assert_eq!(s.pending.as_ref().map(|p| &p.command), Some(&Command::Simulate));
        let seq = s.pending.as_ref().map(|p| p.seq);
        let s = reduce(s, Action::Simulate);
        assert_eq!(s.pending.as_ref().map(|p| p.seq), seq, "one simulation at a time");
        let s = reduce(s, Action::SimulateAccepted);
        assert_eq!(s.simulation, Simulation::Sent);

        let mut live = view();
        live.test_mode = false;
        let s = run(
            loaded(live),
            [
                Action::ChooseChannel(QrCodeType::Wechatpay),
                Action::QrIssued(qr(QrCodeType::Wechatpay, 2000)),
                Action::Simulate,
            ],
        );
        assert_eq!(s.simulation, Simulation::Idle);
        assert_ne!(s.pending.map(|p| p.command), Some(Command::Simulate));

        let s = run(showing, [Action::Tick(5000), Action::Simulate]);
        assert_eq!(s.simulation, Simulation::Idle, "an expired code cannot be paid, not even in the sandbox");
    }

    #[test]
    fn a_failed_simulation_shows_why_and_can_be_tried_again() {
        let s = run(
            loaded(view()),
            [
                Action::ChooseChannel(QrCodeType::Wechatpay),
                Action::QrIssued(qr(QrCodeType::Wechatpay, 2000)),
                Action::Simulate,
                Action::SimulateFailed(UiError::Api(ErrorCode::NotAvailable)),
            ],
        );
        assert_eq!(s.simulation, Simulation::Idle);
        assert_eq!(s.error, Some(UiError::Api(ErrorCode::NotAvailable)));
        let s = run(s, [Action::DismissError, Action::Simulate]);
        assert_eq!(s.error, None);
        assert_eq!(s.simulation, Simulation::Sending);
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
}
