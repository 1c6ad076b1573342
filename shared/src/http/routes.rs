//! The route table: every HTTP route this build serves, the Lambda function that serves it
//! in AWS, and its entry. Each route group is compiled only into the function that serves it
//! (its cargo feature); the local server serves all of them; `infra/template.yaml` must wire
//! each to its function (a test in `atelier-tests` keeps the three in step).

#![allow(unused_imports)]

#[cfg(feature = "admin")]
use super::admin;
#[cfg(feature = "auth")]
use super::auth;
use super::principal::Principal;
use super::route::{
    Entry, HandlerResult, LOCAL_ONLY, MEMBER, Route, SECRET_PARAMS, brand, local, match_path,
    operator, public, user,
};
use super::{Request, meta};
#[cfg(feature = "brands")]
use super::{api_keys, brands};
#[cfg(feature = "crm")]
use super::{
    audit, files, public,
    records::{
        self, Companies, Contacts, CustomFields, Enquiries, Files, Notes, Projects, Resource,
        Stages, Tasks,
    },
    transfer,
};
use crate::Ctx;
use crate::app::identity::Operator;
use crate::app::tenancy::BrandScope;
use crate::domain::Permission;
use futures::future::BoxFuture;
use http::Method;
use std::sync::LazyLock;

/// A record handler for the kind `$r`, for any member.
#[cfg(feature = "crm")]
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

/// Every route this build serves: each Lambda is built with the features of the routes it
/// serves (see `functions/*/Cargo.toml`); the local stack and the tests build all of them.
pub static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| {
    #[allow(unused_mut)]
    let mut routes = Vec::new();
    #[cfg(feature = "health")]
    routes.extend(health_routes());
    #[cfg(feature = "auth")]
    routes.extend(auth_routes());
    #[cfg(feature = "brands")]
    routes.extend(brand_routes());
    #[cfg(feature = "admin")]
    routes.extend(admin_routes());
    #[cfg(feature = "crm")]
    routes.extend(crm_routes());
    #[cfg(feature = "embedded")]
    routes.extend(local_routes());
    routes
});

/// The service's own routes, served by `api-health`.
#[cfg(feature = "health")]
fn health_routes() -> Vec<Route> {
    vec![
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
    ]
}

/// Accounts, sign-in and sessions, served by `api-auth`.
#[cfg(feature = "auth")]
fn auth_routes() -> Vec<Route> {
    vec![
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
            path: "/auth/apple",
            function: "api-auth",
            entry: public!(auth::apple),
        },
    ]
}

/// Brands, memberships, invitations and API keys, served by `api-brands`.
#[cfg(feature = "brands")]
fn brand_routes() -> Vec<Route> {
    vec![
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
    ]
}

/// The platform operator's routes, served by `api-admin`.
#[cfg(feature = "admin")]
fn admin_routes() -> Vec<Route> {
    vec![
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
    ]
}

/// Developer routes only the local stack serves.
#[cfg(feature = "embedded")]
fn local_routes() -> Vec<Route> {
    vec![Route {
        method: Method::GET,
        path: "/dev/outbox",
        function: LOCAL_ONLY,
        entry: local!(meta::outbox),
    }]
}

/// `GET` list, `POST` create, and `GET`/`PATCH`/`DELETE` one, for a kind of record.
#[cfg(feature = "crm")]
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
#[cfg(feature = "crm")]
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
    #[cfg(feature = "openapi")]
    fn a_build_with_every_group_serves_every_route() {
        // What each group's handlers are (the tests build every group): not an empty table
        // that the test below would pass vacuously.
        for function in [
            "api-health",
            "api-auth",
            "api-brands",
            "api-admin",
            "api-crm",
        ] {
            assert!(ROUTES.iter().any(|r| r.function == function), "{function}");
        }
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
