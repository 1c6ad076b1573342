//! CRM records: contacts, companies, enquiries, projects, tasks, notes, files, pipeline
//! stages and custom field definitions. Each kind is described once ([`kinds`]); one write
//! path validates, versions and audits every write ([`write`]); lists, cascades and the
//! kind-specific operations build on it.

//!
//! Layers, lowest first; each imports only from those below it:
//! - [`error`], [`spec`]: what can fail, and how a kind is described (with its hooks);
//! - [`rows`]: keys, views, visibility and the brand's records of a kind;
//! - [`kinds`] (each kind's fields and hooks), [`custom`] fields, [`audit`];
//! - [`write`]: validate and write, version-checked and audited;
//! - [`cascade`]: delete, and what it takes with it;
//! - the operations: [`query`], [`contacts`], [`enquiries`], [`files`], [`timeline`],
//!   [`transfer`], [`exports`], [`audit_log`].

pub mod audit;
pub mod audit_log;
pub mod cascade;
pub mod contacts;
pub mod custom;
pub mod enquiries;
pub mod error;
pub mod exports;
pub mod files;
pub mod kinds;
pub mod query;
pub mod rows;
pub mod spec;
pub mod timeline;
#[cfg(feature = "crm")]
pub mod transfer;
pub mod write;

pub use audit::{AUDIT_RETENTION_DAYS, FieldChange, audit, diff};
pub use error::RecordError;
pub use spec::{Entity, Issue, Kind};
