//! JSON shapes of the structured columns (consent bodies, node details) and
//! their conversion to and from domain values. Serde lives here, not on the
//! domain types.

use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::format_description;
use zenome_domain::consent::{
    ConsentAction, ConsentGap, ConsentItems, ConsentSource, FormVersion, ResearchScope,
};
use zenome_domain::lineage::NodeDetails;

use crate::StoreError;

#[derive(Serialize, Deserialize)]
pub(crate) struct ItemsRow {
    research_scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    disease: Option<String>,
    industrial_use: bool,
    data_linkage: bool,
    international_sharing: bool,
    recontact: bool,
    primary_findings: bool,
    secondary_findings: bool,
}

impl From<&ConsentItems> for ItemsRow {
    fn from(i: &ConsentItems) -> Self {
        let (research_scope, disease) = match &i.research_scope {
            ResearchScope::General => ("general", None),
            ResearchScope::HealthMedical => ("health_medical", None),
            ResearchScope::DiseaseSpecific(d) => ("disease_specific", Some(d.to_string())),
        };
        Self {
            research_scope: research_scope.into(),
            disease,
            industrial_use: i.industrial_use,
            data_linkage: i.data_linkage,
            international_sharing: i.international_sharing,
            recontact: i.recontact,
            primary_findings: i.primary_findings,
            secondary_findings: i.secondary_findings,
        }
    }
}

impl ItemsRow {
    fn into_domain(self) -> Result<ConsentItems, String> {
        let research_scope = match (self.research_scope.as_str(), self.disease) {
            ("general", _) => ResearchScope::General,
            ("health_medical", _) => ResearchScope::HealthMedical,
            ("disease_specific", Some(d)) => {
                ResearchScope::DiseaseSpecific(d.parse().map_err(|e| format!("{e}"))?)
            }
            (s, _) => return Err(format!("bad research scope {s:?}")),
        };
        Ok(ConsentItems {
            research_scope,
            industrial_use: self.industrial_use,
            data_linkage: self.data_linkage,
            international_sharing: self.international_sharing,
            recontact: self.recontact,
            primary_findings: self.primary_findings,
            secondary_findings: self.secondary_findings,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct GapRow {
    item: String,
    reason: String,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum SourceRow {
    Unified,
    Legacy { form: String, gaps: Vec<GapRow> },
}

#[derive(Serialize, Deserialize, Default)]
pub(crate) struct ConsentBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    form: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    items: Option<ItemsRow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<SourceRow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

pub(crate) fn consent_body(a: &ConsentAction) -> String {
    let body = match a {
        ConsentAction::Given {
            form,
            items,
            source,
        } => ConsentBody {
            form: Some(form.as_str().into()),
            items: Some(items.into()),
            source: Some(match source {
                ConsentSource::Unified => SourceRow::Unified,
                ConsentSource::Legacy { form, gaps } => SourceRow::Legacy {
                    form: form.as_str().into(),
                    gaps: gaps
                        .iter()
                        .map(|g| GapRow {
                            item: g.item.as_str().into(),
                            reason: g.reason.clone(),
                        })
                        .collect(),
                },
            }),
            reason: None,
        },
        ConsentAction::Amended { items } => ConsentBody {
            items: Some(items.into()),
            ..Default::default()
        },
        ConsentAction::Withdrawn { reason } => ConsentBody {
            reason: reason.clone(),
            ..Default::default()
        },
    };
    serde_json::to_string(&body).expect("consent body serialises")
}

pub(crate) fn consent_action(kind: &str, body: &str) -> Result<ConsentAction, StoreError> {
    let c = |e: String| StoreError::corrupt("consent_events", e);
    let b: ConsentBody = serde_json::from_str(body).map_err(|e| c(e.to_string()))?;
    let items = |b: Option<ItemsRow>| -> Result<ConsentItems, StoreError> {
        b.ok_or_else(|| c("missing items".into()))?
            .into_domain()
            .map_err(c)
    };
    Ok(match kind {
        "given" => {
            let form: FormVersion = b
                .form
                .as_deref()
                .ok_or_else(|| c("missing form".into()))?
                .parse()
                .map_err(|e| c(format!("{e}")))?;
            let source = match b.source.ok_or_else(|| c("missing source".into()))? {
                SourceRow::Unified => ConsentSource::Unified,
                SourceRow::Legacy { form, gaps } => ConsentSource::Legacy {
                    form: form.parse().map_err(|e| c(format!("{e}")))?,
                    gaps: gaps
                        .into_iter()
                        .map(|g| {
                            Ok(ConsentGap {
                                item: g.item.parse().map_err(|e| c(format!("{e}")))?,
                                reason: g.reason,
                            })
                        })
                        .collect::<Result<_, StoreError>>()?,
                },
            };
            ConsentAction::Given {
                form,
                items: items(b.items)?,
                source,
            }
        }
        "amended" => ConsentAction::Amended {
            items: items(b.items)?,
        },
        "withdrawn" => ConsentAction::Withdrawn { reason: b.reason },
        other => return Err(c(format!("unknown kind {other:?}"))),
    })
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum DetailsRow {
    Specimen {
        specimen_type: String,
        collected_on: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        anatomical_site: Option<String>,
        status: String,
    },
    Aliquot {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        volume_ul: Option<u32>,
        status: String,
    },
    Extract {
        analyte: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        yield_ng: Option<u32>,
        status: String,
    },
    Library {
        strategy: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kit: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        centre: Option<String>,
    },
    SequencingRun {
        centre: String,
        run_id: String,
        instrument: String,
        run_date: String,
    },
    File {
        format: String,
        state: String,
    },
}

const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]");

pub(crate) fn format_date(d: Date) -> String {
    d.format(DATE).expect("dates format")
}

pub(crate) fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s, DATE).map_err(|e| format!("bad date {s:?}: {e}"))
}

pub(crate) fn details_json(d: &NodeDetails) -> String {
    let row = match d {
        NodeDetails::Specimen {
            specimen_type,
            collected_on,
            anatomical_site,
            status,
        } => DetailsRow::Specimen {
            specimen_type: specimen_type.as_str().into(),
            collected_on: format_date(*collected_on),
            anatomical_site: anatomical_site.clone(),
            status: status.as_str().into(),
        },
        NodeDetails::Aliquot { volume_ul, status } => DetailsRow::Aliquot {
            volume_ul: *volume_ul,
            status: status.as_str().into(),
        },
        NodeDetails::Extract {
            analyte,
            yield_ng,
            status,
        } => DetailsRow::Extract {
            analyte: analyte.as_str().into(),
            yield_ng: *yield_ng,
            status: status.as_str().into(),
        },
        NodeDetails::Library {
            strategy,
            kit,
            centre,
        } => DetailsRow::Library {
            strategy: strategy.as_str().into(),
            kit: kit.clone(),
            centre: centre.as_ref().map(|c| c.as_str().into()),
        },
        NodeDetails::SequencingRun {
            centre,
            run_id,
            instrument,
            run_date,
        } => DetailsRow::SequencingRun {
            centre: centre.to_string(),
            run_id: run_id.clone(),
            instrument: instrument.clone(),
            run_date: format_date(*run_date),
        },
        NodeDetails::File { format, state } => DetailsRow::File {
            format: format.as_str().into(),
            state: state.as_str().into(),
        },
    };
    serde_json::to_string(&row).expect("details serialise")
}

pub(crate) fn details_from_json(s: &str) -> Result<NodeDetails, StoreError> {
    let c = |e: String| StoreError::corrupt("lineage_nodes", e);
    let row: DetailsRow = serde_json::from_str(s).map_err(|e| c(e.to_string()))?;
    let p = |e: zenome_domain::DomainError| c(e.to_string());
    Ok(match row {
        DetailsRow::Specimen {
            specimen_type,
            collected_on,
            anatomical_site,
            status,
        } => NodeDetails::Specimen {
            specimen_type: specimen_type.parse().map_err(p)?,
            collected_on: parse_date(&collected_on).map_err(c)?,
            anatomical_site,
            status: status.parse().map_err(p)?,
        },
        DetailsRow::Aliquot { volume_ul, status } => NodeDetails::Aliquot {
            volume_ul,
            status: status.parse().map_err(p)?,
        },
        DetailsRow::Extract {
            analyte,
            yield_ng,
            status,
        } => NodeDetails::Extract {
            analyte: analyte.parse().map_err(p)?,
            yield_ng,
            status: status.parse().map_err(p)?,
        },
        DetailsRow::Library {
            strategy,
            kit,
            centre,
        } => NodeDetails::Library {
            strategy: strategy.parse().map_err(p)?,
            kit,
            centre: centre.map(|c| c.parse()).transpose().map_err(p)?,
        },
        DetailsRow::SequencingRun {
            centre,
            run_id,
            instrument,
            run_date,
        } => NodeDetails::SequencingRun {
            centre: centre.parse().map_err(p)?,
            run_id,
            instrument,
            run_date: parse_date(&run_date).map_err(c)?,
        },
        DetailsRow::File { format, state } => NodeDetails::File {
            format: format.parse().map_err(p)?,
            state: state.parse().map_err(p)?,
        },
    })
}
