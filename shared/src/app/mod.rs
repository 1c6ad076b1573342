//! Use cases, one module per capability. They take `&Ctx` and typed input and speak only to
//! the ports.

pub mod auth;
pub mod mailbox_notices;
