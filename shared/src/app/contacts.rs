//! Contacts: the people a studio works with. Team members see and change only the contacts
//! assigned to them; full access and above see all of the brand's contacts.

use crate::Ctx;
use crate::app::auth::{AuthError, Client};
use crate::app::records::{self, FieldChange};
use crate::app::tenancy::{BrandScope, ScopeError, membership};
use crate::domain::{Email, Invalid, Permission, PersonName, Phone, UserId};
use crate::keys;
use crate::ports::{Condition, Item, Key, Query, StoreError, Write};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

const ENTITY: &str = "contact";
const FIELDS: &[&str] = &["name", "email", "phone", "tags", "owner_id", "notes"];
const MAX_TAGS: usize = 20;
const MAX_NOTES: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Contact {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tags: Vec<String>,
    /// The member the contact is assigned to.
    pub owner_id: Option<String>,
    pub notes: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

/// Fields of a new contact, or the fields a change sets (absent: unchanged; `null`: cleared).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactFields {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "some_or_null")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "some_or_null")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "some_or_null")]
    #[schema(value_type = Option<String>)]
    pub owner_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "some_or_null")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
}

/// `null` → `Some(None)` (clear), a value → `Some(Some(v))`, absent → `None` (keep).
fn some_or_null<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Debug, thiserror::Error)]
pub enum ContactError {
    #[error("no such contact")]
    NotFound,
    #[error("the contact changed: now version {current}")]
    Stale { current: u64 },
    #[error(transparent)]
    Scope(#[from] ScopeError),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AuthError> for ContactError {
    fn from(e: AuthError) -> Self {
        ContactError::Scope(ScopeError::Auth(e))
    }
}

impl From<ContactError> for crate::http::ApiError {
    fn from(e: ContactError) -> Self {
        use crate::http::ApiError;
        match e {
            ContactError::NotFound => ApiError::NotFound,
            ContactError::Stale { current } => ApiError::Conflict {
                detail: "the contact changed since you read it".into(),
                current_version: Some(current),
            },
            ContactError::Scope(s) => s.into(),
            ContactError::Invalid(i) => i.into(),
            ContactError::Store(s) => s.into(),
        }
    }
}

fn key(scope: &BrandScope, id: &str) -> Key {
    Key::new(keys::brand_pk(scope.brand()), format!("CONTACT#{id}"))
}

fn text(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn view(item: &Item) -> Contact {
    Contact {
        id: item.key.sk.trim_start_matches("CONTACT#").to_owned(),
        name: text(item, "name").unwrap_or_default(),
        email: text(item, "email"),
        phone: text(item, "phone"),
        tags: item
            .get("tags")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        owner_id: text(item, "owner_id"),
        notes: text(item, "notes"),
        created_at: text(item, "created_at").unwrap_or_default(),
        updated_at: text(item, "updated_at").unwrap_or_default(),
        version: item.version().unwrap_or(0),
    }
}

/// Whether the scope may see and change this contact.
fn visible(scope: &BrandScope, item: &Item) -> bool {
    scope.role().can(Permission::WriteAllRecords)
        || scope
            .user()
            .is_some_and(|u| text(item, "owner_id").as_deref() == Some(u.to_string().as_str()))
}

/// Applies validated `fields` onto `attrs`.
async fn apply(
    ctx: &Ctx,
    scope: &BrandScope,
    attrs: &mut Map<String, Value>,
    fields: ContactFields,
) -> Result<(), ContactError> {
    let mut set = |name: &str, value: Option<String>| match value {
        Some(v) => attrs.insert(name.to_owned(), Value::from(v)),
        None => attrs.remove(name),
    };
    if let Some(name) = fields.name {
        set("name", Some(PersonName::parse(&name)?.as_str().to_owned()));
    }
    if let Some(email) = fields.email {
        set(
            "email",
            email
                .map(|e| Email::parse(&e))
                .transpose()?
                .map(String::from),
        );
    }
    if let Some(phone) = fields.phone {
        set(
            "phone",
            phone
                .map(|p| Phone::parse(&p))
                .transpose()?
                .map(String::from),
        );
    }
    if let Some(notes) = fields.notes {
        if notes
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NOTES)
        {
            return Err(Invalid::new("notes", "must be at most 10,000 characters").into());
        }
        set("notes", notes);
    }
    if let Some(owner) = fields.owner_id {
        let owner = owner.map(|o| UserId::parse(&o)).transpose()?;
        if let Some(o) = &owner
            && membership(ctx, scope.brand(), o).await?.is_none()
        {
            return Err(Invalid::new("owner_id", "must be a member of the brand").into());
        }
        // Team members keep what they touch assigned to themselves.
        if !scope.role().can(Permission::WriteAllRecords) && owner.as_ref() != scope.user() {
            return Err(Invalid::new(
                "owner_id",
                "team members assign contacts to themselves only",
            )
            .into());
        }
        set("owner_id", owner.map(|o| o.to_string()));
    }
    if let Some(tags) = fields.tags {
        let mut clean: Vec<String> = Vec::new();
        for t in tags {
            let t = t.trim().to_lowercase();
            if t.is_empty() || t.chars().count() > 40 {
                return Err(Invalid::new("tags", "each tag is 1..=40 characters").into());
            }
            if !clean.contains(&t) {
                clean.push(t);
            }
        }
        if clean.len() > MAX_TAGS {
            return Err(Invalid::new("tags", "at most 20 tags").into());
        }
        attrs.insert("tags".into(), Value::from(clean));
    }
    Ok(())
}

pub async fn create(
    ctx: &Ctx,
    scope: &BrandScope,
    mut fields: ContactFields,
    client: &Client,
) -> Result<Contact, ContactError> {
    scope.require(Permission::WriteAssignedRecords)?;
    if fields.name.is_none() {
        return Err(Invalid::new("name", "is required").into());
    }
    if fields.owner_id.is_none() {
        fields.owner_id = Some(scope.user().map(UserId::to_string));
    }
    let id = crate::domain::new_id(ctx.clock.as_ref()).to_string();
    let now = ctx.clock.now().to_rfc3339();
    let mut attrs = Map::new();
    apply(ctx, scope, &mut attrs, fields).await?;
    let changes = records::diff(&Map::new(), &attrs, FIELDS);
    attrs.insert("created_at".into(), Value::from(now.as_str()));
    attrs.insert("updated_at".into(), Value::from(now.as_str()));
    attrs.insert("version".into(), Value::from(1));
    let item = Item {
        key: key(scope, &id),
        attrs,
    };
    ctx.table
        .transact(vec![
            Write::Put {
                item: item.clone(),
                condition: Condition::Absent,
            },
            records::audit(ctx, scope, "create", ENTITY, &id, &changes, client),
        ])
        .await?;
    Ok(view(&item))
}

async fn load(ctx: &Ctx, scope: &BrandScope, id: &str) -> Result<Item, ContactError> {
    scope.require(Permission::WriteAssignedRecords)?;
    let item = ctx
        .table
        .get(&key(scope, id))
        .await?
        .ok_or(ContactError::NotFound)?;
    if visible(scope, &item) {
        Ok(item)
    } else {
        Err(ContactError::NotFound)
    }
}

pub async fn get(ctx: &Ctx, scope: &BrandScope, id: &str) -> Result<Contact, ContactError> {
    Ok(view(&load(ctx, scope, id).await?))
}

/// Changes a contact read at `expected` version; a stale version is refused with the current one.
pub async fn update(
    ctx: &Ctx,
    scope: &BrandScope,
    id: &str,
    expected: u64,
    fields: ContactFields,
    client: &Client,
) -> Result<Contact, ContactError> {
    let current = load(ctx, scope, id).await?;
    let version = current.version().unwrap_or(0);
    if version != expected {
        return Err(ContactError::Stale { current: version });
    }
    let mut attrs = current.attrs.clone();
    apply(ctx, scope, &mut attrs, fields).await?;
    let changes = records::diff(&current.attrs, &attrs, FIELDS);
    if changes.is_empty() {
        return Ok(view(&current));
    }
    attrs.insert(
        "updated_at".into(),
        Value::from(ctx.clock.now().to_rfc3339()),
    );
    attrs.insert("version".into(), Value::from(version + 1));
    let item = Item {
        key: key(scope, id),
        attrs,
    };
    let writes = vec![
        Write::Put {
            item: item.clone(),
            condition: Condition::VersionEquals(version),
        },
        records::audit(ctx, scope, "update", ENTITY, id, &changes, client),
    ];
    match ctx.table.transact(writes).await {
        Ok(()) => Ok(view(&item)),
        Err(StoreError::TransactionConditionFailed { index: 0 }) => {
            let now = ctx
                .table
                .get(&key(scope, id))
                .await?
                .ok_or(ContactError::NotFound)?;
            Err(ContactError::Stale {
                current: now.version().unwrap_or(0),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Deletes a contact (P24); with `expected`, only if it is still at that version.
pub async fn delete(
    ctx: &Ctx,
    scope: &BrandScope,
    id: &str,
    expected: Option<u64>,
    client: &Client,
) -> Result<(), ContactError> {
    let current = load(ctx, scope, id).await?;
    let version = current.version().unwrap_or(0);
    if expected.is_some_and(|e| e != version) {
        return Err(ContactError::Stale { current: version });
    }
    let changes: Vec<FieldChange> = records::diff(&current.attrs, &Map::new(), FIELDS);
    let writes = vec![
        Write::Delete {
            key: key(scope, id),
            condition: Condition::VersionEquals(version),
        },
        records::audit(ctx, scope, "delete", ENTITY, id, &changes, client),
    ];
    match ctx.table.transact(writes).await {
        Ok(()) => Ok(()),
        Err(StoreError::TransactionConditionFailed { index: 0 }) => {
            Err(ContactError::Stale { current: version })
        }
        Err(e) => Err(e.into()),
    }
}

/// One page of the contacts the scope may see, optionally matching `q` (case-insensitive, in
/// name, email or phone). A page may hold fewer than `limit` once filtered: follow `next`.
pub async fn list(
    ctx: &Ctx,
    scope: &BrandScope,
    q: Option<&str>,
    limit: u32,
    cursor: Option<String>,
) -> Result<(Vec<Contact>, Option<String>), ContactError> {
    scope.require(Permission::WriteAssignedRecords)?;
    let query = Query::partition(keys::brand_pk(scope.brand()))
        .prefix("CONTACT#")
        .limit(limit)
        .after(cursor);
    let page = ctx.table.query(query).await?;
    let needle = q.map(str::to_lowercase).filter(|n| !n.is_empty());
    let digits: Option<String> = needle
        .as_ref()
        .map(|n| n.chars().filter(char::is_ascii_digit).collect());
    let items = page
        .items
        .iter()
        .filter(|i| visible(scope, i))
        .filter(|i| {
            let Some(n) = &needle else { return true };
            let hay = |f: &str| text(i, f).is_some_and(|v| v.to_lowercase().contains(n.as_str()));
            let phone = digits.as_ref().is_some_and(|d| {
                d.len() >= 3 && text(i, "phone").is_some_and(|p| p.contains(d.as_str()))
            });
            hay("name") || hay("email") || phone
        })
        .map(view)
        .collect();
    Ok((items, page.next))
}
