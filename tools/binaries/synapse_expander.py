#!/usr/bin/env python3
"""Runs the real synapse expander of sPyNNaker 1!7.4.1 (`synapse_expander.aplx`) under Unicorn.

    python3 tools/binaries/synapse_expander.py < cases.json > results.jsonl

What runs
---------
The whole `c_main` of the image (0x36ec), into which GCC inlined `run_synapse_expander`,
`read_connection_builder_region` and the bit-field generation, runs as machine code: it finds the
regions through the real `data_specification_get_data_address` (0x4220, from vcpu[0].user0) and
`spin1_get_core_id`, copies the header to the heap, points `population_rng` / `core_rng` (0x4000dc /
0x4000e0) at the copies, then for every edge calls the matrix, connector and parameter generator
`initialise` functions through their tables and the connector's `generate`, which draws, rescales
and writes rows with the binary's own RNG, variate, fixed-point and row code; then the bit-field
generation over the population table. Only the SpiNNaker environment is supplied here:
* memory: ITCM 0x0 (code, made read-only: a write to it is reported as a fault), DTCM 0x400000
  (.data, .bss, stack from 0x410000 down), SDRAM 0x60000000 (the data-spec table with 32 region
  entries, every checksum/n_words 0 so none is checked, then the regions, each with a 1 KiB zero guard
  band either side that is checked after the run), the vcpu table 0xe5007000 (user0 = the table,
  user1 = the connection-builder region id: 12, or the next id the case does not use).
* stubs: `sark_alloc` (0x4ccc, under `spin1_malloc`) is a bump allocator in a separate 64 MiB heap
  that never fails (on the chip it is DTCM: allocation failures and stack/heap collisions of very
  large variable-length arrays, e.g. FixedTotalNumber without replacement keeps n x 8 bytes on the
  stack, are not reproduced); `sark_free` (0x4d84) returns; `log_mini` (0x4fa0) records its id and
  arguments and returns; `rt_error` (0x12c) records the code and the call site and stops.
Nothing is parsed in Python: the region words go to SDRAM as given. The bit-field generation runs for
real but is a no-op unless the case fills the population-table region (its word 0 is the number of
master entries; with 0 the code returns before touching the bit-field region).

Input and output
----------------
stdin: {"cases": [case, ...]}, case = {"region": [u32 ...], "matrix_words": N,
  "regions": {"<id>": n_words} (optional sizes of other regions; pop table and bit-field default to
  1024 words, zero-filled), "fill": {"<id>": [u32 ...]} (optional initial contents of any region,
  the matrix included, e.g. host-written blocks or a sentinel to see which words are written),
  "return_regions": bool (also return every other region and its SDRAM address; the bit-field
  filters hold absolute data pointers), "all_logs": bool (also list the routine log_info calls)}.
stdout, one line per case: {"matrix": [u32 x N], "pop_rng": [x, y, z, c], "core_rng": [...],
  "ok": bool, "error": null | "rt_error CODE at 0xCALLSITE; log ID ARGS...; ..." (also "fault ...",
  "timeout ...", "write outside region ID"), "logs": [[id, [args]], ...]}. The RNG states are read
  through the pointers at 0x4000dc / 0x4000e0 (null if the run stopped before setting them). Log ids
  are those compiled into this image (the wheel's synapse_expander.dict is stale); every call passes
  stream 2, so the level is not in the binary: LOG_MEANING below gives what each id is, and any id
  outside ROUTINE_LOGS makes the case not ok. $SYNAPSE_EXPANDER_TIMEOUT (seconds, default 30) bounds
  one case (some parameter sets loop forever on the chip too, e.g. FixedNumberPost with replacement,
  no self connections and one candidate).

Word layouts (confirmed by running this image; all integers u32, S1615 = round(x * 2^15))
---------------------------------------------------------------------------------------------
Region: [synaptic_matrix_id, pop_table_id, bitfield_id, structural_id or 0xFFFFFFFF, n_edges,
  post_slice_lo, post_slice_n, post_index (0), n_synapse_types, timesteps_per_ms (S1615),
  pop_seed x4, core_seed x4 (mars_kiss64 x, y, z, c), then per synapse type the weight scale as
  U3232 (low word, high word)], then per edge [pre_lo, pre_hi, post_lo, post_hi, synapse_type
  (selects the weight scale), matrix_id, connector_id, weight_gen_id, delay_gen_id] + matrix params
  + connector params + weight params + delay params, then the bit-field key map: one word per master
  population table entry, n_atoms of that source (the delay source: n_atoms x n_delay_stages), in
  key order, no count (the count is pop table word 0).
Static matrix params (matrix_id 0, 12 words): [offset, delayed_offset (words into the synaptic
  matrix region, 0xFFFFFFFF = none), max_row_words, max_delayed_row_words, synapse_type (the one put
  in the words), type_bits = get_n_bits(n_synapse_types), index_bits =
  get_n_bits(max_post_atoms_per_core), max_stage = n_delay_stages + 1, max_delay_per_stage,
  delay_bits = get_n_bits(max_delay_per_stage), n_pre (pre vertex atoms), max_pre_atoms_per_core].
  (STDP, matrix_id 1, takes 19 words and runs too; not validated here.)
Rows: at each edge's init, every row of its block gets the 3-word header [0, 0, 0]: n_pre rows of
  max_row_words + 3 words from `offset`, and n_pre x (max_stage - 1) delayed rows of
  max_delayed_row_words + 3 from `delayed_offset`. Header = [plastic size 0, n fixed synapses,
  fixed-plastic size 0]; synapse k is word 3 + k, appended in call order, and unused words are never
  written. Word = post_local & (2^ib - 1) | (synapse_type & (2^tb - 1)) << ib
  | (d & (2^db - 1)) << (ib + tb) | w16 << 16, d the delay within its stage (1..max_delay_per_stage,
  so d = 2^db is stored as 0), w16 the rescaled |weight|.
Connector params by id: 0 OneToOne: none. 1 AllToAll: [allow_self]. 2 FixedProbability:
  [allow_self, p as U032]. 3 FixedTotalNumber, 4 FixedNumberPre, 5 FixedNumberPost: [allow_self,
  with_replacement, n]. 6 Kernel: 9 words (w | h << 16) common, pre, post, pre_start, post_start,
  pre_step, post_step, kernel, (has_weights | has_delays << 16), then kw x kh S1615 weights if
  has_weights, then kw x kh S1615 delays if has_delays. 7 AllButMe: [n_per_group, has_weights] then
  G x (G - 1) S1615 weights if has_weights. 8 OneToOneOffset: [offset (int32), wrap, n_per_group].
  allow_self is allow_self_connections OR pre population != post population (host).
Parameter generator params by id (S1615 words): 0 constant [value], 1 uniform [low, high],
  2 normal [mu, sigma], 3 normal_clipped [mu, sigma, low, high], 4 normal_clipped_to_boundary
  [mu, sigma, low, high], 5 exponential [beta], 6 exponential_clipped [beta, low, high] (it draws
  the normal variate). Delays are in ms; the binary multiplies by timesteps_per_ms.
"""
import expander_harness as harness

# Log ids of the 7.4.1 image that every successful run prints (c_main), all log_info.
ROUTINE_LOGS = {
    401: "Generating %u edges for %u atoms starting at %u",
    402: "Population RNG: %u %u %u %u",
    403: "Core RNG: %u %u %u %u",
    404: "Region %u set to 0 at 0x%08x and 0x%08x",
    405: "Starting To Build Connectors",
    406: "\\tReading SDRAM at 0x%08x",
    408: "Finished On Machine Connectors!",
    415: "Generating %u bitfields",
    459: "allButMe connector, n_values = %u, has_weights = %u",
}

# What the other log ids of this image are (read from the code around each call).
LOG_MEANING = {
    407: "!!!   Error reading SDRAM data   !!! (then rt_error(RTE_ABORT))",
    416: "bit fields: could not allocate a bit field",
    418: "bit fields: could not allocate key_to_max_atoms",
    419: "bit fields: could not allocate the row buffer",
    420: "bit fields: failed to generate bit fields",
    421: "connection generator: could not allocate",
    422: "connection generator id %u not found",
    440: "matrix generator: could not allocate",
    441: "matrix generator id %u not found",
    442: "param generator: could not allocate",
    443: "param generator id %u not found",
    444: "neuromodulation matrix: write failed",
    446: "static matrix: undelayed row full",
    447: "static matrix: delayed row full",
    448: "weight-changer matrix: write failed",
    449: "STDP matrix: undelayed row full",
    450: "STDP matrix: delayed row full",
    454: "FixedNumberPost: write failed (generation stops)",
    455: "FixedNumberPost: write failed (generation stops)",
    457: "FixedNumberPre with replacement: 10 failed writes (generation stops)",
    458: "FixedNumberPre without replacement: write failed (synapse dropped)",
    460: "AllButMe: matrix not sized correctly (generation stops)",
    462: "OneToOneOffset: matrix not sized correctly (generation stops)",
    464: "AllToAll: matrix not sized correctly (generation stops)",
    466: "OneToOne: matrix not sized correctly (generation stops)",
    468: "Kernel: matrix not sized correctly (generation stops)",
    470: "FixedTotalNumber with replacement: 10 failed writes (generation stops)",
    471: "FixedTotalNumber without replacement: write failed (generation stops)",
    473: "FixedProbability: row overflow (synapse dropped)",
    476: "exponential_clipped: maximum redraws (1000) exceeded (then rt_error(RTE_SWERR))",
    478: "normal_clipped: maximum redraws (1000) exceeded (then rt_error(RTE_SWERR))",
    811: "bit fields (structural): allocation failed (then rt_error(RTE_SWERR))",
    812: "bit fields (structural): allocation of %d failed (then rt_error(RTE_SWERR))",
}


class SynapseExpander(harness.Expander):
    IMAGE = "synapse_expander.aplx"
    SHA256 = "5592c7bcb8ebb0e31c50a73c2b61ace07065d0a05e50e386707bd06f82e4fe58"

    C_MAIN = 0x36EC           # c_main: run_synapse_expander, read_connection_builder_region and the bit-field
    #                           generation are all inlined into it
    LOG_MINI = 0x4FA0         # log_mini(stream, fmt, id, ...) (Thumb): hooked, records, returns
    SARK_ALLOC = 0x4CCC       # sark_alloc(count, size) (Thumb): hooked, bump allocator
    SARK_FREE = 0x4D84        # sark_free(ptr) (Thumb): returns at once
    POPULATION_RNG = 0x4000DC  # rng_t *population_rng
    CORE_RNG = 0x4000E0       # rng_t *core_rng
    SARK = 0x4000F0           # sark_t: +0 virt_cpu, +0x1c vcpu (sark_cpu_state writes vcpu->cpu_state)
    DEFAULT_REGION_WORDS = 1024
    BUILDER_REGION_ID = 12    # PopulationMachineVertex.REGIONS.CONNECTOR_BUILDER
    TIMEOUT_VARIABLE = "SYNAPSE_EXPANDER_TIMEOUT"
    ROUTINE_LOGS = ROUTINE_LOGS
    LOG_MEANING = LOG_MEANING
    EMPTY = {"matrix": []}

    def case_sizes(self, case, region, sizes):
        matrix_id, pop_id, bf_id, struct_id = region[0:4]
        sizes[matrix_id] = int(case["matrix_words"])
        for rid in (pop_id, bf_id) + ((struct_id,) if struct_id != 0xFFFFFFFF else ()):
            sizes.setdefault(rid, self.DEFAULT_REGION_WORDS)

    def results(self, case, region, sizes, where, builder_id):
        matrix_id = region[0]
        out = {"matrix": self._words(where[matrix_id], sizes[matrix_id])}
        if case.get("return_regions"):
            out["regions"] = {str(rid): self._words(where[rid], sizes[rid])
                              for rid in sorted(sizes) if rid not in (matrix_id, builder_id)}
        return out


if __name__ == "__main__":
    harness.main(SynapseExpander)
