#!/usr/bin/env python3
"""Runs the real neuron expander of sPyNNaker 1!7.4.1 (`neuron_expander.aplx`) under Unicorn.

    python3 tools/binaries/neuron_expander.py < cases.json > results.jsonl

What runs
---------
The whole `c_main` of the image (0x93c), into which GCC inlined `run_neuron_expander`,
`read_struct_builder_region`, `get_type_writer`, `align_offset` and the recording-index expansion,
runs as machine code: it finds the regions through the real `data_specification_get_data_address`
(0x1834, from vcpu[0].user0) and `spin1_get_core_id`, copies the 48-byte header to the heap, points
`population_rng` / `core_rng` (0x40010c / 0x400110) at the copies, then for every struct and field
calls the parameter generator `initialise` / `generate` / `free` functions through their table
(0x2c34, looked up by id 0..6) and the type writer of the field's type (table at DTCM 0x400000), with
the binary's own RNG, variate and fixed-point code; then it expands the recording indices into the
recording region and clears the checksum and n_words of both regions in the data-spec table.
Only the SpiNNaker environment is supplied here:
* memory: ITCM 0x0 (code, made read-only: a write to it is reported as a fault), DTCM 0x400000
  (.data, .bss, stack from 0x410000 down), SDRAM 0x60000000 (the data-spec table with 32 region
  entries, every checksum/n_words 0 so none is checked, then the regions, each with a 1 KiB zero guard
  band either side that is checked after the run), the vcpu table 0xe5007000 (user0 = the table,
  user1 = the neuron-builder region id: 13, or the next id the case does not use).
* stubs: `sark_alloc` (0x22c8, `spin1_malloc`) is a bump allocator in a separate 64 MiB heap that
  never fails (on the chip it is DTCM); `sark_free` (0x2380, reached through the veneer at 0x2c00)
  returns; `log_mini` (0x259c) records its id and arguments and returns; `rt_error` (0x12c) records
  the code and the call site and stops.
Nothing is parsed in Python: the region words go to SDRAM as given, and the regions named by its
words 0 and 1 (neuron_params, neuron recording) are read back. DTCM is reset for every case, so a
case always gives the same output (but see the recording padding below).

Input and output
----------------
stdin: {"cases": [case, ...]}, case = {"region": [u32 ...] (the neuron-builder region),
  "regions": {"<id>": n_words} (sizes of the regions, required for the two the region names: the
  neuron_params region (2) and the neuron recording region (9); the host reserves
  get_sdram_usage_for_neuron_params(n_atoms) and get_metadata_sdram_usage_in_bytes(n_atoms) bytes),
  "fill": {"<id>": [u32 ...]} (optional initial contents of any region, e.g. a sentinel to see which
  words are written), "return_regions": bool (also return every other region and its SDRAM address),
  "all_logs": bool (also list the routine log_info calls)}.
stdout, one line per case: {"regions": {"2": [u32 ...], "9": [u32 ...]} (keyed by the ids the region
  names), "pop_rng": [x, y, z, c], "core_rng": [...], "ok": bool, "error": null | "rt_error CODE at
  0xCALLSITE; log ID ARGS...; ..." (also "fault ...", "timeout ...", "write outside region ID"),
  "logs": [[id, [args]], ...]}. The RNG states are read through the pointers at 0x40010c / 0x400110
  (null if the run stopped before setting them). Log ids are those compiled into this image (the
  wheel has no neuron_expander.dict); every call passes stream 2, so the level is not in the binary:
  LOG_MEANING below gives what each id is, and any id outside ROUTINE_LOGS makes the case not ok.
  $NEURON_EXPANDER_TIMEOUT (seconds, default 30) bounds one case (normal_clipped and
  exponential_clipped stop themselves after 1000 redraws).

Word layouts (confirmed by running this image; all integers u32, S1615 = round(x * 2^15))
---------------------------------------------------------------------------------------------
Region: [neuron_params_id, neuron_recording_id, pop_seed x4, core_seed x4 (mars_kiss64 x, y, z, c),
  n_structs, n_atoms], then per struct (neuron_impl.structs order) [bytes_per_repeat, n_repeats
  (1 = global, 0xFFFFFFFF = n_atoms, else a count: per-core blocks give n_atoms, the same thing),
  meta_bytes (4 x the words from bytes_per_repeat to the last item; the expander skips that far to
  the parameter words), n_fields], per field [type_id, n_items, (n_repeats (0xFFFFFFFF = n_atoms),
  gen_id) x n_items], then every item's generator parameter words in field then item order; after the
  last struct the recording data: [n_vars, n_bitfields], per var [rate, element_size, n_recording
  (0xFFFFFFFF = n_atoms), n_index_items, items...], per bitfield the same without element_size; an
  item is n | 0x80000000 if recorded, n = 0x7FFFFFFF meaning n_atoms; rate 0 comes as [0, 0].
Region 2 (neuron_params): the structs one after the other, struct s an array of n_repeats elements
  of bytes_per_repeat bytes (= numpy dtype of its fields, align=True, as Struct.numpy_dtype); the
  code moves on by bytes_per_repeat x n_repeats (the host pads each array to whole words: the same
  here, as the 7.4.1 types are all 4 bytes), so field f of element e is word base_s + e * n_fields + f.
  Values go element by element in item order (items longer than n_repeats in all run on into the next
  struct, unchecked). The draws are field-major: for each field, for each item, for each neuron of
  the item, one generate from core_rng (a constant draws nothing); population_rng is never used.
  Type writers (type_id: writer): 0 S1615: the word; 1 UINT32 and 2 INT32: trunc toward zero of the
  S1615 value (a negative one wraps in UINT32: -1.5 -> 0xFFFFFFFF); 3 U032: word << 17 mod 2^32 (no
  saturation: 1.0 -> 0, -0.25 -> 0xC0000000). Only the words of the struct arrays are written.
Region 9 (neuron recording): [n_vars, n_bitfields], per var [rate, n_recording, element_size,
  indices], per bitfield [rate, n_recording, indices]; indices = ceil(n_atoms / 2) words of uint16
  halfwords (word j = index[2j] | index[2j + 1] << 16): the recorded neurons get 0, 1, 2, ... in
  neuron order, the others n_recording (both mod 2^16); n_recording is the region's word (0xFFFFFFFF
  -> n_atoms), not a count. Rate 0 gives all-zero indices (n_recording is still the region's word, 0
  from the host). With n_atoms odd, the last halfword of each index array is never written by the
  code: it is copied from the uninitialised stack array the indices are built in, so it is undefined
  on the chip (here whatever the emulated stack holds: 0 or an earlier call's leftover), where the
  host path (neuron_recorder._get_data) writes n_recording (n_atoms when all are recorded).
  Recording errors: an item past the last neuron (log 431) or a recorded index >= n_recording (log
  432) stop the core; the last item's length is not checked.
Parameter generator params by id (S1615 words): 0 constant [value], 1 uniform [low, high],
  2 normal [mu, sigma], 3 normal_clipped [mu, sigma, low, high], 4 normal_clipped_to_boundary
  [mu, sigma, low, high], 5 exponential [beta], 6 exponential_clipped [beta, low, high] (the ids and
  words of the synapse expander, tools/binaries/synapse_expander.py); uniform matches a Python
  mars_kiss64 with the s32.31 uniform bit for bit, values and final core_rng. An unknown generator id
  is log 443, then 438 and rt_error(RTE_ABORT); an unknown type id is log 400 and rt_error(RTE_SWERR).
"""
import expander_harness as harness

# Log ids of the 7.4.1 image that every successful run prints (c_main), all log_info.
ROUTINE_LOGS = {
    433: "Generating %u structs",
    434: "Population RNG: %u %u %u %u",
    435: "Core RNG: %u %u %u %u",
    436: "Starting To Build Connectors",
    437: "\\tReading SDRAM at 0x%08x",
    439: "Finished On Machine Connectors!",
}

# What the other log ids of this image are (read from the code around each call).
LOG_MEANING = {
    15: "data spec: region checksum mismatch (then rt_error(RTE_SWERR))",
    400: "type writer id %u not found (then rt_error(RTE_SWERR))",
    423: "type writer size 0 (then rt_error(RTE_SWERR))",
    424: "type writer size %u unsupported (size % 4 == 3; goes on)",
    431: "recording index: items go on past neuron %u of %u (then rt_error(RTE_SWERR))",
    432: "recording index: recorded index %u >= n_recording %u (then rt_error(RTE_SWERR))",
    438: "!!!   Error reading SDRAM data   !!! (then rt_error(RTE_ABORT))",
    442: "param generator: could not allocate",
    443: "param generator id %u not found",
    476: "exponential_clipped: maximum redraws (1000) exceeded (then rt_error(RTE_SWERR))",
    478: "normal_clipped: maximum redraws (1000) exceeded (then rt_error(RTE_SWERR))",
}


class NeuronExpander(harness.Expander):
    IMAGE = "neuron_expander.aplx"
    SHA256 = "2be1dcfe4013a14fc8cd0b698ea8a34dd3434c3a411c755a31a872b5e1a9f401"

    C_MAIN = 0x093C           # c_main: run_neuron_expander, read_struct_builder_region, the type writers'
    #                           dispatch and the recording-index expansion are all inlined into it
    LOG_MINI = 0x259C         # log_mini(stream, fmt, id, ...) (Thumb): hooked, records, returns
    SARK_ALLOC = 0x22C8       # sark_alloc(count, size) (Thumb, spin1_malloc): hooked, bump allocator
    SARK_FREE = 0x2380        # sark_free(ptr) (Thumb, reached through the veneer at 0x2c00): returns at once
    POPULATION_RNG = 0x40010C  # rng_t *population_rng
    CORE_RNG = 0x400110       # rng_t *core_rng
    SARK = 0x400114           # sark_t: +0 virt_cpu, +0x1c vcpu (sark_cpu_state writes vcpu->cpu_state)
    BUILDER_REGION_ID = 13    # PopulationMachineVertex.REGIONS.NEURON_BUILDER
    TIMEOUT_VARIABLE = "NEURON_EXPANDER_TIMEOUT"
    ROUTINE_LOGS = ROUTINE_LOGS
    LOG_MEANING = LOG_MEANING
    EMPTY = {"regions": {}}

    def case_sizes(self, case, region, sizes):
        if len(region) < 2:
            raise ValueError("the region has no header")
        for rid in sorted(set(region[0:2])):
            if rid not in sizes:
                raise ValueError(f"no size given for region {rid} (\"regions\")")

    def results(self, case, region, sizes, where, builder_id):
        shown = sorted(sizes) if case.get("return_regions") else sorted(set(region[0:2]))
        return {"regions": {str(rid): self._words(where[rid], sizes[rid]) for rid in shown if rid != builder_id}}


if __name__ == "__main__":
    harness.main(NeuronExpander)
