//! CORS for the configured browser-app origins (exact match). API Gateway answers preflights
//! in AWS too; this keeps the local stack and direct invocations equally strict.

use super::{ApiError, Request, Response};
use http::HeaderValue;
use http::header::{self, HeaderMap};

const ALLOW_HEADERS: &str = "authorization, content-type, if-match, x-csrf-token";
const EXPOSE_HEADERS: &str = "x-request-id, etag, retry-after";
const MAX_AGE_SECS: &str = "600";

/// The request's origin if it is one the configuration allows; `Err` if it names another.
pub fn allowed_origin<'r>(
    req: &'r Request,
    allowed: &[String],
) -> Result<Option<&'r str>, ApiError> {
    match req.headers().get(header::ORIGIN).map(|v| v.to_str()) {
        None => Ok(None),
        Some(Ok(origin)) if allowed.iter().any(|a| a == origin) => Ok(Some(origin)),
        Some(_) => Err(ApiError::OriginNotAllowed),
    }
}

pub fn is_preflight(req: &Request) -> bool {
    req.method() == http::Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

pub fn preflight(origin: &str, methods: &[http::Method]) -> Response {
    let methods: Vec<&str> = methods.iter().map(http::Method::as_str).collect();
    let mut resp = http::Response::builder()
        .status(http::StatusCode::NO_CONTENT)
        .header(header::ACCESS_CONTROL_ALLOW_METHODS, methods.join(", "))
        .header(header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS)
        .header(header::ACCESS_CONTROL_MAX_AGE, MAX_AGE_SECS)
        .body(lambda_http::Body::Empty)
        .unwrap_or_default();
    decorate(resp.headers_mut(), origin);
    resp
}

/// Adds the CORS response headers for an allowed origin.
pub fn decorate(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
        if !headers.get_all(header::VARY).iter().any(|v| v == "Origin") {
            headers.append(header::VARY, HeaderValue::from_static("Origin"));
        }
    }
}
