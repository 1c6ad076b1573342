//! File upload and download. The upload's body is the file itself, its `Content-Type` the
//! file's type; the name and the record it is attached to are query parameters.

use super::principal::client;
use super::records::{path_id, record_response};
use super::route::HandlerResult;
use super::{ApiError, Request};
use crate::Ctx;
use crate::app::records::files;
use crate::app::tenancy::BrandScope;
use bytes::Bytes;
use http::StatusCode;
use lambda_http::RequestExt;

/// Upload a file (at most 4 MiB; PDF, images, text, CSV and Office documents), optionally
/// attached to a record.
#[utoipa::path(post, path = "/files", tag = "files", security(("bearer" = [])),
    params(("name" = String, Query, description = "the file name"),
           ("record" = Option<String>, Query, description = "attach to <entity>:<id>")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
                 description = "the file; Content-Type must be its real type"),
    responses((status = 201, body = Object), (status = 401, body = super::Problem), (status = 413, body = super::Problem),
              (status = 422, body = super::Problem)))]
pub async fn upload(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let params = req.query_string_parameters();
    let name = params
        .first("name")
        .ok_or_else(|| ApiError::BadRequest("name (the file name) is required".into()))?;
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let bytes = Bytes::copy_from_slice(req.body().as_ref());
    let record = files::upload(
        ctx,
        &scope,
        name,
        params.first("record"),
        content_type,
        bytes,
        &client(&req),
    )
    .await?;
    record_response(StatusCode::CREATED, &record)
}

/// A file's bytes, as an attachment of its own type.
#[utoipa::path(get, path = "/files/{id}/content", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"),
              (status = 404, body = super::Problem)))]
pub async fn content(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let (meta, blob) = files::download(ctx, &scope, &path_id(&req)).await?;
    let name = meta["name"].as_str().unwrap_or("file");
    http::Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, blob.content_type)
        .header(
            http::header::CONTENT_DISPOSITION,
            super::download::attachment(name),
        )
        .header("x-content-type-options", "nosniff")
        .body(lambda_http::Body::Binary(blob.bytes.to_vec()))
        .map_err(|e| ApiError::Internal(e.to_string()))
}
