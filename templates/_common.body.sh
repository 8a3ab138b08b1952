# Each kubectl call gives up after this long, so a cluster that stops
# answering cannot hang the script.
REQUEST_TIMEOUT=30s
TIMEOUT=90
KEEP_PROBES=false
JSON=false
KUBECTL_ARGS=()

while [ "$#" -gt 0 ]; do
  case "$1" in
    --context | --kubeconfig)
      [ "$#" -ge 2 ] || { echo "error: $1 needs a value" >&2; exit 2; }
      KUBECTL_ARGS+=("$1" "$2")
      shift 2
      ;;
    --namespace)
      [ "$#" -ge 2 ] || { echo "error: $1 needs a value" >&2; exit 2; }
      NAMESPACE=$2
      shift 2
      ;;
    --probe-image)
      [ "$#" -ge 2 ] || { echo "error: $1 needs a value" >&2; exit 2; }
      PROBE_IMAGE=$2
      shift 2
      ;;
    --curl-image)
      [ "$#" -ge 2 ] || { echo "error: $1 needs a value" >&2; exit 2; }
      CURL_IMAGE=$2
      shift 2
      ;;
    --timeout)
      [ "$#" -ge 2 ] || { echo "error: $1 needs a value" >&2; exit 2; }
      case "$2" in
        '' | *[!0-9]*) echo "error: --timeout takes a number of seconds" >&2; exit 2 ;;
      esac
      TIMEOUT=$2
      shift 2
      ;;
    --keep-probes)
      KEEP_PROBES=true
      shift
      ;;
    --json)
      JSON=true
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "error: unknown option '$1' (see --help)" >&2
      exit 2
      ;;
  esac
done

k() {
  kubectl --request-timeout="$REQUEST_TIMEOUT" ${KUBECTL_ARGS[@]+"${KUBECTL_ARGS[@]}"} "$@"
}

# --- results -------------------------------------------------------------------
COUNT_OK=0
COUNT_BAD=0
COUNT_SKIP=0
RESULTS_JSON=()

json_escape() {
  local text=$1
  text=${text//\\/\\\\}
  text=${text//\"/\\\"}
  text=${text//$'\n'/\\n}
  text=${text//$'\r'/\\r}
  text=${text//$'\t'/\\t}
  printf '%s' "$text"
}

# record STATUS ID TITLE EVIDENCE, STATUS being ok, bad or skip.
record() {
  local status=$1 id=$2 title=$3 evidence=$4 label json_status
  case "$status" in
    ok) COUNT_OK=$((COUNT_OK + 1)); label=$LABEL_OK ;;
    bad) COUNT_BAD=$((COUNT_BAD + 1)); label=$LABEL_BAD ;;
    *) COUNT_SKIP=$((COUNT_SKIP + 1)); label=$LABEL_SKIP ;;
  esac
  json_status=$(printf '%s' "$label" | tr '[:upper:]' '[:lower:]')
  RESULTS_JSON+=("{\"id\":\"$(json_escape "$id")\",\"title\":\"$(json_escape "$title")\",\"status\":\"$json_status\",\"evidence\":\"$(json_escape "$evidence")\"}")
  if [ "$JSON" != "true" ]; then
    printf '%-8s %-5s %-40s %s\n' "$label" "$id" "$title" "$evidence"
  fi
}

# finish: prints the summary (or the JSON document) and exits 1 on any bad result.
finish() {
  local total=$((COUNT_OK + COUNT_BAD + COUNT_SKIP)) joined="" item
  if [ "$JSON" = "true" ]; then
    for item in ${RESULTS_JSON[@]+"${RESULTS_JSON[@]}"}; do
      joined="$joined${joined:+,}$item"
    done
    printf '{"script":"%s","app":"%s","namespace":"%s","results":[%s],"summary":{"%s":%d,"%s":%d,"%s":%d,"total":%d}}\n' \
      "$SCRIPT_KIND" "$(json_escape "$APP")" "$(json_escape "$NAMESPACE")" "$joined" \
      "${WORDS[0]}" "$COUNT_OK" "${WORDS[1]}" "$COUNT_BAD" "${WORDS[2]}" "$COUNT_SKIP" "$total"
  else
    echo
    echo "Summary: $COUNT_OK ${WORDS[0]}, $COUNT_BAD ${WORDS[1]}, $COUNT_SKIP ${WORDS[2]} (of $total ${WORDS[3]})"
  fi
  if [ "$COUNT_BAD" -gt 0 ]; then
    exit 1
  fi
  exit 0
}

# --- preflight: can the script run at all? --------------------------------------
preflight() {
  local out
  if ! command -v kubectl >/dev/null 2>&1; then
    echo "error: kubectl is not installed; the $SCRIPT_KIND needs it" >&2
    exit 2
  fi
  if ! out=$(k get namespace "$NAMESPACE" -o name 2>&1); then
    echo "error: cannot read namespace $NAMESPACE: $out" >&2
    exit 2
  fi
  if ! out=$(k auth can-i list pods -n "$NAMESPACE" 2>&1) || [ "$out" != "yes" ]; then
    echo "error: no permission to list pods in $NAMESPACE (kubectl auth can-i: $out)" >&2
    exit 2
  fi
}

# --- probe pods ----------------------------------------------------------------
PROBES=()
PROBE_LOGS=""
PROBE_ERROR=""

# Probes in another namespace (a declared caller's), as NAMESPACE/NAME.
PROBES_ELSEWHERE=()

# shellcheck disable=SC2329 # invoked by the EXIT trap below
cleanup() {
  local probe
  if [ "$KEEP_PROBES" != "true" ] && [ "${#PROBES[@]}" -gt 0 ]; then
    k delete pod -n "$NAMESPACE" "${PROBES[@]}" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  fi
  if [ "$KEEP_PROBES" != "true" ]; then
    for probe in ${PROBES_ELSEWHERE[@]+"${PROBES_ELSEWHERE[@]}"}; do
      k delete pod -n "${probe%%/*}" "${probe#*/}" --ignore-not-found --wait=false >/dev/null 2>&1 || true
    done
  fi
}
trap cleanup EXIT

# interrupted SIGNAL STATUS: an interrupt (Ctrl-C, a CI job cancelled)
# says what was not checked, then exits; the EXIT trap deletes the probes.
# shellcheck disable=SC2329 # invoked by the traps below
interrupted() {
  echo "interrupted by SIG$1 after $((COUNT_OK + COUNT_BAD + COUNT_SKIP)) results: the rest of the $SCRIPT_KIND was not run" >&2
  exit "$2"
}
trap 'interrupted INT 130' INT
trap 'interrupted TERM 143' TERM

random_suffix() {
  od -An -N4 -tx1 /dev/urandom | tr -d ' \n'
}

# run_probe KIND IMAGE SCRIPT [APP_ID [CONFIG [NAMESPACE LABELS]]]
# Runs SCRIPT (sh) in a short-lived pod that carries the app's labels, so the
# app's NetworkPolicies apply to it, with a securityContext that Pod Security
# restricted admits. A readiness gate keeps it out of the app's Service. With
# APP_ID the pod gets a Dapr sidecar under that app-id. With NAMESPACE and
# LABELS (key=value,...) it runs there with those labels instead (a declared
# caller's pod). Sets PROBE_LOGS, or PROBE_ERROR and returns 1 when the probe
# could not run.
run_probe() {
  local kind=$1 image=$2 script=$3 app_id=${4:-} config=${5:-} namespace=${6:-$NAMESPACE} name out deadline exit_code annotations="" label labels
  labels=$APP_LABEL_YAML
  if [ -n "${7+set}" ]; then
    labels=""
    while IFS= read -r label; do
      [ -n "$label" ] || continue
      labels="$labels${labels:+
}    ${label%%=*}: \"$(json_escape "${label#*=}")\""
    done < <(printf '%s\n' "$7" | tr ',' '\n')
  fi
  name="harden-probe-$kind-$(random_suffix)"
  PROBE_LOGS=""
  PROBE_ERROR=""
  if [ -n "$app_id" ]; then
    annotations="    dapr.io/enabled: \"true\"
    dapr.io/app-id: \"$(json_escape "$app_id")\"
    dapr.io/sidecar-seccomp-profile-type: \"RuntimeDefault\"
    dapr.io/enable-api-logging: \"true\""
    if [ -n "$config" ]; then
      # The sidecar runs under this Dapr Configuration (the app's).
      annotations="$annotations
    dapr.io/config: \"$(json_escape "$config")\""
    fi
  fi
  # Listed for the cleanup before it is created: an interrupt may come while
  # kubectl creates it (the delete ignores a pod that is not there).
  if [ "$namespace" = "$NAMESPACE" ]; then
    PROBES+=("$name")
  else
    PROBES_ELSEWHERE+=("$namespace/$name")
  fi
  if ! out=$(k apply -n "$namespace" -f - 2>&1 <<PROBE
apiVersion: v1
kind: Pod
metadata:
  name: "$name"
  labels:
$labels
    harden.dev/probe: "$kind"
  annotations:
    harden.dev/probe: "true"
$annotations
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  enableServiceLinks: false
  readinessGates:
    - conditionType: "harden.dev/never-ready"
  securityContext:
    runAsNonRoot: true
    runAsUser: 65534
    runAsGroup: 65534
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: probe
      image: "$(json_escape "$image")"
      command: ["sh", "-c", "$(json_escape "$script")"]
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities:
          drop: ["ALL"]
      resources:
        requests: {cpu: 10m, memory: 16Mi}
        limits: {cpu: 100m, memory: 64Mi}
PROBE
  ); then
    PROBE_ERROR="probe pod refused: $(printf '%s' "$out" | tail -n 1)"
    return 1
  fi
  deadline=$((SECONDS + TIMEOUT))
  exit_code=""
  while [ "$SECONDS" -lt "$deadline" ]; do
    if ! exit_code=$(k get pod -n "$namespace" "$name" \
      -o jsonpath='{.status.containerStatuses[?(@.name=="probe")].state.terminated.exitCode}' 2>&1); then
      PROBE_ERROR="cannot read the state of probe $name: $(printf '%s\n' "$exit_code" | tail -n 1)"
      return 1
    fi
    if [ -n "$exit_code" ]; then
      break
    fi
    sleep 2
  done
  if [ -z "$exit_code" ]; then
    PROBE_ERROR="probe $name did not finish within ${TIMEOUT}s"
    return 1
  fi
  PROBE_LOGS=$(k logs -n "$namespace" "$name" -c probe 2>&1 || true)
  return 0
}

# The start of every script of a probe with a Dapr sidecar: wait until the
# sidecar is ready (or say it never was).
# shellcheck disable=SC2016 # expanded by the probe's shell, not this one
SIDECAR_WAIT='i=0
until [ "$(curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:3500/v1.0/healthz/outbound)" = "204" ]; do
  i=$((i + 1))
  if [ "$i" -gt 40 ]; then echo "SIDECAR-NOT-READY"; exit 0; fi
  sleep 2
done'

# The Dapr metadata of a probe sidecar running under another app-id: the
# components that app-id can use. Prints one "COMPONENT <name>" line each.
# shellcheck disable=SC2016 # expanded by the probe's shell, not this one
SCOPE_PROBE_SCRIPT="$SIDECAR_WAIT"'
curl -s http://127.0.0.1:3500/v1.0/metadata | tr "{}," "\n\n\n" | sed -n "s/^\"name\":\"\(.*\)\"$/COMPONENT \1/p"
echo "METADATA-DONE"'

# The sidecar's API allowlist: a probe sidecar under the app's Configuration
# calls an API the app may not use (API_PROBE_PATH, empty when it may use
# every one), which Dapr does not route (404; Dapr has no error code of its
# own for it: docs/upstream/dapr-security.md section 10).
# shellcheck disable=SC2016,SC2034 # expanded by the probe's shell; read by the scripts' allowlist check
if [ -n "$API_PROBE_PATH" ]; then
  API_PROBE_SCRIPT="$SIDECAR_WAIT"'
echo "API-STATUS $(curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:3500'"$API_PROBE_PATH"')"'
fi

# The Dapr probes below are called only when their variables are set (the
# spec has an app token, a secret probe, an operation probe): a script
# without the check that reads a probe's results leaves them unread.

# token_probe: from a probe pod with the first declared caller's labels, in
# its namespace (the NetworkPolicies let it reach the app port), calls the
# app's first pod on its port without the dapr-api-token header. Sets
# TOKEN_TARGET and TOKEN_STATUS (the HTTP code, 000 when it did not
# connect), or PROBE_ERROR and returns 1.
TOKEN_TARGET=''
# shellcheck disable=SC2034 # read by the scripts' app-token check
TOKEN_STATUS=''
# shellcheck disable=SC2034,SC2329 # called, and its results read, by the scripts' app-token check
token_probe() {
  TOKEN_STATUS=""
  TOKEN_TARGET=$(k get pods -n "$NAMESPACE" -l "$APP_PODS_SELECTOR" -o jsonpath='{.items[0].status.podIP}' 2>/dev/null || true)
  if [ -z "$TOKEN_TARGET" ]; then
    PROBE_ERROR="no running pod of $APP to call"
    return 1
  fi
  # shellcheck disable=SC2016 # expanded by the probe's shell, not this one
  run_probe token "$CURL_IMAGE" 'tokencall() { echo "TOKEN-STATUS $(curl -s -o /dev/null -m 10 -w "%{http_code}" "http://$1:$2/")"; }; tokencall '"$TOKEN_TARGET $APP_PORT" \
    "" "" "$TOKEN_CALLER_NAMESPACE" "$TOKEN_CALLER_LABELS" || return 1
  TOKEN_STATUS=$(printf '%s\n' "$PROBE_LOGS" | sed -n 's/^TOKEN-STATUS //p' | head -n 1)
}

# secret_probe: the app's secret scope (audit check 15, scenario 6.3). A
# probe sidecar under the app's own app-id (the store Component is scoped
# to it, so the sidecar loads it) and its Configuration (which holds the
# scope) reads a key the scope does not allow, through Dapr's secrets API
# (GET /v1.0/secrets/STORE/KEY: dapr/dapr pkg/api/http/secrets.go). Dapr
# looks the store up, then the scope, and asks the store only for an
# allowed key (pkg/api/universal/secrets.go): outside the scope it answers
# with its permission-denied status and error code (pkg/messages/
# predefined.go). The probe has no app port, so its sidecar has no app
# channel: it reads no input binding and subscribes to nothing of the
# app's (pkg/runtime/channels/channels.go, pkg/runtime/runtime.go @
# v1.18.3). Sets SECRET_STATUS and SECRET_CODE (the HTTP status and Dapr's
# errorCode), or PROBE_ERROR and returns 1. The store and key are
# validated names (no shell syntax).
# shellcheck disable=SC2034 # read by the scripts' secret-scope check
SECRET_STATUS=''
# shellcheck disable=SC2034 # read by the scripts' secret-scope check
SECRET_CODE=''
# shellcheck disable=SC2034,SC2329 # called, and its results read, by the scripts' secret-scope check
secret_probe() {
  SECRET_STATUS=""
  SECRET_CODE=""
  # shellcheck disable=SC2016 # expanded by the probe's shell, not this one
  run_probe secret "$CURL_IMAGE" "$SIDECAR_WAIT"'
secretcall() {
  out=$(curl -s -m 10 -w "\n%{http_code}" "http://127.0.0.1:3500/v1.0/secrets/$1/$2")
  echo "SECRET-STATUS $(printf "%s\n" "$out" | tail -n 1) $(printf "%s" "$out" | sed -n "s/.*\"errorCode\":\"\([A-Z_]*\)\".*/\1/p" | head -n 1)"
}
secretcall '"$SECRET_STORE $SECRET_KEY" "$DAPR_APP_ID" "$DAPR_CONFIG" || return 1
  read -r SECRET_STATUS SECRET_CODE <<<"$(printf '%s\n' "$PROBE_LOGS" | sed -n 's/^SECRET-STATUS //p' | head -n 1)" || true
}

# operation_probe: per-operation access (audit check 16, scenario 6.4). A
# probe sidecar under a declared caller's app-id, in its namespace (so the
# app's access control knows it by its SPIFFE id), invokes the app: first
# an operation the caller was not given, then (when it was given one
# without a wildcard) one it was. The app's sidecar refuses the first with
# gRPC PermissionDenied (pkg/api/grpc/daprinternal.go, pkg/acl/acl.go),
# which the caller's sidecar answers with its permission-denied status,
# INVOKE_ERROR_CODE and a message starting with ACL_DENIED_MESSAGE
# (pkg/api/http/directmessaging.go); any other failure to reach the app is
# INVOKE_ERROR_CODE too, and an answer without it is the app's own. Sets
# ACL_DENIED and ACL_GRANTED to "STATUS acl|invoke|app" (who answered), or
# PROBE_ERROR and returns 1. Paths, verbs and app-ids are validated (no
# shell syntax). The probe carries ACL_CALLER_LABELS: a caller namespace
# under default deny may let it out.
# shellcheck disable=SC2034 # read by the scripts' operation check
ACL_DENIED=''
ACL_GRANTED=''
# shellcheck disable=SC2034,SC2329 # called, and its results read, by the scripts' operation check
operation_probe() {
  local calls="invokecall denied $ACL_TARGET $ACL_DENIED_CALL"
  ACL_DENIED=""
  ACL_GRANTED=""
  if [ -n "$ACL_GRANTED_CALL" ]; then
    calls="$calls
invokecall granted $ACL_TARGET $ACL_GRANTED_CALL"
  fi
  # shellcheck disable=SC2016 # expanded by the probe's shell, not this one
  run_probe acl "$CURL_IMAGE" "$SIDECAR_WAIT"'
invokecall() {
  out=$(curl -s -m 10 -X "$3" -w "\n%{http_code}" "http://127.0.0.1:3500/v1.0/invoke/$2/method$4")
  case "$out" in
    *"'"$ACL_DENIED_MESSAGE"'"*) by=acl ;;
    *'"$INVOKE_ERROR_CODE"'*) by=invoke ;;
    *) by=app ;;
  esac
  echo "INVOKE $1 $(printf "%s\n" "$out" | tail -n 1) $by"
}
'"$calls" "$ACL_CALLER" "" "$ACL_CALLER_NAMESPACE" "$ACL_CALLER_LABELS" || return 1
  ACL_DENIED=$(printf '%s\n' "$PROBE_LOGS" | sed -n 's/^INVOKE denied //p' | head -n 1)
  ACL_GRANTED=$(printf '%s\n' "$PROBE_LOGS" | sed -n 's/^INVOKE granted //p' | head -n 1)
}

# granted_note: what became of the granted call, for the evidence (empty
# when none was made).
# shellcheck disable=SC2329 # called by the scripts' operation check
granted_note() {
  local status by
  [ -n "$ACL_GRANTED_CALL" ] || return 0
  read -r status by <<<"$ACL_GRANTED" || true
  case "$by" in
    app) printf '; the granted %s passed it (the app answered %s)' "$ACL_GRANTED_CALL" "$status" ;;
    acl) printf '; WARNING: the granted %s was refused too (is the path as the app serves it?)' "$ACL_GRANTED_CALL" ;;
    *) printf '; the granted %s did not reach the app (%s)' "$ACL_GRANTED_CALL" "${status:-no answer}" ;;
  esac
}
