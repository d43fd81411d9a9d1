//! Idempotency keys of the merchant API, with Stripe's semantics: a `POST` repeated with the same
//! `Idempotency-Key` and the same body gets the first answer again, without doing anything again;
//! the same key with another body is `409 idempotency_conflict`. The rule lives here, time as an
//! argument; the edge's `IdempotencyKeys` shards (`crate::shard`) only store the records.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long a key is remembered after its first use: at least the 24 h the API promises.
pub const KEY_LIFETIME_SECS: u64 = 24 * 3600;
/// A request still running after this long is taken to have died without an answer (the worker
/// was stopped mid-way): its key may be used again. Every edge call ends well before.
pub const IN_FLIGHT_TIMEOUT_SECS: u64 = 120;
/// The longest key accepted (Stripe's limit).
pub const MAX_KEY_LEN: usize = 255;

/// A key is 1–255 printable ASCII characters: it is a header value and a storage name.
pub fn is_valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_LEN && key.bytes().all(|b| b.is_ascii_graphic())
}

/// What identifies "the same request": the method, the path and the exact body, hashed.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    for part in [method.as_bytes(), b"\n", path.as_bytes(), b"\n", body] {
        hash.update(part);
    }
    hex::encode(hash.finalize())
}

/// What is kept for one key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub fingerprint: String,
    /// Unix seconds of the first use.
    pub created: u64,
    /// Unix seconds when the current try started.
    pub started: u64,
    /// The answer, once there is one to repeat.
    pub answer: Option<StoredAnswer>,
}

/// An answer as the edge relays it (status, the headers that matter, the JSON text), kept to be
/// repeated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAnswer {
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
    pub body: String,
}

/// What to do with a request that carries a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Do the request; the record to store first (it marks the key as in flight).
    Proceed(Record),
    /// Answer this again: the same request was answered before.
    Replay(StoredAnswer),
    /// Refuse with `409 idempotency_conflict`: the key was used for another request.
    Conflict,
    /// Refuse with `409 request_in_progress` (retry soon): the same request is running now.
    InProgress,
}

/// Decides for a request with `fingerprint` at `now`, given what the key's record holds.
pub fn decide(record: Option<&Record>, fingerprint: &str, now: u64) -> Decision {
    let fresh = || Record { fingerprint: fingerprint.to_owned(), created: now, started: now, answer: None };
    let Some(record) = record.filter(|r| now < r.created.saturating_add(KEY_LIFETIME_SECS)) else {
        return Decision::Proceed(fresh());
    };
    if record.fingerprint != fingerprint {
        return Decision::Conflict;
    }
    match &record.answer {
        Some(answer) => Decision::Replay(answer.clone()),
        None if now < record.started.saturating_add(IN_FLIGHT_TIMEOUT_SECS) => Decision::InProgress,
        // The try that held the key never finished: this one takes over.
        None => Decision::Proceed(Record { started: now, ..record.clone() }),
    }
}

/// Whether an answer is kept to be repeated. Answers that changed something (2xx) or that the
/// same request will always get (4xx but 409 and 429) are; a `429`, a `409` about a concurrent
/// request and every `5xx` (nothing was done, or the gateway may answer otherwise next time)
/// release the key, so a retry runs again.
pub fn keeps(status: u16) -> bool {
    (200..300).contains(&status) || ((400..500).contains(&status) && status != 409 && status != 429)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 1_700_000_000;

    fn answered(status: u16) -> Record {
        Record {
            fingerprint: "f1".into(),
            created: T,
            started: T,
            answer: Some(StoredAnswer { status, content_type: None, retry_after: None, body: "{}".into() }),
        }
    }

    #[test]
    fn keys_are_printable_ascii_up_to_255() {
        assert!(is_valid_key("order-1001-create"));
        assert!(is_valid_key(&"k".repeat(255)));
        for bad in ["", "with space", "tab\t", "换行", &"k".repeat(256)] {
            assert!(!is_valid_key(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_fingerprint_covers_method_path_and_body() {
        let base = fingerprint("POST", "/v1/sessions", b"{}");
        assert_eq!(base, fingerprint("POST", "/v1/sessions", b"{}"));
        assert_ne!(base, fingerprint("POST", "/v1/sessions", b"{ }"));
        assert_ne!(base, fingerprint("POST", "/v1/sessions/x/cancel", b"{}"));
        assert_ne!(base, fingerprint("DELETE", "/v1/sessions", b"{}"));
        // The separator keeps path and body apart.
        assert_ne!(fingerprint("POST", "/a", b"b"), fingerprint("POST", "/a\nb", b""));
    }

    #[test]
    fn a_new_key_proceeds_and_marks_itself_in_flight() {
        let Decision::Proceed(record) = decide(None, "f1", T) else { panic!("proceeds") };
        assert_eq!(record, Record { fingerprint: "f1".into(), created: T, started: T, answer: None });
        assert_eq!(decide(Some(&record), "f1", T + 1), Decision::InProgress);
        assert_eq!(decide(Some(&record), "f2", T + 1), Decision::Conflict);
    }

    #[test]
    fn the_same_request_is_answered_again_another_is_a_conflict() {
        let record = answered(201);
        let Decision::Replay(answer) = decide(Some(&record), "f1", T + 60) else { panic!("replays") };
        assert_eq!(answer.status, 201);
        assert_eq!(decide(Some(&record), "f2", T + 60), Decision::Conflict);
    }

    #[test]
    fn keys_last_24_hours() {
        let record = answered(201);
        assert!(matches!(decide(Some(&record), "f1", T + KEY_LIFETIME_SECS - 1), Decision::Replay(_)));
        assert!(matches!(decide(Some(&record), "f2", T + KEY_LIFETIME_SECS), Decision::Proceed(_)));
    }

    #[test]
    fn a_try_that_died_is_taken_over_after_the_timeout() {
        let record = Record { fingerprint: "f1".into(), created: T, started: T, answer: None };
        assert_eq!(decide(Some(&record), "f1", T + IN_FLIGHT_TIMEOUT_SECS - 1), Decision::InProgress);
        let Decision::Proceed(next) = decide(Some(&record), "f1", T + IN_FLIGHT_TIMEOUT_SECS) else {
            panic!("takes over")
        };
        assert_eq!((next.created, next.started), (T, T + IN_FLIGHT_TIMEOUT_SECS));
        // Another body still conflicts, even with the first try dead.
        assert_eq!(decide(Some(&record), "f2", T + IN_FLIGHT_TIMEOUT_SECS), Decision::Conflict);
    }

    #[test]
    fn only_final_answers_are_kept() {
        for kept in [200, 201, 204, 400, 401, 404, 413] {
            assert!(keeps(kept), "{kept}");
        }
        for released in [409, 429, 500, 502, 503, 504] {
            assert!(!keeps(released), "{released}");
        }
    }
}
