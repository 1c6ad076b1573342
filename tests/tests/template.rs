//! Keeps the route table, the function packages and `infra/template.yaml` in step: every
//! route is wired to the function that serves it, every function package has a resource, and
//! the queue contract in the template matches the code's.

use atelier_core::ctx::{
    EXPORTS_MAX_RECEIVES, EXPORTS_VISIBILITY, GMAIL_SYNC_MAX_RECEIVES, GMAIL_SYNC_VISIBILITY,
    MAIL_MAX_RECEIVES, MAIL_VISIBILITY,
};
use atelier_core::http::ROUTES;
use atelier_core::http::route::LOCAL_ONLY;
use std::collections::{BTreeMap, BTreeSet};

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The template's resources: logical id → its lines (indented under it).
fn resources(template: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let mut in_resources = false;
    let mut current: Option<String> = None;
    for line in template.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            in_resources = line.trim_end() == "Resources:";
            current = None;
            continue;
        }
        if !in_resources || line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if indent == 2 {
            let name = line.trim().trim_end_matches(':').to_owned();
            out.insert(name.clone(), Vec::new());
            current = Some(name);
        } else if let Some(name) = &current {
            out.get_mut(name).unwrap().push(line.trim().to_owned());
        }
    }
    out
}

fn value<'a>(lines: &'a [String], key: &str) -> Vec<&'a str> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix(&format!("{key}: ")))
        .map(str::trim)
        .collect()
}

/// (method, path) pairs of HttpApi events.
type Routes = BTreeSet<(String, String)>;

/// Each function resource's binary → its lines and the HTTP routes its events wire.
fn functions(template: &str) -> BTreeMap<String, (Vec<String>, Routes)> {
    let mut out = BTreeMap::new();
    for (_, lines) in resources(template) {
        if !value(&lines, "Type").contains(&"AWS::Serverless::Function") {
            continue;
        }
        let binary = value(&lines, "Binary")
            .first()
            .expect("function without BuildProperties.Binary")
            .to_string();
        let (paths, methods) = (value(&lines, "Path"), value(&lines, "Method"));
        assert_eq!(
            paths.len(),
            methods.len(),
            "{binary}: every HttpApi event has a Path and a Method"
        );
        let routes = paths
            .iter()
            .zip(&methods)
            .map(|(p, m)| (m.to_string(), p.to_string()))
            .collect();
        out.insert(binary, (lines.clone(), routes));
    }
    out
}

fn template() -> String {
    std::fs::read_to_string(root().join("infra/template.yaml")).unwrap()
}

#[test]
fn every_function_package_has_exactly_one_template_resource_and_back() {
    let packages: BTreeSet<String> = std::fs::read_dir(root().join("functions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let in_template: BTreeSet<String> = functions(&template()).into_keys().collect();
    assert_eq!(packages, in_template);
}

#[test]
fn every_route_is_wired_to_its_function_and_nothing_else_is() {
    let functions = functions(&template());
    let mut wired = BTreeSet::new();
    for (binary, (_, routes)) in &functions {
        for r in routes {
            wired.insert((binary.clone(), r.0.clone(), r.1.clone()));
        }
    }
    for r in ROUTES.iter().filter(|r| r.function == LOCAL_ONLY) {
        assert!(
            r.path.starts_with("/dev/"),
            "only /dev/ routes stay local: {}",
            r.path
        );
    }
    let expected: BTreeSet<(String, String, String)> = ROUTES
        .iter()
        .filter(|r| r.function != LOCAL_ONLY)
        .map(|r| {
            (
                r.function.to_owned(),
                r.method.to_string(),
                r.path.to_owned(),
            )
        })
        .collect();
    assert_eq!(wired, expected);
}

#[test]
fn queue_consumers_report_partial_batch_failures_and_match_the_code_contract() {
    let t = template();
    let functions = functions(&t);
    let resources = resources(&t);
    let consumers = [
        (
            "gmail-sync",
            "GmailSyncQueue",
            GMAIL_SYNC_MAX_RECEIVES,
            GMAIL_SYNC_VISIBILITY,
        ),
        (
            "brand-export",
            "ExportsQueue",
            EXPORTS_MAX_RECEIVES,
            EXPORTS_VISIBILITY,
        ),
        ("mail-send", "MailQueue", MAIL_MAX_RECEIVES, MAIL_VISIBILITY),
    ];
    for (function, queue, max_receives, visibility) in consumers {
        let (lines, _) = &functions[function];
        assert!(value(lines, "Type").contains(&"SQS"), "{function}");
        assert!(
            lines.iter().any(|l| l.contains("ReportBatchItemFailures")),
            "{function}"
        );
        assert!(
            value(lines, "Queue").contains(&format!("!GetAtt {queue}.Arn").as_str()),
            "{function} consumes {queue}"
        );
        let queue_lines = &resources[queue];
        assert_eq!(
            value(queue_lines, "maxReceiveCount"),
            vec![max_receives.to_string()],
            "{queue}"
        );
        assert_eq!(
            value(queue_lines, "VisibilityTimeout"),
            vec![visibility.as_secs().to_string()],
            "{queue}"
        );
        assert_eq!(value(queue_lines, "FifoQueue"), vec!["true"], "{queue}");
    }
}

#[test]
fn every_function_builds_with_cargo_lambda_on_arm64() {
    let t = template();
    assert!(t.contains("Architectures: [arm64]"));
    assert!(t.contains("Runtime: provided.al2023"));
    for (binary, (lines, _)) in functions(&t) {
        assert!(
            value(&lines, "BuildMethod").contains(&"rust-cargolambda"),
            "{binary}"
        );
    }
}

/// A function's IAM statements: each `- Effect:` and the lines under it.
fn statements(lines: &[String]) -> Vec<Vec<&str>> {
    let mut out: Vec<Vec<&str>> = Vec::new();
    let mut in_policies = false;
    for l in lines {
        if l.starts_with("Policies:") {
            in_policies = true;
            continue;
        }
        if !in_policies {
            continue;
        }
        if l.starts_with("- Effect:") {
            out.push(vec![l.as_str()]);
        } else if let Some(s) = out.last_mut() {
            s.push(l.as_str());
        }
    }
    out
}

/// The second wall (issue 9, item 2): brand handles assume BrandDataRole with a brand tag,
/// and that role reaches only the tagged brand's rows, files and secrets; the functions' own
/// roles keep brand-row writes only where the work spans brands or platform rows.
#[test]
fn the_brand_data_role_reaches_one_brand_and_function_roles_keep_only_cross_brand_writes() {
    let t = template();
    let resources = resources(&t);
    let role = &resources["BrandDataRole"];
    let has = |needle: &str| role.iter().any(|l| l.contains(needle));
    assert!(value(role, "Type").contains(&"AWS::IAM::Role"));
    assert!(has("Action: [sts:AssumeRole, sts:TagSession]"));
    assert!(
        has("aws:RequestTag/brand: \"?*\""),
        "no session without a brand tag"
    );
    assert!(has(
        r#"dynamodb:LeadingKeys: ["B#${aws:PrincipalTag/brand}", "B#${aws:PrincipalTag/brand}#*"]"#
    ));
    assert!(has(r#""/brands/${aws:PrincipalTag/brand}/*""#));
    assert!(has(
        "kms:EncryptionContext:brand: ${aws:PrincipalTag/brand}"
    ));
    assert!(
        !role.iter().any(|l| l.contains("\"B#*\"")),
        "the role never reaches every brand"
    );
    assert!(value(role, "MaxSessionDuration").contains(&"3600"));
    // Files are encrypted with the bucket's key: the role may use it through S3 alone.
    assert!(has("Resource: !GetAtt DataKey.Arn"));
    assert!(has("kms:ViaService: !Sub s3.${AWS::Region}.amazonaws.com"));
    // Trusted by this stack's function roles alone: they live under the stack's role path.
    assert!(has("role/${AWS::StackName}/*"));
    assert!(t.contains("RolePath: !Sub /${AWS::StackName}/"));

    let env = |name: &str| {
        t.lines()
            .any(|l| l.trim() == format!("{name}: !GetAtt BrandDataRole.Arn"))
    };
    assert!(
        env("ATELIER_BRAND_DATA_ROLE_ARN"),
        "every function is told the role"
    );

    let functions = functions(&t);
    let writes = [
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    ];
    let mut writes_every_brand = BTreeSet::new();
    let mut assumes = BTreeSet::new();
    for (binary, (lines, _)) in &functions {
        for s in statements(lines) {
            let text = s.join("\n");
            if text.contains("sts:AssumeRole") {
                assert!(
                    text.contains("!GetAtt BrandDataRole.Arn"),
                    "{binary}: {text}"
                );
                assumes.insert(binary.as_str());
            }
            if text.contains("\"B#*\"") && writes.iter().any(|w| text.contains(w)) {
                writes_every_brand.insert(binary.as_str());
            }
            assert!(
                !text.contains("/brands/"),
                "{binary}: brands' files are reached on BrandDataRole only"
            );
        }
    }
    // Membership, invitations, API keys and slugs commit with platform rows; the operator's
    // routes are cross-brand; deleting an account revokes its keys in every brand.
    // Everything else writes brand rows on a brand's credentials.
    assert_eq!(
        writes_every_brand,
        BTreeSet::from(["api-admin", "api-auth", "api-brands"])
    );
    assert_eq!(
        assumes,
        BTreeSet::from([
            "api-admin",
            "api-brands",
            "api-crm",
            "brand-export",
            "gmail-sync"
        ])
    );
}

/// Each function is told only the settings it uses: the mail provider's key and sender go to
/// mail-send alone, Sign in with Apple's client id to api-auth alone.
#[test]
fn provider_settings_reach_only_the_functions_that_use_them() {
    let t = template();
    let functions = functions(&t);
    for (setting, only) in [
        ("ATELIER_RESEND_API_KEY", "mail-send"),
        ("ATELIER_MAIL_FROM", "mail-send"),
        ("ATELIER_APPLE_CLIENT_ID", "api-auth"),
    ] {
        let holders: Vec<&str> = functions
            .iter()
            .filter(|(_, (lines, _))| lines.iter().any(|l| l.starts_with(&format!("{setting}:"))))
            .map(|(b, _)| b.as_str())
            .collect();
        assert_eq!(holders, vec![only], "{setting}");
        let global = t
            .split("\nResources:")
            .next()
            .unwrap_or_default()
            .contains(setting);
        assert!(!global, "{setting} is not a global setting");
    }
}
