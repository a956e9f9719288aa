//! Logins, sessions, API tokens and user accounts.
//!
//! A human logs in with user name, password and a TOTP code in one step; a
//! failure says only "authentication required", whichever factor was wrong
//! (the audit trail records which, for detection). Machines use API tokens.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;
use time::{Duration, OffsetDateTime};
use zenome_auth::{Secret, TokenKind, TotpSecret, hash_token, new_token, verify_totp};
use zenome_domain::organisation::OrgKind;
use zenome_domain::role::Role;
use zenome_store::{AuditEntry, NewUser, TokenInfo, UserKind, UserRecord};

use crate::{Actor, App, AppError, AuthMethod, Credential, policy};

/// A successful login.
#[derive(Debug)]
pub struct LoginOutcome {
    /// The session token (cookie value or bearer token); shown once.
    pub token: Secret<String>,
    /// Who logged in.
    pub actor: Actor,
    /// When the session ends.
    pub expires_at: OffsetDateTime,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUserSpec {
    /// Login name: 3 to 64 of `a-z 0-9 . _ -`.
    pub username: String,
    /// Shown in the portal.
    pub display_name: String,
    /// Human (password + TOTP) or machine (API token).
    pub kind: UserKind,
    /// Role name.
    pub role: String,
    /// Organisation code for scoped roles.
    pub scope: Option<String>,
    /// Password for a human; generated when absent.
    pub password: Option<Secret<String>>,
    /// TOTP seed for a human; generated when absent.
    pub totp: Option<TotpSecret>,
}

/// What creating a user hands back, once.
#[derive(Debug)]
pub struct CreatedUser {
    /// The new user's id.
    pub id: String,
    /// The password (humans).
    pub password: Option<Secret<String>>,
    /// The TOTP seed (humans).
    pub totp: Option<TotpSecret>,
    /// An API token (machines).
    pub api_token: Option<Secret<String>>,
}

/// A user as listed to admins.
#[derive(Debug, Clone)]
pub struct UserSummary {
    /// Id.
    pub id: String,
    /// Login.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// `human` or `machine`.
    pub kind: &'static str,
    /// Role name (as stored).
    pub role: String,
    /// Scope.
    pub scope: Option<String>,
    /// Disabled.
    pub disabled: bool,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn random_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut b = [0u8; 20];
    rand::rng().fill_bytes(&mut b);
    b.iter()
        .map(|x| char::from(CHARS[usize::from(*x) % CHARS.len()]))
        .collect()
}

impl App {
    pub(crate) fn actor_of(&self, u: &UserRecord, via: AuthMethod) -> Result<Actor, AppError> {
        if u.disabled {
            return Err(AppError::Unauthorized);
        }
        // A role this build does not know is no role at all: 403.
        let role = Role::parse(&u.role, u.scope.as_deref())
            .map_err(|_| AppError::Forbidden(format!("unknown role {:?}", u.role)))?;
        Ok(Actor {
            user_id: u.id.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role,
            via,
            visa_datasets: None,
            credential: None,
        })
    }

    /// Records a failed login (the limiter counted it before the check).
    async fn login_failed(&self, username: &str, ip: Option<&str>, reason: &str) -> AppError {
        let entry = AuditEntry::new(
            format!("anonymous@{}", ip.unwrap_or("unknown")),
            "auth.login_failed",
            format!("user:{username}"),
        )
        .with_detail(json!({ "reason": reason, "ip": ip }));
        if let Err(e) = self.store().record(entry).await {
            tracing::error!(error = %e, "cannot record failed login");
        }
        self.observe(crate::alerts::Event::LoginFailed {
            user: username,
            ip,
            second_factor: reason.contains("second factor"),
        })
        .await;
        AppError::Unauthorized
    }

    /// Logs a human in with password and TOTP code.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        code: &str,
        ip: Option<&str>,
    ) -> Result<LoginOutcome, AppError> {
        let username = username.trim();
        // counted before the hash, under the limiter's lock: parallel
        // attempts cannot all pass the check
        let attempt = self
            .inner
            .limiter
            .reserve(username, ip)
            .map_err(|retry_after| AppError::RateLimited { retry_after })?;
        if !attempt.delay.is_zero() {
            tokio::time::sleep(attempt.delay).await;
        }
        // at most N hashes at once (each holds `memory_kib`); the rest are
        // refused now rather than queued, and not counted as failures
        let Some(permit) = self.inner.limiter.hash_permit() else {
            self.inner.limiter.release(&attempt);
            return Err(AppError::RateLimited { retry_after: 1 });
        };
        let user = self.store().user_by_name(username).await?;
        let hasher = self.inner.hasher.clone();
        let pw = password.to_string();
        let phc = user.as_ref().and_then(|u| u.password_hash.clone());
        let password_ok = tokio::task::spawn_blocking(move || {
            let ok = hasher.verify(&pw, phc.as_deref());
            drop(permit);
            ok
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
        let Some(user) = user else {
            return Err(self.login_failed(username, ip, "unknown user").await);
        };
        if user.kind != UserKind::Human || user.disabled {
            return Err(self
                .login_failed(username, ip, "not an active human user")
                .await);
        }
        if !password_ok {
            return Err(self.login_failed(username, ip, "wrong password").await);
        }
        let step = user
            .totp_secret
            .as_deref()
            .and_then(|sealed| self.inner.seal.open(sealed, user.id.as_bytes()).ok())
            .and_then(|b| TotpSecret::from_slice(&b).ok())
            .and_then(|s| verify_totp(&s, code, unix_now()));
        let Some(step) = step else {
            return Err(self.login_failed(username, ip, "wrong second factor").await);
        };
        let mut actor = match self.actor_of(&user, AuthMethod::Session) {
            Ok(a) => a,
            Err(e) => {
                self.login_failed(username, ip, "unknown role").await;
                return Err(e);
            }
        };
        let (token, hash) = new_token(TokenKind::Session);
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(
                    actor.audit_name(),
                    "auth.login",
                    format!("user:{}", user.username),
                )
                .with_detail(json!({ "ip": ip })),
            )
            .await?;
        let step = i64::try_from(step).map_err(|e| AppError::Internal(e.to_string()))?;
        if !tx.advance_totp_step(&user.id, step).await? {
            drop(tx);
            // password and code were right, so saying why reveals nothing an
            // attacker lacks; it spares a person the guesswork
            self.login_failed(username, ip, "second factor replayed")
                .await;
            return Err(AppError::Invalid {
                field: "totp".into(),
                reason: "this one-time code was already used; wait for the next one (at most 30 seconds)".into(),
            });
        }
        let expires_at = tx.at() + Duration::hours(i64::from(self.config().security.session_hours));
        let session_id = tx.insert_session(&hash, &user.id, expires_at, ip).await?;
        tx.commit().await?;
        actor.credential = Some(Credential::Session(session_id));
        self.inner.limiter.succeed(&attempt);
        Ok(LoginOutcome {
            token: Secret::new(token),
            actor,
            expires_at,
        })
    }

    /// Checks a fresh TOTP code of `actor` inside `tx` (a step already used
    /// — at login or an earlier signature — is refused): what a sign-off
    /// asks of the person signing, beyond their session.
    pub(crate) async fn second_factor(
        &self,
        tx: &mut zenome_store::WriteTx,
        actor: &Actor,
        code: &str,
    ) -> Result<(), AppError> {
        let refused = || AppError::Invalid {
            field: "totp".into(),
            reason: "the second factor (TOTP code) is wrong or was already used".into(),
        };
        if actor.via != AuthMethod::Session {
            return Err(AppError::Forbidden(
                "a signature needs a person logged in with a second factor, not an API token"
                    .into(),
            ));
        }
        let user = self
            .store()
            .user_by_name(&actor.username)
            .await?
            .ok_or_else(refused)?;
        let step = user
            .totp_secret
            .as_deref()
            .and_then(|sealed| self.inner.seal.open(sealed, user.id.as_bytes()).ok())
            .and_then(|b| TotpSecret::from_slice(&b).ok())
            .and_then(|s| verify_totp(&s, code.trim(), unix_now()))
            .ok_or_else(refused)?;
        let step = i64::try_from(step).map_err(|e| AppError::Internal(e.to_string()))?;
        if !tx.advance_totp_step(&user.id, step).await? {
            return Err(refused());
        }
        Ok(())
    }

    /// Password checks run since start and the most that ran at once (for
    /// metrics and tests: the second never exceeds
    /// `security.login_max_concurrent_hashes`).
    pub fn password_check_stats(&self) -> (u64, usize) {
        self.inner.limiter.stats()
    }

    /// The actor behind a session token.
    pub async fn actor_from_session(&self, token: &str) -> Result<Actor, AppError> {
        let s = self
            .store()
            .session(&hash_token(token), OffsetDateTime::now_utc())
            .await?
            .ok_or(AppError::Unauthorized)?;
        let mut a = self.actor_of(&s.user, AuthMethod::Session)?;
        a.credential = Some(Credential::Session(s.id));
        Ok(a)
    }

    /// The actor behind a bearer token: an API token (`zk_…`) or a session
    /// token (`zs_…`).
    pub async fn actor_from_bearer(&self, token: &str) -> Result<Actor, AppError> {
        if token.starts_with("zs_") {
            return self.actor_from_session(token).await;
        }
        let t = self
            .store()
            .token(&hash_token(token), OffsetDateTime::now_utc())
            .await?
            .ok_or(AppError::Unauthorized)?;
        let mut a = self.actor_of(&t.user, AuthMethod::ApiToken)?;
        // last use, to the minute (one write per token per minute at most)
        let now = OffsetDateTime::now_utc();
        let stale = t
            .last_used_ms
            .is_none_or(|ms| (now.unix_timestamp() * 1000).saturating_sub(ms) >= 60_000);
        if stale && let Err(e) = self.store().touch_token(&t.id, now).await {
            tracing::warn!(error = %e, "cannot record a token's last use");
        }
        a.credential = Some(Credential::ApiToken(t.id));
        Ok(a)
    }

    /// Whether the session or token a passport names is still live.
    pub(crate) async fn credential_alive(&self, c: &Credential) -> Result<bool, AppError> {
        let now = OffsetDateTime::now_utc();
        Ok(match c {
            Credential::Session(id) => self.store().session_alive(id, now).await?,
            Credential::ApiToken(id) => self.store().token_alive(id, now).await?,
        })
    }

    /// Ends a session.
    pub async fn logout(&self, actor: &Actor, token: &str) -> Result<(), AppError> {
        let mut tx = self
            .store()
            .begin(AuditEntry::new(
                actor.audit_name(),
                "auth.logout",
                format!("user:{}", actor.username),
            ))
            .await?;
        tx.delete_session(&hash_token(token)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates a user (admin only). Returns the secrets, once.
    pub async fn create_user(
        &self,
        actor: &Actor,
        spec: NewUserSpec,
    ) -> Result<CreatedUser, AppError> {
        policy::require_admin(actor)?;
        let username = spec.username.trim().to_string();
        if !(3..=64).contains(&username.len())
            || !username
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        {
            return Err(AppError::invalid(
                "username",
                "3 to 64 characters of a-z, 0-9, '.', '_' and '-'",
            ));
        }
        let display_name = spec.display_name.trim().to_string();
        if display_name.is_empty() || display_name.chars().count() > 200 {
            return Err(AppError::invalid("display_name", "1 to 200 characters"));
        }
        let role = Role::parse(&spec.role, spec.scope.as_deref().filter(|s| !s.is_empty()))?;
        if let Some(code) = role.scope() {
            let org = self
                .store()
                .organisation(code)
                .await?
                .ok_or_else(|| AppError::invalid("scope", format!("no organisation {code}")))?;
            let want = match role {
                Role::SequencingCentre { .. } => OrgKind::SequencingCentre,
                _ => OrgKind::CollectingFacility,
            };
            if org.kind != want {
                return Err(AppError::invalid(
                    "scope",
                    format!(
                        "role {} needs a {} but {code} is a {}",
                        role.name(),
                        want.as_str(),
                        org.kind.as_str()
                    ),
                ));
            }
        }
        let (password, totp) = match spec.kind {
            UserKind::Human => {
                let pw = spec
                    .password
                    .map(|p| p.expose().clone())
                    .unwrap_or_else(random_password);
                if pw.chars().count() < 12 {
                    return Err(AppError::invalid("password", "at least 12 characters"));
                }
                (
                    Some(pw),
                    Some(spec.totp.unwrap_or_else(TotpSecret::generate)),
                )
            }
            UserKind::Machine => (None, None),
        };
        let password_hash = match &password {
            Some(pw) => {
                let hasher = self.inner.hasher.clone();
                let pw = pw.clone();
                Some(
                    tokio::task::spawn_blocking(move || hasher.hash(&pw))
                        .await
                        .map_err(|e| AppError::Internal(e.to_string()))?
                        .map_err(|e| AppError::Internal(e.to_string()))?,
                )
            }
            None => None,
        };
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(actor.audit_name(), "user.create", format!("user:{username}"))
                    .with_detail(json!({ "role": role.name(), "scope": role.scope().map(|s| s.to_string()), "kind": spec.kind.as_str() })),
            )
            .await?;
        // the id is needed to bind the sealed seed to its row: insert without
        // the seed, then seal with the id as context
        let id = tx
            .insert_user(&NewUser {
                username: username.clone(),
                display_name,
                kind: spec.kind,
                role: role.name().to_string(),
                scope: role.scope().map(|s| s.to_string()),
                password_hash,
                totp_secret: None,
            })
            .await?;
        if let Some(t) = &totp {
            let sealed = self.inner.seal.seal(t.as_bytes(), id.as_bytes());
            tx.set_totp_secret(&id, &sealed).await?;
        }
        let api_token = match spec.kind {
            UserKind::Machine => {
                let (token, hash) = new_token(TokenKind::Api);
                tx.insert_token(&id, &hash, "initial", None).await?;
                Some(Secret::new(token))
            }
            UserKind::Human => None,
        };
        tx.commit().await?;
        Ok(CreatedUser {
            id,
            password: password.map(Secret::new),
            totp,
            api_token,
        })
    }

    /// Issues another API token to a machine user (admin only), valid until
    /// `expires_at` when given. Returns its id and the secret, once.
    pub async fn issue_api_token(
        &self,
        actor: &Actor,
        username: &str,
        label: &str,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<(String, Secret<String>), AppError> {
        policy::require_admin(actor)?;
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 100 || label.chars().any(char::is_control) {
            return Err(AppError::invalid(
                "label",
                "1 to 100 characters, no control characters",
            ));
        }
        if expires_at.is_some_and(|t| t <= OffsetDateTime::now_utc()) {
            return Err(AppError::invalid("expires_at", "must be in the future"));
        }
        let u = self
            .store()
            .user_by_name(username)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        if u.kind != UserKind::Machine {
            return Err(AppError::invalid(
                "username",
                "API tokens are for machine users; people log in with TOTP",
            ));
        }
        let (token, hash) = new_token(TokenKind::Api);
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(
                    actor.audit_name(),
                    "token.issue",
                    format!("user:{username}"),
                )
                .with_detail(
                    json!({ "label": label, "expires_at": expires_at.map(|t| t.unix_timestamp()) }),
                ),
            )
            .await?;
        let id = tx.insert_token(&u.id, &hash, label, expires_at).await?;
        tx.commit().await?;
        Ok((id, Secret::new(token)))
    }

    /// The user whose credentials `actor` may manage: themselves, or anyone
    /// for an admin. Anyone else's look absent (404).
    async fn credentials_owner(
        &self,
        actor: &Actor,
        username: &str,
    ) -> Result<UserRecord, AppError> {
        let u = self
            .store()
            .user_by_name(username)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        if u.id != actor.user_id && policy::require_admin(actor).is_err() {
            return Err(AppError::NotFound("user"));
        }
        Ok(u)
    }

    /// A user's API tokens (the user or an admin): ids, labels and times,
    /// never the secrets.
    pub async fn api_tokens(
        &self,
        actor: &Actor,
        username: &str,
    ) -> Result<Vec<TokenInfo>, AppError> {
        let u = self.credentials_owner(actor, username).await?;
        Ok(self.store().tokens_of(&u.id).await?)
    }

    /// Revokes one of a user's API tokens (the user or an admin); it is
    /// refused (401) from the next request on. Revoking twice is harmless.
    pub async fn revoke_api_token(
        &self,
        actor: &Actor,
        username: &str,
        id: &str,
    ) -> Result<(), AppError> {
        let u = self.credentials_owner(actor, username).await?;
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(
                    actor.audit_name(),
                    "token.revoke",
                    format!("user:{}", u.username),
                )
                .with_detail(json!({ "token": id })),
            )
            .await?;
        if !tx.revoke_token(&u.id, id).await? {
            return Err(AppError::NotFound("token"));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Disables or re-enables a user (admin only). Disabling ends every
    /// session at once; tokens and passports stop because every
    /// authentication path refuses a disabled user.
    pub async fn set_user_disabled(
        &self,
        actor: &Actor,
        username: &str,
        disabled: bool,
    ) -> Result<(), AppError> {
        policy::require_admin(actor)?;
        let u = self
            .store()
            .user_by_name(username)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        if disabled && u.id == actor.user_id {
            return Err(AppError::invalid("username", "you cannot disable yourself"));
        }
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        let mut tx = self
            .store()
            .begin(AuditEntry::new(
                actor.audit_name(),
                action,
                format!("user:{}", u.username),
            ))
            .await?;
        tx.set_user_disabled(&u.id, disabled).await?;
        if disabled {
            tx.delete_sessions_of(&u.id).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// All users (admin only).
    pub async fn users(&self, actor: &Actor) -> Result<Vec<UserSummary>, AppError> {
        policy::require_admin(actor)?;
        Ok(self
            .store()
            .users()
            .await?
            .into_iter()
            .map(|u| UserSummary {
                id: u.id,
                username: u.username,
                display_name: u.display_name,
                kind: u.kind.as_str(),
                role: u.role,
                scope: u.scope,
                disabled: u.disabled,
            })
            .collect())
    }
}
