#!/usr/bin/env python3
"""Call a function inside a SpiNNaker .aplx image under the Unicorn emulator.

Only self-contained leaf-style helpers are meaningful (udiv64, expk, expulr,
kdivk-like code, the right-shift helper used by the conductance input type):
nothing here emulates SpiNNaker peripherals.  Addresses come from the listing
produced by aplx.py.

    python3 emulate.py FILE.aplx ADDR [ARG ...]     # ARM-mode function
    python3 emulate.py FILE.aplx ADDR --thumb ARG    # Thumb-mode function

Arguments are 32-bit integers (decimal or 0x..., negatives allowed) placed in
r0..r3; r0 and r1 are printed on return (r1:r0 is a 64-bit result for
64-bit helpers).  Requires: pip install unicorn capstone
"""
import sys
import unicorn as uc
from unicorn import arm_const as A

sys.path.insert(0, __import__('os').path.dirname(__file__))
from aplx import Image  # noqa: E402

RET = 0x00F00000          # magic return address (unmapped code page)
STACK_TOP = 0x00480000


def make_emu(img):
    mu = uc.Uc(uc.UC_ARCH_ARM, uc.UC_MODE_ARM)
    mu.mem_map(0, 0x00100000)                  # ITCM image (+ slack)
    mu.mem_map(0x00400000, 0x00100000)         # DTCM: data, bss, stack
    mu.mem_map(RET, 0x1000)
    for addr, data in img.segs:
        mu.mem_write(addr, data)
    return mu


def call(img, addr, args, thumb=False, mu=None):
    mu = mu or make_emu(img)
    regs = [A.UC_ARM_REG_R0, A.UC_ARM_REG_R1, A.UC_ARM_REG_R2, A.UC_ARM_REG_R3]
    for r, v in zip(regs, args):
        mu.reg_write(r, v & 0xFFFFFFFF)
    mu.reg_write(A.UC_ARM_REG_SP, STACK_TOP)
    mu.reg_write(A.UC_ARM_REG_LR, RET)
    start = addr | (1 if thumb else 0)
    mu.emu_start(start, RET, count=10_000_000)
    r0 = mu.reg_read(A.UC_ARM_REG_R0)
    r1 = mu.reg_read(A.UC_ARM_REG_R1)
    return r0, r1


def s32(x):
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x & 0x80000000 else x


def main():
    path, addr = sys.argv[1], int(sys.argv[2], 0)
    rest = sys.argv[3:]
    thumb = '--thumb' in rest
    args = [int(a, 0) for a in rest if a != '--thumb']
    img = Image(path)
    r0, r1 = call(img, addr, args, thumb)
    print(f'r0=0x{r0:08x} ({s32(r0)})  r1=0x{r1:08x} ({s32(r1)})  r1:r0={(r1 << 32) | r0}')


if __name__ == '__main__':
    main()
