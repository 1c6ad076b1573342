//! Route handlers over `lambda_http` types, and the dispatcher every HTTP entry point (each
//! Lambda function and the local server) calls: request id, CORS, body limit, routing,
//! problem+json errors, panic containment.

// Each route group is compiled only into the function that serves it (see `routes`).
#[cfg(feature = "admin")]
pub mod admin;
#[cfg(feature = "brands")]
pub mod api_keys;
mod app_errors;
#[cfg(feature = "crm")]
pub mod audit;
#[cfg(feature = "auth")]
pub mod auth;
#[cfg(feature = "brands")]
pub mod brands;
mod cors;
mod dispatch;
#[cfg(feature = "crm")]
mod download;
#[cfg(feature = "crm")]
pub mod files;
pub mod guard;
mod json;
pub mod meta;
#[cfg(feature = "openapi")]
pub mod openapi;
#[cfg(feature = "openapi")]
pub(crate) mod openapi_rules;
pub mod principal;
pub mod problem;
#[cfg(feature = "crm")]
pub mod public;
#[cfg(feature = "openapi")]
pub mod record_docs;
#[cfg(feature = "crm")]
pub mod records;
pub mod route;
pub mod routes;
#[cfg(feature = "crm")]
pub mod transfer;

pub use dispatch::{PeerAddr, handle};
pub use json::{json_body, json_response, whole_number};
pub use problem::{ApiError, FieldError, Problem};
pub use route::Guard;
pub use route::Route;
pub use routes::ROUTES;

/// The request every handler takes.
pub type Request = lambda_http::Request;
/// The response every handler returns.
pub type Response = http::Response<lambda_http::Body>;

/// The request id of the request being handled, as put there by the dispatcher.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The whole `main` of an HTTP function: logging, the ports for this cold start, and the
/// Lambda runtime handing every request to the shared dispatcher.
pub async fn run_lambda(uses: crate::ctx::Uses) -> Result<(), lambda_http::Error> {
    crate::telemetry::init();
    let ctx = crate::Ctx::from_env(uses).await?;
    ctx.warm_up().await;
    serve_lambda(ctx).await
}

/// The `main` of a function whose routes touch no port (`api-health`): its `Ctx` holds no
/// AWS client, so its binary links none.
pub async fn run_lambda_without_stores() -> Result<(), lambda_http::Error> {
    crate::telemetry::init();
    let config = crate::config::Config::from_env()?;
    // The same settings every function starts with, checked the same way.
    if config.backend != crate::config::Backend::Aws || config.aws.is_none() {
        return Err("api-health runs on the aws backend, with its resources configured".into());
    }
    serve_lambda(crate::Ctx::without_stores(
        config,
        std::sync::Arc::new(crate::ports::SystemClock),
    ))
    .await
}

async fn serve_lambda(ctx: crate::Ctx) -> Result<(), lambda_http::Error> {
    // Built now, during init, rather than on the first request.
    routes::prime();
    lambda_http::run(lambda_http::service_fn(move |req: Request| {
        let ctx = ctx.clone();
        async move { Ok::<_, lambda_http::Error>(handle(&ctx, req).await) }
    }))
    .await
}
