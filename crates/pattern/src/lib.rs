//! EventBridge event-pattern matching (pure).
