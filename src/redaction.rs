//! Secrets kept out of what is shown: passwords inside URLs (database,
//! Redis) are replaced before a URL is logged or put in an error message.

/// `url` with any password in it replaced by `***`, for logs and error
/// messages (`postgres://app:***@db:5432/wabot`). Text that is not a URL
/// with credentials is returned as it is.
pub fn redacted_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Only a URL that cannot have a password refuses this.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_redacted() {
        assert_eq!(
            redacted_url("postgres://app:s3cr%40t@db:5432/wabot"),
            "postgres://app:***@db:5432/wabot"
        );
        assert_eq!(
            redacted_url("rediss://:token@cache:6379/0"),
            "rediss://:***@cache:6379/0"
        );
        assert_eq!(
            redacted_url("sqlite://./data/wabot.db"),
            "sqlite://./data/wabot.db"
        );
        assert_eq!(
            redacted_url("postgres://app@db/wabot"),
            "postgres://app@db/wabot"
        );
    }
}
