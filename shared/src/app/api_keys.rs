//! API keys for machines: a key reaches only its own brand, with its own role (P04). The plain
//! key is shown once; the table keeps its SHA-256 (P17) and a short visible prefix.

use crate::Ctx;
use crate::app::auth::{AuthError, Client, audit, random_token, token_hash};
use crate::app::brand_table::whole_write;
use crate::app::identity::{ApiKeyRow, KEY_PREFIX};
use crate::app::records::audit::{FieldChange, audit_as};
use crate::app::tenancy::{BrandScope, ScopeError};
use crate::domain::{BrandId, Permission, Role, UserId};
use crate::keys::platform as keys;
use crate::ports::{Condition, Item, StoreError, Update, Write};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub view: ApiKeyView,
    /// The key itself. Shown this once; store it now.
    pub key: String,
}

// Key records are brand rows, but every write of one also writes its lookup row (a platform
// row), so this module works on the function's own credentials with whole keys.
use keys::{api_key as record_key, api_key_lookup as lookup_key, api_keys as brand_keys};

fn view<K>(id: Option<&str>, brand: &BrandId, item: &Item<K>) -> Option<ApiKeyView> {
    let row = ApiKeyRow::decode(id?, brand, item)?;
    Some(ApiKeyView {
        expires_at: row
            .expires
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|t| t.to_rfc3339()),
        id: row.id,
        name: row.name,
        role: row.role,
        prefix: row.prefix,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
    })
}

/// The brand's own audit record of a key event (`GET /audit`, entity `apikey`).
fn key_audit(
    ctx: &Ctx,
    brand: &BrandId,
    actor: &str,
    action: &str,
    id: &str,
    role: Option<Role>,
    client: &Client,
) -> Result<Write, AuthError> {
    let changes: Vec<FieldChange> = role
        .map(|r| FieldChange::new("role", Value::Null, r.as_str()))
        .into_iter()
        .collect();
    let audit = audit_as(ctx, actor, action, "apikey", id, &changes, client);
    whole_write(brand, audit).map_err(AuthError::from)
}

/// Creates a key in the scope's brand. Only signed-in users create keys, and never with a role
/// above their own.
pub async fn create(
    ctx: &Ctx,
    scope: &BrandScope,
    name: &str,
    role: Role,
    expires_in_days: Option<u32>,
    client: &Client,
) -> Result<CreatedApiKey, ScopeError> {
    scope.require(Permission::ManageApiKeys)?;
    let Some(user) = scope.user() else {
        return Err(ScopeError::Forbidden {
            role: scope.role(),
            permission: Permission::ManageApiKeys,
        });
    };
    if role == Role::SuperAdmin || role < scope.role() {
        return Err(ScopeError::Forbidden {
            role: scope.role(),
            permission: Permission::ManageApiKeys,
        });
    }
    crate::app::identity::verified_profile(ctx, user, "creating API keys").await?;
    // Checked as written, then trimmed.
    let long = name.chars().count() > 80;
    let controls = name.chars().any(char::is_control);
    let name = name.trim();
    if name.is_empty() || long || controls {
        return Err(AuthError::Invalid(crate::domain::Invalid::new(
            "name",
            "must be 1..=80 characters, without control characters",
        ))
        .into());
    }
    let id = crate::domain::new_id(ctx.clock.as_ref()).to_string();
    let secret = random_token(32)?;
    let key = format!("{KEY_PREFIX}{secret}");
    let prefix: String = key.chars().take(KEY_PREFIX.len() + 6).collect();
    let hash = token_hash(&key);
    let now = ctx.clock.now();
    let expires = expires_in_days.map(|d| now.timestamp() + i64::from(d) * 86_400);
    let mut record = Item::new(record_key(scope.brand(), &id))
        .with("name", name)
        .with("role", role.as_str())
        .with("prefix", prefix.as_str())
        .with("hash", hash.as_str())
        .with("created_by", user.to_string())
        .with("created_at", now.to_rfc3339())
        .with("version", 1);
    let mut lookup = Item::new(lookup_key(&hash))
        .with("brand", scope.brand().to_string())
        .with("id", id.as_str());
    if let Some(t) = expires {
        record = record.with("expires", t);
        // The lookup row disappears by itself once the key expires.
        lookup = lookup.with("expires_at", t);
    }
    let item_view = view(keys::api_key_id(&record.key), scope.brand(), &record)
        .ok_or_else(|| AuthError::Internal("api key view".into()))?;
    ctx.table
        .transact(vec![
            Write::Put {
                item: record,
                condition: Condition::Absent,
            },
            Write::Put {
                item: lookup,
                condition: Condition::Absent,
            },
            audit::record(
                ctx,
                Some(user),
                "apikey.created",
                &format!("brand:{} apikey:{id}", scope.brand()),
                client,
            ),
            key_audit(
                ctx,
                scope.brand(),
                &user.to_string(),
                "created",
                &id,
                Some(role),
                client,
            )?,
        ])
        .await
        .map_err(AuthError::from)?;
    Ok(CreatedApiKey {
        view: item_view,
        key,
    })
}

pub async fn list(ctx: &Ctx, scope: &BrandScope) -> Result<Vec<ApiKeyView>, ScopeError> {
    scope.require(Permission::ManageApiKeys)?;
    // A read of the brand's own rows: its handle.
    let records = scope
        .table(ctx)
        .query_all(crate::keys::brand::api_keys(), usize::MAX)
        .await?;
    Ok(records
        .iter()
        .filter(|i| i.get("revoked_at").is_none())
        .filter_map(|i| view(crate::keys::brand::api_key_id(&i.key), scope.brand(), i))
        .collect())
}

/// Revokes a key of the scope's brand; it stops working at once. Returns false if unknown.
pub async fn revoke(
    ctx: &Ctx,
    scope: &BrandScope,
    id: &str,
    client: &Client,
) -> Result<bool, ScopeError> {
    scope.require(Permission::ManageApiKeys)?;
    let key = record_key(scope.brand(), id);
    let Some(record) = ctx.table.get(&key).await? else {
        return Ok(false);
    };
    if record.get("revoked_at").is_some() {
        return Ok(false);
    }
    Ok(revoke_record(
        ctx,
        scope.brand(),
        &record,
        &scope.actor().label(),
        None,
        client,
    )
    .await?)
}

/// Revokes one key record in its own transaction: marked revoked, its lookup row deleted, and
/// both audit trails written. `Ok(false)` if it was revoked or changed meanwhile.
async fn revoke_record(
    ctx: &Ctx,
    brand: &BrandId,
    record: &Item,
    actor: &str,
    reason: Option<&str>,
    client: &Client,
) -> Result<bool, AuthError> {
    let id = keys::api_key_id(&record.key).unwrap_or_default();
    let version = record.version().unwrap_or(0);
    let mut subject = format!("brand:{brand} apikey:{id}");
    if let Some(reason) = reason {
        subject.push_str(&format!(" reason:{reason}"));
    }
    let writes = vec![
        Write::Update {
            key: record.key.clone(),
            update: Update::new()
                .set("revoked_at", ctx.clock.now().to_rfc3339())
                .set("version", version + 1),
            condition: Condition::VersionEquals(version),
        },
        Write::Delete {
            key: lookup_key(&record.text("hash")),
            condition: Condition::None,
        },
        audit::record_as(ctx, actor, "apikey.revoked", &subject, client),
        key_audit(ctx, brand, actor, "revoked", id, None, client)?,
    ];
    match ctx.table.transact(writes).await {
        Ok(()) => Ok(true),
        Err(StoreError::TransactionConditionFailed { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Revokes the live keys `creator` made in `brand`: they left it, or deleted their account.
/// Such keys already open nothing (a key's authority is checked against its creator's current
/// membership on every request); this makes them show as gone. Returns how many.
pub async fn revoke_made_by(
    ctx: &Ctx,
    brand: &BrandId,
    creator: &UserId,
    actor: &str,
    client: &Client,
) -> Result<usize, AuthError> {
    let creator = creator.to_string();
    let mut revoked = 0;
    let records = ctx.table.query_all(brand_keys(brand), usize::MAX).await?;
    for record in records
        .iter()
        .filter(|i| i.get("revoked_at").is_none() && i.text("created_by") == creator)
    {
        if revoke_record(ctx, brand, record, actor, Some("creator-left"), client).await? {
            revoked += 1;
        }
    }
    Ok(revoked)
}

/// Revokes every key `user` made, in every brand they belong to (account deletion).
pub async fn revoke_all_made_by(
    ctx: &Ctx,
    user: &UserId,
    client: &Client,
) -> Result<usize, AuthError> {
    let mut revoked = 0;
    let memberships = ctx
        .table
        .query_all(keys::memberships_of(user), usize::MAX)
        .await?;
    for m in memberships {
        if let Some(brand) = keys::membership_brand(&m) {
            revoked += revoke_made_by(ctx, &brand, user, &user.to_string(), client).await?;
        }
    }
    Ok(revoked)
}
