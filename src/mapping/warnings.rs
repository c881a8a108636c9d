//! What the mapping tells the user when sPyNNaker 7.4.1 would not do what the network asks:
//! spinnsim does what the machine does, and says so once, naming the population or projection,
//! the value, and what the machine makes of it.

use super::host_draws;
use crate::model::{CellType, Network, Population, Projection, RandomDistribution, ResolvedParams, Values};

/// The unit of a population's synaptic weights.
fn weight_unit(cell_type: CellType) -> &'static str {
    if cell_type.is_conductance() {
        "µS"
    } else {
        "nA"
    }
}

/// Weights of one projection that its 16-bit synaptic words cannot hold.
#[derive(Default)]
pub(super) struct Unheld {
    count: usize,
    /// The largest |w| asked for, and the 16-bit word it was stored as.
    largest: f64,
    stored: u16,
}

impl Unheld {
    pub(super) fn add(&mut self, w: f64, stored: u16) {
        self.count += 1;
        if w.abs() > self.largest {
            (self.largest, self.stored) = (w.abs(), stored);
        }
    }

    /// The weights the synapse expander could not hold: `count` of them, the largest `largest`
    /// (in the population's unit) stored as `stored`.
    pub(super) fn add_expanded(&mut self, count: usize, largest: f64, stored: u16) {
        self.count += count;
        if largest > self.largest {
            (self.largest, self.stored) = (largest, stored);
        }
    }

    /// The warning, if any weight was not held; `total` synapses in the projection.
    pub(super) fn warning(
        &self,
        projection: &str,
        post: &Population,
        shift: u32,
        scale: f64,
        total: usize,
    ) -> Option<String> {
        if self.count == 0 {
            return None;
        }
        let unit = weight_unit(post.cell_type);
        Some(format!(
            "{projection}: {} of {total} weights are larger than a synaptic word holds with the ring-buffer shift {shift} \
             of `{}` (at most {:.6} {unit}); as on SpiNNaker they are kept modulo 2^16, so the largest, {} {unit}, acts \
             as {} {unit}",
            self.count,
            post.label,
            65535.0 / scale,
            self.largest,
            self.stored as f64 / scale
        ))
    }
}

/// Plastic synapses whose delay is a multiple of the in-core delay `m` ticks: the row stores
/// their delay field as 0, and the STDP binary never delivers them (docs/stdp.md §7).
pub(super) fn plastic_delay_field_zero(
    projection: &str,
    post: &Population,
    never: usize,
    total: usize,
    m: u32,
    dt: f64,
) -> Option<String> {
    (never > 0).then(|| {
        format!(
            "{projection}: {never} of {total} plastic synapses have a delay that is a multiple of {m} ticks ({} ms, the \
             delay a core of `{}` holds); sPyNNaker 7.4.1 stores their delay field as 0, so, as on SpiNNaker, they are \
             never delivered (every spike counts as a skipped synapse) though they still learn (docs/stdp.md §7)",
            m as f64 * dt,
            post.label
        )
    })
}

/// Ring-buffer left shifts of 16 or more (the host's statistics saw weights of 2^16 or more in
/// the population's unit): the binary converts a ring-buffer sum to s16.15 input by `value <<
/// shift`, so large sums wrap to negative inputs, as on the machine; a warning. A shift of 32 or
/// more shifts every input out of the 32-bit word, which leaves the population no input at all:
/// refused, naming the weights to lower.
pub(super) fn ring_buffer_shifts(post: &Population, shifts: [u32; 2]) -> crate::Result<Option<String>> {
    let unit = weight_unit(post.cell_type);
    // The weight, in the population's unit, that a shift of `s` says the statistics reached.
    let reached = |s: u32| 2f64.powi(s as i32 - 1) / post.cell_type.global_weight_scale();
    for (&s, what) in shifts.iter().zip(["excitatory", "inhibitory"]) {
        if s >= 32 {
            return Err(crate::Error::Mapping(format!(
                "{}: the {what} weights into it are so large (their ring-buffer statistics reach {:.3e} {unit}) \
                 that its ring-buffer shift would be {s}; SpiNNaker shifts every {what} input out of its 32-bit \
                 word by that, so the population would get none: lower the {what} weights",
                post.name(),
                reached(s)
            )));
        }
    }
    let big: Vec<String> = shifts
        .iter()
        .zip(["excitatory", "inhibitory"])
        .filter(|(&s, _)| s >= 16)
        .map(|(s, w)| format!("{w} {s}"))
        .collect();
    Ok((!big.is_empty()).then(|| {
        format!(
            "{}: ring-buffer shift {} (its ring-buffer statistics reach {} {unit} or more): as on SpiNNaker, a tick's \
             input of that type above {} {unit} wraps to a negative one",
            post.name(),
            big.join(", "),
            reached(16),
            2.0 * reached(16)
        )
    }))
}

/// A SpikeSourcePoisson rate at or above 2^16 Hz: the binary holds rates as unsigned 16.16
/// accums, so it runs at the rate modulo 65536 Hz.
pub(super) fn poisson_rates(p: &Population, resolved: &ResolvedParams) -> Option<String> {
    let rates = resolved.get("rate");
    let over: Vec<f64> = rates.iter().copied().filter(|&r| r >= 65536.0).collect();
    let largest = over.iter().copied().fold(0.0f64, f64::max);
    (!over.is_empty()).then(|| {
        format!(
            "{}: {} of {} sources have a rate of 65536 Hz or more (largest {largest} Hz); the SpiNNaker binary holds \
             rates as 16.16 fixed point, so, as on the machine, they run at the rate modulo 65536 Hz ({largest} Hz \
             runs at {} Hz)",
            p.name(),
            over.len(),
            rates.len(),
            largest.rem_euclid(65536.0)
        )
    })
}

/// Projection `name` over PopulationViews (`pre_range`, `post_range`: first and last neurons of
/// what it connects), as sPyNNaker 7.4.1 would not build it (docs/decisions.md D20): self
/// connections left in between two different views of one population, and rows its host would
/// build (`built_on_host`) without the views' offsets.
pub(super) fn views(
    name: &str,
    proj: &Projection,
    (pre_range, post_range): ((u32, u32), (u32, u32)),
    built_on_host: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    let (lo, hi) = (pre_range.0.max(post_range.0), pre_range.1.min(post_range.1));
    if proj.pre == proj.post
        && !proj.is_recurrent()
        && proj.connector.allow_self_connections() == Some(false)
        && lo <= hi
    {
        out.push(format!(
            "{name}: allow_self_connections = False leaves neurons {lo}..={hi} of `{}` free to connect to themselves, \
             as on the machine: sPyNNaker 7.4.1 leaves out self connections only when pre and post compare equal, \
             and two different views of one population do not",
            proj.post
        ));
    }
    if built_on_host && (proj.pre_view.is_some() || proj.post_view.is_some()) {
        out.push(format!(
            "{name}: sPyNNaker 7.4.1 builds the rows of a projection over a PopulationView on the host without the \
             views' offsets (it connects neurons counted from 0 of each population, or raises for OneToOne, \
             FixedTotalNumber and FixedNumberPre); spinnsim connects the views' own neurons, as PyNN defines them"
        ));
    }
    out
}

/// A OneToOneOffsetConnector with groups that the host builds (`n_pre` pre-synaptic neurons):
/// 7.4.1's host code differs from its expander there (a group's last pre is one past it, and a
/// post left out does not count towards its group), and spinnsim connects as the expander does.
pub(super) fn offset_on_host(name: &str, proj: &Projection, n_pre: u32) -> Option<String> {
    if !matches!(proj.connector, crate::model::Connector::OneToOneOffsetConnector { .. }) {
        return None;
    }
    let group = proj.connector.offset_group(n_pre)?;
    (group < n_pre).then(|| {
        format!(
            "{name}: sPyNNaker 7.4.1's host builds a OneToOneOffsetConnector with groups differently from its \
             synapse expander (it lets a group's pre run one neuron past the group, and a post it leaves out does \
             not count towards the group); spinnsim connects as the expander does on the machine"
        )
    })
}

/// What becomes of a connector's `rng_seed`: ignored where the machine generates the projection
/// (`host_built` false; 7.4.1 raises there unless `error_on_non_spynnaker_pynn` is off), or where
/// spinnsim's own draws stand in for the host's ([`host_draws::seeds_refused`]).
pub(super) fn connector_seed(name: &str, net: &Network, proj: &Projection, host_built: bool) -> Option<String> {
    let seed = proj.connector.rng_seed()?;
    if !host_built {
        return Some(format!(
            "{name}: the connector's rng_seed {seed} is ignored: sPyNNaker 7.4.1 generates this projection on the \
             machine from the post population's seed (and by default refuses a seeded rng here as non-sPyNNaker PyNN)"
        ));
    }
    host_draws::seeds_refused(net, proj).map(|why| {
        format!("{name}: the connector's rng_seed {seed} is not used ({why}); spinnsim draws these connections with its own generator")
    })
}

/// A FixedNumberPostConnector whose rows 7.4.1's host builds: it builds none (see
/// [`host_draws::builds_nothing`]), and neither does spinnsim.
pub(super) fn nothing_built(name: &str, net: &Network, proj: &Projection, host_built: bool) -> Option<String> {
    (host_built && proj.connections.is_none() && host_draws::builds_nothing(net, proj)).then(|| {
        format!(
            "{name}: sPyNNaker 7.4.1's host builds no connection for a FixedNumberPostConnector (it warns 'No \
             connection in FixedNumberPostConnector'), and it builds this projection's rows itself (on a virtual \
             board, or for weights or delays the synapse expander cannot draw): as on SpiNNaker the projection has \
             no synapses; draws = \"spinnsim\" connects it with spinnsim's own generator"
        )
    })
}

/// What becomes of the `rng_seed` of a weight or delay distribution: ignored where the machine
/// generates the projection, not reproduced where spinnsim cannot draw as 7.4.1's host does; and
/// the delays the host's draws put below the timestep, which it raises to the timestep.
pub(super) fn value_seeds(name: &str, net: &Network, proj: &Projection, host_built: bool, clipped: u64) -> Vec<String> {
    let mut out = Vec::new();
    let delay = proj.delay.clone().unwrap_or(Values::Scalar(net.timestep));
    for (what, values) in [("weight", &proj.weight), ("delay", &delay)] {
        let Values::Random(RandomDistribution { rng_seed: Some(seed), .. }) = values else { continue };
        if !host_built {
            out.push(format!(
                "{name}: the rng_seed {seed} of the {what} distribution is ignored: sPyNNaker 7.4.1 generates this \
                 projection on the machine from the post population's seed"
            ));
        } else if let Some(why) = host_draws::values_seed_refused(net, proj, values) {
            out.push(format!(
                "{name}: the rng_seed {seed} of the {what} distribution is not used ({why}); spinnsim draws the {what}s \
                 with its own generator"
            ));
        }
    }
    if clipped > 0 {
        out.push(format!(
            "{name}: {clipped} delays drawn below the timestep ({} ms) were raised to it, as sPyNNaker 7.4.1's host \
             does (its provenance counts them as clipped delays)",
            net.timestep
        ));
    }
    out
}

/// What a KernelConnector does that its user may not expect: shapes that do not hold the
/// populations (the extra neurons sit on rows beyond the shape), and, where the machine
/// generates it, negative kernel weights (the expander writes their magnitude onto the
/// projection's own receptor).
pub(super) fn kernel(name: &str, proj: &Projection, (n_pre, n_post): (u32, u32), host_built: bool) -> Vec<String> {
    let crate::model::Connector::KernelConnector(k) = &proj.connector else { return Vec::new() };
    let mut out: Vec<String> = k
        .size_mismatch(n_pre, n_post)
        .map(|m| format!("{name}: the KernelConnector's {m}; neurons beyond a shape are placed on rows below it"))
        .into_iter()
        .collect();
    let negative = k.weights().map_or(0, |w| w.iter().filter(|&&w| w < 0.0).count());
    if negative > 0 && !host_built {
        out.push(format!(
            "{name}: {negative} of the weight_kernel's values are negative; sPyNNaker 7.4.1's synapse expander \
             writes their magnitude onto the projection's receptor ({:?}), so they act as positive weights there",
            proj.receptor_type
        ));
    }
    out
}

/// An AllButMeConnector's own weights where 7.4.1's host builds its rows: `create_synaptic_block`
/// writes the projection's weight instead (the shifts still come from the group's weights).
pub(super) fn all_but_me_weights_on_host(name: &str, proj: &Projection, host_built: bool) -> Option<String> {
    let crate::model::Connector::AllButMeConnector { weights: Some(_), .. } = &proj.connector else { return None };
    host_built.then(|| {
        format!(
            "{name}: sPyNNaker 7.4.1's host, which builds this projection's rows, ignores the AllButMeConnector's \
             own weights and writes the projection's weight instead (its ring-buffer shifts still come from the \
             group's weights); spinnsim does the same. The machine's expander uses them"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::synapses::{expander_weight, host_weight, weight_fits};

    /// Whether the stored word is the weight (to within the rounding of either path, far less than
    /// the 2^16 steps a word loses when it wraps).
    fn held(w: f64, scale: f64, on_chip: bool) -> bool {
        let stored = if on_chip { expander_weight(w, scale) } else { host_weight(w, scale) } as f64;
        ((w.abs() * scale) - stored).abs() < 32768.0
    }

    /// `weight_fits` says exactly when the stored word is the weight rounded to a step, on both paths.
    #[test]
    fn weight_fits_when_the_word_holds_the_weight() {
        for scale in [1.0, 256.0, 4096.0, 32768.0 * 16.0] {
            for on_chip in [false, true] {
                for k in 0..2000 {
                    let w = (k as f64 * 0.37).powf(1.7) / scale * 40.0;
                    assert_eq!(
                        weight_fits(w, scale, on_chip),
                        held(w, scale, on_chip),
                        "w {w}, scale {scale}, on chip {on_chip}"
                    );
                }
            }
        }
    }
}
