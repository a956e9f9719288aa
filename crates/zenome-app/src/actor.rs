//! Who is asking: an authenticated user with a parsed role.

use zenome_domain::role::Role;

/// How the actor authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// Portal or API session after password + TOTP.
    Session,
    /// Machine API token.
    ApiToken,
    /// Local operator at the command line (has the data dir, hence the keys).
    Local,
    /// A GA4GH Passport or Visa issued by Zenome.
    Visa,
}

/// The session or API token an actor authenticated with (by public id, never
/// the secret). A GA4GH Passport names it (`sid`) and dies with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A login session.
    Session(String),
    /// An API token.
    ApiToken(String),
}

impl Credential {
    /// The `sid` claim: `s:<id>` or `t:<id>`.
    pub fn to_claim(&self) -> String {
        match self {
            Self::Session(id) => format!("s:{id}"),
            Self::ApiToken(id) => format!("t:{id}"),
        }
    }

    /// Parses a `sid` claim.
    pub fn from_claim(s: &str) -> Option<Self> {
        match s.split_once(':')? {
            ("s", id) if !id.is_empty() => Some(Self::Session(id.to_string())),
            ("t", id) if !id.is_empty() => Some(Self::ApiToken(id.to_string())),
            _ => None,
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// User id (`local` for the command line).
    pub user_id: String,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// The role, already parsed: an unknown role never gets this far.
    pub role: Role,
    /// How they authenticated.
    pub via: AuthMethod,
    /// With a passport: the only datasets its visas open.
    pub visa_datasets: Option<Vec<String>>,
    /// The session or token behind this actor (a passport's: the one it was
    /// issued under); `None` for the local operator.
    pub credential: Option<Credential>,
}

impl Actor {
    /// The local operator (CLI `admin` commands, migrations, demo set-up).
    pub fn local() -> Self {
        Self {
            user_id: "local".into(),
            username: "local-operator".into(),
            display_name: "Local operator".into(),
            role: Role::Admin,
            via: AuthMethod::Local,
            visa_datasets: None,
            credential: None,
        }
    }

    /// The name the audit trail records.
    pub fn audit_name(&self) -> String {
        match self.via {
            AuthMethod::Local => "local:operator".into(),
            AuthMethod::ApiToken => format!("token:{}", self.username),
            AuthMethod::Session => format!("user:{}", self.username),
            AuthMethod::Visa => format!("visa:{}", self.username),
        }
    }
}
