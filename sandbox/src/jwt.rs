//! The Payzero token (spec §1: a JWT, see jwt.io; valid four hours; the JWT carries its own
//! expiry). The spec's example token has the header `{"alg":"HS256"}` and the claims `sub`,
//! `roles`, `iat`, `exp`; the sandbox issues the same shape, signed HMAC-SHA256 (RFC 7515/7519)
//! with its own key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub(crate) sub: String,
    pub(crate) roles: Vec<String>,
    pub(crate) iat: u64,
    pub(crate) exp: u64,
}

/// Why a token is refused (all answered 401).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    Malformed,
    Signature,
    Expired,
}

const HEADER: &str = r#"{"alg":"HS256"}"#;

fn mac(key: &[u8]) -> Option<Hmac<Sha256>> {
    Hmac::<Sha256>::new_from_slice(key).ok()
}

/// `header.claims.signature`, each part base64url without padding.
pub(crate) fn issue(claims: &Claims, key: &[u8]) -> String {
    let body = serde_json::to_vec(claims).unwrap_or_default();
    let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(HEADER), URL_SAFE_NO_PAD.encode(body));
    let signature = mac(key)
        .map(|mut m| {
            m.update(signing_input.as_bytes());
            m.finalize().into_bytes().to_vec()
        })
        .unwrap_or_default();
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// The claims of a token this key signed, if it has not expired at `now_s`.
pub(crate) fn verify(token: &str, key: &[u8], now_s: u64) -> Result<Claims, Refused> {
    let mut parts = token.split('.');
    let (Some(header), Some(body), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refused::Malformed);
    };
    let header = URL_SAFE_NO_PAD.decode(header).map_err(|_| Refused::Malformed)?;
    let header: serde_json::Value = serde_json::from_slice(&header).map_err(|_| Refused::Malformed)?;
    if header.get("alg").and_then(serde_json::Value::as_str) != Some("HS256") {
        return Err(Refused::Malformed);
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| Refused::Malformed)?;
    let mut m = mac(key).ok_or(Refused::Signature)?;
    let signing_input = token.rfind('.').and_then(|i| token.get(..i)).ok_or(Refused::Malformed)?;
    m.update(signing_input.as_bytes());
    m.verify_slice(&signature).map_err(|_| Refused::Signature)?;
    let body = URL_SAFE_NO_PAD.decode(body).map_err(|_| Refused::Malformed)?;
    let claims: Claims = serde_json::from_slice(&body).map_err(|_| Refused::Malformed)?;
    if now_s >= claims.exp {
        return Err(Refused::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: u64) -> Claims {
        Claims { sub: "admin".into(), roles: vec!["ROLE_USER".into()], iat: 1_553_066_985, exp }
    }

    #[test]
    fn issued_tokens_verify_until_they_expire() {
        let key = b"k".repeat(32);
        let t = issue(&claims(1_553_081_385), &key);
        assert!(t.starts_with("eyJhbGciOiJIUzI1NiJ9."), "the spec example's header: {t}");
        assert_eq!(verify(&t, &key, 1_553_081_384), Ok(claims(1_553_081_385)));
        assert_eq!(verify(&t, &key, 1_553_081_385), Err(Refused::Expired));
        assert_eq!(verify(&t, b"other", 0), Err(Refused::Signature));
        let mut tampered = t.clone();
        tampered.insert(30, 'x');
        assert!(verify(&tampered, &key, 0).is_err());
        assert_eq!(verify("a.b", &key, 0), Err(Refused::Malformed));
        assert_eq!(verify("", &key, 0), Err(Refused::Malformed));
    }

    #[test]
    fn the_specs_example_token_reads_as_the_same_shape() {
        // spec §1: sub admin, roles, iat 1553066985, exp 4 h later.
        let example = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiIsInJvbGVzIjpbIlJPTEVfVVNFUiIsIlJPTEVfQURNSU4iXSwiaWF0IjoxNTUzMDY2OTg1LCJleHAiOjE1NTMwODEzODV9.KIfG8LOk2FoMgqXAU8DCg_cbci36OqbLUIHUdIXDsF0";
        let body = example.split('.').nth(1).unwrap_or("");
        let c: Claims =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).unwrap_or_default()).unwrap_or(claims(0));
        assert_eq!(c.exp - c.iat, 4 * 3600);
        assert_eq!(c.sub, "admin");
        assert_eq!(verify(example, b"not payzero's key", 0), Err(Refused::Signature));
    }
}
