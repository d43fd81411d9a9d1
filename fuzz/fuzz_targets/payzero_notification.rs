//! A Payzero notification body as the edge receives it: verified on the raw bytes, then decoded.
//! A body that verifies must carry the signature the rule gives for its own fields.
#![no_main]

use checkout_shared::sign::{Secret, payzero_notification_signature, verify_payzero_notification};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let token = Secret::new("fuzz-sign-token");
    if let Ok(verified) = verify_payzero_notification(data, &token) {
        let n = verified.into_inner();
        let expected = payzero_notification_signature("fuzz-sign-token", n.timestamp.as_str(), &n.msg_body);
        assert!(n.sign.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(&expected)));
    }
});
