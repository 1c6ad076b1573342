//! Pipeline stages. A brand starts with the default pipeline, written the first time it is
//! needed, once: a marker item in the same transaction makes a second writer's attempt fail.
//! A stage still holding projects is not deleted (see the project's `stage_id`).

use crate::Ctx;
use crate::app::brand_table::{BrandItem, BrandWrite};
use crate::app::records::error::RecordError;
use crate::app::records::rows::{key, scan};
use crate::app::records::spec::{Attrs, Entity, Field, Hooks, Kind, Ty, Visibility};
use crate::app::tenancy::BrandScope;
use crate::domain::Permission;
use crate::keys;
use crate::ports::{Condition, StoreError};
use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::Value;

pub const STAGE_KINDS: &[&str] = &["open", "won", "lost"];

pub static STAGE: Kind = Kind {
    entity: Entity::Stage,
    plural: "pipeline/stages",
    schema: "PipelineStage",
    summary: "The brand's pipeline stages, in position order",
    prefix: "STAGE#",
    fields: &[
        Field::new("name", Ty::Text(60), "").required(),
        Field::new(
            "position",
            Ty::Int { min: 0, max: 1000 },
            "order in the pipeline",
        ),
        Field::new(
            "outcome",
            Ty::Choice(STAGE_KINDS),
            "open (default), won or lost",
        ),
    ],
    custom_fields: false,
    attachable: false,
    visibility: Visibility::Everyone,
    write: Permission::ConfigureRecords,
    searchable: &["name"],
    order: Some("position"),
    rules: &[],
    hooks: Hooks {
        defaults: Some(defaults),
        seed: Some(seed),
        ..Hooks::NONE
    },
};

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

/// A stage's id, from its row.
pub fn id_of(stage: &BrandItem) -> String {
    STAGE.id_of(stage.key.sk()).to_owned()
}

/// Lists of stages show the default pipeline from a brand's first look.
fn seed<'a>(ctx: &'a Ctx, scope: &'a BrandScope) -> BoxFuture<'a, Result<(), RecordError>> {
    async move { stages(ctx, scope).await.map(|_| ()) }.boxed()
}

/// A new stage goes last in the pipeline, and is open.
fn defaults<'a>(
    ctx: &'a Ctx,
    scope: &'a BrandScope,
    attrs: &'a mut Attrs,
) -> BoxFuture<'a, Result<(), RecordError>> {
    async move {
        let last = stages(ctx, scope)
            .await?
            .iter()
            .filter_map(|s| s.get("position").and_then(Value::as_i64))
            .max()
            .unwrap_or(0);
        attrs.insert("position".into(), Value::from((last + 10).min(1000)));
        attrs.insert("outcome".into(), "open".into());
        Ok(())
    }
    .boxed()
}
