//! `atelier-core`: everything Atelier's Lambda functions and the local stack share.
//!
//! Layers, outermost first: `http` and `workers` parse requests and messages and call `app`;
//! `app` holds the use cases and speaks only to `ports`; `adapters` implement the ports for
//! AWS and for the embedded stand-ins; `domain` holds plain validated types with no I/O.

pub mod adapters;
pub mod app;
pub mod config;
pub mod ctx;
pub mod domain;
pub mod http;
pub mod keys;
#[cfg(test)]
mod layers;
pub mod ports;
pub mod telemetry;
pub mod workers;

pub use ctx::Ctx;

/// The crate version, reported by `/health` and in the OpenAPI document.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
