//! The local HTTP server: hyper on one port, each request turned into the same
//! `lambda_http::Request` API Gateway would deliver and handed to the shared dispatcher.

use atelier_core::Ctx;
use atelier_core::http::{self as core_http, ApiError};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use lambda_http::RequestExt;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::sync::watch;

/// How long in-flight requests get to finish at shutdown.
const DRAIN: Duration = Duration::from_secs(10);

/// Request bodies held in memory at once, across all connections: a crowd of slow uploads
/// waits for room instead of growing the process.
const BODY_BUDGET_BYTES: usize = 64 * 1024 * 1024;

pub async fn serve(ctx: Ctx, listener: TcpListener, mut stop: watch::Receiver<bool>) {
    let graceful = GracefulShutdown::new();
    let limits = ctx.config.local_server;
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let bodies = Arc::new(Semaphore::new(BODY_BUDGET_BYTES));
    loop {
        // Past the cap, new connections wait in the listen backlog until one ends.
        let permit = tokio::select! {
            p = connections.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = stop.changed() => break,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        let ctx = ctx.clone();
        let bodies = bodies.clone();
        let service = service_fn(move |req| {
            let ctx = ctx.clone();
            let bodies = bodies.clone();
            async move { Ok::<_, Infallible>(handle(&ctx, req, peer, &bodies).await) }
        });
        // The header timeout also ends a kept-alive connection idle between requests.
        let conn = http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("in-flight requests did not finish within {DRAIN:?}");
    }
}

async fn handle(
    ctx: &Ctx,
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
    bodies: &Semaphore,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    // Uploads may be larger than JSON bodies; the dispatcher applies each route's limit.
    let limit = ctx
        .config
        .max_body_bytes
        .max(atelier_core::app::records::files::MAX_FILE_BYTES);
    // Room in the body budget for what this body may take: its declared length, or the limit.
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let room = declared.unwrap_or(limit).min(limit).min(BODY_BUDGET_BYTES);
    let read = async {
        let _room = bodies
            .acquire_many(u32::try_from(room).unwrap_or(u32::MAX))
            .await
            .ok();
        Limited::new(body, limit).collect().await
    };
    let bytes = match tokio::time::timeout(ctx.config.local_server.body_timeout, read).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) => Err(
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                ApiError::PayloadTooLarge { limit }
            } else {
                ApiError::BadRequest("the request body could not be read".into())
            },
        ),
        Err(_) => Err(ApiError::RequestTimeout),
    };
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(err) => {
            // Refused before the dispatcher saw it: give it a request id all the same.
            let request_id = ulid::Ulid::new().to_string();
            let path = core_http::routes::loggable_path(parts.uri.path());
            tracing::info!(%request_id, %path, status = err.status().as_u16(), %peer, "access");
            let mut resp = err.into_response(&request_id);
            if let Ok(v) = http::HeaderValue::from_str(&request_id) {
                resp.headers_mut().insert("x-request-id", v);
            }
            // The rest of the body was never read: this connection cannot carry another request.
            resp.headers_mut().insert(
                http::header::CONNECTION,
                http::HeaderValue::from_static("close"),
            );
            return into_hyper(resp);
        }
    };
    let body = if bytes.is_empty() {
        lambda_http::Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => lambda_http::Body::Text(text),
            Err(e) => lambda_http::Body::Binary(e.into_bytes()),
        }
    };
    let query: HashMap<String, Vec<String>> = parts.uri.query().map_or_else(HashMap::new, |q| {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            map.entry(k.into_owned()).or_default().push(v.into_owned());
        }
        map
    });
    let mut req = http::Request::from_parts(parts, body).with_query_string_parameters(query);
    req.extensions_mut().insert(core_http::PeerAddr(peer));
    into_hyper(core_http::handle(ctx, req).await)
}

fn into_hyper(resp: core_http::Response) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = resp.into_parts();
    let bytes = match body {
        lambda_http::Body::Empty => Bytes::new(),
        lambda_http::Body::Text(t) => Bytes::from(t),
        lambda_http::Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}
