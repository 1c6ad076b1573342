//! How a kind of record is described: its fields, their types and who sees it. One
//! description drives validation, storage, filters, sorting, CSV columns and the OpenAPI
//! schema, so they cannot drift apart.

pub use super::error::Issue;
use super::error::RecordError;
use crate::Ctx;
use crate::app::tenancy::BrandScope;
use crate::domain::{Email, Permission, Phone, UserId};
use crate::keys::BrandPart;
use crate::ports::Index;
use futures::future::BoxFuture;
use serde_json::{Map, Value};
use std::collections::HashSet;

/// A record's attributes as stored: its fields, `custom`, and the meta attributes.
pub type Attrs = Map<String, Value>;

/// The kinds of record, as audit records, `<entity>:<id>` references and custom field
/// definitions name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Contact,
    Company,
    Enquiry,
    Project,
    Task,
    Note,
    File,
    Stage,
    CustomField,
}

impl Entity {
    pub const ALL: [Entity; 9] = [
        Entity::Contact,
        Entity::Company,
        Entity::Enquiry,
        Entity::Project,
        Entity::Task,
        Entity::Note,
        Entity::File,
        Entity::Stage,
        Entity::CustomField,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Entity::Contact => "contact",
            Entity::Company => "company",
            Entity::Enquiry => "enquiry",
            Entity::Project => "project",
            Entity::Task => "task",
            Entity::Note => "note",
            Entity::File => "file",
            Entity::Stage => "stage",
            Entity::CustomField => "custom_field",
        }
    }

    pub fn parse(name: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.as_str() == name)
    }
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Values a new record of a kind starts with, added to what the generic defaults set.
pub type Defaults =
    for<'a> fn(&'a Ctx, &'a BrandScope, &'a mut Attrs) -> BoxFuture<'a, Result<(), RecordError>>;
/// Brand data a kind needs before any of its records is read.
pub type Seed = for<'a> fn(&'a Ctx, &'a BrandScope) -> BoxFuture<'a, Result<(), RecordError>>;
/// What goes with a record once its row is gone (a file's bytes), given its id.
pub type OnDeleted =
    for<'a> fn(&'a Ctx, &'a BrandScope, &'a str) -> BoxFuture<'a, Result<(), RecordError>>;
/// What the service keeps on every write: `(before, after, now, actor)`.
pub type Keep = fn(&Attrs, &mut Attrs, &str, &str);
/// Index entries a record is found by, besides its attachment: `(index, partition)`.
pub type Indexes = fn(&Attrs) -> Vec<(Index, BrandPart)>;

/// What a kind does beyond what its fields say. Each kind's own module (`kinds::*`) fills in
/// its hooks; generic record code only calls them.
#[derive(Debug, Clone, Copy)]
pub struct Hooks {
    pub defaults: Option<Defaults>,
    pub keep: Option<Keep>,
    pub indexes: Option<Indexes>,
    pub seed: Option<Seed>,
    pub on_deleted: Option<OnDeleted>,
}

impl Hooks {
    pub const NONE: Hooks = Hooks {
        defaults: None,
        keep: None,
        indexes: None,
        seed: None,
        on_deleted: None,
    };
}

/// What deleting a record does to another record's reference to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDelete {
    /// The reference is cleared, as an audited change of the referring record.
    Clear,
    /// The delete is refused (409) while any record holds the reference, with this reason.
    Refuse(&'static str),
}

/// A field's type, and so what a write must hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ty {
    /// One line of text, at most this many characters.
    Text(usize),
    /// Free text with line breaks, at most this many characters.
    LongText(usize),
    Email,
    /// Kept as `+` and digits (E.164 when written with a country code).
    Phone,
    /// An `http`/`https` URL.
    Url,
    /// `YYYY-MM-DD`.
    Date,
    /// `HH:MM`, 24-hour.
    Time,
    Int {
        min: i64,
        max: i64,
    },
    Bool,
    Choice(&'static [&'static str]),
    /// Up to 20 lowercase labels of 1..=40 characters.
    Tags,
    /// Distinct non-empty strings of at most 100 characters, at most 100 of them.
    Strings,
    /// A member of the brand (user id).
    Member,
    Members,
    /// The id of one of the brand's records of this entity.
    Ref(Entity),
    Refs(Entity),
    /// Any record that takes attachments, as `<entity>:<id>`.
    Record,
    /// A nested object of optional fields.
    Object(&'static [Field]),
    /// A project's stage changes, kept by the service: `[{stage_id, from_stage_id, at, by}]`.
    StageHistory,
}

/// Who may write a field through the API.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Writable {
    Always,
    /// On create only; fixed afterwards.
    OnCreate,
    /// Set by the service (history, conversion links).
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
    pub writable: Writable,
    pub doc: &'static str,
    /// For references: what deleting the record named does to this field.
    pub on_delete: OnDelete,
}

impl Field {
    pub const fn new(name: &'static str, ty: Ty, doc: &'static str) -> Self {
        Self {
            name,
            ty,
            required: false,
            writable: Writable::Always,
            doc,
            on_delete: OnDelete::Clear,
        }
    }
    /// A reference that keeps the record it names: deleting that record is refused.
    pub const fn refuses_delete(mut self, reason: &'static str) -> Self {
        self.on_delete = OnDelete::Refuse(reason);
        self
    }
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub const fn on_create(mut self) -> Self {
        self.writable = Writable::OnCreate;
        self
    }
    pub const fn read_only(mut self) -> Self {
        self.writable = Writable::Never;
        self
    }
}

/// What a team member (who may not see every record) sees of a kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Visibility {
    /// Records whose member field names them.
    Owner(&'static str),
    /// Records whose member-list field includes them.
    Assignees(&'static str),
    /// Records they created.
    Author,
    /// Every record: brand configuration that everyone reads.
    Everyone,
}

/// A kind of record.
#[derive(Debug)]
pub struct Kind {
    /// The entity used in audit records and `<entity>:<id>` references.
    pub entity: Entity,
    /// The route segment and export name.
    pub plural: &'static str,
    /// The schema name in the OpenAPI document.
    pub schema: &'static str,
    pub summary: &'static str,
    /// Sort-key prefix of the records in the brand's partition.
    pub prefix: &'static str,
    pub fields: &'static [Field],
    /// Whether the brand's custom fields apply.
    pub custom_fields: bool,
    /// Whether notes, tasks and files may be attached.
    pub attachable: bool,
    pub visibility: Visibility,
    /// The permission writes need (reads need `WriteAssignedRecords`).
    pub write: Permission,
    /// Fields the `q` search looks in.
    pub searchable: &'static [&'static str],
    /// The field lists sort by when the caller names none (else creation order).
    pub order: Option<&'static str>,
    /// Rules between fields, checked on the record as it will be stored and stated in the
    /// OpenAPI document.
    pub rules: &'static [Rule],
    /// What the kind does beyond its fields (defaults, kept values, indexes, seed data).
    pub hooks: Hooks,
}

/// A rule between fields of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// `field` must hold a value when `when` is one of `values`.
    RequiredWhen {
        field: &'static str,
        when: &'static str,
        values: &'static [&'static str],
    },
    /// `field` takes `value` only together with `with`, which only `via` sets: no plain write
    /// can.
    Reserved {
        field: &'static str,
        value: &'static str,
        with: &'static str,
        via: &'static str,
    },
    /// `high` is at least `low` when both are set.
    AtLeast {
        high: &'static str,
        low: &'static str,
    },
}

impl Rule {
    /// The field a broken rule is reported on, and why, if `record` breaks it.
    pub fn broken_by(&self, record: &Map<String, Value>) -> Option<Issue> {
        let text = |f: &str| record.get(f).and_then(Value::as_str);
        let filled = |f: &str| match record.get(f) {
            None | Some(Value::Null) => false,
            Some(Value::Array(a)) => !a.is_empty(),
            Some(Value::String(s)) => !s.is_empty(),
            Some(_) => true,
        };
        match *self {
            Rule::RequiredWhen {
                field,
                when,
                values,
            } => (text(when).is_some_and(|v| values.contains(&v)) && !filled(field)).then(|| {
                Issue::new(
                    field,
                    format!("is required when {when} is {}", values.join(" or ")),
                )
            }),
            Rule::Reserved {
                field,
                value,
                with,
                via,
            } => (text(field) == Some(value) && !filled(with))
                .then(|| Issue::new(field, format!("becomes {value} through {via}"))),
            Rule::AtLeast { high, low } => {
                let n = |f: &str| record.get(f).and_then(Value::as_i64);
                match (n(low), n(high)) {
                    (Some(lo), Some(hi)) if lo > hi => {
                        Some(Issue::new(high, format!("must be at least {low}")))
                    }
                    _ => None,
                }
            }
        }
    }
}

impl Kind {
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn field_names(&self) -> Vec<&'static str> {
        self.fields.iter().map(|f| f.name).collect()
    }

    /// The id in a record's sort key.
    pub fn id_of<'a>(&self, sk: &'a str) -> &'a str {
        sk.strip_prefix(self.prefix).unwrap_or(sk)
    }
}

pub const MAX_TAGS: usize = 20;
pub const MAX_LIST: usize = 100;
pub const MAX_IDS: usize = 50;

/// Refuses a list longer than its cap before looking at any entry, so the work a request
/// can cause is bounded by the cap, not by the body size. Duplicates count toward the cap.
fn bounded<'a>(items: &'a [Value], max: usize, what: &str) -> Result<&'a [Value], String> {
    if items.len() > max {
        return Err(format!("at most {max} {what}"));
    }
    Ok(items)
}

fn one_line(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

fn multi_line(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
}

fn string(v: &Value) -> Result<&str, String> {
    v.as_str().ok_or_else(|| "must be a string".to_owned())
}

fn list(v: &Value) -> Result<&Vec<Value>, String> {
    v.as_array().ok_or_else(|| "must be an array".to_owned())
}

/// An id exactly as written (as documented: no padding).
fn ulid(raw: &str) -> Result<String, String> {
    ulid::Ulid::from_string(raw)
        .map(|u| u.to_string())
        .map_err(|_| "must be an id (ULID)".to_owned())
}

/// Parses `<entity>:<id>`.
pub fn parse_record_ref(raw: &str) -> Result<(String, String), String> {
    let (entity, id) = raw
        .split_once(':')
        .ok_or_else(|| "must be <entity>:<id>, e.g. contact:01J…".to_owned())?;
    Ok((entity.to_owned(), ulid(id)?))
}

/// A JSON number that is whole: `27.0` is the whole number 27 (see `domain::number`).
pub use crate::domain::number::whole as whole_number;

/// Checks a non-null value against a type, returning its stored (normalised) form. Existence
/// of referenced records and members is checked by the caller, which can read the table.
pub fn check(ty: Ty, v: &Value) -> Result<Value, String> {
    Ok(match ty {
        Ty::Text(max) | Ty::LongText(max) => {
            let raw = string(v)?;
            // Bounded as written, padding included (bytes first: cheap on a hostile string).
            if raw.len() > 4 * max || raw.chars().count() > max {
                return Err(format!("must be at most {max} characters"));
            }
            // Checked before trimming: trimming would quietly drop some control characters
            // (U+0085 is also white space).
            let ok_chars = if matches!(ty, Ty::Text(_)) {
                one_line(raw)
            } else {
                multi_line(raw)
            };
            if !ok_chars {
                return Err("must not contain control characters".into());
            }
            let s = raw.trim();
            if s.is_empty() {
                return Ok(Value::Null);
            }
            Value::from(s)
        }
        Ty::Email => Value::from(
            Email::parse(string(v)?)
                .map_err(|e| e.message)?
                .as_str()
                .to_owned(),
        ),
        Ty::Phone => Value::from(
            Phone::parse(string(v)?)
                .map_err(|e| e.message)?
                .as_str()
                .to_owned(),
        ),
        Ty::Url => {
            let s = string(v)?.trim();
            let url = url::Url::parse(s).map_err(|_| "must be a URL".to_owned())?;
            // Bounded as written; the stored, normalised form may be a little longer.
            if !matches!(url.scheme(), "http" | "https") || s.chars().count() > 2048 {
                return Err("must be an http(s) URL of at most 2048 characters".into());
            }
            Value::from(url.as_str())
        }
        Ty::Date => {
            let s = string(v)?.trim();
            // Exactly four-digit years: chrono alone would take `-0001-01-01` or `+12026-…`.
            let shaped = s.len() == 10 && s.as_bytes()[0].is_ascii_digit();
            if !shaped || chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err() {
                return Err("must be a date, YYYY-MM-DD".to_owned());
            }
            Value::from(s)
        }
        Ty::Time => {
            let s = string(v)?.trim();
            if s.len() != 5 || chrono::NaiveTime::parse_from_str(s, "%H:%M").is_err() {
                return Err("must be a time, HH:MM".into());
            }
            Value::from(s)
        }
        Ty::Int { min, max } => {
            let n = whole_number(v).ok_or_else(|| "must be a whole number".to_owned())?;
            if n < min || n > max {
                return Err(format!("must be {min}..={max}"));
            }
            Value::from(n)
        }
        Ty::Bool => Value::from(
            v.as_bool()
                .ok_or_else(|| "must be true or false".to_owned())?,
        ),
        Ty::Choice(options) => {
            let s = string(v)?;
            if !options.contains(&s) {
                return Err(format!("must be one of {}", options.join(", ")));
            }
            Value::from(s)
        }
        Ty::Tags => {
            let raw = bounded(list(v)?, MAX_TAGS, "tags")?;
            let mut seen = HashSet::with_capacity(raw.len());
            let mut clean: Vec<String> = Vec::with_capacity(raw.len());
            for t in raw {
                // As written (padding and all), then trimmed.
                let t = string(t)?;
                if t.len() > 160 || t.chars().count() > 40 || !one_line(t) || t.trim().is_empty() {
                    return Err("each tag is 1..=40 characters".into());
                }
                let t = t.trim();
                let t = t.to_lowercase();
                if seen.insert(t.clone()) {
                    clean.push(t);
                }
            }
            Value::from(clean)
        }
        Ty::Strings => {
            let raw = bounded(list(v)?, MAX_LIST, "entries")?;
            let mut seen = HashSet::with_capacity(raw.len());
            let mut clean: Vec<String> = Vec::with_capacity(raw.len());
            for s in raw {
                let s = string(s)?;
                if s.len() > 400 || s.chars().count() > 100 || !one_line(s) || s.trim().is_empty() {
                    return Err("each entry is 1..=100 characters".into());
                }
                let s = s.trim();
                if seen.insert(s) {
                    clean.push(s.to_owned());
                }
            }
            Value::from(clean)
        }
        Ty::Member => Value::from(
            UserId::parse(string(v)?)
                .map_err(|_| "must be a member's user id".to_owned())?
                .to_string(),
        ),
        Ty::Ref(_) => Value::from(ulid(string(v)?)?),
        Ty::Members | Ty::Refs(_) => {
            let raw = bounded(list(v)?, MAX_IDS, "entries")?;
            let mut seen = HashSet::with_capacity(raw.len());
            let mut ids: Vec<String> = Vec::with_capacity(raw.len());
            for item in raw {
                let id = ulid(string(item)?)?;
                if seen.insert(id.clone()) {
                    ids.push(id);
                }
            }
            Value::from(ids)
        }
        Ty::StageHistory => return Err("is kept by the service".into()),
        Ty::Record => {
            let (entity, id) = parse_record_ref(string(v)?)?;
            Value::from(format!("{entity}:{id}"))
        }
        Ty::Object(fields) => {
            let obj = v
                .as_object()
                .ok_or_else(|| "must be an object".to_owned())?;
            let mut out = Map::new();
            for (k, sub) in obj {
                let f = fields
                    .iter()
                    .find(|f| f.name == k)
                    .ok_or_else(|| format!("has no field {k:?}"))?;
                if sub.is_null() {
                    continue;
                }
                let stored = check(f.ty, sub).map_err(|m| format!("{k}: {m}"))?;
                if !stored.is_null() {
                    out.insert(k.clone(), stored);
                }
            }
            if out.is_empty() {
                Value::Null
            } else {
                Value::Object(out)
            }
        }
    })
}

/// The member ids a value names (for membership checks).
pub fn members_in(ty: Ty, v: &Value) -> Vec<String> {
    match ty {
        Ty::Member => v.as_str().map(str::to_owned).into_iter().collect(),
        Ty::Members => v
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_normalised_or_refused_with_a_reason() {
        assert_eq!(check(Ty::Text(5), &json!("  ab ")).unwrap(), json!("ab"));
        assert_eq!(check(Ty::Text(5), &json!("   ")).unwrap(), Value::Null);
        assert!(check(Ty::Text(5), &json!("abcdef")).is_err());
        assert!(check(Ty::Text(50), &json!("a\nb")).is_err());
        assert_eq!(
            check(Ty::LongText(50), &json!("a\nb")).unwrap(),
            json!("a\nb")
        );
        assert_eq!(
            check(Ty::Email, &json!("Ana@Bloom.Example")).unwrap(),
            json!("ana@bloom.example")
        );
        assert_eq!(
            check(Ty::Phone, &json!("+44 (20) 7946-0958")).unwrap(),
            json!("+442079460958")
        );
        assert!(check(Ty::Date, &json!("2026-02-30")).is_err());
        assert!(check(Ty::Date, &json!("-0001-01-01")).is_err());
        assert!(check(Ty::Date, &json!("+2026-01-01")).is_err());
        assert!(check(Ty::Time, &json!("24:00")).is_err());
        assert!(check(Ty::Url, &json!("javascript:alert(1)")).is_err());
        assert!(check(Ty::Int { min: 0, max: 10 }, &json!(11)).is_err());
        assert!(check(Ty::Int { min: 0, max: 10 }, &json!(1.5)).is_err());
        assert!(check(Ty::Choice(&["a", "b"]), &json!("c")).is_err());
        assert_eq!(
            check(Ty::Tags, &json!(["VIP", "vip ", "Wedding"])).unwrap(),
            json!(["vip", "wedding"])
        );
        assert!(check(Ty::Record, &json!("contact:nope")).is_err());
        const ADDR: &[Field] = &[Field::new("city", Ty::Text(10), "")];
        assert_eq!(
            check(Ty::Object(ADDR), &json!({"city": " Leeds "})).unwrap(),
            json!({"city": "Leeds"})
        );
        assert!(check(Ty::Object(ADDR), &json!({"town": "x"})).is_err());
        assert_eq!(
            check(Ty::Object(ADDR), &json!({"city": null})).unwrap(),
            Value::Null
        );
    }
}
