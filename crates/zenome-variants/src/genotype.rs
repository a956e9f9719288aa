//! Genotypes of one biallelic row and the counting kernel: sparse carrier
//! lists for rare alleles, dense 2-bit packing (plink2 pgen-like) for common
//! ones, both counted against a sample mask with popcounts.

/// Per-sample code of one biallelic row (the dense 2-bit value).
pub const REF: u8 = 0;
/// One ALT and one other allele called (diploid).
pub const HET: u8 = 1;
/// Every called allele is this ALT.
pub const HOM_ALT: u8 = 2;
/// No allele called.
pub const MISSING: u8 = 3;

/// A set of global sample indices: who may be counted by a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleMask {
    words: Vec<u64>,
    len: usize,
}

impl SampleMask {
    /// Nobody among `len` samples.
    pub fn none(len: usize) -> Self {
        Self {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    /// Everybody among `len` samples.
    pub fn all(len: usize) -> Self {
        let mut m = Self::none(len);
        for i in 0..len {
            m.insert(i as u32);
        }
        m
    }

    /// The number of samples the mask covers (set or not).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the mask covers no samples at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds sample `i` (ignored when out of range).
    pub fn insert(&mut self, i: u32) {
        let i = i as usize;
        if i < self.len {
            self.words[i / 64] |= 1 << (i % 64);
        }
    }

    /// Removes sample `i` (a withdrawal).
    pub fn remove(&mut self, i: u32) {
        let i = i as usize;
        if i < self.len {
            self.words[i / 64] &= !(1 << (i % 64));
        }
    }

    /// Whether sample `i` may be counted.
    #[inline]
    pub fn contains(&self, i: u32) -> bool {
        let i = i as usize;
        i < self.len && self.words[i / 64] >> (i % 64) & 1 == 1
    }

    /// How many samples in `[start, start + n)` are set.
    pub fn count_range(&self, start: u32, n: u32) -> u32 {
        (start..start + n).filter(|&i| self.contains(i)).count() as u32
    }

    /// The mask of `[start, start + n)` spread to the dense layout: bit `2k`
    /// set when sample `start + k` is in the mask, 32 samples per word.
    pub fn spread(&self, start: u32, n: u32) -> Vec<u64> {
        let mut out = vec![0u64; (n as usize).div_ceil(32)];
        for k in 0..n {
            if self.contains(start + k) {
                out[(k / 32) as usize] |= 1 << (2 * (k % 32));
            }
        }
        out
    }
}

/// The genotypes of one biallelic row over one batch's samples.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowGenotypes {
    /// Global indices of heterozygous samples.
    pub het: Vec<u32>,
    /// Global indices of samples whose called alleles are all this ALT.
    pub hom_alt: Vec<u32>,
    /// Global indices of samples with no called allele.
    pub missing: Vec<u32>,
    /// Global indices of samples with exactly one called allele (haploid
    /// calls, e.g. male chrX, or half-missing diploid calls such as `./1`).
    pub haploid: Vec<u32>,
    /// Dense 2-bit codes in batch order (4 samples a byte, low bits first),
    /// when the row is stored dense; `het`/`hom_alt`/`missing` are then empty.
    pub dense: Option<Vec<u8>>,
}

/// How rows store their genotypes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Dense when carriers + missing exceed 1/16 of the samples (where 4-byte
    /// indices start to cost more than 2 bits per sample).
    #[default]
    Auto,
    /// Always carrier lists.
    Sparse,
    /// Always 2-bit packing.
    Dense,
}

impl RowGenotypes {
    /// Builds a row from per-sample codes (batch order) and the haploid flags;
    /// `offset` is the batch's first global sample index.
    pub fn from_codes(codes: &[u8], haploid: &[bool], offset: u32, layout: Layout) -> Self {
        let mut row = RowGenotypes::default();
        let mut nz = 0usize;
        for (k, (&c, &h)) in codes.iter().zip(haploid).enumerate() {
            let g = offset + k as u32;
            if h {
                row.haploid.push(g);
            }
            if c != REF {
                nz += 1;
            }
        }
        let dense = match layout {
            Layout::Sparse => false,
            Layout::Dense => true,
            Layout::Auto => nz * 16 > codes.len(),
        };
        if dense {
            let mut packed = vec![0u8; codes.len().div_ceil(4)];
            for (k, &c) in codes.iter().enumerate() {
                packed[k / 4] |= c << (2 * (k % 4));
            }
            row.dense = Some(packed);
        } else {
            for (k, &c) in codes.iter().enumerate() {
                let g = offset + k as u32;
                match c {
                    HET => row.het.push(g),
                    HOM_ALT => row.hom_alt.push(g),
                    MISSING => row.missing.push(g),
                    _ => {}
                }
            }
        }
        row
    }
}

/// Allele counts of one row (or one allele summed over batches).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Copies of the ALT among the counted samples.
    pub ac: u32,
    /// Called alleles among the counted samples.
    pub an: u32,
    /// Diploid samples whose called alleles are both this ALT (homozygotes).
    pub n_hom_alt: u32,
    /// Heterozygous samples.
    pub n_het: u32,
    /// Samples with one called allele, and that allele this ALT
    /// (hemizygotes: chrX/chrY outside the PARs in males, stored haploid),
    /// counted apart from the homozygotes.
    pub n_hemi: u32,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Self) {
        self.ac += o.ac;
        self.an += o.an;
        self.n_hom_alt += o.n_hom_alt;
        self.n_het += o.n_het;
        self.n_hemi += o.n_hemi;
    }
}

/// The per-batch part of a query: the mask restricted to the batch.
#[derive(Debug, Clone)]
pub struct BatchMask {
    /// Samples of the batch in the mask.
    pub n_masked: u32,
    /// The mask spread to the dense layout (see [`SampleMask::spread`]).
    pub spread: Vec<u64>,
}

impl BatchMask {
    pub fn new(mask: &SampleMask, offset: u32, n: u32) -> Self {
        Self {
            n_masked: mask.count_range(offset, n),
            spread: mask.spread(offset, n),
        }
    }
}

/// Counts the ALT of one row over the samples in `mask`.
pub fn count_sparse(
    mask: &SampleMask,
    batch: &BatchMask,
    het: &[u32],
    hom_alt: &[u32],
    missing: &[u32],
    haploid: &[u32],
) -> Counts {
    let n_het = het.iter().filter(|&&i| mask.contains(i)).count() as u32;
    let mut n_hom_alt = 0;
    let mut hom_hap = 0;
    for &i in hom_alt {
        if mask.contains(i) {
            n_hom_alt += 1;
            if haploid.binary_search(&i).is_ok() {
                hom_hap += 1;
            }
        }
    }
    let n_missing = missing.iter().filter(|&&i| mask.contains(i)).count() as u32;
    let n_hap = haploid.iter().filter(|&&i| mask.contains(i)).count() as u32;
    Counts {
        ac: n_het + 2 * n_hom_alt - hom_hap,
        an: 2 * (batch.n_masked - n_missing) - n_hap,
        n_hom_alt: n_hom_alt - hom_hap,
        n_het,
        n_hemi: hom_hap,
    }
}

/// Counts the ALT of one dense row over the samples in `mask` (popcounts on
/// 32 samples at a time); `offset` is the batch's first global sample index.
pub fn count_dense(
    mask: &SampleMask,
    batch: &BatchMask,
    offset: u32,
    packed: &[u8],
    haploid: &[u32],
) -> Counts {
    const LO: u64 = 0x5555_5555_5555_5555;
    let (mut het, mut hom, mut miss) = (0u32, 0u32, 0u32);
    let mut words = packed.chunks_exact(8);
    for (w, chunk) in words.by_ref().enumerate() {
        let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let m = batch.spread[w];
        let lo = x & LO;
        let hi = (x >> 1) & LO;
        het += (lo & !hi & m).count_ones();
        hom += (hi & !lo & m).count_ones();
        miss += (lo & hi & m).count_ones();
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut b = [0u8; 8];
        b[..rest.len()].copy_from_slice(rest);
        let x = u64::from_le_bytes(b);
        let m = batch.spread[packed.len() / 8];
        let lo = x & LO;
        let hi = (x >> 1) & LO;
        het += (lo & !hi & m).count_ones();
        hom += (hi & !lo & m).count_ones();
        miss += (lo & hi & m).count_ones();
    }
    let (mut n_hap, mut hom_hap) = (0, 0);
    for &i in haploid {
        if mask.contains(i) {
            n_hap += 1;
            let k = (i - offset) as usize;
            if (packed[k / 4] >> (2 * (k % 4))) & 3 == HOM_ALT {
                hom_hap += 1;
            }
        }
    }
    Counts {
        ac: het + 2 * hom - hom_hap,
        an: 2 * (batch.n_masked - miss) - n_hap,
        n_hom_alt: hom - hom_hap,
        n_het: het,
        n_hemi: hom_hap,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_and_dense_count_the_same() {
        // 70 samples at offset 5: a mix of codes, two haploid ones.
        let codes: Vec<u8> = (0..70u32).map(|k| ((k * 7 + k / 3) % 4) as u8).collect();
        let mut hap = vec![false; 70];
        hap[3] = true; // code of 3 is 1 (het) -> make it a haploid ALT instead
        let mut codes = codes;
        codes[3] = HOM_ALT;
        hap[10] = true;
        codes[10] = REF;
        let mut mask = SampleMask::none(80);
        for i in (5..75).step_by(3) {
            mask.insert(i);
        }
        mask.insert(8);
        let b = BatchMask::new(&mask, 5, 70);
        let s = RowGenotypes::from_codes(&codes, &hap, 5, Layout::Sparse);
        let d = RowGenotypes::from_codes(&codes, &hap, 5, Layout::Dense);
        let cs = count_sparse(&mask, &b, &s.het, &s.hom_alt, &s.missing, &s.haploid);
        let cd = count_dense(&mask, &b, 5, d.dense.as_ref().unwrap(), &d.haploid);
        assert_eq!(cs, cd);
        // by hand
        let (mut ac, mut an) = (0, 0);
        for k in 0..70u32 {
            if !mask.contains(k + 5) {
                continue;
            }
            let ploidy = if hap[k as usize] { 1 } else { 2 };
            match codes[k as usize] {
                REF => an += ploidy,
                HET => {
                    an += 2;
                    ac += 1
                }
                HOM_ALT => {
                    an += ploidy;
                    ac += ploidy
                }
                _ => {}
            }
        }
        assert_eq!((cs.ac, cs.an), (ac, an));
        // sample 3 (haploid ALT) is a hemizygote, not a homozygote
        assert_eq!(cs.n_hemi, u32::from(mask.contains(3 + 5)));
        let hom = (0..70u32)
            .filter(|&k| mask.contains(k + 5) && codes[k as usize] == HOM_ALT && !hap[k as usize])
            .count() as u32;
        assert_eq!(cs.n_hom_alt, hom);
    }
}
