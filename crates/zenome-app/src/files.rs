//! Sequencing data (R4): resumable uploads that hash, validate and encrypt
//! the bytes as they arrive; placement of encrypted copies in the stores;
//! the scrub that checks and repairs them; and downloads — re-encrypted for
//! the requester (Crypt4GH, header only) or decrypted for tools — each
//! checked against who asks.

mod copies;
pub mod download;
pub mod htsget;
pub mod qc;
pub mod scrub;
pub mod segments;
mod staging;
pub mod ticket;
pub mod upload;

use zenome_domain::access::DataType;
use zenome_domain::lineage::FileFormat;

/// The lineage format of a stored file.
pub(crate) fn lineage_format(s: &str) -> Option<FileFormat> {
    s.parse().ok()
}

/// The data type a grant must cover to read a file of this format.
pub fn data_type_of(format: FileFormat) -> DataType {
    match format {
        FileFormat::Fastq => DataType::Fastq,
        FileFormat::Cram | FileFormat::Bam => DataType::Cram,
        FileFormat::Vcf => DataType::Vcf,
    }
}
