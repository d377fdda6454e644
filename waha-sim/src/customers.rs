//! Customers writing to a session: text messages and files (waha-api.md
//! §4.2, §4.4), each announced to the session's webhooks as WAHA would.

use std::sync::Arc;

use serde_json::{Value, json};

use super::state::{SessionStatus, Shared, StoredFile, new_wa_id, normalise_chat_id, now_ms};
use super::webhooks;
use super::{CustomerMedia, SimError};

pub(super) fn inject_customer_message(
    shared: &Arc<Shared>,
    name: &str,
    from: &str,
    body: &str,
) -> Result<String, SimError> {
    inject(shared, name, from, body, None)
}

/// The customer sends `media` with `caption`; the file is served at a URL in
/// `media.url` (under `base_url`) for `files_lifetime`, like WAHA's local
/// file storage.
pub(super) fn inject_customer_media(
    shared: &Arc<Shared>,
    base_url: &str,
    name: &str,
    from: &str,
    caption: &str,
    media: CustomerMedia,
) -> Result<String, SimError> {
    inject(shared, name, from, caption, Some((base_url, media)))
}

fn extension(mimetype: &str) -> &'static str {
    match mimetype {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "application/pdf" => "pdf",
        _ => "bin",
    }
}

fn inject(
    shared: &Arc<Shared>,
    name: &str,
    from: &str,
    body: &str,
    media: Option<(&str, CustomerMedia)>,
) -> Result<String, SimError> {
    let from = normalise_chat_id(from);
    let emissions = shared.with_session(name, |session| {
        if session.status != SessionStatus::Working {
            return Err(SimError::WrongStatus {
                session: name.to_owned(),
                status: session.status,
                expected: vec![SessionStatus::Working],
            });
        }
        let id = format!("false_{from}_{}", new_wa_id());
        let to = session.me.as_ref().and_then(|me| me.get("id")).cloned();
        let (has_media, media_json, file) = match media {
            Some((base_url, media)) => {
                let path = format!("/api/files/{name}/{id}.{}", extension(&media.mimetype));
                let json = json!({
                    "url": format!("{base_url}{path}"), "mimetype": media.mimetype,
                    "filename": media.filename, "error": null,
                });
                (true, json, Some((path, media)))
            }
            None => (false, Value::Null, None),
        };
        let payload = json!({
            "id": id, "timestamp": now_ms() / 1000, "from": from, "fromMe": false,
            "source": "app", "to": to, "participant": null, "body": body,
            "hasMedia": has_media, "media": media_json, "ack": 2, "ackName": "DEVICE",
            "replyTo": null, "vCards": [], "_data": {},
        });
        Ok((
            id,
            file,
            [
                webhooks::Emission::new(session, "message", payload.clone()),
                webhooks::Emission::new(session, "message.any", payload),
            ],
        ))
    })??;
    let (id, file, emissions) = emissions;
    if let Some((path, media)) = file {
        shared.memory().files.insert(
            path,
            StoredFile {
                bytes: media.bytes,
                mimetype: media.mimetype,
                stored_at: std::time::Instant::now(),
            },
        );
    }
    for emission in emissions {
        webhooks::emit(shared, emission);
    }
    Ok(id)
}
