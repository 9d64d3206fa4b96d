//! SigV4: canonical requests, signing and constant-time verification (pure).
