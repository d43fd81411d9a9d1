//! Which shard object holds a small record: the merchant API's idempotency records and the order
//! index live in a fixed set of Durable Objects (`SHARDS` of each kind) picked by a hash of the
//! record's key, so a session creation makes one new object (the session) and only touches two
//! that exist. Also the rules for the objects of the earlier layout (one per idempotency key and
//! one per order number), which a deployment upgraded from it still reads for a while.

use crate::idempotency::{IN_FLIGHT_TIMEOUT_SECS, KEY_LIFETIME_SECS, Record};
use crate::session::MAX_SESSIONS_PER_ORDER;
use sha2::{Digest, Sha256};

/// How many shard objects each kind has. Fixed: a key's shard must never change while its record
/// lives (24 h for an idempotency key, for ever for an order number), so changing it needs the
/// old count read beside the new one. 32 objects of each kind take ≈ 16,000 requests/s at a few
/// hundred per object (docs/scaling.md).
pub const SHARDS: u32 = 32;

/// The shard (0..`SHARDS`) of `key`: the first four bytes of its SHA-256, big-endian, modulo
/// `SHARDS`. Stable across releases and platforms (a record is found again only under it).
pub fn shard_of(key: &str) -> u32 {
    let digest = Sha256::digest(key.as_bytes());
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % SHARDS
}

/// The object name of `key`'s shard. It starts with a space, which neither an idempotency key
/// (printable ASCII, no space) nor an order number (trimmed) can, so no object of the earlier
/// layout (named by the key or order number itself) has this name.
pub fn shard_name(key: &str) -> String {
    format!(" shard {:02}", shard_of(key))
}

/// How long after its last expiry a shard's expired records may wait before its cleanup alarm
/// deletes them: one alarm an hour at most, however many records expire (an expired record is
/// never used again: `idempotency::decide` ignores it).
pub const CLEANUP_EVERY_SECS: u64 = 3600;

/// When a shard should next delete expired records (unix seconds), given its earliest expiry and
/// when it last cleaned up: at that expiry, but not sooner than `CLEANUP_EVERY_SECS` after the
/// last cleanup.
pub fn next_cleanup(earliest_expiry: u64, last_cleanup: u64) -> u64 {
    earliest_expiry.max(last_cleanup.saturating_add(CLEANUP_EVERY_SECS))
}

/// When a record made now expires (unix seconds).
pub fn expiry_of(record: &Record) -> u64 {
    record.created.saturating_add(KEY_LIFETIME_SECS)
}

/// `PER_KEY_OBJECTS_UNTIL`: on a deployment upgraded from the layout with one object per key,
/// the time (unix seconds) after which no version of that layout serves any more. Unset on a
/// deployment that never ran it. Anything but a number is refused: a wrong setting must be seen.
pub fn per_key_objects_until(setting: Option<&str>) -> Result<Option<u64>, String> {
    match setting.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|_| format!("PER_KEY_OBJECTS_UNTIL must be unix seconds, not {text:?}")),
    }
}

/// Whether a key's object of the earlier layout may still hold a record that counts: its records
/// were all made before `until` and each lasts `KEY_LIFETIME_SECS` (a try still in flight then
/// is taken over after `IN_FLIGHT_TIMEOUT_SECS`, within the same lifetime).
pub fn consult_per_key_record(until: Option<u64>, now: u64) -> bool {
    until.is_some_and(|until| now < until.saturating_add(KEY_LIFETIME_SECS + IN_FLIGHT_TIMEOUT_SECS))
}

/// The record a shard decides on: its own while it lives, else the one the key's object of the
/// earlier layout holds (read-only, during `consult_per_key_record`).
pub fn current_record<'a>(
    own: Option<&'a Record>,
    earlier: Option<&'a Record>,
    now: u64,
) -> Option<&'a Record> {
    own.filter(|r| now < expiry_of(r)).or(earlier)
}

/// Whether a look-up of an order number must also read the order's object of the earlier layout:
/// on an upgraded deployment, until the shard has copied that object's list once after `until`
/// (before then, a version of the earlier layout may still add to it).
pub fn consult_per_order_object(until: Option<u64>, copied: bool) -> bool {
    until.is_some() && !copied
}

/// Whether a copy made at `now` is final: made after `until`, nothing is added to the earlier
/// object any more.
pub fn copy_is_final(until: Option<u64>, now: u64) -> bool {
    until.is_some_and(|until| now >= until)
}

/// An order's sessions with those its object of the earlier layout holds (all older than any the
/// shard recorded): newest first, without repeats, at most `MAX_SESSIONS_PER_ORDER`.
pub fn merge_earlier_sessions(sessions: &mut Vec<String>, earlier: &[String]) {
    for id in earlier {
        if !sessions.contains(id) {
            sessions.push(id.clone());
        }
    }
    sessions.truncate(MAX_SESSIONS_PER_ORDER);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idempotency::{Decision, StoredAnswer, decide};

    const T: u64 = 1_700_000_000;

    #[test]
    fn keys_spread_evenly_over_the_shards() {
        // Keys as shops make them (order numbers, with and without a prefix) and random-looking
        // ones: every shard gets within a quarter of its fair share.
        let families: [&dyn Fn(u32) -> String; 3] =
            [&|n| format!("order-{n}-create"), &|n| format!("{n}"), &|n| {
                format!("{:x}", n.wrapping_mul(2_654_435_761))
            }];
        for make in families {
            let mut counts = [0u32; SHARDS as usize];
            let total = 32_000;
            for n in 0..total {
                counts[shard_of(&make(n)) as usize] += 1;
            }
            let fair = total / SHARDS;
            for (shard, &count) in counts.iter().enumerate() {
                assert!(count.abs_diff(fair) <= fair / 4, "shard {shard}: {count} of {total} (fair {fair})");
            }
        }
    }

    #[test]
    fn a_key_keeps_its_shard() {
        // Pinned (the first four bytes of SHA-256, big-endian, mod 32): records are found again
        // only under these shards, in every release.
        assert_eq!(shard_of(""), 0xe3b0_c442 % 32);
        assert_eq!(shard_of("a"), 0xca97_8112 % 32);
        assert_eq!(shard_of("order-1001-create"), 0x524e_969f % 32);
        assert_eq!(shard_of("订单-1"), 0x8f10_3259 % 32);
        assert_eq!(shard_name("a"), " shard 18");
    }

    #[test]
    fn cleanup_waits_for_the_earliest_expiry_at_most_hourly() {
        assert_eq!(next_cleanup(T + 10, T), T + CLEANUP_EVERY_SECS);
        assert_eq!(next_cleanup(T + 2 * CLEANUP_EVERY_SECS, T), T + 2 * CLEANUP_EVERY_SECS);
    }

    #[test]
    fn the_settings_for_an_upgraded_deployment_are_read_strictly() {
        assert_eq!(per_key_objects_until(None), Ok(None));
        assert_eq!(per_key_objects_until(Some(" ")), Ok(None));
        assert_eq!(per_key_objects_until(Some("1700000000")), Ok(Some(T)));
        assert!(per_key_objects_until(Some("yesterday")).is_err());
    }

    fn answered(fingerprint: &str, created: u64) -> Record {
        Record {
            fingerprint: fingerprint.into(),
            created,
            started: created,
            answer: Some(StoredAnswer {
                status: 201,
                content_type: None,
                retry_after: None,
                body: "{}".into(),
            }),
        }
    }

    #[test]
    fn a_key_used_before_the_upgrade_is_answered_from_its_own_object_for_a_day() {
        let until = Some(T);
        let earlier = answered("f1", T - 60);
        assert!(!consult_per_key_record(None, T));
        assert!(consult_per_key_record(until, T + KEY_LIFETIME_SECS));
        assert!(!consult_per_key_record(until, T + KEY_LIFETIME_SECS + IN_FLIGHT_TIMEOUT_SECS));
        // The shard has nothing: the earlier record decides (a retry is replayed, another body
        // conflicts), and nothing is made again.
        let record = current_record(None, Some(&earlier), T + 10);
        assert!(matches!(decide(record, "f1", T + 10), Decision::Replay(_)));
        assert_eq!(decide(record, "f2", T + 10), Decision::Conflict);
        // A try in flight at the upgrade is waited for, then taken over as before.
        let in_flight = Record { answer: None, ..earlier.clone() };
        let record = current_record(None, Some(&in_flight), T - 59);
        assert_eq!(decide(record, "f1", T - 59), Decision::InProgress);
        // The shard's own live record comes first; an expired one gives way.
        let own = answered("f3", T + 5);
        assert_eq!(current_record(Some(&own), Some(&earlier), T + 10), Some(&own));
        assert_eq!(current_record(Some(&own), None, T + 5 + KEY_LIFETIME_SECS), None);
    }

    #[test]
    fn an_order_of_the_earlier_layout_is_read_until_copied_after_the_upgrade() {
        assert!(!consult_per_order_object(None, false));
        assert!(consult_per_order_object(Some(T), false));
        assert!(!consult_per_order_object(Some(T), true));
        assert!(!copy_is_final(Some(T), T - 1));
        assert!(copy_is_final(Some(T), T));
        let mut sessions = vec!["sess_new".to_owned(), "sess_b".to_owned()];
        merge_earlier_sessions(&mut sessions, &["sess_b".to_owned(), "sess_a".to_owned()]);
        assert_eq!(sessions, ["sess_new", "sess_b", "sess_a"]);
        let many: Vec<String> = (0..MAX_SESSIONS_PER_ORDER + 3).map(|n| format!("sess_{n}")).collect();
        merge_earlier_sessions(&mut sessions, &many);
        assert_eq!(sessions.len(), MAX_SESSIONS_PER_ORDER);
        assert_eq!(sessions[0], "sess_new");
    }
}
