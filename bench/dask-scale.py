"""Dask's figure for bench/scale.ts's independent-task shape, measured on this machine.

A `dask scheduler` process, 2 `dask worker` processes × 1 thread, and a client that maps a
no-op over N tasks and gathers them; the scheduler process's CPU time per task (/proc) is the
primary figure, as in bench/scale.ts, with wall tasks/s (under the machine's load) beside it.

Needs Dask distributed (Debian: `apt-get install python3-distributed`). Run with
`python3 bench/dask-scale.py [N ...]` (default 10000 100000). Writes bench/results/dask-scale.json.
Not part of CI.
"""
import json
import os
import subprocess
import sys
import time

import dask
import distributed
from distributed import Client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().split(") ")[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def noop(x):
    return None


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    port = 18786
    sched = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--port", str(port), "--no-dashboard"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", f"tcp://127.0.0.1:{port}", "--nthreads", "1",
                                 "--no-dashboard", "--nworkers", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(2)]
    rows = []
    try:
        client = Client(f"tcp://127.0.0.1:{port}", timeout=120)
        client.wait_for_workers(2, timeout=120)
        client.gather(client.map(noop, range(2000), pure=False))  # warm-up
        for n in sizes:
            load = os.getloadavg()[0]
            cpu0 = cpu_seconds(sched.pid)
            t0 = time.perf_counter()
            futures = client.map(noop, range(n), pure=False)
            client.gather(futures)
            wall = time.perf_counter() - t0
            cpu = cpu_seconds(sched.pid) - cpu0
            del futures
            row = {"tasks": n, "schedulerCpuUsPerTask": cpu / n * 1e6, "wallTasksPerS": n / wall, "load": load}
            rows.append(row)
            print(f"dask {dask.__version__}: {n:>7} independent tasks, 2 workers × 1 thread: scheduler CPU "
                  f"{row['schedulerCpuUsPerTask']:.0f} µs/task; {row['wallTasksPerS']:.0f} tasks/s wall (load {load:.1f})", flush=True)
        client.close()
    finally:
        for p in workers + [sched]:
            p.terminate()
        for p in workers + [sched]:
            p.wait(timeout=30)
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "dask-scale.json"), "w") as f:
        json.dump({"dask": dask.__version__, "distributed": distributed.__version__, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
