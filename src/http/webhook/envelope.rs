//! The parts of WAHA's webhook envelope (waha-api.md §4.2–4.7) that wabot
//! reads. Unknown fields are allowed: WAHA adds fields between versions.

use serde::Deserialize;
use serde_json::Value;
use wabot_actors::InboundMedia;

/// Just the session name, read before the signature can be checked.
#[derive(Deserialize)]
pub(super) struct SessionPeek {
    pub(super) session: String,
}

/// The envelope of every event.
#[derive(Deserialize)]
pub(super) struct Envelope {
    /// `evt_<ulid>`; required although wabot keys on the payload id.
    #[serde(rename = "id")]
    pub(super) _id: String,
    /// Unix ms when WAHA created the event (signed, unlike the header).
    pub(super) timestamp: i64,
    pub(super) event: String,
    pub(super) payload: Value,
}

/// Payload of `message`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MessagePayload {
    pub(super) id: String,
    pub(super) from: String,
    #[serde(default)]
    pub(super) from_me: bool,
    #[serde(default)]
    pub(super) body: Option<String>,
    #[serde(default)]
    pub(super) has_media: bool,
    #[serde(default)]
    pub(super) media: Option<MediaPayload>,
}

/// `payload.media` of a message with a file (waha-api.md §4.4).
#[derive(Deserialize)]
pub(super) struct MediaPayload {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    mimetype: Option<String>,
    #[serde(default)]
    filename: Option<String>,
}

impl MessagePayload {
    /// Why this message is not for the bot, if it is not.
    pub(super) fn ignore_reason(&self) -> Option<&'static str> {
        if self.from_me {
            Some("own message")
        } else if self.from == "status@broadcast" {
            Some("status update")
        } else if self.from.ends_with("@g.us") {
            Some("group chat")
        } else if self.from.ends_with("@newsletter") {
            Some("channel")
        } else if self.from.ends_with("@broadcast") {
            Some("broadcast list")
        } else {
            None
        }
    }

    /// The file the message carries, if any. `hasMedia` with no `media`
    /// (or no `media.url`) means WAHA did not download it: the file is
    /// announced without a URL, so the bot can ask for it again.
    pub(super) fn media(&mut self) -> Option<InboundMedia> {
        if !self.has_media {
            return None;
        }
        let media = self.media.take();
        Some(InboundMedia {
            url: media
                .as_ref()
                .and_then(|m| m.url.clone())
                .filter(|url| !url.is_empty()),
            mimetype: media.as_ref().and_then(|m| m.mimetype.clone()),
            filename: media.and_then(|m| m.filename),
        })
    }

    /// The chat to reply to: `from`, without a device suffix (`123:31@lid`
    /// → `123@lid`) so one customer is one conversation.
    pub(super) fn customer(&self) -> String {
        match self.from.split_once('@') {
            Some((user, domain)) => {
                let user = user.split_once(':').map_or(user, |(id, _device)| id);
                format!("{user}@{domain}")
            }
            None => format!("{}@c.us", self.from),
        }
    }
}

/// Payload of `session.status`.
#[derive(Deserialize)]
pub(super) struct StatusPayload {
    pub(super) status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(from: &str, from_me: bool) -> MessagePayload {
        MessagePayload {
            id: "false_x_1".into(),
            from: from.into(),
            from_me,
            body: None,
            has_media: false,
            media: None,
        }
    }

    #[test]
    fn only_direct_customer_messages_reach_the_bot() {
        assert_eq!(message("15551234567@c.us", false).ignore_reason(), None);
        assert_eq!(message("1234@lid", false).ignore_reason(), None);
        assert_eq!(
            message("15551234567@c.us", true).ignore_reason(),
            Some("own message")
        );
        assert_eq!(
            message("1203630@g.us", false).ignore_reason(),
            Some("group chat")
        );
        assert_eq!(
            message("1203630@newsletter", false).ignore_reason(),
            Some("channel")
        );
        assert_eq!(
            message("status@broadcast", false).ignore_reason(),
            Some("status update")
        );
    }

    #[test]
    fn a_file_is_announced_with_or_without_its_url() {
        let payload = |json: &str| serde_json::from_str::<MessagePayload>(json).unwrap();
        let mut plain = payload(r#"{"id":"m","from":"1@c.us","body":"hi"}"#);
        assert_eq!(plain.media(), None);
        let mut photo = payload(
            r#"{"id":"m","from":"1@c.us","hasMedia":true,
                "media":{"url":"http://waha/api/files/s/m.jpg","mimetype":"image/jpeg","filename":null,"error":null}}"#,
        );
        assert_eq!(
            photo.media(),
            Some(InboundMedia {
                url: Some("http://waha/api/files/s/m.jpg".into()),
                mimetype: Some("image/jpeg".into()),
                filename: None,
            })
        );
        let mut skipped = payload(r#"{"id":"m","from":"1@c.us","hasMedia":true,"media":null}"#);
        assert_eq!(
            skipped.media(),
            Some(InboundMedia {
                url: None,
                mimetype: None,
                filename: None,
            })
        );
    }

    #[test]
    fn device_suffixes_are_dropped_from_the_customer_id() {
        assert_eq!(message("123456:31@lid", false).customer(), "123456@lid");
        assert_eq!(
            message("15551234567@c.us", false).customer(),
            "15551234567@c.us"
        );
    }
}
