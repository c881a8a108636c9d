#!/usr/bin/env python3
"""Opens the recordings of `spinnsim run datasets/synfire.toml --profile spinnaker-2019` with
pyarrow, pandas and polars, and checks their content against the 2019 SpiNNaker recording.

    python3 tests/python/read_outputs.py OUT_DIR HARDWARE_DIR FORMAT [FORMAT ...]

OUT_DIR/FORMAT holds spikes.EXT and samples.EXT for every FORMAT (arrow, parquet: one run each,
as a run's files replace those of an earlier run); HARDWARE_DIR is
../shared/oracles/hardware-2019-synfire (20_17_spikes.csv, 20_17_v.csv, 20_17_gsyn.csv).
Exits 0 when every reader of every format sees the same, documented tables; 1 with the failed
checks otherwise; 2 when a reader is missing.
"""

import os
import sys

try:
    import pandas as pd
    import polars as pl
    import pyarrow as pa
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq
except ImportError as e:  # the Rust test decides whether this is a failure or a skip
    print(f"missing Python module: {e.name}", file=sys.stderr)
    sys.exit(2)

N_NEURONS = 20
N_TICKS = 500
METADATA = {
    "spinnsim.timestep_ms": "1",
    "spinnsim.profile": "spinnaker-2019",
    "spinnsim.seed": "1",
    "spinnsim.version": None,  # present, any value
    "spinnsim.semantics": "sPyNNaker 7.4.1",
}

# The documented schemas (README, Output): column -> Arrow type.
SPIKES = {"population": "utf8", "neuron": "u32", "tick": "u32", "time_ms": "f64", "segment": "u32"}
SAMPLES = {
    "population": "utf8",
    "variable": "utf8",
    "neuron": "u32",
    "tick": "u32",
    "time_ms": "f64",
    "value": "f64",
    "raw": "i32",
    "segment": "u32",
}

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


# ---------------------------------------------------------------------------------------------
# Readers: each returns (columns as Python lists, {column: documented type name}, metadata or None)


def arrow_type_name(t):
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "utf8"
    return {pa.uint32(): "u32", pa.int32(): "i32", pa.float64(): "f64"}.get(t, str(t))


def from_pyarrow_table(table):
    cols = {name: table.column(name).to_pylist() for name in table.column_names}
    types = {f.name: arrow_type_name(f.type) for f in table.schema}
    meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    return cols, types, meta


def read_pyarrow(path, fmt):
    if fmt == "arrow":
        with pa.memory_map(path) as source:
            return from_pyarrow_table(ipc.open_file(source).read_all())
    cols, types, meta = from_pyarrow_table(pq.read_table(path))
    # The Parquet footer itself must carry the metadata too, and the data must be snappy.
    footer = pq.ParquetFile(path).metadata
    kv = {k.decode(): v.decode() for k, v in (footer.metadata or {}).items()}
    for key in METADATA:
        check(key in kv, f"{path}: Parquet key-value metadata lacks {key}")
    for rg in range(footer.num_row_groups):
        for c in range(footer.num_columns):
            comp = footer.row_group(rg).column(c).compression
            check(comp == "SNAPPY", f"{path}: row group {rg} column {c} is {comp}, not SNAPPY")
    return cols, types, meta


def pandas_type_name(dtype):
    if pd.api.types.is_string_dtype(dtype):
        return "utf8"
    return {"uint32": "u32", "int32": "i32", "float64": "f64"}.get(str(dtype), str(dtype))


def read_pandas(path, fmt):
    df = pd.read_feather(path) if fmt == "arrow" else pd.read_parquet(path, engine="pyarrow")
    cols = {name: df[name].tolist() for name in df.columns}
    types = {name: pandas_type_name(df[name].dtype) for name in df.columns}
    return cols, types, None  # pandas keeps no schema metadata


def polars_type_name(dtype):
    names = {pl.String: "utf8", pl.UInt32: "u32", pl.Int32: "i32", pl.Float64: "f64"}
    for k, v in names.items():
        if dtype == k:
            return v
    return str(dtype)


def read_polars(path, fmt):
    df = pl.read_ipc(path) if fmt == "arrow" else pl.read_parquet(path)
    cols = {name: df.get_column(name).to_list() for name in df.columns}
    types = {name: polars_type_name(dt) for name, dt in df.schema.items()}
    meta = pl.read_parquet_metadata(path) if fmt == "parquet" else None
    return cols, types, meta


READERS = {"pyarrow": read_pyarrow, "pandas": read_pandas, "polars": read_polars}

# ---------------------------------------------------------------------------------------------
# The hardware recording


def read_csv(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.strip():
                rows.append(tuple(float(x) for x in line.split(",")))
    return rows


def hardware(hw_dir):
    spikes = sorted((int(n), int(t)) for n, t, *_ in read_csv(os.path.join(hw_dir, "20_17_spikes.csv")))
    v = {(int(n), int(t)): x for n, t, x in read_csv(os.path.join(hw_dir, "20_17_v.csv"))}
    gsyn = {(int(n), int(t)): x for n, t, x in read_csv(os.path.join(hw_dir, "20_17_gsyn.csv"))}
    return spikes, {"v": v, "gsyn_exc": gsyn}


# ---------------------------------------------------------------------------------------------
# The checks, the same for every reader


def check_schema(where, cols, types, documented):
    check(list(cols) == list(documented), f"{where}: columns {list(cols)}, documented {list(documented)}")
    for name, want in documented.items():
        got = types.get(name)
        check(got == want, f"{where}: column {name} is {got}, documented {want}")


def check_metadata(where, meta):
    if meta is None:
        return
    for key, want in METADATA.items():
        if check(key in meta, f"{where}: schema metadata lacks {key} (has {sorted(meta)})") and want is not None:
            check(meta[key] == want, f"{where}: {key} = {meta[key]!r}, expected {want!r}")


def check_spikes(where, path, reader, fmt, hw_spikes):
    cols, types, meta = reader(path, fmt)
    before = len(failures)
    check_schema(where, cols, types, SPIKES)
    check_metadata(where, meta)
    if len(failures) > before:
        return
    rows = list(zip(cols["population"], cols["neuron"], cols["tick"], cols["time_ms"], cols["segment"]))
    pop1 = sorted((n, t) for p, n, t, _, _ in rows if p == "pop_1")
    check(len(pop1) == 27, f"{where}: {len(pop1)} spikes of pop_1, expected 27")
    check(pop1 == hw_spikes, f"{where}: pop_1 (neuron, tick) differ from the hardware: {pop1} vs {hw_spikes}")
    check({p for p, *_ in rows} == {"pop_1"}, f"{where}: populations {sorted({p for p, *_ in rows})}")
    check(all(tm == float(t) for _, _, t, tm, _ in rows), f"{where}: time_ms is not tick × 1.0 ms")
    check(all(s == 0 for *_, s in rows), f"{where}: segment is not 0 everywhere")


def check_samples(where, path, reader, fmt, hw_samples):
    cols, types, meta = reader(path, fmt)
    before = len(failures)
    check_schema(where, cols, types, SAMPLES)
    check_metadata(where, meta)
    if len(failures) > before:
        return
    names = list(SAMPLES)
    rows = list(zip(*(cols[n] for n in names)))
    check({r[0] for r in rows} == {"pop_1"}, f"{where}: populations {sorted({r[0] for r in rows})}")
    check({r[1] for r in rows} == {"v", "gsyn_exc"}, f"{where}: variables {sorted({r[1] for r in rows})}")
    for var, want in hw_samples.items():
        got = {}
        for pop, variable, neuron, tick, time_ms, value, raw, segment in rows:
            if pop != "pop_1" or variable != var:
                continue
            check((neuron, tick) not in got, f"{where}: {var} ({neuron}, {tick}) twice")
            got[(neuron, tick)] = value
            if not check(value == raw / 32768.0, f"{where}: {var} ({neuron}, {tick}): value {value} != raw {raw} / 2^15"):
                return
            if not check(time_ms == float(tick) and segment == 0, f"{where}: {var} ({neuron}, {tick}): time_ms {time_ms}, segment {segment}"):
                return
        grid = {(n, t) for n in range(N_NEURONS) for t in range(N_TICKS)}
        check(len(got) == N_TICKS * N_NEURONS, f"{where}: {len(got)} {var} samples, expected {N_TICKS} ticks × {N_NEURONS} neurons")
        check(set(got) == grid, f"{where}: {var} (neuron, tick) are not ticks 0..{N_TICKS - 1} × neurons 0..{N_NEURONS - 1}")
        diff = [k for k in sorted(grid) if got.get(k) != want.get(k)]
        check(not diff, f"{where}: {len(diff)} {var} values differ from the hardware, first (neuron, tick) = "
              f"{diff[0] if diff else None}: {got.get(diff[0]) if diff else None} vs {want.get(diff[0]) if diff else None}")


def main(argv):
    if len(argv) < 4 or any(f not in ("arrow", "parquet") for f in argv[3:]):
        print(__doc__, file=sys.stderr)
        return 2
    out, hw_dir, formats = argv[1], argv[2], argv[3:]
    hw_spikes, hw_samples = hardware(hw_dir)
    if not (len(hw_spikes) == 27 and all(len(v) == N_TICKS * N_NEURONS for v in hw_samples.values())):
        print(f"unexpected hardware recording in {hw_dir}", file=sys.stderr)
        return 1
    passed = failed = 0
    for fmt in formats:
        for table in ("spikes", "samples"):
            path = os.path.join(out, fmt, f"{table}.{fmt}")
            if not check(os.path.isfile(path), f"{path} does not exist"):
                continue
            check(not os.path.exists(f"{path}.partial"), f"{path}.partial was left behind")
            for rname, reader in READERS.items():
                where = f"{table}.{fmt} via {rname}"
                before = len(failures)
                try:
                    if table == "spikes":
                        check_spikes(where, path, reader, fmt, hw_spikes)
                    else:
                        check_samples(where, path, reader, fmt, hw_samples)
                except Exception as e:  # a reader that cannot open the file is a failed check
                    check(False, f"{where}: {type(e).__name__}: {e}")
                ok = len(failures) == before
                passed, failed = passed + ok, failed + (not ok)
                print(f"{where}: {'ok' if ok else 'FAILED'}")
    print(f"versions: pyarrow {pa.__version__}, pandas {pd.__version__}, polars {pl.__version__}")
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    print(f"{passed} tables read correctly, {failed} not ({len(failures)} failed checks)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
