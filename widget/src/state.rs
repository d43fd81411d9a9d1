//! The checkout flow as a pure reducer: `State` + `Action` → `State`. No IO and no clock: the
//! time arrives in actions, and the requests the flow wants made are written into the state as a
//! numbered `Pending` command that the yew shell carries out. That keeps every decision (what a
//! double click does, which late answer to ignore, when to poll again) testable natively.
//!
//! `reduce` keeps what every screen shares (loading, the session's status, the clock, going back
//! to the picker) and hands the rest to one sub-reducer per kind of attempt, each with its own
//! phases: [`qr`] (the shopper scans a code the page shows), [`barcode`] (the cashier scans
//! the shopper's payment code into the page) and [`card`] (bank-card quick pay with SMS codes). The answer to a command carries the command's
//! number, so an answer to a request the shopper has since abandoned is recognised and dropped.

pub mod barcode;
pub mod card;
pub mod phone;
pub mod qr;

pub use barcode::{BarcodeAction, BarcodeNotice, BarcodePanel, BarcodeStep, CodeProblem};
pub use card::{CardAction, CardFailure, CardPanel, CardStage};
pub use qr::{QrAction, QrChoice, QrPhase, Simulation};

use checkout_shared::api::{
    BarcodeState, BarcodeView, CardSignupRequest, CheckoutView, ErrorCode, PaymentMethod, SessionStatus,
    StatusUpdate,
};

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
    /// Choosing how to pay.
    Picking,
    /// A QR code: being issued (the picker waits meanwhile) or shown.
    Qr(QrPhase),
    /// Cashier mode: the shopper's payment code is scanned into the page.
    Barcode(BarcodePanel),
    /// Bank-card quick pay: saved cards, the sign-up form, the SMS steps.
    Card(Box<CardPanel>),
    Paid,
    /// Expired, canceled, requires attention (or a final status this version does not know).
    Closed(SessionStatus),
}

/// A request the flow wants made. The shell runs each new `Pending` exactly once.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Load,
    RequestQr(QrChoice),
    Simulate,
    SubmitBarcode {
        method: PaymentMethod,
        code: String,
    },
    /// Sign a card (or send its sign-up code again): the form, masked in `Debug`.
    CardSignup(CardSignupRequest),
    CardSignupConfirm(String),
    /// Pay with the card of this id.
    CardPay(String),
    CardPayConfirm(String),
    CardPayResend,
    CardRemove(String),
}

/// A command with a sequence number, so two identical commands in a row are still two, and an
/// answer can say which request it answers.
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
    /// The latest cashier payment the edge reported (at `version`).
    pub barcode_seen: Option<BarcodeView>,
    /// The edge's clock in unix seconds, as best known (client clock corrected by `skew`): QR
    /// expiry times and barcode deadlines are the edge's, and phone clocks are often minutes off.
    pub now: u64,
    pub skew: i64,
    /// A failure to show above the current screen (the barcode panel keeps its own next to
    /// its field).
    pub error: Option<UiError>,
    pub pending: Option<Pending>,
}

/// What happened.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// The session was read. `server_now` is the session's clock from the view (`now`). Boxed:
    /// the view is by far the largest answer, and every other action would carry its size.
    Loaded {
        view: Box<CheckoutView>,
        client_now: u64,
        server_now: Option<u64>,
    },
    LoadFailed(UiError),
    /// Read the session again after a failure.
    Retry,
    Qr(QrAction),
    Barcode(BarcodeAction),
    Card(CardAction),
    /// Back to the picker.
    SwitchMethod,
    Status(StatusUpdate),
    /// The client clock, unix seconds.
    Tick(u64),
    DismissError,
}

/// What the picker offers, grouped by what the shopper does.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Offer {
    /// A wallet button per QR method and wallet, in the order the session lists its methods.
    pub qr: Vec<QrOption>,
    /// The methods where the cashier scans the shopper's payment code.
    pub barcode: Vec<PaymentMethod>,
    /// Bank-card quick pay (`payzero_card`).
    pub card: bool,
}

/// One wallet of one QR gateway.
#[derive(Clone, Debug, PartialEq)]
pub struct QrOption {
    pub choice: QrChoice,
    /// Another QR gateway of the session offers the same wallet, so the label names the gateway:
    /// two buttons both called "WeChat Pay" could not be told apart.
    pub shared: bool,
}

impl Offer {
    /// The methods of a session this widget can take. Methods a newer edge knows are left out
    /// rather than shown as dead buttons.
    pub fn of(methods: &[PaymentMethod]) -> Offer {
        let mut offer = Offer::default();
        for (i, method) in methods.iter().enumerate() {
            if methods[..i].contains(method) {
                continue;
            }
            if method.is_qr() {
                offer.qr.extend(method.channels().iter().map(|channel| QrOption {
                    choice: QrChoice { method: method.clone(), channel: channel.clone() },
                    shared: false,
                }));
            } else if method.is_barcode() {
                offer.barcode.push(method.clone());
            } else if *method == PaymentMethod::PayzeroCard {
                offer.card = true;
            }
        }
        let channels: Vec<_> = offer.qr.iter().map(|o| o.choice.channel.clone()).collect();
        for option in &mut offer.qr {
            option.shared = channels.iter().filter(|c| **c == option.choice.channel).count() > 1;
        }
        offer
    }

    pub fn is_empty(&self) -> bool {
        self.qr.is_empty() && self.barcode.is_empty() && !self.card
    }
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
            barcode_seen: None,
            now: 0,
            skew: 0,
            error: None,
            pending: Some(Pending { seq: 1, command: Command::Load }),
        }
    }

    /// Asks the shell to run `command`; returns its number, which its answer will carry.
    fn issue(&mut self, command: Command) -> u64 {
        let seq = self.pending.as_ref().map_or(0, |p| p.seq) + 1;
        self.pending = Some(Pending { seq, command });
        seq
    }

    /// What the session offers that this widget can take.
    pub fn offer(&self) -> Offer {
        self.view.as_ref().map(|v| Offer::of(&v.methods)).unwrap_or_default()
    }

    /// Seconds until the shown QR expires (0 once it has), or `None` when no QR is shown.
    pub fn qr_seconds_left(&self) -> Option<u64> {
        match &self.phase {
            Phase::Qr(QrPhase::Showing { qr, .. }) => Some(qr.expires_at.saturating_sub(self.now)),
            _ => None,
        }
    }

    /// Whether the shown QR can no longer be paid.
    pub fn qr_expired(&self) -> bool {
        self.qr_seconds_left() == Some(0)
    }

    /// Seconds until the edge cancels the cashier payment in progress, or `None` when none is.
    pub fn barcode_seconds_left(&self) -> Option<u64> {
        match &self.phase {
            Phase::Barcode(BarcodePanel { step: BarcodeStep::Processing { deadline }, .. }) => {
                Some(deadline.saturating_sub(self.now))
            }
            _ => None,
        }
    }

    /// Whether a countdown is on screen, so the shell runs the clock.
    pub fn needs_clock(&self) -> bool {
        self.qr_seconds_left().is_some() || self.barcode_seconds_left().is_some() || self.card_needs_clock()
    }

    /// A card screen with a countdown: an SMS code's lifetime, or until another code (or the
    /// payment of a signed card) may be asked for, or a rate limit's end.
    fn card_needs_clock(&self) -> bool {
        match &self.phase {
            Phase::Card(panel) => panel.wants_code() || panel.resend_at() > self.now,
            _ => false,
        }
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

    /// The screen an open session opens on.
    fn opening_phase(&self) -> Phase {
        let Some(view) = &self.view else {
            return Phase::Loading;
        };
        // A reload or a second tab: a cashier payment still being decided comes first (money
        // may be moving), then the QR already issued rather than a new one.
        if let Some(barcode) = &view.barcode
            && barcode.method.is_barcode()
        {
            match barcode.state {
                BarcodeState::Processing => return Phase::Barcode(BarcodePanel::resumed(barcode)),
                BarcodeState::NeedsReview => return Phase::Closed(SessionStatus::RequiresAttention),
                _ => {}
            }
        }
        if let Some(card) = &view.card
            && card::resumable(card, &view.methods)
        {
            return Phase::Card(Box::new(CardPanel::resumed(card)));
        }
        if let Some(qr) = &view.qr {
            return Phase::Qr(QrPhase::Showing {
                qr: qr.clone(),
                refreshing: None,
                simulation: Simulation::Idle,
            });
        }
        if Offer::of(&view.methods).is_empty() {
            Phase::Unavailable(UiError::Api(ErrorCode::MethodNotSupported))
        } else {
            Phase::Picking
        }
    }
}

/// The one place the flow changes.
pub fn reduce(mut state: State, action: Action) -> State {
    match action {
        Action::Loaded { view, client_now, server_now } => {
            // The clock has whole seconds, so a difference of a second or two is rounding, not skew.
            let skew = server_now.map_or(0, |s| s as i64 - client_now as i64);
            state.skew = if skew.abs() <= 2 { 0 } else { skew };
            state.now = client_now.saturating_add_signed(state.skew);
            state.version = view.version;
            state.error = None;
            state.barcode_seen = view.barcode.clone();
            let status = view.status.clone();
            state.view = Some(*view);
            state.apply_status(status);
            if state.status == SessionStatus::Open {
                state.phase = state.opening_phase();
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
        Action::Qr(action) => qr::reduce(&mut state, action),
        Action::Barcode(action) => barcode::reduce(&mut state, action),
        Action::Card(action) => card::reduce(&mut state, action),
        Action::SwitchMethod => {
            let can_leave = match &state.phase {
                Phase::Qr(_) => true,
                // Not while a payment code is with the gateway: its outcome must stay on screen.
                Phase::Barcode(panel) => panel.step == BarcodeStep::Entering,
                Phase::Card(panel) => panel.can_leave(),
                _ => false,
            };
            if state.is_open() && can_leave {
                state.phase = Phase::Picking;
                state.error = None;
            }
        }
        Action::Status(update) => {
            // Answers can cross (a slow long-poll after a faster one); the version orders them.
            if update.version >= state.version && state.view.is_some() {
                state.version = update.version;
                if update.paid_at.is_some() {
                    state.paid_at = update.paid_at;
                }
                barcode::on_status(&mut state, update.version, update.barcode.as_ref());
                state.barcode_seen = update.barcode;
                card::on_status(&mut state, update.card.as_ref());
                // Last: a final status wins over whatever the attempt said.
                state.apply_status(update.status);
            }
        }
        Action::Tick(client_now) => {
            state.now = client_now.saturating_add_signed(state.skew);
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
mod tests;
