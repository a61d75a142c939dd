/**
 * A STAND-IN for a k3s runtime folder (the k3s binary and get.k3s.io's
 * install.sh), for tests only: there is no k3s binary on these machines
 * (DESIGN.md §4). It follows the real interface the station's join code
 * drives (https://docs.k3s.io/installation/configuration,
 * https://docs.k3s.io/cli/server, https://docs.k3s.io/cli/agent) and
 * registers its node with the Kubernetes API stand-in
 * (test/support/kube-stand-in.ts) through that stand-in's plain-HTTP
 * registration listener, since the box has no curl: bash's /dev/tcp is all
 * it uses.
 *
 * `k3s` is an x86_64 ELF (the catalog checks the binary's architecture and
 * version string): a small C program, built with the system gcc, that prints
 * the version for --version and otherwise runs the embedded bash script as
 * `bash -c SCRIPT k3s ARGS…`. `install.sh` is a POSIX sh stand-in for
 * get.k3s.io that behaves like it for an air-gapped install and records how
 * it was called.
 *
 * Test knobs (environment): K3S_STANDIN_ROOT prefixes every path the two
 * scripts touch (so they run unprivileged on this machine);
 * K3S_STANDIN_RETRY_SECONDS (default 2) spaces registration retries;
 * K3S_STANDIN_EXIT_AFTER_START=1 makes k3s exit 0 once registered instead
 * of staying in the foreground; K3S_STANDIN_HOSTNAME replaces the kernel's
 * host name. install.sh keeps K3S_STANDIN_* out of the unit's environment
 * file and out of its record.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { K3S_VERSION, TEST_STATE_DIR } from './installer-bundle';

export interface K3sStandInOptions {
  /** The registration listener as the box reaches it: HOST:PORT (KubeStandIn.registrationUrl's host and port, or a forward to it). */
  registration: string;
  /** Default: installer-bundle's K3S_VERSION. */
  version?: string;
}

export interface K3sStandInFiles {
  /** <dir>/k3s, the ELF wrapper. */
  k3s: string;
  /** <dir>/install.sh, the get.k3s.io stand-in. */
  installScript: string;
  /** The bash script the wrapper runs (for tests that run it directly). */
  script: string;
}

/**
 * The k3s stand-in's `server` / `agent` mode, as bash.
 *
 * Settings, lowest precedence first: /etc/rancher/k3s/config.yaml (or
 * --config / K3S_CONFIG_FILE), the K3S_URL / K3S_TOKEN / K3S_TOKEN_FILE /
 * K3S_NODE_NAME environment (the unit's EnvironmentFile), the flags. A scalar
 * set later wins; node labels add up, as k3s puts the config file's values
 * before the command line's. Then, as k3s does at start:
 *   - refuses an agent without a server URL or a token, a joining server
 *     without a token, a server URL that is not https://;
 *   - a server: fetches the kubeconfig (server https://127.0.0.1:6443) into
 *     /etc/rancher/k3s/k3s.yaml (write-kubeconfig-mode, default 0600) and
 *     writes the token to /var/lib/rancher/k3s/server/{token,node-token} as
 *     K10<sha256 of the server CA>::server:<token> (a random token when none
 *     was given);
 *   - POSTs its Node to the registration listener, every
 *     K3S_STANDIN_RETRY_SECONDS until it answers 201 or 409;
 *   - records what it resolved in /var/lib/edgeforge-test/k3s-run.env;
 *   - stays in the foreground, so the unit stays active; SIGTERM ends it.
 * It logs to stderr (the journal) in k3s's logrus format.
 */
export function k3sStandInScript(opts: K3sStandInOptions): string {
  const version = opts.version ?? K3S_VERSION;
  if (!/^[^\s:'"]+:\d+$/.test(opts.registration)) throw new Error(`registration must be HOST:PORT, not ${opts.registration}`);
  return String.raw`# k3s STAND-IN (EdgeForge tests, test/lab/k3s-stand-in.ts): server and agent
# register a Node with the Kubernetes API stand-in over plain HTTP (/dev/tcp).
set -u
export LC_ALL=C
ROOT="${'$'}{K3S_STANDIN_ROOT:-}"
REGISTRATION='${opts.registration}'
VERSION='${version}'
STATE_DIR="$ROOT${TEST_STATE_DIR}"
RETRY="${'$'}{K3S_STANDIN_RETRY_SECONDS:-2}"

log() { printf 'time="%s" level=%s msg="%s"\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$2" >&2; }
info() { log info "$*"; }
warn() { log warning "$*"; }
fatal() { log fatal "$*"; exit 1; }

mode="${'$'}{1:-}"
[ $# -gt 0 ] && shift
case "$mode" in
  server | agent) ;;
  --version | -v | version) printf 'k3s version %s (edgeforge test stand-in)\n' "$VERSION"; exit 0 ;;
  '') fatal "k3s stand-in: no command given; the stand-in implements 'server' and 'agent'" ;;
  *) fatal "k3s stand-in: the command '$mode' is not implemented (only 'server' and 'agent' are)" ;;
esac

# systemd stops the unit with SIGTERM to this process only (KillMode=process): end the children too.
# Further TERMs are ignored while it does: bash 5.2 re-entering this trap as it exits crashes (SIGSEGV).
trap 'trap "" TERM INT; info "Received SIGTERM, shutting down"; kill $(jobs -p) 2>/dev/null; exit 0' TERM INT

node_name='' node_ip='' token='' server='' cluster_init='' kube_mode='0600'
labels=()
node_args=("$mode")

redact() { if [ "$1" = token ] || [ "$1" = agent-token ]; then printf '********'; else printf '%s' "$2"; fi; }

setting() {
  case "$1" in
    node-name) node_name="$2" ;;
    node-ip) node_ip="${'$'}{2%%,*}" ;;
    token) token="$2" ;;
    token-file) token="$(cat "$ROOT$2" 2>/dev/null)" || fatal "cannot read the token file $2" ;;
    server) server="$2" ;;
    cluster-init)
      case "$2" in
        true) cluster_init=true ;;
        false) cluster_init='' ;;
        *) fatal "cluster-init: '$2' is neither true nor false" ;;
      esac
      ;;
    node-label) labels+=("$2") ;;
    write-kubeconfig-mode) kube_mode="$2" ;;
    config | data-dir) ;;
    *) info "stand-in: $1 accepted, not implemented" ;;
  esac
}

unquote() {
  local v="$1"
  v="${'$'}{v%"${'$'}{v##*[![:space:]]}"}"
  if [[ $v =~ ^\"(.*)\"$ ]]; then
    v="${'$'}{BASH_REMATCH[1]}"
    v="${'$'}{v//\\\"/\"}"
    v="${'$'}{v//\\\\/\\}"
  elif [[ $v =~ ^\'(.*)\'$ ]]; then
    v="${'$'}{BASH_REMATCH[1]}"
    v="${'$'}{v//"''"/"'"}"
  else
    v="${'$'}{v%% #*}"
  fi
  printf '%s' "$v"
}

from_config() {
  setting "$1" "$2"
  if [ "$1" = cluster-init ]; then
    [ "$2" = true ] && node_args+=("--cluster-init")
  else
    node_args+=("--$1" "$(redact "$1" "$2")")
  fi
}

# The subset of YAML k3s config files use: "key: value", "key:" then "- item" lines, "key: [a, b]".
read_config() {
  local file="$1" line key='' val item
  [ -f "$file" ] || return 0
  info "reading the config file $file"
  while IFS= read -r line || [ -n "$line" ]; do
    line="${'$'}{line%$'\r'}"
    [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
    if [[ $line =~ ^[[:space:]]*-[[:space:]]+(.*)$ ]]; then
      [ -n "$key" ] || fatal "$file: a list item without a key: $line"
      from_config "$key" "$(unquote "${'$'}{BASH_REMATCH[1]}")"
      continue
    fi
    if [[ $line =~ ^([A-Za-z0-9_-]+)[[:space:]]*:[[:space:]]*(.*)$ ]]; then
      key="${'$'}{BASH_REMATCH[1]}"
      val="${'$'}{BASH_REMATCH[2]}"
      [ -z "$val" ] && continue
      if [[ $val =~ ^\[(.*)\]$ ]]; then
        IFS=',' read -ra items <<<"${'$'}{BASH_REMATCH[1]}"
        for item in "${'$'}{items[@]}"; do
          item="${'$'}{item#"${'$'}{item%%[![:space:]]*}"}"
          [ -n "$item" ] && from_config "$key" "$(unquote "$item")"
        done
      else
        from_config "$key" "$(unquote "$val")"
      fi
      key=''
      continue
    fi
    fatal "$file: cannot parse the line: $line"
  done <"$file"
}

config_file="$ROOT/etc/rancher/k3s/config.yaml"
[ -n "${'$'}{K3S_CONFIG_FILE:-}" ] && config_file="$ROOT$K3S_CONFIG_FILE"
for ((i = 1; i <= $#; i++)); do
  case "${'$'}{!i}" in
    --config | -c) j=$((i + 1)); config_file="$ROOT${'$'}{!j:-}" ;;
    --config=*) v="${'$'}{!i}"; config_file="$ROOT${'$'}{v#--config=}" ;;
  esac
done
read_config "$config_file"

# The unit's EnvironmentFile (install.sh writes K3S_URL and K3S_TOKEN there).
[ -n "${'$'}{K3S_URL:-}" ] && server="$K3S_URL"
[ -n "${'$'}{K3S_TOKEN:-}" ] && token="$K3S_TOKEN"
[ -n "${'$'}{K3S_TOKEN_FILE:-}" ] && setting token-file "$K3S_TOKEN_FILE"
[ -n "${'$'}{K3S_NODE_NAME:-}" ] && node_name="$K3S_NODE_NAME"

BOOL_FLAGS=' cluster-init disable-agent disable-cloud-controller disable-kube-proxy disable-network-policy disable-helm-controller disable-scheduler disable-apiserver disable-etcd disable-controller-manager secrets-encryption selinux rootless prefer-bundled-bin embedded-registry debug protect-kernel-defaults docker '
while [ $# -gt 0 ]; do
  arg="$1"
  shift
  val=''
  has_val=''
  case "$arg" in
    --*=*) key="${'$'}{arg%%=*}"; key="${'$'}{key#--}"; val="${'$'}{arg#*=}"; has_val=1 ;;
    --*) key="${'$'}{arg#--}" ;;
    -t) key=token ;;
    -s) key=server ;;
    -c) key=config ;;
    -d) key=data-dir ;;
    -l) key=node-label ;;
    *) fatal "Incorrect Usage: unexpected argument '$arg'" ;;
  esac
  if [[ $BOOL_FLAGS == *" $key "* ]]; then
    [ -n "$has_val" ] || val=true
    setting "$key" "$val"
    [ "$val" = true ] && node_args+=("--$key")
    continue
  fi
  if [ -z "$has_val" ]; then
    [ $# -gt 0 ] || fatal "Incorrect Usage: flag needs an argument: --$key"
    val="$1"
    shift
  fi
  setting "$key" "$val"
  node_args+=("--$key" "$(redact "$key" "$val")")
done

if [ -n "$server" ]; then
  case "$server" in https://*) ;; *) fatal "--server must be an https:// URL (have $server)" ;; esac
fi
if [ "$mode" = agent ]; then
  [ -n "$server" ] || fatal "--server (K3S_URL) is required to run an agent"
  [ -n "$token" ] || fatal "--token (K3S_TOKEN) is required to join $server"
elif [ -n "$server" ]; then
  [ -n "$token" ] || fatal "--token (K3S_TOKEN) is required to join the server $server"
  [ -n "$cluster_init" ] && warn "--cluster-init is ignored when joining the server $server"
fi

hostname_now="${'$'}{K3S_STANDIN_HOSTNAME:-$(cat /proc/sys/kernel/hostname 2>/dev/null || printf '%s' "${'$'}{HOSTNAME:-localhost}")}"
[ -n "$node_name" ] || node_name="$(printf '%s' "$hostname_now" | tr 'A-Z' 'a-z')"
[[ $node_name =~ ^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$ ]] ||
  fatal "the node name '$node_name' is not a lowercase RFC 1123 name; set node-name or fix the host name"
if [ -z "$node_ip" ]; then
  node_ip="$(ip -4 -o route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')"
  [ -n "$node_ip" ] || node_ip="$(ip -4 -o addr show scope global 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')"
  [ -n "$node_ip" ] || node_ip=127.0.0.1
fi

js() {
  local s="$1"
  s="${'$'}{s//\\/\\\\}"
  s="${'$'}{s//\"/\\\"}"
  s="${'$'}{s//$'\t'/\\t}"
  s="${'$'}{s//$'\n'/\\n}"
  s="${'$'}{s//$'\r'/\\r}"
  printf '"%s"' "$s"
}

# Labels in the order a real node shows them; later ones replace earlier ones.
declare -A label_value=()
label_keys=()
add_label() {
  [[ -v "label_value[$1]" ]] || label_keys+=("$1")
  label_value["$1"]="$2"
}
case "$(uname -m)" in aarch64 | arm64) arch=arm64 ;; *) arch=amd64 ;; esac
add_label beta.kubernetes.io/arch "$arch"
add_label beta.kubernetes.io/instance-type k3s
add_label beta.kubernetes.io/os linux
add_label kubernetes.io/arch "$arch"
add_label kubernetes.io/hostname "$node_name"
add_label kubernetes.io/os linux
add_label node.kubernetes.io/instance-type k3s
if [ "$mode" = server ]; then
  add_label node-role.kubernetes.io/control-plane true
  add_label node-role.kubernetes.io/master true
  if [ -n "$cluster_init" ] || [ -n "$server" ]; then add_label node-role.kubernetes.io/etcd true; fi
fi
for l in "${'$'}{labels[@]}"; do
  [[ $l == *=* ]] || fatal "node-label '$l' is not key=value"
  add_label "${'$'}{l%%=*}" "${'$'}{l#*=}"
done

# HTTP/1.1 over bash's /dev/tcp: sets http_status and http_body; returns 1 when the listener cannot be reached.
http_request() {
  local method="$1" request_path="$2" body="${'$'}{3:-}" auth='' line
  http_status='' http_body=''
  [ -n "$token" ] && auth="Authorization: Bearer $token"$'\r\n'
  { exec 3<>"/dev/tcp/${'$'}{REGISTRATION%:*}/${'$'}{REGISTRATION##*:}"; } 2>/dev/null || return 1
  printf '%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: k3s-stand-in/%s\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$method" "$request_path" "$REGISTRATION" "$VERSION" "$auth" "${'$'}{#body}" "$body" >&3
  if ! IFS= read -r -t 15 line <&3; then
    exec 3<&-
    return 1
  fi
  http_status="$(printf '%s' "$line" | awk '{ print $2 }')"
  while IFS= read -r -t 15 line <&3; do
    line="${'$'}{line%$'\r'}"
    [ -z "$line" ] && break
  done
  http_body="$(timeout 15 cat <&3)"
  exec 3<&-
  return 0
}

if [ "$mode" = server ]; then
  until http_request GET /standin/kubeconfig && [ "$http_status" = 200 ]; do
    warn "cannot fetch the kubeconfig from the API stand-in at $REGISTRATION (${'$'}{http_status:-no answer}); retrying in $RETRY s"
    sleep "$RETRY"
  done
  mkdir -p "$ROOT/etc/rancher/k3s"
  (umask 077 && printf '%s\n' "$http_body" >"$ROOT/etc/rancher/k3s/.k3s.yaml.tmp") &&
    chmod "$kube_mode" "$ROOT/etc/rancher/k3s/.k3s.yaml.tmp" &&
    mv -f "$ROOT/etc/rancher/k3s/.k3s.yaml.tmp" "$ROOT/etc/rancher/k3s/k3s.yaml" || fatal "cannot write /etc/rancher/k3s/k3s.yaml"
  info "Wrote kubeconfig /etc/rancher/k3s/k3s.yaml"
  token_kind=given
  if [ -z "$token" ]; then
    token="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    token_kind=generated
  fi
  if [[ $token == K10* ]]; then
    full_token="$token"
  else
    ca_hash="$(printf '%s\n' "$http_body" | sed -n 's/^ *certificate-authority-data: *//p' | base64 -d | sha256sum | cut -d' ' -f1)"
    full_token="K10$ca_hash::server:$token"
  fi
  mkdir -p "$ROOT/var/lib/rancher/k3s/server"
  for f in token node-token; do
    (umask 077 && printf '%s\n' "$full_token" >"$ROOT/var/lib/rancher/k3s/server/$f") || fatal "cannot write /var/lib/rancher/k3s/server/$f"
  done
fi

node_args_json="["
for a in "${'$'}{node_args[@]}"; do node_args_json+="$(js "$a"),"; done
node_args_json="${'$'}{node_args_json%,}]"
labels_json=''
for k in "${'$'}{label_keys[@]}"; do labels_json+="$(js "$k"):$(js "${'$'}{label_value[$k]}"),"; done
os_image="$(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release 2>/dev/null)"
memory_kib="$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo 2>/dev/null)"
body="{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":$(js "$node_name"),\"labels\":{${'$'}{labels_json%,}},\"annotations\":{"
body+="\"k3s.io/hostname\":$(js "$hostname_now"),\"k3s.io/internal-ip\":$(js "$node_ip"),\"k3s.io/node-args\":$(js "$node_args_json"),"
body+="\"node.alpha.kubernetes.io/ttl\":\"0\",\"volumes.kubernetes.io/controller-managed-attach-detach\":\"true\"}},"
body+="\"spec\":{},\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":$(js "$node_ip")},{\"type\":\"Hostname\",\"address\":$(js "$node_name")}],"
body+="\"capacity\":{\"cpu\":$(js "$(nproc 2>/dev/null || echo 1)"),\"memory\":$(js "${'$'}{memory_kib:-0}Ki"),\"pods\":\"110\"},"
body+="\"nodeInfo\":{\"architecture\":$(js "$arch"),\"operatingSystem\":\"linux\",\"osImage\":$(js "${'$'}{os_image:-Linux}"),"
body+="\"kernelVersion\":$(js "$(uname -r)"),\"containerRuntimeVersion\":\"containerd://1.7.17-k3s1 (stand-in)\","
body+="\"kubeletVersion\":$(js "$VERSION"),\"kubeProxyVersion\":$(js "$VERSION"),"
body+="\"machineID\":$(js "$(cat /etc/machine-id 2>/dev/null)"),\"bootID\":$(js "$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)"),"
body+="\"systemUUID\":$(js "$(cat /sys/class/dmi/id/product_uuid 2>/dev/null)")}}}"

mkdir -p "$STATE_DIR"
{
  printf 'K3S_STANDIN_MODE=%s\n' "$mode"
  printf 'K3S_STANDIN_NODE_NAME=%s\n' "$node_name"
  printf 'K3S_STANDIN_NODE_IP=%s\n' "$node_ip"
  printf 'K3S_STANDIN_SERVER=%s\n' "$server"
  printf 'K3S_STANDIN_CLUSTER_INIT=%s\n' "${'$'}{cluster_init:-false}"
  printf 'K3S_STANDIN_TOKEN=%s\n' "$([ -n "$token" ] && printf '<%s>' "${'$'}{token_kind:-set}")"
  printf 'K3S_STANDIN_LABELS=%s\n' "${'$'}{labels[*]}"
  printf 'K3S_STANDIN_NODE_ARGS=%s\n' "$node_args_json"
} >"$STATE_DIR/k3s-run.env"

info "Starting k3s $mode $VERSION (EdgeForge stand-in) as node $node_name ($node_ip)"
until http_request POST /api/v1/nodes "$body" && { [ "$http_status" = 201 ] || [ "$http_status" = 409 ]; }; do
  if [ -n "$http_status" ]; then
    warn "registering node $node_name was refused: HTTP $http_status $http_body; retrying in $RETRY s"
  else
    warn "cannot reach the API stand-in at $REGISTRATION to register node $node_name; retrying in $RETRY s"
  fi
  sleep "$RETRY"
done
if [ "$http_status" = 201 ]; then info "Registered node $node_name"; else info "Node $node_name was already registered"; fi

[ "${'$'}{K3S_STANDIN_EXIT_AFTER_START:-}" = 1 ] && exit 0
while :; do
  sleep 3600 &
  wait $!
done
`;
}

/**
 * The get.k3s.io stand-in, POSIX sh. Like the real script, air-gapped
 * (INSTALL_K3S_SKIP_DOWNLOAD=true, which this one requires):
 *   - the command is INSTALL_K3S_EXEC then the arguments; without one, agent
 *     when K3S_URL is set (then K3S_TOKEN or K3S_TOKEN_FILE is required),
 *     server otherwise; K3S_URL must be https://;
 *   - the unit is k3s.service for a server, k3s-<command>.service otherwise
 *     (INSTALL_K3S_NAME: k3s-<name>), written to /etc/systemd/system with
 *     ExecStart=/usr/local/bin/k3s <command> <quoted args, one per line>, its
 *     environment file <unit>.env (mode 0600) holding every K3S_* variable,
 *     Restart=always, and Type=simple by default (the real script's notify
 *     would wait for a READY=1 the stand-in never sends; INSTALL_K3S_TYPE
 *     still overrides it);
 *   - symlinks kubectl/crictl/ctr, k3s-killall.sh and <unit>-uninstall.sh;
 *   - `systemctl disable` of the unit first; unless INSTALL_K3S_SKIP_ENABLE:
 *     `systemctl enable <unit file>` and `systemctl daemon-reload`; unless
 *     INSTALL_K3S_SKIP_START too: `systemctl restart <unit>` — but only when
 *     the binary, unit or environment file changed, or
 *     INSTALL_K3S_FORCE_RESTART=true ("No change detected so skipping service
 *     start", as the real script says). SKIP_ENABLE skips the start as well.
 * It records `env | grep ^INSTALL_K3S_ | sort` plus the K3S_* variables (the
 * token as K3S_TOKEN=<set>) in /var/lib/edgeforge-test/k3s-install.env, and
 * appends each run to k3s-install.history there.
 */
export function k3sInstallStandInScript(): string {
  return (
    String.raw`#!/bin/sh
# STAND-IN for the k3s install script (get.k3s.io), for EdgeForge tests only
# (test/lab/k3s-stand-in.ts). It installs air-gapped as the real one does:
# it checks the binary, writes the unit and its environment file, and enables
# and starts the unit through systemctl, honouring the same INSTALL_K3S_* and
# K3S_* variables. It also records how it was called.
set -e
set -o noglob

ROOT="${'$'}{K3S_STANDIN_ROOT:-}"
STATE_DIR="$ROOT${TEST_STATE_DIR}"

info() { echo '[INFO] ' "$@"; }
warn() { echo '[WARN] ' "$@" >&2; }
fatal() {
  echo '[ERROR] ' "$@" >&2
  exit 1
}

# --- the record the tests read ---
mkdir -p "$STATE_DIR"
{
  env | grep '^INSTALL_K3S_' | sort
  env | grep '^K3S_' | grep -v '^K3S_STANDIN_' | sed 's/^K3S_TOKEN=.*/K3S_TOKEN=<set>/' | sort
} >"$STATE_DIR/k3s-install.env"
{
  echo "--- $(date -u +%Y-%m-%dT%H:%M:%SZ) install.sh $*"
  cat "$STATE_DIR/k3s-install.env"
} >>"$STATE_DIR/k3s-install.history"

command -v systemctl >/dev/null 2>&1 || fatal 'Can not find systemd or openrc to use as a process supervisor for k3s'

# --- quoting, as the real script does: each argument single-quoted ---
quote() {
  for arg in "$@"; do
    printf '%s\n' "$arg" | sed "s/'/'\\\\''/g;1s/^/'/;\$s/\$/'/"
  done
}
quote_indent() {
  printf ' \\\n'
  for arg in "$@"; do
    printf '\t%s \\\n' "$(quote "$arg")"
  done
}
# INSTALL_K3S_EXEC is split into words, with shell punctuation kept literal.
escape() {
  printf '%s' "$@" | sed -e 's/\([][!#$%&()*;<=>?\_` +
    '`' +
    String.raw`{|}]\)/\\\1/g;'
}
eval set -- $(escape "${'$'}{INSTALL_K3S_EXEC:-}") $(quote "$@")

case "${'$'}{1:-}" in
  -* | "")
    if [ -z "${'$'}{K3S_URL:-}" ]; then
      CMD_K3S=server
    else
      if [ -z "${'$'}{K3S_TOKEN:-}" ] && [ -z "${'$'}{K3S_TOKEN_FILE:-}" ]; then
        fatal "Defaulted k3s exec command to 'agent' because K3S_URL is defined, but K3S_TOKEN or K3S_TOKEN_FILE is not defined."
      fi
      CMD_K3S=agent
    fi
    ;;
  *)
    CMD_K3S=$1
    shift
    ;;
esac
case "${'$'}{K3S_URL:-}" in
  "" | https://*) ;;
  *) fatal "Only https:// URLs are supported for K3S_URL (have ${'$'}{K3S_URL})" ;;
esac
CMD_K3S_EXEC="${'$'}{CMD_K3S}$(quote_indent "$@")"

if [ -n "${'$'}{INSTALL_K3S_NAME:-}" ]; then
  SYSTEM_NAME=k3s-${'$'}{INSTALL_K3S_NAME}
elif [ "$CMD_K3S" = server ]; then
  SYSTEM_NAME=k3s
else
  SYSTEM_NAME=k3s-${'$'}{CMD_K3S}
fi
SYSTEMD_TYPE=${'$'}{INSTALL_K3S_TYPE:-simple}
BIN_DIR=${'$'}{INSTALL_K3S_BIN_DIR:-/usr/local/bin}
SYSTEMD_DIR=${'$'}{INSTALL_K3S_SYSTEMD_DIR:-/etc/systemd/system}
SERVICE_K3S=${'$'}{SYSTEM_NAME}.service
FILE_K3S_SERVICE=${'$'}{SYSTEMD_DIR}/${'$'}{SERVICE_K3S}
FILE_K3S_ENV=${'$'}{SYSTEMD_DIR}/${'$'}{SERVICE_K3S}.env
UNINSTALL_K3S_SH=${'$'}{BIN_DIR}/${'$'}{SYSTEM_NAME}-uninstall.sh
KILLALL_K3S_SH=${'$'}{BIN_DIR}/k3s-killall.sh

installed_hashes() {
  sha256sum "$ROOT$BIN_DIR/k3s" "$ROOT$FILE_K3S_SERVICE" "$ROOT$FILE_K3S_ENV" 2>&1 || true
}
PRE_INSTALL_HASHES=$(installed_hashes)

# --- air-gapped only ---
case "${'$'}{INSTALL_K3S_SKIP_DOWNLOAD:-}" in
  true | binary) info 'Skipping k3s download and verify' ;;
  *) fatal "The k3s install stand-in does not download: set INSTALL_K3S_SKIP_DOWNLOAD=true and put the k3s binary at $BIN_DIR/k3s (air-gapped install)" ;;
esac
[ -x "$ROOT$BIN_DIR/k3s" ] || fatal "Executable k3s binary not found at $BIN_DIR/k3s"

# --- symlinks, killall and uninstall scripts ---
if [ "${'$'}{INSTALL_K3S_SYMLINK:-}" != skip ]; then
  for cmd in kubectl crictl ctr; do
    if [ ! -e "$ROOT$BIN_DIR/$cmd" ] || [ "${'$'}{INSTALL_K3S_SYMLINK:-}" = force ]; then
      info "Creating $BIN_DIR/$cmd symlink to k3s"
      ln -sf k3s "$ROOT$BIN_DIR/$cmd"
    else
      info "Skipping $BIN_DIR/$cmd symlink to k3s, already exists"
    fi
  done
fi
info "Creating killall script $KILLALL_K3S_SH"
cat >"$ROOT$KILLALL_K3S_SH" <<EOF
#!/bin/sh
# STAND-IN for k3s-killall.sh (EdgeForge tests): stops the k3s units.
for service in $ROOT$SYSTEMD_DIR/k3s*.service; do
    [ -s "\$service" ] && systemctl stop "\$(basename "\$service")"
done
exit 0
EOF
chmod 755 "$ROOT$KILLALL_K3S_SH"
info "Creating uninstall script $UNINSTALL_K3S_SH"
cat >"$ROOT$UNINSTALL_K3S_SH" <<EOF
#!/bin/sh
# STAND-IN for k3s's uninstall script (EdgeForge tests).
set -x
$ROOT$KILLALL_K3S_SH
systemctl disable $SYSTEM_NAME
systemctl reset-failed $SYSTEM_NAME
systemctl daemon-reload
rm -f $ROOT$FILE_K3S_SERVICE $ROOT$FILE_K3S_ENV $ROOT$UNINSTALL_K3S_SH
if ls $ROOT$SYSTEMD_DIR/k3s*.service >/dev/null 2>&1; then
    set +x; echo 'Additional k3s services installed, skipping uninstall of k3s'; set -x
    exit
fi
for cmd in kubectl crictl ctr; do
    [ -L $ROOT$BIN_DIR/\$cmd ] && rm -f $ROOT$BIN_DIR/\$cmd
done
rm -rf $ROOT/etc/rancher/k3s $ROOT/var/lib/rancher/k3s $ROOT/var/lib/kubelet
rm -f $ROOT$BIN_DIR/k3s $ROOT$KILLALL_K3S_SH
EOF
chmod 755 "$ROOT$UNINSTALL_K3S_SH"

# --- the unit, replacing any previous one ---
systemctl disable "$SYSTEM_NAME" >/dev/null 2>&1 || true
rm -f "$ROOT$FILE_K3S_SERVICE" "$ROOT$FILE_K3S_ENV"
mkdir -p "$ROOT$SYSTEMD_DIR"

info "env: Creating environment file $FILE_K3S_ENV"
touch "$ROOT$FILE_K3S_ENV"
chmod 0600 "$ROOT$FILE_K3S_ENV"
sh -c export | while read -r x v; do echo "$v"; done | grep -E '^(K3S|CONTAINERD)_' | grep -v '^K3S_STANDIN_' >"$ROOT$FILE_K3S_ENV" || true

info "systemd: Creating service file $FILE_K3S_SERVICE"
cat >"$ROOT$FILE_K3S_SERVICE" <<EOF
[Unit]
Description=Lightweight Kubernetes (EdgeForge test stand-in)
Documentation=https://k3s.io
Wants=network-online.target
After=network-online.target

[Install]
WantedBy=multi-user.target

[Service]
Type=$SYSTEMD_TYPE
EnvironmentFile=-/etc/default/%N
EnvironmentFile=-/etc/sysconfig/%N
EnvironmentFile=-$FILE_K3S_ENV
KillMode=process
Delegate=yes
LimitNOFILE=1048576
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
TimeoutStartSec=0
Restart=always
RestartSec=5s
ExecStartPre=-/sbin/modprobe br_netfilter
ExecStartPre=-/sbin/modprobe overlay
ExecStart=$BIN_DIR/k3s \\
    $CMD_K3S_EXEC

EOF

# --- enable and start, as the real script decides ---
if [ "${'$'}{INSTALL_K3S_SKIP_ENABLE:-}" = true ]; then
  exit 0
fi
info "systemd: Enabling $SYSTEM_NAME unit"
systemctl enable "$FILE_K3S_SERVICE" >/dev/null
systemctl daemon-reload >/dev/null
if [ "${'$'}{INSTALL_K3S_SKIP_START:-}" = true ]; then
  exit 0
fi
POST_INSTALL_HASHES=$(installed_hashes)
if [ "$PRE_INSTALL_HASHES" = "$POST_INSTALL_HASHES" ] && [ "${'$'}{INSTALL_K3S_FORCE_RESTART:-}" != true ]; then
  info 'No change detected so skipping service start'
  exit 0
fi
info "systemd: Starting $SYSTEM_NAME"
systemctl restart "$SYSTEM_NAME"
`
  );
}

/** A C string literal holding `text`, one source line per line of text. */
function cString(text: string): string {
  if (/[^\x20-\x7e\n\t]/.test(text)) throw new Error('the k3s stand-in script must be printable ASCII');
  return text
    .split('\n')
    .map(
      (line, i, all) => `"${line.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\?/g, '\\?').replace(/\t/g, '\\t')}${i < all.length - 1 ? '\\n' : ''}"`,
    )
    .join('\n');
}

function compileWrapper(out: string, version: string, script: string): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ef-k3s-stand-in-'));
  try {
    const c = path.join(work, 'k3s.c');
    fs.writeFileSync(
      c,
      `/* k3s STAND-IN for EdgeForge tests (test/lab/k3s-stand-in.ts): --version prints the
 * version; anything else runs the embedded bash script as: bash -c SCRIPT k3s ARGS... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char version[] = "${version}";
static const char script[] =
${cString(script)};

int main(int argc, char **argv) {
  if (argc > 1 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v") || !strcmp(argv[1], "version"))) {
    printf("k3s version %s (edgeforge test stand-in)\\n", version);
    return 0;
  }
  char **args = calloc((size_t)argc + 4, sizeof *args);
  if (!args) return 127;
  args[0] = "bash";
  args[1] = "-c";
  args[2] = (char *)script;
  args[3] = "k3s";
  for (int i = 1; i < argc; i++) args[3 + i] = argv[i];
  execv("/bin/bash", args);
  perror("k3s stand-in: /bin/bash");
  return 127;
}
`,
    );
    // Static when the C library allows it, like installer-bundle's stand-in; the lab box is Debian too otherwise.
    try {
      execFileSync('gcc', ['-static', '-Os', '-s', '-o', out, c], { stdio: 'pipe' });
    } catch {
      execFileSync('gcc', ['-Os', '-s', '-o', out, c], { stdio: 'pipe' });
    }
    fs.chmodSync(out, 0o755);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Writes `k3s` and `install.sh` into `dir` (created if needed), leaving its other files alone. */
export function writeK3sStandIn(dir: string, opts: K3sStandInOptions): K3sStandInFiles {
  const version = opts.version ?? K3S_VERSION;
  const script = k3sStandInScript({ ...opts, version });
  fs.mkdirSync(dir, { recursive: true });
  const k3s = path.join(dir, 'k3s');
  compileWrapper(k3s, version, script);
  const installScript = path.join(dir, 'install.sh');
  fs.writeFileSync(installScript, k3sInstallStandInScript(), { mode: 0o755 });
  fs.chmodSync(installScript, 0o755);
  return { k3s, installScript, script };
}
