//! Strict JSON in, JSON out.

use super::{ApiError, FieldError, Request, Response};
use serde::Serialize;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Parses a JSON body: the content type must be JSON in UTF-8; duplicate keys, unknown
/// fields, wrong types and trailing garbage are 4xx answers naming what is wrong (input
/// types use `#[serde(deny_unknown_fields)]`).
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !is_utf8_json(content_type) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let bytes: &[u8] = req.body().as_ref();
    let value = serde_json::from_slice::<StrictValue>(bytes)
        .map_err(|e| {
            use serde_json::error::Category;
            match e.classify() {
                // Our own refusal of a duplicate key is a malformed document too.
                Category::Data if !e.to_string().starts_with(DUPLICATE) => invalid(e),
                _ => ApiError::BadRequest(format!("malformed JSON: {e}")),
            }
        })?
        .0;
    serde_json::from_value(value).map_err(invalid)
}

fn invalid(e: serde_json::Error) -> ApiError {
    ApiError::Validation(vec![FieldError {
        field: "body".into(),
        message: e.to_string(),
    }])
}

/// `application/json` or `…+json`, with no charset or a UTF-8 one (RFC 8259 §8.1: JSON
/// exchanged between systems is UTF-8; another declared charset would be misread).
fn is_utf8_json(content_type: &str) -> bool {
    let mut parts = content_type.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    if essence != "application/json" && !essence.ends_with("+json") {
        return false;
    }
    parts.all(|param| match param.split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
            let value = value.trim().trim_matches('"');
            value.eq_ignore_ascii_case("utf-8") || value.eq_ignore_ascii_case("utf8")
        }
        _ => true,
    })
}

const DUPLICATE: &str = "duplicate key";

/// A JSON value whose objects have no repeated keys: `{"role":"team_member","role":"owner"}`
/// means different things to different parsers, so it is refused rather than guessed.
struct StrictValue(Value);

impl<'de> de::Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!("{DUPLICATE} {key:?}")));
            }
            let StrictValue(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

pub fn json_response<T: Serialize>(
    status: http::StatusCode,
    value: &T,
) -> Result<Response, ApiError> {
    let body = serde_json::to_string(value).map_err(|e| ApiError::Internal(e.to_string()))?;
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(lambda_http::Body::Text(body))
        .map_err(|e| ApiError::Internal(e.to_string()))
}

pub use crate::domain::number::deserialize_whole as whole_number;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(content_type: &str, body: &str) -> Result<Value, ApiError> {
        let req = http::Request::builder()
            .header("content-type", content_type)
            .body(lambda_http::Body::Text(body.to_owned()))
            .unwrap();
        json_body::<Value>(&req)
    }

    #[test]
    fn duplicate_keys_and_foreign_charsets_are_refused() {
        assert!(parse("application/json", r#"{"a":1,"b":[{"c":2}]}"#).is_ok());
        assert!(parse("application/json; charset=UTF-8", "{}").is_ok());
        assert!(matches!(
            parse("application/json", r#"{"role":"a","role":"b"}"#),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse("application/json", r#"{"x":{"k":1,"k":2}}"#),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse("application/json; charset=utf-16", "{}"),
            Err(ApiError::UnsupportedMediaType)
        ));
        assert!(matches!(
            parse("text/plain", "{}"),
            Err(ApiError::UnsupportedMediaType)
        ));
    }
}
