//! Contacts beyond the common record: duplicate detection by normalised email and phone, and
//! merging one contact into another.

use super::cascade::repoint;
use super::error::RecordError;
use super::kinds::{CONTACT, FILE, NOTE, TASK};
use super::rows::{self, Attrs, load, view, visible};
use super::write::{self, commit};
use crate::Ctx;
use crate::app::auth::Client;
use crate::app::brand_table::BrandItem;
use crate::app::tenancy::BrandScope;
use crate::keys;
use crate::ports::Index;
use serde_json::Value;

/// Other contacts with the same email or phone as `item`.
pub async fn duplicates_of(
    ctx: &Ctx,
    scope: &BrandScope,
    email: Option<&str>,
    phone: Option<&str>,
    except: Option<&str>,
) -> Result<Vec<BrandItem>, RecordError> {
    let table = scope.table(ctx);
    let mut found: Vec<BrandItem> = Vec::new();
    let lookups = [
        email.map(|e| (Index::Gsi1, keys::brand::contacts_by_email(e))),
        phone.map(|p| (Index::Gsi2, keys::brand::contacts_by_phone(p))),
    ];
    for (index, part) in lookups.into_iter().flatten() {
        let page = table.query(part.query().on(index).limit(100)).await?;
        for item in page.items {
            let id = CONTACT.id_of(item.key.sk()).to_owned();
            if Some(id.as_str()) != except
                && visible(scope, &CONTACT, &item.attrs)
                && !found.iter().any(|f| f.key == item.key)
            {
                found.push(item);
            }
        }
    }
    Ok(found)
}

/// The contacts that look like duplicates of contact `id`.
pub async fn duplicates(
    ctx: &Ctx,
    scope: &BrandScope,
    id: &str,
) -> Result<Vec<Value>, RecordError> {
    let item = load(ctx, scope, &CONTACT, id).await?;
    let found = duplicates_of(
        ctx,
        scope,
        rows::text(&item.attrs, "email"),
        rows::text(&item.attrs, "phone"),
        Some(CONTACT.id_of(item.key.sk())),
    )
    .await?;
    Ok(found.iter().map(|i| view(&CONTACT, i)).collect())
}

/// Merges contact `other` into contact `id` (read at `expected`): fields `id` lacks are taken
/// from `other`, tags and custom values are combined, everything that pointed at `other`
/// (notes, tasks, files, enquiries, projects) points at `id`, and `other` is deleted. Its
/// audit trail stays, findable through the survivor's `merged_ids`.
pub async fn merge(
    ctx: &Ctx,
    scope: &BrandScope,
    id: &str,
    expected: u64,
    other: &str,
    client: &Client,
) -> Result<Value, RecordError> {
    let target = load(ctx, scope, &CONTACT, id).await?;
    let source = load(ctx, scope, &CONTACT, other).await?;
    scope.require(CONTACT.write)?;
    if target.key == source.key {
        return Err(RecordError::invalid(
            "other_id",
            "cannot merge a contact into itself",
        ));
    }
    let version = target.version().unwrap_or(0);
    if version != expected {
        return Err(RecordError::Stale { current: version });
    }
    let (tid, sid) = (
        CONTACT.id_of(target.key.sk()).to_owned(),
        CONTACT.id_of(source.key.sk()).to_owned(),
    );
    // Re-point what hangs off the source first: each step is idempotent, so a retry after a
    // failure completes the merge.
    let from = format!("contact:{sid}");
    let to = format!("contact:{tid}");
    for item in rows::attached(ctx, scope, &from).await? {
        let Some(kind) = [&NOTE, &TASK, &FILE]
            .into_iter()
            .find(|k| item.key.sk().starts_with(k.prefix))
        else {
            continue;
        };
        let mut attrs = item.attrs.clone();
        attrs.insert("record".into(), to.as_str().into());
        write::write_service_change(ctx, scope, kind, &item, attrs, client, "merge").await?;
    }
    repoint(ctx, scope, &CONTACT, &sid, Some(&tid), client).await?;

    // Everything copied is already a valid stored value of the same brand.
    let mut attrs = target.attrs.clone();
    for field in ["email", "phone", "address", "source", "company_id", "notes"] {
        if !attrs.contains_key(field)
            && let Some(v) = source.attrs.get(field)
        {
            attrs.insert(field.into(), v.clone());
        }
    }
    let mut tags: Vec<Value> = list(&attrs, "tags");
    for t in list(&source.attrs, "tags") {
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    if !tags.is_empty() {
        attrs.insert("tags".into(), Value::Array(tags));
    }
    if let Some(Value::Object(src)) = source.get("custom") {
        let mut custom = attrs
            .get("custom")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (k, v) in src {
            custom.entry(k.clone()).or_insert_with(|| v.clone());
        }
        attrs.insert("custom".into(), Value::Object(custom));
    }
    let mut merged = list(&attrs, "merged_ids");
    merged.push(sid.as_str().into());
    merged.extend(list(&source.attrs, "merged_ids"));
    attrs.insert("merged_ids".into(), Value::Array(merged));
    let changes = write::changes(&CONTACT, &target.attrs, &attrs);
    let now = ctx.clock.now().to_rfc3339();
    let merged = write::next_version(
        ctx, scope, &CONTACT, &target, attrs, &changes, &now, client, "merge",
    );
    let (item, mut writes) = (merged.item, merged.writes);
    writes.extend(write::deletion(
        ctx, scope, &CONTACT, &source, client, "merge",
    ));
    commit(ctx, scope, writes).await?;
    Ok(view(&CONTACT, &item))
}

fn list(attrs: &Attrs, name: &str) -> Vec<Value> {
    attrs
        .get(name)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}
