//! Wire shapes of the JSON API (serde + OpenAPI schemas) and their
//! conversion from and to domain values. Every parse error names the field.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;
use zenome_app::AppError;
use zenome_app::lineage::{NewNode, NodeRef};
use zenome_app::registry::{ConsentCommand, NewParticipant, ParticipantView};
use zenome_domain::consent::{
    CancerBiobank2014, ConsentAction, ConsentAnswers, ConsentEvent, ConsentHistory, ConsentItems,
    ConsentSource, ConsentState, FormVersion, LegacyConsent, LegacyForm, RareDiseaseRegistry2017,
    ResearchScope,
};
use zenome_domain::lineage::{LineageNode, NodeDetails, NodeKind};
use zenome_domain::organisation::Organisation;
use zenome_domain::participant::Participant;
use zenome_store::ParticipantRow;

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("times format")
}

pub(crate) fn parse<T: std::str::FromStr<Err = zenome_domain::DomainError>>(
    field: &str,
    v: Option<&str>,
) -> Result<T, AppError> {
    let v = v.ok_or_else(|| AppError::invalid(field, "is required"))?;
    v.parse::<T>().map_err(|e| match e {
        zenome_domain::DomainError::Invalid { reason, .. } => AppError::invalid(field, reason),
        other => other.into(),
    })
}

pub(crate) fn parse_opt<T: std::str::FromStr<Err = zenome_domain::DomainError>>(
    field: &str,
    v: Option<&str>,
) -> Result<Option<T>, AppError> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse(field, Some(s)).map(Some),
    }
}

pub(crate) fn parse_date(field: &str, v: Option<&str>) -> Result<Date, AppError> {
    let v = v.ok_or_else(|| AppError::invalid(field, "is required"))?;
    Date::parse(v.trim(), format_description!("[year]-[month]-[day]"))
        .map_err(|_| AppError::invalid(field, "expected a date as YYYY-MM-DD"))
}

pub(crate) fn parse_time(field: &str, v: Option<&str>) -> Result<Option<OffsetDateTime>, AppError> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => OffsetDateTime::parse(s, &Rfc3339).map(Some).map_err(|_| {
            AppError::invalid(
                field,
                "expected an RFC 3339 time such as 2026-11-25T09:00:00Z",
            )
        }),
    }
}

/// An organisation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganisationDto {
    /// Short code, e.g. `TKY-UH`.
    pub code: String,
    /// `collecting_facility` or `sequencing_centre`.
    pub kind: String,
    /// English name.
    pub name: String,
    /// Japanese name.
    pub name_ja: String,
}

impl From<&Organisation> for OrganisationDto {
    fn from(o: &Organisation) -> Self {
        Self {
            code: o.code.to_string(),
            kind: o.kind.as_str().into(),
            name: o.name.clone(),
            name_ja: o.name_ja.clone(),
        }
    }
}

impl OrganisationDto {
    pub(crate) fn to_domain(&self) -> Result<Organisation, AppError> {
        Ok(Organisation::new(
            parse("code", Some(&self.code))?,
            parse("kind", Some(&self.kind))?,
            &self.name,
            &self.name_ja,
        )?)
    }
}

/// A participant as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantDto {
    /// Pseudonymous id with check character.
    pub id: String,
    /// Facility code.
    pub facility: String,
    /// `cancer` or `rare_disease`.
    pub disease_area: String,
    /// `female`, `male`, `other`, `unknown`.
    pub sex: String,
    /// Registration time (RFC 3339).
    pub registered_at: String,
    /// `not_given`, `active` or `withdrawn`.
    pub consent_state: String,
}

impl ParticipantDto {
    pub(crate) fn new(p: &Participant, consent_state: &str) -> Self {
        Self {
            id: p.id.to_string(),
            facility: p.facility.to_string(),
            disease_area: p.disease_area.as_str().into(),
            sex: p.sex.as_str().into(),
            registered_at: rfc3339(p.registered_at),
            consent_state: consent_state.into(),
        }
    }
}

impl From<&ParticipantRow> for ParticipantDto {
    fn from(r: &ParticipantRow) -> Self {
        Self::new(&r.participant, r.consent_state)
    }
}

/// A page of participants.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantPage {
    /// Participants on this page.
    pub items: Vec<ParticipantDto>,
    /// All matching participants.
    pub total: i64,
    /// Page size.
    pub limit: i64,
    /// Offset.
    pub offset: i64,
}

/// A participant to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewParticipantDto {
    /// A pseudonymous id already assigned by the facility (validated); drawn when absent.
    pub id: Option<String>,
    /// `cancer` or `rare_disease`.
    pub disease_area: String,
    /// `female`, `male`, `other` or `unknown` (default).
    pub sex: Option<String>,
}

impl NewParticipantDto {
    pub(crate) fn to_domain(&self) -> Result<NewParticipant, AppError> {
        Ok(NewParticipant {
            id: parse_opt("id", self.id.as_deref())?,
            disease_area: parse("disease_area", Some(&self.disease_area))?,
            sex: parse_opt("sex", self.sex.as_deref())?
                .unwrap_or(zenome_domain::participant::Sex::Unknown),
        })
    }
}

/// Consent items of the unified form, resolved.
#[derive(Debug, Serialize, Deserialize, ToSchema, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct ConsentAnswersDto {
    /// `general`, `health_medical` or `disease_specific`.
    pub research_scope: Option<String>,
    /// MONDO id, for `disease_specific`.
    pub disease: Option<String>,
    /// Sharing under controlled access (must be true).
    pub controlled_sharing: Option<bool>,
    /// Use by industry.
    pub industrial_use: Option<bool>,
    /// Additional collection and linkage.
    pub data_linkage: Option<bool>,
    /// Use outside Japan.
    pub international_sharing: Option<bool>,
    /// May be recontacted.
    pub recontact: Option<bool>,
    /// Wants primary findings.
    pub primary_findings: Option<bool>,
    /// Wants secondary findings.
    pub secondary_findings: Option<bool>,
}

impl ConsentAnswersDto {
    pub(crate) fn to_domain(&self) -> ConsentAnswers {
        ConsentAnswers {
            research_scope: self.research_scope.clone(),
            disease: self.disease.clone().filter(|d| !d.trim().is_empty()),
            controlled_sharing: self.controlled_sharing,
            industrial_use: self.industrial_use,
            data_linkage: self.data_linkage,
            international_sharing: self.international_sharing,
            recontact: self.recontact,
            primary_findings: self.primary_findings,
            secondary_findings: self.secondary_findings,
        }
    }

    pub(crate) fn from_items(i: &ConsentItems) -> Self {
        let a = i.to_answers();
        Self {
            research_scope: a.research_scope,
            disease: a.disease,
            controlled_sharing: a.controlled_sharing,
            industrial_use: a.industrial_use,
            data_linkage: a.data_linkage,
            international_sharing: a.international_sharing,
            recontact: a.recontact,
            primary_findings: a.primary_findings,
            secondary_findings: a.secondary_findings,
        }
    }
}

/// A consent recorded on an older form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LegacyConsentDto {
    /// `cancer-biobank-2014` or `rare-disease-registry-2017`.
    pub form: String,
    /// The answers on that form, by its own item names.
    #[schema(value_type = Object)]
    pub answers: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Cb2014 {
    research_use: bool,
    external_provision: bool,
    company_use: Option<bool>,
    result_disclosure: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rd2017 {
    genetic_research: bool,
    data_sharing: bool,
    limited_to_own_disease: bool,
    disease: Option<String>,
    company_use: bool,
    contact_again: bool,
    findings_disclosure: bool,
}

fn legacy_answers<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Result<T, AppError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.into_inner().to_string();
        let field = msg
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
            .map(|f| format!("legacy.answers.{f}"))
            .unwrap_or_else(|| format!("legacy.answers.{}", path.trim_start_matches('.')));
        AppError::invalid(field, msg)
    })
}

impl LegacyConsentDto {
    pub(crate) fn to_domain(&self) -> Result<LegacyConsent, AppError> {
        let form: LegacyForm = parse("legacy.form", Some(&self.form))?;
        Ok(match form {
            LegacyForm::CancerBiobank2014 => {
                let a: Cb2014 = legacy_answers(&self.answers)?;
                LegacyConsent::CancerBiobank2014(CancerBiobank2014 {
                    research_use: a.research_use,
                    external_provision: a.external_provision,
                    company_use: a.company_use,
                    result_disclosure: a.result_disclosure,
                })
            }
            LegacyForm::RareDiseaseRegistry2017 => {
                let a: Rd2017 = legacy_answers(&self.answers)?;
                LegacyConsent::RareDiseaseRegistry2017(RareDiseaseRegistry2017 {
                    genetic_research: a.genetic_research,
                    data_sharing: a.data_sharing,
                    limited_to_own_disease: a.limited_to_own_disease,
                    disease: parse_opt("legacy.answers.disease", a.disease.as_deref())?,
                    company_use: a.company_use,
                    contact_again: a.contact_again,
                    findings_disclosure: a.findings_disclosure,
                })
            }
        })
    }
}

/// A consent change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// `give`, `give_legacy`, `amend` or `withdraw`.
    pub action: String,
    /// Form version for `give` (default: the current one, `unified-1.0`).
    pub form_version: Option<String>,
    /// Answers for `give` and `amend`.
    pub answers: Option<ConsentAnswersDto>,
    /// The older form's answers for `give_legacy`.
    pub legacy: Option<LegacyConsentDto>,
    /// Reason for `withdraw`.
    pub reason: Option<String>,
    /// When the change takes effect (RFC 3339; default now; never in the future).
    pub effective_at: Option<String>,
}

impl ConsentRequest {
    pub(crate) fn to_domain(&self) -> Result<(ConsentCommand, Option<OffsetDateTime>), AppError> {
        let answers = || {
            self.answers
                .as_ref()
                .map(ConsentAnswersDto::to_domain)
                .ok_or_else(|| AppError::invalid("answers", "required for this action"))
        };
        let cmd = match self.action.as_str() {
            "give" => ConsentCommand::Give {
                form: parse_opt("form_version", self.form_version.as_deref())?
                    .unwrap_or(FormVersion::CURRENT),
                answers: answers()?,
            },
            "give_legacy" => ConsentCommand::GiveLegacy(
                self.legacy
                    .as_ref()
                    .ok_or_else(|| AppError::invalid("legacy", "required for give_legacy"))?
                    .to_domain()?,
            ),
            "amend" => ConsentCommand::Amend {
                answers: answers()?,
            },
            "withdraw" => ConsentCommand::Withdraw {
                reason: self.reason.clone(),
            },
            other => {
                return Err(AppError::invalid(
                    "action",
                    format!(
                        "unknown action {other:?}: expected give, give_legacy, amend or withdraw"
                    ),
                ));
            }
        };
        Ok((
            cmd,
            parse_time("effective_at", self.effective_at.as_deref())?,
        ))
    }
}

/// A DUO term.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuoDto {
    /// Shorthand, e.g. `GRU`.
    pub code: String,
    /// Ontology id, e.g. `DUO:0000042`.
    pub id: String,
    /// Label.
    pub label: String,
    /// For DS: the MONDO disease.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disease: Option<String>,
}

/// A unified item a legacy form did not cover.
#[derive(Debug, Serialize, ToSchema)]
pub struct GapDto {
    /// Unified item.
    pub item: String,
    /// Why.
    pub reason: String,
}

/// The consent in force (or its absence).
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentStateDto {
    /// `not_given`, `active` or `withdrawn`.
    pub state: String,
    /// Form version of the consent in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form_version: Option<String>,
    /// Items in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<ConsentAnswersDto>,
    /// DUO data use the items imply.
    pub data_use: Vec<DuoDto>,
    /// For GS: where the data may be used.
    pub geography: Vec<String>,
    /// `unified` or the legacy form id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Gaps of a legacy consent.
    pub gaps: Vec<GapDto>,
    /// Since when the state holds (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

impl From<&ConsentState> for ConsentStateDto {
    fn from(s: &ConsentState) -> Self {
        match s {
            ConsentState::NotGiven => Self {
                state: "not_given".into(),
                form_version: None,
                items: None,
                data_use: vec![],
                geography: vec![],
                source: None,
                gaps: vec![],
                since: None,
            },
            ConsentState::Withdrawn { since } => Self {
                state: "withdrawn".into(),
                form_version: None,
                items: None,
                data_use: vec![],
                geography: vec![],
                source: None,
                gaps: vec![],
                since: Some(rfc3339(*since)),
            },
            ConsentState::Active(a) => {
                let du = a.items.data_use();
                let disease = match &a.items.research_scope {
                    ResearchScope::DiseaseSpecific(d) => Some(d.to_string()),
                    _ => None,
                };
                let (source, gaps) = match &a.source {
                    ConsentSource::Unified => ("unified".to_string(), vec![]),
                    ConsentSource::Legacy { form, gaps } => (
                        form.as_str().to_string(),
                        gaps.iter()
                            .map(|g| GapDto {
                                item: g.item.as_str().into(),
                                reason: g.reason.clone(),
                            })
                            .collect(),
                    ),
                };
                Self {
                    state: "active".into(),
                    form_version: Some(a.form.as_str().into()),
                    items: Some(ConsentAnswersDto::from_items(&a.items)),
                    data_use: du
                        .codes()
                        .into_iter()
                        .map(|c| DuoDto {
                            code: c.shorthand().into(),
                            id: c.id().into(),
                            label: c.label().into(),
                            disease: (c == zenome_domain::consent::DuoCode::Ds)
                                .then(|| disease.clone())
                                .flatten(),
                        })
                        .collect(),
                    geography: du.geography,
                    source: Some(source),
                    gaps,
                    since: Some(rfc3339(a.changed_at)),
                }
            }
        }
    }
}

/// One consent event.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentEventDto {
    /// Position in the history.
    pub seq: u32,
    /// `given`, `amended` or `withdrawn`.
    pub kind: String,
    /// When it takes effect.
    pub effective_at: String,
    /// When it was recorded.
    pub recorded_at: String,
    /// Items given or amended to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<ConsentAnswersDto>,
    /// Legacy form, if mapped from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legacy_form: Option<String>,
    /// Withdrawal reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl From<&ConsentEvent> for ConsentEventDto {
    fn from(e: &ConsentEvent) -> Self {
        let (items, legacy_form, reason) = match &e.action {
            ConsentAction::Given { items, source, .. } => (
                Some(ConsentAnswersDto::from_items(items)),
                match source {
                    ConsentSource::Legacy { form, .. } => Some(form.as_str().to_string()),
                    ConsentSource::Unified => None,
                },
                None,
            ),
            ConsentAction::Amended { items } => {
                (Some(ConsentAnswersDto::from_items(items)), None, None)
            }
            ConsentAction::Withdrawn { reason } => (None, None, reason.clone()),
        };
        Self {
            seq: e.seq,
            kind: e.action.kind().into(),
            effective_at: rfc3339(e.effective_at),
            recorded_at: rfc3339(e.recorded_at),
            items,
            legacy_form,
            reason,
        }
    }
}

/// A consent history with its current state.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentDto {
    /// State now.
    pub current: ConsentStateDto,
    /// Every event, oldest first.
    pub events: Vec<ConsentEventDto>,
}

impl From<&ConsentHistory> for ConsentDto {
    fn from(h: &ConsentHistory) -> Self {
        Self {
            current: (&h.current()).into(),
            events: h.events().iter().map(Into::into).collect(),
        }
    }
}

/// A participant with consent.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantDetailDto {
    /// The participant.
    #[serde(flatten)]
    pub participant: ParticipantDto,
    /// Their consent.
    pub consent: ConsentDto,
}

impl From<&ParticipantView> for ParticipantDetailDto {
    fn from(v: &ParticipantView) -> Self {
        Self {
            participant: ParticipantDto::new(&v.participant, v.consent.current().as_str()),
            consent: (&v.consent).into(),
        }
    }
}

/// A lineage node. `details` holds the kind-specific fields.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeDto {
    /// Node id.
    pub id: String,
    /// `specimen`, `aliquot`, `extract`, `library`, `sequencing_run` or `file`.
    pub kind: String,
    /// The participant.
    pub participant_id: String,
    /// The parent node (absent for specimens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// Barcode (specimens, aliquots, extracts, libraries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub barcode: Option<String>,
    /// Kind-specific fields.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// Registration time.
    pub created_at: String,
}

pub(crate) fn details_value(d: &NodeDetails) -> serde_json::Value {
    use serde_json::json;
    let date = |d: &Date| d.to_string();
    match d {
        NodeDetails::Specimen {
            specimen_type,
            collected_on,
            anatomical_site,
            status,
        } => {
            json!({ "specimen_type": specimen_type.as_str(), "tumour": specimen_type.is_tumour(), "collected_on": date(collected_on), "anatomical_site": anatomical_site, "status": status.as_str() })
        }
        NodeDetails::Aliquot { volume_ul, status } => {
            json!({ "volume_ul": volume_ul, "status": status.as_str() })
        }
        NodeDetails::Extract {
            analyte,
            yield_ng,
            status,
        } => {
            json!({ "analyte": analyte.as_str(), "yield_ng": yield_ng, "status": status.as_str() })
        }
        NodeDetails::Library {
            strategy,
            kit,
            centre,
        } => {
            json!({ "strategy": strategy.as_str(), "kit": kit, "centre": centre.as_ref().map(|c| c.as_str()) })
        }
        NodeDetails::SequencingRun {
            centre,
            run_id,
            instrument,
            run_date,
        } => {
            json!({ "centre": centre.as_str(), "run_id": run_id, "instrument": instrument, "run_date": date(run_date) })
        }
        NodeDetails::File { format, state } => {
            json!({ "format": format.as_str(), "state": state.as_str() })
        }
    }
}

impl From<&LineageNode> for NodeDto {
    fn from(n: &LineageNode) -> Self {
        Self {
            id: n.id.to_string(),
            kind: n.details.kind().as_str().into(),
            participant_id: n.participant.to_string(),
            parent_id: n.parent.as_ref().map(ToString::to_string),
            barcode: n.barcode.as_ref().map(ToString::to_string),
            details: details_value(&n.details),
            created_at: rfc3339(n.created_at),
        }
    }
}

/// A node with its children, recursively.
#[derive(Debug, Serialize, ToSchema)]
pub struct TreeNodeDto {
    /// The node.
    #[serde(flatten)]
    pub node: NodeDto,
    /// Nodes derived from it.
    #[schema(no_recursion)]
    pub children: Vec<TreeNodeDto>,
}

/// Builds the forest of a participant's nodes (specimens at the roots).
pub(crate) fn tree(nodes: &[LineageNode]) -> Vec<TreeNodeDto> {
    fn build(
        nodes: &[LineageNode],
        parent: Option<&zenome_domain::lineage::NodeId>,
    ) -> Vec<TreeNodeDto> {
        nodes
            .iter()
            .filter(|n| n.parent.as_ref() == parent)
            .map(|n| TreeNodeDto {
                node: n.into(),
                children: build(nodes, Some(&n.id)),
            })
            .collect()
    }
    build(nodes, None)
}

/// A participant's lineage.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineageDto {
    /// The participant.
    pub participant: ParticipantDto,
    /// Specimens and everything derived from them.
    pub specimens: Vec<TreeNodeDto>,
}

/// A node to register. `kind` decides which other fields apply.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct NewNodeDto {
    /// `specimen`, `aliquot`, `extract`, `library`, `sequencing_run` or `file`.
    pub kind: String,
    /// Specimens: the participant.
    pub participant_id: Option<String>,
    /// Others: the parent node id…
    pub parent_id: Option<String>,
    /// …or the parent's barcode.
    pub parent_barcode: Option<String>,
    /// Barcode with check character; drawn when absent.
    pub barcode: Option<String>,
    /// Specimen: type.
    pub specimen_type: Option<String>,
    /// Specimen: collection date (YYYY-MM-DD).
    pub collected_on: Option<String>,
    /// Specimen: anatomical site.
    pub anatomical_site: Option<String>,
    /// Specimen/aliquot/extract: `available`, `residual`, `exhausted`.
    pub status: Option<String>,
    /// Aliquot: volume in µL.
    pub volume_ul: Option<u32>,
    /// Extract: `dna` or `rna`.
    pub analyte: Option<String>,
    /// Extract: yield in ng.
    pub yield_ng: Option<u32>,
    /// Library: `wgs`, `wes`, `rna_seq`, `panel`.
    pub strategy: Option<String>,
    /// Library: kit.
    pub kit: Option<String>,
    /// Run: sequencing centre code. Library: the sequencing centre it is sent
    /// to (the only centre that sees it and registers runs under it).
    pub centre: Option<String>,
    /// Run: the centre's run id.
    pub run_id: Option<String>,
    /// Run: instrument model.
    pub instrument: Option<String>,
    /// Run: date (YYYY-MM-DD).
    pub run_date: Option<String>,
    /// File: `fastq`, `cram`, `vcf`.
    pub format: Option<String>,
    /// VCF file: the other samples of a joint call (trio, tumour/normal
    /// pair, cohort batch), each a CRAM/BAM file node id or a library
    /// barcode, in the caller's scope with consent in force. The file's
    /// columns must then be exactly the parent's and the members'
    /// participant ids (library barcodes where one participant has several
    /// columns, as in a tumour/normal pair).
    pub members: Option<Vec<String>>,
}

/// Parses declared members: a library barcode, or else a node id.
pub(crate) fn parse_members(v: &[String]) -> Result<Vec<NodeRef>, AppError> {
    if v.len() > 1000 {
        return Err(AppError::invalid("members", "at most 1000 members"));
    }
    v.iter()
        .map(|m| {
            let m = m.trim();
            if m.is_empty() {
                return Err(AppError::invalid("members", "an empty member"));
            }
            Ok(match m.parse::<zenome_domain::id::Barcode>() {
                Ok(b) => NodeRef::Barcode(b),
                Err(_) => NodeRef::Id(zenome_domain::lineage::NodeId::new(m)),
            })
        })
        .collect()
}

fn text(field: &str, v: &Option<String>) -> Result<String, AppError> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| AppError::invalid(field, "is required"))
}

fn opt_text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl NewNodeDto {
    pub(crate) fn to_domain(&self) -> Result<NewNode, AppError> {
        use zenome_domain::lineage::{FileState, MaterialStatus};
        let kind: NodeKind = parse("kind", Some(&self.kind))?;
        let status = || -> Result<MaterialStatus, AppError> {
            Ok(parse_opt("status", self.status.as_deref())?.unwrap_or(MaterialStatus::Available))
        };
        let details = match kind {
            NodeKind::Specimen => NodeDetails::Specimen {
                specimen_type: parse("specimen_type", self.specimen_type.as_deref())?,
                collected_on: parse_date("collected_on", self.collected_on.as_deref())?,
                anatomical_site: opt_text(&self.anatomical_site),
                status: status()?,
            },
            NodeKind::Aliquot => NodeDetails::Aliquot {
                volume_ul: self.volume_ul,
                status: status()?,
            },
            NodeKind::Extract => NodeDetails::Extract {
                analyte: parse("analyte", self.analyte.as_deref())?,
                yield_ng: self.yield_ng,
                status: status()?,
            },
            NodeKind::Library => NodeDetails::Library {
                strategy: parse("strategy", self.strategy.as_deref())?,
                kit: opt_text(&self.kit),
                centre: parse_opt("centre", self.centre.as_deref())?,
            },
            NodeKind::SequencingRun => NodeDetails::SequencingRun {
                centre: parse("centre", self.centre.as_deref())?,
                run_id: text("run_id", &self.run_id)?,
                instrument: text("instrument", &self.instrument)?,
                run_date: parse_date("run_date", self.run_date.as_deref())?,
            },
            NodeKind::File => NodeDetails::File {
                format: parse("format", self.format.as_deref())?,
                state: FileState::Expected,
            },
        };
        let barcode = match (opt_text(&self.barcode), details.barcode_kind()) {
            (Some(b), Some(k)) => Some(zenome_domain::id::Barcode::parse_for(&b, k).map_err(
                |e| match e {
                    zenome_domain::DomainError::Invalid { reason, .. } => {
                        AppError::invalid("barcode", reason)
                    }
                    o => o.into(),
                },
            )?),
            (Some(_), None) => {
                return Err(AppError::invalid(
                    "barcode",
                    format!("a {kind} has no barcode"),
                ));
            }
            (None, _) => None,
        };
        let parent = match (opt_text(&self.parent_id), opt_text(&self.parent_barcode)) {
            (Some(id), None) => Some(NodeRef::Id(zenome_domain::lineage::NodeId::new(id))),
            (None, Some(b)) => Some(NodeRef::Barcode(parse("parent_barcode", Some(&b))?)),
            (None, None) => None,
            (Some(_), Some(_)) => {
                return Err(AppError::invalid(
                    "parent_id",
                    "give parent_id or parent_barcode, not both",
                ));
            }
        };
        Ok(NewNode {
            participant: parse_opt("participant_id", self.participant_id.as_deref())?,
            parent,
            barcode,
            details,
        })
    }
}

/// A status change of material.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodePatch {
    /// `available`, `residual` or `exhausted`.
    pub status: String,
}

/// A node with its chain up to the specimen.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeWithAncestryDto {
    /// The node.
    pub node: NodeDto,
    /// Parent, grandparent… up to the specimen.
    pub ancestry: Vec<NodeDto>,
}

/// A library as a sequencing centre sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LibraryDto {
    /// The library.
    pub library: NodeDto,
    /// Its chain up to the specimen.
    pub ancestry: Vec<NodeDto>,
    /// Runs and files under it (the caller's own, for a centre).
    pub runs_and_files: Vec<NodeDto>,
}

/// Credentials for a human login.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Current 6-digit TOTP code (a missing code is a failed login, like a wrong one).
    #[serde(default)]
    pub totp: String,
}

/// A session token.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token (`zs_…`), valid until `expires_at`.
    pub token: String,
    /// End of the session.
    pub expires_at: String,
    /// Who logged in.
    pub user: MeDto,
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    /// User name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role name.
    pub role: String,
    /// Organisation scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl From<&zenome_app::Actor> for MeDto {
    fn from(a: &zenome_app::Actor) -> Self {
        Self {
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            role: a.role.name().into(),
            scope: a.role.scope().map(ToString::to_string),
        }
    }
}

/// A user to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserDto {
    /// Login name.
    pub username: String,
    /// Shown in the portal.
    pub display_name: String,
    /// `human` (default) or `machine`.
    pub kind: Option<String>,
    /// Role name.
    pub role: String,
    /// Organisation code for scoped roles.
    pub scope: Option<String>,
    /// Password (humans); generated when absent.
    pub password: Option<String>,
}

/// Secrets of a new user, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUserDto {
    /// Id.
    pub id: String,
    /// Generated or given password (humans).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// TOTP seed in base32 (humans).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totp_secret: Option<String>,
    /// `otpauth://` URL for authenticator apps (humans).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totp_url: Option<String>,
    /// API token (machines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_token: Option<String>,
}

/// A user as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    /// Id.
    pub id: String,
    /// Login.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// `human` or `machine`.
    pub kind: String,
    /// Role.
    pub role: String,
    /// Scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Disabled.
    pub disabled: bool,
}

/// An audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditDto {
    /// Position.
    pub seq: i64,
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Which thing.
    pub target: String,
    /// Details.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// Chain hash.
    pub hash: String,
}

/// One count.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountDto {
    /// Key.
    pub key: String,
    /// Second key, if any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sub: String,
    /// Count.
    pub n: i64,
}

/// Public programme progress (counts only).
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicSummaryDto {
    /// Participants by facility and disease area.
    pub participants: Vec<CountDto>,
    /// Participants by consent state.
    pub consent: Vec<CountDto>,
    /// Lineage nodes by kind.
    pub lineage: Vec<CountDto>,
    /// Specimens by type.
    pub specimens: Vec<CountDto>,
}

impl From<&zenome_store::PublicStats> for PublicSummaryDto {
    fn from(s: &zenome_store::PublicStats) -> Self {
        let c = |v: &Vec<zenome_store::StatCount>| {
            v.iter()
                .map(|c| CountDto {
                    key: c.key.clone(),
                    sub: c.sub.clone(),
                    n: c.n,
                })
                .collect()
        };
        Self {
            participants: c(&s.participants),
            consent: c(&s.consent),
            lineage: c(&s.nodes),
            specimens: c(&s.specimens),
        }
    }
}
