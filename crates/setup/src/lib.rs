//! Provision and verify the seller's IAM and rotation infrastructure.
//!
//! [`setup::run`] creates what the seller guides and the credential-rotation blog describe, step
//! by step, idempotently: the IAM user, the `SellingPartnerAPI` policy, the role trusting the
//! user and the user's inline STS policy (legacy: SP-API has ignored IAM since 2 October 2023);
//! the KMS key and its alias; the three SecureString parameters (the client secret on the
//! Advanced tier with the `NoChangeNotification` policy); the SNS topic `lwa-credential-rotation`
//! with its e-mail and SMS subscriptions and a policy that lets EventBridge publish; the rule
//! `My-ERP-Rotate` and its target; and the two SQS queues SP-API sends the client secret's
//! notices to, with a policy for Amazon's account. [`doctor::run`] checks the whole chain, one
//! check per link, each with the fix.
//!
//! Everything goes through the aws-sdk clients with the standard credential chain, so the same
//! commands run against real AWS or against `spcred serve` (`AWS_ENDPOINT_URL`).

pub mod aws;
pub mod doctor;
pub mod documents;
pub mod setup;
pub mod template;

use agent::config::ParameterNames;
use crypto::Secret;

/// How long a client secret lives, in days: Amazon requires a rotation every 180 days.
pub const SECRET_LIFETIME_DAYS: i64 = 180;

/// The names of everything setup creates and doctor checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// The LWA credentials' parameters, named as the agent reads them.
    pub parameters: ParameterNames,
    /// The IAM user's access key id, kept as a SecureString beside the LWA credentials.
    pub user_access_key_id: String,
    /// The IAM user's secret access key.
    pub user_secret_access_key: String,
    /// The KMS key's alias.
    pub key_alias: String,
}

/// What both commands cover.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The names.
    pub names: Names,
    /// The guides' IAM user, policy, role and STS policy too (legacy SigV4 mode).
    pub iam: bool,
    /// E-mail addresses subscribed to the topic.
    pub emails: Vec<String>,
    /// Phone numbers (E.164) subscribed to the topic by SMS.
    pub phones: Vec<String>,
}

impl Scope {
    /// The subscriptions asked for, as (protocol, endpoint).
    pub fn subscribers(&self) -> Vec<(&'static str, String)> {
        let emails = self.emails.iter().map(|e| ("email", e.clone()));
        emails.chain(self.phones.iter().map(|p| ("sms", p.clone()))).collect()
    }
}

/// The IAM user of the guides' step 2.
pub const IAM_USER: &str = "SellingPartnerAPIUser";
/// The guides' managed policy name (step 3).
pub const IAM_POLICY: &str = "SellingPartnerAPI";
/// The role of step 4.
pub const IAM_ROLE: &str = "SellingPartnerAPIRole";
/// The user's inline STS policy of step 5.
pub const STS_POLICY: &str = "SellingPartnerAPIAssumeRole";
/// The blog's topic.
pub const TOPIC: &str = "lwa-credential-rotation";
/// The blog's rule.
pub const RULE: &str = "My-ERP-Rotate";
/// The blog's target id.
pub const TARGET_ID: &str = "my-sns-target-to-multi-email-and-sms";
/// The queue for `APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY`.
pub const EXPIRY_QUEUE: &str = "lwa-client-secret-expiry";
/// The queue for `APPLICATION_OAUTH_CLIENT_NEW_SECRET`.
pub const NEW_SECRET_QUEUE: &str = "lwa-client-secret-new";

impl Names {
    /// The names under `prefix` (the blog's `/my-erp`), laid out as the agent reads them.
    pub fn under(prefix: &str) -> Self {
        let p = prefix.trim_end_matches('/');
        let alias: String =
            p.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
        Self {
            parameters: ParameterNames::under(p),
            user_access_key_id: format!("{p}/iam/accessKeyId"),
            user_secret_access_key: format!("{p}/iam/secretAccessKey"),
            key_alias: format!("alias/{}-lwa", alias.trim_matches('-')),
        }
    }
}

/// The ARNs of one account and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The 12-digit account id.
    pub id: String,
    /// The region of the regional resources.
    pub region: String,
}

impl Account {
    /// The IAM user's ARN.
    pub fn user_arn(&self) -> String {
        format!("arn:aws:iam::{}:user/{IAM_USER}", self.id)
    }
    /// The role's ARN.
    pub fn role_arn(&self) -> String {
        format!("arn:aws:iam::{}:role/{IAM_ROLE}", self.id)
    }
    /// The managed policy's ARN.
    pub fn policy_arn(&self) -> String {
        format!("arn:aws:iam::{}:policy/{IAM_POLICY}", self.id)
    }
    /// The topic's ARN.
    pub fn topic_arn(&self) -> String {
        format!("arn:aws:sns:{}:{}:{TOPIC}", self.region, self.id)
    }
    /// The rule's ARN (default bus).
    pub fn rule_arn(&self) -> String {
        format!("arn:aws:events:{}:{}:rule/{RULE}", self.region, self.id)
    }
    /// A queue's ARN.
    pub fn queue_arn(&self, name: &str) -> String {
        format!("arn:aws:sqs:{}:{}:{name}", self.region, self.id)
    }
}

/// The LWA credentials setup stores. Never printed: `Secret` redacts itself.
#[derive(Debug, Default)]
pub struct Credentials {
    /// `SPCRED_LWA_CLIENT_ID`.
    pub client_id: Option<Secret>,
    /// `SPCRED_LWA_CLIENT_SECRET`.
    pub client_secret: Option<Secret>,
    /// `SPCRED_REFRESH_TOKEN`.
    pub refresh_token: Option<Secret>,
}

/// The variables (and the keys of the stdin form) that carry the credentials.
pub const CREDENTIAL_VARIABLES: [&str; 3] =
    ["SPCRED_LWA_CLIENT_ID", "SPCRED_LWA_CLIENT_SECRET", "SPCRED_REFRESH_TOKEN"];

impl Credentials {
    /// From `lookup` of each of [`CREDENTIAL_VARIABLES`]; empty values count as absent.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).map(Secret::new);
        Self {
            client_id: get(CREDENTIAL_VARIABLES[0]),
            client_secret: get(CREDENTIAL_VARIABLES[1]),
            refresh_token: get(CREDENTIAL_VARIABLES[2]),
        }
    }

    /// From `NAME=value` lines (the variables' names), as piped on stdin. Unknown names are an
    /// error so that a typo does not silently keep an old secret; the message names the key only.
    pub fn from_lines(text: &str) -> Result<Self, String> {
        let mut values: Vec<(String, String)> = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (key, value) = line.split_once('=').ok_or("stdin: expected NAME=value lines")?;
            let key = key.trim();
            if !CREDENTIAL_VARIABLES.contains(&key) {
                return Err(format!(
                    "stdin: unknown name {key:?}; expected one of {}",
                    CREDENTIAL_VARIABLES.join(", ")
                ));
            }
            values.push((key.to_owned(), value.to_owned()));
        }
        Ok(Self::from_lookup(|name| values.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone())))
    }

    /// `self` where given, else `other`.
    #[must_use]
    pub fn or(self, other: Credentials) -> Credentials {
        Credentials {
            client_id: self.client_id.or(other.client_id),
            client_secret: self.client_secret.or(other.client_secret),
            refresh_token: self.refresh_token.or(other.refresh_token),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blogs_names_and_a_valid_alias() {
        let n = Names::under("/my-erp/");
        assert_eq!(n.parameters.client_id, "/my-erp/lwa/clientidentifier");
        assert_eq!(n.parameters.client_secret, "/my-erp/lwa/clientsecret");
        assert_eq!(n.user_access_key_id, "/my-erp/iam/accessKeyId");
        assert_eq!(n.key_alias, "alias/my-erp-lwa");
        assert_eq!(Names::under("/shop/eu").key_alias, "alias/shop-eu-lwa");
    }

    #[test]
    fn credentials_from_stdin_lines() {
        let c = Credentials::from_lines("# from the console\nSPCRED_LWA_CLIENT_ID=amzn1.application-oa2-client.1\n\nSPCRED_LWA_CLIENT_SECRET= s=cret \n")
            .unwrap();
        assert_eq!(c.client_id.unwrap().expose(), "amzn1.application-oa2-client.1");
        assert_eq!(c.client_secret.unwrap().expose(), "s=cret");
        assert!(c.refresh_token.is_none());
        let err = Credentials::from_lines("SPCRED_LWA_CLIENT_SECRT=topsecret").unwrap_err();
        assert!(err.contains("SPCRED_LWA_CLIENT_SECRT") && !err.contains("topsecret"), "{err}");
        assert!(Credentials::from_lines("just-a-secret").is_err());
    }

    proptest::proptest! {
        #[test]
        fn stdin_never_panics_and_errors_never_show_a_value(
            lines in proptest::collection::vec(("[A-Z_]{0,30}", "[ -~]{0,20}"), 0..6),
        ) {
            let text = lines.iter().fold(String::new(), |text, (k, v)| text + k + "=xyzzy" + v + "\n");
            if let Err(e) = Credentials::from_lines(&text) {
                proptest::prop_assert!(!e.contains("xyzzy"), "{e}");
            }
        }
    }

    #[test]
    fn given_values_beat_the_fallback() {
        let env = Credentials::from_lookup(|n| (n == "SPCRED_REFRESH_TOKEN").then(|| "Atzr|env".to_owned()));
        let stdin = Credentials::from_lines("SPCRED_REFRESH_TOKEN=Atzr|stdin\nSPCRED_LWA_CLIENT_ID=id").unwrap();
        let c = stdin.or(env);
        assert_eq!(c.refresh_token.unwrap().expose(), "Atzr|stdin");
        assert_eq!(c.client_id.unwrap().expose(), "id");
    }
}
