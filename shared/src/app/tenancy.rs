//! `BrandScope`: the only way to act on a brand's data. It can be made only here, from an
//! authenticated principal whose membership of the brand was just read from the table
//! (strongly consistent), so a removed member's still-valid token opens nothing.

use crate::Ctx;
use crate::app::auth::AuthError;
use crate::app::brand_blobs::BrandBlobs;
use crate::app::brand_secrets::BrandSecrets;
use crate::app::brand_table::BrandTable;
use crate::app::identity::{self, Operator, membership};
use crate::domain::{BrandId, Permission, Role, UserId};
use crate::keys::platform as keys;
use serde_json::Value;

/// Who acts: a signed-in user, or an API key of the brand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User(UserId),
    ApiKey(String),
    /// A visitor submitting the brand's public enquiry form.
    PublicForm,
}

impl Actor {
    /// How audit records name the actor.
    pub fn label(&self) -> String {
        match self {
            Actor::User(u) => u.to_string(),
            Actor::ApiKey(id) => format!("apikey:{id}"),
            Actor::PublicForm => "public-form".to_owned(),
        }
    }
}

/// An authenticated caller acting in one brand, with the role the table gives them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrandScope {
    brand: BrandId,
    actor: Actor,
    role: Role,
}

#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    /// No active brand, or no longer a member of it: the token opens nothing here.
    #[error("not a member of the active brand")]
    NotMember,
    #[error("the role {role} may not {permission:?}")]
    Forbidden { role: Role, permission: Permission },
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl From<crate::ports::StoreError> for ScopeError {
    fn from(e: crate::ports::StoreError) -> Self {
        ScopeError::Auth(e.into())
    }
}

impl BrandScope {
    pub fn brand(&self) -> &BrandId {
        &self.brand
    }

    /// The brand's rows, and no other brand's: the handle every brand read and write goes
    /// through, on credentials that reach this brand only.
    pub fn table(&self, ctx: &Ctx) -> BrandTable {
        BrandTable::new(self.brand, ctx.brand_stores.table(&self.brand))
    }

    /// The brand's files, and no other brand's.
    pub fn blobs(&self, ctx: &Ctx) -> BrandBlobs {
        BrandBlobs::new(self.brand, ctx.brand_stores.blobs(&self.brand))
    }

    /// The brand's secrets (OAuth tokens, API secrets), sealed in its own context.
    pub fn secrets(&self, ctx: &Ctx) -> BrandSecrets {
        BrandSecrets::new(self.brand, ctx.brand_stores.cipher(&self.brand))
    }

    /// The signed-in user, if the actor is one (not an API key).
    pub fn user(&self) -> Option<&UserId> {
        match &self.actor {
            Actor::User(u) => Some(u),
            Actor::ApiKey(_) | Actor::PublicForm => None,
        }
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether the scope's role grants `permission`. Acts on people and credentials
    /// (memberships, roles, invitations, keys, connections, brand settings) need a person:
    /// an API key never holds them, whatever its role.
    pub fn require(&self, permission: Permission) -> Result<(), ScopeError> {
        let person_only = permission.needs_person() && !matches!(self.actor, Actor::User(_));
        if self.role.can(permission) && !person_only {
            Ok(())
        } else {
            Err(ScopeError::Forbidden {
                role: self.role,
                permission,
            })
        }
    }
}

/// Checks the caller's membership of their active brand and returns the scope to act in.
pub async fn scope(
    ctx: &Ctx,
    user: &UserId,
    active_brand: Option<&BrandId>,
) -> Result<BrandScope, ScopeError> {
    let brand = active_brand.ok_or(ScopeError::NotMember)?;
    let role = membership(ctx, brand, user)
        .await?
        .ok_or(ScopeError::NotMember)?;
    Ok(BrandScope {
        brand: *brand,
        actor: Actor::User(*user),
        role,
    })
}

/// The scope of a live API key: its own brand, nothing else (P04), and at most the authority
/// its creator holds *now*. A key acts with the lesser of its own role and its creator's
/// current role in the brand; it stops working when its creator leaves the brand or deletes
/// their account (the brand being active is checked by the membership read).
pub async fn scope_for_key(ctx: &Ctx, presented: &str) -> Result<BrandScope, ScopeError> {
    let key = identity::resolve_api_key(ctx, presented)
        .await?
        .ok_or(ScopeError::NotMember)?;
    let creator = key.created_by.ok_or(ScopeError::NotMember)?;
    let creator_active = identity::profile(ctx, &creator).await?.is_some();
    if !creator_active {
        return Err(ScopeError::NotMember);
    }
    let creator_role = membership(ctx, &key.brand, &creator)
        .await?
        .ok_or(ScopeError::NotMember)?;
    Ok(BrandScope {
        brand: key.brand,
        actor: Actor::ApiKey(key.id),
        // Roles order most powerful first: the greater is the lesser authority.
        role: key.role.max(creator_role),
    })
}

/// The scope of the brand's public enquiry form: found by the brand's slug, only while the
/// brand is active, and used by that one use case to record a visitor's enquiry.
pub(crate) async fn public_form_scope(
    ctx: &Ctx,
    slug: &crate::domain::Slug,
) -> Result<Option<BrandScope>, AuthError> {
    let Some(brand) = ctx
        .table
        .get(&keys::slug(slug))
        .await?
        .and_then(|i| i.get("brand").and_then(Value::as_str).map(str::to_owned))
        .and_then(|b| BrandId::parse(&b).ok())
    else {
        return Ok(None);
    };
    let active = identity::brand(ctx, &brand)
        .await?
        .is_some_and(|b| b.active);
    Ok(active.then_some(BrandScope {
        brand,
        actor: Actor::PublicForm,
        role: Role::FullAccess,
    }))
}

/// The platform operator's scope in a brand, for the audited platform routes only: it takes
/// the proof `identity::operator` alone can give.
pub(crate) fn operator_scope(brand: BrandId, operator: &Operator) -> BrandScope {
    BrandScope {
        brand,
        actor: Actor::User(*operator.user()),
        role: Role::SuperAdmin,
    }
}
