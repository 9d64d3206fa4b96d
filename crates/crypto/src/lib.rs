//! Master key, envelope encryption and KMS key material.
//!
//! Everything secret that spcred keeps at rest is sealed here with AES-256-GCM (aws-lc-rs): IAM
//! secret access keys, KMS key material, LWA client secrets held for agents. Purposes are kept
//! apart by deriving one subkey per purpose from the master key with HKDF, and by binding the
//! caller's context as additional authenticated data, so a blob sealed for one row or one purpose
//! cannot be replayed as another.

pub mod kms;
mod random;
mod seal;
mod secret;

pub use random::{Random, SystemRandom};
pub use seal::{DataKey, Error, KEY_LEN, MasterKey, Purpose};
pub use secret::{Secret, constant_time_eq, hmac_sha256, sha256};
