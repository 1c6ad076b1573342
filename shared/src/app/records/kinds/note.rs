//! Notes on any record.

use crate::app::records::spec::{Entity, Field, Hooks, Kind, Ty, Visibility};
use crate::domain::Permission;

pub static NOTE: Kind = Kind {
    entity: Entity::Note,
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
    hooks: Hooks::NONE,
};
