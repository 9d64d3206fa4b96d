//! `spcred agent` configuration: flags beat `SPCRED_AGENT_*` environment variables beat the TOML
//! file beat the defaults. The CLI resolves flags and environment (clap does both); this module
//! adds the file, the defaults and the checks.
//!
//! The defaults are Amazon's: SP-API at `https://sellingpartnerapi-{na,eu,fe}.amazon.com`, LWA at
//! `https://api.amazon.com/auth/o2/token`, and the credential-rotation blog's parameter names.

use crate::useragent;
use crypto::Secret;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// An SP-API region, as the proxy's paths name it (`/sp/na/...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Region {
    /// North America (`sellingpartnerapi-na.amazon.com`).
    Na,
    /// Europe (`sellingpartnerapi-eu.amazon.com`).
    Eu,
    /// Far East (`sellingpartnerapi-fe.amazon.com`).
    Fe,
}

impl Region {
    /// Every region.
    pub const ALL: [Region; 3] = [Region::Na, Region::Eu, Region::Fe];

    /// The region named `name` (`na`, `eu`, `fe`).
    pub fn parse(name: &str) -> Option<Region> {
        match name {
            "na" => Some(Region::Na),
            "eu" => Some(Region::Eu),
            "fe" => Some(Region::Fe),
            _ => None,
        }
    }

    /// Its name in paths and labels.
    pub fn name(self) -> &'static str {
        match self {
            Region::Na => "na",
            Region::Eu => "eu",
            Region::Fe => "fe",
        }
    }

    /// Amazon's production endpoint.
    pub fn amazon_endpoint(self) -> &'static str {
        match self {
            Region::Na => "https://sellingpartnerapi-na.amazon.com",
            Region::Eu => "https://sellingpartnerapi-eu.amazon.com",
            Region::Fe => "https://sellingpartnerapi-fe.amazon.com",
        }
    }

    fn index(self) -> usize {
        match self {
            Region::Na => 0,
            Region::Eu => 1,
            Region::Fe => 2,
        }
    }
}

/// Amazon's LWA token endpoint.
pub const AMAZON_LWA_ENDPOINT: &str = "https://api.amazon.com/auth/o2/token";

/// The blog's parameter names share this prefix.
pub const DEFAULT_SSM_PREFIX: &str = "/my-erp";

/// Per-region SP-API endpoints in the TOML file (`[endpoints]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointSettings {
    /// North America.
    pub na: Option<String>,
    /// Europe.
    pub eu: Option<String>,
    /// Far East.
    pub fe: Option<String>,
}

/// Where the credentials live in SSM Parameter Store (`[ssm]` in the TOML file).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SsmSettings {
    /// The prefix the default names derive from (default `/my-erp`).
    pub prefix: Option<String>,
    /// The LWA client identifier (default `<prefix>/lwa/clientidentifier`).
    pub client_id: Option<String>,
    /// The LWA client secret (default `<prefix>/lwa/clientsecret`).
    pub client_secret: Option<String>,
    /// The single seller's refresh token, as in the blog (default `<prefix>/refreshToken`).
    pub refresh_token: Option<String>,
    /// Several sellers' refresh tokens live at `<sellers-prefix>/<sellingPartnerId>/refreshToken`
    /// (default `<prefix>/sellers`).
    pub sellers_prefix: Option<String>,
    /// How often the parameters' versions are checked, in seconds (default 60).
    pub reload_seconds: Option<u64>,
}

/// The client secret's rotation (`[rotation]` in the TOML file); without a queue, no rotation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RotationSettings {
    /// The SQS queues of the application notices (APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY and
    /// APPLICATION_OAUTH_CLIENT_NEW_SECRET; one queue may take both).
    pub queue_urls: Option<Vec<String>>,
    /// The SNS topic told of every outcome.
    pub topic_arn: Option<String>,
    /// Rotate when the secret expires within this many days (default 30).
    pub threshold_days: Option<u32>,
    /// A client secret's life, for the agent's own schedule when no notice comes (default 180).
    pub secret_lifetime_days: Option<u32>,
    /// How often the own schedule looks, in seconds (default 3600).
    pub check_seconds: Option<u64>,
}

/// The resolved rotation settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The notice queues.
    pub queue_urls: Vec<String>,
    /// The outcome topic.
    pub topic_arn: Option<String>,
    /// Rotate when the secret expires within this.
    pub threshold: Duration,
    /// A client secret's life.
    pub secret_lifetime: Duration,
    /// How often the own schedule looks.
    pub check_interval: Duration,
}

const DAY: u64 = 86_400;

impl RotationSettings {
    fn resolve(self) -> Result<Option<Rotation>, ConfigError> {
        let queue_urls = self.queue_urls.unwrap_or_default();
        if queue_urls.is_empty() {
            return Ok(None);
        }
        for url in &queue_urls {
            http_url(url, "rotation queue URL")?;
        }
        let threshold = u64::from(self.threshold_days.unwrap_or(30));
        let lifetime = u64::from(self.secret_lifetime_days.unwrap_or(180));
        if threshold == 0 || threshold >= lifetime {
            return Err(ConfigError::Invalid(format!(
                "the rotation threshold ({threshold} days) must be between 1 day and the secret's lifetime ({lifetime} days)"
            )));
        }
        Ok(Some(Rotation {
            queue_urls,
            topic_arn: self.topic_arn,
            threshold: Duration::from_secs(threshold * DAY),
            secret_lifetime: Duration::from_secs(lifetime * DAY),
            check_interval: Duration::from_secs(self.check_seconds.unwrap_or(3600).max(1)),
        }))
    }
}

/// The settings as given on the command line, in the environment or in the file; `None` means
/// "not given".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Address to listen on (default `127.0.0.1:4580`).
    pub listen: Option<SocketAddr>,
    /// One SP-API endpoint for every region (spcred's sandbox).
    pub sp_endpoint: Option<String>,
    /// Per-region SP-API endpoints; `sp-endpoint` beats them.
    pub endpoints: Option<EndpointSettings>,
    /// The LWA token endpoint.
    pub lwa_endpoint: Option<String>,
    /// The selling partner of requests that name none.
    pub default_seller: Option<String>,
    /// A file holding the bearer token clients must present (required off loopback).
    pub auth_token_file: Option<PathBuf>,
    /// The TLS certificate chain (PEM) to serve HTTPS with; reread on SIGHUP.
    pub tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// Accept plain HTTP beyond loopback.
    pub insecure_http: Option<bool>,
    /// The application's name in the `user-agent` (default `spcred-agent`).
    pub app_name: Option<String>,
    /// The application's version in the `user-agent` (default this agent's version).
    pub app_version: Option<String>,
    /// Where the credentials live.
    pub ssm: Option<SsmSettings>,
    /// The longest a proxied call waits for its usage plan, 429 retries included, in seconds
    /// (default 60).
    pub max_throttle_wait_seconds: Option<u64>,
    /// The client secret's rotation.
    pub rotation: Option<RotationSettings>,
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file (the config file, the auth token file) is unreadable or not valid.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A value is not acceptable.
    #[error("{0}")]
    Invalid(String),
}

fn unreadable(path: &Path, e: &std::io::Error) -> ConfigError {
    ConfigError::File { path: path.to_owned(), message: format!("cannot be read: {e}") }
}

/// The SSM parameter names the agent reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterNames {
    /// The LWA client identifier.
    pub client_id: String,
    /// The LWA client secret.
    pub client_secret: String,
    /// The single seller's refresh token.
    pub refresh_token: String,
    /// The prefix of several sellers' refresh tokens.
    pub sellers_prefix: String,
}

impl ParameterNames {
    /// The names under `prefix`, as the blog lays them out.
    pub fn under(prefix: &str) -> Self {
        let p = prefix.trim_end_matches('/');
        Self {
            client_id: format!("{p}/lwa/clientidentifier"),
            client_secret: format!("{p}/lwa/clientsecret"),
            refresh_token: format!("{p}/refreshToken"),
            sellers_prefix: format!("{p}/sellers"),
        }
    }

    /// The parameter that holds `seller`'s refresh token under the sellers prefix.
    pub fn seller_refresh_token(&self, seller: &str) -> String {
        format!("{}/{seller}/refreshToken", self.sellers_prefix.trim_end_matches('/'))
    }

    /// The selling partner whose refresh token `name` is, if it is one under the sellers prefix.
    pub fn seller_of(&self, name: &str) -> Option<String> {
        let rest = name.strip_prefix(self.sellers_prefix.trim_end_matches('/'))?.strip_prefix('/')?;
        let seller = rest.strip_suffix("/refreshToken")?;
        (!seller.is_empty() && !seller.contains('/')).then(|| seller.to_owned())
    }
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    endpoints: [String; 3],
    /// The LWA token endpoint.
    pub lwa_endpoint: String,
    /// The SSM parameter names.
    pub parameters: ParameterNames,
    /// How often the parameters' versions are checked.
    pub reload_interval: Duration,
    /// The selling partner of requests that name none.
    pub default_seller: Option<String>,
    /// The bearer token clients must present, if any.
    pub auth_token: Option<Secret>,
    /// The certificate and key files to serve HTTPS with, if any.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The `user-agent` sent to SP-API and LWA.
    pub user_agent: String,
    /// The longest a proxied call waits for its usage plan.
    pub max_throttle_wait: Duration,
    /// The client secret's rotation, when a notice queue is configured.
    pub rotation: Option<Rotation>,
}

impl Settings {
    /// Reads the TOML file at `path` (keys as the flags, plus `[endpoints]` and `[ssm]` tables).
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| unreadable(path, &e))?;
        toml::from_str(&text)
            .map_err(|e| ConfigError::File { path: path.to_owned(), message: format!("not a valid config file: {e}") })
    }

    /// `self` where given, else `fallback`.
    #[must_use]
    pub fn or(self, fallback: Settings) -> Settings {
        let endpoints = match (self.endpoints, fallback.endpoints) {
            (Some(a), Some(b)) => Some(EndpointSettings { na: a.na.or(b.na), eu: a.eu.or(b.eu), fe: a.fe.or(b.fe) }),
            (a, b) => a.or(b),
        };
        let ssm = match (self.ssm, fallback.ssm) {
            (Some(a), Some(b)) => Some(SsmSettings {
                prefix: a.prefix.or(b.prefix),
                client_id: a.client_id.or(b.client_id),
                client_secret: a.client_secret.or(b.client_secret),
                refresh_token: a.refresh_token.or(b.refresh_token),
                sellers_prefix: a.sellers_prefix.or(b.sellers_prefix),
                reload_seconds: a.reload_seconds.or(b.reload_seconds),
            }),
            (a, b) => a.or(b),
        };
        let rotation = match (self.rotation, fallback.rotation) {
            (Some(a), Some(b)) => Some(RotationSettings {
                queue_urls: a.queue_urls.or(b.queue_urls),
                topic_arn: a.topic_arn.or(b.topic_arn),
                threshold_days: a.threshold_days.or(b.threshold_days),
                secret_lifetime_days: a.secret_lifetime_days.or(b.secret_lifetime_days),
                check_seconds: a.check_seconds.or(b.check_seconds),
            }),
            (a, b) => a.or(b),
        };
        Settings {
            rotation,
            listen: self.listen.or(fallback.listen),
            sp_endpoint: self.sp_endpoint.or(fallback.sp_endpoint),
            endpoints,
            lwa_endpoint: self.lwa_endpoint.or(fallback.lwa_endpoint),
            default_seller: self.default_seller.or(fallback.default_seller),
            auth_token_file: self.auth_token_file.or(fallback.auth_token_file),
            tls_cert: self.tls_cert.or(fallback.tls_cert),
            tls_key: self.tls_key.or(fallback.tls_key),
            insecure_http: self.insecure_http.or(fallback.insecure_http),
            app_name: self.app_name.or(fallback.app_name),
            app_version: self.app_version.or(fallback.app_version),
            ssm,
            max_throttle_wait_seconds: self.max_throttle_wait_seconds.or(fallback.max_throttle_wait_seconds),
        }
    }

    /// Fills what is still missing with the defaults and checks the result. Reads the auth
    /// token file.
    pub fn resolve(self) -> Result<Config, ConfigError> {
        let listen = self.listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 4580)));
        let given = self.endpoints.unwrap_or_default();
        let mut endpoints = Region::ALL.map(|r| r.amazon_endpoint().to_owned());
        for (region, value) in [(Region::Na, given.na), (Region::Eu, given.eu), (Region::Fe, given.fe)] {
            if let Some(v) = self.sp_endpoint.clone().or(value) {
                http_url(&v, "SP-API endpoint")?.trim_end_matches('/').clone_into(&mut endpoints[region.index()]);
            }
        }
        let lwa_endpoint = match self.lwa_endpoint {
            Some(v) => http_url(&v, "LWA endpoint")?,
            None => AMAZON_LWA_ENDPOINT.to_owned(),
        };
        let ssm = self.ssm.unwrap_or_default();
        let base = ParameterNames::under(ssm.prefix.as_deref().unwrap_or(DEFAULT_SSM_PREFIX));
        let parameters = ParameterNames {
            client_id: ssm.client_id.unwrap_or(base.client_id),
            client_secret: ssm.client_secret.unwrap_or(base.client_secret),
            refresh_token: ssm.refresh_token.unwrap_or(base.refresh_token),
            sellers_prefix: ssm.sellers_prefix.unwrap_or(base.sellers_prefix),
        };
        let reload_seconds = ssm.reload_seconds.unwrap_or(60);
        if reload_seconds == 0 {
            return Err(ConfigError::Invalid("ssm reload-seconds must be at least 1".into()));
        }
        let auth_token = match &self.auth_token_file {
            Some(path) => Some(read_token(path)?),
            None => None,
        };
        if auth_token.is_none() && !listen.ip().is_loopback() {
            return Err(ConfigError::Invalid(format!(
                "the agent hands out access tokens: listening on {listen}, beyond loopback, needs a bearer token \
                 (--auth-token-file or SPCRED_AGENT_AUTH_TOKEN_FILE)"
            )));
        }
        let tls = match (self.tls_cert, self.tls_key) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => return Err(ConfigError::Invalid("--tls-cert and --tls-key go together: give both".into())),
        };
        if tls.is_none() && !listen.ip().is_loopback() && !self.insecure_http.unwrap_or(false) {
            return Err(ConfigError::Invalid(format!(
                "the agent hands out access tokens: listening on {listen}, beyond loopback, needs HTTPS \
                 (--tls-cert and --tls-key), or --insecure-http to accept sending them in the clear"
            )));
        }
        let app_name = self.app_name.unwrap_or_else(|| "spcred-agent".to_owned());
        let app_version = self.app_version.unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned());
        let user_agent = useragent::build(&app_name, &app_version).map_err(ConfigError::Invalid)?;
        if let Some(seller) = &self.default_seller
            && !useful_id(seller)
        {
            return Err(ConfigError::Invalid(format!("{seller:?} is not a selling partner id")));
        }
        Ok(Config {
            listen,
            endpoints,
            lwa_endpoint,
            parameters,
            reload_interval: Duration::from_secs(reload_seconds),
            default_seller: self.default_seller,
            auth_token,
            tls,
            user_agent,
            max_throttle_wait: Duration::from_secs(self.max_throttle_wait_seconds.unwrap_or(60)),
            rotation: self.rotation.unwrap_or_default().resolve()?,
        })
    }
}

impl Config {
    /// The SP-API endpoint of `region`, without a trailing slash.
    pub fn endpoint(&self, region: Region) -> &str {
        &self.endpoints[region.index()]
    }
}

/// Whether `id` can name a selling partner: printable, no separators that would break a
/// parameter name or a header.
pub(crate) fn useful_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn http_url(value: &str, what: &str) -> Result<String, ConfigError> {
    match reqwest::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(value.to_owned()),
        _ => Err(ConfigError::Invalid(format!("the {what} {value:?} is not an http(s) URL"))),
    }
}

fn read_token(path: &Path) -> Result<Secret, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(path, &e))?;
    let token = text.trim();
    if token.len() < 16 {
        return Err(ConfigError::Invalid(format!(
            "the auth token in {} is shorter than 16 characters",
            path.display()
        )));
    }
    Ok(Secret::new(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_amazons() {
        let c = Settings::default().resolve().unwrap();
        assert_eq!(c.endpoint(Region::Na), "https://sellingpartnerapi-na.amazon.com");
        assert_eq!(c.endpoint(Region::Eu), "https://sellingpartnerapi-eu.amazon.com");
        assert_eq!(c.endpoint(Region::Fe), "https://sellingpartnerapi-fe.amazon.com");
        assert_eq!(c.lwa_endpoint, "https://api.amazon.com/auth/o2/token");
        assert_eq!(c.parameters.client_id, "/my-erp/lwa/clientidentifier");
        assert_eq!(c.parameters.client_secret, "/my-erp/lwa/clientsecret");
        assert_eq!(c.parameters.refresh_token, "/my-erp/refreshToken");
        assert_eq!(c.parameters.seller_refresh_token("A1"), "/my-erp/sellers/A1/refreshToken");
        assert!(c.listen.ip().is_loopback());
        assert!(c.auth_token.is_none());
        assert!(c.user_agent.starts_with("spcred-agent/"), "{}", c.user_agent);
    }

    #[test]
    fn flags_beat_the_file_and_one_sp_endpoint_serves_every_region() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("agent.toml");
        std::fs::write(
            &file,
            "lwa-endpoint = \"http://127.0.0.1:4566/auth/o2/token\"\n\
             [endpoints]\neu = \"https://eu.example\"\n\
             [ssm]\nprefix = \"/shop\"\nclient-secret = \"/vault/secret\"\nreload-seconds = 5\n",
        )
        .unwrap();
        let file_settings = Settings::from_file(&file).unwrap();
        let c = Settings::default().or(file_settings.clone()).resolve().unwrap();
        assert_eq!(c.endpoint(Region::Eu), "https://eu.example");
        assert_eq!(c.endpoint(Region::Na), "https://sellingpartnerapi-na.amazon.com");
        assert_eq!(c.parameters.client_id, "/shop/lwa/clientidentifier");
        assert_eq!(c.parameters.client_secret, "/vault/secret");
        assert_eq!(c.parameters.sellers_prefix, "/shop/sellers");
        assert_eq!(c.reload_interval, Duration::from_secs(5));
        let flags = Settings {
            sp_endpoint: Some("http://127.0.0.1:4566/".into()),
            ssm: Some(SsmSettings { prefix: Some("/other".into()), ..Default::default() }),
            ..Default::default()
        };
        let c = flags.or(file_settings).resolve().unwrap();
        for r in Region::ALL {
            assert_eq!(c.endpoint(r), "http://127.0.0.1:4566");
        }
        assert_eq!(c.parameters.client_id, "/other/lwa/clientidentifier");
        assert_eq!(c.parameters.client_secret, "/vault/secret");
    }

    #[test]
    fn beyond_loopback_a_bearer_token_is_required() {
        let wide = Settings { listen: Some("0.0.0.0:4580".parse().unwrap()), ..Default::default() };
        let err = wide.clone().resolve().unwrap_err().to_string();
        assert!(err.contains("needs a bearer token"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "short\n").unwrap();
        let with = Settings { auth_token_file: Some(file.clone()), ..wide.clone() };
        assert!(with.resolve().unwrap_err().to_string().contains("shorter than 16"));
        std::fs::write(&file, "0123456789abcdef0123\n").unwrap();
        let tokened = Settings { auth_token_file: Some(file), ..wide };
        // The token would cross the network in the clear: HTTPS, or the risk accepted.
        let err = tokened.clone().resolve().unwrap_err().to_string();
        assert!(err.contains("needs HTTPS (--tls-cert and --tls-key)"), "{err}");
        let c = Settings { insecure_http: Some(true), ..tokened.clone() }.resolve().unwrap();
        assert_eq!(c.auth_token.unwrap().expose(), "0123456789abcdef0123");
        let files = Settings { tls_cert: Some("c.pem".into()), tls_key: Some("k.pem".into()), ..tokened.clone() };
        assert_eq!(files.resolve().unwrap().tls, Some(("c.pem".into(), "k.pem".into())));
        let half = Settings { tls_cert: Some("c.pem".into()), ..tokened };
        assert!(half.resolve().unwrap_err().to_string().contains("go together"));
    }

    #[test]
    fn bad_values_are_clear_errors() {
        let bad = Settings { sp_endpoint: Some("sellingpartnerapi-na.amazon.com".into()), ..Default::default() };
        assert!(bad.resolve().unwrap_err().to_string().contains("is not an http(s) URL"));
        let bad = Settings { default_seller: Some("A1/../x".into()), ..Default::default() };
        assert!(bad.resolve().unwrap_err().to_string().contains("not a selling partner id"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("agent.toml");
        std::fs::write(&file, "lisen = \"0.0.0.0:1\"\n").unwrap();
        assert!(Settings::from_file(&file).unwrap_err().to_string().contains("unknown field `lisen`"));
    }

    #[test]
    fn rotation_needs_a_queue_and_a_sane_threshold() {
        assert_eq!(Settings::default().resolve().unwrap().rotation, None);
        let with = |days: Option<u32>| Settings {
            rotation: Some(RotationSettings {
                queue_urls: Some(vec!["http://127.0.0.1:4566/000000000000/sp-rotation".into()]),
                threshold_days: days,
                ..Default::default()
            }),
            ..Default::default()
        };
        let r = with(None).resolve().unwrap().rotation.unwrap();
        assert_eq!((r.threshold, r.secret_lifetime), (Duration::from_secs(30 * DAY), Duration::from_secs(180 * DAY)));
        assert!(with(Some(0)).resolve().unwrap_err().to_string().contains("rotation threshold (0 days)"));
        assert!(with(Some(200)).resolve().is_err());
    }

    #[test]
    fn seller_parameters_are_recognised_by_name() {
        let names = ParameterNames::under("/my-erp/");
        assert_eq!(names.seller_of("/my-erp/sellers/A2EUQ1WTGCTBG2/refreshToken").as_deref(), Some("A2EUQ1WTGCTBG2"));
        assert_eq!(names.seller_of("/my-erp/sellers/A2EUQ1WTGCTBG2/other"), None);
        assert_eq!(names.seller_of("/my-erp/sellers//refreshToken"), None);
        assert_eq!(names.seller_of("/my-erp/sellers/a/b/refreshToken"), None);
        assert_eq!(names.seller_of("/my-erp/sellersX/A1/refreshToken"), None);
        assert_eq!(names.seller_of("/my-erp/refreshToken"), None);
    }
}
