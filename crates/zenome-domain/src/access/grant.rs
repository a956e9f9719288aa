//! The terms of a grant and the check every data read makes against them.

use time::OffsetDateTime;

use super::dataset::DataType;

/// What a grant permits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantTerms {
    /// User names of the people it names.
    pub people: Vec<String>,
    /// Dataset ids.
    pub datasets: Vec<String>,
    /// Data types.
    pub data_types: Vec<DataType>,
    /// From when.
    pub starts_at: OffsetDateTime,
    /// Until when.
    pub expires_at: OffsetDateTime,
    /// Revoked, and when.
    pub revoked_at: Option<OffsetDateTime>,
}

/// Why a read is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// The grant was revoked.
    Revoked,
    /// The grant has expired.
    Expired,
    /// The grant has not started.
    NotStarted,
    /// The caller is not named in the grant.
    NotGrantee,
    /// The dataset is not covered.
    DatasetNotGranted,
    /// The data type is not covered.
    DataTypeNotGranted,
}

impl Denial {
    /// A short machine name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Revoked => "grant_revoked",
            Self::Expired => "grant_expired",
            Self::NotStarted => "grant_not_started",
            Self::NotGrantee => "not_a_grantee",
            Self::DatasetNotGranted => "dataset_not_granted",
            Self::DataTypeNotGranted => "data_type_not_granted",
        }
    }
}

impl GrantTerms {
    /// Whether `user` may read `data_type` of `dataset` at `now`.
    pub fn permits(
        &self,
        now: OffsetDateTime,
        user: &str,
        dataset: &str,
        data_type: DataType,
    ) -> Result<(), Denial> {
        if self.revoked_at.is_some_and(|r| r <= now) {
            return Err(Denial::Revoked);
        }
        if now >= self.expires_at {
            return Err(Denial::Expired);
        }
        if now < self.starts_at {
            return Err(Denial::NotStarted);
        }
        if !self.people.iter().any(|p| p == user) {
            return Err(Denial::NotGrantee);
        }
        if !self.datasets.iter().any(|d| d == dataset) {
            return Err(Denial::DatasetNotGranted);
        }
        if !self.data_types.contains(&data_type) {
            return Err(Denial::DataTypeNotGranted);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;
    use time::macros::datetime;

    use super::*;

    #[test]
    fn every_denial() {
        let t0 = datetime!(2026-01-01 0:00 UTC);
        let g = GrantTerms {
            people: vec!["alice".into()],
            datasets: vec!["ds1".into()],
            data_types: vec![DataType::Vcf],
            starts_at: t0,
            expires_at: t0 + Duration::days(365),
            revoked_at: None,
        };
        let now = t0 + Duration::days(10);
        assert_eq!(g.permits(now, "alice", "ds1", DataType::Vcf), Ok(()));
        assert_eq!(
            g.permits(now, "bob", "ds1", DataType::Vcf),
            Err(Denial::NotGrantee)
        );
        assert_eq!(
            g.permits(now, "alice", "ds2", DataType::Vcf),
            Err(Denial::DatasetNotGranted)
        );
        assert_eq!(
            g.permits(now, "alice", "ds1", DataType::Fastq),
            Err(Denial::DataTypeNotGranted)
        );
        assert_eq!(
            g.permits(t0 + Duration::days(365), "alice", "ds1", DataType::Vcf),
            Err(Denial::Expired)
        );
        assert_eq!(
            g.permits(t0 - Duration::days(1), "alice", "ds1", DataType::Vcf),
            Err(Denial::NotStarted)
        );
        let revoked = GrantTerms {
            revoked_at: Some(now),
            ..g
        };
        assert_eq!(
            revoked.permits(now, "alice", "ds1", DataType::Vcf),
            Err(Denial::Revoked)
        );
    }
}
