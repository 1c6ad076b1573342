//! Record routes, in the caller's brand (access token or API key): one set of handlers for
//! every kind, chosen by the [`Resource`] type. Reads return an `ETag` (the version);
//! changes name the version they change with `If-Match`, `?version=` or a `version` field.

use super::principal::client;
use super::route::HandlerResult;
use super::{ApiError, Request, Response, json_body, json_response};
use crate::Ctx;
use crate::app::records::query::{self, ListQuery};
use crate::app::records::rows::{self, Attrs};
use crate::app::records::spec;
use crate::app::records::{Kind, contacts, enquiries, kinds, timeline};
use crate::app::records::{cascade, write};
use crate::app::tenancy::BrandScope;
use http::StatusCode;
use lambda_http::RequestExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// A kind of record served at its own routes.
pub trait Resource: Send + Sync + 'static {
    const KIND: &'static Kind;
}

macro_rules! resources {
    ($($name:ident => $kind:path),* $(,)?) => {
        $(pub struct $name;
        impl Resource for $name {
            const KIND: &'static Kind = &$kind;
        })*
    };
}

resources! {
    Contacts => kinds::CONTACT,
    Companies => kinds::COMPANY,
    Enquiries => kinds::ENQUIRY,
    Projects => kinds::PROJECT,
    Tasks => kinds::TASK,
    Notes => kinds::NOTE,
    Files => kinds::FILE,
    Stages => kinds::STAGE,
    CustomFields => kinds::CUSTOM_FIELD,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordPage {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

pub(super) fn with_etag(mut resp: Response, version: u64) -> HandlerResult {
    let tag = http::HeaderValue::from_str(&format!("\"{version}\""))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    resp.headers_mut().insert(http::header::ETAG, tag);
    Ok(resp)
}

/// A record with its version as the ETag.
pub(super) fn record_response(status: StatusCode, record: &Value) -> HandlerResult {
    let version = record["version"].as_u64().unwrap_or(0);
    with_etag(json_response(status, record)?, version)
}

pub(super) fn no_content() -> HandlerResult {
    http::Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(lambda_http::Body::Empty)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// The version a change is made against: `If-Match: "<n>"`, `?version=<n>`, or the body's
/// `version` field (taken out of the body), in that order. Each one given must be well formed.
pub(super) fn expected_version(
    req: &Request,
    body: Option<&mut Attrs>,
) -> Result<Option<u64>, ApiError> {
    let bad_tag = || ApiError::BadRequest("If-Match must be the ETag of the record".into());
    let bad_number = || ApiError::BadRequest("version must be a whole number".into());
    let header = req
        .headers()
        .get(http::header::IF_MATCH)
        .map(|v| v.to_str().map_err(|_| bad_tag()))
        .transpose()?
        .map(str::trim)
        // An empty If-Match names no version: the same as none.
        .filter(|h| !h.is_empty())
        .map(|h| {
            // Exactly the documented ETag form: `"<n>"`, or weak `W/"<n>"`.
            let quoted = h.strip_prefix("W/").unwrap_or(h);
            quoted
                .strip_prefix('"')
                .and_then(|q| q.strip_suffix('"'))
                .filter(|d| !d.is_empty() && d.len() <= 19 && d.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|d| d.parse::<u64>().ok())
                .ok_or_else(bad_tag)
        })
        .transpose()?;
    let query = req
        .query_string_parameters()
        .first("version")
        .map(|q| q.parse::<u64>().map_err(|_| bad_number()))
        .transpose()?;
    let from_body = body
        .and_then(|b| b.remove("version"))
        .map(|v| {
            // JSON has one number type: 3.0 is version 3.
            v.as_u64()
                .or_else(|| spec::whole_number(&v).and_then(|n| u64::try_from(n).ok()))
                .ok_or_else(bad_number)
        })
        .transpose()?;
    Ok(header.or(query).or(from_body))
}

pub(super) fn path_id(req: &Request) -> String {
    req.path_parameters()
        .first("id")
        .unwrap_or_default()
        .to_owned()
}

fn params(req: &Request) -> Vec<(String, String)> {
    req.query_string_parameters()
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

pub async fn list<R: Resource>(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let q = ListQuery::parse(R::KIND, &params(&req))?;
    let (items, next_cursor) = query::list(ctx, &scope, R::KIND, q).await?;
    json_response(StatusCode::OK, &RecordPage { items, next_cursor })
}

pub async fn create<R: Resource>(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let mut body: Attrs = json_body(&req)?;
    body.remove("version");
    let record = write::create(ctx, &scope, R::KIND, body, &client(&req)).await?;
    record_response(StatusCode::CREATED, &record)
}

pub async fn get<R: Resource>(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let record = rows::get(ctx, &scope, R::KIND, &path_id(&req)).await?;
    record_response(StatusCode::OK, &record)
}

pub async fn update<R: Resource>(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let mut body: Attrs = json_body(&req)?;
    let expected =
        expected_version(&req, Some(&mut body))?.ok_or(ApiError::PreconditionRequired)?;
    let record = write::update(
        ctx,
        &scope,
        R::KIND,
        &path_id(&req),
        expected,
        body,
        &client(&req),
    )
    .await?;
    record_response(StatusCode::OK, &record)
}

pub async fn delete<R: Resource>(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let expected = expected_version(&req, None)?;
    cascade::delete(
        ctx,
        &scope,
        R::KIND,
        &path_id(&req),
        expected,
        &client(&req),
    )
    .await?;
    no_content()
}

/// Contacts that share this contact's email or phone.
#[utoipa::path(get, path = "/contacts/{id}/duplicates", tag = "contacts", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = RecordPage), (status = 404, body = super::Problem)))]
pub async fn duplicates(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let items = contacts::duplicates(ctx, &scope, &path_id(&req)).await?;
    json_response(
        StatusCode::OK,
        &RecordPage {
            items,
            next_cursor: None,
        },
    )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The contact merged into this one, and then deleted.
    pub other_id: String,
    /// This contact's version, instead of `If-Match`.
    #[serde(default, deserialize_with = "super::whole_number")]
    pub version: Option<u64>,
}

/// Merge another contact into this one: its empty fields are filled, tags and custom values
/// combined, the other's notes, tasks, files, enquiries and projects re-pointed here, and the
/// other deleted (its audit trail stays; see `merged_ids`).
#[utoipa::path(post, path = "/contacts/{id}/merge", tag = "contacts", security(("bearer" = [])),
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "the ETag read")),
    request_body = MergeRequest,
    responses((status = 200, body = Object), (status = 404, body = super::Problem), (status = 409, body = super::Problem),
              (status = 422, body = super::Problem), (status = 428, body = super::Problem)))]
pub async fn merge(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let body: MergeRequest = json_body(&req)?;
    let expected = expected_version(&req, None)?
        .or(body.version)
        .ok_or(ApiError::PreconditionRequired)?;
    let record = contacts::merge(
        ctx,
        &scope,
        &path_id(&req),
        expected,
        &body.other_id,
        &client(&req),
    )
    .await?;
    record_response(StatusCode::OK, &record)
}

/// Convert an enquiry into a project, in one step: the body may set any project field.
#[utoipa::path(post, path = "/enquiries/{id}/convert", tag = "enquiries", security(("bearer" = [])),
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "the enquiry's ETag")),
    request_body = Object,
    responses((status = 201, body = Object), (status = 404, body = super::Problem), (status = 409, body = super::Problem),
              (status = 422, body = super::Problem), (status = 428, body = super::Problem)))]
pub async fn convert(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let mut body: Attrs = if req.body().is_empty() {
        Attrs::new()
    } else {
        json_body(&req)?
    };
    let expected =
        expected_version(&req, Some(&mut body))?.ok_or(ApiError::PreconditionRequired)?;
    let project =
        enquiries::convert(ctx, &scope, &path_id(&req), expected, body, &client(&req)).await?;
    record_response(StatusCode::CREATED, &project)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Timeline {
    pub entries: Vec<timeline::TimelineEntry>,
}

async fn timeline_of<R: Resource>(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let entries = timeline::timeline(ctx, &scope, R::KIND, &path_id(&req)).await?;
    json_response(StatusCode::OK, &Timeline { entries })
}

/// A contact's activity, newest first: notes, tasks, files, enquiries and projects.
#[utoipa::path(get, path = "/contacts/{id}/timeline", tag = "contacts", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Timeline), (status = 404, body = super::Problem)))]
pub async fn contact_timeline(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    timeline_of::<Contacts>(ctx, scope, req).await
}

/// A project's activity, newest first: notes, tasks, files and stage changes.
#[utoipa::path(get, path = "/projects/{id}/timeline", tag = "projects", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Timeline), (status = 404, body = super::Problem)))]
pub async fn project_timeline(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    timeline_of::<Projects>(ctx, scope, req).await
}
