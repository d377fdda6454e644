//! Secrets wabot must keep in clear to use them, sealed at rest: each
//! session's webhook HMAC key and each WAHA instance's API key are stored
//! encrypted (AES-256-GCM, a random 96-bit nonce each time, the column's
//! purpose as associated data), as `sealed:v1:<key id>:<base64>`.
//!
//! Keys come from `secrets.keys` (`id:base64,id:base64`, 32 bytes each):
//! the first seals, every one opens. Without it, a key file
//! (`secrets.key_file`, made on first start, readable by its owner only)
//! holds one key: fine for one node, but several nodes sharing a database
//! must share `secrets.keys`. Rotation: put a new key first and keep the
//! old ones after it; at start, every secret not sealed under the first
//! key (and any left in clear by an older version) is sealed again under
//! it ([`SecretBox::needs_sealing`]); then the old keys can go.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use wabot_actors::StoreError;

use crate::config::SecretSettings;

/// Prefix of a sealed value.
const SEALED: &str = "sealed:v1:";

/// What a sealed value is for; a ciphertext of one purpose does not open
/// as another.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    /// `tenants.webhook_secret`.
    WebhookSecret,
    /// `waha_instances.api_key`.
    WahaApiKey,
}

impl Purpose {
    fn aad(self) -> Aad<&'static [u8]> {
        Aad::from(match self {
            Purpose::WebhookSecret => b"tenants.webhook_secret".as_slice(),
            Purpose::WahaApiKey => b"waha_instances.api_key".as_slice(),
        })
    }
}

/// The sealing keys.
pub struct SecretBox {
    current: String,
    keys: HashMap<String, LessSafeKey>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SecretBox(current key {:?}, {} keys)",
            self.current,
            self.keys.len()
        )
    }
}

impl SecretBox {
    /// The keys `settings` name, or the key file's (made if missing).
    pub fn from_settings(settings: &SecretSettings) -> anyhow::Result<Self> {
        match &settings.keys {
            Some(keys) => Self::from_list(keys.expose()),
            None => Self::from_list(&key_file(&settings.key_file)?),
        }
    }

    /// One random key for this process only, for work that reads or
    /// writes no secret (migrations, benchmarks, tests).
    pub fn ephemeral() -> Self {
        Self::from_list(&new_key_list("ephemeral")).expect("a random 32-byte key is a valid key")
    }

    /// Keys from `id:base64,id:base64`.
    pub fn from_list(list: &str) -> anyhow::Result<Self> {
        let mut keys = HashMap::new();
        let mut current = None;
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, encoded) = entry
                .split_once(':')
                .ok_or_else(|| anyhow::anyhow!("secrets.keys: each key is id:base64"))?;
            anyhow::ensure!(
                !id.is_empty()
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "secrets.keys: a key id is letters, digits, '-' or '_'"
            );
            let bytes = STANDARD
                .decode(encoded.trim())
                .map_err(|_| anyhow::anyhow!("secrets.keys: key {id} is not base64"))?;
            let key = UnboundKey::new(&AES_256_GCM, &bytes)
                .map_err(|_| anyhow::anyhow!("secrets.keys: key {id} must be 32 bytes"))?;
            anyhow::ensure!(
                keys.insert(id.to_owned(), LessSafeKey::new(key)).is_none(),
                "secrets.keys: key id {id} is used twice"
            );
            current.get_or_insert_with(|| id.to_owned());
        }
        let current = current.ok_or_else(|| anyhow::anyhow!("secrets.keys names no key"))?;
        Ok(Self { current, keys })
    }

    /// `value` sealed under the current key.
    pub fn seal(&self, value: &str, purpose: Purpose) -> String {
        let key = &self.keys[&self.current];
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let mut sealed = value.as_bytes().to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce_bytes),
            purpose.aad(),
            &mut sealed,
        )
        .expect("AES-GCM seals any input shorter than 64 GiB");
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        format!("{SEALED}{}:{}", self.current, URL_SAFE_NO_PAD.encode(out))
    }

    /// The clear value of `stored`: opened if sealed, as it is if an older
    /// version left it in clear.
    pub fn open(&self, stored: &str, purpose: Purpose) -> Result<String, StoreError> {
        let Some(rest) = stored.strip_prefix(SEALED) else {
            return Ok(stored.to_owned());
        };
        let failed = |why: &str| StoreError::Backend(format!("a sealed secret {why}"));
        let (id, encoded) = rest.split_once(':').ok_or_else(|| failed("is malformed"))?;
        let key = self.keys.get(id).ok_or_else(|| {
            failed(&format!(
                "needs key '{id}', which secrets.keys does not name"
            ))
        })?;
        let bytes = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| failed("is not base64"))?;
        if bytes.len() < NONCE_LEN {
            return Err(failed("is too short"));
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| failed("has a bad nonce"))?;
        let mut sealed = sealed.to_vec();
        let clear = key
            .open_in_place(nonce, purpose.aad(), &mut sealed)
            .map_err(|_| failed("does not open with its key (wrong key, or tampered with)"))?;
        String::from_utf8(clear.to_vec()).map_err(|_| failed("is not text"))
    }

    /// Whether `stored` should be sealed again: it is in clear, or sealed
    /// under another key than the current one.
    pub fn needs_sealing(&self, stored: &str) -> bool {
        let current = format!("{SEALED}{}:", self.current);
        !stored.starts_with(&current)
    }
}

/// A key list of one new random key named `id`, as `secrets.keys` takes it.
pub fn new_key_list(id: &str) -> String {
    let key: [u8; 32] = rand::random();
    format!("{id}:{}", STANDARD.encode(key))
}

/// The key list kept in `path`, made (one random key, readable by its
/// owner only) if the file does not exist. Two processes starting at once
/// agree on one key: the file appears whole, by a hard link, or not at all.
fn key_file(path: &Path) -> anyhow::Result<String> {
    use anyhow::Context;
    if let Ok(list) = std::fs::read_to_string(path) {
        return Ok(list.trim().to_owned());
    }
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("creating {}", folder.display()))?;
    }
    let draft = path.with_extension(format!("new-{}", uuid::Uuid::new_v4().simple()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&draft)
        .with_context(|| format!("creating the secrets key file {}", draft.display()))?;
    std::io::Write::write_all(&mut file, new_key_list("local").as_bytes())?;
    file.sync_all()?;
    let linked = std::fs::hard_link(&draft, path);
    let _ = std::fs::remove_file(&draft);
    match linked {
        Ok(()) => {
            tracing::warn!(path = %path.display(), "made a key to seal secrets at rest; several nodes must share secrets.keys instead")
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(error) => return Err(error).with_context(|| format!("creating {}", path.display())),
    }
    Ok(std::fs::read_to_string(path)?.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> String {
        STANDARD.encode([byte; 32])
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_purpose() {
        let keys = SecretBox::from_list(&format!("new:{},old:{}", key(2), key(1))).unwrap();
        let sealed = keys.seal("hmac-key-0123456789", Purpose::WebhookSecret);
        assert!(sealed.starts_with("sealed:v1:new:"), "{sealed}");
        assert!(!sealed.contains("hmac-key"));
        assert_eq!(
            keys.open(&sealed, Purpose::WebhookSecret).unwrap(),
            "hmac-key-0123456789"
        );
        assert_ne!(
            sealed,
            keys.seal("hmac-key-0123456789", Purpose::WebhookSecret),
            "fresh nonce"
        );
        assert!(
            keys.open(&sealed, Purpose::WahaApiKey).is_err(),
            "bound to its purpose"
        );
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(keys.open(&tampered, Purpose::WebhookSecret).is_err());

        let only_old = SecretBox::from_list(&format!("old:{}", key(1))).unwrap();
        assert!(only_old.open(&sealed, Purpose::WebhookSecret).is_err());
        let old_sealed = only_old.seal("k", Purpose::WahaApiKey);
        assert_eq!(
            keys.open(&old_sealed, Purpose::WahaApiKey).unwrap(),
            "k",
            "rotation"
        );
        assert!(keys.needs_sealing(&old_sealed));
        assert!(!keys.needs_sealing(&sealed));
        assert!(keys.needs_sealing("left-in-clear"));
        assert_eq!(
            keys.open("left-in-clear", Purpose::WahaApiKey).unwrap(),
            "left-in-clear"
        );
    }

    #[test]
    fn bad_key_lists_are_refused() {
        for bad in [
            "",
            "nocolon",
            "a:notbase64!",
            &format!("a:{}", STANDARD.encode([0u8; 16])),
            &format!("a:{},a:{}", key(1), key(2)),
        ] {
            assert!(SecretBox::from_list(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_key_file_is_made_once_and_kept() {
        let path = std::env::temp_dir()
            .join(format!("wabot-keys-{}", uuid::Uuid::new_v4().simple()))
            .join("secrets.key");
        let settings = SecretSettings {
            keys: None,
            key_file: path.clone(),
        };
        let first = SecretBox::from_settings(&settings).unwrap();
        let sealed = first.seal("x", Purpose::WahaApiKey);
        let again = SecretBox::from_settings(&settings).unwrap();
        assert_eq!(again.open(&sealed, Purpose::WahaApiKey).unwrap(), "x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
