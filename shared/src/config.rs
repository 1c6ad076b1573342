//! Configuration from the environment, read once per cold start. Every variable is listed in
//! the README's configuration table.

use std::path::PathBuf;

/// Which adapters back the ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Embedded,
    Aws,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Embedded => "embedded",
            Backend::Aws => "aws",
        }
    }
}

impl std::str::FromStr for Backend {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, ConfigError> {
        match s {
            "embedded" => Ok(Backend::Embedded),
            "aws" => Ok(Backend::Aws),
            other => Err(ConfigError(format!(
                "ATELIER_BACKEND must be embedded or aws, not {other:?}"
            ))),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

/// Names of AWS resources, from the SAM template's outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsResources {
    pub table: String,
    pub secrets_key_id: String,
    pub bucket: String,
    pub gmail_sync_queue_url: String,
    pub gmail_sync_dlq_url: String,
    /// SQS FIFO queue of brand export jobs, and its DLQ.
    pub exports_queue_url: String,
    pub exports_dlq_url: String,
    /// SQS FIFO queue of outgoing mail jobs (sealed), and its DLQ.
    pub mail_queue_url: String,
    pub mail_dlq_url: String,
    /// KMS asymmetric key (ECC_NIST_P256, SIGN_VERIFY) that signs access tokens.
    pub signing_key_id: String,
    /// The role brand handles assume, tagged with their brand, to reach that brand's rows
    /// only.
    pub brand_data_role_arn: String,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub backend: Backend,
    pub data_dir: PathBuf,
    /// Browser-app origins allowed by CORS (exact match).
    pub cors_origins: Vec<String>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    pub aws: Option<AwsResources>,
    /// `iss` and `aud` of access tokens.
    pub jwt_issuer: String,
    pub jwt_audience: String,
    /// The browser app's base URL, for links in emails.
    pub app_url: String,
    /// The From of outbound email.
    pub mail_from: String,
    /// Send email through Resend; without it, email goes to the local outbox.
    pub resend: Option<Resend>,
    /// Sign in with Apple: our Services ID (the tokens' `aud`) and Apple's keys URL.
    pub apple: Option<Apple>,
    /// The local HTTP server's limits (API Gateway and Lambda have their own).
    pub local_server: LocalServer,
}

/// What one client may hold of the local server: a slow or idle client is cut off, and
/// connections beyond the cap wait in the kernel's backlog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalServer {
    /// The request line and headers must arrive within this; also how long a kept-alive
    /// connection may sit idle between requests.
    pub header_timeout: std::time::Duration,
    /// The whole body must arrive within this.
    pub body_timeout: std::time::Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Default for LocalServer {
    fn default() -> Self {
        Self {
            header_timeout: std::time::Duration::from_secs(10),
            body_timeout: std::time::Duration::from_secs(30),
            max_connections: 256,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Apple {
    pub client_id: String,
    pub keys_url: String,
}

#[derive(Debug, Clone)]
pub struct Resend {
    pub api_key: secrecy::SecretString,
    pub base_url: String,
}

pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
pub const DEFAULT_DATA_DIR: &str = ".atelier";
pub const DEFAULT_JWT_ISSUER: &str = "atelier";
pub const DEFAULT_JWT_AUDIENCE: &str = "atelier-api";
pub const DEFAULT_APP_URL: &str = "http://localhost:5173";
pub const DEFAULT_MAIL_FROM: &str = "Atelier <no-reply@atelier.localhost>";
pub const DEFAULT_RESEND_URL: &str = "https://api.resend.com";

impl Config {
    /// A configuration for the embedded backend in `data_dir`.
    pub fn embedded(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            backend: Backend::Embedded,
            data_dir: data_dir.into(),
            cors_origins: vec!["http://localhost:5173".into()],
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            aws: None,
            jwt_issuer: DEFAULT_JWT_ISSUER.into(),
            jwt_audience: DEFAULT_JWT_AUDIENCE.into(),
            app_url: DEFAULT_APP_URL.into(),
            mail_from: DEFAULT_MAIL_FROM.into(),
            resend: None,
            apple: None,
            local_server: LocalServer::default(),
        }
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `var`, so tests need not touch the process environment.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let backend = var("ATELIER_BACKEND")
            .as_deref()
            .unwrap_or("embedded")
            .parse()?;
        let data_dir = var("ATELIER_DATA_DIR")
            .unwrap_or_else(|| DEFAULT_DATA_DIR.into())
            .into();
        let cors_origins = match var("ATELIER_CORS_ORIGINS") {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_owned)
                .collect(),
            None => vec!["http://localhost:5173".into()],
        };
        for origin in &cors_origins {
            if !(origin.starts_with("https://") || origin.starts_with("http://"))
                || origin.ends_with('/')
            {
                return Err(ConfigError(format!(
                    "ATELIER_CORS_ORIGINS: {origin:?} is not an origin"
                )));
            }
        }
        let positive = |name: &str, default: usize| -> Result<usize, ConfigError> {
            match var(name) {
                Some(n) => n
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| ConfigError(format!("{name} must be a positive integer"))),
                None => Ok(default),
            }
        };
        let max_body_bytes = positive("ATELIER_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)?;
        let defaults = LocalServer::default();
        let seconds = |name: &str, default: std::time::Duration| {
            positive(name, default.as_secs() as usize)
                .map(|s| std::time::Duration::from_secs(s as u64))
        };
        let local_server = LocalServer {
            header_timeout: seconds("ATELIER_HEADER_TIMEOUT_SECS", defaults.header_timeout)?,
            body_timeout: seconds("ATELIER_BODY_TIMEOUT_SECS", defaults.body_timeout)?,
            max_connections: positive("ATELIER_MAX_CONNECTIONS", defaults.max_connections)?,
        };
        let aws = match backend {
            Backend::Embedded => None,
            Backend::Aws => {
                let need = |name: &str| {
                    var(name).ok_or_else(|| {
                        ConfigError(format!("{name} is required with the aws backend"))
                    })
                };
                Some(AwsResources {
                    table: need("ATELIER_TABLE")?,
                    secrets_key_id: need("ATELIER_SECRETS_KEY_ID")?,
                    bucket: need("ATELIER_BUCKET")?,
                    gmail_sync_queue_url: need("ATELIER_GMAIL_SYNC_QUEUE_URL")?,
                    gmail_sync_dlq_url: need("ATELIER_GMAIL_SYNC_DLQ_URL")?,
                    exports_queue_url: need("ATELIER_EXPORTS_QUEUE_URL")?,
                    exports_dlq_url: need("ATELIER_EXPORTS_DLQ_URL")?,
                    mail_queue_url: need("ATELIER_MAIL_QUEUE_URL")?,
                    mail_dlq_url: need("ATELIER_MAIL_DLQ_URL")?,
                    signing_key_id: need("ATELIER_SIGNING_KEY_ID")?,
                    brand_data_role_arn: need("ATELIER_BRAND_DATA_ROLE_ARN")?,
                })
            }
        };
        let jwt_issuer = var("ATELIER_JWT_ISSUER").unwrap_or_else(|| DEFAULT_JWT_ISSUER.into());
        let jwt_audience =
            var("ATELIER_JWT_AUDIENCE").unwrap_or_else(|| DEFAULT_JWT_AUDIENCE.into());
        let resend = var("ATELIER_RESEND_API_KEY")
            .filter(|k| !k.is_empty())
            .map(|key| Resend {
                api_key: secrecy::SecretString::from(key),
                base_url: var("ATELIER_RESEND_BASE_URL")
                    .unwrap_or_else(|| DEFAULT_RESEND_URL.into()),
            });
        Ok(Self {
            backend,
            data_dir,
            cors_origins,
            max_body_bytes,
            aws,
            jwt_issuer,
            jwt_audience,
            app_url: var("ATELIER_APP_URL").unwrap_or_else(|| DEFAULT_APP_URL.into()),
            mail_from: var("ATELIER_MAIL_FROM").unwrap_or_else(|| DEFAULT_MAIL_FROM.into()),
            resend,
            local_server,
            apple: var("ATELIER_APPLE_CLIENT_ID")
                .filter(|c| !c.is_empty())
                .map(|client_id| Apple {
                    client_id,
                    keys_url: var("ATELIER_APPLE_KEYS_URL")
                        .unwrap_or_else(|| crate::adapters::http::APPLE_KEYS_URL.into()),
                }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_to_embedded_in_dot_atelier() {
        let c = from(&[]).unwrap();
        assert_eq!(c.backend, Backend::Embedded);
        assert_eq!(c.data_dir, PathBuf::from(".atelier"));
        assert_eq!(c.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
    }

    #[test]
    fn aws_backend_names_every_missing_resource() {
        let err = from(&[("ATELIER_BACKEND", "aws")]).unwrap_err();
        assert!(err.to_string().contains("ATELIER_TABLE"));
        assert!(from(&[("ATELIER_BACKEND", "dynamo")]).is_err());
        assert!(from(&[("ATELIER_CORS_ORIGINS", "studio.example")]).is_err());
        assert!(from(&[("ATELIER_MAX_BODY_BYTES", "0")]).is_err());
    }
}
