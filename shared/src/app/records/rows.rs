//! Reading records: their keys, how the API shows them, who may see them, and the brand's
//! records of a kind. The lowest layer of records: everything else builds on it.

use super::error::RecordError;
use super::spec::{Kind, Ty, Visibility};
use crate::Ctx;
use crate::app::brand_table::BrandItem;
use crate::app::tenancy::BrandScope;
use crate::domain::{Permission, UserId};
use crate::keys::{self, BrandKey};
use crate::ports::Index;
use serde_json::{Map, Value};

pub type Attrs = Map<String, Value>;

/// Attributes every record carries besides its fields.
pub const META: &[&str] = &["created_at", "updated_at", "created_by", "version"];

/// How many records of one kind a brand may hold, and so the most a scan reads.
pub const MAX_SCAN: usize = 50_000;

/// The key of record `id` of `kind`, in the brand of whichever handle it is used with.
pub fn key(kind: &Kind, id: &str) -> BrandKey {
    keys::brand::record(kind.prefix, id)
}

pub fn text<'a>(attrs: &'a Attrs, name: &str) -> Option<&'a str> {
    attrs.get(name).and_then(Value::as_str)
}

/// The record as the API shows it: id, every field (null when unset), custom values, meta.
pub fn view(kind: &Kind, item: &BrandItem) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), Value::from(kind.id_of(item.key.sk())));
    for f in kind.fields {
        let v = item.attrs.get(f.name).cloned().unwrap_or(match f.ty {
            Ty::Tags | Ty::Strings | Ty::Members | Ty::Refs(_) | Ty::StageHistory => {
                Value::Array(vec![])
            }
            _ => Value::Null,
        });
        out.insert(f.name.into(), v);
    }
    if kind.custom_fields {
        out.insert(
            "custom".into(),
            item.attrs
                .get("custom")
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new())),
        );
    }
    for m in ["created_at", "updated_at", "created_by"] {
        out.insert(m.into(), item.attrs.get(m).cloned().unwrap_or(Value::Null));
    }
    out.insert("version".into(), Value::from(item.version().unwrap_or(0)));
    Value::Object(out)
}

/// Whether the scope may see this record.
pub fn visible(scope: &BrandScope, kind: &Kind, attrs: &Attrs) -> bool {
    if scope.role().can(Permission::WriteAllRecords) {
        return true;
    }
    let me = scope.user().map(UserId::to_string);
    let me = me.as_deref();
    match kind.visibility {
        Visibility::Everyone => true,
        Visibility::Owner(f) => me.is_some() && text(attrs, f) == me,
        Visibility::Assignees(f) => attrs
            .get(f)
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|v| v.as_str() == me && me.is_some())),
        Visibility::Author => text(attrs, "created_by") == Some(scope.actor().label().as_str()),
    }
}

/// Reads a record the scope may see.
pub async fn load(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    id: &str,
) -> Result<BrandItem, RecordError> {
    scope.require(Permission::WriteAssignedRecords)?;
    let id = ulid::Ulid::from_string(id).map_err(|_| RecordError::NotFound)?;
    let item = scope
        .table(ctx)
        .get(&key(kind, &id.to_string()))
        .await?
        .ok_or(RecordError::NotFound)?;
    if visible(scope, kind, &item.attrs) {
        Ok(item)
    } else {
        Err(RecordError::NotFound)
    }
}

pub async fn get(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    id: &str,
) -> Result<Value, RecordError> {
    Ok(view(kind, &load(ctx, scope, kind, id).await?))
}

/// Every record of a kind in the brand, up to [`MAX_SCAN`].
pub async fn scan(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
) -> Result<Vec<BrandItem>, RecordError> {
    let query = keys::brand::records(kind.prefix);
    Ok(scope.table(ctx).query_all(query, MAX_SCAN).await?)
}

/// The records attached to `<entity>:<id>` (notes, tasks, files).
pub async fn attached(
    ctx: &Ctx,
    scope: &BrandScope,
    record: &str,
) -> Result<Vec<BrandItem>, RecordError> {
    let query = keys::brand::attached_to(record).query().on(Index::Gsi1);
    Ok(scope.table(ctx).query_all(query, usize::MAX).await?)
}
