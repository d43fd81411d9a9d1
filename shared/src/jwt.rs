//! The little of JWT that Payzero's login needs: reading `exp` from a token (the edge, which
//! refreshes before expiry) and issuing/checking HS256 tokens (the sandbox, which plays Payzero).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The claims Payzero's tokens carry (`sub`, `roles`, `iat`, `exp`; times in unix seconds).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    pub iat: u64,
    pub exp: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token is not three base64url parts")]
    Malformed,
    #[error("the token's signature does not match")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
}

fn claims_of(token: &str) -> Result<(&str, Claims), JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let _ = header;
    let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| JwtError::Malformed)?;
    let claims = serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)?;
    Ok((sig, claims))
}

/// Reads the claims without checking the signature: the edge only needs `exp` to know when to
/// refresh a token it received from Payzero over TLS.
pub fn read_claims_unverified(token: &str) -> Result<Claims, JwtError> {
    claims_of(token).map(|(_, c)| c)
}

fn mac(key: &[u8], signing_input: &str) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(signing_input.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// Issues an HS256 token (the sandbox's `/auth/login`).
pub fn issue_hs256(claims: &Claims, key: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let signing_input = format!("{header}.{payload}");
    let sig = URL_SAFE_NO_PAD.encode(mac(key, &signing_input));
    format!("{signing_input}.{sig}")
}

/// Checks an HS256 token's signature and expiry against `now` (unix seconds).
pub fn verify_hs256(token: &str, key: &[u8], now: u64) -> Result<Claims, JwtError> {
    let (sig, claims) = claims_of(token)?;
    let signing_input = &token[..token.len() - sig.len() - 1];
    let given = URL_SAFE_NO_PAD.decode(sig).map_err(|_| JwtError::Malformed)?;
    if !crate::sign::bytes_eq(&given, &mac(key, signing_input)) {
        return Err(JwtError::BadSignature);
    }
    if now >= claims.exp {
        return Err(JwtError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_exp_of_the_spec_example_token() {
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiIsInJvbGVzIjpbIlJPTEVfVVNFUiIsIlJPTEVfQURNSU4iXSwiaWF0IjoxNTUzMDY2OTg1LCJleHAiOjE1NTMwODEzODV9.KIfG8LOk2FoMgqXAU8DCg_cbci36OqbLUIHUdIXDsF0";
        let claims = read_claims_unverified(token).unwrap();
        assert_eq!(claims.sub, "admin");
        assert_eq!(claims.exp - claims.iat, 4 * 3600);
    }

    #[test]
    fn issued_tokens_verify_until_they_expire() {
        let claims = Claims { sub: "app".into(), roles: vec![], iat: 100, exp: 200 };
        let token = issue_hs256(&claims, b"k");
        assert_eq!(verify_hs256(&token, b"k", 150).unwrap(), claims);
        assert_eq!(verify_hs256(&token, b"k", 200), Err(JwtError::Expired));
        assert_eq!(verify_hs256(&token, b"other", 150), Err(JwtError::BadSignature));
        assert_eq!(verify_hs256("a.b", b"k", 150), Err(JwtError::Malformed));
    }
}
