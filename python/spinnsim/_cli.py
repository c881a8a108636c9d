"""The ``spinnsim`` command that ``pip install`` puts on PATH: the Rust command line
(``spinnsim run``, ``map``, ``devices``), called through the extension module."""

import signal
import sys


def main() -> int:
    from ._spinnsim import command_line

    # The command handles Ctrl-C itself (it stops the run and writes what was recorded), as the
    # binary does; Python's handler would only raise KeyboardInterrupt after the command returned.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    return command_line(["spinnsim", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
