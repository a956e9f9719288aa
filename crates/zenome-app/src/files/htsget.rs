//! htsget (GA4GH htsget 1.3) on stored objects: the region query is planned
//! on the plaintext (through a random-access reader that decrypts only the
//! segments it touches) with the index built at ingest; the pieces are then
//! served as byte ranges of the object's plain DRS access, or inline.

use std::io::{Read, Seek, SeekFrom};

use super::copies::CopyReader;
use super::segments::SEGMENT;
use crate::{Actor, App, AppError};
use zenome_htsget::{HtsgetError, Piece, Query};

/// Why an htsget request fails, in htsget's words.
#[derive(Debug)]
pub enum HtsgetFailure {
    /// `NotFound`, `InvalidRange`, `InvalidInput`, `UnsupportedFormat`: the client's.
    Client {
        /// htsget error name.
        error: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Authentication, permission, or our fault.
    App(AppError),
}

impl From<AppError> for HtsgetFailure {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

/// Which endpoint was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/reads`: BAM or CRAM.
    Reads,
    /// `/variants`: VCF or BCF.
    Variants,
}

/// A planned answer.
#[derive(Debug)]
pub struct Ticket {
    /// `BAM`, `CRAM`, `VCF` or `BCF`.
    pub format: &'static str,
    /// The pieces, in order.
    pub pieces: Vec<Piece>,
}

/// Random access to the plaintext of a stored object, each segment
/// authenticated, from whichever copy reads back intact.
struct PlainReader {
    copies: CopyReader,
    size: u64,
    pos: u64,
    cache: Option<(u64, Vec<u8>)>,
    rt: tokio::runtime::Handle,
}

impl PlainReader {
    fn segment(&mut self, n: u64) -> std::io::Result<&[u8]> {
        if self.cache.as_ref().map(|c| c.0) != Some(n) {
            let plain = self
                .rt
                .block_on(self.copies.segments(n, n + 1))
                .map_err(|e| std::io::Error::other(e.to_string()))?
                .plain
                .into_iter()
                .next()
                .ok_or_else(|| std::io::Error::other(format!("no segment {n}")))?;
            self.cache = Some((n, plain));
        }
        Ok(&self.cache.as_ref().expect("cached").1)
    }
}

impl Read for PlainReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.size || buf.is_empty() {
            return Ok(0);
        }
        let n = self.pos / SEGMENT as u64;
        let off = (self.pos % SEGMENT as u64) as usize;
        let seg = self.segment(n)?;
        let k = (seg.len() - off).min(buf.len());
        buf[..k].copy_from_slice(&seg[off..off + k]);
        self.pos += k as u64;
        Ok(k)
    }
}

impl Seek for PlainReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let p = match to {
            SeekFrom::Start(p) => p as i128,
            SeekFrom::End(d) => self.size as i128 + d as i128,
            SeekFrom::Current(d) => self.pos as i128 + d as i128,
        };
        if p < 0 {
            return Err(std::io::Error::other("seek before the start"));
        }
        self.pos = p as u64;
        Ok(self.pos)
    }
}

fn client(e: HtsgetError) -> HtsgetFailure {
    let error = match &e {
        HtsgetError::NotFound(_) => "NotFound",
        HtsgetError::InvalidRange(_) => "InvalidRange",
        HtsgetError::InvalidInput(_) => "InvalidInput",
        HtsgetError::UnsupportedFormat(_) => "UnsupportedFormat",
        _ => return HtsgetFailure::App(AppError::Internal(format!("htsget planning: {e}"))),
    };
    HtsgetFailure::Client {
        error,
        message: e.to_string(),
    }
}

impl App {
    /// Plans an htsget answer for `actor` on object `id`.
    pub async fn htsget(
        &self,
        actor: &Actor,
        endpoint: Endpoint,
        id: &str,
        q: Query,
        format: Option<&str>,
        ip: Option<&str>,
    ) -> Result<Ticket, HtsgetFailure> {
        let obj = self.object_for(actor, id, ip).await?;
        let (name, hf) = match (endpoint, obj.format.as_str()) {
            (Endpoint::Reads, "bam") => ("BAM", Some(zenome_htsget::Format::Bam)),
            (Endpoint::Reads, "cram") => ("CRAM", Some(zenome_htsget::Format::Cram)),
            (Endpoint::Variants, "vcf") => ("VCF", None),
            _ => {
                return Err(HtsgetFailure::Client {
                    error: "NotFound",
                    message: format!(
                        "no {} object {id}",
                        if endpoint == Endpoint::Reads {
                            "reads"
                        } else {
                            "variants"
                        }
                    ),
                });
            }
        };
        if let Some(f) = format
            && !f.eq_ignore_ascii_case(name)
            && !(name == "VCF" && f.eq_ignore_ascii_case("BCF") && obj.name.ends_with(".bcf"))
        {
            return Err(HtsgetFailure::Client {
                error: "UnsupportedFormat",
                message: format!("the object is {name}, not {f}"),
            });
        }
        if let (Some(s), Some(e)) = (q.start, q.end)
            && s > e
        {
            return Err(HtsgetFailure::Client {
                error: "InvalidRange",
                message: format!("start {s} is after end {e}"),
            });
        }
        let size = obj.size as u64;
        let whole = vec![Piece::Range(zenome_htsget::ByteRange {
            start: 0,
            end: size,
            class: None,
        })];
        let Some(index_key) = obj.index_key.clone() else {
            // not indexable (plain VCF): the whole file answers any region
            return Ok(Ticket {
                format: name,
                pieces: whole,
            });
        };
        let format = if obj.name.ends_with(".bcf") {
            zenome_htsget::Format::Bcf
        } else {
            hf.unwrap_or(zenome_htsget::Format::VcfGz)
        };
        let copies = self.copy_reader(&obj).await?;
        let index = self.read_index(&obj, &index_key, &copies.stores()).await?;
        let reader = PlainReader {
            copies,
            size,
            pos: 0,
            cache: None,
            rt: tokio::runtime::Handle::current(),
        };
        let pieces = tokio::task::spawn_blocking(move || {
            zenome_htsget::plan(format, reader, size, &index, &q)
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(client)?;
        Ok(Ticket {
            format: name,
            pieces,
        })
    }

    /// The object's sealed index, from the first of `stores` where it
    /// opens (the seal authenticates it).
    async fn read_index(
        &self,
        obj: &zenome_store::ObjectRow,
        index_key: &str,
        stores: &[String],
    ) -> Result<Vec<u8>, AppError> {
        for store in stores {
            let sealed = match self.inner.stores.size(store, index_key).await {
                Ok(Some(n)) => self.inner.stores.range(store, index_key, 0..n).await,
                Ok(None) => {
                    tracing::warn!(object = obj.id, store, "the htsget index is missing here");
                    continue;
                }
                Err(e) => Err(e),
            };
            let opened = sealed.ok().and_then(|b| {
                let text = std::str::from_utf8(&b).ok()?.to_string();
                self.inner.seal.open(&text, index_key.as_bytes()).ok()
            });
            match opened {
                Some(index) => return Ok(index),
                None => {
                    tracing::error!(
                        object = obj.id,
                        store,
                        "the htsget index does not read back here: trying another copy"
                    );
                }
            }
        }
        Err(AppError::Internal(format!(
            "no copy of the index of {} reads back",
            obj.id
        )))
    }
}
