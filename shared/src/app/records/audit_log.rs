//! Reading the brand's audit trail: per record (GSI1), per actor (GSI2) or by time (the
//! month partitions), newest first. Audit ids are ULIDs, so a time range is a key range.

use super::error::RecordError;
use crate::Ctx;
use crate::app::brand_table::BrandItem;
use crate::app::tenancy::BrandScope;
use crate::domain::Permission;
use crate::keys;
use crate::ports::{Index, SortKey};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use ulid::Ulid;

/// How far back a time-only query looks when `from` is not given.
pub const DEFAULT_DAYS: i64 = 30;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub at: String,
    /// create, update, delete, merge, convert, unlink, upload, import…
    pub action: String,
    pub entity: String,
    pub record: String,
    /// A user id or `apikey:<id>`.
    pub actor: String,
    pub ip: String,
    pub user_agent: String,
    pub changes: Vec<super::FieldChange>,
}

#[derive(Debug, Default)]
pub struct AuditQuery {
    /// `<entity>:<id>`.
    pub record: Option<String>,
    pub actor: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: u32,
    pub cursor: Option<String>,
}

/// A date (`YYYY-MM-DD`, the whole day) or an RFC 3339 time; `end` picks the day's end.
pub fn parse_time(raw: &str, end: bool) -> Result<DateTime<Utc>, RecordError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| RecordError::BadQuery(format!("{raw:?} is not a date or RFC 3339 time")))?;
    let t = if end {
        d.and_hms_milli_opt(23, 59, 59, 999)
    } else {
        d.and_hms_opt(0, 0, 0)
    };
    t.map(|t| t.and_utc())
        .ok_or_else(|| RecordError::BadQuery("bad date".into()))
}

fn ulid_bound(t: DateTime<Utc>, high: bool) -> String {
    let ms = t.timestamp_millis().max(0) as u64;
    Ulid::from_parts(ms, if high { u128::MAX } else { 0 }).to_string()
}

fn entry(item: &BrandItem) -> AuditEntry {
    let s = |f: &str| {
        item.get(f)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    AuditEntry {
        id: item.key.sk().to_owned(),
        at: s("at"),
        action: s("action"),
        entity: s("entity"),
        record: format!("{}:{}", s("entity"), s("record")),
        actor: s("actor"),
        ip: s("ip"),
        user_agent: s("user_agent"),
        changes: item
            .get("changes")
            .cloned()
            .and_then(|c| serde_json::from_value(c).ok())
            .unwrap_or_default(),
    }
}

/// One page of audit entries, newest first, and the cursor of the next.
pub async fn list(
    ctx: &Ctx,
    scope: &BrandScope,
    q: AuditQuery,
) -> Result<(Vec<AuditEntry>, Option<String>), RecordError> {
    scope.require(Permission::ViewAudit)?;
    let table = scope.table(ctx);
    let to = q.to.unwrap_or_else(|| ctx.clock.now());
    let explicit_from = q.from;
    let from = q.from.unwrap_or(to - Duration::days(DEFAULT_DAYS));
    if from > to {
        return Err(RecordError::BadQuery("from must not be after to".into()));
    }
    let range = SortKey::Between(ulid_bound(from, false), ulid_bound(to, true));
    let by_key = match (&q.record, &q.actor) {
        (Some(_), Some(_)) => {
            return Err(RecordError::BadQuery(
                "name a record or an actor, not both".into(),
            ));
        }
        (Some(r), None) => {
            let (entity, id) = super::spec::parse_record_ref(r)
                .map_err(|m| RecordError::BadQuery(format!("record {m}")))?;
            Some((Index::Gsi1, keys::brand::record_trail(&entity, &id)))
        }
        (None, Some(a)) => {
            let id = a.strip_prefix("apikey:").unwrap_or(a);
            if ulid::Ulid::from_string(id).is_err() {
                return Err(RecordError::BadQuery(
                    "actor must be a user id or apikey:<id>".into(),
                ));
            }
            Some((Index::Gsi2, keys::brand::actor_trail(a)))
        }
        (None, None) => None,
    };
    if let Some((index, part)) = by_key {
        // Per record or actor, the whole history unless a range is asked for.
        let sort = if explicit_from.is_some() || q.to.is_some() {
            range
        } else {
            SortKey::All
        };
        let page = table
            .query(
                part.query()
                    .on(index)
                    .sort(sort)
                    .backward()
                    .limit(q.limit)
                    .after(q.cursor),
            )
            .await?;
        return Ok((page.items.iter().map(entry).collect(), page.next));
    }
    // By time: month partitions, newest first. The cursor names the month and the position.
    let (mut month, mut inner) = match q.cursor.as_deref() {
        Some(c) => {
            let (m, rest) = c
                .split_once('|')
                .ok_or_else(|| RecordError::BadQuery("cursor is not one this list gave".into()))?;
            let m = NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                .map_err(|_| RecordError::BadQuery("cursor is not one this list gave".into()))?;
            (m, Some(rest.to_owned()).filter(|r| !r.is_empty()))
        }
        None => (first_of_month(to.date_naive()), None),
    };
    let first = first_of_month(from.date_naive());
    let mut out = Vec::new();
    while month >= first && out.len() < q.limit as usize {
        let page = table
            .query(
                keys::brand::audit_month(month)
                    .query()
                    .sort(range.clone())
                    .backward()
                    .limit(q.limit - out.len() as u32)
                    .after(inner.take()),
            )
            .await?;
        out.extend(page.items.iter().map(entry));
        match page.next {
            Some(n) => {
                return Ok((out, Some(format!("{}|{n}", month.format("%Y-%m")))));
            }
            None => month = previous_month(month),
        }
    }
    let next = (month >= first).then(|| format!("{}|", month.format("%Y-%m")));
    Ok((out, next))
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn previous_month(d: NaiveDate) -> NaiveDate {
    first_of_month(d - Duration::days(1))
}
