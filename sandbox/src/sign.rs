//! The three gateways' signatures, each written from its spec's text:
//! - Payzero notifications (§3.2): `timestamp`, `msgBody` and the merchant's `signToken` sorted
//!   in dictionary order, concatenated, SHA-1, lowercase hex;
//! - Shouqianba (二.2): `sign = MD5(CONCAT(body + secret))` over the exact body bytes, sent as
//!   `Authorization: {terminal_sn} {sign}`;
//! - EZR (签名算法): every parameter but `Sign`, plus `Token`, empty values left out, sorted by
//!   name in ASCII order, joined `k=v&…` with raw values, SHA-1, lowercase.

use md5::Md5;
use sha1::{Digest, Sha1};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two texts in time that does not depend on where they differ.
pub(crate) fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Payzero §3.2. "字典顺序" is read as the order of the strings' bytes (UTF-8), which for these
/// three (a token, a run of digits, a JSON text) is the order of their first differing character.
pub(crate) fn payzero_notification(sign_token: &str, timestamp: &str, msg_body: &str) -> String {
    let mut parts = [sign_token, timestamp, msg_body];
    parts.sort_unstable();
    let mut h = Sha1::new();
    for p in parts {
        h.update(p.as_bytes());
    }
    hex(&h.finalize())
}

/// Shouqianba: MD5 of the body bytes followed by the key, lowercase hex.
pub(crate) fn shouqianba(body: &[u8], key: &str) -> String {
    let mut h = Md5::new();
    h.update(body);
    h.update(key.as_bytes());
    hex(&h.finalize())
}

/// Whether `sign` is the Shouqianba signature of `body` with `key`. The spec does not say which
/// case the hex digits are in, so either is accepted.
pub(crate) fn shouqianba_ok(body: &[u8], sign: &str, key: &str) -> bool {
    same_text(&shouqianba(body, key), &sign.to_ascii_lowercase())
}

/// `Authorization: {signer} {sign}` split at its first space; `None` when either part is empty.
pub(crate) fn shouqianba_authorization(header: &str) -> Option<(&str, &str)> {
    let (signer, sign) = header.trim().split_once(' ')?;
    let (signer, sign) = (signer.trim(), sign.trim());
    (!signer.is_empty() && !sign.is_empty() && !sign.contains(' ')).then_some((signer, sign))
}

/// EZR's `string1` from (name, raw value) pairs: `Sign` and empty values left out, `Token`
/// added, sorted by name in ASCII (byte) order, `k=v` joined with `&`.
pub(crate) fn ezr_string1<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    token: &'a str,
) -> String {
    let mut pairs: Vec<(&str, &str)> =
        params.into_iter().filter(|(k, v)| *k != "Sign" && *k != "Token" && !v.is_empty()).collect();
    pairs.push(("Token", token));
    pairs.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// EZR's signature of `string1`: SHA-1, lowercase hex.
pub(crate) fn ezr(string1: &str) -> String {
    let mut h = Sha1::new();
    h.update(string1.as_bytes());
    hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ezr_reproduces_the_specs_worked_example() {
        // The example's string1 names the description `OrderBody`; its parameter list (and the
        // pay API) call it `Body`. The printed digest is the one of string1 as printed.
        let params = [
            ("AppId", "EZP"),
            ("Timestamp", "20160523235959"),
            ("ShopCode", "HQ01S001"),
            ("UserCode", "KB1001"),
            ("AuthCode", "130115575166786427"),
            ("OrderBody", "刷卡支付测试"),
            ("SpbillCreateIp", "127.0.0.1"),
            ("TotalAmount", "1"),
            ("VipOldCode", "EZ0541688"),
            ("Empty", ""),
            ("Sign", "ignored"),
        ];
        let string1 = ezr_string1(params, "HH1232D");
        assert_eq!(
            string1,
            "AppId=EZP&AuthCode=130115575166786427&OrderBody=刷卡支付测试&ShopCode=HQ01S001&SpbillCreateIp=127.0.0.1&Timestamp=20160523235959&Token=HH1232D&TotalAmount=1&UserCode=KB1001&VipOldCode=EZ0541688"
        );
        assert_eq!(ezr(&string1), "25a14a34dc6c18bd3da622e24292570d5276cdc3");
    }

    #[test]
    fn payzero_sorts_the_three_parts() {
        // Same parts in any order give the same signature; a changed byte another.
        let a = payzero_notification("tok", "1555816968018", "{\"a\":1}");
        let mut h = Sha1::new();
        h.update(b"1555816968018tok{\"a\":1}");
        assert_eq!(a, hex(&h.finalize()));
        assert_ne!(a, payzero_notification("tok", "1555816968019", "{\"a\":1}"));
    }

    #[test]
    fn shouqianba_signs_body_then_key() {
        let mut h = Md5::new();
        h.update(b"{}key");
        let expected = hex(&h.finalize());
        assert_eq!(shouqianba(b"{}", "key"), expected);
        assert!(shouqianba_ok(b"{}", &expected.to_ascii_uppercase(), "key"));
        assert!(!shouqianba_ok(b"{} ", &expected, "key"));
        assert_eq!(shouqianba_authorization("sn1 abc"), Some(("sn1", "abc")));
        assert_eq!(shouqianba_authorization("sn1"), None);
        assert_eq!(shouqianba_authorization("sn1 a b"), None);
    }
}
