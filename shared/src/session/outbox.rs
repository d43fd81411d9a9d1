//! The merchant webhook outbox: each event with its delivery record, the retry schedule, and the
//! signed delivery request (`Checkout-Signature`, Stripe's shape).

use crate::api::WebhookEvent;
use crate::gateway::UpstreamRequest;
use crate::sign::{self, Secret};
use serde::{Deserialize, Serialize};

/// A webhook event in the outbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutgoingWebhook {
    pub event: WebhookEvent,
    pub attempts: u32,
    /// Unix milliseconds of the next attempt; `None` once delivered or given up.
    pub next_attempt_ms: Option<u64>,
    pub delivered: bool,
}

/// Waits between failed webhook attempts: quick at first (a merchant restarting), then spread
/// over about a day (a merchant down for hours), then we give up.
pub const WEBHOOK_RETRY_DELAYS_SECS: [u64; 8] = [10, 30, 120, 600, 3600, 3 * 3600, 6 * 3600, 12 * 3600];

/// An event is given up when this many attempts failed (the first, and one after each wait);
/// an attempt after that is a resend the merchant asked for.
pub const GIVEN_UP_AFTER_ATTEMPTS: u32 = 1 + WEBHOOK_RETRY_DELAYS_SECS.len() as u32;

/// The wait after the `failed_attempts`-th failed attempt (1-based); `None`: give up.
pub fn webhook_retry_delay_secs(failed_attempts: u32) -> Option<u64> {
    let index = usize::try_from(failed_attempts.checked_sub(1)?).ok()?;
    WEBHOOK_RETRY_DELAYS_SECS.get(index).copied()
}

/// A merchant webhook delivery: the JSON event signed with
/// `Checkout-Signature: t={now},v1={HMAC-SHA256(secret, "{t}.{body}")}`, one `v1` per secret (the
/// old and the new one while the secret is rotated).
pub fn webhook_delivery(
    notify_url: &str,
    secrets: &[Secret],
    event: &WebhookEvent,
    now: u64,
) -> UpstreamRequest {
    let request = UpstreamRequest::post_json(notify_url.to_owned(), event);
    let body = request.body.as_deref().unwrap_or_default();
    let secrets: Vec<&str> = secrets.iter().map(Secret::expose).collect();
    let signature = sign::webhook_signature_header(&secrets, now, body);
    request.with_header("Checkout-Signature", signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{SessionStatus, WebhookSession};
    use crate::money::Fen;

    fn event() -> WebhookEvent {
        WebhookEvent {
            id: "evt_1".into(),
            kind: "checkout.session.paid".into(),
            created: 1,
            data: WebhookSession {
                id: "sess_1".into(),
                merchant_order_no: "A1".into(),
                amount: Fen(5),
                status: SessionStatus::Paid,
                paid_at: Some(1),
                gateway_order_no: None,
                payment_method: None,
                order_no: None,
                attention: None,
                card: None,
                refund: None,
                declaration: None,
                metadata: Default::default(),
            },
        }
    }

    #[test]
    fn retry_schedule_backs_off_and_gives_up() {
        assert_eq!(webhook_retry_delay_secs(0), None);
        assert_eq!(webhook_retry_delay_secs(1), Some(10));
        assert_eq!(webhook_retry_delay_secs(2), Some(30));
        assert_eq!(webhook_retry_delay_secs(5), Some(3600));
        assert_eq!(webhook_retry_delay_secs(8), Some(12 * 3600));
        assert_eq!(webhook_retry_delay_secs(9), None);
        assert!(WEBHOOK_RETRY_DELAYS_SECS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn deliveries_are_signed_over_the_exact_body_and_never_print_the_url_query() {
        let request = webhook_delivery(
            "https://shop.example/hook?token=s3cret",
            &[Secret::new("whsec")],
            &event(),
            100,
        );
        let header = &request.headers.iter().find(|(k, _)| k == "Checkout-Signature").map(|(_, v)| v.clone());
        let body = request.body.as_deref().unwrap_or_default();
        assert!(sign::webhook_verify(header.as_deref().unwrap_or_default(), body, "whsec", 100, 300).is_ok());
        let decoded: WebhookEvent = serde_json::from_slice(body).unwrap();
        assert_eq!(decoded, event());
        assert_eq!(format!("{request:?}"), "Post https://shop.example/hook");
    }
}
