"""
Recording: what to record goes into the network description; the recordings come back from the
core as Arrow tables and are turned into neo Blocks as sPyNNaker 7.4.1 builds them:

* one Segment per run between resets (``segment0``, ``segment1``, ...);
* AnalogSignals named after the variable, in mV (v), nA (gsyn of current-based models) or µS
  (gsyn of conductance-based models), with ``t_start``, ``sampling_period`` (the sampling
  interval), annotations ``source_population``, ``source_ids``, ``channel_names`` (sPyNNaker's)
  and ``channel_ids`` plus the array annotation ``channel_index`` (PyNN's, used by
  ``pyNN.utility.plotting`` and ``Assembly.get_data``);
* one SpikeTrain per recorded neuron with ``source_population``, ``source_id``, ``source_index``
  and ``channel_id``;
* sPyNNaker's sample convention: a run of n ticks records n samples (ticks 0 .. n-1), v before
  the tick's update.
"""

from collections import defaultdict
from datetime import datetime

import neo
import numpy as np
import quantities as pq
from pyNN import errors, recording

from . import simulator
from .simulator import state


class NotRecordedError(errors.RecordingError):
    """get_data asked for a variable that can be recorded but was not."""

    def __str__(self):
        return (f"variable '{self.variable}' was not recorded from population "
                f"'{self.cell_type}'; call record('{self.variable}') before run()")


class Recorder(recording.Recorder):
    _simulator = simulator

    def __init__(self, population, file=None):
        recording.Recorder.__init__(self, population, file)
        self._clear_marker = None   # (segment number, time ms): data before it is cleared

    # ------------------------------------------------------------- what to record
    def _record(self, variable, new_ids, sampling_interval=None):
        if sampling_interval is not None:
            ratio = sampling_interval / state.dt
            if sampling_interval <= 0 or abs(ratio - round(ratio)) > 1e-9:
                raise errors.InvalidParameterValueError(
                    f"sampling_interval {sampling_interval} ms is not a positive multiple of "
                    f"the timestep {state.dt} ms")
        changed = bool(new_ids) or (sampling_interval is not None
                                     and abs(sampling_interval - self.sampling_interval) > 1e-12)
        if changed:
            state.check_structure_change(f"record '{variable.name}'")
            # Recorder.record has already added new_ids to self.recorded; the check above may
            # refuse, in which case undo that.
        if sampling_interval is not None:
            self.sampling_interval = float(sampling_interval)
        if changed:
            state.structure_changed()

    def record(self, variables, ids, sampling_interval=None, locations=None):
        before = {k: set(v) for k, v in self.recorded.items()}
        try:
            recording.Recorder.record(self, variables, ids, sampling_interval, locations)
        except simulator.NetworkChangeError:
            self.recorded = defaultdict(set, before)
            raise

    def _reset(self):
        if any(self.recorded.values()):
            state.check_structure_change("stop recording")
            state.structure_changed()

    def _core_requests(self):
        """The `record` list of this population's network entry."""
        pop = self.population
        out = []
        for variable in sorted(self.recorded, key=lambda v: v.name):
            ids = self.recorded[variable]
            if not ids:
                continue
            indices = sorted(int(pop.id_to_index(i)) for i in ids)
            req = {"variable": variable.name}
            if len(indices) != pop.size:
                req["neurons"] = indices
            if variable.name != "spikes" and abs(self.sampling_interval - state.dt) > 1e-12:
                req["sampling_interval"] = float(self.sampling_interval)
            out.append(req)
        return out

    def recorded_indices(self, name, filter_ids=None):
        var = recording.Variable(name=name, location=None, label=None)
        ids = self.filter_recorded(var, filter_ids)
        return np.array(sorted(int(self.population.id_to_index(i)) for i in ids), dtype=np.int64)

    def recorded_names(self):
        return [v.name for v in self.recorded if self.recorded[v]]

    # ------------------------------------------------------------- data
    def _clear_simulator(self):
        self._clear_marker = (len(state.data_segments()) - (1 if state.running else 0), state.t)

    def store_to_cache(self, annotations=None):
        pass  # segments are kept by the core and by state.segments

    def _variable_names(self, variables):
        names = self.recorded_names()
        if variables in ('all', None):
            # spikes first, then the signals, as sPyNNaker lists them
            return sorted(names, key=lambda n: (n != "spikes", n))
        if isinstance(variables, str):
            variables = [variables]
        out = []
        for v in variables:
            if v not in names:
                if not self.population.can_record(v):
                    raise errors.RecordingError(v, self.population.celltype)
                raise NotRecordedError(v, self.population.label)
            out.append(v)
        return out

    def get(self, variables, gather=False, filter_ids=None, clear=False, annotations=None,
            locations=None):
        """The recordings as a neo Block (see the module docstring)."""
        pop = self.population
        names = self._variable_names(variables)
        block = neo.Block(name=pop.label, description=pop.describe())
        block.annotate(**self.metadata)
        if annotations:
            block.annotate(**annotations)
        for number, (sim, core_seg, t_stop, seg_annotations, rec_dt) in enumerate(state.data_segments()):
            seg = neo.Segment(name=f"segment{number}", description=block.description,
                              rec_datetime=rec_dt or datetime.now())
            if seg_annotations:
                seg.annotate(**seg_annotations)
            t_start = 0.0
            if self._clear_marker is not None:
                if number < self._clear_marker[0]:
                    continue
                if number == self._clear_marker[0]:
                    t_start = self._clear_marker[1]
                    if t_stop <= t_start and number < len(state.data_segments()) - 1:
                        continue        # cleared at its end: nothing left in it
            spikes, samples = self._segment_tables(sim, core_seg)
            for name in names:
                if name == "spikes":
                    self._add_spiketrains(seg, spikes, filter_ids, t_start, t_stop)
                else:
                    self._add_signal(seg, samples, name, filter_ids, t_start)
            seg.block = block
            block.segments.append(seg)
        if block.segments:
            block.rec_datetime = block.segments[0].rec_datetime
        if clear:
            self.clear()
        return block

    def _segment_tables(self, sim, core_seg):
        import pyarrow.compute as pc
        spikes, samples = state.tables(sim)
        label = self.population._core_label
        s = spikes.filter(pc.and_(pc.equal(spikes["population"], label),
                                  pc.equal(spikes["segment"], core_seg)))
        m = samples.filter(pc.and_(pc.equal(samples["population"], label),
                                   pc.equal(samples["segment"], core_seg)))
        return s, m

    def _add_spiketrains(self, seg, spikes, filter_ids, t_start, t_stop):
        pop = self.population
        indices = self.recorded_indices("spikes", filter_ids)
        neurons = spikes["neuron"].to_numpy().astype(np.int64)
        times = spikes["time_ms"].to_numpy()
        keep = times >= t_start - 1e-9
        neurons, times = neurons[keep], times[keep]
        order = np.lexsort((times, neurons))
        neurons, times = neurons[order], times[order]
        left = np.searchsorted(neurons, indices, "left")
        right = np.searchsorted(neurons, indices, "right")
        stop = max(t_stop, float(times.max()) + state.dt if times.size else t_stop)
        dt = state.dt
        first_id = int(pop.first_id)
        trains = list(seg.spiketrains)
        for index, lo, hi in zip(indices, left, right):
            train = neo.SpikeTrain(
                times[lo:hi], t_start=t_start * pq.ms, t_stop=stop * pq.ms, units="ms",
                dtype=np.float64, sampling_rate=(1000.0 / dt) * pq.Hz,
                source_population=pop.label, source_id=first_id + int(index),
                source_index=int(index), channel_id=first_id + int(index))
            train.segment = seg
            trains.append(train)
        # One list for all: neo's append checks every train already there, which is quadratic in
        # the neurons (a population of 10^5 would take minutes).
        seg.spiketrains = neo.core.spiketrainlist.SpikeTrainList(items=trains, parent=seg)

    def _add_signal(self, seg, samples, name, filter_ids, t_start):
        import pyarrow.compute as pc
        pop = self.population
        indices = self.recorded_indices(name, filter_ids)
        sub = samples.filter(pc.equal(samples["variable"], name))
        ticks = sub["tick"].to_numpy().astype(np.int64)
        times_ms = sub["time_ms"].to_numpy()
        neurons = sub["neuron"].to_numpy().astype(np.int64)
        values = sub["value"].to_numpy()
        keep = times_ms >= t_start - 1e-9
        if filter_ids is not None:
            keep &= np.isin(neurons, [int(pop.id_to_index(i)) for i in filter_ids])
        ticks, times_ms, neurons, values = ticks[keep], times_ms[keep], neurons[keep], values[keep]
        if neurons.size:
            # The neurons recorded in this segment (the recording set may have changed since).
            indices = np.unique(neurons)
        uticks, first = np.unique(ticks, return_index=True)
        data = np.full((uticks.size, indices.size), np.nan)
        data[np.searchsorted(uticks, ticks), np.searchsorted(indices, neurons)] = values
        start = float(times_ms[first[0]]) if uticks.size else t_start
        units = pop.celltype.units.get(name, "dimensionless")
        first_id = int(pop.first_id)
        ids = [first_id + int(i) for i in indices]
        signal = neo.AnalogSignal(
            data, units=units, t_start=start * pq.ms,
            sampling_period=self.sampling_interval * pq.ms, name=name,
            source_population=pop.label, source_ids=ids, channel_names=indices.copy(),
            channel_ids=np.array(ids), array_annotations={"channel_index": indices.copy()})
        signal.segment = seg
        seg.analogsignals.append(signal)

    @property
    def metadata(self):
        pop = self.population
        md = {
            'size': pop.size,
            'first_index': 0,
            'last_index': pop.size,
            'first_id': int(pop.first_id),
            'last_id': int(pop.last_id),
            'label': pop.label,
            'simulator': simulator.name,
        }
        md.update(pop.annotations)
        md['dt'] = state.dt
        md['mpi_processes'] = 1
        return md

    def count(self, variable, gather=True, filter_ids=None):
        """Spike counts of the current segment: {id: count} for every recorded neuron."""
        if variable != 'spikes':
            raise errors.RecordingError(variable, self.population.celltype)
        pop = self.population
        indices = self.recorded_indices("spikes", filter_ids)
        counts = np.zeros(indices.size, dtype=int)
        segs = state.data_segments()
        if segs:
            sim, core_seg, _, _, _ = segs[-1]
            spikes, _ = self._segment_tables(sim, core_seg)
            neurons = spikes["neuron"].to_numpy().astype(np.int64)
            if self._clear_marker is not None and self._clear_marker[0] == len(segs) - 1:
                neurons = neurons[spikes["time_ms"].to_numpy() >= self._clear_marker[1] - 1e-9]
            bc = np.bincount(neurons, minlength=pop.size)
            counts = bc[indices]
        return {pop.all_cells[i]: int(c) for i, c in zip(indices, counts)}
