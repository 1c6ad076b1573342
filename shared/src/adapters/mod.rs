//! Implementations of the ports: `aws` for Lambda, `embedded` for one process on a laptop.

pub mod aws;
#[cfg(feature = "embedded")]
pub mod embedded;
pub(crate) mod envelope;
pub mod fence;
pub mod http;
pub mod unbuilt;
