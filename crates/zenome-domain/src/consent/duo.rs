//! GA4GH Data Use Ontology (DUO) codes derived from a consent.
//!
//! A participant's data use is one primary permission (GRU ⊇ HMB ⊇ DS) and a
//! set of modifiers. The secondary-use layer matches research purposes
//! against it; this module only says what a consent allows.

use std::fmt;
use std::str::FromStr;

use crate::DomainError;

/// A DUO term used by Zenome, with its ontology id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DuoCode {
    /// No restriction.
    Nres,
    /// General research use.
    Gru,
    /// Health or medical or biomedical research.
    Hmb,
    /// Disease-specific research.
    Ds,
    /// Population origins or ancestry research only.
    Poa,
    /// No general methods research.
    Nmds,
    /// Genetic studies only.
    Gso,
    /// Not-for-profit use only.
    Npu,
    /// Non-commercial use only.
    Ncu,
    /// Publication required.
    Pub,
    /// Collaboration required.
    Col,
    /// Ethics approval required.
    Irb,
    /// Geographical restriction.
    Gs,
    /// Publication moratorium.
    Mor,
    /// Time limit on use.
    Ts,
    /// User-specific restriction.
    Us,
    /// Project-specific restriction.
    Ps,
    /// Institution-specific restriction.
    Is,
    /// Return to database or resource.
    Rtn,
    /// Clinical care use.
    Cc,
}

impl DuoCode {
    /// Every code Zenome knows, for tables and documentation.
    pub const ALL: [Self; 20] = [
        Self::Nres,
        Self::Gru,
        Self::Hmb,
        Self::Ds,
        Self::Poa,
        Self::Nmds,
        Self::Gso,
        Self::Npu,
        Self::Ncu,
        Self::Pub,
        Self::Col,
        Self::Irb,
        Self::Gs,
        Self::Mor,
        Self::Ts,
        Self::Us,
        Self::Ps,
        Self::Is,
        Self::Rtn,
        Self::Cc,
    ];

    /// The ontology id, e.g. `DUO:0000042`.
    pub fn id(self) -> &'static str {
        match self {
            Self::Nres => "DUO:0000004",
            Self::Gru => "DUO:0000042",
            Self::Hmb => "DUO:0000006",
            Self::Ds => "DUO:0000007",
            Self::Poa => "DUO:0000011",
            Self::Nmds => "DUO:0000015",
            Self::Gso => "DUO:0000016",
            Self::Npu => "DUO:0000045",
            Self::Ncu => "DUO:0000046",
            Self::Pub => "DUO:0000019",
            Self::Col => "DUO:0000020",
            Self::Irb => "DUO:0000021",
            Self::Gs => "DUO:0000022",
            Self::Mor => "DUO:0000024",
            Self::Ts => "DUO:0000025",
            Self::Us => "DUO:0000026",
            Self::Ps => "DUO:0000027",
            Self::Is => "DUO:0000028",
            Self::Rtn => "DUO:0000029",
            Self::Cc => "DUO:0000043",
        }
    }

    /// The DUO shorthand, e.g. `GRU`.
    pub fn shorthand(self) -> &'static str {
        match self {
            Self::Nres => "NRES",
            Self::Gru => "GRU",
            Self::Hmb => "HMB",
            Self::Ds => "DS",
            Self::Poa => "POA",
            Self::Nmds => "NMDS",
            Self::Gso => "GSO",
            Self::Npu => "NPU",
            Self::Ncu => "NCU",
            Self::Pub => "PUB",
            Self::Col => "COL",
            Self::Irb => "IRB",
            Self::Gs => "GS",
            Self::Mor => "MOR",
            Self::Ts => "TS",
            Self::Us => "US",
            Self::Ps => "PS",
            Self::Is => "IS",
            Self::Rtn => "RTN",
            Self::Cc => "CC",
        }
    }

    /// The DUO label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Nres => "no restriction",
            Self::Gru => "general research use",
            Self::Hmb => "health or medical or biomedical research",
            Self::Ds => "disease specific research",
            Self::Poa => "population origins or ancestry research only",
            Self::Nmds => "no general methods research",
            Self::Gso => "genetic studies only",
            Self::Npu => "not for profit use only",
            Self::Ncu => "non-commercial use only",
            Self::Pub => "publication required",
            Self::Col => "collaboration required",
            Self::Irb => "ethics approval required",
            Self::Gs => "geographical restriction",
            Self::Mor => "publication moratorium",
            Self::Ts => "time limit on use",
            Self::Us => "user specific restriction",
            Self::Ps => "project specific restriction",
            Self::Is => "institution specific restriction",
            Self::Rtn => "return to database or resource",
            Self::Cc => "clinical care use",
        }
    }

    /// Whether the code is a primary permission (as opposed to a modifier).
    pub fn is_permission(self) -> bool {
        matches!(
            self,
            Self::Nres | Self::Gru | Self::Hmb | Self::Ds | Self::Poa
        )
    }
}

impl FromStr for DuoCode {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|c| c.shorthand().eq_ignore_ascii_case(s) || c.id() == s)
            .ok_or_else(|| DomainError::invalid("duo_code", format!("unknown DUO code {s:?}")))
    }
}

impl fmt::Display for DuoCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.shorthand())
    }
}

/// A MONDO disease id, e.g. `MONDO:0004992` (cancer).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MondoId(String);

impl MondoId {
    /// The id as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for MondoId {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let ok = s
            .strip_prefix("MONDO:")
            .is_some_and(|d| d.len() == 7 && d.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            return Err(DomainError::invalid(
                "disease",
                "expected a MONDO id such as MONDO:0004992",
            ));
        }
        Ok(Self(s.to_string()))
    }
}

impl fmt::Display for MondoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The primary data-use permission: exactly one per consent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Permission {
    /// General research use (GRU).
    GeneralResearch,
    /// Health, medical or biomedical research (HMB).
    HealthMedical,
    /// Research on one disease and its descendants (DS).
    DiseaseSpecific(MondoId),
}

impl Permission {
    /// The DUO code of the permission.
    pub fn code(&self) -> DuoCode {
        match self {
            Self::GeneralResearch => DuoCode::Gru,
            Self::HealthMedical => DuoCode::Hmb,
            Self::DiseaseSpecific(_) => DuoCode::Ds,
        }
    }
}

/// What a participant's consent allows, in DUO terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataUse {
    /// The primary permission.
    pub permission: Permission,
    /// Modifiers that narrow the permission or add obligations, sorted.
    pub modifiers: Vec<DuoCode>,
    /// For GS: the ISO 3166 country codes the data may be used in.
    pub geography: Vec<String>,
}

impl DataUse {
    /// All codes, permission first.
    pub fn codes(&self) -> Vec<DuoCode> {
        let mut v = vec![self.permission.code()];
        v.extend(self.modifiers.iter().copied());
        v
    }

    /// Whether a modifier is present.
    pub fn has(&self, code: DuoCode) -> bool {
        self.modifiers.contains(&code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_by_shorthand_and_id() {
        assert_eq!("gru".parse::<DuoCode>().unwrap(), DuoCode::Gru);
        assert_eq!("DUO:0000046".parse::<DuoCode>().unwrap(), DuoCode::Ncu);
        assert!("XYZ".parse::<DuoCode>().is_err());
        for c in DuoCode::ALL {
            assert_eq!(c.shorthand().parse::<DuoCode>().unwrap(), c);
            assert_eq!(c.id().parse::<DuoCode>().unwrap(), c);
        }
    }

    #[test]
    fn mondo_ids() {
        assert!("MONDO:0004992".parse::<MondoId>().is_ok());
        assert!("MONDO:123".parse::<MondoId>().is_err());
        assert!("HP:0000001".parse::<MondoId>().is_err());
    }
}
