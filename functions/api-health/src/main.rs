//! Lambda: the service's own routes (`GET /health`, `GET /openapi.json`). All logic lives in
//! `atelier-core`; this binary only starts the runtime.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    atelier_core::http::run_lambda_without_stores().await
}
