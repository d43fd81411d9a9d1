//! The cashier (barcode) attempt's sub-reducer: the cashier scans the shopper's WeChat Pay or
//! Alipay payment code into the page (a scanner types the digits and Enter), the edge sends it
//! to the gateway and polls it, and the outcome arrives with the status long-poll. The panel
//! keeps its own field, steps (entering, sending, processing) and the notice a refused or
//! finished code leaves next to the field.
//!
//! There is no "simulate payment" here: in test mode the sandbox decides a payment code's
//! outcome by its last four digits, so the cashier's input already drives every case. And the
//! browser never asks for a cancel or a refund: the edge cancels an unconfirmed payment at its
//! deadline on its own.

use super::{Command, Phase, State, UiError};
use checkout_shared::api::{BarcodeState, BarcodeView, PaymentMethod, SessionStatus};
use checkout_shared::session::is_payment_code;

/// The barcode screen.
#[derive(Clone, Debug, PartialEq)]
pub struct BarcodePanel {
    pub method: PaymentMethod,
    /// The field's content: digits only (everything else is stripped as it is typed).
    pub input: String,
    pub step: BarcodeStep,
    /// What the last code came to, or why the field's content is not a code, shown next to it.
    pub notice: Option<BarcodeNotice>,
    /// The session's version when the last code was sent: a status no newer than that describes
    /// an older payment.
    pub sent_at: u64,
    /// The cashier payment the edge reported before the last code was sent: until the edge
    /// reports another one, the new code has not reached it yet.
    pub previous: Option<BarcodeView>,
}

/// The barcode attempt's phases.
#[derive(Clone, Debug, PartialEq)]
pub enum BarcodeStep {
    /// Waiting for a code.
    Entering,
    /// The code is on its way to the edge (request `seq`).
    Sending { seq: u64 },
    /// The gateway is deciding (the shopper may be confirming on their phone); the edge cancels
    /// the payment at `deadline` (unix seconds, the edge's clock) if it is not confirmed by then.
    Processing { deadline: u64 },
}

/// The message next to the field.
#[derive(Clone, Debug, PartialEq)]
pub enum BarcodeNotice {
    /// The field's content is not a payment code; nothing was sent.
    Invalid(CodeProblem),
    /// The edge did not take the code.
    Refused(UiError),
    /// The gateway declined the payment and no money moved; its reason code when known.
    Declined(Option<String>),
    /// Not confirmed before the deadline: the edge canceled it and no money was taken.
    TimedOut,
}

/// Why the field's content is not a payment code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeProblem {
    /// Something other than digits was typed (and stripped).
    NotDigits,
    /// A WeChat Pay or Alipay payment code has 16 to 24 digits.
    Length,
}

/// What happened in cashier mode. Answers carry the number of the request they answer.
#[derive(Clone, Debug, PartialEq)]
pub enum BarcodeAction {
    /// A barcode button in the picker.
    Open(PaymentMethod),
    /// The field's content changed (typed, pasted or scanned).
    Input(String),
    /// Enter in the field, or the submit button.
    Submit,
    /// The edge took the code (`202`) and says where the payment stands.
    Accepted {
        seq: u64,
        view: BarcodeView,
    },
    Refused {
        seq: u64,
        error: UiError,
    },
}

impl BarcodePanel {
    fn new(method: PaymentMethod) -> BarcodePanel {
        BarcodePanel {
            method,
            input: String::new(),
            step: BarcodeStep::Entering,
            notice: None,
            sent_at: 0,
            previous: None,
        }
    }

    /// The panel for a payment already in progress when the page was (re)loaded.
    pub(super) fn resumed(view: &BarcodeView) -> BarcodePanel {
        BarcodePanel {
            step: BarcodeStep::Processing { deadline: view.deadline },
            ..BarcodePanel::new(view.method.clone())
        }
    }

    /// Whether a code is with the edge or the gateway, so the field takes no other.
    pub fn is_busy(&self) -> bool {
        self.step != BarcodeStep::Entering
    }
}

/// The digits of what was typed, and whether anything other than digits and spaces had to be
/// dropped. Spaces are how codes are often printed and read out (`1234 5678 …`); full-width
/// digits are what a Chinese input method types.
pub fn digits_of(typed: &str) -> (String, bool) {
    let mut refused = false;
    let digits = typed
        .chars()
        .filter_map(|c| match c {
            '0'..='9' => Some(c),
            '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')),
            c if c.is_whitespace() => None,
            _ => {
                refused = true;
                None
            }
        })
        .collect();
    (digits, refused)
}

/// Whether `digits` can be a payment code, checked here so a typo costs no request (and none of
/// the session's limited tries).
pub fn check(digits: &str) -> Result<(), CodeProblem> {
    if is_payment_code(digits) { Ok(()) } else { Err(CodeProblem::Length) }
}

fn panel_mut(state: &mut State) -> Option<&mut BarcodePanel> {
    match &mut state.phase {
        Phase::Barcode(panel) => Some(panel),
        _ => None,
    }
}

pub(super) fn reduce(state: &mut State, action: BarcodeAction) {
    match action {
        BarcodeAction::Open(method) => {
            let offered = state.offer().barcode.contains(&method);
            if state.is_open() && state.phase == Phase::Picking && offered {
                state.phase = Phase::Barcode(BarcodePanel::new(method));
                state.error = None;
            }
        }
        BarcodeAction::Input(typed) => {
            if let Some(panel) = panel_mut(state)
                && !panel.is_busy()
            {
                let (digits, refused) = digits_of(&typed);
                panel.input = digits;
                // The old notice was about the previous code; a new one is being typed.
                panel.notice = refused.then_some(BarcodeNotice::Invalid(CodeProblem::NotDigits));
            }
        }
        BarcodeAction::Submit => submit(state),
        BarcodeAction::Accepted { seq, view } => {
            if let Some(panel) = panel_mut(state)
                && panel.step == (BarcodeStep::Sending { seq })
            {
                apply(state, &view);
            }
        }
        BarcodeAction::Refused { seq, error } => {
            if let Some(panel) = panel_mut(state)
                && panel.step == (BarcodeStep::Sending { seq })
            {
                // The code stays in the field: after a network failure Enter sends it again.
                panel.step = BarcodeStep::Entering;
                panel.notice = Some(BarcodeNotice::Refused(error));
            }
        }
    }
}

fn submit(state: &mut State) {
    let open = state.is_open();
    let Some(panel) = panel_mut(state) else {
        return;
    };
    // A second Enter (scanners often send one) while the first code is out sends nothing.
    if !open || panel.is_busy() {
        return;
    }
    if let Err(problem) = check(&panel.input) {
        panel.notice = Some(BarcodeNotice::Invalid(problem));
        return;
    }
    let command = Command::SubmitBarcode { method: panel.method.clone(), code: panel.input.clone() };
    let (version, previous) = (state.version, state.barcode_seen.clone());
    let seq = state.issue(command);
    if let Some(panel) = panel_mut(state) {
        panel.step = BarcodeStep::Sending { seq };
        panel.notice = None;
        panel.sent_at = version;
        panel.previous = previous;
    }
    state.error = None;
}

/// The cashier payment as a status update reports it, before the session's status is applied.
pub(super) fn on_status(state: &mut State, version: u64, view: Option<&BarcodeView>) {
    let Some(view) = view else {
        return;
    };
    let Some(panel) = panel_mut(state) else {
        return;
    };
    let stale = match panel.step {
        // Nothing was sent from this panel: any result is an older one.
        BarcodeStep::Entering => true,
        // The status may overtake the POST's own answer, but it may also still describe the
        // payment before this one.
        BarcodeStep::Sending { .. } => version <= panel.sent_at || panel.previous.as_ref() == Some(view),
        BarcodeStep::Processing { .. } => version <= panel.sent_at,
    };
    if !stale {
        apply(state, view);
    }
}

/// Moves the panel to where the edge says the payment stands.
fn apply(state: &mut State, view: &BarcodeView) {
    let next = match &view.state {
        // The session's status follows in the same or the next update; the cashier need not
        // wait for it to see that the money arrived.
        BarcodeState::Paid => {
            state.phase = Phase::Paid;
            return;
        }
        BarcodeState::NeedsReview => {
            state.phase = Phase::Closed(SessionStatus::RequiresAttention);
            return;
        }
        BarcodeState::Declined => Some(BarcodeNotice::Declined(view.reason.clone())),
        // Canceled with a reason (EZR's NOTPAY) was the gateway's doing; without one, the deadline.
        BarcodeState::Canceled => Some(match view.reason.clone() {
            Some(reason) => BarcodeNotice::Declined(Some(reason)),
            None => BarcodeNotice::TimedOut,
        }),
        // A state a newer edge knows: keep waiting, the session's status will settle it.
        BarcodeState::Processing | BarcodeState::Unknown(_) => None,
    };
    let Some(panel) = panel_mut(state) else {
        return;
    };
    // The code was taken either way: the field is ready for the next one.
    panel.input.clear();
    match next {
        None => panel.step = BarcodeStep::Processing { deadline: view.deadline },
        Some(notice) => {
            panel.step = BarcodeStep::Entering;
            panel.notice = Some(notice);
        }
    }
}
