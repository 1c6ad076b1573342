//! Implementations of the ports: `aws` for Lambda, `embedded` for one process on a laptop.

pub mod aws;
pub mod embedded;
pub(crate) mod envelope;
pub mod fence;
pub mod http;
