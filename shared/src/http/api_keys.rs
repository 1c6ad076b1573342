//! API key routes, in the caller's active brand.

use super::principal::client;
use super::route::HandlerResult;
use super::{ApiError, Request, json_body, json_response};
use crate::Ctx;
use crate::app::api_keys::{self, ApiKeyView, CreatedApiKey};
use crate::app::tenancy::BrandScope;
use crate::domain::Role;
use http::StatusCode;
use lambda_http::RequestExt;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    #[schema(example = "Website enquiry form", max_length = 80)]
    pub name: String,
    /// At most the creator's own role.
    pub role: Role,
    /// Days until the key stops working; none means until revoked.
    #[serde(default, deserialize_with = "super::whole_number")]
    #[schema(example = 365, minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<u32>,
}

/// Create an API key for the active brand. The key is in this answer only.
#[utoipa::path(post, path = "/api-keys", tag = "api-keys", security(("bearer" = [])), request_body = CreateApiKeyRequest,
    responses((status = 201, body = CreatedApiKey), (status = 401, body = super::Problem), (status = 403, body = super::Problem)))]
pub async fn create(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let body: CreateApiKeyRequest = json_body(&req)?;
    if body.expires_in_days.is_some_and(|d| d == 0 || d > 3650) {
        return Err(crate::domain::Invalid::new("expires_in_days", "must be 1..=3650").into());
    }
    let created = api_keys::create(
        ctx,
        &scope,
        &body.name,
        body.role,
        body.expires_in_days,
        &client(&req),
    )
    .await?;
    let mut resp = json_response(StatusCode::CREATED, &created)?;
    resp.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

/// The active brand's API keys (never the keys themselves).
#[utoipa::path(get, path = "/api-keys", tag = "api-keys", security(("bearer" = [])),
    responses((status = 200, body = [ApiKeyView]), (status = 401, body = super::Problem), (status = 403, body = super::Problem)))]
pub async fn list(ctx: &Ctx, scope: BrandScope, _req: Request) -> HandlerResult {
    json_response(StatusCode::OK, &api_keys::list(ctx, &scope).await?)
}

/// Revoke an API key of the active brand; it stops working at once.
#[utoipa::path(delete, path = "/api-keys/{id}", tag = "api-keys", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = super::Problem), (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn revoke(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let id = req
        .path_parameters()
        .first("id")
        .unwrap_or_default()
        .to_owned();
    if !api_keys::revoke(ctx, &scope, &id, &client(&req)).await? {
        return Err(ApiError::NotFound);
    }
    http::Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(lambda_http::Body::Empty)
        .map_err(|e| ApiError::Internal(e.to_string()))
}
