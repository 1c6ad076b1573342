//! Who may call a route. Each route in the table declares its guard with its handler (an
//! [`Entry`]); the dispatcher enforces it before the handler runs and hands the handler what
//! it established (the caller, the operator's proof, the brand scope). The OpenAPI
//! document's `security` and the tenancy matrix are read from it.

use super::routes::{Entry, HandlerResult};
use super::{Request, auth};
use crate::Ctx;
use crate::app::platform;
use crate::domain::Permission;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Anyone: sign-up, login, the public form (each applies its own limits).
    Public,
    /// A signed-in person, with or without an active brand: their account, sessions, brands.
    User,
    /// A member (or API key) of the active brand holding the permission. Finer checks (a
    /// role's reach over another member, a person rather than a key) stay in the app layer.
    Brand(Permission),
    /// A platform operator (super_admin).
    Operator,
    /// The local stack's developer routes; never deployed.
    Local,
}

impl Guard {
    /// Whether the route needs credentials.
    pub fn needs_credentials(self) -> bool {
        !matches!(self, Guard::Public | Guard::Local)
    }

    /// How the OpenAPI document names it (`x-guard`).
    pub fn describe(self) -> String {
        match self {
            Guard::Public => "public".into(),
            Guard::User => "user".into(),
            Guard::Brand(p) => format!("brand:{}", p.as_str()),
            Guard::Operator => "operator".into(),
            Guard::Local => "local".into(),
        }
    }
}

/// Checks the entry's guard for `req` and runs its handler with what the guard established:
/// the caller, the operator's proof, or the brand scope (its permission checked).
pub async fn run(ctx: &Ctx, entry: Entry, req: Request) -> HandlerResult {
    match entry {
        Entry::Public(handler) | Entry::Local(handler) => handler(ctx, req).await,
        Entry::User(handler) => {
            let me = auth::authenticate(ctx, &req).await?;
            handler(ctx, me, req).await
        }
        Entry::Operator(handler) => {
            let me = auth::authenticate(ctx, &req).await?;
            let operator = platform::require_operator(ctx, &me.user).await?;
            handler(ctx, operator, req).await
        }
        Entry::Brand(permission, handler) => {
            let scope = auth::scope(ctx, &req).await?;
            scope.require(permission)?;
            handler(ctx, scope, req).await
        }
    }
}
