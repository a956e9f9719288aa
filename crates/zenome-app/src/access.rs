//! Secondary use (R7, R8.2, R9.2): datasets, one-stop applications, DAC
//! review, grants enforced with consent at every read, fees, visas, and the
//! transparency lists.

pub mod applications;
pub mod datasets;
pub mod grant_files;
pub mod grants;
pub mod visas;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use zenome_domain::access::purpose::Country;
use zenome_domain::access::tariff::Tier;
use zenome_domain::access::{
    DataType, PurposeScope, ResearchPurpose, RuleSet, SecurityLevel, Tariff,
};
use zenome_domain::role::{Role, Sector};

use crate::config::{AccessConfig, RuleSetConfig};
use crate::{Actor, App, AppError};

/// A research purpose as stored with an application.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct PurposeBody {
    /// `general`, `health_medical`, `disease`, `ancestry`, `methods`.
    pub scope: String,
    /// MONDO id for `disease`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disease: Option<String>,
    /// Free-text description of the research.
    pub description: String,
    /// Results used commercially (always true for industry applicants).
    #[serde(default)]
    pub commercial: bool,
    /// Country where the data will be used (ISO 3166 alpha-2).
    pub country: String,
    /// An ethics committee approved the study.
    #[serde(default)]
    pub ethics_approval: bool,
    /// The approval's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethics_reference: Option<String>,
}

impl PurposeBody {
    /// The purpose in DUO-matching terms, for an applicant of `sector`.
    pub fn to_purpose(&self, sector: Sector) -> Result<ResearchPurpose, AppError> {
        let industry = sector == Sector::Industry;
        Ok(ResearchPurpose {
            scope: PurposeScope::parse(
                &self.scope,
                self.disease.as_deref().filter(|d| !d.trim().is_empty()),
            )?,
            commercial: self.commercial || industry,
            for_profit: industry,
            country: self.country.parse::<Country>()?,
            ethics_approval: self.ethics_approval,
        })
    }
}

/// An application's content.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct ApplicationBody {
    /// Project title.
    pub title: String,
    /// Applicant's affiliation (institution).
    pub affiliation: String,
    /// User names of co-applicants (they become grantees too).
    #[serde(default)]
    pub co_applicants: Vec<String>,
    /// The purpose.
    pub purpose: PurposeBody,
    /// Dataset ids.
    pub datasets: Vec<String>,
    /// Data types: `vcf`, `cram`, `fastq`, `clinical`.
    pub data_types: Vec<String>,
    /// Why FASTQ is needed (required when FASTQ is asked for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fastq_need: Option<String>,
    /// First day of access (YYYY-MM-DD).
    pub start: String,
    /// Last day of access (YYYY-MM-DD).
    pub end: String,
    /// The version of the data access agreement the applicant accepted
    /// (must be the one in force at submission).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_accepted: Option<String>,
}

const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

pub(crate) fn parse_date(field: &str, s: &str) -> Result<Date, AppError> {
    Date::parse(s.trim(), DATE)
        .map_err(|_| AppError::invalid(field, "expected a date as YYYY-MM-DD"))
}

pub(crate) fn format_date(d: Date) -> String {
    d.format(DATE).expect("dates format")
}

impl ApplicationBody {
    /// The data types, parsed.
    pub fn types(&self) -> Result<Vec<DataType>, AppError> {
        let mut v = Vec::new();
        for t in &self.data_types {
            let t: DataType = t.parse().map_err(|_| {
                AppError::invalid(
                    "data_types",
                    format!("unknown data type {t:?}: expected vcf, cram, fastq or clinical"),
                )
            })?;
            if !v.contains(&t) {
                v.push(t);
            }
        }
        Ok(v)
    }

    /// Start and end as instants (start of the first day, end of the last, UTC).
    pub fn period(&self) -> Result<(OffsetDateTime, OffsetDateTime), AppError> {
        let s = parse_date("start", &self.start)?;
        let e = parse_date("end", &self.end)?;
        if e < s {
            return Err(AppError::invalid(
                "end",
                "the access period ends before it starts",
            ));
        }
        Ok((
            s.midnight().assume_utc(),
            e.next_day().unwrap_or(e).midnight().assume_utc(),
        ))
    }

    /// Checks the fields a draft may already be saved with.
    pub fn check_draft(&self) -> Result<(), AppError> {
        let text = |f: &str, v: &str, max: usize| {
            if v.trim().is_empty() || v.chars().count() > max {
                Err(AppError::invalid(f, format!("1 to {max} characters")))
            } else {
                Ok(())
            }
        };
        text("title", &self.title, 300)?;
        text("affiliation", &self.affiliation, 300)?;
        if self.purpose.description.chars().count() > 10_000 {
            return Err(AppError::invalid(
                "purpose.description",
                "at most 10000 characters",
            ));
        }
        if self.co_applicants.len() > 50 {
            return Err(AppError::invalid("co_applicants", "at most 50"));
        }
        self.types()?;
        Ok(())
    }
}

impl App {
    /// The rule set for a sector.
    pub fn rule_set(&self, sector: Sector) -> RuleSet {
        let c: &RuleSetConfig = match sector {
            Sector::Academic => &self.config().access.academic,
            Sector::Industry => &self.config().access.industry,
        };
        RuleSet {
            required_approvals: c.required_approvals.max(1),
            max_duration_days: c.max_duration_days,
            fastq_allowed: c.fastq_allowed,
            max_security_level: match c.max_security_level {
                0 | 1 => SecurityLevel::Level1,
                2 => SecurityLevel::Level2,
                _ => SecurityLevel::Level3,
            },
        }
    }

    /// The tariff from the configuration.
    pub fn tariff(&self) -> Tariff {
        tariff_of(&self.config().access)
    }
}

pub(crate) fn tariff_of(c: &AccessConfig) -> Tariff {
    Tariff {
        base: (c.fees.base_academic, c.fees.base_industry),
        per_case: c
            .fees
            .per_case
            .iter()
            .filter_map(|p| Some((p.data_type.parse().ok()?, p.academic, p.industry)))
            .collect(),
        tiers: c
            .fees
            .tiers
            .iter()
            .map(|t| Tier {
                up_to: t.up_to,
                percent: t.percent,
            })
            .collect(),
    }
}

/// The sector of a researcher, or a refusal for any other role.
pub(crate) fn researcher_sector(actor: &Actor) -> Result<Sector, AppError> {
    match actor.role {
        Role::Researcher { sector } => Ok(sector),
        _ => Err(AppError::Forbidden(format!(
            "role {} may not apply for data: only researchers apply",
            actor.role.name()
        ))),
    }
}
