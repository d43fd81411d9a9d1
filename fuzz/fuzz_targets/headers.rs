//! The headers the edge and a merchant parse: `Idempotency-Key`, the client secret of
//! `Authorization: Bearer`, Shouqianba's `Authorization: {sn} {sign}` and `Checkout-Signature`.
#![no_main]

use checkout_shared::idempotency::is_valid_key;
use checkout_shared::session::session_id_of_secret;
use checkout_shared::sign::{shouqianba_parse_authorization, webhook_signature_header, webhook_verify};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = is_valid_key(text);
    if let Some(id) = session_id_of_secret(text) {
        assert!(text.starts_with(id));
    }
    let _ = shouqianba_parse_authorization(text);
    let body = b"{\"id\":\"evt_1\"}";
    let _ = webhook_verify(text, body, "whsec", 1_700_000_000, 300);
    // A header we sign verifies; the same with the fuzzed text appended as the body does not.
    let header = webhook_signature_header(&["whsec"], 1_700_000_000, data);
    assert!(webhook_verify(&header, data, "whsec", 1_700_000_000, 300).is_ok());
    if !data.is_empty() {
        assert!(webhook_verify(&header, &[data, b"x"].concat(), "whsec", 1_700_000_000, 300).is_err());
    }
});
