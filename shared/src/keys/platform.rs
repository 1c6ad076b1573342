//! Whole keys of the rows that are no single brand's: accounts, sessions, sign-in defences,
//! one-time tokens, slugs, the brand list, the anonymise queue, and the few brand rows that
//! sign-in, membership changes, API keys and the operator read or write across brands. Those
//! take any brand id, so they are `pub(crate)`: outside the crate, brand rows are reached
//! through brand handles only.

use super::brand;
use crate::domain::{BrandId, Email, Slug, UserId};
use crate::ports::table::{GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK};
use crate::ports::{Index, Item, Key, Query, SortKey, Update};

/// The GSI2 partition listing every brand (sorted by brand id).
pub fn all_brands() -> Query {
    Query::partition(ALL_BRANDS).on(Index::Gsi2)
}
const ALL_BRANDS: &str = "PLATFORM#BRANDS";

/// The GSI2 partition of deleted accounts awaiting anonymisation, by due time.
pub fn anonymise_queue() -> Query {
    Query::partition(ANONYMISE_QUEUE).on(Index::Gsi2)
}
const ANONYMISE_QUEUE: &str = "PLATFORM#ANONYMISE";

/// Puts a deleted account's profile in the anonymise queue (GSI2), sorted by due time
/// (zero-padded, so strings sort as numbers).
pub fn join_anonymise_queue(update: Update, due: i64, user: &UserId) -> Update {
    update
        .set(GSI2_PK, ANONYMISE_QUEUE)
        .set(GSI2_SK, format!("{due:012}#{user}"))
}

/// The part of the anonymise queue due by `now`.
pub fn anonymise_due_by(now: i64) -> SortKey {
    SortKey::AtMost(format!("{now:012}~"))
}

/// Takes an anonymised profile out of the queue.
pub fn leave_anonymise_queue(update: Update) -> Update {
    update.remove(GSI2_PK).remove(GSI2_SK)
}

/// The account a profile row (from the anonymise queue) belongs to.
pub fn user_of_profile(key: &Key) -> Option<UserId> {
    UserId::parse(key.pk().strip_prefix("U#")?).ok()
}

/// A brand's row, read across brands (a membership check before any scope exists, a user's
/// brand list, the operator).
pub(crate) fn brand(brand: &BrandId) -> Key {
    brand::row().in_brand(brand)
}

/// A membership row, read or written across brands (sign-in's scope check, creating a brand,
/// accepting an invitation, leaving every brand when an account is deleted).
pub(crate) fn member(brand: &BrandId, user: &UserId) -> Key {
    brand::member(user).in_brand(brand)
}

/// The brand's newest invitation to an address, when accepting it.
pub(crate) fn latest_invitation(brand: &BrandId, email_hash: &str) -> Key {
    brand::latest_invitation(email_hash).in_brand(brand)
}

/// Lists a membership row among its user's brands (GSI1).
pub fn list_membership(item: Item, brand: &BrandId, user: &UserId) -> Item {
    item.with(GSI1_PK, memberships_pk(user))
        .with(GSI1_SK, brand.to_string())
}

/// Lists a brand's row among every brand (GSI2), for the platform operator's list (small,
/// rare).
pub fn list_brand(item: Item, brand: &BrandId) -> Item {
    item.with(GSI2_PK, ALL_BRANDS)
        .with(GSI2_SK, brand.to_string())
}

/// The brand a row of [`all_brands`] is.
pub fn listed_brand(item: &Item) -> Option<BrandId> {
    BrandId::parse(item.get(GSI2_SK)?.as_str()?).ok()
}

/// The GSI1 partition of a user's memberships (sort key: brand id).
pub fn memberships_of(user: &UserId) -> Query {
    Query::partition(memberships_pk(user)).on(Index::Gsi1)
}

fn memberships_pk(user: &UserId) -> String {
    format!("U#{user}#BRANDS")
}

/// A row that never exists: what a cold start reads to open its connection to the table
/// before the first request. Any answer will do, a refusal by IAM included.
pub fn warm_up() -> Key {
    Key::new("WARMUP", "WARMUP")
}

/// A brand's slug claim, which keeps slugs unique.
pub fn slug(slug: &Slug) -> Key {
    Key::new(format!("SLUG#{}", slug.as_str()), "BRAND")
}

/// An account's profile.
pub fn profile(user: &UserId) -> Key {
    Key::new(user_pk(user), "PROFILE")
}

fn user_pk(user: &UserId) -> String {
    format!("U#{user}")
}

/// The claim on an email address, which keeps addresses unique and finds the account.
pub fn email(email: &Email) -> Key {
    Key::new(format!("EMAIL#{email}"), "USER")
}

/// The link from a Sign in with Apple subject to its account.
pub fn apple(subject: &str) -> Key {
    Key::new(format!("APPLE#{subject}"), "USER")
}

/// A device session of an account.
pub fn session(user: &UserId, session: &str) -> Key {
    Key::new(user_pk(user), format!("{SESSION}{session}"))
}

/// Every device session of an account.
pub fn sessions(user: &UserId) -> Query {
    Query::partition(user_pk(user)).prefix(SESSION)
}

const SESSION: &str = "SESSION#";

/// The id of the session at `key`.
pub fn session_id(key: &Key) -> &str {
    key.sk().trim_start_matches(SESSION)
}

/// A refresh token, by its hash.
pub fn refresh_token(hash: &str) -> Key {
    Key::new(format!("RT#{hash}"), "RT")
}

/// An account's lock.
pub fn lock(user: &UserId) -> Key {
    Key::new(lock_pk(user), "LOCK")
}

/// An account's failed-login counter for the window starting at `window`.
pub fn lock_counter(user: &UserId, window: i64) -> Key {
    Key::new(lock_pk(user), format!("W#{window}"))
}

fn lock_pk(user: &UserId) -> String {
    format!("LOCK#{user}")
}

/// A fixed-window rate-limit counter: `scope` (what is limited) for a subject's hash.
pub fn rate_limit(scope: &str, subject_hash: &str, window: i64) -> Key {
    Key::new(format!("RL#{scope}#{subject_hash}"), format!("W#{window}"))
}

/// A one-time token (by its hash) for a purpose.
pub fn one_time(hash: &str, purpose: &str) -> Key {
    Key::new(format!("OTT#{hash}"), purpose)
}

/// The marker that a one-time token chosen up front was issued.
pub fn one_time_issued(hash: &str, purpose: &str) -> Key {
    Key::new(format!("OTT#{hash}"), format!("{purpose}#ISSUED"))
}

/// A brand's API key row, read and written on the function's own credentials: a key's
/// creation and revocation write its lookup row (a platform row) in the same transaction,
/// and resolving a presented key reads it before any scope exists.
pub(crate) fn api_key(brand: &BrandId, id: &str) -> Key {
    brand::api_key(id).in_brand(brand)
}

/// Every API key row of a brand (see [`api_key`]).
pub(crate) fn api_keys(brand: &BrandId) -> Query {
    let q = brand::api_keys();
    let part = q.pk.in_brand(brand);
    q.repartition(part)
}

/// The id of the API key row at `key`.
pub fn api_key_id(key: &Key) -> Option<&str> {
    key.sk().strip_prefix(brand::API_KEY)
}

/// The brand a membership row (from [`memberships_of`]) is of.
pub fn membership_brand(item: &Item) -> Option<BrandId> {
    BrandId::parse(item.get(crate::ports::table::GSI1_SK)?.as_str()?).ok()
}

/// An API key's lookup row, by the key's hash: how a presented key finds its brand.
pub fn api_key_lookup(hash: &str) -> Key {
    Key::new(format!("APIKEY#{hash}"), "KEY")
}

/// An auth audit record: per actor and month, so no partition grows without bound.
pub fn auth_audit(actor: &str, at: chrono::DateTime<chrono::Utc>, id: &str) -> Key {
    Key::new(format!("AUDIT#U#{actor}#{}", at.format("%Y-%m")), id)
}

/// A finished export's file. Exports stay outside `brands/<brand>/` because the bucket's
/// lifecycle rule (kept a week) matches them by the `exports/` prefix, and brand-export
/// writes them on its own credentials (`exports/*` only).
pub fn export_file(
    brand: &BrandId,
    id: &str,
) -> Result<crate::ports::BlobKey, crate::ports::BlobsError> {
    crate::ports::BlobKey::parse(&format!("exports/{brand}/{id}.json"))
}
