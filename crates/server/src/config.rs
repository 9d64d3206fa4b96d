//! `spcred serve` configuration: flags beat `SPCRED_*` environment variables beat the TOML file
//! beat the defaults. The CLI resolves flags and environment (clap does both); this module adds
//! the file and the defaults.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("log format must be text or json, not {other:?}")),
        }
    }
}

/// A database URL (`postgres://user:password@host/db`); its password never reaches `Debug` or
/// the logs.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Wraps a URL.
    #[must_use]
    pub fn new(url: String) -> Self {
        Self(url)
    }

    /// The URL itself, password included, for connecting.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&store::redact_url(&self.0))
    }
}

/// The settings as given on the command line or in the environment; `None` means "not given".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Address to listen on.
    pub listen: Option<SocketAddr>,
    /// The data directory.
    pub data_dir: Option<PathBuf>,
    /// The store's database: PostgreSQL, shared by several nodes (default: SQLite in the data
    /// directory).
    pub database_url: Option<DatabaseUrl>,
    /// The default region.
    pub region: Option<String>,
    /// Log format.
    pub log_format: Option<LogFormat>,
    /// Virtual clock and the test admin API.
    pub test_mode: Option<bool>,
    /// Legacy IAM mode of the SP-API sandbox: SP-API calls must be SigV4-signed and IAM-allowed.
    pub sp_require_sigv4: Option<bool>,
    /// The URL clients reach the server at (the base of the links SNS sends).
    pub public_url: Option<String>,
    /// The SMTP server for e-mail deliveries (`smtp[s]://user:pass@host:port`).
    pub smtp_url: Option<String>,
    /// The sender address of e-mail deliveries.
    pub smtp_from: Option<String>,
    /// The SMS provider's endpoint (a Twilio-style form POST).
    pub sms_url: Option<String>,
    /// The sender number or id for SMS.
    pub sms_from: Option<String>,
    /// The holidays of the SP-API sandbox's review SLAs (ISO dates, comma-separated).
    pub sp_holidays: Option<String>,
    /// The TLS certificate chain (PEM).
    pub tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a certificate spcred makes and keeps.
    pub tls_self_signed: Option<bool>,
    /// Accept plain HTTP on an address other machines can reach.
    pub insecure_http: Option<bool>,
    /// The Python interpreter Lambda functions run with.
    pub lambda_python: Option<PathBuf>,
    /// Lambda invocations that may run at once.
    pub lambda_concurrency: Option<usize>,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on (default `127.0.0.1:4566`).
    pub listen: SocketAddr,
    /// The data directory (default `./spcred-data`).
    pub data_dir: PathBuf,
    /// The store's database; `None` is the SQLite file in the data directory.
    pub database_url: Option<DatabaseUrl>,
    /// The default region (default `us-east-1`).
    pub region: String,
    /// Log format (default text).
    pub log_format: LogFormat,
    /// Virtual clock and the test admin API.
    pub test_mode: bool,
    /// Legacy IAM mode of the SP-API sandbox (default off, as Amazon since 2 October 2023).
    pub sp_require_sigv4: bool,
    /// The URL clients reach the server at; `None` means `http://` and the bound address.
    pub public_url: Option<String>,
    /// Where e-mail and SMS go (the local outbox unless a server or provider is given).
    pub delivery: delivery::Config,
    /// The business days the SP-API sandbox's review SLAs count (weekends and these holidays
    /// skipped).
    pub sp_calendar: sp::Calendar,
    /// HTTPS, if configured.
    pub tls: Option<crate::tls::TlsSource>,
    /// Plain HTTP beyond loopback was asked for, risk accepted.
    pub insecure_http: bool,
    /// How Lambda functions run.
    pub lambda: crate::lambda::LambdaConfig,
}

/// A configuration file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not readable.
    #[error("cannot read the config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A holiday list that is not dates.
    #[error("invalid sp-holidays: {0}")]
    Holidays(String),
    /// TLS settings that do not go together.
    #[error("{0}")]
    Tls(String),
    /// Not valid TOML for these keys.
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's explanation.
        message: String,
    },
}

impl Settings {
    /// Reads the TOML file at `path` (keys as the flags: `listen`, `data-dir`, `database-url`, `region`,
    /// `log-format`, `test-mode`, `sp-require-sigv4`, `public-url`, `smtp-url`, `smtp-from`, `sms-url`,
    /// `sms-from`, `sp-holidays`, `tls-cert`, `tls-key`, `tls-self-signed`, `insecure-http`).
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse { path: path.to_owned(), message: e.to_string() })
    }

    /// `self` where given, else `fallback`.
    #[must_use]
    pub fn or(self, fallback: Settings) -> Settings {
        Settings {
            listen: self.listen.or(fallback.listen),
            data_dir: self.data_dir.or(fallback.data_dir),
            database_url: self.database_url.or(fallback.database_url),
            region: self.region.or(fallback.region),
            log_format: self.log_format.or(fallback.log_format),
            test_mode: self.test_mode.or(fallback.test_mode),
            sp_require_sigv4: self.sp_require_sigv4.or(fallback.sp_require_sigv4),
            public_url: self.public_url.or(fallback.public_url),
            smtp_url: self.smtp_url.or(fallback.smtp_url),
            smtp_from: self.smtp_from.or(fallback.smtp_from),
            sms_url: self.sms_url.or(fallback.sms_url),
            sms_from: self.sms_from.or(fallback.sms_from),
            sp_holidays: self.sp_holidays.or(fallback.sp_holidays),
            tls_cert: self.tls_cert.or(fallback.tls_cert),
            tls_key: self.tls_key.or(fallback.tls_key),
            tls_self_signed: self.tls_self_signed.or(fallback.tls_self_signed),
            insecure_http: self.insecure_http.or(fallback.insecure_http),
            lambda_python: self.lambda_python.or(fallback.lambda_python),
            lambda_concurrency: self.lambda_concurrency.or(fallback.lambda_concurrency),
        }
    }

    /// Fills what is still missing with the defaults.
    pub fn resolve(self) -> Result<ServeConfig, ConfigError> {
        let sp_calendar = match &self.sp_holidays {
            Some(text) => sp::Calendar::parse(text).map_err(ConfigError::Holidays)?,
            None => sp::Calendar::default(),
        };
        let tls = match (self.tls_cert, self.tls_key, self.tls_self_signed.unwrap_or(false)) {
            (None, None, false) => None,
            (None, None, true) => Some(crate::tls::TlsSource::SelfSigned),
            (Some(cert), Some(key), false) => Some(crate::tls::TlsSource::Files { cert, key }),
            (Some(_), Some(_), true) => {
                return Err(ConfigError::Tls("give --tls-cert and --tls-key, or --tls-self-signed, not both".into()));
            }
            _ => return Err(ConfigError::Tls("--tls-cert and --tls-key go together: give both".into())),
        };
        Ok(ServeConfig {
            listen: self.listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 4566))),
            data_dir: self.data_dir.unwrap_or_else(|| PathBuf::from("spcred-data")),
            database_url: self.database_url,
            region: self.region.unwrap_or_else(|| "us-east-1".to_owned()),
            log_format: self.log_format.unwrap_or_default(),
            test_mode: self.test_mode.unwrap_or(false),
            sp_require_sigv4: self.sp_require_sigv4.unwrap_or(false),
            public_url: self.public_url.map(|u| u.trim_end_matches('/').to_owned()),
            delivery: delivery::Config {
                smtp_url: self.smtp_url,
                smtp_from: self.smtp_from,
                sms_url: self.sms_url,
                sms_from: self.sms_from,
            },
            sp_calendar,
            tls,
            insecure_http: self.insecure_http.unwrap_or(false),
            lambda: crate::lambda::LambdaConfig {
                python: self.lambda_python.unwrap_or_else(|| PathBuf::from("python3")),
                concurrency: self.lambda_concurrency.unwrap_or(crate::lambda::DEFAULT_CONCURRENCY).clamp(1, 1000),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_and_the_file_beats_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("spcred.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\nregion = \"eu-west-1\"\ntest-mode = true\n").unwrap();
        let given = Settings { region: Some("us-west-2".into()), ..Default::default() };
        let config = given.or(Settings::from_file(&file).unwrap()).resolve().unwrap();
        assert_eq!(config.region, "us-west-2");
        assert_eq!(config.listen, "0.0.0.0:9000".parse().unwrap());
        assert!(config.test_mode);
        assert_eq!(config.data_dir, PathBuf::from("spcred-data"));
        assert_eq!(config.log_format, LogFormat::Text);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("spcred.toml");
        std::fs::write(&file, "lisen = \"0.0.0.0:9000\"\n").unwrap();
        let err = Settings::from_file(&file).unwrap_err().to_string();
        assert!(err.contains("unknown field `lisen`"), "{err}");
        std::fs::write(&file, "log-format = \"xml\"\n").unwrap();
        assert!(Settings::from_file(&file).is_err());
    }

    #[test]
    fn tls_settings_must_go_together() {
        let cert = Some(PathBuf::from("cert.pem"));
        let key = Some(PathBuf::from("key.pem"));
        let half = Settings { tls_cert: cert.clone(), ..Default::default() };
        assert_eq!(half.resolve().unwrap_err().to_string(), "--tls-cert and --tls-key go together: give both");
        let both = Settings {
            tls_cert: cert.clone(),
            tls_key: key.clone(),
            tls_self_signed: Some(true),
            ..Default::default()
        };
        assert!(both.resolve().is_err());
        let files = Settings { tls_cert: cert, tls_key: key, ..Default::default() }.resolve().unwrap();
        assert!(matches!(files.tls, Some(crate::tls::TlsSource::Files { .. })));
        let own = Settings { tls_self_signed: Some(true), ..Default::default() }.resolve().unwrap();
        assert_eq!(own.tls, Some(crate::tls::TlsSource::SelfSigned));
        assert_eq!(Settings::default().resolve().unwrap().tls, None);
    }
}
