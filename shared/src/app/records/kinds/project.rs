//! Projects: bookings, moving through the brand's pipeline stages. A project keeps the
//! history of its stage changes.

use super::stage;
use crate::Ctx;
use crate::app::records::error::RecordError;
use crate::app::records::spec::{Attrs, Entity, Field, Hooks, Kind, Ty, Visibility};
use crate::app::tenancy::BrandScope;
use crate::domain::Permission;
use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::Value;

pub static PROJECT: Kind = Kind {
    entity: Entity::Project,
    plural: "projects",
    schema: "Project",
    summary: "Bookings, moving through the brand's pipeline stages",
    prefix: "PROJECT#",
    fields: &[
        Field::new("name", Ty::Text(200), "").required(),
        Field::new(
            "stage_id",
            Ty::Ref(Entity::Stage),
            "defaults to the first pipeline stage",
        )
        .refuses_delete("projects are in this stage: move them to another stage first"),
        Field::new(
            "value",
            Ty::Int {
                min: 0,
                max: 1_000_000_000,
            },
            "in minor currency units",
        ),
        Field::new("currency", Ty::Text(3), "ISO 4217, e.g. GBP"),
        Field::new("event_date", Ty::Date, ""),
        Field::new("event_time", Ty::Time, ""),
        Field::new("location", Ty::Text(300), ""),
        Field::new("contact_ids", Ty::Refs(Entity::Contact), "the clients"),
        Field::new(
            "assignee_ids",
            Ty::Members,
            "the team members working on it",
        ),
        Field::new(
            "enquiry_id",
            Ty::Ref(Entity::Enquiry),
            "the enquiry it came from",
        )
        .read_only(),
        Field::new(
            "stage_history",
            Ty::StageHistory,
            "every stage change, oldest first",
        )
        .read_only(),
        Field::new("notes", Ty::LongText(10_000), ""),
    ],
    custom_fields: true,
    attachable: true,
    visibility: Visibility::Assignees("assignee_ids"),
    write: Permission::WriteAssignedRecords,
    searchable: &["name", "location"],
    order: None,
    rules: &[],
    hooks: Hooks {
        defaults: Some(defaults),
        keep: Some(stage_history),
        ..Hooks::NONE
    },
};

/// A new project starts in the first stage of the pipeline.
fn defaults<'a>(
    ctx: &'a Ctx,
    scope: &'a BrandScope,
    attrs: &'a mut Attrs,
) -> BoxFuture<'a, Result<(), RecordError>> {
    async move {
        if let Some(first) = stage::stages(ctx, scope).await?.first() {
            attrs.insert("stage_id".into(), stage::id_of(first).into());
        }
        Ok(())
    }
    .boxed()
}

/// Each stage change is added to `stage_history`: to, from, when and by whom.
fn stage_history(before: &Attrs, after: &mut Attrs, now: &str, actor: &str) {
    let stage = |a: &Attrs| a.get("stage_id").and_then(Value::as_str).map(str::to_owned);
    let (was, is) = (stage(before), stage(after));
    if was != is
        && let Some(is) = is
    {
        let entry = serde_json::json!({
            "stage_id": is, "from_stage_id": was, "at": now, "by": actor,
        });
        let mut history = after
            .get("stage_history")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        history.push(entry);
        after.insert("stage_history".into(), Value::Array(history));
    }
}
