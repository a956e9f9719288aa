//! Zenome's application services: the single path every change and every
//! read takes, whoever asks (HTTP API, portal, CLI, demo).
//!
//! It owns *who may do what*: an [`Actor`] (a user with a role and scope) is
//! the first argument of every service, and the checks in [`policy`] run
//! before anything is read or written. It also owns logins (password + TOTP,
//! rate-limited), sessions and API tokens, and the typed [`Config`].

pub mod access;
pub mod actor;
pub mod alerts;
pub mod audit;
pub mod auth;
pub mod clinical;
pub mod cohort_summary;
pub mod config;
pub mod error;
pub mod files;
pub mod findings;
pub mod identity;
pub mod keys;
mod limiter;
pub mod lineage;
pub mod notifications;
pub mod pipelines;
pub mod policy;
pub mod prioritise;
pub mod qc_drift;
pub mod registry;
pub mod reports;
pub mod variants;

use std::sync::Arc;

use zenome_auth::{CsrfKey, PasswordHasher, SealKey};
use zenome_store::Store;

pub use actor::{Actor, AuthMethod, Credential};
pub use config::Config;
pub use error::AppError;

/// The application: the store plus the keys and settings services need.
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct App {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    hasher: PasswordHasher,
    seal: SealKey,
    csrf: CsrfKey,
    config: Config,
    limiter: limiter::LoginLimiter,
    alerts: alerts::SharedState,
    visa_key: access::visas::VisaKey,
    c4gh: zenome_crypt4gh::SecretKey,
    stores: zenome_objects::Stores,
    sessions: files::upload::Sessions,
    /// Objects whose copies are being checked and repaired after a read
    /// found a bad one (so concurrent reads start one repair, not many).
    repairing: std::sync::Mutex<std::collections::HashSet<String>>,
    clinical: clinical::Catalog,
    /// The configured gene model, read on first use.
    gene_model: variants::GeneModelCache,
    /// Who is in consent now (all, or one facility's), with the consent
    /// version it was folded under (see `App::consented_now`).
    consented: variants::ConsentedCache,
    /// Loads into the variant store run one at a time (its lock refuses a
    /// second writer rather than waiting)…
    variant_loader: tokio::sync::Mutex<()>,
    /// …and the ones started after an upload are kept until they end.
    variant_loads: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// The variant store as last opened (see `variants::OpenedStore`).
    opened_store: variants::OpenedStore,
    /// Fingerprinting runs and the fingerprint cache (sample identity).
    identity: identity::IdentityState,
    /// The gene model and knowledge bases loaded, and the run lock.
    annotation: findings::AnnotationState,
    prioritise: prioritise::PrioritiseState,
}

impl App {
    /// Builds the application over an open, migrated store.
    pub fn new(store: Store, seal: SealKey, config: Config) -> Result<Self, AppError> {
        let hasher = PasswordHasher::new(config.security.password)
            .map_err(|e| AppError::Internal(format!("password hasher: {e}")))?;
        let csrf = CsrfKey::derive(seal.as_bytes());
        let limiter = limiter::LoginLimiter::new(&config.security);
        let visa_key = access::visas::VisaKey::derive(seal.as_bytes(), &config.access.visas.issuer);
        let c4gh = data_centre_key(seal.as_bytes());
        let stores = zenome_objects::Stores::open(&config.stores())
            .map_err(|e| AppError::Internal(format!("object stores: {e}")))?;
        config
            .files
            .placement
            .check(&stores.names())
            .map_err(AppError::Internal)?;
        let clinical = clinical::Catalog::load(&config.clinical)?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                hasher,
                seal,
                csrf,
                config,
                limiter,
                alerts: Default::default(),
                visa_key,
                c4gh,
                stores,
                sessions: Default::default(),
                repairing: Default::default(),
                clinical,
                gene_model: Default::default(),
                consented: Default::default(),
                variant_loader: Default::default(),
                variant_loads: Default::default(),
                identity: Default::default(),
                annotation: Default::default(),
                prioritise: Default::default(),
                opened_store: Default::default(),
            }),
        })
    }

    /// The metadata store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The data centre's Crypt4GH public key (what stored objects are
    /// encrypted to; centres may encrypt to it too).
    pub fn c4gh_public_key(&self) -> zenome_crypt4gh::PublicKey {
        self.inner.c4gh.public()
    }

    /// The object stores.
    pub fn stores(&self) -> &zenome_objects::Stores {
        &self.inner.stores
    }

    /// The CSRF key for the portal's forms.
    pub fn csrf(&self) -> &CsrfKey {
        &self.inner.csrf
    }
}

/// The data centre's Crypt4GH key, derived from the server key.
fn data_centre_key(server_key: &[u8; 32]) -> zenome_crypt4gh::SecretKey {
    use hmac::{Hmac, KeyInit, Mac};
    let mut m =
        <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(server_key).expect("any key length");
    m.update(b"zenome-crypt4gh-v1");
    zenome_crypt4gh::SecretKey::from_bytes(m.finalize().into_bytes().into())
}
