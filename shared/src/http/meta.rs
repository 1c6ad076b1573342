//! Routes about the service itself.

use super::routes::HandlerResult;
use super::{Request, json_response, openapi};
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

/// This API's OpenAPI 3.1 document, generated from the code.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub async fn openapi_json(_ctx: &Ctx, _req: Request) -> HandlerResult {
    http::Response::builder()
        .status(http::StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(lambda_http::Body::Text(openapi::document().to_owned()))
        .map_err(|e| super::ApiError::Internal(e.to_string()))
}
