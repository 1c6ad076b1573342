//! Custom field definitions: the brand's own fields on contacts, companies, enquiries and
//! projects (values live on the records, see `records::custom`).

use crate::Ctx;
use crate::app::records::error::RecordError;
use crate::app::records::spec::{Attrs, Entity, Field, Hooks, Kind, Rule, Ty, Visibility};
use crate::app::tenancy::BrandScope;
use crate::domain::Permission;
use futures::FutureExt;
use futures::future::BoxFuture;

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
    entity: Entity::CustomField,
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
    hooks: Hooks {
        defaults: Some(defaults),
        ..Hooks::NONE
    },
};

/// A new definition is in use.
fn defaults<'a>(
    _: &'a Ctx,
    _: &'a BrandScope,
    attrs: &'a mut Attrs,
) -> BoxFuture<'a, Result<(), RecordError>> {
    attrs.insert("retired".into(), false.into());
    futures::future::ready(Ok(())).boxed()
}
