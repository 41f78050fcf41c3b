//! Stable 64-bit hashes: the fingerprints and cache keys of incremental
//! builds ([`hash_of`]), and the keys of register ids ([`id_key`]).

/// A stable 64-bit hash ([`FINGERPRINTS`]: the same in every run).
pub fn hash_of<T: std::hash::Hash + ?Sized>(value: &T) -> u64 {
    use std::hash::BuildHasher;
    FINGERPRINTS.hash_one(value)
}

/// The hasher of fingerprints and cache keys ([`hash_of`]): foldhash's
/// quality hash with a fixed seed, the same in every run, several times
/// faster than SipHash on the short values hashed here (a rebuild in
/// `serve` hashes what every unit of the site reads).
pub const FINGERPRINTS: foldhash::quality::FixedState =
    foldhash::quality::FixedState::with_seed(0x6170_7061_7261_7421);

/// The key of a register id (a mention's person, a register entry's id):
/// [`hash_of`] the id, computed once where the mention is parsed, so that the
/// fingerprints of a rebuild compare keys instead of hashing every id again.
pub fn id_key(id: &str) -> u64 {
    hash_of(id)
}
