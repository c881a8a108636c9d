"""What the expander harnesses (synapse_expander.py, neuron_expander.py) share: the SpiNNaker
environment they give an image of sPyNNaker 1!7.4.1 under Unicorn, and the run of one case.

* memory: ITCM 0x0 (code, made read-only: a write to it is reported as a fault), DTCM 0x400000
  (.data, .bss, stack from 0x410000 down), SDRAM 0x60000000 (the data-spec table with 32 region
  entries, every checksum/n_words 0 so none is checked, then the regions, each with a 1 KiB zero
  guard band either side that is checked after the run), the vcpu table 0xe5007000 (user0 = the
  table, user1 = the builder region's id), a separate 64 MiB bump heap;
* stubs: `sark_alloc` (the bump heap, never failing), `sark_free` (returns), `log_mini` (records
  its id and arguments), `rt_error` (records the code and the call site, then stops).

A harness subclasses `Expander` with the image's addresses and log ids, and says which regions a
case has (`case_sizes`) and what of them it returns (`results`). DTCM, the heap and SDRAM are reset
for every case, so a case always gives the same output.
"""
import hashlib
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

RT_ERROR = 0x012C         # rt_error(code) (ARM) in both images: hooked, records the code and stops
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

THUMB_BX_LR = struct.pack("<H", 0x4770)


def find_image(name):
    """The 7.4.1 image `name` (tools/oracle_inputs.py: $SPY_BINARIES, then the cache in target/)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from oracle_inputs import MissingInput, binary
    try:
        return str(binary(name))
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


class Expander:
    """An expander image under Unicorn. Subclasses set the class attributes below and
    `case_sizes` / `results`."""
    IMAGE = SHA256 = TIMEOUT_VARIABLE = None
    C_MAIN = LOG_MINI = SARK_ALLOC = SARK_FREE = POPULATION_RNG = CORE_RNG = SARK = None
    BUILDER_REGION_ID = None
    ROUTINE_LOGS = {}
    LOG_MEANING = {}
    # What a malformed case gives besides the common keys.
    EMPTY = {}

    def __init__(self, path):
        raw, segs = load_segments(path)
        self.sha_ok = hashlib.sha256(raw).hexdigest() == self.SHA256
        mu = self.mu = uc.Uc(uc.UC_ARCH_ARM, uc.UC_MODE_ARM)
        mu.mem_map(ITCM, ITCM_SIZE)
        mu.mem_map(DTCM, DTCM_SIZE)
        mu.mem_map(RET, 0x1000)
        mu.mem_map(HEAP, HEAP_SIZE)
        mu.mem_map(SDRAM, SDRAM_SIZE)
        mu.mem_map(SV_VCPU & ~0xFFFF, 0x10000)
        for addr, data in segs:
            mu.mem_write(addr, data)
        for stub in (self.LOG_MINI, self.SARK_ALLOC, self.SARK_FREE):
            mu.mem_write(stub, THUMB_BX_LR)
        # The code is never written: a write to ITCM (a NULL pointer, say) faults and is reported.
        mu.mem_protect(ITCM, ITCM_SIZE, uc.UC_PROT_READ | uc.UC_PROT_EXEC)
        # sark: virtual core 0, its vcpu entry.
        mu.mem_write(self.SARK, struct.pack("<I", 0))
        mu.mem_write(self.SARK + 0x1C, struct.pack("<I", SV_VCPU))
        self.dtcm0 = bytes(mu.mem_read(DTCM, DTCM_SIZE))
        mu.hook_add(uc.UC_HOOK_CODE, self._log, begin=self.LOG_MINI, end=self.LOG_MINI)
        mu.hook_add(uc.UC_HOOK_CODE, self._malloc, begin=self.SARK_ALLOC, end=self.SARK_ALLOC)
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

    def case_sizes(self, case, region, sizes):
        """Adds to `sizes` (region id: words) the regions the case's builder region names."""
        raise NotImplementedError

    def results(self, case, region, sizes, where, builder_id):
        """What the case returns of its regions (beside the generators, errors and logs)."""
        raise NotImplementedError

    def _lay_out(self, case, region):
        """The case's regions: their sizes and contents, the builder region's id, the SDRAM
        address of each and the data-spec table."""
        sizes = {int(k): int(v) for k, v in case.get("regions", {}).items()}
        fills = {int(k): [w & 0xFFFFFFFF for w in v] for k, v in case.get("fill", {}).items()}
        self.case_sizes(case, region, sizes)
        for rid, words in fills.items():
            sizes[rid] = max(sizes.get(rid, 0), len(words))
        builder_id = self.BUILDER_REGION_ID
        while builder_id in sizes:
            builder_id = (builder_id + 1) % N_DS_REGIONS
        sizes[builder_id] = len(region)
        fills[builder_id] = region
        bad = [rid for rid in sizes if not 0 <= rid < N_DS_REGIONS]
        if bad:
            raise ValueError(f"region ids {bad} outside 0..{N_DS_REGIONS - 1}")
        # The regions in SDRAM after the DS table, each with a guard band either side.
        table = [0] * (2 + 3 * N_DS_REGIONS)
        addr = (DS_TABLE + 8 + 12 * N_DS_REGIONS + GUARD + 0xFF) & ~0xFF
        where = {}
        for rid in sorted(sizes):
            where[rid] = addr
            table[2 + 3 * rid] = addr          # pointer; checksum and n_words 0: no checksum test
            addr = (addr + 4 * sizes[rid] + GUARD + 0xFF) & ~0xFF
        if addr > SDRAM + SDRAM_SIZE:
            raise ValueError("the regions do not fit in 128 MiB of SDRAM")
        return sizes, fills, builder_id, where, table, addr

    def _reset(self, fills, builder_id, where, table, sdram_end):
        """DTCM (data, bss, stack), the heap and the SDRAM of the previous case, then this one's."""
        mu = self.mu
        mu.mem_write(DTCM, self.dtcm0)
        mu.mem_write(HEAP, bytes(self.heap_hi - HEAP))
        mu.mem_write(SDRAM, bytes(self.sdram_hi - SDRAM))
        self.heap = self.heap_hi = HEAP
        self.sdram_hi = sdram_end
        self.logs = []
        self.rt_error = None
        for rid, words in fills.items():
            mu.mem_write(where[rid], struct.pack("<%dI" % len(words), *words))
        mu.mem_write(DS_TABLE, struct.pack("<%dI" % len(table), *table))
        mu.mem_write(SV_VCPU + 0x70, struct.pack("<2I", DS_TABLE, builder_id))

    def _errors(self, fault, timeout_s, sizes, where):
        pc = self.mu.reg_read(A.UC_ARM_REG_PC)
        errors = []
        if fault:
            errors.append(fault)
        elif self.rt_error is not None:
            errors.append("rt_error %d at 0x%x" % self.rt_error)
        elif pc != RET:
            errors.append(f"timeout after {timeout_s} s at pc 0x{pc:x}")
        errors += [" ".join(["log", str(i)] + [str(x) for x in a] + [f"({self.LOG_MEANING.get(i, '?')})"])
                   for i, a in self.logs if i not in self.ROUTINE_LOGS]
        for rid in sorted(sizes):
            lo, hi = where[rid] - GUARD, where[rid] + 4 * sizes[rid]
            if any(self._words(lo, GUARD // 4)) or any(self._words(hi, GUARD // 4)):
                errors.append(f"write outside region {rid}")
        return errors

    def run(self, case, timeout_s=30.0):
        mu = self.mu
        region = [w & 0xFFFFFFFF for w in case["region"]]
        sizes, fills, builder_id, where, table, sdram_end = self._lay_out(case, region)
        self._reset(fills, builder_id, where, table, sdram_end)
        fault = None
        mu.reg_write(A.UC_ARM_REG_SP, STACK_TOP)
        mu.reg_write(A.UC_ARM_REG_LR, RET)
        mu.reg_write(A.UC_ARM_REG_CPSR, 0x1D3)   # SVC mode, IRQ/FIQ off, ARM state
        try:
            mu.emu_start(self.C_MAIN, RET, timeout=int(timeout_s * 1e6))
        except uc.UcError as e:
            fault = f"fault {e} at pc 0x{mu.reg_read(A.UC_ARM_REG_PC):x}"
        self.heap_hi = self.heap
        errors = self._errors(fault, timeout_s, sizes, where)

        def rng(ptr_addr):
            p = self._words(ptr_addr, 1)[0]
            return self._words(p, 4) if p else None

        out = self.results(case, region, sizes, where, builder_id)
        out.update({
            "pop_rng": rng(self.POPULATION_RNG),
            "core_rng": rng(self.CORE_RNG),
            "ok": not errors,
            "error": "; ".join(errors) if errors else None,
            "logs": [[i, a] for i, a in self.logs if case.get("all_logs") or i not in self.ROUTINE_LOGS],
        })
        if case.get("return_regions"):
            out["addresses"] = {str(rid): where[rid] for rid in sorted(sizes)}
        return out


def main(expander):
    """Runs the cases of stdin ({"cases": [...]}) through `expander`, one JSON line each."""
    path = find_image(expander.IMAGE)
    emu = expander(path)
    if not emu.sha_ok:
        print(f"{path} is not the image of the 1!7.4.1 wheel (SHA-256 differs)", file=sys.stderr)
        sys.exit(1)
    cases = json.load(sys.stdin)["cases"]
    timeout_s = float(os.environ.get(expander.TIMEOUT_VARIABLE, "30"))
    out = sys.stdout
    for case in cases:
        try:
            r = emu.run(case, timeout_s)
        except (KeyError, TypeError, ValueError) as e:   # a malformed case: say so, go on
            r = dict(expander.EMPTY, pop_rng=None, core_rng=None, ok=False, error=f"bad case: {e}", logs=[])
        out.write(json.dumps(r, separators=(",", ":")) + "\n")
