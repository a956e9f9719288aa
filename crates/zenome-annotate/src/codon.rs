//! Codon translation: the standard genetic code (NCBI table 1) and the
//! vertebrate mitochondrial code (table 2, for `MT`/`chrM`), one-letter and
//! three-letter amino-acid names (`*` and `Ter` for a stop).

/// Bases in the order the tables index them (T, C, A, G).
fn base_index(b: u8) -> Option<usize> {
    match b.to_ascii_uppercase() {
        b'T' | b'U' => Some(0),
        b'C' => Some(1),
        b'A' => Some(2),
        b'G' => Some(3),
        _ => None,
    }
}

const STANDARD: &[u8; 64] = b"FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG";
const VERT_MITO: &[u8; 64] = b"FFLLSSSSYY**CCWWLLLLPPPPHHQQRRRRIIMMTTTTNNKKSS**VVVVAAAADDEEGGGG";

/// A genetic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Standard,
    VertebrateMitochondrial,
}

impl Code {
    /// The code of a chromosome by its name (`MT`, `chrM`: mitochondrial).
    pub fn for_chrom(chrom: &str) -> Code {
        let c = chrom.strip_prefix("chr").unwrap_or(chrom);
        if c.eq_ignore_ascii_case("M") || c.eq_ignore_ascii_case("MT") {
            Code::VertebrateMitochondrial
        } else {
            Code::Standard
        }
    }

    /// One-letter amino acid of a codon (`*` stop, `X` when a base is not
    /// A/C/G/T or the codon is short).
    pub fn translate(self, codon: &[u8]) -> u8 {
        if codon.len() < 3 {
            return b'X';
        }
        let (Some(a), Some(b), Some(c)) = (
            base_index(codon[0]),
            base_index(codon[1]),
            base_index(codon[2]),
        ) else {
            return b'X';
        };
        let table = match self {
            Code::Standard => STANDARD,
            Code::VertebrateMitochondrial => VERT_MITO,
        };
        table[a * 16 + b * 4 + c]
    }
}

/// Three-letter name of a one-letter amino acid (`Ter` for `*`, `Xaa`
/// for an unknown one).
pub fn three_letter(aa: u8) -> &'static str {
    match aa {
        b'A' => "Ala",
        b'R' => "Arg",
        b'N' => "Asn",
        b'D' => "Asp",
        b'C' => "Cys",
        b'Q' => "Gln",
        b'E' => "Glu",
        b'G' => "Gly",
        b'H' => "His",
        b'I' => "Ile",
        b'L' => "Leu",
        b'K' => "Lys",
        b'M' => "Met",
        b'F' => "Phe",
        b'P' => "Pro",
        b'S' => "Ser",
        b'T' => "Thr",
        b'W' => "Trp",
        b'Y' => "Tyr",
        b'V' => "Val",
        b'U' => "Sec",
        b'*' => "Ter",
        _ => "Xaa",
    }
}

/// Reverse complement in place.
pub fn reverse_complement(seq: &mut [u8]) {
    seq.reverse();
    for b in seq.iter_mut() {
        *b = complement(*b);
    }
}

/// The complementary base (case kept; N and others unchanged).
pub fn complement(b: u8) -> u8 {
    match b {
        b'A' => b'T',
        b'T' => b'A',
        b'C' => b'G',
        b'G' => b'C',
        b'a' => b't',
        b't' => b'a',
        b'c' => b'g',
        b'g' => b'c',
        x => x,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codons_translate_in_both_codes() {
        assert_eq!(Code::Standard.translate(b"ATG"), b'M');
        assert_eq!(Code::Standard.translate(b"GTG"), b'V');
        assert_eq!(Code::Standard.translate(b"GAG"), b'E');
        assert_eq!(Code::Standard.translate(b"TGA"), b'*');
        assert_eq!(Code::VertebrateMitochondrial.translate(b"TGA"), b'W');
        assert_eq!(Code::VertebrateMitochondrial.translate(b"AGA"), b'*');
        assert_eq!(Code::Standard.translate(b"ANG"), b'X');
        assert_eq!(three_letter(b'*'), "Ter");
        let mut s = b"ACGTN".to_vec();
        reverse_complement(&mut s);
        assert_eq!(&s, b"NACGT");
        assert_eq!(Code::for_chrom("chrM"), Code::VertebrateMitochondrial);
    }
}
