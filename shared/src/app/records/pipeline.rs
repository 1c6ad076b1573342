//! Pipeline stages. A brand starts with the default pipeline, written the first time it is
//! needed, once: a marker item in the same transaction makes a second writer's attempt fail.

use super::kinds::STAGE;
use super::store::{RecordError, key, scan};
use crate::Ctx;
use crate::app::brand_table::{BrandItem, BrandWrite};
use crate::app::tenancy::BrandScope;
use crate::keys;
use crate::ports::{Condition, StoreError};
use serde_json::Value;

pub const DEFAULT_STAGES: &[(&str, &str)] = &[
    ("Enquiry", "open"),
    ("Proposal sent", "open"),
    ("Booked", "open"),
    ("Completed", "won"),
    ("Lost", "lost"),
];

/// The brand's stages, in position order, creating the default pipeline if it has none.
pub async fn stages(ctx: &Ctx, scope: &BrandScope) -> Result<Vec<BrandItem>, RecordError> {
    let table = scope.table(ctx);
    let marker = keys::brand::pipeline_marker();
    if table.get(&marker).await?.is_none() {
        let now = ctx.clock.now().to_rfc3339();
        let mut writes = vec![BrandWrite::Put {
            item: BrandItem::new(marker).with("created_at", now.as_str()),
            condition: Condition::Absent,
        }];
        for (i, (name, outcome)) in DEFAULT_STAGES.iter().enumerate() {
            let id = crate::domain::new_id(ctx.clock.as_ref()).to_string();
            writes.push(BrandWrite::Put {
                item: BrandItem::new(key(&STAGE, &id))
                    .with("name", *name)
                    .with("outcome", *outcome)
                    .with("position", ((i as i64) + 1) * 10)
                    .with("created_at", now.as_str())
                    .with("updated_at", now.as_str())
                    .with("created_by", "system")
                    .with("version", 1),
                condition: Condition::Absent,
            });
        }
        match table.transact(writes).await {
            Ok(()) | Err(StoreError::TransactionConditionFailed { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut stages = scan(ctx, scope, &STAGE).await?;
    stages.sort_by_key(|s| {
        (
            s.get("position").and_then(Value::as_i64).unwrap_or(0),
            s.key.sk().to_owned(),
        )
    });
    Ok(stages)
}
