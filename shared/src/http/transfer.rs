//! Imports and exports: CSV in and out, and the full JSON export job (P25).

use super::principal::client;
use super::records::path_id;
use super::route::HandlerResult;
use super::{ApiError, Request, json_body, json_response};
use crate::Ctx;
use crate::app::records::exports::{self, ExportView};
use crate::app::records::transfer::{self, ImportReport, ImportRequest};
use crate::app::tenancy::BrandScope;
use http::StatusCode;
use lambda_http::RequestExt;
use serde::Serialize;
use utoipa::ToSchema;

/// Import contacts from CSV: check every row, report duplicates and per-row errors, and
/// (unless `dry_run`) write them, all or nothing unless `skip_invalid`. Send JSON (up to the
/// JSON body limit), or the file itself as `text/csv` (up to 4 MiB) with the options as
/// query parameters.
#[utoipa::path(post, path = "/imports/contacts", tag = "imports-exports", security(("bearer" = [])),
    params(("dry_run" = Option<bool>, Query, description = "text/csv only"),
           ("skip_invalid" = Option<bool>, Query, description = "text/csv only"),
           ("on_duplicate" = Option<crate::app::records::transfer::OnDuplicate>, Query, description = "text/csv only"),
           ("mapping" = Option<String>, Query, pattern = "^\\s*\\{",
            description = "text/csv only: a JSON object, CSV column → target; by default headers that name a target map to it")),
    request_body(content((ImportRequest = "application/json"), (String = "text/csv"))),
    responses((status = 200, description = "dry run report", body = ImportReport),
              (status = 201, description = "imported", body = ImportReport),
              (status = 400, body = super::Problem), (status = 401, body = super::Problem),
              (status = 413, body = super::Problem), (status = 422, body = super::Problem)))]
pub async fn import_contacts(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let is_csv = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/csv"));
    let body: ImportRequest = if is_csv {
        csv_request(&req)?
    } else {
        let body: ImportRequest = json_body(&req)?;
        if body.csv.len() > ctx.config.max_body_bytes {
            return Err(ApiError::PayloadTooLarge {
                limit: ctx.config.max_body_bytes,
            });
        }
        body
    };
    let report = transfer::import_contacts(ctx, &scope, body, &client(&req)).await?;
    let status = if report.committed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    json_response(status, &report)
}

/// A `text/csv` import: the body is the file; the options are query parameters, the mapping
/// as JSON.
fn csv_request(req: &Request) -> Result<ImportRequest, ApiError> {
    let p = req.query_string_parameters();
    let flag = |name: &str| -> Result<bool, ApiError> {
        match p.first(name) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(ApiError::BadRequest(format!(
                "{name} must be true or false"
            ))),
        }
    };
    let csv = std::str::from_utf8(req.body().as_ref())
        .map_err(|_| ApiError::BadRequest("the CSV must be UTF-8".into()))?
        .to_owned();
    let mapping = p
        .first("mapping")
        .map(serde_json::from_str)
        .transpose()
        .map_err(|_| {
            ApiError::BadRequest("mapping must be a JSON object of column → target".into())
        })?;
    let on_duplicate = match p.first("on_duplicate") {
        None | Some("skip") => transfer::OnDuplicate::Skip,
        Some("create") => transfer::OnDuplicate::Create,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "on_duplicate must be skip or create".into(),
            ));
        }
    };
    Ok(ImportRequest {
        csv,
        mapping,
        dry_run: flag("dry_run")?,
        on_duplicate,
        skip_invalid: flag("skip_invalid")?,
    })
}

/// Every contact, company or enquiry as CSV (owners and admins).
#[utoipa::path(get, path = "/exports/csv/{entity}", tag = "imports-exports", security(("bearer" = [])),
    params(("entity" = String, Path, description = "contacts, companies or enquiries")),
    responses((status = 200, description = "CSV with a header row", content_type = "text/csv", body = String),
              (status = 401, body = super::Problem), (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn export_csv(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let entity = req
        .path_parameters()
        .first("entity")
        .unwrap_or_default()
        .to_owned();
    let kind = transfer::csv_kind(&entity).ok_or(ApiError::NotFound)?;
    let csv = transfer::export_csv(ctx, &scope, kind).await?;
    http::Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "text/csv; charset=utf-8")
        .header(
            http::header::CONTENT_DISPOSITION,
            super::download::attachment(&format!("{entity}.csv")),
        )
        .body(lambda_http::Body::Text(csv))
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Start a full JSON export of the brand, made in the background; poll it for progress.
#[utoipa::path(post, path = "/exports", tag = "imports-exports", security(("bearer" = [])),
    responses((status = 202, body = ExportView), (status = 401, body = super::Problem),
              (status = 403, body = super::Problem), (status = 422, body = super::Problem)))]
pub async fn request_export(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let job = exports::request(ctx, &scope, &client(&req)).await?;
    json_response(StatusCode::ACCEPTED, &job)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportList {
    pub items: Vec<ExportView>,
}

/// The brand's recent exports, newest first (kept 7 days).
#[utoipa::path(get, path = "/exports", tag = "imports-exports", security(("bearer" = [])),
    responses((status = 200, body = ExportList), (status = 401, body = super::Problem), (status = 403, body = super::Problem)))]
pub async fn list_exports(ctx: &Ctx, scope: BrandScope, _req: Request) -> HandlerResult {
    let items = exports::list(ctx, &scope).await?;
    json_response(StatusCode::OK, &ExportList { items })
}

/// One export: status, progress and, once done, a download link.
#[utoipa::path(get, path = "/exports/{id}", tag = "imports-exports", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ExportView), (status = 401, body = super::Problem),
              (status = 403, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn get_export(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let job = exports::get(ctx, &scope, &path_id(&req)).await?;
    json_response(StatusCode::OK, &job)
}

/// The finished export file (where the blob store has no direct links).
#[utoipa::path(get, path = "/exports/{id}/download", tag = "imports-exports", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the export", content_type = "application/json", body = Object),
              (status = 401, body = super::Problem), (status = 403, body = super::Problem),
              (status = 404, body = super::Problem), (status = 409, body = super::Problem)))]
pub async fn download_export(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let id = path_id(&req);
    let blob = exports::download(ctx, &scope, &id).await?;
    http::Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, blob.content_type)
        .header(
            http::header::CONTENT_DISPOSITION,
            super::download::attachment(&format!("atelier-export-{id}.json")),
        )
        .body(lambda_http::Body::Binary(blob.bytes.to_vec()))
        .map_err(|e| ApiError::Internal(e.to_string()))
}
