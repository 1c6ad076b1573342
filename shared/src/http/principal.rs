//! Who is calling: the signed-in user a bearer access token names (with a live session), or
//! the brand scope of an API key or of the user's active brand. The guard alone calls these.

use super::{ApiError, Request};
use crate::Ctx;
use crate::app::auth::{Client, sessions, tokens};
use crate::domain::UserId;
use serde::Serialize;
use utoipa::ToSchema;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: UserId,
    pub session: String,
    /// The active brand the token names, if any (membership is checked by `scope`).
    pub brand: Option<crate::domain::BrandId>,
}

/// The caller's `BrandScope`, for the guard alone: an API key's own brand and role, or the
/// signed-in user's active brand with the role their membership has now.
pub(super) async fn scope(
    ctx: &Ctx,
    req: &Request,
) -> Result<crate::app::tenancy::BrandScope, ApiError> {
    let token = bearer(req)?;
    if token.starts_with(crate::app::identity::KEY_PREFIX) {
        return Ok(crate::app::tenancy::scope_for_key(ctx, token).await?);
    }
    let me = authenticate(ctx, req).await?;
    Ok(crate::app::tenancy::scope(ctx, &me.user, me.brand.as_ref()).await?)
}

fn bearer(req: &Request) -> Result<&str, ApiError> {
    let header = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    header
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::Unauthorized)
}

// Unused only in builds that serve no route group (the consumers, `api-health`).
#[allow(dead_code)]
pub(crate) fn client(req: &Request) -> Client {
    req.extensions()
        .get::<Client>()
        .cloned()
        .unwrap_or_default()
}

/// Resolves `Authorization: Bearer <access token>` to a live session, or 401.
pub(super) async fn authenticate(ctx: &Ctx, req: &Request) -> Result<Principal, ApiError> {
    let token = bearer(req)?;
    let claims = tokens::verify(ctx, token).await?;
    let user = UserId::parse(&claims.sub).map_err(|_| ApiError::Unauthorized)?;
    // A revoked session ends its access tokens at once, not when they expire.
    if !sessions::is_live(ctx, &user, &claims.sid).await? {
        return Err(ApiError::Unauthorized);
    }
    let brand = match claims.brand.as_deref() {
        Some(b) => Some(crate::domain::BrandId::parse(b).map_err(|_| ApiError::Unauthorized)?),
        None => None,
    };
    Ok(Principal {
        user,
        session: claims.sid,
        brand,
    })
}

/// An access token handed to the caller: by sign-in and refresh, and by switching brand.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    #[schema(example = 900)]
    pub expires_in: i64,
    /// Only when asked for in the body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}
