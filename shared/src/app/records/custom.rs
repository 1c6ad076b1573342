//! Custom field values. A brand's definitions (records of kind `custom_field`) say which
//! fields each entity has; values live in the record's `custom` object, keyed by the
//! definition's id, so renaming a field never touches them. A retired field keeps its values
//! and takes no new ones (it can still be cleared); removing a select option leaves the
//! records that hold it as they are.

use super::error::RecordError;
use super::kinds::CUSTOM_FIELD;
use super::rows::{Attrs, scan, text};
use super::spec::{self, Issue, Kind, Ty};
use crate::Ctx;
use crate::app::brand_table::BrandItem;
use crate::app::tenancy::BrandScope;
use serde_json::{Map, Value};

/// Custom values one write may set: a bound on the work of one request.
pub const MAX_CUSTOM_VALUES: usize = 200;

/// The brand's definitions for `kind`'s entity (none if the kind takes no custom fields).
pub async fn definitions(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
) -> Result<Vec<BrandItem>, RecordError> {
    if !kind.custom_fields {
        return Ok(Vec::new());
    }
    Ok(scan(ctx, scope, &CUSTOM_FIELD)
        .await?
        .into_iter()
        .filter(|d| text(&d.attrs, "entity") == Some(kind.entity.as_str()))
        .collect())
}

/// Checks one value against its definition, returning the stored form.
pub fn check(def: &BrandItem, v: &Value) -> Result<Value, String> {
    let options: Vec<&str> = def
        .attrs
        .get("options")
        .and_then(Value::as_array)
        .map(|o| o.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match text(&def.attrs, "field_type").unwrap_or("text") {
        "text" => spec::check(Ty::Text(1000), v),
        "number" => v
            .as_f64()
            .filter(|n| n.is_finite())
            .map(|_| v.clone())
            .ok_or_else(|| "must be a number".to_owned()),
        "date" => spec::check(Ty::Date, v),
        "boolean" => spec::check(Ty::Bool, v),
        "url" => spec::check(Ty::Url, v),
        "email" => spec::check(Ty::Email, v),
        "phone" => spec::check(Ty::Phone, v),
        "select" => match v.as_str() {
            Some(s) if options.contains(&s) => Ok(v.clone()),
            _ => Err(format!("must be one of {}", options.join(", "))),
        },
        "multi_select" => {
            let chosen = v
                .as_array()
                .ok_or_else(|| "must be an array of options".to_owned())?;
            // Each option at most once: more entries than options cannot be valid.
            if chosen.len() > options.len() {
                return Err(format!("at most {} options", options.len()));
            }
            let mut out: Vec<&str> = Vec::with_capacity(chosen.len());
            for c in chosen {
                match c.as_str() {
                    Some(s) if options.contains(&s) => {
                        if !out.contains(&s) {
                            out.push(s);
                        }
                    }
                    _ => return Err(format!("each must be one of {}", options.join(", "))),
                }
            }
            Ok(Value::from(out))
        }
        other => Err(format!("has an unknown type {other}")),
    }
}

/// Applies a `custom` object of a write: each key a definition id; `null` clears.
pub fn apply(
    kind: &Kind,
    attrs: &mut Attrs,
    value: &Value,
    defs: &[BrandItem],
    issues: &mut Vec<Issue>,
) {
    let Some(input) = value.as_object() else {
        issues.push(Issue::new(
            "custom",
            "must be an object of field id → value",
        ));
        return;
    };
    if input.len() > MAX_CUSTOM_VALUES {
        issues.push(Issue::new(
            "custom",
            format!("at most {MAX_CUSTOM_VALUES} values in one write"),
        ));
        return;
    }
    let mut custom: Map<String, Value> = attrs
        .get("custom")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (id, v) in input {
        let field = format!("custom.{id}");
        let Some(def) = defs
            .iter()
            .find(|d| CUSTOM_FIELD.id_of(d.key.sk()) == id.as_str())
        else {
            issues.push(Issue::new(
                field,
                format!("is not a custom field of {}", kind.plural),
            ));
            continue;
        };
        if v.is_null() {
            custom.remove(id);
            continue;
        }
        if def.attrs.get("retired").and_then(Value::as_bool) == Some(true) {
            issues.push(Issue::new(field, "is retired and takes no new values"));
            continue;
        }
        match check(def, v) {
            Ok(Value::Null) => {
                custom.remove(id);
            }
            Ok(stored) => {
                custom.insert(id.clone(), stored);
            }
            Err(m) => issues.push(Issue::new(field, m)),
        }
    }
    if custom.is_empty() {
        attrs.remove("custom");
    } else {
        attrs.insert("custom".into(), Value::Object(custom));
    }
}
