//! Per-sample summary statistics of a loaded batch (R9.1's public charts):
//! computed once from the batch's stored rows and kept beside them as
//! `summary/batch-<b>.parquet` (see `SCHEMA.md`), so a page that charts
//! variants per genome or Ti/Tv reads one small file per batch instead of
//! every genotype. Who is counted (consent) is the caller's business: the
//! files hold every sample of the batch, and the caller keeps the ones it
//! may count now.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow_array::builder::{StringBuilder, UInt32Builder, UInt64Builder};
use arrow_array::cast::AsArray;
use arrow_array::types::{UInt32Type, UInt64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use crate::error::VariantsError;
use crate::genotype::{HET, HOM_ALT};
use crate::store::{FORMAT, Store};

/// Maps a Parquet/Arrow error to one naming `path`.
fn pq<E: std::fmt::Display>(path: &Path) -> impl Fn(E) -> VariantsError + '_ {
    move |e| VariantsError::parquet(path, e)
}

/// The directory of the summary files, under the store root.
pub const SUMMARY_DIR: &str = "summary";

/// One sample's counts over the stored (biallelic) alleles of its batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SampleSummary {
    /// Global sample index.
    pub sample_index: u32,
    /// Sample name (a participant id on the server).
    pub name: String,
    /// The batch.
    pub batch: u32,
    /// Alleles of which the sample holds at least one copy (`het + hom_alt`).
    pub non_ref: u64,
    /// Heterozygous alleles.
    pub het: u64,
    /// Alleles where every called allele is the ALT (haploid ALT calls included).
    pub hom_alt: u64,
    /// Non-reference single-nucleotide alleles (`transitions + transversions`).
    pub snv: u64,
    /// Non-reference alleles whose REF and ALT differ in length.
    pub indel: u64,
    /// Non-reference SNVs A↔G or C↔T.
    pub transitions: u64,
    /// Non-reference SNVs otherwise.
    pub transversions: u64,
}

/// Where the summary of `batch` lives.
pub fn summary_path(root: &Path, batch: u32) -> PathBuf {
    root.join(SUMMARY_DIR)
        .join(format!("batch-{batch}.parquet"))
}

/// The Arrow schema of a summary file (documented in SCHEMA.md).
pub fn summary_schema() -> SchemaRef {
    let n = |name: &str| Field::new(name, DataType::UInt64, false);
    Arc::new(Schema::new(vec![
        Field::new("sample_index", DataType::UInt32, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("batch", DataType::UInt32, false),
        n("non_ref"),
        n("het"),
        n("hom_alt"),
        n("snv"),
        n("indel"),
        n("transitions"),
        n("transversions"),
    ]))
}

/// What kind of allele a row holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Transition,
    Transversion,
    Indel,
    /// MNPs and anything else: counted in `non_ref` only.
    Other,
}

fn class(reference: &str, alt: &str) -> Class {
    let (r, a) = (reference.as_bytes(), alt.as_bytes());
    if r.len() == 1 && a.len() == 1 {
        let pair = (r[0].to_ascii_uppercase(), a[0].to_ascii_uppercase());
        match pair {
            (b'A', b'G') | (b'G', b'A') | (b'C', b'T') | (b'T', b'C') => Class::Transition,
            (x, y) if x != y && b"ACGT".contains(&x) && b"ACGT".contains(&y) => Class::Transversion,
            _ => Class::Other,
        }
    } else if r.len() != a.len() {
        Class::Indel
    } else {
        Class::Other
    }
}

impl SampleSummary {
    fn add(&mut self, code: u8, c: Class) {
        match code {
            HET => self.het += 1,
            HOM_ALT => self.hom_alt += 1,
            _ => return,
        }
        self.non_ref += 1;
        match c {
            Class::Transition => {
                self.snv += 1;
                self.transitions += 1;
            }
            Class::Transversion => {
                self.snv += 1;
                self.transversions += 1;
            }
            Class::Indel => self.indel += 1,
            Class::Other => {}
        }
    }
}

/// Reads every stored row of `batch` and counts, per sample of the batch.
pub fn compute(store: &Store, batch: u32) -> Result<Vec<SampleSummary>, VariantsError> {
    let info = store
        .manifest()
        .batches
        .iter()
        .find(|b| b.id == batch)
        .ok_or_else(|| VariantsError::Store {
            path: store.root().to_path_buf(),
            message: format!("no batch {batch}"),
        })?;
    let offset = info.sample_offset;
    let mut out: Vec<SampleSummary> = store
        .samples()
        .iter()
        .filter(|s| s.batch == batch)
        .map(|s| SampleSummary {
            sample_index: s.index,
            name: s.name.clone(),
            batch,
            ..SampleSummary::default()
        })
        .collect();
    out.sort_by_key(|s| s.sample_index);
    let slot = |g: u32| g.checked_sub(offset).map(|k| k as usize);
    // the batch's variant files (its `files` also list its sample table)
    for rel in info.files.iter().filter(|f| f.starts_with("variants/")) {
        let path = store.root().join(rel);
        let f = File::open(&path).map_err(|e| VariantsError::io(&path, e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(f).map_err(pq(&path))?;
        // only the columns the counts need: REF, ALT and the genotypes
        let wanted = ["ref", "alt", "het", "hom_alt", "dense"];
        let roots: Vec<usize> = builder
            .schema()
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| wanted.contains(&f.name().as_str()))
            .map(|(i, _)| i)
            .collect();
        let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
        let reader = builder
            .with_projection(mask)
            .with_batch_size(4096)
            .build()
            .map_err(pq(&path))?;
        for rb in reader {
            let rb = rb.map_err(pq(&path))?;
            let col = |name: &str| {
                rb.column_by_name(name)
                    .cloned()
                    .ok_or_else(|| VariantsError::Store {
                        path: path.clone(),
                        message: format!("no column {name}"),
                    })
            };
            let (r, a) = (col("ref")?, col("alt")?);
            let (r, a) = (r.as_string::<i32>(), a.as_string::<i32>());
            let (het, hom, dense) = (col("het")?, col("hom_alt")?, col("dense")?);
            let (het, hom, dense) = (
                het.as_list::<i32>(),
                hom.as_list::<i32>(),
                dense.as_binary::<i32>(),
            );
            for i in 0..rb.num_rows() {
                let c = class(r.value(i), a.value(i));
                if dense.is_valid(i) {
                    for (k, s) in out.iter_mut().enumerate() {
                        let byte = dense.value(i).get(k / 4).copied().unwrap_or(0xff);
                        s.add((byte >> (2 * (k % 4))) & 3, c);
                    }
                } else {
                    for (list, code) in [(het, HET), (hom, HOM_ALT)] {
                        if list.is_null(i) {
                            continue;
                        }
                        let v = list.value(i);
                        for &g in v.as_primitive::<UInt32Type>().values() {
                            if let Some(s) = slot(g).and_then(|k| out.get_mut(k)) {
                                s.add(code, c);
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Computes the summary of `batch` and writes it to
/// `summary/batch-<b>.parquet` (temporary file, then rename: a reader sees
/// the whole file or none). Returns what it wrote.
pub fn write(store: &Store, batch: u32) -> Result<Vec<SampleSummary>, VariantsError> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let rows = compute(store, batch)?;
    let sha256 = batch_sha256(store, batch).unwrap_or_default();
    let path = summary_path(store.root(), batch);
    let dir = path.parent().expect("summary files live in a directory");
    fs::create_dir_all(dir).map_err(|e| VariantsError::io(dir, e))?;
    let tmp = dir.join(format!(
        ".batch-{batch}.{}.{}.tmp",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let mut idx = UInt32Builder::new();
    let mut name = StringBuilder::new();
    let mut b = UInt32Builder::new();
    let mut n: Vec<UInt64Builder> = (0..7).map(|_| UInt64Builder::new()).collect();
    for s in &rows {
        idx.append_value(s.sample_index);
        name.append_value(&s.name);
        b.append_value(s.batch);
        for (builder, v) in n.iter_mut().zip([
            s.non_ref,
            s.het,
            s.hom_alt,
            s.snv,
            s.indel,
            s.transitions,
            s.transversions,
        ]) {
            builder.append_value(v);
        }
    }
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(idx.finish()),
        Arc::new(name.finish()),
        Arc::new(b.finish()),
    ];
    cols.extend(n.iter_mut().map(|x| Arc::new(x.finish()) as ArrayRef));
    let rb = RecordBatch::try_new(summary_schema(), cols).map_err(pq(&tmp))?;
    let props = WriterProperties::builder()
        .set_key_value_metadata(Some(vec![
            KeyValue::new("zenome.format".into(), FORMAT.to_string()),
            KeyValue::new("zenome.batch".into(), batch.to_string()),
            KeyValue::new("zenome.sha256".into(), sha256),
        ]))
        .build();
    let written = (|| {
        let f = File::create(&tmp).map_err(|e| VariantsError::io(&tmp, e))?;
        let mut w = ArrowWriter::try_new(f, summary_schema(), Some(props)).map_err(pq(&tmp))?;
        w.write(&rb).map_err(pq(&tmp))?;
        let f = w.into_inner().map_err(pq(&tmp))?;
        f.sync_all().map_err(|e| VariantsError::io(&tmp, e))?;
        fs::rename(&tmp, &path).map_err(|e| VariantsError::io(&path, e))
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written.map(|()| rows)
}

/// The SHA-256 of the file batch `batch` was loaded from.
fn batch_sha256(store: &Store, batch: u32) -> Option<String> {
    store
        .manifest()
        .batches
        .iter()
        .find(|b| b.id == batch)
        .map(|b| b.sha256.clone())
}

/// Reads the summary of `batch`; `None` when it has not been written, or
/// was written for another file under the same batch id (a store rebuilt
/// by hand), so that it is computed again.
pub fn read(store: &Store, batch: u32) -> Result<Option<Vec<SampleSummary>>, VariantsError> {
    let path = summary_path(store.root(), batch);
    let f = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(VariantsError::io(&path, e)),
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(f).map_err(pq(&path))?;
    let written_for = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == "zenome.sha256"))
        .and_then(|k| k.value.clone());
    if written_for != batch_sha256(store, batch) {
        return Ok(None);
    }
    let reader = builder.build().map_err(pq(&path))?;
    let mut out = Vec::new();
    for rb in reader {
        let rb = rb.map_err(pq(&path))?;
        if rb.schema().fields() != summary_schema().fields() {
            return Err(VariantsError::Store {
                path,
                message: "not a summary file of this version".into(),
            });
        }
        let u32s = |i: usize| rb.column(i).as_primitive::<UInt32Type>();
        let u64s = |i: usize| rb.column(i).as_primitive::<UInt64Type>();
        let names = rb.column(1).as_string::<i32>();
        for i in 0..rb.num_rows() {
            out.push(SampleSummary {
                sample_index: u32s(0).value(i),
                name: names.value(i).to_string(),
                batch: u32s(2).value(i),
                non_ref: u64s(3).value(i),
                het: u64s(4).value(i),
                hom_alt: u64s(5).value(i),
                snv: u64s(6).value(i),
                indel: u64s(7).value(i),
                transitions: u64s(8).value(i),
                transversions: u64s(9).value(i),
            });
        }
    }
    Ok(Some(out))
}

/// The summaries of every batch of the store, writing those missing (a
/// batch loaded before summaries existed, or whose summary write failed).
pub fn all(store: &Store) -> Result<Vec<SampleSummary>, VariantsError> {
    let mut out = Vec::new();
    for b in &store.manifest().batches {
        match read(store, b.id)? {
            Some(rows) => out.extend(rows),
            None => out.extend(write(store, b.id)?),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alleles_are_classed_as_bcftools_does() {
        assert!(matches!(class("A", "G"), Class::Transition));
        assert!(matches!(class("c", "t"), Class::Transition));
        assert!(matches!(class("A", "C"), Class::Transversion));
        assert!(matches!(class("A", "AT"), Class::Indel));
        assert!(matches!(class("AT", "GC"), Class::Other));
        assert!(matches!(class("A", "N"), Class::Other));
    }
}
