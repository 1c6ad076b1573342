//! Platform routes for the super_admin; each use is audited with the operator's identity.

use super::principal::client;
use super::route::HandlerResult;
use super::{ApiError, Request, json_response};
use crate::Ctx;
use crate::app::identity::Operator;
use crate::app::platform::{self, PlatformBrand};
use crate::domain::BrandId;
use http::StatusCode;
use lambda_http::RequestExt;

fn path_brand(req: &Request) -> Result<BrandId, ApiError> {
    BrandId::parse(req.path_parameters().first("id").unwrap_or_default())
        .map_err(|_| ApiError::NotFound)
}

/// Every brand on the platform.
#[utoipa::path(get, path = "/admin/brands", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = [PlatformBrand]), (status = 401, body = super::Problem), (status = 403, body = super::Problem)))]
pub async fn brands(ctx: &Ctx, operator: Operator, req: Request) -> HandlerResult {
    json_response(
        StatusCode::OK,
        &platform::list_brands(ctx, &operator, &client(&req)).await?,
    )
}

/// A brand's members, as the operator sees them.
#[utoipa::path(get, path = "/admin/brands/{id}/members", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = [crate::app::brands::MemberView]), (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn members(ctx: &Ctx, operator: Operator, req: Request) -> HandlerResult {
    let brand = path_brand(&req)?;
    json_response(
        StatusCode::OK,
        &platform::members(ctx, &operator, &brand, &client(&req)).await?,
    )
}

async fn set_active(ctx: &Ctx, operator: Operator, req: Request, active: bool) -> HandlerResult {
    let brand = path_brand(&req)?;
    platform::set_active(ctx, &operator, &brand, active, &client(&req)).await?;
    http::Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(lambda_http::Body::Empty)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Suspend a brand: its members and keys open nothing until it is restored.
#[utoipa::path(post, path = "/admin/brands/{id}/suspend", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn suspend(ctx: &Ctx, operator: Operator, req: Request) -> HandlerResult {
    set_active(ctx, operator, req, false).await
}

/// Restore a suspended brand.
#[utoipa::path(post, path = "/admin/brands/{id}/restore", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn restore(ctx: &Ctx, operator: Operator, req: Request) -> HandlerResult {
    set_active(ctx, operator, req, true).await
}
