//! Master key, envelope encryption and KMS key material.
