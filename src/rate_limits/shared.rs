//! Rate limits shared by every node through Redis: the same GCRA as the
//! in-process limiters (N per minute, burst N), run atomically in a Lua
//! script on Redis's clock, so nodes with skewed clocks still agree. Each
//! key holds its "theoretical arrival time" and expires once idle.
//!
//! If Redis fails, requests are let through (and the failure logged): a
//! limiter outage must not take the platform down with it.

use std::num::NonZeroU32;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use redis::Script;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::redaction::redacted_url;

/// GCRA: KEYS[1] the key; ARGV[1] the emission interval in ms; ARGV[2] the
/// burst. Returns 1 if the request is allowed (and counts it), else 0.
const GCRA: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = interval * (tonumber(ARGV[2]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if now < tat - tolerance then return 0 end
local next_tat = tat + interval
redis.call('SET', KEYS[1], next_tat, 'PX', next_tat - now + 1000)
return 1
";

/// How long a limit check may wait on Redis before letting the request in.
const REDIS_TIMEOUT: Duration = Duration::from_millis(250);

/// Limits kept in Redis.
pub struct SharedLimits {
    connection: ConnectionManager,
    script: Script,
    prefix: String,
}

impl SharedLimits {
    /// Connects to `url` (`redis://`, or `rediss://` for TLS, trusting the
    /// system's certificate authorities or only those of `ca_file`); keys
    /// are named `<prefix>:<limit>:<key>`.
    pub async fn connect(url: &str, prefix: &str, ca_file: Option<&Path>) -> anyhow::Result<Self> {
        // `rediss://` (TLS) uses the process's rustls provider.
        wabot_actors::waha_client::install_tls_provider();
        let client = match ca_file {
            None => redis::Client::open(url),
            Some(file) => {
                let root_cert = std::fs::read(file)
                    .with_context(|| format!("limits.redis_ca_file {}", file.display()))?;
                redis::Client::build_with_tls(
                    url,
                    redis::TlsCertificates {
                        client_tls: None,
                        root_cert: Some(root_cert),
                    },
                )
            }
        }
        .with_context(|| format!("limits.redis_url {}", redacted_url(url)))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(2);
        let connection = client
            .get_connection_manager_with_config(config)
            .await
            .with_context(|| {
                format!(
                    "connecting to Redis at {} for the rate limits",
                    redacted_url(url)
                )
            })?;
        tracing::info!(url = %redacted_url(url), "rate limits are shared through Redis");
        Ok(Self {
            connection,
            script: Script::new(GCRA),
            prefix: prefix.to_owned(),
        })
    }

    /// Counts one request of `key` against `limit` (`per_minute`, burst the
    /// same); false when over it.
    pub async fn allow(&self, limit: &str, key: &str, per_minute: NonZeroU32) -> bool {
        let interval_ms = 60_000 / u64::from(per_minute.get()).max(1);
        let mut connection = self.connection.clone();
        let answer: redis::RedisResult<i64> = self
            .script
            .key(format!("{}:{limit}:{key}", self.prefix))
            .arg(interval_ms.max(1))
            .arg(per_minute.get())
            .invoke_async(&mut connection)
            .await;
        match answer {
            Ok(allowed) => allowed == 1,
            Err(error) => {
                tracing::warn!(%error, limit, "Redis rate limit check failed; letting the request through");
                true
            }
        }
    }

    /// Whether Redis answers a `PING`.
    pub async fn ping(&self) -> Result<(), String> {
        let mut connection = self.connection.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }
}
