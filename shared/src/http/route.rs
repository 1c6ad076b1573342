//! What a route is: its method, path, the function that serves it, and its entry (guard
//! and handler in one), with the macros that make entries from handlers. The route table
//! itself (`routes`) lists the routes each build serves.

// Each build uses the entry macros (and `MEMBER`) of the route groups it serves.
#![allow(unused_macros, unused_imports)]

use super::principal::Principal;
use super::{ApiError, Request, Response};
use crate::Ctx;
use crate::app::identity::Operator;
use crate::app::tenancy::BrandScope;
use crate::domain::Permission;
use futures::future::BoxFuture;
use http::Method;

/// Who may call a route (see `guard`, which enforces it).
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

pub type HandlerResult = Result<Response, ApiError>;
/// A handler anyone may call.
pub type Open = for<'a> fn(&'a Ctx, Request) -> BoxFuture<'a, HandlerResult>;
/// A handler for a signed-in person, who is handed to it.
pub type ForUser = for<'a> fn(&'a Ctx, Principal, Request) -> BoxFuture<'a, HandlerResult>;
/// A handler for a brand's member or key: it is handed the `BrandScope` the guard made.
pub type ForBrand = for<'a> fn(&'a Ctx, BrandScope, Request) -> BoxFuture<'a, HandlerResult>;
/// A handler for the platform operator: it is handed the proof the guard obtained.
pub type ForOperator = for<'a> fn(&'a Ctx, Operator, Request) -> BoxFuture<'a, HandlerResult>;

/// A route's guard and handler in one: each guard has its own handler type, so a brand
/// handler cannot be written without the scope, nor wired behind a weaker guard.
#[derive(Clone, Copy)]
pub enum Entry {
    Public(Open),
    User(ForUser),
    /// Members (and API keys) of the active brand holding the permission.
    Brand(Permission, ForBrand),
    Operator(ForOperator),
    Local(Open),
}

pub struct Route {
    pub method: Method,
    /// Literal segments and `{name}` parameters, as in OpenAPI.
    pub path: &'static str,
    /// The function package (under `functions/`) that serves this route in AWS, or
    /// [`LOCAL_ONLY`] for developer routes the local stack alone serves.
    pub function: &'static str,
    /// Who may call it and what then runs; the dispatcher checks before the handler runs.
    pub entry: Entry,
}

impl Route {
    /// Who may call it: read by OpenAPI's `security` and the tenancy matrix.
    pub fn guard(&self) -> Guard {
        match self.entry {
            Entry::Public(_) => Guard::Public,
            Entry::User(_) => Guard::User,
            Entry::Brand(p, _) => Guard::Brand(p),
            Entry::Operator(_) => Guard::Operator,
            Entry::Local(_) => Guard::Local,
        }
    }
}

/// Whether `name` may be given more than once on `route`: a record list's filters on list
/// fields (tags, ids), where each given value must be contained.
pub fn repeatable(route: &Route, name: &str) -> bool {
    route.method == Method::GET
        && crate::app::records::kinds::ALL.iter().any(|kind| {
            route.path.strip_prefix('/') == Some(kind.plural)
                && kind.field(name).is_some_and(|f| {
                    crate::app::records::query::filter_shape(f.ty) == Some("contains")
                })
        })
}

/// Any member of the brand (every role and key holds this permission). Routes on
/// `/brands/{id}/…` are guarded at this and check their permission after the path's brand
/// (another brand's id is a 404 before anything else); a member leaving needs none.
#[allow(dead_code)]
pub(super) const MEMBER: Permission = Permission::WriteAssignedRecords;

/// The `function` of routes that are never deployed.
pub const LOCAL_ONLY: &str = "local";

/// `async fn(&Ctx, Request)` as a public entry.
macro_rules! public {
    ($f:path) => {{
        fn boxed<'a>(ctx: &'a Ctx, req: Request) -> BoxFuture<'a, HandlerResult> {
            Box::pin($f(ctx, req))
        }
        Entry::Public(boxed)
    }};
}

/// `async fn(&Ctx, Request)` as a local-stack entry.
macro_rules! local {
    ($f:path) => {{
        fn boxed<'a>(ctx: &'a Ctx, req: Request) -> BoxFuture<'a, HandlerResult> {
            Box::pin($f(ctx, req))
        }
        Entry::Local(boxed)
    }};
}

/// `async fn(&Ctx, Principal, Request)` as a signed-in user's entry.
macro_rules! user {
    ($f:path) => {{
        fn boxed<'a>(ctx: &'a Ctx, me: Principal, req: Request) -> BoxFuture<'a, HandlerResult> {
            Box::pin($f(ctx, me, req))
        }
        Entry::User(boxed)
    }};
}

/// `async fn(&Ctx, Operator, Request)` as the operator's entry.
macro_rules! operator {
    ($f:path) => {{
        fn boxed<'a>(ctx: &'a Ctx, op: Operator, req: Request) -> BoxFuture<'a, HandlerResult> {
            Box::pin($f(ctx, op, req))
        }
        Entry::Operator(boxed)
    }};
}

/// `async fn(&Ctx, BrandScope, Request)` as the entry of a brand's members (and keys)
/// holding `$permission`.
macro_rules! brand {
    ($permission:expr, $f:path) => {{
        fn boxed<'a>(
            ctx: &'a Ctx,
            scope: BrandScope,
            req: Request,
        ) -> BoxFuture<'a, HandlerResult> {
            Box::pin($f(ctx, scope, req))
        }
        Entry::Brand($permission, boxed)
    }};
}

pub(super) use {brand, local, operator, public, user};

/// The largest body a route takes: uploads take files and CSV, everything else JSON.
pub fn body_limit(route: &Route, max_body_bytes: usize) -> usize {
    if route.method == Method::POST && matches!(route.path, "/files" | "/imports/contacts") {
        crate::app::records::files::MAX_FILE_BYTES.max(max_body_bytes)
    } else {
        max_body_bytes
    }
}

/// Path parameters that carry secrets (single-use links). They never reach a log line.
pub const SECRET_PARAMS: &[&str] = &["token"];

/// Matches `path` against a route pattern, returning the path parameters.
pub fn match_path(pattern: &str, path: &str) -> Option<Vec<(String, String)>> {
    let mut params = Vec::new();
    let mut pat = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (pat.next(), got.next()) {
            (None, None) => return Some(params),
            (Some(p), Some(g)) if p.starts_with('{') && p.ends_with('}') => {
                if g.is_empty() {
                    return None;
                }
                params.push((p[1..p.len() - 1].to_owned(), g.to_owned()));
            }
            (Some(p), Some(g)) if p == g => {}
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_exactly_and_capture_parameters() {
        assert_eq!(match_path("/health", "/health"), Some(vec![]));
        assert_eq!(match_path("/health", "/health/"), None);
        assert_eq!(match_path("/health", "/healthz"), None);
        assert_eq!(
            match_path("/contacts/{id}", "/contacts/01J"),
            Some(vec![("id".to_owned(), "01J".to_owned())])
        );
        assert_eq!(match_path("/contacts/{id}", "/contacts/"), None);
        assert_eq!(match_path("/contacts/{id}", "/contacts/a/b"), None);
    }
}
