//! The brand-export consumer: runs full JSON export jobs (see `app::records::exports`).

use super::envelope;
use super::runner::{Record, WorkError, Worker};
use crate::Ctx;
use crate::app::records::RecordError;
use crate::app::records::exports::{self, ExportMessage};
use crate::ports::Queue;
use async_trait::async_trait;
use std::sync::Arc;

pub struct ExportWorker;

#[async_trait]
impl Worker for ExportWorker {
    fn name(&self) -> &'static str {
        "brand-export"
    }

    fn dead_letters(&self, ctx: &Ctx) -> Option<Arc<dyn Queue>> {
        Some(ctx.queues.exports_dlq.clone())
    }

    async fn handle(&self, ctx: &Ctx, record: &Record) -> Result<(), WorkError> {
        let message = envelope::decode::<ExportMessage>(&record.body)?;
        exports::run(ctx, &message).await.map_err(|e| match e {
            RecordError::Invalid(_) | RecordError::BadQuery(_) => WorkError::Poison(e.to_string()),
            other => WorkError::Retry(other.to_string()),
        })
    }
}
