//! Credentials: argon2id password hashes, and the random secrets wabot hands
//! out (API keys, login tokens, webhook keys), of which only a SHA-256
//! digest is stored. Hashing is CPU-heavy, so it runs off the async workers.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};

/// Prefix of API keys (`wbk_…`), so a leaked key is easy to recognise.
pub const API_KEY_PREFIX: &str = "wbk_";
/// Prefix of login tokens (`wbs_…`).
pub const LOGIN_TOKEN_PREFIX: &str = "wbs_";
/// Characters of an API key shown in listings (the prefix and 4 more).
const SHOWN_KEY_CHARS: usize = 8;

/// A random secret: `prefix` followed by 40 letters and digits (about 238 bits).
pub fn new_secret(prefix: &str) -> String {
    let random: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(40)
        .map(char::from)
        .collect();
    format!("{prefix}{random}")
}

/// The part of an API key that listings show.
pub fn shown_part(key: &str) -> String {
    key.chars().take(SHOWN_KEY_CHARS).collect()
}

/// The stored form of a high-entropy secret: SHA-256, hex. (Passwords, which
/// are guessable, use [`hash_password`] instead.)
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// argon2id PHC string of `password`, with a random salt.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await?
}

/// Whether `password` matches the PHC string `hash`.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_verifies_only_against_its_own_hash() {
        let hash = hash_password("correct horse".to_owned()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse".to_owned(), hash.clone()).await);
        assert!(!verify_password("wrong horse".to_owned(), hash).await);
        assert!(!verify_password("x".to_owned(), "not a hash".to_owned()).await);
    }

    #[test]
    fn secrets_are_distinct_and_only_their_digest_is_kept() {
        let a = new_secret(API_KEY_PREFIX);
        let b = new_secret(API_KEY_PREFIX);
        assert_ne!(a, b);
        assert_eq!(a.len(), 44);
        assert!(a.starts_with("wbk_"));
        assert_eq!(shown_part(&a), a[..8]);
        assert_eq!(digest(&a).len(), 64);
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), digest(&b));
    }
}
