//! The activity timeline of a contact or a project: its notes, tasks and files, a project's
//! stage changes, and a contact's enquiries and projects, newest first. Emails and calendar
//! events join it with their issues.

use super::error::RecordError;
use super::kinds::stage;
use super::kinds::{self, CONTACT, ENQUIRY, PROJECT};
use super::rows::{self, load, text, visible};
use super::spec::Kind;
use crate::Ctx;
use crate::app::tenancy::BrandScope;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// The most entries a timeline shows.
pub const MAX_ENTRIES: usize = 500;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    /// RFC 3339.
    pub at: String,
    /// note, task, file, stage_change, enquiry, project or created.
    pub kind: String,
    /// The record the entry is about, `<entity>:<id>`.
    pub record: String,
    pub summary: String,
    /// Who did it (user id, `apikey:<id>` or `system`).
    pub by: Option<String>,
}

fn summary_of(kind: &Kind, attrs: &rows::Attrs) -> String {
    let first = ["title", "name", "body", "event_type"]
        .iter()
        .find_map(|f| text(attrs, f))
        .unwrap_or(kind.entity.as_str());
    first.chars().take(140).collect()
}

pub async fn timeline(
    ctx: &Ctx,
    scope: &BrandScope,
    kind: &Kind,
    id: &str,
) -> Result<Vec<TimelineEntry>, RecordError> {
    let record = load(ctx, scope, kind, id).await?;
    let id = kind.id_of(record.key.sk()).to_owned();
    let entry = |k: &Kind, item: &crate::app::brand_table::BrandItem, what: &str| TimelineEntry {
        at: text(&item.attrs, "created_at")
            .unwrap_or_default()
            .to_owned(),
        kind: what.to_owned(),
        record: format!("{}:{}", k.entity, k.id_of(item.key.sk())),
        summary: summary_of(k, &item.attrs),
        by: text(&item.attrs, "created_by").map(str::to_owned),
    };
    let mut out = vec![entry(kind, &record, "created")];
    for item in rows::attached(ctx, scope, &format!("{}:{id}", kind.entity)).await? {
        if let Some(k) = kinds::ALL
            .iter()
            .find(|k| item.key.sk().starts_with(k.prefix))
        {
            out.push(entry(k, &item, k.entity.as_str()));
        }
    }
    if kind.entity == PROJECT.entity {
        let names: HashMap<String, String> = stage::stages(ctx, scope)
            .await?
            .iter()
            .map(|s| {
                (
                    kinds::STAGE.id_of(s.key.sk()).to_owned(),
                    text(&s.attrs, "name").unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let name = |v: Option<&Value>| {
            v.and_then(Value::as_str).map(|s| {
                names
                    .get(s)
                    .cloned()
                    .unwrap_or_else(|| "(deleted stage)".into())
            })
        };
        for h in record
            .get("stage_history")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.push(TimelineEntry {
                at: h["at"].as_str().unwrap_or_default().to_owned(),
                kind: "stage_change".into(),
                record: format!("project:{id}"),
                summary: match name(h.get("from_stage_id")) {
                    Some(from) => {
                        format!("{from} → {}", name(h.get("stage_id")).unwrap_or_default())
                    }
                    None => format!("→ {}", name(h.get("stage_id")).unwrap_or_default()),
                },
                by: h["by"].as_str().map(str::to_owned),
            });
        }
    }
    if kind.entity == CONTACT.entity {
        for item in rows::scan(ctx, scope, &ENQUIRY).await? {
            if text(&item.attrs, "contact_id") == Some(id.as_str())
                && visible(scope, &ENQUIRY, &item.attrs)
            {
                out.push(entry(&ENQUIRY, &item, "enquiry"));
            }
        }
        for item in rows::scan(ctx, scope, &PROJECT).await? {
            let linked = item
                .get("contact_ids")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(id.as_str())));
            if linked && visible(scope, &PROJECT, &item.attrs) {
                out.push(entry(&PROJECT, &item, "project"));
            }
        }
    }
    out.sort_by(|a, b| b.at.cmp(&a.at));
    out.truncate(MAX_ENTRIES);
    Ok(out)
}
