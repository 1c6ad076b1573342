//! Key layouts inside one brand, relative to it. None of these names a brand: a brand handle
//! places them under the brand it was made for.
//!
//! The brand's main partition holds its row, members, invitations, API keys, exports,
//! mailbox watermarks and every record (sort key `<KIND>#<id>`). Audit records live in month
//! partitions (`#AUDIT#<yyyy-mm>`), so none grows without bound, and are indexed by record
//! (GSI1 `#RECORD#<entity>#<id>`) and actor (GSI2 `#ACTOR#<label>`). Contacts are indexed by
//! email (GSI1 `#EMAIL#…`) and phone (GSI2 `#PHONE#…`); notes, tasks and files by the record
//! they are on (GSI1 `#ON#<entity>:<id>`).

use super::{BrandBlob, BrandKey, BrandPart};
use crate::domain::{Email, UserId};
use crate::ports::Query;

/// The brand's main partition.
pub fn main() -> BrandPart {
    BrandPart::main()
}

/// The brand's own row.
pub fn row() -> BrandKey {
    BrandKey::new(main(), "BRAND")
}

/// A user's membership of the brand. Its GSI1 key (`U#<user>#BRANDS`, brand id) lists a
/// user's brands: see [`super::platform::memberships_of`].
pub fn member(user: &UserId) -> BrandKey {
    BrandKey::new(main(), format!("{MEMBER}{user}"))
}

/// Every member of the brand.
pub fn members() -> Query<BrandPart> {
    main().query().prefix(MEMBER)
}

const MEMBER: &str = "MEMBER#";

/// The user a membership row at `key` is of.
pub fn member_user(key: &BrandKey) -> Option<UserId> {
    UserId::parse(key.sk().strip_prefix(MEMBER)?).ok()
}

/// The brand's newest invitation to an address (by the address's hash): a newer invitation
/// replaces older ones, and only the newest can be accepted.
pub fn latest_invitation(email_hash: &str) -> BrandKey {
    BrandKey::new(main(), format!("INVITE#{email_hash}"))
}

/// A mailbox's push-notification watermark: the highest history id Google has announced.
pub fn mailbox_notice(mailbox: &Email) -> BrandKey {
    BrandKey::new(main(), format!("MAILBOX#{mailbox}#NOTICE"))
}

/// One of the brand's API keys (the row the brand lists; the lookup by the key's hash is a
/// platform row).
pub fn api_key(id: &str) -> BrandKey {
    BrandKey::new(main(), format!("{API_KEY}{id}"))
}

pub(super) const API_KEY: &str = "APIKEY#";

pub fn api_keys() -> Query<BrandPart> {
    main().query().prefix(API_KEY)
}

/// The id of the API key row at `key`.
pub fn api_key_id(key: &BrandKey) -> Option<&str> {
    key.sk().strip_prefix(API_KEY)
}

/// A full export job.
pub fn export(id: &str) -> BrandKey {
    BrandKey::new(main(), format!("{EXPORT}{id}"))
}

const EXPORT: &str = "EXPORT#";

pub fn exports() -> Query<BrandPart> {
    main().query().prefix(EXPORT)
}

/// The id of the export job at `key`.
pub fn export_id(key: &BrandKey) -> &str {
    key.sk().trim_start_matches(EXPORT)
}

/// The marker written with the brand's default pipeline, so it is written once.
pub fn pipeline_marker() -> BrandKey {
    BrandKey::new(main(), "PIPELINE")
}

/// A record of a kind whose sort keys start with `prefix` (`CONTACT#`…).
pub fn record(prefix: &str, id: &str) -> BrandKey {
    BrandKey::new(main(), format!("{prefix}{id}"))
}

/// Every record of the kind whose sort keys start with `prefix`.
pub fn records(prefix: &str) -> Query<BrandPart> {
    main().query().prefix(prefix)
}

/// Every row of the brand's main partition.
pub fn everything() -> Query<BrandPart> {
    main().query()
}

/// An audit record: in the partition of its month, sorted by its id (a ULID, so by time).
pub fn audit(at: chrono::DateTime<chrono::Utc>, audit_id: &str) -> BrandKey {
    BrandKey::new(audit_month(at.date_naive()), audit_id)
}

/// The audit partition of the month `day` is in.
pub fn audit_month(day: chrono::NaiveDate) -> BrandPart {
    BrandPart::sub(format!("#AUDIT#{}", day.format("%Y-%m")))
}

/// The audit trail of one record (GSI1, sorted by audit id).
pub fn record_trail(entity: &str, id: &str) -> BrandPart {
    BrandPart::sub(format!("#RECORD#{entity}#{id}"))
}

/// The audit records of one actor (GSI2, sorted by audit id).
pub fn actor_trail(actor: &str) -> BrandPart {
    BrandPart::sub(format!("#ACTOR#{actor}"))
}

/// Contacts by normalised email (GSI1, sorted by the contact's key).
pub fn contacts_by_email(email: &str) -> BrandPart {
    BrandPart::sub(format!("#EMAIL#{email}"))
}

/// Contacts by normalised phone (GSI2, sorted by the contact's key).
pub fn contacts_by_phone(phone: &str) -> BrandPart {
    BrandPart::sub(format!("#PHONE#{phone}"))
}

/// The notes, tasks and files on `record` (`<entity>:<id>`), GSI1, sorted by their keys.
pub fn attached_to(record: &str) -> BrandPart {
    BrandPart::sub(format!("#ON#{record}"))
}

/// A file's bytes.
pub fn file(id: &str) -> BrandBlob {
    BrandBlob::new(format!("files/{id}"))
}
