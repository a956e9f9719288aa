//! The append-only history of one participant's consent and the state it
//! implies at any moment.
//!
//! State is never stored on its own: it is folded from the events, so a
//! withdrawal cannot be forgotten by a reader that skips a flag.

use time::OffsetDateTime;

use crate::DomainError;

use super::form::{ConsentItems, FormVersion};
use super::legacy::{ConsentGap, LegacyForm};

/// Where the items of a given consent came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentSource {
    /// Taken on the unified form.
    Unified,
    /// Taken on an older form and mapped to the unified one, with the items
    /// the old form did not cover.
    Legacy {
        /// The older form.
        form: LegacyForm,
        /// Unified items the older form had no equivalent for.
        gaps: Vec<ConsentGap>,
    },
}

/// What happened to the consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentAction {
    /// Consent given (first time, or again after a withdrawal).
    Given {
        /// Form version the items are expressed in.
        form: FormVersion,
        /// The resolved items.
        items: ConsentItems,
        /// Unified or mapped from a legacy form.
        source: ConsentSource,
    },
    /// Items changed while the consent stays in force.
    Amended {
        /// The new items, replacing the old ones.
        items: ConsentItems,
    },
    /// Consent withdrawn: the participant leaves every query, export and new
    /// grant from `effective_at`; what law requires is kept, not used.
    Withdrawn {
        /// Reason as recorded by the facility, if any.
        reason: Option<String>,
    },
}

impl ConsentAction {
    /// The stored name of the action.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Given { .. } => "given",
            Self::Amended { .. } => "amended",
            Self::Withdrawn { .. } => "withdrawn",
        }
    }
}

/// One entry of the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentEvent {
    /// Position in the participant's history, from 1.
    pub seq: u32,
    /// What happened.
    pub action: ConsentAction,
    /// When it takes effect.
    pub effective_at: OffsetDateTime,
    /// When it was recorded.
    pub recorded_at: OffsetDateTime,
}

/// A consent in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveConsent {
    /// Form version.
    pub form: FormVersion,
    /// Current items (after any amendments).
    pub items: ConsentItems,
    /// Unified or legacy.
    pub source: ConsentSource,
    /// When it was given.
    pub given_at: OffsetDateTime,
    /// When the items last changed.
    pub changed_at: OffsetDateTime,
}

/// The state of a participant's consent at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentState {
    /// No consent has been recorded (yet): no data may be used.
    NotGiven,
    /// In force.
    Active(ActiveConsent),
    /// Withdrawn: no use from `since` on.
    Withdrawn {
        /// When the withdrawal took effect.
        since: OffsetDateTime,
    },
}

impl ConsentState {
    /// The consent in force, if any. Every data path goes through this.
    pub fn active(&self) -> Option<&ActiveConsent> {
        match self {
            Self::Active(a) => Some(a),
            _ => None,
        }
    }

    /// The stored and wire name of the state.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::NotGiven => "not_given",
            Self::Active(_) => "active",
            Self::Withdrawn { .. } => "withdrawn",
        }
    }
}

/// A participant's consent history, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsentHistory {
    events: Vec<ConsentEvent>,
}

impl ConsentHistory {
    /// Builds a history from stored events, checking that they could have
    /// been appended in this order.
    pub fn from_events(events: Vec<ConsentEvent>) -> Result<Self, DomainError> {
        let mut h = Self::default();
        for e in events {
            h.check(&e.action, e.effective_at, e.recorded_at)?;
            h.events.push(e);
        }
        Ok(h)
    }

    /// The events, oldest first.
    pub fn events(&self) -> &[ConsentEvent] {
        &self.events
    }

    /// The state after every event (whatever its effective time).
    pub fn current(&self) -> ConsentState {
        self.fold(self.events.iter())
    }

    /// The state at `at`: only events that took effect by then count.
    pub fn state_at(&self, at: OffsetDateTime) -> ConsentState {
        self.fold(self.events.iter().filter(|e| e.effective_at <= at))
    }

    fn fold<'a>(&self, events: impl Iterator<Item = &'a ConsentEvent>) -> ConsentState {
        let mut state = ConsentState::NotGiven;
        for e in events {
            state = match (&e.action, state) {
                (
                    ConsentAction::Given {
                        form,
                        items,
                        source,
                    },
                    _,
                ) => ConsentState::Active(ActiveConsent {
                    form: *form,
                    items: items.clone(),
                    source: source.clone(),
                    given_at: e.effective_at,
                    changed_at: e.effective_at,
                }),
                (ConsentAction::Amended { items }, ConsentState::Active(mut a)) => {
                    a.items = items.clone();
                    a.changed_at = e.effective_at;
                    ConsentState::Active(a)
                }
                (ConsentAction::Withdrawn { .. }, _) => ConsentState::Withdrawn {
                    since: e.effective_at,
                },
                // `check` refuses these on append; a stored history never has them
                (ConsentAction::Amended { .. }, s) => s,
            };
        }
        state
    }

    /// Checks that `action`, taking effect at `effective_at` and recorded at
    /// `now`, may be appended. Conflicts are errors the caller reports as 409.
    pub fn check(
        &self,
        action: &ConsentAction,
        effective_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), DomainError> {
        if effective_at > now {
            return Err(DomainError::invalid(
                "effective_at",
                "a consent event cannot take effect in the future",
            ));
        }
        if let Some(last) = self.events.last()
            && effective_at < last.effective_at
        {
            return Err(DomainError::Conflict(format!(
                "effective_at is before the latest consent event ({})",
                last.effective_at
            )));
        }
        if let ConsentAction::Withdrawn { reason: Some(r) } = action
            && r.chars().count() > 2000
        {
            return Err(DomainError::invalid("reason", "at most 2000 characters"));
        }
        match (action, self.current()) {
            (ConsentAction::Given { .. }, ConsentState::Active(_)) => Err(DomainError::Conflict(
                "consent is already in force: amend it instead".into(),
            )),
            (ConsentAction::Given { .. }, _) => Ok(()),
            (ConsentAction::Amended { .. }, ConsentState::Active(_)) => Ok(()),
            (ConsentAction::Amended { .. }, ConsentState::Withdrawn { .. }) => {
                Err(DomainError::Conflict(
                    "consent was withdrawn: a new consent must be given instead of an amendment"
                        .into(),
                ))
            }
            (ConsentAction::Amended { .. }, ConsentState::NotGiven) => Err(DomainError::Conflict(
                "no consent has been given: nothing to amend".into(),
            )),
            (ConsentAction::Withdrawn { .. }, ConsentState::Active(_)) => Ok(()),
            (ConsentAction::Withdrawn { .. }, ConsentState::Withdrawn { .. }) => {
                Err(DomainError::Conflict("consent is already withdrawn".into()))
            }
            (ConsentAction::Withdrawn { .. }, ConsentState::NotGiven) => Err(
                DomainError::Conflict("no consent has been given: nothing to withdraw".into()),
            ),
        }
    }

    /// Appends an event after checking it; returns the new event.
    pub fn append(
        &mut self,
        action: ConsentAction,
        effective_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<&ConsentEvent, DomainError> {
        self.check(&action, effective_at, now)?;
        let seq = u32::try_from(self.events.len() + 1).expect("fewer than 2^32 events");
        self.events.push(ConsentEvent {
            seq,
            action,
            effective_at,
            recorded_at: now,
        });
        Ok(self.events.last().expect("just pushed"))
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;
    use time::macros::datetime;

    use super::super::form::ResearchScope;
    use super::*;

    fn items() -> ConsentItems {
        ConsentItems {
            research_scope: ResearchScope::General,
            industrial_use: true,
            data_linkage: true,
            international_sharing: true,
            recontact: true,
            primary_findings: true,
            secondary_findings: true,
        }
    }

    fn given() -> ConsentAction {
        ConsentAction::Given {
            form: FormVersion::V1_0,
            items: items(),
            source: ConsentSource::Unified,
        }
    }

    const T0: OffsetDateTime = datetime!(2026-01-10 09:00 UTC);

    #[test]
    fn give_amend_withdraw_regive() {
        let mut h = ConsentHistory::default();
        assert_eq!(h.current(), ConsentState::NotGiven);
        h.append(given(), T0, T0).unwrap();
        let mut narrower = items();
        narrower.industrial_use = false;
        h.append(
            ConsentAction::Amended {
                items: narrower.clone(),
            },
            T0 + Duration::days(10),
            T0 + Duration::days(10),
        )
        .unwrap();
        assert_eq!(h.current().active().unwrap().items, narrower);
        // state in the past still shows the original items
        assert_eq!(
            h.state_at(T0 + Duration::days(1)).active().unwrap().items,
            items()
        );
        h.append(
            ConsentAction::Withdrawn { reason: None },
            T0 + Duration::days(20),
            T0 + Duration::days(21),
        )
        .unwrap();
        assert!(h.current().active().is_none());
        assert!(h.state_at(T0 + Duration::days(19)).active().is_some());
        // amending a withdrawn consent is a conflict
        let err = h
            .append(
                ConsentAction::Amended { items: items() },
                T0 + Duration::days(30),
                T0 + Duration::days(30),
            )
            .unwrap_err();
        assert!(matches!(err, DomainError::Conflict(_)));
        // a new consent may be given
        h.append(given(), T0 + Duration::days(31), T0 + Duration::days(31))
            .unwrap();
        assert!(h.current().active().is_some());
        assert_eq!(h.events().len(), 4);
        // and the stored events rebuild the same history
        let again = ConsentHistory::from_events(h.events().to_vec()).unwrap();
        assert_eq!(again, h);
    }

    #[test]
    fn conflicts_and_bad_times() {
        let mut h = ConsentHistory::default();
        assert!(matches!(
            h.check(&ConsentAction::Withdrawn { reason: None }, T0, T0),
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(
            h.check(&ConsentAction::Amended { items: items() }, T0, T0),
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(
            h.check(&given(), T0 + Duration::hours(1), T0),
            Err(DomainError::Invalid {
                field: "effective_at",
                ..
            })
        ));
        h.append(given(), T0, T0).unwrap();
        assert!(matches!(
            h.check(&given(), T0, T0),
            Err(DomainError::Conflict(_))
        ));
        assert!(matches!(
            h.check(
                &ConsentAction::Withdrawn { reason: None },
                T0 - Duration::days(1),
                T0
            ),
            Err(DomainError::Conflict(_))
        ));
    }
}
