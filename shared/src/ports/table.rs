//! A small typed algebra over a DynamoDB-style table: one generic `PK`/`SK` key, two GSIs,
//! a TTL attribute, conditions as an enum rather than expression strings.
//!
//! Semantics both adapters keep:
//! - an item whose `expires_at` (epoch seconds) is not in the future does not exist: it is
//!   never returned, and conditions treat it as absent;
//! - `update` creates the item if it is absent (unless its condition says otherwise);
//! - a transaction holds at most 100 writes on distinct keys and is all-or-nothing;
//! - an item may not exceed [`MAX_ITEM_BYTES`].

use async_trait::async_trait;
use serde_json::{Map, Value};

/// Attribute names the table reserves.
pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1_PK: &str = "GSI1PK";
pub const GSI1_SK: &str = "GSI1SK";
pub const GSI2_PK: &str = "GSI2PK";
pub const GSI2_SK: &str = "GSI2SK";
/// The TTL attribute: epoch seconds after which the item is gone.
pub const EXPIRES_AT: &str = "expires_at";
/// The optimistic-concurrency attribute every mutable record carries.
pub const VERSION: &str = "version";
/// DynamoDB's item size limit is 400 KB; keep a margin for attribute-name overhead.
pub const MAX_ITEM_BYTES: usize = 390 * 1024;
/// DynamoDB's limit on writes in one transaction.
pub const MAX_TRANSACT_WRITES: usize = 100;

/// A whole table key. Application code never builds one: key layouts live in
/// [`crate::keys`] (a source test holds every other module to that), and brand rows are
/// reached through a brand handle that takes keys relative to its brand.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pk: String,
    sk: String,
}

impl Key {
    /// For [`crate::keys`], the adapters and the conformance tests.
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    pub fn pk(&self) -> &str {
        &self.pk
    }

    pub fn sk(&self) -> &str {
        &self.sk
    }
}

/// One stored item: its key and its other attributes (never `PK`/`SK` themselves). `K` is a
/// whole [`Key`] at the port, a brand-relative key behind a brand handle.
#[derive(Debug, Clone, PartialEq)]
pub struct Item<K = Key> {
    pub key: K,
    pub attrs: Map<String, Value>,
}

impl<K> Item<K> {
    pub fn new(key: K) -> Self {
        Self {
            key,
            attrs: Map::new(),
        }
    }

    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.attrs.insert(name.to_owned(), value.into());
        self
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.attrs.get(name)
    }

    /// A string attribute, or "" when it is absent or not a string.
    pub fn text(&self, name: &str) -> String {
        self.get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    pub fn version(&self) -> Option<u64> {
        self.attrs.get(VERSION).and_then(Value::as_u64)
    }

    pub fn expires_at(&self) -> Option<i64> {
        self.attrs.get(EXPIRES_AT).and_then(Value::as_i64)
    }

    /// Whether the item is expired at `now` (epoch seconds).
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at().is_some_and(|at| at <= now)
    }

    /// Puts the item in `index`'s partition `pk` at sort key `sk` (nothing for the primary
    /// index, which is the item's key).
    pub fn set_index(&mut self, index: Index, pk: &str, sk: &str) {
        if index == Index::Primary {
            return;
        }
        let (p, s) = index.attr_names();
        self.attrs.insert(p.to_owned(), pk.into());
        self.attrs.insert(s.to_owned(), sk.into());
    }

    /// Takes the item out of every secondary index.
    pub fn clear_indexes(&mut self) {
        for a in [GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK] {
            self.attrs.remove(a);
        }
    }

    /// The same attributes under another key.
    pub fn rekey<J>(self, key: J) -> Item<J> {
        Item {
            key,
            attrs: self.attrs,
        }
    }
}

impl Item {
    /// Keys of the secondary indexes this item appears in.
    pub fn index_key(&self, index: Index) -> Option<Key> {
        let (p, s) = match index {
            Index::Primary => return Some(self.key.clone()),
            Index::Gsi1 => (GSI1_PK, GSI1_SK),
            Index::Gsi2 => (GSI2_PK, GSI2_SK),
        };
        match (self.attrs.get(p), self.attrs.get(s)) {
            (Some(Value::String(p)), Some(Value::String(s))) => Some(Key::new(p, s)),
            _ => None,
        }
    }

    /// Serialised size, as both adapters measure it against [`MAX_ITEM_BYTES`].
    pub fn size(&self) -> usize {
        self.key.pk().len()
            + self.key.sk().len()
            + serde_json::to_vec(&self.attrs)
                .map(|v| v.len())
                .unwrap_or(usize::MAX)
    }
}

/// A precondition on the item at a key, checked atomically with the write.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Write unconditionally.
    None,
    /// The item must not exist (or be expired).
    Absent,
    /// The item must exist.
    Present,
    /// The item must exist with this `version`.
    VersionEquals(u64),
    /// The item must exist and the attribute must equal the value.
    AttrEquals(String, Value),
}

impl Condition {
    /// Evaluates the condition against the current (unexpired) item, if any.
    pub fn holds(&self, current: Option<&Item>) -> bool {
        match self {
            Condition::None => true,
            Condition::Absent => current.is_none(),
            Condition::Present => current.is_some(),
            Condition::VersionEquals(v) => current.and_then(Item::version) == Some(*v),
            Condition::AttrEquals(name, value) => current.and_then(|i| i.get(name)) == Some(value),
        }
    }
}

/// Changes to an item's attributes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    pub set: Vec<(String, Value)>,
    /// Numeric increments (an absent attribute counts as zero).
    pub add: Vec<(String, i64)>,
    pub remove: Vec<String>,
}

impl Update {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.set.push((name.to_owned(), value.into()));
        self
    }

    pub fn add(mut self, name: &str, by: i64) -> Self {
        self.add.push((name.to_owned(), by));
        self
    }

    pub fn remove(mut self, name: &str) -> Self {
        self.remove.push(name.to_owned());
        self
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.add.is_empty() && self.remove.is_empty()
    }

    /// Applies the update to an item's attributes in place; the embedded adapter's semantics.
    pub fn apply(&self, attrs: &mut Map<String, Value>) -> Result<(), StoreError> {
        for (name, value) in &self.set {
            attrs.insert(name.clone(), value.clone());
        }
        for (name, by) in &self.add {
            let current = match attrs.get(name) {
                None => 0,
                Some(v) => v.as_i64().ok_or_else(|| {
                    StoreError::Invalid(format!("cannot add to non-integer attribute {name}"))
                })?,
            };
            let sum = current
                .checked_add(*by)
                .ok_or_else(|| StoreError::Invalid(format!("{name} would overflow")))?;
            attrs.insert(name.clone(), Value::from(sum));
        }
        for name in &self.remove {
            attrs.remove(name);
        }
        Ok(())
    }

    /// Checks an update before anything is sent, so both adapters refuse the same updates
    /// and none is refused after it was applied.
    pub(crate) fn validate(&self) -> Result<(), StoreError> {
        if self.is_empty() {
            return Err(StoreError::Invalid(
                "an update must change something".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        let names = self
            .set
            .iter()
            .map(|(n, _)| n)
            .chain(self.add.iter().map(|(n, _)| n));
        for name in names.chain(self.remove.iter()) {
            check_attr_name(name)?;
            if !seen.insert(name) {
                return Err(StoreError::Invalid(format!(
                    "{name} is changed twice in one update"
                )));
            }
        }
        for (name, value) in &self.set {
            check_attr_value(name, value)?;
        }
        for (name, _) in &self.add {
            if is_string_attr(name) {
                return Err(StoreError::Invalid(format!("{name} must be a string")));
            }
        }
        Ok(())
    }
}

/// A write in a transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum Write<K = Key> {
    Put {
        item: Item<K>,
        condition: Condition,
    },
    Update {
        key: K,
        update: Update,
        condition: Condition,
    },
    Delete {
        key: K,
        condition: Condition,
    },
    /// Writes nothing; fails the transaction unless the condition holds.
    Check {
        key: K,
        condition: Condition,
    },
}

impl<K> Write<K> {
    pub fn key(&self) -> &K {
        match self {
            Write::Put { item, .. } => &item.key,
            Write::Update { key, .. } | Write::Delete { key, .. } | Write::Check { key, .. } => key,
        }
    }

    pub fn condition(&self) -> &Condition {
        match self {
            Write::Put { condition, .. }
            | Write::Update { condition, .. }
            | Write::Delete { condition, .. }
            | Write::Check { condition, .. } => condition,
        }
    }
}

/// Which key a query walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Index {
    Primary,
    Gsi1,
    Gsi2,
}

impl Index {
    pub fn name(self) -> Option<&'static str> {
        match self {
            Index::Primary => None,
            Index::Gsi1 => Some("GSI1"),
            Index::Gsi2 => Some("GSI2"),
        }
    }

    pub fn attr_names(self) -> (&'static str, &'static str) {
        match self {
            Index::Primary => (PK, SK),
            Index::Gsi1 => (GSI1_PK, GSI1_SK),
            Index::Gsi2 => (GSI2_PK, GSI2_SK),
        }
    }
}

/// Which sort keys of the partition a query returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKey {
    All,
    Prefix(String),
    /// Inclusive at both ends.
    Between(String, String),
    AtLeast(String),
    AtMost(String),
}

impl SortKey {
    pub fn matches(&self, sk: &str) -> bool {
        match self {
            SortKey::All => true,
            SortKey::Prefix(p) => sk.starts_with(p.as_str()),
            SortKey::Between(a, b) => a.as_str() <= sk && sk <= b.as_str(),
            SortKey::AtLeast(a) => a.as_str() <= sk,
            SortKey::AtMost(b) => sk <= b.as_str(),
        }
    }
}

/// One page of one partition. `P` names the partition: a whole partition key at the port, a
/// brand-relative one behind a brand handle.
#[derive(Debug, Clone, PartialEq)]
pub struct Query<P = String> {
    pub index: Index,
    pub pk: P,
    pub sort: SortKey,
    pub forward: bool,
    /// Items examined per page (1..=1000); a page may hold fewer once expired items are
    /// dropped, so callers follow `next` until it is `None`.
    pub limit: u32,
    /// The opaque cursor from the previous page.
    pub cursor: Option<String>,
}

impl Query {
    /// For [`crate::keys`], the adapters and the conformance tests.
    pub fn partition(pk: impl Into<String>) -> Self {
        Self::of(pk.into())
    }
}

impl<P> Query<P> {
    /// A forward query of the whole partition `pk`, 100 items a page.
    pub fn of(pk: P) -> Self {
        Self {
            index: Index::Primary,
            pk,
            sort: SortKey::All,
            forward: true,
            limit: 100,
            cursor: None,
        }
    }

    /// The same query of another partition.
    pub fn repartition<Q>(self, pk: Q) -> Query<Q> {
        Query {
            index: self.index,
            pk,
            sort: self.sort,
            forward: self.forward,
            limit: self.limit,
            cursor: self.cursor,
        }
    }

    pub fn on(mut self, index: Index) -> Self {
        self.index = index;
        self
    }

    pub fn sort(mut self, sort: SortKey) -> Self {
        self.sort = sort;
        self
    }

    pub fn prefix(self, prefix: impl Into<String>) -> Self {
        self.sort(SortKey::Prefix(prefix.into()))
    }

    pub fn backward(mut self) -> Self {
        self.forward = false;
        self
    }

    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    pub fn after(mut self, cursor: Option<String>) -> Self {
        self.cursor = cursor;
        self
    }
}

impl Query {
    pub(crate) fn validate(&self) -> Result<(), StoreError> {
        if !(1..=1000).contains(&self.limit) {
            return Err(StoreError::Invalid("query limit must be 1..=1000".into()));
        }
        if self.pk.is_empty() {
            return Err(StoreError::Invalid("query partition key is empty".into()));
        }
        match &self.sort {
            SortKey::Prefix(p) if p.is_empty() => Err(StoreError::Invalid(
                "an empty prefix: use SortKey::All".into(),
            )),
            SortKey::Between(a, b) if a > b => {
                Err(StoreError::Invalid("Between(a, b) needs a <= b".into()))
            }
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<K = Key> {
    pub items: Vec<Item<K>>,
    pub next: Option<String>,
}

impl<K> Default for Page<K> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            next: None,
        }
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum StoreError {
    #[error("condition failed")]
    ConditionFailed,
    /// A transaction was cancelled because the write at `index` failed its condition.
    #[error("transaction cancelled: write {index} failed its condition")]
    TransactionConditionFailed { index: usize },
    /// A transaction collided with another one in flight; safe to retry.
    #[error("transaction conflict")]
    TransactionConflict,
    #[error("item too large: {0} bytes")]
    ItemTooLarge(usize),
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("invalid cursor")]
    InvalidCursor,
    #[error("throttled by the store")]
    Throttled,
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The credentials in use may not touch this key: a brand's credentials reach only that
    /// brand's partitions. Always a bug in the caller.
    #[error("access denied: {0}")]
    Denied(String),
}

#[async_trait]
pub trait Table: Send + Sync {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;
    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError>;
    /// Applies `update` and returns the item as it is afterwards.
    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Condition,
    ) -> Result<Item, StoreError>;
    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), StoreError>;
    async fn query(&self, query: Query) -> Result<Page, StoreError>;
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError>;

    /// Every item `query` names, page after page (1,000 at a time), stopping with a warning
    /// once `bound` items are read: the one paging loop, for callers that need all of them.
    async fn query_all(&self, query: Query, bound: usize) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut cursor = None;
        loop {
            let page = self.query(query.clone().limit(1000).after(cursor)).await?;
            items.extend(page.items);
            cursor = page.next;
            if cursor.is_none() {
                return Ok(items);
            }
            if items.len() >= bound {
                tracing::warn!(bound, "query stopped at its bound");
                return Ok(items);
            }
        }
    }
}

/// Checks shared by both adapters before anything is sent.
pub(crate) fn check_key(key: &Key) -> Result<(), StoreError> {
    if key.pk().is_empty() || key.sk().is_empty() {
        return Err(StoreError::Invalid("PK and SK must be non-empty".into()));
    }
    if key.pk().len() > 2048 || key.sk().len() > 1024 {
        return Err(StoreError::Invalid("key too long".into()));
    }
    Ok(())
}

fn check_attr_name(name: &str) -> Result<(), StoreError> {
    if name == PK || name == SK || name.is_empty() || name.len() > 255 {
        return Err(StoreError::Invalid(format!(
            "attribute name {name:?} is not writable"
        )));
    }
    Ok(())
}

/// Index key attributes, which must be non-empty strings (DynamoDB refuses anything else).
fn is_string_attr(name: &str) -> bool {
    [GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK].contains(&name)
}

fn check_attr_value(name: &str, value: &Value) -> Result<(), StoreError> {
    if is_string_attr(name) && value.as_str().is_none_or(str::is_empty) {
        return Err(StoreError::Invalid(format!(
            "{name} must be a non-empty string"
        )));
    }
    if name == EXPIRES_AT && !(value.is_i64() || value.is_u64()) {
        return Err(StoreError::Invalid(format!(
            "{EXPIRES_AT} must be an integer"
        )));
    }
    Ok(())
}

pub(crate) fn check_item(item: &Item) -> Result<(), StoreError> {
    check_key(&item.key)?;
    for (name, value) in &item.attrs {
        check_attr_name(name)?;
        check_attr_value(name, value)?;
    }
    let size = item.size();
    if size > MAX_ITEM_BYTES {
        return Err(StoreError::ItemTooLarge(size));
    }
    Ok(())
}

pub(crate) fn check_transaction(writes: &[Write]) -> Result<(), StoreError> {
    if writes.is_empty() || writes.len() > MAX_TRANSACT_WRITES {
        return Err(StoreError::Invalid(format!(
            "a transaction holds 1..={MAX_TRANSACT_WRITES} writes"
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for write in writes {
        if !seen.insert(write.key()) {
            return Err(StoreError::Invalid(
                "a transaction touches each key once".into(),
            ));
        }
        match write {
            Write::Put { item, .. } => check_item(item)?,
            Write::Update { key, update, .. } => {
                check_key(key)?;
                update.validate()?;
            }
            Write::Delete { key, .. } | Write::Check { key, .. } => check_key(key)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_refuse_to_overflow() {
        let mut attrs = Map::new();
        Update::new().add("n", i64::MAX).apply(&mut attrs).unwrap();
        assert!(matches!(
            Update::new().add("n", 1).apply(&mut attrs),
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(attrs.get("n"), Some(&Value::from(i64::MAX)));
    }

    #[test]
    fn sort_ranges_match_inclusively() {
        assert!(SortKey::Between("a".into(), "c".into()).matches("c"));
        assert!(!SortKey::Between("a".into(), "c".into()).matches("c#"));
        assert!(SortKey::Prefix("MSG#".into()).matches("MSG#1"));
        assert!(!SortKey::AtMost("b".into()).matches("ba"));
    }
}
