//! The full JSON export of a brand (P25), made in the background: a request records the job
//! and queues it; the `brand-export` worker writes every record of every kind to the blob
//! store, updating the job's progress as it goes. The file is then downloadable by the roles
//! that may export, through a short-lived link (S3) or through the API (locally).

use super::error::RecordError;
use super::kinds;
use super::rows::{self, text};
use crate::Ctx;
use crate::app::auth::Client;
use crate::app::brand_table::{BrandItem, BrandWrite};
use crate::app::tenancy::{self, Actor, BrandScope};
use crate::domain::{BrandId, Permission, UserId};
use crate::keys;
use crate::ports::{BlobKey, Condition, OutMessage, StoredBlob, Update};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;

/// Exports are kept (job and file) for a week.
pub const KEEP_DAYS: i64 = 7;
/// How long a download link works.
pub const LINK_TTL: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExportView {
    pub id: String,
    /// queued, running, done or failed.
    pub status: String,
    /// Kinds of records written so far, of `total`.
    pub progress: u64,
    pub total: u64,
    pub records: u64,
    pub size_bytes: Option<u64>,
    pub requested_at: String,
    pub finished_at: Option<String>,
    pub error: Option<String>,
    /// Where to fetch the file once done (expires; ask again for a fresh one).
    pub download_url: Option<String>,
}

/// The job's queue message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ExportMessage {
    BrandExport {
        brand_id: BrandId,
        export_id: String,
        /// Whose rights the export runs with, checked again when it runs.
        user_id: UserId,
    },
}

fn blob_key(brand: &BrandId, id: &str) -> Result<BlobKey, RecordError> {
    Ok(keys::platform::export_file(brand, id)?)
}

async fn view(ctx: &Ctx, brand: &BrandId, item: &BrandItem) -> Result<ExportView, RecordError> {
    let id = keys::brand::export_id(&item.key).to_owned();
    let status = text(&item.attrs, "status").unwrap_or("queued").to_owned();
    let download_url = if status == "done" {
        Some(
            match ctx
                .blobs
                .presigned_get(&blob_key(brand, &id)?, LINK_TTL)
                .await?
            {
                Some(url) => url,
                None => format!("/exports/{id}/download"),
            },
        )
    } else {
        None
    };
    let n = |f: &str| item.get(f).and_then(Value::as_u64);
    Ok(ExportView {
        id,
        status,
        progress: n("progress").unwrap_or(0),
        total: n("total").unwrap_or(kinds::ALL.len() as u64),
        records: n("records").unwrap_or(0),
        size_bytes: n("size_bytes"),
        requested_at: text(&item.attrs, "requested_at")
            .unwrap_or_default()
            .to_owned(),
        finished_at: text(&item.attrs, "finished_at").map(str::to_owned),
        error: text(&item.attrs, "error").map(str::to_owned),
        download_url,
    })
}

/// Records and queues an export of the caller's brand.
pub async fn request(
    ctx: &Ctx,
    scope: &BrandScope,
    client: &Client,
) -> Result<ExportView, RecordError> {
    scope.require(Permission::ExportData)?;
    let Actor::User(user) = scope.actor() else {
        return Err(RecordError::invalid(
            "actor",
            "exports are requested by a signed-in member, not an API key",
        ));
    };
    let id = crate::domain::new_id(ctx.clock.as_ref()).to_string();
    let now = ctx.clock.now();
    let item = BrandItem::new(keys::brand::export(&id))
        .with("status", "queued")
        .with("progress", 0)
        .with("total", kinds::ALL.len() as u64)
        .with("records", 0)
        .with("requested_at", now.to_rfc3339())
        .with("requested_by", user.to_string())
        .with(
            "expires_at",
            (now + chrono::Duration::days(KEEP_DAYS)).timestamp(),
        );
    scope
        .table(ctx)
        .transact(vec![
            BrandWrite::Put {
                item: item.clone(),
                condition: Condition::Absent,
            },
            super::audit(ctx, scope, "export", "export", &id, &[], client),
        ])
        .await?;
    let message = ExportMessage::BrandExport {
        brand_id: *scope.brand(),
        export_id: id.clone(),
        user_id: *user,
    };
    let body = crate::workers::envelope::encode(&message);
    if let Err(e) = ctx
        .queues
        .exports
        .send(OutMessage::fifo(
            body,
            scope.brand().to_string(),
            id.clone(),
        ))
        .await
    {
        // Not queued: say so on the job rather than leave it waiting for ever.
        let _ = scope
            .table(ctx)
            .update(
                &item.key,
                Update::new()
                    .set("status", "failed")
                    .set("error", "could not be queued; ask again"),
                Condition::Present,
            )
            .await;
        return Err(RecordError::Store(crate::ports::StoreError::Unavailable(
            e.to_string(),
        )));
    }
    view(ctx, scope.brand(), &item).await
}

pub async fn get(ctx: &Ctx, scope: &BrandScope, id: &str) -> Result<ExportView, RecordError> {
    scope.require(Permission::ExportData)?;
    let item = scope
        .table(ctx)
        .get(&keys::brand::export(id))
        .await?
        .ok_or(RecordError::NotFound)?;
    view(ctx, scope.brand(), &item).await
}

pub async fn list(ctx: &Ctx, scope: &BrandScope) -> Result<Vec<ExportView>, RecordError> {
    scope.require(Permission::ExportData)?;
    let page = scope
        .table(ctx)
        .query(keys::brand::exports().backward().limit(50))
        .await?;
    let mut out = Vec::new();
    for item in &page.items {
        out.push(view(ctx, scope.brand(), item).await?);
    }
    Ok(out)
}

/// The finished file.
pub async fn download(ctx: &Ctx, scope: &BrandScope, id: &str) -> Result<StoredBlob, RecordError> {
    let job = get(ctx, scope, id).await?;
    if job.status != "done" {
        return Err(RecordError::InUse(format!("the export is {}", job.status)));
    }
    ctx.blobs
        .get(&blob_key(scope.brand(), &job.id)?)
        .await?
        .ok_or(RecordError::NotFound)
}

/// Runs an export job (the worker's whole work). Safe to repeat: a finished job is left
/// alone, an interrupted one starts again.
pub async fn run(ctx: &Ctx, message: &ExportMessage) -> Result<(), RecordError> {
    let ExportMessage::BrandExport {
        brand_id,
        export_id,
        user_id,
    } = message;
    let job_key = keys::brand::export(export_id);
    let table = crate::app::brand_table::service_table(ctx, brand_id);
    let Some(job) = table.get(&job_key).await? else {
        return Ok(()); // expired or never recorded: nothing to do
    };
    if text(&job.attrs, "status") == Some("done") {
        return Ok(());
    }
    let set = |u: Update| async { table.update(&job_key, u, Condition::Present).await };
    // The requester must still be allowed to export this brand (P01 through the queue).
    let scope = match tenancy::scope(ctx, user_id, Some(brand_id)).await {
        Ok(s) if s.role().can(Permission::ExportData) => s,
        _ => {
            set(Update::new()
                .set("status", "failed")
                .set("error", "the requester may no longer export this brand"))
            .await?;
            return Ok(());
        }
    };
    set(Update::new().set("status", "running").set("progress", 0)).await?;
    let mut records = serde_json::Map::new();
    let mut count = 0u64;
    for (i, kind) in kinds::ALL.iter().enumerate() {
        let items: Vec<Value> = rows::scan(ctx, &scope, kind)
            .await?
            .iter()
            .map(|item| rows::view(kind, item))
            .collect();
        count += items.len() as u64;
        records.insert(kind.plural.replace('/', "_"), Value::Array(items));
        set(Update::new()
            .set("progress", (i + 1) as u64)
            .set("records", count))
        .await?;
    }
    let doc = json!({
        "format": "atelier-brand-export",
        "version": 1,
        "brand_id": brand_id.to_string(),
        "exported_at": ctx.clock.now().to_rfc3339(),
        "records": records,
    });
    let bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    let size = bytes.len() as u64;
    ctx.blobs
        .put(
            &blob_key(brand_id, export_id)?,
            bytes.into(),
            "application/json",
        )
        .await?;
    set(Update::new()
        .set("status", "done")
        .set("size_bytes", size)
        .set("finished_at", ctx.clock.now().to_rfc3339()))
    .await?;
    Ok(())
}
