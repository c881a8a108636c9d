#!/usr/bin/env python3
"""Load a SpiNNaker .aplx image, disassemble it (ARM + Thumb, mode-tracking
recursive descent with capstone) and annotate log calls with the .dict text.

Usage:
  python3 aplx.py FILE.aplx --linear         # linear listing, ARM/Thumb resolved
  python3 aplx.py FILE.aplx --linear 0x1df4 0x2514   # only that address range
  python3 aplx.py FILE.aplx                  # listing of recursively reached code
  python3 aplx.py FILE.aplx --funcs          # list of discovered functions
  python3 aplx.py FILE.aplx --func 0x1234    # listing of one function
  python3 aplx.py FILE.aplx --logs           # log ids used -> function address

APLX layout (sark): a table of 16-byte records {op, addr, off, size} at the
start of the file.  op=2 COPY: copy `size` bytes from file offset
(record_offset + off) to `addr`; op=3 ZERO (bss); op=4 EXEC; op=0xff END.
In the sPyNNaker binaries the ITCM image (code at 0x0) starts at file offset
0x40 and the DTCM initialised data (0x400000) follows the code.
Requires: pip install capstone
"""
import struct
import sys
import os
import re
import bisect
import csv
import capstone as cs
from capstone import arm as csarm


class Image:
    def __init__(self, path):
        self.path = path
        raw = open(path, 'rb').read()
        self.raw = raw
        self.segs = []      # (addr, bytes)
        self.bss = []
        pos = 0
        while True:
            op, a, off, size = struct.unpack_from('<4I', raw, pos)
            if op == 2:
                self.segs.append((a, raw[pos + off: pos + off + size]))
            elif op == 3:
                self.bss.append((a, off))
            else:
                break
            pos += 16
        self.code_lo, code = self.segs[0]
        self.code = code
        self.code_hi = self.code_lo + len(code)
        d = os.path.splitext(path)[0] + '.dict'
        self.logs = {}
        if os.path.exists(d):
            with open(d, newline='') as f:
                for row in csv.reader(f):
                    if row and row[0].isdigit():
                        self.logs[int(row[0])] = (row[1] + row[2]).strip()

    def read(self, addr, n):
        for a, b in self.segs:
            if a <= addr and addr + n <= a + len(b):
                return b[addr - a: addr - a + n]
        return None

    def word(self, addr):
        b = self.read(addr, 4)
        return None if b is None else struct.unpack('<I', b)[0]

    def cstr(self, addr):
        out = b''
        while True:
            b = self.read(addr, 1)
            if not b or b == b'\0':
                return out.decode('latin1')
            out += b
            addr += 1


class Disasm:
    def __init__(self, img):
        self.img = img
        self.md = {}
        for mode, m in (('arm', cs.CS_MODE_ARM), ('thumb', cs.CS_MODE_THUMB)):
            d = cs.Cs(cs.CS_ARCH_ARM, m)
            d.detail = True
            self.md[mode] = d
        self.insns = {}      # addr -> (mode, insn)
        self.funcs = {}      # addr -> mode
        self.callers = {}
        self.data_words = set()
        self.ptr_funcs = set()

    def decode(self, addr, mode):
        b = self.img.read(addr, 4) or self.img.read(addr, 2)
        if b is None:
            return None
        for i in self.md[mode].disasm(b, addr, 1):
            return i
        return None

    def explore(self, entries):
        work = list(entries)
        for a, m in entries:
            self.funcs.setdefault(a, m)
        seen = set()
        while work:
            addr, mode = work.pop()
            while True:
                if (addr, mode) in seen or addr in self.insns:
                    break
                if not (self.img.code_lo <= addr < self.img.code_hi):
                    break
                if addr in self.data_words:
                    break
                seen.add((addr, mode))
                i = self.decode(addr, mode)
                if i is None:
                    break
                self.insns[addr] = (mode, i)
                nxt = addr + i.size
                mn = i.mnemonic.split('.')[0]
                ops = i.operands
                # literal pool loads
                if mn == 'ldr' and len(ops) == 2 and ops[1].type == csarm.ARM_OP_MEM \
                        and ops[1].mem.base == csarm.ARM_REG_PC:
                    pc = (addr + (8 if mode == 'arm' else 4)) & ~3
                    la = pc + ops[1].mem.disp
                    self.data_words.add(la)
                    self.data_words.add(la + 2)
                    if ops[0].reg == csarm.ARM_REG_PC:
                        break
                if mn in ('bl', 'blx') and ops and ops[0].type == csarm.ARM_OP_IMM:
                    tgt = ops[0].imm
                    tmode = mode if mn == 'bl' else ('thumb' if mode == 'arm' else 'arm')
                    self.funcs.setdefault(tgt, tmode)
                    self.callers.setdefault(tgt, []).append(addr)
                    work.append((tgt, tmode))
                elif mn == 'b' or mn.startswith('b') and mn[1:3] in (
                        'eq', 'ne', 'cs', 'cc', 'hs', 'lo', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le') \
                        or mn in ('cbz', 'cbnz'):
                    if ops and ops[-1].type == csarm.ARM_OP_IMM:
                        work.append((ops[-1].imm, mode))
                    if mn == 'b' and (i.cc in (csarm.ARM_CC_AL, csarm.ARM_CC_INVALID)):
                        break
                elif mn == 'bx' or mn == 'blx':
                    if i.cc in (csarm.ARM_CC_AL, csarm.ARM_CC_INVALID) and mn == 'bx':
                        break
                elif mn == 'pop' or mn == 'ldm' or mn.startswith('ldm'):
                    if any(o.type == csarm.ARM_OP_REG and o.reg == csarm.ARM_REG_PC for o in ops) \
                            and i.cc in (csarm.ARM_CC_AL, csarm.ARM_CC_INVALID):
                        break
                elif mn in ('mov', 'ldr') and ops and ops[0].type == csarm.ARM_OP_REG \
                        and ops[0].reg == csarm.ARM_REG_PC and i.cc in (csarm.ARM_CC_AL, csarm.ARM_CC_INVALID):
                    break
                addr = nxt

    def code_pointers(self):
        """Words in literal pools / data that look like Thumb function pointers."""
        out = set()
        cands = list(self.data_words & set(range(self.img.code_lo, self.img.code_hi, 4)))
        for a, b in self.img.segs[1:]:
            cands += list(range(a, a + len(b) - 3, 4))
        for la in cands:
            w = self.img.word(la)
            if w and w & 1 and self.img.code_lo < w < self.img.code_hi:
                i = self.decode(w & ~1, 'thumb')
                # accept only targets that start like a Thumb function
                if i is not None and (i.mnemonic == 'push' or i.mnemonic.startswith(('ldr', 'mov', 'add', 'sub', 'cmp', 'bx', 'str', 'lsl', 'lsr', 'asr', 'and', 'orr', 'eor', 'ldm', 'stm', 'cpsid', 'cpsie', 'mrs', 'msr'))):
                    out.add((w & ~1, 'thumb'))
        return out


def _arm_pointers(self):
    """Literal-pool words that point at an ARM 'push {..., lr}'."""
    out = set()
    for la in self.data_words:
        if la % 4:
            continue
        w = self.img.word(la)
        if w and w % 4 == 0 and self.img.code_lo < w < self.img.code_hi:
            i = self.decode(w, 'arm')
            if i is not None and i.mnemonic == 'push' and 'lr' in i.op_str:
                out.add((w, 'arm'))
    return out


Disasm.arm_pointers = _arm_pointers


def analyse(path):
    img = Image(path)
    entries = [(0, 'arm')]
    for k in range(8):
        w = img.word(0x20 + 4 * k)
        if w is not None and img.code_lo <= w < img.code_hi:
            entries.append((w & ~1, 'thumb' if w & 1 else 'arm'))
    forced = {}
    for _ in range(6):
        d = Disasm(img)
        # call targets seen in the previous pass are authoritative for the mode
        d.explore(entries + sorted(forced.items()))
        for _ in range(4):
            ptrs = d.code_pointers() | d.arm_pointers()
            new = sorted(p for p in ptrs if p[0] not in d.insns and p[0] not in d.funcs)
            if not new:
                break
            for a, m in new:
                d.funcs.setdefault(a, m)
                d.ptr_funcs.add(a)
            d.explore(new)
        calls = {}
        for a, (m, i) in d.insns.items():
            if i.mnemonic in ('bl', 'blx') and i.operands and i.operands[0].type == csarm.ARM_OP_IMM:
                calls[i.operands[0].imm] = m if i.mnemonic == 'bl' else ('thumb' if m == 'arm' else 'arm')
        if calls == forced:
            break
        forced = calls
    return img, d


def func_starts(d):
    return sorted(d.funcs)


def owner(d, addr):
    fs = func_starts(d)
    k = bisect.bisect_right(fs, addr) - 1
    return fs[k] if k >= 0 else None


def annotate(img, d, addr, mode, i):
    note = ''
    ops = i.operands
    mn = i.mnemonic
    if mn.startswith('ldr') and len(ops) == 2 and ops[1].type == csarm.ARM_OP_MEM \
            and ops[1].mem.base == csarm.ARM_REG_PC:
        pc = (addr + (8 if mode == 'arm' else 4)) & ~3
        la = pc + ops[1].mem.disp
        w = img.word(la)
        if w is not None:
            note = f'=0x{w:08x} ({w if w < 0x80000000 else w - 2**32})'
            s = img.cstr(w) if img.read(w, 1) else ''
            if s and all(32 <= ord(c) < 127 or c in '\n\x1e' for c in s) and len(s) > 1:
                note += ' "' + s.replace('\x1e', '|').replace('\n', '\\n') + '"'
    if mn in ('bl', 'blx') and ops and ops[0].type == csarm.ARM_OP_IMM:
        note = f'-> sub_{ops[0].imm:x}'
    return note


def log_sites(img, d):
    """Find 'ldr r0,=fmt("%u...")' followed by r1 = id; return list of (addr, id)."""
    out = []
    addrs = sorted(d.insns)
    for k, a in enumerate(addrs):
        mode, i = d.insns[a]
        note = annotate(img, d, a, mode, i)
        if '"%u' in note and i.operands[0].reg == csarm.ARM_REG_R0:
            for a2 in addrs[max(0, k - 6): k + 6]:
                m2, i2 = d.insns[a2]
                o = i2.operands
                if len(o) == 2 and o[0].type == csarm.ARM_OP_REG and o[0].reg == csarm.ARM_REG_R1:
                    v = None
                    if o[1].type == csarm.ARM_OP_IMM:
                        v = o[1].imm
                    else:
                        n2 = annotate(img, d, a2, m2, i2)
                        mm = re.match(r'=0x([0-9a-f]+)', n2)
                        if mm:
                            v = int(mm.group(1), 16)
                    if v is not None and v in img.logs:
                        out.append((a2, v))
    return out


def listing(img, d, only=None, out=sys.stdout):
    logs = dict(log_sites(img, d))
    fs = set(d.funcs)
    for a in sorted(d.insns):
        if only is not None and owner(d, a) != only:
            continue
        mode, i = d.insns[a]
        if a in fs:
            callers = ', '.join(f'0x{c:x}' for c in d.callers.get(a, [])[:8])
            out.write(f'\n; ---- sub_{a:x} ({mode}) callers: {callers}\n')
        note = annotate(img, d, a, mode, i)
        if a in logs:
            note += f' LOG {logs[a]}: {img.logs[logs[a]]}'
        b = i.bytes.hex()
        out.write(f'{a:6x}: {b:<9} {"T" if mode == "thumb" else "A"} {i.mnemonic:8} {i.op_str:30} {("; " + note) if note else ""}\n')


def arm_thumb_split(d):
    """Address where the ARM-compiled application code ends and the Thumb
    library code begins (lowest Thumb function reached by a call)."""
    th = [a for a, m in d.funcs.items() if m == 'thumb' and d.callers.get(a) and a > 0x400]
    return min(th) if th else None


def linear(img, d, lo=None, hi=None, out=sys.stdout):
    """Linear sweep: ARM below the split, Thumb above it.  Literal-pool words
    are printed as .word.  Function starts (call targets) are labelled."""
    split = arm_thumb_split(d)
    fstarts = sorted(d.funcs)

    def mode_at(addr):
        # mode of the closest preceding call target; ARM before the split
        k = bisect.bisect_right(fstarts, addr) - 1
        if k >= 0 and fstarts[k] >= split:
            return d.funcs[fstarts[k]]
        return 'arm' if addr < split else 'thumb'
    a = img.code_lo if lo is None else lo
    hi = img.code_hi if hi is None else hi
    fs = d.funcs
    lines = []
    while a < hi:
        mode = d.insns[a][0] if a in d.insns else mode_at(a)
        if mode == 'arm' and a % 4:
            a += 2
            continue
        if a in d.data_words or (mode == 'arm' and a + 4 <= hi and (a in d.data_words or a + 2 in d.data_words)):
            w = img.word(a)
            lines.append((a, None, f'{a:6x}: .word 0x{w:08x}'))
            a += 4
            continue
        i = d.insns[a][1] if a in d.insns and d.insns[a][0] == mode else d.decode(a, mode)
        if i is None and mode == 'arm':
            lines.append((a, None, f'{a:6x}: .word 0x{img.word(a):08x}'))
            a += 4
            continue
        if i is None:
            lines.append((a, None, f'{a:6x}: .hword 0x{struct.unpack("<H", img.read(a, 2))[0]:04x}'))
            a += 2
            continue
        hdr = ''
        if a not in fs and mode == 'arm' and i.mnemonic == 'push' and 'lr' in i.op_str:
            hdr = f'\n; ---- fn_{a:x} (arm, push-lr heuristic)\n'
        if a in fs:
            callers = ', '.join(f'0x{c:x}' for c in d.callers.get(a, [])[:8])
            hdr = f'\n; ---- sub_{a:x} ({mode}) callers: {callers}\n'
        note = annotate(img, d, a, mode, i)
        lines.append((a, i, hdr + f'{a:6x}: {i.bytes.hex():<9} {"T" if mode == "thumb" else "A"} {i.mnemonic:8} {i.op_str:32} {("; " + note) if note else ""}'))
        a += i.size
    # log id annotation: r0 = "%u..." format, r1 = small constant nearby
    for k, (a, i, txt) in enumerate(lines):
        if i is not None and '"%u' in txt and i.operands and i.operands[0].reg == csarm.ARM_REG_R0:
            for j in range(max(0, k - 8), min(len(lines), k + 8)):
                a2, i2, t2 = lines[j]
                if i2 is None or len(i2.operands) != 2:
                    continue
                o = i2.operands
                if o[0].type == csarm.ARM_OP_REG and o[0].reg == csarm.ARM_REG_R1 and i2.mnemonic.startswith(('mov', 'ldr')):
                    v = o[1].imm if o[1].type == csarm.ARM_OP_IMM else None
                    m = re.search(r'=0x([0-9a-f]+)', t2)
                    if m:
                        v = int(m.group(1), 16)
                    if v in img.logs:
                        lines[j] = (a2, i2, t2 + f'  LOG#{v} {img.logs[v]}')
    # weaker heuristic: any literal/immediate equal to a dict id >= 50
    for k, (a, i, t) in enumerate(lines):
        if i is None or 'LOG#' in t or len(i.operands) != 2:
            continue
        o = i.operands
        if o[0].type != csarm.ARM_OP_REG or not i.mnemonic.startswith(('mov', 'ldr')):
            continue
        v = o[1].imm if o[1].type == csarm.ARM_OP_IMM else None
        m = re.search(r'=0x([0-9a-f]+)', t)
        if m:
            v = int(m.group(1), 16)
        if v is not None and v >= 50 and v in img.logs:
            lines[k] = (a, i, t + f'  LOG?#{v} {img.logs[v]}')
    for a, i, t in lines:
        out.write(t + '\n')


def main():
    path = sys.argv[1]
    img, d = analyse(path)
    args = sys.argv[2:]
    if '--linear' in args:
        rest = [int(x, 0) for x in args if x != '--linear']
        lo, hi = (rest + [None, None])[:2]
        linear(img, d, lo, hi)
        return
    if '--funcs' in args:
        logs = log_sites(img, d)
        by = {}
        for a, v in logs:
            by.setdefault(owner(d, a), []).append(v)
        for f in sorted(d.funcs):
            n = sum(1 for a in d.insns if owner(d, a) == f)
            ls = by.get(f, [])
            print(f'0x{f:05x} {d.funcs[f]:5} n={n:4} calls_in={len(d.callers.get(f, []))} '
                  + '; '.join(img.logs[v][:70] for v in ls[:3]))
    elif '--func' in args:
        listing(img, d, only=int(args[args.index('--func') + 1], 0))
    elif '--logs' in args:
        for a, v in log_sites(img, d):
            print(f'0x{a:05x} in sub_{owner(d, a):x}: {v} {img.logs[v]}')
    else:
        listing(img, d)


if __name__ == '__main__':
    main()
