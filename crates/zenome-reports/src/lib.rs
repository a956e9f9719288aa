//! Return of results (issue 13): what a patient report says and how it moves.
//!
//! This crate owns:
//! - [`ReportContent`]: the report of one patient at one version — samples
//!   and QC, the identity verdict, somatic findings with therapies and
//!   trials (cancer), candidate diagnoses (rare disease), secondary findings
//!   (only when the patient chose them), the reviewer's interpretation and
//!   the limitations — frozen as JSON with its SHA-256 ([`ReportContent::digest`]);
//! - [`Status`] and [`Action`]: the workflow draft → signed off → released →
//!   acknowledged → conveyed (or superseded, or stopped) as a state machine
//!   in which a wrong step is unrepresentable at run time
//!   ([`Status::apply`] refuses it by name);
//! - [`render_html`]: the report as HTML with Japanese and English labels
//!   side by side (a standalone document with its own style for the PDF, or
//!   a fragment for the portal);
//! - [`render_pdf`]: HTML to PDF by headless Chromium (`--print-to-pdf`),
//!   fonts embedded by Chromium (a CJK font must be installed);
//! - [`RecontactReason`] and [`RecontactStatus`].
//!
//! It knows nothing of HTTP, SQL or who may do what: the app decides that.

mod content;
mod html;
mod pdf;
mod workflow;

pub use content::{
    CandidateLine, IdentityLine, Limitation, ReportContent, ReportKind, SampleLine, SecondaryLine,
    SecondaryNote, TherapyLine, TrialLine, VariantLine,
};
pub use html::{Label, Review, label, render_html};
pub use pdf::{PdfOptions, render_pdf};
pub use workflow::{Action, RecontactReason, RecontactStatus, Status};

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A workflow step that does not follow from the report's status.
    #[error("a report that is {status} cannot be {action}")]
    Step {
        status: &'static str,
        action: &'static str,
    },
    /// An unknown status, action or reason name.
    #[error("unknown {what} {value:?}")]
    Unknown { what: &'static str, value: String },
    /// The PDF renderer could not run or failed.
    #[error("PDF rendering: {0}")]
    Pdf(String),
    /// Stored content that does not parse.
    #[error("report content: {0}")]
    Content(String),
}
