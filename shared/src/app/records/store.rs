//! Create, read, update and delete for every kind of record, driven by its [`Kind`]. Every
//! write checks the version it was made against and commits its audit record in the same
//! transaction (P22); every read and write goes through the caller's [`BrandScope`] (P01).

use super::audit::{self, FieldChange};
use super::custom;
use super::kinds;
use super::spec::{self, Issue, Kind, Ty, Visibility, Writable};
use crate::Ctx;
use crate::app::auth::{AuthError, Client};
use crate::app::brand_table::{BrandItem, BrandWrite};
use crate::app::tenancy::{BrandScope, ScopeError, membership};
use crate::domain::{Permission, UserId};
use crate::keys::{self, BrandKey};
use crate::ports::{BlobsError, Condition, Index, StoreError};
use serde_json::{Map, Value};
use std::collections::HashMap;

pub type Attrs = Map<String, Value>;

/// Attributes every record carries besides its fields.
pub const META: &[&str] = &["created_at", "updated_at", "created_by", "version"];
/// Validation issues reported for one write, at most.
pub const MAX_ISSUES: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("no such record")]
    NotFound,
    #[error("the record changed: now version {current}")]
    Stale { current: u64 },
    #[error("invalid record")]
    Invalid(Vec<Issue>),
    #[error("{0}")]
    InUse(String),
    #[error("{0}")]
    BadQuery(String),
    #[error(transparent)]
    Scope(#[from] ScopeError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blobs(#[from] BlobsError),
}

impl RecordError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        RecordError::Invalid(vec![Issue::new(field, message)])
    }
}

impl From<AuthError> for RecordError {
    fn from(e: AuthError) -> Self {
        RecordError::Scope(ScopeError::Auth(e))
    }
}

impl From<crate::domain::Invalid> for RecordError {
    fn from(e: crate::domain::Invalid) -> Self {
        RecordError::invalid(e.field, e.message)
    }
}

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
                Ty::Ref(entity) | Ty::Refs(entity) => exists(ctx, scope, entity, &id).await?,
                Ty::Record => {
                    let (entity, rid) =
                        spec::parse_record_ref(&id).map_err(|m| RecordError::invalid(f.name, m))?;
                    match kinds::by_entity(&entity).filter(|k| k.attachable) {
                        Some(k) => exists(ctx, scope, k.entity, &rid).await?,
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

async fn exists(
    ctx: &Ctx,
    scope: &BrandScope,
    entity: &str,
    id: &str,
) -> Result<bool, RecordError> {
    let Some(kind) = kinds::by_entity(entity) else {
        return Ok(false);
    };
    Ok(scope
        .table(ctx)
        .get(&key(kind, id))
        .await?
        .is_some_and(|i| visible(scope, kind, &i.attrs)))
}

/// The kind's rules between fields, and what the service keeps (stage history, done time).
fn rules(
    kind: &Kind,
    before: &Attrs,
    after: &mut Attrs,
    now: &str,
    actor: &str,
    issues: &mut Vec<Issue>,
) {
    issues.extend(kind.rules.iter().filter_map(|r| r.broken_by(after)));
    match kind.entity {
        "project" => {
            let (was, is) = (text(before, "stage_id"), text(after, "stage_id"));
            if was != is
                && let Some(is) = is
            {
                let entry = serde_json::json!({
                    "stage_id": is, "from_stage_id": was, "at": now, "by": actor,
                });
                let mut history = after
                    .get("stage_history")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                history.push(entry);
                after.insert("stage_history".into(), Value::Array(history));
            }
        }
        "task" => {
            let done = after.get("done").and_then(Value::as_bool) == Some(true);
            let was = before.get("done").and_then(Value::as_bool) == Some(true);
            if done && !was {
                after.insert("done_at".into(), Value::from(now));
            } else if !done {
                after.remove("done_at");
            }
        }
        _ => {}
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

/// Puts a record in its indexes: contacts by email (GSI1) and phone (GSI2), attachments by
/// the record they are on (GSI1).
pub(crate) fn index(item: &mut BrandItem, kind: &Kind) {
    item.clear_indexes();
    let sk = item.key.sk().to_owned();
    let email = text(&item.attrs, "email").map(keys::brand::contacts_by_email);
    let phone = text(&item.attrs, "phone").map(keys::brand::contacts_by_phone);
    let on = text(&item.attrs, "record").map(keys::brand::attached_to);
    if kind.entity == "contact" {
        if let Some(part) = email {
            keys::index_in_brand(item, Index::Gsi1, &part, &sk);
        }
        if let Some(part) = phone {
            keys::index_in_brand(item, Index::Gsi2, &part, &sk);
        }
    }
    if let Some(part) = on {
        keys::index_in_brand(item, Index::Gsi1, &part, &sk);
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
    pub fn will_exist(&mut self, entity: &'static str, id: &str) {
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

/// Default values of a new record, before the caller's fields apply.
async fn defaults(ctx: &Ctx, scope: &BrandScope, kind: &Kind) -> Result<Attrs, RecordError> {
    let mut attrs = Attrs::new();
    let me = scope.user().map(UserId::to_string);
    match kind.visibility {
        Visibility::Owner(f) => {
            if let Some(me) = &me {
                attrs.insert(f.into(), me.as_str().into());
            }
        }
        Visibility::Assignees(f) => {
            if let Some(me) = &me {
                attrs.insert(f.into(), Value::from(vec![me.as_str()]));
            }
        }
        _ => {}
    }
    match kind.entity {
        "enquiry" => {
            attrs.insert("status".into(), "new".into());
            let source = match scope.actor() {
                crate::app::tenancy::Actor::ApiKey(_) => "api",
                _ => "manual",
            };
            attrs.insert("source".into(), source.into());
        }
        "project" => {
            let stages = super::pipeline::stages(ctx, scope).await?;
            if let Some(first) = stages.first() {
                attrs.insert("stage_id".into(), stage_id_of(first).into());
            }
        }
        "stage" => {
            let stages = super::pipeline::stages(ctx, scope).await?;
            let last = stages
                .iter()
                .filter_map(|s| s.get("position").and_then(Value::as_i64))
                .max()
                .unwrap_or(0);
            attrs.insert("position".into(), Value::from((last + 10).min(1000)));
            attrs.insert("outcome".into(), "open".into());
        }
        "task" => {
            attrs.insert("done".into(), false.into());
        }
        "custom_field" => {
            attrs.insert("retired".into(), false.into());
        }
        _ => {}
    }
    Ok(attrs)
}

fn stage_id_of(item: &BrandItem) -> String {
    kinds::STAGE.id_of(item.key.sk()).to_owned()
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
            audit::audit(ctx, scope, action, kind.entity, id, &changes, client),
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
    let id = kind.id_of(current.key.sk()).to_owned();
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
    let version = current.version().unwrap_or(0);
    attrs.insert("updated_at".into(), now.into());
    attrs.insert("version".into(), Value::from(version + 1));
    let mut item = BrandItem {
        key: current.key.clone(),
        attrs,
    };
    index(&mut item, kind);
    Ok(Some(Prepared {
        writes: vec![
            BrandWrite::Put {
                item: item.clone(),
                condition: Condition::VersionEquals(version),
            },
            audit::audit(ctx, scope, action, kind.entity, &id, &changes, client),
        ],
        item,
    }))
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

pub async fn get(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    id: &str,
) -> Result<Value, RecordError> {
    Ok(view(kind, &load(ctx, scope, kind, id).await?))
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

/// Deletes a record (P24), with `expected`, only if it is still at that version. What hangs
/// off it goes first (see [`super::cascade`]), so a retry after a failure finishes the job.
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
    super::cascade::before_delete(ctx, scope, kind, &id, client).await?;
    commit(
        ctx,
        scope,
        deletion(ctx, scope, kind, &current, client, "delete"),
    )
    .await?;
    super::cascade::after_delete(ctx, scope, kind, &current).await
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
        audit::audit(ctx, scope, action, kind.entity, id, &erased, client),
    ]
}

/// Every record of a kind in the brand, up to [`super::query::MAX_SCAN`].
pub async fn scan(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
) -> Result<Vec<BrandItem>, RecordError> {
    let query = keys::brand::records(kind.prefix);
    Ok(scope
        .table(ctx)
        .query_all(query, super::query::MAX_SCAN)
        .await?)
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
