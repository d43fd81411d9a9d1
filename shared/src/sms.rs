//! SMS abuse limits (PRODUCT.md): a resend cooldown and a cap per session, and caps per phone
//! number and per client address per hour and per day. The session enforces its own; the
//! per-phone and per-address windows live in one Durable Object per key (`SmsWindow` is its
//! whole logic). Time is an argument everywhere.

use crate::sign::Secret;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 24 * HOUR_MS;

/// The limits, from the edge's `SMS_*` settings; every one has a documented default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsLimits {
    /// Seconds between two codes of one session (`SMS_COOLDOWN_SECS`, ≥ 60).
    pub cooldown_secs: u64,
    /// Codes one session may send (`SMS_PER_SESSION`).
    pub per_session: u32,
    /// Codes one phone number may receive per hour and per day, across sessions.
    pub per_phone_hour: u32,
    pub per_phone_day: u32,
    /// Codes one client address may cause per hour and per day, across sessions.
    pub per_client_hour: u32,
    pub per_client_day: u32,
}

impl Default for SmsLimits {
    fn default() -> Self {
        SmsLimits {
            cooldown_secs: 60,
            per_session: 8,
            per_phone_hour: 5,
            per_phone_day: 10,
            per_client_hour: 10,
            per_client_day: 30,
        }
    }
}

/// The setting names and what each sets, in the order the README lists them.
pub const SETTINGS: &[&str] = &[
    "SMS_COOLDOWN_SECS",
    "SMS_PER_SESSION",
    "SMS_PER_PHONE_HOUR",
    "SMS_PER_PHONE_DAY",
    "SMS_PER_CLIENT_HOUR",
    "SMS_PER_CLIENT_DAY",
];

impl SmsLimits {
    /// The limits from the edge's settings (`lookup(name)`; unset or empty: the default). A value
    /// that is not a positive whole number, or a cooldown under 60 s, is a configuration error.
    pub fn from_settings(lookup: impl Fn(&str) -> Option<String>) -> Result<SmsLimits, String> {
        let defaults = SmsLimits::default();
        let read = |name: &str, default: u64, min: u64| -> Result<u64, String> {
            match lookup(name).as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                None => Ok(default),
                Some(text) => {
                    text.parse::<u64>().ok().filter(|v| *v >= min && *v <= 100_000).ok_or_else(|| {
                        format!("{name} must be a whole number from {min} to 100000, not \"{text}\"")
                    })
                }
            }
        };
        let count = |name: &str, default: u32| -> Result<u32, String> {
            read(name, u64::from(default), 1).map(|v| u32::try_from(v).unwrap_or(u32::MAX))
        };
        Ok(SmsLimits {
            cooldown_secs: read("SMS_COOLDOWN_SECS", defaults.cooldown_secs, 60)?,
            per_session: count("SMS_PER_SESSION", defaults.per_session)?,
            per_phone_hour: count("SMS_PER_PHONE_HOUR", defaults.per_phone_hour)?,
            per_phone_day: count("SMS_PER_PHONE_DAY", defaults.per_phone_day)?,
            per_client_hour: count("SMS_PER_CLIENT_HOUR", defaults.per_client_hour)?,
            per_client_day: count("SMS_PER_CLIENT_DAY", defaults.per_client_day)?,
        })
    }
}

/// What one limiter key is: a phone number or a client address (both as keyed hashes; the
/// clear values never reach storage).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SmsKey {
    /// `phone:{tag}` or `client:{tag}`: the Durable Object's name.
    pub name: String,
    pub per_hour: u32,
    pub per_day: u32,
}

impl SmsKey {
    pub fn phone(tag: &str, limits: &SmsLimits) -> SmsKey {
        SmsKey {
            name: format!("phone:{tag}"),
            per_hour: limits.per_phone_hour,
            per_day: limits.per_phone_day,
        }
    }

    pub fn client(tag: &str, limits: &SmsLimits) -> SmsKey {
        SmsKey {
            name: format!("client:{tag}"),
            per_hour: limits.per_client_hour,
            per_day: limits.per_client_day,
        }
    }
}

/// A keyed hash of a phone number or a client address (`kind` keeps the two apart): what the
/// limiters and the phone lock compare, so the clear value is never stored. 128 bits of
/// HMAC-SHA256 under the edge's `PERSONAL_DATA_KEY`.
pub fn personal_tag(key: &Secret, kind: &str, value: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.expose().as_bytes()) else {
        // HMAC takes keys of any length; this cannot happen.
        return String::new();
    };
    mac.update(kind.as_bytes());
    mac.update(b":");
    mac.update(value.as_bytes());
    let digest = mac.finalize().into_bytes();
    hex::encode(&digest[..16])
}

/// The codes sent for one key in the last day, oldest first: a sliding window per hour and per
/// day.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsWindow {
    pub sent_ms: Vec<u64>,
}

impl SmsWindow {
    /// Takes one code at `now_ms` if the caps allow it; otherwise the seconds until one would be
    /// allowed, and nothing is recorded.
    pub fn take(&mut self, now_ms: u64, per_hour: u32, per_day: u32) -> Result<(), u64> {
        // A send stamped later than `now` (a session whose test clock runs ahead) still counts.
        self.sent_ms.retain(|t| now_ms.saturating_sub(*t) < DAY_MS);
        let wait_for = |window_ms: u64, cap: u32| -> Option<u64> {
            let inside: Vec<u64> =
                self.sent_ms.iter().copied().filter(|t| now_ms.saturating_sub(*t) < window_ms).collect();
            let cap = usize::try_from(cap).unwrap_or(usize::MAX);
            // The cap-th newest send must leave the window before another is allowed.
            (inside.len() >= cap).then(|| {
                let oldest_counted = inside[inside.len() - cap.max(1)];
                (oldest_counted + window_ms).saturating_sub(now_ms).div_ceil(1000).max(1)
            })
        };
        let wait = [wait_for(HOUR_MS, per_hour), wait_for(DAY_MS, per_day)].into_iter().flatten().max();
        match wait {
            Some(secs) => Err(secs),
            None => {
                self.sent_ms.push(now_ms);
                Ok(())
            }
        }
    }
}

// Tests fail by panicking, so `unwrap` is the point there; the workspace lint is for library code.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const T0: u64 = 1_800_000_000_000;

    #[test]
    fn the_hourly_cap_holds_and_frees_as_the_window_slides() {
        let mut w = SmsWindow::default();
        for i in 0..3 {
            assert_eq!(w.take(T0 + i * 60_000, 3, 10), Ok(()));
        }
        // The 4th within the hour waits until the first leaves the window.
        assert_eq!(w.take(T0 + 180_000, 3, 10), Err(3_600 - 180));
        assert_eq!(w.sent_ms.len(), 3, "a refusal records nothing");
        assert_eq!(w.take(T0 + HOUR_MS - 1, 3, 10), Err(1));
        assert_eq!(w.take(T0 + HOUR_MS, 3, 10), Ok(()));
    }

    #[test]
    fn the_daily_cap_holds_across_hours() {
        let mut w = SmsWindow::default();
        for i in 0..4 {
            assert_eq!(w.take(T0 + i * HOUR_MS, 5, 4), Ok(()));
        }
        let now = T0 + 5 * HOUR_MS;
        assert_eq!(w.take(now, 5, 4), Err((T0 + DAY_MS - now) / 1000));
        assert_eq!(w.take(T0 + DAY_MS, 5, 4), Ok(()));
        // Old entries are dropped, so the stored window stays small.
        assert!(w.sent_ms.len() <= 4);
    }

    #[test]
    fn tags_are_keyed_and_kept_apart() {
        let key = Secret::new("k1");
        let a = personal_tag(&key, "phone", "13800138000");
        assert_eq!(a.len(), 32);
        assert_eq!(a, personal_tag(&key, "phone", "13800138000"));
        assert_ne!(a, personal_tag(&key, "client", "13800138000"));
        assert_ne!(a, personal_tag(&Secret::new("k2"), "phone", "13800138000"));
        assert!(!a.contains("138"));
    }

    #[test]
    fn settings_have_defaults_and_refuse_nonsense() {
        assert_eq!(SmsLimits::from_settings(|_| None), Ok(SmsLimits::default()));
        let custom = SmsLimits::from_settings(|name| (name == "SMS_PER_PHONE_DAY").then(|| "3".to_owned()));
        assert_eq!(custom.unwrap().per_phone_day, 3);
        assert!(SmsLimits::from_settings(|name| (name == "SMS_COOLDOWN_SECS").then(|| "30".into())).is_err());
        assert!(SmsLimits::from_settings(|name| (name == "SMS_PER_SESSION").then(|| "0".into())).is_err());
        assert!(
            SmsLimits::from_settings(|name| (name == "SMS_PER_CLIENT_HOUR").then(|| "many".into())).is_err()
        );
        assert_eq!(SETTINGS.len(), 6);
        let limits = SmsLimits::default();
        assert_eq!(SmsKey::phone("ab", &limits).name, "phone:ab");
        assert_eq!(SmsKey::client("cd", &limits).per_day, limits.per_client_day);
    }
}
