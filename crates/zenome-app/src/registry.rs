//! Organisations, participants and consent: registration and reads, each
//! checked against the actor's role and scope, each write audited.

use serde_json::json;
use time::OffsetDateTime;
use zenome_domain::consent::{
    ConsentAction, ConsentAnswers, ConsentEvent, ConsentHistory, ConsentItems, ConsentSource,
    FormVersion, LegacyConsent,
};
use zenome_domain::id::ParticipantId;
use zenome_domain::organisation::{OrgCode, OrgKind, Organisation};
use zenome_domain::participant::{DiseaseArea, Participant, Sex};
use zenome_store::{AuditEntry, ParticipantFilter, ParticipantRow, PublicStats, StoreError};

use crate::policy::{self, ParticipantScope};
use crate::{Actor, App, AppError};

/// A participant to register.
#[derive(Debug, Clone)]
pub struct NewParticipant {
    /// A pseudonymous id the facility already assigned (validated), or
    /// `None` to have one drawn.
    pub id: Option<ParticipantId>,
    /// Cancer or rare disease.
    pub disease_area: DiseaseArea,
    /// Recorded sex.
    pub sex: Sex,
}

/// A participant with their consent history.
#[derive(Debug, Clone)]
pub struct ParticipantView {
    /// The participant.
    pub participant: Participant,
    /// Their consent history (state is folded from it).
    pub consent: ConsentHistory,
}

/// A change to a consent.
#[derive(Debug, Clone)]
pub enum ConsentCommand {
    /// Consent given on the unified form.
    Give {
        /// Form version.
        form: FormVersion,
        /// Answers as submitted.
        answers: ConsentAnswers,
    },
    /// Consent given on an older form, mapped to the unified one.
    GiveLegacy(LegacyConsent),
    /// Items changed.
    Amend {
        /// New answers (all items).
        answers: ConsentAnswers,
    },
    /// Consent withdrawn.
    Withdraw {
        /// Reason, if any.
        reason: Option<String>,
    },
}

/// Which participants to list.
#[derive(Debug, Clone, Default)]
pub struct ParticipantQuery {
    /// Only this facility (staff only; facilities always see their own).
    pub facility: Option<OrgCode>,
    /// Only this disease area.
    pub disease_area: Option<DiseaseArea>,
    /// Page size (1..=500, default 50).
    pub limit: Option<i64>,
    /// Rows to skip.
    pub offset: Option<i64>,
}

impl App {
    /// Registers an organisation (admin only).
    pub async fn register_organisation(
        &self,
        actor: &Actor,
        org: Organisation,
    ) -> Result<(), AppError> {
        policy::require_admin(actor)?;
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(
                    actor.audit_name(),
                    "organisation.register",
                    format!("organisation:{}", org.code),
                )
                .with_detail(
                    json!({ "kind": org.kind.as_str(), "name": org.name, "name_ja": org.name_ja }),
                ),
            )
            .await?;
        tx.insert_organisation(&org).await?;
        tx.commit().await?;
        Ok(())
    }

    /// All organisations (any signed-in user).
    pub async fn organisations(&self, _actor: &Actor) -> Result<Vec<Organisation>, AppError> {
        Ok(self.store().organisations().await?)
    }

    /// Registers a participant at the actor's facility.
    pub async fn register_participant(
        &self,
        actor: &Actor,
        np: NewParticipant,
    ) -> Result<Participant, AppError> {
        let facility = policy::registering_facility(actor)?;
        let org =
            self.store().organisation(&facility).await?.ok_or_else(|| {
                AppError::Forbidden(format!("facility {facility} is not registered"))
            })?;
        if org.kind != OrgKind::CollectingFacility {
            return Err(AppError::Forbidden(format!(
                "{facility} is not a collecting facility"
            )));
        }
        let chosen = np.id.is_some();
        for _ in 0..5 {
            let id = np.id.clone().unwrap_or_else(|| {
                use rand::Rng;
                let mut b = [0u8; 8];
                rand::rng().fill_bytes(&mut b);
                ParticipantId::from_random(b)
            });
            let mut tx = self
                .store()
                .begin(
                    AuditEntry::new(actor.audit_name(), "participant.register", format!("participant:{id}"))
                        .with_detail(json!({ "facility": facility.as_str(), "disease_area": np.disease_area.as_str() })),
                )
                .await?;
            let p = Participant {
                id,
                facility: facility.clone(),
                disease_area: np.disease_area,
                sex: np.sex,
                registered_at: tx.at(),
            };
            match tx.insert_participant(&p, &actor.audit_name()).await {
                Ok(()) => {
                    tx.commit().await?;
                    return Ok(p);
                }
                Err(StoreError::Duplicate { .. }) if !chosen => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Internal(
            "could not draw an unused participant id".into(),
        ))
    }

    /// One participant with consent history.
    pub async fn participant(
        &self,
        actor: &Actor,
        id: &ParticipantId,
    ) -> Result<ParticipantView, AppError> {
        policy::participant_scope(actor)?;
        let row = self
            .store()
            .participant(id)
            .await?
            .ok_or(AppError::NotFound("participant"))?;
        policy::can_read_participant(actor, &row.participant)?;
        let consent = self.store().consent_history(id).await?;
        Ok(ParticipantView {
            participant: row.participant,
            consent,
        })
    }

    /// A page of participants in the actor's scope, and the total.
    pub async fn participants(
        &self,
        actor: &Actor,
        q: ParticipantQuery,
    ) -> Result<(Vec<ParticipantRow>, i64), AppError> {
        let facility = match policy::participant_scope(actor)? {
            ParticipantScope::All => q.facility,
            ParticipantScope::Facility(f) => Some(f),
        };
        let limit = q.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            return Err(AppError::invalid("limit", "between 1 and 500"));
        }
        let offset = q.offset.unwrap_or(0);
        if offset < 0 {
            return Err(AppError::invalid("offset", "not negative"));
        }
        let f = ParticipantFilter {
            facility,
            disease_area: q.disease_area,
            limit,
            offset,
        };
        let rows = self.store().participants(&f).await?;
        let total = self.store().count_participants(&f).await?;
        Ok((rows, total))
    }

    /// Records a consent change. `effective_at` defaults to now and may not
    /// be in the future or before the latest event.
    pub async fn record_consent(
        &self,
        actor: &Actor,
        id: &ParticipantId,
        cmd: ConsentCommand,
        effective_at: Option<OffsetDateTime>,
    ) -> Result<ConsentEvent, AppError> {
        let kind = match &cmd {
            ConsentCommand::Give { .. } | ConsentCommand::GiveLegacy(_) => "given",
            ConsentCommand::Amend { .. } => "amended",
            ConsentCommand::Withdraw { .. } => "withdrawn",
        };
        let mut tx = self
            .store()
            .begin(AuditEntry::new(
                actor.audit_name(),
                format!("consent.{kind}"),
                format!("participant:{id}"),
            ))
            .await?;
        let p = tx
            .participant(id)
            .await?
            .ok_or(AppError::NotFound("participant"))?;
        policy::can_write_participant(actor, &p)?;
        let mut history = tx.consent_history(id).await?;
        let action = match cmd {
            ConsentCommand::Give { form, answers } => ConsentAction::Given {
                form,
                items: ConsentItems::from_answers(form, p.disease_area, &answers)?,
                source: ConsentSource::Unified,
            },
            ConsentCommand::GiveLegacy(legacy) => {
                let m = legacy.to_unified()?;
                ConsentAction::Given {
                    form: FormVersion::CURRENT,
                    items: m.items,
                    source: ConsentSource::Legacy {
                        form: m.form,
                        gaps: m.gaps,
                    },
                }
            }
            ConsentCommand::Amend { answers } => {
                let form = history
                    .current()
                    .active()
                    .map(|a| a.form)
                    .unwrap_or(FormVersion::CURRENT);
                ConsentAction::Amended {
                    items: ConsentItems::from_answers(form, p.disease_area, &answers)?,
                }
            }
            ConsentCommand::Withdraw { reason } => ConsentAction::Withdrawn {
                reason: reason
                    .map(|r| r.trim().to_string())
                    .filter(|r| !r.is_empty()),
            },
        };
        let now = tx.at();
        let event = history
            .append(action, effective_at.unwrap_or(now), now)?
            .clone();
        tx.append_consent_event(id, &event, &actor.audit_name())
            .await?;
        tx.commit().await?;
        // a withdrawal or a changed wish stops reports not yet released (the
        // facility sees the stop); the consent change stands either way
        if kind != "given"
            && let Err(e) = self.stop_reports_after_consent(id).await
        {
            tracing::warn!(error = %e, participant = %id, "stopping reports after a consent change failed");
        }
        Ok(event)
    }

    /// Counts for the public page (no actor: it is public, and only counts).
    pub async fn public_stats(&self) -> Result<PublicStats, AppError> {
        Ok(self.store().public_stats().await?)
    }
}
