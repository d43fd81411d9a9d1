//! The bank-card sign-up form's rules, shared by the widget (as the shopper types) and the edge
//! (the authority): GB 11643 identity-card checksum, Luhn (a warning only: some valid Chinese
//! cards fail it), mainland mobile numbers, CVV2 and expiry for credit cards, the bank list, and
//! the masked forms that are all anything but the gateway ever sees.

use crate::api::{CardField, CardSignupRequest, CardType, FieldProblem};
use crate::payzero::BankCode;

/// The banks of spec A.5, in the order the widget lists them.
pub const BANKS: &[BankCode] = &[
    BankCode::Icbc,
    BankCode::Abc,
    BankCode::Boc,
    BankCode::Ccb,
    BankCode::Bocom,
    BankCode::Citic,
    BankCode::Ceb,
    BankCode::Hxb,
    BankCode::Cmbc,
    BankCode::Cgb,
    BankCode::PingAn,
    BankCode::Cmb,
    BankCode::Cib,
    BankCode::Spdb,
    BankCode::BankOfShanghai,
    BankCode::NetsUnionTest,
];

/// Digits only, with the spaces and dashes a shopper types (or pastes) removed.
pub fn digits_of(input: &str) -> String {
    input.chars().filter(|c| !c.is_whitespace() && *c != '-').collect()
}

/// A card number grouped in fours as the shopper types it: `6217 9201 5105 0000`.
pub fn group_in_fours(input: &str) -> String {
    let digits: Vec<char> = digits_of(input).chars().collect();
    digits.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
}

/// Where the caret belongs in `grouped` (a number as `group_in_fours` shows it) so that
/// `digits_before` digits stand before it: regrouping as the shopper edits the middle of the
/// number keeps the caret where they were typing. A character index (the text is ASCII).
pub fn caret_after_digits(grouped: &str, digits_before: usize) -> usize {
    if digits_before == 0 {
        return 0;
    }
    let mut seen = 0;
    for (i, c) in grouped.chars().enumerate() {
        if c.is_ascii_digit() {
            seen += 1;
            if seen == digits_before {
                return i + 1;
            }
        }
    }
    grouped.chars().count()
}

/// Whether `digits` passes the Luhn check (ISO/IEC 7812). Only ASCII digits count.
pub fn luhn_ok(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A card number's shape: 13 to 19 digits (UnionPay cards are 16 to 19; some older debit cards
/// are shorter). Luhn is checked separately and only warns.
pub fn check_card_number(input: &str) -> Result<(), FieldProblem> {
    let digits = digits_of(input);
    if digits.is_empty() {
        return Err(FieldProblem::Missing);
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldProblem::NotDigits);
    }
    if !(13..=19).contains(&digits.len()) {
        return Err(FieldProblem::Length);
    }
    Ok(())
}

/// GB 11643-1999 check character of the first 17 digits of an identity-card number.
fn id_check_char(first17: &[u8]) -> Option<u8> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    Some(CHECK[(sum % 11) as usize])
}

/// An 18-character resident identity-card number: 17 digits, a birth date that exists, and the
/// GB 11643 check character (a digit or `X`, either case).
pub fn check_id_number(input: &str) -> Result<(), FieldProblem> {
    let id = input.trim().as_bytes();
    if id.is_empty() {
        return Err(FieldProblem::Missing);
    }
    if id.len() != 18 {
        return Err(FieldProblem::Length);
    }
    if !id[..17].iter().all(u8::is_ascii_digit)
        || !(id[17].is_ascii_digit() || id[17] == b'X' || id[17] == b'x')
    {
        return Err(FieldProblem::Format);
    }
    let number = |range: std::ops::Range<usize>| -> u32 {
        id[range].iter().fold(0, |n, b| n * 10 + u32::from(b - b'0'))
    };
    let (year, month, day) = (number(6..10), number(10..12), number(12..14));
    if !(1800..=2100).contains(&year) || !(1..=12).contains(&month) || day == 0 || day > days_in(year, month)
    {
        return Err(FieldProblem::Format);
    }
    match id_check_char(&id[..17]) {
        Some(check) if check == id[17].to_ascii_uppercase() => Ok(()),
        _ => Err(FieldProblem::Checksum),
    }
}

fn days_in(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A mainland China mobile number: 11 digits, `1` then `3`–`9`.
pub fn check_mobile(input: &str) -> Result<(), FieldProblem> {
    let m = digits_of(input);
    if m.is_empty() {
        return Err(FieldProblem::Missing);
    }
    if !m.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldProblem::NotDigits);
    }
    if m.len() != 11 {
        return Err(FieldProblem::Length);
    }
    if !m.starts_with('1') || !matches!(m.as_bytes()[1], b'3'..=b'9') {
        return Err(FieldProblem::Format);
    }
    Ok(())
}

/// The account holder's name as on the card: 2 to 30 characters, no digits or control
/// characters (Chinese names may carry `·`).
pub fn check_account_name(input: &str) -> Result<(), FieldProblem> {
    let name = input.trim();
    if name.is_empty() {
        return Err(FieldProblem::Missing);
    }
    let count = name.chars().count();
    if !(2..=30).contains(&count) {
        return Err(FieldProblem::Length);
    }
    if name.chars().any(|c| c.is_control() || c.is_ascii_digit()) {
        return Err(FieldProblem::Format);
    }
    Ok(())
}

/// A credit card's CVV2: the 3 digits on its back.
pub fn check_cvv2(input: &str) -> Result<(), FieldProblem> {
    let cvv = input.trim();
    if cvv.is_empty() {
        return Err(FieldProblem::Missing);
    }
    if cvv.len() != 3 || !cvv.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldProblem::Format);
    }
    Ok(())
}

/// A credit card's expiry as `yyMM` (the spec's `validdate`), not before `today`'s month
/// (`(year, month)` in China time, e.g. `(2026, 11)`).
pub fn check_expiry(input: &str, today: (u32, u32)) -> Result<(), FieldProblem> {
    let e = input.trim();
    if e.is_empty() {
        return Err(FieldProblem::Missing);
    }
    if e.len() != 4 || !e.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldProblem::Format);
    }
    let yy: u32 = e[..2].parse().map_err(|_| FieldProblem::Format)?;
    let mm: u32 = e[2..].parse().map_err(|_| FieldProblem::Format)?;
    if !(1..=12).contains(&mm) {
        return Err(FieldProblem::Format);
    }
    if (2000 + yy, mm) < today {
        return Err(FieldProblem::Expired);
    }
    Ok(())
}

/// A bank of A.5.
pub fn check_bank(code: &str) -> Result<BankCode, FieldProblem> {
    if code.trim().is_empty() {
        return Err(FieldProblem::Missing);
    }
    BANKS.iter().find(|b| b.as_str() == code.trim()).cloned().ok_or(FieldProblem::NotInList)
}

/// A payment SMS code: the 6 digits the shopper received.
pub fn check_sms_code(input: &str) -> Result<(), FieldProblem> {
    let code = input.trim();
    if code.is_empty() {
        return Err(FieldProblem::Missing);
    }
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldProblem::Format);
    }
    Ok(())
}

/// Every problem of a sign-up form at `today` (`(year, month)`, China time), field by field, in
/// the form's order. CVV2 and expiry are checked only for credit cards, and must be absent (or
/// empty) for debit cards so they are never forwarded needlessly. Luhn is not here: it only warns
/// (`luhn_ok`).
pub fn check_signup(form: &CardSignupRequest, today: (u32, u32)) -> Vec<(CardField, FieldProblem)> {
    let mut problems = Vec::new();
    let mut check = |field: CardField, result: Result<(), FieldProblem>| {
        if let Err(problem) = result {
            problems.push((field, problem));
        }
    };
    check(CardField::AccountName, check_account_name(&form.account_name));
    check(CardField::CardNumber, check_card_number(form.card_number.expose()));
    check(CardField::BankCode, check_bank(&form.bank_code).map(|_| ()));
    check(CardField::IdNumber, check_id_number(form.id_number.expose()));
    check(CardField::Mobile, check_mobile(form.mobile.expose()));
    let cvv2 = form.cvv2.as_ref().map(|c| c.expose()).filter(|c| !c.trim().is_empty());
    let expiry = form.expiry.as_ref().map(|e| e.expose()).filter(|e| !e.trim().is_empty());
    match form.card_type {
        CardType::Credit => {
            check(CardField::Cvv2, check_cvv2(cvv2.unwrap_or_default()));
            check(CardField::Expiry, check_expiry(expiry.unwrap_or_default(), today));
        }
        _ => {
            if cvv2.is_some() {
                check(CardField::Cvv2, Err(FieldProblem::NotForDebit));
            }
            if expiry.is_some() {
                check(CardField::Expiry, Err(FieldProblem::NotForDebit));
            }
        }
    }
    if matches!(form.card_type, CardType::Unknown(_)) {
        check(CardField::CardType, Err(FieldProblem::NotInList));
    }
    problems
}

// Tests fail by panicking, so `unwrap` is the point there; the workspace lint is for library code.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::mask::{CardNumber, IdNumber, PhoneNumber, Redacted};

    const TODAY: (u32, u32) = (2026, 11);

    #[test]
    fn identity_numbers_follow_gb_11643() {
        // Real-shaped numbers with correct check characters (computed by the rule, incl. `X`).
        assert_eq!(check_id_number("11010519491231002X"), Ok(()));
        assert_eq!(check_id_number("11010519491231002x"), Ok(()));
        assert_eq!(check_id_number("440524188001010014"), Ok(()));
        assert_eq!(check_id_number("310113198010101232"), Ok(()));
        // One digit changed, a wrong check character, transposed digits.
        assert_eq!(check_id_number("11010519491231003X"), Err(FieldProblem::Checksum));
        assert_eq!(check_id_number("310113198010101234"), Err(FieldProblem::Checksum));
        assert_eq!(check_id_number("310113198001101233"), Err(FieldProblem::Checksum));
        // Shapes: length, letters, a birth date that does not exist.
        assert_eq!(check_id_number("31011319801010123"), Err(FieldProblem::Length));
        assert_eq!(check_id_number("31011319801010123A"), Err(FieldProblem::Format));
        assert_eq!(check_id_number("310113198002301236"), Err(FieldProblem::Format));
        assert_eq!(check_id_number("310113198013101231"), Err(FieldProblem::Format));
        assert_eq!(check_id_number(""), Err(FieldProblem::Missing));
        // 29 February exists in leap years only.
        assert_eq!(check_id_number("110105200002290013"), Ok(()));
        assert_eq!(check_id_number("110105190002290011"), Err(FieldProblem::Format));
    }

    #[test]
    fn luhn_warns_about_typos() {
        assert!(luhn_ok("4111111111111111"));
        assert!(luhn_ok("6212260200100000005"));
        assert!(!luhn_ok("4111111111111112"));
        assert!(!luhn_ok("41111111a1111111"));
        assert!(!luhn_ok(""));
        assert_eq!(check_card_number("6217 9201 5105 0000"), Ok(()));
        assert_eq!(check_card_number("6217-9201"), Err(FieldProblem::Length));
        assert_eq!(check_card_number("6217 92O1 5105 0000"), Err(FieldProblem::NotDigits));
        assert_eq!(check_card_number("12345678901234567890"), Err(FieldProblem::Length));
        assert_eq!(group_in_fours("62179201510500001"), "6217 9201 5105 0000 1");
        assert_eq!(group_in_fours("6217 92"), "6217 92");
        // Typing a digit after the 4th: the caret follows the 5th digit, past the new space.
        assert_eq!(caret_after_digits("6217 9920 1510 5000 0", 5), 6);
        assert_eq!(caret_after_digits("6217 9201", 4), 4);
        assert_eq!(caret_after_digits("6217 9201", 0), 0);
        assert_eq!(caret_after_digits("6217", 9), 4);
    }

    #[test]
    fn mobiles_are_mainland_numbers() {
        assert_eq!(check_mobile("13800138000"), Ok(()));
        assert_eq!(check_mobile("199 0000 1111"), Ok(()));
        assert_eq!(check_mobile("12800138000"), Err(FieldProblem::Format));
        assert_eq!(check_mobile("23800138000"), Err(FieldProblem::Format));
        assert_eq!(check_mobile("1380013800"), Err(FieldProblem::Length));
        assert_eq!(check_mobile("+8613800138000"), Err(FieldProblem::NotDigits));
    }

    #[test]
    fn credit_only_fields() {
        assert_eq!(check_cvv2("123"), Ok(()));
        assert_eq!(check_cvv2("12"), Err(FieldProblem::Format));
        assert_eq!(check_cvv2("12a"), Err(FieldProblem::Format));
        assert_eq!(check_expiry("2611", TODAY), Ok(()));
        assert_eq!(check_expiry("3001", TODAY), Ok(()));
        assert_eq!(check_expiry("2610", TODAY), Err(FieldProblem::Expired));
        assert_eq!(check_expiry("2613", TODAY), Err(FieldProblem::Format));
        assert_eq!(check_expiry("11/26", TODAY), Err(FieldProblem::Format));

        let mut form = CardSignupRequest {
            account_name: "张三".into(),
            card_number: CardNumber::new("6217920151050000"),
            card_type: CardType::Debit,
            bank_code: "999".into(),
            id_number: IdNumber::new("310113198010101232"),
            mobile: PhoneNumber::new("13800138000"),
            cvv2: None,
            expiry: None,
        };
        assert!(check_signup(&form, TODAY).is_empty());
        // Debit: CVV2/expiry are refused so they are never forwarded.
        form.cvv2 = Some(Redacted::new("123"));
        assert_eq!(check_signup(&form, TODAY), vec![(CardField::Cvv2, FieldProblem::NotForDebit)]);
        // Credit: both are required.
        form.card_type = CardType::Credit;
        assert_eq!(check_signup(&form, TODAY), vec![(CardField::Expiry, FieldProblem::Missing)]);
        form.expiry = Some(Redacted::new("2812"));
        assert!(check_signup(&form, TODAY).is_empty());
        // Several problems come back in the form's order.
        form.account_name = " ".into();
        form.bank_code = "0999".into();
        form.mobile = PhoneNumber::new("123");
        let fields: Vec<CardField> = check_signup(&form, TODAY).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec![CardField::AccountName, CardField::BankCode, CardField::Mobile]);
    }

    #[test]
    fn names_and_banks() {
        assert_eq!(check_account_name("张三"), Ok(()));
        assert_eq!(check_account_name("阿卜杜·热合曼"), Ok(()));
        assert_eq!(check_account_name("张"), Err(FieldProblem::Length));
        assert_eq!(check_account_name("张3"), Err(FieldProblem::Format));
        assert_eq!(check_bank("0308"), Ok(BankCode::Cmb));
        assert_eq!(check_bank("999"), Ok(BankCode::NetsUnionTest));
        assert_eq!(check_bank("1234"), Err(FieldProblem::NotInList));
        assert_eq!(BANKS.len(), 16);
        assert!(BANKS.iter().all(|b| b.name_zh().is_some() && b.name_en().is_some()));
        assert_eq!(check_sms_code("012345"), Ok(()));
        assert_eq!(check_sms_code("01234"), Err(FieldProblem::Format));
    }
}
