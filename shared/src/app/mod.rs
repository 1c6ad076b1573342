//! Use cases, one module per capability. They take `&Ctx` and typed input and speak only to
//! the ports.

pub mod api_keys;
pub mod auth;
pub mod brand_blobs;
pub mod brand_secrets;
pub mod brand_table;
pub mod brands;
pub mod identity;
pub mod invitations;
pub mod mail_queue;
pub mod mailbox_notices;
pub mod platform;
pub mod public_form;
pub mod records;
pub mod tenancy;
