//! The whole run's leak scan: after every scenario, each line the edge and the demo shop printed,
//! each webhook the test endpoints received and every answer a browser received (through the
//! harness's recording proxy: pages, scripts, the wasm, API answers, framed pages, whatever the
//! origin) is searched for the stack's credentials and for
//! the personal data the suite types in. That data is found as the literals of the suite's own
//! sources (card, ID and phone numbers), so a test that types a new number is covered without
//! a list to keep. The sandbox plays the gateways, which are meant to receive it, and is left out.

use anyhow::{Result, bail};
use checkout_tests::{Stack, root, take_every_browser_answer, take_every_webhook, take_recorders_started};
use std::sync::OnceLock;

/// Checks the stack's logs, the webhooks received and the browsers' answers since the last scan.
/// What the shopper types goes from the browser, never back to it: only answers are scanned.
pub(crate) fn no_leak_in_logs_webhooks_or_browsers(stack: &Stack) -> Result<()> {
    let personal = personal_data_in_sources();
    let secrets: Vec<&str> = stack.creds.secrets().into_iter().filter(|s| s.len() >= 8).collect();
    let mut places: Vec<(String, String)> = stack.our_full_logs();
    for (n, body) in take_every_webhook().iter().enumerate() {
        places.push((format!("webhook #{n}"), String::from_utf8_lossy(body).into_owned()));
    }
    let answers = take_every_browser_answer();
    let browsers = take_recorders_started();
    if browsers > 0 && answers.is_empty() {
        bail!("{browsers} browser(s) ran but the recording proxy kept no answer: the scan would see nothing");
    }
    let bytes: usize = answers.iter().map(|(_, answer)| answer.len()).sum();
    eprintln!(
        "leak scan: {} logs and webhooks, {} browser answers ({bytes} bytes)",
        places.len(),
        answers.len()
    );
    for (request, answer) in answers {
        places.push((
            format!("the browser's answer to {request:?}"),
            String::from_utf8_lossy(&answer).into_owned(),
        ));
    }
    for (place, text) in &places {
        if let Some(found) = leak_in(text, personal, &secrets) {
            bail!("{place} holds {found}");
        }
    }
    Ok(())
}

/// The first leak in `text`: a personal number standing alone (not inside a longer run of
/// digits, such as a timestamp) or a credential anywhere. Named by kind, not by value.
fn leak_in(text: &str, personal: &[String], secrets: &[&str]) -> Option<String> {
    for line in text.lines() {
        if let Some(value) = personal.iter().find(|value| stands_alone(line, value)) {
            return Some(format!("the unmasked {} {value:?} in the line {line:?}", kind(value)));
        }
        if let Some(index) = secrets.iter().position(|secret| line.contains(secret)) {
            return Some(format!("configured secret #{index} of `Credentials::secrets`"));
        }
    }
    None
}

fn stands_alone(line: &str, value: &str) -> bool {
    line.match_indices(value).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + value.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

fn kind(value: &str) -> &'static str {
    if is_phone(value) {
        "phone number"
    } else if is_id_number(value) {
        "ID number"
    } else {
        "card number"
    }
}

/// Every string literal of `tests/it/*.rs` shaped like a card, ID or phone number, read once.
fn personal_data_in_sources() -> &'static [String] {
    static FOUND: OnceLock<Vec<String>> = OnceLock::new();
    FOUND.get_or_init(|| {
        let mut found = Vec::new();
        let dir = root().join("tests").join("it");
        let sources = std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path());
        for path in sources.filter(|p| p.extension().is_some_and(|e| e == "rs")) {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            // The odd pieces between quotes are the literals (no test quotes a quote near one).
            for literal in text.split('"').skip(1).step_by(2) {
                if is_phone(literal) || is_id_number(literal) || is_card_number(literal) {
                    found.push(literal.to_owned());
                }
            }
        }
        found.sort();
        found.dedup();
        found
    })
}

fn digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// A mainland mobile number: 11 digits, `1` then 3–9.
fn is_phone(text: &str) -> bool {
    digits(text) && text.len() == 11 && text.starts_with('1') && !text[1..2].starts_with(['0', '1', '2'])
}

/// An 18-character resident ID (17 digits and a digit or `X`) with a plausible birth date, valid
/// checksum or not (a wrong one is typed too); a cashier's 18-digit payment code has no date.
fn is_id_number(text: &str) -> bool {
    if text.len() != 18 || !text.is_ascii() {
        return false;
    }
    let (body, check) = text.split_at(17);
    let year = body.get(6..10).and_then(|y| y.parse::<u32>().ok());
    let month = body.get(10..12).and_then(|m| m.parse::<u32>().ok());
    digits(body)
        && (digits(check) || check == "X")
        && year.is_some_and(|y| (1900..=2099).contains(&y))
        && month.is_some_and(|m| (1..=12).contains(&m))
}

/// A bank card number, as typed with or without the groups of four: 16–19 digits of a UnionPay,
/// Visa or Mastercard range.
fn is_card_number(text: &str) -> bool {
    let plain: String = text.chars().filter(|c| *c != ' ').collect();
    digits(&plain)
        && (16..=19).contains(&plain.len())
        && (plain.starts_with("62") || plain.starts_with(['4', '5']))
}

#[test]
fn the_leak_scan_finds_what_the_suite_types_and_passes_masked_forms() {
    let personal = personal_data_in_sources();
    for wanted in [crate::cards::CARD, crate::cards::ID, "13800138000", "6217 9201 5105 0000"] {
        assert!(personal.iter().any(|p| p == wanted), "{wanted} not found in the sources: {personal:?}");
    }
    // A cashier's payment code and an order number are not personal data.
    assert!(!personal.iter().any(|p| p == "134567890123450000"), "{personal:?}");
    let secrets = ["sk_test_0123456789"];
    for leaking in [
        "card 6217920151050000 signed",
        "{\"mobile\":\"13800138000\"}",
        "id=310113198010101232",
        "Bearer sk_test_0123456789",
        "6217 9201 5105 0000",
    ] {
        assert!(leak_in(leaking, personal, &secrets).is_some(), "missed in {leaking:?}");
    }
    for clean in [
        "card 6217 **** **** 0000, 138****8000, 3101**********1232",
        "[wrangler:info] POST /v1/sessions 201 Created (87ms) at 1796598913800138000",
        "gateway order 7894187169129071",
    ] {
        assert!(leak_in(clean, personal, &secrets).is_none(), "flagged {clean:?}");
    }
}
