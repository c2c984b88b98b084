//! The random numbers teaching uses: SplitMix64 (Steele, Lea & Flood 2014), small enough to be
//! written again in any language, so a reference (tools/teach_reference.py) draws exactly the
//! same split, initial head and batch order from the same seed.

/// A SplitMix64 stream.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

/// What a stream is drawn for: each purpose starts from its own state, so changing how many
/// numbers one of them draws changes none of the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The train/validation split ([`crate::teach::Split::stratified`]).
    Split = 0,
    /// The head's initial weights.
    Init = 1,
    /// The order of the training examples, shuffled again every epoch.
    Shuffle = 2,
}

impl SplitMix64 {
    /// The stream whose first output is SplitMix64's first output from state `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The stream for `purpose`: state `seed + purpose` (wrapping).
    pub fn for_purpose(seed: u64, purpose: Purpose) -> Self {
        Self(seed.wrapping_add(purpose as u64))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`next_u64() % n`; 0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `[0, 1)`: the top 53 bits over 2⁵³.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Shuffles `items` in place (Fisher–Yates from the last element down: element `i` swaps
    /// with element `below(i + 1)`).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_its_published_outputs() {
        // SplitMix64's first outputs from state 1234567, as other implementations list them.
        let mut r = SplitMix64::new(1234567);
        let first: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(
            first,
            [
                6457827717110365317,
                3203168211198807973,
                9817491932198370423
            ]
        );
    }

    #[test]
    fn shuffle_is_a_seeded_permutation() {
        let mut a: Vec<usize> = (0..20).collect();
        let mut b = a.clone();
        SplitMix64::new(7).shuffle(&mut a);
        SplitMix64::new(7).shuffle(&mut b);
        assert_eq!(a, b);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..20).collect::<Vec<_>>());
        assert_ne!(a, (0..20).collect::<Vec<_>>());
        let u = SplitMix64::new(3).unit();
        assert!((0.0..1.0).contains(&u));
    }
}
