//! Identifiers in AWS's shapes: 12-digit accounts, `AKIA`/`ASIA` key ids, `AIDA`/`AROA`/`ANPA`
//! unique ids, 40-character secrets, UUID request ids.

use crypto::Random;
use std::sync::Arc;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The 40 bits an access key id holds its account in (12 digits need 40 bits).
const ACCOUNT_MASK: u64 = (1 << 40) - 1;

/// Base32 (RFC 4648 alphabet, no padding) of bytes whose bit count is a multiple of 5.
fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in bytes {
        acc = (acc << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((acc >> bits) & 31) as usize]));
        }
    }
    out
}

/// The account an access key id made by [`Ids::access_key_id_for`] (or by AWS since 2019)
/// carries, or `None` if the id is not shaped like one.
pub fn account_of_key(access_key_id: &str) -> Option<String> {
    let body = access_key_id.get(4..)?;
    if body.len() != 16 {
        return None;
    }
    let mut head: u64 = 0;
    // The first 6 bytes are the first 48 bits: 9.6 characters; take 10 and drop the extra 2 bits.
    for c in body.bytes().take(10) {
        let v = BASE32.iter().position(|b| *b == c)?;
        head = (head << 5) | v as u64;
    }
    let first48 = head >> 2;
    let account = (first48 >> 7) & ACCOUNT_MASK;
    Some(format!("{account:012}"))
}

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

    /// `len` characters of lower-case letters and digits, as AWS Organizations' ids have
    /// (`o-`, `r-`, `ou-`, `p-`, `car-` and these).
    pub fn lower(&self, len: usize) -> String {
        self.pick(b"abcdefghijklmnopqrstuvwxyz012345", len)
    }

    /// A long-term access key id: `AKIA` and 16 characters.
    pub fn access_key_id(&self) -> String {
        self.prefixed("AKIA", 16)
    }

    /// An access key id (`AKIA` or `ASIA` and 16 characters) that carries its account as AWS's
    /// do, so that `sts:GetAccessKeyInfo` can read the account back out of it: the 16
    /// characters are 80 bits of base32 whose bits 78..=40 hold the 12-digit account id.
    pub fn access_key_id_for(&self, prefix: &str, account: &str) -> String {
        let account: u64 = account.parse().unwrap_or(0) & ACCOUNT_MASK;
        let mut bytes = [0u8; 10];
        self.rng.fill(&mut bytes);
        let low = u64::from(bytes[5] & 0x7f);
        let head = (account << 7) | low;
        bytes[..6].copy_from_slice(&head.to_be_bytes()[2..]);
        format!("{prefix}{}", base32(&bytes))
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

    /// A random number (jitter, sampling).
    pub fn random_u64(&self) -> u64 {
        let mut b = [0u8; 8];
        self.rng.fill(&mut b);
        u64::from_le_bytes(b)
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

    #[test]
    fn key_ids_carry_their_account() {
        let ids = ids();
        for account in ["123456789012", "999999999999", "100000000000"] {
            let id = ids.access_key_id_for("AKIA", account);
            assert!(id.starts_with("AKIA") && id.len() == 20, "{id}");
            assert!(id[4..].bytes().all(|b| BASE32.contains(&b)));
            assert_eq!(account_of_key(&id).as_deref(), Some(account));
        }
        // A key id AWS published with its account (from "a short note on AWS key ids").
        assert_eq!(account_of_key("ASIAY34FZKBOKMUTVV7A").as_deref(), Some("609629065308"));
        assert_eq!(account_of_key("AKIA"), None);
        assert_eq!(account_of_key("AKIA0000000000000000"), None);
    }
}
