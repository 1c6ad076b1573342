//! Test support for Atelier: fixtures that build each port on both adapters (the AWS ones
//! against an emulator on loopback), and a `TestApp` that boots the local stack on port 0.

pub mod app;
pub mod aws;
pub mod fake;
pub mod fixtures;

/// Generates one test per adapter for a conformance case:
/// `both!(case, make_embedded, make_aws)` makes `case::embedded` and `case::aws`, each
/// running `case(&fixture)` on a fresh fixture from the named function in scope.
#[macro_export]
macro_rules! both {
    ($case:ident, $embedded:ident, $aws:ident) => {
        mod $case {
            #[tokio::test]
            async fn embedded() {
                let fixture = super::$embedded().await;
                super::$case(&fixture).await;
            }

            #[tokio::test]
            async fn aws() {
                let fixture = super::$aws().await;
                super::$case(&fixture).await;
            }
        }
    };
}

use atelier_core::Ctx;
use atelier_core::app::mailbox_notices;
use atelier_core::domain::{BrandId, Email, HistoryId};

/// Waits (up to ten seconds) for the in-process gmail-sync consumer to record a watermark
/// for the mailbox, and returns what it recorded.
pub async fn watermark_eventually(
    ctx: &Ctx,
    brand: &BrandId,
    mailbox: &Email,
) -> Option<HistoryId> {
    for _ in 0..100 {
        if let Some(seen) = mailbox_notices::current(ctx, brand, mailbox).await.unwrap() {
            return Some(seen);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    None
}
