//! The staging writer of an upload: a thread of its own that takes the
//! plaintext as it arrives, hashes it (SHA-256), encrypts it in Crypt4GH
//! segments, appends them to the staging file and hashes what it writes —
//! so the request loop only computes MD5 and hands bytes on, and the
//! stored object's digest needs no second read.

use std::io::{Read, Write};
use std::path::PathBuf;

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use super::segments::{self, CIPHER_SEGMENT, SEGMENT};

/// What the writer is told.
pub(crate) enum Msg {
    /// New plaintext to encrypt and stage.
    Data(Bytes),
    /// Make everything so far durable; answer with the plaintext tail (not
    /// yet a whole segment), which the caller keeps sealed.
    Flush(oneshot::Sender<Result<Vec<u8>, String>>),
    /// Write the last segment, make it durable, answer with the digests.
    Finish(oneshot::Sender<Result<Staged, String>>),
}

/// The staged object, complete.
#[derive(Debug, Clone)]
pub(crate) struct Staged {
    /// SHA-256 of the plaintext.
    pub sha256: String,
    /// SHA-256 of the staged (encrypted) bytes, header included.
    pub stored_sha256: String,
    /// Length of the staged bytes.
    pub stored_len: u64,
    /// Length of the Crypt4GH header.
    pub header_len: u64,
}

/// A running writer.
pub(crate) struct Writer {
    pub tx: mpsc::Sender<Msg>,
    /// The writer's thread: awaited when a session is abandoned, so that no
    /// write of the old session lands after the staging is cut back.
    handle: tokio::task::JoinHandle<()>,
}

struct State {
    file: std::io::BufWriter<std::fs::File>,
    key: [u8; 32],
    tail: Vec<u8>,
    sha: Sha256,
    stored: Sha256,
    stored_len: u64,
    header_len: u64,
}

impl State {
    fn write_segment(&mut self, plain: &[u8]) -> std::io::Result<()> {
        let seg = segments::encrypt(&self.key, plain);
        self.file.write_all(&seg)?;
        self.stored.update(&seg);
        self.stored_len += seg.len() as u64;
        Ok(())
    }

    fn data(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.sha.update(b);
        let mut rest = b;
        if !self.tail.is_empty() {
            let take = (SEGMENT - self.tail.len()).min(rest.len());
            self.tail.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.tail.len() == SEGMENT {
                let t = std::mem::take(&mut self.tail);
                self.write_segment(&t)?;
                self.tail = t;
                self.tail.clear();
            }
        }
        while rest.len() >= SEGMENT {
            self.write_segment(&rest[..SEGMENT])?;
            rest = &rest[SEGMENT..];
        }
        self.tail.extend_from_slice(rest);
        Ok(())
    }

    fn sync(&mut self) -> std::io::Result<()> {
        self.file.flush()?;
        self.file.get_ref().sync_data()
    }
}

/// Starts the writer for a staging file that holds a header and
/// `staged_segments` whole segments already, whose plaintext (and `tail`,
/// the acknowledged bytes past them) `sha` has hashed.
pub(crate) fn start(
    path: PathBuf,
    key: [u8; 32],
    header_len: u64,
    staged_segments: u64,
    sha: Sha256,
    tail: Vec<u8>,
) -> Result<Writer, String> {
    // hash what is staged already (header and whole segments)
    let mut stored = Sha256::new();
    let mut stored_len = 0u64;
    {
        let mut f =
            std::fs::File::open(&path).map_err(|e| format!("staging {}: {e}", path.display()))?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf).map_err(|e| format!("staging read: {e}"))?;
            if n == 0 {
                break;
            }
            stored.update(&buf[..n]);
            stored_len += n as u64;
        }
    }
    if stored_len != header_len + staged_segments * CIPHER_SEGMENT as u64 {
        return Err(format!(
            "staging holds {stored_len} bytes, not the header and {staged_segments} segments"
        ));
    }
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .map_err(|e| format!("staging {}: {e}", path.display()))?;
    let mut st = State {
        file: std::io::BufWriter::with_capacity(4 * CIPHER_SEGMENT, file),
        key,
        tail,
        sha,
        stored,
        stored_len,
        header_len,
    };
    let (tx, mut rx) = mpsc::channel::<Msg>(32);
    let handle = tokio::task::spawn_blocking(move || {
        let mut failed: Option<String> = None;
        while let Some(m) = rx.blocking_recv() {
            match m {
                Msg::Data(b) => {
                    if failed.is_none()
                        && let Err(e) = st.data(&b)
                    {
                        failed = Some(format!("staging write: {e}"));
                    }
                }
                Msg::Flush(reply) => {
                    let r = match &failed {
                        Some(e) => Err(e.clone()),
                        None => st
                            .sync()
                            .map(|()| st.tail.clone())
                            .map_err(|e| format!("staging sync: {e}")),
                    };
                    let _ = reply.send(r);
                }
                Msg::Finish(reply) => {
                    let r = match &failed {
                        Some(e) => Err(e.clone()),
                        None => (|| -> std::io::Result<Staged> {
                            if !st.tail.is_empty() {
                                let t = std::mem::take(&mut st.tail);
                                st.write_segment(&t)?;
                            }
                            st.sync()?;
                            Ok(Staged {
                                sha256: hex::encode(std::mem::take(&mut st.sha).finalize()),
                                stored_sha256: hex::encode(
                                    std::mem::take(&mut st.stored).finalize(),
                                ),
                                stored_len: st.stored_len,
                                header_len: st.header_len,
                            })
                        })()
                        .map_err(|e| format!("staging: {e}")),
                    };
                    let _ = reply.send(r);
                    return;
                }
            }
        }
    });
    Ok(Writer { tx, handle })
}

impl Writer {
    /// Hands plaintext over (waits when the writer is behind: memory stays flat).
    pub async fn data(&self, b: Bytes) -> Result<(), String> {
        self.tx
            .send(Msg::Data(b))
            .await
            .map_err(|_| "the staging writer stopped".to_string())
    }

    /// Makes everything durable; returns the plaintext tail.
    pub async fn flush(&self) -> Result<Vec<u8>, String> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Msg::Flush(tx))
            .await
            .map_err(|_| "the staging writer stopped".to_string())?;
        rx.await
            .map_err(|_| "the staging writer stopped".to_string())?
    }

    /// Stops the writer without completing the object and waits until its
    /// thread has let go of the staging file (what it wrote past the
    /// acknowledged offset is cut back by the next resume).
    pub async fn abandon(self) {
        drop(self.tx);
        let _ = self.handle.await;
    }

    /// Completes the staged object.
    pub async fn finish(self) -> Result<Staged, String> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Msg::Finish(tx))
            .await
            .map_err(|_| "the staging writer stopped".to_string())?;
        rx.await
            .map_err(|_| "the staging writer stopped".to_string())?
    }
}
