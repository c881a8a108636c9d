//! Cell types in PyNN terms, with sPyNNaker 7.4.1's parameter names and defaults (docs/semantics.md §5.5).

use serde::{Deserialize, Serialize};

/// What a population is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CellType {
    #[serde(rename = "IF_curr_exp")]
    IfCurrExp,
    #[serde(rename = "IF_cond_exp")]
    IfCondExp,
    #[serde(rename = "IF_curr_delta")]
    IfCurrDelta,
    #[serde(rename = "Izhikevich")]
    Izhikevich,
    #[serde(rename = "Izhikevich_cond")]
    IzhikevichCond,
    #[serde(rename = "SpikeSourceArray")]
    SpikeSourceArray,
    #[serde(rename = "SpikeSourcePoisson")]
    SpikeSourcePoisson,
}

/// How a parameter must be constrained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Range {
    /// Any finite value representable in s16.15.
    Any,
    /// Strictly positive.
    Positive,
    /// Zero or more.
    NonNegative,
}

/// One parameter or initial value of a cell type.
#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    pub name: &'static str,
    pub default: f64,
    pub range: Range,
}

const fn p(name: &'static str, default: f64, range: Range) -> ParamSpec {
    ParamSpec { name, default, range }
}

use Range::*;

const LIF: &[ParamSpec] = &[
    p("tau_m", 20.0, Positive),
    p("cm", 1.0, Positive),
    p("v_rest", -65.0, Any),
    p("v_reset", -65.0, Any),
    p("v_thresh", -50.0, Any),
    p("tau_refrac", 0.1, NonNegative),
    p("i_offset", 0.0, Any),
];
const EXP_SYN: &[ParamSpec] = &[p("tau_syn_E", 5.0, Positive), p("tau_syn_I", 5.0, Positive)];
const COND: &[ParamSpec] = &[p("e_rev_E", 0.0, Any), p("e_rev_I", -70.0, Any)];
const IZK: &[ParamSpec] =
    &[p("a", 0.02, Any), p("b", 0.2, Any), p("c", -65.0, Any), p("d", 2.0, Any), p("i_offset", 0.0, Any)];
const POISSON: &[ParamSpec] = &[
    p("rate", 1.0, NonNegative),
    p("start", 0.0, NonNegative),
    // infinity = forever (PyNN's duration=None).
    p("duration", f64::INFINITY, NonNegative),
];
const LIF_INIT: &[ParamSpec] = &[p("v", -65.0, Any), p("isyn_exc", 0.0, Any), p("isyn_inh", 0.0, Any)];
const IZK_INIT: &[ParamSpec] =
    &[p("v", -70.0, Any), p("u", -14.0, Any), p("isyn_exc", 0.0, Any), p("isyn_inh", 0.0, Any)];

impl CellType {
    pub const ALL: [CellType; 7] = [
        CellType::IfCurrExp,
        CellType::IfCondExp,
        CellType::IfCurrDelta,
        CellType::Izhikevich,
        CellType::IzhikevichCond,
        CellType::SpikeSourceArray,
        CellType::SpikeSourcePoisson,
    ];

    /// The PyNN / sPyNNaker class name.
    pub fn name(self) -> &'static str {
        match self {
            CellType::IfCurrExp => "IF_curr_exp",
            CellType::IfCondExp => "IF_cond_exp",
            CellType::IfCurrDelta => "IF_curr_delta",
            CellType::Izhikevich => "Izhikevich",
            CellType::IzhikevichCond => "Izhikevich_cond",
            CellType::SpikeSourceArray => "SpikeSourceArray",
            CellType::SpikeSourcePoisson => "SpikeSourcePoisson",
        }
    }

    pub fn from_name(name: &str) -> Option<CellType> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Parameters (not state), in a fixed order.
    pub fn parameters(self) -> Vec<ParamSpec> {
        let parts: &[&[ParamSpec]] = match self {
            CellType::IfCurrExp => &[LIF, EXP_SYN],
            CellType::IfCondExp => &[LIF, EXP_SYN, COND],
            CellType::IfCurrDelta => &[LIF],
            CellType::Izhikevich => &[IZK, EXP_SYN],
            CellType::IzhikevichCond => &[IZK, EXP_SYN, COND],
            CellType::SpikeSourceArray => &[],
            CellType::SpikeSourcePoisson => &[POISSON],
        };
        parts.iter().flat_map(|p| p.iter().copied()).collect()
    }

    /// State variables that can be initialised, in a fixed order.
    pub fn initial_values(self) -> &'static [ParamSpec] {
        match self {
            CellType::IfCurrExp | CellType::IfCondExp | CellType::IfCurrDelta => LIF_INIT,
            CellType::Izhikevich | CellType::IzhikevichCond => IZK_INIT,
            CellType::SpikeSourceArray | CellType::SpikeSourcePoisson => &[],
        }
    }

    pub fn is_source(self) -> bool {
        matches!(self, CellType::SpikeSourceArray | CellType::SpikeSourcePoisson)
    }

    pub fn is_conductance(self) -> bool {
        matches!(self, CellType::IfCondExp | CellType::IzhikevichCond)
    }

    /// The global weight scale of the input type (docs/spynnaker-mapping.md §9): 1024 for conductance input.
    pub fn global_weight_scale(self) -> f64 {
        if self.is_conductance() {
            1024.0
        } else {
            1.0
        }
    }

    /// Default maximum atoms per core (docs/spynnaker-mapping.md §2.1; a SpikeSourceArray has no limit).
    pub fn default_max_atoms_per_core(self) -> u32 {
        match self {
            CellType::SpikeSourcePoisson => 500,
            CellType::SpikeSourceArray => u32::MAX,
            _ => 256,
        }
    }

    /// Variables this cell type can record.
    pub fn recordables(self) -> &'static [&'static str] {
        if self.is_source() {
            &["spikes"]
        } else {
            &["spikes", "v", "gsyn_exc", "gsyn_inh"]
        }
    }
}
