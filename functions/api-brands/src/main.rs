//! Lambda: brands, members and roles (`/brands*`, `/auth/switch-brand`). All logic lives in
//! `atelier-core`; this binary only starts the runtime.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    atelier_core::http::run_lambda(atelier_core::ctx::Uses::BASE).await
}
