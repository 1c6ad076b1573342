//! Enquiries: leads, new → qualified → converted (to a project) or lost.

use crate::Ctx;
use crate::app::records::error::RecordError;
use crate::app::records::spec::{Attrs, Entity, Field, Hooks, Kind, Rule, Ty, Visibility};
use crate::app::tenancy::{Actor, BrandScope};
use crate::domain::Permission;
use futures::FutureExt;
use futures::future::BoxFuture;

const UTM: &[Field] = &[
    Field::new("source", Ty::Text(200), "utm_source"),
    Field::new("medium", Ty::Text(200), "utm_medium"),
    Field::new("campaign", Ty::Text(200), "utm_campaign"),
    Field::new("term", Ty::Text(200), "utm_term"),
    Field::new("content", Ty::Text(200), "utm_content"),
];

pub const ENQUIRY_SOURCES: &[&str] = &["email", "web_form", "manual", "api"];
pub const ENQUIRY_STATUSES: &[&str] = &["new", "qualified", "converted", "lost"];

pub static ENQUIRY: Kind = Kind {
    entity: Entity::Enquiry,
    plural: "enquiries",
    schema: "Enquiry",
    summary: "Leads: new → qualified → converted (to a project) or lost",
    prefix: "ENQUIRY#",
    fields: &[
        Field::new(
            "title",
            Ty::Text(200),
            "a short label, e.g. \"Smith wedding arch\"",
        ),
        Field::new(
            "source",
            Ty::Choice(ENQUIRY_SOURCES),
            "defaults to manual (api for API keys)",
        )
        .on_create(),
        Field::new("utm", Ty::Object(UTM), "campaign attribution"),
        Field::new(
            "status",
            Ty::Choice(ENQUIRY_STATUSES),
            "converted only through /convert",
        ),
        Field::new("lost_reason", Ty::Text(500), "required when status is lost"),
        Field::new(
            "contact_id",
            Ty::Ref(Entity::Contact),
            "the person enquiring",
        ),
        Field::new("event_type", Ty::Text(100), "wedding, birthday, corporate…"),
        Field::new("event_date", Ty::Date, ""),
        Field::new("venue", Ty::Text(300), "venue or location"),
        Field::new(
            "guest_count",
            Ty::Int {
                min: 0,
                max: 100_000,
            },
            "",
        ),
        Field::new(
            "budget_min",
            Ty::Int {
                min: 0,
                max: 100_000_000,
            },
            "whole currency units",
        ),
        Field::new(
            "budget_max",
            Ty::Int {
                min: 0,
                max: 100_000_000,
            },
            "whole currency units",
        ),
        Field::new("message", Ty::LongText(10_000), "what the client wrote"),
        Field::new("owner_id", Ty::Member, "the member handling it"),
        Field::new("project_id", Ty::Ref(Entity::Project), "set when converted").read_only(),
    ],
    custom_fields: true,
    attachable: true,
    visibility: Visibility::Owner("owner_id"),
    write: Permission::WriteAssignedRecords,
    searchable: &["title", "venue", "event_type", "message"],
    order: None,
    rules: &[
        Rule::RequiredWhen {
            field: "lost_reason",
            when: "status",
            values: &["lost"],
        },
        Rule::Reserved {
            field: "status",
            value: "converted",
            with: "project_id",
            via: "POST /enquiries/{id}/convert",
        },
        Rule::AtLeast {
            high: "budget_max",
            low: "budget_min",
        },
    ],
    hooks: Hooks {
        defaults: Some(defaults),
        ..Hooks::NONE
    },
};

/// A new enquiry is new, and came in by hand or through the API.
fn defaults<'a>(
    _: &'a Ctx,
    scope: &'a BrandScope,
    attrs: &'a mut Attrs,
) -> BoxFuture<'a, Result<(), RecordError>> {
    attrs.insert("status".into(), "new".into());
    let source = match scope.actor() {
        Actor::ApiKey(_) => "api",
        _ => "manual",
    };
    attrs.insert("source".into(), source.into());
    futures::future::ready(Ok(())).boxed()
}
