//! Test support for Atelier: fixtures that build each port on both adapters (the AWS ones
//! against an emulator on loopback), and a `TestApp` that boots the local stack on port 0.

pub mod app;
pub mod aws;
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
