//! A stored session of any schema: what loads stores again as a session that loads the same.
#![no_main]

use checkout_shared::session::load;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(session) = load(data) {
        let stored = serde_json::to_vec(&session).expect("a loaded session stores");
        let again = load(&stored).expect("a stored session loads");
        assert_eq!(serde_json::to_vec(&again).ok(), Some(stored));
    }
});
