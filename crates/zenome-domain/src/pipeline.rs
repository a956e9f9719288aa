//! Pipelines (R5.1): the named, versioned callers, filters and models whose
//! results the programme stores, and the values a pipeline version is made
//! of. Each is checked once, where it enters; a value of these types is
//! valid by construction.
//!
//! Names may be any UTF-8 text people write (Japanese included) but no
//! control characters, no `/` (they are path segments of the API) and no
//! `@` (`name@version` is how a result names the version that made it).

use std::fmt;
use std::str::FromStr;

use crate::DomainError;

fn check_text(
    field: &'static str,
    s: &str,
    max_chars: usize,
    spaces: bool,
) -> Result<String, DomainError> {
    if s.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if s.trim() != s {
        return Err(DomainError::invalid(
            field,
            "must not start or end with white space",
        ));
    }
    let n = s.chars().count();
    if n > max_chars {
        return Err(DomainError::invalid(
            field,
            format!("at most {max_chars} characters, found {n}"),
        ));
    }
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(DomainError::invalid(
            field,
            format!("control character U+{:04X} is not allowed", u32::from(c)),
        ));
    }
    if let Some(c) = s.chars().find(|c| matches!(c, '/' | '\\' | '@')) {
        return Err(DomainError::invalid(
            field,
            format!("{c:?} is not allowed (names are path segments and `name@version` labels)"),
        ));
    }
    if !spaces && s.chars().any(char::is_whitespace) {
        return Err(DomainError::invalid(field, "must not contain white space"));
    }
    Ok(s.to_string())
}

macro_rules! text_type {
    ($(#[$m:meta])* $name:ident, $field:literal, $max:literal, $spaces:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The text as entered.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = DomainError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                check_text($field, s, $max, $spaces).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_type!(
    /// A pipeline's name (`zenome-germline`, `胚細胞系列パイプライン`): 1–100
    /// characters, spaces inside allowed.
    PipelineName,
    "name",
    100,
    true
);
text_type!(
    /// A version of a pipeline (`1.2.0`, `2026-12`): 1–50 characters, no
    /// white space.
    PipelineVersion,
    "version",
    50,
    false
);
text_type!(
    /// A truth set's name (`GIAB-HG002`, `Platinum NA12878`).
    TruthSetName,
    "truth_set",
    100,
    true
);

/// What a pipeline does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PipelineKind {
    /// Turns reads into variant calls.
    Caller,
    /// Filters or recalibrates calls.
    Filter,
    /// A trained model (scoring, genotyping).
    Model,
    /// Aligns reads.
    Aligner,
    /// Annotates calls.
    Annotator,
    /// A whole workflow (alignment to calls).
    Workflow,
}

impl PipelineKind {
    /// Every kind, in the order forms list them.
    pub const ALL: [PipelineKind; 6] = [
        Self::Caller,
        Self::Filter,
        Self::Model,
        Self::Aligner,
        Self::Annotator,
        Self::Workflow,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Caller => "caller",
            Self::Filter => "filter",
            Self::Model => "model",
            Self::Aligner => "aligner",
            Self::Annotator => "annotator",
            Self::Workflow => "workflow",
        }
    }
}

impl FromStr for PipelineKind {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                DomainError::invalid(
                    "kind",
                    format!(
                        "expected one of {}, found {s:?}",
                        Self::ALL.map(|k| k.as_str()).join(", ")
                    ),
                )
            })
    }
}

/// Where a version stands. At most one version of a pipeline is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PipelineState {
    /// Registered (and perhaps evaluated), not in use for new results.
    Registered,
    /// The version in use, promoted by staff after evaluation.
    Current,
    /// No longer to be used or promoted.
    Retired,
}

impl PipelineState {
    /// Every state.
    pub const ALL: [PipelineState; 3] = [Self::Registered, Self::Current, Self::Retired];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::Current => "current",
            Self::Retired => "retired",
        }
    }
}

impl FromStr for PipelineState {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| DomainError::invalid("state", format!("unknown state {s:?}")))
    }
}

/// An OCI image digest: `sha256:` and 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerDigest(String);

impl ContainerDigest {
    /// `sha256:…`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ContainerDigest {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex = s.strip_prefix("sha256:").ok_or_else(|| {
            DomainError::invalid("container_digest", "expected sha256: and 64 hex digits")
        })?;
        if hex.len() != 64
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(DomainError::invalid(
                "container_digest",
                "expected sha256: and 64 lowercase hex digits",
            ));
        }
        Ok(Self(s.to_string()))
    }
}

impl fmt::Display for ContainerDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tool a version runs, with its version (`GATK` `4.5.0.0`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tool {
    name: String,
    version: String,
}

impl Tool {
    /// Checks both parts (no control characters, 1–100 characters).
    pub fn new(name: &str, version: &str) -> Result<Self, DomainError> {
        let name = check_tool("tools.name", name)?;
        let version = check_tool("tools.version", version)?;
        Ok(Self { name, version })
    }

    /// The tool's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its version.
    pub fn version(&self) -> &str {
        &self.version
    }
}

fn check_tool(field: &'static str, s: &str) -> Result<String, DomainError> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > 100 || t.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            field,
            "1 to 100 characters, no control characters",
        ));
    }
    Ok(t.to_string())
}

/// The reference a version runs against: the assembly and the FASTA's
/// file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReferenceGenome {
    assembly: String,
    fasta: String,
}

impl ReferenceGenome {
    /// Checks both parts.
    pub fn new(assembly: &str, fasta: &str) -> Result<Self, DomainError> {
        Ok(Self {
            assembly: check_tool("reference.assembly", assembly)?,
            fasta: check_tool("reference.fasta", fasta)?,
        })
    }

    /// `GRCh38`, `GRCh37`…
    pub fn assembly(&self) -> &str {
        &self.assembly
    }

    /// The FASTA's file name.
    pub fn fasta(&self) -> &str {
        &self.fasta
    }
}

/// A pipeline version as registered: everything that says what made a
/// result.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineSpec {
    /// The pipeline.
    pub name: PipelineName,
    /// This version.
    pub version: PipelineVersion,
    /// What it does.
    pub kind: PipelineKind,
    /// The tools it runs, in order.
    pub tools: Vec<Tool>,
    /// Its reference.
    pub reference: ReferenceGenome,
    /// Its parameters: a JSON object's text (the app checks the shape).
    pub parameters: String,
    /// The container image it runs in, if any.
    pub container_digest: Option<ContainerDigest>,
}

impl PipelineSpec {
    /// `name@version`, the label a result carries.
    pub fn label(&self) -> String {
        label(&self.name, &self.version)
    }
}

/// `name@version`.
pub fn label(name: &PipelineName, version: &PipelineVersion) -> String {
    format!("{name}@{version}")
}

/// Whether a result's free-text `pipeline` (as ingest stores it with files
/// and variant batches) names this version: `name@version` or
/// `name version`, alone or followed by white space and details
/// (`zenome-germline 1.0 (bwa-mem2 2.2.1, GATK 4.5)`).
pub fn produced_by(recorded: &str, name: &PipelineName, version: &PipelineVersion) -> bool {
    let r = recorded.trim();
    [format!("{name}@{version}"), format!("{name} {version}")]
        .iter()
        .any(|p| {
            r.strip_prefix(p.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_take_japanese_and_refuse_control_characters_and_separators() {
        let n: PipelineName = "胚細胞系列パイプライン".parse().unwrap();
        assert_eq!(n.as_str(), "胚細胞系列パイプライン");
        assert!("germline caller".parse::<PipelineName>().is_ok());
        for bad in ["", " x", "x ", "a\u{7}b", "a\nb", "a/b", "a@b", "a\\b"] {
            assert!(bad.parse::<PipelineName>().is_err(), "{bad:?}");
        }
        assert!("1.0 beta".parse::<PipelineVersion>().is_err());
        assert!("1.0-β".parse::<PipelineVersion>().is_ok());
        let long = "あ".repeat(101);
        let e = long.parse::<PipelineName>().unwrap_err();
        assert!(e.to_string().contains("101"), "{e}");
    }

    #[test]
    fn digests_are_sha256_and_64_lowercase_hex() {
        let ok = format!("sha256:{}", "a".repeat(64));
        assert!(ok.parse::<ContainerDigest>().is_ok());
        for bad in [
            "a".repeat(64),
            format!("sha256:{}", "a".repeat(63)),
            format!("sha256:{}", "A".repeat(64)),
            format!("sha512:{}", "a".repeat(64)),
            format!("sha256:{}g", "a".repeat(63)),
        ] {
            assert!(bad.parse::<ContainerDigest>().is_err(), "{bad}");
        }
    }

    #[test]
    fn results_name_their_version_by_label_or_with_details() {
        let n: PipelineName = "zenome-demo-pipeline".parse().unwrap();
        let v: PipelineVersion = "1.0".parse().unwrap();
        for yes in [
            "zenome-demo-pipeline@1.0",
            "zenome-demo-pipeline 1.0",
            "zenome-demo-pipeline 1.0 (bwa-mem2 2.2.1, GATK 4.5)",
        ] {
            assert!(produced_by(yes, &n, &v), "{yes}");
        }
        for no in [
            "zenome-demo-pipeline 1.01",
            "zenome-demo-pipeline@1.0.1",
            "zenome-demo-pipeline",
            "other 1.0",
        ] {
            assert!(!produced_by(no, &n, &v), "{no}");
        }
        assert!("caller".parse::<PipelineKind>().is_ok());
        assert!("thing".parse::<PipelineKind>().is_err());
    }
}
