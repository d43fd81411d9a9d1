//! One Shouqianba terminal's key as pure decisions: when to activate or check in, the signed
//! activate, check-in and trade calls as `UpstreamRequest` data, and what their answers mean. The
//! edge's `ShouqianbaTerminal` object only moves bytes around these; time comes in as an argument
//! (unix milliseconds).
//!
//! The terminal key signs every call of the terminal and Shouqianba rotates it at each check-in
//! (the old one dies at once), so it is sealed in `TerminalState`: nothing outside this module can
//! read it, and only the functions here sign with it.

use crate::gateway::UpstreamRequest;
use crate::shouqianba::{ActivateRequest, CheckinRequest, CommErrorCode, CommResult, Response};
use crate::sign::{self, Secret};
use serde::de::Deserializer;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use std::fmt;

/// The schema of `TerminalState` as stored. A terminal lives for years, so a state stored by an
/// older build must still load: a test holds one of each past version.
pub const STATE_VERSION: u32 = 1;

pub const ACTIVATE_PATH: &str = "/terminal/activate";
pub const CHECKIN_PATH: &str = "/terminal/checkin";

/// A terminal key is good for trade calls on the China (UTC+8) calendar day it was issued only.
pub use crate::china_time::china_day;

// ---------------------------------------------------------------------------------------------
// State

/// A terminal key. `Debug` never shows it; it serialises as its text only so the terminal object
/// can store it, and nothing outside this module can read it.
#[derive(Clone, PartialEq, Eq)]
pub struct TerminalKey(Secret);

impl fmt::Debug for TerminalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TerminalKey([REDACTED])")
    }
}

impl Serialize for TerminalKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.expose())
    }
}

impl<'de> Deserialize<'de> for TerminalKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|k| TerminalKey(Secret::new(k)))
    }
}

/// One activated terminal as its object stores it: who it is, its current key, and when that key
/// was issued. Built only from an activate or check-in answer (or read back from storage).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalState {
    pub version: u32,
    pub terminal_sn: String,
    /// The device it was activated for; every check-in must name the same one.
    pub device_id: String,
    key: TerminalKey,
    /// When the current key was issued (activation or the last check-in), unix ms.
    pub key_issued_at_ms: u64,
    pub activated_at_ms: u64,
    /// The last successful check-in, unix ms; `None` until the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_in_at_ms: Option<u64>,
}

/// What must happen before a trade call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prepare {
    /// No terminal yet: activate with the vendor credentials and the activation code.
    Activate,
    /// The key was issued on an earlier China calendar day: Shouqianba refuses it for trade
    /// calls, so check in for today's key first.
    CheckIn,
    /// Sign with the current key.
    Ready,
}

/// What must happen before a trade call at `now_ms`. A key issued "later" than `now_ms` (a clock
/// that stepped back) is used as is: if Shouqianba refuses it, `after_trade_answer` checks in.
pub fn prepare(state: Option<&TerminalState>, now_ms: u64) -> Prepare {
    match state {
        None => Prepare::Activate,
        Some(s) if china_day(s.key_issued_at_ms) < china_day(now_ms) => Prepare::CheckIn,
        Some(_) => Prepare::Ready,
    }
}

/// What the merchant API tells about a check-in: never the key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CheckInInfo {
    pub terminal_sn: String,
    /// When the current key was issued, unix seconds.
    pub checked_in_at: u64,
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Why a terminal call did not give a usable answer. Never holds a key or a signature: the
/// upstream `error_message` is Shouqianba's own text, and a malformed answer is described by the
/// path of the field at fault only (a decoder's message could quote the value, i.e. a key).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TerminalError {
    #[error("Shouqianba answered the {call} with HTTP {status}")]
    Http { call: &'static str, status: u16 },
    #[error("Shouqianba's {call} answer is not the expected JSON (at `{path}`)")]
    Malformed { call: &'static str, path: String },
    /// `result_code` other than "200": the call did not get through.
    #[error("Shouqianba refused the {call}: result_code {result_code}, error_code {code}: {message}")]
    Refused { call: &'static str, result_code: String, code: String, message: String },
    #[error("Shouqianba's {call} answer has no {field}")]
    Incomplete { call: &'static str, field: &'static str },
    #[error("the check-in answer names terminal {answered}, not {ours}")]
    WrongTerminal { ours: String, answered: String },
    /// A caller asked to sign something that is not a trade call; the terminal calls
    /// (activate, check-in) change the key and belong to the terminal object alone.
    #[error("not a Shouqianba trade path: {0:?}")]
    NotTradePath(String),
    /// The call did not complete (network, timeout).
    #[error("Shouqianba could not be reached: {0}")]
    Unreachable(String),
}

impl TerminalError {
    /// The gateway's own refusal code, for a client-facing message; `None` when the failure is
    /// not a refusal.
    pub fn refusal_code(&self) -> Option<&str> {
        match self {
            TerminalError::Refused { code, result_code, .. } => {
                Some(if code.is_empty() { result_code } else { code })
            }
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Requests

/// The vendor's credentials and the activation code: what turns a device into a terminal.
/// Every field is a `Secret`, so `Debug` shows none of them.
#[derive(Clone, Debug)]
pub struct VendorCredentials {
    pub vendor_sn: Secret,
    pub vendor_key: Secret,
    pub app_id: Secret,
    pub activation_code: Secret,
}

/// A JSON `POST` of exactly `body`, signed over those bytes: `Authorization: {sn} {md5(body ++
/// key)}`. Signing and sending the same bytes is the point: re-serialising later would break it.
fn signed_post(url: String, body: Vec<u8>, signer_sn: &str, key: &Secret) -> UpstreamRequest {
    let authorization = sign::shouqianba_authorization(signer_sn, &body, key.expose());
    UpstreamRequest::post_bytes(url, body).with_header("Authorization", authorization)
}

fn to_json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising plain structs and JSON maps cannot fail; an empty body would be refused
    // upstream (ILLEGAL_SIGN or INVALID_PARAMS) rather than panic here.
    serde_json::to_vec(value).unwrap_or_default()
}

/// `POST /terminal/activate {app_id, code, device_id}`, signed with the vendor's key
/// (`Authorization: {vendor_sn} {sign}`).
pub fn activate_request(api_url: &str, vendor: &VendorCredentials, device_id: &str) -> UpstreamRequest {
    let request = ActivateRequest::new(vendor.app_id.expose(), vendor.activation_code.expose(), device_id);
    signed_post(
        crate::gateway::join(api_url, ACTIVATE_PATH),
        to_json_bytes(&request),
        vendor.vendor_sn.expose(),
        &vendor.vendor_key,
    )
}

/// Whether `path` is a trade endpoint (`/upay/v2/pay`, the spec's `/Upay/v2/precreate`…): only
/// those may be signed for a caller. A plain path of letters, digits, `_`, `-` and single `/`,
/// so nothing can smuggle a query, a `..` or another endpoint in.
fn is_trade_path(path: &str) -> bool {
    let under_upay = path.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("/upay/"));
    under_upay
        && path.len() > 6
        && !path.contains("//")
        && !path.ends_with('/')
        && path.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-'))
}

impl TerminalState {
    /// `POST /terminal/checkin {terminal_sn, device_id}`, signed with the current key (which may
    /// be from an earlier day: that is what a check-in is for).
    pub fn checkin_request(&self, api_url: &str) -> UpstreamRequest {
        let request = CheckinRequest::new(&self.terminal_sn, &self.device_id);
        signed_post(
            crate::gateway::join(api_url, CHECKIN_PATH),
            to_json_bytes(&request),
            &self.terminal_sn,
            &self.key.0,
        )
    }

    /// A trade call (`path` such as `/upay/v2/pay`) with `body` plus this terminal's
    /// `terminal_sn` (callers do not know it; any `terminal_sn` they sent is replaced, since
    /// Shouqianba refuses a body naming another terminal than the signer).
    pub fn trade_request(
        &self,
        api_url: &str,
        path: &str,
        body: &Map<String, Value>,
    ) -> Result<UpstreamRequest, TerminalError> {
        if !is_trade_path(path) {
            return Err(TerminalError::NotTradePath(path.to_owned()));
        }
        let mut body = body.clone();
        body.insert("terminal_sn".into(), Value::String(self.terminal_sn.clone()));
        Ok(signed_post(
            crate::gateway::join(api_url, path),
            to_json_bytes(&body),
            &self.terminal_sn,
            &self.key.0,
        ))
    }

    /// What the merchant API may say about this terminal.
    pub fn check_in_info(&self) -> CheckInInfo {
        CheckInInfo { terminal_sn: self.terminal_sn.clone(), checked_in_at: self.key_issued_at_ms / 1000 }
    }
}

// ---------------------------------------------------------------------------------------------
// Answers

/// The `biz_response` of activate and check-in, read leniently so that a missing field is an
/// `Incomplete` error naming it rather than a decoder's message.
#[derive(Deserialize)]
struct KeysAnswer {
    #[serde(default)]
    terminal_sn: Option<String>,
    #[serde(default)]
    terminal_key: Option<TerminalKey>,
}

/// The terminal number and key of an activate or check-in answer, or why there are none.
fn read_keys(call: &'static str, status: u16, body: &[u8]) -> Result<(String, TerminalKey), TerminalError> {
    if !(200..300).contains(&status) {
        return Err(TerminalError::Http { call, status });
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    let answer: Response<KeysAnswer> = serde_path_to_error::deserialize(de)
        .map_err(|e| TerminalError::Malformed { call, path: e.path().to_string() })?;
    if answer.result_code != CommResult::Ok {
        return Err(TerminalError::Refused {
            call,
            result_code: answer.result_code.to_string(),
            code: answer.error_code.map(|c| c.to_string()).unwrap_or_default(),
            message: answer.error_message.unwrap_or_default(),
        });
    }
    let keys = answer.biz_response.ok_or(TerminalError::Incomplete { call, field: "biz_response" })?;
    let terminal_sn = keys
        .terminal_sn
        .filter(|sn| !sn.is_empty())
        .ok_or(TerminalError::Incomplete { call, field: "terminal_sn" })?;
    let key = keys
        .terminal_key
        .filter(|k| !k.0.expose().is_empty())
        .ok_or(TerminalError::Incomplete { call, field: "terminal_key" })?;
    Ok((terminal_sn, key))
}

/// The terminal an activate answer (HTTP `status`, raw `body`) made, at `now_ms`.
pub fn activated(
    device_id: &str,
    status: u16,
    body: &[u8],
    now_ms: u64,
) -> Result<TerminalState, TerminalError> {
    let (terminal_sn, key) = read_keys("activation", status, body)?;
    Ok(TerminalState {
        version: STATE_VERSION,
        terminal_sn,
        device_id: device_id.to_owned(),
        key,
        key_issued_at_ms: now_ms,
        activated_at_ms: now_ms,
        checked_in_at_ms: None,
    })
}

impl TerminalState {
    /// The state after a check-in answer (HTTP `status`, raw `body`) at `now_ms`. On any error
    /// the terminal keeps its current key (`self` is untouched): a check-in that did not answer
    /// a new key has not rotated it, as far as we can know.
    pub fn checked_in(&self, status: u16, body: &[u8], now_ms: u64) -> Result<TerminalState, TerminalError> {
        let (terminal_sn, key) = read_keys("check-in", status, body)?;
        if terminal_sn != self.terminal_sn {
            return Err(TerminalError::WrongTerminal {
                ours: self.terminal_sn.clone(),
                answered: terminal_sn,
            });
        }
        Ok(TerminalState {
            version: STATE_VERSION,
            key,
            key_issued_at_ms: now_ms,
            checked_in_at_ms: Some(now_ms),
            ..self.clone()
        })
    }
}

/// What to do with a trade call's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TradeStep {
    /// Hand the answer to the caller as it is.
    Answer,
    /// Check in, then send the call again (signed with the new key).
    CheckInAndRetry,
}

/// The trade answer's top layer only; the business layers are the caller's (and not decoded
/// here, so an odd `biz_response` cannot hide an `ILLEGAL_SIGN`).
#[derive(Deserialize)]
struct TopLayer {
    result_code: CommResult,
    #[serde(default)]
    error_code: Option<CommErrorCode>,
}

/// Whether a trade answer is `result_code` 400 `ILLEGAL_SIGN`: Shouqianba refused our signature,
/// which with a good signer means the key is no longer today's (a new China day, or a check-in
/// made elsewhere). Nothing was done upstream, so even a `pay` may be sent again.
pub fn is_illegal_sign(body: &[u8]) -> bool {
    serde_json::from_slice::<TopLayer>(body).is_ok_and(|top| {
        top.result_code == CommResult::ClientError && top.error_code == Some(CommErrorCode::IllegalSign)
    })
}

/// The rule for a trade answer on the `attempt`-th send (1-based): an `ILLEGAL_SIGN` on the first
/// means check in and retry once; anything else, or any answer to the retry, goes to the caller.
pub fn after_trade_answer(body: &[u8], attempt: u32) -> TradeStep {
    if attempt <= 1 && is_illegal_sign(body) { TradeStep::CheckInAndRetry } else { TradeStep::Answer }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::HttpMethod;
    use serde_json::json;

    const API: &str = "http://127.0.0.1:8790/shouqianba/";
    /// 2024-01-01 15:59:59.999 UTC = 23:59:59.999 CST, the last instant of a China day.
    const LAST_MS_OF_DAY: u64 = 1_704_124_799_999;

    fn vendor() -> VendorCredentials {
        VendorCredentials {
            vendor_sn: Secret::new("sandbox-vendor"),
            vendor_key: Secret::new("vendor-key-SECRET"),
            app_id: Secret::new("app-1"),
            activation_code: Secret::new("12345678"),
        }
    }

    fn keys_answer(sn: &str, key: &str) -> Vec<u8> {
        json!({"result_code": "200", "biz_response": {"terminal_sn": sn, "terminal_key": key,
               "merchant_sn": "m1", "store_sn": "s1"}})
        .to_string()
        .into_bytes()
    }

    fn terminal(issued_at_ms: u64) -> TerminalState {
        activated("dev-1", 200, &keys_answer("100001", "key-one-SECRET"), issued_at_ms).unwrap()
    }

    fn header<'a>(request: &'a UpstreamRequest, name: &str) -> &'a str {
        request.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap()
    }

    fn body_json(request: &UpstreamRequest) -> Value {
        serde_json::from_slice(request.body.as_deref().unwrap()).unwrap()
    }

    /// The request is signed over its exact body bytes by `sn` with `key`.
    fn assert_signed(request: &UpstreamRequest, sn: &str, key: &str) {
        let body = request.body.as_deref().unwrap();
        let (signer, sign) = sign::shouqianba_parse_authorization(header(request, "Authorization")).unwrap();
        assert_eq!(signer, sn);
        assert!(sign::shouqianba_verify(body, sign, key), "not signed with {key}");
    }

    #[test]
    fn china_day_turns_at_16_00_utc() {
        assert_eq!(china_day(LAST_MS_OF_DAY) + 1, china_day(LAST_MS_OF_DAY + 1));
        // 2024-01-01 00:00 UTC is 08:00 CST, the same China day as 15:59 UTC.
        assert_eq!(china_day(1_704_067_200_000), china_day(LAST_MS_OF_DAY));
        // 1970-01-01 00:00 UTC is 08:00 CST on day 0.
        assert_eq!(china_day(0), 0);
        assert_eq!(china_day(16 * 3_600_000 - 1), 0);
        assert_eq!(china_day(16 * 3_600_000), 1);
    }

    #[test]
    fn prepare_activates_then_checks_in_on_a_new_china_day() {
        assert_eq!(prepare(None, LAST_MS_OF_DAY), Prepare::Activate);
        // Issued at 08:00 CST: good until 23:59:59.999 CST, not a millisecond later.
        let state = terminal(LAST_MS_OF_DAY - 16 * 3_600_000);
        assert_eq!(prepare(Some(&state), LAST_MS_OF_DAY), Prepare::Ready);
        assert_eq!(prepare(Some(&state), LAST_MS_OF_DAY + 1), Prepare::CheckIn);
        // Issued one millisecond before midnight CST: an earlier day a millisecond later.
        let late = terminal(LAST_MS_OF_DAY);
        assert_eq!(prepare(Some(&late), LAST_MS_OF_DAY), Prepare::Ready);
        assert_eq!(prepare(Some(&late), LAST_MS_OF_DAY + 1), Prepare::CheckIn);
        assert_eq!(prepare(Some(&late), LAST_MS_OF_DAY + 30 * 86_400_000), Prepare::CheckIn);
        // A clock that stepped back is not a new day.
        assert_eq!(prepare(Some(&late), LAST_MS_OF_DAY - 86_400_000), Prepare::Ready);
    }

    #[test]
    fn activation_is_signed_by_the_vendor_over_the_exact_body() {
        let request = activate_request(API, &vendor(), "dev-1");
        assert_eq!(request.method, HttpMethod::Post);
        assert_eq!(request.url, "http://127.0.0.1:8790/shouqianba/terminal/activate");
        assert_eq!(header(&request, "Content-Type"), "application/json");
        assert_eq!(body_json(&request), json!({"app_id": "app-1", "code": "12345678", "device_id": "dev-1"}));
        assert_signed(&request, "sandbox-vendor", "vendor-key-SECRET");
    }

    #[test]
    fn activation_answer_becomes_the_state() {
        let state = activated("dev-1", 200, &keys_answer("100001", "key-one-SECRET"), 1_000).unwrap();
        assert_eq!(state.terminal_sn, "100001");
        assert_eq!(state.device_id, "dev-1");
        assert_eq!(
            (state.activated_at_ms, state.key_issued_at_ms, state.checked_in_at_ms),
            (1_000, 1_000, None)
        );
        assert_eq!(state.version, STATE_VERSION);
        assert_signed(&state.checkin_request(API), "100001", "key-one-SECRET");
    }

    #[test]
    fn activation_answers_without_keys_or_not_200_are_refused() {
        let refused =
            r#"{"result_code":"400","error_code":"INVALID_PARAMS","error_message":"激活码错误"}"#.as_bytes();
        let err = activated("d", 200, refused, 0).unwrap_err();
        assert_eq!(
            err,
            TerminalError::Refused {
                call: "activation",
                result_code: "400".into(),
                code: "INVALID_PARAMS".into(),
                message: "激活码错误".into()
            }
        );
        assert_eq!(err.refusal_code(), Some("INVALID_PARAMS"));
        let server = br#"{"result_code":"500"}"#;
        assert!(matches!(activated("d", 200, server, 0), Err(TerminalError::Refused { .. })));
        let cases: [(&[u8], &str); 4] = [
            (br#"{"result_code":"200"}"#, "biz_response"),
            (br#"{"result_code":"200","biz_response":{"terminal_key":"k"}}"#, "terminal_sn"),
            (br#"{"result_code":"200","biz_response":{"terminal_sn":"1"}}"#, "terminal_key"),
            (
                br#"{"result_code":"200","biz_response":{"terminal_sn":"1","terminal_key":""}}"#,
                "terminal_key",
            ),
        ];
        for (body, field) in cases {
            let err = activated("d", 200, body, 0).unwrap_err();
            assert_eq!(err, TerminalError::Incomplete { call: "activation", field }, "{field}");
        }
        assert_eq!(
            activated("d", 502, &keys_answer("1", "k"), 0),
            Err(TerminalError::Http { call: "activation", status: 502 })
        );
        assert!(matches!(activated("d", 200, b"<html>", 0), Err(TerminalError::Malformed { .. })));
    }

    #[test]
    fn checkin_is_signed_with_the_current_key_and_rotates_it() {
        let state = terminal(1_000);
        let request = state.checkin_request(API);
        assert_eq!(request.url, "http://127.0.0.1:8790/shouqianba/terminal/checkin");
        assert_eq!(body_json(&request), json!({"terminal_sn": "100001", "device_id": "dev-1"}));
        assert_signed(&request, "100001", "key-one-SECRET");

        let now = 1_000 + 86_400_000;
        let next = state.checked_in(200, &keys_answer("100001", "key-two-SECRET"), now).unwrap();
        assert_eq!(
            (next.key_issued_at_ms, next.checked_in_at_ms, next.activated_at_ms),
            (now, Some(now), 1_000)
        );
        assert_eq!(prepare(Some(&next), now), Prepare::Ready);
        // Every call from now on is signed with the new key, never the old one.
        let trade = next.trade_request(API, "/upay/v2/query", &Map::new()).unwrap();
        assert_signed(&trade, "100001", "key-two-SECRET");
        assert_signed(&next.checkin_request(API), "100001", "key-two-SECRET");
        assert_eq!(
            next.check_in_info(),
            CheckInInfo { terminal_sn: "100001".into(), checked_in_at: now / 1000 }
        );
    }

    #[test]
    fn a_failed_checkin_keeps_the_old_key() {
        let state = terminal(1_000);
        let before = state.clone();
        let now = 1_000 + 86_400_000;
        let failures: [(u16, &[u8]); 5] = [
            (
                200,
                r#"{"result_code":"400","error_code":"ILLEGAL_SIGN","error_message":"签名错误"}"#.as_bytes(),
            ),
            (200, br#"{"result_code":"200","biz_response":{"terminal_sn":"100001"}}"#),
            (200, br#"{"result_code":"200","biz_response":{"terminal_key":"key-two"}}"#),
            (500, b""),
            (200, b"{\"result_code\":"),
        ];
        for (status, body) in failures {
            assert!(state.checked_in(status, body, now).is_err());
        }
        assert_eq!(
            state.checked_in(200, &keys_answer("999", "key-two-SECRET"), now),
            Err(TerminalError::WrongTerminal { ours: "100001".into(), answered: "999".into() })
        );
        assert_eq!(state, before);
        assert_eq!(prepare(Some(&state), now), Prepare::CheckIn);
        assert_signed(&state.checkin_request(API), "100001", "key-one-SECRET");
    }

    #[test]
    fn trade_calls_carry_the_terminal_sn_and_are_signed_over_the_exact_body() {
        let state = terminal(1_000);
        let body: Map<String, Value> = serde_json::from_value(json!({
            "client_sn": "A1", "total_amount": "100", "subject": "茶", "terminal_sn": "someone-else"
        }))
        .unwrap();
        let request = state.trade_request(API, "/upay/v2/pay", &body).unwrap();
        assert_eq!(request.url, "http://127.0.0.1:8790/shouqianba/upay/v2/pay");
        assert_eq!(
            body_json(&request),
            json!({"client_sn": "A1", "total_amount": "100", "subject": "茶", "terminal_sn": "100001"})
        );
        assert_signed(&request, "100001", "key-one-SECRET");
        // The spec's own capitalised precreate URL is a trade path too.
        assert!(state.trade_request(API, "/Upay/v2/precreate", &Map::new()).is_ok());
    }

    #[test]
    fn only_trade_paths_are_signed_for_callers() {
        let state = terminal(1_000);
        for path in [
            "/terminal/checkin",
            "/terminal/activate",
            "/upay/v2/../../terminal/checkin",
            "/upay/v2/pay?x=1",
            "/upay/v2/pay#x",
            "/upay//pay",
            "/upay/",
            "/upay/v2/",
            "upay/v2/pay",
            "http://evil/upay/v2/pay",
            "/upay/v2/pay ",
            "",
        ] {
            assert_eq!(
                state.trade_request(API, path, &Map::new()),
                Err(TerminalError::NotTradePath(path.to_owned())),
                "{path:?}"
            );
        }
    }

    #[test]
    fn illegal_sign_means_check_in_and_retry_once() {
        let illegal =
            r#"{"result_code":"400","error_code":"ILLEGAL_SIGN","error_message":"签名错误"}"#.as_bytes();
        assert!(is_illegal_sign(illegal));
        assert_eq!(after_trade_answer(illegal, 1), TradeStep::CheckInAndRetry);
        assert_eq!(after_trade_answer(illegal, 2), TradeStep::Answer);
        let others: [&[u8]; 6] = [
            br#"{"result_code":"400","error_code":"INVALID_PARAMS"}"#,
            br#"{"result_code":"500","error_code":"ILLEGAL_SIGN"}"#,
            br#"{"result_code":"200","biz_response":{"result_code":"FAIL","error_code":"ILLEGAL_SIGN"}}"#,
            br#"{"result_code":"200","biz_response":{"result_code":"PAY_SUCCESS","data":{"sn":"1","client_sn":"A"}}}"#,
            b"not json",
            b"",
        ];
        for body in others {
            assert!(!is_illegal_sign(body), "{}", String::from_utf8_lossy(body));
            assert_eq!(after_trade_answer(body, 1), TradeStep::Answer);
        }
    }

    #[test]
    fn state_round_trips_and_a_stored_v1_state_loads() {
        let state = terminal(1_000).checked_in(200, &keys_answer("100001", "key-two-SECRET"), 5_000).unwrap();
        let text = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<TerminalState>(&text).unwrap(), state);
        // As version 1 wrote it: keep loading it whatever the struct becomes.
        let v1 = r#"{"version":1,"terminal_sn":"100001","device_id":"dev-1","key":"stored-key",
                     "key_issued_at_ms":5000,"activated_at_ms":1000}"#;
        let loaded: TerminalState = serde_json::from_str(v1).unwrap();
        assert_eq!((loaded.key_issued_at_ms, loaded.checked_in_at_ms), (5_000, None));
        assert_signed(&loaded.checkin_request(API), "100001", "stored-key");
    }

    #[test]
    fn nothing_debug_prints_a_key() {
        let state = terminal(1_000);
        let vendor = vendor();
        let printed = [
            format!("{state:?}"),
            format!("{:?}", state.key),
            format!("{vendor:?}"),
            format!("{:?}", activate_request(API, &vendor, "dev-1")),
            format!("{:?}", state.checkin_request(API)),
            format!("{:?}", state.trade_request(API, "/upay/v2/pay", &Map::new())),
            format!("{:?}", state.checked_in(200, &keys_answer("999", "key-two-SECRET"), 0)),
            format!("{}", state.checked_in(200, &keys_answer("999", "key-two-SECRET"), 0).unwrap_err()),
            // A key of the wrong type must not be quoted by the error either.
            format!(
                "{}",
                activated(
                    "d",
                    200,
                    br#"{"result_code":"200","biz_response":{"terminal_sn":"1","terminal_key":987654321}}"#,
                    0
                )
                .unwrap_err()
            ),
        ];
        for text in printed {
            for secret in ["SECRET", "12345678", "987654321"] {
                assert!(!text.contains(secret), "{text}");
            }
        }
    }
}
