//! Refresh tokens and device sessions. A login starts a family (a session); every refresh
//! spends the presented token and issues the next one. Presenting a spent token is taken as
//! theft and revokes the whole family, except for the immediately previous token within a
//! short grace (two tabs refreshing at once), which is refused without revoking. Families
//! have an absolute lifetime and an idle timeout.

use super::{AuthError, Client, audit, random_token, token_hash, tokens};
use crate::Ctx;
use crate::domain::{BrandId, UserId};
use crate::ports::{Condition, Item, StoreError, Update, Write};
use serde::Serialize;
use serde_json::Value;

pub const ABSOLUTE_LIFETIME_SECS: i64 = 30 * 24 * 3600;
pub const IDLE_TIMEOUT_SECS: i64 = 14 * 24 * 3600;
/// How long the previous token of a family may still be presented without counting as reuse.
pub const GRACE_SECS: i64 = 30;

use crate::keys::platform::{refresh_token as token_key, session as session_key};

/// A device session as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: String,
    pub device: String,
    pub ip: String,
    pub user_agent: String,
    pub created_at: String,
    pub last_used_at: String,
    /// Whether this is the session the request was made in.
    pub current: bool,
}

/// What a login or refresh hands the client.
pub struct Granted {
    pub user: UserId,
    pub session: String,
    pub access: tokens::Issued,
    pub refresh_token: String,
    /// When the refresh token's family ends, for the cookie's Max-Age.
    pub refresh_expires_in: i64,
}

/// Starts a session for a user who just proved who they are; `extra` joins the transaction.
pub async fn start(
    ctx: &Ctx,
    user: &UserId,
    device: &str,
    client: &Client,
    extra: Vec<Write>,
) -> Result<Granted, AuthError> {
    let now = ctx.clock.now();
    let session = crate::domain::new_id(ctx.clock.as_ref()).to_string();
    let refresh = random_token(32)?;
    let hash = token_hash(&refresh);
    let expires_at = now.timestamp() + ABSOLUTE_LIFETIME_SECS;
    let brand = crate::app::brands::mine(ctx, user)
        .await
        .ok()
        .and_then(|b| b.into_iter().next());
    let brand = brand.and_then(|b| BrandId::parse(&b.id).ok().map(|id| (id, b.role)));
    let mut family = Item::new(session_key(user, &session))
        .with("device", device)
        .with("ip", client.ip.as_str())
        .with("user_agent", client.user_agent.as_str())
        .with("created_at", now.to_rfc3339())
        .with("last_used_at", now.to_rfc3339())
        .with("current", hash.as_str())
        .with("idle_until", now.timestamp() + IDLE_TIMEOUT_SECS)
        .with("expires_at", expires_at)
        .with("version", 1);
    if let Some((b, _)) = &brand {
        family = family.with("brand", b.to_string());
    }
    let token = Item::new(token_key(&hash))
        .with("user", user.to_string())
        .with("session", session.as_str())
        .with("expires_at", expires_at);
    let mut writes = vec![
        Write::Put {
            item: family,
            condition: Condition::Absent,
        },
        Write::Put {
            item: token,
            condition: Condition::Absent,
        },
        audit::record(
            ctx,
            Some(user),
            "login.succeeded",
            &format!("session:{session}"),
            client,
        ),
    ];
    writes.extend(extra);
    ctx.table.transact(writes).await?;
    let access = tokens::issue(ctx, user, &session, brand.as_ref().map(|(b, r)| (b, *r))).await?;
    Ok(Granted {
        user: *user,
        session,
        access,
        refresh_token: refresh,
        refresh_expires_in: ABSOLUTE_LIFETIME_SECS,
    })
}

/// Spends a refresh token and issues the next pair.
pub async fn refresh(ctx: &Ctx, presented: &str, client: &Client) -> Result<Granted, AuthError> {
    let hash = token_hash(presented);
    let Some(token) = ctx.table.get(&token_key(&hash)).await? else {
        return Err(AuthError::InvalidCredentials);
    };
    let user = UserId::parse(&token.text("user")).map_err(|_| AuthError::InvalidCredentials)?;
    let session = token.text("session");
    let key = session_key(&user, &session);
    let Some(family) = ctx.table.get(&key).await? else {
        return Err(AuthError::InvalidCredentials); // revoked or expired
    };
    let now = ctx.clock.now();
    if family.text("current") != hash {
        let rotated_at = family
            .get("rotated_at")
            .and_then(Value::as_i64)
            .unwrap_or(i64::MIN);
        let recent_previous =
            family.text("previous") == hash && now.timestamp() - rotated_at <= GRACE_SECS;
        if !recent_previous {
            revoke(
                ctx,
                &user,
                &session,
                "session.reuse_detected",
                Some(&user),
                client,
            )
            .await?;
            tracing::warn!(user = %user, session = %session, "refresh token reuse: family revoked");
        }
        return Err(AuthError::InvalidCredentials);
    }
    if family
        .get("idle_until")
        .and_then(Value::as_i64)
        .is_some_and(|t| t <= now.timestamp())
    {
        return Err(AuthError::InvalidCredentials);
    }
    let next = random_token(32)?;
    let next_hash = token_hash(&next);
    let expires_at = family
        .expires_at()
        .unwrap_or(now.timestamp() + ABSOLUTE_LIFETIME_SECS);
    let version = family.version().unwrap_or(0);
    let rotate = Update::new()
        .set("previous", hash.as_str())
        .set("current", next_hash.as_str())
        .set("rotated_at", now.timestamp())
        .set("last_used_at", now.to_rfc3339())
        .set("ip", client.ip.as_str())
        .set("user_agent", client.user_agent.as_str())
        .set("idle_until", now.timestamp() + IDLE_TIMEOUT_SECS)
        .set("version", version + 1);
    let token = Item::new(token_key(&next_hash))
        .with("user", user.to_string())
        .with("session", session.as_str())
        .with("expires_at", expires_at);
    let writes = vec![
        Write::Update {
            key,
            update: rotate,
            condition: Condition::VersionEquals(version),
        },
        Write::Put {
            item: token,
            condition: Condition::Absent,
        },
    ];
    match ctx.table.transact(writes).await {
        Ok(()) => {}
        // Another refresh of the same token won the race: this one is the loser, not a thief.
        Err(StoreError::TransactionConditionFailed { .. }) => {
            return Err(AuthError::InvalidCredentials);
        }
        Err(e) => return Err(e.into()),
    }
    // The role is re-read: a change takes effect at the next refresh, a removal drops the brand.
    let brand = match BrandId::parse(&family.text("brand")) {
        Ok(b) => crate::app::identity::membership(ctx, &b, &user)
            .await?
            .map(|role| (b, role)),
        Err(_) => None,
    };
    let access = tokens::issue(ctx, &user, &session, brand.as_ref().map(|(b, r)| (b, *r))).await?;
    Ok(Granted {
        user,
        session,
        access,
        refresh_token: next,
        refresh_expires_in: (expires_at - now.timestamp()).max(0),
    })
}

/// Ends a session (logout, revoke from the device list, reuse detection). Idempotent.
pub async fn revoke(
    ctx: &Ctx,
    user: &UserId,
    session: &str,
    event: &str,
    actor: Option<&UserId>,
    client: &Client,
) -> Result<bool, AuthError> {
    let writes = vec![
        Write::Delete {
            key: session_key(user, session),
            condition: Condition::Present,
        },
        audit::record(ctx, actor, event, &format!("session:{session}"), client),
    ];
    match ctx.table.transact(writes).await {
        Ok(()) => Ok(true),
        Err(StoreError::TransactionConditionFailed { index: 0 }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The session a refresh token belongs to, if it is live.
pub async fn session_of(ctx: &Ctx, presented: &str) -> Result<Option<(UserId, String)>, AuthError> {
    let Some(token) = ctx.table.get(&token_key(&token_hash(presented))).await? else {
        return Ok(None);
    };
    let user = UserId::parse(&token.text("user")).map_err(|_| AuthError::InvalidCredentials)?;
    Ok(Some((user, token.text("session"))))
}

/// Whether a session is still live (not revoked, not expired).
pub async fn is_live(ctx: &Ctx, user: &UserId, session: &str) -> Result<bool, AuthError> {
    Ok(ctx.table.get(&session_key(user, session)).await?.is_some())
}

pub async fn list(ctx: &Ctx, user: &UserId, current: &str) -> Result<Vec<SessionView>, AuthError> {
    let sessions = ctx
        .table
        .query_all(crate::keys::platform::sessions(user), usize::MAX)
        .await?;
    Ok(sessions
        .into_iter()
        .map(|item| {
            let id = crate::keys::platform::session_id(&item.key).to_owned();
            SessionView {
                current: id == current,
                device: item.text("device"),
                ip: item.text("ip"),
                user_agent: item.text("user_agent"),
                created_at: item.text("created_at"),
                last_used_at: item.text("last_used_at"),
                id,
            }
        })
        .collect())
}

/// Makes `brand` the session's active brand, if the user is a member, and issues an access
/// token for it.
pub async fn switch_brand(
    ctx: &Ctx,
    user: &UserId,
    session: &str,
    brand: &BrandId,
    client: &Client,
) -> Result<tokens::Issued, AuthError> {
    let role = crate::app::identity::membership(ctx, brand, user)
        .await?
        .ok_or(AuthError::NotMember)?;
    let writes = vec![
        Write::Update {
            key: session_key(user, session),
            update: Update::new().set("brand", brand.to_string()),
            condition: Condition::Present,
        },
        audit::record(
            ctx,
            Some(user),
            "brand.switched",
            &format!("brand:{brand}"),
            client,
        ),
    ];
    match ctx.table.transact(writes).await {
        Ok(()) => {}
        Err(StoreError::TransactionConditionFailed { .. }) => {
            return Err(AuthError::InvalidCredentials);
        }
        Err(e) => return Err(e.into()),
    }
    tokens::issue(ctx, user, session, Some((brand, role))).await
}

/// Ends every session of the user, but `except`.
pub async fn revoke_all(
    ctx: &Ctx,
    user: &UserId,
    except: Option<&str>,
    client: &Client,
) -> Result<(), AuthError> {
    for session in list(ctx, user, "").await? {
        if Some(session.id.as_str()) != except {
            revoke(
                ctx,
                user,
                &session.id,
                "session.revoked",
                Some(user),
                client,
            )
            .await?;
        }
    }
    Ok(())
}
