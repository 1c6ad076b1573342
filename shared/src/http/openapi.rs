//! The OpenAPI document, generated from the handlers' annotations.

use super::problem::{FieldError, Problem};
use super::{admin, api_keys, audit, auth, brands, files, meta, public, records, transfer};
use std::sync::OnceLock;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Atelier API", description = "Multi-brand CRM for service studios. Errors are application/problem+json (RFC 9457)."),
    paths(meta::health, meta::openapi_json, auth::signup, auth::login, auth::refresh, auth::logout,
          auth::list_sessions, auth::revoke_session, auth::me, auth::jwks, auth::verify_email,
          auth::reset_request, auth::reset_password, auth::change_password, auth::update_me, auth::delete_me, auth::outbox, auth::apple,
          brands::create, brands::mine, brands::switch, brands::members, brands::change_role, brands::remove,
          api_keys::create, api_keys::list, api_keys::revoke, brands::invite, brands::accept_invitation,
          admin::brands, admin::members, admin::suspend, admin::restore,
          records::duplicates, records::merge, records::convert, records::contact_timeline, records::project_timeline,
          files::upload, files::content, audit::list, transfer::import_contacts, transfer::export_csv,
          transfer::request_export, transfer::list_exports, transfer::get_export, transfer::download_export, public::enquiry),
    components(schemas(meta::Health, Problem, FieldError, auth::SignupRequest, auth::SignupResponse,
        auth::LoginRequest, auth::RefreshRequest, auth::TokenResponse, auth::Jwks, auth::TokenRequest,
        auth::ResetRequest, auth::ResetPasswordRequest, auth::ChangePasswordRequest, auth::UpdateProfileRequest,
        crate::adapters::embedded::OutboxEntry, auth::AppleSignInRequest,
        crate::app::auth::sessions::SessionView, crate::app::auth::accounts::Profile,
        brands::CreateBrandRequest, brands::SwitchBrandRequest, brands::ChangeRoleRequest,
        crate::app::brands::BrandView, crate::app::brands::MemberView, crate::domain::Role,
        api_keys::CreateApiKeyRequest, crate::app::api_keys::ApiKeyView, crate::app::api_keys::CreatedApiKey,
        brands::InviteRequest, crate::app::invitations::InvitationView, crate::app::platform::PlatformBrand,
        audit::AuditPage, crate::app::records::audit_log::AuditEntry,
        crate::app::public_form::PublicEnquiry, crate::app::public_form::Received,
        transfer::ExportList, crate::app::records::exports::ExportView,
        crate::app::records::transfer::ImportRequest, crate::app::records::transfer::ImportReport,
        crate::app::records::transfer::RowIssue, crate::app::records::transfer::DuplicateRow,
        crate::app::records::transfer::OnDuplicate,
        records::RecordPage, records::MergeRequest, records::Timeline, crate::app::records::timeline::TimelineEntry,
        crate::app::records::FieldChange)),
    modifiers(&BearerAuth),
    tags((name = "meta", description = "The service itself"),
         (name = "auth", description = "Accounts, sessions and tokens"),
         (name = "brands", description = "Brands, members and roles"),
         (name = "api-keys", description = "Keys for machines, one brand and role each"),
         (name = "contacts", description = "The people a studio works with"),
         (name = "companies", description = "Organisations contacts belong to"),
         (name = "enquiries", description = "Leads, from new to converted or lost"),
         (name = "projects", description = "Bookings through the pipeline"),
         (name = "tasks", description = "To-dos"),
         (name = "notes", description = "Notes on records"),
         (name = "files", description = "Files attached to records"),
         (name = "pipeline-stages", description = "The brand's pipeline"),
         (name = "custom-fields", description = "The brand's own fields"),
         (name = "audit", description = "Who changed what, when (owners and admins)"),
         (name = "imports-exports", description = "CSV import and export, full JSON export"),
         (name = "public", description = "Unauthenticated: the public enquiry form"),
         (name = "admin", description = "Platform operator (super_admin); every use audited"),
         (name = "dev", description = "Local development only"))
)]
pub struct ApiDoc;

/// Declares the bearer (access token) security scheme the authenticated routes name.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .build();
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The document as JSON, rendered once.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = ApiDoc::openapi();
        doc.info.version = crate::VERSION.to_owned();
        let mut doc = serde_json::to_value(&doc).unwrap_or_default();
        let (mut paths, mut schemas) = (serde_json::Map::new(), serde_json::Map::new());
        for kind in crate::app::records::kinds::ALL {
            // Files are created by upload, not from JSON.
            let create = kind.entity != crate::app::records::kinds::FILE.entity;
            super::record_docs::describe(kind, create, &mut paths, &mut schemas);
        }
        for (name, value) in [("paths", paths), ("components", schemas)] {
            let target = if name == "paths" {
                doc.get_mut("paths")
            } else {
                doc.pointer_mut("/components/schemas")
            };
            if let Some(serde_json::Value::Object(t)) = target {
                for (k, v) in value {
                    match (t.get_mut(&k), v) {
                        // A path with both generated and annotated operations.
                        (Some(serde_json::Value::Object(have)), serde_json::Value::Object(add)) => {
                            have.extend(add)
                        }
                        (_, v) => {
                            t.insert(k, v);
                        }
                    }
                }
            }
        }
        serde_json::to_string(&doc).unwrap_or_else(|_| "{}".to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ROUTES;

    #[test]
    fn every_route_is_documented_and_every_documented_path_is_routed() {
        let doc: serde_json::Value = serde_json::from_str(document()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for r in ROUTES.iter() {
            let method = r.method.as_str().to_lowercase();
            assert!(
                paths.get(r.path).and_then(|p| p.get(&method)).is_some(),
                "{} {} undocumented",
                r.method,
                r.path
            );
        }
        for (path, ops) in paths {
            for method in ops.as_object().unwrap().keys() {
                assert!(
                    ROUTES
                        .iter()
                        .any(|r| r.path == path && r.method.as_str().eq_ignore_ascii_case(method)),
                    "{method} {path} documented but not routed"
                );
            }
        }
    }
}
