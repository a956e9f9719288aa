//! The report as HTML, Japanese and English labels side by side (a report
//! goes into a Japanese clinical record and may be read by a visiting
//! specialist; one document serves both).

use std::fmt::Write as _;

use crate::content::{ReportContent, ReportKind, SecondaryNote};
use crate::workflow::Status;

/// A label in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    pub ja: &'static str,
    pub en: &'static str,
}

const LABELS: &[(&str, &str, &str)] = &[
    ("title", "ゲノム解析結果報告書", "Genomic results report"),
    ("participant", "参加者ID", "Participant"),
    ("facility", "報告先医療機関", "Reporting to"),
    ("version", "版", "Version"),
    ("status", "状態", "Status"),
    ("generated", "作成日時", "Generated"),
    ("pipeline", "解析パイプライン", "Pipeline"),
    ("diagnosis", "診断", "Diagnosis"),
    ("samples", "検体とQC", "Samples and QC"),
    ("kind", "種類", "Kind"),
    ("file", "ファイル", "File"),
    ("centre", "シーケンス施設", "Sequencing centre"),
    ("qc", "QC", "QC"),
    ("identity", "検体同一性の確認", "Sample identity check"),
    ("somatic", "体細胞バリアント", "Somatic variants"),
    ("variants", "バリアント", "Variants"),
    ("gene", "遺伝子", "Gene"),
    ("consequence", "影響", "Consequence"),
    ("therapies", "治療薬とエビデンス", "Therapies and evidence"),
    ("therapy", "治療薬", "Therapy"),
    ("disease", "疾患", "Disease"),
    ("level", "エビデンスレベル", "Evidence level"),
    ("tier", "AMP/ASCO/CAP 分類", "AMP/ASCO/CAP tier"),
    ("source", "出典", "Source"),
    ("trials", "該当する臨床試験", "Matching clinical trials"),
    ("candidates", "候補診断", "Candidate diagnoses"),
    ("rank", "順位", "Rank"),
    ("score", "スコア", "Score"),
    ("inheritance", "遺伝形式", "Inheritance"),
    ("matched_terms", "一致した表現型", "Matched phenotypes"),
    (
        "secondary",
        "二次的所見 (ACMG SF)",
        "Secondary findings (ACMG SF)",
    ),
    ("significance", "臨床的意義", "Significance"),
    ("conditions", "関連疾患", "Conditions"),
    (
        "secondary_not_wanted",
        "ご本人が二次的所見の返却を希望していないため、記載しません。",
        "Not reported: the patient chose not to receive secondary findings.",
    ),
    ("none", "該当なし", "None"),
    ("interpretation", "解釈", "Interpretation"),
    ("limitations", "限界", "Limitations"),
    ("knowledge", "使用した知識ベース", "Knowledge used"),
    ("review", "レビューと承認", "Review and sign-off"),
    ("signed_off_by", "承認者", "Signed off by"),
    ("signed_off_at", "承認日時", "Signed off"),
    (
        "released_at",
        "医療機関への送付",
        "Released to the facility",
    ),
    ("digest", "内容のSHA-256", "Content SHA-256"),
    ("draft_banner", "下書き — 未承認", "DRAFT — not signed off"),
    ("draft", "下書き", "Draft"),
    ("signed_off", "承認済み", "Signed off"),
    ("released", "送付済み", "Released"),
    ("acknowledged", "受領確認済み", "Acknowledged"),
    ("conveyed", "患者へ説明済み", "Conveyed to the patient"),
    ("superseded", "新しい版に置き換え", "Superseded"),
    ("stopped", "中止", "Stopped"),
    ("pass", "確認済み (問題なし)", "Checked: no discrepancy"),
    (
        "not_checked",
        "未確認 (指紋なし)",
        "Not checked (no fingerprint yet)",
    ),
];

/// The label for `key` (the key itself in both languages when unknown: a
/// test keeps that from happening).
pub fn label(key: &str) -> Label {
    LABELS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, ja, en)| Label { ja, en })
        .unwrap_or(Label { ja: "?", en: "?" })
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn l(key: &str) -> String {
    let x = label(key);
    format!(
        "<span lang=\"ja\">{}</span> <span lang=\"en\" class=\"en\">{}</span>",
        esc(x.ja),
        esc(x.en)
    )
}

/// Who signed off and when, for the review block (what the store knows
/// beyond the frozen content).
#[derive(Debug, Clone, Default)]
pub struct Review {
    pub signed_off_by: Option<String>,
    pub signed_off_at: Option<String>,
    pub released_at: Option<String>,
}

const STYLE: &str = "body{font-family:'Noto Sans CJK JP','IPAexGothic','IPAGothic',sans-serif;font-size:10.5pt;margin:18mm;color:#111}\
h1{font-size:16pt;margin:0 0 4pt}h2{font-size:12pt;border-bottom:1px solid #555;margin:14pt 0 4pt}\
table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:3pt 4pt;text-align:left;vertical-align:top}\
th{background:#eee}.en{color:#555;font-size:85%}.banner{border:2px solid #a00;color:#a00;padding:4pt;font-weight:bold}\
dl{display:grid;grid-template-columns:max-content auto;gap:2pt 10pt}dt{font-weight:bold}.mono{font-family:monospace}";

/// The report as HTML: a whole document with its own style when
/// `standalone` (for the PDF), else a `<div class="report">` fragment for
/// the portal (styled by the portal's stylesheet; no inline style, so the
/// portal's Content-Security-Policy holds).
pub fn render_html(
    c: &ReportContent,
    status: Status,
    review: &crate::html::Review,
    standalone: bool,
) -> String {
    let mut h = String::new();
    if standalone {
        let _ = write!(
            h,
            "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{} {}</title><style>{STYLE}</style></head><body>",
            esc(label("title").ja),
            esc(&c.participant_id)
        );
    }
    h.push_str("<div class=\"report\" id=\"report\">");
    let _ = write!(h, "<h1>{}</h1>", l("title"));
    if matches!(status, Status::Draft) {
        let _ = write!(h, "<p class=\"banner\">{}</p>", l("draft_banner"));
    }
    h.push_str("<dl>");
    let row = |h: &mut String, k: &str, v: &str| {
        let _ = write!(h, "<dt>{}</dt><dd>{}</dd>", l(k), esc(v));
    };
    row(&mut h, "participant", &c.participant_id);
    row(
        &mut h,
        "facility",
        &format!("{} ({})", c.facility_name, c.facility),
    );
    row(&mut h, "version", &c.version.to_string());
    let _ = write!(
        h,
        "<dt>{}</dt><dd id=\"report-status\">{}</dd>",
        l("status"),
        l(status.name())
    );
    row(&mut h, "generated", &c.generated_at);
    if let Some(p) = &c.pipeline {
        row(&mut h, "pipeline", p);
    }
    if let Some(d) = &c.diagnosis {
        row(&mut h, "diagnosis", d);
    }
    h.push_str("</dl>");

    // samples and QC
    let _ = write!(h, "<h2>{}</h2>", l("samples"));
    if c.samples.is_empty() {
        let _ = write!(h, "<p>{}</p>", l("none"));
    } else {
        let _ = write!(
            h,
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            l("kind"),
            l("file"),
            l("centre"),
            l("qc")
        );
        for s in &c.samples {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td>{} <small>{}</small></td></tr>",
                esc(&s.kind),
                esc(&s.file),
                esc(&s.centre),
                esc(&s.qc),
                esc(&s.metrics)
            );
        }
        h.push_str("</tbody></table>");
    }
    let _ = write!(
        h,
        "<h2>{}</h2><p id=\"report-identity\">{} <small>{}</small></p>",
        l("identity"),
        l(&c.identity.verdict),
        esc(&c.identity.detail)
    );

    match c.kind {
        ReportKind::Cancer => {
            let _ = write!(h, "<h2>{}</h2>", l("therapies"));
            if c.therapies.is_empty() {
                let _ = write!(h, "<p>{}</p>", l("none"));
            } else {
                let _ = write!(
                    h,
                    "<table id=\"report-therapies\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
                    l("gene"),
                    l("therapy"),
                    l("disease"),
                    l("level"),
                    l("tier"),
                    l("source")
                );
                for t in &c.therapies {
                    let _ = write!(
                        h,
                        "<tr><td>{} <span class=\"mono\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td></tr>",
                        esc(&t.gene),
                        esc(&t.variant),
                        esc(&t.therapies),
                        esc(&t.disease),
                        esc(&t.level),
                        esc(&t.tier),
                        esc(&t.source)
                    );
                }
                h.push_str("</tbody></table>");
            }
            let _ = write!(h, "<h2>{}</h2>", l("trials"));
            if c.trials.is_empty() {
                let _ = write!(h, "<p>{}</p>", l("none"));
            } else {
                h.push_str("<ul id=\"report-trials\">");
                for t in &c.trials {
                    let _ = write!(
                        h,
                        "<li><span class=\"mono\">{}</span> {}</li>",
                        esc(&t.id),
                        esc(&t.title)
                    );
                }
                h.push_str("</ul>");
            }
        }
        ReportKind::RareDisease => {
            let _ = write!(h, "<h2>{}</h2>", l("candidates"));
            if c.candidates.is_empty() {
                let _ = write!(h, "<p>{}</p>", l("none"));
            } else {
                let _ = write!(
                    h,
                    "<table id=\"report-candidates\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
                    l("rank"),
                    l("gene"),
                    l("score"),
                    l("variants"),
                    l("inheritance"),
                    l("matched_terms")
                );
                for x in &c.candidates {
                    let _ = write!(
                        h,
                        "<tr><td>{}</td><td><strong>{}</strong></td><td>{:.3}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>",
                        x.rank,
                        esc(&x.gene),
                        x.score,
                        x.variants
                            .iter()
                            .map(|v| esc(v))
                            .collect::<Vec<_>>()
                            .join("<br>"),
                        esc(&x.inheritance),
                        x.matched_terms
                            .iter()
                            .map(|v| esc(v))
                            .collect::<Vec<_>>()
                            .join("<br>")
                    );
                }
                h.push_str("</tbody></table>");
            }
        }
    }
    if !c.variants.is_empty() {
        let _ = write!(
            h,
            "<h2>{}</h2><table id=\"report-variants\"><thead><tr><th>{}</th><th>HGVS</th><th>{}</th></tr></thead><tbody>",
            l(if c.kind == ReportKind::Cancer {
                "somatic"
            } else {
                "variants"
            }),
            l("gene"),
            l("consequence")
        );
        for v in &c.variants {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"mono\">{} {}</td><td>{} <small>{}</small></td></tr>",
                esc(&v.gene),
                esc(&v.hgvsc),
                esc(&v.hgvsp),
                esc(&v.consequence),
                esc(&v.origin)
            );
        }
        h.push_str("</tbody></table>");
    }

    let _ = write!(h, "<h2>{}</h2>", l("secondary"));
    match c.secondary_note {
        SecondaryNote::NotWanted => {
            let _ = write!(
                h,
                "<p id=\"report-secondary\">{}</p>",
                l("secondary_not_wanted")
            );
        }
        SecondaryNote::Included if c.secondary.is_empty() => {
            let _ = write!(h, "<p id=\"report-secondary\">{}</p>", l("none"));
        }
        SecondaryNote::Included => {
            let _ = write!(
                h,
                "<table id=\"report-secondary\"><thead><tr><th>{}</th><th>HGVS</th><th>{}</th><th>{}</th></tr></thead><tbody>",
                l("gene"),
                l("significance"),
                l("conditions")
            );
            for s in &c.secondary {
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&s.gene),
                    esc(&s.variant),
                    esc(&s.significance),
                    esc(&s.conditions)
                );
            }
            h.push_str("</tbody></table>");
        }
    }

    let _ = write!(
        h,
        "<h2>{}</h2><p id=\"report-interpretation\">{}</p>",
        l("interpretation"),
        if c.interpretation.trim().is_empty() {
            "—".to_string()
        } else {
            esc(&c.interpretation).replace('\n', "<br>")
        }
    );
    let _ = write!(h, "<h2>{}</h2><ol>", l("limitations"));
    for x in &c.limitations {
        let (ja, en) = x.text();
        let _ = write!(
            h,
            "<li><span lang=\"ja\">{}</span><br><span lang=\"en\" class=\"en\">{}</span></li>",
            esc(ja),
            esc(en)
        );
    }
    h.push_str("</ol>");
    let _ = write!(h, "<h2>{}</h2><ul>", l("knowledge"));
    for k in &c.knowledge {
        let _ = write!(h, "<li class=\"mono\">{}</li>", esc(k));
    }
    h.push_str("</ul>");
    let _ = write!(h, "<h2>{}</h2><dl>", l("review"));
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    row(&mut h, "signed_off_by", &opt(&review.signed_off_by));
    row(&mut h, "signed_off_at", &opt(&review.signed_off_at));
    row(&mut h, "released_at", &opt(&review.released_at));
    let _ = write!(
        h,
        "<dt>{}</dt><dd class=\"mono\" id=\"report-digest\">{}</dd></dl>",
        l("digest"),
        c.digest()
    );
    h.push_str("</div>");
    if standalone {
        h.push_str("</body></html>");
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_used_exists_in_both_languages() {
        let src = include_str!("html.rs");
        for part in src.split("l(\"").skip(1) {
            let key = part.split('"').next().unwrap();
            let x = label(key);
            assert!(x.ja != "?" && x.en != "?", "label {key} missing");
        }
        for s in crate::Status::all() {
            assert_ne!(label(s.name()).ja, "?", "{s}");
        }
        for k in ["pass", "not_checked"] {
            assert_ne!(label(k).en, "?");
        }
    }
}
