//! Refunds of a paid session: the merchant's request checked (paid, within what is left, a
//! bounded reason), one refund call per gateway as its spec says, the refund followed up on the
//! session's alarms until the gateway says it succeeded or failed, and a merchant event when it
//! ends. Several refunds per session; their sum never exceeds what was paid.

use super::{Call, CallState, Method, Purpose, Refusal, Session, Status};
use crate::api::{ErrorCode, RefundRequest, RefundStatus, RefundView};
use crate::gateway::{ListedRefund, Op, Outcome, RefundFact};
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
    /// What is refunded (succeeded) and what is being refunded (pending).
    pub fn refunded(&self) -> (Fen, Fen) {
        let sum = |status: RefundStatus| {
            Fen(self.refunds.iter().filter(|r| r.status == status).map(|r| r.amount.0).sum())
        };
        (sum(RefundStatus::Succeeded), sum(RefundStatus::Pending))
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
        let op = match method {
            Method::PayzeroQr | Method::PayzeroCard => {
                Op::PayzeroRefund { refund: index, order_no, refund_no, amount }
            }
            Method::ShouqianbaQr | Method::ShouqianbaBarcode => {
                Op::ShouqianbaRefund { refund: index, order_no, refund_no, amount }
            }
            Method::EzrBarcode => {
                let Some(gateway_ref) = gateway_ref else {
                    return Err(Refusal::new(ErrorCode::Internal, "the EZR payment has no EZR order number"));
                };
                Op::EzrRefundApply {
                    refund: index,
                    gateway_ref,
                    amount,
                    subject: self.params.subject.clone(),
                }
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
        })
    }

    pub fn refund_views(&self) -> Vec<RefundView> {
        self.refunds.iter().filter_map(|r| self.refund_view(r.index)).collect()
    }

    /// The answer to a refund call.
    pub(super) fn refund_answer(&mut self, op: &Op, outcome: Outcome, now_ms: u64) {
        let Some(index) = op.refund_index() else { return };
        let claimed: Vec<String> = self.refunds.iter().filter_map(|r| r.gateway_refund_no.clone()).collect();
        let Some(r) = self.refunds.iter_mut().find(|r| r.index == index) else { return };
        if r.status != RefundStatus::Pending {
            return;
        }
        let fact = match outcome {
            Outcome::Refund(fact) => Some(fact),
            Outcome::Refunds(listed) => {
                find_listed(r, &listed, &claimed, matches!(op, Op::EzrRefundQuery { .. }))
            }
            // Anything else (no answer after the retries, garbage, a refusal of the query): still
            // pending, asked again later.
            _ => None,
        };
        match fact {
            Some(RefundFact::Succeeded { gateway_refund_no }) => {
                r.gateway_refund_no = gateway_refund_no.or(r.gateway_refund_no.take());
                self.end_refund(index, RefundStatus::Succeeded, None, now_ms);
            }
            Some(RefundFact::Failed { code }) => {
                self.end_refund(index, RefundStatus::Failed, Some(code), now_ms)
            }
            Some(RefundFact::Pending { gateway_refund_no }) => {
                if gateway_refund_no.is_some() {
                    r.gateway_refund_no = gateway_refund_no;
                }
                schedule_follow_up(r, now_ms);
            }
            None => schedule_follow_up(r, now_ms),
        }
    }

    fn end_refund(&mut self, index: u32, status: RefundStatus, failure_code: Option<String>, now_ms: u64) {
        let Some(r) = self.refunds.iter_mut().find(|r| r.index == index) else { return };
        r.status = status.clone();
        r.failure_code = failure_code;
        r.finished_at = Some(now_ms / 1000);
        r.next_follow_up_ms = None;
        self.changed();
        let kind = match status {
            RefundStatus::Succeeded => "checkout.refund.succeeded",
            _ => "checkout.refund.failed",
        };
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
        for index in due {
            let Some(r) = self.refunds.iter_mut().find(|r| r.index == index) else { continue };
            r.next_follow_up_ms = None;
            r.follow_ups = r.follow_ups.saturating_add(1);
            let refund_no = refund_id(&self.id, index);
            let op = match method {
                Method::PayzeroQr | Method::PayzeroCard => {
                    Op::PayzeroRefundQuery { refund: index, refund_no }
                }
                Method::ShouqianbaQr | Method::ShouqianbaBarcode => Op::ShouqianbaRefund {
                    refund: index,
                    order_no: order_no.clone(),
                    refund_no,
                    amount: r.amount,
                },
                Method::EzrBarcode => match &gateway_ref {
                    Some(gateway_ref) => {
                        Op::EzrRefundQuery { refund: index, gateway_ref: gateway_ref.clone() }
                    }
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
/// lost, the one listed refund of the same amount no other refund of ours claims is adopted, and
/// if there is none, the apply never arrived: failed, nothing moved. An apply followed by an
/// answer that lists nothing of ours yet is just pending.
fn find_listed(
    r: &Refund,
    listed: &[ListedRefund],
    claimed: &[String],
    is_query: bool,
) -> Option<RefundFact> {
    let known = r.gateway_refund_no.as_deref();
    let ours = match known {
        Some(no) => listed.iter().find(|l| l.gateway_refund_no == no),
        None => listed.iter().find(|l| l.amount == r.amount && !claimed.contains(&l.gateway_refund_no)),
    };
    match ours {
        Some(l) => {
            let gateway_refund_no = Some(l.gateway_refund_no.clone());
            Some(if l.succeeded {
                RefundFact::Succeeded { gateway_refund_no }
            } else {
                RefundFact::Pending { gateway_refund_no }
            })
        }
        None if known.is_none() && is_query => Some(RefundFact::Failed { code: "NOT_APPLIED".into() }),
        None => None,
    }
}

fn schedule_follow_up(r: &mut Refund, now_ms: u64) {
    let last = REFUND_FOLLOW_UP_SECS.len() - 1;
    let wait = REFUND_FOLLOW_UP_SECS[(r.follow_ups as usize).min(last)];
    r.next_follow_up_ms = Some(now_ms.saturating_add(wait * 1000));
}
