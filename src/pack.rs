//! Text kept LZ4-compressed in blocks (lz4_flex), read back one block at a
//! time: the body HTML of a page that a build does not hold as it is (see
//! [`crate::edition::ParseCache::html_budget`]), packed whole or as parse
//! emits it ([`Packer`]).

/// A page body from this many bytes of source on is large (see [`is_large`]).
pub const LARGE_BODY: usize = 1 << 20;

/// Whether a page body of `len` bytes of source is large: parse and the TEI
/// export read it twice rather than hold its parser events
/// (`markup/flow.rs`), parse packs its HTML as it emits it when the build
/// keeps bodies compressed, and the TEI export packs its body as it writes
/// it. The output is the same either way; `APPARAT_LARGE_BODY` (bytes) moves
/// the threshold, so that tests can take both paths on small pages.
pub fn is_large(len: usize) -> bool {
    static MIN: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    static MET: std::sync::Once = std::sync::Once::new();
    let min = MIN.get_or_init(|| {
        std::env::var("APPARAT_LARGE_BODY")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(LARGE_BODY)
    });
    let large = len >= *min;
    if large {
        if let Some(f) = ON_LARGE_BODY.get() {
            MET.call_once(f);
        }
    }
    large
}

/// Called once, the first time a large body is met ([`is_large`]): a
/// binary may then trade speed for memory (apparat's makes its allocator
/// return freed memory to the system at once).
pub static ON_LARGE_BODY: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// Text compressed in blocks of at most [`Packed::BLOCK`] bytes (LZ4), so
/// that it can be read back one block at a time (see [`crate::stream`]).
/// Packing is deterministic: two packs are equal when their bytes are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Packed {
    /// The length of the text.
    pub len: usize,
    blocks: Vec<Box<[u8]>>,
}

impl Packed {
    pub const BLOCK: usize = 1 << 20;

    pub fn new(text: &str) -> Packed {
        let mut p = Packer::default();
        p.push(text);
        p.finish()
    }

    /// Any bytes packed (a file of a site kept in memory, see
    /// [`crate::sink::SharedFile`]).
    pub fn from_bytes(bytes: &[u8]) -> Packed {
        let mut p = Packer::default();
        p.push_bytes(bytes);
        p.finish()
    }

    /// A hash of the bytes packed (equal bytes, equal packs: see
    /// [`Packed`]).
    pub fn hash(&self) -> u64 {
        crate::hash::hash_of(&(self.len, &self.blocks))
    }

    /// The bytes packed, unpacked whole.
    pub fn unpack(&self) -> Result<Vec<u8>, String> {
        let mut bytes = Vec::with_capacity(self.len);
        for block in self.blocks() {
            bytes.extend_from_slice(&block?);
        }
        Ok(bytes)
    }

    /// The blocks in order, each unpacked when it is reached (a block may
    /// end inside a character).
    pub fn blocks(&self) -> impl Iterator<Item = Result<Vec<u8>, String>> + '_ {
        self.blocks
            .iter()
            .map(|b| lz4_flex::decompress_size_prepended(b).map_err(|e| e.to_string()))
    }
}

/// Builds a [`Packed`] from text given in pieces: each full block is
/// compressed as soon as it is complete, so only one block is held as it is.
#[derive(Debug, Default)]
pub struct Packer {
    packed: Packed,
    pending: Vec<u8>,
}

impl Packer {
    /// Appends `text`.
    pub fn push(&mut self, text: &str) {
        self.push_bytes(text.as_bytes());
    }

    /// Appends bytes (the blocks, once unpacked and joined, give them back).
    pub fn push_bytes(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let room = Packed::BLOCK - self.pending.len();
            let (now, later) = rest.split_at(room.min(rest.len()));
            if self.pending.is_empty() && now.len() == Packed::BLOCK {
                // a whole block from the text itself: no copy
                self.seal(now);
            } else {
                self.pending.extend_from_slice(now);
                if self.pending.len() == Packed::BLOCK {
                    let block = std::mem::take(&mut self.pending);
                    self.seal(&block);
                }
            }
            rest = later;
        }
    }

    fn seal(&mut self, block: &[u8]) {
        self.packed.len += block.len();
        self.packed
            .blocks
            .push(lz4_flex::compress_prepend_size(block).into());
    }

    /// The text packed.
    pub fn finish(mut self) -> Packed {
        if !self.pending.is_empty() {
            let block = std::mem::take(&mut self.pending);
            self.seal(&block);
        }
        self.packed
    }
}

#[cfg(test)]
mod tests {
    use super::{Packed, Packer};

    #[test]
    fn text_packed_in_pieces_is_packed_as_when_whole() {
        let text: String = (0..300_000).map(|i| format!("é{i} ")).collect();
        let whole = Packed::new(&text);
        let unpack = |p: &Packed| {
            let mut v = Vec::new();
            for b in p.blocks() {
                v.extend(b.expect("unpack"));
            }
            v
        };
        assert_eq!(unpack(&whole), text.as_bytes());
        for piece in [1, 7, 4096, Packed::BLOCK - 1, Packed::BLOCK, 3 << 20] {
            let mut p = Packer::default();
            let mut rest = text.as_str();
            while !rest.is_empty() {
                let mut cut = piece.min(rest.len());
                while !rest.is_char_boundary(cut) {
                    cut += 1;
                }
                p.push(&rest[..cut]);
                rest = &rest[cut..];
            }
            let p = p.finish();
            assert_eq!(p.len, text.len());
            assert_eq!(unpack(&p), text.as_bytes(), "pieces of {piece}");
        }
    }
}
