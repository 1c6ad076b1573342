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
use super::kinds::{self, FILE, PROJECT};
use super::spec::Kind;
use super::spec::Ty;
use super::store::{self, Attrs, RecordError, commit, deletion, text};
use crate::Ctx;
use crate::app::auth::Client;
use crate::app::brand_table::{BrandItem, BrandWrite};
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
    if kind.entity == "stage" {
        let in_use = store::scan(ctx, scope, &PROJECT)
            .await?
            .iter()
            .any(|p| text(&p.attrs, "stage_id") == Some(id));
        if in_use {
            return Err(RecordError::InUse(
                "projects are in this stage: move them to another stage first".into(),
            ));
        }
    }
    if kind.attachable {
        for item in store::attached(ctx, scope, &format!("{}:{id}", kind.entity)).await? {
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
            .filter(|f| matches!(f.ty, Ty::Ref(e) | Ty::Refs(e) if e == kind.entity))
            .collect();
        if fields.is_empty() {
            continue;
        }
        for item in store::scan(ctx, scope, other).await? {
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

/// Writes a change the service makes (not a client's body) with its audit record.
pub async fn write_service_change(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    item: &BrandItem,
    attrs: Attrs,
    client: &Client,
    action: &str,
) -> Result<(), RecordError> {
    commit(
        ctx,
        scope,
        service_change(ctx, scope, kind, item, attrs, client, action),
    )
    .await
}

/// The writes of a change the service makes: the record at its next version (on condition
/// it is still at the read one) and the audit record.
pub fn service_change(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    item: &BrandItem,
    mut attrs: Attrs,
    client: &Client,
    action: &str,
) -> Vec<BrandWrite> {
    let id = kind.id_of(item.key.sk());
    let version = item.version().unwrap_or(0);
    let changes = store::changes(kind, &item.attrs, &attrs);
    attrs.insert("version".into(), Value::from(version + 1));
    attrs.insert(
        "updated_at".into(),
        Value::from(ctx.clock.now().to_rfc3339()),
    );
    let mut next = BrandItem {
        key: item.key.clone(),
        attrs,
    };
    store::index(&mut next, kind);
    vec![
        BrandWrite::Put {
            item: next,
            condition: Condition::VersionEquals(version),
        },
        audit::audit(ctx, scope, action, kind.entity, id, &changes, client),
    ]
}

/// After a record is gone: its file bytes, and the values in its audit trail.
pub async fn after_delete(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    item: &BrandItem,
) -> Result<(), RecordError> {
    let id = kind.id_of(item.key.sk());
    if kind.entity == FILE.entity {
        scope.blobs(ctx).delete(&keys::brand::file(id)).await?;
    }
    erase_audit_values(ctx, scope, kind.entity, id).await
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
