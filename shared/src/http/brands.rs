//! Brand routes. A brand's own routes name it in the path (`/brands/{id}/…`) but act only in
//! the caller's active brand, the one their access token names: any other id is a 404.

use super::principal::Principal;
use super::principal::{TokenResponse, client};
use super::route::HandlerResult;
use super::{ApiError, Request, json_body, json_response};
use crate::Ctx;
use crate::app::auth::sessions;
use crate::app::brands::{self, BrandView, MemberView};
use crate::app::tenancy::BrandScope;
use crate::domain::{BrandId, Role, UserId};
use http::StatusCode;
use lambda_http::RequestExt;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBrandRequest {
    #[schema(example = "Bloom Balloons", max_length = 120)]
    pub name: String,
    /// Unique across Atelier (422 when taken).
    #[schema(example = "bloom-balloons")]
    pub slug: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchBrandRequest {
    pub brand_id: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRoleRequest {
    pub role: Role,
}

fn no_content() -> HandlerResult {
    http::Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(lambda_http::Body::Empty)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// The scope, if the path's brand is the caller's active brand.
/// The scope, if the path names its brand (another brand's id is not found).
fn path_scope(scope: BrandScope, req: &Request) -> Result<BrandScope, ApiError> {
    let params = req.path_parameters();
    let id = params.first("id").unwrap_or_default();
    if BrandId::parse(id).ok().as_ref() != Some(scope.brand()) {
        return Err(ApiError::NotFound);
    }
    Ok(scope)
}

fn path_user(req: &Request) -> Result<UserId, ApiError> {
    UserId::parse(req.path_parameters().first("user_id").unwrap_or_default())
        .map_err(|_| ApiError::NotFound)
}

/// Create a brand; the caller becomes its owner.
#[utoipa::path(post, path = "/brands", tag = "brands", security(("bearer" = [])), request_body = CreateBrandRequest,
    responses((status = 201, body = BrandView), (status = 401, body = super::Problem), (status = 422, body = super::Problem)))]
pub async fn create(ctx: &Ctx, me: Principal, req: Request) -> HandlerResult {
    let body: CreateBrandRequest = json_body(&req)?;
    let brand = brands::create(ctx, &me.user, &body.name, &body.slug, &client(&req)).await?;
    json_response(StatusCode::CREATED, &brand)
}

/// The brands the caller belongs to.
#[utoipa::path(get, path = "/brands", tag = "brands", security(("bearer" = [])),
    responses((status = 200, body = [BrandView]), (status = 401, body = super::Problem)))]
pub async fn mine(ctx: &Ctx, me: Principal, _req: Request) -> HandlerResult {
    json_response(StatusCode::OK, &brands::mine(ctx, &me.user).await?)
}

/// Make another of the caller's brands the active one; returns an access token for it.
#[utoipa::path(post, path = "/auth/switch-brand", tag = "brands", security(("bearer" = [])), request_body = SwitchBrandRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = super::Problem), (status = 403, body = super::Problem)))]
pub async fn switch(ctx: &Ctx, me: Principal, req: Request) -> HandlerResult {
    let body: SwitchBrandRequest = json_body(&req)?;
    let brand = BrandId::parse(&body.brand_id)?;
    let issued = sessions::switch_brand(ctx, &me.user, &me.session, &brand, &client(&req)).await?;
    json_response(
        StatusCode::OK,
        &TokenResponse {
            access_token: issued.token,
            token_type: "Bearer",
            expires_in: issued.expires_in,
            refresh_token: None,
        },
    )
}

/// The active brand's members.
#[utoipa::path(get, path = "/brands/{id}/members", tag = "brands", security(("bearer" = [])),
    params(("id" = String, Path, description = "the active brand's id")),
    responses((status = 200, body = [MemberView]), (status = 401, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn members(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let scope = path_scope(scope, &req)?;
    json_response(StatusCode::OK, &brands::members(ctx, &scope).await?)
}

/// Change a member's role (owners and admins; never above one's own role).
#[utoipa::path(patch, path = "/brands/{id}/members/{user_id}", tag = "brands", security(("bearer" = [])), request_body = ChangeRoleRequest,
    params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 403, body = super::Problem), (status = 404, body = super::Problem), (status = 409, body = super::Problem)))]
pub async fn change_role(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let scope = path_scope(scope, &req)?;
    let user = path_user(&req)?;
    let body: ChangeRoleRequest = json_body(&req)?;
    brands::change_role(ctx, &scope, &user, body.role, &client(&req)).await?;
    no_content()
}

/// Remove a member, or leave (one's own id). The last owner cannot.
#[utoipa::path(delete, path = "/brands/{id}/members/{user_id}", tag = "brands", security(("bearer" = [])),
    params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 403, body = super::Problem), (status = 404, body = super::Problem), (status = 409, body = super::Problem)))]
pub async fn remove(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let scope = path_scope(scope, &req)?;
    let user = path_user(&req)?;
    brands::remove(ctx, &scope, &user, &client(&req)).await?;
    no_content()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    #[schema(example = "sam@bloomballoons.example")]
    pub email: String,
    pub role: Role,
}

/// Invite an address into the active brand (mails a link that works once, for 7 days).
#[utoipa::path(post, path = "/brands/{id}/invitations", tag = "brands", security(("bearer" = [])), request_body = InviteRequest,
    params(("id" = String, Path, description = "the active brand's id")),
    responses((status = 201, body = crate::app::invitations::InvitationView), (status = 403, body = super::Problem),
              (status = 404, body = super::Problem), (status = 422, body = super::Problem)))]
pub async fn invite(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let scope = path_scope(scope, &req)?;
    let body: InviteRequest = json_body(&req)?;
    let invitation =
        crate::app::invitations::invite(ctx, &scope, &body.email, body.role, &client(&req)).await?;
    json_response(StatusCode::CREATED, &invitation)
}

/// Accept an invitation as the signed-in user (the invited address's account).
#[utoipa::path(post, path = "/invitations/{token}/accept", tag = "brands", security(("bearer" = [])),
    params(("token" = String, Path, description = "the token from the emailed link")),
    responses((status = 200, body = BrandView), (status = 401, body = super::Problem)))]
pub async fn accept_invitation(ctx: &Ctx, me: Principal, req: Request) -> HandlerResult {
    let token = req
        .path_parameters()
        .first("token")
        .unwrap_or_default()
        .to_owned();
    let brand = crate::app::invitations::accept(ctx, &me.user, &token, &client(&req)).await?;
    json_response(StatusCode::OK, &brand)
}
