//! What every CRM record shares: an optimistic `version`, and an audit record with a
//! field-level before/after diff committed in the same transaction as the change (P22).
//! Brand audit records are partitioned by brand and month, and indexed per record (GSI1) and
//! per actor (GSI2) for the audit queries.

use crate::Ctx;
use crate::app::auth::Client;
use crate::app::brand_table::{BrandItem, BrandWrite};
use crate::app::tenancy::BrandScope;
use crate::keys;
use crate::ports::{Condition, Index};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What an erased value reads as in the audit trail of a deleted record (P24).
pub const ERASED: &str = "[erased]";

/// Brand audit records are kept 12 months (P28).
pub const AUDIT_RETENTION_DAYS: i64 = 366;

/// One field's change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldChange {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

impl FieldChange {
    pub fn new(field: &str, before: impl Into<Value>, after: impl Into<Value>) -> Self {
        Self {
            field: field.to_owned(),
            before: before.into(),
            after: after.into(),
        }
    }
}

/// The changes among `fields` from `before` to `after` (absent reads as null).
pub fn diff(
    before: &Map<String, Value>,
    after: &Map<String, Value>,
    fields: &[&str],
) -> Vec<FieldChange> {
    fields
        .iter()
        .filter_map(|f| {
            let (b, a) = (
                before.get(*f).cloned().unwrap_or(Value::Null),
                after.get(*f).cloned().unwrap_or(Value::Null),
            );
            (b != a).then(|| FieldChange {
                field: (*f).to_owned(),
                before: b,
                after: a,
            })
        })
        .collect()
}

/// The audit record of a change to a brand's record, for the change's transaction.
pub fn audit(
    ctx: &Ctx,
    scope: &BrandScope,
    action: &str,
    entity: &str,
    id: &str,
    changes: &[FieldChange],
    client: &Client,
) -> BrandWrite {
    audit_as(
        ctx,
        &scope.actor().label(),
        action,
        entity,
        id,
        changes,
        client,
    )
}

/// A brand audit record by an actor named by its label (a user id, `apikey:<id>`): for
/// changes to the brand's people and keys, which owners read in `GET /audit` like any other.
/// Its key and index keys are laid out once, in `keys::brand`.
#[allow(clippy::too_many_arguments)]
pub fn audit_as(
    ctx: &Ctx,
    actor: &str,
    action: &str,
    entity: &str,
    id: &str,
    changes: &[FieldChange],
    client: &Client,
) -> BrandWrite {
    let now = ctx.clock.now();
    let audit_id = crate::domain::new_id(ctx.clock.as_ref()).to_string();
    let mut item = BrandItem::new(keys::brand::audit(now, &audit_id))
        .with("action", action)
        .with("entity", entity)
        .with("record", id)
        .with("actor", actor)
        .with(
            "changes",
            serde_json::to_value(changes).unwrap_or(Value::Null),
        )
        .with("ip", client.ip.as_str())
        .with("user_agent", client.user_agent.as_str())
        .with("at", now.to_rfc3339())
        .with(
            "expires_at",
            (now + chrono::Duration::days(AUDIT_RETENTION_DAYS)).timestamp(),
        );
    let by_record = keys::brand::record_trail(entity, id);
    keys::index_in_brand(&mut item, Index::Gsi1, &by_record, &audit_id);
    keys::index_in_brand(
        &mut item,
        Index::Gsi2,
        &keys::brand::actor_trail(actor),
        &audit_id,
    );
    BrandWrite::Put {
        item,
        condition: Condition::Absent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diffs_name_only_changed_fields() {
        let before = json!({"name": "Ana", "email": "a@x.io", "tags": ["vip"]});
        let after = json!({"name": "Ana Lima", "email": "a@x.io", "phone": "+4420"});
        let d = diff(
            before.as_object().unwrap(),
            after.as_object().unwrap(),
            &["name", "email", "phone", "tags"],
        );
        let fields: Vec<&str> = d.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, vec!["name", "phone", "tags"]);
        assert_eq!(d[2].after, Value::Null);
    }
}
