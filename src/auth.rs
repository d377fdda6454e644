//! Credentials: argon2id password hashes, and the random secrets wabot hands
//! out (API keys, login tokens, webhook keys), of which only a SHA-256
//! digest is stored. Hashing is CPU- and memory-heavy, so it runs on a
//! bounded pool of its own threads ([`PasswordHashing`]).

mod hashing;

use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};

pub use hashing::{HashingError, PasswordHashing};

/// Prefix of API keys (`wbk_…`), so a leaked key is easy to recognise.
pub const API_KEY_PREFIX: &str = "wbk_";
/// Prefix of login tokens (`wbs_…`).
pub const LOGIN_TOKEN_PREFIX: &str = "wbs_";
/// Characters of an API key shown in listings: the prefix and 8 more
/// (62^8 ≈ 2·10^14 values), so a tenant's keys are told apart at a glance.
const SHOWN_KEY_CHARS: usize = 12;

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
/// are guessable, use [`PasswordHashing`] instead.)
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_distinct_and_only_their_digest_is_kept() {
        let a = new_secret(API_KEY_PREFIX);
        let b = new_secret(API_KEY_PREFIX);
        assert_ne!(a, b);
        assert_eq!(a.len(), 44);
        assert!(a.starts_with("wbk_"));
        assert_eq!(shown_part(&a), a[..12]);
        assert_eq!(digest(&a).len(), 64);
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), digest(&b));
    }
}
