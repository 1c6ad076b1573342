//! The brand's kinds of records, each described once in its own module (see `spec.rs`): its
//! fields, who sees it, and the hooks for what it does beyond its fields.

pub mod company;
pub mod contact;
pub mod custom_field;
pub mod enquiry;
pub mod file;
pub mod note;
pub mod project;
pub mod stage;
pub mod task;

pub use company::COMPANY;
pub use contact::{CONTACT, CONTACT_SOURCES};
pub use custom_field::{CUSTOM_FIELD, CUSTOM_FIELD_ENTITIES, CUSTOM_FIELD_TYPES};
pub use enquiry::{ENQUIRY, ENQUIRY_SOURCES, ENQUIRY_STATUSES};
pub use file::FILE;
pub use note::NOTE;
pub use project::PROJECT;
pub use stage::{STAGE, STAGE_KINDS};
pub use task::TASK;

use super::spec::{Entity, Field, Kind, Ty};

/// A postal address, as contacts and companies hold it.
pub(crate) const ADDRESS: &[Field] = &[
    Field::new("line1", Ty::Text(200), "street and number"),
    Field::new("line2", Ty::Text(200), ""),
    Field::new("city", Ty::Text(100), ""),
    Field::new("region", Ty::Text(100), "county, state or province"),
    Field::new("postcode", Ty::Text(20), ""),
    Field::new("country", Ty::Text(2), "ISO 3166-1 alpha-2"),
];

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

/// The kind of an entity.
pub fn of(entity: Entity) -> &'static Kind {
    match entity {
        Entity::Contact => &CONTACT,
        Entity::Company => &COMPANY,
        Entity::Enquiry => &ENQUIRY,
        Entity::Project => &PROJECT,
        Entity::Task => &TASK,
        Entity::Note => &NOTE,
        Entity::File => &FILE,
        Entity::Stage => &STAGE,
        Entity::CustomField => &CUSTOM_FIELD,
    }
}

/// The kind an entity name (as stored or written in `<entity>:<id>`) names.
pub fn by_name(entity: &str) -> Option<&'static Kind> {
    Entity::parse(entity).map(of)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entity_has_its_kind_and_all_lists_each_once() {
        for e in Entity::ALL {
            assert_eq!(of(e).entity, e);
            assert_eq!(ALL.iter().filter(|k| k.entity == e).count(), 1, "{e}");
        }
    }
}
