"""Benchmark: `harden check` over 1,000 varied specs, and one `render`.

Generates 1,000 specs (with and without Dapr, secrets, API access, egress
of both kinds), renders each into deploy/<app>, then times whole processes:

  check   harden check specs/ over all 1,000 (target: under 1 s)
  render  harden render specs/task-api.yaml (target: median under 5 ms)

Prints medians, minimums and peak memory (max RSS of the measured process).
Run with: scripts/bench
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

ROOT = Path(__file__).resolve().parent.parent
def _target_dir() -> Path:
    """Where cargo puts builds (honours CARGO_TARGET_DIR)."""
    metadata = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=ROOT,
                              check=True, capture_output=True, text=True).stdout
    return Path(json.loads(metadata)["target_directory"])


HARDEN = _target_dir() / "release" / "harden"
COUNT = 1000


def spec(index: int) -> str:
    name = f"svc-{index:04d}"
    digest = f"{index:064x}"
    dapr = index % 2 == 1
    # Contexts the spec satisfies: HIPAA needs Dapr; PCI DSS with Dapr needs an API token.
    context = ["soc2", "hipaa", "pci-dss"][index % 3] if dapr else ["soc2", "pci-dss"][(index // 2) % 2]
    lines = [
        "apiVersion: harden.dev/v1alpha1",
        "kind: SecuritySpec",
        "app:",
        f"  name: {name}",
        f"  namespace: team-{index % 40:02d}",
        f"  compliance: [{context}]",
        "workload:",
        f"  image: registry.example.com/team/{name}@sha256:{digest}",
        f"  port: {8000 + index % 50}",
        f"  replicas: {1 + index % 4}",
        "ingress:",
        "  - name: gateway",
        "    namespace: gateway",
        "egress:",
        "  - name: db",
        f"    namespace: data-{index % 7}",
        "    podLabels: {app: db}",
        "    ports: [{port: 5432}]",
    ]
    if index % 2 == 0:
        lines += ["  - name: partner", f"    cidr: 198.51.{index % 200}.0/24", "    ports: [{port: 443}]"]
    if index % 3 != 2:
        lines += [
            "secrets:",
            "  store: {name: vault}",
            "  keys:",
            "    - name: db-password",
            "    - name: api-token",
        ]
    if index % 5 == 0:
        lines += [
            "kubernetesApi:",
            "  apiServer: {cidr: 10.0.0.1/32, port: 6443}",
            "  rules:",
            "    - resources: [configmaps]",
            "      verbs: [get, list, watch]",
        ]
    if dapr:
        lines += [
            "dapr:",
            f"  apiTokenSecret: {name}-dapr-token",
            f"  actors: {'true' if index % 4 == 1 else 'false'}",
            "  invokedBy: [{appId: frontend, namespace: web}]",
            "  components:",
            "    - name: state",
            "      type: state.redis",
            "      metadata: {redisHost: 'redis:6379'}",
        ]
    return "\n".join(lines) + "\n"


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


def main() -> int:
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory(prefix="harden-bench-") as temporary:
        work = Path(temporary)
        (work / "specs").mkdir()
        for index in range(COUNT):
            (work / "specs" / f"svc-{index:04d}.yaml").write_text(spec(index))
        shutil.copy(ROOT / "specs" / "task-api.yaml", work / "task-api.yaml")
        for index in range(COUNT):
            subprocess.run([str(HARDEN), "render", "-q", f"specs/svc-{index:04d}.yaml"], cwd=work, check=True)
        files = sum(1 for _ in (work / "deploy").rglob("*") if _.is_file())
        check_command = [str(HARDEN), "check", "-q", "specs"]
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
