//! Lists: filters, sorting, text search and cursor pages over one kind of record.
//!
//! A plain list (no filter, sort or search, by a caller who sees every record) pages the
//! table directly in creation order. Anything else reads the brand's records of that kind
//! (at most [`rows::MAX_SCAN`], a bound far above a studio's book) and filters, sorts and pages
//! them in memory with a keyset cursor, so pages are always full and stable under writes.
//! The filters a kind takes follow from its fields:
//! - `<field>=<value>`: equality; for lists (tags, members, ids), "contains";
//! - `<field>_from` / `<field>_to`: inclusive range of dates, numbers, `created_at` and
//!   `updated_at`;
//! - `custom.<field id>=<value>`: a custom value (contains, for multi-select);
//! - `q`: case-insensitive text in the kind's searchable fields (and phone digits);
//! - `sort=<field>` or `sort=-<field>` (descending).

use super::error::RecordError;
use super::rows::{self, Attrs, view, visible};
use super::spec::{Kind, Ty};
use crate::Ctx;
use crate::app::tenancy::BrandScope;
use crate::domain::Permission;
use crate::keys;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::HashMap;

/// The most records one list reads.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 100;

/// Query parameters that are not filters.
const RESERVED: &[&str] = &["q", "limit", "cursor", "sort"];
/// How often one list filter may be given.
const MAX_REPEATS: usize = 20;
const META_RANGES: &[&str] = &["created_at", "updated_at"];

#[derive(Debug, Clone, PartialEq)]
enum Filter {
    Equals(String, String),
    Contains(String, String),
    From(String, String),
    To(String, String),
    Custom(String, String),
}

#[derive(Debug, Default)]
pub struct ListQuery {
    filters: Vec<Filter>,
    q: Option<String>,
    sort: Option<(String, bool)>,
    pub limit: u32,
    cursor: Option<String>,
}

/// How a type is filtered: by equality, by containment, or by range.
pub fn filter_shape(ty: Ty) -> Option<&'static str> {
    match ty {
        Ty::Text(_)
        | Ty::Email
        | Ty::Phone
        | Ty::Url
        | Ty::Choice(_)
        | Ty::Member
        | Ty::Ref(_)
        | Ty::Record
        | Ty::Bool
        | Ty::Time => Some("equals"),
        Ty::Tags | Ty::Strings | Ty::Members | Ty::Refs(_) => Some("contains"),
        Ty::Date | Ty::Int { .. } => Some("range"),
        Ty::LongText(_) | Ty::Object(_) | Ty::StageHistory => None,
    }
}

fn sortable(ty: Ty) -> bool {
    matches!(
        ty,
        Ty::Text(_) | Ty::Email | Ty::Phone | Ty::Date | Ty::Time | Ty::Int { .. } | Ty::Choice(_)
    )
}

/// The fields a kind sorts by.
pub fn sort_fields(kind: &Kind) -> Vec<&'static str> {
    kind.fields
        .iter()
        .filter(|f| sortable(f.ty))
        .map(|f| f.name)
        .chain(META_RANGES.iter().copied())
        .collect()
}

impl ListQuery {
    /// Parses a list's query parameters against the kind; anything unknown is refused.
    pub fn parse(kind: &Kind, params: &[(String, String)]) -> Result<Self, RecordError> {
        let bad = |m: String| Err(RecordError::BadQuery(m));
        let mut out = ListQuery {
            limit: DEFAULT_LIMIT,
            ..Default::default()
        };
        // A list filter may be repeated (each value must be contained), a bounded number of
        // times.
        let mut given: HashMap<&str, usize> = HashMap::new();
        for (name, _) in params {
            let n = given.entry(name.as_str()).or_default();
            *n += 1;
            if *n > MAX_REPEATS {
                return bad(format!("{name} may be given at most {MAX_REPEATS} times"));
            }
        }
        for (name, value) in params {
            match name.as_str() {
                "q" => out.q = Some(value.trim().to_lowercase()).filter(|q| !q.is_empty()),
                "limit" => {
                    out.limit = match value.parse::<u32>() {
                        Ok(l) if (1..=MAX_LIMIT).contains(&l) => l,
                        _ => return bad(format!("limit must be 1..={MAX_LIMIT}")),
                    }
                }
                "cursor" => out.cursor = Some(value.clone()),
                "sort" => {
                    let (field, desc) = match value.strip_prefix('-') {
                        Some(f) => (f, true),
                        None => (value.as_str(), false),
                    };
                    if !sort_fields(kind).contains(&field) {
                        return bad(format!(
                            "sort must be one of {} (prefix - for descending)",
                            sort_fields(kind).join(", ")
                        ));
                    }
                    out.sort = Some((field.to_owned(), desc));
                }
                other => out.filters.push(Self::filter(kind, other, value)?),
            }
        }
        if out.sort.is_none() {
            out.sort = kind.order.map(|f| (f.to_owned(), false));
        }
        Ok(out)
    }

    fn filter(kind: &Kind, name: &str, value: &str) -> Result<Filter, RecordError> {
        let unknown = || {
            RecordError::BadQuery(format!(
                "{name} is not a filter of {}; filters are named after fields",
                kind.plural
            ))
        };
        let invalid = |m: String| RecordError::invalid(name, m);
        if let Some(id) = name.strip_prefix("custom.") {
            if !kind.custom_fields || id.is_empty() {
                return Err(unknown());
            }
            ulid::Ulid::from_string(id)
                .map_err(|_| invalid("must name a custom field by its id".into()))?;
            return Ok(Filter::Custom(id.to_owned(), value.to_owned()));
        }
        for (suffix, range) in [("_from", true), ("_to", false)] {
            if let Some(field) = name.strip_suffix(suffix) {
                let bound = if META_RANGES.contains(&field) {
                    Some(meta_bound(value).map_err(invalid)?)
                } else {
                    match kind.field(field) {
                        Some(f) if filter_shape(f.ty) == Some("range") => {
                            Some(filter_value(f.ty, value).map_err(invalid)?)
                        }
                        _ => None,
                    }
                };
                if let Some(bound) = bound {
                    let v = (field.to_owned(), bound);
                    return Ok(if range {
                        Filter::From(v.0, v.1)
                    } else {
                        Filter::To(v.0, v.1)
                    });
                }
            }
        }
        if RESERVED.contains(&name) {
            return Err(unknown());
        }
        let field = kind.field(name).ok_or_else(unknown)?;
        let shape = filter_shape(field.ty).ok_or_else(unknown)?;
        // Compare in stored form, so `Ana@X.io` finds `ana@x.io`; a value the field could
        // never hold is refused rather than silently matching nothing.
        let value = filter_value(field.ty, value).map_err(invalid)?;
        Ok(match shape {
            "contains" => Filter::Contains(name.to_owned(), value),
            _ => Filter::Equals(name.to_owned(), value),
        })
    }

    fn plain(&self) -> bool {
        self.filters.is_empty() && self.q.is_none() && self.sort.is_none()
    }
}

/// A filter value in the form the field stores it, or why no stored value could match.
fn filter_value(ty: Ty, raw: &str) -> Result<String, String> {
    let checked = |ty: Ty| super::spec::check(ty, &Value::from(raw)).map(|v| as_text(&v));
    match ty {
        // What no stored value could be is refused: too long, or with characters the field
        // refuses.
        Ty::Text(max) | Ty::LongText(max) => {
            let ok = match ty {
                Ty::Text(_) => !raw.chars().any(char::is_control),
                _ => !raw
                    .chars()
                    .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')),
            };
            if !ok {
                return Err("must not contain control characters".to_owned());
            }
            bounded_text(raw, max)
        }
        Ty::Url => checked(Ty::Url),
        Ty::Strings => bounded_text(raw, 100),
        Ty::Tags => bounded_text(raw, 40).map(|t| t.trim().to_lowercase()),
        Ty::Int { min, max } => match raw.trim().parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n.to_string()),
            Ok(_) => Err(format!("must be {min}..={max}")),
            Err(_) => Err("must be a whole number".to_owned()),
        },
        Ty::Bool => match raw {
            "true" | "false" => Ok(raw.to_owned()),
            _ => Err("must be true or false".to_owned()),
        },
        Ty::Members => checked(Ty::Member),
        Ty::Refs(entity) => checked(Ty::Ref(entity)),
        other => checked(other),
    }
}

fn bounded_text(raw: &str, max: usize) -> Result<String, String> {
    if raw.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    Ok(raw.to_owned())
}

/// A bound on `created_at`/`updated_at`: a date or an RFC 3339 time.
fn meta_bound(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let date = raw.len() == 10 && chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").is_ok();
    if date || chrono::DateTime::parse_from_rfc3339(raw).is_ok() {
        Ok(raw.to_owned())
    } else {
        Err("must be a date (YYYY-MM-DD) or an RFC 3339 time".to_owned())
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Compares a stored value with a filter bound: numbers numerically, the rest as text.
fn compare(v: &Value, bound: &str) -> Option<Ordering> {
    match v {
        Value::Number(n) => n.as_f64()?.partial_cmp(&bound.parse::<f64>().ok()?),
        Value::String(s) => Some(s.as_str().cmp(bound)),
        _ => None,
    }
}

fn matches(item: &Attrs, filters: &[Filter], q: Option<&str>, kind: &Kind) -> bool {
    let get = |f: &str| item.get(f).filter(|v| !v.is_null());
    let all = filters.iter().all(|f| match f {
        Filter::Equals(name, value) => get(name).is_some_and(|v| as_text(v) == *value),
        Filter::Contains(name, value) => get(name)
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|v| as_text(v) == *value)),
        Filter::From(name, bound) => {
            get(name).is_some_and(|v| compare(v, bound).is_some_and(Ordering::is_ge))
        }
        Filter::To(name, bound) => get(name).is_some_and(|v| {
            // A date bound includes the whole of its last day for timestamps.
            let bound = if bound.len() == 10 && name.ends_with("_at") {
                format!("{bound}T23:59:59.999999999+99:99")
            } else {
                bound.clone()
            };
            compare(v, &bound).is_some_and(Ordering::is_le)
        }),
        Filter::Custom(id, value) => {
            item.get("custom")
                .and_then(|c| c.get(id))
                .is_some_and(|v| match v {
                    Value::Array(a) => a.iter().any(|x| as_text(x) == *value),
                    other => as_text(other) == *value,
                })
        }
    });
    if !all {
        return false;
    }
    let Some(q) = q else { return true };
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    kind.searchable.iter().any(|f| {
        let Some(s) = get(f).and_then(Value::as_str) else {
            return false;
        };
        s.to_lowercase().contains(q)
            || (digits.len() >= 3
                && kind.field(f).is_some_and(|fd| fd.ty == Ty::Phone)
                && s.contains(digits.as_str()))
    })
}

/// What a record sorts by, computed once per list: numbers numerically, the rest as
/// case-folded text; absent values sort last.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Rank {
    Num(f64),
    Text(String),
}

fn rank(v: Option<&Value>) -> Option<Rank> {
    match v? {
        Value::Null => None,
        Value::Number(n) => n.as_f64().map(Rank::Num),
        other => Some(Rank::Text(as_text(other).to_lowercase())),
    }
}

fn order(a: (&Option<Rank>, &str), b: (&Option<Rank>, &str)) -> Ordering {
    let by_value = match (a.0, b.0) {
        (None, None) => Ordering::Equal,
        (None, _) => Ordering::Greater,
        (_, None) => Ordering::Less,
        (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
    };
    by_value.then_with(|| a.1.cmp(b.1))
}

fn encode_cursor(pos: &(Value, String)) -> String {
    let raw = serde_json::to_vec(&serde_json::json!([pos.0, pos.1])).unwrap_or_default();
    format!("s.{}", URL_SAFE_NO_PAD.encode(raw))
}

fn decode_cursor(raw: &str) -> Result<(Value, String), RecordError> {
    let bad = || RecordError::BadQuery("cursor is not one this list gave".into());
    let bytes = URL_SAFE_NO_PAD
        .decode(raw.strip_prefix("s.").ok_or_else(bad)?)
        .map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    match v.as_array().map(Vec::as_slice) {
        Some([value, Value::String(id)]) => Ok((value.clone(), id.clone())),
        _ => Err(bad()),
    }
}

/// One page of the records of `kind` the scope may see, and the cursor of the next.
pub async fn list(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    query: ListQuery,
) -> Result<(Vec<Value>, Option<String>), RecordError> {
    scope.require(Permission::WriteAssignedRecords)?;
    if let Some(seed) = kind.hooks.seed {
        seed(ctx, scope).await?;
    }
    let sees_all = scope.role().can(Permission::WriteAllRecords);
    if query.plain() && sees_all && !query.cursor.as_deref().is_some_and(|c| c.starts_with("s.")) {
        let page = scope
            .table(ctx)
            .query(
                keys::brand::records(kind.prefix)
                    .limit(query.limit)
                    .after(query.cursor.map(|c| c.trim_start_matches("t.").to_owned())),
            )
            .await?;
        let items = page.items.iter().map(|i| view(kind, i)).collect();
        return Ok((items, page.next.map(|n| format!("t.{n}"))));
    }
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let (field, desc) = query
        .sort
        .clone()
        .unwrap_or_else(|| ("id".to_owned(), false));
    let scanned = rows::scan(ctx, scope, kind).await?;
    // Filter and rank on stored attributes; only the page returned is turned into views.
    let mut items: Vec<(Option<Rank>, &str, &crate::app::brand_table::BrandItem)> = scanned
        .iter()
        .filter(|i| visible(scope, kind, &i.attrs))
        .filter(|i| matches(&i.attrs, &query.filters, query.q.as_deref(), kind))
        .map(|i| {
            let id = kind.id_of(i.key.sk());
            let by = if field == "id" {
                Some(Rank::Text(id.to_lowercase()))
            } else {
                rank(i.attrs.get(&field))
            };
            (by, id, i)
        })
        .collect();
    let cmp = |a: (&Option<Rank>, &str), b: (&Option<Rank>, &str)| {
        if desc { order(b, a) } else { order(a, b) }
    };
    items.sort_by(|a, b| cmp((&a.0, a.1), (&b.0, b.1)));
    let start = match &after {
        Some((value, id)) => {
            let at = if field == "id" {
                Some(Rank::Text(id.to_lowercase()))
            } else {
                rank(Some(value))
            };
            items.partition_point(|(r, i, _)| cmp((r, i), (&at, id)) != Ordering::Greater)
        }
        None => 0,
    };
    let limit = query.limit as usize;
    let page: Vec<Value> = items
        .iter()
        .skip(start)
        .take(limit)
        .map(|(_, _, i)| view(kind, i))
        .collect();
    let next = (items.len() > start + limit).then(|| {
        let last = &page[limit - 1];
        encode_cursor(&(
            last.get(&field).cloned().unwrap_or(Value::Null),
            last["id"].as_str().unwrap_or_default().to_owned(),
        ))
    });
    Ok((page, next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::records::kinds::CONTACT;

    fn params(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn list_parameters_follow_the_fields() {
        assert!(ListQuery::parse(&CONTACT, &params(&[("tags", "vip"), ("sort", "-name")])).is_ok());
        assert!(ListQuery::parse(&CONTACT, &params(&[("created_at_from", "2026-01-01")])).is_ok());
        assert!(
            ListQuery::parse(
                &CONTACT,
                &params(&[("custom.01JAAAAAAAAAAAAAAAAAAAAAAA", "x")])
            )
            .is_ok()
        );
        assert!(ListQuery::parse(&CONTACT, &params(&[("custom.01J", "x")])).is_err());
        assert!(ListQuery::parse(&CONTACT, &params(&[("created_at_from", "soon")])).is_err());
        assert!(ListQuery::parse(&CONTACT, &params(&[("colour", "red")])).is_err());
        assert!(ListQuery::parse(&CONTACT, &params(&[("sort", "notes")])).is_err());
        assert!(ListQuery::parse(&CONTACT, &params(&[("limit", "0")])).is_err());
        assert!(ListQuery::parse(&CONTACT, &params(&[("name_from", "a")])).is_err());
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let pos = (Value::from("Ana"), "01J".to_owned());
        assert_eq!(decode_cursor(&encode_cursor(&pos)).unwrap(), pos);
        assert!(decode_cursor("s.!!!").is_err());
        assert!(decode_cursor("t.x").is_err());
    }
}
