//! Checking the edge's webhooks: `Checkout-Signature: t={unix},v1={hex},…` over the raw body,
//! with a tolerance on the timestamp and several secrets during a rotation.

use checkout_shared::api::WebhookEvent;
use checkout_shared::sign::{Secret, VerifyError, webhook_verify};

/// The tolerance the edge's documentation recommends: five minutes either way.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

/// Why a webhook was not believed. Answer it with `400`; the edge retries, and a real event will
/// verify once the secrets are right.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The header is malformed, too old or too new, or no `v1` matches any secret.
    #[error("the signature does not verify: {0}")]
    Signature(VerifyError),
    /// The signature verified but the body is not an event this client knows how to read.
    #[error("the body is not an event: {0}")]
    Body(String),
}

/// Verifies webhooks with one or more secrets: during a rotation the edge signs each event with
/// the old and the new secret (two `v1` entries), and the shop accepts either until the old one
/// is retired.
#[derive(Clone, Debug)]
pub struct Verifier {
    secrets: Vec<Secret>,
    tolerance_secs: u64,
}

impl Verifier {
    /// A verifier holding one secret (the whole `whsec_…` string), with the default tolerance.
    pub fn new(secret: &str) -> Verifier {
        Verifier { secrets: vec![Secret::new(secret)], tolerance_secs: DEFAULT_TOLERANCE_SECS }
    }

    /// Also accepts events signed with `secret` (the next or the previous one).
    pub fn also(mut self, secret: &str) -> Verifier {
        self.secrets.push(Secret::new(secret));
        self
    }

    /// How far (in seconds, either way) an event's `t` may be from `now`; 300 by default.
    pub fn with_tolerance_secs(mut self, secs: u64) -> Verifier {
        self.tolerance_secs = secs;
        self
    }

    /// Checks `header` (the `Checkout-Signature` value) against the raw body at `now` (unix
    /// seconds) and reads the event. Apply each event once per `event.id`.
    pub fn verify(&self, header: &str, raw_body: &[u8], now: u64) -> Result<WebhookEvent, WebhookError> {
        let mut last = VerifyError::BadSignature;
        let verified = self.secrets.iter().any(|secret| {
            match webhook_verify(header, raw_body, secret.expose(), now, self.tolerance_secs) {
                Ok(()) => true,
                Err(e) => {
                    last = e;
                    false
                }
            }
        });
        if !verified {
            return Err(WebhookError::Signature(last));
        }
        serde_json::from_slice(raw_body).map_err(|e| WebhookError::Body(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use checkout_shared::sign::webhook_signature_header;

    const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.paid","created":1700000000,
        "data":{"id":"cs_1","merchant_order_no":"A-1","amount":100,"status":"paid"}}"#;

    #[test]
    fn either_secret_of_a_rotation_verifies() {
        let header = webhook_signature_header(&["new_secret"], 1_700_000_000, BODY);
        let verifier = Verifier::new("old_secret").also("new_secret");
        let event = verifier.verify(&header, BODY, 1_700_000_100).expect("verifies");
        assert_eq!(event.id, "evt_1");
        assert!(Verifier::new("old_secret").verify(&header, BODY, 1_700_000_100).is_err());
    }

    #[test]
    fn stale_and_tampered_events_are_refused() {
        let header = webhook_signature_header(&["s"], 1_700_000_000, BODY);
        let verifier = Verifier::new("s");
        assert!(matches!(
            verifier.verify(&header, BODY, 1_700_000_000 + 301),
            Err(WebhookError::Signature(VerifyError::Stale))
        ));
        assert!(verifier.clone().with_tolerance_secs(600).verify(&header, BODY, 1_700_000_000 + 301).is_ok());
        let mut tampered = BODY.to_vec();
        tampered[60] ^= 1;
        assert!(verifier.verify(&header, &tampered, 1_700_000_000).is_err());
        assert!(matches!(
            verifier.verify(&header, b"not json", 1_700_000_000),
            Err(WebhookError::Signature(VerifyError::BadSignature))
        ));
    }
}
