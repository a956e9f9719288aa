//! Consents taken on forms older than the unified one, and their mapping to
//! it (R1.3). Each unified item either has an equivalent on the old form or
//! is a gap: a gap takes the most restrictive value and is listed, so the
//! facility knows what to ask at the next contact.

use std::fmt;
use std::str::FromStr;

use crate::DomainError;

use super::duo::MondoId;
use super::form::{ConsentItem, ConsentItems, ResearchScope};

/// An older consent form that Zenome can map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegacyForm {
    /// Cancer biobank form of 2014: medical research, optional questions on
    /// company use and disclosure of results.
    CancerBiobank2014,
    /// Rare-disease registry form of 2017: genetic research, optionally
    /// limited to the participant's own disease.
    RareDiseaseRegistry2017,
}

impl LegacyForm {
    /// Both forms.
    pub const ALL: [Self; 2] = [Self::CancerBiobank2014, Self::RareDiseaseRegistry2017];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CancerBiobank2014 => "cancer-biobank-2014",
            Self::RareDiseaseRegistry2017 => "rare-disease-registry-2017",
        }
    }
}

impl FromStr for LegacyForm {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                DomainError::invalid(
                    "legacy_form",
                    format!(
                        "unknown legacy form {s:?}: expected cancer-biobank-2014 or rare-disease-registry-2017"
                    ),
                )
            })
    }
}

impl fmt::Display for LegacyForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A unified item the legacy form had no equivalent for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentGap {
    /// The unified item.
    pub item: ConsentItem,
    /// Why it is a gap.
    pub reason: String,
}

/// Answers on the 2014 cancer biobank form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancerBiobank2014 {
    /// Agreed to use in medical research.
    pub research_use: bool,
    /// Agreed to provision to other research institutions.
    pub external_provision: bool,
    /// Company use: the question was optional and often left blank.
    pub company_use: Option<bool>,
    /// Disclosure of (disease-related) results, if asked.
    pub result_disclosure: Option<bool>,
}

/// Answers on the 2017 rare-disease registry form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RareDiseaseRegistry2017 {
    /// Agreed to genetic research.
    pub genetic_research: bool,
    /// Agreed to sharing with other researchers.
    pub data_sharing: bool,
    /// Research limited to the participant's own disease.
    pub limited_to_own_disease: bool,
    /// That disease, as a MONDO id (required when limited).
    pub disease: Option<MondoId>,
    /// Company use (explicit yes or no on this form).
    pub company_use: bool,
    /// May be contacted again.
    pub contact_again: bool,
    /// Wants findings on the disease returned.
    pub findings_disclosure: bool,
}

/// A legacy consent as recorded on paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegacyConsent {
    /// The 2014 cancer biobank form.
    CancerBiobank2014(CancerBiobank2014),
    /// The 2017 rare-disease registry form.
    RareDiseaseRegistry2017(RareDiseaseRegistry2017),
}

/// The result of mapping: unified items and the gaps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyMapping {
    /// Which form it came from.
    pub form: LegacyForm,
    /// The unified items (gaps set to their most restrictive value).
    pub items: ConsentItems,
    /// What the legacy form did not cover.
    pub gaps: Vec<ConsentGap>,
}

fn gap(item: ConsentItem, reason: &str) -> ConsentGap {
    ConsentGap {
        item,
        reason: reason.to_string(),
    }
}

impl LegacyConsent {
    /// The form.
    pub fn form(&self) -> LegacyForm {
        match self {
            Self::CancerBiobank2014(_) => LegacyForm::CancerBiobank2014,
            Self::RareDiseaseRegistry2017(_) => LegacyForm::RareDiseaseRegistry2017,
        }
    }

    /// Maps to the unified form (the equivalence check of R1.3). A consent
    /// that does not cover the programme's core (research use with sharing
    /// under controlled access) cannot be mapped: the participant must be
    /// asked again on the unified form.
    pub fn to_unified(&self) -> Result<LegacyMapping, DomainError> {
        let mut gaps = Vec::new();
        let items = match self {
            Self::CancerBiobank2014(a) => {
                if !a.research_use {
                    return Err(DomainError::invalid(
                        "research_use",
                        "the legacy consent does not cover research use: a unified consent is needed",
                    ));
                }
                if !a.external_provision {
                    return Err(DomainError::invalid(
                        "external_provision",
                        "the legacy consent does not cover sharing with other institutions: a unified consent is needed",
                    ));
                }
                let industrial_use = a.company_use.unwrap_or_else(|| {
                    gaps.push(gap(
                        ConsentItem::IndustrialUse,
                        "company use was not answered; treated as refused",
                    ));
                    false
                });
                let primary_findings = a.result_disclosure.unwrap_or_else(|| {
                    gaps.push(gap(
                        ConsentItem::PrimaryFindings,
                        "disclosure of results was not asked; treated as not wanted",
                    ));
                    false
                });
                gaps.push(gap(
                    ConsentItem::DataLinkage,
                    "not on the 2014 form; treated as refused",
                ));
                gaps.push(gap(
                    ConsentItem::InternationalSharing,
                    "not on the 2014 form; use limited to Japan",
                ));
                gaps.push(gap(
                    ConsentItem::Recontact,
                    "not on the 2014 form; treated as refused",
                ));
                gaps.push(gap(
                    ConsentItem::SecondaryFindings,
                    "not on the 2014 form; treated as not wanted",
                ));
                ConsentItems {
                    // the 2014 form asked for "medical research"
                    research_scope: ResearchScope::HealthMedical,
                    industrial_use,
                    data_linkage: false,
                    international_sharing: false,
                    recontact: false,
                    primary_findings,
                    secondary_findings: false,
                }
            }
            Self::RareDiseaseRegistry2017(a) => {
                if !a.genetic_research {
                    return Err(DomainError::invalid(
                        "genetic_research",
                        "the legacy consent does not cover genetic research: a unified consent is needed",
                    ));
                }
                if !a.data_sharing {
                    return Err(DomainError::invalid(
                        "data_sharing",
                        "the legacy consent does not cover data sharing: a unified consent is needed",
                    ));
                }
                let research_scope = if a.limited_to_own_disease {
                    let d = a.disease.clone().ok_or_else(|| {
                        DomainError::invalid(
                            "disease",
                            "research limited to the participant's disease needs that disease as a MONDO id",
                        )
                    })?;
                    ResearchScope::DiseaseSpecific(d)
                } else {
                    ResearchScope::HealthMedical
                };
                gaps.push(gap(
                    ConsentItem::DataLinkage,
                    "not on the 2017 form; treated as refused",
                ));
                gaps.push(gap(
                    ConsentItem::InternationalSharing,
                    "not on the 2017 form; use limited to Japan",
                ));
                gaps.push(gap(
                    ConsentItem::SecondaryFindings,
                    "not on the 2017 form; treated as not wanted",
                ));
                ConsentItems {
                    research_scope,
                    industrial_use: a.company_use,
                    data_linkage: false,
                    international_sharing: false,
                    recontact: a.contact_again,
                    primary_findings: a.findings_disclosure,
                    secondary_findings: false,
                }
            }
        };
        Ok(LegacyMapping {
            form: self.form(),
            items,
            gaps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::DuoCode;

    #[test]
    fn blank_company_use_is_a_gap_and_restrictive() {
        let m = LegacyConsent::CancerBiobank2014(CancerBiobank2014 {
            research_use: true,
            external_provision: true,
            company_use: None,
            result_disclosure: Some(true),
        })
        .to_unified()
        .unwrap();
        assert!(!m.items.industrial_use);
        assert!(m.gaps.iter().any(|g| g.item == ConsentItem::IndustrialUse));
        assert!(
            !m.gaps
                .iter()
                .any(|g| g.item == ConsentItem::PrimaryFindings)
        );
        let du = m.items.data_use();
        assert_eq!(du.permission.code(), DuoCode::Hmb);
        assert!(du.has(DuoCode::Ncu) && du.has(DuoCode::Gs));
    }

    #[test]
    fn no_sharing_cannot_be_mapped() {
        let e = LegacyConsent::RareDiseaseRegistry2017(RareDiseaseRegistry2017 {
            genetic_research: true,
            data_sharing: false,
            limited_to_own_disease: false,
            disease: None,
            company_use: true,
            contact_again: true,
            findings_disclosure: true,
        })
        .to_unified()
        .unwrap_err();
        assert_eq!(e.field(), Some("data_sharing"));
    }

    #[test]
    fn disease_limited_maps_to_ds() {
        let m = LegacyConsent::RareDiseaseRegistry2017(RareDiseaseRegistry2017 {
            genetic_research: true,
            data_sharing: true,
            limited_to_own_disease: true,
            disease: Some("MONDO:0007739".parse().unwrap()),
            company_use: false,
            contact_again: true,
            findings_disclosure: true,
        })
        .to_unified()
        .unwrap();
        assert_eq!(m.items.data_use().permission.code(), DuoCode::Ds);
        assert_eq!(m.gaps.len(), 3);
    }
}
