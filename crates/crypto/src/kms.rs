//! KMS key material and ciphertext blobs.
//!
//! A KMS key has one or more versions of 256-bit key material (one more after every rotation).
//! The material is kept at rest sealed under the master key's at-rest subkey, bound to the key
//! and version it belongs to.
//!
//! A ciphertext blob must reveal nothing, not even which key made it, yet `Decrypt` must find
//! the key by itself. So a blob carries a small header naming the key and material version,
//! sealed under the [`Purpose::KmsEnvelope`](crate::Purpose::KmsEnvelope) subkey, followed by
//! the payload sealed under that key material:
//!
//! ```text
//! 0x01 | header length (u16, big endian) | header | payload
//! header  = AES-GCM(envelope key, version (u32 BE) || key id, AAD "spcred kms header")
//! payload = AES-GCM(key material, plaintext, AAD = header || canonical encryption context)
//! ```
//!
//! Binding the sealed header into the payload's AAD keeps a header from being spliced onto
//! another payload; binding the canonical encryption context makes the context a required input
//! of decryption, as in AWS KMS.

use crate::random::Random;
use crate::seal::{DataKey, Error};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

const BLOB_V1: u8 = 1;
const HEADER_AAD: &[u8] = b"spcred kms header";
/// The longest key id a header carries (AWS key ids are 36-character UUIDs).
pub const MAX_KEY_ID_LEN: usize = 64;

/// An encryption context: AWS's non-secret key-value pairs bound to a ciphertext.
pub type EncryptionContext = BTreeMap<String, String>;

/// The canonical byte form of an encryption context, used as additional authenticated data:
/// the pairs in byte order of their keys, each key and value preceded by its length as a
/// 32-bit big-endian integer, so that no two different contexts share a form.
pub fn canonical_context(context: &EncryptionContext) -> Vec<u8> {
    let mut out = Vec::with_capacity(context.iter().map(|(k, v)| 8 + k.len() + v.len()).sum());
    for (k, v) in context {
        for part in [k.as_bytes(), v.as_bytes()] {
            // A part longer than u32::MAX cannot arrive in a request body of a few MB.
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(part);
        }
    }
    out
}

/// One version of a KMS key's material: 256 bits.
#[derive(Clone)]
pub struct KeyMaterial(DataKey);

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyMaterial(<redacted>)")
    }
}

fn material_aad(key_id: &str, version: u32) -> Vec<u8> {
    format!("spcred kms material\0{key_id}\0{version}").into_bytes()
}

impl KeyMaterial {
    /// Fresh random material.
    pub fn generate(rng: &dyn Random) -> Self {
        Self(DataKey::generate(rng))
    }

    /// The material sealed for storage under `at_rest`, bound to its key and version.
    pub fn seal(&self, at_rest: &DataKey, rng: &dyn Random, key_id: &str, version: u32) -> Vec<u8> {
        at_rest.seal(rng, self.0.expose_bytes(), &material_aad(key_id, version))
    }

    /// Opens material sealed by [`KeyMaterial::seal`] for the same key and version.
    pub fn open(at_rest: &DataKey, sealed: &[u8], key_id: &str, version: u32) -> Result<Self, Error> {
        let bytes = at_rest.open(sealed, &material_aad(key_id, version))?;
        DataKey::from_bytes(&bytes).map(Self).map_err(|_| Error::Open)
    }
}

/// Which key and material version sealed a blob; hidden inside the blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobOrigin {
    /// The KMS key id.
    pub key_id: String,
    /// The material version.
    pub version: u32,
}

/// Seals and opens KMS ciphertext blobs (see the module documentation for the format).
#[derive(Debug, Clone)]
pub struct Envelope(DataKey);

impl Envelope {
    /// Uses `key`, the master key's [`Purpose::KmsEnvelope`](crate::Purpose::KmsEnvelope) subkey.
    pub fn new(key: DataKey) -> Self {
        Self(key)
    }

    /// Encrypts `plaintext` under `material` with `context` bound. Key ids longer than
    /// [`MAX_KEY_ID_LEN`] are refused (callers only pass ids they created).
    pub fn seal(
        &self,
        rng: &dyn Random,
        origin: &BlobOrigin,
        material: &KeyMaterial,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, Error> {
        if origin.key_id.len() > MAX_KEY_ID_LEN {
            return Err(Error::KeyLength);
        }
        let mut header_plain = Vec::with_capacity(4 + origin.key_id.len());
        header_plain.extend_from_slice(&origin.version.to_be_bytes());
        header_plain.extend_from_slice(origin.key_id.as_bytes());
        let header = self.0.seal(rng, &header_plain, HEADER_AAD);
        let header_len = u16::try_from(header.len()).map_err(|_| Error::KeyLength)?;
        let payload = material.0.seal(rng, plaintext, &payload_aad(&header, context));
        let mut blob = Vec::with_capacity(3 + header.len() + payload.len());
        blob.push(BLOB_V1);
        blob.extend_from_slice(&header_len.to_be_bytes());
        blob.extend_from_slice(&header);
        blob.extend_from_slice(&payload);
        Ok(blob)
    }

    /// Which key and version sealed `blob`. Fails for anything that is not a blob of this store.
    pub fn origin(&self, blob: &[u8]) -> Result<BlobOrigin, Error> {
        let (header, _) = split(blob)?;
        let plain = self.0.open(header, HEADER_AAD)?;
        let (version, key_id) = plain.split_at_checked(4).ok_or(Error::Open)?;
        let version = u32::from_be_bytes(version.try_into().map_err(|_| Error::Open)?);
        let key_id = std::str::from_utf8(key_id).map_err(|_| Error::Open)?.to_owned();
        Ok(BlobOrigin { key_id, version })
    }

    /// Decrypts `blob` with the material named by its origin and the same `context` it was
    /// sealed with. A wrong context, material or any altered byte fails alike.
    pub fn open(
        &self,
        blob: &[u8],
        material: &KeyMaterial,
        context: &EncryptionContext,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        let (header, payload) = split(blob)?;
        material.0.open(payload, &payload_aad(header, context))
    }
}

fn payload_aad(header: &[u8], context: &EncryptionContext) -> Vec<u8> {
    let mut aad = header.to_vec();
    aad.extend_from_slice(&canonical_context(context));
    aad
}

fn split(blob: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    let (&format, rest) = blob.split_first().ok_or(Error::Open)?;
    if format != BLOB_V1 {
        return Err(Error::Open);
    }
    let (len, rest) = rest.split_at_checked(2).ok_or(Error::Open)?;
    let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
    rest.split_at_checked(len).ok_or(Error::Open)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MasterKey, Purpose, SystemRandom};
    use proptest::prelude::*;

    const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

    fn envelope() -> Envelope {
        Envelope::new(MasterKey::generate(&SystemRandom).subkey(Purpose::KmsEnvelope))
    }

    fn context(pairs: &[(&str, &str)]) -> EncryptionContext {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn origin(version: u32) -> BlobOrigin {
        BlobOrigin { key_id: KEY_ID.into(), version }
    }

    #[test]
    fn seal_then_open_with_the_same_context() {
        let env = envelope();
        let material = KeyMaterial::generate(&SystemRandom);
        let ctx = context(&[("PARAMETER_ARN", "arn:aws:ssm:us-east-1:111122223333:parameter/a")]);
        let blob = env.seal(&SystemRandom, &origin(3), &material, b"171yourclientsecret", &ctx).unwrap();
        assert_eq!(env.origin(&blob).unwrap(), origin(3));
        assert_eq!(env.open(&blob, &material, &ctx).unwrap().as_slice(), b"171yourclientsecret");
    }

    #[test]
    fn the_context_is_required_and_exact() {
        let env = envelope();
        let material = KeyMaterial::generate(&SystemRandom);
        let ctx = context(&[("a", "1"), ("b", "2")]);
        let blob = env.seal(&SystemRandom, &origin(1), &material, b"x", &ctx).unwrap();
        for wrong in
            [context(&[]), context(&[("a", "1")]), context(&[("a", "1"), ("b", "3")]), context(&[("a1", "b2")])]
        {
            assert_eq!(env.open(&blob, &material, &wrong).unwrap_err(), Error::Open, "{wrong:?}");
        }
    }

    #[test]
    fn canonical_context_is_unambiguous_and_order_free() {
        assert_ne!(canonical_context(&context(&[("ab", "c")])), canonical_context(&context(&[("a", "bc")])));
        assert_ne!(canonical_context(&context(&[("a", "")])), canonical_context(&context(&[])));
        let mut reversed = EncryptionContext::new();
        reversed.insert("z".into(), "1".into());
        reversed.insert("a".into(), "2".into());
        assert_eq!(canonical_context(&reversed), canonical_context(&context(&[("a", "2"), ("z", "1")])));
    }

    #[test]
    fn blobs_hide_the_key_id_the_version_and_the_plaintext() {
        let env = envelope();
        let material = KeyMaterial::generate(&SystemRandom);
        let plaintext = b"a plaintext long enough to be found if it leaked";
        let a = env.seal(&SystemRandom, &origin(7), &material, plaintext, &context(&[])).unwrap();
        let b = env.seal(&SystemRandom, &origin(7), &material, plaintext, &context(&[])).unwrap();
        assert_ne!(a, b);
        for needle in [KEY_ID.as_bytes(), &plaintext[..16], material.0.expose_bytes()] {
            assert!(!a.windows(needle.len()).any(|w| w == needle));
        }
    }

    #[test]
    fn another_store_cannot_read_the_origin() {
        let material = KeyMaterial::generate(&SystemRandom);
        let blob = envelope().seal(&SystemRandom, &origin(1), &material, b"x", &context(&[])).unwrap();
        assert_eq!(envelope().origin(&blob).unwrap_err(), Error::Open);
    }

    #[test]
    fn wrong_material_and_tampering_fail() {
        let env = envelope();
        let material = KeyMaterial::generate(&SystemRandom);
        let blob = env.seal(&SystemRandom, &origin(1), &material, b"secret", &context(&[])).unwrap();
        let other = KeyMaterial::generate(&SystemRandom);
        assert!(env.open(&blob, &other, &context(&[])).is_err());
        for i in 0..blob.len() {
            let mut t = blob.clone();
            t[i] ^= 0x80;
            let opened = env.origin(&t).is_ok() && env.open(&t, &material, &context(&[])).is_ok();
            assert!(!opened, "flip at {i} went unnoticed");
        }
    }

    #[test]
    fn a_header_cannot_be_moved_onto_another_payload() {
        let env = envelope();
        let material = KeyMaterial::generate(&SystemRandom);
        let a = env.seal(&SystemRandom, &origin(1), &material, b"first", &context(&[])).unwrap();
        let b = env.seal(&SystemRandom, &origin(1), &material, b"second", &context(&[])).unwrap();
        let (ha, _) = split(&a).unwrap();
        let (_, pb) = split(&b).unwrap();
        let mut spliced = a[..3].to_vec();
        spliced.extend_from_slice(ha);
        spliced.extend_from_slice(pb);
        assert!(env.open(&spliced, &material, &context(&[])).is_err());
    }

    #[test]
    fn material_round_trips_at_rest_bound_to_key_and_version() {
        let at_rest = MasterKey::generate(&SystemRandom).subkey(Purpose::AtRest);
        let material = KeyMaterial::generate(&SystemRandom);
        let sealed = material.seal(&at_rest, &SystemRandom, KEY_ID, 2);
        assert!(!sealed.windows(32).any(|w| w == material.0.expose_bytes()));
        let opened = KeyMaterial::open(&at_rest, &sealed, KEY_ID, 2).unwrap();
        assert_eq!(opened.0.expose_bytes(), material.0.expose_bytes());
        assert!(KeyMaterial::open(&at_rest, &sealed, KEY_ID, 1).is_err());
        assert!(KeyMaterial::open(&at_rest, &sealed, "another-key", 2).is_err());
    }

    #[test]
    fn overlong_key_ids_are_refused() {
        let material = KeyMaterial::generate(&SystemRandom);
        let origin = BlobOrigin { key_id: "k".repeat(MAX_KEY_ID_LEN + 1), version: 1 };
        assert!(envelope().seal(&SystemRandom, &origin, &material, b"x", &context(&[])).is_err());
    }

    #[test]
    fn debug_redacts_material() {
        assert_eq!(format!("{:?}", KeyMaterial::generate(&SystemRandom)), "KeyMaterial(<redacted>)");
    }

    proptest! {
        #[test]
        fn parsing_never_panics(blob in proptest::collection::vec(any::<u8>(), 0..200)) {
            let env = envelope();
            let _ = env.origin(&blob);
            let _ = env.open(&blob, &KeyMaterial::generate(&SystemRandom), &EncryptionContext::new());
        }

        #[test]
        fn any_plaintext_and_context_round_trip(
            plaintext in proptest::collection::vec(any::<u8>(), 1..600),
            pairs in proptest::collection::btree_map(".{0,8}", ".{0,8}", 0..4),
            version in any::<u32>(),
        ) {
            let env = envelope();
            let material = KeyMaterial::generate(&SystemRandom);
            let origin = BlobOrigin { key_id: KEY_ID.into(), version };
            let blob = env.seal(&SystemRandom, &origin, &material, &plaintext, &pairs).unwrap();
            prop_assert_eq!(env.origin(&blob).unwrap(), origin);
            let opened = env.open(&blob, &material, &pairs).unwrap();
            prop_assert_eq!(opened.as_slice(), plaintext.as_slice());
        }
    }
}
