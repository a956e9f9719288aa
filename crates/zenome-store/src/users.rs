//! Users, API tokens and portal sessions. Secrets are stored only as hashes
//! (tokens, sessions, passwords) or sealed (TOTP seeds); this module never
//! sees them in the clear.

use time::OffsetDateTime;

use crate::time_ms::{from_ms, to_ms};
use crate::{Store, StoreError, WriteTx};

/// A person (password + TOTP) or a machine (API tokens only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserKind {
    /// A person: logs in with password and second factor.
    Human,
    /// A pipeline: authenticates with API tokens only.
    Machine,
}

impl UserKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Human => "human",
            Self::Machine => "machine",
        }
    }
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Unique login name.
    pub username: String,
    /// Name shown in the portal.
    pub display_name: String,
    /// Human or machine.
    pub kind: UserKind,
    /// Role name as stored.
    pub role: String,
    /// Organisation scope, for scoped roles.
    pub scope: Option<String>,
    /// PHC-format argon2id hash (humans).
    pub password_hash: Option<String>,
    /// Sealed TOTP seed (humans).
    pub totp_secret: Option<String>,
}

/// A stored user. The role is kept as text: the caller parses it and
/// refuses a name it does not know.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Id.
    pub id: String,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Human or machine.
    pub kind: UserKind,
    /// Role name.
    pub role: String,
    /// Scope.
    pub scope: Option<String>,
    /// Password hash.
    pub password_hash: Option<String>,
    /// Sealed TOTP seed.
    pub totp_secret: Option<String>,
    /// Last accepted TOTP time step (replay protection).
    pub totp_last_step: Option<i64>,
    /// Disabled users cannot log in or use tokens.
    pub disabled: bool,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("kind", &self.kind)
            .field("role", &self.role)
            .field("scope", &self.scope)
            .field("password_hash", &"[redacted]")
            .field("totp_secret", &"[redacted]")
            .finish()
    }
}

/// A token's row.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// Public id (not the secret).
    pub id: String,
    /// When it was last used (milliseconds since the epoch), if ever.
    pub last_used_ms: Option<i64>,
    /// Label given at creation.
    pub label: String,
    /// Owner.
    pub user: UserRecord,
}

/// A session's row.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// Public id (not the secret).
    pub id: String,
    /// When it ends.
    pub expires_at: OffsetDateTime,
    /// Owner.
    pub user: UserRecord,
}

/// An API token as listed to its owner or an admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Public id.
    pub id: String,
    /// Label given at creation.
    pub label: String,
    /// When it was issued.
    pub created_at: OffsetDateTime,
    /// When it was last used (to the minute).
    pub last_used_at: Option<OffsetDateTime>,
    /// When it stops working, if ever.
    pub expires_at: Option<OffsetDateTime>,
    /// When it was revoked.
    pub revoked_at: Option<OffsetDateTime>,
}

type UserRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
);

/// A user row preceded by a token's id, last use and label.
type LabelledUserRow = (
    String,
    Option<i64>,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
);
/// A user row preceded by a session's id and expiry.
type ExpiringUserRow = (
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
);

const USER_COLS: &str = "u.id, u.username, u.display_name, u.kind, u.role, u.scope, u.password_hash, u.totp_secret, u.totp_last_step, u.disabled";

fn user(r: UserRow) -> Result<UserRecord, StoreError> {
    Ok(UserRecord {
        id: r.0,
        username: r.1,
        display_name: r.2,
        kind: match r.3.as_str() {
            "human" => UserKind::Human,
            "machine" => UserKind::Machine,
            k => return Err(StoreError::corrupt("users", format!("kind {k:?}"))),
        },
        role: r.4,
        scope: r.5,
        password_hash: r.6,
        totp_secret: r.7,
        totp_last_step: r.8,
        disabled: r.9 != 0,
    })
}

impl WriteTx {
    /// Creates a user; returns its id.
    pub async fn insert_user(&mut self, u: &NewUser) -> Result<String, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        let at = to_ms(self.at());
        sqlx::query(
            "INSERT INTO users (id, username, display_name, kind, role, scope, password_hash, totp_secret, disabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9)",
        )
        .bind(&id)
        .bind(&u.username)
        .bind(&u.display_name)
        .bind(u.kind.as_str())
        .bind(&u.role)
        .bind(u.scope.clone())
        .bind(u.password_hash.clone())
        .bind(u.totp_secret.clone())
        .bind(at)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "username"))?;
        Ok(id)
    }

    /// Stores a new API token hash for a user.
    pub async fn insert_token(
        &mut self,
        user_id: &str,
        token_hash: &str,
        label: &str,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<String, StoreError> {
        let at = to_ms(self.at());
        let id = uuid::Uuid::now_v7().simple().to_string();
        sqlx::query(
            "INSERT INTO api_tokens (token_hash, user_id, label, created_at, expires_at, id) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(label)
        .bind(at)
        .bind(expires_at.map(to_ms))
        .bind(&id)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "token"))?;
        Ok(id)
    }

    /// Opens a session.
    pub async fn insert_session(
        &mut self,
        token_hash: &str,
        user_id: &str,
        expires_at: OffsetDateTime,
        client_ip: Option<&str>,
    ) -> Result<String, StoreError> {
        let at = to_ms(self.at());
        let id = uuid::Uuid::now_v7().simple().to_string();
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, client_ip, id) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(at)
        .bind(to_ms(expires_at))
        .bind(client_ip.map(str::to_string))
        .bind(&id)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "session"))?;
        Ok(id)
    }

    /// Revokes a user's token by id; false when the user has no such token.
    /// Revoking a revoked token keeps its first revocation time.
    pub async fn revoke_token(&mut self, user_id: &str, id: &str) -> Result<bool, StoreError> {
        let at = to_ms(self.at());
        let r = sqlx::query(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND user_id = $3",
        )
        .bind(at)
        .bind(id)
        .bind(user_id)
        .execute(self.conn())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Ends every session of a user; returns how many.
    pub async fn delete_sessions_of(&mut self, user_id: &str) -> Result<u64, StoreError> {
        let r = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(self.conn())
            .await?;
        Ok(r.rows_affected())
    }

    /// Ends a session.
    pub async fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Records the TOTP step just accepted, if it is newer than the last one.
    /// Returns false when the step was already used (a replay).
    pub async fn advance_totp_step(
        &mut self,
        user_id: &str,
        step: i64,
    ) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $3)",
        )
        .bind(step)
        .bind(user_id)
        .bind(step)
        .execute(self.conn())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Enables or disables a user.
    pub async fn set_user_disabled(
        &mut self,
        user_id: &str,
        disabled: bool,
    ) -> Result<bool, StoreError> {
        let r = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(user_id)
            .execute(self.conn())
            .await?;
        Ok(r.rows_affected() == 1)
    }
}

impl Store {
    /// A user by login name.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        let r: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLS} FROM users u WHERE u.username = $1"
        )))
        .bind(username)
        .fetch_optional(self.pool())
        .await?;
        r.map(user).transpose()
    }

    /// All users, by name.
    pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let rows: Vec<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLS} FROM users u ORDER BY u.username"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(user).collect()
    }

    /// The live (not revoked, not expired) token with this hash, and its owner.
    pub async fn token(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let row: Option<LabelledUserRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT t.id, t.last_used_at, t.label, {USER_COLS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)"
            )))
            .bind(token_hash)
            .bind(to_ms(now))
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(TokenRecord {
                id: r.0,
                last_used_ms: r.1,
                label: r.2,
                user: user((r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12))?,
            })
        })
        .transpose()
    }

    /// The live session with this hash, and its owner.
    pub async fn session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let row: Option<ExpiringUserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT s.id, s.expires_at, {USER_COLS} FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2"
        )))
        .bind(token_hash)
        .bind(to_ms(now))
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(SessionRecord {
                id: r.0,
                expires_at: from_ms(r.1)?,
                user: user((r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11))?,
            })
        })
        .transpose()
    }

    /// A user's API tokens, newest first (never the secret or its hash).
    pub async fn tokens_of(&self, user_id: &str) -> Result<Vec<TokenInfo>, StoreError> {
        type Row = (String, String, i64, Option<i64>, Option<i64>, Option<i64>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, label, created_at, last_used_at, expires_at, revoked_at FROM api_tokens \
             WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(TokenInfo {
                    id: r.0,
                    label: r.1,
                    created_at: from_ms(r.2)?,
                    last_used_at: r.3.map(from_ms).transpose()?,
                    expires_at: r.4.map(from_ms).transpose()?,
                    revoked_at: r.5.map(from_ms).transpose()?,
                })
            })
            .collect()
    }

    /// Notes that a token was used now.
    pub async fn touch_token(&self, id: &str, now: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(to_ms(now))
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Whether the session with this id is live (exists, not expired).
    pub async fn session_alive(&self, id: &str, now: OffsetDateTime) -> Result<bool, StoreError> {
        let n: (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE id = $1 AND expires_at > $2")
                .bind(id)
                .bind(to_ms(now))
                .fetch_one(self.pool())
                .await?;
        Ok(n.0 > 0)
    }

    /// Whether the API token with this id is live (not revoked, not expired).
    pub async fn token_alive(&self, id: &str, now: OffsetDateTime) -> Result<bool, StoreError> {
        let n: (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM api_tokens WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(id)
        .bind(to_ms(now))
        .fetch_one(self.pool())
        .await?;
        Ok(n.0 > 0)
    }

    /// Removes expired sessions; returns how many.
    pub async fn purge_sessions(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(to_ms(now))
            .execute(self.pool())
            .await?;
        Ok(r.rows_affected())
    }
}

impl WriteTx {
    /// Stores a user's sealed TOTP seed.
    pub async fn set_totp_secret(&mut self, user_id: &str, sealed: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2")
            .bind(sealed)
            .bind(user_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}
