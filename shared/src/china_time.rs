//! Date and time text in the gateways' formats, computed from Unix milliseconds without a date
//! library: the gateways all speak China Standard Time (UTC+8, no daylight saving). Shared by the
//! edge (EZR timestamps, Shouqianba key days) and the sandbox.

/// Seconds China Standard Time is ahead of UTC.
const CST_OFFSET_S: u64 = 8 * 3600;

/// A broken-down civil time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub millis: u32,
}

/// Days since 1970-01-01 → (year, month, day), after Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    // The arithmetic bounds d to 1..=31 and m to 1..=12.
    (y, u32::try_from(m).unwrap_or(1), u32::try_from(d).unwrap_or(1))
}

/// The civil time in China for a Unix millisecond instant.
pub fn china(ms: u64) -> Civil {
    let local_s = ms / 1000 + CST_OFFSET_S;
    let days = i64::try_from(local_s / 86_400).unwrap_or(0);
    let secs_of_day = local_s % 86_400;
    let (year, month, day) = civil_from_days(days);
    let part = |v: u64| u32::try_from(v).unwrap_or(0);
    Civil {
        year,
        month,
        day,
        hour: part(secs_of_day / 3600),
        minute: part(secs_of_day % 3600 / 60),
        second: part(secs_of_day % 60),
        millis: part(ms % 1000),
    }
}

/// The `(year, month)` in China at an instant, as a card's expiry is compared with it.
pub fn year_month(ms: u64) -> (u32, u32) {
    let civil = china(ms);
    (u32::try_from(civil.year).unwrap_or(0), civil.month)
}

/// The China calendar day number of an instant: it changes at midnight Beijing time, which is
/// when a Shouqianba terminal key goes stale.
pub fn china_day(ms: u64) -> u64 {
    (ms / 1000).saturating_add(CST_OFFSET_S) / 86_400
}

/// `yyyyMMddHHmmss` (Payzero `paymentDatetime`, EZR timestamps).
pub fn compact(ms: u64) -> String {
    let c = china(ms);
    format!("{:04}{:02}{:02}{:02}{:02}{:02}", c.year, c.month, c.day, c.hour, c.minute, c.second)
}

/// `yyyyMMddHHmmssSSS` (Payzero `dispBatchNum`).
pub fn compact_millis(ms: u64) -> String {
    format!("{}{:03}", compact(ms), china(ms).millis)
}

/// `yyyy-MM-dd HH:mm:ss` (EZR `ServerTime`, `FinishTime`).
pub fn dashed(ms: u64) -> String {
    let c = china(ms);
    format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", c.year, c.month, c.day, c.hour, c.minute, c.second)
}

/// ISO 8601 in UTC with milliseconds (admin API, Spring-style error bodies).
pub fn iso_utc(ms: u64) -> String {
    let days = i64::try_from(ms / 86_400_000).unwrap_or(0);
    let (y, m, d) = civil_from_days(days);
    let rem = ms % 86_400_000;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem % 3_600_000 / 60_000,
        rem % 60_000 / 1000,
        rem % 1000
    )
}

/// Checks `yyyy-MM-dd HH:mm:ss` (Payzero `orderDatetime`) for shape and plausible ranges.
pub fn is_dashed_datetime(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 19 {
        return false;
    }
    let shape_ok = b.iter().enumerate().all(|(i, c)| match i {
        4 | 7 => *c == b'-',
        10 => *c == b' ',
        13 | 16 => *c == b':',
        _ => c.is_ascii_digit(),
    });
    if !shape_ok {
        return false;
    }
    let num = |r: std::ops::Range<usize>| text.get(r).and_then(|s| s.parse::<u32>().ok()).unwrap_or(99);
    (1..=12).contains(&num(5..7))
        && (1..=31).contains(&num(8..10))
        && num(11..13) < 24
        && num(14..16) < 60
        && num(17..19) < 60
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_china_time() {
        // 1555816968018 ms = 2019-04-21 03:22:48.018 UTC = 11:22:48 in Beijing.
        assert_eq!(compact(1_555_816_968_018), "20190421112248");
        assert_eq!(compact_millis(1_555_816_968_018), "20190421112248018");
        assert_eq!(dashed(1_555_816_968_018), "2019-04-21 11:22:48");
        assert_eq!(iso_utc(1_555_816_968_018), "2019-04-21T03:22:48.018Z");
        // Leap day and the turn of a year.
        assert_eq!(compact(951_782_400_000 - 8 * 3_600_000), "20000229000000");
        assert_eq!(dashed(1_704_038_399_000), "2023-12-31 23:59:59");
    }

    #[test]
    fn china_day_turns_at_beijing_midnight() {
        let before = 1_704_038_399_000; // 2023-12-31 23:59:59 CST
        assert_eq!(china_day(before) + 1, china_day(before + 1000));
    }

    #[test]
    fn order_datetime_shape() {
        assert!(is_dashed_datetime("2019-03-20 06:57:29"));
        assert!(!is_dashed_datetime("2019-13-20 06:57:29"));
        assert!(!is_dashed_datetime("2019-03-20T06:57:29"));
        assert!(!is_dashed_datetime("20190320065729"));
    }
}
