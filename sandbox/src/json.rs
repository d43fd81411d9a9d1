//! Reading request bodies: JSON decoded into the sandbox's wire types with the path of the field
//! at fault (for each gateway's "parameter wrong" answer), and the raw text of each top-level
//! member of a JSON object (EZR signs values as they were sent).

use serde::de::DeserializeOwned;

/// Why a body did not decode: the field's path (`items[0].subject`, empty for the whole body)
/// and serde's message.
#[derive(Debug)]
pub(crate) struct DecodeError {
    pub(crate) path: String,
    pub(crate) message: String,
}

impl DecodeError {
    /// The field a "missing field `x`" message names, else the path.
    pub(crate) fn field(&self) -> String {
        self.message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next())
            .map(|f| {
                if self.path.is_empty() || self.path == "." {
                    f.to_owned()
                } else {
                    format!("{}.{f}", self.path)
                }
            })
            .unwrap_or_else(|| self.path.clone())
    }

    pub(crate) fn is_missing(&self) -> bool {
        self.message.starts_with("missing field")
    }
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| DecodeError { path: e.path().to_string(), message: e.inner().to_string() })?;
    de.end().map_err(|e| DecodeError { path: String::new(), message: e.to_string() })?;
    Ok(value)
}

/// The members of a top-level JSON object as (name, value text): a string's decoded text, any
/// other value's exact text as sent (numbers, lists, objects). `None` if `bytes` is not an object.
pub(crate) fn raw_members(bytes: &[u8]) -> Option<Vec<(String, String)>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text).ok()?;
    let mut out = Vec::with_capacity(map.len());
    let mut rest = text.trim_start().strip_prefix('{')?;
    loop {
        rest = rest.trim_start();
        if rest.starts_with('}') {
            break;
        }
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        let key_len = string_len(rest)?;
        let key: String = serde_json::from_str(rest.get(..key_len)?).ok()?;
        rest = rest.get(key_len..)?.trim_start().strip_prefix(':')?.trim_start();
        let value_len = value_len(rest)?;
        let raw = rest.get(..value_len)?;
        let value =
            if raw.starts_with('"') { serde_json::from_str::<String>(raw).ok()? } else { raw.to_owned() };
        out.push((key, value));
        rest = rest.get(value_len..)?;
    }
    Some(out)
}

/// The length of the JSON string starting `s` (quotes included).
fn string_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    if bytes.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The length of the JSON value starting `s` (already known to be valid JSON).
fn value_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    match bytes.first()? {
        b'"' => string_len(s),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' => {
                        i += string_len(s.get(i..)?)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => Some(
            bytes
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
                .unwrap_or(bytes.len()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_members_keep_the_text_as_sent() {
        let body = br#" { "A" : "x\"y" , "N":1.50,"L":[{"b":1,"a":"}"}], "E":"", "O":{"z":[]} } "#;
        let m = raw_members(body).unwrap();
        assert_eq!(
            m,
            vec![
                ("A".into(), "x\"y".into()),
                ("N".into(), "1.50".into()),
                ("L".into(), r#"[{"b":1,"a":"}"}]"#.into()),
                ("E".into(), String::new()),
                ("O".into(), r#"{"z":[]}"#.into()),
            ]
        );
        assert!(raw_members(b"[1]").is_none());
        assert!(raw_members(b"{\"a\":").is_none());
        assert_eq!(raw_members(b"{}"), Some(vec![]));
    }

    #[test]
    fn decode_names_the_field() {
        #[derive(serde::Deserialize, Debug)]
        struct T {
            #[allow(dead_code)]
            a: u64,
        }
        let e = decode::<T>(b"{}").unwrap_err();
        assert_eq!(e.field(), "a");
        let e = decode::<T>(br#"{"a":-1}"#).unwrap_err();
        assert_eq!(e.field(), "a");
        assert!(decode::<T>(br#"{"a":1} x"#).is_err());
    }
}
