//! The unified informed-consent form (ICF), its versions and items (R1.2).

use std::fmt;
use std::str::FromStr;

use crate::DomainError;
use crate::participant::DiseaseArea;

use super::duo::{DataUse, DuoCode, MondoId, Permission};

/// A version of the unified form. A new version is a new variant: consents
/// keep the version they were taken under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FormVersion {
    /// Unified ICF 1.0.
    V1_0,
}

impl FormVersion {
    /// The version in force for new consents.
    pub const CURRENT: Self = Self::V1_0;

    /// The stored and wire name, e.g. `unified-1.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1_0 => "unified-1.0",
        }
    }

    /// The items of this version and how each must be answered in `area`.
    pub fn items(self, area: DiseaseArea) -> Vec<(ConsentItem, ItemRule)> {
        match self {
            Self::V1_0 => vec![
                (ConsentItem::ResearchScope, ItemRule::MustChoose),
                (ConsentItem::ControlledSharing, ItemRule::MustAgree),
                (
                    ConsentItem::IndustrialUse,
                    match area {
                        // rare disease: industry use only on explicit opt-in
                        DiseaseArea::RareDisease => ItemRule::OptIn,
                        DiseaseArea::Cancer => ItemRule::OptOut,
                    },
                ),
                (ConsentItem::DataLinkage, ItemRule::OptOut),
                (ConsentItem::InternationalSharing, ItemRule::OptOut),
                (ConsentItem::Recontact, ItemRule::MustAnswer),
                (ConsentItem::PrimaryFindings, ItemRule::MustAnswer),
                (ConsentItem::SecondaryFindings, ItemRule::MustAnswer),
            ],
        }
    }
}

impl FromStr for FormVersion {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "unified-1.0" => Ok(Self::V1_0),
            _ => Err(DomainError::invalid(
                "form_version",
                format!("unknown form version {s:?} (current: unified-1.0)"),
            )),
        }
    }
}

impl fmt::Display for FormVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One item of the unified form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConsentItem {
    /// Scope of research purpose: general, health/medical, or one disease.
    ResearchScope,
    /// Sharing with approved researchers under controlled access (the
    /// programme's core: participation needs it).
    ControlledSharing,
    /// Use by industry, including drug development.
    IndustrialUse,
    /// Additional information collection and linkage with other records.
    DataLinkage,
    /// Use by approved researchers outside Japan.
    InternationalSharing,
    /// Willingness to be recontacted through the facility.
    Recontact,
    /// Wish to receive primary (actionable, disease-related) findings.
    PrimaryFindings,
    /// Wish to receive secondary (incidental) findings.
    SecondaryFindings,
}

impl ConsentItem {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResearchScope => "research_scope",
            Self::ControlledSharing => "controlled_sharing",
            Self::IndustrialUse => "industrial_use",
            Self::DataLinkage => "data_linkage",
            Self::InternationalSharing => "international_sharing",
            Self::Recontact => "recontact",
            Self::PrimaryFindings => "primary_findings",
            Self::SecondaryFindings => "secondary_findings",
        }
    }
}

impl ConsentItem {
    /// Every item, in form order.
    pub const ALL: [Self; 8] = [
        Self::ResearchScope,
        Self::ControlledSharing,
        Self::IndustrialUse,
        Self::DataLinkage,
        Self::InternationalSharing,
        Self::Recontact,
        Self::PrimaryFindings,
        Self::SecondaryFindings,
    ];
}

impl FromStr for ConsentItem {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|i| i.as_str() == s)
            .ok_or_else(|| DomainError::invalid("item", format!("unknown consent item {s:?}")))
    }
}

/// How an item must be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemRule {
    /// One of the choices must be picked.
    MustChoose,
    /// Must be agreed: without it there is no participation.
    MustAgree,
    /// Must be answered yes or no explicitly.
    MustAnswer,
    /// Yes unless the participant says no.
    OptOut,
    /// No unless the participant says yes explicitly.
    OptIn,
}

impl ItemRule {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MustChoose => "must_choose",
            Self::MustAgree => "must_agree",
            Self::MustAnswer => "must_answer",
            Self::OptOut => "opt_out",
            Self::OptIn => "opt_in",
        }
    }
}

/// The research scope item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResearchScope {
    /// Any research.
    General,
    /// Health, medical or biomedical research.
    HealthMedical,
    /// Research on one disease (and its subtypes).
    DiseaseSpecific(MondoId),
}

/// The answers to the unified form as resolved: every item has a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentItems {
    /// Scope of research.
    pub research_scope: ResearchScope,
    /// Industry use permitted.
    pub industrial_use: bool,
    /// Additional collection and linkage permitted.
    pub data_linkage: bool,
    /// Use outside Japan permitted.
    pub international_sharing: bool,
    /// May be recontacted.
    pub recontact: bool,
    /// Wants primary findings returned.
    pub primary_findings: bool,
    /// Wants secondary findings returned.
    pub secondary_findings: bool,
}

/// Answers as submitted: `None` means the box was left empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsentAnswers {
    /// `general`, `health_medical` or `disease_specific`.
    pub research_scope: Option<String>,
    /// For `disease_specific`: the MONDO id.
    pub disease: Option<String>,
    /// Core sharing item.
    pub controlled_sharing: Option<bool>,
    /// Industry use.
    pub industrial_use: Option<bool>,
    /// Linkage.
    pub data_linkage: Option<bool>,
    /// Use outside Japan.
    pub international_sharing: Option<bool>,
    /// Recontact.
    pub recontact: Option<bool>,
    /// Primary findings.
    pub primary_findings: Option<bool>,
    /// Secondary findings.
    pub secondary_findings: Option<bool>,
}

impl ConsentItems {
    /// Resolves submitted answers under `form` for a participant in `area`,
    /// applying each item's rule. Errors name the item.
    pub fn from_answers(
        form: FormVersion,
        area: DiseaseArea,
        a: &ConsentAnswers,
    ) -> Result<Self, DomainError> {
        let rules = form.items(area);
        let rule = |item: ConsentItem| {
            rules
                .iter()
                .find(|(i, _)| *i == item)
                .map(|(_, r)| *r)
                .expect("every item has a rule in every version")
        };
        let resolve = |item: ConsentItem, v: Option<bool>| -> Result<bool, DomainError> {
            match (rule(item), v) {
                (ItemRule::MustAgree, Some(true)) => Ok(true),
                (ItemRule::MustAgree, _) => Err(DomainError::invalid(
                    item.as_str(),
                    "this item must be agreed to take part",
                )),
                (ItemRule::MustAnswer | ItemRule::MustChoose, None) => Err(DomainError::invalid(
                    item.as_str(),
                    "this item must be answered yes or no",
                )),
                (_, Some(v)) => Ok(v),
                (ItemRule::OptOut, None) => Ok(true),
                (ItemRule::OptIn, None) => Ok(false),
            }
        };
        let research_scope = match a.research_scope.as_deref().map(str::trim) {
            Some("general") => ResearchScope::General,
            Some("health_medical") => ResearchScope::HealthMedical,
            Some("disease_specific") => {
                let d = a.disease.as_deref().ok_or_else(|| {
                    DomainError::invalid("disease", "a disease-specific scope needs a MONDO id")
                })?;
                ResearchScope::DiseaseSpecific(d.parse()?)
            }
            Some(other) => {
                return Err(DomainError::invalid(
                    "research_scope",
                    format!(
                        "unknown scope {other:?}: expected general, health_medical or disease_specific"
                    ),
                ));
            }
            None => {
                return Err(DomainError::invalid(
                    "research_scope",
                    "a research scope must be chosen",
                ));
            }
        };
        resolve(ConsentItem::ControlledSharing, a.controlled_sharing)?;
        Ok(Self {
            research_scope,
            industrial_use: resolve(ConsentItem::IndustrialUse, a.industrial_use)?,
            data_linkage: resolve(ConsentItem::DataLinkage, a.data_linkage)?,
            international_sharing: resolve(
                ConsentItem::InternationalSharing,
                a.international_sharing,
            )?,
            recontact: resolve(ConsentItem::Recontact, a.recontact)?,
            primary_findings: resolve(ConsentItem::PrimaryFindings, a.primary_findings)?,
            secondary_findings: resolve(ConsentItem::SecondaryFindings, a.secondary_findings)?,
        })
    }

    /// The answers that give back these items (for forms and round trips).
    pub fn to_answers(&self) -> ConsentAnswers {
        let (scope, disease) = match &self.research_scope {
            ResearchScope::General => ("general", None),
            ResearchScope::HealthMedical => ("health_medical", None),
            ResearchScope::DiseaseSpecific(d) => ("disease_specific", Some(d.to_string())),
        };
        ConsentAnswers {
            research_scope: Some(scope.to_string()),
            disease,
            controlled_sharing: Some(true),
            industrial_use: Some(self.industrial_use),
            data_linkage: Some(self.data_linkage),
            international_sharing: Some(self.international_sharing),
            recontact: Some(self.recontact),
            primary_findings: Some(self.primary_findings),
            secondary_findings: Some(self.secondary_findings),
        }
    }

    /// The DUO data use these items imply.
    ///
    /// Every use needs ethics approval (IRB), as the Japanese ethical
    /// guidelines for genomic research require; a refusal of industry use
    /// adds NPU and NCU; a refusal of use abroad adds GS limited to JP.
    pub fn data_use(&self) -> DataUse {
        let permission = match &self.research_scope {
            ResearchScope::General => Permission::GeneralResearch,
            ResearchScope::HealthMedical => Permission::HealthMedical,
            ResearchScope::DiseaseSpecific(d) => Permission::DiseaseSpecific(d.clone()),
        };
        let mut modifiers = vec![DuoCode::Irb];
        let mut geography = Vec::new();
        if !self.industrial_use {
            modifiers.push(DuoCode::Npu);
            modifiers.push(DuoCode::Ncu);
        }
        if !self.international_sharing {
            modifiers.push(DuoCode::Gs);
            geography.push("JP".to_string());
        }
        modifiers.sort();
        DataUse {
            permission,
            modifiers,
            geography,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> ConsentAnswers {
        ConsentAnswers {
            research_scope: Some("general".into()),
            controlled_sharing: Some(true),
            recontact: Some(true),
            primary_findings: Some(true),
            secondary_findings: Some(false),
            ..Default::default()
        }
    }

    #[test]
    fn rare_disease_industry_use_needs_explicit_opt_in() {
        let items =
            ConsentItems::from_answers(FormVersion::V1_0, DiseaseArea::RareDisease, &base())
                .unwrap();
        assert!(!items.industrial_use);
        let du = items.data_use();
        assert!(du.has(DuoCode::Npu) && du.has(DuoCode::Ncu));

        let mut a = base();
        a.industrial_use = Some(true);
        let items =
            ConsentItems::from_answers(FormVersion::V1_0, DiseaseArea::RareDisease, &a).unwrap();
        assert!(items.industrial_use);
        assert!(!items.data_use().has(DuoCode::Ncu));
    }

    #[test]
    fn cancer_industry_use_is_opt_out() {
        let items =
            ConsentItems::from_answers(FormVersion::V1_0, DiseaseArea::Cancer, &base()).unwrap();
        assert!(items.industrial_use);
        let mut a = base();
        a.industrial_use = Some(false);
        let items = ConsentItems::from_answers(FormVersion::V1_0, DiseaseArea::Cancer, &a).unwrap();
        assert!(!items.industrial_use);
    }

    #[test]
    fn required_items_are_named_when_missing() {
        let mut a = base();
        a.controlled_sharing = Some(false);
        let e = ConsentItems::from_answers(FormVersion::V1_0, DiseaseArea::Cancer, &a).unwrap_err();
        assert_eq!(e.field(), Some("controlled_sharing"));
        let mut a = base();
        a.recontact = None;
        let e = ConsentItems::from_answers(FormVersion::V1_0, DiseaseArea::Cancer, &a).unwrap_err();
        assert_eq!(e.field(), Some("recontact"));
        let mut a = base();
        a.research_scope = Some("disease_specific".into());
        let e = ConsentItems::from_answers(FormVersion::V1_0, DiseaseArea::Cancer, &a).unwrap_err();
        assert_eq!(e.field(), Some("disease"));
        a.disease = Some("MONDO:0004992".into());
        let items = ConsentItems::from_answers(FormVersion::V1_0, DiseaseArea::Cancer, &a).unwrap();
        assert_eq!(items.data_use().permission.code(), DuoCode::Ds);
    }

    #[test]
    fn answers_round_trip() {
        let items =
            ConsentItems::from_answers(FormVersion::V1_0, DiseaseArea::Cancer, &base()).unwrap();
        let again =
            ConsentItems::from_answers(FormVersion::V1_0, DiseaseArea::Cancer, &items.to_answers())
                .unwrap();
        assert_eq!(items, again);
    }

    #[test]
    fn no_use_abroad_adds_geographic_restriction() {
        let mut a = base();
        a.international_sharing = Some(false);
        let du = ConsentItems::from_answers(FormVersion::V1_0, DiseaseArea::Cancer, &a)
            .unwrap()
            .data_use();
        assert!(du.has(DuoCode::Gs));
        assert_eq!(du.geography, vec!["JP".to_string()]);
        assert!(du.has(DuoCode::Irb));
    }
}
