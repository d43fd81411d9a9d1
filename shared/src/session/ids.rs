//! Session ids, client secrets and the order numbers of attempts. The session id in front of a
//! client secret or an order number lets the edge find the session's object; the object then
//! compares the whole secret in constant time.

use crate::sign;
use serde::{Deserialize, Serialize};
use std::fmt;

pub(crate) const SESSION_PREFIX: &str = "sess_";
const SECRET_INFIX: &str = "_secret_";

/// `sess_` + 24 lowercase hex characters from 12 random bytes.
pub fn new_session_id(random: [u8; 12]) -> String {
    format!("{SESSION_PREFIX}{}", hex::encode(random))
}

/// `{session id}_secret_{32 hex}`: the session id in front lets the edge find the Durable Object,
/// and the random tail is what the object checks, in constant time, against the whole stored value.
pub fn new_client_secret(session_id: &str, random: [u8; 16]) -> String {
    format!("{session_id}{SECRET_INFIX}{}", hex::encode(random))
}

/// Whether `text` has the shape of a session id (so arbitrary path text never names an object).
pub fn is_session_id(text: &str) -> bool {
    text.strip_prefix(SESSION_PREFIX)
        .is_some_and(|hex| hex.len() == 24 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// The session id a client secret claims to belong to; `None` when it is not of our shape.
/// The claim is only a routing hint: the session object compares the whole secret.
pub fn session_id_of_secret(client_secret: &str) -> Option<&str> {
    let (id, tail) = client_secret.split_once(SECRET_INFIX)?;
    let tail_ok = tail.len() == 32 && tail.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    (is_session_id(id) && tail_ok).then_some(id)
}

/// The most sessions one shop order number is remembered with (a shop rarely makes more than a
/// few: one per checkout try). Past it, the oldest is forgotten by the look-up, not the session.
pub const MAX_SESSIONS_PER_ORDER: usize = 50;

/// Adds `id` to the sessions of one shop order (`GET /v1/sessions?merchant_order_no=`), newest
/// first, without repeats, at most `MAX_SESSIONS_PER_ORDER`.
pub fn remember_session(sessions: &mut Vec<String>, id: &str) {
    sessions.retain(|s| s != id);
    sessions.insert(0, id.to_owned());
    sessions.truncate(MAX_SESSIONS_PER_ORDER);
}

/// A session's client secret. It authorises acting on one session, so it never prints.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientSecret(String);

impl ClientSecret {
    pub fn new(value: impl Into<String>) -> Self {
        ClientSecret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison with a secret a client presented.
    pub fn matches(&self, presented: &str) -> bool {
        sign::bytes_eq(self.0.as_bytes(), presented.as_bytes())
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret([REDACTED])")
    }
}

/// The gateway order number of attempt `index` of a session: `{session id}_{index}`, unique per
/// attempt as every gateway demands, at most 36 characters (every gateway allows 64).
pub fn attempt_order_no(session_id: &str, index: u32) -> String {
    format!("{session_id}_{index}")
}

/// The session an order number belongs to: `sess_…` itself (the numbering of the first release,
/// one Payzero order per session) or `sess_…_{n}`. `None` for an order the checkout did not make.
pub fn session_id_of_order_no(order_no: &str) -> Option<&str> {
    let id = order_no.get(..SESSION_PREFIX.len() + 24)?;
    let rest = &order_no[id.len()..];
    let tail_ok = rest.is_empty()
        || rest
            .strip_prefix('_')
            .is_some_and(|n| !n.is_empty() && n.len() <= 9 && n.bytes().all(|b| b.is_ascii_digit()));
    (is_session_id(id) && tail_ok).then_some(id)
}
