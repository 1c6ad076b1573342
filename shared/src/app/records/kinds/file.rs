//! Files attached to records; their bytes are in the brand's files (see `records::files`).

use crate::Ctx;
use crate::app::records::error::RecordError;
use crate::app::records::spec::{Entity, Field, Hooks, Kind, Ty, Visibility};
use crate::app::tenancy::BrandScope;
use crate::domain::Permission;
use crate::keys;
use futures::FutureExt;
use futures::future::BoxFuture;

pub static FILE: Kind = Kind {
    entity: Entity::File,
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
    hooks: Hooks {
        on_deleted: Some(delete_bytes),
        ..Hooks::NONE
    },
};

/// A deleted file's bytes go with its row.
fn delete_bytes<'a>(
    ctx: &'a Ctx,
    scope: &'a BrandScope,
    id: &'a str,
) -> BoxFuture<'a, Result<(), RecordError>> {
    async move { Ok(scope.blobs(ctx).delete(&keys::brand::file(id)).await?) }.boxed()
}
