//! A recorded spike train reduced to integers as it is recorded: enough for its spike count and
//! the CV of its inter-spike intervals, so that a run asked only for a summary keeps a few words
//! per recorded neuron instead of every spike. The GPU keeps the same words (`tally_spikes` in
//! shaders/record.wgsl), so both engines give the same integers.

use bytemuck::{Pod, Zeroable};

/// Words of a [`SpikeTally`], and where each field lies in them (the shaders index the words).
pub const TALLY_WORDS: u32 = 5;
pub const TALLY_COUNT: u32 = 0;
pub const TALLY_FIRST: u32 = 1;
pub const TALLY_LAST: u32 = 2;
pub const TALLY_SQ_LO: u32 = 3;
pub const TALLY_SQ_HI: u32 = 4;

/// The entries a neuron's spike recording would hold, as integers: how many, the ticks of the
/// first and the last, and the sum of the squares of the intervals between consecutive entries
/// (u64 as two words; it is at most `(last − first)²`, so it never wraps).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct SpikeTally {
    pub count: u32,
    pub first: u32,
    pub last: u32,
    pub sum_sq_lo: u32,
    pub sum_sq_hi: u32,
}

const _: () = {
    assert!(std::mem::size_of::<SpikeTally>() == TALLY_WORDS as usize * 4);
    assert!(std::mem::offset_of!(SpikeTally, count) == TALLY_COUNT as usize * 4);
    assert!(std::mem::offset_of!(SpikeTally, first) == TALLY_FIRST as usize * 4);
    assert!(std::mem::offset_of!(SpikeTally, last) == TALLY_LAST as usize * 4);
    assert!(std::mem::offset_of!(SpikeTally, sum_sq_lo) == TALLY_SQ_LO as usize * 4);
    assert!(std::mem::offset_of!(SpikeTally, sum_sq_hi) == TALLY_SQ_HI as usize * 4);
};

impl SpikeTally {
    /// Adds `n` entries at tick `t`, no earlier than the last (a Poisson source's n spikes in one
    /// tick are n entries, n − 1 of them at interval 0).
    pub fn add(&mut self, t: u32, n: u32) {
        if n == 0 {
            return;
        }
        if self.count == 0 {
            self.first = t;
        } else {
            let x = u64::from(t - self.last);
            self.set_sum_sq(self.sum_sq() + x * x);
        }
        self.count = self.count.wrapping_add(n);
        self.last = t;
    }

    /// Adds one entry at tick `t` unless the last entry is at `t` already (a spike array that
    /// lists a neuron twice in a tick sets its bit once).
    pub fn add_once(&mut self, t: u32) {
        if self.count == 0 || self.last != t {
            self.add(t, 1);
        }
    }

    pub fn sum_sq(&self) -> u64 {
        u64::from(self.sum_sq_lo) | u64::from(self.sum_sq_hi) << 32
    }

    fn set_sum_sq(&mut self, s: u64) {
        self.sum_sq_lo = s as u32;
        self.sum_sq_hi = (s >> 32) as u32;
    }

    /// The intervals between the entries.
    pub fn intervals(&self) -> Intervals {
        if self.count < 2 {
            return Intervals::default();
        }
        Intervals {
            n: u64::from(self.count - 1),
            sum: u64::from(self.last - self.first),
            sum_sq: u128::from(self.sum_sq()),
        }
    }
}

/// A neuron's inter-spike intervals summed as integers (so that any engine, or a device that
/// accumulates them spike by spike, gets the same): how many, their sum and their sum of squares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Intervals {
    pub n: u64,
    pub sum: u64,
    pub sum_sq: u128,
}

impl Intervals {
    /// The intervals between sorted `ticks`.
    pub fn of(ticks: &[u32]) -> Intervals {
        ticks.windows(2).fold(Intervals::default(), |a, w| {
            let x = u64::from(w[1] - w[0]);
            Intervals { n: a.n + 1, sum: a.sum + x, sum_sq: a.sum_sq + u128::from(x) * u128::from(x) }
        })
    }

    /// Their CV, standard deviation (of the population) over mean: `sqrt(n Σx² − (Σx)²) / Σx`,
    /// the integers exact and then one square root and one division; None for fewer than two
    /// intervals or a zero mean.
    pub fn cv(self) -> Option<f64> {
        if self.n < 2 || self.sum == 0 {
            return None;
        }
        let spread = u128::from(self.n) * self.sum_sq - u128::from(self.sum) * u128::from(self.sum);
        Some((spread as f64).sqrt() / self.sum as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A tally of entries equals the intervals of the entries themselves.
        #[test]
        fn tally_is_the_intervals_of_its_entries(steps in proptest::collection::vec((0u32..5000, 1u32..4), 0..60)) {
            let (mut tally, mut ticks, mut t) = (SpikeTally::default(), Vec::new(), 0u32);
            for (dt, n) in steps {
                t += dt;
                tally.add(t, n);
                ticks.extend(std::iter::repeat_n(t, n as usize));
            }
            prop_assert_eq!(tally.count as usize, ticks.len());
            prop_assert_eq!(tally.intervals(), Intervals::of(&ticks));
        }
    }

    #[test]
    fn add_once_skips_a_second_entry_in_the_same_tick() {
        let mut t = SpikeTally::default();
        for tick in [3, 3, 7, 7, 7, 10] {
            t.add_once(tick);
        }
        assert_eq!((t.count, t.first, t.last, t.sum_sq()), (3, 3, 10, 16 + 9));
    }

    #[test]
    fn large_intervals_carry_into_the_high_word() {
        let mut t = SpikeTally::default();
        t.add(0, 1);
        t.add(100_000, 1);
        assert_eq!(t.sum_sq(), 10_000_000_000);
        assert_eq!(t.sum_sq_hi, 2);
    }
}
