//! The SP-API sandbox: LWA, apps, consent, application management, notifications, tokens.
