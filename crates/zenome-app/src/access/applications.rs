//! One-stop applications (R7.1) and their DAC review (R7.2): draft, preview
//! (how many participants of each dataset the purpose fits, and the fee),
//! submit, assign, comment, request changes, vote, decide; an approval makes
//! the grant and the invoice.

use std::collections::BTreeMap;

use serde_json::json;
use time::OffsetDateTime;
use zenome_domain::access::application::Outcome;
use zenome_domain::access::{
    ApplicationAction, ApplicationState, DataType, Fee, ReleaseState, Vote,
};
use zenome_domain::id::ParticipantId;
use zenome_domain::role::{Role, Sector};
use zenome_store::{ApplicationEventRow, ApplicationRow, AuditEntry, GrantRow};

use super::{ApplicationBody, researcher_sector};
use crate::{Actor, App, AppError};

/// How one dataset stands against an application's purpose.
#[derive(Debug, Clone)]
pub struct DatasetCompatibility {
    /// Dataset id.
    pub dataset: String,
    /// Participants added to it.
    pub members: usize,
    /// Whose consent allows the purpose now.
    pub allowed: usize,
    /// Refused, counted by reason.
    pub denied: Vec<(String, usize)>,
    /// Referred to the DAC.
    pub referred: usize,
    /// Without consent in force.
    pub without_consent: usize,
}

/// What an applicant sees before submitting.
#[derive(Debug, Clone)]
pub struct Preview {
    /// Per dataset.
    pub datasets: Vec<DatasetCompatibility>,
    /// Distinct participants the purpose fits, over all datasets.
    pub cases: u64,
    /// The fee.
    pub fee: Fee,
    /// What stops submission, as (field, message); empty when it can go.
    pub problems: Vec<(String, String)>,
}

/// An application with its review.
#[derive(Debug, Clone)]
pub struct ApplicationView {
    /// The row.
    pub row: ApplicationRow,
    /// Its content.
    pub body: ApplicationBody,
    /// Its state.
    pub state: ApplicationState,
    /// Academic or industry.
    pub sector: Sector,
    /// Review events, oldest first.
    pub events: Vec<ApplicationEventRow>,
    /// The grant, once approved.
    pub grant: Option<GrantRow>,
}

/// What a change of an application says, in both languages (`None`:
/// nothing worth telling).
fn notice(kind: &str, state: ApplicationState) -> Option<(&'static str, &'static str)> {
    Some(match (kind, state) {
        ("submitted", _) => ("was submitted to the DAC", "がDACに提出されました"),
        ("assigned", _) => ("was taken for review", "の審査が始まりました"),
        ("changes_requested", _) => ("was sent back for changes", "に修正依頼がありました"),
        ("comment", _) => ("has a new comment", "に新しいコメントがあります"),
        ("edited", ApplicationState::ChangesRequested) => ("was revised", "が修正されました"),
        ("vote", _) => ("received a vote", "に投票がありました"),
        ("decided", ApplicationState::Approved) => (
            "was approved: a grant exists",
            "が承認されました (利用許可が発行されました)",
        ),
        ("decided", _) => ("was rejected", "が却下されました"),
        ("withdrawn", _) => ("was withdrawn", "が取り下げられました"),
        _ => return None,
    })
}

/// Tells the applicant, co-applicants and (once the DAC has it) the DAC
/// members of a change — everyone but its author — in the change's
/// transaction.
#[allow(clippy::too_many_arguments)]
async fn notify(
    tx: &mut zenome_store::WriteTx,
    dac: &[String],
    actor: &Actor,
    id: &str,
    applicant: &str,
    body: &ApplicationBody,
    state: ApplicationState,
    kind: &str,
) -> Result<(), AppError> {
    let Some((en, ja)) = notice(kind, state) else {
        return Ok(());
    };
    let mut who: Vec<&str> = vec![applicant];
    who.extend(body.co_applicants.iter().map(String::as_str));
    if state != ApplicationState::Draft {
        who.extend(dac.iter().map(String::as_str));
    }
    who.sort_unstable();
    who.dedup();
    let title = body.title.chars().take(80).collect::<String>();
    let text_en = format!("Application “{title}” {en}");
    let text_ja = format!("申請「{title}」{ja}");
    let link = format!("/portal/applications/{id}");
    for w in who.into_iter().filter(|w| *w != actor.username) {
        tx.notify(w, &text_en, &text_ja, &link).await?;
    }
    Ok(())
}

fn is_dac(a: &Actor) -> bool {
    matches!(a.role, Role::DacMember)
}

fn sector_of(row: &ApplicationRow) -> Sector {
    if row.sector == "industry" {
        Sector::Industry
    } else {
        Sector::Academic
    }
}

fn parse_body(row: &ApplicationRow) -> Result<ApplicationBody, AppError> {
    serde_json::from_str(&row.body)
        .map_err(|e| AppError::Internal(format!("application {} body: {e}", row.id)))
}

fn state_of(row: &ApplicationRow) -> Result<ApplicationState, AppError> {
    row.state
        .parse()
        .map_err(|e| AppError::Internal(format!("application {}: {e}", row.id)))
}

impl App {
    /// Starts a draft application (researchers).
    pub async fn create_application(
        &self,
        actor: &Actor,
        body: ApplicationBody,
    ) -> Result<String, AppError> {
        let sector = researcher_sector(actor)?;
        body.check_draft()?;
        let id = uuid::Uuid::now_v7().to_string();
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(
                    actor.audit_name(),
                    "application.create",
                    format!("application:{id}"),
                )
                .with_detail(json!({ "title": body.title })),
            )
            .await?;
        let at = tx.at();
        tx.insert_application(&ApplicationRow {
            id: id.clone(),
            applicant: actor.username.clone(),
            sector: sector.as_str().into(),
            state: ApplicationState::Draft.as_str().into(),
            body: serde_json::to_string(&body).expect("json"),
            fee_total: 0,
            created_at: at,
            updated_at: at,
        })
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Replaces a draft's (or a returned application's) content.
    pub async fn update_application(
        &self,
        actor: &Actor,
        id: &str,
        body: ApplicationBody,
    ) -> Result<(), AppError> {
        body.check_draft()?;
        self.transition(
            actor,
            id,
            ApplicationAction::Edit,
            "edited",
            json!({}),
            Some(body),
        )
        .await
    }

    /// What the application would cover and cost, and what stops it.
    pub async fn preview(
        &self,
        actor: &Actor,
        body: &ApplicationBody,
    ) -> Result<Preview, AppError> {
        let sector = researcher_sector(actor).or_else(|e| match actor.role {
            Role::DacMember | Role::DataCentreStaff => Ok(Sector::Academic),
            _ => Err(e),
        })?;
        self.preview_for(actor, &actor.username, sector, body).await
    }

    /// The preview of a saved application, as its applicant's rule set and
    /// sector see it (whoever looks: the DAC sees what the applicant sees).
    pub async fn preview_application(&self, actor: &Actor, id: &str) -> Result<Preview, AppError> {
        let view = self.application(actor, id).await?;
        self.preview_for(actor, &view.row.applicant, view.sector, &view.body)
            .await
    }

    async fn preview_for(
        &self,
        _actor: &Actor,
        applicant: &str,
        sector: Sector,
        body: &ApplicationBody,
    ) -> Result<Preview, AppError> {
        let rules = self.rule_set(sector);
        let mut problems: Vec<(String, String)> = Vec::new();
        let mut p = |f: &str, m: String| problems.push((f.to_string(), m));
        if body.title.trim().is_empty() {
            p("title", "a project title is required".into());
        }
        if body.affiliation.trim().is_empty() {
            p("affiliation", "the affiliation is required".into());
        }
        let daa = &self.config().access.agreement_version;
        if body.agreement_accepted.as_deref() != Some(daa.as_str()) {
            p(
                "agreement_accepted",
                format!("accept the data access agreement, version {daa}"),
            );
        }
        if body.purpose.description.trim().chars().count() < 20 {
            p(
                "purpose.description",
                "describe the research (at least 20 characters)".into(),
            );
        }
        let purpose = match body.purpose.to_purpose(sector) {
            Ok(x) => Some(x),
            Err(AppError::Invalid { field, reason }) => {
                p(&field, reason);
                None
            }
            Err(e) => return Err(e),
        };
        let types = match body.types() {
            Ok(t) if t.is_empty() => {
                p("data_types", "ask for at least one data type".into());
                vec![]
            }
            Ok(t) => t,
            Err(AppError::Invalid { field, reason }) => {
                p(&field, reason);
                vec![]
            }
            Err(e) => return Err(e),
        };
        if types.contains(&DataType::Fastq) {
            if !rules.fastq_allowed {
                p(
                    "data_types",
                    format!(
                        "FASTQ cannot be requested under the {} rules",
                        sector.as_str()
                    ),
                );
            }
            if body
                .fastq_need
                .as_deref()
                .is_none_or(|n| n.trim().chars().count() < 20)
            {
                p("fastq_need", "FASTQ is shared only on need: explain why CRAM does not suffice (at least 20 characters)".into());
            }
        }
        match body.period() {
            Ok((s, e)) => {
                let days = (e - s).whole_days();
                if days > i64::from(rules.max_duration_days) {
                    p(
                        "end",
                        format!(
                            "the access period may last at most {} days under the {} rules",
                            rules.max_duration_days,
                            sector.as_str()
                        ),
                    );
                }
                if e <= OffsetDateTime::now_utc() {
                    p("end", "the access period is already over".into());
                }
            }
            Err(AppError::Invalid { field, reason }) => p(&field, reason),
            Err(e) => return Err(e),
        }
        for co in &body.co_applicants {
            match self.store().user_by_name(co).await? {
                Some(u) if u.role.starts_with("researcher_") => {}
                _ => p(
                    "co_applicants",
                    format!("{co} is not a registered researcher"),
                ),
            }
        }
        if body.datasets.is_empty() {
            p("datasets", "ask for at least one dataset".into());
        }
        let now = OffsetDateTime::now_utc();
        let mut per = Vec::new();
        let mut all_allowed: Vec<ParticipantId> = Vec::new();
        for ds in &body.datasets {
            let Some(row) = self.store().dataset(ds).await? else {
                p("datasets", format!("no dataset {ds}"));
                continue;
            };
            let level: zenome_domain::access::SecurityLevel = row.security_level.parse()?;
            if level > rules.max_security_level {
                p(
                    "datasets",
                    format!(
                        "{ds} is security level {} (the {} rules allow up to {})",
                        level.as_str(),
                        sector.as_str(),
                        rules.max_security_level.as_str()
                    ),
                );
            }
            let offered: Vec<DataType> = serde_json::from_str::<Vec<String>>(&row.data_types)
                .unwrap_or_default()
                .iter()
                .filter_map(|t| t.parse().ok())
                .collect();
            for t in &types {
                if !offered.contains(t) {
                    p("data_types", format!("{ds} holds no {t} data"));
                }
            }
            if let ReleaseState::GroupRestricted { until } =
                ReleaseState::at(row.embargo_until, now)
            {
                let group: Vec<String> =
                    serde_json::from_str(&row.producer_group).unwrap_or_default();
                if !group.iter().any(|g| g == applicant) {
                    p(
                        "datasets",
                        format!(
                            "{ds} is restricted to its research group until {}",
                            super::format_date(until.date())
                        ),
                    );
                }
            }
            let c = self.compatibility(&row, purpose.as_ref(), now).await?;
            let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
            for (_, r) in &c.denied {
                *reasons.entry(r.clone()).or_default() += 1;
            }
            per.push(DatasetCompatibility {
                dataset: ds.clone(),
                members: c.allowed.len() + c.denied.len() + c.referred.len() + c.without_consent,
                allowed: c.allowed.len(),
                denied: reasons.into_iter().collect(),
                referred: c.referred.len(),
                without_consent: c.without_consent,
            });
            all_allowed.extend(c.allowed);
        }
        all_allowed.sort();
        all_allowed.dedup();
        let cases = all_allowed.len() as u64;
        if !body.datasets.is_empty() && cases == 0 && problems.is_empty() {
            problems.push((
                "purpose".into(),
                "the purpose fits no participant's consent in the datasets asked for".into(),
            ));
        }
        Ok(Preview {
            datasets: per,
            cases,
            fee: self.tariff().fee(sector, &types, cases),
            problems,
        })
    }

    /// The applications the actor may see: a researcher's own; everything
    /// submitted for the DAC and staff.
    pub async fn applications(&self, actor: &Actor) -> Result<Vec<ApplicationView>, AppError> {
        let rows = match actor.role {
            Role::Researcher { .. } => self.store().applications_of(&actor.username).await?,
            Role::DacMember | Role::DataCentreStaff => {
                self.store()
                    .applications_in(&[
                        "submitted",
                        "under_review",
                        "changes_requested",
                        "approved",
                        "rejected",
                        "withdrawn",
                    ])
                    .await?
            }
            _ => {
                return Err(AppError::Forbidden(format!(
                    "role {} has no applications",
                    actor.role.name()
                )));
            }
        };
        let mut out = Vec::new();
        for row in rows {
            out.push(self.view_of(row).await?);
        }
        Ok(out)
    }

    /// One application, if the actor may see it.
    pub async fn application(&self, actor: &Actor, id: &str) -> Result<ApplicationView, AppError> {
        let row = self
            .store()
            .application(id)
            .await?
            .ok_or(AppError::NotFound("application"))?;
        let body = parse_body(&row)?;
        let state = state_of(&row)?;
        let own = row.applicant == actor.username || body.co_applicants.contains(&actor.username);
        let reviewer = matches!(actor.role, Role::DacMember | Role::DataCentreStaff)
            && state != ApplicationState::Draft;
        if !own && !reviewer {
            return Err(AppError::NotFound("application"));
        }
        self.view_of(row).await
    }

    async fn view_of(&self, row: ApplicationRow) -> Result<ApplicationView, AppError> {
        Ok(ApplicationView {
            body: parse_body(&row)?,
            state: state_of(&row)?,
            sector: sector_of(&row),
            events: self.store().application_events(&row.id).await?,
            grant: self.store().grant_of_application(&row.id).await?,
            row,
        })
    }

    /// Sends a draft (or a returned application) to the DAC.
    pub async fn submit_application(&self, actor: &Actor, id: &str) -> Result<(), AppError> {
        let row = self
            .store()
            .application(id)
            .await?
            .ok_or(AppError::NotFound("application"))?;
        if row.applicant != actor.username {
            return Err(AppError::NotFound("application"));
        }
        let body = parse_body(&row)?;
        let preview = self
            .preview_for(actor, &row.applicant, sector_of(&row), &body)
            .await?;
        if let Some((field, message)) = preview.problems.first() {
            return Err(AppError::invalid(field.clone(), message.clone()));
        }
        self.transition(
            actor,
            id,
            ApplicationAction::Submit,
            "submitted",
            json!({ "cases": preview.cases, "fee": preview.fee.total }),
            None,
        )
        .await?;
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(
                    actor.audit_name(),
                    "application.fee",
                    format!("application:{id}"),
                )
                .with_detail(json!({ "fee": preview.fee.total })),
            )
            .await?;
        let row = tx
            .application(id)
            .await?
            .ok_or(AppError::NotFound("application"))?;
        tx.update_application(
            id,
            &row.state,
            &row.body,
            i64::try_from(preview.fee.total).unwrap_or(i64::MAX),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A DAC member takes the application.
    pub async fn assign_application(&self, actor: &Actor, id: &str) -> Result<(), AppError> {
        self.require_dac(actor)?;
        self.transition(
            actor,
            id,
            ApplicationAction::Assign,
            "assigned",
            json!({ "member": actor.username }),
            None,
        )
        .await
    }

    /// A comment from the applicant or the DAC.
    pub async fn comment_application(
        &self,
        actor: &Actor,
        id: &str,
        text: &str,
    ) -> Result<(), AppError> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 10_000 {
            return Err(AppError::invalid("text", "1 to 10000 characters"));
        }
        self.transition(
            actor,
            id,
            ApplicationAction::Comment,
            "comment",
            json!({ "text": text }),
            None,
        )
        .await
    }

    /// The DAC sends the application back for changes.
    pub async fn request_changes(
        &self,
        actor: &Actor,
        id: &str,
        text: &str,
    ) -> Result<(), AppError> {
        self.require_dac(actor)?;
        if text.trim().is_empty() {
            return Err(AppError::invalid("text", "say what must change"));
        }
        self.transition(
            actor,
            id,
            ApplicationAction::RequestChanges,
            "changes_requested",
            json!({ "text": text.trim() }),
            None,
        )
        .await
    }

    /// The applicant withdraws the application.
    pub async fn withdraw_application(&self, actor: &Actor, id: &str) -> Result<(), AppError> {
        self.transition(
            actor,
            id,
            ApplicationAction::Withdraw,
            "withdrawn",
            json!({}),
            None,
        )
        .await
    }

    fn require_dac(&self, actor: &Actor) -> Result<(), AppError> {
        if is_dac(actor) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "role {} may not review applications",
                actor.role.name()
            )))
        }
    }

    /// A DAC member declares their interests in an application before
    /// voting: `conflict` true recuses them (they may not vote on it). Each
    /// submission asks anew.
    pub async fn declare_interests(
        &self,
        actor: &Actor,
        id: &str,
        conflict: bool,
        note: &str,
    ) -> Result<(), AppError> {
        self.require_dac(actor)?;
        let note = note.trim();
        if conflict && note.is_empty() {
            return Err(AppError::invalid("note", "say what the conflict is"));
        }
        self.transition(
            actor,
            id,
            ApplicationAction::Comment,
            "interests",
            json!({ "conflict": conflict, "text": note }),
            None,
        )
        .await
    }

    /// One DAC member's vote. When the votes since the last submission reach
    /// the rule set's approvals (or one rejects), the application is decided;
    /// an approval creates the grant and the invoice.
    pub async fn vote_application(
        &self,
        actor: &Actor,
        id: &str,
        vote: Vote,
    ) -> Result<ApplicationState, AppError> {
        self.require_dac(actor)?;
        let dac = self.dac_members().await?;
        let (kind, text) = match &vote {
            Vote::Approve => ("approve", String::new()),
            Vote::ApproveWithConditions(c) => ("approve_with_conditions", c.trim().to_string()),
            Vote::Reject(r) => ("reject", r.trim().to_string()),
        };
        if kind != "approve" && text.is_empty() {
            return Err(AppError::invalid(
                "reason",
                "conditions and rejections state their reasons",
            ));
        }
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(
                    actor.audit_name(),
                    "application.vote",
                    format!("application:{id}"),
                )
                .with_detail(json!({ "vote": kind, "text": text })),
            )
            .await?;
        let row = tx
            .application(id)
            .await?
            .ok_or(AppError::NotFound("application"))?;
        // each member declares their interests before voting, anew for each
        // submission; a declared conflict recuses them
        {
            let events = tx.application_events(id).await?;
            let since = events
                .iter()
                .rposition(|e| e.kind == "submitted")
                .map_or(0, |i| i + 1);
            let declared = events[since..]
                .iter()
                .rev()
                .find(|e| e.kind == "interests" && e.actor == actor.username)
                .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.body).ok())
                .and_then(|v| v["conflict"].as_bool());
            match declared {
                None => {
                    return Err(AppError::Conflict {
                        field: Some("conflict_of_interest".into()),
                        message: "declare your interests in this application before voting (no conflict, or a conflict that recuses you)".into(),
                    });
                }
                Some(true) => {
                    return Err(AppError::Conflict {
                        field: Some("conflict_of_interest".into()),
                        message: "you declared a conflict of interest in this application: you may not vote on it".into(),
                    });
                }
                Some(false) => {}
            }
        }
        let state = state_of(&row)?;
        let state = if state == ApplicationState::Submitted {
            tx.append_application_event(
                id,
                "assigned",
                &actor.username,
                &json!({ "member": actor.username }).to_string(),
            )
            .await?;
            ApplicationState::UnderReview
        } else {
            state
        };
        state.after(&ApplicationAction::Vote)?;
        tx.append_application_event(
            id,
            "vote",
            &actor.username,
            &json!({ "vote": kind, "text": text }).to_string(),
        )
        .await?;
        // votes since the last submission
        let events = tx.application_events(id).await?;
        let since = events
            .iter()
            .rposition(|e| e.kind == "submitted")
            .map_or(0, |i| i + 1);
        let votes: Vec<(String, Vote)> = events[since..]
            .iter()
            .filter(|e| e.kind == "vote")
            .filter_map(|e| {
                let v: serde_json::Value = serde_json::from_str(&e.body).ok()?;
                let text = v["text"].as_str().unwrap_or_default().to_string();
                let vote = match v["vote"].as_str()? {
                    "approve" => Vote::Approve,
                    "approve_with_conditions" => Vote::ApproveWithConditions(text),
                    "reject" => Vote::Reject(text),
                    _ => return None,
                };
                Some((e.actor.clone(), vote))
            })
            .collect();
        let sector = sector_of(&row);
        let outcome = self.rule_set(sector).tally(&votes);
        let body = parse_body(&row)?;
        let new_state = match outcome {
            None => ApplicationState::UnderReview,
            Some(Outcome::Rejected { reasons }) => {
                tx.append_application_event(
                    id,
                    "decided",
                    &actor.username,
                    &json!({ "outcome": "rejected", "reasons": reasons }).to_string(),
                )
                .await?;
                ApplicationState::Rejected
            }
            Some(Outcome::Approved { conditions }) => {
                let purpose = body.purpose.to_purpose(sector)?;
                let (starts_at, expires_at) = body.period()?;
                let now = tx.at();
                // the participants whose consent fits, at the moment of approval (R9.2)
                let mut covered: Vec<ParticipantId> = Vec::new();
                let mut obligations: Vec<String> = Vec::new();
                for ds in &body.datasets {
                    let ds_row = self
                        .store()
                        .dataset(ds)
                        .await?
                        .ok_or(AppError::NotFound("dataset"))?;
                    let c = self.compatibility(&ds_row, Some(&purpose), now).await?;
                    covered.extend(c.allowed);
                    for o in c.obligations {
                        let o = o.shorthand().to_string();
                        if !obligations.contains(&o) {
                            obligations.push(o);
                        }
                    }
                }
                covered.sort();
                covered.dedup();
                let types = body.types()?;
                let mut people = vec![row.applicant.clone()];
                people.extend(body.co_applicants.iter().cloned());
                people.dedup();
                let grant_id = uuid::Uuid::now_v7().to_string();
                let grant_body = json!({
                    "people": people,
                    "datasets": body.datasets,
                    "data_types": types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
                    "purpose": body.purpose,
                    "sector": sector.as_str(),
                    "conditions": conditions,
                    "obligations": obligations,
                    "agreement": body.agreement_accepted,
                });
                tx.insert_grant(
                    &GrantRow {
                        id: grant_id.clone(),
                        application_id: id.to_string(),
                        title: body.title.clone(),
                        institution: body.affiliation.clone(),
                        purpose_summary: purpose.scope.to_string(),
                        body: grant_body.to_string(),
                        starts_at: zenome_store::truncate(starts_at),
                        expires_at: zenome_store::truncate(expires_at),
                        revoked_at: None,
                    },
                    &people,
                    &covered,
                )
                .await?;
                let fee = self.tariff().fee(sector, &types, covered.len() as u64);
                let lines = serde_json::to_string(
                    &fee.lines
                        .iter()
                        .map(|l| json!({ "item": l.item, "cases": l.cases, "amount": l.amount }))
                        .collect::<Vec<_>>(),
                )
                .expect("json");
                tx.insert_invoice(
                    &uuid::Uuid::now_v7().to_string(),
                    id,
                    &grant_id,
                    i64::try_from(fee.total).unwrap_or(i64::MAX),
                    &self.config().access.fees.currency,
                    &lines,
                )
                .await?;
                tx.append_application_event(
                    id,
                    "decided",
                    &actor.username,
                    &json!({ "outcome": "approved", "conditions": conditions, "grant": grant_id, "participants": covered.len(), "fee": fee.total }).to_string(),
                )
                .await?;
                ApplicationState::Approved
            }
        };
        tx.update_application(id, new_state.as_str(), &row.body, row.fee_total)
            .await?;
        if new_state != ApplicationState::UnderReview {
            notify(
                &mut tx,
                &dac,
                actor,
                id,
                &row.applicant,
                &body,
                new_state,
                "decided",
            )
            .await?;
        }
        tx.commit().await?;
        Ok(new_state)
    }

    async fn transition(
        &self,
        actor: &Actor,
        id: &str,
        action: ApplicationAction,
        kind: &str,
        detail: serde_json::Value,
        new_body: Option<ApplicationBody>,
    ) -> Result<(), AppError> {
        let dac = self.dac_members().await?;
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(
                    actor.audit_name(),
                    format!("application.{kind}"),
                    format!("application:{id}"),
                )
                .with_detail(detail.clone()),
            )
            .await?;
        let row = tx
            .application(id)
            .await?
            .ok_or(AppError::NotFound("application"))?;
        let body = parse_body(&row)?;
        let state = state_of(&row)?;
        let own = row.applicant == actor.username;
        let co = body.co_applicants.contains(&actor.username);
        let reviewer = matches!(actor.role, Role::DacMember | Role::DataCentreStaff)
            && state != ApplicationState::Draft;
        let allowed = match action {
            ApplicationAction::Edit | ApplicationAction::Submit | ApplicationAction::Withdraw => {
                own
            }
            ApplicationAction::Comment => own || co || reviewer,
            _ => is_dac(actor) && state != ApplicationState::Draft,
        };
        if !allowed {
            return Err(if own || co || reviewer {
                AppError::Forbidden(format!("you may not do this to application {id}"))
            } else {
                AppError::NotFound("application")
            });
        }
        let next = state.after(&action)?;
        let body_json = match &new_body {
            Some(b) => serde_json::to_string(b).expect("json"),
            None => row.body.clone(),
        };
        tx.update_application(id, next.as_str(), &body_json, row.fee_total)
            .await?;
        tx.append_application_event(id, kind, &actor.username, &detail.to_string())
            .await?;
        notify(&mut tx, &dac, actor, id, &row.applicant, &body, next, kind).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The DAC members (active) to tell of an application's changes.
    async fn dac_members(&self) -> Result<Vec<String>, AppError> {
        Ok(self
            .store()
            .users()
            .await?
            .into_iter()
            .filter(|u| u.role == "dac_member" && !u.disabled)
            .map(|u| u.username)
            .collect())
    }

    /// Revokes a grant (DAC or staff), e.g. after a breach of conditions.
    pub async fn revoke_grant(
        &self,
        actor: &Actor,
        grant: &str,
        reason: &str,
    ) -> Result<(), AppError> {
        if !matches!(actor.role, Role::DacMember | Role::DataCentreStaff) {
            return Err(AppError::Forbidden(format!(
                "role {} may not revoke grants",
                actor.role.name()
            )));
        }
        if reason.trim().is_empty() {
            return Err(AppError::invalid("reason", "say why the grant is revoked"));
        }
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(actor.audit_name(), "grant.revoke", format!("grant:{grant}"))
                    .with_detail(json!({ "reason": reason.trim() })),
            )
            .await?;
        if !tx.revoke_grant(grant).await? {
            return Err(AppError::Conflict {
                field: None,
                message: "no such grant in force".into(),
            });
        }
        tx.commit().await?;
        Ok(())
    }
}
