//! The identity rows everything else reads: an account's profile, a brand, a membership and
//! an API key, each decoded once here into a typed row. Below tenancy, accounts, sessions,
//! brands and API keys, and importing none of them, so none of them needs another to find
//! out who someone is.

use crate::Ctx;
use crate::app::auth::{AuthError, rate_limit, token_hash};
use crate::domain::{BrandId, Email, Role, UserId};
use crate::keys::platform as keys;
use crate::ports::{Condition, Item, Update};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// An account's public profile.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Profile {
    pub id: String,
    pub email: String,
    pub name: String,
    pub email_verified: bool,
    pub created_at: String,
}

/// An account's profile row, as stored.
#[derive(Debug, Clone)]
pub struct ProfileRow {
    pub user: UserId,
    /// Only an active account is anyone: a deleted one keeps its row until anonymised.
    pub active: bool,
    pub email: String,
    pub name: String,
    pub email_verified: bool,
    pub created_at: String,
    /// A platform operator's role, granted by the operator command.
    pub platform_role: Option<Role>,
}

impl ProfileRow {
    pub fn decode(user: &UserId, item: &Item) -> Self {
        ProfileRow {
            user: *user,
            active: item.text("status") == "active",
            email: item.text("email"),
            name: item.text("name"),
            email_verified: item.get("email_verified").and_then(Value::as_bool) == Some(true),
            created_at: item.text("created_at"),
            platform_role: Role::parse(&item.text("platform_role")).ok(),
        }
    }

    pub fn profile(&self) -> Profile {
        Profile {
            id: self.user.to_string(),
            email: self.email.clone(),
            name: self.name.clone(),
            email_verified: self.email_verified,
            created_at: self.created_at.clone(),
        }
    }
}

/// A brand's row: its name, slug and status, and what serialises changes to its members.
#[derive(Debug, Clone)]
pub struct BrandRow {
    pub id: BrandId,
    pub name: String,
    pub slug: String,
    pub active: bool,
    /// How many owners it has: a change may never leave it none.
    pub owners: i64,
    pub version: u64,
}

impl BrandRow {
    pub fn decode(id: &BrandId, item: &Item) -> Self {
        BrandRow {
            id: *id,
            name: item.text("name"),
            slug: item.text("slug"),
            active: item.text("status") == "active",
            owners: item.get("owners").and_then(Value::as_i64).unwrap_or(0),
            version: item.version().unwrap_or(0),
        }
    }
}

/// A member's row in a brand.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub role: Role,
    pub joined_at: String,
    pub version: u64,
}

impl MemberRow {
    /// `None` for a row whose role is not one Atelier knows: it grants nothing.
    pub fn decode<K>(item: &Item<K>) -> Option<Self> {
        Some(MemberRow {
            role: Role::parse(&item.text("role")).ok()?,
            joined_at: item.text("joined_at"),
            version: item.version().unwrap_or(0),
        })
    }
}

/// An API key's row in its brand.
#[derive(Debug, Clone)]
pub struct ApiKeyRow {
    pub id: String,
    pub brand: BrandId,
    pub name: String,
    pub role: Role,
    pub prefix: String,
    /// The member who made it: the key never has more authority than they have now. A key
    /// without one opens nothing.
    pub created_by: Option<UserId>,
    pub created_at: String,
    /// Unix seconds after which it opens nothing.
    pub expires: Option<i64>,
    pub revoked: bool,
    pub last_used_at: Option<String>,
    pub last_used_ts: Option<i64>,
}

impl ApiKeyRow {
    /// `None` for a row without a role Atelier knows: it opens nothing.
    pub fn decode<K>(id: &str, brand: &BrandId, item: &Item<K>) -> Option<Self> {
        let optional = |n: &str| item.get(n).and_then(Value::as_str).map(str::to_owned);
        Some(ApiKeyRow {
            id: id.to_owned(),
            brand: *brand,
            name: item.text("name"),
            role: Role::parse(&item.text("role")).ok()?,
            prefix: item.text("prefix"),
            created_by: UserId::parse(&item.text("created_by")).ok(),
            created_at: item.text("created_at"),
            expires: item.get("expires").and_then(Value::as_i64),
            revoked: item.get("revoked_at").is_some(),
            last_used_at: optional("last_used_at"),
            last_used_ts: item.get("last_used_ts").and_then(Value::as_i64),
        })
    }

    /// Whether it still opens its brand at `now`.
    pub fn live(&self, now: DateTime<Utc>) -> bool {
        !self.revoked && self.expires.is_none_or(|t| t > now.timestamp())
    }
}

/// The account with this address (its id and profile row as stored), if any.
pub async fn find_by_email(ctx: &Ctx, email: &Email) -> Result<Option<(UserId, Item)>, AuthError> {
    let Some(index) = ctx.table.get(&keys::email(email)).await? else {
        return Ok(None);
    };
    let user = UserId::parse(
        index
            .get("user")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    )
    .map_err(|e| AuthError::Internal(e.to_string()))?;
    Ok(ctx
        .table
        .get(&keys::profile(&user))
        .await?
        .map(|p| (user, p)))
}

/// The account's row, active or not.
pub async fn profile_row(ctx: &Ctx, user: &UserId) -> Result<Option<ProfileRow>, AuthError> {
    let item = ctx.table.get(&keys::profile(user)).await?;
    Ok(item.map(|i| ProfileRow::decode(user, &i)))
}

/// The profile of an active account.
pub async fn profile(ctx: &Ctx, user: &UserId) -> Result<Option<Profile>, AuthError> {
    let row = profile_row(ctx, user).await?;
    Ok(row.filter(|r| r.active).map(|r| r.profile()))
}

/// The account's profile, if its address is verified: what reaches third parties (brands
/// that mail, keys, invitations) needs someone who proved they hold the address.
pub async fn verified_profile(
    ctx: &Ctx,
    user: &UserId,
    before: &str,
) -> Result<Profile, AuthError> {
    let profile = profile(ctx, user)
        .await?
        .ok_or(AuthError::InvalidCredentials)?;
    if !profile.email_verified {
        return Err(AuthError::Invalid(crate::domain::Invalid::new(
            "email",
            format!("verify your email address before {before}"),
        )));
    }
    Ok(profile)
}

pub async fn brand(ctx: &Ctx, id: &BrandId) -> Result<Option<BrandRow>, AuthError> {
    let item = ctx.table.get(&keys::brand(id)).await?;
    Ok(item.map(|i| BrandRow::decode(id, &i)))
}

pub async fn member(
    ctx: &Ctx,
    brand: &BrandId,
    user: &UserId,
) -> Result<Option<MemberRow>, AuthError> {
    let item = ctx.table.get(&keys::member(brand, user)).await?;
    Ok(item.as_ref().and_then(MemberRow::decode))
}

/// The caller's role in `brand`, if they are a member of an active brand.
pub async fn membership(
    ctx: &Ctx,
    brand: &BrandId,
    user: &UserId,
) -> Result<Option<Role>, AuthError> {
    if !self::brand(ctx, brand).await?.is_some_and(|b| b.active) {
        return Ok(None);
    }
    Ok(member(ctx, brand, user).await?.map(|m| m.role))
}

/// Every key starts with this, so scanners and humans can recognise one.
pub const KEY_PREFIX: &str = "atk_";
/// Requests per minute one key may make.
pub const REQUESTS_PER_MINUTE: i64 = 600;
/// Last-used times are written at most this often per key.
const LAST_USED_EVERY_SECS: i64 = 60;

/// The live key a presented secret is (with its creator), rate limited per key, with its last use recorded (at
/// most once a minute, on the brand's own credentials).
pub async fn resolve_api_key(ctx: &Ctx, presented: &str) -> Result<Option<ApiKeyRow>, AuthError> {
    if !presented.starts_with(KEY_PREFIX) {
        return Ok(None);
    }
    let Some(lookup) = ctx
        .table
        .get(&keys::api_key_lookup(&token_hash(presented)))
        .await?
    else {
        return Ok(None);
    };
    let Ok(brand) = BrandId::parse(&lookup.text("brand")) else {
        return Ok(None);
    };
    let id = lookup.text("id");
    let Some(record) = ctx.table.get(&keys::api_key(&brand, &id)).await? else {
        return Ok(None);
    };
    let now = ctx.clock.now();
    let live = |k: &ApiKeyRow| k.live(now) && k.created_by.is_some();
    let Some(key) = ApiKeyRow::decode(&id, &brand, &record).filter(live) else {
        return Ok(None);
    };
    rate_limit::hit(ctx, "api-key", &id, REQUESTS_PER_MINUTE, 60).await?;
    if key
        .last_used_ts
        .is_none_or(|t| now.timestamp() - t >= LAST_USED_EVERY_SECS)
    {
        let update = Update::new()
            .set("last_used_at", now.to_rfc3339())
            .set("last_used_ts", now.timestamp());
        let table = crate::app::brand_table::service_table(ctx, &brand);
        let row = crate::keys::brand::api_key(&id);
        if let Err(e) = table.update(&row, update, Condition::Present).await {
            tracing::warn!(error = %e, "could not record API key use");
        }
    }
    Ok(Some(key))
}

/// A platform operator, checked just now. Only [`operator`] makes one, and only one
/// opens an operator's scope in a brand (`tenancy::operator_scope`): no other code can mint
/// a super-admin scope.
pub struct Operator(UserId);

impl Operator {
    pub fn user(&self) -> &UserId {
        &self.0
    }
}

/// The user as a platform operator, if they are one now; `None` if not.
pub async fn operator(ctx: &Ctx, user: &UserId) -> Result<Option<Operator>, AuthError> {
    let row = profile_row(ctx, user).await?;
    let operator = row.is_some_and(|p| p.active && p.platform_role == Some(Role::SuperAdmin));
    Ok(operator.then_some(Operator(*user)))
}
