//! The data directory: created on first start, reused after.
//!
//! It holds the SQLite store (unless `--database-url` names a PostgreSQL database), the master
//! key (unless `SPCRED_MASTER_KEY_FILE` names one elsewhere), the AWS shared-credentials file with
//! the root credentials, and the admin token.
//! Secrets go to disk only in 0600 files and, in the store, sealed under the master key.

use crypto::{MasterKey, Purpose, Random, Secret};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use store::{Store, StoreError, access_keys, meta};

const DB_FILE: &str = "spcred.db";
const KEY_FILE: &str = "master.key";
const CREDENTIALS_FILE: &str = "credentials";
const CONFIG_FILE: &str = "config";
const ADMIN_TOKEN_FILE: &str = "admin-token";
const KEY_CHECK: &str = "master-key-check";
const KEY_CHECK_PLAINTEXT: &[u8] = b"spcred master key check v1";

/// Values that only matter at first start (from `SPCRED_*` environment variables).
#[derive(Debug, Default)]
pub struct Bootstrap {
    /// Use this master key file instead of `<data-dir>/master.key`.
    pub master_key_file: Option<PathBuf>,
    /// The account id to create.
    pub account_id: Option<String>,
    /// The root access key id to create.
    pub root_access_key_id: Option<String>,
    /// The root secret access key to create.
    pub root_secret_access_key: Option<Secret>,
}

/// Why the data directory could not be used. Each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// The directory cannot be created or written.
    #[error("the data directory {path} is not writable: {source}")]
    Unwritable {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The master key file is unusable.
    #[error("the master key file {path} {problem}")]
    MasterKeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The master key does not open this store's secrets.
    #[error(
        "the master key {path} does not belong to the store in {store}: it cannot open the secrets there. \
         Use the master key this store was created with (SPCRED_MASTER_KEY_FILE: every node of a shared database \
         needs the same one), or start with an empty store"
    )]
    WrongMasterKey {
        /// The key file used.
        path: PathBuf,
        /// The data directory or database (its password left out).
        store: String,
    },
    /// A bootstrap value has the wrong shape or contradicts the store.
    #[error("{0}")]
    Bootstrap(String),
    /// The store refused (a newer schema, a database error).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An opened data directory.
#[derive(Debug)]
pub struct DataDir {
    /// The store.
    pub store: Store,
    /// The master key.
    pub master: MasterKey,
    /// The account.
    pub account_id: String,
    /// The root access key id.
    pub root_access_key_id: String,
    /// The shared-credentials file (profile `spcred`).
    pub credentials_path: PathBuf,
    /// The AWS config file (profile `spcred`, with the region).
    pub config_path: PathBuf,
    /// The admin token file.
    pub admin_token_path: PathBuf,
    /// The admin token.
    pub admin_token: Secret,
    /// Whether this start created the account.
    pub created: bool,
}

fn unwritable(path: &Path) -> impl FnOnce(std::io::Error) -> InitError + '_ {
    move |source| InitError::Unwritable { path: path.to_owned(), source }
}

/// Writes `contents` to `path` with mode 0600, replacing the file.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut file = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    // An existing file keeps its old mode through open(); make sure it is private.
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    file.write_all(contents)?;
    file.sync_all()
}

fn load_master_key(path: &Path) -> Result<MasterKey, InitError> {
    let problem = |problem: String| InitError::MasterKeyFile { path: path.to_owned(), problem };
    let bytes = fs::read(path).map_err(|e| problem(format!("cannot be read: {e}")))?;
    let mode = fs::metadata(path).map_err(|e| problem(format!("cannot be read: {e}")))?.permissions().mode();
    if mode & 0o077 != 0 {
        tracing::warn!(path = %path.display(), mode = format!("{:o}", mode & 0o777), "the master key file is readable by others; chmod 600 it");
    }
    // 64 hex characters (as spcred writes it) or 32 raw bytes.
    let text = std::str::from_utf8(&bytes).map(str::trim).ok();
    let key = match text.and_then(|t| hex::decode(t).ok()) {
        Some(decoded) if decoded.len() == crypto::KEY_LEN => decoded,
        _ if bytes.len() == crypto::KEY_LEN => bytes,
        _ => return Err(problem("must hold a 256-bit key: 64 hexadecimal characters or 32 raw bytes".into())),
    };
    MasterKey::from_bytes(&key).map_err(|e| problem(e.to_string()))
}

fn check_account_id(id: &str) -> Result<(), InitError> {
    if aws_core::accounts::valid_id(id) {
        Ok(())
    } else {
        Err(InitError::Bootstrap(format!("SPCRED_ACCOUNT_ID must be 12 digits, not {id:?}")))
    }
}

fn check_root_key(id: &str, secret: &Secret) -> Result<(), InitError> {
    let id_ok =
        id.len() == 20 && id.starts_with("AKIA") && id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !id_ok {
        return Err(InitError::Bootstrap(format!(
            "SPCRED_ROOT_ACCESS_KEY_ID must be AKIA followed by 16 upper-case letters or digits, not {id:?}"
        )));
    }
    if secret.expose().len() != 40 || !secret.expose().bytes().all(|b| b.is_ascii_graphic()) {
        return Err(InitError::Bootstrap("SPCRED_ROOT_SECRET_ACCESS_KEY must be 40 printable characters".into()));
    }
    Ok(())
}

/// The master key: the named file, `<data-dir>/master.key`, or a new one on a first start.
fn master_key(
    data_dir: &Path,
    named: Option<&Path>,
    store_existed: bool,
    rng: &dyn Random,
) -> Result<(MasterKey, PathBuf), InitError> {
    let key_path = named.map_or_else(|| data_dir.join(KEY_FILE), Path::to_path_buf);
    if key_path.exists() {
        return Ok((load_master_key(&key_path)?, key_path));
    }
    if named.is_some() {
        return Err(InitError::MasterKeyFile { path: key_path, problem: "does not exist".into() });
    }
    if store_existed {
        return Err(InitError::MasterKeyFile {
            path: key_path,
            problem: "is missing, but the store exists: without its master key the store's secrets cannot be opened"
                .into(),
        });
    }
    let key = MasterKey::generate(rng);
    write_private(&key_path, format!("{}\n", hex::encode(key.expose_bytes())).as_bytes())
        .map_err(unwritable(data_dir))?;
    Ok((key, key_path))
}

/// Proves that `master` is this store's key (or records that it is, in a new store).
async fn check_master_key(tx: &mut store::Tx, master: &MasterKey, rng: &dyn Random) -> Result<bool, StoreError> {
    let check_key = master.subkey(Purpose::KeyCheck);
    if let Some(blob) = meta::get(tx, KEY_CHECK).await? {
        return Ok(check_key.open(&blob, KEY_CHECK.as_bytes()).is_ok_and(|p| p.as_slice() == KEY_CHECK_PLAINTEXT));
    }
    meta::put(tx, KEY_CHECK, &check_key.seal(rng, KEY_CHECK_PLAINTEXT, KEY_CHECK.as_bytes())).await?;
    Ok(true)
}

/// The store's account, created with its root key on a first start. Returns the account id and
/// whether it was created now.
async fn ensure_account(
    tx: &mut store::Tx,
    boot: &Bootstrap,
    at_rest: &crypto::DataKey,
    rng: &dyn Random,
    ids: &aws_core::Ids,
    now_ms: i64,
) -> Result<(String, bool), InitError> {
    if let Some(existing) = access_keys::accounts(tx).await?.into_iter().next() {
        if let Some(wanted) = &boot.account_id
            && *wanted != existing
        {
            return Err(InitError::Bootstrap(format!(
                "SPCRED_ACCOUNT_ID is {wanted} but this store's account is {existing}; the account is chosen at first start"
            )));
        }
        return Ok((existing, false));
    }
    let account_id = boot.account_id.clone().unwrap_or_else(|| ids.account_id());
    check_account_id(&account_id)?;
    let (key_id, secret) = match (&boot.root_access_key_id, &boot.root_secret_access_key) {
        (Some(id), Some(secret)) => (id.clone(), secret.clone()),
        (None, None) => (ids.access_key_id(), Secret::new(ids.secret_access_key())),
        _ => {
            return Err(InitError::Bootstrap(
                "set both SPCRED_ROOT_ACCESS_KEY_ID and SPCRED_ROOT_SECRET_ACCESS_KEY, or neither".into(),
            ));
        }
    };
    check_root_key(&key_id, &secret)?;
    aws_core::accounts::insert(tx, at_rest, rng, &account_id, &key_id, &secret, now_ms).await?;
    Ok((account_id, true))
}

/// Opens the data directory and the store (the SQLite file in it, or the database `database_url`
/// names), creating everything on first start.
pub async fn open(
    config: &crate::ServeConfig,
    boot: Bootstrap,
    rng: &dyn Random,
    ids: &aws_core::Ids,
    now_ms: i64,
) -> Result<DataDir, InitError> {
    let (data_dir, region) = (config.data_dir.as_path(), config.region.as_str());
    fs::DirBuilder::new().recursive(true).mode(0o700).create(data_dir).map_err(unwritable(data_dir))?;
    let probe = data_dir.join(".write-probe");
    fs::write(&probe, b"").and_then(|()| fs::remove_file(&probe)).map_err(unwritable(data_dir))?;

    let (store, location, existed) = match config.database_url.as_ref().map(crate::config::DatabaseUrl::expose) {
        None => {
            let db_path = data_dir.join(DB_FILE);
            let existed = db_path.exists();
            (Store::open(&db_path).await?, data_dir.display().to_string(), existed)
        }
        // A shared database exists once a node has recorded its master key there.
        Some(url) => {
            let store = Store::connect(url).await?;
            let existed = meta::get(&mut *store.read().await?, KEY_CHECK).await?.is_some();
            (store, store::redact_url(url), existed)
        }
    };
    let (master, key_path) = match master_key(data_dir, boot.master_key_file.as_deref(), existed, rng) {
        Ok(found) => found,
        Err(e) => {
            store.close().await;
            return Err(e);
        }
    };
    let wrong_key = || InitError::WrongMasterKey { path: key_path.clone(), store: location.clone() };

    let mut tx = store.begin().await?;
    if !check_master_key(&mut tx, &master, rng).await? {
        return Err(wrong_key());
    }
    let at_rest = master.subkey(Purpose::AtRest);
    let (account_id, created) = ensure_account(&mut tx, &boot, &at_rest, rng, ids, now_ms).await?;
    let root = access_keys::root_key(&mut tx, &account_id)
        .await?
        .ok_or_else(|| InitError::Bootstrap(format!("the store's account {account_id} has no root access key")))?;
    tx.commit().await.map_err(StoreError::from)?;
    if let Some(wanted) = &boot.root_access_key_id
        && *wanted != root.access_key_id
    {
        return Err(InitError::Bootstrap(format!(
            "SPCRED_ROOT_ACCESS_KEY_ID is {wanted} but this store's root key is {}; root credentials are chosen at first start",
            root.access_key_id
        )));
    }
    let secret = at_rest
        .open(&root.secret_sealed, format!("access-key:{}", root.access_key_id).as_bytes())
        .map_err(|_| wrong_key())?;
    let secret = Secret::new(String::from_utf8_lossy(&secret).into_owned());

    // The credentials and config files are rewritten at every start, so deleting them is harmless.
    // The region sits in the credentials profile too: the AWS CLI and boto3 read every key of a
    // credentials-file profile into the profile's configuration, so the quickstart needs no
    // config file.
    let credentials_path = data_dir.join(CREDENTIALS_FILE);
    let credentials = format!(
        "[spcred]\naws_access_key_id = {}\naws_secret_access_key = {}\nregion = {region}\n",
        root.access_key_id,
        secret.expose()
    );
    write_private(&credentials_path, credentials.as_bytes()).map_err(unwritable(data_dir))?;
    let config_path = data_dir.join(CONFIG_FILE);
    write_private(&config_path, format!("[profile spcred]\nregion = {region}\noutput = json\n").as_bytes())
        .map_err(unwritable(data_dir))?;

    let admin_token_path = data_dir.join(ADMIN_TOKEN_FILE);
    let admin_token = match fs::read_to_string(&admin_token_path) {
        Ok(token) if token.trim().len() >= 32 => Secret::new(token.trim().to_owned()),
        _ => {
            let token = Secret::new(ids.hex(32));
            write_private(&admin_token_path, format!("{}\n", token.expose()).as_bytes())
                .map_err(unwritable(data_dir))?;
            token
        }
    };

    Ok(DataDir {
        store,
        master,
        account_id,
        root_access_key_id: root.access_key_id,
        credentials_path,
        config_path,
        admin_token_path,
        admin_token,
        created,
    })
}
