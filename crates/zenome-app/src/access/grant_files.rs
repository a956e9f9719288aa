//! The grant's data (issue 15 item 1): the files a researcher may read *now*
//! under a grant, per dataset and data type, with what a download needs —
//! DRS id and `drs://` URI, htsget URL, size and checksums — and the
//! manifest that `zenome download` (and a GDC-style workflow) reads.
//!
//! The same checks as a read, at listing time: the grant in force for the
//! caller, dataset and data type (`authorize`), each participant's consent
//! in force against the grant's purpose (`dataset_participants`), no
//! identity hold, QC passed, the object available; a joint-called VCF only
//! when every participant in it may be read. A file listed can still be
//! refused at download when consent or grant changed in between.

use std::collections::HashSet;

use serde::Serialize;
use zenome_domain::access::DataType;
use zenome_domain::id::ParticipantId;
use zenome_domain::participant::DiseaseArea;
use zenome_domain::role::Role;

use crate::files::{data_type_of, lineage_format};
use crate::{Actor, App, AppError};

/// One file of a grant.
#[derive(Debug, Clone, Serialize)]
pub struct GrantFile {
    /// The DRS object id.
    pub id: String,
    pub filename: String,
    pub md5: String,
    pub sha256: String,
    pub size: i64,
    /// `fastq`, `bam`, `cram`, `vcf`.
    pub format: String,
    /// The grant's data type that covers it.
    pub data_type: String,
    pub dataset: String,
    pub participant_id: String,
    /// `cancer` or `rare_disease`.
    pub disease_area: String,
    /// QC state (`passed`: only those are listed).
    pub qc: String,
    /// `drs://HOST/ID` (HOST from `public_url`).
    pub drs_uri: Option<String>,
    /// `…/ga4gh/drs/v1/objects/ID`.
    pub drs_url: Option<String>,
    /// `…/htsget/reads/ID` or `…/htsget/variants/ID`.
    pub htsget_url: Option<String>,
}

/// Filters and paging.
#[derive(Debug, Clone, Default)]
pub struct GrantFilesQuery {
    pub data_type: Option<DataType>,
    pub disease_area: Option<DiseaseArea>,
    pub dataset: Option<String>,
    /// ICD-O-3 topography prefix of the cancer's primary site (`C34`), as
    /// the latest clinical record holds it.
    pub cancer_site: Option<String>,
    pub offset: usize,
    /// `None`: all (the manifest).
    pub limit: Option<usize>,
}

/// A page of a grant's files.
#[derive(Debug, Clone, Serialize)]
pub struct GrantFiles {
    pub grant: String,
    pub total: usize,
    pub offset: usize,
    pub files: Vec<GrantFile>,
}

impl GrantFile {
    /// The manifest's header: GDC's five columns first (so GDC-style
    /// tooling reads it), then what Zenome adds.
    pub const MANIFEST_HEADER: &'static str =
        "id\tfilename\tmd5\tsize\tstate\tsha256\tparticipant_id\tdata_type\tdataset\tdrs_uri";

    /// One manifest line (tabs or line breaks in a name cannot occur: file
    /// names are checked at upload).
    pub fn manifest_line(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            self.id,
            self.filename,
            self.md5,
            self.size,
            if self.qc == "passed" {
                "released"
            } else {
                &self.qc
            },
            self.sha256,
            self.participant_id,
            self.data_type,
            self.dataset,
            self.drs_uri.clone().unwrap_or_default()
        )
    }
}

impl App {
    /// The files the caller may read now under grant `id`, filtered and
    /// paged. Only a grantee asks (a reviewer sees the grant, not its data:
    /// 403); another person's grant is 404.
    pub async fn grant_files(
        &self,
        actor: &Actor,
        id: &str,
        q: &GrantFilesQuery,
        ip: Option<&str>,
    ) -> Result<GrantFiles, AppError> {
        let g = self.grant(actor, id).await?;
        if !matches!(actor.role, Role::Researcher { .. }) || !g.people.contains(&actor.username) {
            return Err(AppError::Forbidden(
                "only the grant's researchers list its files".into(),
            ));
        }
        if g.status != "active" {
            return Err(AppError::Conflict {
                field: Some("grant".into()),
                message: format!("grant {id} is {}: no file may be read under it", g.status),
            });
        }
        let base = self
            .config()
            .public_url
            .clone()
            .map(|u| u.trim_end_matches('/').to_string());
        let host = base.as_deref().and_then(|b| {
            b.split("://")
                .nth(1)
                .map(|r| r.split('/').next().unwrap_or(r).to_string())
        });
        let mut files = Vec::new();
        for dataset in &g.datasets {
            if q.dataset.as_ref().is_some_and(|d| d != dataset) {
                continue;
            }
            for t in &g.data_types {
                if *t == DataType::Clinical || q.data_type.is_some_and(|x| x != *t) {
                    continue;
                }
                let (_auth, ids) = self.dataset_participants(actor, dataset, *t, ip).await?;
                let allowed: HashSet<&str> = ids.iter().map(ParticipantId::as_str).collect();
                let sites = match &q.cancer_site {
                    Some(_) => self.store().latest_clinical_of(&ids).await?,
                    None => Default::default(),
                };
                let site_of = |p: &str| -> Option<String> {
                    let r = sites.get(p)?;
                    let v: serde_json::Value = serde_json::from_str(&r.record).ok()?;
                    v.get("groups")?
                        .get("diagnosis")?
                        .get("primary_site")?
                        .as_str()
                        .map(str::to_string)
                };
                for pid in &ids {
                    let Some(p) = self.store().participant(pid).await? else {
                        continue;
                    };
                    let area = p.participant.disease_area;
                    if q.disease_area.is_some_and(|a| a != area) {
                        continue;
                    }
                    if let Some(prefix) = &q.cancer_site
                        && !site_of(pid.as_str()).is_some_and(|s| {
                            s.to_ascii_uppercase()
                                .starts_with(&prefix.trim().to_ascii_uppercase())
                        })
                    {
                        continue;
                    }
                    for o in self.store().objects_of(pid).await? {
                        let Some(format) = lineage_format(&o.format) else {
                            continue;
                        };
                        if data_type_of(format) != *t
                            || o.qc_status != "passed"
                            || o.status != "available"
                        {
                            continue;
                        }
                        // a joint-called VCF: only when every sample may be read
                        let mut everyone = true;
                        for c in self.store().vcf_samples(&o.node_id).await? {
                            if !allowed.contains(c.participant_id.as_str()) {
                                everyone = false;
                            }
                        }
                        if !everyone || files.iter().any(|f: &GrantFile| f.id == o.id) {
                            continue;
                        }
                        let htsget = match format.as_str() {
                            "cram" | "bam" => Some("reads"),
                            "vcf" => Some("variants"),
                            _ => None,
                        };
                        files.push(GrantFile {
                            drs_uri: host.as_ref().map(|h| format!("drs://{h}/{}", o.id)),
                            drs_url: base
                                .as_ref()
                                .map(|b| format!("{b}/ga4gh/drs/v1/objects/{}", o.id)),
                            htsget_url: base
                                .as_ref()
                                .zip(htsget)
                                .map(|(b, k)| format!("{b}/htsget/{k}/{}", o.id)),
                            id: o.id,
                            filename: o.name,
                            md5: o.md5,
                            sha256: o.sha256,
                            size: o.size,
                            format: o.format,
                            data_type: t.as_str().to_string(),
                            dataset: dataset.clone(),
                            participant_id: pid.to_string(),
                            disease_area: match area {
                                DiseaseArea::Cancer => "cancer".into(),
                                DiseaseArea::RareDisease => "rare_disease".into(),
                            },
                            qc: o.qc_status,
                        });
                    }
                }
            }
        }
        files.sort_by(|a, b| {
            (&a.participant_id, &a.filename).cmp(&(&b.participant_id, &b.filename))
        });
        let total = files.len();
        let files: Vec<GrantFile> = files
            .into_iter()
            .skip(q.offset)
            .take(q.limit.unwrap_or(usize::MAX))
            .collect();
        Ok(GrantFiles {
            grant: id.to_string(),
            total,
            offset: q.offset,
            files,
        })
    }
}
