//! The brand rule as a table adapter: every key and every queried partition must be one of
//! the brand's (`B#<brand>` or `B#<brand>#…`), as IAM's `dynamodb:LeadingKeys` holds a
//! brand's AWS credentials to. Locally it is the second wall; on AWS it stands in front of
//! IAM's, so both backends refuse the same calls with the same error.

use crate::domain::BrandId;
use crate::keys;
use crate::ports::{
    BrandTables, Condition, Item, Key, Page, Query, StoreError, Table, Update, Write,
};
use async_trait::async_trait;
use std::sync::Arc;

pub struct FencedTable {
    brand: BrandId,
    inner: Arc<dyn Table>,
}

impl FencedTable {
    pub fn new(brand: BrandId, inner: Arc<dyn Table>) -> Self {
        Self { brand, inner }
    }

    fn admit(&self, pk: &str) -> Result<(), StoreError> {
        if keys::within(pk, &self.brand) {
            Ok(())
        } else {
            Err(StoreError::Denied(format!(
                "brand {}'s credentials may not reach {pk:?}",
                self.brand
            )))
        }
    }
}

#[async_trait]
impl Table for FencedTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.admit(key.pk())?;
        self.inner.get(key).await
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.admit(item.key.pk())?;
        self.inner.put(item, condition).await
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Condition,
    ) -> Result<Item, StoreError> {
        self.admit(key.pk())?;
        self.inner.update(key, update, condition).await
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), StoreError> {
        self.admit(key.pk())?;
        self.inner.delete(key, condition).await
    }

    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        // On an index, IAM holds the index's partition key to the same rule.
        self.admit(&query.pk)?;
        self.inner.query(query).await
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        for w in &writes {
            self.admit(w.key().pk())?;
        }
        self.inner.transact(writes).await
    }
}

/// The embedded backend's brand tables: its one table, fenced per brand.
pub struct FencedTables {
    table: Arc<dyn Table>,
}

impl FencedTables {
    pub fn new(table: Arc<dyn Table>) -> Self {
        Self { table }
    }
}

impl BrandTables for FencedTables {
    fn table(&self, brand: &BrandId) -> Arc<dyn Table> {
        Arc::new(FencedTable::new(*brand, self.table.clone()))
    }
}
