"""AC/AN over a region and a sample list, computed by DuckDB SQL straight from
the Parquet files of a Zenome variant store (see SCHEMA.md). Prints
POS REF ALT AC AN as TSV. Usage: duckdb_freq.py STORE CHROM START END SAMPLES"""

import glob
import json
import os
import sys

import duckdb

root, chrom, start, end, samples = sys.argv[1:6]
names = [l.strip() for l in open(samples) if l.strip()]
# Only batches listed in the manifest exist (files of a crashed load may linger).
# A working copy has `manifest.json`; a copy published to an object store has
# the manifest in force as its newest `log/<n>.json` instead.
if os.path.exists(f"{root}/manifest.json"):
    manifest = f"{root}/manifest.json"
else:
    manifest = sorted(glob.glob(f"{root}/log/*.json"))[-1]
batches = [b["id"] for b in json.load(open(manifest))["batches"]]

SQL = f"""
WITH keep AS (
  SELECT sample_index AS i FROM read_parquet('{root}/samples/*.parquet')
  WHERE list_contains($names, name)
),
v AS (
  SELECT *, CAST(dense AS BIT) AS bits
  FROM read_parquet('{root}/variants/*/*/*.parquet', hive_partitioning = false)
  WHERE chrom = $chrom AND pos BETWEEN $start AND $end AND list_contains($batches, batch)
),
g AS (
  SELECT v.pos, v.ref, v.alt,
    CASE WHEN v.dense IS NOT NULL THEN
        get_bit(v.bits, (8 * ((k.i - v.sample_offset) // 4) + 7 - 2 * ((k.i - v.sample_offset) % 4))::INTEGER)
      + 2 * get_bit(v.bits, (8 * ((k.i - v.sample_offset) // 4) + 6 - 2 * ((k.i - v.sample_offset) % 4))::INTEGER)
    ELSE CASE
      WHEN list_contains(v.missing, k.i) THEN 3
      WHEN list_contains(v.hom_alt, k.i) THEN 2
      WHEN list_contains(v.het, k.i) THEN 1
      ELSE 0 END
    END AS code,
    list_contains(v.haploid, k.i) AS hap
  FROM v JOIN keep k ON k.i >= v.sample_offset AND k.i < v.sample_offset + v.n_samples
)
SELECT pos, ref, alt,
  sum(CASE code WHEN 1 THEN 1 WHEN 2 THEN (CASE WHEN hap THEN 1 ELSE 2 END) ELSE 0 END) AS ac,
  sum(CASE code WHEN 3 THEN 0 ELSE (CASE WHEN hap THEN 1 ELSE 2 END) END) AS an
FROM g GROUP BY pos, ref, alt ORDER BY pos
"""

con = duckdb.connect()
rows = con.execute(
    SQL,
    {"names": names, "chrom": chrom, "start": int(start), "end": int(end), "batches": batches},
).fetchall()
for pos, ref, alt, ac, an in rows:
    print(f"{pos}\t{ref}\t{alt}\t{ac}\t{an}")
