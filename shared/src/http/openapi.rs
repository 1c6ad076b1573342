//! The OpenAPI document, generated from the handlers' annotations.

use super::problem::{FieldError, Problem};
use super::{
    admin, api_keys, audit, auth, brands, files, meta, principal, public, records, transfer,
};
use std::sync::OnceLock;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Atelier API", description = "Multi-brand CRM for service studios. Errors are application/problem+json (RFC 9457)."),
    paths(meta::health, meta::openapi_json, auth::signup, auth::login, auth::refresh, auth::logout,
          auth::list_sessions, auth::revoke_session, auth::me, auth::jwks, auth::verify_email,
          auth::reset_request, auth::reset_password, auth::change_password, auth::update_me, auth::delete_me, meta::outbox, auth::apple,
          brands::create, brands::mine, brands::switch, brands::members, brands::change_role, brands::remove,
          api_keys::create, api_keys::list, api_keys::revoke, brands::invite, brands::accept_invitation,
          admin::brands, admin::members, admin::suspend, admin::restore,
          records::duplicates, records::merge, records::convert, records::contact_timeline, records::project_timeline,
          files::upload, files::content, audit::list, transfer::import_contacts, transfer::export_csv,
          transfer::request_export, transfer::list_exports, transfer::get_export, transfer::download_export, public::enquiry),
    components(schemas(meta::Health, Problem, FieldError, auth::SignupRequest, auth::SignupResponse,
        auth::LoginRequest, auth::RefreshRequest, principal::TokenResponse, auth::Jwks, auth::TokenRequest,
        auth::ResetRequest, auth::ResetPasswordRequest, auth::ChangePasswordRequest, auth::UpdateProfileRequest,
        crate::ports::mailer::OutboxEntry, auth::AppleSignInRequest,
        crate::app::auth::sessions::SessionView, crate::app::identity::Profile,
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
        describe_upload(&mut doc);
        describe_public_form(&mut doc);
        describe_conversion(&mut doc);
        super::openapi_rules::complete(&mut doc);
        serde_json::to_string(&doc).unwrap_or_else(|_| "{}".to_owned())
    })
}

/// The document as `openapi.json` holds it: pretty, so a change to the API reads as a diff.
pub fn pretty() -> String {
    let doc: serde_json::Value = serde_json::from_str(document()).unwrap_or_default();
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// The upload's body is the file, as one of the types the upload checks; its name and the
/// record it goes on are a file record's fields.
fn describe_upload(doc: &mut serde_json::Value) {
    use crate::app::records::kinds::FILE;
    use serde_json::{Value, json};
    let Some(upload) = doc.pointer_mut("/paths/~1files/post") else {
        return;
    };
    let content: serde_json::Map<String, Value> = crate::app::records::files::accepted_types()
        .into_iter()
        .map(|t| {
            (
                t.to_owned(),
                json!({"schema": {"type": "string", "format": "binary"}}),
            )
        })
        .collect();
    upload["requestBody"]["content"] = Value::Object(content.clone());
    upload["responses"]["201"] = json!({
        "description": "the file's record",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/File"}}},
        "links": super::record_docs::links_from_created(&FILE),
    });
    if let Some(download) = doc.pointer_mut("/paths/~1files~1{id}~1content/get/responses/200") {
        download["content"] = Value::Object(content);
    }
    let Some(upload) = doc.pointer_mut("/paths/~1files/post") else {
        return;
    };
    if let Some(Value::Array(params)) = upload.get_mut("parameters") {
        for p in params.iter_mut() {
            let field = p["name"].as_str().unwrap_or_default().to_owned();
            if FILE.field(&field).is_some() {
                let mut schema = super::record_docs::input_field_schema(&FILE, &field);
                if field == "record" {
                    // On upload it is optional, and names where the file goes.
                    schema = json!({"type": "string", "pattern": schema["pattern"].clone(), "x-references": "record"});
                }
                p["schema"] = schema;
            }
        }
    }
}

/// The public form's fields are checked as the contact and enquiry fields they become.
fn describe_public_form(doc: &mut serde_json::Value) {
    use super::record_docs::{input_field_schema, input_type_schema};
    use crate::app::records::kinds::{CONTACT, ENQUIRY};
    use crate::app::records::spec::Ty;
    use serde_json::{Value, json};
    let Some(Value::Object(props)) =
        doc.pointer_mut("/components/schemas/PublicEnquiry/properties")
    else {
        return;
    };
    for (name, schema) in props.iter_mut() {
        let described = match name.as_str() {
            "name" | "email" | "phone" => input_field_schema(&CONTACT, name),
            "website" => continue,
            utm if utm.starts_with("utm_") => input_type_schema(Ty::Text(200)),
            field => input_field_schema(&ENQUIRY, field),
        };
        let doc_text = schema.get("description").cloned();
        *schema = described;
        if let Some(d) = doc_text {
            schema["description"] = d;
        }
    }
    if let Some(form) = doc.pointer_mut("/components/schemas/PublicEnquiry") {
        let given = |f: &str| json!({"required": [f], "properties": {f: {"type": "string"}}});
        form["anyOf"] = json!([given("email"), given("phone")]);
        form["x-rules"] = json!([{"rule": "at_least", "high": "budget_max", "low": "budget_min"}]);
    }
}

/// Converting an enquiry takes a project's fields (each optional: the rest come from the
/// enquiry) and answers the project; a merge answers the contact kept.
fn describe_conversion(doc: &mut serde_json::Value) {
    use serde_json::{Value, json};
    if let Some(mut overrides) = doc.pointer("/components/schemas/ProjectCreate").cloned() {
        if let Some(o) = overrides.as_object_mut() {
            o.remove("required");
        }
        if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
            schemas.insert("ProjectFromEnquiry".into(), overrides);
        }
    }
    let body = |name: &str| json!({"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}});
    if let Some(convert) = doc.pointer_mut("/paths/~1enquiries~1{id}~1convert/post") {
        convert["requestBody"] = json!({"required": false, "content": body("ProjectFromEnquiry")});
        convert["responses"]["201"]["content"] = body("Project");
    }
    if let Some(merge) = doc.pointer_mut("/paths/~1contacts~1{id}~1merge/post") {
        merge["responses"]["200"]["content"] = body("Contact");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ROUTES;

    #[test]
    fn the_served_document_is_the_one_the_code_generates() {
        let served: serde_json::Value =
            serde_json::from_str(crate::http::meta::OPENAPI).expect("shared/openapi.json is JSON");
        let generated: serde_json::Value = serde_json::from_str(document()).unwrap();
        assert!(
            served == generated,
            "shared/openapi.json is not what the code generates: run `cargo xtask openapi`"
        );
    }

    fn operations() -> Vec<(String, String, serde_json::Value)> {
        let doc: serde_json::Value = serde_json::from_str(document()).unwrap();
        let mut out = Vec::new();
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for (method, op) in ops.as_object().unwrap() {
                out.push((path.clone(), method.clone(), op.clone()));
            }
        }
        out
    }

    #[test]
    fn every_error_is_a_documented_problem_and_every_operation_lists_what_its_shape_can_get() {
        for (path, method, op) in operations() {
            let responses = op["responses"].as_object().unwrap();
            for (code, response) in responses {
                if code.parse::<u16>().unwrap() >= 400 {
                    let content = response["content"].as_object().unwrap();
                    assert_eq!(
                        content.keys().collect::<Vec<_>>(),
                        ["application/problem+json"],
                        "{method} {path} {code}"
                    );
                }
            }
            let has = |code: &str| responses.contains_key(code);
            assert!(has("429") && has("503"), "{method} {path}");
            if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                assert!(has("401") && has("403"), "{method} {path}");
            }
            if op
                .pointer("/requestBody/content/application~1json")
                .is_some()
            {
                for code in ["400", "413", "415", "422"] {
                    assert!(has(code), "{method} {path} lacks {code}");
                }
            }
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "path" {
                    assert!(has("404"), "{method} {path}");
                }
                if p["name"] == "If-Match" {
                    assert!(p["schema"]["pattern"].is_string(), "{method} {path}");
                    let named = |rule: &serde_json::Value| rule["rule"] == "version_required";
                    let stated = op["x-rules"]
                        .as_array()
                        .is_some_and(|r| r.iter().any(named));
                    assert_eq!(stated, method != "delete", "{method} {path}");
                }
                if p["name"] == "limit" {
                    assert_eq!(p["schema"]["minimum"], 1, "{method} {path}");
                    assert_eq!(p["schema"]["maximum"], 100, "{method} {path}");
                }
            }
        }
    }

    #[test]
    fn each_create_links_to_reading_changing_and_deleting_what_it_made() {
        let ids: std::collections::HashSet<String> = operations()
            .into_iter()
            .filter_map(|(_, _, op)| op["operationId"].as_str().map(str::to_owned))
            .collect();
        let doc: serde_json::Value = serde_json::from_str(document()).unwrap();
        let mut checked = 0;
        for kind in crate::app::records::kinds::ALL {
            let created = &doc["paths"][format!("/{}", kind.plural)]["post"]["responses"]["201"];
            checked += 1;
            for link in ["Read", "Change", "Delete"] {
                let target = created["links"][link]["operationId"].as_str().unwrap();
                assert!(ids.contains(target), "{} {link} → {target}", kind.entity);
                assert_eq!(
                    created["links"][link]["parameters"]["path.id"],
                    "$response.body#/id"
                );
            }
        }
        assert_eq!(checked, crate::app::records::kinds::ALL.len());
    }

    #[test]
    fn rules_between_fields_are_stated_where_the_validator_applies_them() {
        let doc: serde_json::Value = serde_json::from_str(document()).unwrap();
        let create = &doc["components"]["schemas"]["EnquiryCreate"];
        let rules = create["x-rules"].as_array().unwrap();
        assert!(
            rules
                .iter()
                .any(|r| r["rule"] == "at_least" && r["high"] == "budget_max")
        );
        // `converted` comes only through /convert, so no write may name it.
        let statuses = create["properties"]["status"]["enum"].as_array().unwrap();
        assert!(!statuses.contains(&serde_json::Value::from("converted")));
        let lost = &create["allOf"][0]["anyOf"];
        assert_eq!(lost[1]["required"][0], "lost_reason");
    }

    #[test]
    fn security_is_the_guard_column() {
        let doc: serde_json::Value = serde_json::from_str(document()).unwrap();
        for r in ROUTES.iter() {
            let op = &doc["paths"][r.path][r.method.as_str().to_lowercase()];
            assert_eq!(
                op["x-guard"],
                r.guard().describe(),
                "{} {}",
                r.method,
                r.path
            );
            assert_eq!(
                op.get("security").is_some(),
                r.guard().needs_credentials(),
                "{} {}",
                r.method,
                r.path
            );
        }
    }

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
