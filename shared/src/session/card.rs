//! Bank-card quick pay in the session (Payzero §5): signing a card (agreeApply → SMS →
//! agreeConfirm), paying with an agreement (createAndQuickpay → SMS → confirmQuickpay, resend by
//! redoQuickpay), and the session's share of the SMS limits: a cooldown, a cap, the phone number
//! locked after the first code, and a permit from the per-phone and per-client limiters before
//! every code. The form itself is never stored: it rides in memory on the one call that needs it.

use super::attempt::AttemptState;
use super::{Accepted, Method, Purpose, Refusal, Session, Status, rate_limited};
use crate::api::{
    CardField, CardProblem, CardSignupRequest, CardStep, CardView, ErrorCode, FieldProblem, PaymentMethod,
    SavedCard,
};
use crate::customer::{CustomerRequest, StoredCard};
use crate::gateway::{Op, Outcome, PayState};
use crate::mask::{mask_card, mask_phone};
use crate::payzero::BankCode;
use crate::sms::SmsKey;
use serde::{Deserialize, Serialize};

/// How long an SMS code can be used (Payzero 5.5: "一般有效时间为3分钟").
pub const SMS_CODE_LIFETIME_SECS: u64 = 180;
/// Wrong codes allowed in one try (a sign-up or a payment); then the shopper starts again.
pub const MAX_WRONG_CODES: u32 = 3;
/// A card payment being completed (PAY_SMS_CONFIRMED) is queried this often at first, then less
/// often as it drags on (Payzero also notifies), never less than once a minute.
pub const CARD_POLL_MS: u64 = 5_000;
const CARD_POLL_MAX_MS: u64 = 60_000;
/// A card payment whose code was taken is asked about this long for Payzero's decision, which
/// takes seconds; still undecided (the session open or waiting for review), it is
/// the merchant's to review — a Payzero order cannot be withdrawn — and a later paid notice
/// is still taken. Without it, such a payment would be asked about once a minute forever.
pub(crate) const CARD_DECISION_MS: u64 = 10 * 60 * 1000;

/// When a card payment still being completed at `now_ms`, started at `started_ms`, is asked
/// about next: a sixth of its age, within `CARD_POLL_MS..=CARD_POLL_MAX_MS`.
pub(super) fn next_card_poll(started_ms: u64, now_ms: u64) -> u64 {
    let wait = (now_ms.saturating_sub(started_ms) / 6).clamp(CARD_POLL_MS, CARD_POLL_MAX_MS);
    now_ms.saturating_add(wait)
}

/// The bank-card step the shopper is on, kept with the session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardFlow {
    /// The step as the shopper last saw it; a paying attempt's own state overrides it.
    pub step: CardStep,
    /// The card being signed or paid with (masked).
    pub card: SavedCard,
    /// The sign-up in progress (`agreeApply`'s `requestId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The attempt paying with the card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// The keyed hash of the card's mobile, for the limiter and the phone lock.
    pub phone_tag: String,
    /// The keyed hash of the client address of the last request, for the limiter.
    pub client_tag: String,
    /// Unix ms the last code was sent; `None` once it can no longer be used (a wrong code burns
    /// it at Payzero).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_sent_ms: Option<u64>,
    pub wrong_codes: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<CardProblem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_code: Option<String>,
    /// A call for this flow is out: the request that made it waits for the answer.
    pub busy: bool,
    /// The payment was started by the sign-up's confirmation: if the limits hold its code back,
    /// that request still succeeds (the card is signed) and the view says when to pay.
    #[serde(default)]
    pub auto_pay: bool,
    /// Unix ms until which a limiter refuses another code (shown as `resend_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_until_ms: Option<u64>,
}

impl CardFlow {
    /// A flow at `step` whose first call is out (`busy`).
    fn start(step: CardStep, card: SavedCard, phone_tag: &str, client_tag: &str) -> CardFlow {
        CardFlow {
            step,
            card,
            request_id: None,
            attempt: None,
            phone_tag: phone_tag.to_owned(),
            client_tag: client_tag.to_owned(),
            code_sent_ms: None,
            wrong_codes: 0,
            problem: None,
            gateway_code: None,
            busy: true,
            auto_pay: false,
            blocked_until_ms: None,
        }
    }
}

/// What a shopper asks of the card flow. Serialised only between the worker and the session
/// object, in memory; `Debug` masks the form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CardInput {
    /// Sign a new card; `phone_tag`/`client_tag` are keyed hashes of its mobile and of the
    /// client's address.
    Signup { form: Box<CardSignupRequest>, phone_tag: String, client_tag: String },
    /// The sign-up SMS code.
    SignupCode { code: String, client_tag: String },
    /// Pay with the card `card_id`; `saved` is the session customer's card of that id, if any.
    Pay { card_id: String, saved: Option<Box<StoredCard>>, client_tag: String },
    /// The payment SMS code.
    PayCode { code: String },
    /// A new payment SMS code.
    Resend { client_tag: String },
    /// Forget the card `card_id`; `saved` says whether the session customer has a saved card of
    /// that id (the worker asks the customer's object, as for `Pay`). A card that is neither
    /// that nor signed in this session is not the session's: `not_found`, nothing removed.
    Remove {
        card_id: String,
        #[serde(default)]
        saved: bool,
    },
}

fn invalid_field(field: CardField, problem: FieldProblem, what: &str) -> Refusal {
    Refusal::new(ErrorCode::InvalidRequest, format!("{field}: {what}")).with_field(field, problem)
}

fn describe(problem: &FieldProblem) -> &'static str {
    match problem {
        FieldProblem::Missing => "is required",
        FieldProblem::NotDigits => "must be digits only",
        FieldProblem::Length => "has the wrong length",
        FieldProblem::Format => "is not in the expected form",
        FieldProblem::Checksum => "fails its check digit",
        FieldProblem::Expired => "is in the past",
        FieldProblem::NotForDebit => "is only for credit cards",
        FieldProblem::NotInList => "is not one of the allowed values",
        FieldProblem::PhoneLocked => "must be the mobile this checkout already sent codes to",
        FieldProblem::Unknown(_) => "is not acceptable",
    }
}

impl Session {
    pub(super) fn card_input(&mut self, input: CardInput, now_ms: u64) -> Result<Accepted, Refusal> {
        if !self.params.methods.contains(&Method::PayzeroCard) {
            return Err(Refusal::new(
                ErrorCode::MethodNotSupported,
                format!("method: this session does not offer \"{}\"", PaymentMethod::PayzeroCard),
            ));
        }
        if let CardInput::Remove { card_id, saved } = input {
            return self.remove_card(&card_id, saved, now_ms);
        }
        self.check_open(now_ms)?;
        if self.card.as_ref().is_some_and(|f| f.busy) {
            return Err(rate_limited("another card request of this checkout is in progress", 1));
        }
        match input {
            CardInput::Signup { form, phone_tag, client_tag } => {
                self.signup(form, phone_tag, client_tag, now_ms)
            }
            CardInput::SignupCode { code, client_tag } => self.signup_code(&code, client_tag, now_ms),
            CardInput::Pay { card_id, saved, client_tag } => {
                self.pay_with(&card_id, saved, client_tag, true, now_ms)
            }
            CardInput::PayCode { code } => self.pay_code(&code, now_ms),
            CardInput::Resend { client_tag } => self.resend(client_tag, now_ms),
            CardInput::Remove { .. } => Ok(Accepted::Done),
        }
    }

    /// Whether a card payment is being decided (an order being created, a code checked, a
    /// payment completing): no other card request may start one.
    fn card_payment_in_progress(&self) -> bool {
        self.attempts.iter().any(|a| {
            a.method == Method::PayzeroCard
                && matches!(a.state, AttemptState::Issuing | AttemptState::Paying | AttemptState::Polling)
        })
    }

    /// The session's own SMS limits: the phone lock, the cooldown and the cap. The first payment
    /// code right after a sign-up is not a resend: it skips the cooldown (`resend` false), so a
    /// new card is paid at once.
    fn check_sms(&self, phone_tag: &str, resend: bool, now_ms: u64) -> Result<(), Refusal> {
        if self.phone_tag.as_deref().is_some_and(|t| t != phone_tag) {
            return Err(invalid_field(
                CardField::Mobile,
                FieldProblem::PhoneLocked,
                describe(&FieldProblem::PhoneLocked),
            ));
        }
        if resend
            && let Some(resend_at) = self.next_sms_ms()
            && resend_at > now_ms
        {
            return Err(rate_limited(
                "an SMS code was sent moments ago",
                (resend_at - now_ms).div_ceil(1000),
            ));
        }
        if self.sms_sent >= self.params.sms.per_session {
            return Err(rate_limited(
                "this checkout has sent as many SMS codes as it may",
                self.seconds_left(now_ms / 1000),
            ));
        }
        Ok(())
    }

    /// Unix ms from which another code may be sent.
    fn next_sms_ms(&self) -> Option<u64> {
        self.last_sms_ms.map(|t| t.saturating_add(self.params.sms.cooldown_secs.saturating_mul(1000)))
    }

    /// Queues `op` (which sends an SMS) behind a permit from the phone's and the client's
    /// limiters.
    fn queue_with_permits(
        &mut self,
        attempt: Option<u32>,
        op: Op,
        phone_tag: &str,
        client_tag: &str,
        now_ms: u64,
    ) {
        let limits = self.params.sms;
        let client = Op::SmsPermit { key: SmsKey::client(client_tag, &limits), then: Box::new(op) };
        let phone = Op::SmsPermit { key: SmsKey::phone(phone_tag, &limits), then: Box::new(client) };
        self.queue(attempt, phone, Purpose::Normal, now_ms);
    }

    fn signup(
        &mut self,
        form: Box<CardSignupRequest>,
        phone_tag: String,
        client_tag: String,
        now_ms: u64,
    ) -> Result<Accepted, Refusal> {
        let today = crate::china_time::year_month(now_ms);
        if let Some((field, problem)) = crate::card::check_signup(&form, today).into_iter().next() {
            let what = describe(&problem);
            return Err(invalid_field(field, problem, what));
        }
        if self.card_payment_in_progress() {
            return Err(rate_limited("a card payment is in progress", CARD_POLL_MS / 1000));
        }
        self.check_sms(&phone_tag, true, now_ms)?;
        // Checked above: the code is one of A.5's.
        let bank = crate::card::check_bank(&form.bank_code)
            .unwrap_or_else(|_| BankCode::Unknown(form.bank_code.clone()));
        let request_id = format!("{}_s{}", self.id, self.signups);
        self.signups = self.signups.saturating_add(1);
        let card = SavedCard {
            id: String::new(),
            bank_code: bank.as_str().to_owned(),
            bank_name: bank.name_zh().map(str::to_owned),
            number: mask_card(form.card_number.expose()),
            card_type: form.card_type.clone(),
            phone: mask_phone(form.mobile.expose()),
        };
        self.card = Some(CardFlow {
            request_id: Some(request_id.clone()),
            ..CardFlow::start(CardStep::SignupCodeSent, card, &phone_tag, &client_tag)
        });
        self.card_refusal = None;
        let op = Op::PayzeroAgreeApply { request_id, form: Some(form) };
        self.queue_with_permits(None, op, &phone_tag, &client_tag, now_ms);
        Ok(Accepted::Card)
    }

    fn check_code(&mut self, code: &str, now_ms: u64) -> Result<bool, Refusal> {
        crate::card::check_sms_code(code)
            .map_err(|p| invalid_field(CardField::Code, p, "must be the 6 digits of the SMS"))?;
        let Some(flow) = self.card.as_mut() else { return Ok(false) };
        let fresh =
            flow.code_sent_ms.is_some_and(|sent| now_ms < sent.saturating_add(SMS_CODE_LIFETIME_SECS * 1000));
        if !fresh {
            // No call: the code cannot work. The shopper asks for a new one.
            flow.problem = Some(CardProblem::CodeExpired);
            flow.gateway_code = None;
        }
        Ok(fresh)
    }

    fn signup_code(&mut self, code: &str, client_tag: String, now_ms: u64) -> Result<Accepted, Refusal> {
        let request_id = match &self.card {
            Some(f) if f.step == CardStep::SignupCodeSent && f.attempt.is_none() => f.request_id.clone(),
            _ => None,
        };
        let Some(request_id) = request_id else {
            return Err(Refusal::new(
                ErrorCode::InvalidRequest,
                "there is no card sign-up waiting for a code",
            ));
        };
        if !self.check_code(code, now_ms)? {
            return Ok(Accepted::Card);
        }
        if let Some(flow) = self.card.as_mut() {
            flow.busy = true;
            flow.client_tag = client_tag;
        }
        let op = Op::PayzeroAgreeConfirm { request_id, code: Some(code.trim().to_owned()) };
        self.queue(None, op, Purpose::Normal, now_ms);
        Ok(Accepted::Card)
    }

    /// The card `card_id` of this session, or the customer's `saved` one.
    fn find_card(&self, card_id: &str, saved: Option<Box<StoredCard>>) -> Option<StoredCard> {
        self.agreements
            .iter()
            .find(|c| c.card.id == card_id)
            .cloned()
            .or_else(|| saved.map(|s| *s).filter(|s| s.card.id == card_id))
    }

    fn pay_with(
        &mut self,
        card_id: &str,
        saved: Option<Box<StoredCard>>,
        client_tag: String,
        resend: bool,
        now_ms: u64,
    ) -> Result<Accepted, Refusal> {
        let Some(stored) = self.find_card(card_id, saved) else {
            return Err(invalid_field(
                CardField::CardId,
                FieldProblem::NotInList,
                "names no card of this checkout",
            ));
        };
        if self.card_payment_in_progress() {
            return Err(rate_limited("a card payment is in progress", CARD_POLL_MS / 1000));
        }
        self.check_sms(&stored.phone_tag, resend, now_ms)?;
        // An order still waiting for its code takes the new card by redoQuickpay (5.5); otherwise
        // a new order.
        let open = self.attempts.iter().rposition(|a| {
            a.method == Method::PayzeroCard && a.state == AttemptState::Open && a.order_created
        });
        let (index, op) = match open {
            Some(pos) => {
                let a = &mut self.attempts[pos];
                a.state = AttemptState::Issuing;
                a.card = Some(stored.card.clone());
                a.agreeid = Some(stored.agreeid.clone());
                (
                    a.index,
                    Op::PayzeroQuickpayRedo { order_no: a.order_no.clone(), agreeid: stored.agreeid.clone() },
                )
            }
            None => {
                let index = self.new_attempt(Method::PayzeroCard, AttemptState::Issuing, now_ms);
                let a = &mut self.attempts[index as usize];
                a.card = Some(stored.card.clone());
                a.agreeid = Some(stored.agreeid.clone());
                let order_no = a.order_no.clone();
                let (declare, customs) = self.customs_for_order();
                let op = Op::PayzeroQuickpay {
                    order_no,
                    amount: self.params.amount,
                    subject: self.params.subject.clone(),
                    agreeid: stored.agreeid.clone(),
                    declare,
                    order_datetime: self.order_datetime(),
                    customs,
                };
                (index, op)
            }
        };
        self.card = Some(CardFlow {
            attempt: Some(index),
            auto_pay: !resend,
            ..CardFlow::start(CardStep::PayCodeSent, stored.card.clone(), &stored.phone_tag, &client_tag)
        });
        self.card_refusal = None;
        self.queue_with_permits(Some(index), op, &stored.phone_tag, &client_tag, now_ms);
        Ok(Accepted::Card)
    }

    /// The attempt of the flow, if it waits for a payment code.
    fn awaiting_pay_code(&self) -> Option<u32> {
        let index = self.card.as_ref()?.attempt?;
        let a = self.attempt(index)?;
        (a.state == AttemptState::Open && a.order_created).then_some(index)
    }

    fn pay_code(&mut self, code: &str, now_ms: u64) -> Result<Accepted, Refusal> {
        let Some(index) = self.awaiting_pay_code() else {
            return Err(Refusal::new(
                ErrorCode::InvalidRequest,
                "there is no card payment waiting for a code",
            ));
        };
        if !self.check_code(code, now_ms)? {
            return Ok(Accepted::Card);
        }
        let Some(a) = self.attempt_mut(index) else { return Ok(Accepted::Card) };
        a.state = AttemptState::Paying;
        let op = Op::PayzeroQuickpayConfirm {
            order_no: a.order_no.clone(),
            agreeid: a.agreeid.clone().unwrap_or_default(),
            code: Some(code.trim().to_owned()),
        };
        if let Some(flow) = self.card.as_mut() {
            flow.busy = true;
        }
        self.queue(Some(index), op, Purpose::Normal, now_ms);
        Ok(Accepted::Card)
    }

    fn resend(&mut self, client_tag: String, now_ms: u64) -> Result<Accepted, Refusal> {
        let Some(index) = self.awaiting_pay_code() else {
            return Err(Refusal::new(
                ErrorCode::InvalidRequest,
                "there is no card payment waiting for a code; a sign-up code is resent by sending the form again",
            ));
        };
        let phone_tag = self.card.as_ref().map(|f| f.phone_tag.clone()).unwrap_or_default();
        self.check_sms(&phone_tag, true, now_ms)?;
        let Some(a) = self.attempt_mut(index) else { return Ok(Accepted::Card) };
        a.state = AttemptState::Issuing;
        let op = Op::PayzeroQuickpayRedo {
            order_no: a.order_no.clone(),
            agreeid: a.agreeid.clone().unwrap_or_default(),
        };
        if let Some(flow) = self.card.as_mut() {
            flow.busy = true;
            flow.client_tag = client_tag.clone();
        }
        self.card_refusal = None;
        self.queue_with_permits(Some(index), op, &phone_tag, &client_tag, now_ms);
        Ok(Accepted::Card)
    }

    fn remove_card(&mut self, card_id: &str, saved: bool, now_ms: u64) -> Result<Accepted, Refusal> {
        let signed_here = self.agreements.iter().any(|c| c.card.id == card_id);
        // A customer's saved card counts only with the customer still on the session.
        let saved = saved && self.params.customer.is_some();
        if !signed_here && !saved {
            return Err(Refusal::new(ErrorCode::NotFound, "this checkout has no such card"));
        }
        self.agreements.retain(|c| c.card.id != card_id);
        // A card signed here was also saved for the customer: forgotten there too.
        if let Some(customer) = self.params.customer.clone() {
            let request = CustomerRequest::Forget { id: card_id.to_owned() };
            self.queue(None, Op::CustomerCard { customer, request }, Purpose::Normal, now_ms);
        }
        self.changed();
        Ok(Accepted::Done)
    }

    // ----- answers

    /// The answer to a card call (`op`, on `attempt` if it concerns an order).
    pub(super) fn card_answer(&mut self, attempt: Option<u32>, op: &Op, outcome: Outcome, now_ms: u64) {
        match op {
            Op::SmsPermit { then, .. } => self.permit_answer(attempt, then, outcome, now_ms),
            Op::PayzeroAgreeApply { .. } => self.apply_answer(outcome, now_ms),
            Op::PayzeroAgreeConfirm { .. } => self.signup_confirm_answer(outcome, now_ms),
            Op::PayzeroQuickpay { .. } | Op::PayzeroQuickpayRedo { .. } => {
                if let Some(index) = attempt {
                    self.quickpay_answer(index, matches!(op, Op::PayzeroQuickpay { .. }), outcome, now_ms);
                }
            }
            Op::PayzeroQuickpayConfirm { .. } => {
                if let Some(index) = attempt {
                    self.pay_confirm_answer(index, outcome, now_ms);
                }
            }
            // Saving or forgetting a card changes nothing the shopper waits on.
            _ => {}
        }
    }

    fn permit_answer(&mut self, attempt: Option<u32>, then: &Op, outcome: Outcome, now_ms: u64) {
        let refusal = match outcome {
            Outcome::Done => {
                if !matches!(then, Op::SmsPermit { .. }) {
                    // The code goes out now: the session's own count and cooldown start here.
                    self.sms_sent = self.sms_sent.saturating_add(1);
                    self.last_sms_ms = Some(now_ms);
                    if let Some(flow) = &self.card {
                        self.phone_tag = Some(flow.phone_tag.clone());
                    }
                }
                self.queue(attempt, then.clone(), Purpose::Normal, now_ms);
                return;
            }
            Outcome::RateLimited { retry_after } => rate_limited(
                "this phone number or network has received as many SMS codes as it may",
                retry_after,
            ),
            other => Refusal::new(
                ErrorCode::UpstreamError,
                format!("the SMS limits could not be checked ({other:?}); try again"),
            ),
        };
        self.card_step_refused(attempt, refusal, now_ms);
    }

    /// A card request ends refused before any code was sent: the flow goes back to where it was.
    /// The payment a sign-up started is not the request's failure: the card stays signed, and
    /// the view says when a code may be sent.
    fn card_step_refused(&mut self, attempt: Option<u32>, refusal: Refusal, now_ms: u64) {
        if let Some(index) = attempt
            && let Some(a) = self.attempt_mut(index)
            && a.state == AttemptState::Issuing
        {
            a.state = if a.order_created { AttemptState::Open } else { AttemptState::Failed };
        }
        let signed_card =
            self.card.as_ref().and_then(|f| self.agreements.iter().find(|c| c.card == f.card).cloned());
        if let Some(flow) = self.card.as_mut() {
            flow.busy = false;
            match (flow.step.clone(), flow.code_sent_ms) {
                // A sign-up whose first code never went out is no sign-up: the form stays.
                (CardStep::SignupCodeSent, None) => self.card = None,
                // A first payment code that never went out: the card is signed and can pay later.
                (CardStep::PayCodeSent, None) if signed_card.is_some() => flow.step = CardStep::Signed,
                (CardStep::PayCodeSent, None) => self.card = None,
                _ => {}
            }
        }
        if let Some(flow) = self.card.as_mut() {
            flow.blocked_until_ms =
                refusal.retry_after.map(|s| now_ms.saturating_add(s.saturating_mul(1000)));
            if flow.auto_pay && flow.step == CardStep::Signed {
                flow.auto_pay = false;
                return;
            }
        }
        self.card_refusal = Some(refusal);
    }

    fn apply_answer(&mut self, outcome: Outcome, now_ms: u64) {
        match outcome {
            Outcome::CodeSent => {
                if let Some(flow) = self.card.as_mut() {
                    flow.busy = false;
                    flow.code_sent_ms = Some(now_ms);
                    flow.wrong_codes = 0;
                    flow.problem = None;
                    flow.gateway_code = None;
                }
                self.changed();
            }
            other => {
                let refusal = refused(other);
                self.card_step_refused(None, refusal, now_ms);
            }
        }
    }

    fn signup_confirm_answer(&mut self, outcome: Outcome, now_ms: u64) {
        let Some(flow) = self.card.as_mut() else { return };
        flow.busy = false;
        match outcome {
            Outcome::Signed { agreeid, bank_name } => {
                // Named after its sign-up (`{session id}_s{n}`), which no other card shares, even
                // after cards of this session were removed.
                let signup = flow.request_id.as_deref().unwrap_or(&self.id);
                let id =
                    format!("card_{}", signup.strip_prefix(super::ids::SESSION_PREFIX).unwrap_or(signup));
                let mut card = flow.card.clone();
                card.id = id;
                if bank_name.is_some() && card.bank_name.is_none() {
                    card.bank_name = bank_name;
                }
                let stored = StoredCard {
                    card: card.clone(),
                    agreeid,
                    phone_tag: flow.phone_tag.clone(),
                    added_at: now_ms / 1000,
                };
                flow.card = card;
                flow.step = CardStep::Signed;
                flow.request_id = None;
                flow.code_sent_ms = None;
                let client_tag = flow.client_tag.clone();
                self.agreements.push(stored.clone());
                if let Some(customer) = self.params.customer.clone() {
                    let request = CustomerRequest::Save { card: stored.clone() };
                    self.queue(None, Op::CustomerCard { customer, request }, Purpose::Normal, now_ms);
                }
                self.changed();
                // Paying is the next step: start it at once (it sends the payment code), within
                // the same limits as any other code. Refused, the card stays signed and the
                // shopper pays when the limit allows.
                let card_id = stored.card.id.clone();
                if let Err(refusal) = self.pay_with(&card_id, None, client_tag, false, now_ms)
                    && let Some(flow) = self.card.as_mut()
                {
                    flow.step = CardStep::Signed;
                    flow.busy = false;
                    flow.blocked_until_ms =
                        refusal.retry_after.map(|s| now_ms.saturating_add(s.saturating_mul(1000)));
                }
            }
            // The spec defines no code for a wrong sign-up code, and nothing moves money here:
            // the sign-up is refused in the gateway's words, its code used up (a new one is sent
            // with the form), and the refusal counts against the tries.
            Outcome::Rejected { code, .. } => self.code_not_taken(None, code, CardProblem::Refused),
            other => self.card_refusal = Some(refused(other)),
        }
    }

    fn quickpay_answer(&mut self, index: u32, create: bool, outcome: Outcome, now_ms: u64) {
        let Some(a) = self.attempt_mut(index) else { return };
        match outcome {
            Outcome::CodeSent => {
                a.state = AttemptState::Open;
                a.order_created = true;
                if let Some(flow) = self.card.as_mut() {
                    flow.busy = false;
                    flow.step = CardStep::PayCodeSent;
                    flow.code_sent_ms = Some(now_ms);
                    flow.problem = None;
                    flow.gateway_code = None;
                }
                self.changed();
            }
            Outcome::InProgress { .. } => {
                // PAY_SMS_CONFIRMED or PAY_SUCCEED with no code needed: queryOrder decides.
                a.order_created = true;
                self.card_processing(index, now_ms, true);
            }
            Outcome::Declined { reason } => {
                a.order_created = true;
                a.state = AttemptState::Declined;
                a.decline = Some(reason.clone());
                self.card_failed(CardProblem::Refused, Some(reason));
            }
            Outcome::Rejected { code, message } => {
                if create {
                    // The order was not made: this try is over.
                    a.state = AttemptState::Failed;
                    self.card_failed(CardProblem::Refused, Some(code));
                } else {
                    // The order waits on; the old code may still be void.
                    a.state = AttemptState::Open;
                    if let Some(flow) = self.card.as_mut() {
                        flow.busy = false;
                        flow.problem = Some(CardProblem::Refused);
                        flow.gateway_code = Some(code.clone());
                    }
                    self.card_refusal = Some(upstream_rejected(&code, &message));
                    self.changed();
                }
            }
            _ => {
                // No usable answer: the order may exist and a code may have gone out. The shopper
                // can enter a code that arrived, or ask for a new one.
                a.state = AttemptState::Open;
                a.order_created = true;
                if let Some(flow) = self.card.as_mut() {
                    flow.busy = false;
                    flow.step = CardStep::PayCodeSent;
                    flow.code_sent_ms = Some(now_ms);
                    flow.problem = Some(CardProblem::Unavailable);
                    flow.gateway_code = None;
                }
                self.changed();
            }
        }
    }

    fn pay_confirm_answer(&mut self, index: u32, outcome: Outcome, now_ms: u64) {
        match outcome {
            Outcome::Rejected { code, .. } => {
                // The spec defines no code for a wrong SMS code, and a refusal may come after the
                // code was taken: queryOrder says what it meant (`refused_confirm_settled`). It is
                // asked at once, so the shopper's request usually carries its answer; if the query
                // has to be retried, the page shows the payment as processing until it settles.
                let Some(a) = self.attempt_mut(index) else { return };
                a.state = AttemptState::Paying;
                a.confirm_refused = Some(code);
                let op = super::query_op(a);
                self.queue(Some(index), op, Purpose::Normal, now_ms);
                if let Some(flow) = self.card.as_mut() {
                    flow.busy = false;
                }
            }
            Outcome::Declined { reason } => {
                if let Some(a) = self.attempt_mut(index) {
                    a.state = AttemptState::Declined;
                    a.decline = Some(reason.clone());
                }
                self.card_failed(CardProblem::Refused, Some(reason));
            }
            // Taken (PAY_APPLIED included, 5.4's table), or unknown (the answer was lost or
            // garbled): queryOrder decides, and the confirm is never sent twice.
            _ => self.card_processing(index, now_ms, true),
        }
    }

    /// Whether the query of attempt `index` settles a refused confirm.
    pub(super) fn settles_refused_confirm(&self, attempt: Option<u32>) -> bool {
        attempt.and_then(|i| self.attempt(i)).is_some_and(|a| a.confirm_refused.is_some())
    }

    /// queryOrder's answer after confirmQuickpay refused a code. Still waiting for its code
    /// (PAY_APPLIED, NOT_PAYED): the code was not taken, and 5.4 says a new one is needed. Paid,
    /// failed or being completed: the order's state decides, as after any confirm. No usable
    /// answer: being decided as far as anyone knows, asked again until the card deadline.
    pub(super) fn refused_confirm_settled(&mut self, index: u32, outcome: Outcome, now_ms: u64) {
        let Some(a) = self.attempt_mut(index) else { return };
        let code = a.confirm_refused.take().unwrap_or_default();
        let order_no = a.order_no.clone();
        match outcome {
            Outcome::Payment(fact) if fact.order_no == order_no && fact.state == PayState::Pending => {
                a.state = AttemptState::Open;
                self.code_not_taken(Some(index), code, CardProblem::CodeWrong);
            }
            Outcome::Payment(fact) => {
                self.card_processing(index, now_ms, false);
                self.payment(index, fact, &Purpose::Normal, now_ms);
            }
            _ => {
                self.card_processing(index, now_ms, false);
                if let Some(a) = self.attempt_mut(index) {
                    a.next_poll_ms = Some(now_ms.saturating_add(CARD_POLL_MS));
                }
            }
        }
    }

    /// A code was not taken (the gateway's `code` says how it refused): it is used up at Payzero
    /// (5.4), so a new one is needed; too many end the try.
    fn code_not_taken(&mut self, attempt: Option<u32>, code: String, problem: CardProblem) {
        let Some(flow) = self.card.as_mut() else { return };
        flow.busy = false;
        flow.code_sent_ms = None;
        flow.gateway_code = Some(code);
        flow.wrong_codes = flow.wrong_codes.saturating_add(1);
        flow.problem = Some(problem);
        if flow.wrong_codes >= MAX_WRONG_CODES {
            flow.step = CardStep::Failed;
            flow.problem = Some(CardProblem::TooManyTries);
            if let Some(index) = attempt
                && let Some(a) = self.attempt_mut(index)
            {
                // A Payzero order cannot be withdrawn, but with no valid code it cannot be paid.
                a.state = AttemptState::Closed;
            }
        }
        self.changed();
    }

    /// The card payment `index` is being decided at Payzero; with `query_now`, queryOrder is
    /// asked at once (a paid status counts only from it).
    fn card_processing(&mut self, index: u32, now_ms: u64, query_now: bool) {
        let Some(a) = self.attempt_mut(index) else { return };
        a.state = AttemptState::Polling;
        a.next_poll_ms = None;
        // Set once: a step that comes back to processing does not move it.
        a.deadline_ms.get_or_insert(now_ms.saturating_add(CARD_DECISION_MS));
        let op = super::query_op(a);
        if query_now && !self.has_call(index) {
            self.queue(Some(index), op, Purpose::Normal, now_ms);
        }
        if let Some(flow) = self.card.as_mut() {
            flow.busy = false;
            flow.step = CardStep::Processing;
            flow.problem = None;
        }
        self.changed();
    }

    /// The card payment `index` is still undecided at its deadline: the merchant reviews it. The
    /// shopper's page keeps saying it is being processed (the money may still move).
    pub(super) fn card_undecided(&mut self, index: u32, now_ms: u64) {
        let Some(a) = self.attempt_mut(index) else { return };
        a.state = AttemptState::NeedsReview;
        let reason = format!(
            "Payzero card order {} is still undecided {} minutes after its code was taken",
            a.order_no,
            CARD_DECISION_MS / 60_000
        );
        self.require_attention(reason, now_ms);
    }

    fn card_failed(&mut self, problem: CardProblem, gateway_code: Option<String>) {
        if let Some(flow) = self.card.as_mut() {
            flow.busy = false;
            flow.step = CardStep::Failed;
            flow.problem = Some(problem);
            flow.gateway_code = gateway_code;
        }
        self.changed();
    }

    // ----- reading

    /// The answer to a card request once its calls are done: the flow as the shopper sees it, or
    /// why the request was refused. `None` while a call is still out.
    pub fn card_result(&mut self, now: u64) -> Option<Result<CardView, Refusal>> {
        if self.card.as_ref().is_some_and(|f| f.busy) {
            return None;
        }
        if let Some(refusal) = self.card_refusal.take() {
            return Some(Err(refusal));
        }
        Some(self.card_view(now).ok_or_else(|| Refusal::closed(self.status)))
    }

    /// The card flow as the widget shows it.
    pub fn card_view(&self, now: u64) -> Option<CardView> {
        let flow = self.card.as_ref()?;
        let attempt = flow.attempt.and_then(|i| self.attempt(i));
        let step = match attempt.map(|a| a.state) {
            Some(AttemptState::Paid) => CardStep::Paid,
            Some(AttemptState::Polling | AttemptState::Paying | AttemptState::NeedsReview) => {
                CardStep::Processing
            }
            Some(AttemptState::Declined) => CardStep::Failed,
            _ => flow.step.clone(),
        };
        let resend_at =
            self.next_sms_ms().max(flow.blocked_until_ms).map_or(now, |ms| ms.div_ceil(1000)).max(now);
        let code_expires_at =
            flow.code_sent_ms.map(|ms| ms / 1000 + SMS_CODE_LIFETIME_SECS).filter(|at| *at > now);
        Some(CardView {
            step,
            card: Some(flow.card.clone()).filter(|c| !c.number.is_empty()),
            resend_at,
            code_expires_at,
            tries_left: MAX_WRONG_CODES.saturating_sub(flow.wrong_codes),
            problem: flow.problem.clone(),
            gateway_code: flow.gateway_code.clone(),
        })
    }

    /// The cards this session can pay with at once: `customer_cards` (the customer's saved
    /// cards, which the shell reads from the customer object) and those signed here.
    pub fn saved_cards(&self, customer_cards: &[SavedCard]) -> Vec<SavedCard> {
        if self.status != Status::Open || !self.params.methods.contains(&Method::PayzeroCard) {
            return Vec::new();
        }
        let mut cards: Vec<SavedCard> = self.agreements.iter().rev().map(|c| c.card.clone()).collect();
        for c in customer_cards {
            if !cards.iter().any(|k| k.id == c.id) {
                cards.push(c.clone());
            }
        }
        cards
    }

    /// The customer whose saved cards the checkout view shows, when the session offers cards.
    pub fn card_customer(&self) -> Option<&str> {
        self.params.customer.as_deref().filter(|_| self.params.methods.contains(&Method::PayzeroCard))
    }
}

/// A refusal for a card request that the gateway refused or failed.
fn refused(outcome: Outcome) -> Refusal {
    match outcome {
        Outcome::Rejected { code, message } => upstream_rejected(&code, &message),
        Outcome::Unauthorized => {
            Refusal::new(ErrorCode::UpstreamError, "the gateway refused our credentials")
        }
        Outcome::Failed { reason } => Refusal::new(ErrorCode::UpstreamError, reason),
        other => Refusal::new(ErrorCode::UpstreamError, format!("unexpected answer: {other:?}")),
    }
}

fn upstream_rejected(code: &str, message: &str) -> Refusal {
    Refusal::new(ErrorCode::UpstreamRejected, format!("the gateway refused: {code} {message}"))
        .with_gateway_code(code)
}
