//! The edge's request bodies from merchants and browsers, through the one JSON decoder and the
//! session creation rules. The first byte picks the body's type; a body that decodes re-encodes
//! to one that decodes to the same value.
#![no_main]

use checkout_shared::api::{
    BarcodeRequest, CardPayRequest, CardSignupRequest, CreateSessionRequest, QrRequest, RefundRequest,
    SmsCodeRequest,
};
use checkout_shared::json::decode;
use checkout_shared::session::{Settings, parse_create_request};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(body: &[u8]) {
    if let Ok(value) = decode::<T>(body) {
        let again = serde_json::to_vec(&value).expect("a decoded request re-encodes");
        assert_eq!(decode::<T>(&again).ok().as_ref(), Some(&value));
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    match pick % 8 {
        0 => {
            let settings = Settings::from_vars(|_| None).expect("the default settings");
            let _ = parse_create_request(body, &settings);
        }
        1 => round_trip::<CreateSessionRequest>(body),
        2 => round_trip::<QrRequest>(body),
        3 => round_trip::<BarcodeRequest>(body),
        4 => round_trip::<RefundRequest>(body),
        5 => round_trip::<SmsCodeRequest>(body),
        6 => round_trip::<CardPayRequest>(body),
        // The form's numbers are masked when printed, never when sent: decoding is enough.
        _ => {
            let _ = decode::<CardSignupRequest>(body);
        }
    }
});
