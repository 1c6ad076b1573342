//! The brand's audit trail, for the roles that may read it.

use super::route::HandlerResult;
use super::{ApiError, Request, json_response};
use crate::Ctx;
use crate::app::records::audit_log::{self, AuditEntry, AuditQuery, parse_time};
use crate::app::tenancy::BrandScope;
use http::StatusCode;
use lambda_http::RequestExt;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

/// Audit entries, newest first: of one record, of one actor, or of a time range (default
/// the last 30 days).
#[utoipa::path(get, path = "/audit", tag = "audit", security(("bearer" = [])),
    params(("record" = Option<String>, Query, description = "<entity>:<id> (not with actor)",
            pattern = "^[a-z_]+:[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$"),
           ("actor" = Option<String>, Query, description = "a user id or apikey:<id> (not with record)",
            pattern = "^(apikey:)?[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$"),
           ("from" = Option<String>, Query, description = "date or RFC 3339 time, not after to"),
           ("to" = Option<String>, Query, description = "date or RFC 3339 time"),
           ("limit" = Option<u32>, Query, description = "1..=100, default 50"),
           ("cursor" = Option<String>, Query)),
    responses((status = 200, body = AuditPage), (status = 400, body = super::Problem),
              (status = 401, body = super::Problem), (status = 403, body = super::Problem)))]
pub async fn list(ctx: &Ctx, scope: BrandScope, req: Request) -> HandlerResult {
    let p = req.query_string_parameters();
    for (name, _) in p.iter() {
        if !["record", "actor", "from", "to", "limit", "cursor"].contains(&name) {
            return Err(ApiError::BadRequest(format!(
                "{name} is not a parameter of /audit"
            )));
        }
    }
    let limit = match p.first("limit") {
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| ApiError::BadRequest("limit must be 1..=100".into()))?,
        None => 50,
    };
    let q = AuditQuery {
        record: p.first("record").map(str::to_owned),
        actor: p.first("actor").map(str::to_owned),
        from: p.first("from").map(|f| parse_time(f, false)).transpose()?,
        to: p.first("to").map(|t| parse_time(t, true)).transpose()?,
        limit,
        cursor: p.first("cursor").map(str::to_owned),
    };
    let (items, next_cursor) = audit_log::list(ctx, &scope, q).await?;
    json_response(StatusCode::OK, &AuditPage { items, next_cursor })
}
