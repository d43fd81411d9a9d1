//! Refunds: full by default, partial with an amount, several per session; each followed up by
//! the edge until the gateway says it succeeded or failed (`checkout.refund.*` events).

use crate::{Client, Error, segment};
use checkout_shared::api::{RefundRequest, RefundView};

impl Client {
    /// `POST /v1/sessions/{id}/refunds`: refunds `request.amount` (everything left when `None`)
    /// of a paid session. The answer is usually `pending`; `get_refund` or the
    /// `checkout.refund.succeeded`/`.failed` event tells the end. Use `with_idempotency_key`
    /// (e.g. `refund-<order no>-<n>`) so a retry from another process never refunds twice.
    pub async fn refund(&self, session_id: &str, request: &RefundRequest) -> Result<RefundView, Error> {
        self.post(&format!("/v1/sessions/{}/refunds", segment(session_id)), request).await
    }

    /// `GET /v1/sessions/{id}/refunds/{refund_id}`.
    pub async fn get_refund(&self, session_id: &str, refund_id: &str) -> Result<RefundView, Error> {
        self.get(&format!("/v1/sessions/{}/refunds/{}", segment(session_id), segment(refund_id))).await
    }
}
