//! `Ctx`: the ports, built once per cold start and shared by every handler.

use crate::adapters::aws::{
    BrandResources, DynamoTable, KmsCipher, KmsSigner, S3Blobs, SqsQueue, StsBrandStores,
};
#[cfg(feature = "embedded")]
use crate::adapters::embedded::{
    self, DirBlobs, EmbeddedQueue, KeyFileCipher, KeyFileSigner, Outbox, QueueSettings, RedbTable,
};
#[cfg(feature = "embedded")]
use crate::adapters::fence::FencedStores;
use crate::adapters::http::{AppleVerifier, ResendMailer};
use crate::adapters::unbuilt::Unbuilt;
use crate::config::{Backend, Config, ConfigError};
use crate::ports::{Blobs, BrandStores, Cipher, Clock, Mailer, Queue, Signer, SystemClock, Table};
use std::sync::Arc;
use std::time::Duration;

/// The queues the functions talk through.
#[derive(Clone)]
pub struct Queues {
    /// FIFO, grouped by mailbox: push notifications and reconcile ticks for gmail-sync.
    pub gmail_sync: Arc<dyn Queue>,
    pub gmail_sync_dlq: Arc<dyn Queue>,
    /// FIFO, grouped by brand: full JSON export jobs for brand-export.
    pub exports: Arc<dyn Queue>,
    pub exports_dlq: Arc<dyn Queue>,
    /// FIFO, one group per job: sealed mail jobs for mail-send, so no request waits on (or
    /// shows by its timing) a mail being composed or sent.
    pub mail: Arc<dyn Queue>,
    pub mail_dlq: Arc<dyn Queue>,
}

/// Handles only the embedded backend has: the local stack's sweeper and operator commands use
/// them.
#[cfg(feature = "embedded")]
pub struct Embedded {
    pub table: Arc<RedbTable>,
    pub outbox: Arc<Outbox>,
    pub gmail_sync: Arc<EmbeddedQueue>,
    pub gmail_sync_dlq: Arc<EmbeddedQueue>,
    pub exports: Arc<EmbeddedQueue>,
    pub exports_dlq: Arc<EmbeddedQueue>,
    pub mail: Arc<EmbeddedQueue>,
    pub mail_dlq: Arc<EmbeddedQueue>,
}

#[derive(Clone)]
pub struct Ctx {
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    /// The table on the function's own credentials: platform rows (accounts, sessions,
    /// slugs, limits) and the few cross-brand reads and writes sign-in, brand creation and
    /// the operator need. Brand code never uses it: it gets a brand handle from its scope.
    pub table: Arc<dyn Table>,
    /// Stores that reach one brand only, for brand handles (`BrandScope::table`, `blobs`,
    /// `cipher`).
    pub brand_stores: Arc<dyn BrandStores>,
    pub cipher: Arc<dyn Cipher>,
    pub signer: Arc<dyn Signer>,
    pub mailer: Arc<dyn Mailer>,
    /// Sign in with Apple, when configured.
    pub apple: Option<Arc<AppleVerifier>>,
    pub blobs: Arc<dyn Blobs>,
    pub queues: Queues,
    #[cfg(feature = "embedded")]
    pub embedded: Option<Arc<Embedded>>,
}

/// gmail-sync's queue contract, the same locally as in the template: a message received this
/// many times without success goes to the DLQ.
pub const GMAIL_SYNC_MAX_RECEIVES: u32 = 5;
pub const GMAIL_SYNC_VISIBILITY: Duration = Duration::from_secs(180);
/// brand-export's queue contract: an export may take minutes (the function's timeout is 150 s;
/// visibility is six times that, as AWS advises), and is tried three times.
pub const EXPORTS_MAX_RECEIVES: u32 = 3;
pub const EXPORTS_VISIBILITY: Duration = Duration::from_secs(900);
/// mail-send's queue contract: six times its 10 s timeout; five tries (with the mailer's own
/// retries inside each) before a job waits in the DLQ.
pub const MAIL_MAX_RECEIVES: u32 = 5;
pub const MAIL_VISIBILITY: Duration = Duration::from_secs(60);
/// Brands whose DynamoDB clients (and assumed credentials) one instance keeps.
pub const BRAND_CLIENTS_KEPT: usize = 256;

/// Builds a function's mail provider from its settings.
pub type MakeMailer = fn(&Config) -> Result<Option<Arc<dyn Mailer>>, ConfigError>;
/// Builds a function's Sign in with Apple verifier from its settings.
pub type MakeApple = fn(&Config) -> Result<Option<Arc<AppleVerifier>>, ConfigError>;

/// What a function uses beyond the table, keys, files and queues every function has: each
/// Lambda builds only these, and needs only their settings. They are builders its `main`
/// names, so a function that names none links none (no HTTP client for Resend or Apple).
#[derive(Debug, Clone, Copy, Default)]
pub struct Uses {
    /// Sends mail through the provider (mail-send; the local stack): needs its API key.
    pub mail: Option<MakeMailer>,
    /// Verifies Sign in with Apple tokens (api-auth), when Apple is configured.
    pub apple: Option<MakeApple>,
}

impl Uses {
    /// The table, keys, files and queues only.
    pub const BASE: Uses = Uses {
        mail: None,
        apple: None,
    };
    /// Everything: the local stack, which serves every route and runs every worker.
    pub const EVERYTHING: Uses = Uses {
        mail: Some(resend_mailer),
        apple: Some(apple_verifier),
    };
}

impl Ctx {
    /// What a Lambda cold start calls, with what its function uses.
    pub async fn from_env(uses: Uses) -> Result<Self, ConfigError> {
        Self::build_for(Config::from_env()?, Arc::new(SystemClock), uses).await
    }

    /// Everything, as the local stack and the tests build it.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        Self::build_for(config, clock, Uses::EVERYTHING).await
    }

    pub async fn build_for(
        config: Config,
        clock: Arc<dyn Clock>,
        uses: Uses,
    ) -> Result<Self, ConfigError> {
        match config.backend {
            #[cfg(feature = "embedded")]
            Backend::Embedded => Self::embedded(config, clock),
            #[cfg(not(feature = "embedded"))]
            Backend::Embedded => Err(ConfigError(
                "this build has no embedded backend (a Lambda function): set ATELIER_BACKEND=aws"
                    .into(),
            )),
            Backend::Aws => Self::aws(config, clock, uses).await,
        }
    }

    #[cfg(feature = "embedded")]
    fn embedded(config: Config, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let dir = &config.data_dir;
        let db = embedded::open_database(dir).map_err(ConfigError)?;
        let err = |e: &dyn std::fmt::Display| ConfigError(e.to_string());
        let table = Arc::new(RedbTable::new(db.clone(), clock.clone()).map_err(|e| err(&e))?);
        let queue = |name: &str, dlq: Option<&str>| {
            let (visibility_timeout, max_receives) = if name.starts_with("exports") {
                (EXPORTS_VISIBILITY, EXPORTS_MAX_RECEIVES)
            } else if name.starts_with("mail") {
                (MAIL_VISIBILITY, MAIL_MAX_RECEIVES)
            } else {
                (GMAIL_SYNC_VISIBILITY, GMAIL_SYNC_MAX_RECEIVES)
            };
            EmbeddedQueue::new(
                db.clone(),
                clock.clone(),
                QueueSettings {
                    name: name.into(),
                    fifo: true,
                    visibility_timeout,
                    max_receives,
                    dlq: dlq.map(str::to_owned),
                },
            )
            .map(Arc::new)
            .map_err(|e| err(&e))
        };
        let gmail_sync_dlq = queue("gmail-sync-dlq.fifo", None)?;
        let gmail_sync = queue("gmail-sync.fifo", Some("gmail-sync-dlq.fifo"))?;
        let exports_dlq = queue("exports-dlq.fifo", None)?;
        let exports = queue("exports.fifo", Some("exports-dlq.fifo"))?;
        let mail_dlq = queue("mail-dlq.fifo", None)?;
        let mail = queue("mail.fifo", Some("mail-dlq.fifo"))?;
        let cipher = KeyFileCipher::open_or_create(&dir.join("keys").join("secrets.key"))
            .map_err(ConfigError)?;
        let signer = KeyFileSigner::open_or_create(&dir.join("keys").join("signing.p8"))
            .map_err(ConfigError)?;
        let blobs: Arc<dyn Blobs> =
            Arc::new(DirBlobs::new(dir.join("blobs")).map_err(|e| err(&e))?);
        let cipher: Arc<dyn Cipher> = Arc::new(cipher);
        let outbox = Arc::new(Outbox::new(dir.join("outbox")).map_err(ConfigError)?);
        let mailer = resend_mailer(&config)?.unwrap_or_else(|| outbox.clone());
        Ok(Self {
            mailer,
            apple: apple_verifier(&config)?,
            clock,
            brand_stores: Arc::new(FencedStores::new(
                table.clone(),
                blobs.clone(),
                cipher.clone(),
            )),
            table: table.clone(),
            cipher,
            signer: Arc::new(signer),
            blobs,
            queues: Queues {
                gmail_sync: gmail_sync.clone(),
                gmail_sync_dlq: gmail_sync_dlq.clone(),
                exports: exports.clone(),
                exports_dlq: exports_dlq.clone(),
                mail: mail.clone(),
                mail_dlq: mail_dlq.clone(),
            },
            embedded: Some(Arc::new(Embedded {
                table,
                outbox,
                gmail_sync,
                gmail_sync_dlq,
                exports,
                exports_dlq,
                mail,
                mail_dlq,
            })),
            config: Arc::new(config),
        })
    }

    async fn aws(config: Config, clock: Arc<dyn Clock>, uses: Uses) -> Result<Self, ConfigError> {
        let sdk = crate::adapters::aws::sdk_defaults().load().await;
        Self::with_sdk_for(config, clock, &sdk, uses)
    }

    /// The aws backend on an explicit SDK configuration (an emulator, in tests), with
    /// everything.
    pub fn with_sdk(
        config: Config,
        clock: Arc<dyn Clock>,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, ConfigError> {
        Self::with_sdk_for(config, clock, sdk, Uses::EVERYTHING)
    }

    pub fn with_sdk_for(
        config: Config,
        clock: Arc<dyn Clock>,
        sdk: &aws_config::SdkConfig,
        uses: Uses,
    ) -> Result<Self, ConfigError> {
        let names = config
            .aws
            .clone()
            .ok_or_else(|| ConfigError("aws resources missing".into()))?;
        let clients = AwsClients::new(sdk);
        let mailer = match uses.mail {
            Some(make) => make(&config)?.ok_or_else(|| {
                ConfigError("ATELIER_RESEND_API_KEY is required where mail is sent".into())
            })?,
            None => Arc::new(NoMail),
        };
        Ok(Self {
            mailer,
            apple: match uses.apple {
                Some(make) => make(&config)?,
                None => None,
            },
            brand_stores: Arc::new(StsBrandStores::new(
                sdk,
                BrandResources {
                    role_arn: names.brand_data_role_arn.clone(),
                    table: names.table.clone(),
                    bucket: names.bucket.clone(),
                    secrets_key_id: names.secrets_key_id.clone(),
                },
                clock.clone(),
                BRAND_CLIENTS_KEPT,
            )),
            table: Arc::new(DynamoTable::new(
                clients.dynamodb,
                names.table,
                clock.clone(),
            )),
            cipher: Arc::new(KmsCipher::new(
                clients.kms.clone(),
                names.secrets_key_id,
                clock.clone(),
            )),
            signer: Arc::new(KmsSigner::new(clients.kms, names.signing_key_id)),
            blobs: Arc::new(S3Blobs::new(clients.s3, names.bucket)),
            queues: Queues {
                gmail_sync: Arc::new(SqsQueue::new(
                    clients.sqs.clone(),
                    names.gmail_sync_queue_url,
                )),
                gmail_sync_dlq: Arc::new(SqsQueue::new(
                    clients.sqs.clone(),
                    names.gmail_sync_dlq_url,
                )),
                exports: Arc::new(SqsQueue::new(clients.sqs.clone(), names.exports_queue_url)),
                exports_dlq: Arc::new(SqsQueue::new(clients.sqs.clone(), names.exports_dlq_url)),
                mail: Arc::new(SqsQueue::new(clients.sqs.clone(), names.mail_queue_url)),
                mail_dlq: Arc::new(SqsQueue::new(clients.sqs, names.mail_dlq_url)),
            },
            #[cfg(feature = "embedded")]
            embedded: None,
            clock,
            config: Arc::new(config),
        })
    }
}

impl Ctx {
    /// Opens the connection to the table (and the SDK's lazily built parts: endpoint
    /// resolution, signing) during init, so the first request does not pay for them. Bounded
    /// at half a second, and whatever it answers is fine: only the connection matters.
    pub async fn warm_up(&self) {
        let key = crate::keys::platform::warm_up();
        match tokio::time::timeout(Duration::from_millis(500), self.table.get(&key)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::debug!(error = %e, "warm-up read refused"),
            Err(_) => tracing::debug!("warm-up read timed out"),
        }
    }

    /// The ports of a function whose routes touch none (`api-health`): each fails loudly if
    /// called, and no AWS client is built or linked.
    pub fn without_stores(config: Config, clock: Arc<dyn Clock>) -> Self {
        let none = Arc::new(Unbuilt);
        Self {
            config: Arc::new(config),
            clock,
            table: none.clone(),
            brand_stores: none.clone(),
            cipher: none.clone(),
            signer: none.clone(),
            mailer: none.clone(),
            apple: None,
            blobs: none.clone(),
            queues: Queues {
                gmail_sync: none.clone(),
                gmail_sync_dlq: none.clone(),
                exports: none.clone(),
                exports_dlq: none.clone(),
                mail: none.clone(),
                mail_dlq: none,
            },
            #[cfg(feature = "embedded")]
            embedded: None,
        }
    }
}

/// The mailer of a function that sends no mail (they queue it for mail-send).
struct NoMail;

#[async_trait::async_trait]
impl Mailer for NoMail {
    async fn send(&self, _: crate::ports::Mail) -> Result<(), crate::ports::MailError> {
        Err(crate::ports::MailError::Unavailable(
            "this function sends no mail: mail goes through the mail queue".into(),
        ))
    }
}

/// The Apple identity-token verifier, if configured.
pub fn apple_verifier(config: &Config) -> Result<Option<Arc<AppleVerifier>>, ConfigError> {
    let Some(apple) = &config.apple else {
        return Ok(None);
    };
    Ok(Some(Arc::new(
        AppleVerifier::new(&apple.keys_url, &apple.client_id).map_err(ConfigError)?,
    )))
}

/// The Resend mailer, if configured.
pub fn resend_mailer(config: &Config) -> Result<Option<Arc<dyn Mailer>>, ConfigError> {
    let Some(resend) = &config.resend else {
        return Ok(None);
    };
    let mailer = ResendMailer::new(&resend.base_url, resend.api_key.clone(), &config.mail_from)
        .map_err(ConfigError)?;
    Ok(Some(Arc::new(mailer)))
}

/// One client per AWS service from one SDK config.
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub kms: aws_sdk_kms::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub s3: aws_sdk_s3::Client,
}

impl AwsClients {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            kms: aws_sdk_kms::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
            s3: crate::adapters::aws::s3_client(sdk),
        }
    }
}
