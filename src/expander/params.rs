//! The parameter generators of the 7.4.1 expanders (`param_generators/*.h`, dispatch
//! `param_generator_generate` at 0xaa4 of `synapse_expander.aplx`): a constant or a random
//! variate, in s16.15, drawn from the core's mars_kiss64 (`core_rng`), in the expander's own
//! fixed-point arithmetic (docs/expander.md §2).
//!
//! The same generators, with the same ids and parameter words, serve weights and delays in the
//! synapse expander and parameters and state variables in the neuron expander.

use super::Abort;
use crate::fixed::{exponential_variate, norminv_urt, Kiss64};

/// Draws a clipped generator makes before it gives up and the core stops (RTE_SWERR).
pub const MAX_CLIPPED_DRAWS: u32 = 1000;

/// One parameter generator as the host describes it: its id and S1615 parameter words, in the
/// order of PyNN's `available_distributions` (`param_generator_data.py`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamGenerator {
    /// Id 0: one S1615 word; no draw.
    Constant(i32),
    /// Id 1 (also `uniform_int`): low, high.
    Uniform { low: i32, high: i32 },
    /// Id 2: mu, sigma.
    Normal { mu: i32, sigma: i32 },
    /// Id 3: mu, sigma, low, high; redrawn while outside [low, high].
    NormalClipped { mu: i32, sigma: i32, low: i32, high: i32 },
    /// Id 4: mu, sigma, low, high; one draw, moved onto the nearer bound when outside.
    NormalClippedToBoundary { mu: i32, sigma: i32, low: i32, high: i32 },
    /// Id 5: beta.
    Exponential { beta: i32 },
    /// Id 6: beta, low, high. In 7.4.1 it draws the *normal* variate (0x81c calls `rng_normal`).
    ExponentialClipped { beta: i32, low: i32, high: i32 },
}

impl ParamGenerator {
    /// The generator's id in the region (`param_generator_data.py`).
    pub fn id(&self) -> u32 {
        match self {
            ParamGenerator::Constant(_) => 0,
            ParamGenerator::Uniform { .. } => 1,
            ParamGenerator::Normal { .. } => 2,
            ParamGenerator::NormalClipped { .. } => 3,
            ParamGenerator::NormalClippedToBoundary { .. } => 4,
            ParamGenerator::Exponential { .. } => 5,
            ParamGenerator::ExponentialClipped { .. } => 6,
        }
    }

    /// The parameter words the host writes after the id, in order.
    pub fn words(&self) -> Vec<u32> {
        use ParamGenerator::*;
        let w: Vec<i32> = match *self {
            Constant(v) => vec![v],
            Uniform { low, high } => vec![low, high],
            Normal { mu, sigma } => vec![mu, sigma],
            NormalClipped { mu, sigma, low, high } | NormalClippedToBoundary { mu, sigma, low, high } => {
                vec![mu, sigma, low, high]
            }
            Exponential { beta } => vec![beta],
            ExponentialClipped { beta, low, high } => vec![beta, low, high],
        };
        w.into_iter().map(|x| x as u32).collect()
    }

    /// The generator of id `id` whose parameters start `words`, and how many words it used; `None`
    /// for an unknown id or too few words.
    pub fn from_words(id: u32, words: &[u32]) -> Option<(ParamGenerator, usize)> {
        use ParamGenerator::*;
        let n = [1, 2, 2, 4, 4, 1, 3].get(id as usize).copied()?;
        let w: Vec<i32> = words.get(..n)?.iter().map(|&x| x as i32).collect();
        let g = match id {
            0 => Constant(w[0]),
            1 => Uniform { low: w[0], high: w[1] },
            2 => Normal { mu: w[0], sigma: w[1] },
            3 => NormalClipped { mu: w[0], sigma: w[1], low: w[2], high: w[3] },
            4 => NormalClippedToBoundary { mu: w[0], sigma: w[1], low: w[2], high: w[3] },
            5 => Exponential { beta: w[0] },
            _ => ExponentialClipped { beta: w[0], low: w[1], high: w[2] },
        };
        Some((g, n))
    }

    /// The next value, s16.15, drawing from `rng` as the binary does.
    pub fn generate(&self, rng: &mut Kiss64) -> Result<i32, Abort> {
        use ParamGenerator::*;
        Ok(match *self {
            Constant(v) => v,
            Uniform { low, high } => uniform(rng.next_u32(), low, high),
            Normal { mu, sigma } => scaled_normal(rng, mu, sigma),
            NormalClipped { mu, sigma, low, high } => clipped(|| scaled_normal(rng, mu, sigma), low, high)?,
            NormalClippedToBoundary { mu, sigma, low, high } => scaled_normal(rng, mu, sigma).clamp(low, high),
            Exponential { beta } => mul_accum(exponential_variate(rng), beta),
            ExponentialClipped { beta, low, high } => {
                clipped(|| mul_accum(norminv_urt(rng.next_u32()), beta), low, high)?
            }
        })
    }
}

/// accum × accum as the binary's inlined `smull` computes it: the product floored, low word kept.
fn mul_accum(a: i32, b: i32) -> i32 {
    ((a as i64 * b as i64) >> 15) as i32
}

/// `mu + rng_normal · sigma`.
fn scaled_normal(rng: &mut Kiss64, mu: i32, sigma: i32) -> i32 {
    mu.wrapping_add(mul_accum(norminv_urt(rng.next_u32()), sigma))
}

/// Redraws while the value is outside [low, high]; after [`MAX_CLIPPED_DRAWS`] draws the core stops,
/// even when the last draw was inside.
fn clipped(mut draw: impl FnMut() -> i32, low: i32, high: i32) -> Result<i32, Abort> {
    let mut n = 0;
    let mut v;
    loop {
        v = draw();
        n += 1;
        if !(v < low || v > high) || n >= MAX_CLIPPED_DRAWS {
            break;
        }
    }
    if n >= MAX_CLIPPED_DRAWS {
        return Err(Abort::ClippedDraws { low, high });
    }
    Ok(v)
}

/// `low + ulrbits(u) · (high − low)`, evaluated in s32.31 as GCC compiles it: the u0.32 draw and
/// the s16.15 span widened to s32.31, multiplied by `__mulda3` (rounded half up), `low` added,
/// then narrowed back to s16.15 (floor, low word kept).
fn uniform(u: u32, low: i32, high: i32) -> i32 {
    let span = (high.wrapping_sub(low) as i64) << 16;
    let p = ((((u >> 1) as i128) * span as i128 + (1 << 30)) >> 31) as i64;
    ((p.wrapping_add((low as i64) << 16)) >> 16) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_for_every_id() {
        let gens = [
            ParamGenerator::Constant(-7),
            ParamGenerator::Uniform { low: -3, high: 9 },
            ParamGenerator::Normal { mu: 1, sigma: 2 },
            ParamGenerator::NormalClipped { mu: 1, sigma: 2, low: -5, high: 5 },
            ParamGenerator::NormalClippedToBoundary { mu: 1, sigma: 2, low: -5, high: 5 },
            ParamGenerator::Exponential { beta: 4 },
            ParamGenerator::ExponentialClipped { beta: 4, low: 0, high: 8 },
        ];
        for g in gens {
            let w = g.words();
            assert_eq!(ParamGenerator::from_words(g.id(), &w), Some((g, w.len())));
            assert_eq!(ParamGenerator::from_words(g.id(), &w[..w.len() - 1]), None);
        }
        assert_eq!(ParamGenerator::from_words(7, &[0; 8]), None);
    }

    #[test]
    fn uniform_spans_its_interval() {
        let (low, high) = (-65 << 15, -55 << 15);
        assert_eq!(uniform(0, low, high), low);
        assert!(uniform(u32::MAX, low, high) < high && uniform(u32::MAX, low, high) > high - 2);
        assert_eq!(uniform(1 << 31, low, high), -60 << 15);
    }

    #[test]
    fn a_window_never_reached_stops_the_core_after_1000_draws() {
        let mut rng = Kiss64::new([1, 2, 3, 4]);
        let g = ParamGenerator::NormalClipped { mu: 0, sigma: 1 << 15, low: 100 << 15, high: 101 << 15 };
        assert!(matches!(g.generate(&mut rng), Err(Abort::ClippedDraws { .. })));
        let mut fresh = Kiss64::new([1, 2, 3, 4]);
        (0..1000).for_each(|_| {
            fresh.next_u32();
        });
        assert_eq!(rng, fresh, "exactly 1000 draws");
    }
}
