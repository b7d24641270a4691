//! Per-trial random streams derived from (study seed, trial key) only.
//!
//! The 256-bit ChaCha8 seed of a trial is a hash of the study seed and the key's fields:
//!
//! ```text
//! s ← mix(0, seed); s ← mix(s, len(group)); s ← mix(s, w) for each 8-byte word w of group;
//! s ← mix(s, bits(x)); s ← mix(s, trial);  seed_i = mix(s, i) for i = 1..4
//! ```
//!
//! with `mix(s, w) = splitmix64(s ⊕ w)` (the SplitMix64 output function). Neither thread nor
//! order of execution enters, so a trial draws the same numbers whatever the thread count, the
//! shard or whether it runs in a resumed study.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::study::key::TrialKey;

/// The SplitMix64 output function: a bijective 64-bit mixer with full avalanche.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn mix(state: u64, word: u64) -> u64 {
    splitmix64(state ^ word)
}

/// The 32-byte seed of a trial's ChaCha8 generator (see the module doc for the formula).
pub fn trial_seed(seed: u64, key: &TrialKey) -> [u8; 32] {
    let mut s = mix(0, seed);
    let group = key.group.as_bytes();
    s = mix(s, group.len() as u64);
    for chunk in group.chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        s = mix(s, u64::from_le_bytes(word));
    }
    let x = if key.x == 0.0 { 0.0 } else { key.x };
    s = mix(s, x.to_bits());
    s = mix(s, key.trial as u64);
    let mut out = [0u8; 32];
    for (i, bytes) in out.chunks_mut(8).enumerate() {
        bytes.copy_from_slice(&mix(s, i as u64 + 1).to_le_bytes());
    }
    out
}

/// The random stream of a trial: ChaCha8 seeded by [`trial_seed`].
pub fn trial_rng(seed: u64, key: &TrialKey) -> ChaCha8Rng {
    ChaCha8Rng::from_seed(trial_seed(seed, key))
}

#[cfg(test)]
mod tests {
    use rand::Rng;

    use super::*;

    fn draws(seed: u64, key: &TrialKey) -> Vec<u64> {
        let mut rng = trial_rng(seed, key);
        (0..4).map(|_| rng.gen()).collect()
    }

    #[test]
    fn same_key_same_stream_any_change_another() {
        let key = TrialKey::new("blur", 0.25, 3);
        assert_eq!(draws(7, &key), draws(7, &key.clone()));
        let others = [
            (8, TrialKey::new("blur", 0.25, 3)),
            (7, TrialKey::new("blur", 0.5, 3)),
            (7, TrialKey::new("blur", 0.25, 4)),
            (7, TrialKey::new("gaussian", 0.25, 3)),
            (7, TrialKey::new("blur\0", 0.25, 3)),
        ];
        for (seed, other) in &others {
            assert_ne!(draws(7, &key), draws(*seed, other), "{}", other.label());
        }
        assert_eq!(draws(1, &TrialKey::new("a", -0.0, 0)), draws(1, &TrialKey::new("a", 0.0, 0)));
    }
}
