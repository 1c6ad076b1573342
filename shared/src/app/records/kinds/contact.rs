//! Contacts: the people a studio works with. Found by email and by phone (the indexes a
//! merge, a form submission and the mailbox look them up by).

use super::ADDRESS;
use crate::app::records::spec::{Attrs, Entity, Field, Hooks, Kind, Ty, Visibility};
use crate::domain::Permission;
use crate::keys::{self, BrandPart};
use crate::ports::Index;
use serde_json::Value;

pub const CONTACT_SOURCES: &[&str] = &["email", "web_form", "manual", "api", "import", "referral"];

pub static CONTACT: Kind = Kind {
    entity: Entity::Contact,
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
        Field::new(
            "company_id",
            Ty::Ref(Entity::Company),
            "the contact's company",
        ),
        Field::new(
            "owner_id",
            Ty::Member,
            "the member the contact is assigned to",
        ),
        Field::new("notes", Ty::LongText(10_000), "a short free-text summary"),
        Field::new(
            "merged_ids",
            Ty::Refs(Entity::Contact),
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
    hooks: Hooks {
        indexes: Some(by_email_and_phone),
        ..Hooks::NONE
    },
};

/// Contacts by email (GSI1) and by phone (GSI2).
fn by_email_and_phone(attrs: &Attrs) -> Vec<(Index, BrandPart)> {
    let text = |f: &str| attrs.get(f).and_then(Value::as_str);
    let email = text("email").map(|e| (Index::Gsi1, keys::brand::contacts_by_email(e)));
    let phone = text("phone").map(|p| (Index::Gsi2, keys::brand::contacts_by_phone(p)));
    email.into_iter().chain(phone).collect()
}
