//! Specimens and everything derived from them (R3.1, R3.3): specimen →
//! aliquot → extract → library → sequencing run → FASTQ → CRAM → VCF.
//!
//! Every node has exactly one parent (a specimen's parent is its
//! participant), so every derived item and file leads back to a specimen and
//! a person. Which kind may hang under which is decided here, once.

use std::fmt;
use std::str::FromStr;

use time::{Date, OffsetDateTime};

use crate::DomainError;
use crate::id::{Barcode, BarcodeKind, ParticipantId};
use crate::organisation::OrgCode;

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident, $field:literal { $($(#[$vm:meta])* $var:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $var),+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [Self] = &[$(Self::$var),+];

            /// The stored and wire name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$var => $s),+ }
            }
        }

        impl FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($s => Ok(Self::$var),)+
                    _ => Err(DomainError::invalid(
                        $field,
                        format!("unknown value {s:?}: expected one of {}", [$($s),+].join(", ")),
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// The kind of a lineage node.
    NodeKind, "kind" {
        /// A specimen as collected.
        Specimen = "specimen",
        /// A portion split from a specimen or another aliquot.
        Aliquot = "aliquot",
        /// DNA or RNA extracted from a specimen or aliquot.
        Extract = "extract",
        /// A sequencing library made from an extract.
        Library = "library",
        /// A sequencing run of a library.
        SequencingRun = "sequencing_run",
        /// A data file (FASTQ, CRAM, VCF).
        File = "file",
    }
);

wire_enum!(
    /// What was collected.
    SpecimenType, "specimen_type" {
        /// Tumour tissue (fresh frozen or FFPE).
        TumourTissue = "tumour_tissue",
        /// Normal tissue adjacent to a tumour.
        NormalTissue = "normal_tissue",
        /// Peripheral blood (germline normal).
        PeripheralBlood = "peripheral_blood",
        /// Saliva (germline).
        Saliva = "saliva",
        /// Bone marrow (haematological cancers).
        BoneMarrow = "bone_marrow",
        /// Plasma for cell-free DNA.
        Plasma = "plasma",
    }
);

impl SpecimenType {
    /// Whether the specimen is tumour material (as opposed to germline normal).
    pub fn is_tumour(self) -> bool {
        matches!(self, Self::TumourTissue | Self::BoneMarrow)
    }
}

wire_enum!(
    /// Whether material is left for later analyses (R3.3).
    MaterialStatus, "status" {
        /// Material is available.
        Available = "available",
        /// Only residual material is left, kept for later analyses.
        Residual = "residual",
        /// Nothing left; the record stays.
        Exhausted = "exhausted",
    }
);

wire_enum!(
    /// DNA or RNA.
    Analyte, "analyte" {
        /// DNA.
        Dna = "dna",
        /// RNA.
        Rna = "rna",
    }
);

wire_enum!(
    /// What the library was made for.
    LibraryStrategy, "strategy" {
        /// Whole genome.
        Wgs = "wgs",
        /// Whole exome.
        Wes = "wes",
        /// Transcriptome.
        RnaSeq = "rna_seq",
        /// Targeted panel.
        Panel = "panel",
    }
);

wire_enum!(
    /// The format of a data file.
    FileFormat, "format" {
        /// Raw reads.
        Fastq = "fastq",
        /// Aligned reads (CRAM).
        Cram = "cram",
        /// Aligned reads (BAM).
        Bam = "bam",
        /// Variant calls.
        Vcf = "vcf",
    }
);

wire_enum!(
    /// Where a file stands; the files issue fills in the later states.
    FileState, "state" {
        /// Registered in the lineage, not yet received.
        Expected = "expected",
        /// Received, checked and stored.
        Stored = "stored",
        /// Stored but failed QC: kept, flagged, not released.
        QcFailed = "qc_failed",
    }
);

/// The kind-specific part of a lineage node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeDetails {
    /// A specimen.
    Specimen {
        /// What was collected.
        specimen_type: SpecimenType,
        /// Collection date.
        collected_on: Date,
        /// Anatomical site, free text (e.g. "left upper lobe").
        anatomical_site: Option<String>,
        /// Material left.
        status: MaterialStatus,
    },
    /// An aliquot.
    Aliquot {
        /// Volume in microlitres, if known.
        volume_ul: Option<u32>,
        /// Material left.
        status: MaterialStatus,
    },
    /// An extract.
    Extract {
        /// DNA or RNA.
        analyte: Analyte,
        /// Yield in nanograms, if known.
        yield_ng: Option<u32>,
        /// Material left.
        status: MaterialStatus,
    },
    /// A library.
    Library {
        /// WGS, WES…
        strategy: LibraryStrategy,
        /// Kit name, free text.
        kit: Option<String>,
        /// The sequencing centre the library is sent to: the only centre
        /// that sees it and registers runs under it (`None`: not yet sent).
        centre: Option<OrgCode>,
    },
    /// A sequencing run.
    SequencingRun {
        /// The sequencing centre.
        centre: OrgCode,
        /// The centre's own run id.
        run_id: String,
        /// Instrument model, e.g. "NovaSeq X".
        instrument: String,
        /// Run date.
        run_date: Date,
    },
    /// A data file placeholder.
    File {
        /// FASTQ, CRAM or VCF.
        format: FileFormat,
        /// Expected or stored.
        state: FileState,
    },
}

impl NodeDetails {
    /// The kind of node these details describe.
    pub fn kind(&self) -> NodeKind {
        match self {
            Self::Specimen { .. } => NodeKind::Specimen,
            Self::Aliquot { .. } => NodeKind::Aliquot,
            Self::Extract { .. } => NodeKind::Extract,
            Self::Library { .. } => NodeKind::Library,
            Self::SequencingRun { .. } => NodeKind::SequencingRun,
            Self::File { .. } => NodeKind::File,
        }
    }

    /// The barcode kind the node must carry, if it carries one.
    pub fn barcode_kind(&self) -> Option<BarcodeKind> {
        match self {
            Self::Specimen { .. } => Some(BarcodeKind::Specimen),
            Self::Aliquot { .. } => Some(BarcodeKind::Aliquot),
            Self::Extract { .. } => Some(BarcodeKind::Extract),
            Self::Library { .. } => Some(BarcodeKind::Library),
            Self::SequencingRun { .. } | Self::File { .. } => None,
        }
    }

    /// The material status, for kinds that hold material.
    pub fn status(&self) -> Option<MaterialStatus> {
        match self {
            Self::Specimen { status, .. }
            | Self::Aliquot { status, .. }
            | Self::Extract { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Checks free-text fields.
    pub fn validate(&self) -> Result<(), DomainError> {
        let text = |field: &'static str, v: &str, max: usize| {
            if v.trim().is_empty() || v.chars().count() > max {
                Err(DomainError::invalid(
                    field,
                    format!("1 to {max} characters"),
                ))
            } else {
                Ok(())
            }
        };
        match self {
            Self::Specimen {
                anatomical_site: Some(s),
                ..
            } => text("anatomical_site", s, 200),
            Self::Library { kit: Some(k), .. } => text("kit", k, 200),
            Self::SequencingRun {
                run_id, instrument, ..
            } => {
                text("run_id", run_id, 100)?;
                text("instrument", instrument, 100)
            }
            _ => Ok(()),
        }
    }
}

/// What a node hangs under, as far as the parent rule needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentRef {
    /// The participant (for specimens).
    Participant,
    /// Another node of this kind (and, for files, this format).
    Node(NodeKind, Option<FileFormat>),
}

/// Checks that a node with `details` may hang under `parent`. The error names
/// the field `parent_id` and says what is allowed.
pub fn check_parent(details: &NodeDetails, parent: ParentRef) -> Result<(), DomainError> {
    use FileFormat::*;
    use NodeKind as K;
    use ParentRef::{Node, Participant};
    let ok = matches!(
        (details, parent),
        (NodeDetails::Specimen { .. }, Participant)
            | (
                NodeDetails::Aliquot { .. } | NodeDetails::Extract { .. },
                Node(K::Specimen | K::Aliquot, _)
            )
            | (NodeDetails::Library { .. }, Node(K::Extract, _))
            | (NodeDetails::SequencingRun { .. }, Node(K::Library, _))
            | (
                NodeDetails::File { format: Fastq, .. },
                Node(K::SequencingRun, _)
            )
            | (
                NodeDetails::File {
                    format: Cram | Bam,
                    ..
                },
                Node(K::SequencingRun, _) | Node(K::File, Some(Fastq))
            )
            | (
                NodeDetails::File { format: Vcf, .. },
                Node(K::File, Some(Cram | Bam))
            )
    );
    if ok {
        return Ok(());
    }
    let allowed = match details {
        NodeDetails::Specimen { .. } => "the participant",
        NodeDetails::Aliquot { .. } | NodeDetails::Extract { .. } => "a specimen or an aliquot",
        NodeDetails::Library { .. } => "an extract",
        NodeDetails::SequencingRun { .. } => "a library",
        NodeDetails::File { format: Fastq, .. } => "a sequencing run",
        NodeDetails::File {
            format: Cram | Bam, ..
        } => "a sequencing run or a FASTQ file",
        NodeDetails::File { format: Vcf, .. } => "a CRAM or BAM file",
    };
    let got = match parent {
        Participant => "the participant".to_string(),
        Node(K::File, Some(f)) => format!("a {f} file"),
        Node(k, _) => format!("a {}", k.as_str().replace('_', " ")),
    };
    Err(DomainError::invalid(
        "parent_id",
        format!(
            "a {} must hang under {allowed}, not under {got}",
            details.kind().as_str().replace('_', " ")
        ),
    ))
}

/// The id of a lineage node (opaque, assigned by the registry).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(String);

impl NodeId {
    /// Wraps a stored id.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A node of the lineage graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineageNode {
    /// Its id.
    pub id: NodeId,
    /// The participant it comes from.
    pub participant: ParticipantId,
    /// Its parent node; `None` only for specimens (whose parent is the participant).
    pub parent: Option<NodeId>,
    /// Its barcode (specimens, aliquots, extracts and libraries).
    pub barcode: Option<Barcode>,
    /// Kind-specific details.
    pub details: NodeDetails,
    /// When it was registered.
    pub created_at: OffsetDateTime,
}

impl LineageNode {
    /// Builds a node, checking the barcode against the kind and the parent
    /// presence against the kind (the parent's own kind is checked with
    /// [`check_parent`] by whoever can look it up).
    pub fn new(
        id: NodeId,
        participant: ParticipantId,
        parent: Option<NodeId>,
        barcode: Option<Barcode>,
        details: NodeDetails,
        created_at: OffsetDateTime,
    ) -> Result<Self, DomainError> {
        details.validate()?;
        match (details.barcode_kind(), &barcode) {
            (Some(k), Some(b)) if b.kind() != k => {
                return Err(DomainError::invalid(
                    "barcode",
                    format!(
                        "a {} barcode must start with {}",
                        details.kind(),
                        k.prefix()
                    ),
                ));
            }
            (Some(_), None) => {
                return Err(DomainError::invalid(
                    "barcode",
                    format!("a {} needs a barcode", details.kind()),
                ));
            }
            (None, Some(_)) => {
                return Err(DomainError::invalid(
                    "barcode",
                    format!("a {} has no barcode", details.kind()),
                ));
            }
            _ => {}
        }
        match (details.kind(), &parent) {
            (NodeKind::Specimen, Some(_)) => {
                return Err(DomainError::invalid(
                    "parent_id",
                    "a specimen hangs directly under its participant",
                ));
            }
            (k, None) if k != NodeKind::Specimen => {
                return Err(DomainError::invalid(
                    "parent_id",
                    format!("a {k} needs a parent"),
                ));
            }
            _ => {}
        }
        Ok(Self {
            id,
            participant,
            parent,
            barcode,
            details,
            created_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn library() -> NodeDetails {
        NodeDetails::Library {
            strategy: LibraryStrategy::Wgs,
            kit: None,
            centre: None,
        }
    }

    #[test]
    fn a_library_under_a_specimen_is_refused() {
        let e = check_parent(&library(), ParentRef::Node(NodeKind::Specimen, None)).unwrap_err();
        assert_eq!(e.field(), Some("parent_id"));
        assert!(
            e.to_string()
                .contains("must hang under an extract, not under a specimen"),
            "{e}"
        );
        assert!(check_parent(&library(), ParentRef::Node(NodeKind::Extract, None)).is_ok());
    }

    #[test]
    fn file_chain() {
        let f = |format| NodeDetails::File {
            format,
            state: FileState::Expected,
        };
        let run = ParentRef::Node(NodeKind::SequencingRun, None);
        let fastq = ParentRef::Node(NodeKind::File, Some(FileFormat::Fastq));
        let cram = ParentRef::Node(NodeKind::File, Some(FileFormat::Cram));
        assert!(check_parent(&f(FileFormat::Fastq), run).is_ok());
        assert!(check_parent(&f(FileFormat::Cram), fastq).is_ok());
        assert!(check_parent(&f(FileFormat::Vcf), cram).is_ok());
        assert!(check_parent(&f(FileFormat::Vcf), run).is_err());
        assert!(check_parent(&f(FileFormat::Fastq), cram).is_err());
    }

    #[test]
    fn barcodes_must_match_the_kind() {
        let pid = ParticipantId::from_body("AAAA0000").unwrap();
        let spec = NodeDetails::Specimen {
            specimen_type: SpecimenType::PeripheralBlood,
            collected_on: date!(2026 - 01 - 01),
            anatomical_site: None,
            status: MaterialStatus::Available,
        };
        let lb = Barcode::new(BarcodeKind::Library, "0001").unwrap();
        let e = LineageNode::new(
            NodeId::new("n1"),
            pid.clone(),
            None,
            Some(lb),
            spec.clone(),
            OffsetDateTime::UNIX_EPOCH,
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("barcode"));
        let sp = Barcode::new(BarcodeKind::Specimen, "0001").unwrap();
        assert!(
            LineageNode::new(
                NodeId::new("n1"),
                pid,
                None,
                Some(sp),
                spec,
                OffsetDateTime::UNIX_EPOCH
            )
            .is_ok()
        );
    }
}
