//! Lambda: accounts, sessions and tokens (`/auth/*`, `/me`, `/.well-known/jwks.json`). All logic lives in
//! `atelier-core`; this binary only starts the runtime.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    atelier_core::http::run_lambda(atelier_core::ctx::Uses {
        apple: Some(atelier_core::ctx::apple_verifier),
        ..atelier_core::ctx::Uses::BASE
    })
    .await
}
