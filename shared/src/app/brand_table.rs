//! A brand handle on the table: the only way brand code reads and writes its rows. It is made
//! from a `BrandScope` (see `BrandScope::table`), takes keys relative to its brand
//! ([`BrandKey`], [`BrandPart`]) and hands rows back relative to it, so code behind it can
//! neither name another brand's rows nor learn where its own live. Under it sits a table
//! whose credentials reach this brand's partitions only (IAM on AWS, a fence locally): the
//! second wall, for the day the first has a hole.

use crate::Ctx;
use crate::domain::BrandId;
use crate::keys::{BrandKey, BrandPart};
use crate::ports::table::{GSI1_PK, GSI2_PK};
use crate::ports::{Condition, Item, Page, Query, StoreError, Table, Update, Write};
use serde_json::Value;
use std::sync::Arc;

const INDEX_PKS: [&str; 2] = [GSI1_PK, GSI2_PK];

#[derive(Clone)]
pub struct BrandTable {
    brand: BrandId,
    table: Arc<dyn Table>,
}

impl BrandTable {
    /// For `tenancy` alone, which makes one from a scope.
    pub(crate) fn new(brand: BrandId, table: Arc<dyn Table>) -> Self {
        Self { brand, table }
    }

    pub fn brand(&self) -> &BrandId {
        &self.brand
    }

    pub async fn get(&self, key: &BrandKey) -> Result<Option<Item<BrandKey>>, StoreError> {
        let found = self.table.get(&key.in_brand(&self.brand)).await?;
        found.map(|i| relative(&self.brand, i)).transpose()
    }

    pub async fn put(&self, item: Item<BrandKey>, condition: Condition) -> Result<(), StoreError> {
        self.table.put(whole(&self.brand, item)?, condition).await
    }

    /// Applies `update` and returns the row as it is afterwards.
    pub async fn update(
        &self,
        key: &BrandKey,
        update: Update,
        condition: Condition,
    ) -> Result<Item<BrandKey>, StoreError> {
        let update = whole_update(&self.brand, update)?;
        let item = self
            .table
            .update(&key.in_brand(&self.brand), update, condition)
            .await?;
        relative(&self.brand, item)
    }

    pub async fn delete(&self, key: &BrandKey, condition: Condition) -> Result<(), StoreError> {
        self.table
            .delete(&key.in_brand(&self.brand), condition)
            .await
    }

    pub async fn query(&self, query: Query<BrandPart>) -> Result<Page<BrandKey>, StoreError> {
        let part = query.pk.clone();
        let page = self
            .table
            .query(query.repartition(part.in_brand(&self.brand)))
            .await?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|i| relative(&self.brand, i))
                .collect::<Result<_, _>>()?,
            next: page.next,
        })
    }

    /// Every row `query` names, up to `bound` (see [`Table::query_all`]).
    pub async fn query_all(
        &self,
        query: Query<BrandPart>,
        bound: usize,
    ) -> Result<Vec<Item<BrandKey>>, StoreError> {
        let part = query.pk.clone();
        self.table
            .query_all(query.repartition(part.in_brand(&self.brand)), bound)
            .await?
            .into_iter()
            .map(|i| relative(&self.brand, i))
            .collect()
    }

    pub async fn transact(&self, writes: Vec<Write<BrandKey>>) -> Result<(), StoreError> {
        let writes = writes
            .into_iter()
            .map(|w| whole_write(&self.brand, w))
            .collect::<Result<_, _>>()?;
        self.table.transact(writes).await
    }
}

/// A brand write made whole, for the few transactions that must span a brand's rows and
/// platform rows (creating an API key writes its lookup row; creating a brand claims its
/// slug) and so run on the function's own credentials. Each caller says why.
pub(crate) fn whole_write(brand: &BrandId, write: Write<BrandKey>) -> Result<Write, StoreError> {
    Ok(match write {
        Write::Put { item, condition } => Write::Put {
            item: whole(brand, item)?,
            condition,
        },
        Write::Update {
            key,
            update,
            condition,
        } => Write::Update {
            key: key.in_brand(brand),
            update: whole_update(brand, update)?,
            condition,
        },
        Write::Delete { key, condition } => Write::Delete {
            key: key.in_brand(brand),
            condition,
        },
        Write::Check { key, condition } => Write::Check {
            key: key.in_brand(brand),
            condition,
        },
    })
}

/// A brand row made whole: its key, and the relative index partitions it names.
fn whole(brand: &BrandId, mut item: Item<BrandKey>) -> Result<Item, StoreError> {
    for name in INDEX_PKS {
        if let Some(v) = item.attrs.get_mut(name) {
            *v = whole_index(brand, name, v)?;
        }
    }
    let key = item.key.in_brand(brand);
    Ok(item.rekey(key))
}

fn whole_update(brand: &BrandId, mut update: Update) -> Result<Update, StoreError> {
    for (name, v) in update.set.iter_mut() {
        if INDEX_PKS.contains(&name.as_str()) {
            *v = whole_index(brand, name, v)?;
        }
    }
    Ok(update)
}

/// A brand row indexes only into its own brand's partitions.
fn whole_index(brand: &BrandId, name: &str, v: &Value) -> Result<Value, StoreError> {
    v.as_str()
        .and_then(BrandPart::from_relative)
        .map(|p| Value::from(p.in_brand(brand)))
        .ok_or_else(|| {
            StoreError::Invalid(format!(
                "{name} of a brand row must be one of the brand's partitions"
            ))
        })
}

/// A row of the brand made relative to it; index partitions of the brand too (a
/// membership's GSI1 names the user's list, not the brand's, and stays as it is).
fn relative(brand: &BrandId, mut item: Item) -> Result<Item<BrandKey>, StoreError> {
    let key = BrandKey::of(&item.key, brand)
        .ok_or_else(|| StoreError::Denied(format!("a row outside brand {brand}")))?;
    for name in INDEX_PKS {
        if let Some(Value::String(s)) = item.attrs.get_mut(name)
            && let Some(part) = BrandPart::of(s, brand)
        {
            *s = part.as_str().to_owned();
        }
    }
    Ok(item.rekey(key))
}

/// A row of a brand, keyed relative to it.
pub type BrandItem = Item<BrandKey>;
/// A write to a brand's rows, keyed relative to it.
pub type BrandWrite = Write<BrandKey>;

/// The rows of a brand for work the service does for it outside a member's request: queued
/// jobs (exports, mailbox sync; only our own functions can send to those queues, and each
/// job carries the brand it was queued for, and jobs that act for a member check that
/// member's scope again), and sign-in's bookkeeping (an API key's last use). Still one
/// brand's rows only, on that brand's credentials.
pub(crate) fn service_table(ctx: &Ctx, brand: &BrandId) -> BrandTable {
    BrandTable::new(*brand, ctx.brand_stores.table(brand))
}
