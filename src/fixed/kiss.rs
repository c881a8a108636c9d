//! The mars_kiss64 generator used on chip (fact sheet §1.3).

/// KISS on four u32 words (x, y, z, c).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kiss64 {
    pub seed: [u32; 4],
}

impl Kiss64 {
    /// A generator from a seed, validated as `validate_mars_kiss64_seed` does.
    pub fn new(_seed: [u32; 4]) -> Self {
        todo!()
    }
    /// The next u32.
    pub fn next_u32(&mut self) -> u32 {
        todo!()
    }
}
