//! Configuration: one [`Settings`] tree, loaded once from defaults, then an
//! optional TOML file, then `WABOT_*` environment variables (`__` separates
//! levels: `WABOT_DATABASE__URL`). Nothing else in wabot reads the
//! environment. The defaults need nothing installed.

use std::fmt;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use wabot_actors::waha_client::webhook_retries;
use wabot_actors::{RuntimeSettings, WahaSettings};

pub use crate::rate_limits::LimitSettings;

/// A secret string: never printed by `Debug`.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// All settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// HTTP server.
    pub server: ServerSettings,
    /// Storage.
    pub database: DatabaseSettings,
    /// Operator API.
    pub operator: OperatorSettings,
    /// WAHA webhook ingress.
    pub webhook: WebhookSettings,
    /// Conversation actors.
    pub conversations: ConversationSettings,
    /// Backpressure at the webhook.
    pub ingress: IngressSettings,
    /// The durable inbox.
    pub inbox: InboxSettings,
    /// Talking to WAHA.
    pub waha: WahaConfig,
    /// Logging.
    pub log: LogSettings,
    /// Request-rate limits.
    pub limits: LimitSettings,
    /// Where customers' files are kept.
    pub media: MediaSettings,
    /// The sampled gauges of `/metrics`.
    pub metrics: MetricsSettings,
    /// Password hashing.
    pub passwords: PasswordSettings,
    /// The keys that seal secrets at rest.
    pub secrets: SecretSettings,
}

/// `[passwords]`: the threads that hash and check passwords (argon2id,
/// about 19 MiB each while it runs).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordSettings {
    /// Passwords hashed or checked at once; their memory is bounded by this
    /// × 19 MiB.
    pub hashing_threads: usize,
    /// Logins and signups that may wait for a hashing thread; past it they
    /// are answered 503 with `Retry-After`.
    pub hashing_queue: usize,
}

impl Default for PasswordSettings {
    fn default() -> Self {
        Self {
            hashing_threads: 2,
            hashing_queue: 16,
        }
    }
}

/// `[secrets]`: the keys that seal secrets at rest.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretSettings {
    /// `id:base64-of-32-bytes`, comma-separated; the first seals, all
    /// open. Make one with `openssl rand -base64 32`.
    pub keys: Option<Secret>,
    /// Where the key is kept when `keys` is unset (made on first start).
    pub key_file: std::path::PathBuf,
}

impl Default for SecretSettings {
    fn default() -> Self {
        Self {
            keys: None,
            key_file: "./data/secrets.key".into(),
        }
    }
}

/// `[metrics]`
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Seconds between samples of the storage backlog, the database pool,
    /// quota use and WAHA instance health.
    pub sample_interval_secs: u64,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            sample_interval_secs: 10,
        }
    }
}

/// `[media]`: customers' files (prescriptions), fetched from WAHA.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaSettings {
    /// Folder of the files when no S3 bucket is configured.
    pub dir: std::path::PathBuf,
    /// Largest file kept, in bytes; larger ones are not downloaded and the
    /// customer is asked for another.
    pub max_bytes: usize,
    /// An S3-compatible bucket instead of the folder.
    pub s3: Option<S3Settings>,
    /// Accept menu image URLs that are `http://` or point to private,
    /// local or reserved addresses. WAHA fetches these URLs from inside
    /// the platform's network: turn this on only for development.
    pub allow_private_image_urls: bool,
}

impl Default for MediaSettings {
    fn default() -> Self {
        Self {
            dir: "./data/media".into(),
            max_bytes: 10 * 1024 * 1024,
            s3: None,
            allow_private_image_urls: false,
        }
    }
}

/// `[media.s3]`: an S3 bucket (AWS, or any S3-compatible store with
/// `endpoint`). Credentials left out come from the standard `AWS_*`
/// environment variables or the instance role.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    /// Bucket name.
    pub bucket: String,
    /// Region (`eu-west-1`).
    pub region: Option<String>,
    /// Endpoint of an S3-compatible store (`http://127.0.0.1:9000`).
    pub endpoint: Option<String>,
    /// Access key id.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<Secret>,
    /// Allow a plain-HTTP endpoint.
    #[serde(default)]
    pub allow_http: bool,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on (`127.0.0.1:4000`; port 0 picks a free port).
    pub listen: SocketAddr,
    /// Largest accepted request body, in bytes (larger: 413).
    pub max_body_bytes: usize,
    /// Seconds given to in-flight work at shutdown.
    pub shutdown_grace_secs: u64,
    /// The URL WAHA reaches this server at, for the webhooks of the
    /// sessions wabot creates (`https://bot.example.com`). Default:
    /// `http://` and the listen address.
    pub public_url: Option<String>,
    /// A header set by the load balancer in front of wabot that carries the
    /// client's address (`X-Forwarded-For`; its last entry is taken, the
    /// one the load balancer added). Unset: the TCP peer's address. Login
    /// and signup limits count per client address, so set this only behind
    /// a proxy that overwrites or appends to it.
    pub client_address_header: Option<String>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 4000)),
            max_body_bytes: 256 * 1024,
            shutdown_grace_secs: 10,
            public_url: None,
            client_address_header: None,
        }
    }
}

/// `[database]`
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://path/to/file.db` or `postgres://user@host:port/db`.
    pub url: String,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: "sqlite://./data/wabot.db".to_owned(),
        }
    }
}

/// `[operator]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OperatorSettings {
    /// Bearer token of the operator API. When unset, a random one is made at
    /// start-up and logged once.
    pub token: Option<Secret>,
}

/// `[webhook]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// Events whose signed `timestamp` is older than this many seconds are
    /// refused (401). Unset: the window that fits the retry schedule wabot
    /// registers on WAHA (about 88 minutes; see
    /// `wabot_actors::waha_client::webhook_retries`). A value shorter than
    /// that window would refuse WAHA's late retries, so losing messages,
    /// and is refused at start; 0 turns the check off.
    pub max_age_secs: Option<u64>,
}

impl WebhookSettings {
    /// The freshness window in force (`None`: no check).
    pub fn freshness_window(&self) -> Option<Duration> {
        match self.max_age_secs {
            Some(0) => None,
            Some(secs) => Some(Duration::from_secs(secs)),
            None => Some(webhook_retries::REGISTERED.freshness_window()),
        }
    }
}

/// `[conversations]`
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConversationSettings {
    /// Seconds without a message before a conversation is saved and stopped.
    pub idle_timeout_secs: u64,
    /// Most conversation steps committed in one transaction.
    pub step_batch_max: usize,
}

impl Default for ConversationSettings {
    fn default() -> Self {
        Self {
            idle_timeout_secs: 300,
            step_batch_max: RuntimeSettings::default().step_batch_max,
        }
    }
}

/// `[ingress]`
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngressSettings {
    /// Most customer messages accepted and not yet handled; past it, 503.
    pub max_in_flight: usize,
    /// Most such messages for one tenant; past it, 429 for that tenant.
    pub max_in_flight_per_tenant: usize,
    /// Most replies committed and not yet taken by WAHA; past it, 503.
    pub max_waiting_replies: usize,
    /// Most such replies of one tenant; past it, 429 for that tenant.
    pub max_waiting_replies_per_tenant: usize,
}

impl Default for IngressSettings {
    fn default() -> Self {
        let defaults = RuntimeSettings::default();
        Self {
            max_in_flight: defaults.max_in_flight,
            max_in_flight_per_tenant: defaults.max_in_flight_per_tenant,
            max_waiting_replies: defaults.max_waiting_replies,
            max_waiting_replies_per_tenant: defaults.max_waiting_replies_per_tenant,
        }
    }
}

/// `[inbox]`
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InboxSettings {
    /// Most webhook events stored in one transaction (group commit).
    pub batch_max: usize,
    /// Longest an event waits for others to share its transaction, in µs.
    pub batch_delay_us: u64,
    /// Hours a handled customer message keeps its text (and file link);
    /// then the text is erased. The row itself stays as the message's
    /// dedupe key, so a replay is still recognised. Must be longer than the
    /// webhook freshness window.
    pub text_retention_hours: u64,
}

impl Default for InboxSettings {
    fn default() -> Self {
        let defaults = RuntimeSettings::default();
        Self {
            batch_max: defaults.inbox_batch_max,
            batch_delay_us: defaults.inbox_batch_delay.as_micros() as u64,
            text_retention_hours: 7 * 24,
        }
    }
}

/// `[waha]`
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WahaConfig {
    /// Timeout of one request to WAHA, in ms.
    pub request_timeout_ms: u64,
    /// Tries per outbound message on network errors and 5xx.
    pub max_attempts: u32,
    /// First retry delay in ms (doubles, with jitter).
    pub backoff_base_ms: u64,
    /// Largest retry delay in ms.
    pub backoff_max_ms: u64,
    /// Sustained messages per second per WhatsApp session.
    pub messages_per_second: NonZeroU32,
    /// Messages a session may send back to back.
    pub burst: NonZeroU32,
    /// Typing indicator time per reply character, in ms (0: no typing).
    pub typing_ms_per_char: u64,
    /// Longest typing indicator, in ms.
    pub typing_max_ms: u64,
    /// Chats of one session whose replies may be in flight at once.
    pub max_parallel_sends: usize,
    /// Consecutive failed calls that open an instance's circuit breaker.
    pub breaker_threshold: u32,
    /// Seconds an open breaker holds calls back.
    pub breaker_cooldown_secs: u64,
}

impl Default for WahaConfig {
    fn default() -> Self {
        let defaults = WahaSettings::default();
        Self {
            request_timeout_ms: defaults.request_timeout.as_millis() as u64,
            max_attempts: defaults.max_attempts,
            backoff_base_ms: defaults.backoff_base.as_millis() as u64,
            backoff_max_ms: defaults.backoff_max.as_millis() as u64,
            messages_per_second: defaults.messages_per_second,
            burst: defaults.burst,
            typing_ms_per_char: defaults.typing_per_char.as_millis() as u64,
            typing_max_ms: defaults.typing_max.as_millis() as u64,
            max_parallel_sends: defaults.max_parallel_sends,
            breaker_threshold: defaults.breaker_threshold,
            breaker_cooldown_secs: defaults.breaker_cooldown.as_secs(),
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Pretty,
    /// One JSON object per line.
    Json,
}

/// `[log]`
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `tracing` filter, for example `info` or `wabot=debug,info`.
    pub level: String,
    /// Output format.
    pub format: LogFormat,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            level: "info".to_owned(),
            format: LogFormat::Pretty,
        }
    }
}

impl Settings {
    /// Loads defaults, then `file` (or `./wabot.toml` when present), then
    /// `WABOT_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, config::ConfigError> {
        let file_source = match file {
            Some(path) => config::File::from(path).required(true),
            None => config::File::with_name("wabot").required(false),
        };
        config::Config::builder()
            .add_source(file_source)
            .add_source(
                config::Environment::with_prefix("WABOT")
                    .prefix_separator("_")
                    .separator("__")
                    .try_parsing(true),
            )
            .build()?
            .try_deserialize()
    }

    /// Refuses settings that would lose messages or let replays in: a
    /// webhook freshness window shorter than the registered retries reach,
    /// or message texts erased before that window has passed.
    pub fn check(&self) -> anyhow::Result<()> {
        let needed = webhook_retries::REGISTERED.freshness_window();
        if let Some(window) = self.webhook.freshness_window() {
            anyhow::ensure!(
                window >= needed,
                "webhook.max_age_secs = {} is shorter than the {} s in which WAHA's last retry can arrive; \
                 leave it unset, or set at least {}",
                window.as_secs(),
                needed.as_secs(),
                needed.as_secs()
            );
        }
        let retention = Duration::from_secs(self.inbox.text_retention_hours.saturating_mul(3600));
        anyhow::ensure!(
            retention > needed,
            "inbox.text_retention_hours must be longer than the webhook freshness window ({} s)",
            needed.as_secs()
        );
        Ok(())
    }

    /// The actor runtime's view of these settings.
    pub fn runtime(&self) -> RuntimeSettings {
        let waha = &self.waha;
        RuntimeSettings {
            conversation_idle: Duration::from_secs(self.conversations.idle_timeout_secs.max(1)),
            step_batch_max: self.conversations.step_batch_max.max(1),
            call_timeout: Duration::from_secs(5),
            max_in_flight: self.ingress.max_in_flight,
            max_in_flight_per_tenant: self.ingress.max_in_flight_per_tenant,
            max_waiting_replies: self.ingress.max_waiting_replies,
            max_waiting_replies_per_tenant: self.ingress.max_waiting_replies_per_tenant,
            inbox_batch_max: self.inbox.batch_max,
            inbox_batch_delay: Duration::from_micros(self.inbox.batch_delay_us),
            waha: WahaSettings {
                request_timeout: Duration::from_millis(waha.request_timeout_ms),
                max_attempts: waha.max_attempts.max(1),
                backoff_base: Duration::from_millis(waha.backoff_base_ms),
                backoff_max: Duration::from_millis(waha.backoff_max_ms),
                messages_per_second: waha.messages_per_second,
                burst: waha.burst,
                typing_per_char: Duration::from_millis(waha.typing_ms_per_char),
                typing_max: Duration::from_millis(waha.typing_max_ms),
                max_parallel_sends: waha.max_parallel_sends.max(1),
                breaker_threshold: waha.breaker_threshold,
                breaker_cooldown: Duration::from_secs(waha.breaker_cooldown_secs),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_nothing_installed() {
        let settings = Settings::default();
        assert!(settings.database.url.starts_with("sqlite://"));
        assert_eq!(settings.server.listen.to_string(), "127.0.0.1:4000");
        assert!(format!("{:?}", Secret::new("hunter2")).contains("***"));
    }

    #[test]
    fn a_window_shorter_than_the_retries_is_refused() {
        let mut settings = Settings::default();
        assert!(settings.check().is_ok());
        settings.webhook.max_age_secs = Some(3600);
        let error = settings.check().unwrap_err().to_string();
        assert!(error.contains("webhook.max_age_secs"), "{error}");
        settings.webhook.max_age_secs = Some(0);
        assert!(settings.check().is_ok(), "0 turns the check off");
        settings.inbox.text_retention_hours = 1;
        assert!(settings.check().is_err());
    }

    #[test]
    fn a_file_overrides_defaults_and_unknown_keys_are_refused() {
        let dir = std::env::temp_dir().join(format!("wabot-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(
            &good,
            "[server]\nlisten = \"127.0.0.1:0\"\n[waha]\nmax_attempts = 2\n",
        )
        .unwrap();
        let settings = Settings::load(Some(&good)).unwrap();
        assert_eq!(settings.server.listen.port(), 0);
        assert_eq!(settings.runtime().waha.max_attempts, 2);
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "[server]\nlisen = \"127.0.0.1:0\"\n").unwrap();
        let error = Settings::load(Some(&bad)).unwrap_err().to_string();
        assert!(error.contains("lisen"), "{error}");
    }
}
