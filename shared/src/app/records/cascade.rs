//! What deleting a record takes with it (P24):
//! - notes, tasks and files attached to it are deleted (files with their bytes);
//! - references to it from other records are cleared (a contact's `company_id`, an
//!   enquiry's `contact_id`, a project's `contact_ids`…), each an audited change;
//! - a pipeline stage still holding projects is not deleted (409): move them first;
//! - its audit trail keeps who did what and when, but the values are erased.
//!
//! Each step is its own audited transaction and the record itself goes last, so a retry
//! after a failure picks up where it stopped.

use super::audit;
use super::error::RecordError;
use super::kinds;
use super::rows::{self, load};
use super::spec::{Entity, Kind, OnDelete, Ty};
use super::write::{commit, deletion, write_service_change};
use crate::Ctx;
use crate::app::auth::Client;
use crate::app::brand_table::BrandItem;
use crate::app::tenancy::BrandScope;
use crate::keys;
use crate::ports::{Condition, Index, Update};
use serde_json::Value;

/// Clears or deletes what depends on `<kind>:<id>`.
pub async fn before_delete(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    id: &str,
    client: &Client,
) -> Result<(), RecordError> {
    refuse_if_held(ctx, scope, kind, id).await?;
    if kind.attachable {
        for item in rows::attached(ctx, scope, &format!("{}:{id}", kind.entity)).await? {
            let Some(k) = kinds::ALL
                .iter()
                .find(|k| item.key.sk().starts_with(k.prefix))
            else {
                continue;
            };
            commit(ctx, scope, deletion(ctx, scope, k, &item, client, "delete")).await?;
            after_delete(ctx, scope, k, &item).await?;
        }
    }
    unlink(ctx, scope, kind, id, client).await
}

/// Refuses the delete while a reference that keeps its record ([`OnDelete::Refuse`]) names it:
/// a pipeline stage still holding projects.
async fn refuse_if_held(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    id: &str,
) -> Result<(), RecordError> {
    for other in kinds::ALL {
        for f in other.fields {
            let OnDelete::Refuse(reason) = f.on_delete else {
                continue;
            };
            if !references(f.ty, kind.entity) {
                continue;
            }
            let held = rows::scan(ctx, scope, other)
                .await?
                .iter()
                .any(|r| match r.get(f.name) {
                    Some(Value::String(s)) => s == id,
                    Some(Value::Array(ids)) => ids.iter().any(|v| v.as_str() == Some(id)),
                    _ => false,
                });
            if held {
                return Err(RecordError::InUse(reason.into()));
            }
        }
    }
    Ok(())
}

fn references(ty: Ty, entity: Entity) -> bool {
    matches!(ty, Ty::Ref(e) | Ty::Refs(e) if e == entity)
}

/// Removes `id` from every field that references records of `kind`.
pub async fn unlink(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    id: &str,
    client: &Client,
) -> Result<(), RecordError> {
    repoint(ctx, scope, kind, id, None, client).await
}

/// Points every reference to `from` at `to` instead (or clears it when `to` is `None`).
pub async fn repoint(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    from: &str,
    to: Option<&str>,
    client: &Client,
) -> Result<(), RecordError> {
    for other in kinds::ALL {
        let fields: Vec<_> = other
            .fields
            .iter()
            .filter(|f| references(f.ty, kind.entity))
            .collect();
        if fields.is_empty() {
            continue;
        }
        for item in rows::scan(ctx, scope, other).await? {
            let mut attrs = item.attrs.clone();
            let mut touched = false;
            for f in &fields {
                match (f.ty, attrs.get(f.name).cloned()) {
                    (Ty::Ref(_), Some(Value::String(s))) if s == from => {
                        match to {
                            Some(to) => attrs.insert(f.name.into(), to.into()),
                            None => attrs.remove(f.name),
                        };
                        touched = true;
                    }
                    (Ty::Refs(_), Some(Value::Array(ids)))
                        if ids.iter().any(|v| v.as_str() == Some(from)) =>
                    {
                        let mut kept: Vec<Value> = ids
                            .into_iter()
                            .filter(|v| v.as_str() != Some(from))
                            .collect();
                        if let Some(to) = to
                            && !kept.iter().any(|v| v.as_str() == Some(to))
                        {
                            kept.push(to.into());
                        }
                        attrs.insert(f.name.into(), Value::Array(kept));
                        touched = true;
                    }
                    _ => {}
                }
            }
            if touched {
                write_service_change(ctx, scope, other, &item, attrs, client, "unlink").await?;
            }
        }
    }
    Ok(())
}

/// After a record is gone: what its kind takes with it (a file's bytes), and the values in
/// its audit trail.
pub async fn after_delete(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    item: &BrandItem,
) -> Result<(), RecordError> {
    let id = kind.id_of(item.key.sk());
    if let Some(on_deleted) = kind.hooks.on_deleted {
        on_deleted(ctx, scope, id).await?;
    }
    erase_audit_values(ctx, scope, kind.entity.as_str(), id).await
}

/// Keeps who changed which field and when, and drops what the values were.
async fn erase_audit_values(
    ctx: &Ctx,
    scope: &BrandScope,
    entity: &str,
    id: &str,
) -> Result<(), RecordError> {
    let table = scope.table(ctx);
    let trail = table
        .query_all(
            keys::brand::record_trail(entity, id)
                .query()
                .on(Index::Gsi1),
            usize::MAX,
        )
        .await?;
    for a in &trail {
        let Some(Value::Array(changes)) = a.get("changes") else {
            continue;
        };
        let erased: Vec<Value> = changes
            .iter()
            .map(|c| {
                serde_json::json!({
                    "field": c.get("field").cloned().unwrap_or(Value::Null),
                    "before": if c.get("before").is_some_and(|v| !v.is_null()) { audit::ERASED.into() } else { Value::Null },
                    "after": if c.get("after").is_some_and(|v| !v.is_null()) { audit::ERASED.into() } else { Value::Null },
                })
            })
            .collect();
        if &erased != changes {
            table
                .update(
                    &a.key,
                    Update::new().set("changes", Value::Array(erased)),
                    Condition::Present,
                )
                .await?;
        }
    }
    Ok(())
}

/// Deletes a record (P24), with `expected`, only if it is still at that version. What hangs
/// off it goes first (see this module), so a retry after a failure finishes the job.
pub async fn delete(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    id: &str,
    expected: Option<u64>,
    client: &Client,
) -> Result<(), RecordError> {
    let current = load(ctx, scope, kind, id).await?;
    scope.require(kind.write)?;
    let version = current.version().unwrap_or(0);
    if expected.is_some_and(|e| e != version) {
        return Err(RecordError::Stale { current: version });
    }
    let id = kind.id_of(current.key.sk()).to_owned();
    before_delete(ctx, scope, kind, &id, client).await?;
    commit(
        ctx,
        scope,
        deletion(ctx, scope, kind, &current, client, "delete"),
    )
    .await?;
    after_delete(ctx, scope, kind, &current).await
}
