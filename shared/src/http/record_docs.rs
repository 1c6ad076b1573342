//! The OpenAPI description of the record routes, generated from each kind's fields (the same
//! description that validates them), so the document cannot drift from what is served.

use super::openapi_rules::{MULTI_LINE, MULTI_LINE_FILLED, ONE_LINE, ONE_LINE_FILLED, ULID};
use crate::app::records::Kind;
use crate::app::records::query::{filter_shape, sort_fields};
use crate::app::records::spec::{Field, Rule, Ty, Writable};
use serde_json::{Map, Value, json};

/// `Phone::parse`: a leading +, 6..=15 digits, spaces, dots, dashes and parentheses.
const PHONE: &str = "^\\s*\\+?[ .()-]*(?:[0-9][ .()-]*){6,15}\\s*$";

fn nullable(mut schema: Value) -> Value {
    if let Some(t) = schema
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_owned)
    {
        schema["type"] = json!([t, "null"]);
    }
    if let Some(Value::Array(options)) = schema.get_mut("enum") {
        options.push(Value::Null);
    }
    schema
}

/// The JSON schema of a field's values.
fn value_schema(ty: Ty, output: bool) -> Value {
    let mut s = match ty {
        Ty::Text(max) => json!({"type": "string", "maxLength": max, "pattern": ONE_LINE}),
        Ty::LongText(max) => json!({"type": "string", "maxLength": max, "pattern": MULTI_LINE}),
        Ty::Email => json!({"type": "string", "format": "email", "example": "mia@client.example"}),
        Ty::Phone => json!({"type": "string", "pattern": PHONE, "example": "+447700900123"}),
        Ty::Url => json!({"type": "string", "format": "uri", "maxLength": 2048,
            "pattern": "^\\s*[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]+\\S*\\s*$"}),
        Ty::Date => json!({"type": "string", "format": "date", "example": "2026-06-20"}),
        Ty::Time => {
            json!({"type": "string", "pattern": "^\\s*([01][0-9]|2[0-3]):[0-5][0-9]\\s*$", "example": "14:30"})
        }
        Ty::Int { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
        Ty::Bool => json!({"type": "boolean"}),
        Ty::Choice(options) => json!({"type": "string", "enum": options}),
        Ty::Tags => {
            json!({"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 40, "pattern": ONE_LINE_FILLED}, "maxItems": 20})
        }
        Ty::Strings => {
            json!({"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": ONE_LINE_FILLED}, "maxItems": 100})
        }
        // `x-references` names what an id must be of, in the caller's brand (a schema cannot
        // say which ids exist: 422 names a reference to nothing).
        Ty::Member => json!({"type": "string", "pattern": ULID, "x-references": "member"}),
        Ty::Ref(entity) => {
            json!({"type": "string", "pattern": ULID, "x-references": entity.as_str()})
        }
        Ty::Members => {
            json!({"type": "array", "items": {"type": "string", "pattern": ULID, "x-references": "member"}, "maxItems": 50})
        }
        Ty::Refs(entity) => {
            json!({"type": "array", "items": {"type": "string", "pattern": ULID, "x-references": entity.as_str()}, "maxItems": 50})
        }
        Ty::Record => {
            json!({"type": "string", "pattern": "^[a-z_]+:[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$",
                   "example": "contact:01JD3Q0000000000000000000A", "x-references": "record"})
        }
        Ty::Object(fields) => {
            let props: Map<String, Value> = fields
                .iter()
                .map(|f| (f.name.to_owned(), nullable(value_schema(f.ty, output))))
                .collect();
            json!({"type": "object", "properties": props, "additionalProperties": false})
        }
        Ty::StageHistory => json!({"type": "array", "items": {"type": "object", "properties": {
            "stage_id": {"type": "string"}, "from_stage_id": {"type": ["string", "null"]},
            "at": {"type": "string"}, "by": {"type": "string"}}}}),
    };
    if output && matches!(ty, Ty::Email | Ty::Url) {
        // What is stored is normalised (a URL may gain a `/` or escapes): don't promise a
        // format checker's idea of it, nor the input's bounds.
        if let Some(o) = s.as_object_mut() {
            for k in ["format", "pattern", "maxLength"] {
                o.remove(k);
            }
        }
    }
    s
}

fn field_schema(f: &Field, output: bool) -> Value {
    let mut s = value_schema(f.ty, output);
    if !f.doc.is_empty() {
        s["description"] = Value::from(f.doc);
    }
    let is_list = matches!(
        f.ty,
        Ty::Tags | Ty::Strings | Ty::Members | Ty::Refs(_) | Ty::StageHistory
    );
    if !output && f.required {
        // A required field is never cleared: no null, and text must hold something.
        match f.ty {
            Ty::Text(_) => s["pattern"] = Value::from(ONE_LINE_FILLED),
            Ty::LongText(_) => s["pattern"] = Value::from(MULTI_LINE_FILLED),
            _ => {}
        }
        return s;
    }
    if output && is_list { s } else { nullable(s) }
}

/// The schema a write's value of `kind`'s field `name` must match (what query parameters
/// that carry a field, such as an upload's file name, document).
pub fn input_field_schema(kind: &Kind, name: &str) -> Value {
    kind.field(name)
        .map(|f| field_schema(f, false))
        .unwrap_or_else(|| json!({"type": "string"}))
}

/// The schema of an optional input value of type `ty`.
pub fn input_type_schema(ty: Ty) -> Value {
    nullable(value_schema(ty, false))
}

/// The record as read.
fn view_schema(kind: &Kind) -> Value {
    let mut props = Map::new();
    props.insert("id".into(), json!({"type": "string"}));
    for f in kind.fields {
        props.insert(f.name.into(), field_schema(f, true));
    }
    if kind.custom_fields {
        props.insert(
            "custom".into(),
            json!({"type": "object", "description": "custom values by field id"}),
        );
    }
    props.insert("created_at".into(), json!({"type": ["string", "null"]}));
    props.insert("updated_at".into(), json!({"type": ["string", "null"]}));
    props.insert("created_by".into(), json!({"type": ["string", "null"]}));
    props.insert("version".into(), json!({"type": "integer", "minimum": 0}));
    let mut required: Vec<&str> = vec!["id", "version"];
    required.extend(kind.fields.iter().map(|f| f.name));
    json!({"type": "object", "description": kind.summary, "properties": props, "required": required})
}

/// What a create (`creating`) or change body may hold.
fn input_schema(kind: &Kind, creating: bool) -> Value {
    let mut props = Map::new();
    for f in kind.fields {
        let allowed = match f.writable {
            Writable::Always => true,
            Writable::OnCreate => creating,
            Writable::Never => false,
        };
        if allowed {
            props.insert(f.name.into(), field_schema(f, false));
        }
    }
    if kind.custom_fields {
        props.insert(
            "custom".into(),
            json!({"type": "object", "description": "custom values by field id; null clears"}),
        );
    }
    if !creating {
        props.insert(
            "version".into(),
            json!({"type": "integer", "minimum": 0, "maximum": u64::MAX,
                   "description": "the version read, if not sent as If-Match or ?version="}),
        );
    }
    let mut s = json!({"type": "object", "properties": props, "additionalProperties": false});
    state_rules(kind, creating, &mut s);
    if creating {
        let required: Vec<&str> = kind
            .fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.name)
            .collect();
        s["required"] = Value::from(required);
    }
    s
}

/// How a change names the version it was made against.
pub const IF_MATCH_DOC: &str = "the ETag read; or send the version read as `?version=` or as the body's `version`. A change must name one (428 otherwise); a delete may.";

/// A field's schema when it must hold something.
fn filled(kind: &Kind, name: &str) -> Value {
    let Some(f) = kind.field(name) else {
        return json!({"not": {"type": "null"}});
    };
    let mut s = value_schema(f.ty, false);
    match f.ty {
        Ty::Text(_) => s["pattern"] = Value::from(ONE_LINE_FILLED),
        Ty::LongText(_) => s["pattern"] = Value::from(MULTI_LINE_FILLED),
        _ if s["type"] == "array" => s["minItems"] = Value::from(1),
        _ => {}
    }
    s
}

/// The kind's rules between fields, in a write's schema: every rule as `x-rules`, and, on a
/// create, what JSON Schema can say as constraints. A change's rules hold on the record as it
/// will be stored (the body merged into what is there), which a body's schema cannot say.
fn state_rules(kind: &Kind, creating: bool, schema: &mut Value) {
    let mut all_of = Vec::new();
    let mut stated = Vec::new();
    for rule in kind.rules {
        match *rule {
            Rule::RequiredWhen {
                field,
                when,
                values,
            } => {
                if creating {
                    all_of.push(json!({"anyOf": [
                        {"properties": {when: {"not": {"enum": values}}}},
                        {"required": [field], "properties": {field: filled(kind, field)}},
                    ]}));
                }
                stated.push(json!({"rule": "required_when", "field": field, "when": when, "values": values}));
            }
            Rule::Reserved {
                field,
                value,
                with,
                via,
            } => {
                if creating
                    && let Some(Value::Array(options)) =
                        schema.pointer_mut(&format!("/properties/{field}/enum"))
                {
                    options.retain(|o| o != value);
                }
                stated.push(json!({"rule": "reserved", "field": field, "value": value, "with": with, "via": via}));
            }
            Rule::AtLeast { high, low } => {
                stated.push(json!({"rule": "at_least", "high": high, "low": low}));
            }
        }
    }
    if !all_of.is_empty() {
        schema["allOf"] = Value::from(all_of);
    }
    if !stated.is_empty() {
        schema["x-rules"] = Value::from(stated);
    }
}

fn problem(description: &str) -> Value {
    json!({"description": description, "content": {"application/problem+json":
        {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

fn record_ref(kind: &Kind) -> Value {
    json!({"$ref": format!("#/components/schemas/{}", kind.schema)})
}

fn ok(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

fn errors(codes: &[u16]) -> Map<String, Value> {
    codes
        .iter()
        .map(|c| {
            let d = match c {
                400 => "bad request (query or body)",
                401 => "not signed in, or not a member of the active brand",
                403 => "the role may not do this",
                404 => "no such record in the brand",
                409 => "the record changed since read (current_version says to what), or is in use",
                413 => "body too large",
                415 => "body is not JSON",
                422 => "invalid fields (errors names each)",
                428 => "If-Match (or version) required",
                _ => "error",
            };
            (c.to_string(), problem(d))
        })
        .collect()
}

fn op(kind: &Kind, action: &str, summary: String, responses: Map<String, Value>) -> Value {
    json!({"tags": [kind.plural.replace('/', "-")], "summary": summary,
           "operationId": operation_id(kind, action),
           "security": [{"bearer": []}], "responses": responses})
}

fn operation_id(kind: &Kind, action: &str) -> String {
    format!("{action}_{}", kind.entity)
}

/// OpenAPI links from a created record to reading, changing and deleting it: the id from the
/// body, the version from the ETag.
pub fn links_from_created(kind: &Kind) -> Value {
    let id = json!({"path.id": "$response.body#/id"});
    let versioned =
        json!({"path.id": "$response.body#/id", "header.If-Match": "$response.header.ETag"});
    json!({
        "Read": {"operationId": operation_id(kind, "read"), "parameters": id},
        "Change": {"operationId": operation_id(kind, "change"), "parameters": versioned},
        "Delete": {"operationId": operation_id(kind, "delete"), "parameters": versioned},
    })
}

fn list_params(kind: &Kind) -> Vec<Value> {
    let mut sorts: Vec<String> = Vec::new();
    for s in sort_fields(kind) {
        sorts.push(s.to_owned());
        sorts.push(format!("-{s}"));
    }
    let mut params = vec![
        json!({"name": "q", "in": "query", "schema": {"type": "string"},
               "description": format!("text in {}", kind.searchable.join(", "))}),
        json!({"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}),
        json!({"name": "cursor", "in": "query", "schema": {"type": "string"}}),
        json!({"name": "sort", "in": "query", "schema": {"type": "string", "enum": sorts}}),
    ];
    for f in kind.fields {
        let item = match f.ty {
            Ty::Tags => json!({"type": "string", "maxLength": 40}),
            Ty::Strings => json!({"type": "string", "maxLength": 100}),
            Ty::Members | Ty::Refs(_) => json!({"type": "string", "pattern": ULID}),
            other => value_schema(other, false),
        };
        match filter_shape(f.ty) {
            Some("range") => {
                for suffix in ["_from", "_to"] {
                    params.push(json!({"name": format!("{}{suffix}", f.name), "in": "query", "schema": item}));
                }
            }
            Some("contains") => params.push(json!({"name": f.name, "in": "query",
                "schema": {"type": "array", "items": item, "maxItems": 20},
                "style": "form", "explode": true,
                "description": "contains each value given (repeat the parameter for more)"})),
            Some(_) => params.push(json!({"name": f.name, "in": "query", "schema": item,
                "description": "equals"})),
            None => {}
        }
    }
    for m in ["created_at", "updated_at"] {
        for suffix in ["_from", "_to"] {
            params.push(json!({"name": format!("{m}{suffix}"), "in": "query",
                "schema": {"type": "string", "format": "date"}}));
        }
    }
    params
}

/// Paths and schemas of one kind's routes: list and (with `create`) create at
/// `/<plural>`; read, change and delete at `/<plural>/{id}`.
pub fn describe(
    kind: &Kind,
    create: bool,
    paths: &mut Map<String, Value>,
    schemas: &mut Map<String, Value>,
) {
    let s = kind.schema;
    schemas.insert(s.into(), view_schema(kind));
    schemas.insert(format!("{s}Create"), input_schema(kind, true));
    schemas.insert(format!("{s}Change"), input_schema(kind, false));
    schemas.insert(
        format!("{s}Page"),
        json!({"type": "object", "required": ["items"], "properties": {
            "items": {"type": "array", "items": record_ref(kind)},
            "next_cursor": {"type": ["string", "null"]}}}),
    );
    let page = json!({"$ref": format!("#/components/schemas/{s}Page")});
    let mut collection = Map::new();
    let mut r = errors(&[400, 401, 403]);
    r.insert("200".into(), ok("a page of records", page));
    let mut list = op(kind, "list", format!("List {}", kind.plural), r);
    list["parameters"] = Value::from(list_params(kind));
    list["description"] = Value::from(
        "Filters are named after fields (see the parameters), plus custom.<field id>=<value>.",
    );
    collection.insert("get".into(), list);
    if create {
        let mut r = errors(&[400, 401, 403, 415, 422]);
        let mut created = ok("created", record_ref(kind));
        created["links"] = links_from_created(kind);
        r.insert("201".into(), created);
        let mut c = op(kind, "create", format!("Create a {}", kind.entity), r);
        c["requestBody"] = json!({"required": true, "content": {"application/json":
            {"schema": {"$ref": format!("#/components/schemas/{s}Create")}}}});
        collection.insert("post".into(), c);
    }
    paths.insert(format!("/{}", kind.plural), Value::Object(collection));

    let id = json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]);
    let if_match = json!({"name": "If-Match", "in": "header", "schema": {"type": "string"},
        "description": IF_MATCH_DOC});
    let mut one = Map::new();
    let mut r = errors(&[401, 404]);
    r.insert("200".into(), ok("the record", record_ref(kind)));
    let mut get = op(kind, "read", format!("One {}", kind.entity), r);
    get["parameters"] = id.clone();
    one.insert("get".into(), get);
    let mut r = errors(&[400, 401, 403, 404, 409, 415, 422, 428]);
    r.insert("200".into(), ok("the changed record", record_ref(kind)));
    let mut patch = op(kind, "change", format!("Change a {}", kind.entity), r);
    let mut params = id.as_array().cloned().unwrap_or_default();
    params.push(if_match.clone());
    patch["parameters"] = Value::from(params.clone());
    patch["requestBody"] = json!({"required": true, "content": {"application/json":
        {"schema": {"$ref": format!("#/components/schemas/{s}Change")}}}});
    one.insert("patch".into(), patch);
    let mut r = errors(&[400, 401, 403, 404, 409]);
    r.insert(
        "204".into(),
        json!({"description": "deleted, with what cascades"}),
    );
    let mut del = op(kind, "delete", format!("Delete a {}", kind.entity), r);
    del["parameters"] = Value::from(params);
    one.insert("delete".into(), del);
    paths.insert(format!("/{}/{{id}}", kind.plural), Value::Object(one));
}
