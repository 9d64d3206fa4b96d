//! The seller-side agent: token broker, SP-API proxy, rotation.
