//! Contact routes, in the caller's brand (access token or API key). Reads return an `ETag`
//! (the version); changes say which version they change with `If-Match` or `?version=`.

use super::auth::{client, scope};
use super::routes::HandlerResult;
use super::{ApiError, Request, json_body, json_response};
use crate::Ctx;
use crate::app::contacts::{self, Contact, ContactFields};
use http::StatusCode;
use lambda_http::RequestExt;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactPage {
    pub items: Vec<Contact>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

fn with_etag(mut resp: super::Response, version: u64) -> HandlerResult {
    let tag = http::HeaderValue::from_str(&format!("\"{version}\""))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    resp.headers_mut().insert(http::header::ETAG, tag);
    Ok(resp)
}

/// The version a change is made against: `If-Match: "<n>"` or `?version=<n>`.
fn expected_version(req: &Request) -> Result<Option<u64>, ApiError> {
    let header = req
        .headers()
        .get(http::header::IF_MATCH)
        .and_then(|v| v.to_str().ok());
    let query = req.query_string_parameters();
    let raw = header
        .map(|h| {
            h.trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .to_owned()
        })
        .or_else(|| query.first("version").map(str::to_owned));
    raw.map(|r| {
        r.parse::<u64>()
            .map_err(|_| ApiError::BadRequest("If-Match must be the ETag of the record".into()))
    })
    .transpose()
}

fn path_id(req: &Request) -> String {
    req.path_parameters()
        .first("id")
        .unwrap_or_default()
        .to_owned()
}

/// The brand's contacts (team members: those assigned to them), newest last.
#[utoipa::path(get, path = "/contacts", tag = "contacts", security(("bearer" = [])),
    params(("q" = Option<String>, Query, description = "text in name, email or phone"),
           ("limit" = Option<u32>, Query, description = "1..=100, default 50"),
           ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ContactPage), (status = 400, body = super::Problem), (status = 401, body = super::Problem)))]
pub async fn list(ctx: &Ctx, req: Request) -> HandlerResult {
    let scope = scope(ctx, &req).await?;
    let params = req.query_string_parameters();
    let limit = match params.first("limit") {
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| ApiError::BadRequest("limit must be 1..=100".into()))?,
        None => 50,
    };
    let cursor = params.first("cursor").map(str::to_owned);
    let (items, next_cursor) =
        contacts::list(ctx, &scope, params.first("q"), limit, cursor).await?;
    json_response(StatusCode::OK, &ContactPage { items, next_cursor })
}

/// Create a contact.
#[utoipa::path(post, path = "/contacts", tag = "contacts", security(("bearer" = [])), request_body = ContactFields,
    responses((status = 201, body = Contact), (status = 401, body = super::Problem), (status = 422, body = super::Problem)))]
pub async fn create(ctx: &Ctx, req: Request) -> HandlerResult {
    let scope = scope(ctx, &req).await?;
    let fields: ContactFields = json_body(&req)?;
    let contact = contacts::create(ctx, &scope, fields, &client(&req)).await?;
    let version = contact.version;
    with_etag(json_response(StatusCode::CREATED, &contact)?, version)
}

/// One contact.
#[utoipa::path(get, path = "/contacts/{id}", tag = "contacts", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Contact), (status = 404, body = super::Problem)))]
pub async fn get(ctx: &Ctx, req: Request) -> HandlerResult {
    let scope = scope(ctx, &req).await?;
    let contact = contacts::get(ctx, &scope, &path_id(&req)).await?;
    let version = contact.version;
    with_etag(json_response(StatusCode::OK, &contact)?, version)
}

/// Change a contact read at the version named by `If-Match`; a stale version is a 409 with
/// the current one.
#[utoipa::path(patch, path = "/contacts/{id}", tag = "contacts", security(("bearer" = [])), request_body = ContactFields,
    params(("id" = String, Path), ("If-Match" = String, Header, description = "the ETag read")),
    responses((status = 200, body = Contact), (status = 404, body = super::Problem), (status = 409, body = super::Problem),
              (status = 422, body = super::Problem), (status = 428, body = super::Problem)))]
pub async fn update(ctx: &Ctx, req: Request) -> HandlerResult {
    let scope = scope(ctx, &req).await?;
    let expected = expected_version(&req)?.ok_or(ApiError::PreconditionRequired)?;
    let fields: ContactFields = json_body(&req)?;
    let contact =
        contacts::update(ctx, &scope, &path_id(&req), expected, fields, &client(&req)).await?;
    let version = contact.version;
    with_etag(json_response(StatusCode::OK, &contact)?, version)
}

/// Delete a contact (with `If-Match`, only if unchanged since read).
#[utoipa::path(delete, path = "/contacts/{id}", tag = "contacts", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = super::Problem), (status = 409, body = super::Problem)))]
pub async fn delete(ctx: &Ctx, req: Request) -> HandlerResult {
    let scope = scope(ctx, &req).await?;
    contacts::delete(
        ctx,
        &scope,
        &path_id(&req),
        expected_version(&req)?,
        &client(&req),
    )
    .await?;
    http::Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(lambda_http::Body::Empty)
        .map_err(|e| ApiError::Internal(e.to_string()))
}
