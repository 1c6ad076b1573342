//! Who may call a route. Each route in the table declares its guard; the dispatcher enforces
//! it before the handler runs and leaves what it established (the caller, the brand scope) in
//! the request, and the OpenAPI document's `security` is read from it.

use super::{ApiError, Request, auth};
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
    /// Any member of the brand (every role and key holds this permission).
    pub const MEMBER: Guard = Guard::Brand(Permission::WriteAssignedRecords);

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

/// Checks `guard` for `req`, and leaves the caller (`auth::Principal`) or the brand scope
/// (`BrandScope`) in its extensions, where `auth::authenticate` and `auth::scope` find them.
pub async fn enforce(ctx: &Ctx, guard: Guard, req: &mut Request) -> Result<(), ApiError> {
    match guard {
        Guard::Public | Guard::Local => {}
        Guard::User => {
            let me = auth::authenticate(ctx, req).await?;
            req.extensions_mut().insert(me);
        }
        Guard::Operator => {
            let me = auth::authenticate(ctx, req).await?;
            platform::require_operator(ctx, &me.user).await?;
            req.extensions_mut().insert(me);
        }
        Guard::Brand(permission) => {
            let scope = auth::scope(ctx, req).await?;
            scope.require(permission)?;
            req.extensions_mut().insert(scope);
        }
    }
    Ok(())
}
