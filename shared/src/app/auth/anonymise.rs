//! The retention sweep's half of account deletion: anonymising deleted accounts once their
//! audit window has passed (`accounts::delete_account` queues them).

use super::{AuthError, Client, audit};
use crate::Ctx;
use crate::domain::Email;
use crate::keys::platform as keys;
use crate::ports::{Condition, StoreError, Update, Write};
use keys::{apple as apple_key, email as email_key, profile as profile_key};
use serde_json::Value;

/// Anonymises every deleted account whose audit window has passed: the profile keeps its id
/// (audit records point at it) but loses name, email, password and Apple link, and the email
/// is free again. Returns how many were anonymised.
pub async fn anonymise_due(ctx: &Ctx) -> Result<usize, AuthError> {
    let now = ctx.clock.now();
    let due = keys::anonymise_due_by(now.timestamp());
    let mut done = 0;
    loop {
        let q = keys::anonymise_queue().sort(due.clone()).limit(100);
        let page = ctx.table.query(q).await?;
        if page.items.is_empty() {
            return Ok(done);
        }
        for profile in page.items {
            let Some(user) = keys::user_of_profile(&profile.key) else {
                continue;
            };
            let version = profile.version().unwrap_or(0);
            let update = keys::leave_anonymise_queue(Update::new())
                .set("name", "Deleted user")
                .set("status", "anonymised")
                .set("anonymised_at", now.to_rfc3339())
                .set("version", version + 1)
                .remove("email")
                .remove("password_hash")
                .remove("apple_sub");
            let mut writes = vec![Write::Update {
                key: profile_key(&user),
                update,
                condition: Condition::VersionEquals(version),
            }];
            if let Some(email) = profile
                .get("email")
                .and_then(Value::as_str)
                .and_then(|e| Email::parse(e).ok())
            {
                // Only this account's claim on the address is released.
                let mine = Condition::AttrEquals("user".into(), Value::from(user.to_string()));
                if ctx
                    .table
                    .get(&email_key(&email))
                    .await?
                    .is_some_and(|i| mine.holds(Some(&i)))
                {
                    writes.push(Write::Delete {
                        key: email_key(&email),
                        condition: mine,
                    });
                }
            }
            if let Some(sub) = profile.get("apple_sub").and_then(Value::as_str) {
                writes.push(Write::Delete {
                    key: apple_key(sub),
                    condition: Condition::None,
                });
            }
            writes.push(audit::record_as(
                ctx,
                "retention-sweep",
                "account.anonymised",
                &format!("user:{user}"),
                &Client::default(),
            ));
            match ctx.table.transact(writes).await {
                Ok(()) => done += 1,
                // Changed meanwhile; the next sweep sees it again.
                Err(StoreError::TransactionConditionFailed { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}
