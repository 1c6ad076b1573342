//! CRM records: contacts, companies, enquiries, projects, tasks, notes, files, pipeline
//! stages and custom field definitions. Each kind is described once ([`kinds`]); one store
//! validates, versions and audits every write ([`store`]); lists, cascades and the
//! kind-specific operations build on it.

pub mod audit;
pub mod audit_log;
pub mod cascade;
pub mod contacts;
pub mod custom;
pub mod enquiries;
pub mod exports;
pub mod files;
pub mod kinds;
pub mod pipeline;
pub mod query;
pub mod spec;
pub mod store;
pub mod timeline;
pub mod transfer;

pub use audit::{AUDIT_RETENTION_DAYS, FieldChange, audit, diff};
pub use spec::{Issue, Kind};
pub use store::RecordError;
