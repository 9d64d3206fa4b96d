//! What SNS delivers: the JSON envelope HTTP/S, `email-json` and SQS endpoints receive (in
//! SNS's own layout: two-space indent, `"Key" : value`), the e-mail texts, and message
//! attributes.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// A publish's size limit: message and attributes together.
pub const MAX_MESSAGE_BYTES: usize = 262_144;
/// Attributes a message may carry.
const MAX_ATTRIBUTES: usize = 10;

/// `2022-07-28T21:23:58.317Z`: SNS timestamps always carry milliseconds.
pub fn timestamp(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()).unwrap_or_default()
}

/// A message attribute as Publish takes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attribute {
    /// `String`, `Number`, `Binary` or `String.Array`, optionally with a `.custom` suffix.
    pub data_type: String,
    /// The value of a String, Number or String.Array attribute.
    pub string_value: Option<String>,
    /// The base64 value of a Binary attribute.
    pub binary_value: Option<String>,
}

/// Message attributes by name.
pub type Attributes = BTreeMap<String, Attribute>;

impl Attribute {
    fn is_binary(&self) -> bool {
        self.data_type.starts_with("Binary")
    }

    /// The value as the envelope's `Value` and as SQS carries it.
    pub fn value(&self) -> &str {
        if self.is_binary() { self.binary_value.as_deref() } else { self.string_value.as_deref() }.unwrap_or_default()
    }

    /// The value as a filter policy sees it: a string, a number, an array, or nothing (binary).
    pub fn filter_value(&self) -> Option<Value> {
        let value = self.string_value.as_deref()?;
        if self.data_type.starts_with("Number") {
            serde_json::from_str::<Value>(value).ok().filter(Value::is_number)
        } else if self.data_type.starts_with("String.Array") {
            serde_json::from_str::<Value>(value).ok().filter(Value::is_array)
        } else if self.is_binary() {
            None
        } else {
            Some(Value::String(value.to_owned()))
        }
    }

    /// The attribute as SQS's `MessageAttributes` entry.
    pub fn to_sqs(&self) -> Value {
        if self.is_binary() {
            serde_json::json!({"DataType": self.data_type, "BinaryValue": self.value()})
        } else {
            serde_json::json!({"DataType": self.data_type, "StringValue": self.value()})
        }
    }

    fn size(&self) -> usize {
        self.data_type.len() + self.value().len()
    }
}

fn valid_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..")
        && !lower.starts_with("aws.")
        && !lower.starts_with("amazon.")
}

/// Checks message attributes as SNS does; `Err` is the `ParameterValueInvalid` message.
pub fn check_attributes(attributes: &Attributes) -> Result<(), String> {
    if attributes.len() > MAX_ATTRIBUTES {
        return Err(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [{MAX_ATTRIBUTES}].",
            attributes.len()
        ));
    }
    for (name, attr) in attributes {
        if name.len() > 256 {
            return Err("Length of message attribute name must be less than 256 bytes.".into());
        }
        if !valid_name(name) {
            return Err(format!("The message attribute name '{name}' is invalid."));
        }
        let data_type = attr.data_type.as_str();
        let base = ["String", "Number", "Binary"].into_iter().find(|t| {
            data_type == *t || data_type.strip_prefix(t).is_some_and(|rest| rest.starts_with('.') && rest.len() > 1)
        });
        let Some(base) = base else {
            return Err(format!(
                "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
            ));
        };
        let field = if base == "Binary" { "Binary" } else { "String" };
        let (wanted, other) = if base == "Binary" {
            (&attr.binary_value, &attr.string_value)
        } else {
            (&attr.string_value, &attr.binary_value)
        };
        if wanted.is_none() && other.is_some() {
            return Err(format!("The message attribute '{name}' with type '{data_type}' must use field '{field}'."));
        }
        if wanted.as_deref().is_none_or(str::is_empty) {
            return Err(format!(
                "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{data_type}'."
            ));
        }
        if base == "Number" && attr.filter_value().is_none() {
            return Err(format!("Could not cast message attribute '{name}' value to number."));
        }
        if base == "Binary" && base64::engine::general_purpose::STANDARD.decode(attr.value()).is_err() {
            return Err(format!("The message attribute '{name}' has an invalid binary value."));
        }
        if data_type.starts_with("String.Array") && attr.filter_value().is_none() {
            return Err(format!(
                "The message attribute '{name}' with type 'String.Array' has an invalid value: it must be a JSON array."
            ));
        }
    }
    Ok(())
}

/// The size SNS counts for a publish: the message and every attribute's name, type and value.
pub fn publish_size(message: &str, attributes: &Attributes) -> usize {
    message.len() + attributes.iter().map(|(n, a)| n.len() + a.size()).sum::<usize>()
}

/// The JSON envelope of a notification or a confirmation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Envelope<'a> {
    /// `Notification`, `SubscriptionConfirmation` or `UnsubscribeConfirmation`.
    pub kind: &'a str,
    /// The message id.
    pub message_id: &'a str,
    /// The confirmation token.
    pub token: Option<&'a str>,
    /// The topic.
    pub topic_arn: &'a str,
    /// The subject.
    pub subject: Option<&'a str>,
    /// The message.
    pub message: &'a str,
    /// Where to confirm.
    pub subscribe_url: Option<&'a str>,
    /// When it was published.
    pub timestamp: &'a str,
    /// `1` or `2`.
    pub signature_version: &'a str,
    /// The base64 signature.
    pub signature: &'a str,
    /// Where the certificate is.
    pub signing_cert_url: &'a str,
    /// Where to unsubscribe (notifications).
    pub unsubscribe_url: Option<&'a str>,
    /// The message attributes (notifications).
    pub attributes: Option<&'a Attributes>,
}

fn quoted(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

impl Envelope<'_> {
    /// The envelope as SNS lays it out.
    pub fn to_json(self) -> String {
        let mut fields: Vec<(&str, String)> = vec![("Type", quoted(self.kind)), ("MessageId", quoted(self.message_id))];
        if self.kind == "Notification" {
            fields.push(("TopicArn", quoted(self.topic_arn)));
            if let Some(s) = self.subject {
                fields.push(("Subject", quoted(s)));
            }
            fields.push(("Message", quoted(self.message)));
        } else {
            fields.extend(self.token.map(|t| ("Token", quoted(t))));
            fields.push(("TopicArn", quoted(self.topic_arn)));
            fields.push(("Message", quoted(self.message)));
            fields.extend(self.subscribe_url.map(|u| ("SubscribeURL", quoted(u))));
        }
        fields.push(("Timestamp", quoted(self.timestamp)));
        fields.push(("SignatureVersion", quoted(self.signature_version)));
        fields.push(("Signature", quoted(self.signature)));
        fields.push(("SigningCertURL", quoted(self.signing_cert_url)));
        fields.extend(self.unsubscribe_url.map(|u| ("UnsubscribeURL", quoted(u))));
        if let Some(attributes) = self.attributes.filter(|a| !a.is_empty()) {
            let entries: Vec<String> = attributes
                .iter()
                .map(|(name, a)| {
                    format!("    {} : {}", quoted(name), serde_json::json!({"Type": a.data_type, "Value": a.value()}))
                })
                .collect();
            fields.push(("MessageAttributes", format!("{{\n{}\n  }}", entries.join(",\n"))));
        }
        let body: Vec<String> = fields.into_iter().map(|(k, v)| format!("  \"{k}\" : {v}")).collect();
        format!("{{\n{}\n}}", body.join(",\n"))
    }
}

/// The event a Lambda function subscribed to a topic is invoked with: one record holding the
/// notification, its keys spelled as Lambda's SNS event spells them (`SigningCertUrl`,
/// `UnsubscribeUrl`, `Subject` null when there is none).
pub fn lambda_event(subscription_arn: &str, e: &Envelope<'_>) -> String {
    let attributes: serde_json::Map<String, Value> = e
        .attributes
        .map(|a| {
            a.iter().map(|(n, a)| (n.clone(), serde_json::json!({"Type": a.data_type, "Value": a.value()}))).collect()
        })
        .unwrap_or_default();
    serde_json::json!({"Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription_arn,
        "Sns": {
            "Type": e.kind, "MessageId": e.message_id, "TopicArn": e.topic_arn, "Subject": e.subject,
            "Message": e.message, "Timestamp": e.timestamp, "SignatureVersion": e.signature_version,
            "Signature": e.signature, "SigningCertUrl": e.signing_cert_url, "UnsubscribeUrl": e.unsubscribe_url,
            "MessageAttributes": attributes,
        },
    }]})
    .to_string()
}

/// The subject of a notification e-mail without a Subject.
pub const DEFAULT_EMAIL_SUBJECT: &str = "AWS Notification Message";
/// The subject of a confirmation e-mail.
pub const CONFIRMATION_EMAIL_SUBJECT: &str = "AWS Notification - Subscription Confirmation";

/// A notification e-mail's text: the message, then how to unsubscribe.
pub fn notification_email(message: &str, unsubscribe_url: &str) -> String {
    format!(
        "{message}\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n{unsubscribe_url}\n\nPlease do not reply directly to this email.\n"
    )
}

/// A confirmation e-mail's text.
pub fn confirmation_email(topic_arn: &str, subscribe_url: &str) -> String {
    format!(
        "You have chosen to subscribe to the topic: \n{topic_arn}\n\nTo confirm this subscription, click or visit the link below (If this was in error no action is necessary): \n{subscribe_url}\n"
    )
}

/// The text of an HTTP/S `SubscriptionConfirmation`.
pub fn confirmation_text(topic_arn: &str) -> String {
    format!(
        "You have chosen to subscribe to the topic {topic_arn}.\nTo confirm the subscription, visit the SubscribeURL included in this message."
    )
}

/// An SMS text: the topic's display name (its first ten characters) as a prefix, if it has one.
pub fn sms_text(display_name: &str, message: &str) -> String {
    let prefix: String = display_name.chars().take(10).collect();
    if prefix.is_empty() { message.to_owned() } else { format!("{prefix}> {message}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(data_type: &str, string: Option<&str>, binary: Option<&str>) -> Attribute {
        Attribute {
            data_type: data_type.into(),
            string_value: string.map(Into::into),
            binary_value: binary.map(Into::into),
        }
    }

    #[test]
    fn timestamps_have_milliseconds() {
        assert_eq!(timestamp(1_659_043_438_317), "2022-07-28T21:23:58.317Z");
        assert_eq!(timestamp(1_659_043_438_000), "2022-07-28T21:23:58.000Z");
    }

    #[test]
    fn the_envelope_is_laid_out_as_sns_does() {
        // The shape of the real message in testdata/sns/aws-sdk-ruby.
        let json = Envelope {
            kind: "Notification",
            message_id: "792cda85-518f-5dd3-9163-81d851212f3a",
            topic_arn: "arn:aws:sns:us-east-2:295079676684:t",
            message: "Hello world",
            timestamp: "2022-07-28T21:23:58.317Z",
            signature_version: "1",
            signature: "c2ln",
            signing_cert_url: "https://sns.us-east-2.amazonaws.com/SimpleNotificationService-x.pem",
            unsubscribe_url: Some("https://sns.us-east-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=s"),
            ..Envelope::default()
        }
        .to_json();
        assert_eq!(
            json,
            "{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : \"792cda85-518f-5dd3-9163-81d851212f3a\",\n  \"TopicArn\" : \"arn:aws:sns:us-east-2:295079676684:t\",\n  \"Message\" : \"Hello world\",\n  \"Timestamp\" : \"2022-07-28T21:23:58.317Z\",\n  \"SignatureVersion\" : \"1\",\n  \"Signature\" : \"c2ln\",\n  \"SigningCertURL\" : \"https://sns.us-east-2.amazonaws.com/SimpleNotificationService-x.pem\",\n  \"UnsubscribeURL\" : \"https://sns.us-east-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=s\"\n}"
        );
        let parsed: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["Message"], "Hello world");
    }

    #[test]
    fn envelopes_escape_and_carry_attributes() {
        let mut attributes = Attributes::new();
        attributes.insert("color".into(), attr("String", Some("red \"x\""), None));
        attributes.insert("n".into(), attr("Number", Some("5"), None));
        let json = Envelope {
            kind: "Notification",
            message: "line\n\"quoted\"",
            subject: Some("S"),
            attributes: Some(&attributes),
            ..Envelope::default()
        }
        .to_json();
        let parsed: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["Message"], "line\n\"quoted\"");
        assert_eq!(parsed["Subject"], "S");
        assert_eq!(parsed["MessageAttributes"]["color"], serde_json::json!({"Type": "String", "Value": "red \"x\""}));
        assert_eq!(parsed["MessageAttributes"]["n"]["Value"], "5");
        let confirmation = Envelope {
            kind: "SubscriptionConfirmation",
            token: Some("tok"),
            subscribe_url: Some("http://x/?Action=ConfirmSubscription"),
            ..Envelope::default()
        }
        .to_json();
        let keys: Vec<String> =
            serde_json::from_str::<serde_json::Map<String, Value>>(&confirmation).unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "Type",
                "MessageId",
                "Token",
                "TopicArn",
                "Message",
                "SubscribeURL",
                "Timestamp",
                "SignatureVersion",
                "Signature",
                "SigningCertURL"
            ]
        );
    }

    #[test]
    fn attribute_checks() {
        let check = |name: &str, a: Attribute| check_attributes(&[(name.to_owned(), a)].into_iter().collect());
        assert!(check("ok", attr("String", Some("v"), None)).is_ok());
        assert!(check("n", attr("Number.float", Some("1.5"), None)).is_ok());
        assert!(check("b", attr("Binary", None, Some("aGk="))).is_ok());
        assert!(check("a", attr("String.Array", Some("[\"x\", 1, true]"), None)).is_ok());
        assert_eq!(
            check("x", attr("Strin", Some("v"), None)).unwrap_err(),
            "The message attribute 'x' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
        );
        assert_eq!(
            check("x", attr("String", Some(""), None)).unwrap_err(),
            "The message attribute 'x' must contain non-empty message attribute value for message attribute type 'String'."
        );
        assert_eq!(
            check("x", attr("Binary", Some("v"), None)).unwrap_err(),
            "The message attribute 'x' with type 'Binary' must use field 'Binary'."
        );
        assert!(check("x", attr("Number", Some("five"), None)).is_err());
        assert!(check("x", attr("String.Array", Some("nope"), None)).is_err());
        assert!(check("AWS.x", attr("String", Some("v"), None)).is_err());
        assert!(check("a..b", attr("String", Some("v"), None)).is_err());
        let many: Attributes = (0..11).map(|i| (format!("a{i}"), attr("String", Some("v"), None))).collect();
        assert_eq!(
            check_attributes(&many).unwrap_err(),
            "Number of message attributes [11] exceeds the allowed maximum [10]."
        );
    }

    #[test]
    fn filter_values() {
        assert_eq!(attr("Number", Some("12.5"), None).filter_value(), Some(serde_json::json!(12.5)));
        assert_eq!(attr("String.Array", Some("[\"a\"]"), None).filter_value(), Some(serde_json::json!(["a"])));
        assert_eq!(attr("Binary", None, Some("aGk=")).filter_value(), None);
        assert_eq!(attr("String", Some("x"), None).filter_value(), Some(serde_json::json!("x")));
    }

    #[test]
    fn sms_prefix() {
        assert_eq!(sms_text("", "hi"), "hi");
        assert_eq!(sms_text("Rotation reminders", "hi"), "Rotation r> hi");
    }
}
