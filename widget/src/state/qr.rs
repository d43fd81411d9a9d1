//! The QR attempt's sub-reducer: the shopper picks a wallet of a QR gateway (Payzero or
//! Shouqianba, the flow is the same), the edge issues a code, the page shows it until it is paid
//! or expires, and an expired code is replaced on request. In test mode "simulate payment" asks
//! the sandbox to pay the code on screen.

use super::{Command, Phase, State, UiError};
use checkout_shared::api::{Channel, PaymentMethod, QrView};

/// A wallet of a QR gateway: what a picker button stands for and what a QR request names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QrChoice {
    pub method: PaymentMethod,
    pub channel: Channel,
}

impl QrChoice {
    /// The choice a shown code belongs to (a refresh asks for the same).
    pub fn of(qr: &QrView) -> QrChoice {
        QrChoice { method: qr.method.clone(), channel: qr.channel.clone() }
    }
}

/// Where the test-mode "simulate payment" control stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Simulation {
    #[default]
    Idle,
    /// The request `seq` is on its way.
    Sending { seq: u64 },
    /// The edge accepted it; the status long-poll will report the payment.
    Sent,
}

/// The QR attempt's phases.
#[derive(Clone, Debug, PartialEq)]
pub enum QrPhase {
    /// The edge is issuing a code for `choice` (request `seq`); the picker waits.
    Requesting { choice: QrChoice, seq: u64 },
    /// A code is shown; `refreshing` names the request for its replacement while one is out.
    Showing { qr: QrView, refreshing: Option<u64>, simulation: Simulation },
}

/// What happened to the QR attempt. Answers carry the number of the request they answer.
#[derive(Clone, Debug, PartialEq)]
pub enum QrAction {
    /// A wallet button in the picker.
    Choose(QrChoice),
    /// Replace the current (usually expired) code with one for the same wallet.
    Refresh,
    Issued {
        seq: u64,
        qr: QrView,
    },
    Failed {
        seq: u64,
        error: UiError,
    },
    Simulate,
    SimulateAccepted {
        seq: u64,
    },
    SimulateFailed {
        seq: u64,
        error: UiError,
    },
}

pub(super) fn reduce(state: &mut State, action: QrAction) {
    match action {
        QrAction::Choose(choice) => {
            let offered = state.offer().qr.iter().any(|o| o.choice == choice);
            // Only from the picker: a second click while the first code is being issued finds
            // the phase already `Requesting` and sends nothing.
            if state.is_open() && state.phase == Phase::Picking && offered {
                let seq = state.issue(Command::RequestQr(choice.clone()));
                state.phase = Phase::Qr(QrPhase::Requesting { choice, seq });
                state.error = None;
            }
        }
        QrAction::Refresh => {
            if let Phase::Qr(QrPhase::Showing { qr, refreshing: None, simulation }) = &state.phase
                && state.is_open()
            {
                let (qr, simulation) = (qr.clone(), *simulation);
                let seq = state.issue(Command::RequestQr(QrChoice::of(&qr)));
                state.phase = Phase::Qr(QrPhase::Showing { qr, refreshing: Some(seq), simulation });
                state.error = None;
            }
        }
        QrAction::Issued { seq, qr } => {
            // Only the answer the current screen waits for counts: after "switch method" a late
            // code for the old wallet must not pop back up.
            let wanted = match &state.phase {
                Phase::Qr(QrPhase::Requesting { seq: waiting, .. }) => *waiting == seq,
                Phase::Qr(QrPhase::Showing { refreshing: Some(waiting), .. }) => *waiting == seq,
                _ => false,
            };
            if wanted && state.is_open() {
                state.phase =
                    Phase::Qr(QrPhase::Showing { qr, refreshing: None, simulation: Simulation::Idle });
            }
        }
        QrAction::Failed { seq, error } => match &mut state.phase {
            Phase::Qr(QrPhase::Requesting { seq: waiting, .. }) if *waiting == seq => {
                state.phase = Phase::Picking;
                state.error = Some(error);
            }
            // A failed refresh keeps the old code on screen, with the error and another try.
            Phase::Qr(QrPhase::Showing { refreshing, .. }) if *refreshing == Some(seq) => {
                *refreshing = None;
                state.error = Some(error);
            }
            _ => {}
        },
        QrAction::Simulate => {
            let live = !state.qr_expired() && state.test_mode() && state.is_open();
            if let Phase::Qr(QrPhase::Showing { qr, refreshing: None, simulation: Simulation::Idle }) =
                &state.phase
                && live
            {
                let qr = qr.clone();
                let seq = state.issue(Command::Simulate);
                let simulation = Simulation::Sending { seq };
                state.phase = Phase::Qr(QrPhase::Showing { qr, refreshing: None, simulation });
                state.error = None;
            }
        }
        QrAction::SimulateAccepted { seq } => {
            if let Phase::Qr(QrPhase::Showing { simulation, .. }) = &mut state.phase
                && *simulation == (Simulation::Sending { seq })
            {
                *simulation = Simulation::Sent;
            }
        }
        QrAction::SimulateFailed { seq, error } => {
            if let Phase::Qr(QrPhase::Showing { simulation, .. }) = &mut state.phase
                && *simulation == (Simulation::Sending { seq })
            {
                *simulation = Simulation::Idle;
                state.error = Some(error);
            }
        }
    }
}
