"""Server benchmark driver: ``flowtrack server`` and ``mlflow server`` side by side, same client, same run.

    .venv/bin/python bench/server.py                        # everything, full sizes (15+ minutes with MLflow)
    .venv/bin/python bench/server.py --only T1,cold --quick # some workloads, small sizes
    .venv/bin/python bench/server.py --no-mlflow            # flowtrack's server only

Every server runs as a subprocess on a fresh temporary SQLite database, with default settings (MLflow: its
default 4 workers; also ``--workers 1``, labelled, unless ``--no-mlflow-workers-1``). Every workload is driven
by the SAME client for every server (the mlflow client, under MLflow's interpreter; see
``bench/server_workloads.py``), and for each workload the servers take turns, so machine noise hits all of
them. flowtrack's own client against flowtrack's server is reported too, in rows of its own. Every server
started here is stopped (process group, then every process of its tree) even on errors. The raw results go to
a JSON file (``--out``).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from driver_common import fmt, machine_info, selected_workloads, size_picker  # bench/ is not a package
from interpreters import (  # bench/ is not a package; this file runs as a script
    MLFLOW_HOWTO,
    check_interpreter,
    default_mlflow_python,
    resolve_mlflow_python,
)

BENCH_DIR = Path(__file__).resolve().parent
CLIENT_SCRIPT = BENCH_DIR / "server_workloads.py"
ALL_WORKLOADS = ("cold", "memory", "T1", "T2", "T3", "ingest")
JOB_TIMEOUT_S = 3_600
HEALTH_TIMEOUT_S = 300.0
STOP_GRACE_S = 15.0
SAMPLE_EVERY_S = 0.5
MIB = 1024 * 1024
FLOWTRACK, MLFLOW, MLFLOW_W1 = "flowtrack", "mlflow", "mlflow-w1"
WIRE = "wire"
CLIENT_WORKLOADS = ("T1", "T2", "T3", "ingest")

Result = dict[str, Any]


@dataclass(frozen=True)
class Sizes:
    t1_steps: int
    mlflow_t1_steps: int
    t1_batch_steps: int
    t2_runs: int
    mlflow_t2_runs: int
    t3_points: int
    mlflow_t3_points: int
    repeats: int
    ingest_workers: int
    ingest_batches: int
    mlflow_ingest_batches: int
    cold_starts: int
    idle_wait_s: float


@dataclass(frozen=True)
class ServerSpec:
    name: str  # flowtrack, mlflow, mlflow-w1
    python: str
    module: str  # flowtrack or mlflow
    extra: tuple[str, ...] = ()

    @property
    def is_mlflow(self) -> bool:
        return self.module == "mlflow"

    def command(self, workdir: Path, port: int) -> list[str]:
        verb = ["server", "start"] if self.module == "flowtrack" else ["server"]
        return [
            self.python,
            "-m",
            self.module,
            *verb,
            "--backend-store-uri",
            f"sqlite:///{workdir / 'server.db'}",
            "--artifacts-destination",
            str(workdir / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *self.extra,
        ]


# -- processes -----------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _proc_stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, session id) of ``pid``, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[3])


def process_tree(root: int) -> list[int]:
    """``root``, its descendants, and every process of its session (each server gets a session of its own)."""
    parents: dict[int, int] = {}
    members = {root}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _proc_stat(int(entry.name))
        if stat is None:
            continue
        parents[int(entry.name)] = stat[0]
        if stat[1] == root:
            members.add(int(entry.name))
    grew = True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in members} - members
        grew = bool(found)
        members |= found
    return sorted(pid for pid in members if pid in parents or pid == root)


def _kib_field(path: Path, name: str) -> int | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def tree_memory(root: int, with_pss: bool = True) -> Result:
    """Sum of RSS (and PSS, from smaps_rollup, when readable) over the server's whole process tree, in MiB."""
    processes = []
    for pid in process_tree(root):
        rss = _kib_field(Path(f"/proc/{pid}/status"), "VmRSS")
        if rss is None:
            continue
        pss = _kib_field(Path(f"/proc/{pid}/smaps_rollup"), "Pss") if with_pss else None
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:160]
        except OSError:
            command = "?"
        processes.append(
            {
                "pid": pid,
                "rss_mib": rss / 1024,
                "pss_mib": None if pss is None else pss / 1024,
                "command": command,
            }
        )
    pss_values = [proc["pss_mib"] for proc in processes]
    return {
        "processes": len(processes),
        "rss_mib": sum(proc["rss_mib"] for proc in processes),
        "pss_mib": sum(pss_values) if processes and None not in pss_values else None,
        "largest_rss_mib": max((proc["rss_mib"] for proc in processes), default=0.0),
        "tree": processes,
    }


@dataclass
class Server:
    spec: ServerSpec
    process: subprocess.Popen[bytes]
    workdir: Path
    port: int
    spawned: float
    ready_s: float | None = None
    known_pids: set[int] = field(default_factory=set)
    peak_rss_mib: float = 0.0

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def remember_tree(self) -> None:
        if self.process.poll() is None:
            self.known_pids |= set(process_tree(self.process.pid))


LIVE: list[Server] = []
LIVE_LOCK = threading.Lock()


def start_server(spec: ServerSpec) -> Server:
    """Spawn ``spec`` on a fresh database, in a new session, and wait for ``/health`` to answer 200."""
    workdir = Path(tempfile.mkdtemp(prefix=f"flowtrack-bench-{spec.name}-"))
    port = free_port()
    env = dict(os.environ)
    for name in ("MLFLOW_TRACKING_URI", "FLOWTRACK_TRACKING_URI"):
        env.pop(name, None)
    env["FLOWTRACK_HOME"] = str(workdir / "flowtrack-home")
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"  # as in bench/workloads.py; can only make MLflow faster
    log = (workdir / "server.log").open("wb")
    spawned = time.perf_counter()
    process = subprocess.Popen(
        spec.command(workdir, port),
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    log.close()
    server = Server(spec, process, workdir, port, spawned)
    with LIVE_LOCK:
        LIVE.append(server)
    try:
        server.ready_s = wait_healthy(server)
    except BaseException:
        stop_server(server)
        raise
    server.remember_tree()
    return server


def wait_healthy(server: Server) -> float:
    """Seconds from spawn to the first 200 on ``/health``."""
    url = f"{server.uri}/health"
    while True:
        if server.process.poll() is not None:
            tail = (server.workdir / "server.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{server.spec.name} server exited {server.process.returncode}:\n{tail}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return time.perf_counter() - server.spawned
        if time.perf_counter() - server.spawned > HEALTH_TIMEOUT_S:
            raise RuntimeError(f"{server.spec.name} server not healthy after {HEALTH_TIMEOUT_S:.0f} s")
        time.sleep(0.02)


def stop_server(server: Server, keep_workdir: bool = False) -> None:
    """SIGTERM the server's process group, then SIGKILL it and any process of its tree still alive."""
    server.remember_tree()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=STOP_GRACE_S)
    deadline = time.monotonic() + 5
    for pid in sorted(server.known_pids - {server.process.pid}):
        while _proc_stat(pid) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        if _proc_stat(pid) is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    with LIVE_LOCK:
        if server in LIVE:
            LIVE.remove(server)
    if not keep_workdir:
        shutil.rmtree(server.workdir, ignore_errors=True)


def stop_all() -> None:
    with LIVE_LOCK:
        servers = list(LIVE)
    for server in servers:
        with contextlib.suppress(Exception):
            stop_server(server)


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop the servers


class MemorySampler(threading.Thread):
    """Samples the RSS sum of every live server's tree, keeping each server's peak."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(SAMPLE_EVERY_S):
            with LIVE_LOCK:
                servers = list(LIVE)
            for server in servers:
                if server.process.poll() is None:
                    with contextlib.suppress(Exception):
                        rss = tree_memory(server.process.pid, with_pss=False)["rss_mib"]
                        server.peak_rss_mib = max(server.peak_rss_mib, rss)


# -- client jobs ---------------------------------------------------------------------------------------------
def _last_json_line(stdout: str) -> Result | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict) and "workload" in value:
                return value
    return None


def _command(python: str, client: str, workload: str, uri: str, options: Sequence[str]) -> list[str]:
    return [python, str(CLIENT_SCRIPT), client, workload, "--uri", uri, *options]


def _failure(server: str, client: str, workload: str, error: str, **sizes: int) -> Result:
    return {"server": server, "client": client, "workload": workload, "ok": False, "error": error, **sizes}


def run_client(
    python: str, client: str, server: Server, workload: str, options: Sequence[str], **sizes: int
) -> Result:
    """One client workload in a fresh interpreter; the result is its JSON line, or an error record."""
    label = f"{client} client -> {server.spec.name} server: {workload} {' '.join(options)}"
    print(f"  running {label} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    try:
        done = subprocess.run(
            _command(python, client, workload, server.uri, options),
            capture_output=True,
            text=True,
            timeout=JOB_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return _failure(server.spec.name, client, workload, "timed out", **sizes)
    result = _last_json_line(done.stdout)
    if result is None:
        tail = (done.stderr or done.stdout).strip()[-3000:]
        print(f"  FAILED {label} (exit {done.returncode}):\n{tail}", file=sys.stderr, flush=True)
        return _failure(server.spec.name, client, workload, tail, **sizes)
    result.update(server=server.spec.name, client=client, wall_s=time.perf_counter() - start)
    result["options"] = list(options)
    server.remember_tree()
    if not result.get("ok"):
        failed = [name for name, good in result.get("verified", {}).items() if not good]
        print(f"  CHECK FAILED {label}: {failed}", file=sys.stderr, flush=True)
    print(f"  done in {result['wall_s']:.1f} s", file=sys.stderr, flush=True)
    return result


def run_ingest(python: str, client: str, server: Server, workers: int, batches: int) -> Result:
    """``workers`` concurrent writers, released together once all are ready; then every point is counted."""
    name = server.spec.name
    print(
        f"  running {client} client -> {name} server: ingest {workers} x {batches} batches ...",
        file=sys.stderr,
        flush=True,
    )
    options = ["--batches", str(batches)]
    processes = [
        subprocess.Popen(
            _command(python, client, "ingest", server.uri, [*options, "--worker", str(index)]),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(workers)
    ]
    writers: list[Result] = []
    errors: list[str] = []
    try:
        for process in processes:
            assert process.stdout is not None
            line = process.stdout.readline()
            if line.strip() != "READY":
                errors.append(f"writer not ready: {line.strip()!r}")
        if errors:
            raise RuntimeError("; ".join(errors))
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        for process in processes:
            stdout, stderr = process.communicate(timeout=JOB_TIMEOUT_S)
            result = _last_json_line(stdout)
            if result is None:
                errors.append(f"writer exit {process.returncode}: {stderr.strip()[-1500:]}")
            else:
                writers.append(result)
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        for process in processes:
            if process.poll() is None:
                process.kill()
        for process in processes:
            process.communicate()
        return _failure(name, client, "ingest", f"{error} {errors}", workers=workers, batches=batches)
    if errors:
        return _failure(name, client, "ingest", "; ".join(errors), workers=workers, batches=batches)
    begin = min(writer["started_epoch_s"] for writer in writers)
    end = max(writer["finished_epoch_s"] for writer in writers)
    points = sum(int(writer["points"]) for writer in writers)
    count = run_client(
        python,
        client,
        server,
        "count",
        ["--run-ids", ",".join(writer["run_id"] for writer in writers), "--expected", str(batches * 1000)],
    )
    verified = {
        "every_writer_succeeded": all(writer.get("ok") for writer in writers),
        "points_counted_afterwards": count.get("points_counted") == points,
        **{f"count_{key}": bool(value) for key, value in count.get("verified", {"count_ran": False}).items()},
    }
    server.remember_tree()
    result: Result = {
        "server": name,
        "client": client,
        "workload": "ingest",
        "workers": workers,
        "batches": batches,
        "points": points,
        "points_counted": count.get("points_counted"),
        "elapsed_s": end - begin,
        "points_per_s": points / (end - begin) if end > begin else math.nan,
        "batch_median_ms": statistics.median(writer["batch_median_ms"] for writer in writers),
        "batch_max_ms": max(writer["batch_max_ms"] for writer in writers),
        "writers": writers,
        "count": count,
        "verified": verified,
        "ok": all(verified.values()),
    }
    print(f"  done: {result['points_per_s']:,.0f} points/s, verified {result['ok']}", file=sys.stderr)
    return result


# -- the benchmark -------------------------------------------------------------------------------------------
@dataclass
class Plan:
    servers: list[ServerSpec]
    workloads: list[str]
    sizes: Sizes
    client_python: str
    client: str  # the one client every server is measured with
    own_client_python: str | None  # flowtrack's client against flowtrack's server (extra rows), or None
    wire_python: str | None  # bench/wire against every server (the servers alone), or None


def _memory_record(server: Server, workload: str) -> Result:
    memory = tree_memory(server.process.pid)
    record: Result = {"server": server.spec.name, "workload": workload, **memory}
    record["verified"] = {
        "server_alive": server.process.poll() is None,
        "pss_readable": memory["pss_mib"] is not None,
    }
    record["ok"] = record["verified"][
        "server_alive"
    ]  # PSS may be unreadable without privileges; RSS suffices
    return record


def cold_starts(plan: Plan, results: list[Result]) -> dict[str, Server]:
    """``cold_starts`` spawns per server, in turns, each on a fresh DB; the last one of each stays up."""
    samples: dict[str, list[float]] = {spec.name: [] for spec in plan.servers}
    kept: dict[str, Server] = {}
    total = plan.sizes.cold_starts if "cold" in plan.workloads else 1
    for attempt in range(total):
        for spec in plan.servers:
            print(f"  starting {spec.name} server ({attempt + 1}/{total}) ...", file=sys.stderr, flush=True)
            server = start_server(spec)
            assert server.ready_s is not None
            samples[spec.name].append(server.ready_s)
            print(f"  {spec.name}: /health 200 after {server.ready_s:.2f} s", file=sys.stderr, flush=True)
            if attempt < total - 1:
                stop_server(server)
                continue
            kept[spec.name] = server
            if "memory" in plan.workloads:
                time.sleep(
                    max(0.0, plan.sizes.idle_wait_s - (time.perf_counter() - server.spawned - server.ready_s))
                )
                results.append(_memory_record(server, "memory_idle"))
                server.peak_rss_mib = 0.0
    if "cold" in plan.workloads:
        for name, values in samples.items():
            complete = len(values) == total
            results.append(
                {
                    "server": name,
                    "workload": "cold_start",
                    "samples_s": values,
                    "median_s": statistics.median(values),
                    "verified": {"every_start_answered_200": complete},
                    "ok": complete,
                }
            )
    return kept


def run_workloads(plan: Plan, servers: dict[str, Server], results: list[Result]) -> None:
    sizes = plan.sizes
    for workload in ("T1", "T2", "T3", "ingest"):
        if workload not in plan.workloads:
            continue
        print(f"{workload}:", file=sys.stderr, flush=True)
        for spec in plan.servers:
            server = servers[spec.name]
            clients = [(plan.client_python, plan.client)]
            if spec.name == FLOWTRACK and plan.own_client_python is not None:
                clients.append((plan.own_client_python, "flowtrack"))
            if plan.wire_python is not None:
                clients.append((plan.wire_python, WIRE))
            for python, client in clients:
                results.extend(_jobs(workload, python, client, server, sizes))
            if workload == "T2" and "memory" in plan.workloads:
                results.append(_memory_record(server, "memory_after_t2"))
    for spec in plan.servers:
        peak = servers[spec.name].peak_rss_mib
        results.append(
            {"server": spec.name, "workload": "memory_peak", "peak_rss_mib": peak, "verified": {}, "ok": True}
        )


def _jobs(workload: str, python: str, client: str, server: Server, sizes: Sizes) -> list[Result]:
    mlflow = server.spec.is_mlflow
    repeats = ["--repeats", str(sizes.repeats)]
    if workload == "T1":
        steps = sizes.mlflow_t1_steps if mlflow else sizes.t1_steps
        options = ["--t1-steps", str(steps), "--t1-batch-steps", str(sizes.t1_batch_steps)]
        return [run_client(python, client, server, "t1", options, steps=steps)]
    if workload == "T2":
        counts = (
            [sizes.mlflow_t2_runs] if mlflow else list(dict.fromkeys([sizes.mlflow_t2_runs, sizes.t2_runs]))
        )
        return [
            run_client(python, client, server, "t2", ["--t2-runs", str(runs), *repeats], runs=runs)
            for runs in counts
        ]
    if workload == "T3":
        points = sizes.mlflow_t3_points if mlflow else sizes.t3_points
        return [
            run_client(python, client, server, "t3", ["--t3-points", str(points), *repeats], points=points)
        ]
    batches = sizes.mlflow_ingest_batches if mlflow else sizes.ingest_batches
    return [run_ingest(python, client, server, sizes.ingest_workers, batches)]


# -- figures -------------------------------------------------------------------------------------------------
@dataclass
class Row:
    workload: str
    measure: str
    flowtrack: float | None
    mlflow: float | None
    unit: str
    ratio: float | None = (
        None  # how many times better flowtrack is (MLflow/flowtrack; flowtrack/MLflow if higher=better)
    )
    better: str = "faster"  # the word after the ratio: faster, less memory, more points/s
    goal: str = ""
    verdict: str = ""
    note: str = ""
    checks: list[str] = field(default_factory=list)
    goal_ratio: float | None = None
    goal_max: float | None = None


def find(
    results: list[Result], server: str, workload: str, client: str | None = None, **size: int
) -> Result | None:
    for result in results:
        if result.get("server") != server or result.get("workload") != workload:
            continue
        if client is not None and result.get("client") != client:
            continue
        if all(result.get(key) == value for key, value in size.items()):
            return result
    return None


def _value(result: Result | None, key: str) -> float | None:
    if result is None or "error" in result:
        return None
    value = result.get(key)
    return float(value) if isinstance(value, int | float) and not math.isnan(value) else None


def _failed_checks(*results: Result | None) -> list[str]:
    failed = []
    for result in results:
        if result is None:
            continue
        where = f"{result.get('client', '')} -> {result.get('server')} {result.get('workload')}".strip()
        if "error" in result:
            failed.append(f"{where}: {str(result['error']).splitlines()[-1:]}")
        failed += [
            f"{where}: {name}"
            for name, good in result.get("verified", {}).items()
            if not good and name != "pss_readable"
        ]
    return failed


class RowBuilder:
    """Rows comparing flowtrack's server with one MLflow server (``against``), both under the same client."""

    def __init__(self, results: list[Result], sizes: Sizes, client: str, against: str) -> None:
        self.results, self.sizes, self.client, self.against = results, sizes, client, against
        self.rows: list[Row] = []
        self.suffix = " [MLflow --workers 1]" if against == MLFLOW_W1 else ""

    def add(
        self,
        workload: str,
        measure: str,
        unit: str,
        ft: Result | None,
        ml: Result | None,
        key: str,
        *,
        factor: float = 1.0,
        better: str = "faster",
        goal_ratio: float | None = None,
        goal_max: float | None = None,
        note: str = "",
        ml_key: str | None = None,
    ) -> None:
        ft_value = _value(ft, key)
        ml_value = _value(ml, ml_key or key)
        ft_value = None if ft_value is None else ft_value * factor
        ml_value = None if ml_value is None else ml_value * factor
        ratio = None
        if ft_value and ml_value:
            ratio = ft_value / ml_value if better.startswith("more") else ml_value / ft_value
        goals = ([f">={goal_ratio:g}x"] if goal_ratio else []) + (
            [f"<={goal_max:g} {unit}"] if goal_max else []
        )
        self.rows.append(
            Row(
                workload,
                measure + (self.suffix if ml is not None else ""),
                ft_value,
                ml_value,
                unit,
                ratio,
                better,
                ", ".join(goals),
                note=note,
                checks=_failed_checks(ft, ml),
                goal_ratio=goal_ratio,
                goal_max=goal_max,
            )
        )

    def ft(self, workload: str, client: str | None = None, **size: int) -> Result | None:
        return find(self.results, FLOWTRACK, workload, client or self.client, **size)

    def ml(self, workload: str, **size: int) -> Result | None:
        return find(self.results, self.against, workload, self.client, **size)

    def build(self, with_flowtrack_only: bool) -> list[Row]:
        self.flowtrack_only = with_flowtrack_only
        self._cold_and_memory()
        self._t1()
        self._t2()
        self._t3()
        self._ingest()
        if with_flowtrack_only:
            self._own_client()
        for row in self.rows:
            row.verdict = row.verdict or judge(row)
        return self.rows

    def _cold_and_memory(self) -> None:
        ft, ml = find(self.results, FLOWTRACK, "cold_start"), find(self.results, self.against, "cold_start")
        if ft is not None:
            note = f"flowtrack {_spread(ft)}" + (f"; MLflow {_spread(ml)}" if ml else "")
            self.add(
                "cold",
                f"spawn -> /health 200, fresh DB, median of {len(ft['samples_s'])}",
                "s",
                ft,
                ml,
                "median_s",
                goal_max=2.0,
                note=note,
            )
        for workload, label in (
            ("memory_idle", f"idle ({self.sizes.idle_wait_s:g} s after start)"),
            ("memory_after_t2", "after T2"),
        ):
            ft, ml = find(self.results, FLOWTRACK, workload), find(self.results, self.against, workload)
            if ft is None:
                continue
            note = f"processes: flowtrack {ft['processes']}" + (f", MLflow {ml['processes']}" if ml else "")
            if workload == "memory_after_t2" and ml is not None:
                note += (
                    f"; T2 sizes: flowtrack {self.sizes.t2_runs:,} runs, MLflow {self.sizes.mlflow_t2_runs:,}"
                )
            self.add(
                "memory",
                f"{label}: RSS sum of tree",
                "MiB",
                ft,
                ml,
                "rss_mib",
                better="less memory",
                goal_max=150,
                note=note,
            )
            self.add(
                "memory",
                f"{label}: PSS sum of tree",
                "MiB",
                ft,
                ml,
                "pss_mib",
                better="less memory",
                goal_max=150,
            )
        ft, ml = find(self.results, FLOWTRACK, "memory_peak"), find(self.results, self.against, "memory_peak")
        if ft is not None and ft.get("peak_rss_mib"):
            self.add(
                "memory",
                "peak RSS sum during T1-ingest (sampled)",
                "MiB",
                ft,
                ml,
                "peak_rss_mib",
                better="less memory",
            )

    def _t1(self) -> None:
        steps, ml_steps = self.sizes.t1_steps, self.sizes.mlflow_t1_steps
        ft, ml = self.ft("t1", steps=steps), self.ml("t1", steps=ml_steps)
        if ft is None and ml is None:
            return
        note = (
            f"MLflow: {ml_steps * 10:,} calls, per-call compared"
            if ml is not None and ml_steps != steps
            else ""
        )
        self.add(
            "T1",
            f"log_metric per call, incl. end_run ({steps * 10:,} calls)",
            "µs",
            ft,
            ml,
            "log_metric_us_per_call_incl_end_run",
            goal_ratio=20,
            note=note,
        )
        points = self.sizes.t1_batch_steps * 10
        self.add(
            "T1",
            f"log_batch, {points:,} points in chunks of 1,000: total",
            "ms",
            ft,
            ml,
            "batch_total_s",
            factor=1e3,
            goal_ratio=20,
        )
        self.add("T1", "log_batch of 1,000 points, median", "ms", ft, ml, "batch_median_ms")

    def _t2(self) -> None:
        full, equal = self.sizes.t2_runs, self.sizes.mlflow_t2_runs
        ft_full, ft_eq, ml = self.ft("t2", runs=full), self.ft("t2", runs=equal), self.ml("t2", runs=equal)
        label = "search rmse<0.5 & model=rf, top 100"
        if ft_eq is not None:
            self.add(
                "T2",
                f"create_run+log_batch+set_terminated, per run ({equal:,} runs)",
                "ms",
                ft_eq,
                ml,
                "create_ms_per_run",
                goal_ratio=10,
            )
            self.add(
                "T2", f"{label} ({equal:,} runs), median", "ms", ft_eq, ml, "search_median_ms", goal_ratio=10
            )
            self.add("T2", f"{label} ({equal:,} runs), first call", "ms", ft_eq, ml, "search_first_ms")
        if self.flowtrack_only and full != equal and ft_full is not None:
            self.add("T2", f"create, per run ({full:,} runs)", "ms", ft_full, None, "create_ms_per_run")
            self.add("T2", f"{label} ({full:,} runs), median", "ms", ft_full, None, "search_median_ms")

    def _t3(self) -> None:
        points, ml_points = self.sizes.t3_points, self.sizes.mlflow_t3_points
        ft, ml = self.ft("t3", points=ml_points), self.ml("t3", points=ml_points)
        if ft is None:
            return
        size = f"{ml_points:,} points"
        self.add("T3", f"log_batch ingest, 1,000 per batch ({size})", "s", ft, ml, "ingest_s")
        self.add(
            "T3", f"get_metric_history ({size}), median", "ms", ft, ml, "history_median_ms", goal_ratio=10
        )
        self.add("T3", f"get_metric_history ({size}), first call", "ms", ft, ml, "history_first_ms")
        if self.flowtrack_only and points != ml_points:
            ft_full = self.ft("t3", points=points)
            self.add(
                "T3",
                f"get_metric_history ({points:,} points), median",
                "ms",
                ft_full,
                None,
                "history_median_ms",
            )

    def _ingest(self) -> None:
        ft, ml = self.ft("ingest"), self.ml("ingest")
        if ft is None:
            return
        workers = self.sizes.ingest_workers

        def describe(result: Result | None) -> str:
            if result is None or "points" not in result:
                return "failed"
            return f"{result['points']:,} pts, counted {result.get('points_counted') or 0:,}"

        note = f"flowtrack {describe(ft)}" + (f"; MLflow {describe(ml)}" if ml else "")
        self.add(
            "ingest",
            f"{workers} concurrent writers, log_batch 1,000: total",
            "points/s",
            ft,
            ml,
            "points_per_s",
            better="more points/s",
            goal_ratio=10,
            note=note,
        )
        self.add("ingest", "  per log_batch call, median over writers", "ms", ft, ml, "batch_median_ms")

    def _own_client(self) -> None:
        """flowtrack's own client against flowtrack's server: informational rows, no MLflow column."""
        own = "flowtrack"
        if own == self.client:
            return
        sizes = self.sizes
        rows = [
            (
                "t1",
                {"steps": sizes.t1_steps},
                "log_metric per call, incl. end_run",
                "µs",
                "log_metric_us_per_call_incl_end_run",
            ),
            (
                "t1",
                {"steps": sizes.t1_steps},
                f"log_batch {sizes.t1_batch_steps * 10:,} points: total",
                "s",
                "batch_total_s",
            ),
            (
                "t2",
                {"runs": sizes.t2_runs},
                f"T2 create, per run ({sizes.t2_runs:,})",
                "ms",
                "create_ms_per_run",
            ),
            (
                "t2",
                {"runs": sizes.t2_runs},
                f"T2 search ({sizes.t2_runs:,} runs), median",
                "ms",
                "search_median_ms",
            ),
            (
                "t3",
                {"points": sizes.t3_points},
                f"T3 get_metric_history ({sizes.t3_points:,}), median",
                "ms",
                "history_median_ms",
            ),
            ("ingest", {}, f"ingest, {sizes.ingest_workers} writers: total", "points/s", "points_per_s"),
        ]
        for workload, size, measure, unit, key in rows:
            result = self.ft(workload, own, **size)
            if result is not None:
                self.add("own client", f"flowtrack client: {measure}", unit, result, None, key)


def _spread(result: Result | None) -> str:
    return ", ".join(f"{value:.2f}" for value in result["samples_s"]) if result else ""


def judge(row: Row) -> str:
    """'met' / 'MISSED' against the goal; 'CHECK FAILED' if a verification flag is false."""
    if row.checks:
        return "CHECK FAILED"
    verdicts: list[bool | None] = []
    if row.goal_ratio is not None:
        verdicts.append(None if row.ratio is None else row.ratio >= row.goal_ratio)
    if row.goal_max is not None:
        verdicts.append(None if row.flowtrack is None else row.flowtrack <= row.goal_max)
    if not verdicts:
        return ""
    if False in verdicts:
        return "MISSED"
    return "met" if None not in verdicts else "n/a (no MLflow)"


def build_rows(results: list[Result], sizes: Sizes, client: str) -> list[Row]:
    rows = RowBuilder(results, sizes, client, MLFLOW).build(with_flowtrack_only=True)
    if any(result.get("server") == MLFLOW_W1 for result in results):
        extra = RowBuilder(results, sizes, client, MLFLOW_W1).build(with_flowtrack_only=False)
        rows += [row for row in extra if row.mlflow is not None or row.checks]
    return rows


# -- output --------------------------------------------------------------------------------------------------
HEADERS = ["workload", "measure", "flowtrack", "MLflow", "ratio", "goal", "verdict", "note"]


def table_cells(row: Row) -> list[str]:
    ratio = "—" if row.ratio is None else f"{row.ratio:,.1f}x {row.better}"
    return [
        row.workload,
        row.measure,
        f"{fmt(row.flowtrack)} {row.unit}" if row.flowtrack is not None else "—",
        f"{fmt(row.mlflow)} {row.unit}" if row.mlflow is not None else "—",
        ratio,
        row.goal or "—",
        row.verdict,
        row.note,
    ]


def print_table(rows: list[Row], title: str) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print_plain(rows, title)
        return
    table = Table(title=title)
    for header in HEADERS:
        numeric = header in ("flowtrack", "MLflow", "ratio")
        table.add_column(header, justify="right" if numeric else "left", no_wrap=header != "note")
    for row in rows:
        style = "red" if row.verdict in ("MISSED", "CHECK FAILED") else None
        table.add_row(*table_cells(row), style=style)
    Console(width=max(260, Console().width)).print(table)  # wide enough when piped to a file


def print_plain(rows: list[Row], title: str) -> None:
    cells = [HEADERS, *[table_cells(row) for row in rows]]
    widths = [max(len(line[index]) for line in cells) for index in range(len(HEADERS))]
    print(title)
    for line in cells:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))


def wire_rows(results: list[Result], sizes: Sizes) -> list[Row]:
    """The client-driven rows again, measured with bench/wire: the same requests, no client-side work."""
    if not any(result.get("client") == WIRE for result in results):
        return []
    rows = RowBuilder(results, sizes, WIRE, MLFLOW).build(with_flowtrack_only=False)
    return [row for row in rows if row.workload in CLIENT_WORKLOADS]


def render(report: dict[str, Any]) -> list[Row]:
    sizes = Sizes(**report["sizes"])
    rows = build_rows(report["results"], sizes, report["client"])
    server_only = wire_rows(report["results"], sizes)
    if report["quick"]:
        for row in rows:
            row.verdict = "quick size" if row.goal and row.verdict != "CHECK FAILED" else row.verdict
    versions, machine = report["versions"], report["machine_start"]
    title = (
        f"flowtrack server {versions['flowtrack']} vs mlflow server {versions.get('mlflow', '(not run)')}, "
        f"SQLite, client: {report['client']} {versions.get('client', '')}, {machine['cpus']} CPUs, "
        f"load {machine['loadavg'][0]:.1f}, {report['started'][:16]}"
        f"{' — QUICK sizes, not comparable to the goals' if report['quick'] else ''}"
    )
    print_table(rows, title)
    if server_only:
        print_table(server_only, f"The servers alone: {WIRE_TITLE}")
    for note in report.get("notes", []):
        print(f"* {note}")
    for check in dict.fromkeys(check for row in [*rows, *server_only] for check in row.checks):
        print(f"! failed: {check}")
    return [*rows, *server_only]


WIRE_TITLE = (
    "bench/wire sends the mlflow client's requests (same paths, bodies, 25,000-point history pages) with the "
    "standard library, so the client's own protobuf and object work is left out"
)


def notes(plan: Plan) -> list[str]:
    sizes = plan.sizes
    lines = [
        f"Every server is driven by the same client ({plan.client}); ratios compare servers. "
        "ratio = how many times better flowtrack is (time: MLflow/flowtrack; points/s: flowtrack/MLflow).",
    ]
    if any(spec.is_mlflow for spec in plan.servers):
        lines.append(
            f"MLflow runs scaled sizes: T1 {sizes.mlflow_t1_steps * 10:,} log_metric calls "
            f"(flowtrack {sizes.t1_steps * 10:,}; per-call compared), T2 {sizes.mlflow_t2_runs:,} runs "
            f"(flowtrack also ran {sizes.t2_runs:,}; ratios at equal size), ingest "
            f"{sizes.mlflow_ingest_batches} batches per writer (flowtrack {sizes.ingest_batches}; points/s "
            "compared)."
        )
        lines.append(
            "MLflow servers run with their default settings (4 workers); MLFLOW_DISABLE_TELEMETRY=true."
        )
    lines.append(
        "Shared, noisy machine: compare ratios from one invocation, not absolute figures across runs."
    )
    return lines


# -- main ----------------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add(
        "--mlflow-python",
        help=f"MLflow's interpreter (default: $FLOWTRACK_MLFLOW_PYTHON, else {default_mlflow_python()})",
    )
    add("--no-mlflow", action="store_true", help="run flowtrack's server only")
    add("--no-mlflow-workers-1", action="store_true", help="skip the extra `mlflow server --workers 1`")
    add("--flowtrack-python", default=sys.executable, help="flowtrack's interpreter (default: this one)")
    add(
        "--flowtrack-workers", type=int, default=1, help="flowtrack server --workers (default 1, its default)"
    )
    add(
        "--client",
        choices=("mlflow", "flowtrack"),
        help="the client every server is measured with (default: mlflow if its interpreter exists)",
    )
    add("--no-own-client", action="store_true", help="skip flowtrack's own client against flowtrack's server")
    add("--no-wire", action="store_true", help="skip bench/wire (the servers alone)")
    add("--only", default=",".join(ALL_WORKLOADS), help=f"comma list of {','.join(ALL_WORKLOADS)}")
    add("--quick", action="store_true", help="small sizes, to check the harness (figures not comparable)")
    add("--t1-steps", type=int, help="flowtrack T1 steps x 10 metrics (default 1000; quick 20)")
    add("--mlflow-t1-steps", type=int, help="MLflow T1 steps x 10 metrics (default 100; quick 10)")
    add("--t1-batch-steps", type=int, help="T1 log_batch steps x 10 metrics, both (default 1000; quick 100)")
    add("--t2-runs", type=int, help="flowtrack T2 runs (default 1000; quick 50)")
    add(
        "--mlflow-t2-runs",
        type=int,
        help="MLflow T2 runs; flowtrack also runs this size (default 200; quick 20)",
    )
    add("--t3-points", type=int, help="flowtrack T3 points (default 100000; quick 5000)")
    add("--mlflow-t3-points", type=int, help="MLflow T3 points (default: --t3-points)")
    add("--repeats", type=int, help="searches / history reads per figure (default 5; quick 2)")
    add("--ingest-workers", type=int, help="concurrent writers (default 8)")
    add("--ingest-batches", type=int, help="flowtrack: batches of 1,000 per writer (default 25; quick 2)")
    add("--mlflow-ingest-batches", type=int, help="MLflow: batches of 1,000 per writer (default 5; quick 1)")
    add("--cold-starts", type=int, help="spawns per server for the cold start median (default 3; quick 1)")
    add("--idle-wait", type=float, help="seconds after start for the idle memory (default 10; quick 2)")
    add("--out", type=Path, help="JSON results file (default /tmp/flowtrack-bench/server-<ts>.json)")
    add("--report", type=Path, help="print the table of an earlier --out file, then exit")
    return parser.parse_args(argv)


def sizes_from(args: argparse.Namespace) -> Sizes:
    pick = size_picker(args.quick)
    t3_points = pick(args.t3_points, 100_000, 5_000)
    return Sizes(
        t1_steps=pick(args.t1_steps, 1_000, 20),
        mlflow_t1_steps=pick(args.mlflow_t1_steps, 100, 10),
        t1_batch_steps=pick(args.t1_batch_steps, 1_000, 100),
        t2_runs=pick(args.t2_runs, 1_000, 50),
        mlflow_t2_runs=pick(args.mlflow_t2_runs, 200, 20),
        t3_points=t3_points,
        mlflow_t3_points=pick(args.mlflow_t3_points, t3_points, t3_points),
        repeats=pick(args.repeats, 5, 2),
        ingest_workers=pick(args.ingest_workers, 8, 8),
        ingest_batches=pick(args.ingest_batches, 25, 2),
        mlflow_ingest_batches=pick(args.mlflow_ingest_batches, 5, 1),
        cold_starts=pick(args.cold_starts, 3, 1),
        idle_wait_s=args.idle_wait if args.idle_wait is not None else (2.0 if args.quick else 10.0),
    )


def make_plan(args: argparse.Namespace, mlflow_python: str | None) -> Plan:
    workers = ("--workers", str(args.flowtrack_workers)) if args.flowtrack_workers != 1 else ()
    servers = [ServerSpec(FLOWTRACK, args.flowtrack_python, "flowtrack", workers)]
    if mlflow_python is not None and not args.no_mlflow:
        servers.append(ServerSpec(MLFLOW, mlflow_python, "mlflow"))
        if not args.no_mlflow_workers_1:
            servers.append(ServerSpec(MLFLOW_W1, mlflow_python, "mlflow", ("--workers", "1")))
    client = args.client or ("mlflow" if mlflow_python is not None else "flowtrack")
    if client == "mlflow" and mlflow_python is None:
        raise SystemExit(f"--client mlflow needs MLflow's interpreter; create it with {MLFLOW_HOWTO}")
    client_python = mlflow_python if client == "mlflow" else args.flowtrack_python
    assert client_python is not None
    own = None if args.no_own_client or client == "flowtrack" else args.flowtrack_python
    wire = None if args.no_wire else args.flowtrack_python
    workloads = selected_workloads(args.only, ALL_WORKLOADS)
    return Plan(servers, workloads, sizes_from(args), client_python, client, own, wire)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report is not None:
        report = json.loads(args.report.read_text())
        render(report)
        return 0 if all(result.get("ok") for result in report["results"]) else 1
    mlflow_python = resolve_mlflow_python(args.mlflow_python)
    plan = make_plan(args, mlflow_python)
    versions = {"flowtrack": check_interpreter(args.flowtrack_python, "flowtrack")}
    if any(spec.is_mlflow for spec in plan.servers) or plan.client == "mlflow":
        assert mlflow_python is not None
        versions["mlflow"] = check_interpreter(mlflow_python, "mlflow")
    versions["client"] = versions[plan.client]
    if mlflow_python is None:
        print(
            f"MLflow not available: flowtrack only. To compare, create its venv:\n  {MLFLOW_HOWTO}",
            file=sys.stderr,
        )

    started = datetime.now(UTC)
    machine_start = machine_info()
    names = [spec.name for spec in plan.servers]
    print(
        f"servers {names}, client {plan.client}; sizes {asdict(plan.sizes)}; "
        f"load {machine_start['loadavg'][0]:.2f}",
        file=sys.stderr,
    )
    results: list[Result] = []
    error = ""
    signal.signal(signal.SIGTERM, _terminate)
    atexit.register(stop_all)
    sampler = MemorySampler()
    sampler.start()
    try:
        print("cold start / idle memory:", file=sys.stderr, flush=True)
        servers = cold_starts(plan, results)
        run_workloads(plan, servers, results)
    except Exception as failure:  # noqa: BLE001  (report what was measured; the error goes into the JSON)
        error = f"{type(failure).__name__}: {failure}"
        print(f"ERROR: {error}", file=sys.stderr, flush=True)
    finally:
        sampler.stopped.set()
        stop_all()

    report = {
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "command": [sys.executable, *sys.argv],
        "versions": versions,
        "servers": [asdict(spec) for spec in plan.servers],
        "client": plan.client,
        "client_python": plan.client_python,
        "workloads": plan.workloads,
        "sizes": asdict(plan.sizes),
        "quick": args.quick,
        "machine_start": machine_start,
        "machine_end": machine_info(),
        "notes": notes(plan),
        "error": error,
        "results": results,
    }
    rows = render(report)
    report["rows"] = [asdict(row) for row in rows]
    out = args.out or Path("/tmp/flowtrack-bench") / f"server-{started:%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"raw results: {out}")
    return 0 if not error and all(result.get("ok") for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
