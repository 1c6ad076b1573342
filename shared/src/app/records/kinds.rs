//! The brand's kinds of records, described once (see `spec.rs`).

use super::spec::{Field, Kind, Rule, Ty, Visibility};
use crate::domain::Permission;

const ADDRESS: &[Field] = &[
    Field::new("line1", Ty::Text(200), "street and number"),
    Field::new("line2", Ty::Text(200), ""),
    Field::new("city", Ty::Text(100), ""),
    Field::new("region", Ty::Text(100), "county, state or province"),
    Field::new("postcode", Ty::Text(20), ""),
    Field::new("country", Ty::Text(2), "ISO 3166-1 alpha-2"),
];

const UTM: &[Field] = &[
    Field::new("source", Ty::Text(200), "utm_source"),
    Field::new("medium", Ty::Text(200), "utm_medium"),
    Field::new("campaign", Ty::Text(200), "utm_campaign"),
    Field::new("term", Ty::Text(200), "utm_term"),
    Field::new("content", Ty::Text(200), "utm_content"),
];

pub const CONTACT_SOURCES: &[&str] = &["email", "web_form", "manual", "api", "import", "referral"];

pub static CONTACT: Kind = Kind {
    entity: "contact",
    plural: "contacts",
    schema: "Contact",
    summary: "The people a studio works with",
    prefix: "CONTACT#",
    fields: &[
        Field::new("name", Ty::Text(120), "full name").required(),
        Field::new("email", Ty::Email, "normalised to lowercase"),
        Field::new("phone", Ty::Phone, "kept as + and digits"),
        Field::new("address", Ty::Object(ADDRESS), "postal address"),
        Field::new("tags", Ty::Tags, "lowercase labels"),
        Field::new(
            "source",
            Ty::Choice(CONTACT_SOURCES),
            "where the contact came from",
        ),
        Field::new("company_id", Ty::Ref("company"), "the contact's company"),
        Field::new(
            "owner_id",
            Ty::Member,
            "the member the contact is assigned to",
        ),
        Field::new("notes", Ty::LongText(10_000), "a short free-text summary"),
        Field::new(
            "merged_ids",
            Ty::Refs("contact"),
            "contacts merged into this one",
        )
        .read_only(),
    ],
    custom_fields: true,
    attachable: true,
    visibility: Visibility::Owner("owner_id"),
    write: Permission::WriteAssignedRecords,
    searchable: &["name", "email", "phone"],
    order: None,
    rules: &[],
};

pub static COMPANY: Kind = Kind {
    entity: "company",
    plural: "companies",
    schema: "Company",
    summary: "Organisations contacts belong to (venues, planners, corporate clients)",
    prefix: "COMPANY#",
    fields: &[
        Field::new("name", Ty::Text(200), "").required(),
        Field::new("website", Ty::Url, ""),
        Field::new("email", Ty::Email, ""),
        Field::new("phone", Ty::Phone, ""),
        Field::new("address", Ty::Object(ADDRESS), ""),
        Field::new("tags", Ty::Tags, ""),
        Field::new(
            "owner_id",
            Ty::Member,
            "the member the company is assigned to",
        ),
        Field::new("notes", Ty::LongText(10_000), ""),
    ],
    custom_fields: true,
    attachable: true,
    visibility: Visibility::Owner("owner_id"),
    write: Permission::WriteAssignedRecords,
    searchable: &["name", "email", "phone", "website"],
    order: None,
    rules: &[],
};

pub const ENQUIRY_SOURCES: &[&str] = &["email", "web_form", "manual", "api"];
pub const ENQUIRY_STATUSES: &[&str] = &["new", "qualified", "converted", "lost"];

pub static ENQUIRY: Kind = Kind {
    entity: "enquiry",
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
        Field::new("contact_id", Ty::Ref("contact"), "the person enquiring"),
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
        Field::new("project_id", Ty::Ref("project"), "set when converted").read_only(),
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
};

pub static PROJECT: Kind = Kind {
    entity: "project",
    plural: "projects",
    schema: "Project",
    summary: "Bookings, moving through the brand's pipeline stages",
    prefix: "PROJECT#",
    fields: &[
        Field::new("name", Ty::Text(200), "").required(),
        Field::new(
            "stage_id",
            Ty::Ref("stage"),
            "defaults to the first pipeline stage",
        ),
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
        Field::new("contact_ids", Ty::Refs("contact"), "the clients"),
        Field::new(
            "assignee_ids",
            Ty::Members,
            "the team members working on it",
        ),
        Field::new("enquiry_id", Ty::Ref("enquiry"), "the enquiry it came from").read_only(),
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
};

pub static TASK: Kind = Kind {
    entity: "task",
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
};

pub static NOTE: Kind = Kind {
    entity: "note",
    plural: "notes",
    schema: "Note",
    summary: "Notes on any record",
    prefix: "NOTE#",
    fields: &[
        Field::new("body", Ty::LongText(20_000), "").required(),
        Field::new("record", Ty::Record, "the record it is on, <entity>:<id>")
            .required()
            .on_create(),
    ],
    custom_fields: false,
    attachable: false,
    visibility: Visibility::Author,
    write: Permission::WriteAssignedRecords,
    searchable: &["body"],
    order: None,
    rules: &[],
};

pub static FILE: Kind = Kind {
    entity: "file",
    plural: "files",
    schema: "File",
    summary: "Files attached to records; uploaded as the body of POST /files",
    prefix: "FILE#",
    fields: &[
        Field::new("name", Ty::Text(200), "the file name").required(),
        Field::new("content_type", Ty::Text(255), "").read_only(),
        Field::new(
            "size",
            Ty::Int {
                min: 0,
                max: i64::MAX,
            },
            "bytes",
        )
        .read_only(),
        Field::new("sha256", Ty::Text(64), "hex").read_only(),
        Field::new("record", Ty::Record, "the record it is attached to").read_only(),
    ],
    custom_fields: false,
    attachable: false,
    visibility: Visibility::Author,
    write: Permission::WriteAssignedRecords,
    searchable: &["name"],
    order: None,
    rules: &[],
};

pub const STAGE_KINDS: &[&str] = &["open", "won", "lost"];

pub static STAGE: Kind = Kind {
    entity: "stage",
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
};

pub const CUSTOM_FIELD_ENTITIES: &[&str] = &["contact", "company", "enquiry", "project"];
pub const CUSTOM_FIELD_TYPES: &[&str] = &[
    "text",
    "number",
    "date",
    "select",
    "multi_select",
    "boolean",
    "url",
    "email",
    "phone",
];

pub static CUSTOM_FIELD: Kind = Kind {
    entity: "custom_field",
    plural: "custom-fields",
    schema: "CustomField",
    summary: "The brand's own fields on contacts, companies, enquiries and projects",
    prefix: "CFIELD#",
    fields: &[
        Field::new(
            "label",
            Ty::Text(80),
            "renaming never touches stored values",
        )
        .required(),
        Field::new("entity", Ty::Choice(CUSTOM_FIELD_ENTITIES), "")
            .required()
            .on_create(),
        Field::new("field_type", Ty::Choice(CUSTOM_FIELD_TYPES), "")
            .required()
            .on_create(),
        Field::new(
            "options",
            Ty::Strings,
            "the choices of select and multi_select",
        ),
        Field::new(
            "retired",
            Ty::Bool,
            "retired fields keep their values but take no new ones",
        ),
    ],
    custom_fields: false,
    attachable: false,
    visibility: Visibility::Everyone,
    write: Permission::ConfigureRecords,
    searchable: &["label"],
    order: None,
    rules: &[Rule::RequiredWhen {
        field: "options",
        when: "field_type",
        values: &["select", "multi_select"],
    }],
};

/// Every kind, in the order exports walk them.
pub static ALL: [&Kind; 9] = [
    &CUSTOM_FIELD,
    &STAGE,
    &COMPANY,
    &CONTACT,
    &ENQUIRY,
    &PROJECT,
    &TASK,
    &NOTE,
    &FILE,
];

pub fn by_entity(entity: &str) -> Option<&'static Kind> {
    ALL.iter().copied().find(|k| k.entity == entity)
}
