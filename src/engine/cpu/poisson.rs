//! SpikeSourcePoisson cores (§7.2): slow, fast and faster sources, KISS64 per core.

use super::state::CoreRun;
use crate::mapping::{Core, PoissonCore};

/// Per-core Poisson state that persists across ticks and runs.
#[derive(Clone, Debug)]
pub struct PoissonState {}

impl PoissonState {
    pub fn new(_pc: &PoissonCore) -> Self {
        PoissonState {}
    }
}

/// The timer of tick `t` of a Poisson core.
pub fn poisson(_core: &Core, _pc: &PoissonCore, _run: &mut CoreRun, _t: u32) {}
