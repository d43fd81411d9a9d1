//! The merchant-wide list of webhook events given up after their last retry, so a merchant whose
//! endpoint was down can find every one without knowing which sessions they belong to
//! (`GET /v1/events?delivered=false`). Each session stays the record of its own events (`GET
//! /v1/sessions/{id}/events`); this list is an index the session keeps current through a queued
//! call (`Op::UndeliveredEvent`): an entry when an event is given up, its removal when a resend
//! delivers it. One Durable Object holds it, one storage key per entry (`Undelivered::key`), so
//! it has no size limit and lists oldest first.

use crate::api::WebhookEvent;
use serde::{Deserialize, Serialize};

/// One event given up: which session, which event, and how many attempts were made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undelivered {
    pub session_id: String,
    /// The event's id (`evt_…`), as in the webhook and in `POST
    /// /v1/sessions/{session_id}/events/{id}/resend`.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Unix seconds.
    pub created: u64,
    pub attempts: u32,
}

/// Where the storage keys of the entries start.
pub const KEY_PREFIX: &str = "u/";

/// At most this many entries in one answer.
pub const MAX_LIMIT: u32 = 100;

impl Undelivered {
    pub fn of(event: &WebhookEvent, attempts: u32) -> Undelivered {
        Undelivered {
            session_id: event.data.id.clone(),
            id: event.id.clone(),
            kind: event.kind.clone(),
            created: event.created,
            attempts,
        }
    }

    /// The entry's storage key: unique per event, and in key order oldest first (the creation
    /// time zero-padded to 12 digits, good until the year 33658).
    pub fn key(&self) -> String {
        format!("{KEY_PREFIX}{:012}/{}/{}", self.created, self.session_id, self.id)
    }
}

/// What a session or the merchant route asks the list's object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum LedgerRequest {
    /// The event was given up (again, after a resend that failed: the entry is replaced).
    GaveUp { event: Undelivered },
    /// A resend delivered it: the entry goes.
    Delivered { event: Undelivered },
    /// The oldest `limit` entries (1 to `MAX_LIMIT`).
    List { limit: u32 },
}

/// `GET /v1/events?delivered=false`: the events given up, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndeliveredList {
    pub data: Vec<Undelivered>,
    /// More entries than `limit` exist: resend these (each then leaves the list) and ask again.
    pub has_more: bool,
}

/// The `limit` a `GET /v1/events` query asks for (`None`: the default, 20), or why it is refused.
/// Only `delivered=false` is listed merchant-wide; a session's events, delivered or not, are at
/// `GET /v1/sessions/{id}/events`.
pub fn list_query(delivered: Option<&str>, limit: Option<&str>) -> Result<u32, &'static str> {
    if delivered != Some("false") {
        return Err("only `delivered=false` is listed across sessions; a session's events are at \
                    GET /v1/sessions/{id}/events");
    }
    match limit {
        None => Ok(20),
        Some(text) => match text.parse::<u32>() {
            Ok(n @ 1..=MAX_LIMIT) => Ok(n),
            _ => Err("limit must be a whole number from 1 to 100"),
        },
    }
}

/// The answer for the first `limit` of `entries` (in key order; the object reads `limit + 1`).
pub fn page(mut entries: Vec<Undelivered>, limit: u32) -> UndeliveredList {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let has_more = entries.len() > limit;
    entries.truncate(limit);
    UndeliveredList { data: entries, has_more }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(created: u64, session: &str) -> Undelivered {
        Undelivered {
            session_id: session.into(),
            id: format!("evt_{session}_1"),
            kind: "checkout.session.paid".into(),
            created,
            attempts: 9,
        }
    }

    #[test]
    fn keys_sort_oldest_first_and_are_unique_per_event() {
        let (old, new) = (entry(999, "sess_b"), entry(1_000, "sess_a"));
        assert!(old.key() < new.key(), "{} {}", old.key(), new.key());
        assert_ne!(entry(5, "sess_a").key(), entry(5, "sess_b").key());
        assert!(old.key().starts_with(KEY_PREFIX));
    }

    #[test]
    fn the_query_takes_delivered_false_and_a_bounded_limit() {
        assert_eq!(list_query(Some("false"), None), Ok(20));
        assert_eq!(list_query(Some("false"), Some("100")), Ok(100));
        for delivered in [Some("true"), None, Some("0"), Some("FALSE")] {
            assert!(list_query(delivered, None).is_err(), "{delivered:?}");
        }
        assert!(list_query(None, Some("5")).is_err());
        for limit in ["0", "101", "-1", "ten", "", "1e2"] {
            assert!(list_query(Some("false"), Some(limit)).is_err(), "{limit}");
        }
    }

    #[test]
    fn a_page_says_whether_more_remain() {
        let entries: Vec<_> = (0..3).map(|i| entry(i, "sess_a")).collect();
        let page2 = page(entries.clone(), 2);
        assert_eq!((page2.data.len(), page2.has_more), (2, true));
        let all = page(entries, 3);
        assert_eq!((all.data.len(), all.has_more), (3, false));
    }

    #[test]
    fn requests_and_entries_travel_as_json() {
        let request = LedgerRequest::GaveUp { event: entry(7, "sess_a") };
        let text = serde_json::to_string(&request).unwrap();
        assert!(
            text.contains(r#""op":"gave_up""#) && text.contains(r#""type":"checkout.session.paid""#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<LedgerRequest>(&text).unwrap(), request);
    }
}
