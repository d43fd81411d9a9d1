//! The Shouqianba terminal's own answers: activation and check-in (which hand us a new terminal
//! key) and the top layer of any trade answer (`ILLEGAL_SIGN` means check in and retry). The
//! first byte picks the call, the next two the HTTP status, the rest is the body. Whatever comes
//! back: no panic, a terminal only from an answer that names one and a key, a check-in never
//! switching terminals, an error never quoting the key it was given, and a retry only once.
#![no_main]

use checkout_shared::terminal::{TerminalState, TradeStep, activated, after_trade_answer};
use libfuzzer_sys::fuzz_target;

const DEVICE: &str = "dev-1";
const NOW_MS: u64 = 1_704_124_799_999;

/// The terminal a check-in is for.
fn ours() -> TerminalState {
    let body = br#"{"result_code":"200","biz_response":{"terminal_sn":"100001","terminal_key":"key-one"}}"#;
    activated(DEVICE, 200, body, 0).expect("the fixed activation answer makes a terminal")
}

/// The `terminal_key` the body carries, if it parses as JSON with one worth looking for.
fn key_in(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let key = value.get("biz_response")?.get("terminal_key")?.as_str()?;
    (key.len() >= 6).then(|| key.to_owned())
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let (status, body) = match rest {
        [a, b, body @ ..] => (100 + u16::from_le_bytes([*a, *b]) % 500, body),
        _ => (200, rest),
    };
    let key = key_in(body);
    let quotes_key = |text: &str| key.as_deref().is_some_and(|k| text.contains(k));
    match pick % 3 {
        0 => match activated(DEVICE, status, body, NOW_MS) {
            Ok(state) => {
                assert!(!state.terminal_sn.is_empty());
                assert_eq!((state.device_id.as_str(), state.key_issued_at_ms), (DEVICE, NOW_MS));
                assert!(!quotes_key(&format!("{state:?}")), "the key in a Debug print");
            }
            Err(e) => assert!(!quotes_key(&e.to_string()), "the key in an error: {e}"),
        },
        1 => {
            let before = ours();
            match before.checked_in(status, body, NOW_MS) {
                Ok(after) => {
                    assert_eq!(after.terminal_sn, before.terminal_sn, "a check-in switched terminals");
                    assert_eq!(after.checked_in_at_ms, Some(NOW_MS));
                }
                Err(e) => assert!(!quotes_key(&e.to_string()), "the key in an error: {e}"),
            }
        }
        _ => {
            // Whatever the first answer, the retry's answer goes to the caller: at most one
            // check-in per trade call.
            let _ = after_trade_answer(body, 1);
            assert_eq!(after_trade_answer(body, 2), TradeStep::Answer);
        }
    }
});
