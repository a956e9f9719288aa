//! HTML to PDF by headless Chromium (`--print-to-pdf`): Chromium lays the
//! page out as the portal shows it and embeds the fonts it used (subsets),
//! so the Japanese labels render wherever the PDF is opened — provided a
//! CJK font is installed where Chromium runs (Debian `fonts-noto-cjk` or
//! `fonts-ipafont-gothic`).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::ReportError;

/// How to run the renderer.
#[derive(Debug, Clone)]
pub struct PdfOptions {
    /// The Chromium binary (`chromium`, `chromium-browser`, a path).
    pub chromium: PathBuf,
    /// Killed after this long.
    pub timeout: Duration,
}

impl Default for PdfOptions {
    fn default() -> Self {
        Self {
            chromium: PathBuf::from("chromium"),
            timeout: Duration::from_secs(60),
        }
    }
}

/// Renders a standalone HTML document to PDF bytes. The document is
/// written to a private temporary directory and read from `file://`, with
/// networking off: nothing is fetched.
pub fn render_pdf(html: &str, opts: &PdfOptions) -> Result<Vec<u8>, ReportError> {
    let dir =
        tempfile::tempdir().map_err(|e| ReportError::Pdf(format!("temporary directory: {e}")))?;
    let input = dir.path().join("report.html");
    let output = dir.path().join("report.pdf");
    std::fs::write(&input, html).map_err(|e| ReportError::Pdf(format!("writing the HTML: {e}")))?;
    // stderr to a file: a pipe nobody reads until the end could fill and stall it
    let log = dir.path().join("chromium.log");
    let stderr =
        std::fs::File::create(&log).map_err(|e| ReportError::Pdf(format!("log file: {e}")))?;
    let mut child = Command::new(&opts.chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-extensions",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-pdf-header-footer",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", output.display()))
        .arg(format!("file://{}", input.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(stderr))
        .spawn()
        .map_err(|e| {
            ReportError::Pdf(format!(
                "cannot run {} ({e}): install Chromium or set [reports] chromium",
                opts.chromium.display()
            ))
        })?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() > opts.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ReportError::Pdf(format!(
                    "{} did not finish within {:?}",
                    opts.chromium.display(),
                    opts.timeout
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(ReportError::Pdf(e.to_string())),
        }
    };
    let bytes = std::fs::read(&output).unwrap_or_default();
    if !status.success() || !bytes.starts_with(b"%PDF-") {
        let err = std::fs::read_to_string(&log).unwrap_or_default();
        let last = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(ReportError::Pdf(format!(
            "{} exited with {status} and no PDF: {last}",
            opts.chromium.display()
        )));
    }
    Ok(bytes)
}
