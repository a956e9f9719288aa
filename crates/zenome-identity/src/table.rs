//! The cohort's fingerprints as one columnar table: Apache Parquet files
//! `batch-<n>.parquet` under a directory, each written once (temporary
//! name, fsync, rename), one row per sample with its three bit planes as
//! binary columns. A new batch appends a file; nothing is rewritten.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, Float32Builder, StringBuilder, UInt32Builder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, UInt32Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::IdentityError;
use crate::fingerprint::{DepthStats, Evidence, Fingerprint, XStats};
use crate::panel::Assembly;

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("sample", DataType::Utf8, false),
        Field::new("source", DataType::Utf8, false),
        Field::new("evidence", DataType::Utf8, false),
        Field::new("assembly", DataType::Utf8, true),
        Field::new("panel", DataType::Utf8, false),
        Field::new("n_sites", DataType::UInt32, false),
        Field::new("called", DataType::Binary, false),
        Field::new("het", DataType::Binary, false),
        Field::new("hom_b", DataType::Binary, false),
        Field::new("x_called", DataType::UInt32, false),
        Field::new("x_het", DataType::UInt32, false),
        Field::new("x_depth_ratio", DataType::Float32, true),
        Field::new("mean_depth", DataType::Float32, true),
        Field::new("hom_sites", DataType::UInt32, true),
        Field::new("contamination", DataType::Float32, true),
    ]))
}

fn table_err(path: &Path, e: impl std::fmt::Display) -> IdentityError {
    IdentityError::Table {
        path: path.into(),
        message: e.to_string(),
    }
}

/// Writes `fps` as the next batch file under `dir`; returns its path.
pub fn append(dir: &Path, fps: &[Fingerprint]) -> Result<PathBuf, IdentityError> {
    fs::create_dir_all(dir).map_err(|e| IdentityError::io(dir, e))?;
    let next = batches(dir)?.last().map_or(0, |(n, _)| n + 1);
    let path = dir.join(format!("batch-{next}.parquet"));
    let tmp = dir.join(format!("batch-{next}.parquet.tmp"));
    let mut sample = StringBuilder::new();
    let mut source = StringBuilder::new();
    let mut evidence = StringBuilder::new();
    let mut assembly = StringBuilder::new();
    let mut panel = StringBuilder::new();
    let mut n_sites = UInt32Builder::new();
    let mut planes = [
        BinaryBuilder::new(),
        BinaryBuilder::new(),
        BinaryBuilder::new(),
    ];
    let mut x_called = UInt32Builder::new();
    let mut x_het = UInt32Builder::new();
    let mut x_ratio = Float32Builder::new();
    let mut mean_depth = Float32Builder::new();
    let mut hom_sites = UInt32Builder::new();
    let mut contamination = Float32Builder::new();
    for f in fps {
        sample.append_value(&f.sample);
        source.append_value(&f.source);
        evidence.append_value(match f.evidence {
            Evidence::Genotypes => "genotypes",
            Evidence::Reads => "reads",
        });
        assembly.append_option(f.assembly.map(Assembly::name));
        panel.append_value(&f.panel);
        n_sites.append_value(f.n_sites);
        for (b, p) in planes.iter_mut().zip(f.planes()) {
            b.append_value(p);
        }
        x_called.append_value(f.x.called);
        x_het.append_value(f.x.het);
        x_ratio.append_option(f.x.depth_ratio);
        mean_depth.append_option(f.depth.map(|d| d.mean_depth));
        hom_sites.append_option(f.depth.map(|d| d.hom_sites));
        contamination.append_option(f.depth.and_then(|d| d.contamination));
    }
    let [c, h, b] = planes;
    let cols: Vec<ArrayRef> = vec![
        Arc::new(sample.finish()),
        Arc::new(source.finish()),
        Arc::new(evidence.finish()),
        Arc::new(assembly.finish()),
        Arc::new(panel.finish()),
        Arc::new(n_sites.finish()),
        Arc::new({ c }.finish()),
        Arc::new({ h }.finish()),
        Arc::new({ b }.finish()),
        Arc::new(x_called.finish()),
        Arc::new(x_het.finish()),
        Arc::new(x_ratio.finish()),
        Arc::new(mean_depth.finish()),
        Arc::new(hom_sites.finish()),
        Arc::new(contamination.finish()),
    ];
    let batch = RecordBatch::try_new(schema(), cols).map_err(|e| table_err(&tmp, e))?;
    let f = File::create(&tmp).map_err(|e| IdentityError::io(&tmp, e))?;
    let mut w = ArrowWriter::try_new(f, schema(), None).map_err(|e| table_err(&tmp, e))?;
    w.write(&batch).map_err(|e| table_err(&tmp, e))?;
    let f = w.into_inner().map_err(|e| table_err(&tmp, e))?;
    f.sync_all().map_err(|e| IdentityError::io(&tmp, e))?;
    fs::rename(&tmp, &path).map_err(|e| IdentityError::io(&path, e))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| IdentityError::io(dir, e))?;
    Ok(path)
}

fn batches(dir: &Path) -> Result<Vec<(u32, PathBuf)>, IdentityError> {
    let mut out = Vec::new();
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(IdentityError::io(dir, e)),
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(n) = name
            .strip_prefix("batch-")
            .and_then(|r| r.strip_suffix(".parquet"))
            .and_then(|n| n.parse::<u32>().ok())
        {
            out.push((n, e.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Every fingerprint of the table, in batch order.
pub fn read_all(dir: &Path) -> Result<Vec<Fingerprint>, IdentityError> {
    let mut out = Vec::new();
    for (_, path) in batches(dir)? {
        let f = File::open(&path).map_err(|e| IdentityError::io(&path, e))?;
        let r = ParquetRecordBatchReaderBuilder::try_new(f)
            .and_then(|b| b.build())
            .map_err(|e| table_err(&path, e))?;
        for rb in r {
            let rb = rb.map_err(|e| table_err(&path, e))?;
            let s = |k: usize| rb.column(k).as_string::<i32>().clone();
            let u = |k: usize| rb.column(k).as_primitive::<UInt32Type>().clone();
            let fl = |k: usize| rb.column(k).as_primitive::<Float32Type>().clone();
            let bin = |k: usize| rb.column(k).as_binary::<i32>().clone();
            let (sample, source, evidence, assembly, panel) = (s(0), s(1), s(2), s(3), s(4));
            let n_sites = u(5);
            let (c, h, b) = (bin(6), bin(7), bin(8));
            let (xc, xh, xr, md, hs, ct) = (u(9), u(10), fl(11), fl(12), u(13), fl(14));
            for i in 0..rb.num_rows() {
                let opt = |a: &arrow_array::Float32Array| (!a.is_null(i)).then(|| a.value(i));
                let mut fp = Fingerprint {
                    sample: sample.value(i).into(),
                    source: source.value(i).into(),
                    evidence: if evidence.value(i) == "reads" {
                        Evidence::Reads
                    } else {
                        Evidence::Genotypes
                    },
                    assembly: (!assembly.is_null(i))
                        .then(|| Assembly::guess(assembly.value(i)))
                        .flatten(),
                    panel: panel.value(i).into(),
                    n_sites: n_sites.value(i),
                    called: vec![],
                    het: vec![],
                    hom_b: vec![],
                    x: XStats {
                        called: xc.value(i),
                        het: xh.value(i),
                        depth_ratio: opt(&xr),
                    },
                    depth: (!hs.is_null(i)).then(|| DepthStats {
                        mean_depth: md.value(i),
                        hom_sites: hs.value(i),
                        contamination: opt(&ct),
                    }),
                };
                fp.set_planes([c.value(i), h.value(i), b.value(i)])
                    .map_err(|e| table_err(&path, format!("row {}: {e}", i + 1)))?;
                out.push(fp);
            }
        }
    }
    Ok(out)
}
