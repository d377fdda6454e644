//! Typed HTTP client for the WAHA calls the bot makes (waha-api.md §3),
//! with WAHA's answers sorted into retryable and final failures. Session
//! management (§2) is in [`sessions`].

pub mod sessions;
pub mod webhook_retries;

use std::time::Duration;

use serde_json::{Value, json};

/// A failed WAHA call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WahaError {
    /// Connection refused or reset, or a timeout: worth retrying.
    #[error("WAHA unreachable: {0}")]
    Network(String),
    /// WAHA answered 5xx or 429: worth retrying.
    #[error("WAHA failed with HTTP {0}")]
    Server(u16),
    /// 422 with WAHA's status-mismatch body: the session is not WORKING.
    #[error("WAHA session is not WORKING (status {0})")]
    SessionNotWorking(String),
    /// A file to download is larger than allowed (bytes allowed).
    #[error("the file is larger than {0} bytes")]
    TooLarge(usize),
    /// Any other 4xx: the request itself is wrong; retrying will not help.
    #[error("WAHA rejected the request with HTTP {status}: {body}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// Response body, truncated.
        body: String,
    },
}

impl WahaError {
    /// Whether the same request may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, WahaError::Network(_) | WahaError::Server(_))
    }

    /// Bounded metric label.
    pub fn reason(&self) -> &'static str {
        match self {
            WahaError::Network(_) => "network",
            WahaError::Server(_) => "server",
            WahaError::SessionNotWorking(_) => "session_not_working",
            WahaError::TooLarge(_) => "too_large",
            WahaError::Rejected { .. } => "rejected",
        }
    }
}

/// Adds WAHA's optional pre-generated message `id` (NOWEB/GOWS) to a send body.
fn with_id(mut body: Value, id: Option<&str>) -> Value {
    if let Some(id) = id {
        body["id"] = json!(id);
    }
    body
}

/// A client for one WAHA instance (base URL and API key).
#[derive(Clone, Debug)]
pub struct WahaClient {
    http: reqwest::Client,
    base_url: String,
    api_key: String,
}

/// reqwest is built without a bundled TLS provider (ring keeps builds lean);
/// install ring once per process before the first client is built.
pub fn install_tls_provider() {
    // An error only means a provider is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Redirects followed at most, within one origin.
const MAX_REDIRECTS: usize = 5;

/// Whether `a` and `b` have the same origin: scheme, host and port.
fn same_origin(a: &reqwest::Url, b: &reqwest::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// A network failure, without the URL: the instance's internal address
/// must not reach logs that tenants see, nor their answers.
pub(crate) fn network_error(error: reqwest::Error) -> WahaError {
    WahaError::Network(error.without_url().to_string())
}

impl WahaClient {
    /// A client for the instance at `base_url` (no trailing slash needed).
    pub fn new(base_url: &str, api_key: &str, request_timeout: Duration) -> Self {
        install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(request_timeout)
            // The API key is a custom header, which reqwest would carry
            // across a redirect to another host: follow redirects only
            // within one origin.
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let same_origin = attempt
                    .previous()
                    .last()
                    .is_some_and(|from| same_origin(from, attempt.url()));
                if same_origin && attempt.previous().len() <= MAX_REDIRECTS {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }))
            .build()
            .expect("the HTTP client configuration is static and valid");
        Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
        }
    }

    /// `POST /api/sendText`, under the WhatsApp id `id` when given.
    pub async fn send_text(
        &self,
        session: &str,
        chat_id: &str,
        text: &str,
        id: Option<&str>,
    ) -> Result<(), WahaError> {
        let body =
            json!({"session": session, "chatId": chat_id, "text": text, "linkPreview": false});
        self.post("/api/sendText", with_id(body, id)).await
    }

    /// `POST /api/sendImage` with a URL WAHA downloads, under the WhatsApp
    /// id `id` when given.
    pub async fn send_image(
        &self,
        session: &str,
        chat_id: &str,
        url: &str,
        caption: &str,
        id: Option<&str>,
    ) -> Result<(), WahaError> {
        let filename = url.rsplit('/').next().unwrap_or("image.jpg");
        let body = json!({
            "session": session, "chatId": chat_id, "caption": caption,
            "file": {"mimetype": "image/jpeg", "filename": filename, "url": url},
        });
        self.post("/api/sendImage", with_id(body, id)).await
    }

    /// `POST /api/sendSeen` for one message.
    pub async fn send_seen(
        &self,
        session: &str,
        chat_id: &str,
        message_id: &str,
    ) -> Result<(), WahaError> {
        self.post(
            "/api/sendSeen",
            json!({"session": session, "chatId": chat_id, "messageIds": [message_id]}),
        )
        .await
    }

    /// `POST /api/startTyping` or `/api/stopTyping`.
    pub async fn typing(&self, session: &str, chat_id: &str, on: bool) -> Result<(), WahaError> {
        let path = if on {
            "/api/startTyping"
        } else {
            "/api/stopTyping"
        };
        self.post(path, json!({"session": session, "chatId": chat_id}))
            .await
    }

    /// Downloads a file WAHA announced in a message (waha-api.md §4.4), of
    /// at most `max_bytes`; returns it with the answer's content type. The
    /// URL is opaque: the API key goes only to this instance's own origin
    /// (scheme, host and port), never to any other host, whatever its path
    /// (a pre-signed S3 URL, or a forged one).
    pub async fn download(
        &self,
        url: &str,
        max_bytes: usize,
    ) -> Result<(Vec<u8>, Option<String>), WahaError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| WahaError::Rejected {
            status: 0,
            body: format!("not a URL: {e}"),
        })?;
        let ours =
            reqwest::Url::parse(&self.base_url).is_ok_and(|base| same_origin(&base, &parsed));
        let request = if ours {
            self.http.get(parsed).header("X-Api-Key", &self.api_key)
        } else {
            self.http.get(parsed)
        };
        let mut response = self.checked(request).await?;
        if response
            .content_length()
            .is_some_and(|length| length > max_bytes as u64)
        {
            return Err(WahaError::TooLarge(max_bytes));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(|value| value.split(';').next().unwrap_or(value).trim().to_owned());
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(network_error)? {
            if bytes.len() + chunk.len() > max_bytes {
                return Err(WahaError::TooLarge(max_bytes));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((bytes, content_type))
    }

    async fn post(&self, path: &str, body: Value) -> Result<(), WahaError> {
        self.call(self.http.post(self.url(path)).json(&body))
            .await
            .map(drop)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Sends `request` with the API key; a 2xx answer is returned, anything
    /// else sorted into a [`WahaError`].
    async fn call(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, WahaError> {
        self.checked(request.header("X-Api-Key", &self.api_key))
            .await
    }

    /// Sends `request` as it is; a 2xx answer is returned, anything else
    /// sorted into a [`WahaError`].
    async fn checked(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, WahaError> {
        let response = request.send().await.map_err(network_error)?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let code = status.as_u16();
        if status.is_server_error() || code == 429 {
            return Err(WahaError::Server(code));
        }
        let text = response.text().await.unwrap_or_default();
        if code == 422
            && let Ok(body) = serde_json::from_str::<Value>(&text)
            && let Some(status) = body.get("status").and_then(Value::as_str)
        {
            return Err(WahaError::SessionNotWorking(status.to_owned()));
        }
        Err(WahaError::Rejected {
            status: code,
            body: text.chars().take(300).collect(),
        })
    }
}
