//! What every operation of the OpenAPI document can answer, decided from one table by what the
//! operation takes (credentials, path, query, a JSON body), and applied to the whole document
//! after it is assembled. The shared layers — the dispatcher, authentication, the JSON body
//! reader, the rate limits — answer these for every route, so every route documents them, and
//! every error is documented as what it is: `application/problem+json`.

use serde_json::{Map, Value, json};

/// `spec::check`'s character rules: no control characters on one line; tabs and line breaks
/// allowed in long text.
pub const ONE_LINE: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$";
pub const MULTI_LINE: &str = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$";
/// A required text field must hold something once trimmed.
pub const ONE_LINE_FILLED: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$";
pub const MULTI_LINE_FILLED: &str = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$";
/// `Slug::parse`: 3..=40 of a-z, 0-9 and -, not starting or ending with - (trimmed and
/// lower-cased first).
pub const SLUG: &str = "^\\s*[A-Za-z0-9][A-Za-z0-9-]{1,38}[A-Za-z0-9]\\s*$";
/// A ULID, as ids are written.
pub const ULID: &str = "^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$";

/// The ETag form `If-Match` must take: a version in quotes, optionally weak (or nothing).
pub const IF_MATCH_PATTERN: &str = r#"^\s*((W/)?"[0-9]{1,19}")?\s*$"#;

/// An operation's shape, as far as the shared layers care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Takes {
    Anything,
    Credentials,
    PathParameters,
    QueryParameters,
    JsonBody,
    AnyBody,
}

/// Every error the shared layers give, and which operations can meet it.
const ERRORS: &[(Takes, u16, &str)] = &[
    (
        Takes::Anything,
        429,
        "too many requests: a per-IP or per-account limit, or the API's throttling (Retry-After says when to retry)",
    ),
    (
        Takes::Anything,
        503,
        "a dependency is briefly unavailable; retry shortly",
    ),
    (
        Takes::Credentials,
        401,
        "not signed in (no, a bad or an expired token), or not a member of the active brand",
    ),
    (
        Takes::Credentials,
        403,
        "the caller's role (or an API key) may not do this",
    ),
    (
        Takes::PathParameters,
        404,
        "nothing of that id in the caller's brand",
    ),
    (
        Takes::QueryParameters,
        400,
        "a query parameter is unknown, repeated or malformed",
    ),
    (
        Takes::QueryParameters,
        422,
        "a query value could never match (errors names each)",
    ),
    (Takes::AnyBody, 408, "the body did not arrive in time"),
    (Takes::AnyBody, 413, "the body is too large"),
    (
        Takes::JsonBody,
        400,
        "the body is not one JSON value (malformed, or a key given twice)",
    ),
    (
        Takes::JsonBody,
        415,
        "the body is not application/json in UTF-8",
    ),
    (
        Takes::JsonBody,
        422,
        "fields are not valid (errors names each)",
    ),
];

fn problem(description: &str) -> Value {
    json!({"description": description, "content": {"application/problem+json":
        {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

fn shape(op: &Value) -> Vec<Takes> {
    let mut takes = vec![Takes::Anything];
    if op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty())
    {
        takes.push(Takes::Credentials);
    }
    let params = op
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let has_in = |place: &str| params.iter().any(|p| p["in"] == place);
    if has_in("path") {
        takes.push(Takes::PathParameters);
    }
    if has_in("query") {
        takes.push(Takes::QueryParameters);
    }
    if let Some(content) = op
        .pointer("/requestBody/content")
        .and_then(Value::as_object)
    {
        takes.push(Takes::AnyBody);
        if content.contains_key("application/json") {
            takes.push(Takes::JsonBody);
        }
    }
    takes
}

/// Patterns of request fields the validators hold to (utoipa's attributes take only literals).
const FIELD_PATTERNS: &[(&str, &str, &str)] = &[
    ("SignupRequest", "name", ONE_LINE_FILLED),
    ("UpdateProfileRequest", "name", ONE_LINE_FILLED),
    ("CreateBrandRequest", "name", ONE_LINE_FILLED),
    ("CreateBrandRequest", "slug", SLUG),
    ("SwitchBrandRequest", "brand_id", ULID),
    ("CreateApiKeyRequest", "name", ONE_LINE_FILLED),
    ("MergeRequest", "other_id", ULID),
];

/// Rules between one operation's query parameters: stated as `x-rules`, as JSON Schema has
/// no words for them.
fn operation_rules(path: &str, method: &str) -> Option<Value> {
    match (path, method) {
        ("/audit", "get") => Some(json!([
            {"rule": "not_both", "parameters": ["record", "actor"]},
            {"rule": "at_least", "high": "to", "low": "from"},
        ])),
        _ => None,
    }
}

/// An operation's `security` (and so its 401/403) comes from its route's guard, named as
/// `x-guard`; what a handler's annotation said does not count.
fn guarded(path: &str, method: &str, op: &mut Value) {
    let Some(route) = super::ROUTES
        .iter()
        .find(|r| r.path == path && r.method.as_str().eq_ignore_ascii_case(method))
    else {
        return;
    };
    let Some(op) = op.as_object_mut() else {
        return;
    };
    op.insert("x-guard".into(), Value::from(route.guard().describe()));
    if route.guard().needs_credentials() {
        op.insert("security".into(), json!([{"bearer": []}]));
    } else {
        op.remove("security");
    }
}

/// `from` and `to` of the audit trail: a date or an RFC 3339 time.
fn time_schema() -> Value {
    json!({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]})
}

/// Completes every operation's errors and shared parameters, and the request schemas'
/// patterns.
pub fn complete(doc: &mut Value) {
    if let Some(schemas) = doc.pointer_mut("/components/schemas") {
        for (schema, field, pattern) in FIELD_PATTERNS {
            if let Some(property) = schemas.pointer_mut(&format!("/{schema}/properties/{field}")) {
                property["pattern"] = Value::from(*pattern);
            }
        }
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            guarded(path, method, op);
            if let Some(rules) = operation_rules(path, method) {
                op["x-rules"] = rules;
            }
            if path == "/audit"
                && let Some(Value::Array(params)) = op.get_mut("parameters")
            {
                for p in params
                    .iter_mut()
                    .filter(|p| p["name"] == "from" || p["name"] == "to")
                {
                    p["schema"] = time_schema();
                }
            }
            complete_operation(method, op);
        }
    }
}

fn complete_operation(method: &str, op: &mut Value) {
    let takes = shape(op);
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for p in params.iter_mut() {
            shared_parameter(p);
        }
    }
    name_the_version(method, op);
    let responses = op
        .as_object_mut()
        .map(|o| o.entry("responses").or_insert_with(|| json!({})));
    let Some(Value::Object(responses)) = responses else {
        return;
    };
    // Every error is a problem document, whatever a handler's annotation said.
    for (code, response) in responses.iter_mut() {
        if code.parse::<u16>().is_ok_and(|c| c >= 400) {
            let description = response["description"]
                .as_str()
                .unwrap_or("error")
                .to_owned();
            *response = problem(&description);
        }
    }
    for (when, code, description) in ERRORS {
        if takes.contains(when) {
            responses
                .entry(code.to_string())
                .or_insert_with(|| problem(description));
        }
    }
}

/// A version is named one of three ways: `If-Match`, `?version=`, or the body's `version`. A
/// change must use one (428 otherwise), a delete may; which one is the client's choice, so
/// none is `required` and the rule is stated as `x-rules`.
fn name_the_version(method: &str, op: &mut Value) {
    let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
        return;
    };
    if !params.iter().any(|p| p["name"] == "If-Match") {
        return;
    }
    if !params.iter().any(|p| p["name"] == "version") {
        params.push(json!({"name": "version", "in": "query", "required": false,
            "description": "the version read, instead of If-Match",
            "schema": {"type": "integer", "minimum": 0, "maximum": u64::MAX}}));
    }
    if method == "delete" {
        return;
    }
    let rule = json!({"rule": "version_required",
        "header": "If-Match", "query": "version", "body": "version"});
    match op.get_mut("x-rules").and_then(Value::as_array_mut) {
        Some(rules) => rules.push(rule),
        None => op["x-rules"] = json!([rule]),
    }
}

/// Parameters every route reads the same way carry the same constraints everywhere.
fn shared_parameter(p: &mut Value) {
    let name = p["name"].as_str().unwrap_or_default().to_owned();
    let schema: Map<String, Value> = match (name.as_str(), p["in"].as_str()) {
        // An empty If-Match names no version: the same as none.
        ("If-Match", Some("header")) => {
            p["required"] = Value::Bool(false);
            json!({"type": "string", "pattern": IF_MATCH_PATTERN, "example": "\"1\""})
        }
        ("limit", Some("query")) => json!({"type": "integer", "minimum": 1, "maximum": 100}),
        ("cursor", Some("query")) => json!({"type": "string", "minLength": 1}),
        _ => return,
    }
    .as_object()
    .cloned()
    .unwrap_or_default();
    p["schema"] = Value::Object(schema);
}
