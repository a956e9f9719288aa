//! Zenome's variant annotation. It owns the transcript model read from a
//! gene model (GFF3 or GTF, Ensembl and GENCODE flavours, plain or gzipped,
//! through noodles' readers; [`model`]), the reference sequence around
//! transcripts (an indexed FASTA; [`reference`]), and the prediction of each
//! variant allele's effect on each transcript ([`predict`]): Sequence
//! Ontology consequence terms ranked as Ensembl VEP ranks them
//! ([`consequence`]), HGVS c./n. and p. descriptions (3′-shifted as HGVS
//! asks), exon/intron numbers, cDNA/CDS/protein positions, codons and amino
//! acids, and the canonical and MANE Select flags. [`vcf`] writes a VCF with
//! a `CSQ` INFO field in Ensembl VEP's layout, so `bcftools +split-vep` and
//! every VEP-aware tool read it unchanged.
//!
//! It knows nothing of HTTP, SQL, users or consent; the app calls it on the
//! files and variants it is allowed to read, and the CLI on files alone.

pub mod consequence;
pub mod error;
pub mod model;
pub mod predict;
pub mod reference;
pub mod vcf;

mod codon;

pub use consequence::{Consequence, Impact};
pub use error::AnnotateError;
pub use model::{CanonicalPolicy, GeneModel, GeneSpan, Strand, Transcript};
pub use predict::{Allele, Annotator, Effect};
pub use reference::Reference;
