//! Times as the gateways write them. Payzero and EZR write China time (UTC+8, no DST) as
//! `yyyyMMddHHmmss` / `yyyy-MM-dd HH:mm:ss`; Shouqianba writes Unix milliseconds; the admin API
//! adds ISO 8601 UTC. The calendar arithmetic is the proleptic Gregorian one, from days since
//! the Unix epoch.

/// China is UTC+8 all year.
const CHINA_OFFSET_MS: i64 = 8 * 3600 * 1000;

/// Civil date (year, month 1–12, day 1–31) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Eras of 400 years (146 097 days) starting on 0000-03-01, so leap days fall at year end.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, u32::try_from(month).unwrap_or(1), u32::try_from(day).unwrap_or(1))
}

/// The parts of a moment at a given offset: (year, month, day, hour, minute, second, millis).
fn parts(ms: u64, offset_ms: i64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let local = i64::try_from(ms).unwrap_or(i64::MAX - CHINA_OFFSET_MS).saturating_add(offset_ms);
    let days = local.div_euclid(86_400_000);
    let in_day = local.rem_euclid(86_400_000);
    let (y, mo, d) = civil_from_days(days);
    let secs = u32::try_from(in_day / 1000).unwrap_or(0);
    let millis = u32::try_from(in_day % 1000).unwrap_or(0);
    (y, mo, d, secs / 3600, secs / 60 % 60, secs % 60, millis)
}

/// `yyyyMMddHHmmss`, China time (Payzero `paymentDatetime`).
pub(crate) fn compact(ms: u64) -> String {
    let (y, mo, d, h, mi, s, _) = parts(ms, CHINA_OFFSET_MS);
    format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}")
}

/// `yyyyMMddHHmmssSSS`, China time (Payzero `dispBatchNum`, as in the spec's example).
pub(crate) fn compact_millis(ms: u64) -> String {
    let (y, mo, d, h, mi, s, milli) = parts(ms, CHINA_OFFSET_MS);
    format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}{milli:03}")
}

/// `yyyy-MM-dd HH:mm:ss`, China time (EZR times, the admin clock).
pub(crate) fn dashed(ms: u64) -> String {
    let (y, mo, d, h, mi, s, _) = parts(ms, CHINA_OFFSET_MS);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

/// `yyyy-MM-ddTHH:mm:ss.SSSZ`, UTC (Spring-style error bodies, the admin clock).
pub(crate) fn iso_utc(ms: u64) -> String {
    let (y, mo, d, h, mi, s, milli) = parts(ms, 0);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

/// The China calendar day of a moment, as a day count (a Shouqianba key's day).
pub(crate) fn china_day(ms: u64) -> u64 {
    let local = i64::try_from(ms).unwrap_or(i64::MAX - CHINA_OFFSET_MS).saturating_add(CHINA_OFFSET_MS);
    u64::try_from(local.div_euclid(86_400_000)).unwrap_or(0)
}

/// Whether `text` is `yyyy-MM-dd HH:mm:ss` naming a real moment (Payzero's `orderDatetime`
/// format, "支持格式 yyyy-MM-dd HH:mm:ss").
pub(crate) fn is_dashed_datetime(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return false;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        let part = text.get(from..to)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok()).flatten()
    };
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) =
        (num(0, 4), num(5, 7), num(8, 10), num(11, 13), num(14, 16), num(17, 19))
    else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&d) && h < 24 && mi < 60 && s < 60
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_the_specs_examples() {
        // Payzero's 2.1 example: createdTime 1553070224475 is 2019-03-20 16:23:44.475 in China
        // (its dispBatchNum, 20190320162344842, names the same second).
        assert_eq!(compact_millis(1_553_070_224_475), "20190320162344475");
        // Shouqianba's pay example finished at 1449569460430 (2015-12-08 18:11:00 in China).
        assert_eq!(dashed(1_449_569_460_430), "2015-12-08 18:11:00");
        assert_eq!(compact(1_449_569_460_430), "20151208181100");
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_utc(951_782_400_000), "2000-02-29T00:00:00.000Z");
        // 16:00 UTC is midnight in China: the next day starts.
        assert_eq!(china_day(57_600_000), 1);
        assert_eq!(china_day(57_599_999), 0);
    }

    #[test]
    fn dashed_datetimes_are_checked_for_real_dates() {
        assert!(is_dashed_datetime("2019-04-02 11:11:46"));
        assert!(is_dashed_datetime("2020-02-29 23:59:59"));
        for bad in [
            "2019-02-29 00:00:00",
            "2019-04-02T11:11:46",
            "2019-04-02 24:00:00",
            "2019-4-02 11:11:46",
            "２019-04-02 11:11:46",
            "",
        ] {
            assert!(!is_dashed_datetime(bad), "{bad}");
        }
    }
}
