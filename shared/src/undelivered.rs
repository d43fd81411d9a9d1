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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// The oldest `limit` entries (1 to `MAX_LIMIT`), after the entry `after` names (a
    /// `next_cursor`) when given.
    List {
        limit: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<String>,
    },
}

/// `GET /v1/events?delivered=false`: the events given up, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UndeliveredList {
    pub data: Vec<Undelivered>,
    /// More entries than `limit` exist after these: ask again with `cursor=` the `next_cursor`.
    pub has_more: bool,
    /// With `has_more`: where the next page starts (opaque; pass it as `cursor`). Paging does
    /// not need the events to be resent first, so newer events are reachable while older ones
    /// still fail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// What a `GET /v1/events` query asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListQuery {
    /// 1 to `MAX_LIMIT`; 20 when not given.
    pub limit: u32,
    /// The `next_cursor` of the page before, if any.
    pub after: Option<String>,
}

/// The query of `GET /v1/events` (`delivered`, `limit`, `cursor`), or why it is refused. Only
/// `delivered=false` is listed merchant-wide; a session's events, delivered or not, are at
/// `GET /v1/sessions/{id}/events`.
pub fn list_query(
    delivered: Option<&str>,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> Result<ListQuery, &'static str> {
    if delivered != Some("false") {
        return Err("only `delivered=false` is listed across sessions; a session's events are at \
                    GET /v1/sessions/{id}/events");
    }
    let limit = match limit {
        None => 20,
        Some(text) => match text.parse::<u32>() {
            Ok(n @ 1..=MAX_LIMIT) => n,
            _ => return Err("limit must be a whole number from 1 to 100"),
        },
    };
    let after = match cursor {
        None => None,
        Some(text) if is_cursor(text) => Some(text.to_owned()),
        Some(_) => return Err("cursor must be the `next_cursor` of an earlier page"),
    };
    Ok(ListQuery { limit, after })
}

/// Whether `text` has the shape of a `next_cursor` (an entry's key without its prefix: twelve
/// digits, then a session id and an event id), so nothing else reaches the storage listing.
fn is_cursor(text: &str) -> bool {
    let mut parts = text.split('/');
    let (Some(created), Some(session), Some(event), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let id =
        |s: &str| (1..=100).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    created.len() == 12 && created.bytes().all(|b| b.is_ascii_digit()) && id(session) && id(event)
}

/// The storage key the listing of a page after `cursor` starts at (inclusive: the object reads
/// one more, and `page` drops the cursor's own entry if it is still there).
pub fn start_at(cursor: &str) -> String {
    format!("{KEY_PREFIX}{cursor}")
}

/// The answer for the first `limit` of `entries` (in key order; the object reads `limit + 2`
/// from `start_at(after)`) that come after the cursor `after`.
pub fn page(entries: Vec<Undelivered>, limit: u32, after: Option<&str>) -> UndeliveredList {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let start = after.map(start_at);
    let mut entries: Vec<_> =
        entries.into_iter().filter(|e| start.as_ref().is_none_or(|start| e.key() > *start)).collect();
    let has_more = entries.len() > limit;
    entries.truncate(limit);
    let next_cursor =
        has_more.then(|| entries.last().map(|e| e.key().trim_start_matches(KEY_PREFIX).to_owned())).flatten();
    UndeliveredList { data: entries, has_more, next_cursor }
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

    fn limit_of(delivered: Option<&str>, limit: Option<&str>) -> Result<u32, &'static str> {
        list_query(delivered, limit, None).map(|q| q.limit)
    }

    #[test]
    fn the_query_takes_delivered_false_and_a_bounded_limit() {
        assert_eq!(limit_of(Some("false"), None), Ok(20));
        assert_eq!(limit_of(Some("false"), Some("100")), Ok(100));
        for delivered in [Some("true"), None, Some("0"), Some("FALSE")] {
            assert!(limit_of(delivered, None).is_err(), "{delivered:?}");
        }
        assert!(limit_of(None, Some("5")).is_err());
        for limit in ["0", "101", "-1", "ten", "", "1e2"] {
            assert!(limit_of(Some("false"), Some(limit)).is_err(), "{limit}");
        }
    }

    #[test]
    fn a_cursor_is_taken_only_in_the_shape_pages_give_it() {
        let cursor = page(vec![entry(7, "sess_a"), entry(8, "sess_b")], 1, None).next_cursor.unwrap();
        assert_eq!(cursor, "000000000007/sess_a/evt_sess_a_1");
        assert_eq!(list_query(Some("false"), None, Some(&cursor)).unwrap().after, Some(cursor.clone()));
        for bad in [
            "",
            "7/sess_a/evt_1",
            "000000000007/sess_a",
            "000000000007/sess_a/evt/x",
            "000000000007/../evt_1",
            "000000000007/sess a/evt_1",
            "u/000000000007/sess_a/evt_1",
        ] {
            assert!(list_query(Some("false"), None, Some(bad)).is_err(), "{bad:?}");
        }
        // The next page starts after the cursor's entry, whether or not it is still listed.
        let later = vec![entry(7, "sess_a"), entry(7, "sess_b"), entry(8, "sess_a")];
        let next = page(later.clone(), 5, Some(&cursor));
        assert_eq!(next.data, later[1..]);
        assert_eq!(page(later[1..].to_vec(), 5, Some(&cursor)).data, later[1..]);
        assert!(later.iter().all(|e| start_at(&cursor) <= e.key()), "the listing starts at the cursor");
    }

    #[test]
    fn an_event_id_that_extends_the_cursors_is_not_skipped() {
        let mut tenth = entry(7, "sess_a");
        tenth.id = "evt_sess_a_10".into();
        let cursor = page(vec![entry(7, "sess_a"), tenth.clone()], 1, None).next_cursor.unwrap();
        assert_eq!(page(vec![entry(7, "sess_a"), tenth.clone()], 5, Some(&cursor)).data, vec![tenth]);
    }

    #[test]
    fn a_page_says_whether_more_remain_and_where_they_start() {
        let entries: Vec<_> = (0..3).map(|i| entry(i, "sess_a")).collect();
        let page2 = page(entries.clone(), 2, None);
        assert_eq!((page2.data.len(), page2.has_more), (2, true));
        assert_eq!(page2.next_cursor.as_deref(), Some(entries[1].key().trim_start_matches(KEY_PREFIX)));
        let all = page(entries, 3, None);
        assert_eq!((all.data.len(), all.has_more, all.next_cursor), (3, false, None));
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
