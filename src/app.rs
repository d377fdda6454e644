//! [`App`]: builds the whole server from [`Settings`] (storage, session
//! directory, actor tree, router, listener) and runs it until a shutdown
//! signal, then stops HTTP first and drains the actor tree.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use uuid::Uuid;
use wabot_actors::{Ports, Runtime, WahaInstanceSpec, WahaSessionSpec};

use crate::auth::PasswordHashing;
use crate::config::Settings;
use crate::http::{self, AppState};
use crate::media::MediaLibrary;
use crate::metrics;
use crate::rate_limits::RateLimits;
use crate::redaction::redacted_url;
use crate::retention;
use crate::secret_box::SecretBox;
use crate::session_directory::SessionDirectory;
use crate::storage::{self, Store};

/// A built, bound, not yet serving server.
pub struct App {
    listener: TcpListener,
    address: SocketAddr,
    state: AppState,
}

impl App {
    /// Opens storage, starts the actor tree with the known WAHA instances and
    /// sessions, and binds the listener (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        settings.check()?;
        // First: what the actors register at start (help texts, zero
        // series) needs the recorder installed.
        let metrics = metrics::recorder();
        metrics::register_zero_series();
        let secrets = Arc::new(
            SecretBox::from_settings(&settings.secrets)
                .context("loading the keys that seal secrets at rest")?,
        );
        let store = storage::open(&settings.database.url, secrets)
            .await
            .with_context(|| {
                format!(
                    "opening the database {}",
                    redacted_url(&settings.database.url)
                )
            })?;
        let resealed = store.reseal_secrets().await?;
        if resealed > 0 {
            tracing::info!(resealed, "sealed secrets at rest under the current key");
        }
        let instances = store.list_waha_instances().await?;
        let routes = store.list_session_routes().await?;
        let media = Arc::new(MediaLibrary::open(&settings.media, store.clone())?);
        let ports = Ports {
            tenants: store.clone(),
            conversations: store.clone(),
            orders: store.clone(),
            inbox: store.clone(),
            outbox: store.clone(),
            events: store.clone(),
            media: media.clone(),
        };
        let instance_specs = instances
            .into_iter()
            .map(|i| WahaInstanceSpec {
                id: i.id,
                name: i.name,
                base_url: i.base_url,
                api_key: i.api_key,
            })
            .collect();
        let session_specs = routes
            .iter()
            .map(|r| WahaSessionSpec {
                session: r.session.clone(),
                instance_id: r.waha_instance_id,
            })
            .collect();
        let runtime = Runtime::start(
            ports,
            Arc::new(wabot_plugins::plugin_for),
            settings.runtime(),
            instance_specs,
            session_specs,
        )
        .await?;
        let operator_token: Arc<str> = match &settings.operator.token {
            Some(token) => token.expose().into(),
            None => {
                let token = Uuid::new_v4().simple().to_string();
                tracing::warn!(%token, "no operator token configured (WABOT_OPERATOR__TOKEN); generated one for this run");
                token.into()
            }
        };
        let listener = TcpListener::bind(settings.server.listen)
            .await
            .with_context(|| format!("binding {}", settings.server.listen))?;
        let address = listener.local_addr()?;
        let public_url = match &settings.server.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{address}"),
        };
        let settings = Arc::new(settings);
        let state = AppState {
            store,
            media,
            runtime: Arc::new(runtime),
            sessions: SessionDirectory::new(routes),
            settings: settings.clone(),
            operator_token,
            metrics,
            limits: rate_limits(&settings).await?,
            public_url: public_url.into(),
            passwords: Arc::new(
                PasswordHashing::start(
                    settings.passwords.hashing_threads,
                    settings.passwords.hashing_queue,
                )
                .context("starting the password hashing threads")?,
            ),
        };
        tracing::info!(%address, "wabot listening");
        Ok(Self {
            listener,
            address,
            state,
        })
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The operator API's bearer token.
    pub fn operator_token(&self) -> &str {
        &self.state.operator_token
    }

    /// The actor tree.
    pub fn runtime(&self) -> Arc<Runtime> {
        self.state.runtime.clone()
    }

    /// The store it uses.
    pub fn store(&self) -> Arc<dyn Store> {
        self.state.store.clone()
    }

    /// Serves until `shutdown` completes; then stops accepting requests,
    /// lets in-flight ones finish and drains the actor tree, all within the
    /// configured grace period.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let runtime = self.state.runtime.clone();
        let grace = Duration::from_secs(self.state.settings.server.shutdown_grace_secs);
        let sampler = metrics::sampler::spawn(
            self.state.store.clone(),
            runtime.clone(),
            Duration::from_secs(self.state.settings.metrics.sample_interval_secs.max(1)),
        );
        let retention = retention::spawn(
            self.state.store.clone(),
            Duration::from_secs(
                self.state
                    .settings
                    .inbox
                    .text_retention_hours
                    .saturating_mul(3600),
            ),
        );
        let router = http::router(self.state);
        axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP")?;
        sampler.abort();
        retention.abort();
        tracing::info!("HTTP stopped; draining actors");
        runtime.shutdown(grace).await;
        Ok(())
    }
}

/// The rate limiters, with a task that trims the state of idle keys every
/// minute so memory stays bounded however many keys and customers come.
async fn rate_limits(settings: &Settings) -> anyhow::Result<Arc<RateLimits>> {
    let limits = Arc::new(RateLimits::new(&settings.limits).await?);
    let trimmed = Arc::downgrade(&limits);
    tokio::spawn(async move {
        let mut every_minute = tokio::time::interval(Duration::from_secs(60));
        every_minute.tick().await;
        loop {
            every_minute.tick().await;
            match trimmed.upgrade() {
                Some(limits) => limits.forget_idle(),
                None => break,
            }
        }
    });
    Ok(limits)
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received");
}
