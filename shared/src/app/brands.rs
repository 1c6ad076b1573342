//! Brands and memberships. Every membership change and its audit record commit together, and
//! each also bumps the brand's version: changes to one brand's members are serialised, so the
//! owner count (kept on the brand) can never be raced below one.

use crate::Ctx;
use crate::app::auth::{AuthError, Client, audit};
use crate::app::brand_table::whole_write;
use crate::app::identity::{self, MemberRow};
use crate::app::records::audit::{FieldChange, audit_as};
use crate::app::tenancy::{BrandScope, ScopeError};
use crate::domain::{BrandId, Permission, PersonName, Role, Slug, UserId};
// Membership changes commit with the platform's auth audit trail, so they run on the
// function's own credentials, with whole keys.
use crate::keys::platform as keys;
use crate::ports::{Condition, Item, StoreError, Update, Write};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BrandView {
    pub id: String,
    pub name: String,
    pub slug: String,
    /// The caller's role in it.
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberView {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub joined_at: String,
    /// Whether they proved they hold the address (who may be sent brand notifications).
    #[serde(skip)]
    pub(crate) email_verified: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BrandError {
    #[error("that slug is taken")]
    SlugTaken,
    #[error("a brand keeps at least one owner")]
    LastOwner,
    #[error("no such member")]
    NoSuchMember,
    #[error(transparent)]
    Scope(#[from] ScopeError),
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl From<StoreError> for BrandError {
    fn from(e: StoreError) -> Self {
        BrandError::Auth(e.into())
    }
}

impl From<crate::domain::Invalid> for BrandError {
    fn from(e: crate::domain::Invalid) -> Self {
        BrandError::Auth(e.into())
    }
}

fn member_item(brand: &BrandId, user: &UserId, role: Role, now: &str) -> Item {
    let item = Item::new(keys::member(brand, user))
        .with("role", role.as_str())
        .with("joined_at", now)
        .with("version", 1);
    keys::list_membership(item, brand, user)
}

/// Creates a brand; its creator becomes its owner.
pub async fn create(
    ctx: &Ctx,
    creator: &UserId,
    name: &str,
    slug: &str,
    client: &Client,
) -> Result<BrandView, BrandError> {
    let name =
        PersonName::parse(name).map_err(|i| crate::domain::Invalid::new("name", i.message))?;
    let slug = Slug::parse(slug)?;
    crate::app::identity::verified_profile(ctx, creator, "creating a brand").await?;
    let brand = BrandId::new(ctx.clock.as_ref());
    let now = ctx.clock.now().to_rfc3339();
    let brand_item = Item::new(keys::brand(&brand))
        .with("name", name.as_str())
        .with("slug", slug.as_str())
        .with("status", "active")
        .with("owners", 1)
        .with("created_by", creator.to_string())
        .with("created_at", now.as_str())
        .with("version", 1);
    let brand_item = keys::list_brand(brand_item, &brand);
    let writes = vec![
        Write::Put {
            item: Item::new(keys::slug(&slug)).with("brand", brand.to_string()),
            condition: Condition::Absent,
        },
        Write::Put {
            item: brand_item,
            condition: Condition::Absent,
        },
        Write::Put {
            item: member_item(&brand, creator, Role::Owner, &now),
            condition: Condition::Absent,
        },
        audit::record(
            ctx,
            Some(creator),
            "brand.created",
            &format!("brand:{brand}"),
            client,
        ),
    ];
    match ctx.table.transact(writes).await {
        Ok(()) => Ok(BrandView {
            id: brand.to_string(),
            name: name.as_str().into(),
            slug: slug.as_str().into(),
            role: Role::Owner,
        }),
        Err(StoreError::TransactionConditionFailed { index: 0 }) => Err(BrandError::SlugTaken),
        Err(e) => Err(e.into()),
    }
}

/// The brands the user belongs to, oldest membership first.
pub async fn mine(ctx: &Ctx, user: &UserId) -> Result<Vec<BrandView>, BrandError> {
    let memberships = ctx
        .table
        .query_all(keys::memberships_of(user), usize::MAX)
        .await?;
    let mut out = Vec::new();
    for m in memberships {
        let Some(brand) = keys::membership_brand(&m) else {
            continue;
        };
        let (Some(b), Some(member)) = (identity::brand(ctx, &brand).await?, MemberRow::decode(&m))
        else {
            continue;
        };
        if b.active {
            out.push(BrandView {
                id: brand.to_string(),
                name: b.name,
                slug: b.slug,
                role: member.role,
            });
        }
    }
    Ok(out)
}

pub async fn members(ctx: &Ctx, scope: &BrandScope) -> Result<Vec<MemberView>, BrandError> {
    let rows = scope
        .table(ctx)
        .query_all(crate::keys::brand::members(), usize::MAX)
        .await?;
    let mut out = Vec::new();
    for m in rows {
        let Some(user) = crate::keys::brand::member_user(&m.key) else {
            continue;
        };
        let Some(member) = MemberRow::decode(&m) else {
            continue;
        };
        let profile = identity::profile_row(ctx, &user).await?;
        let (name, email, email_verified) = profile
            .map(|p| (p.name, p.email, p.email_verified))
            .unwrap_or_default();
        out.push(MemberView {
            user_id: user.to_string(),
            name,
            email,
            role: member.role,
            joined_at: member.joined_at,
            email_verified,
        });
    }
    Ok(out)
}

/// Reads the brand's version and owner count, for a membership change to build on.
async fn brand_state(ctx: &Ctx, brand: &BrandId) -> Result<(u64, i64), BrandError> {
    let row = identity::brand(ctx, brand)
        .await?
        .ok_or(BrandError::NoSuchMember)?;
    Ok((row.version, row.owners))
}

async fn target_role(ctx: &Ctx, brand: &BrandId, user: &UserId) -> Result<(Role, u64), BrandError> {
    let member = identity::member(ctx, brand, user)
        .await?
        .ok_or(BrandError::NoSuchMember)?;
    Ok((member.role, member.version))
}

/// Commits a membership change together with the brand's owner count and version bump and
/// the audit record. A change whose own condition fails is `Ok(false)`.
async fn commit(
    ctx: &Ctx,
    brand: &BrandId,
    change: Write,
    owners_delta: i64,
    with: Vec<Write>,
) -> Result<bool, BrandError> {
    let (version, owners) = brand_state(ctx, brand).await?;
    if owners + owners_delta < 1 {
        return Err(BrandError::LastOwner);
    }
    let bump = Update::new()
        .set("version", version + 1)
        .set("owners", owners + owners_delta);
    let mut writes = vec![
        change,
        Write::Update {
            key: keys::brand(brand),
            update: bump,
            condition: Condition::VersionEquals(version),
        },
    ];
    writes.extend(with);
    match ctx.table.transact(writes).await {
        Ok(()) => Ok(true),
        Err(StoreError::TransactionConditionFailed { index: 0 }) => Ok(false),
        // Another change to this brand's members won the race; the caller may retry.
        Err(StoreError::TransactionConditionFailed { .. }) => {
            Err(AuthError::Store(StoreError::TransactionConflict).into())
        }
        Err(e) => Err(e.into()),
    }
}

/// A check that the acting member still holds the role their scope was built with, so a
/// change made by someone demoted or removed meanwhile fails instead of committing with
/// authority they no longer have. (A member acting on themself is covered by the change's
/// own version condition; the platform operator is no member.)
fn actor_still_holds(scope: &BrandScope, target: &UserId) -> Option<Write> {
    let actor = scope.user().filter(|u| *u != target)?;
    if scope.role() == Role::SuperAdmin {
        return None;
    }
    Some(Write::Check {
        key: keys::member(scope.brand(), actor),
        condition: Condition::AttrEquals("role".into(), Value::from(scope.role().as_str())),
    })
}

/// The audit records of a membership change: the platform's auth trail, and the brand's own
/// (`GET /audit`, entity `member`, the member's user id as the record), with the role's
/// before and after.
fn member_audit(
    ctx: &Ctx,
    actor: &str,
    event: &str,
    brand: &BrandId,
    subject: &UserId,
    roles: (Option<Role>, Option<Role>),
    client: &Client,
) -> Result<Vec<Write>, StoreError> {
    let change = FieldChange::new("role", roles.0.map(Role::as_str), roles.1.map(Role::as_str));
    Ok(vec![
        audit::record_as(
            ctx,
            actor,
            event,
            &format!("brand:{brand} member:{subject}"),
            client,
        ),
        whole_write(
            brand,
            audit_as(
                ctx,
                actor,
                event.trim_start_matches("member."),
                "member",
                &subject.to_string(),
                &[change],
                client,
            ),
        )?,
    ])
}

/// Changes a member's role. Managers may not touch anyone above them or grant above their own
/// role; the last owner stays an owner.
pub async fn change_role(
    ctx: &Ctx,
    scope: &BrandScope,
    user: &UserId,
    new: Role,
    client: &Client,
) -> Result<(), BrandError> {
    scope.require(Permission::ManageMembers)?;
    let (current, version) = target_role(ctx, scope.brand(), user).await?;
    if !scope.role().may_grant(new) || scope.role() > current {
        return Err(ScopeError::Forbidden {
            role: scope.role(),
            permission: Permission::ManageMembers,
        }
        .into());
    }
    if current == new {
        return Ok(());
    }
    let delta = i64::from(new == Role::Owner) - i64::from(current == Role::Owner);
    let update = Update::new()
        .set("role", new.as_str())
        .set("version", version + 1);
    let change = Write::Update {
        key: keys::member(scope.brand(), user),
        update,
        condition: Condition::VersionEquals(version),
    };
    let mut with = member_audit(
        ctx,
        &scope.actor().label(),
        "member.role_changed",
        scope.brand(),
        user,
        (Some(current), Some(new)),
        client,
    )?;
    with.extend(actor_still_holds(scope, user));
    match commit(ctx, scope.brand(), change, delta, with).await? {
        true => Ok(()),
        false => Err(BrandError::NoSuchMember), // changed or removed meanwhile
    }
}

/// Removes a member, or lets a member leave. The last owner cannot go.
pub async fn remove(
    ctx: &Ctx,
    scope: &BrandScope,
    user: &UserId,
    client: &Client,
) -> Result<(), BrandError> {
    let (current, version) = target_role(ctx, scope.brand(), user).await?;
    let leaving = scope.user() == Some(user);
    if !leaving {
        scope.require(Permission::ManageMembers)?;
        if scope.role() > current {
            return Err(ScopeError::Forbidden {
                role: scope.role(),
                permission: Permission::ManageMembers,
            }
            .into());
        }
    }
    let delta = -i64::from(current == Role::Owner);
    let change = Write::Delete {
        key: keys::member(scope.brand(), user),
        condition: Condition::VersionEquals(version),
    };
    let event = if leaving {
        "member.left"
    } else {
        "member.removed"
    };
    let mut with = member_audit(
        ctx,
        &scope.actor().label(),
        event,
        scope.brand(),
        user,
        (Some(current), None),
        client,
    )?;
    with.extend(actor_still_holds(scope, user));
    if !commit(ctx, scope.brand(), change, delta, with).await? {
        return Err(BrandError::NoSuchMember);
    }
    // Their keys already open nothing; revoke them so the brand's key list says so.
    crate::app::api_keys::revoke_made_by(ctx, scope.brand(), user, &scope.actor().label(), client)
        .await?;
    Ok(())
}

/// Makes `user` a member of `brand` with `role` (invitation acceptance; operator tools).
pub async fn join(
    ctx: &Ctx,
    brand: &BrandId,
    user: &UserId,
    role: Role,
    client: &Client,
) -> Result<(), BrandError> {
    join_with(ctx, brand, user, role, client, Vec::new())
        .await
        .map(|_| ())
}

/// Joins, committing `with` (e.g. spending an invitation) in the same transaction. Returns
/// false, committing nothing, if the user was already a member.
pub async fn join_with(
    ctx: &Ctx,
    brand: &BrandId,
    user: &UserId,
    role: Role,
    client: &Client,
    with: Vec<Write>,
) -> Result<bool, BrandError> {
    if role == Role::SuperAdmin {
        return Err(crate::domain::Invalid::new("role", "super_admin is not a brand role").into());
    }
    let now = ctx.clock.now().to_rfc3339();
    let change = Write::Put {
        item: member_item(brand, user, role, &now),
        condition: Condition::Absent,
    };
    let mut writes = member_audit(
        ctx,
        &user.to_string(),
        "member.joined",
        brand,
        user,
        (None, Some(role)),
        client,
    )?;
    writes.extend(with);
    commit(ctx, brand, change, i64::from(role == Role::Owner), writes).await
}
