//! The `Queue` port on redb, keeping SQS's contract: a received message is invisible for the
//! visibility timeout, each receive counts, a message received `max_receives` times moves to
//! the DLQ instead of being delivered again, FIFO groups deliver in order one message at a
//! time, and a FIFO dedup id is honoured for five minutes. Messages live in the data
//! directory's database, so whatever `send` acknowledged survives a restart.

use super::blocking;
use crate::ports::queue::{DEDUP_WINDOW, MAX_BATCH};
use crate::ports::{Clock, OutMessage, Queue, QueueError, ReceivedMessage};
use async_trait::async_trait;
use redb::{Database, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

const MESSAGES: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("queue_messages");
const DEDUP: TableDefinition<(&str, &str), i64> = TableDefinition::new("queue_dedup");
const SEQUENCE: TableDefinition<&str, u64> = TableDefinition::new("queue_sequence");

#[derive(Debug, Clone)]
pub struct QueueSettings {
    pub name: String,
    pub fifo: bool,
    pub visibility_timeout: Duration,
    /// Receives before a message moves to the DLQ (SQS's `maxReceiveCount`).
    pub max_receives: u32,
    /// Name of the dead-letter queue in the same database, if any.
    pub dlq: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredMessage {
    id: String,
    body: String,
    group: Option<String>,
    receive_count: u32,
    /// Epoch milliseconds before which the message is in flight.
    visible_at: i64,
    /// Token of the current delivery; a receipt must carry it.
    delivery: Option<String>,
}

pub struct EmbeddedQueue {
    db: Arc<Database>,
    clock: Arc<dyn Clock>,
    settings: QueueSettings,
    arrived: Arc<Notify>,
}

fn unavailable(e: impl std::fmt::Display) -> QueueError {
    QueueError::Unavailable(e.to_string())
}

impl EmbeddedQueue {
    pub fn new(
        db: Arc<Database>,
        clock: Arc<dyn Clock>,
        settings: QueueSettings,
    ) -> Result<Self, QueueError> {
        let txn = db.begin_write().map_err(unavailable)?;
        txn.open_table(MESSAGES).map_err(unavailable)?;
        txn.open_table(DEDUP).map_err(unavailable)?;
        txn.open_table(SEQUENCE).map_err(unavailable)?;
        txn.commit().map_err(unavailable)?;
        Ok(Self {
            db,
            clock,
            settings,
            arrived: Arc::new(Notify::new()),
        })
    }

    pub fn settings(&self) -> &QueueSettings {
        &self.settings
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// Messages stored in this queue, in flight or not.
    pub async fn depth(&self) -> Result<usize, QueueError> {
        let db = self.db.clone();
        let name = self.settings.name.clone();
        blocking(
            move || {
                let txn = db.begin_write().map_err(unavailable)?;
                let n = {
                    let msgs = txn.open_table(MESSAGES).map_err(unavailable)?;
                    msgs.range((name.as_str(), 0)..=(name.as_str(), u64::MAX))
                        .map_err(unavailable)?
                        .count()
                };
                txn.abort().map_err(unavailable)?;
                Ok(n)
            },
            QueueError::Unavailable,
        )
        .await
    }

    /// Moves every message of this queue (a DLQ) to `target`, as fresh messages; the
    /// operator's redrive. Returns how many moved.
    pub async fn redrive_to(&self, target: &EmbeddedQueue) -> Result<usize, QueueError> {
        let db = self.db.clone();
        let from = self.settings.name.clone();
        let to = target.settings.name.clone();
        let moved = blocking(
            move || {
                let txn = db.begin_write().map_err(unavailable)?;
                let taken: Vec<(u64, StoredMessage)> = {
                    let msgs = txn.open_table(MESSAGES).map_err(unavailable)?;
                    let range = msgs
                        .range((from.as_str(), 0)..=(from.as_str(), u64::MAX))
                        .map_err(unavailable)?;
                    range
                        .map(|e| {
                            let (k, v) = e.map_err(unavailable)?;
                            Ok((k.value().1, decode(v.value())?))
                        })
                        .collect::<Result<_, QueueError>>()?
                };
                for (seq, mut msg) in taken.iter().cloned() {
                    txn.open_table(MESSAGES)
                        .map_err(unavailable)?
                        .remove((from.as_str(), seq))
                        .map_err(unavailable)?;
                    msg.receive_count = 0;
                    msg.visible_at = 0;
                    msg.delivery = None;
                    append(&txn, &to, &msg)?;
                }
                txn.commit().map_err(unavailable)?;
                Ok(taken.len())
            },
            QueueError::Unavailable,
        )
        .await?;
        target.arrived.notify_waiters();
        Ok(moved)
    }

    /// Forgets dedup ids older than the window.
    pub async fn purge_dedup(&self) -> Result<(), QueueError> {
        let db = self.db.clone();
        let name = self.settings.name.clone();
        let now = self.now_ms();
        blocking(
            move || {
                let txn = db.begin_write().map_err(unavailable)?;
                txn.open_table(DEDUP)
                    .map_err(unavailable)?
                    .retain_in(
                        (name.as_str(), "")..(format!("{name}\0").as_str(), ""),
                        |_, expires| expires > now,
                    )
                    .map_err(unavailable)?;
                txn.commit().map_err(unavailable)
            },
            QueueError::Unavailable,
        )
        .await
    }
}

/// One receive attempt: delivers up to `max` visible messages and moves exhausted ones to the
/// DLQ, in one transaction.
fn try_receive(
    db: &Database,
    s: &QueueSettings,
    now: i64,
    max: usize,
) -> Result<Vec<ReceivedMessage>, QueueError> {
    let txn = db.begin_write().map_err(unavailable)?;
    let mut out = Vec::new();
    {
        let mut msgs = txn.open_table(MESSAGES).map_err(unavailable)?;
        let all: Vec<(u64, StoredMessage)> = msgs
            .range((s.name.as_str(), 0)..=(s.name.as_str(), u64::MAX))
            .map_err(unavailable)?
            .map(|e| {
                let (k, v) = e.map_err(unavailable)?;
                Ok((k.value().1, decode(v.value())?))
            })
            .collect::<Result<_, QueueError>>()?;
        // As SQS FIFO: a group with any invisible message is locked; from an unlocked group a
        // receive may take a consecutive run of messages, in order.
        let blocked: HashSet<String> = if s.fifo {
            all.iter()
                .filter(|(_, m)| m.visible_at > now)
                .filter_map(|(_, m)| m.group.clone())
                .collect()
        } else {
            HashSet::new()
        };
        let mut dead = Vec::new();
        for (seq, mut msg) in all {
            if out.len() >= max {
                break;
            }
            let group_blocked = msg.group.as_ref().is_some_and(|g| blocked.contains(g));
            if msg.visible_at > now || group_blocked {
                continue;
            }
            if s.dlq.is_some() && msg.receive_count >= s.max_receives {
                dead.push((seq, msg));
                continue;
            }
            let token = ulid::Ulid::new().to_string();
            msg.receive_count += 1;
            msg.visible_at = now + s.visibility_timeout.as_millis() as i64;
            msg.delivery = Some(token.clone());
            msgs.insert((s.name.as_str(), seq), encode(&msg)?.as_slice())
                .map_err(unavailable)?;
            out.push(ReceivedMessage {
                id: msg.id.clone(),
                receipt: format!("{seq}.{token}"),
                body: msg.body,
                group: msg.group,
                receive_count: msg.receive_count,
            });
        }
        if let Some(dlq) = &s.dlq {
            for (seq, mut msg) in dead {
                msgs.remove((s.name.as_str(), seq)).map_err(unavailable)?;
                msg.visible_at = 0;
                msg.delivery = None;
                tracing::warn!(queue = %s.name, message_id = %msg.id, receives = msg.receive_count, "message moved to DLQ");
                append_with(&mut msgs, &txn, dlq, &msg)?;
            }
        }
    }
    txn.commit().map_err(unavailable)?;
    Ok(out)
}

impl EmbeddedQueue {
    /// Runs `f` on the message named by `receipt` if that delivery is still current.
    async fn with_delivery(
        &self,
        receipt: &str,
        f: impl FnOnce(&mut Option<StoredMessage>) + Send + 'static,
    ) -> Result<(), QueueError> {
        let (seq, token) = receipt
            .split_once('.')
            .and_then(|(s, t)| Some((s.parse::<u64>().ok()?, t.to_owned())))
            .ok_or_else(|| QueueError::Invalid("malformed receipt".into()))?;
        let db = self.db.clone();
        let name = self.settings.name.clone();
        blocking(
            move || {
                let txn = db.begin_write().map_err(unavailable)?;
                {
                    let mut msgs = txn.open_table(MESSAGES).map_err(unavailable)?;
                    let found = msgs
                        .get((name.as_str(), seq))
                        .map_err(unavailable)?
                        .map(|v| decode(v.value()));
                    // A stale receipt (redelivered since, or already acked) changes nothing.
                    if let Some(msg) = found.transpose()?
                        && msg.delivery.as_deref() == Some(token.as_str())
                    {
                        let mut slot = Some(msg);
                        f(&mut slot);
                        match slot {
                            Some(msg) => msgs
                                .insert((name.as_str(), seq), encode(&msg)?.as_slice())
                                .map_err(unavailable)?,
                            None => msgs.remove((name.as_str(), seq)).map_err(unavailable)?,
                        };
                    }
                }
                txn.commit().map_err(unavailable)
            },
            QueueError::Unavailable,
        )
        .await
    }
}

fn encode(msg: &StoredMessage) -> Result<Vec<u8>, QueueError> {
    serde_json::to_vec(msg).map_err(unavailable)
}

fn decode(bytes: &[u8]) -> Result<StoredMessage, QueueError> {
    serde_json::from_slice(bytes).map_err(unavailable)
}

fn next_seq(txn: &WriteTransaction, queue: &str) -> Result<u64, QueueError> {
    let mut seqs = txn.open_table(SEQUENCE).map_err(unavailable)?;
    let next = seqs
        .get(queue)
        .map_err(unavailable)?
        .map(|v| v.value())
        .unwrap_or(0)
        + 1;
    seqs.insert(queue, next).map_err(unavailable)?;
    Ok(next)
}

fn append(txn: &WriteTransaction, queue: &str, msg: &StoredMessage) -> Result<(), QueueError> {
    let seq = next_seq(txn, queue)?;
    let mut msgs = txn.open_table(MESSAGES).map_err(unavailable)?;
    msgs.insert((queue, seq), encode(msg)?.as_slice())
        .map_err(unavailable)?;
    Ok(())
}

fn append_with(
    msgs: &mut redb::Table<'_, (&'static str, u64), &'static [u8]>,
    txn: &WriteTransaction,
    queue: &str,
    msg: &StoredMessage,
) -> Result<(), QueueError> {
    let seq = next_seq(txn, queue)?;
    msgs.insert((queue, seq), encode(msg)?.as_slice())
        .map_err(unavailable)?;
    Ok(())
}

#[async_trait]
impl Queue for EmbeddedQueue {
    async fn send(&self, message: OutMessage) -> Result<(), QueueError> {
        self.send_batch(vec![message]).await
    }

    async fn send_batch(&self, messages: Vec<OutMessage>) -> Result<(), QueueError> {
        for m in &messages {
            m.validate(self.settings.fifo)?;
        }
        let db = self.db.clone();
        let name = self.settings.name.clone();
        let now = self.now_ms();
        let window = DEDUP_WINDOW.as_millis() as i64;
        blocking(
            move || {
                let txn = db.begin_write().map_err(unavailable)?;
                for m in messages {
                    if let Some(dedup) = &m.dedup_id {
                        let mut ids = txn.open_table(DEDUP).map_err(unavailable)?;
                        let seen = ids
                            .get((name.as_str(), dedup.as_str()))
                            .map_err(unavailable)?
                            .map(|v| v.value());
                        if seen.is_some_and(|expires| expires > now) {
                            continue; // accepted and dropped, as SQS does
                        }
                        ids.insert((name.as_str(), dedup.as_str()), now + window)
                            .map_err(unavailable)?;
                    }
                    let msg = StoredMessage {
                        id: ulid::Ulid::new().to_string(),
                        body: m.body,
                        group: m.group,
                        receive_count: 0,
                        visible_at: 0,
                        delivery: None,
                    };
                    append(&txn, &name, &msg)?;
                }
                txn.commit().map_err(unavailable)
            },
            QueueError::Unavailable,
        )
        .await?;
        self.arrived.notify_waiters();
        Ok(())
    }

    async fn receive(&self, max: u32, wait: Duration) -> Result<Vec<ReceivedMessage>, QueueError> {
        if max == 0 || max as usize > MAX_BATCH {
            return Err(QueueError::Invalid("receive 1..=10 messages".into()));
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let arrived = self.arrived.notified();
            let (db, settings, now) = (self.db.clone(), self.settings.clone(), self.now_ms());
            let got = blocking(
                move || try_receive(&db, &settings, now, max as usize),
                QueueError::Unavailable,
            )
            .await?;
            let now = tokio::time::Instant::now();
            if !got.is_empty() || now >= deadline {
                return Ok(got);
            }
            // Wake on a new message, or poll again soon for in-flight ones turning visible.
            let nap = (deadline - now).min(Duration::from_millis(250));
            let _ = tokio::time::timeout(nap, arrived).await;
        }
    }

    async fn ack(&self, receipt: &str) -> Result<(), QueueError> {
        self.with_delivery(receipt, |slot| *slot = None).await
    }

    async fn release(&self, receipt: &str, delay: Duration) -> Result<(), QueueError> {
        let visible_at = self.now_ms() + delay.as_millis() as i64;
        self.with_delivery(receipt, move |slot| {
            if let Some(msg) = slot {
                msg.visible_at = visible_at;
                msg.delivery = None;
            }
        })
        .await?;
        if delay.is_zero() {
            self.arrived.notify_waiters();
        }
        Ok(())
    }
}
