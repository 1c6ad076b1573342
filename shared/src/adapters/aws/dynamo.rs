//! The `Table` port on DynamoDB. Conditions become condition expressions; expired items, which
//! DynamoDB deletes hours or days late, are filtered on every read and count as absent in
//! every condition.

use super::{describe, is_throttle};
use crate::ports::table::{self, check_item, check_key, check_transaction};
use crate::ports::{
    Clock, Condition, Index, Item, Key, Page, Query, SortKey, StoreError, Table, Update, Write,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update as DynUpdate,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub struct DynamoTable {
    client: Client,
    table: String,
    clock: Arc<dyn Clock>,
}

type Attrs = HashMap<String, AttributeValue>;

/// A condition or update expression with its placeholders.
#[derive(Default)]
struct Expr {
    names: HashMap<String, String>,
    values: Attrs,
}

impl Expr {
    fn name(&mut self, attr: &str) -> String {
        let placeholder = format!("#n{}", self.names.len());
        if let Some((p, _)) = self.names.iter().find(|(_, a)| a.as_str() == attr) {
            return p.clone();
        }
        self.names.insert(placeholder.clone(), attr.to_owned());
        placeholder
    }

    fn value(&mut self, v: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), v);
        placeholder
    }

    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    fn values(&self) -> Option<Attrs> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }

    /// `the item is absent or expired`
    fn absent(&mut self, now: i64) -> String {
        let (pk, exp) = (self.name(table::PK), self.name(table::EXPIRES_AT));
        let now = self.value(num(now));
        format!("(attribute_not_exists({pk}) OR {exp} <= {now})")
    }

    /// `the item has no expiry or has not expired`
    fn unexpired(&mut self, now: i64) -> String {
        let exp = self.name(table::EXPIRES_AT);
        let now = self.value(num(now));
        format!("(attribute_not_exists({exp}) OR {exp} > {now})")
    }

    fn condition(&mut self, condition: &Condition, now: i64) -> Result<Option<String>, StoreError> {
        Ok(match condition {
            Condition::None => None,
            Condition::Absent => Some(self.absent(now)),
            Condition::Present => {
                let pk = self.name(table::PK);
                Some(format!(
                    "(attribute_exists({pk}) AND {})",
                    self.unexpired(now)
                ))
            }
            Condition::VersionEquals(v) => {
                let (n, v) = (self.name(table::VERSION), self.value(num(*v as i64)));
                Some(format!("({n} = {v} AND {})", self.unexpired(now)))
            }
            Condition::AttrEquals(attr, value) => {
                let n = self.name(attr);
                let v = self.value(to_av(value)?);
                Some(format!("({n} = {v} AND {})", self.unexpired(now)))
            }
        })
    }

    /// An update never merges into an expired item: the condition also requires the stored
    /// item to be absent or live. (A failure caused by an expired item is cleaned up and
    /// retried by the caller.)
    fn update_condition(&mut self, condition: &Condition, now: i64) -> Result<String, StoreError> {
        let pk = self.name(table::PK);
        let live = format!("(attribute_not_exists({pk}) OR {})", self.unexpired(now));
        Ok(match self.condition(condition, now)? {
            Some(c) => format!("{c} AND {live}"),
            None => live,
        })
    }

    fn update(&mut self, update: &Update) -> Result<String, StoreError> {
        let mut parts = Vec::new();
        let sets: Vec<String> = update
            .set
            .iter()
            .map(|(n, v)| Ok(format!("{} = {}", self.name(n), self.value(to_av(v)?))))
            .collect::<Result<_, StoreError>>()?;
        if !sets.is_empty() {
            parts.push(format!("SET {}", sets.join(", ")));
        }
        let adds: Vec<String> = update
            .add
            .iter()
            .map(|(n, by)| format!("{} {}", self.name(n), self.value(num(*by))))
            .collect();
        if !adds.is_empty() {
            parts.push(format!("ADD {}", adds.join(", ")));
        }
        let removes: Vec<String> = update.remove.iter().map(|n| self.name(n)).collect();
        if !removes.is_empty() {
            parts.push(format!("REMOVE {}", removes.join(", ")));
        }
        Ok(parts.join(" "))
    }
}

fn num(n: i64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

fn to_av(value: &Value) -> Result<AttributeValue, StoreError> {
    serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(value)
        .map_err(|e| StoreError::Invalid(e.to_string()))
}

fn key_attrs(key: &Key) -> Attrs {
    HashMap::from([
        (table::PK.to_owned(), AttributeValue::S(key.pk().to_owned())),
        (table::SK.to_owned(), AttributeValue::S(key.sk().to_owned())),
    ])
}

fn to_attrs(item: &Item) -> Result<Attrs, StoreError> {
    let mut attrs: Attrs = serde_dynamo::aws_sdk_dynamodb_1::to_item(&item.attrs)
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    attrs.extend(key_attrs(&item.key));
    Ok(attrs)
}

fn from_attrs(mut attrs: Attrs) -> Result<Item, StoreError> {
    let mut take = |name: &str| match attrs.remove(name) {
        Some(AttributeValue::S(s)) => Ok(s),
        _ => Err(StoreError::Unavailable(format!("stored item lacks {name}"))),
    };
    let key = Key::new(take(table::PK)?, take(table::SK)?);
    let attrs: Map<String, Value> = serde_dynamo::aws_sdk_dynamodb_1::from_item(attrs)
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    Ok(Item { key, attrs })
}

fn map_err<E>(err: aws_sdk_dynamodb::error::SdkError<E>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let Some(service) = err.as_service_error() {
        if service.code() == Some("ConditionalCheckFailedException") {
            return StoreError::ConditionFailed;
        }
        if is_throttle(service) {
            return StoreError::Throttled;
        }
        // IAM refusing a key outside the brand whose credentials sign the call.
        if service.code() == Some("AccessDeniedException") {
            return StoreError::Denied(service.message().unwrap_or("access denied").to_owned());
        }
        if service.code() == Some("ValidationException") {
            let message = service.message().unwrap_or("validation failed");
            // DynamoDB enforces the item size limit on updates itself.
            if message.contains("size") && message.contains("exceeded") {
                return StoreError::ItemTooLarge(table::MAX_ITEM_BYTES + 1);
            }
            return StoreError::Invalid(message.to_owned());
        }
    }
    StoreError::Unavailable(describe(&err))
}

fn now_and_live(item: Item, now: i64) -> Option<Item> {
    (!item.is_expired(now)).then_some(item)
}

impl DynamoTable {
    pub fn new(client: Client, table: impl Into<String>, clock: Arc<dyn Clock>) -> Self {
        Self {
            client,
            table: table.into(),
            clock,
        }
    }

    fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }

    /// Deletes these items if (and only if) they are expired: they count as absent already,
    /// so removing them changes nothing a reader could see.
    async fn purge_expired(&self, keys: &[Key]) -> Result<(), StoreError> {
        for key in keys {
            let mut e = Expr::default();
            let exp = e.name(table::EXPIRES_AT);
            let now = e.value(num(self.now()));
            let result = self
                .client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key_attrs(key)))
                .condition_expression(format!("{exp} <= {now}"))
                .set_expression_attribute_names(e.names())
                .set_expression_attribute_values(e.values())
                .send()
                .await;
            match result.map_err(map_err) {
                Ok(_) | Err(StoreError::ConditionFailed) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    async fn update_once(
        &self,
        key: &Key,
        update: &Update,
        condition: &Condition,
    ) -> Result<Item, UpdateFailure> {
        let now = self.now();
        let mut e = Expr::default();
        let expression = e.update(update).map_err(UpdateFailure::Other)?;
        let cond = e
            .update_condition(condition, now)
            .map_err(UpdateFailure::Other)?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .update_expression(expression)
            .condition_expression(cond)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            // The update was validated before sending; DynamoDB enforces the size limit.
            Ok(out) => from_attrs(out.attributes.unwrap_or_default()).map_err(UpdateFailure::Other),
            Err(err) => {
                let old = err.as_service_error().and_then(|s| match s {
                    UpdateItemError::ConditionalCheckFailedException(c) => c.item.clone(),
                    _ => None,
                });
                let expired = old
                    .and_then(|a| from_attrs(a).ok())
                    .is_some_and(|i| i.is_expired(now));
                if expired {
                    Err(UpdateFailure::Expired)
                } else {
                    Err(UpdateFailure::Other(map_err(err)))
                }
            }
        }
    }

    fn transact_item(&self, write: &Write, now: i64) -> Result<TransactWriteItem, StoreError> {
        let mut e = Expr::default();
        let built = match write {
            Write::Put { item, condition } => {
                let cond = e.condition(condition, now)?;
                TransactWriteItem::builder().put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(to_attrs(item)?))
                        .set_condition_expression(cond)
                        .set_expression_attribute_names(e.names())
                        .set_expression_attribute_values(e.values())
                        .return_values_on_condition_check_failure(
                            ReturnValuesOnConditionCheckFailure::AllOld,
                        )
                        .build()
                        .map_err(|x| StoreError::Invalid(x.to_string()))?,
                )
            }
            Write::Update {
                key,
                update,
                condition,
            } => {
                let expression = e.update(update)?;
                let cond = e.update_condition(condition, now)?;
                TransactWriteItem::builder().update(
                    DynUpdate::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_attrs(key)))
                        .update_expression(expression)
                        .condition_expression(cond)
                        .set_expression_attribute_names(e.names())
                        .set_expression_attribute_values(e.values())
                        .return_values_on_condition_check_failure(
                            ReturnValuesOnConditionCheckFailure::AllOld,
                        )
                        .build()
                        .map_err(|x| StoreError::Invalid(x.to_string()))?,
                )
            }
            Write::Delete { key, condition } => {
                let cond = e.condition(condition, now)?;
                TransactWriteItem::builder().delete(
                    Delete::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_attrs(key)))
                        .set_condition_expression(cond)
                        .set_expression_attribute_names(e.names())
                        .set_expression_attribute_values(e.values())
                        .return_values_on_condition_check_failure(
                            ReturnValuesOnConditionCheckFailure::AllOld,
                        )
                        .build()
                        .map_err(|x| StoreError::Invalid(x.to_string()))?,
                )
            }
            Write::Check { key, condition } => {
                // DynamoDB needs a condition on a check; `None` always holds.
                let cond = match e.condition(condition, now)? {
                    Some(c) => c,
                    None => format!(
                        "({} OR attribute_exists({}))",
                        e.absent(now),
                        e.name(table::PK)
                    ),
                };
                TransactWriteItem::builder().condition_check(
                    ConditionCheck::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_attrs(key)))
                        .condition_expression(cond)
                        .set_expression_attribute_names(e.names())
                        .set_expression_attribute_values(e.values())
                        .return_values_on_condition_check_failure(
                            ReturnValuesOnConditionCheckFailure::AllOld,
                        )
                        .build()
                        .map_err(|x| StoreError::Invalid(x.to_string()))?,
                )
            }
        };
        Ok(built.build())
    }

    async fn transact_once(&self, writes: &[Write]) -> Result<(), TransactFailure> {
        let now = self.now();
        let items = writes
            .iter()
            .map(|w| self.transact_item(w, now))
            .collect::<Result<Vec<_>, _>>()
            .map_err(TransactFailure::Other)?;
        let err = match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        let cancelled = match err.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(c)) => Some(c),
            _ => None,
        };
        let Some(cancelled) = cancelled else {
            return Err(TransactFailure::Other(map_err(err)));
        };
        let reasons = cancelled.cancellation_reasons();
        let mut expired = Vec::new();
        let mut failed = None;
        for (index, reason) in reasons.iter().enumerate() {
            match reason.code() {
                Some("ConditionalCheckFailed") => {
                    let old = reason.item.clone().and_then(|a| from_attrs(a).ok());
                    // An expired item is absent: if the write's condition holds for an
                    // absent item, the failure is only DynamoDB's late TTL; otherwise it is
                    // a real failure, reported at the lowest index as redb does.
                    let expired_item = old.as_ref().is_some_and(|i| i.is_expired(now));
                    if expired_item && writes[index].condition().holds(None) {
                        expired.push(writes[index].key().clone());
                    } else if failed.is_none() {
                        failed = Some(index);
                    }
                }
                Some("TransactionConflict") => {
                    return Err(TransactFailure::Other(StoreError::TransactionConflict));
                }
                Some("ThrottlingError" | "ProvisionedThroughputExceeded") => {
                    return Err(TransactFailure::Other(StoreError::Throttled));
                }
                Some(code @ ("ValidationError" | "ItemCollectionSizeLimitExceeded")) => {
                    let message = reason.message().unwrap_or(code).to_owned();
                    return Err(TransactFailure::Other(StoreError::Invalid(message)));
                }
                _ => {}
            }
        }
        match failed {
            Some(index) => Err(TransactFailure::Other(
                StoreError::TransactionConditionFailed { index },
            )),
            None if !expired.is_empty() => Err(TransactFailure::Expired(expired)),
            None => Err(TransactFailure::Other(StoreError::Unavailable(describe(
                &err,
            )))),
        }
    }
}

enum UpdateFailure {
    Expired,
    Other(StoreError),
}

enum TransactFailure {
    Expired(Vec<Key>),
    Other(StoreError),
}

fn encode_cursor(key: Attrs) -> Option<String> {
    let strings: BTreeMap<String, String> = key
        .into_iter()
        .filter_map(|(k, v)| match v {
            AttributeValue::S(s) => Some((k, s)),
            _ => None,
        })
        .collect();
    serde_json::to_vec(&strings)
        .ok()
        .map(|b| URL_SAFE_NO_PAD.encode(b))
}

/// A cursor continues only the partition and sort range it came from, and names exactly the
/// key attributes DynamoDB expects for the index.
fn decode_cursor(cursor: &str, q: &Query) -> Result<Attrs, StoreError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| StoreError::InvalidCursor)?;
    let strings: BTreeMap<String, String> =
        serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
    let (pk_attr, sk_attr) = q.index.attr_names();
    let mut expected = vec![table::PK, table::SK];
    if q.index != Index::Primary {
        expected.extend([pk_attr, sk_attr]);
    }
    let names_ok =
        strings.len() == expected.len() && expected.iter().all(|a| strings.contains_key(*a));
    let in_range = strings.get(pk_attr) == Some(&q.pk)
        && strings.get(sk_attr).is_some_and(|sk| q.sort.matches(sk));
    if !names_ok || !in_range {
        return Err(StoreError::InvalidCursor);
    }
    Ok(strings
        .into_iter()
        .map(|(k, v)| (k, AttributeValue::S(v)))
        .collect())
}

#[async_trait]
impl Table for DynamoTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        check_key(key)?;
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(map_err)?;
        let item = out.item.map(from_attrs).transpose()?;
        Ok(item.and_then(|i| now_and_live(i, self.now())))
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        check_item(&item)?;
        let mut e = Expr::default();
        let cond = e.condition(&condition, self.now())?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_attrs(&item)?))
            .set_condition_expression(cond)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Condition,
    ) -> Result<Item, StoreError> {
        check_key(key)?;
        update.validate()?;
        match self.update_once(key, &update, &condition).await {
            Ok(item) => Ok(item),
            Err(UpdateFailure::Other(e)) => Err(e),
            Err(UpdateFailure::Expired) => {
                self.purge_expired(std::slice::from_ref(key)).await?;
                match self.update_once(key, &update, &condition).await {
                    Ok(item) => Ok(item),
                    Err(UpdateFailure::Other(e)) => Err(e),
                    Err(UpdateFailure::Expired) => Err(StoreError::ConditionFailed),
                }
            }
        }
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), StoreError> {
        check_key(key)?;
        let mut e = Expr::default();
        let cond = e.condition(&condition, self.now())?;
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .set_condition_expression(cond)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn query(&self, q: Query) -> Result<Page, StoreError> {
        q.validate()?;
        let (pk_attr, sk_attr) = q.index.attr_names();
        let mut e = Expr::default();
        let pk_name = e.name(pk_attr);
        let pk_value = e.value(AttributeValue::S(q.pk.clone()));
        let mut key_cond = format!("{pk_name} = {pk_value}");
        let mut sort =
            |e: &mut Expr, op: &dyn Fn(&str, &[String]) -> String, bounds: &[&String]| {
                let sk = e.name(sk_attr);
                let values: Vec<String> = bounds
                    .iter()
                    .map(|b| e.value(AttributeValue::S((*b).clone())))
                    .collect();
                key_cond += &format!(" AND {}", op(&sk, &values));
            };
        match &q.sort {
            SortKey::All => {}
            SortKey::Prefix(p) => sort(
                &mut e,
                &|sk, v| format!("begins_with({sk}, {})", v[0]),
                &[p],
            ),
            SortKey::Between(a, b) => sort(
                &mut e,
                &|sk, v| format!("{sk} BETWEEN {} AND {}", v[0], v[1]),
                &[a, b],
            ),
            SortKey::AtLeast(a) => sort(&mut e, &|sk, v| format!("{sk} >= {}", v[0]), &[a]),
            SortKey::AtMost(b) => sort(&mut e, &|sk, v| format!("{sk} <= {}", v[0]), &[b]),
        }
        let filter = e.unexpired(self.now());
        let start = q
            .cursor
            .as_deref()
            .map(|c| decode_cursor(c, &q))
            .transpose()?;
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(q.index.name().map(str::to_owned))
            .key_condition_expression(key_cond)
            .filter_expression(filter)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .scan_index_forward(q.forward)
            // Reads of the table itself see every committed write, as redb's do (GSIs cannot).
            .consistent_read(q.index == Index::Primary)
            .limit(q.limit as i32)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(map_err)?;
        let now = self.now();
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_attrs)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter_map(|i| now_and_live(i, now))
            .collect();
        let next = out.last_evaluated_key.and_then(encode_cursor);
        Ok(Page { items, next })
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        check_transaction(&writes)?;
        match self.transact_once(&writes).await {
            Ok(()) => Ok(()),
            Err(TransactFailure::Other(e)) => Err(e),
            Err(TransactFailure::Expired(keys)) => {
                self.purge_expired(&keys).await?;
                match self.transact_once(&writes).await {
                    Ok(()) => Ok(()),
                    Err(TransactFailure::Other(e)) => Err(e),
                    Err(TransactFailure::Expired(_)) => Err(StoreError::TransactionConflict),
                }
            }
        }
    }
}
