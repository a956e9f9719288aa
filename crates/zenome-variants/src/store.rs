//! The on-disk store: Parquet files partitioned by chromosome and 1 Mb bin,
//! per-batch sample tables and a JSON manifest written last (crash-safe
//! appends), and the region query that reads only the bins it needs.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, Int32Builder, ListBuilder, StringBuilder, UInt32Builder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, UInt32Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use noodles::core::Region;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::statistics::Statistics;
use parquet::schema::types::ColumnPath;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::VariantsError;
use crate::genotype::{
    BatchMask, Counts, HET, HOM_ALT, Layout, MISSING, REF, RowGenotypes, SampleMask, count_dense,
    count_sparse,
};
use crate::normalise::Normaliser;
use crate::query::{AlleleCounts, Cursor, Scan, chrom_aliases};
use crate::read::{ABSENT_ALLELE, MISSING_ALLELE, Site, VariantReader};
use crate::somatic::Origin;

/// Width of a position bin (one partition directory per chromosome and bin).
pub const BIN_SIZE: u32 = 1_000_000;
/// The manifest's format tag.
pub const FORMAT: &str = "zenome-variants/1";
const MANIFEST: &str = "manifest.json";
const ROWS_PER_FLUSH: usize = 256;
/// Row groups hold about this many bytes of genotypes (before compression),
/// so a 100 kb region decodes little more than it needs…
const GROUP_BYTES: usize = 1 << 20;
/// …and between these many rows.
const ROWS_PER_GROUP: (usize, usize) = (256, 4096);

/// One loaded file: where its rows and samples came from (R5.1).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BatchInfo {
    pub id: u32,
    pub source_file: String,
    pub sha256: String,
    pub pipeline: String,
    pub reference_version: String,
    /// Whether REF was checked and indels left-aligned against a reference FASTA.
    pub normalised: bool,
    pub sample_offset: u32,
    pub n_samples: u32,
    pub n_records: u64,
    pub n_rows: u64,
    pub skipped_reference_blocks: u64,
    /// Germline or somatic (absent in stores written before: germline).
    #[serde(default)]
    pub origin: Origin,
    /// Somatic batches: records that were not passing somatic calls.
    #[serde(default)]
    pub filtered_records: u64,
    pub loaded_at: String,
    /// Data files of the batch, relative to the store root.
    pub files: Vec<String>,
}

/// The store's table of contents; a batch exists once it is listed here.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub format: String,
    pub bin_size: u32,
    pub batches: Vec<BatchInfo>,
}

/// A sample of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleEntry {
    /// Global index (what carrier lists and masks refer to).
    pub index: u32,
    pub name: String,
    pub batch: u32,
}

/// How to load a file.
#[derive(Default)]
pub struct LoadOptions<'a> {
    pub pipeline: String,
    pub reference_version: String,
    /// A bgzip+fai (or plain+fai) FASTA: REF is checked and indels left-aligned.
    pub reference: Option<PathBuf>,
    pub layout: Layout,
    /// Called now and then with (bytes of the input read, records read).
    pub progress: Option<&'a mut dyn FnMut(u64, u64)>,
    /// Germline (default) or somatic: a somatic load keeps the tumour
    /// columns only and passing somatic calls only (see `SCHEMA.md`).
    pub origin: Origin,
    /// The sample columns to store (file column index, stored name), in
    /// this order; `None`: every column under its own name (somatic: the
    /// tumour columns told from the header).
    pub columns: Option<Vec<(usize, String)>>,
}

/// What a load stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    pub batch: BatchInfo,
}

/// Allele counts of one stored allele over the counted samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlleleFreq {
    pub chrom: String,
    pub pos: u32,
    pub reference: String,
    pub alt: String,
    pub counts: Counts,
}

impl AlleleFreq {
    /// AC / AN, or `None` when no allele was called.
    pub fn af(&self) -> Option<f64> {
        (self.counts.an > 0).then(|| f64::from(self.counts.ac) / f64::from(self.counts.an))
    }
}

/// The variant store rooted at a directory.
pub struct Store {
    root: PathBuf,
    manifest: Manifest,
    samples: Vec<SampleEntry>,
}

/// The Arrow schema of the variant files (documented in SCHEMA.md).
pub fn variant_schema() -> SchemaRef {
    let list = || DataType::List(Arc::new(Field::new("item", DataType::UInt32, true)));
    Arc::new(Schema::new(vec![
        Field::new("chrom", DataType::Utf8, false),
        Field::new("pos", DataType::Int32, false),
        Field::new("ref", DataType::Utf8, false),
        Field::new("alt", DataType::Utf8, false),
        Field::new("batch", DataType::UInt32, false),
        Field::new("sample_offset", DataType::UInt32, false),
        Field::new("n_samples", DataType::UInt32, false),
        Field::new("ac", DataType::UInt32, false),
        Field::new("an", DataType::UInt32, false),
        Field::new("het", list(), true),
        Field::new("hom_alt", list(), true),
        Field::new("missing", list(), true),
        Field::new("haploid", list(), true),
        Field::new("dense", DataType::Binary, true),
    ]))
}

fn sample_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("sample_index", DataType::UInt32, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("batch", DataType::UInt32, false),
    ]))
}

impl Store {
    /// Opens (creating if needed) the store at `root`.
    pub fn open(root: impl AsRef<Path>) -> Result<Self, VariantsError> {
        let root = root.as_ref().to_path_buf();
        fs::create_dir_all(&root).map_err(|e| VariantsError::io(&root, e))?;
        let mpath = root.join(MANIFEST);
        let manifest = match fs::read(&mpath) {
            Ok(b) => {
                let m: Manifest = serde_json::from_slice(&b).map_err(|e| VariantsError::Store {
                    path: mpath.clone(),
                    message: e.to_string(),
                })?;
                if m.format != FORMAT || m.bin_size != BIN_SIZE {
                    return Err(VariantsError::Store {
                        path: mpath,
                        message: format!("unsupported format {} (bin {})", m.format, m.bin_size),
                    });
                }
                m
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Manifest {
                format: FORMAT.into(),
                bin_size: BIN_SIZE,
                batches: vec![],
            },
            Err(e) => return Err(VariantsError::io(mpath, e)),
        };
        let mut samples = Vec::new();
        for b in &manifest.batches {
            let p = root.join(samples_file(b.id));
            let f = File::open(&p).map_err(|e| VariantsError::io(&p, e))?;
            let r = ParquetRecordBatchReaderBuilder::try_new(f)
                .and_then(|b| b.build())
                .map_err(|e| VariantsError::parquet(&p, e))?;
            for rb in r {
                let rb = rb.map_err(|e| VariantsError::parquet(&p, e))?;
                let idx = rb.column(0).as_primitive::<UInt32Type>();
                let name = rb.column(1).as_string::<i32>();
                let batch = rb.column(2).as_primitive::<UInt32Type>();
                for i in 0..rb.num_rows() {
                    samples.push(SampleEntry {
                        index: idx.value(i),
                        name: name.value(i).to_string(),
                        batch: batch.value(i),
                    });
                }
            }
        }
        samples.sort_by_key(|s| s.index);
        Ok(Self {
            root,
            manifest,
            samples,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Every sample, by global index.
    pub fn samples(&self) -> &[SampleEntry] {
        &self.samples
    }

    /// A mask of every sample.
    pub fn mask_all(&self) -> SampleMask {
        SampleMask::all(self.samples.len())
    }

    /// A mask of the samples of batches of one origin (germline frequencies
    /// count germline batches only).
    pub fn mask_origin(&self, origin: Origin) -> SampleMask {
        let mut mask = SampleMask::none(self.samples.len());
        for b in self.manifest.batches.iter().filter(|b| b.origin == origin) {
            for i in b.sample_offset..b.sample_offset + b.n_samples {
                mask.insert(i);
            }
        }
        mask
    }

    /// A mask of the named samples; unknown names are an error naming them.
    pub fn mask_of<S: AsRef<str>>(&self, names: &[S]) -> Result<SampleMask, VariantsError> {
        // a name may be a germline sample and a tumour: both are marked
        let mut by_name: HashMap<&str, Vec<u32>> = HashMap::new();
        for s in &self.samples {
            by_name.entry(s.name.as_str()).or_default().push(s.index);
        }
        let mut mask = SampleMask::none(self.samples.len());
        let mut unknown = Vec::new();
        for n in names {
            match by_name.get(n.as_ref()) {
                Some(ix) => ix.iter().for_each(|&i| mask.insert(i)),
                None => unknown.push(n.as_ref().to_string()),
            }
        }
        if !unknown.is_empty() {
            return Err(VariantsError::UnknownSamples(unknown.join(", ")));
        }
        Ok(mask)
    }

    /// Loads one VCF/BCF as a new batch. Refuses a file already loaded (same
    /// SHA-256) and samples already present; nothing is stored on any error.
    pub fn load(
        &mut self,
        path: &Path,
        opts: LoadOptions<'_>,
    ) -> Result<LoadReport, VariantsError> {
        let _lock = Lock::take(&self.root)?;
        // Re-read the manifest under the lock: another process may have loaded.
        *self = Store::open(&self.root)?;
        let sha256 = sha256_file(path)?;
        if let Some(b) = self.manifest.batches.iter().find(|b| b.sha256 == sha256) {
            return Err(VariantsError::AlreadyLoaded {
                path: path.into(),
                batch: b.id,
                sha256,
            });
        }
        self.remove_orphans()?;
        let mut reader = VariantReader::open(path)?;
        let columns = match (&opts.columns, opts.origin) {
            (Some(c), _) => Some(c.clone()),
            (None, Origin::Germline) => None,
            (None, Origin::Somatic) => {
                let names = reader.file_samples();
                let t = crate::somatic::tumour_columns(reader.header(), &names).ok_or_else(|| {
                    VariantsError::Input {
                        path: path.into(),
                        record: 0,
                        message: format!(
                            "cannot tell the tumour column among {} (no ##tumor_sample, no TUMOR column): name it",
                            names.join(", ")
                        ),
                    }
                })?;
                Some(t.into_iter().map(|i| (i, names[i].clone())).collect())
            }
        };
        if let Some(c) = &columns {
            reader.select_columns(c)?;
        }
        if opts.origin == Origin::Somatic {
            reader.somatic_calls();
        }
        // a participant has one germline sample, and may have tumours too
        let origin_of: HashMap<u32, Origin> = self
            .manifest
            .batches
            .iter()
            .map(|b| (b.id, b.origin))
            .collect();
        let known: HashSet<&str> = self
            .samples
            .iter()
            .filter(|s| origin_of.get(&s.batch) == Some(&opts.origin))
            .map(|s| s.name.as_str())
            .collect();
        let mut seen = HashSet::new();
        let dups: Vec<&str> = reader
            .samples()
            .iter()
            .map(String::as_str)
            .filter(|n| known.contains(n) || !seen.insert(*n))
            .collect();
        if !dups.is_empty() {
            return Err(VariantsError::DuplicateSamples {
                path: path.into(),
                names: dups.join(", "),
            });
        }
        let id = self
            .manifest
            .batches
            .iter()
            .map(|b| b.id + 1)
            .max()
            .unwrap_or(0);
        let offset = self.samples.len() as u32;
        let n = reader.samples().len() as u32;
        let mut normaliser = match &opts.reference {
            Some(r) => Some(Normaliser::open(r)?),
            None => None,
        };
        let mut writer = BatchWriter::new(&self.root, id, offset, n, path, &opts, &sha256);
        let result = load_rows(
            &mut reader,
            &mut writer,
            normaliser.as_mut(),
            path,
            opts.layout,
            offset,
            opts.progress,
        );
        let (n_records, skipped) = match result {
            Ok(x) => x,
            Err(e) => {
                writer.abort();
                return Err(e);
            }
        };
        let sample_names = reader.samples().to_vec();
        let files = match writer.finish(&sample_names) {
            Ok(f) => f,
            Err(e) => {
                return Err(e);
            }
        };
        let info = BatchInfo {
            id,
            source_file: path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            sha256,
            pipeline: opts.pipeline.clone(),
            reference_version: opts.reference_version.clone(),
            normalised: opts.reference.is_some(),
            sample_offset: offset,
            n_samples: n,
            n_records,
            n_rows: files.1,
            skipped_reference_blocks: skipped,
            origin: opts.origin,
            filtered_records: reader.filtered_records(),
            loaded_at: time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            files: files.0,
        };
        let mut manifest = self.manifest.clone();
        manifest.batches.push(info.clone());
        let bytes = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
        write_atomic(&self.root.join(MANIFEST), &bytes)?;
        *self = Store::open(&self.root)?;
        Ok(LoadReport { batch: info })
    }

    /// Deletes data files of batches not in the manifest (a crashed load) and
    /// temporary files.
    fn remove_orphans(&self) -> Result<(), VariantsError> {
        let ids: HashSet<u32> = self.manifest.batches.iter().map(|b| b.id).collect();
        let mut stack = vec![self.root.join("variants"), self.root.join("samples")];
        while let Some(dir) = stack.pop() {
            let Ok(rd) = fs::read_dir(&dir) else { continue };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let name = e.file_name().to_string_lossy().into_owned();
                let keep = !name.ends_with(".tmp")
                    && batch_of_file(&name).is_some_and(|b| ids.contains(&b));
                if !keep {
                    fs::remove_file(&p).map_err(|e| VariantsError::io(&p, e))?;
                }
            }
        }
        Ok(())
    }

    /// Allele counts of every stored allele whose POS lies in `region`,
    /// counted over `mask`, handed to `visit` in position order. Only the
    /// bins overlapping the region are opened, one at a time.
    pub fn freq(
        &self,
        region: &Region,
        mask: &SampleMask,
        mut visit: impl FnMut(AlleleFreq),
    ) -> Result<(), VariantsError> {
        let scan = Scan {
            masks: &[mask],
            carriers: false,
            after: None,
            limit: None,
            batches: None,
        };
        self.scan_alleles(region, &scan, &mut |_| true, &mut |a| {
            visit(AlleleFreq::from(a))
        })?;
        Ok(())
    }

    /// As [`Store::freq`], with the carriers of each allele: the global
    /// indices of the counted samples holding at least one copy of the ALT,
    /// ascending (for callers with row-level access).
    pub fn freq_carriers(
        &self,
        region: &Region,
        mask: &SampleMask,
        mut visit: impl FnMut(AlleleFreq, Vec<u32>),
    ) -> Result<(), VariantsError> {
        let scan = Scan {
            masks: &[mask],
            carriers: true,
            after: None,
            limit: None,
            batches: None,
        };
        self.scan_alleles(region, &scan, &mut |_| true, &mut |mut a| {
            let who = std::mem::take(&mut a.carriers);
            visit(AlleleFreq::from(a), who)
        })?;
        Ok(())
    }

    /// The chromosome names the store holds rows for, sorted.
    pub fn chromosomes(&self) -> Result<Vec<String>, VariantsError> {
        let dir = self.root.join("variants");
        let mut out = Vec::new();
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(VariantsError::io(&dir, e)),
        };
        for e in rd {
            let e = e.map_err(|e| VariantsError::io(&dir, e))?;
            if let Some(c) = e
                .file_name()
                .to_str()
                .and_then(|n| n.strip_prefix("chrom="))
                .and_then(decode)
            {
                out.push(c);
            }
        }
        out.sort();
        Ok(out)
    }

    /// `name` as the store spells it: itself if stored, else the stored
    /// alias (`chr20` ↔ `20`, `chrM` ↔ `MT`); `None` when the store holds
    /// no rows under any spelling.
    pub fn resolve_chrom(&self, name: &str) -> Result<Option<String>, VariantsError> {
        let have = self.chromosomes()?;
        Ok(chrom_aliases(name)
            .into_iter()
            .find(|a| have.iter().any(|h| h == a)))
    }

    /// Counts every stored allele whose POS lies in `region` over each mask
    /// of `scan` in one pass over the rows, and hands the alleles `keep`
    /// accepts to `visit` in the store's allele order (position, then first
    /// stored). With a limit, stops after that many and returns the cursor
    /// to resume from when more kept alleles follow (`None`: the region is
    /// done). Memory holds one 1 Mb bin's alleles at a time, whatever the
    /// region's size.
    pub fn scan_alleles(
        &self,
        region: &Region,
        scan: &Scan<'_>,
        keep: &mut dyn FnMut(&AlleleCounts) -> bool,
        visit: &mut dyn FnMut(AlleleCounts),
    ) -> Result<Option<Cursor>, VariantsError> {
        let chrom = region.name().to_string();
        let interval = region.interval();
        let start = interval.start().map_or(1, |p| usize::from(p) as u32);
        let end = interval
            .end()
            .map_or(i32::MAX as u32, |p| usize::from(p) as u32);
        if start > end {
            return Err(VariantsError::Region {
                region: region.to_string(),
                message: "start after end".into(),
            });
        }
        // resume at the cursor's position (its earlier alleles are skipped below)
        let from = scan.after.map_or(start, |c| c.pos.max(start));
        if from > end {
            return Ok(None);
        }
        let limit = scan.limit.map(|l| l.max(1));
        let ids: HashSet<u32> = self
            .manifest
            .batches
            .iter()
            .map(|b| b.id)
            .filter(|id| scan.batches.is_none_or(|only| only.contains(id)))
            .collect();
        let masks: HashMap<u32, Vec<BatchMask>> = self
            .manifest
            .batches
            .iter()
            .map(|b| {
                let per_mask = scan
                    .masks
                    .iter()
                    .map(|m| BatchMask::new(m, b.sample_offset, b.n_samples))
                    .collect();
                (b.id, per_mask)
            })
            .collect();
        let chrom_dir = self
            .root
            .join("variants")
            .join(format!("chrom={}", encode(&chrom)));
        if !chrom_dir.is_dir() {
            return Ok(None);
        }
        // The bins present, so a whole-chromosome query does not walk 2^31/1Mb names.
        let mut bins = BTreeSet::new();
        for e in fs::read_dir(&chrom_dir).map_err(|e| VariantsError::io(&chrom_dir, e))? {
            let e = e.map_err(|e| VariantsError::io(&chrom_dir, e))?;
            if let Some(b) = e
                .file_name()
                .to_str()
                .and_then(|n| n.strip_prefix("bin="))
                .and_then(|n| n.parse::<u32>().ok())
            {
                bins.insert(b);
            }
        }
        let mut emitted = 0usize;
        let mut last: Option<Cursor> = None;
        for bin in bins.range(from / BIN_SIZE..=end / BIN_SIZE) {
            let dir = chrom_dir.join(format!("bin={bin}"));
            let mut files: Vec<((u32, u32), PathBuf)> = fs::read_dir(&dir)
                .map_err(|e| VariantsError::io(&dir, e))?
                .flatten()
                .filter_map(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    let key = file_order(&n)?;
                    (!n.ends_with(".tmp") && ids.contains(&key.0)).then(|| (key, e.path()))
                })
                .collect();
            // batches in the order they were loaded, so the order of the
            // alleles at one position never changes as batches are added
            files.sort();
            let mut index: HashMap<(u32, String, String), usize> = HashMap::new();
            let mut out: Vec<AlleleCounts> = Vec::new();
            for (_, f) in files {
                scan_file(&f, from, end, scan, &masks, &mut |pos, r, a, c, who| {
                    let key = (pos, r.to_string(), a.to_string());
                    match index.get(&key) {
                        Some(&i) => {
                            for (x, y) in out[i].counts.iter_mut().zip(c) {
                                *x += *y;
                            }
                            out[i].carriers.extend_from_slice(who);
                        }
                        None => {
                            index.insert(key, out.len());
                            out.push(AlleleCounts {
                                chrom: chrom.clone(),
                                pos,
                                reference: r.to_string(),
                                alt: a.to_string(),
                                counts: c.to_vec(),
                                carriers: who.to_vec(),
                            });
                        }
                    }
                })?;
            }
            drop(index);
            out.sort_by_key(|a| a.pos);
            // the alleles at the cursor's position up to the cursor were on
            // the previous page
            let skip = scan.after.map_or(0, |c| {
                out.iter()
                    .take_while(|a| a.pos == c.pos)
                    .position(|a| a.reference == c.reference && a.alt == c.alt)
                    .map_or(0, |i| i + 1)
            });
            for mut a in out.into_iter().skip(skip) {
                if !keep(&a) {
                    continue;
                }
                if limit.is_some_and(|l| emitted >= l) {
                    // a kept allele follows the full page
                    return Ok(last);
                }
                a.carriers.sort_unstable();
                last = Some(a.cursor());
                emitted += 1;
                visit(a);
            }
        }
        Ok(None)
    }
}

impl From<AlleleCounts> for AlleleFreq {
    fn from(a: AlleleCounts) -> Self {
        Self {
            chrom: a.chrom,
            pos: a.pos,
            reference: a.reference,
            alt: a.alt,
            counts: a.counts.first().copied().unwrap_or_default(),
        }
    }
}

/// Receives (POS, REF, ALT, counts per mask, carriers) for each row read.
type Emit<'a> = dyn FnMut(u32, &str, &str, &[Counts], &[u32]) + 'a;

/// Reads the rows of one file with POS in `[start, end]`, skipping row
/// groups whose POS statistics lie outside, and counts each over every mask.
fn scan_file(
    path: &Path,
    start: u32,
    end: u32,
    scan: &Scan<'_>,
    masks: &HashMap<u32, Vec<BatchMask>>,
    emit: &mut Emit<'_>,
) -> Result<(), VariantsError> {
    let mut who: Vec<u32> = Vec::new();
    let mut counts: Vec<Counts> = Vec::with_capacity(scan.masks.len());
    let pq = |e| VariantsError::parquet(path, e);
    let f = File::open(path).map_err(|e| VariantsError::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(f).map_err(pq)?;
    let md = builder.metadata().clone();
    let groups: Vec<usize> = (0..md.num_row_groups())
        .filter(|&i| match md.row_group(i).column(1).statistics() {
            Some(Statistics::Int32(s)) => match (s.min_opt(), s.max_opt()) {
                (Some(&lo), Some(&hi)) => hi as u32 >= start && lo as u32 <= end,
                _ => true,
            },
            _ => true,
        })
        .collect();
    if groups.is_empty() {
        return Ok(());
    }
    let reader = builder
        .with_row_groups(groups)
        .with_batch_size(4096)
        .build()
        .map_err(pq)?;
    for rb in reader {
        let rb = rb.map_err(|e| VariantsError::parquet(path, e))?;
        let pos = rb.column(1).as_primitive::<Int32Type>();
        let r = rb.column(2).as_string::<i32>();
        let a = rb.column(3).as_string::<i32>();
        let batch = rb.column(4).as_primitive::<UInt32Type>();
        let offset = rb.column(5).as_primitive::<UInt32Type>();
        let het = rb.column(9).as_list::<i32>();
        let hom = rb.column(10).as_list::<i32>();
        let miss = rb.column(11).as_list::<i32>();
        let hap = rb.column(12).as_list::<i32>();
        let dense = rb.column(13).as_binary::<i32>();
        let list_values =
            |l: &arrow_array::ListArray| l.values().as_primitive::<UInt32Type>().values().clone();
        let (hv, mv, sv, pv) = (
            list_values(het),
            list_values(hom),
            list_values(miss),
            list_values(hap),
        );
        let slice = |l: &arrow_array::ListArray, v: &[u32], i: usize| -> std::ops::Range<usize> {
            let o = l.value_offsets();
            let _ = v;
            o[i] as usize..o[i + 1] as usize
        };
        for i in 0..rb.num_rows() {
            let p = pos.value(i) as u32;
            if p < start || p > end {
                continue;
            }
            let Some(bms) = masks.get(&batch.value(i)) else {
                continue;
            };
            let haploid = &pv[slice(hap, &pv, i)];
            who.clear();
            if let (true, Some(mask)) = (scan.carriers, scan.masks.first()) {
                if dense.is_valid(i) {
                    let packed = dense.value(i);
                    let off = offset.value(i);
                    for k in 0..(packed.len() * 4) {
                        let code = (packed[k / 4] >> (2 * (k % 4))) & 3;
                        let g = off + k as u32;
                        if (code == HET || code == HOM_ALT) && mask.contains(g) {
                            who.push(g);
                        }
                    }
                } else {
                    who.extend(
                        hv[slice(het, &hv, i)]
                            .iter()
                            .chain(&mv[slice(hom, &mv, i)])
                            .filter(|&&g| mask.contains(g)),
                    );
                }
            }
            counts.clear();
            for (mask, bm) in scan.masks.iter().zip(bms) {
                counts.push(if dense.is_valid(i) {
                    count_dense(mask, bm, offset.value(i), dense.value(i), haploid)
                } else {
                    count_sparse(
                        mask,
                        bm,
                        &hv[slice(het, &hv, i)],
                        &mv[slice(hom, &mv, i)],
                        &sv[slice(miss, &sv, i)],
                        haploid,
                    )
                });
            }
            emit(p, r.value(i), a.value(i), &counts, &who);
        }
    }
    Ok(())
}

/// Where a data file comes in the allele order: (batch id, part), part 1
/// for `batch-<id>.parquet`.
fn file_order(name: &str) -> Option<(u32, u32)> {
    let rest = name.strip_prefix("batch-")?.strip_suffix(".parquet")?;
    let mut it = rest.split('-');
    let batch = it.next()?.parse().ok()?;
    let part = match it.next() {
        None => 1,
        Some(p) => p.parse().ok()?,
    };
    Some((batch, part))
}

/// Undoes [`encode`] (`None` for a malformed name).
fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The batch id in a data file name (`batch-<id>.parquet`, `batch-<id>-<part>.parquet`).
fn batch_of_file(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("batch-")?.strip_suffix(".parquet")?;
    rest.split('-').next()?.parse().ok()
}

pub(crate) fn samples_file(id: u32) -> String {
    format!("samples/batch-{id}.parquet")
}

/// Percent-encodes a chromosome name for a directory (keeps `[A-Za-z0-9._-]`).
fn encode(chrom: &str) -> String {
    let mut s = String::new();
    for b in chrom.bytes() {
        if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

fn sha256_file(path: &Path) -> Result<String, VariantsError> {
    let mut f = File::open(path).map_err(|e| VariantsError::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let k = f.read(&mut buf).map_err(|e| VariantsError::io(path, e))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Writes `bytes` to `path` via a temporary file, fsync and rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), VariantsError> {
    let tmp = path.with_extension("json.tmp");
    let mut f = File::create(&tmp).map_err(|e| VariantsError::io(&tmp, e))?;
    f.write_all(bytes).map_err(|e| VariantsError::io(&tmp, e))?;
    f.sync_all().map_err(|e| VariantsError::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| VariantsError::io(path, e))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

fn sync_dir(dir: &Path) -> Result<(), VariantsError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| VariantsError::io(dir, e))
}

/// An exclusive lock on the store for the length of a load: an OS file lock
/// on `.lock` (the file stays; the lock goes with the process, so a load
/// killed half-way never leaves the store locked). A second load waits.
struct Lock(#[allow(dead_code)] File);

impl Lock {
    fn take(root: &Path) -> Result<Self, VariantsError> {
        let p = root.join(".lock");
        let f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&p)
            .map_err(|e| VariantsError::io(&p, e))?;
        f.lock().map_err(|e| VariantsError::io(&p, e))?;
        Ok(Self(f))
    }
}

/// Streams sites into rows; returns (records read, reference blocks skipped).
fn load_rows(
    reader: &mut VariantReader,
    writer: &mut BatchWriter,
    mut normaliser: Option<&mut Normaliser>,
    path: &Path,
    layout: Layout,
    offset: u32,
    mut progress: Option<&mut dyn FnMut(u64, u64)>,
) -> Result<(u64, u64), VariantsError> {
    let mut site = Site::default();
    let n = reader.samples().len();
    let mut codes = vec![REF; n];
    let mut haploid = vec![false; n];
    let (mut records, mut skipped) = (0u64, 0u64);
    while reader.next_site(&mut site)? {
        records += 1;
        if records % 4096 == 0
            && let Some(p) = progress.as_mut()
        {
            p(reader.bytes_read(), records);
        }
        let real = |a: &String| a != "<NON_REF>" && a != "<*>";
        if !site.alts.iter().any(real) {
            skipped += 1;
            continue;
        }
        if let Some(nm) = normaliser.as_mut() {
            nm.check_ref(path, &site)?;
        }
        for (k, alt) in site.alts.iter().enumerate() {
            if !real(alt) {
                continue;
            }
            let k = (k + 1) as i16;
            let (mut ac, mut an) = (0u32, 0u32);
            for (s, al) in site.alleles.iter().enumerate() {
                let called = al.iter().filter(|&&a| a >= 0).count() as u32;
                let alt_n = al.iter().filter(|&&a| a == k).count() as u32;
                an += called;
                ac += alt_n;
                haploid[s] = called == 1;
                codes[s] = match (called, alt_n) {
                    (0, _) => MISSING,
                    (c, a) if a == c => HOM_ALT,
                    (_, 0) => REF,
                    _ => HET,
                };
                debug_assert!(al[0] != ABSENT_ALLELE && al[0] >= MISSING_ALLELE);
            }
            let g = RowGenotypes::from_codes(&codes, &haploid, offset, layout);
            let (pos, r, a) = match normaliser.as_mut() {
                Some(nm) => nm.left_align(&site.chrom, site.pos, &site.reference, alt)?,
                None => (site.pos, site.reference.clone(), alt.clone()),
            };
            writer.push(&site.chrom, pos, &r, &a, ac, an, &g)?;
        }
    }
    if let Some(p) = progress.as_mut() {
        p(reader.bytes_read(), records);
    }
    Ok((records, skipped))
}

struct Builders {
    chrom: StringBuilder,
    pos: Int32Builder,
    r: StringBuilder,
    a: StringBuilder,
    batch: UInt32Builder,
    offset: UInt32Builder,
    n: UInt32Builder,
    ac: UInt32Builder,
    an: UInt32Builder,
    het: ListBuilder<UInt32Builder>,
    hom: ListBuilder<UInt32Builder>,
    miss: ListBuilder<UInt32Builder>,
    hap: ListBuilder<UInt32Builder>,
    dense: BinaryBuilder,
    rows: usize,
}

impl Builders {
    fn new() -> Self {
        Self {
            chrom: StringBuilder::new(),
            pos: Int32Builder::new(),
            r: StringBuilder::new(),
            a: StringBuilder::new(),
            batch: UInt32Builder::new(),
            offset: UInt32Builder::new(),
            n: UInt32Builder::new(),
            ac: UInt32Builder::new(),
            an: UInt32Builder::new(),
            het: ListBuilder::new(UInt32Builder::new()),
            hom: ListBuilder::new(UInt32Builder::new()),
            miss: ListBuilder::new(UInt32Builder::new()),
            hap: ListBuilder::new(UInt32Builder::new()),
            dense: BinaryBuilder::new(),
            rows: 0,
        }
    }

    fn take(&mut self, schema: &SchemaRef) -> RecordBatch {
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.chrom.finish()),
            Arc::new(self.pos.finish()),
            Arc::new(self.r.finish()),
            Arc::new(self.a.finish()),
            Arc::new(self.batch.finish()),
            Arc::new(self.offset.finish()),
            Arc::new(self.n.finish()),
            Arc::new(self.ac.finish()),
            Arc::new(self.an.finish()),
            Arc::new(self.het.finish()),
            Arc::new(self.hom.finish()),
            Arc::new(self.miss.finish()),
            Arc::new(self.hap.finish()),
            Arc::new(self.dense.finish()),
        ];
        self.rows = 0;
        RecordBatch::try_new(schema.clone(), cols).expect("columns match the schema")
    }
}

struct OpenFile {
    key: (String, u32),
    tmp: PathBuf,
    rel: String,
    writer: ArrowWriter<File>,
}

/// Writes one batch's files under temporary names, one bin at a time.
struct BatchWriter {
    root: PathBuf,
    id: u32,
    offset: u32,
    n: u32,
    schema: SchemaRef,
    props: WriterProperties,
    b: Builders,
    open: Option<OpenFile>,
    parts: HashMap<(String, u32), u32>,
    done: Vec<(PathBuf, String)>,
    rows: u64,
}

impl BatchWriter {
    fn new(
        root: &Path,
        id: u32,
        offset: u32,
        n: u32,
        source: &Path,
        opts: &LoadOptions<'_>,
        sha256: &str,
    ) -> Self {
        let kv = |k: &str, v: &str| KeyValue::new(k.to_string(), v.to_string());
        let rows_per_group =
            (GROUP_BYTES / (n as usize / 4).max(1)).clamp(ROWS_PER_GROUP.0, ROWS_PER_GROUP.1);
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(rows_per_group))
            // 2-bit genotype blobs do not repeat exactly: a dictionary only costs
            .set_column_dictionary_enabled(ColumnPath::from("dense"), false)
            .set_compression(parquet::basic::Compression::SNAPPY)
            .set_key_value_metadata(Some(vec![
                kv("zenome.format", FORMAT),
                kv("zenome.batch", &id.to_string()),
                kv(
                    "zenome.source_file",
                    &source.file_name().unwrap_or_default().to_string_lossy(),
                ),
                kv("zenome.sha256", sha256),
                kv("zenome.pipeline", &opts.pipeline),
                kv("zenome.reference_version", &opts.reference_version),
            ]))
            .build();
        Self {
            root: root.into(),
            id,
            offset,
            n,
            schema: variant_schema(),
            props,
            b: Builders::new(),
            open: None,
            parts: HashMap::new(),
            done: Vec::new(),
            rows: 0,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        chrom: &str,
        pos: u32,
        r: &str,
        a: &str,
        ac: u32,
        an: u32,
        g: &RowGenotypes,
    ) -> Result<(), VariantsError> {
        let bin = pos / BIN_SIZE;
        let same = self
            .open
            .as_ref()
            .is_some_and(|o| o.key.1 == bin && o.key.0 == chrom);
        if !same {
            self.close_file()?;
            self.open_file(chrom, bin)?;
        }
        let b = &mut self.b;
        b.chrom.append_value(chrom);
        b.pos.append_value(pos as i32);
        b.r.append_value(r);
        b.a.append_value(a);
        b.batch.append_value(self.id);
        b.offset.append_value(self.offset);
        b.n.append_value(self.n);
        b.ac.append_value(ac);
        b.an.append_value(an);
        let dense = g.dense.is_some();
        for (l, v) in [
            (&mut b.het, &g.het),
            (&mut b.hom, &g.hom_alt),
            (&mut b.miss, &g.missing),
        ] {
            if dense {
                l.append_null();
            } else {
                l.values().append_slice(v);
                l.append(true);
            }
        }
        b.hap.values().append_slice(&g.haploid);
        b.hap.append(true);
        b.dense.append_option(g.dense.as_deref());
        b.rows += 1;
        self.rows += 1;
        if b.rows >= ROWS_PER_FLUSH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), VariantsError> {
        if self.b.rows == 0 {
            return Ok(());
        }
        let rb = self.b.take(&self.schema);
        let o = self
            .open
            .as_mut()
            .expect("a file is open while rows are buffered");
        o.writer
            .write(&rb)
            .map_err(|e| VariantsError::parquet(&o.tmp, e))
    }

    fn open_file(&mut self, chrom: &str, bin: u32) -> Result<(), VariantsError> {
        let key = (chrom.to_string(), bin);
        let part = self.parts.entry(key.clone()).or_insert(0);
        *part += 1;
        let dir = format!("variants/chrom={}/bin={bin}", encode(chrom));
        let name = if *part == 1 {
            format!("batch-{}.parquet", self.id)
        } else {
            format!("batch-{}-{}.parquet", self.id, part)
        };
        let rel = format!("{dir}/{name}");
        let full_dir = self.root.join(&dir);
        fs::create_dir_all(&full_dir).map_err(|e| VariantsError::io(&full_dir, e))?;
        let tmp = self.root.join(format!("{rel}.tmp"));
        let f = File::create(&tmp).map_err(|e| VariantsError::io(&tmp, e))?;
        let writer = ArrowWriter::try_new(f, self.schema.clone(), Some(self.props.clone()))
            .map_err(|e| VariantsError::parquet(&tmp, e))?;
        self.open = Some(OpenFile {
            key,
            tmp,
            rel,
            writer,
        });
        Ok(())
    }

    fn close_file(&mut self) -> Result<(), VariantsError> {
        self.flush()?;
        if let Some(o) = self.open.take() {
            let f = o
                .writer
                .into_inner()
                .map_err(|e| VariantsError::parquet(&o.tmp, e))?;
            f.sync_all().map_err(|e| VariantsError::io(&o.tmp, e))?;
            self.done.push((o.tmp, o.rel));
        }
        Ok(())
    }

    /// Removes every temporary file written so far.
    fn abort(&mut self) {
        if let Some(o) = self.open.take() {
            let _ = fs::remove_file(&o.tmp);
        }
        for (tmp, _) in &self.done {
            let _ = fs::remove_file(tmp);
        }
    }

    /// Closes the files, writes the sample table, renames everything into
    /// place; returns (relative file names, rows).
    fn finish(mut self, names: &[String]) -> Result<(Vec<String>, u64), VariantsError> {
        let r = self.finish_inner(names);
        if r.is_err() {
            self.abort();
        }
        r
    }

    fn finish_inner(&mut self, names: &[String]) -> Result<(Vec<String>, u64), VariantsError> {
        self.close_file()?;
        let rel = samples_file(self.id);
        let sdir = self.root.join("samples");
        fs::create_dir_all(&sdir).map_err(|e| VariantsError::io(&sdir, e))?;
        let tmp = self.root.join(format!("{rel}.tmp"));
        let rb = RecordBatch::try_new(
            sample_schema(),
            vec![
                Arc::new(arrow_array::UInt32Array::from_iter_values(
                    (0..names.len() as u32).map(|i| self.offset + i),
                )),
                Arc::new(arrow_array::StringArray::from_iter_values(names)),
                Arc::new(arrow_array::UInt32Array::from_iter_values(
                    std::iter::repeat_n(self.id, names.len()),
                )),
            ],
        )
        .expect("sample columns match");
        let f = File::create(&tmp).map_err(|e| VariantsError::io(&tmp, e))?;
        let mut w = ArrowWriter::try_new(f, sample_schema(), Some(self.props.clone()))
            .map_err(|e| VariantsError::parquet(&tmp, e))?;
        w.write(&rb).map_err(|e| VariantsError::parquet(&tmp, e))?;
        let f = w
            .into_inner()
            .map_err(|e| VariantsError::parquet(&tmp, e))?;
        f.sync_all().map_err(|e| VariantsError::io(&tmp, e))?;
        self.done.push((tmp, rel));
        let mut dirs = BTreeSet::new();
        let mut files = Vec::new();
        for (tmp, rel) in &self.done {
            let dst = self.root.join(rel);
            fs::rename(tmp, &dst).map_err(|e| VariantsError::io(&dst, e))?;
            if let Some(d) = dst.parent() {
                dirs.insert(d.to_path_buf());
            }
            files.push(rel.clone());
        }
        for d in dirs {
            sync_dir(&d)?;
        }
        Ok((files, self.rows))
    }
}
