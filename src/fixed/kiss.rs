//! The mars_kiss64 generator used on chip (docs/semantics.md §1.3).
//!
//! `mars_kiss64_seed` is the ARM routine at 0x36a0 of `IF_curr_exp_neuron.aplx` (0x4458 of
//! `synapse_expander.aplx`; it is inlined in `spike_source_poisson.aplx`). The state words
//! are (x, y, z, c) = seed[0..4]:
//! x = 314527869·x + 1234567; y ^= y<<5; y ^= y>>7; y ^= y<<22;
//! t = 4294584393·z + c (u64); z = lo(t); c = hi(t); result x + y + z (all mod 2^32).
//!
//! `validate_mars_kiss64_seed` runs on the host only (sPyNNaker's
//! `_validate_mars_kiss_64_seed` inside `create_mars_kiss_seeds`); no 7.4.1 binary contains
//! its constants. It is not idempotent (c ↦ c mod 698769068 + 1), so it must be applied
//! exactly once, to the four raw draws: seeds read back from SDRAM are already validated
//! and go through [`Kiss64::from_state`].

/// `ARBITRARY_Y`: replaces a zero y.
pub const ARBITRARY_Y: u32 = 13031301;
/// `MARS_C_MAX`: c is reduced modulo this, plus one.
pub const MARS_C_MAX: u32 = 698769068;

/// `_validate_mars_kiss_64_seed`: y = 0 becomes 13031301, then c = c % 698769068 + 1.
pub fn validate_mars_kiss64_seed(seed: &mut [u32; 4]) {
    if seed[1] == 0 {
        seed[1] = ARBITRARY_Y;
    }
    seed[3] = seed[3] % MARS_C_MAX + 1;
}

/// KISS on four u32 words (x, y, z, c).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kiss64 {
    pub seed: [u32; 4],
}

impl Kiss64 {
    /// A generator from four raw seed words, validated as `validate_mars_kiss64_seed` does
    /// (the host step before the seed is written to SDRAM).
    pub fn new(seed: [u32; 4]) -> Self {
        let mut seed = seed;
        validate_mars_kiss64_seed(&mut seed);
        Kiss64 { seed }
    }

    /// A generator from a state used as is (a seed that was already validated, as stored in
    /// SDRAM, or the state of a generator that has already run).
    pub fn from_state(seed: [u32; 4]) -> Self {
        Kiss64 { seed }
    }

    /// The next u32 (`mars_kiss64_seed`).
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        let [x, y, z, c] = self.seed;
        let x = x.wrapping_mul(314527869).wrapping_add(1234567);
        let mut y = y;
        y ^= y << 5;
        y ^= y >> 7;
        y ^= y << 22;
        let t = 4294584393u64 * z as u64 + c as u64;
        let (z, c) = (t as u32, (t >> 32) as u32);
        self.seed = [x, y, z, c];
        x.wrapping_add(y).wrapping_add(z)
    }

    /// `(R · u) >> 32`: a draw in `0..range` (the synapse expander's fixed-total connectors).
    #[inline]
    pub fn below(&mut self, range: u32) -> u32 {
        ((range as u64 * self.next_u32() as u64) >> 32) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert_eq!(Kiss64::new([0, 0, 0, 0]).seed, [0, 13031301, 0, 1]);
        assert_eq!(Kiss64::new([5, 6, 7, MARS_C_MAX]).seed, [5, 6, 7, 1]);
        assert_eq!(Kiss64::new([5, 6, 7, u32::MAX]).seed, [5, 6, 7, 102352888]);
        assert_eq!(Kiss64::from_state([1, 2, 3, 4]).seed, [1, 2, 3, 4]);
    }

    #[test]
    fn t_does_not_overflow() {
        // 4294584393·(2^32-1) + (2^32-1) < 2^64
        let mut k = Kiss64::from_state([u32::MAX; 4]);
        k.next_u32();
        assert_eq!((k.seed[2], k.seed[3]), (382902, 4294584393));
    }
}
