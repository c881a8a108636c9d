//! The extension module `spinnsim._spinnsim`: the core's `Simulation` for Python, with its tables
//! handed over as Arrow through the Arrow PyCapsule interface (no copies).

mod sweep;

use std::ffi::CStr;

use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{Array, RecordBatch, RecordBatchIterator, StructArray};
use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyCapsule, PyDict, PyTuple};

use spinnsim::engine::gpu::device::AdapterSummary;
use spinnsim::engine::{Backend, RunControl};
use spinnsim::machine::ResetMode;
use spinnsim::mapping::{MapOptions, Profile};
use spinnsim::model::{Network, SpikeTimes, Values};

create_exception!(
    spinnsim,
    SpinnsimError,
    PyValueError,
    "An error from the spinnsim core (invalid network, parameter, run request...), with the core's message."
);

const STREAM_NAME: &CStr = c"arrow_array_stream";
const SCHEMA_NAME: &CStr = c"arrow_schema";
const ARRAY_NAME: &CStr = c"arrow_array";

/// A `SpinnsimError` of kind "value": a bad argument of the Python API.
fn value_err(message: String) -> PyErr {
    spinnsim_err("value", None, None, message)
}

/// A `SpinnsimError` of kind `kind` (see [`core_err`]) with `message`.
fn spinnsim_err(kind: &str, owner: Option<&str>, parameter: Option<&str>, message: String) -> PyErr {
    let err = SpinnsimError::new_err(message);
    Python::attach(|py| {
        let value = err.value(py);
        for (name, v) in [("kind", Some(kind)), ("owner", owner), ("parameter", parameter)] {
            // Setting an attribute of a fresh exception instance does not fail.
            let _ = value.setattr(name, v);
        }
    });
    err
}

/// The core's error as a `SpinnsimError` that keeps its kind: `kind` is "parameter", "network",
/// "network_file", "mapping", "run", "output", "sweep" (or "internal" for a bug, "value" for a bad
/// argument of the Python API); a parameter error also carries `owner` (the population,
/// projection or current source) and `parameter`.
fn core_err(e: spinnsim::Error) -> PyErr {
    use spinnsim::Error::*;
    let message = e.to_string();
    match &e {
        Parameter { owner, parameter, .. } => spinnsim_err("parameter", Some(owner), Some(parameter), message),
        Network(_) => spinnsim_err("network", None, None, message),
        NetworkFile(_) => spinnsim_err("network_file", None, None, message),
        Mapping(_) => spinnsim_err("mapping", None, None, message),
        Run(_) => spinnsim_err("run", None, None, message),
        Output { .. } => spinnsim_err("output", None, None, message),
        Sweep(_) => spinnsim_err("sweep", None, None, message),
    }
}

/// Runs `f`, turning a panic into a `SpinnsimError` with its message. A panic is a bug in
/// spinnsim; without this it would reach Python as pyo3's `PanicException`, a `BaseException`
/// that `except Exception` does not catch.
fn guarded<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(spinnsim_err(
            "internal",
            None,
            None,
            format!("internal error (a bug in spinnsim; please report it with the network): {what}"),
        ))
    })
}

/// How often a running simulation looks for Ctrl-C (Python's signal handlers).
const SIGNAL_CHECK: std::time::Duration = std::time::Duration::from_millis(50);

/// A float, a sequence of floats (a numpy array too), or a distribution given as a dict
/// (`{"distribution": "uniform", "low": ..., "high": ...}`, as in network files).
fn values_from(obj: &Bound<'_, PyAny>) -> PyResult<Values> {
    if let Ok(x) = obj.extract::<f64>() {
        return Ok(Values::Scalar(x));
    }
    if obj.is_instance_of::<PyDict>() {
        let text: String = obj.py().import("json")?.call_method1("dumps", (obj,))?.extract()?;
        return serde_json::from_str::<Values>(&text)
            .map_err(|e| value_err(format!("values: not a distribution: {e}")));
    }
    if let Ok(v) = obj.extract::<Vec<f64>>() {
        return Ok(Values::Array(v));
    }
    Err(PyTypeError::new_err(format!(
        "values must be a float, a sequence of floats or a distribution dict, not {}",
        obj.get_type().name()?
    )))
}

/// A per-connection array given beside the network JSON: (projection index, field, columns,
/// little-endian float64 bytes).
type ArrayField<'py> = (usize, String, usize, Bound<'py, PyBytes>);

/// Puts a float64 array given beside the network JSON into field `field` of projection `k`.
fn attach_array(net: &mut Network, k: usize, field: &str, columns: usize, bytes: &[u8]) -> PyResult<()> {
    let n_proj = net.projections.len();
    let proj = net.projections.get_mut(k).ok_or_else(|| {
        PyValueError::new_err(format!("arrays: projection {k} does not exist ({n_proj} projections)"))
    })?;
    if columns == 0 || bytes.len() % (8 * columns) != 0 {
        return Err(PyValueError::new_err(format!(
            "arrays: projection {k} `{field}`: {} bytes are not rows of {columns} float64 values",
            bytes.len()
        )));
    }
    let values: Vec<f64> = bytes.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))).collect();
    let rows = || values.chunks_exact(columns).map(|r| r.to_vec()).collect::<Vec<Vec<f64>>>();
    match (field, columns) {
        ("connections", _) => proj.connections = Some(rows()),
        ("conn_list", _) => proj.connector = spinnsim::model::Connector::FromListConnector { conn_list: rows() },
        ("weight", 1) => proj.weight = Values::Array(values),
        ("delay", 1) => proj.delay = Some(Values::Array(values)),
        _ => {
            return Err(PyValueError::new_err(format!(
            "arrays: projection {k}: `{field}` with {columns} columns is not connections, conn_list, weight or delay"
        )))
        }
    }
    Ok(())
}

/// A simulation of one network, driven as a PyNN script drives sPyNNaker.
#[pyclass(module = "spinnsim._spinnsim")]
struct Simulation {
    inner: spinnsim::sim::Simulation,
}

impl Simulation {
    fn population_index(&self, label: &str) -> PyResult<usize> {
        self.inner
            .network()
            .population_index(label)
            .ok_or_else(|| core_err(spinnsim::Error::Network(format!("no population is labelled `{label}`"))))
    }
}

#[pymethods]
impl Simulation {
    /// Maps the network (JSON of the network-file structure) onto virtual SpiNNaker cores, on the
    /// engine `backend` chooses: "auto" (the GPU engine when a hardware GPU is present, else the
    /// CPU engine), "cpu", or "gpu" (the GPU engine on the best adapter, CPU-emulated ones such as
    /// lavapipe included; an error when there is none).
    ///
    /// `arrays` carries large per-connection data beside the JSON, as little-endian float64
    /// bytes (a projection's `connections` or `conn_list`, `n × columns`; its `weight` or `delay`,
    /// one column): a list of `(projection index, field, columns, bytes)`. Each replaces that
    /// field of the projection in the JSON.
    #[new]
    #[pyo3(signature = (network_json, profile = "spinnaker-7", threads = None, virtual_board = false, backend = "auto", arrays = None))]
    fn new(
        py: Python<'_>,
        network_json: &str,
        profile: &str,
        threads: Option<usize>,
        virtual_board: bool,
        backend: &str,
        arrays: Option<Vec<ArrayField<'_>>>,
    ) -> PyResult<Self> {
        guarded(|| {
            let profile = Profile::from_name(profile)
                .ok_or_else(|| value_err(format!("unknown profile `{profile}` (spinnaker-7 or spinnaker-2019)")))?;
            let backend = Backend::from_name(backend).map_err(core_err)?;
            let mut network: Network = serde_json::from_str(network_json)
                .map_err(|e| core_err(spinnsim::Error::NetworkFile(e.to_string())))?;
            for (k, field, columns, bytes) in arrays.unwrap_or_default() {
                attach_array(&mut network, k, &field, columns, bytes.as_bytes())?;
            }
            if let Some(t) = network.run_ms {
                if !t.is_finite() || t < 0.0 {
                    return Err(core_err(spinnsim::Error::param(
                        "network file",
                        "run_ms",
                        format!("{t} must be a finite time >= 0"),
                    )));
                }
            }
            if threads == Some(0) {
                return Err(core_err(spinnsim::Error::param(
                    "Simulation",
                    "threads",
                    "must be at least 1 (or None for all cores)",
                )));
            }
            let options = MapOptions { profile, virtual_board };
            let inner = py
                .detach(move || spinnsim::sim::Simulation::with_backend(network, options, threads, backend))
                .map_err(core_err)?;
            Ok(Simulation { inner })
        })
    }

    /// Runs for `ms` more model time (ceil(ms / dt) ticks), without holding the GIL. Ctrl-C
    /// (a signal Python handles) stops the run within a fraction of a second at a tick boundary
    /// and raises `KeyboardInterrupt`; the simulation is then at that tick, with its recordings.
    fn run(&mut self, py: Python<'_>, ms: f64) -> PyResult<()> {
        guarded(|| {
            let ticks = self.inner.ticks_for(ms).map_err(core_err)?;
            let inner = &mut self.inner;
            let mut interrupt: Option<PyErr> = None;
            let mut checked = std::time::Instant::now();
            let result = py.detach(|| {
                inner.run_ticks_with_progress(ticks, &mut |_| {
                    if checked.elapsed() < SIGNAL_CHECK {
                        return RunControl::Continue(());
                    }
                    checked = std::time::Instant::now();
                    match Python::attach(|py| py.check_signals()) {
                        Ok(()) => RunControl::Continue(()),
                        Err(e) => {
                            interrupt = Some(e);
                            RunControl::Break(())
                        }
                    }
                })
            });
            result.map_err(core_err)?;
            interrupt.map_or(Ok(()), Err)
        })
    }

    /// Back to time 0: sPyNNaker's soft reset, or a fresh start of every core with `reload=True`.
    #[pyo3(signature = (reload = false))]
    fn reset(&mut self, reload: bool) -> PyResult<()> {
        guarded(|| {
            self.inner.set_reset_mode(if reload { ResetMode::Reload } else { ResetMode::Soft });
            self.inner.reset();
            Ok(())
        })
    }

    /// Model time run since the last reset, in ms.
    fn current_time(&self) -> f64 {
        self.inner.current_time()
    }

    /// The timestep in ms.
    fn timestep(&self) -> f64 {
        self.inner.network().timestep
    }

    /// Sets a parameter or an initial value of a population (a float, a sequence, or a distribution dict).
    fn set(&mut self, population: &str, parameter: &str, values: &Bound<'_, PyAny>) -> PyResult<()> {
        let values = values_from(values)?;
        guarded(|| self.inner.set(population, parameter, values).map_err(core_err))
    }

    /// New spike times of a SpikeSourceArray: one list per neuron (or one list for all).
    fn set_spike_times(&mut self, population: &str, times: &Bound<'_, PyAny>) -> PyResult<()> {
        let times = if let Ok(t) = times.extract::<Vec<Vec<f64>>>() {
            SpikeTimes::PerNeuron(t)
        } else if let Ok(t) = times.extract::<Vec<f64>>() {
            SpikeTimes::Shared(t)
        } else {
            return Err(PyTypeError::new_err(
                "spike times must be a list of lists of floats (one per neuron) or a list of floats",
            ));
        };
        guarded(|| self.inner.set_spike_times(population, times).map_err(core_err))
    }

    /// New parameters of current source `index` (its position in the network's `current_source`
    /// list), as JSON of the same shape as its `source` entry; applied from the next run.
    fn set_current_source(&mut self, index: usize, source_json: &str) -> PyResult<()> {
        let source: spinnsim::model::CurrentSourceKind = serde_json::from_str(source_json)
            .map_err(|e| core_err(spinnsim::Error::NetworkFile(format!("current source: {e}"))))?;
        guarded(|| self.inner.set_current_source(index, source).map_err(core_err))
    }

    /// The spikes recorded so far: population, neuron, tick, time_ms, segment.
    fn spikes(&self, py: Python<'_>) -> PyResult<ArrowTable> {
        let inner = &self.inner;
        guarded(|| py.detach(|| inner.spikes_batch()).map(ArrowTable::new).map_err(core_err))
    }

    /// The values sampled so far: population, variable, neuron, tick, time_ms, value, raw, segment.
    fn samples(&self, py: Python<'_>) -> PyResult<ArrowTable> {
        let inner = &self.inner;
        guarded(|| py.detach(|| inner.samples_batch()).map(ArrowTable::new).map_err(core_err))
    }

    /// The provenance counters of every core: core, population, then one column per counter.
    fn provenance(&self) -> PyResult<ArrowTable> {
        guarded(|| self.inner.provenance_batch().map(ArrowTable::new).map_err(core_err))
    }

    /// The connections of projection `projection` (in network order) read back from the synaptic
    /// rows, as a float64 array of shape (n, 4): pre, post, weight, delay_ms (quantised).
    fn connections<'py>(&self, py: Python<'py>, projection: usize) -> PyResult<Bound<'py, PyAny>> {
        let conns = guarded(|| self.inner.connections(projection).map_err(core_err))?;
        let n = conns.len();
        let bytes: Vec<u8> = conns.iter().flatten().flat_map(|x| x.to_ne_bytes()).collect();
        let buf = PyByteArray::new(py, &bytes);
        let np = py.import("numpy")?;
        let flat = np.call_method1("frombuffer", (buf, np.getattr("float64")?))?;
        flat.call_method1("reshape", ((n, 4usize),))
    }

    /// The engine that runs: "cpu" or "gpu".
    fn backend(&self) -> &'static str {
        self.inner.backend_name()
    }

    /// The GPU adapter the engine runs on (a dict as `devices()` gives), or None on the CPU engine.
    fn adapter<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.inner.adapter().map(|a| adapter_dict(py, a)).transpose()
    }

    /// Mapping and reset warnings so far.
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings()
    }

    /// The population labels in network order.
    fn population_labels(&self) -> Vec<String> {
        self.inner.network().populations.iter().map(|p| p.label.clone()).collect()
    }

    /// The ring-buffer left shifts (excitatory, inhibitory) of a population's cores, or None for a
    /// population that receives no synapses (or a spike source).
    fn ring_buffer_shifts(&self, population: &str) -> PyResult<Option<(u32, u32)>> {
        let pi = self.population_index(population)?;
        Ok(self.inner.image().ring_buffer_shifts.get(pi).copied().flatten().map(|s| (s[0], s[1])))
    }

    fn __repr__(&self) -> String {
        let net = self.inner.network();
        format!(
            "Simulation({} populations, {} projections, profile {}, backend {}, t = {} ms)",
            net.populations.len(),
            net.projections.len(),
            self.inner.image().profile.name(),
            self.inner.backend_name(),
            self.inner.current_time()
        )
    }
}

/// One Arrow table (a record batch) that Python's Arrow libraries take without copying, through the
/// Arrow PyCapsule interface: `pyarrow.table(t)`, `polars.DataFrame(t)`, `t.to_pandas()`.
#[pyclass(module = "spinnsim._spinnsim", frozen)]
struct ArrowTable {
    batch: RecordBatch,
}

impl ArrowTable {
    fn new(batch: RecordBatch) -> Self {
        ArrowTable { batch }
    }

    fn schema_capsule<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let schema = FFI_ArrowSchema::try_from(self.batch.schema().as_ref())
            .map_err(|e| PyValueError::new_err(format!("cannot export the Arrow schema: {e}")))?;
        PyCapsule::new_with_value(py, schema, SCHEMA_NAME)
    }
}

#[pymethods]
impl ArrowTable {
    /// The Arrow PyCapsule stream export: a capsule named "arrow_array_stream" holding an
    /// ArrowArrayStream over the table's one batch. The buffers are shared, not copied. A consumer
    /// moves the stream out (its release set to NULL); the capsule's destructor releases it only
    /// when nobody did. `requested_schema` is not applied: the table comes in its own schema.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader = RecordBatchIterator::new(vec![Ok(self.batch.clone())], self.batch.schema());
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new_with_value(py, stream, STREAM_NAME)
    }

    /// The Arrow PyCapsule schema export (a capsule named "arrow_schema"), with the run metadata.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        self.schema_capsule(py)
    }

    /// The Arrow PyCapsule array export: the table as one struct array, (schema capsule, array capsule).
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let _ = requested_schema;
        let schema = self.schema_capsule(py)?;
        let data = StructArray::from(self.batch.clone()).into_data();
        let array = PyCapsule::new_with_value(py, FFI_ArrowArray::new(&data), ARRAY_NAME)?;
        PyTuple::new(py, [schema.into_any(), array.into_any()])
    }

    #[getter]
    fn num_rows(&self) -> usize {
        self.batch.num_rows()
    }

    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.batch.schema().fields().iter().map(|f| f.name().clone()).collect()
    }

    /// The schema metadata (`spinnsim.timestep_ms`, `spinnsim.profile`, ...).
    #[getter]
    fn metadata(&self) -> std::collections::HashMap<String, String> {
        self.batch.schema().metadata().clone().into()
    }

    fn __len__(&self) -> usize {
        self.batch.num_rows()
    }

    /// A `pyarrow.Table` over the same buffers (pyarrow is imported only now).
    fn to_pyarrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.py().import("pyarrow")?.call_method1("table", (slf,))
    }

    /// A `polars.DataFrame` over the same buffers (polars is imported only now).
    fn to_polars<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.py().import("polars")?.call_method1("DataFrame", (slf,))
    }

    /// A `pandas.DataFrame`, through pyarrow.
    fn to_pandas<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::to_pyarrow(slf)?.call_method0("to_pandas")
    }

    fn __repr__(&self) -> String {
        let cols: Vec<String> =
            self.batch.schema().fields().iter().map(|f| format!("{}: {}", f.name(), f.data_type())).collect();
        format!("ArrowTable({} rows; {})", self.batch.num_rows(), cols.join(", "))
    }
}

fn adapter_dict<'py>(py: Python<'py>, a: &AdapterSummary) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", &a.name)?;
    d.set_item("backend", &a.backend)?;
    d.set_item("device_type", &a.device_type)?;
    d.set_item("driver", &a.driver)?;
    d.set_item("is_hardware", a.is_hardware)?;
    d.set_item("max_storage_buffer_binding_size", a.max_storage_buffer_binding_size)?;
    d.set_item("max_buffer_size", a.max_buffer_size)?;
    d.set_item("max_storage_buffers_per_shader_stage", a.max_storage_buffers_per_shader_stage)?;
    d.set_item("max_compute_workgroups_per_dimension", a.max_compute_workgroups_per_dimension)?;
    d.set_item("pci_bus_id", &a.pci_bus_id)?;
    d.set_item("chosen_by", &a.chosen_by)?;
    Ok(d)
}

/// The GPU adapters wgpu finds, as `spinnsim devices` lists them: one dict each with name,
/// backend, device_type, driver, is_hardware (False for CPU-emulated ones such as lavapipe) and
/// the limits the GPU engine depends on. An empty list when there is none.
#[pyfunction]
fn devices(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyDict>>> {
    let list = guarded(|| Ok(py.detach(spinnsim::engine::gpu::device::adapters)))?;
    list.iter().map(|a| adapter_dict(py, a)).collect()
}

/// Checks a connector (JSON of a network file's `connector`) between populations of `n_pre` and
/// `n_post` neurons as the core does before it draws, for connectors drawn in Python: a
/// `SpinnsimError` naming the problem (for example, no candidates to draw from).
#[pyfunction]
fn check_connector(connector_json: &str, n_pre: u32, n_post: u32, same_population: bool) -> PyResult<()> {
    let c: spinnsim::model::Connector =
        serde_json::from_str(connector_json).map_err(|e| value_err(format!("connector: {e}")))?;
    c.validate(n_pre, n_post, same_population)
        .map_err(|(parameter, message)| core_err(spinnsim::Error::param(c.name(), parameter, message)))
}

/// The (pre, post) pairs of a connector that draws nothing (JSON of a network file's
/// `connector`: OneToOne, OneToOneOffset, AllButMe) between populations of `n_pre` and `n_post`
/// neurons, checked first, in the order the core makes them: Python draws those connectors with
/// the core's own code.
#[pyfunction]
fn connector_pairs(connector_json: &str, n_pre: u32, n_post: u32) -> PyResult<Vec<(u32, u32)>> {
    use spinnsim::model::Connector;
    let c: Connector = serde_json::from_str(connector_json).map_err(|e| value_err(format!("connector: {e}")))?;
    c.validate(n_pre, n_post, false)
        .map_err(|(parameter, message)| core_err(spinnsim::Error::param(c.name(), parameter, message)))?;
    c.undrawn_pairs(n_pre, n_post)
        .ok_or_else(|| value_err(format!("{} draws its connections: no pairs without a generator", c.name())))
}

/// Panics inside the guard every entry point uses, so that tests can see a panic arrive as a
/// `SpinnsimError` (no entry point is known to panic).
#[pyfunction]
fn _panic_for_tests() -> PyResult<()> {
    guarded(|| panic!("a panic raised on purpose by _panic_for_tests"))
}

#[pymodule]
fn _spinnsim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // At import, before any GPU instance: no display probe noise (see the function).
    spinnsim::engine::gpu::device::quiet_display_probe();
    m.add("SpinnsimError", m.py().get_type::<SpinnsimError>())?;
    m.add_function(wrap_pyfunction!(devices, m)?)?;
    m.add_function(wrap_pyfunction!(check_connector, m)?)?;
    m.add_function(wrap_pyfunction!(connector_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep_points, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep_plan, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep_run_shard, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep_committed_files, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep_export, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep_evaluate, m)?)?;
    m.add_class::<Simulation>()?;
    m.add_class::<ArrowTable>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
