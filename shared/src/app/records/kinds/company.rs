//! Companies: organisations contacts belong to.

use super::ADDRESS;
use crate::app::records::spec::{Entity, Field, Hooks, Kind, Ty, Visibility};
use crate::domain::Permission;

pub static COMPANY: Kind = Kind {
    entity: Entity::Company,
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
    hooks: Hooks::NONE,
};
