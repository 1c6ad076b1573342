//! The local stack's timer for the scheduled jobs (EventBridge schedules run them in AWS).

use atelier_core::Ctx;
use std::time::Duration;
use tokio::sync::watch;

pub use atelier_core::workers::jobs::{JOBS, run_job};

const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(15 * 60);

pub async fn run(ctx: Ctx, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(HOUSEKEEPING_EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        for (name, _) in JOBS {
            match run_job(&ctx, name).await {
                Ok(done) => tracing::info!(job = name, "{done}"),
                Err(e) => tracing::warn!(job = name, error = %e, "scheduled job failed"),
            }
        }
    }
}
