//! GA4GH Passports and Visas (v1.2): a grant becomes one
//! `ControlledAccessGrants` visa per dataset, signed (EdDSA) with a key
//! derived from the server key; `/.well-known/jwks.json` publishes the public
//! half so outside services can check them. Incoming passports and visas are
//! accepted only from the allow-listed (iss, jku) pair, with the algorithm
//! pinned and `exp`, `iss` and `sub` required. A valid visa still goes
//! through the grant check of every read (revocation is immediate).

use base64::Engine as _;
use ed25519_dalek::SigningKey;
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;
use time::OffsetDateTime;

use crate::{Actor, App, AppError, AuthMethod, Credential};

/// The visa signing key.
#[derive(Clone)]
pub struct VisaKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    x: String,
    issuer: String,
}

impl std::fmt::Debug for VisaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VisaKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

const PKCS8_ED25519_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

fn b64url(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

impl VisaKey {
    /// Derives the key from the server key (so it survives restarts and
    /// needs no file of its own).
    pub fn derive(server_key: &[u8; 32], issuer: &str) -> Self {
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(server_key).expect("any key length");
        m.update(b"zenome-visa-signing-v1");
        let seed: [u8; 32] = m.finalize().into_bytes().into();
        let signing = SigningKey::from_bytes(&seed);
        let public = signing.verifying_key().to_bytes();
        let mut der = PKCS8_ED25519_PREFIX.to_vec();
        der.extend_from_slice(&seed);
        let kid = hex_prefix(&public);
        Self {
            encoding: EncodingKey::from_ed_der(&der),
            decoding: DecodingKey::from_ed_der(&public),
            kid,
            x: b64url(&public),
            issuer: issuer.trim_end_matches('/').to_string(),
        }
    }

    fn jku(&self) -> String {
        format!("{}/.well-known/jwks.json", self.issuer)
    }
}

fn hex_prefix(b: &[u8]) -> String {
    b.iter().take(8).map(|x| format!("{x:02x}")).collect()
}

/// The `ga4gh_visa_v1` object.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct VisaObject {
    /// `ControlledAccessGrants`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When the grant was made (seconds since the epoch).
    pub asserted: i64,
    /// The dataset's URL.
    pub value: String,
    /// Who granted it.
    pub source: String,
    /// `dac`.
    pub by: String,
}

/// A visa's claims.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VisaClaims {
    /// Issuer.
    pub iss: String,
    /// The user.
    pub sub: String,
    /// Issued at.
    pub iat: i64,
    /// Expires.
    pub exp: i64,
    /// Token id.
    pub jti: String,
    /// The session or API token it was issued under (`s:<id>` or `t:<id>`):
    /// it stops working when that one ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The visa.
    pub ga4gh_visa_v1: VisaObject,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PassportClaims {
    iss: String,
    sub: String,
    iat: i64,
    exp: i64,
    jti: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    ga4gh_passport_v1: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct AnyClaims {
    #[serde(default)]
    ga4gh_passport_v1: Option<Vec<String>>,
}

impl App {
    /// The JSON Web Key Set with the visa verification key.
    pub fn jwks(&self) -> serde_json::Value {
        let k = &self.inner.visa_key;
        json!({ "keys": [{ "kty": "OKP", "crv": "Ed25519", "x": k.x, "kid": k.kid, "alg": "EdDSA", "use": "sig" }] })
    }

    /// The dataset URL used as a visa's `value`.
    pub fn dataset_url(&self, dataset: &str) -> String {
        format!("{}/datasets/{dataset}", self.inner.visa_key.issuer)
    }

    /// Signs claims with the visa key (how passports and visas are made;
    /// tests use it to craft expired ones).
    pub fn sign_jwt<T: Serialize>(&self, claims: &T) -> Result<String, AppError> {
        let k = &self.inner.visa_key;
        let mut h = Header::new(Algorithm::EdDSA);
        h.kid = Some(k.kid.clone());
        h.jku = Some(k.jku());
        h.typ = Some("JWT".into());
        jsonwebtoken::encode(&h, claims, &k.encoding)
            .map_err(|e| AppError::Internal(format!("signing a visa: {e}")))
    }

    /// A GA4GH Passport for the caller: one visa per dataset of each grant in
    /// force. A visa lives at most the configured hours and never beyond its
    /// grant.
    pub async fn passport(&self, actor: &Actor) -> Result<String, AppError> {
        let now = OffsetDateTime::now_utc();
        let sid = actor.credential.as_ref().map(Credential::to_claim);
        let lifetime = time::Duration::hours(i64::from(self.config().access.visas.lifetime_hours));
        let mut visas = Vec::new();
        for g in self.grants(actor).await? {
            if g.status != "active" || !g.people.contains(&actor.username) {
                continue;
            }
            for ds in &g.datasets {
                let claims = VisaClaims {
                    iss: self.inner.visa_key.issuer.clone(),
                    sub: actor.username.clone(),
                    iat: now.unix_timestamp(),
                    exp: (now + lifetime).min(g.row.expires_at).unix_timestamp(),
                    jti: uuid::Uuid::new_v4().to_string(),
                    sid: sid.clone(),
                    ga4gh_visa_v1: VisaObject {
                        kind: "ControlledAccessGrants".into(),
                        asserted: g.row.starts_at.unix_timestamp(),
                        value: self.dataset_url(ds),
                        source: format!("{}/dac", self.inner.visa_key.issuer),
                        by: "dac".into(),
                    },
                };
                visas.push(self.sign_jwt(&claims)?);
            }
        }
        self.sign_jwt(&PassportClaims {
            iss: self.inner.visa_key.issuer.clone(),
            sub: actor.username.clone(),
            iat: now.unix_timestamp(),
            exp: (now + lifetime).unix_timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
            sid,
            ga4gh_passport_v1: visas,
        })
    }

    fn validate<T: serde::de::DeserializeOwned>(&self, token: &str) -> Result<T, AppError> {
        let k = &self.inner.visa_key;
        let header = jsonwebtoken::decode_header(token).map_err(|_| AppError::Unauthorized)?;
        // only our own (iss, jku) pair is trusted, with the algorithm pinned
        if header.alg != Algorithm::EdDSA
            || header.jku.as_deref() != Some(k.jku().as_str())
            || header.kid.as_deref() != Some(k.kid.as_str())
        {
            return Err(AppError::Unauthorized);
        }
        let mut v = Validation::new(Algorithm::EdDSA);
        v.set_issuer(&[&k.issuer]);
        v.set_required_spec_claims(&["exp", "iss", "sub"]);
        v.validate_aud = false;
        v.leeway = 30;
        jsonwebtoken::decode::<T>(token, &k.decoding, &v)
            .map(|d| d.claims)
            .map_err(|_| AppError::Unauthorized)
    }

    /// The actor behind a passport or a single visa, limited to the datasets
    /// its visas name. Forged, expired or foreign tokens are 401.
    pub async fn actor_from_visas(&self, token: &str) -> Result<Actor, AppError> {
        let any: AnyClaims = self.validate(token)?;
        let visas: Vec<VisaClaims> = match any.ga4gh_passport_v1 {
            Some(list) => list
                .iter()
                .map(|v| self.validate::<VisaClaims>(v))
                .collect::<Result<_, _>>()?,
            None => vec![self.validate::<VisaClaims>(token)?],
        };
        let sub: PassportSub = self.validate(token)?;
        let prefix = format!("{}/datasets/", self.inner.visa_key.issuer);
        let mut datasets = Vec::new();
        for v in &visas {
            if v.sub != sub.sub || v.ga4gh_visa_v1.kind != "ControlledAccessGrants" {
                return Err(AppError::Unauthorized);
            }
            if let Some(ds) = v.ga4gh_visa_v1.value.strip_prefix(&prefix) {
                datasets.push(ds.to_string());
            }
        }
        let user = self
            .store()
            .user_by_name(&sub.sub)
            .await?
            .ok_or(AppError::Unauthorized)?;
        // it dies with the session or token it was issued under: logout,
        // revocation and expiry end it too
        let credential = sub
            .sid
            .as_deref()
            .and_then(Credential::from_claim)
            .ok_or(AppError::Unauthorized)?;
        if visas.iter().any(|v| v.sid.as_deref() != sub.sid.as_deref())
            || !self.credential_alive(&credential).await?
        {
            return Err(AppError::Unauthorized);
        }
        let mut actor = self.actor_of(&user, AuthMethod::Visa)?;
        actor.visa_datasets = Some(datasets);
        actor.credential = Some(credential);
        Ok(actor)
    }
}

#[derive(Debug, Deserialize)]
struct PassportSub {
    sub: String,
    #[serde(default)]
    sid: Option<String>,
}
