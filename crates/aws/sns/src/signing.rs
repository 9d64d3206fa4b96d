//! Message signatures as SNS makes them: an RSA key per store, its self-signed certificate
//! served at the `SigningCertURL`, and PKCS#1 v1.5 signatures (SHA-1 for `SignatureVersion` 1,
//! SHA-256 for 2) over SNS's documented string to sign, base64-encoded.
//!
//! The private key is made once per store with aws-lc-rs, sealed under the master key, and
//! kept in the store; every node sharing the store signs with it. Signing uses the `rsa`
//! crate's constant-time implementation, since aws-lc-rs does not sign with SHA-1.

use aws_core::env::Env;
use base64::Engine as _;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use std::fmt;

/// The AAD that binds the sealed key to its row.
const KEY_AAD: &str = "sns-signing-key";

/// Fields of a message that take part in its signature, in the order SNS signs them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Signed<'a> {
    /// `Message`.
    pub message: &'a str,
    /// `MessageId`.
    pub message_id: &'a str,
    /// `Subject` (notifications only, when present).
    pub subject: Option<&'a str>,
    /// `SubscribeURL` (confirmations only).
    pub subscribe_url: Option<&'a str>,
    /// `Timestamp`.
    pub timestamp: &'a str,
    /// `Token` (confirmations only).
    pub token: Option<&'a str>,
    /// `TopicArn`.
    pub topic_arn: &'a str,
    /// `Type`: `Notification`, `SubscriptionConfirmation` or `UnsubscribeConfirmation`.
    pub kind: &'a str,
}

impl Signed<'_> {
    /// SNS's string to sign: each present field's name, a newline, its value, a newline, in
    /// the documented order (which differs for notifications and confirmations).
    pub fn string_to_sign(&self) -> String {
        let mut out = String::new();
        let mut add = |name: &str, value: Option<&str>| {
            if let Some(v) = value {
                out.push_str(name);
                out.push('\n');
                out.push_str(v);
                out.push('\n');
            }
        };
        add("Message", Some(self.message));
        add("MessageId", Some(self.message_id));
        if self.kind == "Notification" {
            add("Subject", self.subject);
            add("Timestamp", Some(self.timestamp));
            add("TopicArn", Some(self.topic_arn));
        } else {
            add("SubscribeURL", self.subscribe_url);
            add("Timestamp", Some(self.timestamp));
            add("Token", self.token);
            add("TopicArn", Some(self.topic_arn));
        }
        add("Type", Some(self.kind));
        out
    }
}

/// The store's signing key and certificate.
pub struct Signer {
    sha1: SigningKey<sha1::Sha1>,
    sha256: SigningKey<rsa::sha2::Sha256>,
    cert_pem: String,
    cert_name: String,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer").field("cert_name", &self.cert_name).finish_non_exhaustive()
    }
}

/// Why the signing key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The key or certificate could not be made or read back.
    #[error("the SNS signing key is unusable: {0}")]
    Key(String),
}

impl Signer {
    /// Builds a signer from a PKCS#8 key and its certificate.
    pub fn from_parts(pkcs8: &[u8], cert_pem: String) -> Result<Self, SigningError> {
        let key = rsa::RsaPrivateKey::from_pkcs8_der(pkcs8).map_err(|e| SigningError::Key(e.to_string()))?;
        let der = pem_body(&cert_pem).ok_or_else(|| SigningError::Key("the certificate is not PEM".into()))?;
        let digest = crypto::sha256(&der);
        let cert_name = format!("SimpleNotificationService-{}.pem", hex::encode(&digest[..16]));
        Ok(Self { sha1: SigningKey::new(key.clone()), sha256: SigningKey::new(key), cert_pem, cert_name })
    }

    /// Makes a new 2048-bit key and a ten-year self-signed certificate for it, valid from `now_ms`.
    pub fn generate(now_ms: i64) -> Result<(Vec<u8>, String), SigningError> {
        let err = |e: rcgen::Error| SigningError::Key(e.to_string());
        let key = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).map_err(err)?;
        let mut params = rcgen::CertificateParams::new(vec!["sns.spcred.local".to_owned()]).map_err(err)?;
        params.distinguished_name.push(rcgen::DnType::CommonName, "spcred SNS message signing");
        params.distinguished_name.push(rcgen::DnType::OrganizationName, "spcred");
        let today = jiff::Timestamp::from_millisecond(now_ms)
            .map_err(|e| SigningError::Key(e.to_string()))?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date();
        let month = today.month().unsigned_abs();
        let day = today.day().unsigned_abs().min(28);
        params.not_before = rcgen::date_time_ymd(i32::from(today.year()), month, day);
        params.not_after = rcgen::date_time_ymd(i32::from(today.year()) + 10, month, day);
        let cert = params.self_signed(&key).map_err(err)?;
        Ok((key.serialized_der().to_vec(), cert.pem()))
    }

    /// The certificate, PEM.
    pub fn certificate_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The certificate's file name (`SimpleNotificationService-<hash>.pem`).
    pub fn certificate_name(&self) -> &str {
        &self.cert_name
    }

    /// The `SigningCertURL` under `public_url`.
    pub fn certificate_url(&self, public_url: &str) -> String {
        format!("{public_url}/{}", self.cert_name)
    }

    /// The base64 signature of `string_to_sign` for `SignatureVersion` `version` ("1" or "2").
    pub fn sign(&self, version: &str, string_to_sign: &str) -> Result<String, SigningError> {
        let message = string_to_sign.as_bytes();
        let signature = if version == "2" {
            self.sha256.try_sign(message).map(|s| s.to_vec())
        } else {
            self.sha1.try_sign(message).map(|s| s.to_vec())
        }
        .map_err(|e| SigningError::Key(e.to_string()))?;
        Ok(base64::engine::general_purpose::STANDARD.encode(signature))
    }

    /// The store's signer, made and kept on first use.
    pub async fn load_or_create(env: &Env) -> Result<Self, SigningError> {
        let stored = store::sns::signing_key(&mut *env.store.read().await?).await?;
        let (sealed, cert) = if let Some(found) = stored {
            found
        } else {
            let (pkcs8, cert) = Self::generate(env.now_ms())?;
            let sealed = env.seal(&pkcs8, KEY_AAD);
            let mut tx = env.store.begin().await?;
            let kept = store::sns::put_signing_key(&mut tx, &sealed, &cert, env.now_ms()).await?;
            tx.commit().await.map_err(store::StoreError::from)?;
            kept
        };
        let pkcs8 = env
            .open(&sealed, KEY_AAD)
            .map_err(|_| SigningError::Key("the sealed signing key does not open under this master key".into()))?;
        Self::from_parts(&pkcs8, cert)
    }
}

/// The DER inside a PEM block.
pub(crate) fn pem_body(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::pkcs8::DecodePublicKey as _;
    use rsa::signature::Verifier as _;
    use serde_json::Value;

    const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../testdata/sns");

    /// The RSA public key of a PEM certificate.
    fn public_key(cert_pem: &str) -> rsa::RsaPublicKey {
        let der = pem_body(cert_pem).unwrap();
        let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
        rsa::RsaPublicKey::from_public_key_der(cert.public_key().raw).unwrap()
    }

    fn verify(cert_pem: &str, version: &str, string_to_sign: &str, signature_b64: &str) -> bool {
        let key = public_key(cert_pem);
        let bytes = base64::engine::general_purpose::STANDARD.decode(signature_b64).unwrap();
        let signature = Signature::try_from(bytes.as_slice()).unwrap();
        if version == "2" {
            VerifyingKey::<rsa::sha2::Sha256>::new(key).verify(string_to_sign.as_bytes(), &signature).is_ok()
        } else {
            VerifyingKey::<sha1::Sha1>::new(key).verify(string_to_sign.as_bytes(), &signature).is_ok()
        }
    }

    fn signed(message: &Value) -> Signed<'_> {
        let field = |name: &str| message.get(name).and_then(Value::as_str);
        Signed {
            message: field("Message").unwrap(),
            message_id: field("MessageId").unwrap(),
            subject: field("Subject"),
            subscribe_url: field("SubscribeURL"),
            timestamp: field("Timestamp").unwrap(),
            token: field("Token"),
            topic_arn: field("TopicArn").unwrap(),
            kind: field("Type").unwrap(),
        }
    }

    /// Real SNS messages verify against their certificates with our string to sign (the
    /// certificates have expired, so validity is not checked here: the clock is pinned by not
    /// consulting it).
    #[test]
    fn real_sns_messages_verify_with_our_string_to_sign() {
        let cases = [
            (
                "aws-sdk-ruby/message-SignatureVersion1-SHA1.json",
                "aws-sdk-ruby/cert-2021-sns-us-east-2-7ff5318490ec183fbaddaa2a969abfda.pem",
            ),
            (
                "aws-sdk-ruby/message-SignatureVersion2-SHA256.json",
                "aws-sdk-ruby/cert-2021-sns-us-east-2-7ff5318490ec183fbaddaa2a969abfda.pem",
            ),
            (
                "aws-sdk-ruby/message-2012-SignatureVersion1-SHA1-with-Subject.json",
                "aws-sdk-ruby/cert-2010-sns-eu-west-1-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
            ),
            ("aws-sdk-java-v2/sample-message.json", "aws-sdk-java-v2/unit-test-public-cert.pem"),
        ];
        for (message, cert) in cases {
            let text = std::fs::read_to_string(format!("{TESTDATA}/{message}")).unwrap();
            let cert = std::fs::read_to_string(format!("{TESTDATA}/{cert}")).unwrap();
            let json: Value = serde_json::from_str(&text).unwrap();
            let version = json["SignatureVersion"].as_str().unwrap();
            let string_to_sign = signed(&json).string_to_sign();
            assert!(verify(&cert, version, &string_to_sign, json["Signature"].as_str().unwrap()), "{message}");
            // One changed character and it no longer verifies.
            let tampered = string_to_sign.replacen("Message\n", "Message\nX", 1);
            assert!(!verify(&cert, version, &tampered, json["Signature"].as_str().unwrap()), "{message}");
        }
    }

    #[test]
    fn the_string_to_sign_follows_the_documented_order() {
        let notification = Signed {
            message: "m",
            message_id: "id",
            subject: Some("s"),
            timestamp: "t",
            topic_arn: "arn",
            kind: "Notification",
            ..Signed::default()
        };
        assert_eq!(
            notification.string_to_sign(),
            "Message\nm\nMessageId\nid\nSubject\ns\nTimestamp\nt\nTopicArn\narn\nType\nNotification\n"
        );
        let confirmation = Signed {
            message: "m",
            message_id: "id",
            subscribe_url: Some("u"),
            timestamp: "t",
            token: Some("k"),
            topic_arn: "arn",
            kind: "SubscriptionConfirmation",
            ..Signed::default()
        };
        assert_eq!(
            confirmation.string_to_sign(),
            "Message\nm\nMessageId\nid\nSubscribeURL\nu\nTimestamp\nt\nToken\nk\nTopicArn\narn\nType\nSubscriptionConfirmation\n"
        );
    }

    #[test]
    fn our_signatures_verify_against_our_certificate() {
        let now = 1_700_000_000_000;
        let (pkcs8, cert) = Signer::generate(now).unwrap();
        let signer = Signer::from_parts(&pkcs8, cert.clone()).unwrap();
        assert!(signer.certificate_name().starts_with("SimpleNotificationService-"));
        assert_eq!(signer.certificate_url("http://h:1"), format!("http://h:1/{}", signer.certificate_name()));
        let text = Signed {
            message: "hi",
            message_id: "1",
            timestamp: "t",
            topic_arn: "a",
            kind: "Notification",
            ..Signed::default()
        }
        .string_to_sign();
        for version in ["1", "2"] {
            let signature = signer.sign(version, &text).unwrap();
            assert!(verify(&cert, version, &text, &signature));
            assert!(!verify(&cert, version, "something else", &signature));
        }
        // The SHA-1 and SHA-256 signatures differ and do not cross-verify.
        let v1 = signer.sign("1", &text).unwrap();
        assert!(!verify(&cert, "2", &text, &v1));
        // The certificate is valid now and for years, on the server's clock.
        let der = pem_body(&cert).unwrap();
        let (_, parsed) = x509_parser::parse_x509_certificate(&der).unwrap();
        let at = |ms: i64| x509_parser::time::ASN1Time::from_timestamp(ms / 1000).unwrap();
        assert!(parsed.validity().is_valid_at(at(now)));
        assert!(parsed.validity().is_valid_at(at(now + 9 * 365 * 86_400_000)));
    }
}
