//! Strict JSON in, JSON out.

use super::{ApiError, FieldError, Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Parses a JSON body: the content type must be JSON; unknown fields, wrong types and
/// trailing garbage are 4xx answers naming what is wrong (input types use
/// `#[serde(deny_unknown_fields)]`).
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" && !essence.ends_with("+json") {
        return Err(ApiError::UnsupportedMediaType);
    }
    let bytes: &[u8] = req.body().as_ref();
    serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError::Validation(vec![FieldError {
                field: "body".into(),
                message: e.to_string(),
            }]),
            _ => ApiError::BadRequest(format!("malformed JSON: {e}")),
        }
    })
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
