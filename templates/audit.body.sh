SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# --- 0. cluster preflight: is this the cluster the profile describes? -------
# The output was rendered for a cluster profile (cluster: in harden.yaml, or
# harden's kubeadm-like default). Read-only gets compare it with the cluster
# (the DNS_POD_*, KNOWN_DNS_*, NODE_LOCAL_*, CILIUM_*, API_*, DAPR_* and
# EXTERNAL_SECRETS_API values above); each difference prints one
# "preflight:" line naming the field to change, and row 0 FAILs (SKIP when
# nothing differed but something could not be read).
PREFLIGHT_DIFFERENCES=()
PREFLIGHT_UNREAD=()
PREFLIGHT_SEEN=()

differs() {
  PREFLIGHT_DIFFERENCES+=("$1")
  # One line each, before the report; on stderr when stdout is JSON.
  if [ "$JSON" = "true" ]; then
    echo "preflight: $1" >&2
  else
    echo "preflight: $1"
  fi
}

# ipv4_number ADDRESS: the address as a number; fails for anything else.
ipv4_number() {
  local a b c d part
  IFS=. read -r a b c d <<<"$1"
  for part in "$a" "$b" "$c" "$d"; do
    case "$part" in '' | *[!0-9]*) return 1 ;; esac
  done
  printf '%s' $(((10#$a << 24) + (10#$b << 16) + (10#$c << 8) + 10#$d))
}

# in_cidr ADDRESS CIDR: IPv4 by prefix; IPv6 only as the range's own address.
in_cidr() {
  local address=$1 network=${2%/*} bits=${2##*/} a n mask
  [ "$address" = "$network" ] && return 0
  a=$(ipv4_number "$address") || return 1
  n=$(ipv4_number "$network") || return 1
  mask=$(((0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF))
  [ $((a & mask)) -eq $((n & mask)) ]
}

# (a) the DNS pods: present under the profile's namespace and labels, and
# listening on its port.
preflight_dns() {
  local ports index found
  [ -n "$DNS_POD_NAMESPACE" ] || return 0
  if ! ports=$(k get pods -n "$DNS_POD_NAMESPACE" -l "$DNS_POD_SELECTOR" \
    -o jsonpath='{range .items[*]}{range .spec.containers[*].ports[*]}{.containerPort}{"/"}{.protocol}{" "}{end}{end}' 2>&1); then
    PREFLIGHT_UNREAD+=("DNS pods in $DNS_POD_NAMESPACE: $(printf '%s' "$ports" | head -n 1)")
    return
  fi
  if [ -z "$ports" ]; then
    for index in "${!KNOWN_DNS_NAMESPACES[@]}"; do
      found=$(k get pods -n "${KNOWN_DNS_NAMESPACES[$index]}" -l "${KNOWN_DNS_SELECTORS[$index]}" -o name 2>/dev/null || true)
      if [ -n "$found" ]; then
        differs "DNS pods: none match namespace $DNS_POD_NAMESPACE, labels $DNS_POD_SELECTOR; this cluster's look like ${KNOWN_DNS_PRESETS[$index]} (namespace ${KNOWN_DNS_NAMESPACES[$index]}, labels ${KNOWN_DNS_SELECTORS[$index]}): set ${KNOWN_DNS_FIXES[$index]} in harden.yaml"
        return
      fi
    done
    differs "DNS pods: none match namespace $DNS_POD_NAMESPACE, labels $DNS_POD_SELECTOR, nor any preset's; set cluster.dns.namespace and cluster.dns.podLabels in harden.yaml to the cluster's DNS pods"
    return
  fi
  case " $ports " in
    *" $DNS_PORT/UDP "*)
      PREFLIGHT_SEEN+=("DNS pods in $DNS_POD_NAMESPACE on $DNS_PORT")
      ;;
    *)
      found=$(printf '%s' "$ports" | tr ' ' '\n' | sed -n 's|/UDP$||p' | head -n 1)
      differs "DNS port: the DNS pods in $DNS_POD_NAMESPACE listen on ${found:-no UDP port}, not $DNS_PORT; set cluster.dns.port: ${found:-?} in harden.yaml"
      ;;
  esac
}

# (b) NodeLocal DNSCache: its DaemonSet runs exactly when the profile opens
# a node-local address, at that address (its -localip argument).
preflight_node_local() {
  local found address
  if ! found=$(k get daemonset -n "$NODE_LOCAL_NAMESPACE" -l "$NODE_LOCAL_SELECTOR" \
    -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.template.spec.containers[*].args}{"\n"}{end}' 2>&1); then
    PREFLIGHT_UNREAD+=("NodeLocal DNSCache: $(printf '%s' "$found" | head -n 1)")
    return
  fi
  address=$(printf '%s\n' "$found" | sed -n 's/.*"-localip","\([^,"]*\).*/\1/p' | head -n 1)
  if [ -n "$found" ] && [ -z "$NODE_LOCAL_ADDRESS" ]; then
    differs "NodeLocal DNSCache: DaemonSet ${found%% *} runs in $NODE_LOCAL_NAMESPACE, but the profile opens no node-local address, so lookups the node cache answers are dropped; set cluster.dns.nodeLocalAddress: ${address:-$NODE_LOCAL_DEFAULT} in harden.yaml"
  elif [ -z "$found" ] && [ -n "$NODE_LOCAL_ADDRESS" ]; then
    differs "NodeLocal DNSCache: the profile opens $NODE_LOCAL_ADDRESS on port $DNS_PORT, but no DaemonSet labelled $NODE_LOCAL_SELECTOR runs in $NODE_LOCAL_NAMESPACE; $NODE_LOCAL_FIX"
  elif [ -n "$found" ] && [ -n "$address" ] && [ "$address" != "$NODE_LOCAL_ADDRESS" ]; then
    differs "NodeLocal DNSCache: it listens on $address, the profile opens $NODE_LOCAL_ADDRESS; set cluster.dns.nodeLocalAddress: $address in harden.yaml"
  elif [ -n "$found" ]; then
    PREFLIGHT_SEEN+=("NodeLocal DNSCache on $NODE_LOCAL_ADDRESS")
  else
    PREFLIGHT_SEEN+=("no NodeLocal DNSCache")
  fi
}

# (c) the CNI: a Cilium agent (DaemonSet cilium in kube-system) runs exactly
# when the output relies on Cilium.
preflight_cni() {
  local found
  if ! found=$(k get daemonset -n "$CILIUM_NAMESPACE" -l "$CILIUM_SELECTOR" -o name 2>&1); then
    PREFLIGHT_UNREAD+=("Cilium agent: $(printf '%s' "$found" | head -n 1)")
    return
  fi
  if printf '%s\n' "$found" | grep -qxF "daemonset.apps/$CILIUM_DAEMONSET"; then
    if [ "$EXPECT_CILIUM" = true ]; then
      PREFLIGHT_SEEN+=("Cilium agent running")
    else
      differs "CNI: the Cilium agent (DaemonSet $CILIUM_DAEMONSET) runs in $CILIUM_NAMESPACE, but the output assumes another CNI, and Cilium's CIDR rules do not match in-cluster endpoints such as the API server; set cluster.cni: cilium in harden.yaml"
    fi
  elif [ "$EXPECT_CILIUM" = true ]; then
    differs "CNI: the output relies on Cilium ($CNI_FIELD), but no Cilium agent (DaemonSet $CILIUM_DAEMONSET, $CILIUM_SELECTOR) runs in $CILIUM_NAMESPACE, so its CiliumNetworkPolicies are not enforced; set cluster.cni: any (or calico) in harden.yaml, or install Cilium"
  else
    PREFLIGHT_SEEN+=("no Cilium agent")
  fi
}

# (d) the API server: its EndpointSlice addresses inside the allowed ranges,
# on the allowed port.
preflight_api_server() {
  local found line addresses ports address outside="" wanted="" cidr inside
  [ "${#API_SERVER_CIDRS[@]}" -gt 0 ] || return 0
  if ! found=$(k get endpointslice -n "$API_ENDPOINTS_NAMESPACE" -l "$API_ENDPOINTS_SELECTOR" \
    -o jsonpath='{range .items[*]}{.endpoints[*].addresses[*]}{"|"}{.ports[*].port}{"\n"}{end}' 2>&1); then
    PREFLIGHT_UNREAD+=("API server endpoints: $(printf '%s' "$found" | head -n 1)")
    return
  fi
  addresses=""
  ports=""
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    addresses="${addresses:+$addresses }${line%%|*}"
    ports="${ports:+$ports }${line##*|}"
  done <<<"$found"
  if [ -z "${addresses// /}" ]; then
    PREFLIGHT_UNREAD+=("API server endpoints: no EndpointSlice $API_ENDPOINTS_SELECTOR in $API_ENDPOINTS_NAMESPACE lists an address")
    return
  fi
  for address in $addresses; do
    case "$address" in
      *:*) wanted="$wanted, $address/128" ;;
      *) wanted="$wanted, $address/32" ;;
    esac
    inside=false
    for cidr in "${API_SERVER_CIDRS[@]}"; do
      if in_cidr "$address" "$cidr"; then
        inside=true
        break
      fi
    done
    [ "$inside" = true ] || outside="$outside $address"
  done
  if [ -n "$outside" ]; then
    differs "API server: endpoint${outside} is outside ${API_SERVER_CIDRS[*]}; set $API_SERVER_CIDR_FIELD to ${wanted#, }"
  fi
  case " $ports " in
    *" $API_SERVER_PORT "*) ;;
    *)
      differs "API server: the endpoints serve port $ports, not $API_SERVER_PORT; set $API_SERVER_PORT_FIELD to ${ports%% *}"
      return
      ;;
  esac
  [ -n "$outside" ] || PREFLIGHT_SEEN+=("API server $addresses on $API_SERVER_PORT")
}

# (e) Dapr: the control plane's minor version (the operator's image tag) and
# the injector's runAsNonRoot setting.
preflight_dapr() {
  local image tag minor non_root
  [ -n "$WITH_DAPR" ] || return 0
  if ! image=$(k get deployment "$DAPR_OPERATOR" -n "$DAPR_NAMESPACE" \
    -o jsonpath='{.spec.template.spec.containers[0].image}' 2>&1); then
    PREFLIGHT_UNREAD+=("Dapr operator in $DAPR_NAMESPACE: $(printf '%s' "$image" | head -n 1)")
  else
    tag=${image%%@*}
    case "${tag##*/}" in
      *:*) tag=${tag##*:} ;;
      *) tag="" ;;
    esac
    minor=$(printf '%s' "$tag" | sed -n 's/^v\{0,1\}\([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p')
    if [ -z "$minor" ]; then
      PREFLIGHT_UNREAD+=("Dapr version: the operator image $image has no version tag")
    elif [ "$minor" != "$DAPR_VERSION" ]; then
      case ", $DAPR_SUPPORTED, " in
        *", $minor, "*)
          differs "Dapr version: the control plane runs $minor ($image), the output is for $DAPR_VERSION; set $DAPR_VERSION_FIELD to $minor"
          ;;
        *)
          differs "Dapr version: the control plane runs $minor ($image), the output is for $DAPR_VERSION, and harden knows $DAPR_SUPPORTED; run one of those"
          ;;
      esac
    else
      PREFLIGHT_SEEN+=("Dapr $minor")
    fi
  fi
  if ! non_root=$(k get deployment "$INJECTOR_DEPLOYMENT" -n "$DAPR_NAMESPACE" \
    -o jsonpath="$RUN_AS_NON_ROOT_JSONPATH" 2>&1); then
    PREFLIGHT_UNREAD+=("Dapr injector in $DAPR_NAMESPACE: $(printf '%s' "$non_root" | head -n 1)")
    return
  fi
  # Empty means true; otherwise dapr's truthy words.
  case "$(printf '%s' "$non_root" | tr '[:upper:]' '[:lower:]')" in
    '' | y | yes | true | t | on | 1) ;;
    *)
      differs "Dapr injector: $RUN_AS_NON_ROOT_ENV is '$non_root', so daprd is injected with runAsNonRoot: false and restricted rejects every pod; fix: helm upgrade dapr dapr/dapr -n $DAPR_NAMESPACE --reuse-values --set '$RUN_AS_NON_ROOT_SET'"
      ;;
  esac
}

# (f) External Secrets: the API version the output uses is served.
preflight_external_secrets() {
  local served versions
  [ -n "$EXTERNAL_SECRETS_API" ] || return 0
  if ! served=$(k api-versions 2>&1); then
    PREFLIGHT_UNREAD+=("API versions: $(printf '%s' "$served" | head -n 1)")
    return
  fi
  if printf '%s\n' "$served" | grep -qxF "$EXTERNAL_SECRETS_API"; then
    PREFLIGHT_SEEN+=("$EXTERNAL_SECRETS_API served")
    return
  fi
  versions=$(printf '%s\n' "$served" | grep '^external-secrets\.io/' | tr '\n' ' ' | sed 's/ $//' || true)
  case " $versions " in
    *" external-secrets.io/v1 "*)
      differs "External Secrets: the cluster serves $versions, not $EXTERNAL_SECRETS_API; set cluster.externalSecretsVersion to the operator's release (0.16 or later) in harden.yaml"
      ;;
    *" external-secrets.io/v1beta1 "*)
      differs "External Secrets: the cluster serves $versions, not $EXTERNAL_SECRETS_API (an operator before 0.16); set cluster.externalSecretsVersion: \"0.15\" in harden.yaml, or upgrade the operator"
      ;;
    *)
      differs "External Secrets: no external-secrets.io API is served; install the External Secrets Operator"
      ;;
  esac
}

check_cluster_profile() {
  local title="cluster preflight" evidence
  preflight_dns
  preflight_node_local
  preflight_cni
  preflight_api_server
  preflight_dapr
  preflight_external_secrets
  # The cluster domain is not read here: check 4's lookup of
  # $DNS_LOOKUP fails when it is wrong.
  if [ "${#PREFLIGHT_DIFFERENCES[@]}" -gt 0 ]; then
    evidence=$(printf '%s; ' "${PREFLIGHT_DIFFERENCES[@]}" | sed 's/; $//')
    if [ "${#PREFLIGHT_UNREAD[@]}" -gt 0 ]; then
      evidence="$evidence; could not read: $(printf '%s; ' "${PREFLIGHT_UNREAD[@]}" | sed 's/; $//')"
    fi
    record bad 0 "$title" "$evidence"
  elif [ "${#PREFLIGHT_UNREAD[@]}" -gt 0 ]; then
    record skip 0 "$title" "could not read: $(printf '%s; ' "${PREFLIGHT_UNREAD[@]}" | sed 's/; $//')"
  else
    record ok 0 "$title" "the cluster matches the profile: $(printf '%s; ' ${PREFLIGHT_SEEN[@]+"${PREFLIGHT_SEEN[@]}"} | sed 's/; $//')"
  fi
}

# --- first: can a restricted namespace admit the Dapr sidecar at all? ---------
# The injector adds capabilities.drop [ALL] to daprd only when its Helm value
# says so (default false); without it Pod Security restricted rejects every
# pod of the app. Read first, because it explains every later failure.
INJECTOR_PROBLEM=''
check_dapr_injector() {
  local drop_all
  [ -n "$WITH_DAPR" ] || return 0
  if ! drop_all=$(k get deployment "$INJECTOR_DEPLOYMENT" -n "$DAPR_NAMESPACE" \
    -o jsonpath="$INJECTOR_DROP_ALL_JSONPATH" 2>&1); then
    INJECTOR_PROBLEM="cannot read the Dapr sidecar injector in $DAPR_NAMESPACE: $(printf '%s' "$drop_all" | head -n 1)"
  elif [ "$drop_all" != "true" ]; then
    INJECTOR_PROBLEM="the Dapr sidecar injector in $DAPR_NAMESPACE does not drop ALL capabilities from daprd (${drop_all:-unset}), so restricted rejects every pod; fix: helm upgrade dapr dapr/dapr -n $DAPR_NAMESPACE --reuse-values --set '$INJECTOR_DROP_ALL_SET'"
  fi
  if [ -z "$INJECTOR_PROBLEM" ]; then
    return 0
  fi
  # Before every check in the report; on stderr when stdout is JSON.
  if [ "$JSON" = "true" ]; then
    echo "WARNING: $INJECTOR_PROBLEM" >&2
  else
    echo "WARNING: $INJECTOR_PROBLEM"
  fi
}

# --- 1. dedicated ServiceAccount -------------------------------------------
check_service_account() {
  local title="dedicated ServiceAccount" accounts wrong
  if ! accounts=$(k get pods -n "$NAMESPACE" -l "$SELECTOR,!harden.dev/probe" \
    -o jsonpath='{range .items[*]}{.spec.serviceAccountName}{"\n"}{end}' 2>&1); then
    record bad 1 "$title" "cannot list pods: $accounts"
    return
  fi
  if [ -z "$accounts" ]; then
    record bad 1 "$title" "no pod matches $SELECTOR in $NAMESPACE"
    return
  fi
  wrong=$(printf '%s\n' "$accounts" | grep -vxF "$SERVICE_ACCOUNT" || true)
  if [ -n "$wrong" ]; then
    record bad 1 "$title" "pods run as: $(printf '%s\n' "$wrong" | sort -u | tr '\n' ' ' | sed 's/ $//')"
  else
    record ok 1 "$title" "every pod runs as $SERVICE_ACCOUNT"
  fi
}

# --- 2. least-privilege RBAC -------------------------------------------------
# Prints yes, no, or the error kubectl gave.
can_i() {
  local verb=$1 resource=$2 scope=$3 answer
  if [ "$scope" = "*" ]; then
    answer=$(k auth can-i "$verb" "$resource" --all-namespaces \
      --as "system:serviceaccount:$NAMESPACE:$SERVICE_ACCOUNT" 2>&1 || true)
  else
    answer=$(k auth can-i "$verb" "$resource" -n "$scope" \
      --as "system:serviceaccount:$NAMESPACE:$SERVICE_ACCOUNT" 2>&1 || true)
  fi
  printf '%s' "$answer" | head -n 1
}

check_rbac() {
  local title="least-privilege RBAC" problems="" checked=0 answer
  local expectation expected verb resource scope
  # RBAC_EXPECTATIONS: "EXPECTED VERB RESOURCE SCOPE" each, the scope "."
  # for the app's namespace and "*" for all.
  for expectation in ${RBAC_EXPECTATIONS[@]+"${RBAC_EXPECTATIONS[@]}"}; do
    read -r expected verb resource scope <<<"$expectation"
    if [ "$scope" = "." ]; then
      scope=$NAMESPACE
    fi
    answer=$(can_i "$verb" "$resource" "$scope")
    checked=$((checked + 1))
    if [ "$answer" != "$expected" ]; then
      problems="$problems; $verb $resource in $scope: expected $expected, got '$answer'"
    fi
  done
  if [ -n "$problems" ]; then
    record bad 2 "$title" "${problems#; }"
  else
    record ok 2 "$title" "$checked permission checks as $SERVICE_ACCOUNT behave as the spec grants"
  fi
}

# --- 3. default-deny NetworkPolicy ----------------------------------------
check_default_deny() {
  local title="default-deny NetworkPolicy" policies line found=""
  if ! policies=$(k get networkpolicy -n "$NAMESPACE" \
    -o jsonpath='{range .items[*]}{.metadata.name}{"|"}{.spec.podSelector}{"|"}{.spec.policyTypes}{"\n"}{end}' 2>&1); then
    record bad 3 "$title" "cannot list NetworkPolicies: $policies"
    return
  fi
  while IFS= read -r line; do
    case "$line" in
      *'|{}|'*Ingress*Egress* | *'|{}|'*Egress*Ingress*)
        found=${line%%|*}
        break
        ;;
    esac
  done <<<"$policies"
  if [ -n "$found" ]; then
    record ok 3 "$title" "policy $found selects every pod and denies Ingress and Egress"
  else
    record bad 3 "$title" "no policy with an empty podSelector and both Ingress and Egress types"
  fi
}

# --- 4. DNS egress: a lookup from a probe carrying the app's labels ---------
check_dns() {
  local title="DNS egress allowed" answer
  # shellcheck disable=SC2016 # expanded by the probe's shell, not this one
  if ! run_probe dns "$PROBE_IMAGE" "nslookup $DNS_LOOKUP"' >/tmp/out 2>&1; code=$?; cat /tmp/out; echo "EXIT $code"'; then
    record bad 4 "$title" "$PROBE_ERROR"
    return
  fi
  if printf '%s\n' "$PROBE_LOGS" | grep -qx 'EXIT 0'; then
    answer=$(printf '%s\n' "$PROBE_LOGS" | grep '^Address' | tail -n 1 || true)
    record ok 4 "$title" "a pod with the app's labels resolved $DNS_LOOKUP (${answer:-answered})"
  else
    record bad 4 "$title" "lookup from a pod with the app's labels failed: $(printf '%s\n' "$PROBE_LOGS" | grep -v '^EXIT' | tail -n 1)"
  fi
}

# --- 11. egress by hostname: each listed name resolves and connects on its
# first TCP port from a probe with the app's labels; an unlisted name does
# not. Patterns have no single name to try, and a rule with only UDP or SCTP
# ports none that nc can open: neither is probed. HOST_TARGETS (NAME:PORT),
# HOST_PATTERNS and UNLISTED_HOST (NAME:PORT) are empty without hostname
# rules, and the check is not run.
check_egress_hosts() {
  local title="egress by hostname" script target host port line problems="" reached=""
  # shellcheck disable=SC2016 # expanded by the probe's shell, not this one
  script='try() { if nslookup "$1" >/dev/null 2>&1; then r=resolved; else r=unresolved; fi; if nc -w 5 "$1" "$2" </dev/null >/dev/null 2>&1; then c=open; else c=closed; fi; echo "HOST $3 $1 $r $c"; }'
  for target in ${HOST_TARGETS[@]+"${HOST_TARGETS[@]}"}; do
    script="$script; try ${target%:*} ${target##*:} listed"
  done
  script="$script; try ${UNLISTED_HOST%:*} ${UNLISTED_HOST##*:} unlisted; echo PROBE-DONE"
  if ! run_probe hosts "$PROBE_IMAGE" "$script"; then
    record bad 11 "$title" "$PROBE_ERROR"
    return
  fi
  for target in ${HOST_TARGETS[@]+"${HOST_TARGETS[@]}"}; do
    host=${target%:*}
    port=${target##*:}
    line=$(printf '%s\n' "$PROBE_LOGS" | grep -m 1 "^HOST listed $host " || true)
    case "$line" in
      *" resolved open") reached="$reached $host:$port" ;;
      *" unresolved "*) problems="$problems; $host does not resolve" ;;
      *" closed") problems="$problems; $host:$port resolves but does not connect" ;;
      *) problems="$problems; no answer for $host" ;;
    esac
  done
  line=$(printf '%s\n' "$PROBE_LOGS" | grep -m 1 "^HOST unlisted " || true)
  case "$line" in
    *" closed") ;;
    *" open") problems="$problems; unlisted ${UNLISTED_HOST%:*} is reachable by name" ;;
    *) problems="$problems; no answer for unlisted ${UNLISTED_HOST%:*}" ;;
  esac
  if [ -n "$problems" ]; then
    record bad 11 "$title" "${problems#; }"
  else
    record ok 11 "$title" "reached${reached:- no exact name}; unlisted ${UNLISTED_HOST%:*} refused${HOST_PATTERNS[*]+; patterns not probed: ${HOST_PATTERNS[*]}}"
  fi
}

# --- 5. secrets as files ------------------------------------------------------
check_secrets_as_files() {
  local title="secrets as files" env_refs mounts
  if ! env_refs=$(k get deployment "$APP" -n "$NAMESPACE" \
    -o jsonpath='{range .spec.template.spec.containers[*]}{.env[*].valueFrom.secretKeyRef.name}{" "}{.envFrom[*].secretRef.name}{" "}{end}' 2>&1); then
    record bad 5 "$title" "cannot read deployment $APP: $env_refs"
    return
  fi
  env_refs=$(printf '%s' "$env_refs" | tr -s ' ' | sed 's/^ //; s/ $//')
  if [ -n "$env_refs" ]; then
    record bad 5 "$title" "secrets reach the environment: $env_refs"
    return
  fi
  if [ -z "$SECRET_MOUNT" ]; then
    record ok 5 "$title" "no secret in environment variables; the spec declares no secrets"
    return
  fi
  if ! mounts=$(k get deployment "$APP" -n "$NAMESPACE" \
    -o jsonpath='{range .spec.template.spec.containers[*]}{range .volumeMounts[*]}{.mountPath}{"\n"}{end}{end}' 2>&1); then
    record bad 5 "$title" "cannot read deployment $APP: $(printf '%s\n' "$mounts" | head -n 1)"
    return
  fi
  if printf '%s\n' "$mounts" | grep -qxF "$SECRET_MOUNT"; then
    record ok 5 "$title" "no secret in environment variables; secrets mounted at $SECRET_MOUNT"
  else
    record bad 5 "$title" "no volume mounted at $SECRET_MOUNT"
  fi
}

# --- 6. Pod Security Standards restricted ------------------------------------
check_pod_security() {
  local title="PSS restricted enforced" problems="" enforce version dry_run ready events
  if [ -n "$INJECTOR_PROBLEM" ]; then
    problems="; $INJECTOR_PROBLEM"
  fi
  if ! enforce=$(k get namespace "$NAMESPACE" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}' 2>&1) ||
    ! version=$(k get namespace "$NAMESPACE" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce-version}' 2>&1); then
    record bad 6 "$title" "cannot read the labels of namespace $NAMESPACE: $(printf '%s\n' "${version:-$enforce}" | head -n 1)"
    return
  fi
  if [ "$enforce" != "restricted" ]; then
    problems="$problems; enforce label is '$enforce', expected restricted"
  fi
  if [ "$version" != "$PSS_VERSION" ]; then
    problems="$problems; enforce-version is '$version', expected $PSS_VERSION"
  fi
  if [ -f "$SCRIPT_DIR/06-deployment.yaml" ]; then
    if ! dry_run=$(k apply --dry-run=server -f "$SCRIPT_DIR/06-deployment.yaml" 2>&1); then
      problems="$problems; server dry run refused: $(printf '%s' "$dry_run" | head -n 1)"
    elif printf '%s' "$dry_run" | grep -q 'violate'; then
      problems="$problems; server dry run warns: $(printf '%s' "$dry_run" | grep 'violate' | head -n 1)"
    fi
  fi
  # The sidecar is injected at pod admission, so only real pods prove that
  # the whole pod is admitted.
  events=$(k get events -n "$NAMESPACE" --field-selector reason=FailedCreate \
    -o jsonpath='{range .items[*]}{.message}{"\n"}{end}' 2>/dev/null | grep 'violates PodSecurity' | head -n 1 || true)
  if [ -n "$events" ]; then
    problems="$problems; pods were rejected: $events"
  fi
  ready=$(k get deployment "$APP" -n "$NAMESPACE" -o jsonpath='{.status.readyReplicas}' 2>/dev/null || true)
  if [ "${ready:-0}" != "$REPLICAS" ]; then
    problems="$problems; ${ready:-0} of $REPLICAS replicas ready"
  fi
  if [ -n "$problems" ]; then
    record bad 6 "$title" "${problems#; }"
  else
    record ok 6 "$title" "restricted:$PSS_VERSION enforced and all $REPLICAS replicas admitted and ready"
  fi
}

# --- 7. image scan ------------------------------------------------------------
check_image_scan() {
  local title="no CRITICAL vulnerabilities" report
  if ! command -v trivy >/dev/null 2>&1; then
    record skip 7 "$title" "trivy is not installed; install it to scan $IMAGE"
    return
  fi
  if report=$(trivy image --quiet --severity CRITICAL --exit-code 1 "$IMAGE" 2>&1); then
    record ok 7 "$title" "trivy found no CRITICAL vulnerability in $IMAGE"
  else
    record bad 7 "$title" "trivy: $(printf '%s\n' "$report" | grep -m 1 'Total' || printf '%s\n' "$report" | tail -n 1)"
  fi
}

# --- 12. signed image: the running digest carries the spec's signature -----
# (workload.signature: IMAGE_POLICY, SIGNER and the COSIGN_ARGS naming it,
# empty without one, and the check is not run). cosign verify's exit codes:
# 0 verified, 10 no signature, 12 no signature of this signer, 13 no
# certificate; anything else is an error (sigstore/cosign v3.1.2
# cmd/cosign/errors/exit_codes.go).
check_image_signature() {
  local title="image signed by $SIGNER" include ids id ref out code problems=""
  if ! out=$(k get clusterimagepolicies.policy.sigstore.dev "$IMAGE_POLICY" -o name 2>&1); then
    problems="$problems; no ClusterImagePolicy $IMAGE_POLICY: $(printf '%s\n' "$out" | head -n 1)"
  fi
  include=$(k get namespace "$NAMESPACE" -o jsonpath="$SIGSTORE_INCLUDE_JSONPATH" 2>/dev/null || true)
  if [ "$include" != "$SIGSTORE_INCLUDE_VALUE" ]; then
    problems="$problems; namespace $NAMESPACE is not labelled $SIGSTORE_INCLUDE_LABEL=$SIGSTORE_INCLUDE_VALUE, so the policy-controller does not check it"
  fi
  if ! command -v cosign >/dev/null 2>&1; then
    if [ -n "$problems" ]; then
      record bad 12 "$title" "${problems#; }"
    else
      record skip 12 "$title" "cosign is not installed; install it to verify the running image's signature"
    fi
    return
  fi
  if ! ids=$(k get pods -n "$NAMESPACE" -l "$SELECTOR,!$PROBE_LABEL" \
    -o jsonpath="$IMAGE_ID_JSONPATH" 2>&1); then
    record bad 12 "$title" "cannot read the running image: $(printf '%s\n' "$ids" | head -n 1)"
    return
  fi
  if [ -z "$ids" ]; then
    record bad 12 "$title" "${problems#; }${problems:+; }no running pod matches $SELECTOR in $NAMESPACE"
    return
  fi
  while read -r id; do
    [ -n "$id" ] || continue
    # The runtime may prefix the digest reference (docker-pullable://).
    ref=${id#*://}
    out=$(cosign verify "${COSIGN_ARGS[@]}" "$ref" 2>&1 >/dev/null) && code=0 || code=$?
    case "$code" in
      0) ;;
      "$COSIGN_NO_SIGNATURE") problems="$problems; $ref has no signature" ;;
      "$COSIGN_NO_MATCHING_SIGNATURE") problems="$problems; $ref has no signature by this signer" ;;
      "$COSIGN_NO_CERTIFICATE") problems="$problems; $ref has a signature without a certificate" ;;
      *) problems="$problems; cannot verify $ref (cosign exit $code): $(printf '%s\n' "$out" | tail -n 1 | cut -c1-160)" ;;
    esac
  done < <(printf '%s\n' "$ids" | sort -u)
  if [ -n "$problems" ]; then
    record bad 12 "$title" "${problems#; }"
  else
    record ok 12 "$title" "cosign verified every running digest; ClusterImagePolicy $IMAGE_POLICY enforces it on $NAMESPACE"
  fi
}

# --- 8. Dapr mTLS ---------------------------------------------------------------
check_dapr_mtls() {
  local title="Dapr mTLS" ready mtls bundle end without
  if [ -z "$WITH_DAPR" ]; then
    record skip 8 "$title" "Dapr is not enabled in the spec"
    return
  fi
  ready=$(k get pods -n "$DAPR_NAMESPACE" -l app=dapr-sentry \
    -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null || true)
  if [ -z "$ready" ] || printf '%s\n' "$ready" | grep -qvx 'True'; then
    record bad 8 "$title" "dapr-sentry is not ready in $DAPR_NAMESPACE (ready: $(printf '%s\n' "$ready" | tr '\n' ' ' | sed 's/ $//'))"
    return
  fi
  mtls=$(k get configurations.dapr.io daprsystem -n "$DAPR_NAMESPACE" -o jsonpath='{.spec.mtls.enabled}' 2>/dev/null || true)
  if [ "$mtls" = "false" ]; then
    record bad 8 "$title" "mTLS is disabled in configuration daprsystem"
    return
  fi
  # The injector decides per pod: daprd gets --enable-mtls when the control
  # plane had mTLS on as the pod was created (dapr/dapr
  # pkg/injector/patcher/sidecar_container.go; docs/upstream/dapr-security.md
  # section 6), so a pod injected while it was off runs without it.
  without=$(k get pods -n "$NAMESPACE" -l "$SELECTOR,!$PROBE_LABEL" \
    -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.containers[?(@.name=="daprd")].args}{.spec.initContainers[?(@.name=="daprd")].args}{"\n"}{end}' 2>/dev/null |
    awk 'NF && index($0, "\"--enable-mtls\"") == 0 {print $1}' | sort -u | tr '\n' ' ' || true)
  if [ -n "$without" ]; then
    record bad 8 "$title" "daprd runs without --enable-mtls in pods ${without% } (injected while mTLS was off: restart them)"
    return
  fi
  if ! command -v openssl >/dev/null 2>&1; then
    record skip 8 "$title" "dapr-sentry is ready, but openssl is not installed to read the CA expiry"
    return
  fi
  bundle=$(k get configmap dapr-trust-bundle -n "$DAPR_NAMESPACE" -o jsonpath='{.data.ca\.crt}' 2>/dev/null || true)
  if [ -z "$bundle" ]; then
    record bad 8 "$title" "no trust bundle (configmap dapr-trust-bundle) in $DAPR_NAMESPACE"
  elif ! printf '%s\n' "$bundle" | openssl x509 -noout -checkend 0 >/dev/null 2>&1; then
    record bad 8 "$title" "the Dapr CA certificate has expired or cannot be read"
  else
    end=$(printf '%s\n' "$bundle" | openssl x509 -noout -enddate | cut -d= -f2)
    if printf '%s\n' "$bundle" | openssl x509 -noout -checkend 2592000 >/dev/null 2>&1; then
      record ok 8 "$title" "sentry ready, mTLS on, CA valid until $end"
    else
      record ok 8 "$title" "sentry ready, mTLS on; WARNING: the CA expires within 30 days ($end)"
    fi
  fi
}

# --- 9. component scopes: another app-id must not see the components -------
check_component_scopes() {
  local title="Dapr component scopes" visible="" component
  if [ -z "$WITH_DAPR" ] || [ "${#COMPONENTS[@]}" -eq 0 ]; then
    record skip 9 "$title" "the spec declares no Dapr components"
    return
  fi
  if ! run_probe scope "$CURL_IMAGE" "$SCOPE_PROBE_SCRIPT" "harden-probe-$(random_suffix)"; then
    record bad 9 "$title" "$PROBE_ERROR"
    return
  fi
  if ! printf '%s\n' "$PROBE_LOGS" | grep -qx 'METADATA-DONE'; then
    record bad 9 "$title" "the probe's sidecar did not answer: $(printf '%s\n' "$PROBE_LOGS" | tail -n 1)"
    return
  fi
  for component in "${COMPONENTS[@]}"; do
    if printf '%s\n' "$PROBE_LOGS" | grep -qxF "COMPONENT $component"; then
      visible="$visible $component"
    fi
  done
  if [ -n "$visible" ]; then
    record bad 9 "$title" "another app-id can use:$visible"
    return
  fi
  if [ -n "$API_PROBE_PATH" ]; then
    check_api_allowlist "another app-id sees none of: ${COMPONENTS[*]}"
  else
    record ok 9 "$title" "another app-id sees none of: ${COMPONENTS[*]}"
  fi
}

# 9, continued: under the app's Configuration, an API the app may not use
# (API_PROBE_PATH, empty when the app may call it) is not routed (Dapr
# answers 404; it has no error code of its own).
check_api_allowlist() {
  local title="Dapr component scopes" scopes=$1 status
  if ! run_probe api "$CURL_IMAGE" "$API_PROBE_SCRIPT" "harden-probe-$(random_suffix)" "$DAPR_CONFIG"; then
    record bad 9 "$title" "$PROBE_ERROR"
    return
  fi
  status=$(printf '%s\n' "$PROBE_LOGS" | sed -n 's/^API-STATUS //p' | head -n 1)
  if [ "$status" = "404" ]; then
    record ok 9 "$title" "$scopes; the API allowlist refuses $API_PROBE_PATH (404)"
  elif [ -z "$status" ]; then
    record bad 9 "$title" "the allowlist probe's sidecar did not answer: $(printf '%s\n' "$PROBE_LOGS" | tail -n 1)"
  else
    record bad 9 "$title" "under Configuration $DAPR_CONFIG, $API_PROBE_PATH answered $status, not 404: the API allowlist does not hold"
  fi
}

# --- 10. audit logging ----------------------------------------------------------
check_api_logging() {
  local title="Dapr API logging" values
  if [ -z "$WITH_DAPR" ]; then
    record skip 10 "$title" "Dapr is not enabled in the spec"
    return
  fi
  if [ -n "$DAPR_API_LOGGING_OFF" ]; then
    # Off on purpose: the rendered pods carry "false", so there is nothing to check.
    record skip 10 "$title" "the spec turns Dapr API logging off (dapr.apiLogging: false)"
    return
  fi
  values=$(k get pods -n "$NAMESPACE" -l "$SELECTOR,!harden.dev/probe" \
    -o jsonpath='{range .items[*]}{.metadata.annotations.dapr\.io/enable-api-logging}{"\n"}{end}' 2>/dev/null || true)
  if [ -z "$values" ]; then
    record bad 10 "$title" "no pod matches $SELECTOR in $NAMESPACE"
  elif printf '%s\n' "$values" | grep -qvx 'true'; then
    record bad 10 "$title" "dapr.io/enable-api-logging is not \"true\" on every pod"
  else
    record ok 10 "$title" "dapr.io/enable-api-logging is \"true\" on every pod"
  fi
}

# --- 13. admission guard: the ValidatingAdmissionPolicies the spec renders
# and their bindings exist, bind the app's namespace, and enforce at least
# the spec's mode (cluster.guard; a namespace several specs share may
# enforce a stricter one). Policies and bindings are cluster-scoped; the
# binding's namespace selector names the app's namespace.
check_admission_guard() {
  local title="admission guard"
  # GUARD_MODE is empty when the guard is off; GUARD_NOT_RENDERED says why
  # none is rendered although it is on.
  if [ -z "$GUARD_MODE" ]; then
    record skip 13 "$title" "the spec turns the admission guard off (cluster.guard: off)"
    return
  fi
  if [ -n "$GUARD_NOT_RENDERED" ]; then
    record skip 13 "$title" "$GUARD_NOT_RENDERED"
    return
  fi
  local name out policy actions namespaces strength found=0 problems=""
  # Deny 3, Warn 2, Audit 1: a binding may enforce the spec's mode or more.
  local wanted=$GUARD_STRENGTH
  for name in ${GUARD_POLICIES[@]+"${GUARD_POLICIES[@]}"}; do
    if ! out=$(k get validatingadmissionpolicy "$name" -o jsonpath='{.metadata.name}' 2>&1); then
      problems="$problems; no ValidatingAdmissionPolicy $name: $(printf '%s\n' "$out" | head -n 1)"
      continue
    fi
    if ! out=$(k get validatingadmissionpolicybinding "$name" \
      -o jsonpath='{.spec.policyName}{"|"}{.spec.validationActions[*]}{"|"}{.spec.matchResources.namespaceSelector.matchExpressions[*].values[*]}' 2>&1); then
      problems="$problems; no ValidatingAdmissionPolicyBinding $name: $(printf '%s\n' "$out" | head -n 1)"
      continue
    fi
    IFS='|' read -r policy actions namespaces <<<"$out"
    if [ "$policy" != "$name" ]; then
      problems="$problems; binding $name binds policy '$policy'"
      continue
    fi
    case " $namespaces " in
      *" $NAMESPACE "*) ;;
      *)
        problems="$problems; binding $name does not select namespace $NAMESPACE (it selects: ${namespaces:-none})"
        continue
        ;;
    esac
    case " $actions " in
      *" Deny "*) strength=3 ;;
      *" Warn "*) strength=2 ;;
      *" Audit "*) strength=1 ;;
      *) strength=0 ;;
    esac
    if [ "$strength" -lt "$wanted" ]; then
      problems="$problems; binding $name enforces '${actions:-nothing}', weaker than the spec's mode $GUARD_MODE ($GUARD_ACTIONS)"
    else
      found=$((found + 1))
    fi
  done
  if [ -n "$problems" ]; then
    record bad 13 "$title" "${problems#; }"
  else
    record ok 13 "$title" "$found policies bound to $NAMESPACE, each enforcing $GUARD_MODE or stricter"
  fi
}

# --- 14. Dapr app token: (a) every app pod's daprd gets APP_API_TOKEN from
# the spec's Secret (the injector adds it from dapr.io/app-token-secret, key
# token: dapr/dapr pkg/injector/patcher/sidecar_container.go;
# AppAPITokenEnvVar in pkg/security/consts/consts.go), read from the pod
# spec; (b) a probe with a declared caller's labels, in its namespace (so
# the NetworkPolicies let it reach the app port), calls the app without the
# dapr-api-token header (APITokenHeader, same consts.go): the app must
# refuse it (401/403). Dapr never checks the token itself: daprd only sends
# it (docs/upstream/dapr-security.md sections 3 and 10). APP_TOKEN_SECRET
# is empty without an app token.
check_app_token() {
  local title="Dapr app token"
  if [ -z "$WITH_DAPR" ]; then
    record skip 14 "$title" "Dapr is not enabled in the spec"
    return
  fi
  if [ -z "$APP_TOKEN_SECRET" ]; then
    record skip 14 "$title" "the spec sets no Dapr app token (dapr.appTokenSecret)"
    return
  fi
  local secrets wrong count status evidence
  if ! secrets=$(k get pods -n "$NAMESPACE" -l "$SELECTOR,!$PROBE_LABEL" \
    -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.containers[?(@.name=="daprd")].env[?(@.name=="APP_API_TOKEN")].valueFrom.secretKeyRef.name}{.spec.initContainers[?(@.name=="daprd")].env[?(@.name=="APP_API_TOKEN")].valueFrom.secretKeyRef.name}{"\n"}{end}' 2>&1); then
    record bad 14 "$title" "cannot list pods: $(printf '%s\n' "$secrets" | head -n 1)"
    return
  fi
  if [ -z "$secrets" ]; then
    record bad 14 "$title" "no pod matches $SELECTOR in $NAMESPACE"
    return
  fi
  count=$(printf '%s\n' "$secrets" | wc -l | tr -d ' ')
  # One line a pod: its name, then the Secret its daprd's APP_API_TOKEN
  # comes from (nothing when there is none).
  wrong=$(printf '%s\n' "$secrets" | awk -v secret="$APP_TOKEN_SECRET" '$2 != secret' | wc -l | tr -d ' ')
  if [ "$wrong" -gt 0 ]; then
    record bad 14 "$title" "$wrong of $count pods' daprd get no APP_API_TOKEN from Secret $APP_TOKEN_SECRET (is dapr.io/app-token-secret on the pods?)"
    return
  fi
  evidence="daprd gets APP_API_TOKEN from Secret $APP_TOKEN_SECRET in all $count pods"
  if [ -z "$TOKEN_CALLER_NAMESPACE" ]; then
    record ok 14 "$title" "$evidence; no declared caller may reach the app port (only daprd calls the app), so no call without the token was tried"
    return
  fi
  if ! token_probe; then
    record bad 14 "$title" "$evidence; $PROBE_ERROR"
    return
  fi
  status=$TOKEN_STATUS
  case "$status" in
    401 | 403) record ok 14 "$title" "$evidence; a call from caller $TOKEN_CALLER_FLOW's pod without the dapr-api-token header was refused ($status)" ;;
    2[0-9][0-9]) record bad 14 "$title" "$evidence; but the app answered $status to a call from caller $TOKEN_CALLER_FLOW's pod without the dapr-api-token header: it does not check the token" ;;
    000 | '') record skip 14 "$title" "$evidence; inconclusive: caller $TOKEN_CALLER_FLOW's pod could not reach $TOKEN_TARGET:$APP_PORT" ;;
    *) record skip 14 "$title" "$evidence; inconclusive: the app answered $status (not 401 or 403) to a call without the token" ;;
  esac
}

# guard_refused: the last probe pod was refused by harden's admission guard
# (in deny mode it lets no pod but the app's take the app's Dapr app-id, and
# no pod but a caller's a caller's). Prints the id of the refusing rule.
guard_refused() {
  local rest
  case "$PROBE_ERROR" in
    *"$GUARD_RULE_PREFIX"*) ;;
    *) return 1 ;;
  esac
  rest=${PROBE_ERROR#*"$GUARD_RULE_PREFIX"}
  printf '%s' "${rest%%:*}"
}

# --- 15. Dapr secret scope: a probe sidecar under the app's app-id and
# Configuration reads a key of the store outside the scope's allowedSecrets
# (secret_probe): Dapr must refuse it before it asks the store.
check_secret_scope() {
  local title="Dapr secret scope"
  if [ -z "$WITH_DAPR" ]; then
    record skip 15 "$title" "Dapr is not enabled in the spec"
    return
  fi
  if [ -z "$DAPR_SECRET_PROBE" ]; then
    record skip 15 "$title" "the app reads no secret through Dapr's secrets API (no secret store component with allowedSecrets)"
    return
  fi
  local rule tried="a read of $SECRET_KEY from store $SECRET_STORE (it allows: ${SECRET_ALLOWED:-nothing}) under app-id $DAPR_APP_ID and Configuration $DAPR_CONFIG"
  if ! secret_probe; then
    if rule=$(guard_refused); then
      record skip 15 "$title" "the admission guard refused the probe under the app's app-id $DAPR_APP_ID (rule $rule): it admits no other pod under that app-id, which is itself a protection; the check runs where cluster.guard is warn or audit, or for an auditor named in cluster.auditors"
    else
      record bad 15 "$title" "$PROBE_ERROR"
    fi
    return
  fi
  case "$SECRET_STATUS $SECRET_CODE" in
    "$SECRET_DENIED_STATUS $SECRET_DENIED_CODE")
      record ok 15 "$title" "$tried was refused ($SECRET_STATUS $SECRET_CODE)"
      ;;
    " ")
      record bad 15 "$title" "the probe's sidecar did not answer: $(printf '%s\n' "$PROBE_LOGS" | tail -n 1)"
      ;;
    "401 $SECRET_STORE_NOT_FOUND_CODE" | "500 $SECRET_STORES_NOT_CONFIGURED_CODE")
      record bad 15 "$title" "$tried: the sidecar has no store $SECRET_STORE ($SECRET_STATUS $SECRET_CODE): is the Component applied and scoped to $DAPR_APP_ID?"
      ;;
    2[0-9][0-9]* | "500 $SECRET_GET_ERROR_CODE")
      record bad 15 "$title" "$tried was passed to the store ($SECRET_STATUS${SECRET_CODE:+ $SECRET_CODE}): the secret scope does not hold"
      ;;
    *)
      record skip 15 "$title" "$tried: inconclusive, answered $SECRET_STATUS${SECRET_CODE:+ $SECRET_CODE}"
      ;;
  esac
}

# --- 16. Dapr per-operation access: a probe sidecar under a declared
# caller's app-id, in its namespace, invokes an operation the caller was
# not given (operation_probe): the app's sidecar must refuse it; one it was
# given must pass the access control (the app answers it, whatever it says).
check_operations() {
  local title="Dapr per-operation access"
  if [ -z "$WITH_DAPR" ]; then
    record skip 16 "$title" "Dapr is not enabled in the spec"
    return
  fi
  if [ -z "$DAPR_OPERATION_PROBE" ]; then
    record skip 16 "$title" "no declared caller is limited to operations (dapr.invokedBy[].operations) a probe can step outside of"
    return
  fi
  local status by evidence rule
  if ! operation_probe; then
    if rule=$(guard_refused); then
      record skip 16 "$title" "the admission guard refused the probe under caller $ACL_CALLER's app-id in namespace $ACL_CALLER_NAMESPACE (rule $rule): it admits no other pod under that app-id, which is itself a protection; the check runs where cluster.guard is warn or audit, or for an auditor named in cluster.auditors"
    else
      record bad 16 "$title" "$PROBE_ERROR"
    fi
    return
  fi
  read -r status by <<<"$ACL_DENIED" || true
  evidence="caller $ACL_CALLER (namespace $ACL_CALLER_NAMESPACE) invoking $ACL_DENIED_CALL on $ACL_TARGET"
  case "$by" in
    acl) ;;
    app)
      record bad 16 "$title" "$evidence was answered by the app ($status): the access control let an operation the caller was not given through"
      return
      ;;
    invoke)
      record skip 16 "$title" "$evidence: inconclusive, the call did not reach the app's sidecar ($status $INVOKE_ERROR_CODE)"
      return
      ;;
    *)
      record bad 16 "$title" "the probe's sidecar did not answer: $(printf '%s\n' "$PROBE_LOGS" | tail -n 1)"
      return
      ;;
  esac
  record ok 16 "$title" "$evidence was refused by the app's access control ($status)$(granted_note)"
}

# --- 17. Dapr workflow access: the app's WorkflowAccessPolicy is in the
# cluster as rendered (scoped to the app-id, admitting exactly the spec's
# callers), and a probe sidecar under the app's app-id loads it (its
# metadata lists it: pkg/api/http/metadata.go @ v1.18.0, v1.18.3; a sidecar
# loads only the policies scoped to its app-id, pkg/internal/loader/
# kubernetes/workflowaccesspolicies.go). A call by an app-id outside the
# policy is not tried: Dapr's public APIs start and signal workflows in
# the caller's own app only (the workflow actor type of its own app-id,
# pkg/runtime/wfengine/backends/actors/actors.go) and refuse the workflow
# actor types on the actors API (ERR_ACTOR_TYPE_RESERVED,
# pkg/api/universal/actors.go @ v1.18.3), so only another app's workflow
# worker (a Dapr SDK) can make one, which a curl probe is not.
check_workflow_access() {
  local title="Dapr workflow access"
  if [ -z "$WITH_DAPR" ]; then
    record skip 17 "$title" "Dapr is not enabled in the spec"
    return
  fi
  if [ -z "$WORKFLOW_POLICY" ]; then
    record skip 17 "$title" "the spec renders no WorkflowAccessPolicy (dapr.workflowCallers, Dapr 1.18)"
    return
  fi
  local policy=$WORKFLOW_POLICY app_id=$DAPR_APP_ID wanted=$WORKFLOW_CALLERS out scopes callers rule
  if ! out=$(k get "$WORKFLOW_POLICY_RESOURCE" "$policy" -n "$NAMESPACE" \
    -o jsonpath='{.scopes[*]}{"|"}{.spec.rules[*].callers[*].appID}' 2>&1); then
    record bad 17 "$title" "no WorkflowAccessPolicy $policy: $(printf '%s\n' "$out" | head -n 1)"
    return
  fi
  IFS='|' read -r scopes callers <<<"$out" || true
  case " $scopes " in
    *" $app_id "*) ;;
    *)
      record bad 17 "$title" "WorkflowAccessPolicy $policy is not scoped to app-id $app_id (scopes: ${scopes:-none}): no sidecar of the app loads it"
      return
      ;;
  esac
  callers=$(printf '%s' "$callers" | tr ' ' '\n' | sed '/^$/d' | LC_ALL=C sort -u | paste -sd ' ' -)
  if [ "$callers" != "$wanted" ]; then
    record bad 17 "$title" "WorkflowAccessPolicy $policy admits callers '${callers}', the spec '${wanted}'"
    return
  fi
  # shellcheck disable=SC2016 # expanded by the probe's shell, not this one
  if ! run_probe workflow "$CURL_IMAGE" "$SIDECAR_WAIT"'
curl -s http://127.0.0.1:3500/v1.0/metadata | sed -n "s/.*\"'"$METADATA_WORKFLOW_POLICIES"'\":\[\([^]]*\)\].*/\1/p" | tr "{}," "\n\n\n" | sed -n "s/^\"name\":\"\(.*\)\"$/POLICY \1/p"
echo "METADATA-DONE"' "$app_id"; then
    if rule=$(guard_refused); then
      record skip 17 "$title" "WorkflowAccessPolicy $policy is in the cluster as rendered (scoped to $app_id, callers '${wanted}'); whether a sidecar loads it was not checked: the admission guard refused the probe under app-id $app_id (rule $rule), as it refuses any pod but the app's under that app-id; the check runs where cluster.guard is warn or audit, or for an auditor named in cluster.auditors"
    else
      record bad 17 "$title" "$PROBE_ERROR"
    fi
    return
  fi
  if ! printf '%s\n' "$PROBE_LOGS" | grep -qx 'METADATA-DONE'; then
    record bad 17 "$title" "the probe's sidecar did not answer: $(printf '%s\n' "$PROBE_LOGS" | tail -n 1)"
  elif ! printf '%s\n' "$PROBE_LOGS" | grep -qxF "POLICY $policy"; then
    record bad 17 "$title" "a sidecar of app-id $app_id does not load WorkflowAccessPolicy $policy (its metadata lists: $(printf '%s\n' "$PROBE_LOGS" | sed -n 's/^POLICY //p' | tr '\n' ' ' | sed 's/ *$//'))"
  else
    record ok 17 "$title" "WorkflowAccessPolicy $policy, scoped to $app_id, admits ${wanted:-no other app}; a sidecar of app-id $app_id loads it (no call by another app-id was tried: only a workflow worker can make one)"
  fi
}

preflight
if [ "$JSON" != "true" ]; then
  echo "Security audit of $APP in namespace $NAMESPACE"
fi
check_cluster_profile
check_dapr_injector
check_service_account
check_rbac
check_default_deny
check_dns
check_secrets_as_files
check_pod_security
check_image_scan
check_dapr_mtls
check_component_scopes
check_api_logging
if [ -n "$UNLISTED_HOST" ]; then
  check_egress_hosts
fi
if [ -n "$IMAGE_POLICY" ]; then
  check_image_signature
fi
check_admission_guard
check_app_token
check_secret_scope
check_operations
check_workflow_access
finish
