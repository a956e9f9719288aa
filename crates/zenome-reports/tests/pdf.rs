//! The report rendered to PDF by headless Chromium: the text is extractable
//! (`pdftotext`, Debian poppler-utils), the Japanese labels are there, and
//! the CJK font is embedded (`pdffonts`). Under CI the tools must be
//! present (`scripts/test.sh` installs chromium, poppler-utils and
//! fonts-noto-cjk); elsewhere the test says what is missing and stops.

use std::process::Command;

use zenome_reports::{
    CandidateLine, IdentityLine, PdfOptions, ReportContent, ReportKind, Review, SampleLine,
    SecondaryNote, Status, render_html, render_pdf,
};

fn have(cmd: &str, arg: &str) -> bool {
    Command::new(cmd).arg(arg).output().is_ok()
}

fn content() -> ReportContent {
    ReportContent {
        participant_id: "ZP3K7Q9M2XH".into(),
        facility: "TKY-UH".into(),
        facility_name: "東京大学医学部附属病院".into(),
        kind: ReportKind::RareDisease,
        version: 1,
        generated_at: "2026-12-08T04:00:00Z".into(),
        pipeline: Some("zenome-demo-pipeline 1.1".into()),
        diagnosis: Some("マルファン症候群 (Q87.4)".into()),
        samples: vec![SampleLine {
            kind: "CRAM".into(),
            file: "ZPTEST-LB0001.cram".into(),
            centre: "SEQ-KZ".into(),
            qc: "passed".into(),
            metrics: "Q30 92.1 %".into(),
        }],
        identity: IdentityLine {
            verdict: "pass".into(),
            detail: "fingerprint matches the declared sample".into(),
        },
        variants: vec![],
        therapies: vec![],
        trials: vec![],
        candidates: vec![CandidateLine {
            rank: 1,
            gene: "FBN1".into(),
            score: 0.812,
            inheritance: "dominant".into(),
            variants: vec!["ENST00000316623:c.2999del p.(Cys1000fs) heterozygous".into()],
            matched_terms: vec!["HP:0001166 Arachnodactyly ↔ HP:0001166".into()],
        }],
        secondary: vec![],
        secondary_note: SecondaryNote::NotWanted,
        knowledge: vec!["hp/releases/2025-01-16".into()],
        interpretation: "FBN1 のフレームシフト変異は臨床像 (くも状指、側弯) と一致する。".into(),
        limitations: ReportContent::limitations_for(ReportKind::RareDisease),
    }
}

#[test]
fn a_report_pdf_has_extractable_text_and_an_embedded_cjk_font() {
    let chromium = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| have(c, "--version"));
    let tools = chromium.is_some() && have("pdftotext", "-v") && have("pdffonts", "-v");
    if !tools {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium and poppler-utils (pdftotext, pdffonts) are required under CI"
        );
        eprintln!("skipped: chromium or poppler-utils missing");
        return;
    }
    let c = content();
    let html = render_html(
        &c,
        Status::Released,
        &Review {
            signed_off_by: Some("staff (データセンター)".into()),
            signed_off_at: Some("2026-12-08T05:00:00Z".into()),
            released_at: Some("2026-12-08T05:10:00Z".into()),
        },
        true,
    );
    let opts = PdfOptions {
        chromium: chromium.unwrap().into(),
        ..PdfOptions::default()
    };
    let pdf = render_pdf(&html, &opts).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let text = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    for s in [
        "ゲノム解析結果報告書",
        "Genomic results report",
        "候補診断",
        "FBN1",
        "c.2999del",
        "東京大学医学部附属病院",
        "二次的所見",
        "サンガー法",
        &c.digest(),
    ] {
        assert!(text.contains(s), "{s} not in the PDF's text:\n{text}");
    }
    let fonts = Command::new("pdffonts").arg(&path).output().unwrap();
    let fonts = String::from_utf8_lossy(&fonts.stdout).to_string();
    // every font embedded, and one of them a CJK face
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    assert!(
        rows.iter()
            .all(|r| r.split_whitespace().rev().nth(4) == Some("yes")),
        "a font is not embedded:\n{fonts}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("CJK") || r.contains("IPA") || r.contains("Gothic")),
        "no CJK font:\n{fonts}"
    );
}

#[test]
fn a_missing_renderer_is_named() {
    let e = render_pdf(
        "<html></html>",
        &PdfOptions {
            chromium: "/nonexistent/chromium".into(),
            ..PdfOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("/nonexistent/chromium") && e.contains("[reports] chromium"),
        "{e}"
    );
}

#[test]
fn the_portal_fragment_has_no_inline_style_and_escapes_text() {
    let mut c = content();
    c.interpretation = "<script>alert(1)</script>".into();
    let h = render_html(&c, Status::Draft, &Review::default(), false);
    assert!(!h.contains("<style") && !h.contains("style="));
    assert!(!h.contains("<script>") && h.contains("&lt;script&gt;"));
    assert!(h.contains("下書き"), "a draft says so");
}
