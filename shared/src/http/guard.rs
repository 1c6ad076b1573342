//! Who may call a route. Each route in the table declares its guard with its handler (an
//! [`Entry`]); the dispatcher enforces it before the handler runs and hands the handler what
//! it established (the caller, the operator's proof, the brand scope). The OpenAPI
//! document's `security` and the tenancy matrix are read from it.

use super::route::{Entry, HandlerResult};
use super::{Request, principal};
use crate::Ctx;
use crate::app::platform;

/// Checks the entry's guard for `req` and runs its handler with what the guard established:
/// the caller, the operator's proof, or the brand scope (its permission checked).
pub async fn run(ctx: &Ctx, entry: Entry, req: Request) -> HandlerResult {
    match entry {
        Entry::Public(handler) | Entry::Local(handler) => handler(ctx, req).await,
        Entry::User(handler) => {
            let me = principal::authenticate(ctx, &req).await?;
            handler(ctx, me, req).await
        }
        Entry::Operator(handler) => {
            let me = principal::authenticate(ctx, &req).await?;
            let operator = platform::require_operator(ctx, &me.user).await?;
            handler(ctx, operator, req).await
        }
        Entry::Brand(permission, handler) => {
            let scope = principal::scope(ctx, &req).await?;
            scope.require(permission)?;
            handler(ctx, scope, req).await
        }
    }
}
