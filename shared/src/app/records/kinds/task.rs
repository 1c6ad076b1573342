//! Tasks: to-dos, optionally on a record. A task keeps when it was marked done.

use crate::Ctx;
use crate::app::records::error::RecordError;
use crate::app::records::spec::{Attrs, Entity, Field, Hooks, Kind, Ty, Visibility};
use crate::app::tenancy::BrandScope;
use crate::domain::Permission;
use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::Value;

pub static TASK: Kind = Kind {
    entity: Entity::Task,
    plural: "tasks",
    schema: "Task",
    summary: "To-dos, optionally on a record",
    prefix: "TASK#",
    fields: &[
        Field::new("title", Ty::Text(300), "").required(),
        Field::new("due_date", Ty::Date, ""),
        Field::new("assignee_id", Ty::Member, "defaults to the creator"),
        Field::new("done", Ty::Bool, ""),
        Field::new("done_at", Ty::Text(40), "when it was marked done").read_only(),
        Field::new(
            "record",
            Ty::Record,
            "the record it is about, <entity>:<id>",
        ),
        Field::new("details", Ty::LongText(10_000), ""),
    ],
    custom_fields: false,
    attachable: false,
    visibility: Visibility::Owner("assignee_id"),
    write: Permission::WriteAssignedRecords,
    searchable: &["title", "details"],
    order: None,
    rules: &[],
    hooks: Hooks {
        defaults: Some(defaults),
        keep: Some(done_at),
        ..Hooks::NONE
    },
};

/// A new task is not done.
fn defaults<'a>(
    _: &'a Ctx,
    _: &'a BrandScope,
    attrs: &'a mut Attrs,
) -> BoxFuture<'a, Result<(), RecordError>> {
    attrs.insert("done".into(), false.into());
    futures::future::ready(Ok(())).boxed()
}

/// `done_at` is set when a task becomes done and cleared when it is undone.
fn done_at(before: &Attrs, after: &mut Attrs, now: &str, _actor: &str) {
    let done = |a: &Attrs| a.get("done").and_then(Value::as_bool) == Some(true);
    if done(after) && !done(before) {
        after.insert("done_at".into(), Value::from(now));
    } else if !done(after) {
        after.remove("done_at");
    }
}
