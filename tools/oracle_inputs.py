#!/usr/bin/env python3
"""The inputs the oracle tests and tools read that the repository does not hold, fetched from the
package registry at pinned versions, checked against pinned SHA-256 digests and unpacked into an
ignored cache inside the repository (``target/oracle-inputs/``).

    python3 tools/oracle_inputs.py fetch              # every input (idempotent; `.ci/run` calls it)
    python3 tools/oracle_inputs.py path binaries      # where an input is (exit status 3 if absent)
    python3 tools/oracle_inputs.py path pynn-scenarios

From Python, ``binaries_dir()`` / ``binary(name)`` / ``pynn_scenarios_dir()`` find them: the
environment variable first (``SPY_BINARIES``, ``PYNN_SCENARIOS``), then the cache. A missing input
raises ``MissingInput``, whose message names the command that fetches it; scripts exit with status
3 on it, which the tests read as "cannot run here" (a failure when ``CI`` is set).

Standard library only.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "target" / "oracle-inputs"
FETCH = "python3 tools/oracle_inputs.py fetch"

# name: (pip requirement, file pip downloads, its SHA-256, pip options, env var, folder in the cache)
INPUTS = {
    "binaries": (
        "spynnaker==1!7.4.1",
        "spynnaker-1!7.4.1-py3-none-any.whl",
        "7914e0ad2bb7a6476e2df52919133e63e2d76a2bd0a8ab3db1dc6d3c1cbed9b4",
        ["--only-binary", ":all:"],
        "SPY_BINARIES",
        "spynnaker-7.4.1/model_binaries",
    ),
    "pynn-scenarios": (
        "PyNN==0.13.0",
        "pynn-0.13.0.tar.gz",
        "da2821e45055a88de6cf34896067eaaebcabbfdfb7883dd147353e7b78617815",
        ["--no-binary", ":all:"],
        "PYNN_SCENARIOS",
        "pynn-0.13.0/test/system/scenarios",
    ),
}


class MissingInput(Exception):
    """An input is not where the tests look for it; the message says how to fetch it."""


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _cached(name):
    return CACHE / INPUTS[name][5]


def locate(name):
    """The folder of input `name`: its environment variable, else the cache; MissingInput if neither."""
    env = INPUTS[name][4]
    if os.environ.get(env):
        p = Path(os.environ[env])
        if not p.is_dir():
            raise MissingInput(f"{env}={p} is not a folder")
        return p
    p = _cached(name)
    if not p.is_dir():
        raise MissingInput(f"{name} ({INPUTS[name][0]}) is not in {CACHE.relative_to(ROOT)}: run `{FETCH}` "
                           f"(or set {env})")
    return p


def binaries_dir():
    """The sPyNNaker 7.4.1 `.aplx` images (`spynnaker/pyNN/model_binaries` of the wheel)."""
    return locate("binaries")


def binary(image):
    """The path of one 7.4.1 image, e.g. `binary("spike_source_poisson.aplx")`."""
    p = binaries_dir() / image
    if not p.is_file():
        raise MissingInput(f"{p} does not exist: run `{FETCH}`")
    return p


def pynn_scenarios_dir():
    """PyNN 0.13.0's `test/system/scenarios` (from its source distribution)."""
    return locate("pynn-scenarios")


def _download(name, dest):
    req, filename, digest, opts = INPUTS[name][:4]
    path = dest / filename
    if not path.exists():
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", *opts, req, "-d", str(dest)]
        subprocess.run(cmd, check=True)
    got = sha256(path)
    if got != digest:
        raise SystemExit(f"error: {path}: SHA-256 {got}, expected {digest} for {req}")
    return path


def _unpack(name, archive, into):
    """Unpacks the part of `archive` the cache keeps into `into` (a fresh folder)."""
    if name == "binaries":
        prefix = "spynnaker/pyNN/model_binaries/"
        with zipfile.ZipFile(archive) as z:
            for m in z.namelist():
                if m.startswith(prefix) and m.endswith(".aplx"):
                    (into / Path(m).name).write_bytes(z.read(m))
    else:
        prefix = "pynn-0.13.0/test/system/scenarios/"
        with tarfile.open(archive) as t:
            for m in t.getmembers():
                if m.name.startswith(prefix) and m.isfile():
                    target = into / m.name[len(prefix):]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(t.extractfile(m).read())


def fetch(names=None):
    """Downloads, checks and unpacks every input (or those named) not yet in the cache."""
    downloads = CACHE / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    for name in names or INPUTS:
        done = _cached(name)
        if done.is_dir():
            print(f"{name}: {done.relative_to(ROOT)}")
            continue
        archive = _download(name, downloads)
        done.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=done.parent, prefix=".partial-"))
        try:
            _unpack(name, archive, staging)
            if not any(staging.iterdir()):
                raise SystemExit(f"error: {archive.name} holds none of the files of {name}")
            staging.rename(done)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        print(f"{name}: {done.relative_to(ROOT)} (from {archive.name}, SHA-256 checked)")


def main(argv):
    if argv[:1] == ["fetch"]:
        fetch(argv[1:] or None)
        return 0
    if len(argv) == 2 and argv[0] == "path" and argv[1] in INPUTS:
        try:
            print(locate(argv[1]))
        except MissingInput as e:
            print(e, file=sys.stderr)
            return 3
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
