//! Lambda: the daily retention sweep (EventBridge schedule). All logic lives in
//! `atelier-core`; this binary only starts the runtime.

use atelier_core::workers::jobs::run_retention;
use atelier_core::{Ctx, telemetry};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let ctx = Ctx::from_env(atelier_core::ctx::Uses::BASE).await?;
    ctx.warm_up().await;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| {
        let ctx = ctx.clone();
        async move { run_retention(&ctx).await.map_err(Error::from) }
    }))
    .await
}
