//! Outbound delivery: SMTP, SMS, HTTPS and SQS, with retries.
