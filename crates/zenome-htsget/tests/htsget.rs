//! Plans region queries on real public files, concatenates the planned pieces and checks the
//! result with samtools, bcftools and tabix: a valid file, and the same records overlapping the
//! region as the original. Also checks `build_index` against the index files shipped with the
//! data and those the tools write, and the htsget error cases.
//!
//! Data come from one setting, `ZENOME_TESTDATA` (default: the shared data folder beside the
//! project). Without the data or the tools the tests fail under `CI` and are skipped elsewhere.

use std::{
    env,
    fs::{self, File},
    io::{self, Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
    process::Command,
};

use noodles::{bam, cram};
use noodles_bgzf as bgzf;
use tempfile::TempDir;
use zenome_htsget::{Class, Format, HtsgetError, Piece, Query, build_index, piece_classes, plan};

// ---------------------------------------------------------------------------------------------
// Environment

struct Env {
    data: PathBuf,
    tmp: TempDir,
}

impl Env {
    /// The data folder and the tools, or `None` (after a notice) when they are missing outside
    /// CI.
    fn new() -> Option<Self> {
        let in_ci = env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");

        let data = env::var_os("ZENOME_TESTDATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));

        if !data.join("align/htslib/range.bam").is_file() {
            let message = format!(
                "test data not found at {} (set ZENOME_TESTDATA)",
                data.display()
            );
            assert!(!in_ci, "{message}");
            eprintln!("skipping: {message}");
            return None;
        }

        for tool in ["samtools", "bcftools", "tabix"] {
            let found = Command::new(tool)
                .arg("--version")
                .output()
                .is_ok_and(|output| output.status.success());

            if !found {
                let message =
                    format!("{tool} not found (apt-get install -y samtools bcftools tabix)");
                assert!(!in_ci, "{message}");
                eprintln!("skipping: {message}");
                return None;
            }
        }

        Some(Self {
            data,
            tmp: TempDir::new().expect("a temporary folder"),
        })
    }

    fn data(&self, path: &str) -> PathBuf {
        self.data.join(path)
    }

    fn tmp(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }
}

/// Runs a tool and returns its standard output; panics with its standard error on failure.
fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        // Never fetch references over the network.
        .env("REF_PATH", "/nonexistent/%s")
        .env_remove("REF_CACHE")
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));

    assert!(
        output.status.success(),
        "{program} {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );

    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// Copies a (possibly read-only) data file to a fresh, writable file.
fn copy_writable(src: impl AsRef<Path>, dst: impl AsRef<Path>) {
    let dst = dst.as_ref();
    let _ = fs::remove_file(dst);
    fs::copy(src, dst).expect("a copy");
    let mut permissions = fs::metadata(dst).expect("metadata").permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    permissions.set_readonly(false);
    fs::set_permissions(dst, permissions).expect("writable");
}

fn count_lines(output: &str) -> usize {
    output.lines().filter(|line| !line.is_empty()).count()
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

// ---------------------------------------------------------------------------------------------
// Planning and assembling

fn plan_file(
    format: Format,
    path: &Path,
    index: &[u8],
    query: &Query,
) -> Result<Vec<Piece>, HtsgetError> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    plan(format, file, len, index, query)
}

/// Checks the shape of a plan: ranges within the file, in order and apart; header pieces first;
/// an EOF marker last.
fn check_plan_shape(format: Format, pieces: &[Piece], file_len: u64) {
    assert!(!pieces.is_empty());

    let classes = piece_classes(pieces);
    let first_body = classes
        .iter()
        .position(|class| *class == Class::Body)
        .unwrap_or(classes.len());
    assert!(first_body >= 1, "no header piece: {pieces:?}");
    assert!(
        classes[first_body..]
            .iter()
            .all(|class| *class == Class::Body),
        "header after body: {pieces:?}"
    );

    let mut last_end = 0;

    for piece in pieces {
        match piece {
            Piece::Range(range) => {
                assert!(
                    range.start < range.end && range.end <= file_len,
                    "{range:?}"
                );
                assert!(range.start >= last_end, "ranges out of order: {pieces:?}");
                last_end = range.end;
            }
            Piece::Inline(bytes) => assert!(!bytes.is_empty()),
        }
    }

    match (format, pieces.last()) {
        (_, Some(Piece::Range(range))) => assert_eq!(range.end, file_len, "{pieces:?}"),
        (Format::Cram, Some(Piece::Inline(bytes))) => assert_eq!(bytes.len(), 38),
        (_, Some(Piece::Inline(bytes))) => assert_eq!(bytes.len(), 28),
        (_, None) => unreachable!(),
    }
}

/// Concatenates the pieces into `dst`, as an htsget client would.
fn assemble(src: &Path, pieces: &[Piece], dst: &Path) -> io::Result<u64> {
    let mut file = File::open(src)?;
    let mut out = File::create(dst)?;
    let mut written = 0;

    for piece in pieces {
        match piece {
            Piece::Range(range) => {
                file.seek(SeekFrom::Start(range.start))?;
                written += io::copy(&mut (&mut file).take(range.len()), &mut out)?;
            }
            Piece::Inline(bytes) => {
                out.write_all(bytes)?;
                written += bytes.len() as u64;
            }
        }
    }

    out.flush()?;
    Ok(written)
}

fn planned_bytes(pieces: &[Piece]) -> u64 {
    pieces
        .iter()
        .map(|piece| match piece {
            Piece::Range(range) => range.len(),
            Piece::Inline(bytes) => bytes.len() as u64,
        })
        .sum()
}

fn has_inline_data(pieces: &[Piece]) -> bool {
    let len = pieces.len();
    pieces
        .iter()
        .enumerate()
        .any(|(i, piece)| matches!(piece, Piece::Inline(_)) && i + 1 < len)
}

// ---------------------------------------------------------------------------------------------
// Regions

/// A reference sequence from a header.
#[derive(Debug, Clone)]
struct Contig {
    name: String,
    length: Option<u64>,
}

/// The queries to try on a file: whole contigs, slices of them, open-ended starts and empty
/// ranges, on at most `max` contigs (those with records first).
fn region_queries(contigs: &[Contig], data_span: Option<(u64, u64)>) -> Vec<Query> {
    let mut queries = Vec::new();

    for contig in contigs {
        queries.push(Query::region(&contig.name, None, None));

        let (lo, hi) = match (data_span, contig.length) {
            (Some(span), _) => span,
            (None, Some(length)) => (0, length),
            (None, None) => continue,
        };
        let width = hi.saturating_sub(lo).max(4);

        queries.push(Query::region(
            &contig.name,
            Some(lo + width / 4),
            Some(lo + width / 2),
        ));
        queries.push(Query::region(
            &contig.name,
            Some(lo + width / 3),
            Some(lo + width / 3 + 1),
        ));
        queries.push(Query::region(&contig.name, Some(lo + 2 * width / 3), None));
        queries.push(Query::region(&contig.name, Some(lo), Some(lo)));
        queries.push(Query::region(
            &contig.name,
            Some(0),
            Some(lo + width / 10 + 1),
        ));
    }

    queries
}

/// `samtools`/`bcftools` region syntax for a query (1-based, inclusive).
fn region_string(query: &Query, length: Option<u64>) -> String {
    let name = query.reference_name.as_deref().expect("a reference name");
    let start = query.start.unwrap_or(0);
    let end = query.end.or(length).unwrap_or(u32::MAX as u64);
    format!("{name}:{}-{end}", start + 1)
}

fn sam_contigs(path: &Path) -> Vec<Contig> {
    run("samtools", &["view", "-H", path_str(path)])
        .lines()
        .filter(|line| line.starts_with("@SQ"))
        .map(|line| {
            let field = |tag: &str| {
                line.split('\t')
                    .find_map(|f| f.strip_prefix(tag))
                    .map(str::to_owned)
            };
            Contig {
                name: field("SN:").expect("SN"),
                length: field("LN:").and_then(|n| n.parse().ok()),
            }
        })
        .collect()
}

/// Contigs with mapped reads first, then one without; at most four.
fn alignment_contigs(path: &Path, index_dir: &Path) -> Vec<Contig> {
    let contigs = sam_contigs(path);
    let stats = run(
        "samtools",
        &["idxstats", path_str(&index_dir.join("reference.bam"))],
    );
    let mapped: Vec<&str> = stats
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            (fields.len() == 4 && fields[0] != "*" && fields[2] != "0").then_some(fields[0])
        })
        .collect();

    let mut chosen: Vec<Contig> = contigs
        .iter()
        .filter(|c| mapped.contains(&c.name.as_str()))
        .take(3)
        .cloned()
        .collect();
    chosen.extend(
        contigs
            .iter()
            .find(|c| !mapped.contains(&c.name.as_str()))
            .cloned(),
    );
    chosen
}

// ---------------------------------------------------------------------------------------------
// BAM and CRAM

/// Counts records overlapping a query (BED, so 0-based half-open, streaming without an index)
/// or, for `*`, the unplaced unmapped ones; `None` counts every record.
fn count_alignments(
    path: &Path,
    reference: Option<&Path>,
    query: Option<&Query>,
    work: &Path,
) -> usize {
    let mut args: Vec<String> = vec!["view".into()];

    if let Some(reference) = reference {
        args.extend(["-T".into(), path_str(reference).into()]);
    }

    match query.and_then(|q| q.reference_name.as_deref()) {
        Some("*") => {
            args.push(path_str(path).into());
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            return run("samtools", &args)
                .lines()
                .filter(|line| line.split('\t').nth(2) == Some("*"))
                .count();
        }
        Some(name) => {
            let query = query.expect("a query");
            let start = query.start.unwrap_or(0);
            let end = query.end.unwrap_or(u32::MAX as u64);
            let bed = work.join("region.bed");
            fs::write(&bed, format!("{name}\t{start}\t{end}\n")).expect("a BED file");
            args.extend(["-c".into(), "-L".into(), path_str(&bed).into()]);
        }
        None => args.push("-c".into()),
    }

    args.push(path_str(path).into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run("samtools", &args).trim().parse().expect("a count")
}

struct AlignmentCase<'a> {
    format: Format,
    path: &'a Path,
    reference: Option<&'a Path>,
    index: &'a [u8],
}

/// Plans each query, assembles it, and checks the result with samtools.
fn check_alignment_queries(
    env: &Env,
    case: &AlignmentCase<'_>,
    queries: &[Query],
) -> Vec<Vec<Piece>> {
    let ext = if case.format == Format::Cram {
        "cram"
    } else {
        "bam"
    };
    let result = env.tmp(&format!("result.{ext}"));
    let file_len = fs::metadata(case.path).expect("metadata").len();
    let original_header = run("samtools", &["view", "-H", "--no-PG", path_str(case.path)]);
    let has_targets = original_header.contains("@SQ");
    let mut plans = Vec::new();
    let (mut total, mut found_in_regions) = (0, 0);

    for query in queries {
        let what = format!("{} {query:?}", case.path.display());
        let pieces = plan_file(case.format, case.path, case.index, query)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        check_plan_shape(case.format, &pieces, file_len);
        assemble(case.path, &pieces, &result).expect("assembled");

        // `-u`: files of unmapped reads may have no reference sequences.
        let quickcheck = if has_targets { "-v" } else { "-u" };
        run("samtools", &["quickcheck", quickcheck, path_str(&result)]);
        assert_eq!(
            run("samtools", &["view", "-H", "--no-PG", path_str(&result)]),
            original_header,
            "{what}: header"
        );

        if query.class == Class::Header {
            assert_eq!(
                count_alignments(&result, case.reference, None, env.tmp.path()),
                0,
                "{what}"
            );
        } else {
            let query = query.reference_name.is_some().then_some(query);
            let expected = count_alignments(case.path, case.reference, query, env.tmp.path());
            let actual = count_alignments(&result, case.reference, query, env.tmp.path());
            assert_eq!(actual, expected, "{what}: records overlapping the region");

            match query {
                Some(_) => found_in_regions += expected,
                None => total = expected,
            }
        }

        plans.push(pieces);
    }

    // Not vacuous: some region query found records.
    assert!(
        total == 0 || found_in_regions > 0,
        "{}: no region holds records",
        case.path.display()
    );

    plans
}

/// A copy of `src` in its own folder with our index beside it and samtools' index of it as
/// `reference.bam` (for `idxstats` and expected counts).
fn stage_bam(env: &Env, src: &Path, name: &str) -> (PathBuf, Vec<u8>) {
    let dir = env.tmp(name);
    fs::create_dir_all(&dir).expect("a folder");

    let staged = dir.join("ours.bam");
    copy_writable(src, &staged);
    let index = build_index(Format::Bam, File::open(src).expect("the BAM"))
        .unwrap_or_else(|e| panic!("indexing {}: {e}", src.display()));
    let ext = if index.starts_with(b"BAI\x01") {
        "bai"
    } else {
        "csi"
    };
    fs::write(dir.join(format!("ours.bam.{ext}")), &index).expect("the index");

    let reference = dir.join("reference.bam");
    copy_writable(src, &reference);
    run("samtools", &["index", path_str(&reference)]);

    (staged, index)
}

fn bam_files(env: &Env) -> Vec<PathBuf> {
    let mut files = vec![env.data("align/htslib/range.bam")];
    let mut mpileup: Vec<PathBuf> = fs::read_dir(env.data("align/samtools/mpileup"))
        .expect("the mpileup folder")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "bam"))
        .collect();
    mpileup.sort();
    files.extend(mpileup);
    files
}

fn standard_queries(contigs: &[Contig]) -> Vec<Query> {
    let mut queries = vec![
        Query::whole_file(),
        Query::header(),
        Query::region("*", None, None),
    ];
    queries.extend(region_queries(contigs, None));
    queries
}

#[test]
fn bam_regions_hold_the_same_records_as_samtools_finds() {
    let Some(env) = Env::new() else { return };

    for (i, src) in bam_files(&env).iter().enumerate() {
        let (staged, index) = stage_bam(&env, src, &format!("bam{i}"));
        let dir = staged.parent().expect("a folder");
        let contigs = alignment_contigs(&staged, dir);
        let queries = standard_queries(&contigs);

        let case = AlignmentCase {
            format: Format::Bam,
            path: &staged,
            reference: None,
            index: &index,
        };
        check_alignment_queries(&env, &case, &queries);

        // samtools reads our index and finds what it finds with its own.
        for query in queries
            .iter()
            .filter(|q| q.start.is_some() && q.start != q.end)
        {
            let contig = contigs
                .iter()
                .find(|c| Some(c.name.as_str()) == query.reference_name.as_deref());
            let region = region_string(query, contig.and_then(|c| c.length));
            let ours = run("samtools", &["view", "-c", path_str(&staged), &region]);
            let theirs = run(
                "samtools",
                &["view", "-c", path_str(&dir.join("reference.bam")), &region],
            );
            assert_eq!(ours, theirs, "{} {region}", src.display());
        }
    }
}

#[test]
fn shipped_and_built_bam_indexes_plan_the_same_ranges() {
    let Some(env) = Env::new() else { return };

    for name in [
        "align/htslib/range.bam",
        "align/samtools/mpileup/mpileup.1.bam",
        "align/samtools/mpileup/ce#5b.bam",
    ] {
        let path = env.data(name);
        let shipped = fs::read(path.with_extension("bam.bai")).expect("the shipped BAI");
        let built = build_index(Format::Bam, File::open(&path).expect("the BAM")).expect("a BAI");
        assert!(built.starts_with(b"BAI\x01"));

        let contigs = sam_contigs(&path);
        let mut queries = standard_queries(&contigs);
        queries.retain(|q| q.reference_name.as_deref() != Some("*"));

        for query in &queries {
            let with_shipped = plan_file(Format::Bam, &path, &shipped, query).expect("a plan");
            let with_built = plan_file(Format::Bam, &path, &built, query).expect("a plan");
            assert_eq!(with_built, with_shipped, "{name} {query:?}");
        }
    }
}

/// A BAM rewritten by noodles, whose BGZF writer splits records (and the header) across
/// blocks, unlike htslib's: the planner must re-encode the edges of such blocks.
#[test]
fn bam_with_records_across_blocks_plans_to_valid_files() {
    let Some(env) = Env::new() else { return };

    let src = env.data("align/samtools/mpileup/mpileup.1.bam");
    let rewritten = env.tmp("rewritten.bam");
    {
        let mut reader = bam::io::Reader::new(File::open(&src).expect("the BAM"));
        let header = reader.read_header().expect("a header");
        let mut writer = bam::io::Writer::new(File::create(&rewritten).expect("a file"));
        writer.write_header(&header).expect("written");

        for result in reader.records() {
            writer
                .write_record(&header, &result.expect("a record"))
                .expect("written");
        }

        writer.try_finish().expect("finished");
    }

    let (staged, index) = stage_bam(&env, &rewritten, "rewritten");
    let dir = staged.parent().expect("a folder");
    let contigs = alignment_contigs(&staged, dir);
    let queries = standard_queries(&contigs);
    let case = AlignmentCase {
        format: Format::Bam,
        path: &staged,
        reference: None,
        index: &index,
    };
    let plans = check_alignment_queries(&env, &case, &queries);

    assert!(
        plans.iter().any(|pieces| has_inline_data(pieces)),
        "no plan needed an inline block"
    );
    assert!(
        matches!(plans[1].first(), Some(Piece::Inline(_))),
        "header not inline"
    );
}

#[test]
fn small_regions_plan_fewer_bytes_than_the_file() {
    let Some(env) = Env::new() else { return };

    // 24,990 sites over 3 Mb of chromosome 20.
    let path = env.data("vcf/cohort/shapeit4-1kg-chr20-300samples.vcf.gz");
    let index = build_index(Format::VcfGz, File::open(&path).expect("the VCF")).expect("a TBI");
    let file_len = fs::metadata(&path).expect("metadata").len();

    // bgzip ended the header inside a block: the header and the rest of that block come
    // re-encoded, so the whole file plans to about (not exactly) its own size.
    let whole = plan_file(Format::VcfGz, &path, &index, &Query::whole_file()).expect("a plan");
    assert!(planned_bytes(&whole).abs_diff(file_len) < 1024, "{whole:?}");

    let small = Query::region("20", Some(2_000_000), Some(2_001_000));
    let small = plan_file(Format::VcfGz, &path, &index, &small).expect("a plan");
    assert!(planned_bytes(&small) < file_len / 4, "{small:?}");
}

#[test]
fn cram_regions_hold_the_same_records_as_samtools_finds() {
    let Some(env) = Env::new() else { return };

    let mut cases = vec![("align/htslib/range.cram", "align/htslib/ce.fa")];
    let specs = [
        "1400_index_simple",
        "1401_index_unmapped",
        "1402_index_3ref",
        "1403_index_multiref",
        "1404_index_multislice",
        "1405_index_multisliceref",
        "1406_index_long",
    ];
    let spec_paths: Vec<String> = specs
        .iter()
        .map(|name| format!("align/hts-specs/cram-3.0/passed/{name}.cram"))
        .collect();
    cases.extend(
        spec_paths
            .iter()
            .map(|p| (p.as_str(), "align/hts-specs/ce.fa")),
    );

    for (name, reference) in cases {
        let path = env.data(name);
        let reference = env.data(reference);
        let shipped = fs::read(path.with_extension("cram.crai")).expect("the shipped CRAI");
        let built = build_index(Format::Cram, File::open(&path).expect("the CRAM"))
            .unwrap_or_else(|e| panic!("indexing {name}: {e}"));

        // The same entries as htslib's index.
        assert_eq!(crai_entries(&built), crai_entries(&shipped), "{name}");

        let contigs: Vec<Contig> = sam_contigs(&path).into_iter().take(4).collect();
        let queries = standard_queries(&contigs);

        for query in &queries {
            let with_shipped = plan_file(Format::Cram, &path, &shipped, query).expect("a plan");
            let with_built = plan_file(Format::Cram, &path, &built, query).expect("a plan");
            assert_eq!(with_built, with_shipped, "{name} {query:?}");
        }

        let case = AlignmentCase {
            format: Format::Cram,
            path: &path,
            reference: Some(&reference),
            index: &built,
        };
        check_alignment_queries(&env, &case, &queries);
    }
}

/// Reference id, start, span, container offset, slice landmark, slice length.
type CraiEntry = (Option<usize>, Option<usize>, usize, u64, u64, u64);

/// CRAI entries, comparable: unplaced entries carry no range (htslib writes `0 1`, noodles
/// `0 0`), and the order of a multi-reference slice's entries is free.
fn crai_entries(src: &[u8]) -> Vec<CraiEntry> {
    let index = cram::crai::io::Reader::new(src)
        .read_index()
        .expect("a CRAI");
    let mut entries: Vec<_> = index
        .iter()
        .map(|r| {
            let placed = r.reference_sequence_id().is_some();
            (
                r.reference_sequence_id(),
                r.alignment_start().filter(|_| placed).map(usize::from),
                if placed { r.alignment_span() } else { 0 },
                r.offset(),
                r.landmark(),
                r.slice_length(),
            )
        })
        .collect();
    entries.sort_unstable();
    entries
}

// ---------------------------------------------------------------------------------------------
// VCF and BCF

fn vcf_contigs_and_span(path: &Path) -> (Vec<Contig>, Option<(u64, u64)>) {
    let listing = run(
        "bcftools",
        &["query", "-f", "%CHROM\t%POS\n", path_str(path)],
    );
    let mut contigs: Vec<Contig> = Vec::new();
    let (mut lo, mut hi) = (u64::MAX, 0);

    for line in listing.lines() {
        let (name, pos) = line.split_once('\t').expect("CHROM and POS");
        let pos: u64 = pos.parse().expect("a position");
        lo = lo.min(pos - 1);
        hi = hi.max(pos);

        if contigs.last().is_none_or(|c| c.name != name) {
            contigs.push(Contig {
                name: name.to_owned(),
                length: None,
            });
        }
    }

    (contigs, (hi > 0).then_some((lo, hi)))
}

/// Counts records overlapping a query by streaming (`-t`, record overlap), or all of them.
fn count_variants(path: &Path, query: Option<&Query>) -> usize {
    let mut args = vec!["view".to_owned(), "-H".to_owned()];

    if let Some(query) = query {
        args.extend([
            "-t".into(),
            region_string(query, None),
            "--targets-overlap".into(),
            "1".into(),
        ]);
    }

    args.push(path_str(path).into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    count_lines(&run("bcftools", &args))
}

struct VariantCase<'a> {
    format: Format,
    path: &'a Path,
    index: &'a [u8],
    /// The tool-made index of the same file.
    tool_index: &'a [u8],
}

fn check_variant_queries(env: &Env, case: &VariantCase<'_>) -> Vec<Vec<Piece>> {
    let ext = if case.format == Format::Bcf {
        "bcf"
    } else {
        "vcf.gz"
    };
    let result = env.tmp(&format!("result.{ext}"));
    let file_len = fs::metadata(case.path).expect("metadata").len();
    // Read from a copy without an index: htslib adds `##contig` lines from an index.
    let plain = env.tmp(&format!("plain.{ext}"));
    copy_writable(case.path, &plain);
    let header_of = |path: &Path| run("bcftools", &["view", "-h", "--no-version", path_str(path)]);
    let original_header = header_of(&plain);

    let (contigs, span) = vcf_contigs_and_span(case.path);
    let mut queries = vec![Query::whole_file(), Query::header()];
    queries.extend(region_queries(&contigs, span));

    let mut plans = Vec::new();

    for query in &queries {
        let what = format!("{} {query:?}", case.path.display());
        let pieces = plan_file(case.format, case.path, case.index, query)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        check_plan_shape(case.format, &pieces, file_len);

        let with_tool_index = plan_file(case.format, case.path, case.tool_index, query)
            .unwrap_or_else(|e| panic!("{what} (tool index): {e}"));
        assert_eq!(
            pieces, with_tool_index,
            "{what}: plans from our and the tool's index"
        );

        for ext in ["tbi", "csi"] {
            let _ = fs::remove_file(result.with_extension(format!("gz.{ext}")));
            let _ = fs::remove_file(result.with_extension(format!("bcf.{ext}")));
        }
        assemble(case.path, &pieces, &result).expect("assembled");

        assert_eq!(header_of(&result), original_header, "{what}: header");

        if query.class == Class::Header {
            assert_eq!(count_variants(&result, None), 0, "{what}");
        } else {
            let query = query.reference_name.is_some().then_some(query);
            assert_eq!(
                count_variants(&result, query),
                count_variants(case.path, query),
                "{what}: records overlapping the region"
            );

            // The result is sorted and whole: tabix/bcftools can index it.
            if case.format == Format::Bcf {
                run("bcftools", &["index", "-f", path_str(&result)]);
            } else {
                run("tabix", &["-f", "-p", "vcf", path_str(&result)]);
            }
        }

        plans.push(pieces);
    }

    plans
}

fn bgzip_text(dst: &Path, text: &str) {
    let mut writer = bgzf::io::Writer::new(File::create(dst).expect("a file"));
    writer.write_all(text.as_bytes()).expect("written");
    writer.finish().expect("finished");
}

/// `sample.vcf` bgzipped by noodles, whose writer splits lines (and the header) across blocks.
fn noodles_bgzipped_vcf(env: &Env) -> PathBuf {
    let dst = env.tmp("sample.vcf.gz");
    let text = fs::read(env.data("vcf/cohort/sample.vcf")).expect("sample.vcf");
    let mut writer = bgzf::io::Writer::new(File::create(&dst).expect("a file"));
    writer.write_all(&text).expect("written");
    writer.finish().expect("finished");
    dst
}

#[test]
fn vcf_regions_hold_the_same_records_as_bcftools_finds() {
    let Some(env) = Env::new() else { return };

    let sample = noodles_bgzipped_vcf(&env);
    let cohort = env.data("vcf/cohort/shapeit4-1kg-chr20-300samples.vcf.gz");

    for (i, src) in [sample, cohort].iter().enumerate() {
        let dir = env.tmp(&format!("vcf{i}"));
        fs::create_dir_all(&dir).expect("a folder");
        let path = dir.join("ours.vcf.gz");
        copy_writable(src, &path);

        let index = build_index(Format::VcfGz, File::open(&path).expect("the VCF"))
            .unwrap_or_else(|e| panic!("indexing {}: {e}", src.display()));
        fs::write(dir.join("ours.vcf.gz.tbi"), &index).expect("the index");

        let tool = dir.join("tabix.vcf.gz");
        copy_writable(src, &tool);
        run("tabix", &["-p", "vcf", path_str(&tool)]);
        let tool_index = fs::read(dir.join("tabix.vcf.gz.tbi")).expect("tabix's index");

        // tabix lists the same contigs from our index; bcftools finds the same records with it.
        assert_eq!(
            run("tabix", &["-l", path_str(&path)]),
            run("tabix", &["-l", path_str(&tool)])
        );

        let case = VariantCase {
            format: Format::VcfGz,
            path: &path,
            index: &index,
            tool_index: &tool_index,
        };
        let plans = check_variant_queries(&env, &case);

        if i == 0 {
            assert!(plans.iter().any(|p| has_inline_data(p)), "no inline block");
        }

        let (contigs, span) = vcf_contigs_and_span(&path);
        for query in region_queries(&contigs, span)
            .iter()
            .filter(|q| q.start.is_some() && q.start != q.end)
        {
            let region = region_string(query, None);
            let with_ours = run("bcftools", &["view", "-H", "-r", &region, path_str(&path)]);
            let with_tabix = run("bcftools", &["view", "-H", "-r", &region, path_str(&tool)]);
            assert_eq!(
                count_lines(&with_ours),
                count_lines(&with_tabix),
                "{region}"
            );
        }
    }
}

#[test]
fn bcf_regions_hold_the_same_records_as_bcftools_finds() {
    let Some(env) = Env::new() else { return };

    let src = env.data("vcf/cohort/shapeit4-1kg-chr20-300samples.vcf.gz");
    let path = env.tmp("cohort.bcf");
    run(
        "bcftools",
        &["view", "-Ob", "-o", path_str(&path), path_str(&src)],
    );

    let index = build_index(Format::Bcf, File::open(&path).expect("the BCF")).expect("a CSI");
    let tool = env.tmp("tool.bcf");
    copy_writable(&path, &tool);
    run("bcftools", &["index", "-c", path_str(&tool)]);
    let tool_index = fs::read(env.tmp("tool.bcf.csi")).expect("bcftools' index");

    let case = VariantCase {
        format: Format::Bcf,
        path: &path,
        index: &index,
        tool_index: &tool_index,
    };
    check_variant_queries(&env, &case);

    // bcftools reads our CSI.
    fs::write(env.tmp("cohort.bcf.csi"), &index).expect("the index");
    let region = "20:2000000-2100000";
    assert_eq!(
        count_lines(&run(
            "bcftools",
            &["view", "-H", "-r", region, path_str(&path)]
        )),
        count_lines(&run(
            "bcftools",
            &["view", "-H", "-r", region, path_str(&tool)]
        )),
    );
}

// ---------------------------------------------------------------------------------------------
// Errors

#[test]
fn bad_queries_get_htsget_errors() {
    let Some(env) = Env::new() else { return };

    let bam = env.data("align/htslib/range.bam");
    let bai = fs::read(env.data("align/htslib/range.bam.bai")).expect("the BAI");
    let cram_path = env.data("align/htslib/range.cram");
    let crai = fs::read(env.data("align/htslib/range.cram.crai")).expect("the CRAI");
    let vcf = noodles_bgzipped_vcf(&env);
    let tbi = build_index(Format::VcfGz, File::open(&vcf).expect("the VCF")).expect("a TBI");

    // CHROMOSOME_I is 1,009,800 bases long in both files.
    for (format, path, index) in [(Format::Bam, &bam, &bai), (Format::Cram, &cram_path, &crai)] {
        let plan = |query: Query| plan_file(format, path, index, &query);

        assert!(matches!(
            plan(Query::region("chrNope", None, None)),
            Err(HtsgetError::NotFound(_))
        ));
        assert!(matches!(
            plan(Query::region("CHROMOSOME_I", Some(1_009_800), None)),
            Err(HtsgetError::InvalidRange(_))
        ));
        assert!(matches!(
            plan(Query::region(
                "CHROMOSOME_I",
                Some(2_000_000),
                Some(3_000_000)
            )),
            Err(HtsgetError::InvalidRange(_))
        ));
        assert!(matches!(
            plan(Query::region("CHROMOSOME_I", Some(10), Some(5))),
            Err(HtsgetError::InvalidRange(_))
        ));
        assert!(plan(Query::region("CHROMOSOME_I", Some(1_009_799), None)).is_ok());
        assert!(matches!(
            plan(Query {
                reference_name: None,
                start: Some(5),
                end: None,
                class: Class::Body,
            }),
            Err(HtsgetError::InvalidInput(_))
        ));
    }

    let plan_vcf = |query: Query| plan_file(Format::VcfGz, &vcf, &tbi, &query);
    assert!(matches!(
        plan_vcf(Query::region("chr20", None, None)),
        Err(HtsgetError::NotFound(_))
    ));
    assert!(matches!(
        plan_vcf(Query::region("20", Some(100), Some(99))),
        Err(HtsgetError::InvalidRange(_))
    ));
    assert!(matches!(
        plan_vcf(Query::region("*", None, None)),
        Err(HtsgetError::NotFound(_))
    ));

    // A contig whose header gives its length.
    let small = env.tmp("small.vcf.gz");
    bgzip_text(
        &small,
        "##fileformat=VCFv4.2\n##contig=<ID=1,length=1000>\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
         1\t100\t.\tA\tC\t.\t.\t.\n1\t500\t.\tA\tC\t.\t.\t.\n",
    );
    let small_index =
        build_index(Format::VcfGz, File::open(&small).expect("the VCF")).expect("a TBI");
    let plan_small = |query: Query| plan_file(Format::VcfGz, &small, &small_index, &query);
    assert!(matches!(
        plan_small(Query::region("1", Some(1000), None)),
        Err(HtsgetError::InvalidRange(_))
    ));
    assert!(plan_small(Query::region("1", Some(999), Some(5000))).is_ok());

    // CRAM 2.x is not supported.
    let cram2 = env.data("align/samtools/mpileup/ce#5b.cram");
    let cram2_index = fs::read(env.data("align/samtools/mpileup/ce#5b.cram.crai")).expect("CRAI");
    assert!(matches!(
        plan_file(Format::Cram, &cram2, &cram2_index, &Query::whole_file()),
        Err(HtsgetError::UnsupportedFormat(_))
    ));
    assert!(matches!(
        build_index(Format::Cram, File::open(&cram2).expect("the CRAM")),
        Err(HtsgetError::UnsupportedFormat(_))
    ));

    // An index of the wrong kind is the server's fault, not the client's.
    assert!(matches!(
        plan_file(Format::Bam, &bam, &crai, &Query::whole_file()),
        Err(HtsgetError::MalformedIndex { .. })
    ));
    assert!(matches!(
        plan_file(Format::VcfGz, &vcf, &bai, &Query::whole_file()),
        Err(HtsgetError::MalformedIndex { .. })
    ));
}

#[test]
fn unsorted_files_are_refused_at_ingest() {
    let Some(env) = Env::new() else { return };

    let unsorted = env.tmp("unsorted.vcf.gz");
    bgzip_text(
        &unsorted,
        "##fileformat=VCFv4.2\n##contig=<ID=1,length=1000>\n\
         #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
         1\t500\t.\tA\tC\t.\t.\t.\n1\t100\t.\tA\tC\t.\t.\t.\n",
    );

    let result = build_index(Format::VcfGz, File::open(&unsorted).expect("the VCF"));
    assert!(
        matches!(result, Err(HtsgetError::NotSorted(_))),
        "{result:?}"
    );

    let result = build_index(
        Format::Cram,
        File::open(env.data("align/htslib/range.bam")).expect("the BAM"),
    );
    assert!(
        matches!(result, Err(HtsgetError::MalformedFile { .. })),
        "{result:?}"
    );
}
