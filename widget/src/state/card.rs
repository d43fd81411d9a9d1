//! The bank-card quick-pay sub-reducer (Payzero §5, method `payzero_card`): the shopper pays
//! with a saved card at one tap, or fills the sign-up form, confirms the card with an SMS code,
//! then confirms the payment with a second one. The edge says where the payment stands as a
//! `CardView`; this panel adds what only the page knows: which screen of the flow is up, the
//! form as typed (kept in memory only, so "send the code again" can send it again), the SMS code
//! being typed, the request on its way and the message the last one left.
//!
//! Every form rule is `checkout_shared::card`'s (the edge checks the same ones): nothing here
//! decides whether a value is valid, only when to say so — after the shopper left the field or
//! pressed submit, never at the first keystroke.

use super::{Command, Phase, State, UiError};
use checkout_shared::api::{
    CardField, CardSignupRequest, CardStep, CardType, CardView, ErrorCode, FieldProblem, PaymentMethod,
};
use checkout_shared::card;
use checkout_shared::china_time::china;
use checkout_shared::mask::Redacted;

/// How long to hold back after a `429` that did not say for how long (the edge's resend
/// cooldown is at least this).
const DEFAULT_RETRY_SECS: u64 = 60;

/// Which screen of the card flow is up.
// One lives inside the (boxed) panel at a time: boxing the view would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum CardStage {
    /// The cards the shopper can pay with at once, and "use a new card".
    Choosing,
    /// The sign-up form.
    Form,
    /// Where the edge says the payment stands: a code sent (sign-up or payment), signed,
    /// processing or failed (`paid` leaves the panel for the paid screen).
    Step(CardView),
}

/// Why the last card request did not go through: the edge's stable code and, when it gave
/// them, the field at fault (with what is wrong with it), the gateway's own code and how long
/// a rate limit holds. Also used for an SMS code refused before sending (`field` = `code`).
#[derive(Clone, Debug, PartialEq)]
pub struct CardFailure {
    pub error: UiError,
    pub field: Option<CardField>,
    pub problem: Option<FieldProblem>,
    pub gateway_code: Option<String>,
    /// Seconds from the edge's `Retry-After`.
    pub retry_after: Option<u64>,
}

impl CardFailure {
    pub fn new(error: UiError) -> CardFailure {
        CardFailure { error, field: None, problem: None, gateway_code: None, retry_after: None }
    }

    fn field(field: CardField, problem: FieldProblem) -> CardFailure {
        CardFailure {
            field: Some(field),
            problem: Some(problem),
            ..CardFailure::new(UiError::Api(ErrorCode::InvalidRequest))
        }
    }
}

/// The card screen.
#[derive(Clone, Debug, PartialEq)]
pub struct CardPanel {
    pub stage: CardStage,
    /// The sign-up form as typed. Its `Debug` masks the numbers; it never leaves memory except
    /// in the sign-up request.
    pub form: CardSignupRequest,
    /// The fields whose problems are shown: those the shopper has left, and all after a submit.
    pub touched: Vec<CardField>,
    /// The SMS code being typed: digits only, at most 6.
    pub code: String,
    /// The request on its way (its number), if any: nothing else is sent meanwhile.
    pub busy: Option<u64>,
    /// What the last request came to when it did not move the flow on.
    pub notice: Option<CardFailure>,
    /// Until when (unix seconds, the edge's clock) the edge's rate limit holds.
    pub retry_at: u64,
    /// The saved card whose removal waits for the shopper's confirmation.
    pub removing: Option<String>,
    /// The bank list's search text.
    pub bank_filter: String,
}

/// What happened in the card flow. Answers carry the number of the request they answer.
#[derive(Clone, Debug, PartialEq)]
pub enum CardAction {
    /// The card button in the picker.
    Open,
    /// "Use a new card": the sign-up form.
    NewCard,
    /// Back to the saved cards (or the form when there are none).
    Back,
    /// A field's content changed (`CardField::Code` is the SMS code; `CardType` takes
    /// `debit`/`credit`, `BankCode` a bank code).
    Input(CardField, String),
    /// The shopper left a field: its problem, if any, may now be shown.
    Leave(CardField),
    /// The bank list's search text changed.
    FilterBanks(String),
    /// The sign-up form's submit.
    Submit,
    /// The SMS code's submit.
    SubmitCode,
    /// Another SMS code: the sign-up form sent again, or the payment's resend.
    Resend,
    /// Pay with this card (a saved card, the card just signed, or again after a failed try).
    Pay(String),
    /// Remove a saved card: asked, then confirmed or kept.
    AskRemove(String),
    KeepCard,
    Remove,
    Answer {
        seq: u64,
        result: Result<CardView, CardFailure>,
    },
    Removed {
        seq: u64,
        result: Result<(), CardFailure>,
    },
}

/// The form's fields in screen order (the card type is a choice that always has a value).
pub const FORM_FIELDS: [CardField; 8] = [
    CardField::AccountName,
    CardField::CardNumber,
    CardField::CardType,
    CardField::BankCode,
    CardField::IdNumber,
    CardField::Mobile,
    CardField::Cvv2,
    CardField::Expiry,
];

/// `(year, month)` in China at `now` (unix seconds): what a credit card's expiry is checked
/// against.
pub fn china_month(now: u64) -> (u32, u32) {
    let civil = china(now.saturating_mul(1000));
    (u32::try_from(civil.year).unwrap_or(0), civil.month)
}

fn empty_form() -> CardSignupRequest {
    CardSignupRequest {
        account_name: String::new(),
        card_number: "".into(),
        card_type: CardType::Debit,
        bank_code: String::new(),
        id_number: "".into(),
        mobile: "".into(),
        cvv2: None,
        expiry: None,
    }
}

impl CardPanel {
    /// A panel at `stage` with an empty form and nothing typed yet.
    pub fn new(stage: CardStage) -> CardPanel {
        CardPanel {
            stage,
            form: empty_form(),
            touched: Vec::new(),
            code: String::new(),
            busy: None,
            notice: None,
            retry_at: 0,
            removing: None,
            bank_filter: String::new(),
        }
    }

    /// The panel for a card payment already in progress when the page was (re)loaded.
    pub(super) fn resumed(view: &CardView) -> CardPanel {
        CardPanel::new(CardStage::Step(view.clone()))
    }

    /// The step the edge reported, when the panel shows one.
    pub fn step(&self) -> Option<&CardStep> {
        match &self.stage {
            CardStage::Step(view) => Some(&view.step),
            _ => None,
        }
    }

    /// The form as the request it would send: numbers without the spaces they are shown with,
    /// and CVV2 and expiry only for a credit card (a debit card's are never forwarded).
    pub fn request(&self) -> CardSignupRequest {
        let form = &self.form;
        let credit = form.card_type == CardType::Credit;
        let keep = |v: &Option<Redacted>| v.as_ref().filter(|_| credit).map(|v| v.expose().trim().into());
        CardSignupRequest {
            account_name: form.account_name.trim().to_owned(),
            card_number: card::digits_of(form.card_number.expose()).into(),
            card_type: form.card_type.clone(),
            bank_code: form.bank_code.clone(),
            id_number: form.id_number.expose().trim().to_ascii_uppercase().into(),
            mobile: card::digits_of(form.mobile.expose()).into(),
            cvv2: keep(&form.cvv2),
            expiry: keep(&form.expiry),
        }
    }

    /// Every problem of the form at `today` (`china_month`), by the shared rules.
    pub fn problems(&self, today: (u32, u32)) -> Vec<(CardField, FieldProblem)> {
        card::check_signup(&self.request(), today)
    }

    /// The problem to show next to `field`: the edge's, until the field is changed, else the
    /// shared rules' once the field has been left.
    pub fn shown_problem(&self, field: &CardField, today: (u32, u32)) -> Option<FieldProblem> {
        if let Some(CardFailure { field: Some(f), problem: Some(p), .. }) = &self.notice
            && f == field
        {
            return Some(p.clone());
        }
        if !self.touched.contains(field) {
            return None;
        }
        self.problems(today).into_iter().find(|(f, _)| f == field).map(|(_, p)| p)
    }

    /// A card number of the right shape that fails the Luhn check: said, never blocking (some
    /// valid Chinese cards fail it).
    pub fn luhn_warning(&self) -> bool {
        let number = self.form.card_number.expose();
        self.touched.contains(&CardField::CardNumber)
            && card::check_card_number(number).is_ok()
            && !card::luhn_ok(&card::digits_of(number))
    }

    /// The text a field shows (the card number grouped in fours as typed).
    pub fn value(&self, field: &CardField) -> String {
        let form = &self.form;
        let secret = |v: &Option<Redacted>| v.as_ref().map(|v| v.expose().to_owned()).unwrap_or_default();
        match field {
            CardField::AccountName => form.account_name.clone(),
            CardField::CardNumber => card::group_in_fours(form.card_number.expose()),
            CardField::CardType => form.card_type.as_str().to_owned(),
            CardField::BankCode => form.bank_code.clone(),
            CardField::IdNumber => form.id_number.expose().to_owned(),
            CardField::Mobile => form.mobile.expose().to_owned(),
            CardField::Cvv2 => secret(&form.cvv2),
            CardField::Expiry => secret(&form.expiry),
            CardField::Code => self.code.clone(),
            CardField::CardId | CardField::Unknown(_) => String::new(),
        }
    }

    /// The message the last request left, unless it is shown next to a field on this screen.
    pub fn general_notice(&self) -> Option<&CardFailure> {
        let notice = self.notice.as_ref()?;
        let on_screen = match (&notice.field, &self.stage) {
            (Some(CardField::Code), CardStage::Step(_)) => true,
            (Some(field), CardStage::Form) => FORM_FIELDS.contains(field),
            _ => false,
        };
        (!on_screen || notice.problem.is_none()).then_some(notice)
    }

    /// Whether an SMS code is expected on this screen.
    pub fn wants_code(&self) -> bool {
        matches!(self.step(), Some(CardStep::SignupCodeSent | CardStep::PayCodeSent))
    }

    /// When another SMS code (or, once signed, the payment) may be asked for: the edge's
    /// cooldown or its rate limit, whichever ends later.
    pub fn resend_at(&self) -> u64 {
        match &self.stage {
            CardStage::Step(view) => view.resend_at.max(self.retry_at),
            _ => self.retry_at,
        }
    }

    /// Whether the shopper may leave the card screen: not while a request is out or the
    /// gateway is completing the payment.
    pub fn can_leave(&self) -> bool {
        self.busy.is_none() && self.step() != Some(&CardStep::Processing)
    }
}

fn panel_mut(state: &mut State) -> Option<&mut CardPanel> {
    match &mut state.phase {
        Phase::Card(panel) => Some(panel),
        _ => None,
    }
}

/// Where the card flow starts: the saved cards when there are any, else the form.
fn start_stage(state: &State) -> CardStage {
    let saved = state.view.as_ref().is_some_and(|v| !v.saved_cards.is_empty());
    if saved { CardStage::Choosing } else { CardStage::Form }
}

/// Issues `command` for the card panel: marks it busy and clears the last message.
fn send(state: &mut State, command: Command) {
    let seq = state.issue(command);
    state.error = None;
    if let Some(panel) = panel_mut(state) {
        panel.busy = Some(seq);
        panel.notice = None;
    }
}

pub(super) fn reduce(state: &mut State, action: CardAction) {
    let open = state.is_open();
    let now = state.now;
    if let CardAction::Open = action {
        if open && state.phase == Phase::Picking && state.offer().card {
            state.phase = Phase::Card(Box::new(CardPanel::new(start_stage(state))));
            state.error = None;
        }
        return;
    }
    let start = start_stage(state);
    let Some(panel) = panel_mut(state) else {
        return;
    };
    if !open {
        return;
    }
    let idle = panel.busy.is_none();
    let ready = idle && now >= panel.resend_at();
    let command = match action {
        CardAction::Open => None,
        CardAction::NewCard => {
            if idle && panel.can_leave() {
                panel.stage = CardStage::Form;
                panel.notice = None;
                panel.removing = None;
            }
            None
        }
        CardAction::Back => {
            let leaves = match &panel.stage {
                CardStage::Choosing => false,
                CardStage::Form => start == CardStage::Choosing,
                CardStage::Step(_) => true,
            };
            if leaves && panel.can_leave() {
                panel.stage = start;
                panel.code.clear();
                panel.notice = None;
            }
            None
        }
        CardAction::Input(field, text) => {
            input(panel, field, text);
            None
        }
        CardAction::Leave(field) => {
            if !panel.touched.contains(&field) {
                panel.touched.push(field);
            }
            None
        }
        CardAction::FilterBanks(text) => {
            panel.bank_filter = text;
            None
        }
        CardAction::Submit => {
            if panel.stage != CardStage::Form || !idle || now < panel.retry_at {
                return;
            }
            panel.touched = FORM_FIELDS.to_vec();
            if let Some(CardFailure { field: Some(_), .. }) = panel.notice {
                panel.notice = None;
            }
            let today = china_month(now);
            panel.problems(today).is_empty().then(|| Command::CardSignup(panel.request()))
        }
        CardAction::SubmitCode => {
            if !panel.wants_code() || !idle {
                return;
            }
            match card::check_sms_code(&panel.code) {
                Err(problem) => {
                    panel.notice = Some(CardFailure::field(CardField::Code, problem));
                    None
                }
                Ok(()) if panel.step() == Some(&CardStep::SignupCodeSent) => {
                    Some(Command::CardSignupConfirm(panel.code.clone()))
                }
                Ok(()) => Some(Command::CardPayConfirm(panel.code.clone())),
            }
        }
        CardAction::Resend => match panel.step() {
            Some(CardStep::SignupCodeSent) if ready => {
                // The form lives in memory only: after a reload there is nothing to send again.
                if panel.problems(china_month(now)).is_empty() {
                    Some(Command::CardSignup(panel.request()))
                } else {
                    panel.stage = CardStage::Form;
                    None
                }
            }
            Some(CardStep::PayCodeSent) if ready => Some(Command::CardPayResend),
            _ => None,
        },
        CardAction::Pay(card_id) => {
            let allowed = match &panel.stage {
                CardStage::Choosing => panel.removing.is_none(),
                CardStage::Step(view) => {
                    matches!(view.step, CardStep::Signed | CardStep::Failed)
                        && view.card.as_ref().is_some_and(|c| c.id == card_id)
                }
                CardStage::Form => false,
            };
            (allowed && ready).then_some(Command::CardPay(card_id))
        }
        CardAction::AskRemove(card_id) => {
            if panel.stage == CardStage::Choosing && idle {
                panel.removing = Some(card_id);
                panel.notice = None;
            }
            None
        }
        CardAction::KeepCard => {
            if idle {
                panel.removing = None;
            }
            None
        }
        CardAction::Remove => match &panel.removing {
            Some(card_id) if idle && panel.stage == CardStage::Choosing => {
                Some(Command::CardRemove(card_id.clone()))
            }
            _ => None,
        },
        CardAction::Answer { seq, result } => {
            if panel.busy == Some(seq) {
                panel.busy = None;
                match result {
                    Ok(view) => apply(state, view),
                    Err(failure) => refused(panel, failure, now),
                }
            }
            None
        }
        CardAction::Removed { seq, result } => {
            if panel.busy == Some(seq) {
                panel.busy = None;
                match result {
                    Ok(()) => {
                        let removed = panel.removing.take();
                        if let Some(view) = &mut state.view {
                            view.saved_cards.retain(|c| Some(&c.id) != removed.as_ref());
                            if view.saved_cards.is_empty()
                                && let Phase::Card(panel) = &mut state.phase
                            {
                                panel.stage = CardStage::Form;
                            }
                        }
                    }
                    Err(failure) => refused(panel, failure, now),
                }
            }
            None
        }
    };
    if let Some(command) = command {
        send(state, command);
    }
}

/// A field's new content. The SMS code keeps digits only (a full-width digit counts), six at
/// most; the form keeps what was typed, and a message about a field goes once it changes.
fn input(panel: &mut CardPanel, field: CardField, text: String) {
    if panel.notice.as_ref().is_some_and(|n| n.field.as_ref() == Some(&field)) {
        panel.notice = None;
    }
    let form = &mut panel.form;
    let secret = Some(Redacted::new(text.as_str()));
    match field {
        CardField::Code => {
            let (digits, _) = super::barcode::digits_of(&text);
            panel.code = digits.chars().take(6).collect();
        }
        CardField::AccountName => form.account_name = text,
        CardField::CardNumber => form.card_number = text.into(),
        CardField::CardType => {
            if let Some(card_type) = CardType::KNOWN.iter().find(|t| t.as_str() == text) {
                form.card_type = card_type.clone();
            }
        }
        CardField::BankCode => form.bank_code = text,
        CardField::IdNumber => form.id_number = text.into(),
        CardField::Mobile => form.mobile = text.into(),
        CardField::Cvv2 => form.cvv2 = secret,
        CardField::Expiry => form.expiry = secret,
        CardField::CardId | CardField::Unknown(_) => {}
    }
}

/// Moves the panel to where the edge says the payment stands.
fn apply(state: &mut State, view: CardView) {
    if view.step == CardStep::Paid {
        // The session's status follows; the shopper need not wait for it.
        state.phase = Phase::Paid;
        return;
    }
    if let Some(panel) = panel_mut(state) {
        panel.stage = CardStage::Step(view);
        panel.code.clear();
        panel.notice = None;
        panel.removing = None;
    }
}

/// The edge did not take the request: the message, next to its field when it names one, and
/// a rate limit's end.
fn refused(panel: &mut CardPanel, failure: CardFailure, now: u64) {
    if failure.error == UiError::Api(ErrorCode::RateLimited) {
        panel.retry_at = now.saturating_add(failure.retry_after.unwrap_or(DEFAULT_RETRY_SECS));
    }
    if let Some(field) = &failure.field
        && !panel.touched.contains(field)
    {
        panel.touched.push(field.clone());
    }
    panel.notice = Some(failure);
}

/// The card payment as a status update reports it. Only an outcome of the payment the panel
/// waits for counts (processing → paid or failed): a card view from an older update must not
/// move a newer screen back.
pub(super) fn on_status(state: &mut State, view: Option<&CardView>) {
    let Some(view) = view else {
        return;
    };
    let Some(panel) = panel_mut(state) else {
        return;
    };
    let waiting = panel.busy.is_none() && panel.step() == Some(&CardStep::Processing);
    if waiting && matches!(view.step, CardStep::Paid | CardStep::Failed) {
        apply(state, view.clone());
    }
}

/// Whether a card payment in progress at load time should reopen its screen.
pub(super) fn resumable(view: &CardView, methods: &[PaymentMethod]) -> bool {
    methods.contains(&PaymentMethod::PayzeroCard)
        && matches!(
            view.step,
            CardStep::SignupCodeSent | CardStep::Signed | CardStep::PayCodeSent | CardStep::Processing
        )
}
