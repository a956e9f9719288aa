//! hap.py's metrics: counts per type and filter, recall, precision, F1,
//! Ti/Tv and het/hom ratios, and indel size classes.

use serde::{Deserialize, Serialize};

use crate::Report;

/// hap.py's two summary types; complex alleles are decomposed into these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VariantType {
    #[serde(rename = "SNP")]
    Snp,
    #[serde(rename = "INDEL")]
    Indel,
}

impl VariantType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Snp => "SNP",
            Self::Indel => "INDEL",
        }
    }
}

/// All query records, or only those whose FILTER is PASS (or `.`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Filter {
    #[serde(rename = "ALL")]
    All,
    #[serde(rename = "PASS")]
    Pass,
}

impl Filter {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "ALL",
            Self::Pass => "PASS",
        }
    }
}

/// One line of hap.py's `summary.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    #[serde(rename = "type")]
    pub variant_type: VariantType,
    pub filter: Filter,
    pub truth_total: u64,
    /// Truth variants matched (hap.py's TRUTH.TP).
    pub tp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
    /// Query variants in scope, `unk` included.
    pub query_total: u64,
    /// Query variants matching no truth variant (`fp_gt` included).
    pub fp: u64,
    /// Query variants outside the confident regions.
    pub unk: u64,
    /// False positives whose alleles match the truth but not the genotype.
    pub fp_gt: u64,
    pub recall: Option<f64>,
    pub precision: Option<f64>,
    pub frac_na: Option<f64>,
    pub f1: Option<f64>,
    pub truth_titv: Option<f64>,
    pub query_titv: Option<f64>,
    pub truth_het_hom: Option<f64>,
    pub query_het_hom: Option<f64>,
}

/// hap.py's indel size classes (deletions and insertions of 1–5, 6–15 and
/// 16 or more bases).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum IndelClass {
    #[serde(rename = "D1_5")]
    D1to5,
    #[serde(rename = "D6_15")]
    D6to15,
    #[serde(rename = "D16_PLUS")]
    D16Plus,
    #[serde(rename = "I1_5")]
    I1to5,
    #[serde(rename = "I6_15")]
    I6to15,
    #[serde(rename = "I16_PLUS")]
    I16Plus,
}

impl IndelClass {
    pub const ALL: [IndelClass; 6] = [
        Self::D1to5,
        Self::D6to15,
        Self::D16Plus,
        Self::I1to5,
        Self::I6to15,
        Self::I16Plus,
    ];

    /// The class of an indel that changes the length by `delta` bases
    /// (negative: deletion).
    pub fn of(delta: i64) -> Self {
        let n = delta.unsigned_abs();
        match (delta < 0, n) {
            (true, 0..=5) => Self::D1to5,
            (true, 6..=15) => Self::D6to15,
            (true, _) => Self::D16Plus,
            (false, 0..=5) => Self::I1to5,
            (false, 6..=15) => Self::I6to15,
            (false, _) => Self::I16Plus,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::D1to5 => "D1_5",
            Self::D6to15 => "D6_15",
            Self::D16Plus => "D16_PLUS",
            Self::I1to5 => "I1_5",
            Self::I6to15 => "I6_15",
            Self::I16Plus => "I16_PLUS",
        }
    }
}

/// Counts of one indel size class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndelSizeRow {
    pub class: IndelClass,
    pub filter: Filter,
    pub truth_total: u64,
    pub tp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
    pub query_total: u64,
    pub fp: u64,
    pub unk: u64,
    pub recall: Option<f64>,
    pub precision: Option<f64>,
}

/// Tallies of one type (or size class) under one filter, filled while
/// matching.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tally {
    pub truth_total: u64,
    pub truth_tp: u64,
    pub query_total: u64,
    pub query_tp: u64,
    pub fp: u64,
    pub unk: u64,
    pub fp_gt: u64,
    pub truth_ti: u64,
    pub truth_tv: u64,
    pub query_ti: u64,
    pub query_tv: u64,
    pub truth_het: u64,
    pub truth_hom: u64,
    pub query_het: u64,
    pub query_hom: u64,
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

impl Tally {
    pub(crate) fn add(&mut self, o: &Tally) {
        self.truth_total += o.truth_total;
        self.truth_tp += o.truth_tp;
        self.query_total += o.query_total;
        self.query_tp += o.query_tp;
        self.fp += o.fp;
        self.unk += o.unk;
        self.fp_gt += o.fp_gt;
        self.truth_ti += o.truth_ti;
        self.truth_tv += o.truth_tv;
        self.query_ti += o.query_ti;
        self.query_tv += o.query_tv;
        self.truth_het += o.truth_het;
        self.truth_hom += o.truth_hom;
        self.query_het += o.query_het;
        self.query_hom += o.query_hom;
    }

    fn recall(&self) -> Option<f64> {
        ratio(self.truth_tp, self.truth_total)
    }

    fn precision(&self) -> Option<f64> {
        ratio(self.query_tp, self.query_tp + self.fp)
    }

    pub(crate) fn row(&self, variant_type: VariantType, filter: Filter) -> SummaryRow {
        let recall = self.recall();
        let precision = self.precision();
        let f1 = match (recall, precision) {
            (Some(r), Some(p)) if r + p > 0.0 => Some(2.0 * r * p / (r + p)),
            (Some(_), Some(_)) => Some(0.0),
            _ => None,
        };
        let snp = variant_type == VariantType::Snp;
        SummaryRow {
            variant_type,
            filter,
            truth_total: self.truth_total,
            tp: self.truth_tp,
            fn_: self.truth_total - self.truth_tp,
            query_total: self.query_total,
            fp: self.fp,
            unk: self.unk,
            fp_gt: self.fp_gt,
            recall,
            precision,
            frac_na: ratio(self.unk, self.query_total),
            f1,
            truth_titv: if snp { ratio(self.truth_ti, self.truth_tv) } else { None },
            query_titv: if snp { ratio(self.query_ti, self.query_tv) } else { None },
            truth_het_hom: ratio(self.truth_het, self.truth_hom),
            query_het_hom: ratio(self.query_het, self.query_hom),
        }
    }

    pub(crate) fn size_row(&self, class: IndelClass, filter: Filter) -> IndelSizeRow {
        IndelSizeRow {
            class,
            filter,
            truth_total: self.truth_total,
            tp: self.truth_tp,
            fn_: self.truth_total - self.truth_tp,
            query_total: self.query_total,
            fp: self.fp,
            unk: self.unk,
            recall: self.recall(),
            precision: self.precision(),
        }
    }
}

fn num(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.6}")).unwrap_or_default()
}

/// hap.py's `summary.csv` header and rows.
pub(crate) fn summary_csv(rows: &[SummaryRow]) -> String {
    let mut out = String::from(
        "Type,Filter,TRUTH.TOTAL,TRUTH.TP,TRUTH.FN,QUERY.TOTAL,QUERY.FP,QUERY.UNK,FP.gt,\
         METRIC.Recall,METRIC.Precision,METRIC.Frac_NA,METRIC.F1_Score,\
         TRUTH.TOTAL.TiTv_ratio,QUERY.TOTAL.TiTv_ratio,TRUTH.TOTAL.het_hom_ratio,\
         QUERY.TOTAL.het_hom_ratio\n",
    );
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            r.variant_type.as_str(),
            r.filter.as_str(),
            r.truth_total,
            r.tp,
            r.fn_,
            r.query_total,
            r.fp,
            r.unk,
            r.fp_gt,
            num(r.recall),
            num(r.precision),
            num(r.frac_na),
            num(r.f1),
            num(r.truth_titv),
            num(r.query_titv),
            num(r.truth_het_hom),
            num(r.query_het_hom),
        ));
    }
    out
}

pub(crate) fn report_json(report: &Report) -> serde_json::Value {
    let mut summary = serde_json::Map::new();
    for t in [VariantType::Snp, VariantType::Indel] {
        let mut by_filter = serde_json::Map::new();
        for f in [Filter::All, Filter::Pass] {
            let mut row = serde_json::to_value(report.row(t, f)).expect("plain data");
            if let Some(o) = row.as_object_mut() {
                o.remove("type");
                o.remove("filter");
            }
            by_filter.insert(f.as_str().into(), row);
        }
        summary.insert(t.as_str().into(), by_filter.into());
    }
    serde_json::json!({
        "truth": report.truth,
        "query": report.query,
        "summary": summary,
        "indel_sizes": report.indel_sizes,
        "base_source": report.base_source,
        "unresolved_loci": report.unresolved_loci,
        "capped_loci": report.capped_loci,
        "notes": report.notes,
    })
}
