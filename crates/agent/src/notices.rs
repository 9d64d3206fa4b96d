//! The application notices of the client secret's life, as they arrive on SQS. Amazon's
//! envelopes come in two casings (`notificationType`, `payload`, `notificationMetadata` and
//! `NotificationType`, `Payload`, `NotificationMetadata`); both are read, and so are both casings
//! of the payload's members.

use crypto::Secret;
use jiff::Timestamp;
use serde_json::Value;

/// The largest notice read.
const MAX_NOTICE: usize = 256 * 1024;

/// A notice.
#[derive(Debug)]
pub(crate) enum Notice {
    /// `APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY`: the current secret expires at `expires_at`.
    Expiry { id: String, client_id: String, expires_at: Timestamp, event_time: Option<Timestamp> },
    /// `APPLICATION_OAUTH_CLIENT_NEW_SECRET`: a rotation made `secret`.
    NewSecret { id: String, client_id: String, secret: Secret, expires_at: Timestamp },
    /// Another notification type: not the agent's.
    Other { id: String, kind: String },
}

impl Notice {
    /// Its notification id.
    pub fn id(&self) -> &str {
        match self {
            Notice::Expiry { id, .. } | Notice::NewSecret { id, .. } | Notice::Other { id, .. } => id,
        }
    }
}

/// `obj[name]`, or its PascalCase twin.
fn member<'a>(obj: &'a Value, name: &str) -> Option<&'a Value> {
    obj.get(name).or_else(|| {
        let mut chars = name.chars();
        let first = chars.next()?;
        obj.get(format!("{}{}", first.to_ascii_uppercase(), chars.as_str()))
    })
}

fn text<'a>(obj: &'a Value, name: &str) -> Result<&'a str, String> {
    member(obj, name).and_then(Value::as_str).ok_or_else(|| format!("the notice has no {name}"))
}

fn time(obj: &Value, name: &str) -> Result<Timestamp, String> {
    text(obj, name)?.parse().map_err(|_| format!("the notice's {name} is not a time"))
}

/// Parses an SQS message body.
pub(crate) fn parse(body: &str) -> Result<Notice, String> {
    if body.len() > MAX_NOTICE {
        return Err("the message is too large to be a notice".into());
    }
    let v: Value = serde_json::from_str(body).map_err(|_| "the message is not JSON".to_owned())?;
    let kind = text(&v, "notificationType")?;
    let meta = member(&v, "notificationMetadata").ok_or("the notice has no notificationMetadata")?;
    let id = text(meta, "notificationId")?.to_owned();
    let payload = member(&v, "payload").ok_or("the notice has no payload")?;
    match kind {
        "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY" => {
            let p = member(payload, "applicationOAuthClientSecretExpiry").ok_or("the notice has no expiry payload")?;
            Ok(Notice::Expiry {
                id,
                client_id: text(p, "clientId")?.to_owned(),
                expires_at: time(p, "clientSecretExpiryTime")?,
                event_time: time(&v, "eventTime").ok(),
            })
        }
        "APPLICATION_OAUTH_CLIENT_NEW_SECRET" => {
            let p = member(payload, "applicationOAuthClientNewSecret").ok_or("the notice has no new-secret payload")?;
            Ok(Notice::NewSecret {
                id,
                client_id: text(p, "clientId")?.to_owned(),
                secret: Secret::new(text(p, "newClientSecret")?),
                expires_at: time(p, "newClientSecretExpiryTime")?,
            })
        }
        other => Ok(Notice::Other { id, kind: other.chars().take(100).collect() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW: &str = r#"{"notificationVersion":"1.0","notificationType":"APPLICATION_OAUTH_CLIENT_NEW_SECRET",
        "payloadVersion":"2023-11-30","eventTime":"2026-11-22T00:00:00Z",
        "payload":{"applicationOAuthClientNewSecret":{"clientId":"amzn1.application-oa2-client.1",
          "newClientSecret":"amzn1.oa2-cs.v1.new","newClientSecretExpiryTime":"2027-05-21T00:00:00Z",
          "oldClientSecretExpiryTime":"2026-11-29T00:00:00Z"}},
        "notificationMetadata":{"applicationId":"amzn1.sp.solution.1","subscriptionId":"s",
          "publishTime":"2026-11-22T00:00:00Z","notificationId":"n-1"}}"#;

    #[test]
    fn both_casings_of_both_notices() {
        let Notice::NewSecret { id, client_id, secret, expires_at } = parse(NEW).unwrap() else {
            panic!("not a new secret");
        };
        assert_eq!((id.as_str(), client_id.as_str()), ("n-1", "amzn1.application-oa2-client.1"));
        assert_eq!(secret.expose(), "amzn1.oa2-cs.v1.new");
        assert_eq!(expires_at.to_string(), "2027-05-21T00:00:00Z");
        let pascal = r#"{"NotificationVersion":"1.0","NotificationType":"APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY",
            "EventTime":"2026-11-22T00:00:00Z",
            "Payload":{"ApplicationOAuthClientSecretExpiry":{"ClientId":"c","ClientSecretExpiryTime":"2026-12-22T00:00:00Z",
              "ClientSecretExpiryReason":"PERIODIC_ROTATION"}},
            "NotificationMetadata":{"NotificationId":"n-2"}}"#;
        let Notice::Expiry { id, expires_at, event_time, .. } = parse(pascal).unwrap() else {
            panic!("not an expiry");
        };
        assert_eq!((id.as_str(), expires_at.to_string().as_str()), ("n-2", "2026-12-22T00:00:00Z"));
        assert_eq!(event_time.unwrap().to_string(), "2026-11-22T00:00:00Z");
        assert!(format!("{:?}", parse(NEW).unwrap()).contains("redacted"));
    }

    #[test]
    fn other_and_broken_notices() {
        let order =
            r#"{"notificationType":"ORDER_CHANGE","payload":{},"notificationMetadata":{"notificationId":"n-3"}}"#;
        assert!(matches!(parse(order).unwrap(), Notice::Other { kind, .. } if kind == "ORDER_CHANGE"));
        assert!(parse("not json").is_err());
        assert!(parse(&NEW.replace("newClientSecretExpiryTime\":\"2027", "newClientSecretExpiryTime\":\"x")).is_err());
        assert!(parse(&NEW.replace("notificationId", "id")).unwrap_err().contains("notificationId"));
    }

    proptest::proptest! {
        #[test]
        fn any_body_parses_or_not_without_panicking(body in ".{0,400}") {
            let _ = parse(&body);
        }
    }
}
