//! The `Table` port on redb: one file, serialisable write transactions, GSIs and a TTL index
//! maintained in the same transaction as the item they point at.

use super::blocking;
use crate::ports::table::{check_item, check_key, check_transaction};
use crate::ports::{
    Clock, Condition, Index, Item, Key, Page, Query, SortKey, StoreError, Table, Update, Write,
};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use serde_json::{Map, Value};
use std::ops::Bound;
use std::sync::Arc;

const ITEMS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("table_items");
const GSI1: TableDefinition<(&str, &str, &str, &str), ()> = TableDefinition::new("table_gsi1");
const GSI2: TableDefinition<(&str, &str, &str, &str), ()> = TableDefinition::new("table_gsi2");
const TTL: TableDefinition<(i64, &str, &str), ()> = TableDefinition::new("table_ttl");

type GsiDef =
    TableDefinition<'static, (&'static str, &'static str, &'static str, &'static str), ()>;

pub struct RedbTable {
    db: Arc<Database>,
    clock: Arc<dyn Clock>,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl RedbTable {
    pub fn new(db: Arc<Database>, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        // Create every table up front so read transactions never meet a missing one.
        let txn = db.begin_write().map_err(unavailable)?;
        txn.open_table(ITEMS).map_err(unavailable)?;
        txn.open_table(GSI1).map_err(unavailable)?;
        txn.open_table(GSI2).map_err(unavailable)?;
        txn.open_table(TTL).map_err(unavailable)?;
        txn.commit().map_err(unavailable)?;
        Ok(Self { db, clock })
    }

    fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }

    /// Deletes every item whose TTL has passed; DynamoDB's TTL sweeper, run on a schedule by
    /// the local stack. Returns how many items went.
    pub async fn sweep_expired(&self) -> Result<usize, StoreError> {
        let db = self.db.clone();
        let now = self.now();
        blocking(
            move || {
                let txn = db.begin_write().map_err(unavailable)?;
                let due: Vec<Key> = {
                    let ttl = txn.open_table(TTL).map_err(unavailable)?;
                    let range = ttl
                        .range((i64::MIN, "", "")..(now + 1, "", ""))
                        .map_err(unavailable)?;
                    range
                        .map(|entry| {
                            let (k, _) = entry.map_err(unavailable)?;
                            let (_, pk, sk) = k.value();
                            Ok(Key::new(pk, sk))
                        })
                        .collect::<Result<_, StoreError>>()?
                };
                let mut swept = 0;
                for key in &due {
                    if let Some(old) = load(&txn, key)?
                        && old.is_expired(now)
                    {
                        store(&txn, Some(&old), None)?;
                        swept += 1;
                    }
                }
                txn.commit().map_err(unavailable)?;
                Ok(swept)
            },
            StoreError::Unavailable,
        )
        .await
    }

    /// Every stored item of partition `pk` and of the partitions under it (`<pk>#…`), in key
    /// order, as raw bytes: for checks that nothing of a brand changed, audit months included
    /// (the `Table` port queries one partition at a time).
    pub async fn dump_partitions(
        &self,
        pk: &str,
    ) -> Result<Vec<(String, String, Vec<u8>)>, StoreError> {
        let db = self.db.clone();
        let pk = pk.to_owned();
        blocking(
            move || {
                let txn = db.begin_read().map_err(unavailable)?;
                let items = txn.open_table(ITEMS).map_err(unavailable)?;
                let under = format!("{pk}#");
                // '$' sorts right after '#': the range covers `pk` and every `pk#…`.
                let end = format!("{pk}$");
                let range = items
                    .range((pk.as_str(), "")..(end.as_str(), ""))
                    .map_err(unavailable)?;
                let mut out = Vec::new();
                for entry in range {
                    let (k, v) = entry.map_err(unavailable)?;
                    let (p, sk) = k.value();
                    if p == pk || p.starts_with(&under) {
                        out.push((p.to_owned(), sk.to_owned(), v.value().to_vec()));
                    }
                }
                Ok(out)
            },
            StoreError::Unavailable,
        )
        .await
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&WriteTransaction, i64) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = self.db.clone();
        let now = self.now();
        blocking(
            move || {
                let txn = db.begin_write().map_err(unavailable)?;
                match f(&txn, now) {
                    Ok(out) => {
                        txn.commit().map_err(unavailable)?;
                        Ok(out)
                    }
                    Err(e) => {
                        txn.abort().map_err(unavailable)?;
                        Err(e)
                    }
                }
            },
            StoreError::Unavailable,
        )
        .await
    }
}

fn decode(key: Key, bytes: &[u8]) -> Result<Item, StoreError> {
    let attrs: Map<String, Value> = serde_json::from_slice(bytes).map_err(unavailable)?;
    Ok(Item { key, attrs })
}

/// The stored item at `key`, expired or not.
fn load(txn: &WriteTransaction, key: &Key) -> Result<Option<Item>, StoreError> {
    let items = txn.open_table(ITEMS).map_err(unavailable)?;
    let found = items.get((key.pk(), key.sk())).map_err(unavailable)?;
    found.map(|v| decode(key.clone(), v.value())).transpose()
}

/// Replaces `old` by `new` (either may be absent), keeping GSIs and the TTL index in step.
fn store(txn: &WriteTransaction, old: Option<&Item>, new: Option<&Item>) -> Result<(), StoreError> {
    let mut items = txn.open_table(ITEMS).map_err(unavailable)?;
    let mut ttl = txn.open_table(TTL).map_err(unavailable)?;
    let gsis: [(Index, GsiDef); 2] = [(Index::Gsi1, GSI1), (Index::Gsi2, GSI2)];
    if let Some(old) = old {
        let (pk, sk) = (old.key.pk(), old.key.sk());
        items.remove((pk, sk)).map_err(unavailable)?;
        if let Some(at) = old.expires_at() {
            ttl.remove((at, pk, sk)).map_err(unavailable)?;
        }
        for (index, def) in &gsis {
            if let Some(g) = old.index_key(*index) {
                let mut t = txn.open_table(*def).map_err(unavailable)?;
                t.remove((g.pk(), g.sk(), pk, sk)).map_err(unavailable)?;
            }
        }
    }
    if let Some(new) = new {
        let (pk, sk) = (new.key.pk(), new.key.sk());
        let bytes = serde_json::to_vec(&new.attrs).map_err(unavailable)?;
        items
            .insert((pk, sk), bytes.as_slice())
            .map_err(unavailable)?;
        if let Some(at) = new.expires_at() {
            ttl.insert((at, pk, sk), ()).map_err(unavailable)?;
        }
        for (index, def) in &gsis {
            if let Some(g) = new.index_key(*index) {
                let mut t = txn.open_table(*def).map_err(unavailable)?;
                t.insert((g.pk(), g.sk(), pk, sk), ())
                    .map_err(unavailable)?;
            }
        }
    }
    Ok(())
}

/// The live item at `key` and the raw stored one (which may be expired).
fn current(
    txn: &WriteTransaction,
    key: &Key,
    now: i64,
) -> Result<(Option<Item>, Option<Item>), StoreError> {
    let raw = load(txn, key)?;
    let live = raw.clone().filter(|i| !i.is_expired(now));
    Ok((live, raw))
}

/// Applies one write whose condition has already been checked.
fn apply(
    txn: &WriteTransaction,
    write: &Write,
    live: Option<Item>,
    raw: Option<&Item>,
) -> Result<Option<Item>, StoreError> {
    match write {
        Write::Put { item, .. } => {
            store(txn, raw, Some(item))?;
            Ok(Some(item.clone()))
        }
        Write::Update { key, update, .. } => {
            let mut attrs = live.map(|i| i.attrs).unwrap_or_default();
            update.apply(&mut attrs)?;
            let item = Item {
                key: key.clone(),
                attrs,
            };
            check_item(&item)?;
            store(txn, raw, Some(&item))?;
            Ok(Some(item))
        }
        Write::Delete { .. } => {
            store(txn, raw, None)?;
            Ok(None)
        }
        Write::Check { .. } => Ok(live),
    }
}

fn single(txn: &WriteTransaction, write: &Write, now: i64) -> Result<Option<Item>, StoreError> {
    let (live, raw) = current(txn, write.key(), now)?;
    if !write.condition().holds(live.as_ref()) {
        return Err(StoreError::ConditionFailed);
    }
    apply(txn, write, live, raw.as_ref())
}

#[async_trait]
impl Table for RedbTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        check_key(key)?;
        let db = self.db.clone();
        let key = key.clone();
        let now = self.now();
        blocking(
            move || {
                let txn = db.begin_read().map_err(unavailable)?;
                let items = txn.open_table(ITEMS).map_err(unavailable)?;
                let found = items.get((key.pk(), key.sk())).map_err(unavailable)?;
                let item = found.map(|v| decode(key.clone(), v.value())).transpose()?;
                Ok(item.filter(|i| !i.is_expired(now)))
            },
            StoreError::Unavailable,
        )
        .await
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        check_item(&item)?;
        self.write(move |txn, now| single(txn, &Write::Put { item, condition }, now).map(|_| ()))
            .await
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Condition,
    ) -> Result<Item, StoreError> {
        check_key(key)?;
        update.validate()?;
        let write = Write::Update {
            key: key.clone(),
            update,
            condition,
        };
        self.write(move |txn, now| {
            single(txn, &write, now)?
                .ok_or_else(|| StoreError::Unavailable("update lost its item".into()))
        })
        .await
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), StoreError> {
        check_key(key)?;
        let write = Write::Delete {
            key: key.clone(),
            condition,
        };
        self.write(move |txn, now| single(txn, &write, now).map(|_| ()))
            .await
    }

    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        query.validate()?;
        let db = self.db.clone();
        let now = self.now();
        blocking(move || run_query(&db, &query, now), StoreError::Unavailable).await
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        check_transaction(&writes)?;
        self.write(move |txn, now| {
            let mut states = Vec::with_capacity(writes.len());
            for (index, write) in writes.iter().enumerate() {
                let (live, raw) = current(txn, write.key(), now)?;
                if !write.condition().holds(live.as_ref()) {
                    return Err(StoreError::TransactionConditionFailed { index });
                }
                states.push((live, raw));
            }
            for (write, (live, raw)) in writes.iter().zip(states) {
                apply(txn, write, live, raw.as_ref())?;
            }
            Ok(())
        })
        .await
    }
}

/// The smallest string greater than every string starting with `prefix`, if one exists.
fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = last as u32 + 1;
        if (0xD800..=0xDFFF).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Bounds on the sort key (the first sort component of an index entry).
fn sort_bounds(sort: &SortKey) -> (Bound<String>, Bound<String>) {
    // "x\0" is the immediate successor of "x", so an inclusive upper bound `b` is `< b\0`.
    let after = |s: &str| format!("{s}\0");
    match sort {
        SortKey::All => (Bound::Unbounded, Bound::Unbounded),
        SortKey::Prefix(p) => (
            Bound::Included(p.clone()),
            prefix_successor(p).map_or(Bound::Unbounded, Bound::Excluded),
        ),
        SortKey::Between(a, b) => (Bound::Included(a.clone()), Bound::Excluded(after(b))),
        SortKey::AtLeast(a) => (Bound::Included(a.clone()), Bound::Unbounded),
        SortKey::AtMost(b) => (Bound::Unbounded, Bound::Excluded(after(b))),
    }
}

fn encode_cursor(parts: &[&str]) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(parts).unwrap_or_default())
}

/// A cursor continues only the partition and sort range it came from.
fn decode_cursor(cursor: &str, len: usize, q: &Query) -> Result<Vec<String>, StoreError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| StoreError::InvalidCursor)?;
    let parts: Vec<String> =
        serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
    if parts.len() != len || parts[0] != q.pk || !q.sort.matches(&parts[1]) {
        return Err(StoreError::InvalidCursor);
    }
    Ok(parts)
}

fn gsi_entry(c: &[String]) -> (&str, &str, &str, &str) {
    (c[0].as_str(), c[1].as_str(), c[2].as_str(), c[3].as_str())
}

fn run_query(db: &Database, q: &Query, now: i64) -> Result<Page, StoreError> {
    let txn = db.begin_read().map_err(unavailable)?;
    let items = txn.open_table(ITEMS).map_err(unavailable)?;
    let (lo, hi) = sort_bounds(&q.sort);
    let pk = q.pk.as_str();
    let end = format!("{pk}\0");
    let limit = q.limit as usize;
    let mut page = Page::default();

    // Collect up to limit+1 primary keys in order, then load and filter them.
    let mut keys: Vec<(Vec<String>, Key)> = Vec::with_capacity(limit + 1);
    match q.index {
        Index::Primary => {
            let cursor = q
                .cursor
                .as_deref()
                .map(|c| decode_cursor(c, 2, q))
                .transpose()?;
            let lower = match (&cursor, q.forward) {
                (Some(c), true) => Bound::Excluded((c[0].as_str(), c[1].as_str())),
                _ => match &lo {
                    Bound::Included(s) => Bound::Included((pk, s.as_str())),
                    _ => Bound::Included((pk, "")),
                },
            };
            let upper = match (&cursor, q.forward) {
                (Some(c), false) => Bound::Excluded((c[0].as_str(), c[1].as_str())),
                _ => match &hi {
                    Bound::Excluded(s) => Bound::Excluded((pk, s.as_str())),
                    _ => Bound::Excluded((end.as_str(), "")),
                },
            };
            let range = items
                .range::<(&str, &str)>((lower, upper))
                .map_err(unavailable)?;
            let iter: Box<dyn Iterator<Item = _>> = if q.forward {
                Box::new(range)
            } else {
                Box::new(range.rev())
            };
            for entry in iter.take(limit + 1) {
                let (k, _) = entry.map_err(unavailable)?;
                let (p, s) = k.value();
                keys.push((vec![p.to_owned(), s.to_owned()], Key::new(p, s)));
            }
        }
        Index::Gsi1 | Index::Gsi2 => {
            let def = if q.index == Index::Gsi1 { GSI1 } else { GSI2 };
            let gsi = txn.open_table(def).map_err(unavailable)?;
            let cursor = q
                .cursor
                .as_deref()
                .map(|c| decode_cursor(c, 4, q))
                .transpose()?;
            let lower = match (&cursor, q.forward) {
                (Some(c), true) => Bound::Excluded(gsi_entry(c)),
                _ => match &lo {
                    Bound::Included(s) => Bound::Included((pk, s.as_str(), "", "")),
                    _ => Bound::Included((pk, "", "", "")),
                },
            };
            let upper = match (&cursor, q.forward) {
                (Some(c), false) => Bound::Excluded(gsi_entry(c)),
                _ => match &hi {
                    Bound::Excluded(s) => Bound::Excluded((pk, s.as_str(), "", "")),
                    _ => Bound::Excluded((end.as_str(), "", "", "")),
                },
            };
            let range = gsi
                .range::<(&str, &str, &str, &str)>((lower, upper))
                .map_err(unavailable)?;
            let iter: Box<dyn Iterator<Item = _>> = if q.forward {
                Box::new(range)
            } else {
                Box::new(range.rev())
            };
            for entry in iter.take(limit + 1) {
                let (k, _) = entry.map_err(unavailable)?;
                let (gp, gs, p, s) = k.value();
                keys.push((
                    vec![gp.to_owned(), gs.to_owned(), p.to_owned(), s.to_owned()],
                    Key::new(p, s),
                ));
            }
        }
    }

    let more = keys.len() > limit;
    keys.truncate(limit);
    if more && let Some((parts, _)) = keys.last() {
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        page.next = Some(encode_cursor(&refs));
    }
    for (_, key) in keys {
        let found = items.get((key.pk(), key.sk())).map_err(unavailable)?;
        if let Some(v) = found {
            let item = decode(key, v.value())?;
            if !item.is_expired(now) {
                page.items.push(item);
            }
        }
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_successor_is_the_next_string_after_every_extension() {
        assert_eq!(prefix_successor("ab").as_deref(), Some("ac"));
        assert_eq!(prefix_successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_successor(""), None);
        let succ = prefix_successor("MSG#").unwrap();
        assert!("MSG#zzzz" < succ.as_str() && "MSG$" >= succ.as_str());
    }

    #[test]
    fn sort_bounds_include_both_ends_of_between() {
        let (lo, hi) = sort_bounds(&SortKey::Between("a".into(), "c".into()));
        assert_eq!(lo, Bound::Included("a".into()));
        assert_eq!(hi, Bound::Excluded("c\0".into()));
    }
}
