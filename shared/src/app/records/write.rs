//! Validating and writing records: a create or change body applied and checked against its
//! [`Kind`] (fields, rules, custom fields, references, the kind's hooks), then committed
//! with its audit record in one transaction that checks the version it was made against
//! (P22). Every read and write goes through the caller's [`BrandScope`] (P01).

use super::audit::{self, FieldChange};
use super::custom;
use super::error::RecordError;
use super::kinds;
use super::rows::{Attrs, key, load, text, view, visible};
use super::spec::{self, Entity, Issue, Kind, Ty, Visibility, Writable};
use crate::Ctx;
use crate::app::auth::Client;
use crate::app::brand_table::{BrandItem, BrandWrite};
use crate::app::identity::membership;
use crate::app::tenancy::BrandScope;
use crate::domain::{Permission, UserId};
use crate::keys::{self, BrandKey};
use crate::ports::{Condition, Index, StoreError};
use serde_json::Value;
use std::collections::HashMap;

/// Validation issues reported for one write, at most.
pub const MAX_ISSUES: usize = 50;

/// Applies a create or change body onto `attrs`: unknown, read-only and fixed fields are
/// refused, values are checked and normalised, `null` clears. Returns the member and record
/// references written, for [`check_references`].
fn apply(
    kind: &Kind,
    attrs: &mut Attrs,
    input: Attrs,
    creating: bool,
    custom_defs: &[BrandItem],
    issues: &mut Vec<Issue>,
) {
    // A body may hold any number of unknown names; the answer lists the first few.
    for (name, value) in input {
        if issues.len() >= MAX_ISSUES {
            break;
        }
        if name == "custom" && kind.custom_fields {
            custom::apply(kind, attrs, &value, custom_defs, issues);
            continue;
        }
        let Some(field) = kind.field(&name) else {
            issues.push(Issue::new(name, "is not a field of this record"));
            continue;
        };
        match field.writable {
            Writable::Never => {
                issues.push(Issue::new(name, "is set by the service"));
                continue;
            }
            Writable::OnCreate if !creating => {
                if attrs.get(&name) != Some(&value) {
                    issues.push(Issue::new(name, "cannot change after creation"));
                }
                continue;
            }
            _ => {}
        }
        let stored = if value.is_null() {
            Ok(Value::Null)
        } else {
            spec::check(field.ty, &value)
        };
        match stored {
            Ok(Value::Null) => {
                attrs.remove(&name);
            }
            Ok(v) => {
                attrs.insert(name, v);
            }
            Err(message) => issues.push(Issue::new(name, message)),
        }
    }
    for f in kind.fields.iter().filter(|f| f.required) {
        if !attrs.contains_key(f.name) {
            issues.push(Issue::new(f.name, "is required"));
        }
    }
}

/// Checks that written member and record references exist in the brand (and, for records,
/// that the caller can see them).
async fn check_references(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    before: &Attrs,
    after: &Attrs,
    issues: &mut Vec<Issue>,
    known: &mut HashMap<String, bool>,
) -> Result<(), RecordError> {
    for f in kind.fields {
        let Some(v) = after.get(f.name) else { continue };
        if before.get(f.name) == Some(v) {
            continue;
        }
        let old: Vec<String> = before
            .get(f.name)
            .map(|b| ids_in(f.ty, b))
            .unwrap_or_default();
        for id in ids_in(f.ty, v).into_iter().filter(|i| !old.contains(i)) {
            let memo = format!("{:?}:{id}", f.ty);
            if let Some(ok) = known.get(&memo) {
                if !ok {
                    issues.push(Issue::new(
                        f.name,
                        "names something that is not in this brand",
                    ));
                }
                continue;
            }
            let ok = match f.ty {
                Ty::Member | Ty::Members => {
                    let user = UserId::parse(&id)?;
                    membership(ctx, scope.brand(), &user).await?.is_some()
                }
                Ty::Ref(entity) | Ty::Refs(entity) => {
                    exists(ctx, scope, kinds::of(entity), &id).await?
                }
                Ty::Record => {
                    let (entity, rid) =
                        spec::parse_record_ref(&id).map_err(|m| RecordError::invalid(f.name, m))?;
                    match kinds::by_name(&entity).filter(|k| k.attachable) {
                        Some(k) => exists(ctx, scope, k, &rid).await?,
                        None => false,
                    }
                }
                _ => true,
            };
            known.insert(memo, ok);
            if !ok {
                issues.push(Issue::new(
                    f.name,
                    "names something that is not in this brand",
                ));
            }
        }
    }
    Ok(())
}

/// The ids (members, records, `<entity>:<id>`) a value names.
fn ids_in(ty: Ty, v: &Value) -> Vec<String> {
    match ty {
        Ty::Member | Ty::Members => spec::members_in(ty, v),
        Ty::Ref(_) | Ty::Record => v.as_str().map(str::to_owned).into_iter().collect(),
        Ty::Refs(_) => spec::members_in(Ty::Members, v),
        _ => Vec::new(),
    }
}

async fn exists(ctx: &Ctx, scope: &BrandScope, kind: &Kind, id: &str) -> Result<bool, RecordError> {
    Ok(scope
        .table(ctx)
        .get(&key(kind, id))
        .await?
        .is_some_and(|i| visible(scope, kind, &i.attrs)))
}

/// The kind's rules between fields, and what the service keeps (its `keep` hook).
fn rules(
    kind: &Kind,
    before: &Attrs,
    after: &mut Attrs,
    now: &str,
    actor: &str,
    issues: &mut Vec<Issue>,
) {
    issues.extend(kind.rules.iter().filter_map(|r| r.broken_by(after)));
    if let Some(keep) = kind.hooks.keep {
        keep(before, after, now, actor);
    }
}

/// Team members keep what they work on assigned to themselves: a write may not leave the
/// record out of their sight.
fn stays_visible(scope: &BrandScope, kind: &Kind, attrs: &Attrs, issues: &mut Vec<Issue>) {
    if visible(scope, kind, attrs) {
        return;
    }
    let field = match kind.visibility {
        Visibility::Owner(f) | Visibility::Assignees(f) => f,
        _ => "record",
    };
    issues.push(Issue::new(
        field,
        "team members keep what they work on assigned to themselves",
    ));
}

/// Puts a record in its indexes: the kind's own (its `indexes` hook: contacts by email and
/// phone), and attachments by the record they are on (GSI1).
pub(crate) fn index(item: &mut BrandItem, kind: &Kind) {
    item.clear_indexes();
    let sk = item.key.sk().to_owned();
    let own = kind
        .hooks
        .indexes
        .map(|f| f(&item.attrs))
        .unwrap_or_default();
    let on = text(&item.attrs, "record").map(|r| (Index::Gsi1, keys::brand::attached_to(r)));
    for (index, part) in own.into_iter().chain(on) {
        keys::index_in_brand(item, index, &part, &sk);
    }
}

/// The diffed fields of a kind, with custom values flattened as `custom.<id>`.
pub(crate) fn changes(kind: &Kind, before: &Attrs, after: &Attrs) -> Vec<FieldChange> {
    let flat = |a: &Attrs| {
        let mut m = a.clone();
        if let Some(Value::Object(c)) = m.remove("custom") {
            for (k, v) in c {
                m.insert(format!("custom.{k}"), v);
            }
        }
        m
    };
    let (b, a) = (flat(before), flat(after));
    let mut names: Vec<String> = kind.fields.iter().map(|f| f.name.to_owned()).collect();
    for k in b.keys().chain(a.keys()) {
        if k.starts_with("custom.") && !names.contains(k) {
            names.push(k.clone());
        }
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    audit::diff(&b, &a, &refs)
}

/// What validating many writes in a row reads once: custom field definitions, and which
/// referenced members and records exist.
#[derive(Default)]
pub struct Lookups {
    defs: Option<Vec<BrandItem>>,
    known: HashMap<String, bool>,
}

impl Lookups {
    /// Counts a record being created in the same transaction as existing, for references.
    pub fn will_exist(&mut self, entity: Entity, id: &str) {
        for ty in [Ty::Ref(entity), Ty::Refs(entity)] {
            self.known.insert(format!("{ty:?}:{id}"), true);
        }
    }

    async fn defs(
        &mut self,
        ctx: &Ctx,
        scope: &BrandScope,
        kind: &Kind,
        input: &Attrs,
    ) -> Result<Vec<BrandItem>, RecordError> {
        if !kind.custom_fields || !input.contains_key("custom") {
            return Ok(Vec::new());
        }
        if self.defs.is_none() {
            self.defs = Some(custom::definitions(ctx, scope, kind).await?);
        }
        Ok(self.defs.clone().unwrap_or_default())
    }
}

/// A record about to be written, and the writes (record and audit) that make it so.
pub struct Prepared {
    pub item: BrandItem,
    pub writes: Vec<BrandWrite>,
}

/// Default values of a new record, before the caller's fields apply: the caller owns or is
/// assigned what they create, and the kind's `defaults` hook adds its own.
async fn defaults(ctx: &Ctx, scope: &BrandScope, kind: &Kind) -> Result<Attrs, RecordError> {
    let mut attrs = Attrs::new();
    if let Some(me) = scope.user().map(UserId::to_string) {
        match kind.visibility {
            Visibility::Owner(f) => {
                attrs.insert(f.into(), me.into());
            }
            Visibility::Assignees(f) => {
                attrs.insert(f.into(), Value::from(vec![me]));
            }
            _ => {}
        }
    }
    if let Some(defaults) = kind.hooks.defaults {
        defaults(ctx, scope, &mut attrs).await?;
    }
    Ok(attrs)
}

/// Validates a new record of `kind` from `input` (over `preset`, values the service sets),
/// and prepares its writes.
pub async fn prepare_create(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    input: Attrs,
    preset: Attrs,
    client: &Client,
    action: &str,
) -> Result<Prepared, RecordError> {
    let id = crate::domain::new_id(ctx.clock.as_ref()).to_string();
    let mut lookups = Lookups::default();
    prepare_create_with_id(
        ctx,
        scope,
        kind,
        &id,
        input,
        preset,
        client,
        action,
        &mut lookups,
    )
    .await
}

/// As [`prepare_create`], for a known id, reusing `lookups` across many creates.
#[allow(clippy::too_many_arguments)]
pub async fn prepare_create_with_id(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    id: &str,
    input: Attrs,
    preset: Attrs,
    client: &Client,
    action: &str,
    lookups: &mut Lookups,
) -> Result<Prepared, RecordError> {
    scope.require(kind.write)?;
    scope.require(Permission::WriteAssignedRecords)?;
    let now = ctx.clock.now().to_rfc3339();
    let actor = scope.actor().label();
    let custom_defs = lookups.defs(ctx, scope, kind, &input).await?;
    let mut attrs = defaults(ctx, scope, kind).await?;
    attrs.extend(preset);
    let mut issues = Vec::new();
    apply(kind, &mut attrs, input, true, &custom_defs, &mut issues);
    rules(kind, &Attrs::new(), &mut attrs, &now, &actor, &mut issues);
    stays_visible(scope, kind, &attrs, &mut issues);
    if issues.is_empty() {
        check_references(
            ctx,
            scope,
            kind,
            &Attrs::new(),
            &attrs,
            &mut issues,
            &mut lookups.known,
        )
        .await?;
    }
    if !issues.is_empty() {
        return Err(RecordError::Invalid(issues));
    }
    let changes = changes(kind, &Attrs::new(), &attrs);
    attrs.insert("created_at".into(), now.as_str().into());
    attrs.insert("updated_at".into(), now.as_str().into());
    attrs.insert("created_by".into(), actor.into());
    attrs.insert("version".into(), 1.into());
    let mut item = BrandItem {
        key: key(kind, id),
        attrs,
    };
    index(&mut item, kind);
    Ok(Prepared {
        writes: vec![
            BrandWrite::Put {
                item: item.clone(),
                condition: Condition::Absent,
            },
            audit::audit(
                ctx,
                scope,
                action,
                kind.entity.as_str(),
                id,
                &changes,
                client,
            ),
        ],
        item,
    })
}

/// Validates a change of `current` and prepares its writes; `None` when nothing changes.
pub async fn prepare_update(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    current: &BrandItem,
    input: Attrs,
    client: &Client,
    action: &str,
) -> Result<Option<Prepared>, RecordError> {
    scope.require(kind.write)?;
    let now = ctx.clock.now().to_rfc3339();
    let actor = scope.actor().label();
    let custom_defs = Lookups::default().defs(ctx, scope, kind, &input).await?;
    let mut attrs = current.attrs.clone();
    let mut issues = Vec::new();
    apply(kind, &mut attrs, input, false, &custom_defs, &mut issues);
    rules(kind, &current.attrs, &mut attrs, &now, &actor, &mut issues);
    stays_visible(scope, kind, &attrs, &mut issues);
    if issues.is_empty() {
        check_references(
            ctx,
            scope,
            kind,
            &current.attrs,
            &attrs,
            &mut issues,
            &mut HashMap::new(),
        )
        .await?;
    }
    if !issues.is_empty() {
        return Err(RecordError::Invalid(issues));
    }
    let changes = changes(kind, &current.attrs, &attrs);
    if changes.is_empty() {
        return Ok(None);
    }
    Ok(Some(next_version(
        ctx, scope, kind, current, attrs, &changes, &now, client, action,
    )))
}

/// Commits prepared writes; a failed version condition on the record (the first write) is
/// a stale write, answered with the current version.
pub async fn commit(
    ctx: &Ctx,
    scope: &BrandScope,
    writes: Vec<BrandWrite>,
) -> Result<(), RecordError> {
    let keys: Vec<BrandKey> = writes.iter().map(|w| w.key().clone()).collect();
    let table = scope.table(ctx);
    match table.transact(writes).await {
        Ok(()) => Ok(()),
        Err(StoreError::TransactionConditionFailed { index }) => {
            let current = table.get(&keys[index]).await?;
            match current {
                Some(item) => Err(RecordError::Stale {
                    current: item.version().unwrap_or(0),
                }),
                None => Err(RecordError::NotFound),
            }
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    input: Attrs,
    client: &Client,
) -> Result<Value, RecordError> {
    let prepared = prepare_create(ctx, scope, kind, input, Attrs::new(), client, "create").await?;
    commit(ctx, scope, prepared.writes).await?;
    Ok(view(kind, &prepared.item))
}

/// Changes a record read at version `expected`; a stale version is refused with the current.
pub async fn update(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    id: &str,
    expected: u64,
    input: Attrs,
    client: &Client,
) -> Result<Value, RecordError> {
    let current = load(ctx, scope, kind, id).await?;
    let version = current.version().unwrap_or(0);
    if version != expected {
        return Err(RecordError::Stale { current: version });
    }
    match prepare_update(ctx, scope, kind, &current, input, client, "update").await? {
        None => Ok(view(kind, &current)),
        Some(prepared) => {
            commit(ctx, scope, prepared.writes).await?;
            Ok(view(kind, &prepared.item))
        }
    }
}

/// The writes that delete `item` with its audit record. The audit names the fields erased,
/// not their values (P24).
pub fn deletion(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    item: &BrandItem,
    client: &Client,
    action: &str,
) -> Vec<BrandWrite> {
    let id = kind.id_of(item.key.sk());
    let erased: Vec<FieldChange> = changes(kind, &item.attrs, &Attrs::new())
        .into_iter()
        .map(|c| FieldChange {
            field: c.field,
            before: Value::from(audit::ERASED),
            after: Value::Null,
        })
        .collect();
    vec![
        BrandWrite::Delete {
            key: item.key.clone(),
            condition: Condition::VersionEquals(item.version().unwrap_or(0)),
        },
        audit::audit(
            ctx,
            scope,
            action,
            kind.entity.as_str(),
            id,
            &erased,
            client,
        ),
    ]
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
    attrs: Attrs,
    client: &Client,
    action: &str,
) -> Vec<BrandWrite> {
    let changes = changes(kind, &item.attrs, &attrs);
    let now = ctx.clock.now().to_rfc3339();
    next_version(
        ctx, scope, kind, item, attrs, &changes, &now, client, action,
    )
    .writes
}

/// `current` moved to its next version holding `attrs`, updated at `now` (the time the
/// change's kept values carry too): re-indexed, written only if it is still at the version
/// it was read at, with the audit record of `changes`. Every change of
/// an existing record (a client's, the service's, a merge) is made of these writes.
#[allow(clippy::too_many_arguments)]
pub fn next_version(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    current: &BrandItem,
    mut attrs: Attrs,
    changes: &[FieldChange],
    now: &str,
    client: &Client,
    action: &str,
) -> Prepared {
    let id = kind.id_of(current.key.sk());
    let version = current.version().unwrap_or(0);
    attrs.insert("version".into(), Value::from(version + 1));
    attrs.insert("updated_at".into(), Value::from(now));
    let mut item = BrandItem {
        key: current.key.clone(),
        attrs,
    };
    index(&mut item, kind);
    let audit = audit::audit(
        ctx,
        scope,
        action,
        kind.entity.as_str(),
        id,
        changes,
        client,
    );
    Prepared {
        writes: vec![
            BrandWrite::Put {
                item: item.clone(),
                condition: Condition::VersionEquals(version),
            },
            audit,
        ],
        item,
    }
}
