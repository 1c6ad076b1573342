//! The one entry point for HTTP: what happens to every request before and after its handler.

use super::route::match_path;
use super::routes::ROUTES;
use super::{ApiError, Request, RequestId, Response, cors};
use crate::Ctx;
use futures::FutureExt;
use http::HeaderValue;
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;
use std::collections::HashMap;
use std::net::SocketAddr;
use tracing::Instrument;

/// The peer address, as the local server saw it (API Gateway puts it in the request context).
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

fn request_id_of(req: &Request) -> String {
    #[allow(unreachable_patterns)]
    let from_gateway = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(c)) => c.request_id.clone(),
        _ => None,
    };
    from_gateway.unwrap_or_else(|| ulid::Ulid::new().to_string())
}

fn client_ip(req: &Request) -> String {
    #[allow(unreachable_patterns)]
    let from_gateway = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(c)) => c.http.source_ip.clone(),
        _ => None,
    };
    from_gateway
        .or_else(|| {
            req.extensions()
                .get::<PeerAddr>()
                .map(|p| p.0.ip().to_string())
        })
        .unwrap_or_default()
}

/// Handles one request: never panics, always answers.
pub async fn handle(ctx: &Ctx, req: Request) -> Response {
    let request_id = request_id_of(&req);
    let span = tracing::info_span!("request", request_id = %request_id);
    async move {
        let started = std::time::Instant::now();
        let method = req.method().clone();
        // Logged, so secrets in the path (invitation links) are redacted.
        let path = super::routes::loggable_path(req.uri().path());
        let ip = client_ip(&req);
        let user_agent = req
            .headers()
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(256)
            .collect::<String>();
        let origin = cors::allowed_origin(&req, &ctx.config.cors_origins)
            .ok()
            .flatten()
            .map(str::to_owned);
        let client = crate::app::auth::Client {
            ip: ip.clone(),
            user_agent: user_agent.clone(),
        };
        let mut resp = match route(ctx, req, &request_id, client).await {
            Ok(resp) => resp,
            Err(err) => err.into_response(&request_id),
        };
        let headers = resp.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            headers.insert("x-request-id", v);
        }
        if let Some(origin) = origin {
            cors::decorate(headers, &origin);
        }
        // The access log (P23): who asked what, from where, how it went. Never headers or
        // bodies, which may hold secrets.
        tracing::info!(
            %method, %path, status = resp.status().as_u16(), %ip, %user_agent,
            latency_ms = started.elapsed().as_millis() as u64, "access"
        );
        resp
    }
    .instrument(span)
    .await
}

fn repeated_parameter(route: &super::Route, req: &Request) -> Option<String> {
    let params = req.query_string_parameters();
    let mut seen = std::collections::HashSet::new();
    params
        .iter()
        .find(|(name, _)| !seen.insert(*name) && !super::route::repeatable(route, name))
        .map(|(name, _)| name.to_owned())
}

async fn route(
    ctx: &Ctx,
    mut req: Request,
    request_id: &str,
    client: crate::app::auth::Client,
) -> Result<Response, ApiError> {
    let origin = cors::allowed_origin(&req, &ctx.config.cors_origins)?.map(str::to_owned);
    let path = req.uri().path().to_owned();
    let candidates: Vec<_> = ROUTES
        .iter()
        .filter_map(|r| match_path(r.path, &path).map(|p| (r, p)))
        .collect();
    if candidates.is_empty() {
        return Err(ApiError::NotFound);
    }
    let allow: Vec<http::Method> = candidates.iter().map(|(r, _)| r.method.clone()).collect();
    if cors::is_preflight(&req) {
        return match origin {
            Some(origin) => Ok(cors::preflight(&origin, &allow)),
            None => Err(ApiError::OriginNotAllowed),
        };
    }
    let Some((route, params)) = candidates
        .into_iter()
        .find(|(r, _)| r.method == req.method())
    else {
        return Err(ApiError::MethodNotAllowed { allow });
    };
    // Every parameter is one value (a list filter may be repeated: each must match); any
    // other repeated one is refused, never half-read.
    if let Some(name) = repeated_parameter(route, &req) {
        return Err(ApiError::BadRequest(format!(
            "query parameter {name} is given more than once"
        )));
    }
    let limit = super::route::body_limit(route, ctx.config.max_body_bytes);
    if req.body().len() > limit {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    req.extensions_mut()
        .insert(RequestId(request_id.to_owned()));
    req.extensions_mut().insert(client);
    let req = req.with_path_parameters(params.into_iter().collect::<HashMap<_, _>>());
    // A panic in a handler is a bug; it must cost one request, not the whole instance.
    match std::panic::AssertUnwindSafe(super::guard::run(ctx, route.entry, req))
        .catch_unwind()
        .await
    {
        Ok(result) => result,
        Err(_) => Err(ApiError::Internal("handler panicked".into())),
    }
}
