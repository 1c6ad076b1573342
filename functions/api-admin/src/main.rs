//! Lambda: the platform operator's routes (`/admin/*`, each use audited). All logic lives in
//! `atelier-core`; this binary only starts the runtime.

use atelier_core::{Ctx, http, telemetry};
use lambda_http::{Error, Request, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let ctx = Ctx::from_env().await?;
    lambda_http::run(service_fn(move |req: Request| {
        let ctx = ctx.clone();
        async move { Ok::<_, Error>(http::handle(&ctx, req).await) }
    }))
    .await
}
