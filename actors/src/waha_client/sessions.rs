//! WAHA session management (waha-api.md §2): create or update a session
//! with wabot's webhook and HMAC key, read its status, fetch its QR code,
//! ask for a pairing code, restart it and log it out.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{WahaClient, WahaError, webhook_retries};

/// What wabot configures on every session it creates.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Session name.
    pub name: String,
    /// Where WAHA posts the session's events.
    pub webhook_url: String,
    /// The HMAC-SHA512 key WAHA signs them with.
    pub webhook_secret: String,
    /// Echoed by WAHA in every event (`tenant.id`).
    pub tenant_id: String,
}

impl SessionConfig {
    fn config_json(&self) -> Value {
        json!({
            "metadata": {"tenant.id": self.tenant_id},
            "webhooks": [{
                "url": self.webhook_url,
                "events": ["message", "session.status"],
                "hmac": {"key": self.webhook_secret},
                "retries": webhook_retries::REGISTERED.as_json(),
            }],
        })
    }
}

/// A session as WAHA reports it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SessionState {
    /// Session name.
    pub name: String,
    /// `STOPPED`, `STARTING`, `SCAN_QR_CODE`, `WORKING` or `FAILED`.
    pub status: String,
}

impl WahaClient {
    /// Creates and starts the session (`POST /api/sessions`); if WAHA
    /// already has it, replaces its config (`PUT`) and starts it, so asking
    /// twice is harmless.
    pub async fn create_session(&self, config: &SessionConfig) -> Result<SessionState, WahaError> {
        let body = json!({"name": config.name, "start": true, "config": config.config_json()});
        match self
            .call(self.http.post(self.url("/api/sessions")).json(&body))
            .await
        {
            Ok(response) => decode(response).await,
            Err(WahaError::Rejected { status: 422, body }) if body.contains("already exists") => {
                let path = format!("/api/sessions/{}", config.name);
                let update = json!({"config": config.config_json()});
                self.call(self.http.put(self.url(&path)).json(&update))
                    .await?;
                self.session_action(&config.name, "start").await
            }
            Err(error) => Err(error),
        }
    }

    /// `GET /api/sessions/{name}`.
    pub async fn session(&self, name: &str) -> Result<SessionState, WahaError> {
        let path = format!("/api/sessions/{name}");
        decode(self.call(self.http.get(self.url(&path))).await?).await
    }

    /// Every session WAHA holds, stopped ones too (`GET /api/sessions?all=true`).
    pub async fn sessions(&self) -> Result<Vec<SessionState>, WahaError> {
        decode(
            self.call(self.http.get(self.url("/api/sessions?all=true")))
                .await?,
        )
        .await
    }

    /// Stops, logs out and deletes the session (`DELETE /api/sessions/{name}`);
    /// a session WAHA does not know is already gone.
    pub async fn delete_session(&self, name: &str) -> Result<(), WahaError> {
        let path = format!("/api/sessions/{name}");
        match self.call(self.http.delete(self.url(&path))).await {
            Ok(_) | Err(WahaError::Rejected { status: 404, .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// `POST /api/sessions/{name}/{action}` for `start`, `restart` or `logout`.
    pub async fn session_action(
        &self,
        name: &str,
        action: &str,
    ) -> Result<SessionState, WahaError> {
        let path = format!("/api/sessions/{name}/{action}");
        decode(self.call(self.http.post(self.url(&path))).await?).await
    }

    /// The QR code as a PNG (`GET /api/{name}/auth/qr`, `Accept: image/png`).
    pub async fn qr_png(&self, name: &str) -> Result<Vec<u8>, WahaError> {
        let path = format!("/api/{name}/auth/qr");
        let request = self
            .http
            .get(self.url(&path))
            .header(reqwest::header::ACCEPT, "image/png");
        let response = self.call(request).await?;
        let bytes = response.bytes().await.map_err(super::network_error)?;
        Ok(bytes.to_vec())
    }

    /// The string the QR code encodes (`?format=raw`).
    pub async fn qr_raw(&self, name: &str) -> Result<String, WahaError> {
        let path = format!("/api/{name}/auth/qr?format=raw");
        let body: Value = decode(self.call(self.http.get(self.url(&path))).await?).await?;
        text_field(&body, "value")
    }

    /// A pairing code for logging in by phone number (`request-code`).
    pub async fn pairing_code(&self, name: &str, phone_number: &str) -> Result<String, WahaError> {
        let path = format!("/api/{name}/auth/request-code");
        let body = json!({"phoneNumber": phone_number, "method": null});
        let answer: Value = decode(
            self.call(self.http.post(self.url(&path)).json(&body))
                .await?,
        )
        .await?;
        text_field(&answer, "code")
    }
}

async fn decode<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, WahaError> {
    let status = response.status().as_u16();
    let text = response.text().await.map_err(super::network_error)?;
    serde_json::from_str(&text).map_err(|e| WahaError::Rejected {
        status,
        body: format!(
            "unexpected answer ({e}): {}",
            text.chars().take(200).collect::<String>()
        ),
    })
}

fn text_field(body: &Value, field: &str) -> Result<String, WahaError> {
    body.get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| WahaError::Rejected {
            status: 200,
            body: format!("answer without '{field}'"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_session_webhook_carries_the_registered_retries() {
        let config = SessionConfig {
            name: "s".into(),
            webhook_url: "http://wabot/webhooks/waha".into(),
            webhook_secret: "k".into(),
            tenant_id: "t".into(),
        };
        assert_eq!(
            config.config_json()["webhooks"][0]["retries"],
            webhook_retries::REGISTERED.as_json()
        );
    }
}
