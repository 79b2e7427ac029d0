"""``passkiosk verify --data DIR TOKEN`` against ``python -c pass``: wall and CPU time, paired.

    .venv/bin/python bench/bench_verify_data.py --rounds 21
    .venv/bin/python bench/bench_verify_data.py --before /tmp/vd-before --plain-venv /tmp/vc

Every command runs as a fresh process, interleaved round by round, so all of them meet the same
load (other jobs share the box); CPU time is the child's user + system time (``wait4``), which
the load disturbs less than wall time. Children run with bytecode caching on, as an installed
package has its ``.pyc`` files: with ``PYTHONDONTWRITEBYTECODE=1`` (set in some shells) every
module changed since the last cache write would be compiled on every run.

- ``--before DIR``: an export of the commit to compare with (``git archive <commit> | tar -x -C
  DIR``), run as ``python -c "...from kiosk.cli import main..."`` with DIR first on
  ``sys.path``; the current tree is run the same way beside it.
- ``--plain-venv DIR``: a venv whose ``python -c pass`` does not load setuptools' editable
  finder (``.venv`` does, through its ``__editable__`` ``.pth`` file, on every start):
  ``/usr/bin/python3 -m venv DIR && DIR/bin/pip install --no-deps -e . --config-settings
  editable_mode=compat`` from an export of the tree, plus a ``.pth`` file naming ``.venv``'s
  site-packages for the dependencies. Its ratio is the one a plain (non-editable) install has.
- ``--system-python PATH`` (e.g. ``/usr/bin/python3``): its ``-c pass`` too, and the plain
  venv's command against it.

Also reported: where one run of the current tree spends its time (interpreter start, importing
``kiosk.cli``, ``main()`` with the command's own imports, shutdown), medians over the rounds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PY = sys.executable
WRAPPER = ("import sys; sys.path.insert(0, sys.argv.pop(1)); sys.argv[0] = 'passkiosk'; "
           "from kiosk.cli import main; sys.exit(main())")
# Time stamps of one run: start of the script, kiosk.cli imported, main() returned, and (from
# an atexit handler, which runs before the interpreter's shutdown) the end.
PHASES = ("import time, sys, atexit; t0 = time.time(); sys.argv[0] = 'passkiosk'\n"
          "from kiosk.cli import main\n"
          "t1 = time.time(); rc = main(); t2 = time.time()\n"
          "atexit.register(lambda: print(t0, t1, t2, time.time(), file=sys.stderr))\n"
          "sys.exit(rc)\n")


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU milliseconds of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=env, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = (time.perf_counter() - t0) * 1000
    if status != 0:
        raise SystemExit(f"{cmd[:3]}...: exit status {status}")
    return wall, (usage.ru_utime + usage.ru_stime) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=21)
    ap.add_argument("--before", type=Path, help="export of the commit to compare with")
    ap.add_argument("--plain-venv", type=Path, help="a venv without the editable finder")
    ap.add_argument("--system-python", type=Path, help="an interpreter outside any venv")
    args = ap.parse_args()
    if not 1 <= args.rounds <= 500:
        raise SystemExit("--rounds: expected 1..500")
    from tests.sync.datafolder import make_data_folder

    work = Path(tempfile.mkdtemp(prefix="pk-verify-data-"))
    try:
        data = work / "kiosk"
        token = make_data_folder(data)
        check = ["verify", "--data", str(data), token]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cmds = {"python -c pass": [PY, "-c", "pass"],
                "passkiosk verify --data DIR TOKEN": [str(Path(PY).parent / "passkiosk"),
                                                      *check],
                "same, current tree (python -c main)": [PY, "-c", WRAPPER, str(ROOT), *check]}
        if args.before is not None:
            cmds["same, before (python -c main)"] = [PY, "-c", WRAPPER, str(args.before),
                                                     *check]
        if args.plain_venv is not None:
            cmds["plain venv: python -c pass"] = [str(args.plain_venv / "bin/python"), "-c",
                                                  "pass"]
            cmds["plain venv: passkiosk verify --data DIR TOKEN"] = [
                str(args.plain_venv / "bin/passkiosk"), *check]
        if args.system_python is not None:
            cmds["system: python -c pass"] = [str(args.system_python), "-c", "pass"]
        phases_cmd = [PY, "-c", PHASES, *check]
        times: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in cmds}
        phases: list[tuple[float, ...]] = []
        loads = [load()]
        for cmd in cmds.values():  # warm the caches (pyc, page cache) once
            run(cmd, env)
        subprocess.run(phases_cmd, env=env, cwd=ROOT, capture_output=True, check=True)
        for _ in range(args.rounds):
            for name, cmd in cmds.items():
                wall, cpu = run(cmd, env)
                times[name][0].append(wall)
                times[name][1].append(cpu)
            t_start = time.time()
            proc = subprocess.run(phases_cmd, env=env, cwd=ROOT, capture_output=True, text=True,
                                  check=True)
            t_end = time.time()
            t0, t1, t2, t3 = (float(x) for x in proc.stderr.split()[-4:])
            phases.append((t0 - t_start, t1 - t0, t2 - t1, t_end - t3))
        loads.append(load())
    finally:
        shutil.rmtree(work, ignore_errors=True)

    med = statistics.median
    base = {"": (med(times["python -c pass"][0]), med(times["python -c pass"][1]))}
    if args.plain_venv is not None:
        pv = times["plain venv: python -c pass"]
        base["plain venv: "] = (med(pv[0]), med(pv[1]))
    print(f"{args.rounds} interleaved rounds; 1/5/15-min load before/after: {loads[0]} / "
          f"{loads[1]}\n")
    print("| command | wall median | wall min | CPU median | CPU min | × python -c pass "
          "(wall / CPU, medians) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (walls, cpus) in times.items():
        b = base["plain venv: " if name.startswith("plain venv: ") else ""]
        print(f"| {name} | {med(walls):.1f} ms | {min(walls):.1f} ms | {med(cpus):.1f} ms | "
              f"{min(cpus):.1f} ms | {med(walls) / b[0]:.2f} / {med(cpus) / b[1]:.2f} |")
    names = ("interpreter start (to the script's first line)", "import kiosk.cli",
             "main() (parsing, the command's imports, the check, the output)",
             "shutdown (after atexit)")
    if args.system_python is not None:
        system = times["system: python -c pass"]
        for name in ("passkiosk verify --data DIR TOKEN",
                     "plain venv: passkiosk verify --data DIR TOKEN"):
            if name in times:
                print(f"\n{name} / system python -c pass (wall / CPU, medians): "
                      f"{med(times[name][0]) / med(system[0]):.2f} / "
                      f"{med(times[name][1]) / med(system[1]):.2f}", end="")
        print()
    print("\n| one run of the current tree, wall | median |\n|---|---:|")
    for i, name in enumerate(names):
        print(f"| {name} | {med(p[i] for p in phases) * 1000:.1f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
