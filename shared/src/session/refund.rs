//! Refunds of a paid session: the merchant's request checked (paid, within what is left, a
//! bounded reason), one refund call per gateway as its spec says, the refund followed up on the
//! session's alarms until the gateway says it succeeded or failed, and a merchant event when it
//! ends. Several refunds per session; their sum never exceeds what was paid.
//!
//! A refund ends `failed` only on the gateway's word that nothing moved. An answer that decides
//! nothing (no answer, a code the spec does not define, a generic refusal) leaves it `pending`
//! and followed up; still undecided after `REFUND_UNDECIDED_SECS`, or on the gateway's own
//! "a person must look", it ends `requires_attention` with the gateway's words, still counted
//! against what is left to refund.

use super::{Call, CallState, Method, Purpose, Refusal, Session, Status};
use crate::api::{ErrorCode, RefundRequest, RefundStatus, RefundView};
use crate::gateway::{ListedRefund, ListedState, Op, Outcome, RefundFact};
use crate::money::Fen;
use serde::{Deserialize, Serialize};

/// The most refunds one session takes (each has its own number at the gateway, and Shouqianba's
/// `refund_request_no` is at most 32 characters: `{session id}r{n}` stays within it).
pub const MAX_REFUNDS: u32 = 20;
/// The longest `reason`.
pub const MAX_REASON_CHARS: usize = 80;
/// Waits between follow-ups of a pending refund: quick at first (Payzero and EZR in the sandbox
/// settle within a minute), then hourly, for an approval that waits on a person.
pub const REFUND_FOLLOW_UP_SECS: [u64; 7] = [5, 10, 30, 60, 300, 1800, 3600];
/// A refund the gateway leaves undecided this long (no answer, or answers that decide nothing)
/// requires attention: a day of follow-ups with backoff found nothing to go on.
pub const REFUND_UNDECIDED_SECS: u64 = 86_400;
/// An EZR refund application not approved in the EZR back office this long after it was made
/// requires attention (the spec gives no time limit and no word for a rejection).
pub const EZR_APPROVAL_WAIT_SECS: u64 = 3 * 86_400;

/// One refund, as the session keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub index: u32,
    pub amount: Fen,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub status: RefundStatus,
    /// Unix seconds.
    pub created: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_refund_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_code: Option<String>,
    /// While pending: unix ms of the next follow-up, and how many there were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_follow_up_ms: Option<u64>,
    #[serde(default)]
    pub follow_ups: u32,
    /// Why a person must look, in the gateway's words (`requires_attention`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention: Option<String>,
    /// Unix ms since when no answer decided anything, and the gateway's last words then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undecided_since_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_words: Option<String>,
    /// Shouqianba: the next follow-up is a query of the order (after `REFUND_REQUEST_CONFLICT`
    /// or another undecided answer) rather than the refund sent again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub settle_by_query: bool,
    /// EZR: made by §4 `refund/apply` (followed by listing the order's refunds) rather than §5
    /// `refund` (followed by sending it again). Refunds stored before §5 was used were all
    /// applications, hence the default.
    #[serde(default = "stored_before_ezr_refund")]
    pub ezr_apply: bool,
}

fn stored_before_ezr_refund() -> bool {
    true
}

/// Our number of refund `index` of session `session_id`: the refund's id in the API and its
/// number at Payzero (`mchtRefundOrderNo`) and Shouqianba (`refund_request_no`).
pub fn refund_id(session_id: &str, index: u32) -> String {
    format!("{session_id}r{index}")
}

/// The index of a refund id of session `session_id`, if it is one.
pub fn refund_index_of(session_id: &str, refund_id: &str) -> Option<u32> {
    let digits = refund_id.strip_prefix(session_id)?.strip_prefix('r')?;
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl Session {
    /// What is refunded (succeeded) and what is being refunded or may have been (pending, and
    /// requiring attention).
    pub fn refunded(&self) -> (Fen, Fen) {
        let sum = |keep: &dyn Fn(&RefundStatus) -> bool| {
            Fen(self.refunds.iter().filter(|r| keep(&r.status)).map(|r| r.amount.0).sum())
        };
        (
            sum(&|s| *s == RefundStatus::Succeeded),
            sum(&|s| matches!(s, RefundStatus::Pending | RefundStatus::RequiresAttention)),
        )
    }

    /// The merchant asks for a refund: checked, recorded as pending, its call queued. Refused,
    /// it changes nothing.
    pub(super) fn refund(&mut self, request: RefundRequest, now_ms: u64) -> Result<u32, Refusal> {
        let paid = self.paid_attempt.and_then(|i| self.attempt(i));
        let (Status::Paid, Some(paid)) = (self.status, paid) else {
            return Err(Refusal::new(ErrorCode::SessionNotPaid, "only a paid session can be refunded"));
        };
        let (method, order_no, gateway_ref) = (paid.method, paid.order_no.clone(), paid.gateway_ref.clone());
        let (refunded, refunding) = self.refunded();
        let left = Fen(self.params.amount.0.saturating_sub(refunded.0 + refunding.0));
        let amount = request.amount.unwrap_or(left);
        if amount == Fen::ZERO && request.amount.is_some() {
            return Err(Refusal::new(ErrorCode::InvalidRequest, "amount must be at least 1 fen"));
        }
        if amount.0 > left.0 || amount == Fen::ZERO {
            return Err(Refusal::new(
                ErrorCode::RefundExceedsPayment,
                format!(
                    "{} fen is more than is left to refund: {} fen paid, {} refunded, {} being refunded",
                    amount.0, self.params.amount.0, refunded.0, refunding.0
                ),
            ));
        }
        let reason = match request.reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()) {
            Some(r) if r.chars().count() > MAX_REASON_CHARS || r.chars().any(char::is_control) => {
                return Err(Refusal::new(
                    ErrorCode::InvalidRequest,
                    format!(
                        "reason must be at most {MAX_REASON_CHARS} characters, without control characters"
                    ),
                ));
            }
            other => other,
        };
        let index = u32::try_from(self.refunds.len()).unwrap_or(u32::MAX).saturating_add(1);
        if index > MAX_REFUNDS {
            return Err(Refusal::new(
                ErrorCode::InvalidRequest,
                format!("a session takes at most {MAX_REFUNDS} refunds"),
            ));
        }
        let refund_no = refund_id(&self.id, index);
        let ezr_apply = method == Method::EzrBarcode && self.params.ezr_refund_approval;
        let op = match (method, gateway_ref) {
            (Method::PayzeroQr | Method::PayzeroCard, _) => {
                Op::PayzeroRefund { refund: index, order_no, refund_no, amount }
            }
            (Method::ShouqianbaQr | Method::ShouqianbaBarcode, Some(sn)) => Op::ShouqianbaRefund {
                refund: index,
                order_no,
                sn,
                refund_no,
                amount,
                text: self.params.sqb_text(),
            },
            (Method::EzrBarcode, Some(gateway_ref)) if ezr_apply => Op::EzrRefundApply {
                refund: index,
                gateway_ref,
                amount,
                subject: self.params.subject.clone(),
            },
            (Method::EzrBarcode, Some(gateway_ref)) => Op::EzrRefund {
                refund: index,
                gateway_ref,
                refund_no,
                amount,
                reason: ezr_reason(reason.as_deref()),
                subject: self.params.subject.clone(),
            },
            (_, None) => {
                return Err(Refusal::new(
                    ErrorCode::Internal,
                    "the payment has no order number of the gateway's",
                ));
            }
        };
        self.refunds.push(Refund {
            index,
            amount,
            reason,
            status: RefundStatus::Pending,
            created: now_ms / 1000,
            finished_at: None,
            gateway_refund_no: None,
            failure_code: None,
            next_follow_up_ms: None,
            follow_ups: 0,
            attention: None,
            undecided_since_ms: None,
            last_words: None,
            settle_by_query: false,
            ezr_apply,
        });
        self.queue(None, op, Purpose::Normal, now_ms);
        Ok(index)
    }

    pub fn refund_view(&self, index: u32) -> Option<RefundView> {
        let r = self.refunds.iter().find(|r| r.index == index)?;
        Some(RefundView {
            id: refund_id(&self.id, r.index),
            session_id: self.id.clone(),
            amount: r.amount,
            reason: r.reason.clone(),
            status: r.status.clone(),
            created: r.created,
            finished_at: r.finished_at,
            gateway_refund_no: r.gateway_refund_no.clone(),
            failure_code: r.failure_code.clone(),
            attention: r.attention.clone(),
        })
    }

    pub fn refund_views(&self) -> Vec<RefundView> {
        self.refunds.iter().filter_map(|r| self.refund_view(r.index)).collect()
    }

    /// The answer to a refund call.
    pub(super) fn refund_answer(&mut self, op: &Op, outcome: Outcome, now_ms: u64) {
        let Some(index) = op.refund_index() else { return };
        let claimed: Vec<String> = self.refunds.iter().filter_map(|r| r.gateway_refund_no.clone()).collect();
        let others = |keep: &dyn Fn(&RefundStatus) -> bool| {
            Fen(self.refunds.iter().filter(|r| r.index != index && keep(&r.status)).map(|r| r.amount.0).sum())
        };
        let others_succeeded = others(&|s| *s == RefundStatus::Succeeded);
        let others_open = others(&|s| matches!(s, RefundStatus::Pending | RefundStatus::RequiresAttention));
        let paid = self.params.amount;
        // A Shouqianba refund the gateway answered without deciding (rather than not at all) is
        // settled by a query: sent again, it would only conflict.
        let query_next = matches!(op, Op::ShouqianbaRefund { .. })
            && matches!(outcome, Outcome::Refund(RefundFact::Undecided { .. }));
        let Some(r) = self.refunds.iter_mut().find(|r| r.index == index) else { return };
        if r.status != RefundStatus::Pending {
            return;
        }
        if query_next {
            r.settle_by_query = true;
        }
        let fact = match outcome {
            Outcome::Refund(fact) => fact,
            Outcome::Refunds(listed) => find_listed(r, &listed, &claimed, now_ms),
            Outcome::OrderRefunded { total, net, uncertain } => {
                let balance =
                    Balance { total: total.unwrap_or(paid), net, uncertain, others_succeeded, others_open };
                balance.settle(r)
            }
            // No usable answer after the retries (or a refusal of the query): decides nothing.
            // The follow-up is the same kind of call again.
            Outcome::Failed { reason } => RefundFact::Undecided { words: reason },
            Outcome::Rejected { code, message } => {
                RefundFact::Undecided { words: format!("{code} {message}").trim().to_owned() }
            }
            other => RefundFact::Undecided { words: format!("{other:?}") },
        };
        match fact {
            RefundFact::Succeeded { gateway_refund_no } => {
                r.gateway_refund_no = gateway_refund_no.or(r.gateway_refund_no.take());
                self.end_refund(index, RefundStatus::Succeeded, None, now_ms);
            }
            RefundFact::Failed { code } => self.end_refund(index, RefundStatus::Failed, Some(code), now_ms),
            RefundFact::Attention { words } => {
                self.end_refund(index, RefundStatus::RequiresAttention, Some(words), now_ms)
            }
            RefundFact::Pending { gateway_refund_no } => {
                if gateway_refund_no.is_some() {
                    r.gateway_refund_no = gateway_refund_no;
                }
                r.undecided_since_ms = None;
                schedule_follow_up(r, now_ms);
            }
            RefundFact::Undecided { words } => {
                let since = *r.undecided_since_ms.get_or_insert(now_ms);
                r.last_words = Some(words.clone());
                if now_ms.saturating_sub(since) >= REFUND_UNDECIDED_SECS * 1000 {
                    let hours = REFUND_UNDECIDED_SECS / 3600;
                    let words = format!("undecided for {hours} hours; the gateway's last answer: {words}");
                    self.end_refund(index, RefundStatus::RequiresAttention, Some(words), now_ms);
                } else {
                    schedule_follow_up(r, now_ms);
                }
            }
        }
    }

    /// Ends refund `index`: `why` is the failure code (`failed`) or the reason a person must
    /// look (`requires_attention`).
    fn end_refund(&mut self, index: u32, status: RefundStatus, why: Option<String>, now_ms: u64) {
        let Some(r) = self.refunds.iter_mut().find(|r| r.index == index) else { return };
        r.status = status.clone();
        r.next_follow_up_ms = None;
        let kind = match status {
            RefundStatus::Succeeded => "checkout.refund.succeeded",
            RefundStatus::RequiresAttention => {
                // Not finished: money may have moved, and a person finds out.
                r.attention = why;
                "checkout.refund.requires_attention"
            }
            _ => {
                r.failure_code = why;
                "checkout.refund.failed"
            }
        };
        if status != RefundStatus::RequiresAttention {
            r.finished_at = Some(now_ms / 1000);
        }
        self.changed();
        let mut data = self.webhook_data();
        data.refund = self.refund_view(index);
        self.queue_event(kind, data, now_ms);
    }

    /// When the next pending refund needs a follow-up.
    pub(super) fn next_refund_follow_up(&self) -> Option<u64> {
        self.refunds
            .iter()
            .filter(|r| !self.refund_has_call(r.index))
            .filter_map(|r| r.next_follow_up_ms)
            .min()
    }

    /// Queues the follow-ups that are due: a query, or (Shouqianba) the same refund again.
    pub(super) fn follow_up_refunds(&mut self, now_ms: u64) {
        let due: Vec<u32> = self
            .refunds
            .iter()
            .filter(|r| r.next_follow_up_ms.is_some_and(|at| at <= now_ms) && !self.refund_has_call(r.index))
            .map(|r| r.index)
            .collect();
        let Some((method, order_no, gateway_ref)) = self
            .paid_attempt
            .and_then(|i| self.attempt(i))
            .map(|a| (a.method, a.order_no.clone(), a.gateway_ref.clone()))
        else {
            return;
        };
        let (text, subject) = (self.params.sqb_text(), self.params.subject.clone());
        for index in due {
            let Some(r) = self.refunds.iter_mut().find(|r| r.index == index) else { continue };
            r.next_follow_up_ms = None;
            r.follow_ups = r.follow_ups.saturating_add(1);
            let refund_no = refund_id(&self.id, index);
            let sn = gateway_ref.clone().unwrap_or_default();
            let op = match method {
                Method::PayzeroQr | Method::PayzeroCard => {
                    Op::PayzeroRefundQuery { refund: index, refund_no }
                }
                Method::ShouqianbaQr | Method::ShouqianbaBarcode if r.settle_by_query => {
                    Op::ShouqianbaRefundQuery { refund: index, order_no: order_no.clone(), sn }
                }
                Method::ShouqianbaQr | Method::ShouqianbaBarcode => Op::ShouqianbaRefund {
                    refund: index,
                    order_no: order_no.clone(),
                    sn,
                    refund_no,
                    amount: r.amount,
                    text: text.clone(),
                },
                Method::EzrBarcode => match &gateway_ref {
                    Some(gateway_ref) if r.ezr_apply => {
                        Op::EzrRefundQuery { refund: index, gateway_ref: gateway_ref.clone() }
                    }
                    // §5 is idempotent by `OutRefundNo`: sent again, it answers the same refund.
                    Some(gateway_ref) => Op::EzrRefund {
                        refund: index,
                        gateway_ref: gateway_ref.clone(),
                        refund_no,
                        amount: r.amount,
                        reason: ezr_reason(r.reason.as_deref()),
                        subject: subject.clone(),
                    },
                    None => continue,
                },
            };
            self.queue(None, op, Purpose::Normal, now_ms);
        }
    }

    fn refund_has_call(&self, index: u32) -> bool {
        self.calls.iter().any(|c: &Call| {
            c.op.refund_index() == Some(index)
                && matches!(c.state, CallState::Queued { .. } | CallState::Sent { .. })
        })
    }
}

/// Ours among the refunds EZR lists. Known by its `RefundNo`; after an apply whose answer was
/// lost, the one listed refund of the same amount no other refund of ours claims is adopted. An
/// application that is not there is never taken for "nothing happened" (the merchant might then
/// refund again): unknown, it stays undecided; known and gone, or in a state the spec does not
/// name, or unapproved for `EZR_APPROVAL_WAIT_SECS`, a person must look.
fn find_listed(r: &Refund, listed: &[ListedRefund], claimed: &[String], now_ms: u64) -> RefundFact {
    let known = r.gateway_refund_no.as_deref();
    let ours = match known {
        Some(no) => listed.iter().find(|l| l.gateway_refund_no == no),
        None => listed.iter().find(|l| l.amount == r.amount && !claimed.contains(&l.gateway_refund_no)),
    };
    let Some(l) = ours else {
        return match known {
            Some(no) => RefundFact::Attention {
                words: format!("EZR no longer lists refund application {no} (rejected in its back office?)"),
            },
            None => RefundFact::Undecided {
                words: "EZR does not list the refund application whose answer was lost".into(),
            },
        };
    };
    let gateway_refund_no = Some(l.gateway_refund_no.clone());
    match &l.state {
        ListedState::Succeeded => RefundFact::Succeeded { gateway_refund_no },
        ListedState::Processing
            if now_ms >= r.created.saturating_add(EZR_APPROVAL_WAIT_SECS).saturating_mul(1000) =>
        {
            RefundFact::Attention {
                words: format!(
                    "EZR refund application {} is still PROCESSING after {} days: approve or reject it in the EZR back office",
                    l.gateway_refund_no,
                    EZR_APPROVAL_WAIT_SECS / 86_400
                ),
            }
        }
        ListedState::Processing => RefundFact::Pending { gateway_refund_no },
        ListedState::Other(state) => {
            RefundFact::Attention { words: format!("EZR lists refund {} as {state}", l.gateway_refund_no) }
        }
    }
}

/// A Shouqianba order's refunds as its query shows them, to settle one refund of ours.
struct Balance {
    total: Fen,
    net: Option<Fen>,
    uncertain: Option<String>,
    others_succeeded: Fen,
    others_open: Fen,
}

impl Balance {
    /// Refunded upstream = `total − net`. Exactly the other refunds plus this one: it went
    /// through. Exactly the others: it did not — sent again (with the same number, which never
    /// refunds twice). With other refunds of ours undecided the sum says nothing yet; any other
    /// figure, or the gateway's own doubt, is for a person.
    fn settle(&self, r: &mut Refund) -> RefundFact {
        if let Some(state) = &self.uncertain {
            return RefundFact::Attention { words: format!("Shouqianba reports the order {state}") };
        }
        let Some(net) = self.net else {
            return RefundFact::Undecided { words: "Shouqianba's query gave no net_amount".into() };
        };
        let Some(refunded) = self.total.0.checked_sub(net.0) else {
            return RefundFact::Attention {
                words: format!("Shouqianba reports net_amount {} above total_amount {}", net.0, self.total.0),
            };
        };
        if self.others_open != Fen::ZERO {
            return RefundFact::Undecided {
                words: format!(
                    "Shouqianba reports {refunded} fen refunded while other refunds are undecided"
                ),
            };
        }
        if refunded == self.others_succeeded.0.saturating_add(r.amount.0) {
            return RefundFact::Succeeded { gateway_refund_no: None };
        }
        if refunded == self.others_succeeded.0 {
            r.settle_by_query = false;
            return RefundFact::Undecided {
                words: format!("Shouqianba's order shows no refund of {} fen yet", r.amount.0),
            };
        }
        RefundFact::Attention {
            words: format!(
                "Shouqianba reports {refunded} fen refunded; this session knows of {} fen and this refund of {} fen",
                self.others_succeeded.0, r.amount.0
            ),
        }
    }
}

/// EZR §5's required `RefundReason`.
fn ezr_reason(reason: Option<&str>) -> String {
    reason.unwrap_or(crate::gateway::ezr::DEFAULT_REFUND_REASON).to_owned()
}

fn schedule_follow_up(r: &mut Refund, now_ms: u64) {
    let last = REFUND_FOLLOW_UP_SECS.len() - 1;
    let wait = REFUND_FOLLOW_UP_SECS[(r.follow_ups as usize).min(last)];
    r.next_follow_up_ms = Some(now_ms.saturating_add(wait * 1000));
}
