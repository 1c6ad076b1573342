//! The embedded mailer: each message is a JSON file in `outbox/`, newest last.

use super::blocking;
use crate::ports::mailer::OutboxEntry;
use crate::ports::{Mail, MailError, Mailer};
use async_trait::async_trait;
use std::path::PathBuf;

pub struct Outbox {
    dir: PathBuf,
}

fn unavailable(e: impl std::fmt::Display) -> MailError {
    MailError::Unavailable(e.to_string())
}

impl Outbox {
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, String> {
        let dir = dir.into();
        super::private::dir(&dir).map_err(|e| format!("outbox {}: {e}", dir.display()))?;
        Ok(Self { dir })
    }

    /// Every message sent, oldest first.
    pub async fn list(&self) -> Result<Vec<OutboxEntry>, MailError> {
        let dir = self.dir.clone();
        blocking(
            move || {
                let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
                    .map_err(unavailable)?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect();
                names.sort();
                names
                    .iter()
                    .map(|p| {
                        serde_json::from_slice(&std::fs::read(p).map_err(unavailable)?)
                            .map_err(unavailable)
                    })
                    .collect()
            },
            MailError::Unavailable,
        )
        .await
    }
}

#[async_trait]
impl Mailer for Outbox {
    async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let dir = self.dir.clone();
        let key = crate::app::auth::token_hash(&mail.idempotency_key)[..16].to_owned();
        let entry = OutboxEntry {
            to: mail.to.to_string(),
            subject: mail.subject,
            text: mail.text,
            sent_at: chrono::Utc::now().to_rfc3339(),
        };
        blocking(
            move || {
                // The idempotency key, hashed, ends the file name: a repeat is a no-op.
                let suffix = format!("-{key}.json");
                let repeat = std::fs::read_dir(&dir)
                    .map_err(unavailable)?
                    .filter_map(Result::ok)
                    .any(|e| e.file_name().to_string_lossy().ends_with(&suffix));
                if repeat {
                    return Ok(());
                }
                let name = format!("{}{suffix}", ulid::Ulid::new());
                let tmp = dir.join(format!(".{name}"));
                super::private::write(
                    &tmp,
                    &serde_json::to_vec_pretty(&entry).map_err(unavailable)?,
                )
                .map_err(unavailable)?;
                std::fs::rename(&tmp, dir.join(name)).map_err(unavailable)
            },
            MailError::Unavailable,
        )
        .await
    }
}
