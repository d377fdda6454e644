//! A fixed pool of threads that hash and check passwords, with a bounded
//! queue in front of it.
//!
//! argon2id takes about 19 MiB of memory per hash, on purpose. Run on
//! tokio's blocking pool, a flood of logins would start hundreds of threads,
//! each keeping its own allocator arena of that size. Here at most
//! `threads` hashes run at once on threads that live as long as the pool,
//! so the memory they hold is bounded by `threads` × 19 MiB whatever comes
//! in, and a request that finds the queue full is refused at once
//! ([`HashingError::Busy`], answered 503 with `Retry-After`) instead of
//! waiting without bound.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::oneshot;
use wabot_actors::metrics::RATE_LIMITED;

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    /// Every hashing thread is busy and the queue is full: retry later.
    #[error("too many logins and signups at once; retry in a moment")]
    Busy,
    /// The hash could not be made (or the pool stopped).
    #[error("hashing a password: {0}")]
    Failed(String),
}

/// Work for a hashing thread.
enum Job {
    Hash {
        password: String,
        reply: oneshot::Sender<Result<String, HashingError>>,
    },
    Verify {
        password: String,
        hash: String,
        reply: oneshot::Sender<bool>,
    },
}

/// The pool; cheap to share behind an `Arc`. Its threads end when it is
/// dropped.
pub struct PasswordHashing {
    jobs: SyncSender<Job>,
}

impl PasswordHashing {
    /// Starts `threads` hashing threads (at least one) behind a queue of
    /// `queue` waiting requests.
    pub fn start(threads: usize, queue: usize) -> std::io::Result<Self> {
        let (jobs, receiver) = std::sync::mpsc::sync_channel(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..threads.max(1) {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("password-hash-{index}"))
                .spawn(move || work(&receiver))?;
        }
        Ok(Self { jobs })
    }

    fn submit(&self, job: Job) -> Result<(), HashingError> {
        self.jobs.try_send(job).map_err(|error| match error {
            TrySendError::Full(_) => {
                metrics::counter!(RATE_LIMITED, "limit" => "password_hashing").increment(1);
                HashingError::Busy
            }
            TrySendError::Disconnected(_) => {
                HashingError::Failed("the hashing threads stopped".to_owned())
            }
        })
    }

    /// argon2id PHC string of `password`, with a random salt.
    pub async fn hash(&self, password: String) -> Result<String, HashingError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Hash { password, reply })?;
        answer
            .await
            .map_err(|_| HashingError::Failed("the hashing thread stopped".to_owned()))?
    }

    /// Whether `password` matches the PHC string `hash` (false for a
    /// malformed hash).
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, HashingError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Verify {
            password,
            hash,
            reply,
        })?;
        answer
            .await
            .map_err(|_| HashingError::Failed("the hashing thread stopped".to_owned()))
    }
}

/// A hashing thread: takes jobs until the pool is dropped, reusing one
/// block of argon2 memory for all of them.
fn work(receiver: &Mutex<Receiver<Job>>) {
    let mut hasher = ThreadHasher::default();
    loop {
        // The lock is held only while waiting for the next job.
        let job = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match job {
            Ok(Job::Hash { password, reply }) => {
                let _ = reply.send(hasher.hash(&password));
            }
            Ok(Job::Verify {
                password,
                hash,
                reply,
            }) => {
                let _ = reply.send(hasher.verify(&password, &hash));
            }
            Err(_) => return,
        }
    }
}

/// Most argon2 memory a stored hash may ask for (64 MiB), so a damaged or
/// foreign hash cannot make a thread allocate without bound.
const MAX_MEMORY_BLOCKS: usize = 64 * 1024;

/// Length of a new hash's random salt, in bytes (the PHC recommendation).
const SALT_BYTES: usize = 16;

/// One thread's argon2 working memory, allocated once and kept.
///
/// The argon2 crate's own `hash_password` allocates and frees 19 MiB per
/// call; glibc then raises its mmap threshold and keeps such blocks in
/// per-thread arenas, so a flood grew the heap by hundreds of MiB that were
/// never given back. Reusing one block per thread keeps memory flat.
#[derive(Default)]
struct ThreadHasher {
    memory: Vec<Block>,
}

impl ThreadHasher {
    /// Runs `argon2` into `out`, on this thread's memory.
    fn compute(
        &mut self,
        argon2: &Argon2<'_>,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<(), String> {
        let blocks = argon2.params().block_count();
        if blocks > MAX_MEMORY_BLOCKS {
            return Err(format!("the hash asks for {blocks} KiB of memory"));
        }
        if self.memory.len() != blocks {
            self.memory = vec![Block::default(); blocks];
        }
        argon2
            .hash_password_into_with_memory(password, salt, out, &mut self.memory[..])
            .map_err(|e| e.to_string())
    }

    /// A new argon2id PHC string for `password`, with a random salt.
    fn hash(&mut self, password: &str) -> Result<String, HashingError> {
        let failed = |e: &dyn std::fmt::Display| HashingError::Failed(e.to_string());
        let argon2 = Argon2::default();
        let salt_bytes: [u8; SALT_BYTES] = rand::random();
        let salt = Salt::new(&salt_bytes).map_err(|e| failed(&e))?;
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        self.compute(&argon2, password.as_bytes(), &salt, &mut out)
            .map_err(|e| failed(&e))?;
        let hash = PasswordHash {
            algorithm: Algorithm::default().ident(),
            version: Some(Version::default().into()),
            params: ParamsString::try_from(argon2.params()).map_err(|e| failed(&e))?,
            salt: Some(salt),
            hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
        };
        Ok(hash.to_string())
    }

    /// Whether `password` matches the PHC string `hash`, with the
    /// algorithm, version and parameters that `hash` names; false for a
    /// malformed hash.
    fn verify(&mut self, password: &str, hash: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return false;
        };
        let argon2 = match (
            Algorithm::try_from(parsed.algorithm.as_str()),
            parsed.version.map(Version::try_from).transpose(),
            Params::try_from(&parsed),
        ) {
            (Ok(algorithm), Ok(version), Ok(params)) => {
                Argon2::new(algorithm, version.unwrap_or_default(), params)
            }
            _ => return false,
        };
        let mut out = vec![0u8; expected.len()];
        self.compute(&argon2, password.as_bytes(), salt, &mut out)
            .is_ok()
            // `Output`'s equality is constant-time.
            && Output::new(&out).is_ok_and(|computed| &computed == expected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_verifies_only_against_its_own_hash() {
        let pool = PasswordHashing::start(1, 4).unwrap();
        let hash = pool.hash("correct horse".to_owned()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            pool.verify("correct horse".to_owned(), hash.clone())
                .await
                .unwrap()
        );
        assert!(!pool.verify("wrong horse".to_owned(), hash).await.unwrap());
        assert!(
            !pool
                .verify("x".to_owned(), "not a hash".to_owned())
                .await
                .unwrap()
        );
    }

    #[test]
    fn hashes_are_standard_phc_strings_the_argon2_crate_accepts() {
        use argon2::password_hash::PasswordVerifier;
        let mut hasher = ThreadHasher::default();
        let ours = hasher.hash("correct horse").unwrap();
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        // And a hash made by the crate itself verifies here.
        use argon2::password_hash::PasswordHasher;
        let theirs = Argon2::default()
            .hash_password(b"battery staple")
            .unwrap()
            .to_string();
        assert!(hasher.verify("battery staple", &theirs));
        assert!(!hasher.verify("battery stapler", &theirs));
    }

    #[tokio::test]
    async fn past_the_queue_requests_are_refused_not_queued() {
        let pool = Arc::new(PasswordHashing::start(1, 2).unwrap());
        let attempts: Vec<_> = (0..12)
            .map(|n| {
                let pool = pool.clone();
                tokio::spawn(async move { pool.hash(format!("password {n}")).await })
            })
            .collect();
        let mut hashed = 0;
        let mut busy = 0;
        for attempt in attempts {
            match attempt.await.unwrap() {
                Ok(_) => hashed += 1,
                Err(HashingError::Busy) => busy += 1,
                Err(other) => panic!("{other}"),
            }
        }
        // One thread plus two queued places: at most three at a time are
        // taken while the first hash runs; the rest are refused at once.
        assert!(hashed >= 1, "{hashed} hashed");
        assert!(busy >= 1, "{busy} refused");
        assert_eq!(hashed + busy, 12);
    }
}
