//! A sweep's tables: an instance's tables with the `instance` column first, a batch's tables
//! (its instances' rows in instance order), and the instances table.

use super::plan::{Batch, Plan};
use super::records::Outcome;
use super::spec::Table;
use super::summary::{summarize, summarize_tallies, summary_batch};
use super::{show, Sweep};
use crate::error::{Error, Result};
use crate::sim::Simulation;
use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema};
use std::collections::HashMap;
use std::sync::Arc;
use toml::Value;

/// The tables `which` of a run, each with the `instance` column first and no metadata.
pub fn instance_tables(sim: &Simulation, which: &[Table], instance: u32) -> Result<Vec<(Table, RecordBatch)>> {
    which
        .iter()
        .map(|&t| {
            let batch = match t {
                Table::Summary => {
                    let s = if sim.machine().tallies_spikes() {
                        summarize_tallies(sim.network(), sim.machine(), sim.current_time())
                    } else {
                        summarize(sim.network(), &sim.recordings(), 0, sim.current_time())
                    };
                    return Ok((t, summary_batch(&[(instance, s)])?));
                }
                Table::Spikes => sim.spikes_batch()?,
                Table::Samples => sim.samples_batch()?,
                Table::Provenance => sim.provenance_batch()?,
                Table::Connections => {
                    sim.connections_batch(&(0..sim.network().projections.len()).collect::<Vec<_>>())?
                }
            };
            Ok((t, with_instance(&batch, instance)?))
        })
        .collect()
}

/// `batch` with an `instance` column first, without the run's metadata.
fn with_instance(batch: &RecordBatch, instance: u32) -> Result<RecordBatch> {
    let mut fields = vec![Arc::new(Field::new("instance", DataType::UInt32, false))];
    fields.extend(batch.schema().fields().iter().cloned());
    let mut cols: Vec<ArrayRef> = vec![Arc::new(UInt32Array::from(vec![instance; batch.num_rows()]))];
    cols.extend(batch.columns().iter().cloned());
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).map_err(|e| Error::Run(format!("instance column: {e}")))
}

/// The metadata of every table of a sweep.
pub(super) fn sweep_metadata(sweep: &Sweep, plan: &Plan, batch: Option<u32>) -> HashMap<String, String> {
    let mut m = HashMap::from([
        ("spinnsim.sweep".to_string(), plan.sweep.clone()),
        ("spinnsim.profile".to_string(), sweep.profile.clone()),
        ("spinnsim.version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
        ("spinnsim.semantics".to_string(), "sPyNNaker 7.4.1".to_string()),
    ]);
    if let Some(b) = batch {
        m.insert("spinnsim.batch".into(), b.to_string());
    }
    m
}

/// Per table, the rows of the batch's instances that ran, in instance order.
pub fn gather(
    sweep: &Sweep,
    plan: &Plan,
    batch: &Batch,
    runs: &[&std::result::Result<Vec<(Table, RecordBatch)>, String>],
) -> Result<Vec<(Table, RecordBatch)>> {
    let mut out = Vec::new();
    for &t in &sweep.tables {
        let parts: Vec<&RecordBatch> = runs
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .filter_map(|tables| tables.iter().find(|(tt, _)| *tt == t).map(|(_, b)| b))
            .collect();
        let Some(first) = parts.first() else { continue };
        let schema =
            Arc::new(first.schema().as_ref().clone().with_metadata(sweep_metadata(sweep, plan, Some(batch.id))));
        let parts: Vec<RecordBatch> = parts
            .iter()
            .map(|b| (*b).clone().with_schema(schema.clone()))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| Error::Run(format!("{} table: {e}", t.name())))?;
        let joined = arrow_select::concat::concat_batches(&schema, &parts)
            .map_err(|e| Error::Run(format!("{} table: {e}", t.name())))?;
        out.push((t, joined));
    }
    Ok(out)
}

/// The instances table: `instance, batch, structure, seed`, one typed column per axis (int64,
/// float64, bool or utf8; a mixed or compound axis as TOML text), `status` (`planned`, `ok` or
/// `failed`) and `message`.
pub fn instances_batch<'a>(
    sweep: &Sweep,
    plan: &Plan,
    outcomes: impl IntoIterator<Item = &'a Outcome>,
) -> Result<RecordBatch> {
    let n = plan.instances.len();
    let mut status: Vec<&str> = vec!["planned"; n];
    let mut message: Vec<Option<String>> = vec![None; n];
    for (i, p) in plan.instances.iter().enumerate() {
        if let Some(e) = &p.error {
            status[i] = "failed";
            message[i] = Some(e.clone());
        }
    }
    for o in outcomes {
        status[o.instance as usize] = if o.ok { "ok" } else { "failed" };
        message[o.instance as usize] = o.message.clone();
    }
    let mut fields = vec![
        Field::new("instance", DataType::UInt32, false),
        Field::new("batch", DataType::UInt32, true),
        Field::new("structure", DataType::Utf8, true),
        Field::new("seed", DataType::UInt64, false),
    ];
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from_iter_values(0..n as u32)),
        Arc::new(UInt32Array::from_iter(plan.instances.iter().map(|p| p.batch))),
        Arc::new(StringArray::from_iter(plan.instances.iter().map(|p| p.structure.as_deref()))),
        Arc::new(UInt64Array::from_iter_values(plan.instances.iter().map(|p| p.seed))),
    ];
    // An axis `seed` (of the network seed) is the `seed` column.
    for (k, axis) in sweep.axes.iter().enumerate().filter(|(_, a)| a.name != "seed") {
        let values: Vec<&Value> = sweep.instances.iter().map(|inst| &inst.values[k]).collect();
        let (ty, col) = axis_column(&values);
        fields.push(Field::new(&axis.name, ty, false));
        cols.push(col);
    }
    fields.push(Field::new("status", DataType::Utf8, false));
    fields.push(Field::new("message", DataType::Utf8, true));
    cols.push(Arc::new(StringArray::from(status)));
    cols.push(Arc::new(StringArray::from(message)));
    let schema = Schema::new(fields).with_metadata(sweep_metadata(sweep, plan, None));
    RecordBatch::try_new(Arc::new(schema), cols).map_err(|e| Error::Run(format!("instances table: {e}")))
}

/// An axis's values as one typed column.
fn axis_column(values: &[&Value]) -> (DataType, ArrayRef) {
    if values.iter().all(|v| v.is_integer()) {
        return (
            DataType::Int64,
            Arc::new(Int64Array::from_iter_values(values.iter().map(|v| v.as_integer().unwrap_or(0)))),
        );
    }
    if values.iter().all(|v| v.is_integer() || v.is_float()) {
        let f = |v: &Value| v.as_float().unwrap_or_else(|| v.as_integer().unwrap_or(0) as f64);
        return (DataType::Float64, Arc::new(Float64Array::from_iter_values(values.iter().map(|v| f(v)))));
    }
    if values.iter().all(|v| v.is_bool()) {
        return (DataType::Boolean, Arc::new(BooleanArray::from_iter(values.iter().map(|v| v.as_bool()))));
    }
    if values.iter().all(|v| v.is_str()) {
        return (
            DataType::Utf8,
            Arc::new(StringArray::from_iter_values(values.iter().map(|v| v.as_str().unwrap_or("")))),
        );
    }
    (DataType::Utf8, Arc::new(StringArray::from_iter_values(values.iter().map(|v| show(v)))))
}

/// `batch`'s rows in the order of their `instance` column (stable: an instance's rows keep their order).
pub fn by_instance(batch: &RecordBatch) -> Result<RecordBatch> {
    let inst = batch
        .column(0)
        .as_any()
        .downcast_ref::<UInt32Array>()
        .ok_or_else(|| Error::Run("the first column is not the instance".into()))?;
    let mut order: Vec<u32> = (0..batch.num_rows() as u32).collect();
    order.sort_by_key(|&r| inst.value(r as usize));
    arrow_select::take::take_record_batch(batch, &UInt32Array::from(order))
        .map_err(|e| Error::Run(format!("ordering rows by instance: {e}")))
}

/// Sampled traces as a dense array: the rows of `variable` of `population` in a sweep's samples
/// table, as (instances, neurons, ticks, values) with `values[[i, n, t]]` the value of the i-th
/// instance's n-th neuron at the t-th tick (each list ascending; NaN where an instance has no
/// sample there).
pub type Traces = (Vec<u32>, Vec<u32>, Vec<u32>, ndarray::Array3<f64>);

/// See [`Traces`].
pub fn traces(samples: &RecordBatch, population: &str, variable: &str) -> Result<Traces> {
    let col = |name: &str| {
        samples.column_by_name(name).ok_or_else(|| Error::Run(format!("the samples table has no `{name}` column")))
    };
    let u32s = |name: &str| -> Result<&UInt32Array> {
        col(name)?.as_any().downcast_ref::<UInt32Array>().ok_or_else(|| Error::Run(format!("`{name}` is not u32")))
    };
    let strs = |name: &str| -> Result<&StringArray> {
        col(name)?.as_any().downcast_ref::<StringArray>().ok_or_else(|| Error::Run(format!("`{name}` is not utf8")))
    };
    let (inst, neuron, tick) = (u32s("instance")?, u32s("neuron")?, u32s("tick")?);
    let (pop, var) = (strs("population")?, strs("variable")?);
    let value =
        col("value")?.as_any().downcast_ref::<Float64Array>().ok_or_else(|| Error::Run("`value` is not f64".into()))?;
    let rows: Vec<usize> =
        (0..samples.num_rows()).filter(|&r| pop.value(r) == population && var.value(r) == variable).collect();
    let sorted = |a: &UInt32Array| {
        let mut v: Vec<u32> = rows.iter().map(|&r| a.value(r)).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let (is, ns, ts) = (sorted(inst), sorted(neuron), sorted(tick));
    let mut out = ndarray::Array3::from_elem((is.len(), ns.len(), ts.len()), f64::NAN);
    let at = |v: &[u32], x: u32| v.binary_search(&x).expect("every value is listed");
    for &r in &rows {
        out[[at(&is, inst.value(r)), at(&ns, neuron.value(r)), at(&ts, tick.value(r))]] = value.value(r);
    }
    Ok((is, ns, ts, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_are_instance_by_neuron_by_tick() {
        let schema = Schema::new(vec![
            Field::new("instance", DataType::UInt32, false),
            Field::new("population", DataType::Utf8, false),
            Field::new("variable", DataType::Utf8, false),
            Field::new("neuron", DataType::UInt32, false),
            Field::new("tick", DataType::UInt32, false),
            Field::new("value", DataType::Float64, false),
        ]);
        let cols: Vec<ArrayRef> = vec![
            Arc::new(UInt32Array::from(vec![3, 3, 1, 1, 3])),
            Arc::new(StringArray::from(vec!["e", "e", "e", "e", "i"])),
            Arc::new(StringArray::from(vec!["v", "v", "v", "v", "v"])),
            Arc::new(UInt32Array::from(vec![0, 2, 0, 0, 0])),
            Arc::new(UInt32Array::from(vec![5, 5, 5, 6, 5])),
            Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0, 4.0, 9.0])),
        ];
        let b = RecordBatch::try_new(Arc::new(schema), cols).unwrap();
        let (is, ns, ts, a) = traces(&b, "e", "v").unwrap();
        assert_eq!((is, ns, ts), (vec![1, 3], vec![0, 2], vec![5, 6]));
        assert_eq!(a[[1, 1, 0]], 2.0);
        assert_eq!(a[[0, 0, 1]], 4.0);
        assert!(a[[0, 1, 0]].is_nan());
    }
}
