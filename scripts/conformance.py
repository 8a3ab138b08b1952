"""The conformance gate: judge harden's rendered output with third-party tools.

Our own tests can only check what we believe is right. This gate renders
every spec in specs/ and runs, on each spec's complete output:

  kubernetes-validate  strict schema validation of built-in kinds, for each
                       Kubernetes version in KUBERNETES_VERSIONS
  crd-schema           strict validation of every custom resource against the
                       openAPIV3Schema of the real CRDs in
                       ../shared/conformance/crds (unknown fields rejected,
                       required fields enforced); a kind with no schema fails,
                       except one listed in PENDING_CRDS (rendered by harden,
                       its CRD not yet in the shared set), which is printed
                       under NOT CHECKED with what checks it instead
  checkov              checkov --framework kubernetes: zero failed checks
  shellcheck           every generated script: zero findings
  yamllint             every YAML file, with .yamllint.yaml: zero errors
  kustomize            kubectl kustomize builds the output directory
  nca                  IBM np-guard's network-config-analyzer computes the
                       connectivity of the NetworkPolicies independently;
                       it must agree with `harden reach --format json` on
                       every flow between the workloads and an example pod
                       for each policy peer, both ways (a pair nca lets
                       talk that harden lists no flow for fails), for every
                       spec and for
                       tests/fixtures/reach (the semantics our output does
                       not use)

and, for every cluster preset, the schema checks and nca on every spec
rendered for that preset (the cluster-profile matrix).

Then it runs the same tools on tests/fixtures/broken, a deliberately broken
output directory, and fails unless each tool catches it: a gate that cannot
fail proves nothing.

Prints one line per spec and tool, then a summary; exits 1 on any finding,
2 when it cannot run (a tool or the conformance data in ../shared missing).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml

KUBERNETES_VERSIONS = ["1.28", "1.30", "1.33"]
# The cluster presets (src/platform/cluster.rs), each judged on every spec.
PRESETS = ["kubeadm", "kind", "k3s", "gke", "gke-autopilot", "eks", "aks", "openshift"]
ROOT = Path(__file__).resolve().parent.parent
# Built-in kinds harden renders only for clusters new enough to serve them,
# with the first Kubernetes minor that does: the admission guard's
# ValidatingAdmissionPolicy v1 (kubernetes/api admissionregistration/v1
# types.go, "prerelease-lifecycle introduced=1.30"; src/platform/admission.rs).
INTRODUCED = {
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"): "1.30",
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"): "1.30",
}


def served_in(document: dict, version: str) -> bool:
    """Whether Kubernetes `version` serves the document's kind and version."""
    first = INTRODUCED.get((document.get("apiVersion"), document.get("kind")))
    minor = lambda text: tuple(int(part) for part in text.split("."))
    return first is None or minor(version) >= minor(first)


class Tally:
    def __init__(self, labels: tuple[str, str] = ("PASS", "FAIL")) -> None:
        self.labels = labels
        self.passed = 0
        self.failed = 0
        self.documents = 0
        self.checkov_passed = 0
        self.checkov_failed = 0
        self.checkov_skipped: dict[str, str] = {}
        self.not_checked: list[str] = []

    def report(self, ok: bool, subject: str, tool: str, detail: str) -> None:
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        label = self.labels[0] if ok else self.labels[1]
        print(f"{label:<7}{subject:<16} {tool:<26} {detail}")


def need_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        print(f"error: {name} is not installed; run scripts/install-tools", file=sys.stderr)
        sys.exit(2)
    return path


def load_documents(path: Path) -> list[dict]:
    with path.open() as handle:
        return [d for d in yaml.safe_load_all(handle) if d is not None]


# ---------------------------------------------------------------- CRD schemas

def strict_schema(schema: dict) -> dict:
    """An openAPIV3Schema as the API server applies it: objects with declared
    properties reject unknown fields unless they preserve unknown fields;
    int-or-string accepts both."""
    schema = copy.deepcopy(schema)

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("x-kubernetes-int-or-string"):
                node.pop("type", None)
                node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
            preserve = node.get("x-kubernetes-preserve-unknown-fields", False)
            if node.get("type") == "object" and "properties" in node and not preserve \
                    and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for key, value in node.items():
                if key == "properties" and isinstance(value, dict):
                    for child in value.values():
                        walk(child)
                elif key in ("items", "additionalProperties", "not"):
                    walk(value)
                elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
                    for child in value:
                        walk(child)

    walk(schema)
    # metadata is validated by the API server's own ObjectMeta rules, and
    # apiVersion and kind are allowed at the root of every custom resource
    # whether its schema declares them or not (the sigstore CRD does not).
    props = schema.setdefault("properties", {})
    props["metadata"] = {"type": "object"}
    props.setdefault("apiVersion", {"type": "string"})
    props.setdefault("kind", {"type": "string"})
    return schema


# The custom resources harden renders: their CRDs must be in the conformance
# data, or the gate cannot run (a missing file would leave them unchecked).
REQUIRED_CRDS = [
    ("dapr.io/v1alpha1", "Component"),
    ("dapr.io/v1alpha1", "Configuration"),
    ("cilium.io/v2", "CiliumNetworkPolicy"),
    ("policy.sigstore.dev/v1beta1", "ClusterImagePolicy"),
]

# Custom resources harden renders whose CRD is not yet in the conformance
# data, each with where its CRD is upstream and what checks it meanwhile.
# When the CRD is there it is validated like any other; when it is not, each
# document is named under NOT CHECKED (never silently skipped), and any
# other kind without a schema still fails.
PENDING_CRDS = {
    ("dapr.io/v1alpha1", "WorkflowAccessPolicy"):
        "CRD dapr/dapr charts/dapr/crds/workflowaccesspolicy.yaml @ v1.18.3 is not in the shared set; "
        "checked only by harden's test of its schema facts (tests/integration/dapr_surface.rs)",
}


def load_crd_schemas(crd_dir: Path) -> dict[tuple[str, str], dict]:
    schemas: dict[tuple[str, str], dict] = {}
    for path in sorted(crd_dir.rglob("*.yaml")):
        for document in load_documents(path):
            if document.get("kind") != "CustomResourceDefinition":
                continue
            spec = document["spec"]
            for version in spec.get("versions", []):
                if not version.get("served", False):
                    continue
                api_version = f"{spec['group']}/{version['name']}"
                schema = version.get("schema", {}).get("openAPIV3Schema")
                if schema is not None:
                    schemas[(api_version, spec["names"]["kind"])] = strict_schema(schema)
    return schemas


def is_builtin_kind(kind: str) -> bool:
    """Whether kubernetes-validate knows `kind` as a built-in top-level kind
    under any apiVersion (it has a `<kind>list-*.json` schema: only
    top-level kinds have lists) for the newest version we check."""
    schemas = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    directory = schemas / f"v{KUBERNETES_VERSIONS[-1]}.0-local-strict"
    return bool(kind) and any(directory.glob(f"{kind.lower()}list-*.json"))


def validate_documents(files: list[Path], crds: dict | None, tally: Tally, subject: str) -> None:
    builtin_errors: dict[str, list[str]] = {v: [] for v in KUBERNETES_VERSIONS}
    builtin_count = 0
    custom_errors: list[str] = []
    custom_count = 0
    for path in files:
        for document in load_documents(path):
            tally.documents += 1
            kind = f"{document.get('kind')} {document.get('apiVersion')}"
            name = f"{path.name}: {document.get('kind')}/{document.get('metadata', {}).get('name')}"
            is_builtin = True
            for version in KUBERNETES_VERSIONS:
                if not served_in(document, version):
                    continue
                try:
                    kubernetes_validate.validate(document, version, strict=True)
                except kubernetes_validate.SchemaNotFoundError:
                    is_builtin = False
                    break
                except kubernetes_validate.ValidationError as error:
                    path_text = ".".join(str(p) for p in error.path)
                    builtin_errors[version].append(f"{name}: {path_text}: {error.message}")
            if is_builtin:
                builtin_count += 1
                continue
            if is_builtin_kind(str(document.get("kind", ""))):
                # A built-in kind under an apiVersion Kubernetes does not
                # serve (a typo, a removed beta) is an error, never a
                # custom resource.
                builtin_errors[KUBERNETES_VERSIONS[-1]].append(
                    f"{name}: apiVersion {document.get('apiVersion')!r} does not serve the built-in kind "
                    f"{document.get('kind')}")
                builtin_count += 1
                continue
            custom_count += 1
            if crds is None:
                continue
            key = (document.get("apiVersion"), document.get("kind"))
            schema = crds.get(key)
            if schema is None and key in PENDING_CRDS:
                custom_count -= 1
                tally.not_checked.append(f"{subject}: {name}: {PENDING_CRDS[key]}")
                continue
            if schema is None:
                custom_errors.append(f"{name}: no served CRD schema for {kind}")
                continue
            validator = jsonschema.Draft7Validator(schema)
            for error in sorted(validator.iter_errors(document), key=lambda e: list(e.path)):
                path_text = ".".join(str(p) for p in error.path)
                custom_errors.append(f"{name}: {path_text}: {error.message}")
    for version in KUBERNETES_VERSIONS:
        errors = builtin_errors[version]
        detail = f"{builtin_count} documents" if not errors else "; ".join(errors[:3])
        tally.report(not errors, subject, f"kubernetes-validate {version}", detail)
    if crds is None:
        if custom_count:
            tally.not_checked.append(f"{subject}: {custom_count} custom resources (no CRD data)")
        return
    detail = f"{custom_count} custom resources" if not custom_errors else "; ".join(custom_errors[:3])
    tally.report(not custom_errors, subject, "crd-schema", detail)


# ---------------------------------------------------------------- other tools

def run(command: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


def run_checkov(directory: Path, tally: Tally, subject: str) -> None:
    result = run([need_tool("checkov"), "--framework", "kubernetes", "-d", str(directory),
                  "--output", "json", "--quiet", "--skip-download"])
    try:
        report = json.loads(result.stdout) if result.stdout.strip() else {}
    except json.JSONDecodeError:
        tally.report(False, subject, "checkov", f"unreadable output: {result.stderr.strip()[:200]}")
        return
    if isinstance(report, list):
        report = report[0] if report else {}
    results = report.get("results", {})
    summary = report.get("summary", {})
    failed = results.get("failed_checks", [])
    skipped = results.get("skipped_checks", [])
    passed = summary.get("passed", len(results.get("passed_checks", [])))
    if not report:
        tally.report(False, subject, "checkov", "checkov produced no report")
        return
    tally.checkov_passed += passed
    tally.checkov_failed += len(failed)
    for check in skipped:
        reason = (check.get("check_result") or {}).get("suppress_comment", "")
        tally.checkov_skipped[check.get("check_id", "?")] = reason
    detail = f"{passed} passed, {len(skipped)} suppressed"
    if failed:
        detail = "; ".join(f"{c['check_id']} {c['resource']} ({Path(c['file_path']).name})" for c in failed[:4])
    tally.report(not failed, subject, "checkov", detail)


def run_shellcheck(scripts: list[Path], tally: Tally, subject: str) -> None:
    if not scripts:
        return
    result = run([need_tool("shellcheck"), "--format", "gcc", *map(str, scripts)])
    findings = [line for line in result.stdout.splitlines() if line.strip()]
    ok = result.returncode == 0 and not findings
    detail = f"{len(scripts)} scripts, no findings" if ok else "; ".join(findings[:3]) or result.stderr.strip()
    tally.report(ok, subject, "shellcheck", detail)


def run_yamllint(files: list[Path], tally: Tally, subject: str) -> None:
    result = run([need_tool("yamllint"), "-c", str(ROOT / ".yamllint.yaml"), "-f", "parsable", *map(str, files)])
    errors = [line for line in result.stdout.splitlines() if "[error]" in line]
    warnings = [line for line in result.stdout.splitlines() if "[warning]" in line]
    ok = not errors and result.returncode == 0
    detail = f"{len(files)} files, {len(warnings)} warnings" if ok else "; ".join(errors[:3]) or result.stderr.strip()
    tally.report(ok, subject, "yamllint", detail)


def run_kustomize(directory: Path, tally: Tally, subject: str) -> None:
    result = run([need_tool("kubectl"), "kustomize", str(directory)])
    ok = result.returncode == 0
    count = result.stdout.count("\nkind: ") + (1 if result.stdout.startswith("kind: ") else 0)
    detail = f"builds {count} resources" if ok else result.stderr.strip().splitlines()[-1]
    tally.report(ok, subject, "kubectl kustomize", detail)


# ---------------------------------------------------------------- nca

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


def example_peers(documents: list[dict]) -> list[dict]:
    """A Pod (and its Namespace) for every NetworkPolicy peer whose namespace
    and pod labels its selectors fix, serving the numeric ports that egress
    rules name: nca and harden then judge the same concrete pods."""
    known = {d["metadata"]["name"] for d in documents if d.get("kind") == "Namespace"}
    peers: dict[tuple[str, tuple], set[tuple[str, int]]] = {}
    for policy in (d for d in documents if d.get("kind") == "NetworkPolicy"):
        own = policy["metadata"].get("namespace", "default")
        for direction, field in (("ingress", "from"), ("egress", "to")):
            for rule in policy.get("spec", {}).get(direction) or []:
                ports = {(p.get("protocol", "TCP"), p["port"]) for p in rule.get("ports") or []
                         if isinstance(p.get("port"), int)}
                for peer in rule.get(field) or []:
                    if "ipBlock" in peer:
                        continue
                    namespaces = peer.get("namespaceSelector")
                    namespace = own if namespaces is None else (namespaces.get("matchLabels") or {}).get(NAMESPACE_NAME_LABEL)
                    pods = peer.get("podSelector") or {}
                    if namespace is None or (namespaces or {}).get("matchExpressions") or pods.get("matchExpressions"):
                        continue
                    entry = peers.setdefault((namespace, tuple(sorted((pods.get("matchLabels") or {}).items()))), set())
                    if direction == "egress":
                        entry.update(ports)
    documents = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
                 for name in sorted({namespace for namespace, _ in peers} - known)]
    for index, ((namespace, labels), ports) in enumerate(sorted(peers.items())):
        documents.append({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"peer-{index}", "namespace": namespace, "labels": dict(labels)},
            "spec": {"containers": [{"name": "peer", "image": "peer", "ports": [
                {"containerPort": port, "protocol": protocol} for protocol, port in sorted(ports)]}]},
        })
    return documents


def parse_connections(text: str) -> list[tuple[set[str] | None, list[tuple[int, int]] | None]]:
    """nca's `All connections` or `{protocols:TCP, UDP,dst_ports:53},{...}`
    as (protocols, port ranges); None means all."""
    if text == "All connections":
        return [(None, None)]
    sets = []
    for part in re.findall(r"\{([^}]*)\}", text):
        protocols, _, ports = part.partition(",dst_ports:")
        if not protocols.startswith("protocols:") or ":" in protocols[len("protocols:"):]:
            raise ValueError(f"unexpected nca connection text: {text}")
        ranges = None
        if ports:
            ranges = []
            for item in ports.split(","):
                low, _, high = item.partition("-")
                ranges.append((int(low), int(high or low)))
        sets.append(({p.strip() for p in protocols[len("protocols:"):].split(",")}, ranges))
    if not sets:
        raise ValueError(f"unexpected nca connection text: {text}")
    return sets


def nca_connectivity(policies: Path, resources: Path) -> dict[tuple[str, str], list]:
    """nca's connectivity between pods and workloads, keyed by
    (namespace/name, namespace/name); IP ranges are left out."""
    result = run([need_tool("nca"), "--connectivity", str(policies), "--resource_list", str(resources),
                  "--output_format", "txt_no_fw_rules"])
    if result.returncode != 0:
        raise ValueError(f"nca failed: {(result.stderr or result.stdout).strip()[-300:]}")
    endpoint = re.compile(r"^([^/\[\s]+/[^/\[\s]+)\[\w+\]$")
    connectivity = {}
    for line in result.stdout.splitlines():
        source, arrow, rest = line.partition(" => ")
        if not arrow:
            continue
        destination, _, connections = rest.partition(" : ")
        ends = endpoint.match(source.strip()), endpoint.match(destination.strip())
        if ends[0] and ends[1]:
            # nca may print a pair twice (TCP on one line, other protocols on another).
            connectivity.setdefault((ends[0].group(1), ends[1].group(1)), []).extend(
                parse_connections(connections.strip()))
    return connectivity


def nca_allows(connections: list, protocol: str, port: int) -> bool:
    return any((protocols is None or protocol in protocols)
               and (ranges is None or any(low <= port <= high for low, high in ranges))
               for protocols, ranges in connections)


def compare_reach(directory: Path, harden: Path, tally: Tally, subject: str,
                  nca_policies: list[dict] | None = None) -> None:
    """harden reach and nca on the same manifests plus example peer pods;
    every flow harden lists between two different pods must get the same
    answer from nca. `nca_policies` replaces the policies nca sees (the
    self-test)."""
    documents = [d for p in sorted(directory.glob("*.yaml")) if p.name != "kustomization.yaml"
                 for d in load_documents(p) if isinstance(d, dict) and "metadata" in d]
    policies = [d for d in documents if d.get("kind") == "NetworkPolicy"]
    with tempfile.TemporaryDirectory(prefix="harden-nca-") as scratch:
        # One file, Namespaces first: from a directory nca may meet a pod
        # before its Namespace and then ignores the Namespace's labels.
        resources = Path(scratch) / "resources.yaml"
        others = [d for d in documents + example_peers(documents) if d.get("kind") != "NetworkPolicy"]
        others.sort(key=lambda d: d.get("kind") != "Namespace")
        resources.write_text(yaml.safe_dump_all(others))
        policy_file = Path(scratch) / "policies.yaml"
        policy_file.write_text(yaml.safe_dump_all(policies if nca_policies is None else nca_policies))
        reach_policies = Path(scratch) / "reach-policies.yaml"
        reach_policies.write_text(yaml.safe_dump_all(policies))
        reach = run([str(harden), "reach", "--format", "json", "--matrix", str(resources), str(reach_policies)])
        if reach.returncode != 0:
            tally.report(False, subject, "nca vs harden reach", f"harden reach failed: {reach.stderr.strip()}")
            return
        try:
            connectivity = nca_connectivity(policy_file, resources)
        except ValueError as error:
            tally.report(False, subject, "nca vs harden reach", str(error))
            return

    def short(workload_id: str) -> str:  # Kind/namespace/name -> namespace/name, as nca names it
        return workload_id.split("/", 1)[1]

    disagreements = []
    compared = allowed = 0
    for flow in json.loads(reach.stdout)["flows"]:
        source, destination = short(flow["from"]), short(flow["to"])
        if source == destination:
            continue  # nca does not report a workload's replicas to each other
        compared += 1
        allowed += flow["allowed"]
        nca = nca_allows(connectivity.get((source, destination), []), flow["protocol"], flow["port"])
        if nca != flow["allowed"]:
            disagreements.append(f"{source} -> {destination} {flow['protocol']} {flow['port']}: "
                                 f"harden {'allows' if flow['allowed'] else 'denies'}, nca {'allows' if nca else 'denies'}")
    # The other way: a pair nca lets talk that harden reach lists no flow
    # for is a flow harden left out (among the sources and destinations
    # harden lists at all: a pod without ports is no destination of its).
    flows = json.loads(reach.stdout)["flows"]
    listed = {(short(f["from"]), short(f["to"])) for f in flows}
    sources = {short(f["from"]) for f in flows}
    destinations = {short(f["to"]) for f in flows}
    for (source, destination), connections in sorted(connectivity.items()):
        if source == destination or not connections:
            continue
        if source in sources and destination in destinations and (source, destination) not in listed:
            disagreements.append(f"{source} -> {destination}: nca allows {connections}, harden reach lists no flow")
    ok = not disagreements and compared > 0
    detail = f"{compared} flows agree, {allowed} of them allowed" if ok else "; ".join(disagreements[:3]) or "no flows to compare"
    tally.report(ok, subject, "nca vs harden reach", detail)


def judge(directory: Path, crds: dict | None, tally: Tally, subject: str) -> None:
    yaml_files = sorted(p for p in directory.iterdir() if p.suffix == ".yaml")
    manifests = [p for p in yaml_files if p.name != "kustomization.yaml"]
    scripts = sorted(p for p in directory.iterdir() if p.suffix == ".sh")
    validate_documents(manifests, crds, tally, subject)
    run_checkov(directory, tally, subject)
    run_shellcheck(scripts, tally, subject)
    run_yamllint(yaml_files, tally, subject)
    run_kustomize(directory, tally, subject)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--harden", default=os.environ.get("HARDEN_BIN", str(ROOT / "target" / "debug" / "harden")),
                        help="the harden binary to render with (default: $HARDEN_BIN, else target/debug/harden)")
    parser.add_argument("--shared", default=os.environ.get("HARDEN_SHARED", str(ROOT.parent / "shared")),
                        help="the shared/ folder that holds conformance/ (default: ../shared)")
    args = parser.parse_args()
    started = time.monotonic()

    crd_dir = Path(args.shared) / "conformance" / "crds"
    crds = None
    if crd_dir.is_dir():
        crds = load_crd_schemas(crd_dir)
        missing = [f"{kind} {api}" for api, kind in REQUIRED_CRDS if (api, kind) not in crds]
        if missing:
            print(f"error: {crd_dir} has no CRD for {', '.join(missing)}: the conformance data is incomplete",
                  file=sys.stderr)
            return 2
    else:
        # The README's set-up puts shared/ beside the repository; without
        # it the custom resources would go unchecked, so the gate stops.
        print(f"error: {crd_dir} is missing: the conformance data is required (put shared/ beside the "
              f"repository as the README's set-up says, or pass --shared DIR)", file=sys.stderr)
        return 2

    harden = Path(args.harden)
    if not harden.is_file():
        print(f"error: {harden} not found; run cargo build first", file=sys.stderr)
        return 2

    tally = Tally()
    specs = sorted((ROOT / "specs").glob("*.yaml"))
    with tempfile.TemporaryDirectory(prefix="harden-conformance-") as temporary:
        for spec in specs:
            out = Path(temporary) / spec.stem
            result = run([str(harden), "render", "--quiet", str(spec.relative_to(ROOT)), "--out", str(out)], cwd=ROOT)
            if result.returncode != 0:
                tally.report(False, spec.stem, "harden render", result.stderr.strip())
                continue
            judge(out, crds, tally, spec.stem)
            compare_reach(out, harden, tally, spec.stem)

    # The cluster-profile matrix: every example spec rendered for every
    # preset (harden.yaml `cluster: {preset: ...}`) must be schema-valid, and
    # nca must agree with `harden reach` on its NetworkPolicies (DNS to other
    # pods, ports and ipBlocks under each preset). Each render also ran
    # harden's own proof and self-audit, or it failed.
    with tempfile.TemporaryDirectory(prefix="harden-matrix-") as temporary:
        for preset in PRESETS:
            workspace = Path(temporary) / preset
            (workspace / "specs").mkdir(parents=True)
            (workspace / "harden.yaml").write_text(f"specs: [specs]\ncluster: {{preset: {preset}}}\n")
            for spec in specs:
                shutil.copy(spec, workspace / "specs" / spec.name)
            for spec in specs:
                subject = f"{preset}/{spec.stem}"
                out = workspace / "out" / spec.stem
                result = run([str(harden), "render", "--quiet", f"specs/{spec.name}", "--out", str(out)],
                             cwd=workspace)
                if result.returncode != 0:
                    tally.report(False, subject, "harden render", result.stderr.strip())
                    continue
                manifests = sorted(p for p in out.iterdir() if p.suffix == ".yaml" and p.name != "kustomization.yaml")
                validate_documents(manifests, crds, tally, subject)
                compare_reach(out, harden, tally, subject)

    # The committed example workspace: each service's kustomization pulls in
    # its shared namespace's directory (../namespaces/<ns>); kustomize must
    # build every one of them as `kubectl apply -k` would.
    workspace_deploy = ROOT / "examples" / "workspace" / "deploy"
    for directory in sorted(p for p in workspace_deploy.iterdir() if (p / "kustomization.yaml").is_file()):
        run_kustomize(directory, tally, f"workspace/{directory.name}")

    # NetworkPolicy features harden's output does not use (named ports,
    # endPort, UDP/SCTP, matchExpressions, AND/OR peers), against nca too.
    compare_reach(ROOT / "tests" / "fixtures" / "reach", harden, tally, "reach-fixture")

    compare_estate(harden, tally)

    # The example specs must satisfy the published JSON Schema of the spec
    # (what editors check as you type).
    schema = json.loads((ROOT / "schema" / "harden-spec.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for spec in specs:
        errors = [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(yaml.safe_load(spec.read_text()))]
        tally.report(not errors, spec.stem, "spec JSON Schema", "valid" if not errors else "; ".join(errors[:3]))

    # The gate must catch a broken output directory with every tool.
    # Here a finding is the expected outcome: MISSED means the tool let it through.
    broken = Tally(labels=("MISSED", "CAUGHT"))
    print("self-test: every tool must catch the broken fixture")
    judge(ROOT / "tests" / "fixtures" / "broken", crds, broken, "broken-fixture")
    expected_failures = 3 + 5 if crds is not None else 3 + 4
    self_test_ok = broken.failed == expected_failures and broken.passed == 0
    print(f"{'PASS' if self_test_ok else 'FAIL'}  self-test: {broken.failed} of {expected_failures} tools caught the broken fixture")
    # The nca comparison must notice when the two sides judge different
    # policies: nca is shown task-api's policies without the default deny.
    with tempfile.TemporaryDirectory(prefix="harden-conformance-") as temporary:
        out = Path(temporary) / "task-api"
        run([str(harden), "render", "--quiet", "specs/task-api.yaml", "--out", str(out)], cwd=ROOT)
        weakened = [d for d in load_documents(out / "03-network-policy.yaml")
                    if d["metadata"]["name"] != "default-deny-all"]
        compare_reach(out, harden, broken, "weakened-policy", nca_policies=weakened)
    nca_caught = broken.failed == expected_failures + 1
    print(f"{'PASS' if nca_caught else 'FAIL'}  self-test: nca comparison {'caught' if nca_caught else 'missed'} a weakened policy set")
    self_test_ok = self_test_ok and nca_caught

    elapsed = time.monotonic() - started
    print()
    print(f"documents validated: {tally.documents}; checkov checks: {tally.checkov_passed} passed, "
          f"{tally.checkov_failed} failed, {len(tally.checkov_skipped)} suppressed")
    for check_id, reason in sorted(tally.checkov_skipped.items()):
        print(f"  suppressed {check_id}: {reason}")
    for item in tally.not_checked:
        print(f"NOT CHECKED: {item}")
    total_failed = tally.failed + (0 if self_test_ok else 1)
    print(f"{len(specs)} specs judged, and under {len(PRESETS)} cluster presets, in {elapsed:.1f}s")
    print(f"conformance: {tally.passed + (1 if self_test_ok else 0)} passed, {total_failed} failed")
    return 1 if total_failed else 0


# ---------------------------------------------------------------- estate

ESTATE_SERVICES = 36


def compare_estate(harden: Path, tally: Tally) -> None:
    """nca and `harden reach` on an estate: ESTATE_SERVICES generated
    services (scripts/estate.py, the benchmark's) rendered as one system
    into their shared namespaces, every file in one directory. The flows of
    the whole estate are compared as for one spec; and the default summary
    must allow exactly the flows the matrix allows."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from estate import write_specs

    subject = f"estate-{ESTATE_SERVICES}"
    with tempfile.TemporaryDirectory(prefix="harden-estate-") as temporary:
        work = Path(temporary)
        write_specs(work, ESTATE_SERVICES)
        result = run([str(harden), "render", "--quiet", "specs"], cwd=work)
        if result.returncode != 0:
            tally.report(False, subject, "harden render", result.stderr.strip())
            return
        flat = work / "flat"
        flat.mkdir()
        for path in sorted((work / "deploy").rglob("*.yaml")):
            if path.name != "kustomization.yaml":
                relative = path.relative_to(work / "deploy")
                shutil.copy(path, flat / "-".join(relative.parts))
        compare_reach(flat, harden, tally, subject)
        # With a pod for each peer the policies name, flows are allowed.
        peers = work / "peers.yaml"
        peers.write_text(yaml.safe_dump_all(example_peers(
            [d for p in sorted(flat.glob("*.yaml")) for d in load_documents(p) if isinstance(d, dict)])))
        summary = run([str(harden), "reach", "--format", "json", str(flat), str(peers)])
        matrix = run([str(harden), "reach", "--format", "json", "--matrix", str(flat), str(peers)])
        if summary.returncode != 0 or matrix.returncode != 0:
            tally.report(False, subject, "reach summary vs matrix", (summary.stderr or matrix.stderr).strip())
            return
    grouped = sorted(f"{source} -> {destination} {port}"
                     for group in json.loads(summary.stdout)["allowed"]
                     for source in group["from"] for destination in group["to"] for port in group["ports"])
    flows = sorted(f"{flow['from']} -> {flow['to']} {flow['protocol']} {flow['port']}"
                   for flow in json.loads(matrix.stdout)["flows"] if flow["allowed"])
    tally.report(grouped == flows, subject, "reach summary vs matrix",
                 f"{len(flows)} allowed flows, the same in both" if grouped == flows
                 else f"summary {len(grouped)}, matrix {len(flows)} allowed flows")


if __name__ == "__main__":
    sys.exit(main())
