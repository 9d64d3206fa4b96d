//! Identifiers in AWS's shapes: 12-digit accounts, `AKIA`/`ASIA` key ids, `AIDA`/`AROA`/`ANPA`
//! unique ids, 40-character secrets, UUID request ids.

use crypto::Random;
use std::sync::Arc;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Makes identifiers from the injected randomness.
#[derive(Debug, Clone)]
pub struct Ids {
    rng: Arc<dyn Random>,
}

impl Ids {
    /// Uses `rng`.
    pub fn new(rng: Arc<dyn Random>) -> Self {
        Self { rng }
    }

    fn pick(&self, alphabet: &[u8], len: usize) -> String {
        // Both alphabets have a power-of-two size, so masking a random byte is unbiased.
        debug_assert!(alphabet.len().is_power_of_two());
        let mut bytes = vec![0u8; len];
        self.rng.fill(&mut bytes);
        bytes.iter().map(|b| char::from(alphabet[usize::from(*b) & (alphabet.len() - 1)])).collect()
    }

    /// A 12-digit account id that does not start with 0.
    pub fn account_id(&self) -> String {
        let mut bytes = [0u8; 12];
        self.rng.fill(&mut bytes);
        bytes
            .iter()
            .enumerate()
            .map(|(i, b)| {
                // Rejection would be exact; a modulo bias of a few parts in 256 is irrelevant for ids.
                let digit = if i == 0 { 1 + b % 9 } else { b % 10 };
                char::from(b'0' + digit)
            })
            .collect()
    }

    /// An id with an AWS prefix (`AKIA`, `ASIA`, `AIDA`, `AROA`, `ANPA`, `AGPA`) and `len` base32 characters.
    pub fn prefixed(&self, prefix: &str, len: usize) -> String {
        format!("{prefix}{}", self.pick(BASE32, len))
    }

    /// A long-term access key id: `AKIA` and 16 characters.
    pub fn access_key_id(&self) -> String {
        self.prefixed("AKIA", 16)
    }

    /// A temporary access key id: `ASIA` and 16 characters.
    pub fn session_key_id(&self) -> String {
        self.prefixed("ASIA", 16)
    }

    /// A unique id for a user, role, policy or group: the prefix and 17 characters.
    pub fn unique_id(&self, prefix: &str) -> String {
        self.prefixed(prefix, 17)
    }

    /// A 40-character secret access key.
    pub fn secret_access_key(&self) -> String {
        self.pick(SECRET_ALPHABET, 40)
    }

    /// A random UUID (request ids, message ids).
    pub fn uuid(&self) -> String {
        let mut b = [0u8; 16];
        self.rng.fill(&mut b);
        uuid::Builder::from_random_bytes(b).into_uuid().to_string()
    }

    /// `n` random bytes, hex-encoded.
    pub fn hex(&self, n: usize) -> String {
        let mut b = vec![0u8; n];
        self.rng.fill(&mut b);
        hex::encode(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypto::SystemRandom;

    fn ids() -> Ids {
        Ids::new(Arc::new(SystemRandom))
    }

    #[test]
    fn shapes_match_aws() {
        let ids = ids();
        let account = ids.account_id();
        assert_eq!(account.len(), 12);
        assert!(account.bytes().all(|b| b.is_ascii_digit()) && !account.starts_with('0'));
        let akid = ids.access_key_id();
        assert!(akid.starts_with("AKIA") && akid.len() == 20);
        assert!(akid.bytes().all(|b| BASE32.contains(&b)));
        assert!(ids.session_key_id().starts_with("ASIA"));
        assert_eq!(ids.unique_id("AIDA").len(), 21);
        let secret = ids.secret_access_key();
        assert_eq!(secret.len(), 40);
        assert_ne!(secret, ids.secret_access_key());
        assert_eq!(ids.uuid().len(), 36);
    }
}
