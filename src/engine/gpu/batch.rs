//! Batches of machines for parameter sweeps: instances of one network mapped alike, whose mapped
//! structure is equal (cores, slices, keys, routes, pop tables, the rows' layout and their
//! synapses' indices, types and delays, delay extensions, the sizes of every buffer) and whose
//! values differ (neuron parameters and initial state, weights and so ring-buffer shifts, Poisson
//! rates and seeds, current sources, spike times, STDP parameters and look-up tables).
//!
//! [`merge`] lays their images out as one: the structure once (checked equal in every machine,
//! an error naming the first part that differs otherwise), the values per instance: the neuron
//! parameters and spike times `[instance][...]`, the value words of each instance after the
//! structure's tables, and the synaptic words once when every instance's are equal, else
//! `[instance][...]`.

use super::layout::{CoreInfo, Sizes, StaticImage, KIND_NEURON};
use crate::error::{Error, Result};
use crate::machine::Machine;

/// The image of a batch of `machines` (one or more): the structure of the first, verified to be
/// every other's, and the values of each, laid out per instance (see the module's comment).
pub fn merge(machines: &[&Machine]) -> Result<StaticImage> {
    let Some(first) = machines.first() else {
        return Err(Error::Run("a batch of machines needs at least one machine".into()));
    };
    let images = machines.iter().map(|m| StaticImage::build(m)).collect::<Result<Vec<_>>>()?;
    for (i, (m, img)) in machines.iter().zip(&images).enumerate().skip(1) {
        if let Some(what) = structure_difference((first, &images[0]), (m, img)) {
            return Err(Error::Run(format!(
                "machine {i} of the batch does not have the structure of machine 0: {what}; a batch runs instances \
                 of one mapped structure (cores, slices, keys, routes, pop tables, rows and buffer sizes) whose \
                 values differ"
            )));
        }
    }
    let words_shared = machines.iter().all(|m| m.rows.iter().zip(&first.rows).all(|(a, b)| a.words() == b.words()));
    let mut instances = images.into_iter();
    let mut merged = instances.next().expect("one image");
    let n = machines.len();
    merged.sizes.n_instances = n as u32;
    merged.sizes.word_stride = if words_shared { 0 } else { merged.n_words as u32 };
    merged.sizes.values_offset = merged.tables.len() as u32;
    let values = std::mem::take(&mut merged.values);
    merged.tables.extend_from_slice(&values);
    for img in instances {
        merged.params.extend_from_slice(&img.params);
        merged.spike_times.extend_from_slice(&img.spike_times);
        merged.tables.extend_from_slice(&img.values);
    }
    if merged.tables.len() > u32::MAX as usize {
        return Err(Error::Run(format!("the GPU tables of a batch of {n} instances pass 2^32 words")));
    }
    Ok(merged)
}

/// A machine and its image.
type Instance<'a> = (&'a Machine, &'a StaticImage);

/// The first part of the structure in which `b` differs from `a`, in words, or None.
fn structure_difference(a: Instance, b: Instance) -> Option<String> {
    sizes_difference(&a.1.sizes, &b.1.sizes)
        .or_else(|| cores_difference(a, b))
        .or_else(|| tables_difference(a.1, b.1))
        .or_else(|| rows_difference(a, b))
        .or_else(|| stdp_difference(a, b))
        .or_else(|| poisson_difference(a, b))
}

/// A count of the two sizes that differs: "the number of neurons (100 in machine 0, 120 here)".
fn sizes_difference(a: &Sizes, b: &Sizes) -> Option<String> {
    let counts = |s: &Sizes| {
        [
            ("cores", s.n_cores),
            ("neurons", s.n_neurons),
            ("sources of packets (spike slots)", s.n_slots),
            ("ring-buffer entries", s.n_ring),
            ("Poisson sources", s.n_poisson),
            ("delay-extension counters", s.n_delay_counters),
            ("step current sources", s.n_steps),
            ("cores that send", s.n_senders),
            ("routing entries", s.n_routes),
            ("neurons with STDP post histories", s.n_post),
            ("words of plastic rows", s.n_plastic),
            ("spikes of the spike arrays", s.n_spike_times),
            ("words of the tables (pop tables, rows of the address lists, routes, recording columns)", s.values_offset),
            ("value words (current sources, Poisson rate set-ups, STDP look-up tables)", s.n_values),
        ]
    };
    let (ca, cb) = (counts(a), counts(b));
    ca.iter()
        .zip(&cb)
        .find(|(x, y)| x.1 != y.1)
        .map(|(x, y)| format!("the number of {} ({} in machine 0, {} here)", x.0, x.1, y.1))
}

/// `core 3 (`exc`)`: a core as the messages name it.
fn core_name(m: &Machine, ci: usize) -> String {
    format!("core {ci} (`{}`)", m.image.cores[ci].label)
}

/// The first field of two core records that differs, with both values.
fn core_field_difference(a: &CoreInfo, b: &CoreInfo) -> Option<String> {
    macro_rules! fields {
        ($($f:ident),* $(,)?) => {
            [$((stringify!($f), format!("{:?}", a.$f), format!("{:?}", b.$f))),*]
        };
    }
    let all = fields!(
        kind,
        n_atoms,
        lo_atom,
        first,
        key,
        sends,
        slot_base,
        n_colour_bits,
        model,
        n_bits,
        t_bits,
        d_bits,
        ring_base,
        pop_base,
        item_rows_base,
        n_items,
        row_base,
        cs_base,
        n_cs,
        cs_state_base,
        delay_stages,
        delay_per_stage,
        delay_slots,
        delay_src_mask,
        n_spikes,
        rec_cols_base,
        rec_flags,
        rec_rate,
        rec_ncols,
        stdp,
        tally_base,
    );
    all.into_iter().find(|(_, x, y)| x != y).map(|(f, x, y)| format!("`{f}` ({x} in machine 0, {y} here)"))
}

fn cores_difference(a: Instance, b: Instance) -> Option<String> {
    a.1.cores.iter().zip(&b.1.cores).enumerate().find_map(|(ci, (x, y))| {
        let field = core_field_difference(x, y)
            .or_else(|| (bytemuck::bytes_of(x) != bytemuck::bytes_of(y)).then(|| "its record".to_string()))?;
        Some(format!("{} differs in its core record, field {field}", core_name(a.0, ci)))
    })
}

/// The part of the structure's tables (pop tables, rows of the address lists, recording
/// columns, senders, routes, STDP blocks) where the two differ first.
fn tables_difference(a: &StaticImage, b: &StaticImage) -> Option<String> {
    let at = a.tables.iter().zip(&b.tables).position(|(x, y)| x != y)?;
    let region = a.regions.iter().rev().find(|(start, _)| *start as usize <= at).map_or("the tables", |r| &r.1);
    Some(format!("{region} differs (word {at} of the GPU tables)"))
}

/// The core whose rows hold global row `r` (the neuron core with the largest row base not past it).
fn core_of_row(img: &StaticImage, r: usize) -> usize {
    let neuron_cores = img.cores.iter().enumerate().filter(|(_, c)| c.kind == KIND_NEURON);
    neuron_cores.filter(|(_, c)| c.row_base as usize <= r).map(|(ci, _)| ci).next_back().unwrap_or(0)
}

/// The rows: where each row starts (so how many synapses it has), then each synapse's
/// post-synaptic neuron, synapse type and delay (the low half-word of its word; the weight, the
/// high half-word, is a value).
fn rows_difference(a: Instance, b: Instance) -> Option<String> {
    if let Some(r) = a.1.row_start.iter().zip(&b.1.row_start).position(|(x, y)| x != y) {
        let ci = core_of_row(a.1, r.saturating_sub(1));
        return Some(format!("the row layout of {} differs (the start of its rows)", core_name(a.0, ci)));
    }
    for (ci, (x, y)) in a.0.rows.iter().zip(&b.0.rows).enumerate() {
        let low = |w: &u32| w & 0xFFFF;
        if !x.words().iter().map(low).eq(y.words().iter().map(low)) {
            return Some(format!(
                "the synapses of {} differ (a post-synaptic neuron, synapse type or delay of a row)",
                core_name(a.0, ci)
            ));
        }
    }
    None
}

fn stdp_difference(a: Instance, b: Instance) -> Option<String> {
    if a.1.stdp_bases != b.1.stdp_bases {
        let ci = a.1.stdp_bases.iter().zip(&b.1.stdp_bases).position(|(x, y)| x != y).unwrap_or(0);
        return Some(format!(
            "the STDP state of {} differs (its plastic regions or post histories)",
            core_name(a.0, ci)
        ));
    }
    (a.1.plastic_static != b.1.plastic_static)
        .then(|| "the plastic rows differ (their synapses' post-synaptic neurons, types or delays)".to_string())
}

fn poisson_difference(a: Instance, b: Instance) -> Option<String> {
    let ci = a.1.poisson_offsets.iter().zip(&b.1.poisson_offsets).position(|(x, y)| x != y)?;
    Some(format!("the rate schedules of the Poisson sources of {} differ (their number of rates)", core_name(a.0, ci)))
}
