//! Single-purpose data tokens for htsget tickets. A ticket's URLs must carry
//! a credential the client sends back, but never the caller's own bearer token
//! (a ticket is logged, cached and handed to tools): each range gets a token
//! signed with a key derived from the server key, binding the object, the
//! delivery (`plain`), the exact `Range`, the user and a short expiry
//! (`files.htsget_ticket_secs`, 5 minutes by default). The data endpoint
//! accepts it for that request only, and the read still checks the user's
//! grant, the participant's consent, that the user is not disabled and that
//! the session or token the ticket was issued under is still live.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{Actor, App, AppError, AuthMethod, Credential};

/// How a data ticket token starts.
pub const PREFIX: &str = "zt_";

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Claims {
    /// What the token opens: `drs-data:<access id>`.
    purpose: String,
    /// The object id.
    object: String,
    /// The exact `Range` header of the request it is for.
    range: Option<String>,
    /// The user's id and name (a name reused later does not inherit it).
    user_id: String,
    username: String,
    /// How the user authenticated when the ticket was issued.
    via: String,
    /// With a passport: the datasets its visas opened.
    visa_datasets: Option<Vec<String>>,
    /// The session or token behind the caller (`s:<id>`/`t:<id>`): the
    /// ticket dies with it (logout, revocation, expiry).
    sid: Option<String>,
    /// Expiry, seconds since the Unix epoch.
    expires: u64,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn via_name(v: AuthMethod) -> &'static str {
    match v {
        AuthMethod::Session => "session",
        AuthMethod::ApiToken => "token",
        AuthMethod::Local => "local",
        AuthMethod::Visa => "visa",
    }
}

impl App {
    fn ticket_mac(&self) -> Hmac<Sha256> {
        let mut k = <Hmac<Sha256> as KeyInit>::new_from_slice(self.inner.seal.as_bytes())
            .expect("any key length");
        k.update(b"zenome-data-ticket-v1");
        let key = k.finalize().into_bytes();
        <Hmac<Sha256> as KeyInit>::new_from_slice(&key).expect("any key length")
    }

    /// A token that lets `actor` read `object` through `access` (`plain`)
    /// with exactly the `Range` header `range`, for a few minutes.
    pub fn data_ticket(
        &self,
        actor: &Actor,
        object: &str,
        access: &str,
        range: Option<&str>,
    ) -> String {
        let claims = Claims {
            purpose: format!("drs-data:{access}"),
            object: object.to_string(),
            range: range.map(str::to_string),
            user_id: actor.user_id.clone(),
            username: actor.username.clone(),
            via: via_name(actor.via).into(),
            visa_datasets: actor.visa_datasets.clone(),
            sid: actor.credential.as_ref().map(Credential::to_claim),
            expires: now().saturating_add(self.config().files.htsget_ticket_secs),
        };
        let payload = b64().encode(serde_json::to_vec(&claims).expect("plain data"));
        let mut m = self.ticket_mac();
        m.update(payload.as_bytes());
        let sig = b64().encode(m.finalize().into_bytes());
        format!("{PREFIX}{payload}.{sig}")
    }

    /// The actor a data ticket token stands for, if it was issued for this
    /// very request (object, access, `Range`), has not expired, and its user
    /// still exists and is not disabled, and the session or token it was
    /// issued under is still live. Anything else is 401.
    pub async fn actor_from_data_ticket(
        &self,
        token: &str,
        object: &str,
        access: &str,
        range: Option<&str>,
    ) -> Result<Actor, AppError> {
        let (payload, sig) = token
            .strip_prefix(PREFIX)
            .and_then(|t| t.split_once('.'))
            .ok_or(AppError::Unauthorized)?;
        let sig = b64().decode(sig).map_err(|_| AppError::Unauthorized)?;
        let mut m = self.ticket_mac();
        m.update(payload.as_bytes());
        m.verify_slice(&sig).map_err(|_| AppError::Unauthorized)?;
        let claims: Claims = b64()
            .decode(payload)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(AppError::Unauthorized)?;
        let fits = claims.purpose == format!("drs-data:{access}")
            && claims.object == object
            && claims.range.as_deref() == range
            && now() < claims.expires;
        if !fits {
            return Err(AppError::Unauthorized);
        }
        let user = self
            .store()
            .user_by_name(&claims.username)
            .await?
            .filter(|u| u.id == claims.user_id)
            .ok_or(AppError::Unauthorized)?;
        let via = match claims.via.as_str() {
            "session" => AuthMethod::Session,
            "token" => AuthMethod::ApiToken,
            "visa" => AuthMethod::Visa,
            _ => return Err(AppError::Unauthorized),
        };
        // it dies with the session or token behind it
        let credential = claims
            .sid
            .as_deref()
            .and_then(Credential::from_claim)
            .ok_or(AppError::Unauthorized)?;
        if !self.credential_alive(&credential).await? {
            return Err(AppError::Unauthorized);
        }
        let mut actor = self.actor_of(&user, via)?;
        actor.visa_datasets = claims.visa_datasets;
        actor.credential = Some(credential);
        Ok(actor)
    }
}
