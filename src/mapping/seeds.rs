//! The seeds of a population's on-chip generators, as the sPyNNaker 7.4.1 host draws them from
//! the population's `numpy.random.RandomState(seed)` (`create_mars_kiss_seeds`): four
//! `rng.randint(-2**31, 2**31 - 1) + 2**31`, then `_validate_mars_kiss_64_seed`.
//!
//! [`RandomState`] is numpy's legacy MT19937 seeded with an integer (`init_genrand`), and
//! `RandomState::kiss_seed_word` its bounded-integer path for that call (masked rejection over
//! 32-bit draws), so a population `seed` gives the seeds sPyNNaker 7.4.1 writes. A population
//! without a seed gets a 32-bit one from the network seed: the first `u32` of
//! `host_rng(network_seed, [5, population_index])` (sPyNNaker would use OS entropy there).
//!
//! A SpikeSourcePoisson vertex draws one seed per slice; a neuron population (`PopulationVertex`)
//! draws its population seed first, then one per slice, which its connection-builder and
//! neuron-builder regions share (docs/expander.md §1).

use super::{CoreKind, MachineImage};
use crate::error::{Error, Result};
use crate::expander::ConnectionBuilder;
use crate::fixed::Kiss64;
use crate::model::{host_rng, CellType, Network, Population, RandomState};
use rand::RngExt;

impl RandomState {
    /// `rng.randint(-2**31, 2**31 - 1) + 2**31` (default dtype int64, so
    /// `random_bounded_uint64_fill` with range 2^32 − 2 and mask 0xFFFFFFFF: 32-bit draws,
    /// 0xFFFFFFFF rejected).
    pub fn kiss_seed_word(&mut self) -> u32 {
        loop {
            let v = self.next_u32();
            if v != u32::MAX {
                return v;
            }
        }
    }

    /// `create_mars_kiss_seeds(rng)` before validation: four words.
    pub fn kiss_seed_words(&mut self) -> [u32; 4] {
        [self.kiss_seed_word(), self.kiss_seed_word(), self.kiss_seed_word(), self.kiss_seed_word()]
    }
}

/// The 32-bit `RandomState` seed of a Poisson population: its own `seed`, or one drawn from the
/// network seed.
pub fn population_seed(p: &Population, net_seed: u64, pi: usize) -> Result<u32> {
    match p.seed {
        Some(s) => u32::try_from(s).map_err(|_| {
            Error::param(p.name(), "seed", format!("{s} is not between 0 and 2**32 - 1 (numpy RandomState)"))
        }),
        None => Ok(host_rng(net_seed, &[5, pi as u64]).random::<u32>()),
    }
}

/// The validated KISS seeds of the first `n_slices` slices (in slice order) of a population
/// whose `RandomState` seed is `seed`, drawn in one pass.
pub fn slice_kiss_seeds(seed: u32, n_slices: usize) -> Vec<[u32; 4]> {
    let mut rs = RandomState::new(seed);
    (0..n_slices).map(|_| Kiss64::new(rs.kiss_seed_words()).seed).collect()
}

/// A neuron population's seeds (`PopulationVertex.pop_seed` and `core_seed`): the population's,
/// then one per slice in slice order.
pub fn vertex_kiss_seeds(seed: u32, n_slices: usize) -> ([u32; 4], Vec<[u32; 4]>) {
    let mut all = slice_kiss_seeds(seed, n_slices + 1);
    let pop = all.remove(0);
    (pop, all)
}

/// The populations without a `seed` whose draws the machine makes (a Poisson source, or a
/// population the synapse expander builds synapses onto): spinnsim seeds them from the network
/// seed, where sPyNNaker would use OS entropy, so the machine's own result would not repeat.
pub fn unseeded_machine_draws(net: &Network, image: &MachineImage) -> Vec<String> {
    let generated = |pi: usize| {
        image.population_cores[pi].iter().any(|&c| match &image.cores[c as usize].kind {
            CoreKind::Neuron(nc) => ConnectionBuilder::edge_count(&nc.connection_builder) > 0,
            _ => false,
        })
    };
    net.populations
        .iter()
        .enumerate()
        .filter(|(pi, p)| p.seed.is_none() && (p.cell_type == CellType::SpikeSourcePoisson || generated(*pi)))
        .map(|(_, p)| p.label.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The validated KISS seed of slice `ci` (0-based, in slice order) of a population whose
    /// `RandomState` seed is `seed`.
    fn slice_kiss_seed(seed: u32, ci: usize) -> [u32; 4] {
        slice_kiss_seeds(seed, ci + 1)[ci]
    }

    #[test]
    fn mt19937_reference_outputs() {
        // The first outputs of init_genrand(5489), the reference implementation's default seed.
        let mut rs = RandomState::new(5489);
        let first: Vec<u32> = (0..3).map(|_| rs.next_u32()).collect();
        assert_eq!(first, [3499211612, 581869302, 3890346734]);
    }

    #[test]
    fn kiss_seeds_of_seed_42() {
        // sPyNNaker 7.4.1, SpikeSourcePoisson(seed=42), two slices
        // (tests/fixtures/virtual-board-7.4.1/poisson.json).
        assert_eq!(slice_kiss_seed(42, 0), [1608637542, 3421126067, 4083286876, 89077347]);
        assert_eq!(slice_kiss_seed(42, 1), [3143890026, 3348747335, 2571218620, 467144721]);
    }
}
