//! IAM policy grammar, validation and evaluation (pure).
