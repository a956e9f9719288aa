//! Datasets: what a grant gives access to.

use std::fmt;
use std::str::FromStr;

use time::OffsetDateTime;

use crate::DomainError;

macro_rules! names {
    ($name:ident, $field:literal, $($var:ident = $s:literal),+) => {
        impl $name {
            /// Every value.
            pub const ALL: &'static [Self] = &[$(Self::$var),+];
            /// The stored and wire name.
            pub fn as_str(self) -> &'static str { match self { $(Self::$var => $s),+ } }
        }
        impl FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($s => Ok(Self::$var),)+ _ => Err(DomainError::invalid($field, format!("unknown value {s:?}: expected one of {}", [$($s),+].join(", ")))) }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

/// A kind of data a dataset holds and a grant covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataType {
    /// Variant calls.
    Vcf,
    /// Aligned reads.
    Cram,
    /// Raw reads (only on a stated need).
    Fastq,
    /// Clinical records.
    Clinical,
}
names!(
    DataType,
    "data_types",
    Vcf = "vcf",
    Cram = "cram",
    Fastq = "fastq",
    Clinical = "clinical"
);

/// How sensitive a dataset is. Higher levels need more: level 3 (raw reads,
/// small cohorts) is only released under the industry and academic rule
/// sets' strictest terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecurityLevel {
    /// Aggregates and summary data.
    Level1,
    /// Individual-level processed data (VCF, clinical).
    Level2,
    /// Individual-level raw data (CRAM, FASTQ).
    Level3,
}
names!(
    SecurityLevel,
    "security_level",
    Level1 = "1",
    Level2 = "2",
    Level3 = "3"
);

/// Who may reach a dataset now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseState {
    /// Only the producing research group, until the embargo ends.
    GroupRestricted {
        /// End of the embargo.
        until: OffsetDateTime,
    },
    /// Anyone with a DAC grant.
    ControlledAccess,
}

impl ReleaseState {
    /// The state at `now` of a dataset under embargo until `embargo_until`.
    pub fn at(embargo_until: Option<OffsetDateTime>, now: OffsetDateTime) -> Self {
        match embargo_until {
            Some(until) if now < until => Self::GroupRestricted { until },
            _ => Self::ControlledAccess,
        }
    }

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GroupRestricted { .. } => "group_restricted",
            Self::ControlledAccess => "controlled_access",
        }
    }
}
