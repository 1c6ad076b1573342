//! Converting an enquiry into a project, in one transaction: the project is created (linked
//! to the enquiry, its contact and its owner) and the enquiry becomes `converted`.

use super::error::RecordError;
use super::kinds::{ENQUIRY, PROJECT};
use super::rows::{Attrs, load, text, view};
use super::write::{self, commit, service_change};
use crate::Ctx;
use crate::app::auth::Client;
use crate::app::tenancy::BrandScope;
use serde_json::Value;

/// Converts enquiry `id` (read at `expected`); `input` may set any project field and
/// overrides what is taken from the enquiry. Returns the project.
pub async fn convert(
    ctx: &Ctx,
    scope: &BrandScope,
    id: &str,
    expected: u64,
    input: Attrs,
    client: &Client,
) -> Result<Value, RecordError> {
    let enquiry = load(ctx, scope, &ENQUIRY, id).await?;
    let version = enquiry.version().unwrap_or(0);
    if version != expected {
        return Err(RecordError::Stale { current: version });
    }
    match text(&enquiry.attrs, "status") {
        Some("converted") => {
            return Err(RecordError::InUse(
                "the enquiry is already converted".into(),
            ));
        }
        Some("lost") => {
            return Err(RecordError::InUse(
                "the enquiry is lost: set its status back to new or qualified first".into(),
            ));
        }
        _ => {}
    }
    let e = &enquiry.attrs;
    let mut project = Attrs::new();
    let name = text(e, "title")
        .or(text(e, "event_type"))
        .unwrap_or("Project from enquiry");
    project.insert("name".into(), name.into());
    for (from, to) in [("event_date", "event_date"), ("venue", "location")] {
        if let Some(v) = e.get(from) {
            project.insert(to.into(), v.clone());
        }
    }
    if let Some(c) = text(e, "contact_id") {
        project.insert("contact_ids".into(), Value::from(vec![c]));
    }
    if let Some(o) = text(e, "owner_id") {
        project.insert("assignee_ids".into(), Value::from(vec![o]));
    }
    project.extend(input);
    let enquiry_id = ENQUIRY.id_of(enquiry.key.sk()).to_owned();
    let mut preset = Attrs::new();
    preset.insert("enquiry_id".into(), enquiry_id.into());
    let created =
        write::prepare_create(ctx, scope, &PROJECT, project, preset, client, "convert").await?;
    let project_id = PROJECT.id_of(created.item.key.sk()).to_owned();
    let mut attrs = enquiry.attrs.clone();
    attrs.insert("status".into(), "converted".into());
    attrs.insert("project_id".into(), project_id.into());
    let mut writes = service_change(ctx, scope, &ENQUIRY, &enquiry, attrs, client, "convert");
    writes.extend(created.writes);
    commit(ctx, scope, writes).await?;
    Ok(view(&PROJECT, &created.item))
}
