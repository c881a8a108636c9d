#!/usr/bin/env python3
"""Runs the Poisson code of the real `spike_source_poisson.aplx` (sPyNNaker 1!7.4.1) under Unicorn.

The machine code of the binary does the work: `read_rates` (0x193c: per-source rate index, start,
end and next ticks, and `set_spike_source_rate` 0x894 with its RNG draw for slow sources) once at
start-up, then the timer callback (0xac8: loop A rate stepping, loop B spike generation, one
multicast packet with payload per source and tick). Only the SpiNNaker environment is supplied
here: the DTCM globals as `read_global_parameters` (0x464) leaves them, the rate records in SDRAM
as the expander writes them, a communications controller that records every packet sent, and two
stubs (`log_mini` 0x4188 returns at once, `simulation_is_finished` 0x2a64 returns false).
Recording is off; the counts come from the packet payloads.

Input (JSON on stdin) and output are those of `poisson_reference.py`, so the two can be compared
line for line:

    {"seed": [x, y, z, c], "seconds_per_tick": u032, "ticks_per_ms": u1616,
     "slow_cutoff": u1616, "fast_cutoff": u1616, "n_colour_bits": 4, "ticks": T,
     "sources": [[[rate_u3232, start_u3232, duration_u3232], ...], ...]}

and optionally `"resumes": [{"ticks": M, "sources": [...] or absent}, ...]`: after the first `ticks`,
each entry runs the resume callback (0x1c90) of a further run(), with the host's rewritten rates
(`Population.set`) when `sources` is given, then M more ticks. The resume callback's two calls
into the SpiNNaker libraries, `recording_reset` (0x2d74) and
`data_specification_get_data_address` (0x21e8), are stubbed; the latter returns a table whose
+0x20 is the rates region and +0x5c the expander region.

prints one line `t i n` for every source i that sent n > 0 spikes in tick t, then `seed x y z c`
(the RNG state after the last tick).

Requires `pip install unicorn` and the image (`python3 tools/oracle_inputs.py fetch`, or
$SPY_BINARIES). Exit status 3 means unicorn or the image is missing.
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

SHA256 = "f2ee61b95408b01b6cc0f718d0aaed194b44395f633e8bf3c1af4e6fc7c593a8"

GLOBALS = 0x004000EC      # the block every Poisson function addresses (`ldr rX, =0x4000ec`)
READ_RATES = 0x193C       # read_rates(unused, rate_changed, next_time)
TIMER = 0x0AC8            # timer_callback
LOG_MINI = 0x4188         # Thumb
SIM_IS_FINISHED = 0x2A64  # ARM
RESUME = 0x1C90           # resume_callback
DS_GET_ADDRESS = 0x21E8   # data_specification_get_data_address (ARM), stubbed
RECORDING_RESET = 0x2D74  # recording_reset (ARM), stubbed
EXPANDER = 0x61000000     # the expander region (rate-changed flag, n_items, items)
DS_TABLE = 0x00440000     # what the stubbed data_specification_get_data_address returns

RET = 0x00F00000
STACK_TOP = 0x00480000
HEAP = 0x00410000         # DTCM below the stack, above .bss (which ends at 0x400938)
SDRAM = 0x60000000
COMMS = 0x20000000


def find_image():
    """The 7.4.1 image (tools/oracle_inputs.py: $SPY_BINARIES, then the cache in target/)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
    from oracle_inputs import MissingInput, binary
    try:
        return str(binary("spike_source_poisson.aplx"))
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


class PoissonAplx:
    def __init__(self, path, cfg):
        raw, segs = load_segments(path)
        import hashlib
        self.sha_ok = hashlib.sha256(raw).hexdigest() == SHA256
        mu = self.mu = uc.Uc(uc.UC_ARCH_ARM, uc.UC_MODE_ARM)
        mu.mem_map(0, 0x00100000)
        mu.mem_map(0x00400000, 0x00100000)
        mu.mem_map(RET, 0x1000)
        for addr, data in segs:
            mu.mem_write(addr, data)
        # Stubs.
        mu.mem_write(LOG_MINI, struct.pack("<H", 0x4770))                        # bx lr
        mu.mem_write(SIM_IS_FINISHED, struct.pack("<2I", 0xE3A00000, 0xE12FFF1E))  # mov r0,#0; bx lr
        mu.mem_write(RECORDING_RESET, struct.pack("<I", 0xE12FFF1E))              # bx lr
        mu.mem_write(DS_GET_ADDRESS, struct.pack("<2I", 0xE3A00844, 0xE12FFF1E))   # mov r0,#0x440000; bx lr
        # Communications controller: TX never full; a write of the key word sends.
        self.packets = []
        self.payload = None
        mu.mmio_map(COMMS, 0x1000, self._comms_read, None, self._comms_write, None)

        n = len(cfg["sources"])
        self.n = n
        self.n_colour_bits = cfg["n_colour_bits"]
        g = {}
        g[0x04] = 1                                    # has_key
        g[0x08] = 0                                    # set-rate mask
        g[0x0C] = cfg["seconds_per_tick"]
        g[0x10] = cfg["ticks_per_ms"]
        g[0x14] = cfg["slow_cutoff"]
        g[0x18] = cfg["fast_cutoff"]
        g[0x1C] = 0                                    # first source id
        g[0x20] = n
        g[0x24] = 2                                    # max spikes per tick (recording only)
        g[0x28] = self.n_colour_bits
        for k, w in enumerate(cfg["seed"]):
            g[0x2C + 4 * k] = w
        g[0x40] = (cfg["ticks_per_ms"] * 1000) & 0xFFFFFFFF  # as read_global_parameters computes it
        g[0x48] = (1 << self.n_colour_bits) - 1
        g[0x50] = 0xFFFFFFFF                           # time before the first tick
        g[0x54] = 0                                    # not recording
        heap = HEAP
        fifo, heap = heap, heap + 64                   # empty rate-change queue
        g[0x3C] = fifo
        keys, heap = heap, heap + 4 * n
        mu.mem_write(keys, b"".join(struct.pack("<I", i << self.n_colour_bits) for i in range(n)))
        g[0x44] = keys
        edge, heap = heap, heap + 16                   # no SDRAM edge
        g[0x5C] = edge
        src, heap = heap, heap + 32 * n
        g[0x4C] = src
        ptrs, heap = heap, heap + 4 * n
        g[0x64] = ptrs
        assert heap < STACK_TOP - 0x10000
        sdram_len = sum(8 + 24 * len(s) for s in cfg["sources"]) + 0x1000
        mu.mem_map(SDRAM, (sdram_len + 0xFFFF) & ~0xFFFF)
        addr = SDRAM
        for i, rates in enumerate(cfg["sources"]):
            mu.mem_write(ptrs + 4 * i, struct.pack("<I", addr))
            rec = struct.pack("<2I", len(rates), 0)
            for (r, s, d) in rates:
                rec += struct.pack("<3Q", r, s, d)
            mu.mem_write(addr, rec)
            addr += len(rec)
        for off, v in g.items():
            mu.mem_write(GLOBALS + off, struct.pack("<I", v & 0xFFFFFFFF))
        # The region pointers the resume callback reads: +0x20 the rates, +0x5c the expander.
        self.rates_region = SDRAM
        mu.mem_map(EXPANDER, (8 + sum(12 + 24 * len(s) for s in cfg["sources"]) + 0x1000 + 0xFFFF) & ~0xFFFF)
        mu.mem_write(EXPANDER, struct.pack("<2I", 0, 0))
        mu.mem_write(DS_TABLE + 0x20, struct.pack("<I", SDRAM))
        mu.mem_write(DS_TABLE + 0x5C, struct.pack("<I", EXPANDER))
        self.n_rates = [len(r) for r in cfg["sources"]]
        # Start-up: read_rates with rate_changed = 1 and next_time = 0.
        self.call(READ_RATES, 0, 1, 0)

    def resume(self, sources=None):
        """The resume callback (0x1c90) of a second run(). With `sources`, the host first rewrites
        the expander region as `_write_poisson_rates` does after `Population.set` (flag 1, one item
        per source with index 0); the callback expands it (0x6f0) and calls `read_rates(rates, 1,
        time + 1)`. Without, the flag is 0 and it calls `read_rates(rates, 0, time + 1)`."""
        if sources is not None:
            assert [len(r) for r in sources] == self.n_rates, "the number of rates cannot change"
            data = struct.pack("<2I", 1, len(sources))
            for rates in sources:
                data += struct.pack("<3I", 1, len(rates), 0)
                for (r, s, d) in rates:
                    data += struct.pack("<3Q", r, s, d)
            self.mu.mem_write(EXPANDER, data)
        self.call(RESUME)
        assert self.word(EXPANDER) == 0, "the expander clears the flag"

    def _comms_read(self, mu, offset, size, data):
        return 0x10000000 if offset == 0 else 0

    def _comms_write(self, mu, offset, size, value, data):
        if offset == 4:
            self.payload = value
        elif offset == 8:          # key, with payload
            self.packets.append((value, self.payload))
        elif offset == 0xC:        # key, no payload
            self.packets.append((value, None))

    def call(self, addr, *args):
        mu = self.mu
        for r, v in zip((A.UC_ARM_REG_R0, A.UC_ARM_REG_R1, A.UC_ARM_REG_R2, A.UC_ARM_REG_R3), args):
            mu.reg_write(r, v & 0xFFFFFFFF)
        mu.reg_write(A.UC_ARM_REG_SP, STACK_TOP)
        mu.reg_write(A.UC_ARM_REG_LR, RET)
        mu.emu_start(addr, RET, count=200_000_000)
        return mu.reg_read(A.UC_ARM_REG_R0)

    def word(self, addr):
        return struct.unpack("<I", self.mu.mem_read(addr, 4))[0]

    def seed(self):
        return [self.word(GLOBALS + 0x2C + 4 * k) for k in range(4)]

    def sources(self):
        """The spike_source_t records: start, end, next, is_fast, exp_minus_lambda, sqrt_lambda,
        mean_isi_ticks, time_to_spike_ticks."""
        base = self.word(GLOBALS + 0x4C)
        return [list(struct.unpack("<8I", self.mu.mem_read(base + 32 * i, 32))) for i in range(self.n)]

    def tick(self):
        """One timer tick; returns [(source, count)] in send order."""
        self.packets = []
        self.call(TIMER, 0, 0)
        t = self.word(GLOBALS + 0x50)
        mask = (1 << self.n_colour_bits) - 1
        out = []
        for key, payload in self.packets:
            assert key & mask == t & mask, "colour"
            assert payload is not None, "Poisson packets carry a payload"
            out.append((key >> self.n_colour_bits, payload))
        return t, out


def main():
    path = find_image()
    cfg = json.load(sys.stdin)
    emu = PoissonAplx(path, cfg)
    if not emu.sha_ok:
        print(f"{path} is not the image of the 1!7.4.1 wheel (SHA-256 differs)", file=sys.stderr)
        sys.exit(1)
    lines = []
    if os.environ.get("POISSON_DUMP_SOURCES"):
        lines.extend(" ".join(str(v) for v in ["source", i] + s) for i, s in enumerate(emu.sources()))
    for _ in range(cfg["ticks"]):
        t, out = emu.tick()
        lines.extend(f"{t} {i} {n}" for i, n in out)
    for phase in cfg.get("resumes", []):
        emu.resume(phase.get("sources"))
        for _ in range(phase["ticks"]):
            t, out = emu.tick()
            lines.extend(f"{t} {i} {n}" for i, n in out)
    lines.append("seed " + " ".join(str(w) for w in emu.seed()))
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
