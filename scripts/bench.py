"""Benchmarks. `scripts/bench` (no argument): `harden check` over 1,000
varied specs, and one `render`. `scripts/bench audit`: the offline audit.
`scripts/bench reach`: `harden reach` beside nca on generated estates.

check   generates 1,000 specs (with and without Dapr, secrets, API access,
        egress of both kinds), renders each into deploy/<app>, then times
        whole processes:
          check   harden check specs/ over all 1,000 (target: under 1 s)
          render  harden render specs/task-api.yaml (target: median under 5 ms)
        Prints medians, minimums and peak memory (max RSS of the process).

reach   `scripts/bench reach [COUNT...]` (default 300 1000): renders an
        estate of COUNT generated services (scripts/estate.py) and runs
        `harden reach` (the default summary) and IBM np-guard's
        network-config-analyzer (`nca --connectivity`, .tools/nca, the tool
        the conformance gate compares with) on the same rendered tree, and
        prints their CPU time, wall time and peak RSS side by side, with
        harden's instruction count (callgrind) beside it (target: 1,000
        services under 2 s and 200 MB).

scale   `scripts/bench scale [COUNT...]` (default 1000 3000 10000): for
        each COUNT, generates COUNT specs as `check` does, renders them,
        and runs a clean `harden check specs` three times: CPU time
        (user+sys, all cores), wall time and peak RSS, and each per spec,
        to show that `check` grows linearly with the number of specs.

audit   runs `harden audit` and checkov (.tools/venv, installed by
        scripts/install-tools) over every published manifest set of
        ../shared/realworld (or $HARDEN_SHARED/realworld) in one process
        each, and prints their CPU time (user+sys, children included) and
        peak RSS side by side (target: harden 100x less CPU), with the
        instructions harden runs (callgrind, when valgrind is installed: a
        count that does not move with the machine's load); then the peak
        RSS of `harden audit` on one generated 70 MB manifest file against
        the file's size (target: at most 2x).

        Both tools read the same copy of the sets, under one directory:
        checkov given several `-d` scans the first directory once per `-d`
        and never the others (bridgecrewio/checkov#7327, still open in
        3.3.x), which once made it look five times faster than it is. The
        number of resources checkov reports is printed to show it read them
        all.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from estate import write_specs

ROOT = Path(__file__).resolve().parent.parent
def _target_dir() -> Path:
    """Where cargo puts builds (honours CARGO_TARGET_DIR)."""
    metadata = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=ROOT,
                              check=True, capture_output=True, text=True).stdout
    return Path(json.loads(metadata)["target_directory"])


# HARDEN_BIN times another build (e.g. the release before) on the same input.
HARDEN = Path(os.environ["HARDEN_BIN"]) if os.environ.get("HARDEN_BIN") else _target_dir() / "release" / "harden"
COUNT = 1000


def timed(command: list[str], cwd: Path, runs: int) -> list[float]:
    """Wall-clock times of whole processes (subprocess spawns them with
    vfork/posix_spawn, so the interpreter's size does not count)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL)
        if process.wait() != 0:
            sys.exit(f"error: {' '.join(command)} failed")
        times.append(time.perf_counter() - start)
    return times


def peak_memory(command: list[str], cwd: Path) -> str:
    """Peak resident memory of one run, from GNU time (Debian package 'time')."""
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    if gnu_time is None:
        return "n/a (install GNU time)"
    result = subprocess.run([gnu_time, "-f", "%M", *command], cwd=cwd, capture_output=True, text=True, check=True)
    return f"{int(result.stderr.strip().splitlines()[-1]) / 1024:.1f} MiB"


def rusage_of(command: list[str], cwd: Path, stdout=subprocess.DEVNULL) -> tuple[float, float, int]:
    """CPU seconds (user+sys), wall seconds and peak RSS (KiB) of one whole
    process and its children, from wait4; its output is discarded (or
    written to `stdout`)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=stdout, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if process.returncode not in (0, 1):
        sys.exit(f"error: {' '.join(command)} exited {process.returncode}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss


def big_manifest(path: Path, size: int) -> int:
    """Writes a multi-document manifest of about `size` bytes: Deployments,
    their Services and ConfigMaps over 50 namespaces. Returns the objects."""
    block = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: team-{ns}
  labels: {{app: app-{i}}}
spec:
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}}}
    spec:
      serviceAccountName: app-{i}
      containers:
        - name: app
          image: registry.example.com/app-{i}:1.{i}
          ports: [{{containerPort: 8080}}]
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{cpu: 500m, memory: 256Mi}}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
---
apiVersion: v1
kind: Service
metadata:
  name: app-{i}
  namespace: team-{ns}
spec:
  selector: {{app: app-{i}}}
  ports: [{{port: 80, targetPort: 8080}}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-{i}-config
  namespace: team-{ns}
data:
  settings.json: '{{"feature": true, "level": {i}, "description": "{pad}"}}'
---
"""
    written = 0
    index = 0
    with path.open("w") as out:
        while written < size:
            text = block.format(i=index, ns=index % 50, pad="x" * 400)
            out.write(text)
            written += len(text)
            index += 1
    return index * 3


def instructions(command: list[str], cwd: Path) -> str:
    """Instructions one run executes, counted by callgrind (valgrind)."""
    if shutil.which("valgrind") is None:
        return "n/a (install valgrind)"
    with tempfile.TemporaryDirectory(prefix="harden-callgrind-") as temporary:
        result = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={temporary}/out", *command],
                                cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    counted = [line.split(":")[-1].strip() for line in result.stderr.splitlines() if "Collected :" in line]
    return f"{int(counted[-1]) / 1e9:.2f} G" if counted else "n/a"


def checkov_resources(output: Path) -> int:
    """Resources checkov scanned, from its JSON report(s)."""
    text, decoder, position, total = output.read_text(), json.JSONDecoder(), 0, 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        value, position = decoder.raw_decode(text, position)
        for report in value if isinstance(value, list) else [value]:
            total += report.get("summary", {}).get("resource_count", 0)
    return total


def audit_bench() -> int:
    shared = Path(os.environ.get("HARDEN_SHARED", ROOT.parent / "shared"))
    corpus = shared / "realworld"
    if not corpus.is_dir():
        sys.exit(f"error: the manifest sets are missing at {corpus}: put shared/ beside the project or set HARDEN_SHARED")
    sets = sorted(p for p in corpus.iterdir() if p.is_dir() and p.name != "invalid")
    checkov = ROOT / ".tools" / "venv" / "bin" / "checkov"
    if not checkov.exists():
        subprocess.run([str(ROOT / "scripts" / "install-tools")], check=True)
    with tempfile.TemporaryDirectory(prefix="harden-bench-") as temporary:
        copy = Path(temporary) / "realworld"
        for directory in sets:
            shutil.copytree(directory, copy / directory.name)
        harden_command = [str(HARDEN), "audit", "--format", "json", str(copy)]
        checkov_command = [str(checkov), "--framework", "kubernetes", "--quiet", "--compact",
                           "--skip-download", "--output", "json", "-d", str(copy)]
        harden_runs = [rusage_of(harden_command, ROOT) for _ in range(5)]
        harden_instructions = instructions(harden_command, ROOT)
        report = Path(temporary) / "checkov.json"
        with report.open("w") as out:
            checkov_cpu, checkov_wall, checkov_peak = rusage_of(checkov_command, ROOT, stdout=out)
        resources = checkov_resources(report)
        files = sum(1 for f in copy.rglob("*") if f.suffix in (".yaml", ".yml", ".json"))
    harden_cpu = statistics.median(run[0] for run in harden_runs)
    harden_wall = statistics.median(run[1] for run in harden_runs)
    harden_peak = max(run[2] for run in harden_runs)
    print(f"corpus: {len(sets)} sets, {files} files ({corpus}), one process each")
    print(f"  harden audit: CPU {harden_cpu * 1000:.0f} ms (median of 5, wall {harden_wall * 1000:.0f} ms), "
          f"{harden_instructions} instructions, peak RSS {harden_peak / 1024:.1f} MiB")
    print(f"  checkov:      CPU {checkov_cpu * 1000:.0f} ms (1 run, wall {checkov_wall:.1f} s), "
          f"peak RSS {checkov_peak / 1024:.1f} MiB, {resources} resources scanned")
    print(f"  ratio:        {checkov_cpu / harden_cpu:.0f}x less CPU (target: 100x), "
          f"{checkov_peak / harden_peak:.0f}x less memory")
    with tempfile.TemporaryDirectory(prefix="harden-bench-") as temporary:
        big = Path(temporary) / "big.yaml"
        objects = big_manifest(big, 70 * 1024 * 1024)
        size = big.stat().st_size
        cpu, wall, peak = rusage_of([str(HARDEN), "audit", "--format", "json", str(big)], ROOT)
    print(f"large file: {size / 2**20:.1f} MiB, {objects} objects: CPU {cpu:.1f} s, wall {wall:.1f} s, "
          f"peak RSS {peak / 1024:.1f} MiB = {peak * 1024 / size:.2f}x the file (target: 2x)")
    print(f"cores: {os.cpu_count()}")
    return 0


def reach_bench(counts: list[int]) -> int:
    nca = ROOT / ".tools" / "nca" / "bin" / "nca"
    if not nca.exists():
        subprocess.run([str(ROOT / "scripts" / "install-tools")], check=True)
    for count in counts:
        with tempfile.TemporaryDirectory(prefix="harden-bench-") as temporary:
            work = Path(temporary)
            write_specs(work, count)
            subprocess.run([str(HARDEN), "render", "-q", "specs"], cwd=work, check=True)
            files = sum(1 for _ in (work / "deploy").rglob("*") if _.is_file())
            reach = [str(HARDEN), "reach", "deploy"]
            runs = [rusage_of(reach, work) for _ in range(3)]
            counted = instructions(reach, work)
            lines = subprocess.run(reach, cwd=work, capture_output=True, text=True).stdout.count("\n")
            nca_cpu, nca_wall, nca_peak = rusage_of(
                [str(nca), "--connectivity", "deploy", "--resource_list", "deploy"], work)
        cpu = statistics.median(run[0] for run in runs)
        wall = statistics.median(run[1] for run in runs)
        peak = max(run[2] for run in runs)
        print(f"reach: {count} services, {files} files")
        print(f"  harden reach: CPU {cpu:.2f} s (median of 3, wall {wall:.2f} s), {counted} instructions, "
              f"peak RSS {peak / 1024:.1f} MiB, {lines} lines")
        print(f"  nca:          CPU {nca_cpu:.2f} s (1 run, wall {nca_wall:.2f} s), peak RSS {nca_peak / 1024:.1f} MiB")
    print(f"cores: {os.cpu_count()}")
    return 0


def scale_bench(counts: list[int]) -> int:
    """`check` over COUNT specs for each count: CPU, wall, peak RSS."""
    rows = []
    for count in counts:
        with tempfile.TemporaryDirectory(prefix="harden-scale-") as temporary:
            work = Path(temporary)
            write_specs(work, count)
            # The generated specs' warnings (unmanaged peers) are expected.
            subprocess.run([str(HARDEN), "render", "-q", "specs"], cwd=work, check=True,
                           stderr=subprocess.DEVNULL)
            files = sum(1 for _ in (work / "deploy").rglob("*") if _.is_file())
            command = [str(HARDEN), "check", "-q", "specs"]
            # A clean check is timed: the rendered tree must be in sync.
            subprocess.run(command, cwd=work, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            runs = [rusage_of(command, work) for _ in range(3)]
            cpu = statistics.median(r[0] for r in runs)
            wall = statistics.median(r[1] for r in runs)
            rss = max(r[2] for r in runs)
            rows.append((count, files, cpu, wall, rss))
    print("| specs | files | CPU s (median of 3) | wall s | peak RSS MB | CPU ms per spec | RSS KB per spec |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for count, files, cpu, wall, rss in rows:
        print(f"| {count} | {files} | {cpu:.2f} | {wall:.2f} | {rss / 1024:.0f} | "
              f"{cpu * 1000 / count:.3f} | {rss / count:.1f} |")
    print(f"cores: {os.cpu_count()}")
    return 0


def main() -> int:
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    if sys.argv[1:] == ["audit"]:
        return audit_bench()
    if sys.argv[1:2] == ["scale"]:
        return scale_bench([int(n) for n in sys.argv[2:]] or [1000, 3000, 10000])
    if sys.argv[1:2] == ["reach"]:
        return reach_bench([int(n) for n in sys.argv[2:]] or [300, 1000])
    with tempfile.TemporaryDirectory(prefix="harden-bench-") as temporary:
        work = Path(temporary)
        write_specs(work, COUNT)
        shutil.copy(ROOT / "specs" / "task-api.yaml", work / "task-api.yaml")
        # One system: specs sharing a namespace share its output.
        subprocess.run([str(HARDEN), "render", "-q", "specs"], cwd=work, check=True)
        files = sum(1 for _ in (work / "deploy").rglob("*") if _.is_file())
        check_command = [str(HARDEN), "check", "-q", "specs"]
        # The benchmark times a clean check: the rendered tree must be in sync.
        subprocess.run(check_command, cwd=work, check=True, stdout=subprocess.DEVNULL)
        render_command = [str(HARDEN), "render", "-q", "task-api.yaml", "--out", "out"]
        check_times = timed(check_command, work, 7)
        render_times = timed(render_command, work, 101)
        check_peak = peak_memory(check_command, work)
        render_peak = peak_memory(render_command, work)
    print(f"check:  {COUNT} specs, {files} committed files: median {statistics.median(check_times) * 1000:.0f} ms, "
          f"min {min(check_times) * 1000:.0f} ms, peak RSS {check_peak} (7 runs)")
    print(f"render: specs/task-api.yaml: median {statistics.median(render_times) * 1000:.2f} ms, "
          f"min {min(render_times) * 1000:.2f} ms, peak RSS {render_peak} (101 runs)")
    print(f"cores: {os.cpu_count()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
