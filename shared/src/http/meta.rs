//! Routes about the service itself.

use super::route::HandlerResult;
use super::{ApiError, Request, json_response};
use crate::Ctx;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
    #[schema(example = "0.1.0")]
    pub version: &'static str,
    /// Which adapters back the ports: `embedded` or `aws`.
    #[schema(example = "embedded")]
    pub backend: &'static str,
}

/// Liveness, version and active backend. Cheap: it touches no dependency, so a load balancer
/// or uptime check never adds load to the table.
#[utoipa::path(get, path = "/health", tag = "meta",
    responses((status = 200, description = "The service is up", body = Health)))]
pub async fn health(ctx: &Ctx, _req: Request) -> HandlerResult {
    json_response(
        http::StatusCode::OK,
        &Health {
            status: "ok",
            version: crate::VERSION,
            backend: ctx.config.backend.as_str(),
        },
    )
}

/// This API's OpenAPI 3.1 document, generated from the code at build time (`cargo xtask
/// openapi`; a test keeps it equal to what the code generates), so serving it needs none of
/// the routes it describes.
pub const OPENAPI: &str = include_str!("../../openapi.json");

/// This API's OpenAPI 3.1 document, generated from the code.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub async fn openapi_json(_ctx: &Ctx, _req: Request) -> HandlerResult {
    http::Response::builder()
        .status(http::StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(lambda_http::Body::Text(OPENAPI.to_owned()))
        .map_err(|e| super::ApiError::Internal(e.to_string()))
}

/// Mail the local stack "sent" (embedded backend only; 404 elsewhere). Waits up to 10 s for
/// the mail queue to drain first, so what a request just queued is listed.
#[utoipa::path(get, path = "/dev/outbox", tag = "dev",
    responses((status = 200, body = [crate::ports::mailer::OutboxEntry]), (status = 404, body = super::Problem)))]
pub async fn outbox(ctx: &Ctx, _req: Request) -> HandlerResult {
    #[cfg(feature = "embedded")]
    if let Some(embedded) = ctx.embedded.as_ref() {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while embedded.mail.depth().await.unwrap_or(0) > 0 && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let entries = embedded
            .outbox
            .list()
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        return json_response(http::StatusCode::OK, &entries);
    }
    let _ = ctx;
    Err(ApiError::NotFound)
}
