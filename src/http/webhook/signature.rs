//! WAHA's webhook signature (waha-api.md §4.10): `X-Webhook-Hmac` is the
//! lowercase hex HMAC-SHA512 of the raw body, keyed with the session's
//! secret; `X-Webhook-Hmac-Algorithm`, when sent, must be `sha512`.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::Sha512;

use crate::http::error::ApiError;

/// Checks the signature of `body` in constant time.
pub(super) fn verify(headers: &HeaderMap, body: &[u8], secret: &str) -> Result<(), ApiError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(algorithm) = header("x-webhook-hmac-algorithm")
        && !algorithm.eq_ignore_ascii_case("sha512")
    {
        return Err(ApiError::Unauthorized(format!(
            "unsupported webhook signature algorithm '{algorithm}' (expected sha512)"
        )));
    }
    let signature = header("x-webhook-hmac")
        .ok_or_else(|| ApiError::Unauthorized("missing X-Webhook-Hmac header".to_owned()))?;
    let signature = hex::decode(signature)
        .map_err(|_| ApiError::Unauthorized("X-Webhook-Hmac is not hex".to_owned()))?;
    let mut mac =
        Hmac::<Sha512>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&signature)
        .map_err(|_| ApiError::Unauthorized("invalid webhook signature".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(signature: &str, algorithm: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-webhook-hmac", signature.parse().unwrap());
        headers.insert("x-webhook-hmac-algorithm", algorithm.parse().unwrap());
        headers
    }

    const BODY: &[u8] = br#"{"event":"message","session":"default","engine":"WEBJS"}"#;
    const VECTOR: &str = "208f8a55dde9e05519e898b10b89bf0d0b3b0fdf11fdbf09b6b90476301b98d8097c462b2b17a6ce93b6b47a136cf2e78a33a63f6752c2c1631777076153fa89";

    #[test]
    fn the_documented_test_vector_verifies() {
        assert!(verify(&headers(VECTOR, "sha512"), BODY, "my-secret-key").is_ok());
    }

    #[test]
    fn a_wrong_key_a_changed_body_or_another_algorithm_is_refused() {
        assert!(verify(&headers(VECTOR, "sha512"), BODY, "other-key").is_err());
        assert!(verify(&headers(VECTOR, "sha512"), b"{}", "my-secret-key").is_err());
        assert!(verify(&headers(VECTOR, "sha256"), BODY, "my-secret-key").is_err());
        assert!(verify(&HeaderMap::new(), BODY, "my-secret-key").is_err());
    }
}
