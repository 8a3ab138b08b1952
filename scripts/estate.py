"""A generated estate of services: varied specs (with and without Dapr,
secrets, API access, egress of both kinds) over 40 team namespaces, for the
benchmarks (scripts/bench.py) and the conformance gate (scripts/conformance.py),
which compares `harden reach` with nca on a few dozen of them."""

from __future__ import annotations

from pathlib import Path


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
        # Every service signs its image (PCI DSS requires it, SOC 2 and
        # HIPAA warn without it).
        f"  signature: {{keyless: {{issuer: https://token.actions.githubusercontent.com, "
        f"subject: https://github.com/example/{name}/.github/workflows/release.yml@refs/heads/main}}}}",
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
    if dapr:
        # The state store's backend (its redisHost) is a flow like any other.
        lines += ["  - name: redis", "    podLabels: {app: redis}", "    ports: [{port: 6379}]"]
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
            f"  appTokenSecret: {name}-dapr-app-token",
            f"  actors: {'true' if index % 4 == 1 else 'false'}",
            "  invokedBy: [{appId: frontend, namespace: web}]",
            "  components:",
            "    - name: state",
            "      type: state.redis",
            "      metadata: {redisHost: 'redis:6379'}",
        ]
    return "\n".join(lines) + "\n"


def write_specs(directory: Path, count: int) -> None:
    """Writes specs/svc-NNNN.yaml for `count` services under `directory`."""
    (directory / "specs").mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (directory / "specs" / f"svc-{index:04d}.yaml").write_text(spec(index))
