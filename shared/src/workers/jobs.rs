//! Scheduled jobs. In AWS an EventBridge schedule invokes the `retention-sweep` function,
//! which runs the retention jobs; the local stack runs every job on its own timer.

use crate::Ctx;

/// Jobs by name: what each does.
pub const JOBS: &[(&str, &str)] = &[
    (
        "embedded-housekeeping",
        "delete TTL-expired items and spent queue dedup ids (what DynamoDB TTL and SQS do in AWS)",
    ),
    (
        "account-anonymisation",
        "anonymise deleted accounts whose 30-day audit window has passed",
    ),
];

/// The jobs the `retention-sweep` function runs.
pub const RETENTION_JOBS: &[&str] = &["account-anonymisation"];

/// Runs one job now; returns a line saying what it did.
pub async fn run_job(ctx: &Ctx, name: &str) -> Result<String, String> {
    match name {
        "embedded-housekeeping" => {
            #[cfg(feature = "embedded")]
            if let Some(embedded) = &ctx.embedded {
                let swept = embedded
                    .table
                    .sweep_expired()
                    .await
                    .map_err(|e| e.to_string())?;
                for q in [
                    &embedded.gmail_sync,
                    &embedded.gmail_sync_dlq,
                    &embedded.exports,
                    &embedded.exports_dlq,
                ] {
                    q.purge_dedup().await.map_err(|e| e.to_string())?;
                }
                return Ok(format!("swept {swept} expired items"));
            }
            Ok("nothing to do: AWS runs TTL and dedup expiry itself".into())
        }
        "account-anonymisation" => {
            let n = crate::app::auth::anonymise::anonymise_due(ctx)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!("anonymised {n} deleted accounts"))
        }
        other => Err(format!("no job named {other:?}")),
    }
}

/// Runs the retention jobs (the scheduled function's whole work); fails if any failed, so the
/// invocation is retried and alarmed.
pub async fn run_retention(ctx: &Ctx) -> Result<Vec<String>, String> {
    let mut done = Vec::new();
    for job in RETENTION_JOBS {
        let line = run_job(ctx, job).await?;
        tracing::info!(job, "{line}");
        done.push(format!("{job}: {line}"));
    }
    Ok(done)
}
