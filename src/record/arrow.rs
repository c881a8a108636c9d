//! Recordings as Arrow tables in a long format, written as Arrow IPC files, atomically.
//!
//! `spikes`: population (utf8), neuron (u32), tick (u32), time_ms (f64), segment (u32).
//! `samples`: population, variable (utf8), neuron, tick, time_ms, value (f64, raw s16.15 / 2^15),
//! raw (i32), segment. Run metadata (timestep, profile, seed, version) is in the schema metadata.

use super::Recordings;
use crate::error::{Error, Result};
use arrow_array::{ArrayRef, Float64Array, Int32Array, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Bytes of one row of the `samples` table in memory, about: the fixed-width columns (36 bytes),
/// two string offsets, and the population and variable names.
pub const SAMPLE_ROW_BYTES: f64 = 56.0;

/// Metadata stored with every table.
pub struct RunMetadata {
    pub timestep_ms: f64,
    pub profile: String,
    pub seed: u64,
    /// Populations whose on-chip draws spinnsim seeded from the network seed because they have no
    /// `seed` (the machine would use OS entropy: its own result would not repeat).
    pub unseeded: Vec<String>,
    /// Projections whose host-built rows 7.4.1 would draw from unseeded generators, seeded by
    /// spinnsim from the network seed (`MachineImage::unseeded_projections`).
    pub unseeded_projections: Vec<String>,
}

fn metadata(m: &RunMetadata) -> HashMap<String, String> {
    HashMap::from([
        ("spinnsim.timestep_ms".into(), m.timestep_ms.to_string()),
        ("spinnsim.profile".into(), m.profile.clone()),
        ("spinnsim.seed".into(), m.seed.to_string()),
        ("spinnsim.version".into(), env!("CARGO_PKG_VERSION").into()),
        ("spinnsim.semantics".into(), "sPyNNaker 7.4.1".into()),
        ("spinnsim.unseeded_populations".into(), m.unseeded.join(",")),
        ("spinnsim.unseeded_projections".into(), m.unseeded_projections.join(",")),
    ])
}

/// The spike table.
pub fn spikes_batch(rec: &Recordings, labels: &[String], m: &RunMetadata) -> Result<RecordBatch> {
    let (mut pop, mut neuron, mut tick, mut seg) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for s in &rec.spikes {
        for &(t, n) in &s.spikes {
            pop.push(labels[s.population].as_str());
            neuron.push(n);
            tick.push(t);
            seg.push(s.segment);
        }
    }
    let time: Vec<f64> = tick.iter().map(|&t| t as f64 * m.timestep_ms).collect();
    let schema = Schema::new(vec![
        Field::new("population", DataType::Utf8, false),
        Field::new("neuron", DataType::UInt32, false),
        Field::new("tick", DataType::UInt32, false),
        Field::new("time_ms", DataType::Float64, false),
        Field::new("segment", DataType::UInt32, false),
    ])
    .with_metadata(metadata(m));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(pop)),
        Arc::new(UInt32Array::from(neuron)),
        Arc::new(UInt32Array::from(tick)),
        Arc::new(Float64Array::from(time)),
        Arc::new(UInt32Array::from(seg)),
    ];
    RecordBatch::try_new(Arc::new(schema), cols)
        .map_err(|e| Error::Output { path: "spikes".into(), message: e.to_string() })
}

/// The connections table (`Projection.get` of every listed projection): projection (utf8),
/// pre, post (u32), weight (f64, nA or µS, read back from the rows, so learned weights for
/// plastic projections), delay_ms (f64).
pub fn connections_batch(projections: &[(&str, Vec<[f64; 4]>)], m: &RunMetadata) -> Result<RecordBatch> {
    let (mut label, mut pre, mut post, mut weight, mut delay) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (l, conns) in projections {
        for c in conns {
            label.push(*l);
            pre.push(c[0] as u32);
            post.push(c[1] as u32);
            weight.push(c[2]);
            delay.push(c[3]);
        }
    }
    let schema = Schema::new(vec![
        Field::new("projection", DataType::Utf8, false),
        Field::new("pre", DataType::UInt32, false),
        Field::new("post", DataType::UInt32, false),
        Field::new("weight", DataType::Float64, false),
        Field::new("delay_ms", DataType::Float64, false),
    ])
    .with_metadata(metadata(m));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(label)),
        Arc::new(UInt32Array::from(pre)),
        Arc::new(UInt32Array::from(post)),
        Arc::new(Float64Array::from(weight)),
        Arc::new(Float64Array::from(delay)),
    ];
    RecordBatch::try_new(Arc::new(schema), cols)
        .map_err(|e| Error::Output { path: "connections".into(), message: e.to_string() })
}

/// The sampled-values table.
pub fn samples_batch(rec: &Recordings, labels: &[String], m: &RunMetadata) -> Result<RecordBatch> {
    let (mut pop, mut var, mut neuron, mut tick, mut raw, mut seg) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for s in &rec.sampled {
        for (ti, &t) in s.ticks.iter().enumerate() {
            for (ni, &n) in s.neurons.iter().enumerate() {
                pop.push(labels[s.population].as_str());
                var.push(s.variable);
                neuron.push(n);
                tick.push(t);
                raw.push(s.values[ti * s.neurons.len() + ni]);
                seg.push(s.segment);
            }
        }
    }
    let time: Vec<f64> = tick.iter().map(|&t| t as f64 * m.timestep_ms).collect();
    let value: Vec<f64> = raw.iter().map(|&r| r as f64 / 32768.0).collect();
    let schema = Schema::new(vec![
        Field::new("population", DataType::Utf8, false),
        Field::new("variable", DataType::Utf8, false),
        Field::new("neuron", DataType::UInt32, false),
        Field::new("tick", DataType::UInt32, false),
        Field::new("time_ms", DataType::Float64, false),
        Field::new("value", DataType::Float64, false),
        Field::new("raw", DataType::Int32, false),
        Field::new("segment", DataType::UInt32, false),
    ])
    .with_metadata(metadata(m));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(pop)),
        Arc::new(StringArray::from(var)),
        Arc::new(UInt32Array::from(neuron)),
        Arc::new(UInt32Array::from(tick)),
        Arc::new(Float64Array::from(time)),
        Arc::new(Float64Array::from(value)),
        Arc::new(Int32Array::from(raw)),
        Arc::new(UInt32Array::from(seg)),
    ];
    RecordBatch::try_new(Arc::new(schema), cols)
        .map_err(|e| Error::Output { path: "samples".into(), message: e.to_string() })
}

/// The per-core provenance counters: core, population, then one u64 column per counter.
pub fn provenance_batch(
    prov: &[crate::record::Provenance],
    populations: &[&str],
    m: &RunMetadata,
) -> Result<RecordBatch> {
    use arrow_array::UInt64Array;
    type Counter = (&'static str, fn(&crate::record::Provenance) -> u64);
    let counters: [Counter; 12] = [
        ("pre_synaptic_events", |p| p.pre_synaptic_events),
        ("synaptic_weight_saturations", |p| p.synaptic_weight_saturations),
        ("invalid_master_pop_hits", |p| p.invalid_master_pop_hits),
        ("ghost_pop_table_searches", |p| p.ghost_pop_table_searches),
        ("spikes_processed", |p| p.spikes_processed),
        ("packets_sent", |p| p.packets_sent),
        ("delay_count_saturations", |p| p.delay_count_saturations),
        ("late_spikes", |p| p.late_spikes),
        ("max_late_spike", |p| p.max_late_spike as u64),
        ("synapses_skipped", |p| p.synapses_skipped),
        ("rows_outside_matrix", |p| p.rows_outside_matrix),
        ("plastic_weight_saturations", |p| p.plastic_weight_saturations),
    ];
    let mut fields = vec![Field::new("core", DataType::Utf8, false), Field::new("population", DataType::Utf8, false)];
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(prov.iter().map(|p| p.core.as_str()).collect::<Vec<_>>())),
        Arc::new(StringArray::from(populations.to_vec())),
    ];
    for (name, get) in &counters {
        fields.push(Field::new(*name, DataType::UInt64, false));
        cols.push(Arc::new(UInt64Array::from(prov.iter().map(get).collect::<Vec<_>>())));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields).with_metadata(metadata(m))), cols)
        .map_err(|e| Error::Output { path: "provenance".into(), message: e.to_string() })
}

/// Writes a batch as an Arrow IPC file: to a temporary name first, then renamed into place.
pub fn write_ipc(batch: &RecordBatch, path: &Path) -> Result<()> {
    let err = |e: String| Error::Output { path: path.display().to_string(), message: e };
    let tmp = path.with_extension("arrow.partial");
    {
        let file = std::fs::File::create(&tmp).map_err(|e| err(e.to_string()))?;
        let mut w = arrow_ipc::writer::FileWriter::try_new(file, &batch.schema()).map_err(|e| err(e.to_string()))?;
        w.write(batch).map_err(|e| err(e.to_string()))?;
        w.finish().map_err(|e| err(e.to_string()))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| err(e.to_string()))
}
