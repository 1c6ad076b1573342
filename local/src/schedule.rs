//! Scheduled jobs, run in-process by the local stack (EventBridge schedules run them in AWS).

use atelier_core::Ctx;
use std::time::Duration;
use tokio::sync::watch;

/// Jobs by name, for `atelier run-job <name>`.
pub const JOBS: &[(&str, &str)] = &[(
    "embedded-housekeeping",
    "delete TTL-expired items and spent queue dedup ids (what DynamoDB TTL and SQS do in AWS)",
)];

const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(15 * 60);

/// Runs one job now; returns a line saying what it did.
pub async fn run_job(ctx: &Ctx, name: &str) -> Result<String, String> {
    match name {
        "embedded-housekeeping" => {
            let Some(embedded) = &ctx.embedded else {
                return Ok("nothing to do: AWS runs TTL and dedup expiry itself".into());
            };
            let swept = embedded
                .table
                .sweep_expired()
                .await
                .map_err(|e| e.to_string())?;
            for q in [&embedded.gmail_sync, &embedded.gmail_sync_dlq] {
                q.purge_dedup().await.map_err(|e| e.to_string())?;
            }
            Ok(format!("swept {swept} expired items"))
        }
        other => Err(format!("no job named {other:?}")),
    }
}

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
