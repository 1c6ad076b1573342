//! One brand's stores, on credentials that reach that brand only: the second wall under the
//! brand handles (`BrandScope::table`, `blobs`, `cipher`). On AWS, clients signed with
//! credentials from STS `AssumeRole` on `BrandDataRole` with the session tag `brand=<id>`,
//! whose policy IAM holds to that brand's partitions, its `brands/<id>/` files and secrets
//! sealed under its id; locally, the embedded stores behind fences that refuse the same
//! calls. Either answers a reach outside the brand with a `Denied` error.

use super::{Blobs, Cipher, Table};
use crate::domain::BrandId;
use std::sync::Arc;

pub trait BrandStores: Send + Sync {
    fn table(&self, brand: &BrandId) -> Arc<dyn Table>;
    fn blobs(&self, brand: &BrandId) -> Arc<dyn Blobs>;
    fn cipher(&self, brand: &BrandId) -> Arc<dyn Cipher>;
}
