//! The report workflow and recontact requests as state machines.

use serde::{Deserialize, Serialize};

use crate::ReportError;

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Drafted; under review at the data centre (comments, interpretation).
    Draft,
    /// Signed off by a named reviewer with a second factor; not yet sent.
    SignedOff,
    /// Sent to the collecting facility.
    Released,
    /// The facility's clinician has read it.
    Acknowledged,
    /// The result was conveyed to the patient (date recorded).
    Conveyed,
    /// A newer version replaces it.
    Superseded,
    /// Stopped before release (consent withdrawn or changed, identity hold).
    Stopped,
}

/// A step of the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Comment,
    EditInterpretation,
    SignOff,
    Release,
    Acknowledge,
    Convey,
    Supersede,
    Stop,
}

const STATUSES: [Status; 7] = [
    Status::Draft,
    Status::SignedOff,
    Status::Released,
    Status::Acknowledged,
    Status::Conveyed,
    Status::Superseded,
    Status::Stopped,
];

const ACTIONS: [Action; 8] = [
    Action::Comment,
    Action::EditInterpretation,
    Action::SignOff,
    Action::Release,
    Action::Acknowledge,
    Action::Convey,
    Action::Supersede,
    Action::Stop,
];

impl Status {
    /// The status after `action`, or why it may not happen.
    pub fn apply(self, action: Action) -> Result<Status, ReportError> {
        use Action as A;
        use Status as S;
        let next = match (self, action) {
            (S::Draft, A::Comment | A::EditInterpretation) => S::Draft,
            (S::Draft, A::SignOff) => S::SignedOff,
            (S::SignedOff, A::Comment) => S::SignedOff,
            (S::SignedOff, A::Release) => S::Released,
            (S::Released, A::Acknowledge) => S::Acknowledged,
            (S::Acknowledged, A::Convey) => S::Conveyed,
            (S::Draft | S::SignedOff, A::Stop) => S::Stopped,
            (
                S::Draft | S::SignedOff | S::Released | S::Acknowledged | S::Conveyed,
                A::Supersede,
            ) => S::Superseded,
            _ => {
                return Err(ReportError::Step {
                    status: self.name(),
                    action: action.past(),
                });
            }
        };
        Ok(next)
    }

    /// Whether the facility has it (released, and what follows release).
    pub fn is_released(self) -> bool {
        matches!(self, Self::Released | Self::Acknowledged | Self::Conveyed)
    }

    /// Whether nothing more can happen to it but being superseded.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Superseded | Self::Stopped)
    }

    /// Whether it is still at the data centre (consent changes stop it).
    pub fn is_unreleased(self) -> bool {
        matches!(self, Self::Draft | Self::SignedOff)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::SignedOff => "signed_off",
            Self::Released => "released",
            Self::Acknowledged => "acknowledged",
            Self::Conveyed => "conveyed",
            Self::Superseded => "superseded",
            Self::Stopped => "stopped",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ReportError> {
        STATUSES
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or_else(|| ReportError::Unknown {
                what: "report status",
                value: s.to_string(),
            })
    }

    /// Every status, for the schema's CHECK and forms.
    pub fn all() -> [Status; 7] {
        STATUSES
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Self::Comment => "comment",
            Self::EditInterpretation => "edit_interpretation",
            Self::SignOff => "sign_off",
            Self::Release => "release",
            Self::Acknowledge => "acknowledge",
            Self::Convey => "convey",
            Self::Supersede => "supersede",
            Self::Stop => "stop",
        }
    }

    /// The participle, for messages ("cannot be released").
    fn past(self) -> &'static str {
        match self {
            Self::Comment => "commented on",
            Self::EditInterpretation => "edited",
            Self::SignOff => "signed off",
            Self::Release => "released",
            Self::Acknowledge => "acknowledged",
            Self::Convey => "recorded as conveyed",
            Self::Supersede => "superseded",
            Self::Stop => "stopped",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ReportError> {
        ACTIONS
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or_else(|| ReportError::Unknown {
                what: "report action",
                value: s.to_string(),
            })
    }
}

/// Why a patient is to be recontacted (R6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecontactReason {
    /// A new or changed finding after re-annotation or re-ranking.
    NewFinding,
    /// A clinical trial the patient may join.
    Trial,
    /// The patient's consent should be updated (a new form version…).
    ConsentUpdate,
}

impl RecontactReason {
    pub fn name(self) -> &'static str {
        match self {
            Self::NewFinding => "new_finding",
            Self::Trial => "trial",
            Self::ConsentUpdate => "consent_update",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ReportError> {
        [Self::NewFinding, Self::Trial, Self::ConsentUpdate]
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or_else(|| ReportError::Unknown {
                what: "recontact reason",
                value: s.to_string(),
            })
    }
}

/// Where a recontact request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecontactStatus {
    /// Proposed by the system (a re-analysis changed something); staff
    /// confirm or dismiss it.
    Proposed,
    /// Sent to the facility; waiting for its outcome.
    Open,
    /// The facility recorded the outcome.
    Closed,
    /// Staff dismissed the proposal.
    Dismissed,
}

impl RecontactStatus {
    pub fn name(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ReportError> {
        [Self::Proposed, Self::Open, Self::Closed, Self::Dismissed]
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or_else(|| ReportError::Unknown {
                what: "recontact status",
                value: s.to_string(),
            })
    }

    /// Confirming a proposal sends it to the facility.
    pub fn confirm(self) -> Result<Self, ReportError> {
        match self {
            Self::Proposed => Ok(Self::Open),
            s => Err(ReportError::Step {
                status: s.name(),
                action: "confirmed",
            }),
        }
    }

    pub fn dismiss(self) -> Result<Self, ReportError> {
        match self {
            Self::Proposed => Ok(Self::Dismissed),
            s => Err(ReportError::Step {
                status: s.name(),
                action: "dismissed",
            }),
        }
    }

    /// The facility records the outcome of an open request.
    pub fn close(self) -> Result<Self, ReportError> {
        match self {
            Self::Open => Ok(Self::Closed),
            s => Err(ReportError::Step {
                status: s.name(),
                action: "closed",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_path_and_nothing_else() {
        let mut s = Status::Draft;
        for a in [
            Action::Comment,
            Action::EditInterpretation,
            Action::SignOff,
            Action::Release,
            Action::Acknowledge,
            Action::Convey,
        ] {
            s = s.apply(a).unwrap();
        }
        assert_eq!(s, Status::Conveyed);
        // every (status, action) pair: exactly the allowed ones succeed
        let allowed = |s: Status, a: Action| s.apply(a).is_ok();
        assert!(
            !allowed(Status::Draft, Action::Release),
            "release needs sign-off"
        );
        assert!(
            !allowed(Status::Released, Action::Stop),
            "a released report is the facility's"
        );
        assert!(!allowed(Status::SignedOff, Action::EditInterpretation));
        assert!(!allowed(Status::Draft, Action::Acknowledge));
        for a in ACTIONS {
            assert!(!allowed(Status::Stopped, a), "{a:?}");
            assert!(!allowed(Status::Superseded, a), "{a:?}");
        }
        let n: usize = STATUSES
            .iter()
            .map(|&s| ACTIONS.iter().filter(|&&a| allowed(s, a)).count())
            .sum();
        assert_eq!(n, 14);
        let e = Status::Draft
            .apply(Action::Release)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "a report that is draft cannot be released");
    }

    #[test]
    fn names_round_trip_and_unknown_ones_are_named() {
        for s in STATUSES {
            assert_eq!(Status::parse(s.name()).unwrap(), s);
            assert_eq!(serde_json::to_value(s).unwrap(), s.name());
        }
        for a in ACTIONS {
            assert_eq!(Action::parse(a.name()).unwrap(), a);
        }
        assert!(
            Status::parse("承認済み")
                .unwrap_err()
                .to_string()
                .contains("承認済み")
        );
        assert_eq!(
            RecontactStatus::Proposed
                .confirm()
                .unwrap()
                .close()
                .unwrap(),
            RecontactStatus::Closed
        );
        assert!(RecontactStatus::Closed.confirm().is_err());
        assert!(RecontactStatus::Open.dismiss().is_err());
    }
}
