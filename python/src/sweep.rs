//! Parameter sweeps for `spinnsim.sweep`: the core's sweep resolved from JSON (the sweep-file
//! structure), planned into a folder, run shard by shard, or evaluated in memory.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use spinnsim::engine::Backend;
use spinnsim::sweep::dataset::Dataset;
use spinnsim::sweep::run::{evaluate, run_shard, RunOptions, Select};
use spinnsim::sweep::spec::{SpecFile, Table};
use spinnsim::sweep::Sweep;

use super::{core_err, guarded, value_err, ArrowTable};

fn sweep_err(message: String) -> PyErr {
    core_err(spinnsim::Error::Sweep(message))
}

/// A JSON value without its nulls (TOML has none: a null is a value left out).
fn without_nulls(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            Value::Object(m.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, without_nulls(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

fn table_from_json(json: &str, what: &str) -> PyResult<toml::Table> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| sweep_err(format!("{what}: {e}")))?;
    serde_json::from_value(without_nulls(v)).map_err(|e| sweep_err(format!("{what}: {e}")))
}

fn spec_from_json(json: &str) -> PyResult<SpecFile> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| sweep_err(format!("the sweep: {e}")))?;
    serde_json::from_value(without_nulls(v)).map_err(|e| sweep_err(format!("the sweep: {e}")))
}

/// Where a sweep's networks come from: the base network as JSON or as a network file's text
/// (TOML), or the networks a build function made (JSON, one per point).
#[derive(Default)]
struct Networks {
    json: Option<String>,
    toml: Option<String>,
    built: Option<Vec<String>>,
}

fn resolve(spec_json: &str, networks: Networks) -> PyResult<Sweep> {
    let spec = spec_from_json(spec_json)?;
    let Networks { json, toml: text, built: networks_json } = networks;
    let base = match (json, text) {
        (Some(j), _) => Some(table_from_json(&j, "the network")?),
        (None, Some(t)) => Some(toml::from_str(&t).map_err(|e| sweep_err(format!("the network file: {e}")))?),
        (None, None) => None,
    };
    let networks = networks_json
        .map(|ns| {
            ns.iter().enumerate().map(|(i, n)| table_from_json(n, &format!("the network of point {i}"))).collect()
        })
        .transpose()?;
    Sweep::resolve(&spec, base, networks).map_err(core_err)
}

/// The points of a sweep (JSON: a list of lists, one value per axis), before any network is made.
#[pyfunction]
pub(super) fn sweep_points(spec_json: &str) -> PyResult<String> {
    guarded(|| {
        let spec = spec_from_json(spec_json)?;
        let points = spinnsim::sweep::spec::points(&spec).map_err(core_err)?;
        serde_json::to_string(&points).map_err(|e| sweep_err(format!("the points: {e}")))
    })
}

/// Resolves, maps and plans a sweep into the folder `out` (the folder of the same sweep is
/// opened as it is; one of another sweep is refused); returns (instances, batches).
#[pyfunction]
#[pyo3(signature = (spec_json, out, base_json = None, base_toml = None, networks_json = None))]
pub(super) fn sweep_plan(
    py: Python<'_>,
    spec_json: &str,
    out: &str,
    base_json: Option<String>,
    base_toml: Option<String>,
    networks_json: Option<Vec<String>>,
) -> PyResult<(usize, usize)> {
    guarded(|| {
        let sweep = resolve(spec_json, Networks { json: base_json, toml: base_toml, built: networks_json })?;
        py.detach(|| {
            let (_, plan) = Dataset::plan_into(std::path::Path::new(out), &sweep, &|_| {})?;
            Ok((sweep.instances.len(), plan.batches.len()))
        })
        .map_err(core_err)
    })
}

/// Runs the uncommitted batches `b` with `b mod count == index` of the folder `out`; returns a
/// dict: `committed` (batch ids), `failed` ([(instance, message)]), `skipped`, `already`.
#[pyfunction]
#[pyo3(signature = (out, index = 0, count = 1, backend = "auto", threads = None, stale_after_s = 21600))]
pub(super) fn sweep_run_shard<'py>(
    py: Python<'py>,
    out: &str,
    index: u32,
    count: u32,
    backend: &str,
    threads: Option<usize>,
    stale_after_s: u64,
) -> PyResult<Bound<'py, PyDict>> {
    guarded(|| {
        if count == 0 || index >= count {
            return Err(value_err(format!("shard {index} of {count}: give 0 <= index < count")));
        }
        let backend = Backend::from_name(backend).map_err(core_err)?;
        let options = RunOptions {
            backend,
            threads,
            select: Select::Shard { index, count },
            stale_after: std::time::Duration::from_secs(stale_after_s),
        };
        let report = py.detach(|| run_shard(std::path::Path::new(out), &options, &|_| {})).map_err(core_err)?;
        let d = PyDict::new(py);
        d.set_item("committed", report.committed.iter().map(|c| c.batch).collect::<Vec<_>>())?;
        let failed: Vec<(u32, String)> = report
            .committed
            .iter()
            .flat_map(|c| &c.outcomes)
            .filter(|o| !o.ok)
            .map(|o| (o.instance, o.message.clone().unwrap_or_default()))
            .collect();
        d.set_item("failed", failed)?;
        d.set_item("skipped", report.skipped)?;
        d.set_item("already", report.already)?;
        Ok(d)
    })
}

fn table(name: &str) -> PyResult<Table> {
    Table::from_name(name)
        .ok_or_else(|| value_err(format!("no table `{name}`: use summary, spikes, samples, provenance or connections")))
}

/// The files of `table` of the committed batches of the folder `out`.
#[pyfunction]
pub(super) fn sweep_committed_files(out: &str, table_name: &str) -> PyResult<Vec<String>> {
    guarded(|| {
        let t = table(table_name)?;
        let (ds, _, plan) = Dataset::open(std::path::Path::new(out)).map_err(core_err)?;
        let files = ds.committed_files(&plan, t).map_err(core_err)?;
        Ok(files.into_iter().map(|p| p.display().to_string()).collect())
    })
}

/// The network file (TOML) of instance `instance` of the folder `out`.
#[pyfunction]
pub(super) fn sweep_export(out: &str, instance: usize) -> PyResult<String> {
    guarded(|| {
        let (_, sweep, _) = Dataset::open(std::path::Path::new(out)).map_err(core_err)?;
        sweep.network_text(instance).map_err(core_err)
    })
}

/// Runs the points of a sweep now, writing nothing: (the instances table, {table: rows}).
#[pyfunction]
#[pyo3(signature = (spec_json, base_json = None, base_toml = None, networks_json = None, backend = "auto", threads = None))]
pub(super) fn sweep_evaluate<'py>(
    py: Python<'py>,
    spec_json: &str,
    base_json: Option<String>,
    base_toml: Option<String>,
    networks_json: Option<Vec<String>>,
    backend: &str,
    threads: Option<usize>,
) -> PyResult<(ArrowTable, Bound<'py, PyDict>)> {
    guarded(|| {
        let sweep = resolve(spec_json, Networks { json: base_json, toml: base_toml, built: networks_json })?;
        let backend = Backend::from_name(backend).map_err(core_err)?;
        let e = py.detach(|| evaluate(&sweep, backend, threads)).map_err(core_err)?;
        let d = PyDict::new(py);
        for (t, batch) in e.tables {
            d.set_item(t.name(), ArrowTable::new(batch))?;
        }
        Ok((ArrowTable::new(e.instances), d))
    })
}
