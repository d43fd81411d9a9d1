//! Decodes the edge's JSON answers into the shared API types without serde_json: the browser's
//! own `JSON.parse` reads the text, and a small serde `Deserializer` walks the resulting value.
//! The types keep their serde derives (so the widget cannot drift from the edge), while the
//! wasm loses serde_json's parser and, because errors here carry no text, the number-formatting
//! code that serde's error messages pull in. The widget never shows decode details anyway: any
//! failure is "the service answered something unexpected".
//!
//! Numbers arrive as JavaScript doubles: integers are exact up to 2^53, far above any amount in
//! fen, unix time or version the API sends.

use js_sys::{Array, JSON, Object, Reflect};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Expected, IntoDeserializer, MapAccess, SeqAccess, Unexpected,
    Visitor,
};
use std::fmt;
use wasm_bindgen::{JsCast, JsValue};

/// The answer was not JSON, or not the shape the type expects.
#[derive(Debug, PartialEq)]
pub struct DecodeError;

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unexpected JSON")
    }
}

impl std::error::Error for DecodeError {}

// Every constructor is overridden so none of serde's default message formatting is ever
// instantiated (that is where float formatting would come from).
impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(_: T) -> Self {
        DecodeError
    }
    fn invalid_type(_: Unexpected<'_>, _: &dyn Expected) -> Self {
        DecodeError
    }
    fn invalid_value(_: Unexpected<'_>, _: &dyn Expected) -> Self {
        DecodeError
    }
    fn invalid_length(_: usize, _: &dyn Expected) -> Self {
        DecodeError
    }
    fn unknown_variant(_: &str, _: &'static [&'static str]) -> Self {
        DecodeError
    }
    fn unknown_field(_: &str, _: &'static [&'static str]) -> Self {
        DecodeError
    }
    fn missing_field(_: &'static str) -> Self {
        DecodeError
    }
    fn duplicate_field(_: &'static str) -> Self {
        DecodeError
    }
}

/// Parses `text` as JSON and decodes it as `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, DecodeError> {
    from_value(parse(text)?)
}

/// Parses `text` as JSON, with the browser's own parser.
pub fn parse(text: &str) -> Result<JsValue, DecodeError> {
    JSON::parse(text).map_err(|_| DecodeError)
}

/// Decodes a parsed JSON value as `T`.
pub fn from_value<T: DeserializeOwned>(value: JsValue) -> Result<T, DecodeError> {
    T::deserialize(Value(value))
}

/// The largest integer a double holds exactly.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

struct Value(JsValue);

impl<'de> de::Deserializer<'de> for Value {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let value = self.0;
        if value.is_null() || value.is_undefined() {
            visitor.visit_unit()
        } else if let Some(b) = value.as_bool() {
            visitor.visit_bool(b)
        } else if let Some(n) = value.as_f64() {
            if n.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&n) {
                visitor.visit_u64(n as u64)
            } else if n.fract() == 0.0 && (-MAX_SAFE..0.0).contains(&n) {
                visitor.visit_i64(n as i64)
            } else {
                visitor.visit_f64(n)
            }
        } else if let Some(s) = value.as_string() {
            visitor.visit_string(s)
        } else if Array::is_array(&value) {
            visitor.visit_seq(Seq { items: value.unchecked_into(), next: 0 })
        } else if value.is_object() {
            let keys = Object::keys(value.unchecked_ref::<Object>());
            visitor.visit_map(Map { object: value, keys, next: 0, value: None })
        } else {
            Err(DecodeError)
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        if self.0.is_null() || self.0.is_undefined() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    /// Unit variants as strings (`"paid"`); the API has no other kind of enum.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        let name = self.0.as_string().ok_or(DecodeError)?;
        visitor.visit_enum(IntoDeserializer::<DecodeError>::into_deserializer(name))
    }

    // The shapes the API's types ask for, each read straight from the value: every derived
    // visitor then instantiates only the small path it needs instead of all of
    // `deserialize_any` (the widget's size budget).
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let value = self.0;
        if !value.is_object() || Array::is_array(&value) {
            return Err(DecodeError);
        }
        let keys = Object::keys(value.unchecked_ref::<Object>());
        visitor.visit_map(Map { object: value, keys, next: 0, value: None })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        if !Array::is_array(&self.0) {
            return Err(DecodeError);
        }
        visitor.visit_seq(Seq { items: self.0.unchecked_into(), next: 0 })
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_string(self.0.as_string().ok_or(DecodeError)?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_bool(self.0.as_bool().ok_or(DecodeError)?)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_u64(unsigned(&self.0)?)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_u64(unsigned(&self.0)?)
    }

    /// A value no field wants: nothing to read.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u128 f32 f64 char bytes byte_buf unit
        unit_struct tuple tuple_struct
    }
}

/// A whole number a double holds exactly.
fn unsigned(value: &JsValue) -> Result<u64, DecodeError> {
    let n = value.as_f64().ok_or(DecodeError)?;
    if n.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&n) { Ok(n as u64) } else { Err(DecodeError) }
}

struct Seq {
    items: Array,
    next: u32,
}

impl<'de> SeqAccess<'de> for Seq {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        if self.next >= self.items.length() {
            return Ok(None);
        }
        let item = self.items.get(self.next);
        self.next += 1;
        seed.deserialize(Value(item)).map(Some)
    }
}

struct Map {
    object: JsValue,
    keys: Array,
    next: u32,
    value: Option<JsValue>,
}

impl<'de> MapAccess<'de> for Map {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DecodeError> {
        if self.next >= self.keys.length() {
            return Ok(None);
        }
        let key = self.keys.get(self.next);
        self.next += 1;
        self.value = Some(Reflect::get(&self.object, &key).map_err(|_| DecodeError)?);
        seed.deserialize(Value(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DecodeError> {
        let value = self.value.take().ok_or(DecodeError)?;
        seed.deserialize(Value(value))
    }
}
