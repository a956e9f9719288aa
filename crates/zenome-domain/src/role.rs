//! Users' roles and the scope each role carries (R8.1).
//!
//! A role is stored as a name plus, for scoped roles, an organisation code.
//! A name Zenome does not know is not a role: [`Role::parse`] refuses it and
//! the caller answers 403.

use std::fmt;

use crate::DomainError;
use crate::organisation::OrgCode;

/// Academic or industry, which decides the DAC's rule set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sector {
    /// Universities and public research institutes.
    Academic,
    /// Companies.
    Industry,
}

impl Sector {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Academic => "academic",
            Self::Industry => "industry",
        }
    }
}

/// What a user may do.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Role {
    /// Registers participants, consent and specimens for one facility.
    FacilitySubmitter {
        /// The facility.
        facility: OrgCode,
    },
    /// Submits runs and files for one sequencing centre (often a machine user).
    SequencingCentre {
        /// The centre.
        centre: OrgCode,
    },
    /// Curates, releases and operates at the data centre.
    DataCentreStaff,
    /// Reviews applications for secondary use.
    DacMember,
    /// Applies for and uses data under a grant.
    Researcher {
        /// Academic or industry.
        sector: Sector,
    },
    /// Reads reports of their facility's patients.
    Clinician {
        /// The facility.
        facility: OrgCode,
    },
    /// Manages users and organisations.
    Admin,
}

impl Role {
    /// Every role name, for forms and documentation.
    pub const NAMES: [&'static str; 8] = [
        "facility_submitter",
        "sequencing_centre",
        "data_centre_staff",
        "dac_member",
        "researcher_academic",
        "researcher_industry",
        "clinician",
        "admin",
    ];

    /// The stored name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::FacilitySubmitter { .. } => "facility_submitter",
            Self::SequencingCentre { .. } => "sequencing_centre",
            Self::DataCentreStaff => "data_centre_staff",
            Self::DacMember => "dac_member",
            Self::Researcher {
                sector: Sector::Academic,
            } => "researcher_academic",
            Self::Researcher {
                sector: Sector::Industry,
            } => "researcher_industry",
            Self::Clinician { .. } => "clinician",
            Self::Admin => "admin",
        }
    }

    /// The organisation a scoped role is bound to.
    pub fn scope(&self) -> Option<&OrgCode> {
        match self {
            Self::FacilitySubmitter { facility } | Self::Clinician { facility } => Some(facility),
            Self::SequencingCentre { centre } => Some(centre),
            _ => None,
        }
    }

    /// Whether the role needs an organisation scope.
    pub fn needs_scope(name: &str) -> bool {
        matches!(
            name,
            "facility_submitter" | "sequencing_centre" | "clinician"
        )
    }

    /// Builds a role from its stored name and scope. An unknown name or a
    /// missing/extra scope is an error naming the field.
    pub fn parse(name: &str, scope: Option<&str>) -> Result<Self, DomainError> {
        let scope_code = || -> Result<OrgCode, DomainError> {
            scope
                .ok_or_else(|| {
                    DomainError::invalid("scope", format!("role {name} needs an organisation code"))
                })?
                .parse()
                .map_err(|_| DomainError::invalid("scope", "not a valid organisation code"))
        };
        let role = match name {
            "facility_submitter" => Self::FacilitySubmitter {
                facility: scope_code()?,
            },
            "sequencing_centre" => Self::SequencingCentre {
                centre: scope_code()?,
            },
            "clinician" => Self::Clinician {
                facility: scope_code()?,
            },
            "data_centre_staff" => Self::DataCentreStaff,
            "dac_member" => Self::DacMember,
            "researcher_academic" => Self::Researcher {
                sector: Sector::Academic,
            },
            "researcher_industry" => Self::Researcher {
                sector: Sector::Industry,
            },
            "admin" => Self::Admin,
            _ => {
                return Err(DomainError::invalid(
                    "role",
                    format!(
                        "unknown role {name:?}: expected one of {}",
                        Self::NAMES.join(", ")
                    ),
                ));
            }
        };
        if !Self::needs_scope(name) && scope.is_some_and(|s| !s.is_empty()) {
            return Err(DomainError::invalid(
                "scope",
                format!("role {name} takes no organisation"),
            ));
        }
        Ok(role)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scope() {
            Some(s) => write!(f, "{}@{s}", self.name()),
            None => f.write_str(self.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for name in Role::NAMES {
            let scope = Role::needs_scope(name).then_some("TKY-UH");
            let r = Role::parse(name, scope).unwrap();
            assert_eq!(r.name(), name);
            assert_eq!(r.scope().map(OrgCode::as_str), scope);
        }
    }

    #[test]
    fn unknown_and_unscoped_roles_are_refused() {
        assert_eq!(
            Role::parse("superuser", None).unwrap_err().field(),
            Some("role")
        );
        assert_eq!(
            Role::parse("facility_submitter", None).unwrap_err().field(),
            Some("scope")
        );
        assert_eq!(
            Role::parse("admin", Some("TKY")).unwrap_err().field(),
            Some("scope")
        );
    }
}
