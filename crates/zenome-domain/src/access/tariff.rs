//! Fees (R7.4): graded by data type and number of cases, different for
//! academic and industry applicants. The tariff is configuration; this is
//! the arithmetic.

use crate::role::Sector;

use super::dataset::DataType;

/// A volume tier: cases up to `up_to` (inclusive; `None` = no limit) are
/// charged at `percent` of the per-case price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    /// Upper bound of the tier, in cases.
    pub up_to: Option<u64>,
    /// Percentage of the per-case price.
    pub percent: u64,
}

/// Prices in yen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tariff {
    /// Per application: (academic, industry).
    pub base: (u64, u64),
    /// Per case and data type: (type, academic, industry).
    pub per_case: Vec<(DataType, u64, u64)>,
    /// Volume tiers, in order.
    pub tiers: Vec<Tier>,
}

/// One line of a fee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeLine {
    /// What it is for.
    pub item: String,
    /// Cases counted (0 for the base fee).
    pub cases: u64,
    /// Amount in yen.
    pub amount: u64,
}

/// A computed fee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fee {
    /// The lines.
    pub lines: Vec<FeeLine>,
    /// Their sum, in yen.
    pub total: u64,
}

impl Tariff {
    /// The fee for `cases` participants' data of `types` for a `sector` applicant.
    pub fn fee(&self, sector: Sector, types: &[DataType], cases: u64) -> Fee {
        let pick = |a: u64, i: u64| match sector {
            Sector::Academic => a,
            Sector::Industry => i,
        };
        let mut lines = vec![FeeLine {
            item: "application".into(),
            cases: 0,
            amount: pick(self.base.0, self.base.1),
        }];
        for t in types {
            let Some(&(_, a, i)) = self.per_case.iter().find(|(d, _, _)| d == t) else {
                continue;
            };
            let price = pick(a, i);
            let mut amount = 0u64;
            let mut counted = 0u64;
            for tier in &self.tiers {
                let cap = tier.up_to.unwrap_or(u64::MAX);
                if counted >= cases {
                    break;
                }
                let n = cases.min(cap).saturating_sub(counted);
                amount += n * price * tier.percent / 100;
                counted += n;
            }
            // cases beyond the last tier, if the tiers end: full price
            amount += cases.saturating_sub(counted) * price;
            lines.push(FeeLine {
                item: t.as_str().into(),
                cases,
                amount,
            });
        }
        let total = lines.iter().map(|l| l.amount).sum();
        Fee { lines, total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tariff() -> Tariff {
        Tariff {
            base: (0, 100_000),
            per_case: vec![
                (DataType::Vcf, 1_000, 3_000),
                (DataType::Cram, 2_000, 6_000),
            ],
            tiers: vec![
                Tier {
                    up_to: Some(100),
                    percent: 100,
                },
                Tier {
                    up_to: Some(1000),
                    percent: 80,
                },
                Tier {
                    up_to: None,
                    percent: 50,
                },
            ],
        }
    }

    #[test]
    fn graded_by_type_volume_and_sector() {
        let t = tariff();
        let f = t.fee(Sector::Academic, &[DataType::Vcf], 50);
        assert_eq!(f.total, 50_000);
        // 100 at 100 %, 900 at 80 %, 500 at 50 %
        let f = t.fee(Sector::Academic, &[DataType::Vcf], 1500);
        assert_eq!(f.total, 100 * 1000 + 900 * 800 + 500 * 500);
        let f = t.fee(Sector::Industry, &[DataType::Vcf, DataType::Cram], 10);
        assert_eq!(f.total, 100_000 + 30_000 + 60_000);
        assert_eq!(f.lines.len(), 3);
        assert_eq!(
            t.fee(Sector::Academic, &[DataType::Clinical], 10).total,
            0,
            "types without a price are free"
        );
    }
}
