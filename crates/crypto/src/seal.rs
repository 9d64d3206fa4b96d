//! Keys and AES-256-GCM sealing.

use crate::random::Random;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use std::fmt;
use zeroize::{Zeroize, Zeroizing};

/// Length in bytes of every key spcred uses (256 bits).
pub const KEY_LEN: usize = 32;

/// The leading byte of every sealed blob; lets the format evolve without guessing.
const FORMAT_V1: u8 = 1;
const TAG_LEN: usize = 16;

/// Why a key could not be made or a blob could not be opened. Deliberately vague about the
/// cause of a failed open: a wrong key and a tampered blob must be indistinguishable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// Key bytes of the wrong length.
    #[error("a key must be exactly {KEY_LEN} bytes")]
    KeyLength,
    /// The blob is not one of ours, was sealed under another key or context, or was altered.
    #[error("the sealed data could not be opened")]
    Open,
}

/// What a subkey of the master key is for. Each purpose derives an unrelated key, so a blob or
/// MAC made for one purpose is useless for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Secrets stored in the database (IAM secret keys, KMS key material, held client secrets).
    AtRest,
    /// Keyed hashes of bearer secrets the server verifies but must not keep (LWA secrets, tokens).
    Verifier,
    /// The opaque header of KMS ciphertext blobs, which hides which key and material version sealed them.
    KmsEnvelope,
    /// The check value that tells whether a master key belongs to a store.
    KeyCheck,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::AtRest => b"spcred/v1/at-rest",
            Purpose::Verifier => b"spcred/v1/verifier",
            Purpose::KmsEnvelope => b"spcred/v1/kms-envelope",
            Purpose::KeyCheck => b"spcred/v1/key-check",
        }
    }
}

/// The 256-bit master key from which every key at rest is derived.
pub struct MasterKey(DataKey);

impl MasterKey {
    /// Uses the given key bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        DataKey::from_bytes(bytes).map(Self)
    }

    /// Makes a fresh random master key.
    pub fn generate(rng: &dyn Random) -> Self {
        Self(DataKey::generate(rng))
    }

    /// The raw key, for writing the key file once at initialisation.
    pub fn expose_bytes(&self) -> &[u8; KEY_LEN] {
        self.0.expose_bytes()
    }

    /// Derives the subkey for `purpose` (HKDF-SHA256, the purpose label as info).
    pub fn subkey(&self, purpose: Purpose) -> DataKey {
        let salt = aws_lc_rs::hkdf::Salt::new(aws_lc_rs::hkdf::HKDF_SHA256, b"spcred master key");
        let prk = salt.extract(self.0.expose_bytes());
        let info = [purpose.label()];
        let okm = prk.expand(&info, aws_lc_rs::hkdf::HKDF_SHA256).expect("HKDF-SHA256 can always expand to 32 bytes");
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        okm.fill(out.as_mut()).expect("output length equals the key type's length");
        DataKey(out)
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// A 256-bit AES-GCM key: a subkey of the master key, or KMS key material.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; KEY_LEN]>);

impl DataKey {
    /// Uses the given key bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        if bytes.len() != KEY_LEN {
            return Err(Error::KeyLength);
        }
        key.copy_from_slice(bytes);
        Ok(Self(key))
    }

    /// Makes fresh random key material.
    pub fn generate(rng: &dyn Random) -> Self {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rng.fill(key.as_mut());
        Self(key)
    }

    /// The raw key bytes.
    pub fn expose_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    fn aead(&self) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, self.0.as_ref()).expect("a 32-byte key is a valid AES-256 key"))
    }

    /// Seals `plaintext` with a random nonce, binding `aad`: `1 || nonce || ciphertext || tag`.
    pub fn seal(&self, rng: &dyn Random, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill(&mut nonce);
        let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + TAG_LEN);
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        self.aead()
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut body)
            .expect("AES-GCM sealing of an in-memory buffer cannot fail");
        out.extend_from_slice(&body);
        body.zeroize();
        out
    }

    /// Opens a blob made by [`DataKey::seal`] with the same `aad`.
    pub fn open(&self, blob: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let (&version, rest) = blob.split_first().ok_or(Error::Open)?;
        if version != FORMAT_V1 || rest.len() < NONCE_LEN + TAG_LEN {
            return Err(Error::Open);
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| Error::Open)?;
        let mut body = Zeroizing::new(sealed.to_vec());
        let len = self.aead().open_in_place(nonce, Aad::from(aad), body.as_mut_slice()).map_err(|_| Error::Open)?.len();
        body.truncate(len);
        Ok(body)
    }

    /// A keyed SHA-256 MAC, for storing verifiers of bearer secrets instead of the secrets.
    pub fn mac(&self, data: &[u8]) -> [u8; 32] {
        crate::hmac_sha256(self.0.as_ref(), data)
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SystemRandom;
    use proptest::prelude::*;

    fn key() -> DataKey {
        DataKey::generate(&SystemRandom)
    }

    #[test]
    fn seal_then_open_round_trips() {
        let k = key();
        let blob = k.seal(&SystemRandom, b"the secret", b"row 1");
        assert_eq!(k.open(&blob, b"row 1").unwrap().as_slice(), b"the secret");
    }

    #[test]
    fn blob_hides_the_plaintext_and_differs_each_time() {
        let k = key();
        let a = k.seal(&SystemRandom, b"the secret", b"");
        let b = k.seal(&SystemRandom, b"the secret", b"");
        assert_ne!(a, b);
        assert!(!a.windows(10).any(|w| w == b"the secret"));
    }

    #[test]
    fn wrong_key_wrong_aad_and_tampering_fail() {
        let k = key();
        let blob = k.seal(&SystemRandom, b"the secret", b"row 1");
        assert_eq!(key().open(&blob, b"row 1").unwrap_err(), Error::Open);
        assert_eq!(k.open(&blob, b"row 2").unwrap_err(), Error::Open);
        for i in 0..blob.len() {
            let mut t = blob.clone();
            t[i] ^= 1;
            assert!(k.open(&t, b"row 1").is_err(), "flip at {i} went unnoticed");
        }
        assert!(k.open(&blob[..blob.len() - 1], b"row 1").is_err());
        assert!(k.open(&[], b"row 1").is_err());
    }

    #[test]
    fn subkeys_differ_by_purpose_and_are_stable() {
        let master = MasterKey::from_bytes(&[7u8; 32]).unwrap();
        let a = master.subkey(Purpose::AtRest);
        let b = master.subkey(Purpose::Verifier);
        assert_ne!(a.expose_bytes(), b.expose_bytes());
        assert_eq!(a.expose_bytes(), master.subkey(Purpose::AtRest).expose_bytes());
        let blob = a.seal(&SystemRandom, b"x", b"");
        assert!(b.open(&blob, b"").is_err());
    }

    #[test]
    fn key_length_is_enforced() {
        assert_eq!(MasterKey::from_bytes(&[0u8; 31]).unwrap_err(), Error::KeyLength);
        assert!(DataKey::from_bytes(&[0u8; 33]).is_err());
    }

    #[test]
    fn debug_redacts_keys() {
        let master = MasterKey::from_bytes(&[0x41u8; 32]).unwrap();
        assert_eq!(format!("{master:?}"), "MasterKey(<redacted>)");
        assert_eq!(format!("{:?}", master.subkey(Purpose::AtRest)), "DataKey(<redacted>)");
    }

    proptest! {
        #[test]
        fn open_never_panics_on_arbitrary_blobs(blob in proptest::collection::vec(any::<u8>(), 0..100)) {
            let _ = key().open(&blob, b"");
        }

        #[test]
        fn round_trip_any_plaintext(p in proptest::collection::vec(any::<u8>(), 0..300), aad in proptest::collection::vec(any::<u8>(), 0..40)) {
            let k = key();
            let blob = k.seal(&SystemRandom, &p, &aad);
            let opened = k.open(&blob, &aad).unwrap();
            prop_assert_eq!(opened.as_slice(), p.as_slice());
        }
    }
}
