//! The route table: every HTTP route, the Lambda function that serves it in AWS, and its
//! handler. The local server serves all of them; `infra/template.yaml` must wire each to its
//! function (a test in `atelier-tests` keeps the three in step).

use super::auth::Principal;
use super::guard::Guard;
use super::records::{
    self, Companies, Contacts, CustomFields, Enquiries, Files, Notes, Projects, Resource, Stages,
    Tasks,
};
use super::{
    ApiError, Request, Response, admin, api_keys, audit, auth, brands, files, meta, public,
    transfer,
};
use crate::Ctx;
use crate::app::platform::Operator;
use crate::app::tenancy::BrandScope;
use crate::domain::Permission;
use futures::future::BoxFuture;
use http::Method;
use std::sync::LazyLock;

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
const MEMBER: Permission = Permission::WriteAssignedRecords;

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

/// A record handler for the kind `$r`, for any member.
macro_rules! per_kind {
    ($f:ident, $r:ty) => {{
        fn boxed<'a, R: Resource>(
            ctx: &'a Ctx,
            scope: BrandScope,
            req: Request,
        ) -> BoxFuture<'a, HandlerResult> {
            Box::pin(records::$f::<R>(ctx, scope, req))
        }
        Entry::Brand(MEMBER, boxed::<$r>)
    }};
}

pub static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| {
    let mut routes = vec![
        Route {
            method: Method::GET,
            path: "/health",
            function: "api-health",
            entry: public!(meta::health),
        },
        Route {
            method: Method::GET,
            path: "/openapi.json",
            function: "api-health",
            entry: public!(meta::openapi_json),
        },
        Route {
            method: Method::POST,
            path: "/auth/signup",
            function: "api-auth",
            entry: public!(auth::signup),
        },
        Route {
            method: Method::POST,
            path: "/auth/login",
            function: "api-auth",
            entry: public!(auth::login),
        },
        Route {
            method: Method::POST,
            path: "/auth/refresh",
            function: "api-auth",
            entry: public!(auth::refresh),
        },
        Route {
            method: Method::POST,
            path: "/auth/logout",
            function: "api-auth",
            entry: public!(auth::logout),
        },
        Route {
            method: Method::GET,
            path: "/auth/sessions",
            function: "api-auth",
            entry: user!(auth::list_sessions),
        },
        Route {
            method: Method::DELETE,
            path: "/auth/sessions/{id}",
            function: "api-auth",
            entry: user!(auth::revoke_session),
        },
        Route {
            method: Method::GET,
            path: "/me",
            function: "api-auth",
            entry: user!(auth::me),
        },
        Route {
            method: Method::GET,
            path: "/.well-known/jwks.json",
            function: "api-auth",
            entry: public!(auth::jwks),
        },
        Route {
            method: Method::POST,
            path: "/auth/verify-email",
            function: "api-auth",
            entry: public!(auth::verify_email),
        },
        Route {
            method: Method::POST,
            path: "/auth/password/reset-request",
            function: "api-auth",
            entry: public!(auth::reset_request),
        },
        Route {
            method: Method::POST,
            path: "/auth/password/reset",
            function: "api-auth",
            entry: public!(auth::reset_password),
        },
        Route {
            method: Method::POST,
            path: "/auth/password/change",
            function: "api-auth",
            entry: user!(auth::change_password),
        },
        Route {
            method: Method::PATCH,
            path: "/me",
            function: "api-auth",
            entry: user!(auth::update_me),
        },
        Route {
            method: Method::DELETE,
            path: "/me",
            function: "api-auth",
            entry: user!(auth::delete_me),
        },
        Route {
            method: Method::POST,
            path: "/brands/{id}/invitations",
            function: "api-brands",
            entry: brand!(MEMBER, brands::invite),
        },
        Route {
            method: Method::POST,
            path: "/invitations/{token}/accept",
            function: "api-brands",
            entry: user!(brands::accept_invitation),
        },
        Route {
            method: Method::POST,
            path: "/api-keys",
            function: "api-brands",
            entry: brand!(Permission::ManageApiKeys, api_keys::create),
        },
        Route {
            method: Method::GET,
            path: "/api-keys",
            function: "api-brands",
            entry: brand!(Permission::ManageApiKeys, api_keys::list),
        },
        Route {
            method: Method::DELETE,
            path: "/api-keys/{id}",
            function: "api-brands",
            entry: brand!(Permission::ManageApiKeys, api_keys::revoke),
        },
        Route {
            method: Method::POST,
            path: "/auth/apple",
            function: "api-auth",
            entry: public!(auth::apple),
        },
        Route {
            method: Method::GET,
            path: "/admin/brands",
            function: "api-admin",
            entry: operator!(admin::brands),
        },
        Route {
            method: Method::GET,
            path: "/admin/brands/{id}/members",
            function: "api-admin",
            entry: operator!(admin::members),
        },
        Route {
            method: Method::POST,
            path: "/admin/brands/{id}/suspend",
            function: "api-admin",
            entry: operator!(admin::suspend),
        },
        Route {
            method: Method::POST,
            path: "/admin/brands/{id}/restore",
            function: "api-admin",
            entry: operator!(admin::restore),
        },
        Route {
            method: Method::GET,
            path: "/dev/outbox",
            function: "local",
            entry: local!(auth::outbox),
        },
        Route {
            method: Method::POST,
            path: "/auth/switch-brand",
            function: "api-brands",
            entry: user!(brands::switch),
        },
        Route {
            method: Method::POST,
            path: "/brands",
            function: "api-brands",
            entry: user!(brands::create),
        },
        Route {
            method: Method::GET,
            path: "/brands",
            function: "api-brands",
            entry: user!(brands::mine),
        },
        Route {
            method: Method::GET,
            path: "/brands/{id}/members",
            function: "api-brands",
            entry: brand!(MEMBER, brands::members),
        },
        Route {
            method: Method::PATCH,
            path: "/brands/{id}/members/{user_id}",
            function: "api-brands",
            entry: brand!(MEMBER, brands::change_role),
        },
        Route {
            method: Method::DELETE,
            path: "/brands/{id}/members/{user_id}",
            function: "api-brands",
            entry: brand!(MEMBER, brands::remove),
        },
    ];
    routes.extend(crm_routes());
    routes
});

/// `GET` list, `POST` create, and `GET`/`PATCH`/`DELETE` one, for a kind of record.
fn crud<R: Resource>(function: &'static str) -> [Route; 5] {
    let list: &'static str = Box::leak(format!("/{}", R::KIND.plural).into_boxed_str());
    let one: &'static str = Box::leak(format!("/{}/{{id}}", R::KIND.plural).into_boxed_str());
    let route = |method, path, entry| Route {
        method,
        path,
        function,
        entry,
    };
    [
        route(Method::GET, list, per_kind!(list, R)),
        route(Method::POST, list, per_kind!(create, R)),
        route(Method::GET, one, per_kind!(get, R)),
        route(Method::PATCH, one, per_kind!(update, R)),
        route(Method::DELETE, one, per_kind!(delete, R)),
    ]
}

/// The CRM's routes, all served by `api-crm`.
fn crm_routes() -> Vec<Route> {
    const CRM: &str = "api-crm";
    let route = |method, path, entry| Route {
        method,
        path,
        function: CRM,
        entry,
    };
    let mut routes: Vec<Route> = [
        crud::<Contacts>(CRM),
        crud::<Companies>(CRM),
        crud::<Enquiries>(CRM),
        crud::<Projects>(CRM),
        crud::<Tasks>(CRM),
        crud::<Notes>(CRM),
        crud::<Stages>(CRM),
        crud::<CustomFields>(CRM),
    ]
    .into_iter()
    .flatten()
    .collect();
    // Files are created by upload.
    routes.extend(
        crud::<Files>(CRM)
            .into_iter()
            .filter(|r| r.method != Method::POST),
    );
    routes.extend([
        route(
            Method::GET,
            "/contacts/{id}/duplicates",
            brand!(MEMBER, records::duplicates),
        ),
        route(
            Method::POST,
            "/contacts/{id}/merge",
            brand!(MEMBER, records::merge),
        ),
        route(
            Method::GET,
            "/contacts/{id}/timeline",
            brand!(MEMBER, records::contact_timeline),
        ),
        route(
            Method::GET,
            "/projects/{id}/timeline",
            brand!(MEMBER, records::project_timeline),
        ),
        route(
            Method::POST,
            "/enquiries/{id}/convert",
            brand!(MEMBER, records::convert),
        ),
        route(Method::POST, "/files", brand!(MEMBER, files::upload)),
        route(
            Method::GET,
            "/audit",
            brand!(Permission::ViewAudit, audit::list),
        ),
        route(
            Method::POST,
            "/public/{brand_slug}/enquiries",
            public!(public::enquiry),
        ),
        route(
            Method::POST,
            "/imports/contacts",
            brand!(MEMBER, transfer::import_contacts),
        ),
        route(
            Method::GET,
            "/exports/csv/{entity}",
            brand!(Permission::ExportData, transfer::export_csv),
        ),
        route(
            Method::POST,
            "/exports",
            brand!(Permission::ExportData, transfer::request_export),
        ),
        route(
            Method::GET,
            "/exports",
            brand!(Permission::ExportData, transfer::list_exports),
        ),
        route(
            Method::GET,
            "/exports/{id}",
            brand!(Permission::ExportData, transfer::get_export),
        ),
        route(
            Method::GET,
            "/exports/{id}/download",
            brand!(Permission::ExportData, transfer::download_export),
        ),
        route(
            Method::GET,
            "/files/{id}/content",
            brand!(MEMBER, files::content),
        ),
    ]);
    routes
}

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

/// Builds the route table and what is derived from it, so a cold start's first request does
/// not pay for them.
pub fn prime() {
    LazyLock::force(&ROUTES);
    LazyLock::force(&SECRET_PATTERNS);
}

/// The patterns of the routes with a secret in their path, found once.
static SECRET_PATTERNS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    ROUTES
        .iter()
        .map(|r| r.path)
        .filter(|p| {
            p.split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .any(|name| SECRET_PARAMS.contains(&name))
        })
        .collect()
});

/// The request path as logs may show it: a secret path parameter of the route it matches
/// is replaced by `[redacted]`. A path no such route matches is shown as it came.
pub fn loggable_path(path: &str) -> String {
    let Some(pattern) = SECRET_PATTERNS
        .iter()
        .find(|p| match_path(p, path).is_some())
    else {
        return path.to_owned();
    };
    pattern
        .split('/')
        .zip(path.split('/'))
        .map(
            |(p, got)| match p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) if SECRET_PARAMS.contains(&name) => "[redacted]",
                _ => got,
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

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
    fn secret_path_parameters_are_redacted_for_logs() {
        assert_eq!(
            loggable_path("/invitations/s3cr3t/accept"),
            "/invitations/[redacted]/accept"
        );
        assert_eq!(loggable_path("/contacts/01J"), "/contacts/01J");
    }

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

    #[test]
    fn no_two_routes_share_method_and_path() {
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES.iter() {
            assert!(
                seen.insert((r.method.clone(), r.path)),
                "{} {} twice",
                r.method,
                r.path
            );
        }
    }
}
