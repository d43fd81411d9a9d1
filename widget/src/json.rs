//! Decodes the edge's JSON answers into the shared API types with neither serde_json nor serde:
//! a small reader turns the text into a `Json` tree, and each answer type is built from it by a
//! hand-written `FromJson`. serde's derived visitors, instantiated for every type, cost the
//! widget about four times what these lines do (the size budget).
//!
//! The types stay the shared ones, so the widget cannot drift from the edge: each `FromJson`
//! builds its struct with every field named (a field added to the contract fails to compile
//! until it is read here too), and a native test checks every type against serde_json on the
//! same text, for full answers, minimal ones and wrong ones. The rules are serde's: unknown
//! fields are ignored, a missing `Option` is `None`, `#[serde(default)]` fields default, any
//! other missing field, a wrong type or an integer that does not fit is an error. The widget
//! never shows decode details: any failure is "the service answered something unexpected".

use checkout_shared::Fen;
use checkout_shared::api::{
    BarcodeState, BarcodeView, CardProblem, CardStep, CardType, CardView, Channel, CheckoutView, ErrorBody,
    ErrorCode, ErrorDetail, Locale, PaymentMethod, QrView, SavedCard, SessionStatus, StatusUpdate,
};
use std::convert::Infallible;
use std::str::FromStr;

/// The answer was not JSON, or not the shape the type expects.
#[derive(Debug, PartialEq)]
pub struct DecodeError;

/// A JSON value. Numbers keep their text: the API's are all integers, read exactly as `u64`
/// (a double would round above 2^53), and the ones no field wants are never converted.
#[derive(Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Parses `text` as JSON and decodes it as `T`.
pub fn from_str<T: FromJson>(text: &str) -> Result<T, DecodeError> {
    T::from_json(&parse(text)?)
}

/// Parses `text` as one JSON value (whitespace around it allowed, nothing else).
pub fn parse(text: &str) -> Result<Json, DecodeError> {
    let mut reader = Reader { bytes: text.as_bytes(), at: 0 };
    let value = reader.value(0)?;
    reader.space();
    if reader.at == reader.bytes.len() { Ok(value) } else { Err(DecodeError) }
}

/// Deeper than any answer of the API nests: a bound on the reader's recursion.
const MAX_DEPTH: u32 = 64;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Result<u8, DecodeError> {
        let byte = self.peek().ok_or(DecodeError)?;
        self.at += 1;
        Ok(byte)
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, word: &[u8]) -> Result<(), DecodeError> {
        let end = self.at + word.len();
        if self.bytes.get(self.at..end) != Some(word) {
            return Err(DecodeError);
        }
        self.at = end;
        Ok(())
    }

    fn value(&mut self, depth: u32) -> Result<Json, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError);
        }
        self.space();
        Ok(match self.peek().ok_or(DecodeError)? {
            b'n' => self.expect(b"null").map(|()| Json::Null)?,
            b't' => self.expect(b"true").map(|()| Json::Bool(true))?,
            b'f' => self.expect(b"false").map(|()| Json::Bool(false))?,
            b'"' => Json::String(self.string()?),
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if !self.close(b']') {
                    loop {
                        items.push(self.value(depth + 1)?);
                        if self.separator(b']')? {
                            break;
                        }
                    }
                }
                Json::Array(items)
            }
            b'{' => {
                self.at += 1;
                let mut fields = Vec::new();
                if !self.close(b'}') {
                    loop {
                        self.space();
                        let key = self.string()?;
                        self.space();
                        self.expect(b":")?;
                        fields.push((key, self.value(depth + 1)?));
                        if self.separator(b'}')? {
                            break;
                        }
                    }
                }
                Json::Object(fields)
            }
            _ => Json::Number(self.number()?),
        })
    }

    /// After `[` or `{`: whether the container is empty (and then consumes its end).
    fn close(&mut self, end: u8) -> bool {
        self.space();
        let empty = self.peek() == Some(end);
        if empty {
            self.at += 1;
        }
        empty
    }

    /// After an item: `,` (more follow) or the container's end.
    fn separator(&mut self, end: u8) -> Result<bool, DecodeError> {
        self.space();
        match self.next()? {
            b',' => Ok(false),
            b if b == end => Ok(true),
            _ => Err(DecodeError),
        }
    }

    /// `-? int frac? exp?` as JSON spells it, returned as written.
    fn number(&mut self) -> Result<String, DecodeError> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let int = self.digits();
        // JSON allows no leading zeros: `0` alone, or a digit 1–9 first.
        if int == 0 || (int > 1 && self.bytes[self.at - int] == b'0') {
            return Err(DecodeError);
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return Err(DecodeError);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return Err(DecodeError);
            }
        }
        String::from_utf8(self.bytes[start..self.at].to_vec()).map_err(|_| DecodeError)
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        self.at - start
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        self.expect(b"\"")?;
        let mut out = Vec::new();
        loop {
            match self.next()? {
                b'"' => break,
                b'\\' => {
                    let escaped = match self.next()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(DecodeError),
                    };
                    out.extend_from_slice(escaped.encode_utf8(&mut [0; 4]).as_bytes());
                }
                // Control characters must be escaped in JSON.
                b if b < 0x20 => return Err(DecodeError),
                b => out.push(b),
            }
        }
        // The text came from a `&str`, and escapes add whole characters: invalid UTF-8 here
        // means a byte sequence was cut, which cannot happen; refuse rather than guess.
        String::from_utf8(out).map_err(|_| DecodeError)
    }

    /// After `\u`: one character, from a pair of escapes when it lies beyond the BMP.
    fn unicode_escape(&mut self) -> Result<char, DecodeError> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            self.expect(b"\\u")?;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(DecodeError);
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or(DecodeError)
    }

    fn hex4(&mut self) -> Result<u32, DecodeError> {
        let mut value = 0;
        for _ in 0..4 {
            let digit = char::from(self.next()?).to_digit(16).ok_or(DecodeError)?;
            value = value * 16 + digit;
        }
        Ok(value)
    }
}

/// A type the widget reads from an answer.
pub trait FromJson: Sized {
    fn from_json(value: &Json) -> Result<Self, DecodeError>;

    /// The value of an absent field: an error, unless the type has a meaning for "absent".
    fn missing() -> Result<Self, DecodeError> {
        Err(DecodeError)
    }
}

/// A JSON object's fields, read by name.
struct Fields<'a>(&'a [(String, Json)]);

impl Fields<'_> {
    fn of(value: &Json) -> Result<Fields<'_>, DecodeError> {
        match value {
            Json::Object(fields) => Ok(Fields(fields)),
            _ => Err(DecodeError),
        }
    }

    fn find(&self, name: &str) -> Option<&Json> {
        self.0.iter().find(|(key, _)| key == name).map(|(_, value)| value)
    }

    /// A field as its type reads it (an absent `Option` is `None`).
    fn get<T: FromJson>(&self, name: &str) -> Result<T, DecodeError> {
        self.find(name).map_or_else(T::missing, T::from_json)
    }

    /// A `#[serde(default)]` field: absent is the default, present must be valid.
    fn or_default<T: FromJson + Default>(&self, name: &str) -> Result<T, DecodeError> {
        self.find(name).map_or_else(|| Ok(T::default()), T::from_json)
    }
}

impl FromJson for u64 {
    fn from_json(value: &Json) -> Result<u64, DecodeError> {
        // Digits only: a sign, a fraction or an exponent is not an unsigned integer to serde
        // either, and `parse` refuses what does not fit.
        match value {
            Json::Number(text) if text.bytes().all(|b| b.is_ascii_digit()) => {
                text.parse().map_err(|_| DecodeError)
            }
            _ => Err(DecodeError),
        }
    }
}

impl FromJson for u32 {
    fn from_json(value: &Json) -> Result<u32, DecodeError> {
        u32::try_from(u64::from_json(value)?).map_err(|_| DecodeError)
    }
}

impl FromJson for Fen {
    fn from_json(value: &Json) -> Result<Fen, DecodeError> {
        u64::from_json(value).map(Fen)
    }
}

impl FromJson for bool {
    fn from_json(value: &Json) -> Result<bool, DecodeError> {
        match value {
            Json::Bool(b) => Ok(*b),
            _ => Err(DecodeError),
        }
    }
}

impl FromJson for String {
    fn from_json(value: &Json) -> Result<String, DecodeError> {
        match value {
            Json::String(s) => Ok(s.clone()),
            _ => Err(DecodeError),
        }
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: &Json) -> Result<Option<T>, DecodeError> {
        match value {
            Json::Null => Ok(None),
            value => T::from_json(value).map(Some),
        }
    }

    fn missing() -> Result<Option<T>, DecodeError> {
        Ok(None)
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: &Json) -> Result<Vec<T>, DecodeError> {
        match value {
            Json::Array(items) => items.iter().map(T::from_json).collect(),
            _ => Err(DecodeError),
        }
    }
}

/// A `wire_enum!` type: its wire text, unknown values kept as `Unknown`.
fn wire<T: FromStr<Err = Infallible>>(value: &Json) -> Result<T, DecodeError> {
    match value {
        Json::String(s) => Ok(s.parse().unwrap_or_else(|never| match never {})),
        _ => Err(DecodeError),
    }
}

macro_rules! wire_types {
    ($($name:ty),+) => {
        $(impl FromJson for $name {
            fn from_json(value: &Json) -> Result<$name, DecodeError> {
                wire(value)
            }
        })+
    };
}

wire_types!(
    PaymentMethod,
    Channel,
    Locale,
    SessionStatus,
    BarcodeState,
    CardType,
    CardStep,
    CardProblem,
    ErrorCode
);

impl FromJson for CheckoutView {
    fn from_json(value: &Json) -> Result<CheckoutView, DecodeError> {
        let f = Fields::of(value)?;
        Ok(CheckoutView {
            amount: f.get("amount")?,
            currency: f.get("currency")?,
            subject: f.get("subject")?,
            methods: f.get("methods")?,
            status: f.get("status")?,
            locale: f.get("locale")?,
            expires_at: f.get("expires_at")?,
            return_url: f.get("return_url")?,
            test_mode: f.get("test_mode")?,
            version: f.get("version")?,
            now: f.or_default("now")?,
            qr: f.get("qr")?,
            barcode: f.get("barcode")?,
            card: f.get("card")?,
            saved_cards: f.or_default("saved_cards")?,
        })
    }
}

impl FromJson for QrView {
    fn from_json(value: &Json) -> Result<QrView, DecodeError> {
        let f = Fields::of(value)?;
        Ok(QrView {
            method: f.get("method")?,
            channel: f.get("channel")?,
            qr_content: f.get("qr_content")?,
            expires_at: f.get("expires_at")?,
            provider: f.get("provider")?,
        })
    }
}

impl FromJson for BarcodeView {
    fn from_json(value: &Json) -> Result<BarcodeView, DecodeError> {
        let f = Fields::of(value)?;
        Ok(BarcodeView {
            method: f.get("method")?,
            state: f.get("state")?,
            reason: f.get("reason")?,
            deadline: f.get("deadline")?,
        })
    }
}

impl FromJson for StatusUpdate {
    fn from_json(value: &Json) -> Result<StatusUpdate, DecodeError> {
        let f = Fields::of(value)?;
        Ok(StatusUpdate {
            status: f.get("status")?,
            version: f.get("version")?,
            paid_at: f.get("paid_at")?,
            barcode: f.get("barcode")?,
            card: f.get("card")?,
        })
    }
}

impl FromJson for SavedCard {
    fn from_json(value: &Json) -> Result<SavedCard, DecodeError> {
        let f = Fields::of(value)?;
        Ok(SavedCard {
            id: f.get("id")?,
            bank_code: f.get("bank_code")?,
            bank_name: f.get("bank_name")?,
            number: f.get("number")?,
            card_type: f.get("card_type")?,
            phone: f.get("phone")?,
        })
    }
}

impl FromJson for CardView {
    fn from_json(value: &Json) -> Result<CardView, DecodeError> {
        let f = Fields::of(value)?;
        Ok(CardView {
            step: f.get("step")?,
            card: f.get("card")?,
            resend_at: f.get("resend_at")?,
            code_expires_at: f.get("code_expires_at")?,
            tries_left: f.get("tries_left")?,
            problem: f.get("problem")?,
            gateway_code: f.get("gateway_code")?,
        })
    }
}

impl FromJson for ErrorBody {
    fn from_json(value: &Json) -> Result<ErrorBody, DecodeError> {
        Ok(ErrorBody { error: Fields::of(value)?.get("error")? })
    }
}

impl FromJson for ErrorDetail {
    fn from_json(value: &Json) -> Result<ErrorDetail, DecodeError> {
        let f = Fields::of(value)?;
        Ok(ErrorDetail {
            code: f.get("code")?,
            message: f.get("message")?,
            field: f.get("field")?,
            problem: f.get("problem")?,
            gateway_code: f.get("gateway_code")?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;
    use std::fmt::Debug;

    /// Ours and serde_json agree on `text`: the same value, or both refuse it.
    fn same<T: FromJson + DeserializeOwned + PartialEq + Debug>(text: &str) {
        let ours = from_str::<T>(text).ok();
        let serde = serde_json::from_str::<T>(text).ok();
        assert_eq!(ours, serde, "{text}");
    }

    const CARD: &str = r#"{"step":"pay_code_sent","card":{"id":"card_1","bank_code":"0102","bank_name":"工商银行",
        "number":"6217 **** **** 0000","card_type":"debit","phone":"138****8000"},"resend_at":1800000060,
        "code_expires_at":1800000300,"tries_left":3,"problem":"code_wrong","gateway_code":"E1"}"#;

    #[test]
    fn every_answer_type_reads_as_serde_reads_it() {
        let full_view = format!(
            r#"{{"amount":1234,"currency":"CNY","subject":"茶 \"tea\" \u00e9\ud83d\ude00\n","methods":["payzero_qr","shouqianba_barcode","future_method"],
            "status":"open","locale":"en","expires_at":1800000000,"return_url":"https://shop.example/r?x=1","test_mode":true,
            "version":7,"now":1799999000,
            "qr":{{"method":"payzero_qr","channel":"alipay","qr_content":"weixin://x","provider":"EASYPAY","expires_at":1800000300}},
            "barcode":{{"method":"shouqianba_barcode","state":"declined","reason":"NOTENOUGH","deadline":1800000045}},
            "card":{CARD},"saved_cards":[{{"id":"c2","bank_code":"999","number":"6217 **** **** 1111","card_type":"credit","phone":"139****0000"}}],
            "something_new":{{"nested":[1,2.5e-3,-7,null,true,false,"x",{{}},[]]}}}}"#
        );
        same::<CheckoutView>(&full_view);
        assert!(from_str::<CheckoutView>(&full_view).is_ok());
        let minimal = r#"{"amount":0,"currency":"CNY","subject":"","methods":[],"status":"paid","locale":"zh-CN",
            "expires_at":0,"test_mode":false,"version":0}"#;
        same::<CheckoutView>(minimal);
        assert!(from_str::<CheckoutView>(minimal).is_ok());
        same::<CheckoutView>(&minimal.replace(r#""version":0"#, r#""version":0,"now":null"#));
        same::<CheckoutView>(&minimal.replace(r#""version":0"#, r#""version":0,"qr":null,"saved_cards":[]"#));
        same::<QrView>(
            r#"{"method":"shouqianba_qr","channel":"wechat_pay","qr_content":"https://x","expires_at":5}"#,
        );
        same::<BarcodeView>(r#"{"method":"ezr_barcode","state":"needs_review","deadline":1800000045}"#);
        same::<StatusUpdate>(&format!(
            r#"{{"status":"paid","version":9,"paid_at":1800000001,"card":{CARD}}}"#
        ));
        same::<StatusUpdate>(r#"{"status":"requires_attention","version":9}"#);
        same::<CardView>(CARD);
        same::<CardView>(r#"{"step":"failed","resend_at":0,"tries_left":0}"#);
        same::<ErrorBody>(
            r#"{"error":{"code":"invalid_request","message":"m","field":"mobile","problem":"format","gateway_code":null}}"#,
        );
        same::<ErrorBody>(r#"{"error":{"code":"brand_new_code","message":"m"}}"#);
    }

    #[test]
    fn wrong_answers_are_refused_as_serde_refuses_them() {
        for bad in [
            r#"{"amount":"12.34"}"#,
            "<html>502 Bad Gateway</html>",
            "",
            "[]",
            "null",
            r#"{"status":"open"}"#,
            r#"{"status":"open","version":-1}"#,
            r#"{"status":"open","version":1.5}"#,
            r#"{"status":"open","version":1e3}"#,
            r#"{"status":"open","version":18446744073709551616}"#,
            r#"{"status":"open","version":01}"#,
            r#"{"status":7,"version":1}"#,
            r#"{"status":"open","version":1,"paid_at":"1"}"#,
            r#"{"status":"open","version":1} x"#,
            r#"{"status":"open","version":1,}"#,
            r#"{"status":"open" "version":1}"#,
            r#"{"status":"op\en","version":1}"#,
            "{\"status\":\"op\nen\",\"version\":1}",
            r#"{"status":"\ud83d","version":1}"#,
            r#"{"status":"open","version":1"#,
        ] {
            same::<StatusUpdate>(bad);
            assert!(from_str::<StatusUpdate>(bad).is_err(), "{bad}");
        }
        same::<StatusUpdate>(r#"{"status":"open","version":18446744073709551615}"#);
        same::<CardView>(r#"{"step":"failed","resend_at":0,"tries_left":4294967296}"#);
        same::<CardView>(r#"{"step":"failed","resend_at":0,"tries_left":4294967295}"#);
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!(r#"{{"status":"open","version":1,"x":{}{}}}"#, "[".repeat(100), "]".repeat(100));
        assert_eq!(from_str::<StatusUpdate>(&deep), Err(DecodeError));
        let fine = format!(r#"{{"status":"open","version":1,"x":{}{}}}"#, "[".repeat(50), "]".repeat(50));
        assert!(from_str::<StatusUpdate>(&fine).is_ok());
    }
}
