//! Every signature rule of PRODUCT.md as pure functions: Payzero notifications (SHA-1),
//! Shouqianba calls (MD5 + `Authorization`), EZR calls (SHA-1 over sorted `k=v&…`), and our own
//! merchant webhooks (HMAC-SHA256, Stripe-style). Comparisons are constant-time.

use hmac::{Hmac, Mac};
use md5::Md5;
use serde_json::Value;
use sha1::{Digest, Sha1};
use sha2::Sha256;
use std::fmt;
use subtle::ConstantTimeEq;

/// A value whose signature has been checked. Only this module can make one, so a handler that
/// takes `Verified<T>` cannot be handed an unverified callback.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified<T>(T);

impl<T> Verified<T> {
    pub fn get(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Verified<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Why a callback or signed request was not believed. Stable, safe to show: no secret inside.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the body is not the expected JSON: {0}")]
    Malformed(String),
    #[error("the signature is missing")]
    MissingSignature,
    #[error("the signature does not match")]
    BadSignature,
    #[error("the signature header is malformed")]
    MalformedHeader,
    #[error("the signature timestamp is outside the allowed window")]
    Stale,
}

/// A credential: `Debug` and `Display` never show it. Wrap secrets the moment they are read.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The clear value, for signing only. The name makes every use easy to find.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// Constant-time, ASCII-case-insensitive comparison of two hex digests.
pub fn hex_eq(a: &str, b: &str) -> bool {
    let a = a.to_ascii_lowercase();
    let b = b.to_ascii_lowercase();
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Constant-time equality of two byte strings (for tokens and keys).
pub fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

pub fn sha1_hex(data: &[u8]) -> String {
    hex::encode(Sha1::digest(data))
}

// ---------------------------------------------------------------------------------------------
// Payzero notifications

/// Payzero's notification signature: `signToken`, `timestamp` (decimal text) and `msgBody` (the
/// exact string received) sorted as strings, concatenated, SHA-1, lowercase hex.
pub fn payzero_notification_signature(sign_token: &str, timestamp: &str, msg_body: &str) -> String {
    let mut parts = [sign_token, timestamp, msg_body];
    parts.sort_unstable();
    sha1_hex(parts.concat().as_bytes())
}

/// Verifies a Payzero notification on the raw request body and decodes it.
/// `msgBody` is used exactly as received (never re-serialised); `timestamp` may be a number or a
/// string. Old timestamps are not rejected: retries come hours later, so callers de-duplicate on
/// content instead.
pub fn verify_payzero_notification(
    raw_body: &[u8],
    sign_token: &Secret,
) -> Result<Verified<crate::payzero::Notification>, VerifyError> {
    let notification: crate::payzero::Notification =
        crate::json::decode(raw_body).map_err(|e| VerifyError::Malformed(e.to_string()))?;
    let Some(sign) = notification.sign.as_deref().filter(|s| !s.is_empty()) else {
        return Err(VerifyError::MissingSignature);
    };
    let expected = payzero_notification_signature(
        sign_token.expose(),
        notification.timestamp.as_str(),
        &notification.msg_body,
    );
    if hex_eq(sign, &expected) { Ok(Verified(notification)) } else { Err(VerifyError::BadSignature) }
}

// ---------------------------------------------------------------------------------------------
// Shouqianba

/// `md5(body_bytes ++ terminal_key)`, lowercase hex, over the exact bytes sent.
pub fn shouqianba_sign(body: &[u8], terminal_key: &str) -> String {
    let mut hasher = Md5::new();
    hasher.update(body);
    hasher.update(terminal_key.as_bytes());
    hex::encode(hasher.finalize())
}

/// The `Authorization` header value: `{terminal_sn} {sign}`.
pub fn shouqianba_authorization(terminal_sn: &str, body: &[u8], terminal_key: &str) -> String {
    format!("{terminal_sn} {}", shouqianba_sign(body, terminal_key))
}

/// Splits an `Authorization: {sn} {sign}` header. `None` when it is not of that shape.
pub fn shouqianba_parse_authorization(header: &str) -> Option<(&str, &str)> {
    let (sn, sign) = header.trim().split_once(' ')?;
    let sign = sign.trim();
    (!sn.is_empty() && !sign.is_empty() && !sign.contains(' ')).then_some((sn, sign))
}

/// Checks a Shouqianba signature over the exact body bytes.
pub fn shouqianba_verify(body: &[u8], sign: &str, terminal_key: &str) -> bool {
    hex_eq(sign, &shouqianba_sign(body, terminal_key))
}

// ---------------------------------------------------------------------------------------------
// EZR

/// EZR's signature over a list of parameters (which must already include `Token`): empty values
/// dropped, sorted by key in ASCII order (case-sensitive), joined as `k=v&k=v` with raw values,
/// SHA-1 over UTF-8, lowercase hex.
pub fn ezr_sign<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = params.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    pairs.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let joined = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    sha1_hex(joined.as_bytes())
}

/// The text a JSON value contributes to an EZR signature, or `None` when it takes no part.
/// Scalars are their plain text; `null` and `""` are empty and dropped; lists and objects (such
/// as `GoodsDetail`), which the spec does not address, are signed as their compact JSON.
fn ezr_value_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(a) if a.is_empty() => None,
        other => Some(other.to_string()),
    }
}

/// Signs an EZR request body: every top-level field except `Sign`, plus `Token`.
pub fn ezr_sign_body(body: &serde_json::Map<String, Value>, token: &str) -> String {
    let texts: Vec<(String, String)> = body
        .iter()
        .filter(|(k, _)| k.as_str() != "Sign" && k.as_str() != "Token")
        .filter_map(|(k, v)| ezr_value_text(v).map(|t| (k.clone(), t)))
        .collect();
    ezr_sign(texts.iter().map(|(k, v)| (k.as_str(), v.as_str())).chain(std::iter::once(("Token", token))))
}

/// Checks the `Sign` field of an EZR request body.
pub fn ezr_verify_body(body: &serde_json::Map<String, Value>, token: &str) -> bool {
    match body.get("Sign").and_then(Value::as_str) {
        Some(sign) => hex_eq(sign, &ezr_sign_body(body, token)),
        None => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Our merchant webhooks

type HmacSha256 = Hmac<Sha256>;

fn webhook_mac(secret: &str, timestamp: u64, raw_body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail; fall back to an impossible digest
    // rather than panic.
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(raw_body);
    hex::encode(mac.finalize().into_bytes())
}

/// The `Checkout-Signature` header value: `t={unix seconds},v1={hex HMAC-SHA256(secret, "{t}.{body}")}`,
/// one `v1` per secret: while a secret is rotated, events carry a signature by the old and one by
/// the new, so the merchant's check passes whichever it holds.
pub fn webhook_signature_header(secrets: &[&str], timestamp: u64, raw_body: &[u8]) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&webhook_mac(secret, timestamp, raw_body));
    }
    header
}

/// Verifies a `Checkout-Signature` header as a merchant would: any `v1` may match, and the
/// timestamp must be within `tolerance_secs` of `now`.
pub fn webhook_verify(
    header: &str,
    raw_body: &[u8],
    secret: &str,
    now: u64,
    tolerance_secs: u64,
) -> Result<(), VerifyError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<u64>().ok(),
            Some(("v1", s)) => signatures.push(s),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(VerifyError::MalformedHeader)?;
    if signatures.is_empty() {
        return Err(VerifyError::MissingSignature);
    }
    if now.abs_diff(timestamp) > tolerance_secs {
        return Err(VerifyError::Stale);
    }
    let expected = webhook_mac(secret, timestamp, raw_body);
    if signatures.iter().any(|s| hex_eq(s, &expected)) { Ok(()) } else { Err(VerifyError::BadSignature) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ezr_worked_example_reproduces() {
        // The spec lists the parameters with `Body`, but its string1 (and so its digest) names the
        // field `OrderBody`; the digest is what must reproduce.
        let params = [
            ("AppId", "EZP"),
            ("Token", "HH1232D"),
            ("Timestamp", "20160523235959"),
            ("ShopCode", "HQ01S001"),
            ("UserCode", "KB1001"),
            ("AuthCode", "130115575166786427"),
            ("OrderBody", "刷卡支付测试"),
            ("SpbillCreateIp", "127.0.0.1"),
            ("TotalAmount", "1"),
            ("VipOldCode", "EZ0541688"),
            ("Empty", ""),
        ];
        assert_eq!(ezr_sign(params), "25a14a34dc6c18bd3da622e24292570d5276cdc3");
    }

    #[test]
    fn ezr_body_signing_matches_the_list_form() {
        let body: serde_json::Map<String, Value> = serde_json::from_str(
            r#"{"AppId":"EZP","Timestamp":"20160523235959","ShopCode":"HQ01S001","UserCode":"KB1001",
                "AuthCode":"130115575166786427","OrderBody":"刷卡支付测试","SpbillCreateIp":"127.0.0.1",
                "TotalAmount":1,"VipOldCode":"EZ0541688","TerminalId":null}"#,
        )
        .unwrap();
        let sign = ezr_sign_body(&body, "HH1232D");
        assert_eq!(sign, "25a14a34dc6c18bd3da622e24292570d5276cdc3");
        let mut signed = body.clone();
        signed.insert("Sign".into(), Value::String(sign.to_uppercase()));
        assert!(ezr_verify_body(&signed, "HH1232D"));
        signed.insert("TotalAmount".into(), Value::from(2));
        assert!(!ezr_verify_body(&signed, "HH1232D"));
    }

    #[test]
    fn payzero_sorts_as_strings() {
        // Digits sort before letters, so the timestamp comes first, then `msgBody` `{`… after the
        // token's letters: the order is by bytes, not by field name.
        let sig = payzero_notification_signature("tok", "1555816968018", "{\"a\":1}");
        assert_eq!(sig, sha1_hex("1555816968018tok{\"a\":1}".as_bytes()));
    }

    #[test]
    fn payzero_notification_verifies_on_raw_body() {
        let token = Secret::new("sign-token");
        let msg_body = r#"{"mchtOrderNo":"A1","payStatus":"PAY_SUCCEED"}"#;
        let sign = payzero_notification_signature("sign-token", "1555816968018", msg_body);
        let raw = serde_json::json!({
            "timestamp": 1555816968018u64, "msgType": "PAY_STATUS_NOTIFY",
            "msgBody": msg_body, "sign": sign.to_uppercase()
        })
        .to_string();
        assert!(verify_payzero_notification(raw.as_bytes(), &token).is_ok());
        // The same notification with the timestamp as a string verifies too.
        let raw_str = raw.replace("1555816968018", "\"1555816968018\"");
        assert!(verify_payzero_notification(raw_str.as_bytes(), &token).is_ok());
        let forged = raw.replace("PAY_SUCCEED", "PAY_FAILED");
        assert_eq!(
            verify_payzero_notification(forged.as_bytes(), &token).unwrap_err(),
            VerifyError::BadSignature
        );
        assert!(verify_payzero_notification(b"{not json", &token).is_err());
    }

    #[test]
    fn shouqianba_header_round_trips() {
        let body = br#"{"terminal_sn":"100","client_sn":"A1"}"#;
        let header = shouqianba_authorization("100", body, "key");
        let (sn, sign) = shouqianba_parse_authorization(&header).unwrap();
        assert_eq!(sn, "100");
        assert!(shouqianba_verify(body, sign, "key"));
        assert!(!shouqianba_verify(b"{\"terminal_sn\":\"101\"}", sign, "key"));
        assert_eq!(shouqianba_sign(b"", ""), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn webhook_signature_verifies_and_rejects() {
        let header = webhook_signature_header(&["whsec"], 1_700_000_000, b"{}");
        assert!(webhook_verify(&header, b"{}", "whsec", 1_700_000_010, 300).is_ok());
        assert_eq!(
            webhook_verify(&header, b"{ }", "whsec", 1_700_000_010, 300),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(webhook_verify(&header, b"{}", "whsec", 1_700_001_000, 300), Err(VerifyError::Stale));
        assert_eq!(webhook_verify("v1=ab", b"{}", "whsec", 0, 300), Err(VerifyError::MalformedHeader));
    }

    #[test]
    fn a_rotation_signs_with_every_secret() {
        let header = webhook_signature_header(&["old", "new"], 1_700_000_000, b"{}");
        assert_eq!(header.matches(",v1=").count(), 2);
        for secret in ["old", "new"] {
            assert!(webhook_verify(&header, b"{}", secret, 1_700_000_000, 300).is_ok());
        }
        assert_eq!(
            webhook_verify(&header, b"{}", "other", 1_700_000_000, 300),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?} {s}").contains("hunter2"));
    }
}
