//! Flat export for analysis (R2.3): one table per item group, a row per participant
//! (per entry for repeating groups), columns in dictionary order, codes as codes;
//! written as CSV or Parquet (every column a nullable UTF-8 string).

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde_json::Value;

use crate::dictionary::Dictionary;
use crate::error::ExportError;
use crate::record::{GroupData, Record};

/// One flat table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The item group.
    pub group: String,
    /// `participant`, `index` (repeating groups, from 0), then the items.
    pub columns: Vec<String>,
    /// Cells; `None` where the item is absent.
    pub rows: Vec<Vec<Option<String>>>,
}

/// One table per item group of `dict`, in dictionary order. Records of any version
/// are exported by item id (a later version only adds items, so older records fit).
pub fn tables(dict: &Dictionary, records: &[Record]) -> Vec<Table> {
    dict.groups
        .iter()
        .map(|group| {
            let mut columns = vec!["participant".to_owned()];
            if group.repeating {
                columns.push("index".to_owned());
            }
            columns.extend(group.items.iter().map(|i| i.id.clone()));
            let mut rows = Vec::new();
            for record in records {
                let Some(data) = record.groups.get(&group.id) else {
                    continue;
                };
                let entries: Vec<_> = match data {
                    GroupData::One(m) => vec![(None, m)],
                    GroupData::Many(v) => v.iter().enumerate().map(|(i, m)| (Some(i), m)).collect(),
                };
                for (index, entry) in entries {
                    let mut row = Vec::with_capacity(columns.len());
                    row.push(Some(record.participant.clone()));
                    if group.repeating {
                        row.push(Some(index.unwrap_or(0).to_string()));
                    }
                    for item in &group.items {
                        row.push(entry.get(&item.id).and_then(cell));
                    }
                    rows.push(row);
                }
            }
            Table {
                group: group.id.clone(),
                columns,
                rows,
            }
        })
        .collect()
}

fn cell(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(o) => o.get("value").and_then(cell),
        Value::Array(_) => Some(v.to_string()),
    }
}

impl Table {
    /// The table as CSV with a header line; absent cells are empty.
    pub fn to_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(&self.columns);
        for row in &self.rows {
            let _ = w.write_record(row.iter().map(|c| c.as_deref().unwrap_or("")));
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).expect("strings in, UTF-8 out")
    }

    /// The table as an Arrow batch of nullable UTF-8 columns.
    pub fn to_record_batch(&self) -> Result<RecordBatch, ExportError> {
        let fields: Vec<Field> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| Field::new(c, DataType::Utf8, i != 0))
            .collect();
        let arrays: Vec<ArrayRef> = (0..self.columns.len())
            .map(|i| {
                let col: StringArray = self.rows.iter().map(|r| r[i].as_deref()).collect();
                Arc::new(col) as ArrayRef
            })
            .collect();
        Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
    }

    /// The table as a Parquet file (Snappy compressed).
    pub fn to_parquet(&self) -> Result<Vec<u8>, ExportError> {
        let batch = self.to_record_batch()?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let mut buf = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut buf, batch.schema(), Some(props))?;
        writer.write(&batch)?;
        writer.close()?;
        Ok(buf)
    }
}
