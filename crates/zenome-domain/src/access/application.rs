//! The life of an application for secondary use (R7.1, R7.2), and the rule
//! sets that differ between academic and industry applicants.

use std::fmt;
use std::str::FromStr;

use crate::DomainError;

use super::dataset::SecurityLevel;

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationState {
    /// Being written; only the applicant sees it.
    Draft,
    /// Sent to the DAC, not yet assigned.
    Submitted,
    /// Assigned to DAC members.
    UnderReview,
    /// The DAC asked for changes; back with the applicant.
    ChangesRequested,
    /// Approved (possibly with conditions): a grant exists.
    Approved,
    /// Rejected, with reasons.
    Rejected,
    /// Withdrawn by the applicant.
    Withdrawn,
}

impl ApplicationState {
    /// Every state.
    pub const ALL: [Self; 7] = [
        Self::Draft,
        Self::Submitted,
        Self::UnderReview,
        Self::ChangesRequested,
        Self::Approved,
        Self::Rejected,
        Self::Withdrawn,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::UnderReview => "under_review",
            Self::ChangesRequested => "changes_requested",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Whether the applicant may still edit it.
    pub fn editable(self) -> bool {
        matches!(self, Self::Draft | Self::ChangesRequested)
    }

    /// Whether the DAC has it.
    pub fn with_dac(self) -> bool {
        matches!(self, Self::Submitted | Self::UnderReview)
    }

    /// The state after `action`, or a conflict naming why not.
    pub fn after(self, action: &ApplicationAction) -> Result<Self, DomainError> {
        use ApplicationAction as A;
        use ApplicationState as S;
        let next = match (self, action) {
            (S::Draft | S::ChangesRequested, A::Edit) => self,
            (S::Draft | S::ChangesRequested, A::Submit) => S::Submitted,
            (S::Submitted | S::UnderReview, A::Assign) => S::UnderReview,
            (S::Submitted | S::UnderReview | S::ChangesRequested, A::Comment) => self,
            (S::UnderReview, A::RequestChanges) => S::ChangesRequested,
            (S::UnderReview, A::Vote) => S::UnderReview,
            (S::UnderReview, A::Approve) => S::Approved,
            (S::UnderReview, A::Reject) => S::Rejected,
            (S::Draft | S::Submitted | S::UnderReview | S::ChangesRequested, A::Withdraw) => {
                S::Withdrawn
            }
            (s, a) => {
                return Err(DomainError::Conflict(format!(
                    "an application that is {} cannot be {}",
                    s.as_str().replace('_', " "),
                    a.past()
                )));
            }
        };
        Ok(next)
    }
}

impl FromStr for ApplicationState {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                DomainError::invalid("state", format!("unknown application state {s:?}"))
            })
    }
}

impl fmt::Display for ApplicationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What can happen to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationAction {
    /// The applicant changes it.
    Edit,
    /// The applicant sends it to the DAC.
    Submit,
    /// A DAC member takes it.
    Assign,
    /// Someone comments.
    Comment,
    /// The DAC sends it back for changes.
    RequestChanges,
    /// A DAC member votes (without deciding yet).
    Vote,
    /// The votes approve it.
    Approve,
    /// The votes reject it.
    Reject,
    /// The applicant withdraws it.
    Withdraw,
}

impl ApplicationAction {
    fn past(self) -> &'static str {
        match self {
            Self::Edit => "edited",
            Self::Submit => "submitted",
            Self::Assign => "assigned",
            Self::Comment => "commented on",
            Self::RequestChanges => "sent back for changes",
            Self::Vote => "voted on",
            Self::Approve => "approved",
            Self::Reject => "rejected",
            Self::Withdraw => "withdrawn",
        }
    }
}

/// A DAC member's vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Vote {
    /// Approve as it stands.
    Approve,
    /// Approve with conditions.
    ApproveWithConditions(String),
    /// Reject, with reasons.
    Reject(String),
}

/// The outcome of a tally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Enough approvals; the conditions of all approving votes.
    Approved {
        /// Conditions, one per conditional vote.
        conditions: Vec<String>,
    },
    /// A member rejected; their reasons.
    Rejected {
        /// Reasons.
        reasons: Vec<String>,
    },
}

/// The rules an application is reviewed under (academic or industry),
/// configured, not hard-coded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet {
    /// Distinct DAC members who must approve.
    pub required_approvals: u32,
    /// Longest access period, in days.
    pub max_duration_days: u32,
    /// Whether FASTQ may be requested (always with a stated need).
    pub fastq_allowed: bool,
    /// Highest dataset security level that may be granted.
    pub max_security_level: SecurityLevel,
}

impl RuleSet {
    /// Tallies the votes cast since the last submission: any rejection
    /// rejects; enough distinct approvals approve; otherwise undecided.
    pub fn tally(&self, votes: &[(String, Vote)]) -> Option<Outcome> {
        let reasons: Vec<String> = votes
            .iter()
            .filter_map(|(m, v)| match v {
                Vote::Reject(r) => Some(format!("{m}: {r}")),
                _ => None,
            })
            .collect();
        if !reasons.is_empty() {
            return Some(Outcome::Rejected { reasons });
        }
        let mut approvers: Vec<&str> = votes.iter().map(|(m, _)| m.as_str()).collect();
        approvers.sort_unstable();
        approvers.dedup();
        if approvers.len() as u32 >= self.required_approvals {
            let conditions = votes
                .iter()
                .filter_map(|(m, v)| match v {
                    Vote::ApproveWithConditions(c) => Some(format!("{m}: {c}")),
                    _ => None,
                })
                .collect();
            return Some(Outcome::Approved { conditions });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn life_cycle() {
        use ApplicationAction as A;
        use ApplicationState as S;
        let s = S::Draft.after(&A::Edit).unwrap().after(&A::Submit).unwrap();
        assert_eq!(s, S::Submitted);
        let s = s
            .after(&A::Assign)
            .unwrap()
            .after(&A::RequestChanges)
            .unwrap();
        assert_eq!(s, S::ChangesRequested);
        let s = s
            .after(&A::Edit)
            .unwrap()
            .after(&A::Submit)
            .unwrap()
            .after(&A::Assign)
            .unwrap();
        assert_eq!(s.after(&A::Approve).unwrap(), S::Approved);
        assert!(matches!(
            S::Approved.after(&A::Edit),
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(
            S::Draft.after(&A::Approve),
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(
            S::Rejected.after(&A::Withdraw),
            Err(DomainError::Conflict(_))
        ));
        assert_eq!(S::UnderReview.after(&A::Withdraw).unwrap(), S::Withdrawn);
    }

    #[test]
    fn tally_by_rule_set() {
        let two = RuleSet {
            required_approvals: 2,
            max_duration_days: 365,
            fastq_allowed: false,
            max_security_level: SecurityLevel::Level2,
        };
        let a = |m: &str, v: Vote| (m.to_string(), v);
        assert_eq!(two.tally(&[a("x", Vote::Approve)]), None);
        assert_eq!(
            two.tally(&[a("x", Vote::Approve), a("x", Vote::Approve)]),
            None,
            "distinct members"
        );
        assert_eq!(
            two.tally(&[
                a("x", Vote::Approve),
                a(
                    "y",
                    Vote::ApproveWithConditions("no re-identification".into())
                )
            ]),
            Some(Outcome::Approved {
                conditions: vec!["y: no re-identification".into()]
            })
        );
        assert!(matches!(
            two.tally(&[
                a("x", Vote::Approve),
                a("y", Vote::Reject("purpose unclear".into()))
            ]),
            Some(Outcome::Rejected { .. })
        ));
    }
}
