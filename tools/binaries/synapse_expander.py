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
import json
import os
import struct
import sys

try:
    import unicorn as uc
    from unicorn import arm_const as A
except ImportError:  # pragma: no cover
    print("unicorn is not installed", file=sys.stderr)
    sys.exit(3)

SHA256 = "5592c7bcb8ebb0e31c50a73c2b61ace07065d0a05e50e386707bd06f82e4fe58"

C_MAIN = 0x36EC           # c_main: run_synapse_expander, read_connection_builder_region and the bit-field
#                           generation are all inlined into it
RT_ERROR = 0x012C         # rt_error(code) (ARM): hooked, records the code and stops
LOG_MINI = 0x4FA0         # log_mini(stream, fmt, id, ...) (Thumb): hooked, records, returns
SPIN1_MALLOC = 0x4CCC     # sark_alloc(count, size) (Thumb): hooked, bump allocator
SARK_FREE = 0x4D84        # sark_free(ptr) (Thumb): returns at once
POPULATION_RNG = 0x4000DC  # rng_t *population_rng
CORE_RNG = 0x4000E0       # rng_t *core_rng
SARK = 0x4000F0           # sark_t: +0 virt_cpu, +0x1c vcpu (sark_cpu_state writes vcpu->cpu_state)

ITCM, ITCM_SIZE = 0x00000000, 0x8000
DTCM, DTCM_SIZE = 0x00400000, 0x10000
STACK_TOP = DTCM + DTCM_SIZE
RET = 0x00FF0000          # return address of c_main (a mapped, never executed page)
HEAP, HEAP_SIZE = 0x01000000, 0x04000000
SDRAM, SDRAM_SIZE = 0x60000000, 0x08000000
SV_VCPU = 0xE5007000      # vcpu_t[18], 0x80 bytes each: +0x70 user0 (DS table), +0x74 user1 (builder region id)
DS_TABLE = SDRAM          # data_specification_metadata_t: magic, version, 32 x {pointer, checksum, n_words}
N_DS_REGIONS = 32
GUARD = 0x400             # bytes left (zero) around every region, checked after the run
DEFAULT_REGION_WORDS = 1024
BUILDER_REGION_ID = 12    # PopulationMachineVertex.REGIONS.CONNECTOR_BUILDER

THUMB_BX_LR = struct.pack("<H", 0x4770)

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


def find_image():
    """The 7.4.1 image (tools/oracle_inputs.py: $SPY_BINARIES, then the cache in target/)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from oracle_inputs import MissingInput, binary
    try:
        return str(binary("synapse_expander.aplx"))
    except MissingInput as e:
        print(e, file=sys.stderr)
        sys.exit(3)


def load_segments(path):
    raw = open(path, "rb").read()
    segs, pos = [], 0
    while True:
        op, addr, off, size = struct.unpack_from("<4I", raw, pos)
        if op == 2:
            segs.append((addr, raw[pos + off: pos + off + size]))
        elif op != 3:
            break
        pos += 16
    return raw, segs


class SynapseExpander:
    def __init__(self, path):
        raw, segs = load_segments(path)
        import hashlib
        self.sha_ok = hashlib.sha256(raw).hexdigest() == SHA256
        mu = self.mu = uc.Uc(uc.UC_ARCH_ARM, uc.UC_MODE_ARM)
        mu.mem_map(ITCM, ITCM_SIZE)
        mu.mem_map(DTCM, DTCM_SIZE)
        mu.mem_map(RET, 0x1000)
        mu.mem_map(HEAP, HEAP_SIZE)
        mu.mem_map(SDRAM, SDRAM_SIZE)
        mu.mem_map(SV_VCPU & ~0xFFFF, 0x10000)
        for addr, data in segs:
            mu.mem_write(addr, data)
        mu.mem_write(LOG_MINI, THUMB_BX_LR)
        mu.mem_write(SPIN1_MALLOC, THUMB_BX_LR)
        mu.mem_write(SARK_FREE, THUMB_BX_LR)
        # The code is never written: a write to ITCM (a NULL matrix pointer, say) faults and is reported.
        mu.mem_protect(ITCM, ITCM_SIZE, uc.UC_PROT_READ | uc.UC_PROT_EXEC)
        # sark: virtual core 0, its vcpu entry.
        mu.mem_write(SARK, struct.pack("<I", 0))
        mu.mem_write(SARK + 0x1C, struct.pack("<I", SV_VCPU))
        self.dtcm0 = bytes(mu.mem_read(DTCM, DTCM_SIZE))
        mu.hook_add(uc.UC_HOOK_CODE, self._log, begin=LOG_MINI, end=LOG_MINI)
        mu.hook_add(uc.UC_HOOK_CODE, self._malloc, begin=SPIN1_MALLOC, end=SPIN1_MALLOC)
        mu.hook_add(uc.UC_HOOK_CODE, self._rt_error, begin=RT_ERROR, end=RT_ERROR)
        self.heap_hi = HEAP
        self.sdram_hi = SDRAM

    # ---- hooks ---------------------------------------------------------------------------------------
    def _reg(self, r):
        return self.mu.reg_read(r)

    def _log(self, mu, address, size, data):
        fmt = bytes(mu.mem_read(self._reg(A.UC_ARM_REG_R1), 64)).split(b"\0")[0].decode("latin-1")
        log_id = self._reg(A.UC_ARM_REG_R2)
        n_args = fmt.count("%") - 1
        sp = self._reg(A.UC_ARM_REG_SP)
        args = [self._reg(A.UC_ARM_REG_R3)] if n_args > 0 else []
        if n_args > 1:
            args += list(struct.unpack("<%dI" % (n_args - 1), mu.mem_read(sp, 4 * (n_args - 1))))
        self.logs.append((log_id, args))

    def _malloc(self, mu, address, size, data):
        n = (self._reg(A.UC_ARM_REG_R0) * self._reg(A.UC_ARM_REG_R1)) & 0xFFFFFFFF
        p = self.heap
        if p + n > HEAP + HEAP_SIZE:
            p = 0
        else:
            self.heap = (p + n + 7) & ~7
        mu.reg_write(A.UC_ARM_REG_R0, p)

    def _rt_error(self, mu, address, size, data):
        self.rt_error = (self._reg(A.UC_ARM_REG_R0), self._reg(A.UC_ARM_REG_LR) - 4)
        mu.emu_stop()

    # ---- one case ------------------------------------------------------------------------------------
    def _words(self, addr, n):
        return list(struct.unpack("<%dI" % n, self.mu.mem_read(addr, 4 * n))) if n else []

    def run(self, case, timeout_s=30.0):
        mu = self.mu
        region = [w & 0xFFFFFFFF for w in case["region"]]
        sizes = {int(k): int(v) for k, v in case.get("regions", {}).items()}
        fills = {int(k): [w & 0xFFFFFFFF for w in v] for k, v in case.get("fill", {}).items()}
        matrix_id, pop_id, bf_id, struct_id = region[0:4]
        sizes[matrix_id] = int(case["matrix_words"])
        for rid in (pop_id, bf_id) + ((struct_id,) if struct_id != 0xFFFFFFFF else ()):
            sizes.setdefault(rid, DEFAULT_REGION_WORDS)
        for rid, words in fills.items():
            sizes[rid] = max(sizes.get(rid, 0), len(words))
        builder_id = BUILDER_REGION_ID
        while builder_id in sizes:
            builder_id = (builder_id + 1) % N_DS_REGIONS
        sizes[builder_id] = len(region)
        fills[builder_id] = region
        bad = [rid for rid in sizes if not 0 <= rid < N_DS_REGIONS]
        if bad:
            raise ValueError(f"region ids {bad} outside 0..{N_DS_REGIONS - 1}")

        # Lay out the regions in SDRAM after the DS table, each with a guard band either side.
        table = [0] * (2 + 3 * N_DS_REGIONS)
        addr = (DS_TABLE + 8 + 12 * N_DS_REGIONS + GUARD + 0xFF) & ~0xFF
        where = {}
        for rid in sorted(sizes):
            where[rid] = addr
            table[2 + 3 * rid] = addr          # pointer; checksum and n_words 0: no checksum test
            addr = (addr + 4 * sizes[rid] + GUARD + 0xFF) & ~0xFF
        if addr > SDRAM + SDRAM_SIZE:
            raise ValueError("the regions do not fit in 128 MiB of SDRAM")

        # Reset: DTCM (data, bss, stack), the heap, the SDRAM of the previous case.
        mu.mem_write(DTCM, self.dtcm0)
        mu.mem_write(HEAP, bytes(self.heap_hi - HEAP))
        mu.mem_write(SDRAM, bytes(self.sdram_hi - SDRAM))
        self.heap = self.heap_hi = HEAP
        self.sdram_hi = addr
        self.logs = []
        self.rt_error = None
        for rid, words in fills.items():
            mu.mem_write(where[rid], struct.pack("<%dI" % len(words), *words))
        mu.mem_write(DS_TABLE, struct.pack("<%dI" % len(table), *table))
        mu.mem_write(SV_VCPU + 0x70, struct.pack("<2I", DS_TABLE, builder_id))

        fault = None
        mu.reg_write(A.UC_ARM_REG_SP, STACK_TOP)
        mu.reg_write(A.UC_ARM_REG_LR, RET)
        mu.reg_write(A.UC_ARM_REG_CPSR, 0x1D3)   # SVC mode, IRQ/FIQ off, ARM state
        try:
            mu.emu_start(C_MAIN, RET, timeout=int(timeout_s * 1e6))
        except uc.UcError as e:
            fault = f"fault {e} at pc 0x{mu.reg_read(A.UC_ARM_REG_PC):x}"
        self.heap_hi = self.heap
        pc = mu.reg_read(A.UC_ARM_REG_PC)

        errors = []
        if fault:
            errors.append(fault)
        elif self.rt_error is not None:
            errors.append("rt_error %d at 0x%x" % self.rt_error)
        elif pc != RET:
            errors.append(f"timeout after {timeout_s} s at pc 0x{pc:x}")
        logs = [[i, a] for i, a in self.logs if case.get("all_logs") or i not in ROUTINE_LOGS]
        errors += [" ".join(["log", str(i)] + [str(x) for x in a] + [f"({LOG_MEANING.get(i, '?')})"])
                   for i, a in self.logs if i not in ROUTINE_LOGS]
        for rid in sorted(sizes):
            lo, hi = where[rid] - GUARD, where[rid] + 4 * sizes[rid]
            if any(self._words(lo, GUARD // 4)) or any(self._words(hi, GUARD // 4)):
                errors.append(f"write outside region {rid}")

        def rng(ptr_addr):
            p = self._words(ptr_addr, 1)[0]
            return self._words(p, 4) if p else None

        out = {
            "matrix": self._words(where[matrix_id], sizes[matrix_id]),
            "pop_rng": rng(POPULATION_RNG),
            "core_rng": rng(CORE_RNG),
            "ok": not errors,
            "error": "; ".join(errors) if errors else None,
            "logs": logs,
        }
        if case.get("return_regions"):
            out["regions"] = {str(rid): self._words(where[rid], sizes[rid])
                              for rid in sorted(sizes) if rid not in (matrix_id, builder_id)}
            out["addresses"] = {str(rid): where[rid] for rid in sorted(sizes)}
        return out


def main():
    path = find_image()
    emu = SynapseExpander(path)
    if not emu.sha_ok:
        print(f"{path} is not the image of the 1!7.4.1 wheel (SHA-256 differs)", file=sys.stderr)
        sys.exit(1)
    cases = json.load(sys.stdin)["cases"]
    timeout_s = float(os.environ.get("SYNAPSE_EXPANDER_TIMEOUT", "30"))
    out = sys.stdout
    for case in cases:
        try:
            r = emu.run(case, timeout_s)
        except (KeyError, TypeError, ValueError) as e:   # a malformed case: say so, go on
            r = {"matrix": [], "pop_rng": None, "core_rng": None, "ok": False, "error": f"bad case: {e}",
                 "logs": []}
        out.write(json.dumps(r, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
