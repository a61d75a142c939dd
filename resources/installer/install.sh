#!/bin/sh
# EdgeForge box-side installer for bundles of format edgeforge.bundle/v1.
#
#   sh install.sh [install]        verify, check the hardware, install (default)
#   sh install.sh preflight        verify and check the hardware only; installs nothing
#   sh install.sh request [--file F]  print this box's activation request code (and write it to F)
#   sh install.sh activate FILE    activate from the station's reply file
#   sh install.sh activate CODE    activate from the station's reply code
#   sh install.sh activate         ask for the reply code (typed, pasted or scanned)
#   sh install.sh status           print what is installed
#
# Contract: docs/bundle-format.md (the bundle), docs/installer.md (this
# script: steps, progress lines, exit codes, files written on the box) and
# docs/activation.md (identity, codes, certificates, delegation).
# POSIX sh only: it runs under dash and bash, on CentOS 7 through Debian 12,
# with nothing but what those systems ship (coreutils, openssl >= 1.0.2, tar,
# gzip, sed, grep, awk, iproute2, systemd). It must be run as root, from the
# bundle directory it sits in (it changes to that directory itself), and it
# never writes into that directory (an ISO bundle is read-only).

umask 022
# The caller's locale, before LC_ALL=C: the request's QR code is drawn with
# UTF-8 half blocks when it says UTF-8, else with '##'.
CALLER_LOCALE=${LC_ALL:-${LC_CTYPE:-${LANG:-}}}
LC_ALL=C
export LC_ALL
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}
export PATH

FORMAT=edgeforge.bundle/v1
MANIFEST_DOMAIN=edgeforge.bundle.manifest.v1
LICENSE_DOMAIN=edgeforge.batch.license.v1
CERT_DOMAIN=edgeforge.activation.certificate.v1
DELEG_DOMAIN=edgeforge.delegation.v1
CERT_FORMAT=edgeforge.activation/v1
DELEG_FORMAT=edgeforge.delegation/v1
FP_DOMAIN=edgeforge.fingerprint.v1
REQUEST_FORMAT=edgeforge.activation-request/v1
IDENTITY_FORMAT=edgeforge.identity/v1
# At most this many hardware components make the fingerprint (docs/activation.md §1).
MAX_COMPONENTS=8
# SubjectPublicKeyInfo DER of a P-256 key, up to its compressed point (33 bytes follow).
P256_COMPRESSED_SPKI=3039301306072a8648ce3d020106082a8648ce3d030107032200

STATE_DIR=/var/lib/edgeforge
ETC_DIR=/etc/edgeforge
REQUEST_FILE=$STATE_DIR/request
TRUST_DIR=$ETC_DIR/trusted-stations
K3S_IMAGES=/var/lib/rancher/k3s/agent/images
K3S_MANIFESTS=/var/lib/rancher/k3s/server/manifests
APPS_DIR=/opt/edgeforge/apps
UNIT_DIR=/etc/systemd/system
ROUTE_UNIT=edgeforge-default-route.service
ROUTE_LINK=edgeforge0

STEPS="verify preflight space drivers runtime images lightapps identity"

# Set while a step runs: its number, the total, its name (for the progress lines).
STEP_N=0
STEP_TOTAL=8
CUR_STEP=
# Non-empty: no EDGEFORGE-BUNDLE lines and no report (request, activate).
QUIET=
# Non-empty: the tag of the machine-readable failure line outside of steps.
FAIL_TAG=
# The exit code of an untrusted station key (80 while activating: a refusal).
TRUST_FAIL=10
# A step sets this to say it had nothing to do (it then ends with state=skip).
SKIPPED=
MARK_DIR=

# ---------------------------------------------------------------------------
# Output

# A message for the machine-readable lines: one line, no double quotes.
clean_msg() {
  printf '%s' "$1" | tr '\n\r\t"' "   '"
}

progress() { # name state [msg]
  [ -n "$QUIET" ] && return 0
  if [ -n "${3:-}" ]; then
    printf 'EDGEFORGE-BUNDLE step=%s/%s name=%s state=%s msg="%s"\n' "$STEP_N" "$STEP_TOTAL" "$1" "$2" "$(clean_msg "$3")"
  else
    printf 'EDGEFORGE-BUNDLE step=%s/%s name=%s state=%s\n' "$STEP_N" "$STEP_TOTAL" "$1" "$2"
  fi
}

info() {
  [ -n "$QUIET" ] && return 0
  printf '  %s\n' "$*"
}

warn() {
  printf 'install.sh: warning: %s\n' "$*" >&2
}

# fail CODE MESSAGE: the machine-readable failure line (stdout), the message
# for people (stderr), then exit CODE. Inside a subshell it exits the
# subshell, whose caller passes the code on.
fail() {
  code=$1
  shift
  if [ -n "$CUR_STEP" ] && [ -z "$QUIET" ]; then
    progress "$CUR_STEP" fail "$*"
  elif [ -n "$FAIL_TAG" ]; then
    printf '%s state=fail msg="%s"\n' "$FAIL_TAG" "$(clean_msg "$*")"
  fi
  printf 'install.sh: %s\n' "$*" >&2
  exit "$code"
}

usage() {
  cat >&2 <<'EOF'
usage: sh install.sh [install]         verify the bundle, check the hardware, install
       sh install.sh preflight         verify the bundle and check the hardware only
       sh install.sh request [--file F]  print this box's activation request (and write it to F)
       sh install.sh activate FILE     activate from the station's reply file
       sh install.sh activate CODE     activate from the station's reply code
       sh install.sh activate          ask for the reply code
       sh install.sh status            print what is installed
EOF
  exit 2
}

# ---------------------------------------------------------------------------
# Small helpers

file_sha() { # file -> sha256 hex (empty if unreadable)
  sha256sum <"$1" 2>/dev/null | cut -c1-64
}

file_size() {
  wc -c <"$1" | tr -d ' \t'
}

# A whole non-negative number, else the second argument.
num() {
  case "$1" in
    '' | *[!0-9]*) printf '%s' "${2:-}" ;;
    *) printf '%s' "$1" ;;
  esac
}

lower() {
  printf '%s' "$1" | tr 'A-Z' 'a-z'
}

trim() {
  printf '%s' "$1" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//'
}

json_esc() { # a JSON string's content: \ and " escaped, control characters dropped
  printf '%s' "$1" | tr -d '\000-\037' | sed 's/\\/\\\\/g; s/"/\\"/g'
}

# The first string value of "key" in a JSON file (whole file read as one
# line; good for the flat string fields this script reads).
json_str_field() { # file key
  tr -d '\r\n' <"$1" | grep -o "\"$2\" *: *\"[^\"]*\"" | head -n 1 | sed 's/^[^:]*: *"//; s/"$//'
}

# Copies src to dest through a temp name in dest's folder, then renames: an
# interruption never leaves a half-written dest.
install_file() { # src dest mode
  _tmp="$(dirname "$2")/.$(basename "$2").edgeforge-tmp"
  rm -f "$_tmp" && cp "$1" "$_tmp" && chmod "$3" "$_tmp" && mv -f "$_tmp" "$2"
}

write_text() { # dest mode text (written as is, plus a newline)
  _tmp="$(dirname "$1")/.$(basename "$1").edgeforge-tmp"
  rm -f "$_tmp" && printf '%s\n' "$3" >"$_tmp" && chmod "$2" "$_tmp" && mv -f "$_tmp" "$1"
}

mib() { # KiB -> "N MiB" (rounded up)
  printf '%s MiB' "$((($1 + 1023) / 1024))"
}

need_tools() { # code tool...
  _code=$1
  shift
  _missing=
  for _t in "$@"; do
    command -v "$_t" >/dev/null 2>&1 || _missing="$_missing $_t"
  done
  [ -z "$_missing" ] || fail "$_code" "required tool(s) missing on this box:$_missing"
}

mark() { # step (or sub-step) name
  mkdir -p "$MARK_DIR" && : >"$MARK_DIR/$1.done"
}

# ---------------------------------------------------------------------------
# Step 1: verify

sig_verify() { # domain file sigfile(DER) key(PEM)
  { printf '%s\n' "$1" && cat "$2"; } | openssl dgst -sha256 -verify "$4" -signature "$3" >/dev/null 2>&1
}

sig_ok() { # domain file sigfile: signed by the bundle's station
  sig_verify "$1" "$2" "$3" station.pub.pem
}

# Lines "size sha256 path" from manifest.json's files list. Each entry is
# alone on its line, exactly as docs/bundle-format.md shows it.
manifest_entries() {
  sed -n 's/^[[:space:]]*{"path": "\([^"]*\)", "size": \([0-9][0-9]*\), "sha256": "\([0-9a-f]\{64\}\)"},\{0,1\}[[:space:]]*$/\2 \3 \1/p' manifest.json
}

check_trust() {
  [ -d "$TRUST_DIR" ] || return 0
  _mine=$(file_sha station.pub.pem)
  _any=
  for _t in "$TRUST_DIR"/*.pem; do
    [ -f "$_t" ] || continue
    _any=1
    if [ "$(file_sha "$_t")" = "$_mine" ] && [ "$(file_size "$_t")" = "$(file_size station.pub.pem)" ]; then
      return 0
    fi
  done
  [ -z "$_any" ] && return 0
  fail "$TRUST_FAIL" "station.pub.pem is not a trusted station key: it matches none of the keys in $TRUST_DIR/ (this bundle was signed by another station)"
}

# Checks one listed file against its manifest entry; prints a problem, or nothing.
entry_problem() { # size sha path
  case "$3" in
    /* | .. | ../* | */.. | */../*) printf 'manifest.json lists an unsafe path: %s' "$3"; return ;;
  esac
  if [ -L "$3" ]; then
    printf '%s: changed (it is a symbolic link)' "$3"
  elif [ ! -f "$3" ]; then
    printf '%s: missing (listed in manifest.json)' "$3"
  elif [ "$(file_size "$3")" != "$1" ]; then
    printf '%s: changed (size %s bytes, manifest.json says %s)' "$3" "$(file_size "$3")" "$1"
  elif [ "$(file_sha "$3")" != "$2" ]; then
    printf '%s: changed (sha256 differs from manifest.json)' "$3"
  fi
}

# Counts a verification problem; the first one becomes the failure message,
# the others are printed as they are found.
problem() {
  _count=$((_count + 1))
  if [ -z "$_first" ]; then _first=$1; else printf 'install.sh: %s\n' "$1" >&2; fi
}

# verify full|light. Full: signatures, trust, every file's size and sha256,
# no file added. Light (request, activate): signatures, trust, and the
# files this script reads (bundle.env, license.json, qr.awk). Then sources
# bundle.env.
do_verify() {
  _mode=$1
  for _f in manifest.json manifest.json.sig station.pub.pem; do
    [ -L "$_f" ] && fail 11 "$_f: changed (it is a symbolic link)"
    [ -f "$_f" ] || fail 11 "$_f: missing from the bundle (in $(pwd))"
  done
  sig_ok "$MANIFEST_DOMAIN" manifest.json manifest.json.sig ||
    fail 10 "manifest.json: signature invalid: manifest.json or manifest.json.sig was changed, or they were not signed by station.pub.pem"
  check_trust
  for _f in license.json license.json.sig bundle.env; do
    [ -f "$_f" ] || fail 11 "$_f: missing from the bundle"
  done
  sig_ok "$LICENSE_DOMAIN" license.json license.json.sig ||
    fail 10 "license.json: signature invalid: license.json or license.json.sig was changed, or they were not signed by station.pub.pem"
  # The license names its station by the sha256 of the key's DER (the PEM body).
  _spki=$(sed '/^-----/d' station.pub.pem | openssl base64 -d 2>/dev/null | sha256sum | cut -c1-64)
  _lic_station=$(json_str_field license.json station)
  [ "$_spki" = "$_lic_station" ] ||
    fail 10 "license.json: issued by station ${_lic_station:-?}, but the bundle was signed by station $_spki"

  _entries=$(manifest_entries)
  [ -n "$_entries" ] || fail 11 "manifest.json: lists no files (or not in the one-entry-per-line form)"
  _first=
  _count=0
  if [ "$_mode" = full ]; then
    while read -r _size _sum _path; do
      [ -n "$_path" ] || continue
      _p=$(entry_problem "$_size" "$_sum" "$_path")
      [ -n "$_p" ] && problem "$_p"
    done <<EOF
$_entries
EOF
    # Anything in the bundle directory that the manifest does not list was added.
    _added=$(
      {
        printf '%s\n' "$_entries" | sed 's/^[0-9]* [0-9a-f]* /.\//'
        echo '//end of list//'
        find . ! -type d -print
      } | awk '!seen_end { if ($0 == "//end of list//") seen_end = 1; else listed[$0] = 1; next }
               $0 != "./manifest.json" && $0 != "./manifest.json.sig" && !($0 in listed) { print substr($0, 3) }'
    )
    if [ -n "$_added" ]; then
      while read -r _path; do
        problem "$_path: added (not listed in manifest.json)"
      done <<EOF
$_added
EOF
    fi
  else
    # qr.awk runs as a program: when it is there, it must be the listed one.
    _light="bundle.env license.json license.json.sig station.pub.pem"
    if [ -e qr.awk ] || [ -L qr.awk ]; then _light="$_light qr.awk"; fi
    for _f in $_light; do
      _e=$(printf '%s\n' "$_entries" | awk -v p="$_f" '{ rest = $0; sub(/^[0-9]+ [0-9a-f]+ /, "", rest) } rest == p { print; exit }')
      if [ -z "$_e" ]; then
        _p="$_f: not listed in manifest.json"
      else
        # shellcheck disable=SC2086
        _p=$(entry_problem $_e)
      fi
      [ -n "$_p" ] && problem "$_p"
    done
  fi
  if [ "$_count" -gt 0 ]; then
    [ "$_count" -gt 1 ] && _first="$_first (and $((_count - 1)) more, listed above)"
    fail 11 "$_first"
  fi

  # Only now is bundle.env trusted enough to be read.
  . ./bundle.env || fail 11 "bundle.env: cannot be read"
  [ "${EF_FORMAT:-}" = "$FORMAT" ] || fail 11 "bundle.env: format ${EF_FORMAT:-?} is not $FORMAT"
  _lic_batch=$(json_str_field license.json batch)
  [ "$_lic_batch" = "${EF_BATCH_ID:-}" ] ||
    fail 10 "license.json: issued for batch $_lic_batch, but the bundle is batch ${EF_BATCH_ID:-?}"
  MARK_DIR=$STATE_DIR/install/$(file_sha manifest.json)
  info "bundle: batch $EF_BATCH_ID, combo ${EF_COMBO:-?}, model ${EF_MODEL:-?}"
}

# ---------------------------------------------------------------------------
# Step 2: preflight

PF_JSON=
PF_OK=true
PF_FAILED=

pf_check() { # name ok(1|0) want found
  if [ "$2" = 1 ]; then
    _st=OK
    _j=true
  else
    _st=FAIL
    _j=false
    PF_OK=false
    PF_FAILED="$PF_FAILED${PF_FAILED:+, }$1"
  fi
  [ -n "$QUIET" ] || printf '  %-4s  %-20s want %s; found %s\n' "$_st" "$1" "$3" "$4"
  PF_JSON="$PF_JSON${PF_JSON:+,
    }{\"check\":\"$(json_esc "$1")\",\"ok\":$_j,\"want\":\"$(json_esc "$3")\",\"found\":\"$(json_esc "$4")\"}"
}

pf_tools() {
  # The steps after this one need these; refuse now, before changing anything.
  need_tools 3 ip systemctl
  for _a in ${EF_LIGHT_APPS:-}; do
    case "$(app_var "$_a" EF_APP_PACKAGE)" in
      *.zip)
        command -v unzip >/dev/null 2>&1 || command -v python3 >/dev/null 2>&1 ||
          fail 3 "light app $_a comes as a .zip, and this box has neither unzip nor python3 to unpack it"
        ;;
    esac
  done
}

# The value of one variable of apps/<name>/app.env (read in a subshell).
app_var() { # name var
  [ -f "apps/$1/app.env" ] || return 0
  (
    . "./apps/$1/app.env" >/dev/null 2>&1
    eval "printf '%s' \"\${$2:-}\""
  )
}

do_preflight() {
  pf_tools
  info "hardware preflight (model ${EF_MODEL:-?}):"

  # Architecture.
  if [ -n "${EF_ARCH:-}" ]; then
    _m=$(uname -m)
    [ "$_m" = "$EF_ARCH" ] && _ok=1 || _ok=0
    pf_check arch "$_ok" "$EF_ARCH" "$_m"
  fi

  # CPU cores.
  _want=$(num "${EF_MIN_CPU:-}")
  if [ -n "$_want" ]; then
    _n=$( (unset OMP_NUM_THREADS OMP_THREAD_LIMIT; nproc) 2>/dev/null)
    [ -n "$_n" ] || _n=$(grep -c '^processor' /proc/cpuinfo)
    _n=$(num "$_n" 0)
    [ "$_n" -ge "$_want" ] && _ok=1 || _ok=0
    pf_check cpu "$_ok" ">= $_want cores" "$_n cores"
  fi

  # RAM: the kernel keeps part of the RAM for itself, so MemTotal is a little
  # below the installed size; MemTotal >= 90% of the model's minimum passes.
  _want=$(num "${EF_MIN_MEM_MIB:-}")
  if [ -n "$_want" ]; then
    _kb=$(num "$(awk '/^MemTotal:/ { print $2; exit }' /proc/meminfo)" 0)
    [ $((_kb * 10)) -ge $((_want * 1024 * 9)) ] && _ok=1 || _ok=0
    pf_check memory "$_ok" ">= $_want MiB (MemTotal >= $((_want * 9 / 10)) MiB accepted)" "$((_kb / 1024)) MiB"
  fi

  # Install disk and its size.
  if [ -n "${EF_INSTALL_DISK:-}" ]; then
    _want=$(num "${EF_MIN_DISK_GIB:-}" 0)
    _dev=$(readlink -f "$EF_INSTALL_DISK" 2>/dev/null || printf '%s' "$EF_INSTALL_DISK")
    _name=${_dev##*/}
    _sz=
    for _f in "/sys/block/$_name/size" "/sys/class/block/$_name/size"; do
      if [ -r "$_f" ]; then
        _sz=$(num "$(cat "$_f")" 0)
        break
      fi
    done
    if [ -b "$_dev" ] && [ -n "$_sz" ]; then
      _bytes=$((_sz * 512))
      [ "$_bytes" -ge $((_want * 1073741824)) ] && _ok=1 || _ok=0
      pf_check disk "$_ok" "$EF_INSTALL_DISK, >= $_want GiB" "$_dev, $((_bytes / 1048576)) MiB"
    else
      pf_check disk 0 "$EF_INSTALL_DISK, >= $_want GiB" "no such disk"
    fi
  fi

  # NICs: each named one exists, and there are at least as many physical ones.
  if [ -n "${EF_NICS:-}" ]; then
    _wantn=0
    for _nic in $EF_NICS; do
      _wantn=$((_wantn + 1))
      if [ -e "/sys/class/net/$_nic" ]; then
        pf_check "nic $_nic" 1 present present
      else
        pf_check "nic $_nic" 0 present missing
      fi
    done
    _phys=
    _physn=0
    for _d in /sys/class/net/*; do
      [ -e "$_d/device" ] || continue
      _physn=$((_physn + 1))
      _phys="$_phys${_phys:+ }${_d##*/}"
    done
    [ "$_physn" -ge "$_wantn" ] && _ok=1 || _ok=0
    pf_check nics "$_ok" ">= $_wantn physical NICs ($EF_NICS)" "$_physn${_phys:+ ($_phys)}"
  fi

  # Serial devices (a bare name means /dev/NAME).
  for _s in ${EF_SERIAL:-}; do
    case "$_s" in /*) _p=$_s ;; *) _p=/dev/$_s ;; esac
    if [ -c "$_p" ]; then
      pf_check "serial $_s" 1 "character device $_p" present
    else
      pf_check "serial $_s" 0 "character device $_p" missing
    fi
  done

  # Accelerators by PCI id (vendor:device, lowercase hex without 0x).
  if [ -n "${EF_PCI_IDS:-}" ]; then
    _present=
    for _d in /sys/bus/pci/devices/*; do
      [ -r "$_d/vendor" ] && [ -r "$_d/device" ] || continue
      _v=$(lower "$(cat "$_d/vendor")")
      _dv=$(lower "$(cat "$_d/device")")
      _present="$_present ${_v#0x}:${_dv#0x}"
    done
    for _id in $EF_PCI_IDS; do
      _id=$(lower "$_id")
      _v=${_id%%:*}
      _dv=${_id#*:}
      _id="${_v#0x}:${_dv#0x}"
      case " $_present " in
        *" $_id "*) pf_check "pci $_id" 1 "PCI device $_id" present ;;
        *) pf_check "pci $_id" 0 "PCI device $_id" missing ;;
      esac
    done
  fi

  write_preflight_json
  [ "$PF_OK" = true ] ||
    fail 20 "this box does not match model ${EF_MODEL:-?}: $PF_FAILED (report above and in $STATE_DIR/preflight.json); nothing was installed"
}

write_preflight_json() {
  mkdir -p "$STATE_DIR" &&
    write_text "$STATE_DIR/preflight.json" 0644 "{
  \"ok\": $PF_OK,
  \"bundle\": \"$(json_esc "${EF_BATCH_ID:-}")\",
  \"model\": \"$(json_esc "${EF_MODEL:-}")\",
  \"checks\": [
    $PF_JSON
  ]
}" || warn "could not write $STATE_DIR/preflight.json"
}

# ---------------------------------------------------------------------------
# Step 3: space

do_space() {
  _need=$(num "${EF_INSTALL_BYTES:-}" 0)
  _need_kb=$(((_need + _need / 10 + 1023) / 1024))
  _free_kb=$(df -Pk /var/lib 2>/dev/null | awk 'NR == 2 { print $4 }')
  _free_kb=$(num "$_free_kb" "")
  [ -n "$_free_kb" ] || fail 21 "cannot tell the free space on /var/lib (df -Pk /var/lib failed)"
  if [ "$_free_kb" -lt "$_need_kb" ]; then
    fail 21 "not enough disk space on the file system of /var/lib: the install needs $(mib "$_need_kb") ($(mib $((_need / 1024))) plus a 10% margin), $(mib "$_free_kb") is free"
  fi
  info "disk space: $(mib "$_need_kb") needed (with a 10% margin), $(mib "$_free_kb") free on /var/lib"
}

# ---------------------------------------------------------------------------
# Step 4: drivers

do_drivers() {
  if [ -z "${EF_DRIVERS:-}" ]; then
    SKIPPED="no drivers in this bundle"
    return 0
  fi
  for _f in $EF_DRIVERS; do
    if [ -f "$MARK_DIR/driver-$_f.done" ]; then
      info "driver $_f: installed by an earlier run"
      continue
    fi
    [ -f "drivers/$_f" ] || fail 30 "drivers/$_f: missing from the bundle"
    info "driver $_f: installing"
    case "$_f" in
      *.run)
        # makeself archive: what follows -- goes to the embedded installer.
        sh "drivers/$_f" -- --silent >&2 || fail 30 "driver $_f: its installer failed (exit status $?)"
        ;;
      *.tgz | *.tar.gz)
        { mkdir -p /opt/intel && tar --no-same-owner -xzf "drivers/$_f" -C /opt/intel; } ||
          fail 30 "driver $_f: could not be extracted into /opt/intel"
        ;;
      *) fail 30 "driver $_f: unknown kind (expected an NVIDIA .run or an OpenVINO .tgz/.tar.gz)" ;;
    esac
    mark "driver-$_f" || fail 30 "cannot write $MARK_DIR"
  done
}

# ---------------------------------------------------------------------------
# Step 5: runtime (k3s, air-gapped)

ensure_default_route() {
  [ -n "$(ip route show default 2>/dev/null)" ] && return 0
  ip link show "$ROUTE_LINK" >/dev/null 2>&1 || ip link add "$ROUTE_LINK" type dummy || return 1
  ip link set "$ROUTE_LINK" up || return 1
  ip route add default dev "$ROUTE_LINK" metric 9999 || return 1
  info "the box had no default route; added a dummy one (dev $ROUTE_LINK, metric 9999): air-gapped k3s needs one"
}

# The same at every boot, before k3s starts (the route above does not survive a reboot).
route_unit() {
  cat <<EOF
# Written by the EdgeForge installer. Air-gapped k3s needs a default route:
# when the box has none at boot, add a dummy one (harmless: metric 9999).
[Unit]
Description=EdgeForge: dummy default route for air-gapped k3s, when there is none
After=network-online.target
Before=k3s.service k3s-agent.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'ip route show default | grep -q . || { ip link show $ROUTE_LINK >/dev/null 2>&1 || ip link add $ROUTE_LINK type dummy; ip link set $ROUTE_LINK up; ip route replace default dev $ROUTE_LINK metric 9999; }'

[Install]
WantedBy=multi-user.target
EOF
}

do_runtime() {
  [ -f runtime/k3s ] || fail 40 "runtime/k3s: missing from the bundle"
  [ -f runtime/install.sh ] || fail 40 "runtime/install.sh: missing from the bundle"
  mkdir -p /usr/local/bin && install_file runtime/k3s /usr/local/bin/k3s 0755 ||
    fail 40 "could not copy runtime/k3s to /usr/local/bin/k3s"
  mkdir -p "$K3S_IMAGES" || fail 40 "cannot create $K3S_IMAGES"
  _found=
  for _a in runtime/k3s-airgap-images-*; do
    [ -f "$_a" ] || continue
    _found=1
    install_file "$_a" "$K3S_IMAGES/${_a#runtime/}" 0644 || fail 40 "could not copy $_a to $K3S_IMAGES/"
  done
  [ -n "$_found" ] || fail 40 "runtime/k3s-airgap-images-*: missing from the bundle"
  ensure_default_route || fail 40 "the box has no default route, and adding the dummy one ($ROUTE_LINK) failed"
  { route_unit >"$UNIT_DIR/.$ROUTE_UNIT.edgeforge-tmp" && mv -f "$UNIT_DIR/.$ROUTE_UNIT.edgeforge-tmp" "$UNIT_DIR/$ROUTE_UNIT"; } ||
    fail 40 "cannot write $UNIT_DIR/$ROUTE_UNIT"
  systemctl daemon-reload >/dev/null 2>&1
  systemctl enable "$ROUTE_UNIT" >/dev/null 2>&1 || warn "could not enable $ROUTE_UNIT"
  # The k3s install script, air-gapped: it finds the binary in place and
  # writes the service, but neither enables nor starts it. The cluster join,
  # done later from the workstation, configures and starts k3s.
  INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_SKIP_ENABLE=true INSTALL_K3S_SKIP_START=true \
    INSTALL_K3S_VERSION="${EF_RUNTIME_VERSION:-}" sh runtime/install.sh >&2 ||
    fail 40 "the k3s install script (runtime/install.sh) failed (exit status $?)"
}

# ---------------------------------------------------------------------------
# Step 6: images and manifests

do_images() {
  _did=
  if [ -f images/oci/index.json ]; then
    # k3s imports archives from its images folder when it starts: pack the
    # bundle's OCI image layout into one, under a temporary name first.
    _tmp="$K3S_IMAGES/.edgeforge-images.oci.tar.edgeforge-tmp"
    { mkdir -p "$K3S_IMAGES" && rm -f "$_tmp" &&
      tar -cf "$_tmp" -C images/oci . && chmod 0644 "$_tmp" &&
      mv -f "$_tmp" "$K3S_IMAGES/edgeforge-images.oci.tar"; } ||
      fail 50 "could not pack images/oci into $K3S_IMAGES/edgeforge-images.oci.tar"
    _did=1
  fi
  for _m in manifests/*.yaml; do
    [ -f "$_m" ] || continue
    { mkdir -p "$K3S_MANIFESTS" && install_file "$_m" "$K3S_MANIFESTS/${_m#manifests/}" 0644; } ||
      fail 50 "could not copy $_m to $K3S_MANIFESTS/"
    _did=1
  done
  [ -n "$_did" ] || SKIPPED="no container images or manifests in this bundle"
}

# ---------------------------------------------------------------------------
# Step 7: light apps (systemd services)

# ExecStart: inside '...' systemd unescapes \\ and \', expands $ and %.
unit_exec_esc() {
  printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g" -e 's/%/%%/g' -e 's/\$/$$/g'
}

# Environment="...": \\ and \" unescaped, % expanded.
unit_env_esc() {
  printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/%/%%/g'
}

systemd_version() {
  systemctl --version 2>/dev/null | awk 'NR == 1 { print $2 }' | sed 's/[^0-9].*//'
}

# Runs in a subshell: app.env's variables stay there.
install_light_app() { # name
  _name=$1
  case "$_name" in '' | *[!A-Za-z0-9._+-]* | .*) fail 60 "light app name '$_name' is not a safe name" ;; esac
  [ -f "apps/$_name/app.env" ] || fail 60 "apps/$_name/app.env: missing from the bundle"
  EF_APP_PACKAGE=
  EF_APP_START=
  EF_APP_CPU_MILLICORES=
  EF_APP_MEMORY_MIB=
  . "./apps/$_name/app.env" || fail 60 "apps/$_name/app.env: cannot be read"
  _pkg=apps/$_name/$EF_APP_PACKAGE
  [ -n "$EF_APP_PACKAGE" ] && [ -f "$_pkg" ] || fail 60 "light app $_name: package ${_pkg} missing from the bundle"
  [ -n "$EF_APP_START" ] || fail 60 "light app $_name: no start command (EF_APP_START)"
  _unit=edgeforge-app-$_name.service
  _dest=$APPS_DIR/$_name
  _new=$APPS_DIR/.$_name.edgeforge-new
  _old=$APPS_DIR/.$_name.edgeforge-old

  # A run interrupted after starting the app: stop it before replacing its files.
  [ -f "$UNIT_DIR/$_unit" ] && systemctl stop "$_unit" >/dev/null 2>&1

  { rm -rf "$_new" && mkdir -p "$_new"; } || fail 60 "cannot create $_new"
  case "$EF_APP_PACKAGE" in
    *.tar.gz | *.tgz)
      tar --no-same-owner -xzf "$_pkg" -C "$_new" || fail 60 "light app $_name: $_pkg could not be extracted"
      ;;
    *.zip)
      if command -v unzip >/dev/null 2>&1; then
        unzip -q -o "$_pkg" -d "$_new" || fail 60 "light app $_name: $_pkg could not be extracted (unzip)"
      elif command -v python3 >/dev/null 2>&1; then
        python3 -m zipfile -e "$_pkg" "$_new" || fail 60 "light app $_name: $_pkg could not be extracted (python3 -m zipfile)"
      else
        fail 60 "light app $_name comes as a .zip, and this box has neither unzip nor python3 to unpack it"
      fi
      ;;
    *) fail 60 "light app $_name: unknown package kind $EF_APP_PACKAGE (expected .tar.gz or .zip)" ;;
  esac
  rm -rf "$_old"
  if [ -e "$_dest" ]; then mv "$_dest" "$_old" || fail 60 "cannot move the old $_dest aside"; fi
  mv "$_new" "$_dest" || fail 60 "cannot move the new app into $_dest"
  rm -rf "$_old"

  _env=
  _i=1
  while :; do
    eval "_e=\${EF_APP_ENV_$_i-}"
    eval "_set=\${EF_APP_ENV_$_i+set}"
    [ -n "$_set" ] || break
    _env="${_env}Environment=\"$(unit_env_esc "$_e")\"
"
    _i=$((_i + 1))
  done
  _limits=
  _cpu=$(num "${EF_APP_CPU_MILLICORES:-}" 0)
  if [ "$_cpu" -gt 0 ]; then
    _limits="${_limits}CPUQuota=$(((_cpu + 9) / 10))%
"
  fi
  _mem=$(num "${EF_APP_MEMORY_MIB:-}" 0)
  if [ "$_mem" -gt 0 ]; then
    # systemd before 231 (CentOS 7 has 219) knows only MemoryLimit=.
    if [ "$(num "$(systemd_version)" 999)" -lt 231 ]; then
      _limits="${_limits}MemoryLimit=${_mem}M
"
    else
      _limits="${_limits}MemoryMax=${_mem}M
"
    fi
  fi
  _unit_text="# Written by the EdgeForge installer (batch ${EF_BATCH_ID:-?}); a reinstall rewrites it.
[Unit]
Description=EdgeForge light app $_name
After=network.target

[Service]
Type=simple
WorkingDirectory=$_dest
ExecStart=/bin/sh -c '$(unit_exec_esc "$EF_APP_START")'
Restart=on-failure
RestartSec=5
${_env}${_limits}
[Install]
WantedBy=multi-user.target"
  write_text "$UNIT_DIR/$_unit" 0644 "$_unit_text" || fail 60 "cannot write $UNIT_DIR/$_unit"
  systemctl daemon-reload || fail 60 "systemctl daemon-reload failed"
  systemctl enable --now "$_unit" >&2 || fail 60 "light app $_name: systemctl enable --now $_unit failed (see journalctl -u $_unit)"
  info "light app $_name: installed in $_dest, running as $_unit"
}

do_lightapps() {
  if [ -z "${EF_LIGHT_APPS:-}" ]; then
    SKIPPED="no light apps in this bundle"
    return 0
  fi
  command -v systemctl >/dev/null 2>&1 || fail 60 "systemctl is missing: light apps run as systemd services"
  mkdir -p "$APPS_DIR" || fail 60 "cannot create $APPS_DIR"
  for _a in $EF_LIGHT_APPS; do
    (install_light_app "$_a") || exit $?
  done
}

# ---------------------------------------------------------------------------
# Step 8: identity

fp_hash() { # component value
  printf '%s' "$FP_DOMAIN:$1:$2" | sha256sum | cut -c1-64
}

is_placeholder() {
  _v=$(lower "$1")
  case "$_v" in
    '' | 'to be filled by o.e.m.' | 'default string' | 'not specified' | 'none' | 'not applicable' | 'system serial number' | 'o.e.m.' | '0123456789')
      return 0
      ;;
  esac
  _s=$(printf '%s' "$_v" | tr -d ':. -')
  case "$_s" in '' | *[!0]*) ;; *) return 0 ;; esac # all zeros
  case "$_s" in '' | *[!f]*) ;; *) return 0 ;; esac # all F
  return 1
}

read_sys() {
  [ -r "$1" ] && trim "$(cat "$1" 2>/dev/null)"
}

# Sets FP_COMPONENTS (lines "component hash", at most MAX_COMPONENTS, in the
# order of docs/activation.md §1), FP_HASHES (their hashes, lines),
# FP_PREFIXES (their prefixes: the first 8 hex digits, comma-separated),
# FP_ALL_PREFIXES (the prefixes of every component, beyond the first 8 too),
# MACHINE_ID_HASH and MACHINE_ID_PREFIX (empty without a machine-id).
compute_identity() {
  FP_COMPONENTS=
  _add() {
    is_placeholder "$2" && return 0
    FP_COMPONENTS="$FP_COMPONENTS${FP_COMPONENTS:+
}$1 $(fp_hash "$1" "$2")"
  }
  _add dmi-uuid "$(lower "$(read_sys /sys/class/dmi/id/product_uuid)")"
  _add product-serial "$(read_sys /sys/class/dmi/id/product_serial)"
  _add board-serial "$(read_sys /sys/class/dmi/id/board_serial)"
  _macs=$(for _d in /sys/class/net/*; do
    [ -e "$_d/device" ] && lower "$(read_sys "$_d/address")" && echo
  done | sort -u)
  for _mac in $_macs; do
    _add mac "$_mac"
  done
  FP_ALL_PREFIXES=$(printf '%s\n' "$FP_COMPONENTS" | awk 'NF == 2 { printf "%s%s", (n++ ? "," : ""), substr($2, 1, 8) }')
  FP_COMPONENTS=$(printf '%s\n' "$FP_COMPONENTS" | awk -v max="$MAX_COMPONENTS" 'NF == 2 && n++ < max')
  FP_HASHES=$(printf '%s\n' "$FP_COMPONENTS" | awk 'NF == 2 { print $2 }')
  FP_PREFIXES=$(printf '%s\n' "$FP_COMPONENTS" | awk 'NF == 2 { printf "%s%s", (n++ ? "," : ""), substr($2, 1, 8) }')
  _mid=$(read_sys /etc/machine-id)
  MACHINE_ID_HASH=
  is_placeholder "$_mid" || MACHINE_ID_HASH=$(fp_hash machine-id "$_mid")
  MACHINE_ID_PREFIX=$(printf '%.8s' "$MACHINE_ID_HASH")
}

json_hash_list() { # lines of hashes -> "a","b"
  printf '%s\n' "$1" | awk 'NF { printf "%s\"%s\"", (n++ ? "," : ""), $1 }'
}

json_machine_id() {
  if [ -n "$MACHINE_ID_HASH" ]; then printf '"%s"' "$MACHINE_ID_HASH"; else printf 'null'; fi
}

do_identity() {
  mkdir -p "$ETC_DIR" || fail 70 "cannot create $ETC_DIR"
  install_file license.json "$ETC_DIR/batch.json" 0644 &&
    install_file license.json.sig "$ETC_DIR/batch.json.sig" 0644 &&
    install_file station.pub.pem "$ETC_DIR/station.pub.pem" 0644 ||
    fail 70 "cannot write the batch license and station key into $ETC_DIR"
  _now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  write_text "$ETC_DIR/versions.json" 0644 "{
  \"bundle\": \"$(json_esc "$EF_FORMAT")\",
  \"batch\": \"$(json_esc "${EF_BATCH_ID:-}")\",
  \"combo\": \"$(json_esc "${EF_COMBO:-}")\",
  \"model\": \"$(json_esc "${EF_MODEL:-}")\",
  \"runtime\": \"$(json_esc "${EF_RUNTIME_VERSION:-}")\",
  \"installedAt\": \"$_now\"
}" || fail 70 "cannot write $ETC_DIR/versions.json"
  compute_identity
  [ -n "$FP_HASHES" ] || fail 70 "no usable hardware identity on this box (no DMI UUID, serials or physical NIC)"
  _comps=$(printf '%s\n' "$FP_COMPONENTS" | awk 'NF == 2 { printf "%s\n    {\"component\": \"%s\", \"sha256\": \"%s\"}", (n++ ? "," : ""), $1, $2 }')
  write_text "$ETC_DIR/identity.json" 0644 "{
  \"format\": \"$IDENTITY_FORMAT\",
  \"fingerprint\": [$(json_hash_list "$FP_HASHES")],
  \"components\": [$_comps
  ],
  \"machineId\": $(json_machine_id)
}" || fail 70 "cannot write $ETC_DIR/identity.json"
  write_text "$ETC_DIR/state" 0644 installed-awaiting-activation || fail 70 "cannot write $ETC_DIR/state"
  info "identity: $(printf '%s\n' "$FP_HASHES" | grep -c .) hardware components; state installed-awaiting-activation"
}

# ---------------------------------------------------------------------------
# Activation (docs/activation.md): typed codes, the request, the certificate

# Typed codes: Crockford base32, cut into groups of 4, each followed by a
# Damm check character over GF(32) (T(x, y) = 2x xor y, polynomial
# x^5 + x^2 + 1); hex <-> octal escapes; r||s -> DER. Plain POSIX awk: mawk
# and busybox awk have no xor(), so the bit operations are arithmetic.
CODE_AWK='
function init(  v) {
  A32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
  HEX = "0123456789abcdef"
  for (v = 0; v < 32; v++) B5[v] = sprintf("%d%d%d%d%d", int(v / 16) % 2, int(v / 8) % 2, int(v / 4) % 2, int(v / 2) % 2, v % 2)
  for (v = 0; v < 16; v++) B4[v] = substr(B5[v], 2)
}
function hexv(c) { return index(HEX, c) - 1 }
function bxor(a, b,   r, p) {
  r = 0
  for (p = 1; a > 0 || b > 0; p *= 2) {
    if (a % 2 != b % 2) r += p
    a = int(a / 2)
    b = int(b / 2)
  }
  return r
}
function gf2(x) { x *= 2; return x >= 32 ? bxor(x, 37) : x }
function damm(s,   i, k) {
  i = 0
  for (k = 1; k <= length(s); k++) i = bxor(gf2(i), index(A32, substr(s, k, 1)) - 1)
  return i
}
function dec(h,   k, v) {
  v = 0
  for (k = 1; k <= length(h); k++) v = v * 16 + hexv(substr(h, k, 1))
  return v
}
function bitsval(b,   k, v) {
  v = 0
  for (k = 1; k <= length(b); k++) v = v * 2 + substr(b, k, 1)
  return v
}
# hex -> the code in groups, with dashes
function encode(h,   bits, data, k, grp, out) {
  bits = ""
  for (k = 1; k <= length(h); k++) bits = bits B4[hexv(substr(h, k, 1))]
  while (length(bits) % 5) bits = bits "0"
  data = ""
  for (k = 1; k <= length(bits); k += 5) data = data substr(A32, bitsval(substr(bits, k, 5)) + 1, 1)
  out = ""
  for (k = 1; k <= length(data); k += 4) {
    grp = substr(data, k, 4)
    out = out (k > 1 ? "-" : "") grp substr(A32, gf2(damm(grp)) + 1, 1)
  }
  return out
}
# the characters of whole groups -> hex (the padding bits dropped)
function tohex(data,   bits, n, k, out) {
  bits = ""
  for (k = 1; k <= length(data); k++) bits = bits B5[index(A32, substr(data, k, 1)) - 1]
  n = int(length(bits) / 8) * 8
  out = ""
  for (k = 1; k <= n; k += 4) out = out substr(HEX, bitsval(substr(bits, k, 4)) + 1, 1)
  return out
}
# A normalized code (no separators) -> "ok GROUPS HEX": every group checks;
# "bad G HEX": group G does not; "char G HEX C": group G holds C, no code
# character; "part G HEX": the last group G, shorter than 5, does not check
# (mistyped, or the code goes on). HEX: what the groups before G hold ("-": nothing).
function check(s,   n, g, k, j, grp, c, data) {
  n = length(s)
  g = 0
  data = ""
  for (k = 1; k <= n; k += 5) {
    g++
    grp = substr(s, k, 5)
    for (j = 1; j <= length(grp); j++) {
      c = substr(grp, j, 1)
      if (!index(A32, c)) return "char " g " " nz(tohex(data)) " " c
    }
    if (length(grp) < 2 || damm(grp) != 0) return (length(grp) < 5 ? "part " : "bad ") g " " nz(tohex(data))
    data = data substr(grp, 1, length(grp) - 1)
  }
  return "ok " g " " nz(tohex(data))
}
function nz(h) { return h == "" ? "-" : h }
function esc(h,   k, out) {
  out = ""
  for (k = 1; k < length(h); k += 2) out = out sprintf("\\%03o", hexv(substr(h, k, 1)) * 16 + hexv(substr(h, k + 1, 1)))
  return out
}
function derint(h) {
  while (length(h) > 2 && substr(h, 1, 2) == "00") h = substr(h, 3)
  if (hexv(substr(h, 1, 1)) >= 8) h = "00" h
  return sprintf("02%02x", length(h) / 2) h
}
# r||s (128 hex) -> DER SEQUENCE { INTEGER r, INTEGER s } (hex)
function der(rs,   r, s) {
  r = derint(substr(rs, 1, 64))
  s = derint(substr(rs, 65, 64))
  return sprintf("30%02x", (length(r) + length(s)) / 2) r s
}
'

code_of_hex() { # hex -> the code, groups separated by -
  awk -v h="$1" "$CODE_AWK"'BEGIN { init(); print encode(h) }'
}

# Upper case, O read as 0, I and L as 1, blanks and dashes dropped.
code_norm() {
  printf '%s' "$1" | tr 'a-z' 'A-Z' | tr 'OIL' '011' | tr -d ' \t\r\n-'
}

hex_to_file() { # hex file
  _esc=$(awk -v h="$1" "$CODE_AWK"'BEGIN { init(); print esc(h) }')
  # shellcheck disable=SC2059 # the format is only octal escapes
  printf "$_esc" >"$2"
}

file_hex() {
  od -An -v -tx1 <"$1" | tr -d ' \n'
}

txt_field() { # file key: the value of the first "key=" line
  sed -n "s/^$2=//p" "$1" 2>/dev/null | head -n 1
}

# The compressed SEC1 point (66 hex digits) of station.pub.pem: the issuer.
issuer_point() {
  openssl ec -pubin -in station.pub.pem -conv_form compressed -outform DER 2>/dev/null | od -An -v -tx1 | tr -d ' \n' |
    awk '{ n = length($0); if (n >= 66) print substr($0, n - 65) }'
}

# A public key PEM from a compressed P-256 point (66 hex digits).
point_pem() { # hex file
  hex_to_file "$P256_COMPRESSED_SPKI$1" "$2.der" &&
    { echo '-----BEGIN PUBLIC KEY-----' && openssl base64 <"$2.der" && echo '-----END PUBLIC KEY-----'; } >"$2"
}

# SERIAL_PREFIX and SERIAL_DIGITS from bundle.env (or, in a bundle made
# before they were there, from the license).
serial_scheme() {
  if [ -n "${EF_SERIAL_DIGITS:-}" ]; then
    SERIAL_PREFIX=${EF_SERIAL_PREFIX:-}
    SERIAL_DIGITS=$EF_SERIAL_DIGITS
  else
    SERIAL_PREFIX=$(json_str_field license.json prefix)
    SERIAL_DIGITS=$(tr -d '\r\n' <license.json | grep -o '"digits" *: *[0-9]*' | head -n 1 | sed 's/.*: *//')
  fi
  SERIAL_DIGITS=$(num "$SERIAL_DIGITS" "")
  [ -n "$SERIAL_DIGITS" ] || fail 80 "bundle.env: no serial scheme (EF_SERIAL_PREFIX, EF_SERIAL_DIGITS)"
}

serial_of() { # seat -> the box serial
  # shellcheck disable=SC2059 # the format is %s%0<digits>d
  printf "%s%0${SERIAL_DIGITS}d" "$SERIAL_PREFIX" "$1"
}

write_cert() { # out batch seat serial fingerprint nonce issued signer
  printf 'format=%s\nbatch=%s\nseat=%s\nserial=%s\nfingerprint=%s\nnonce=%s\nissued=%s\nsigner=%s\n' \
    "$CERT_FORMAT" "$2" "$3" "$4" "$5" "$6" "$7" "$8" >"$1"
}

write_deleg() { # out batch seats delegate issued issuer
  printf 'format=%s\nbatch=%s\nseats=%s\ndelegate=%s\nissued=%s\nissuer=%s\n' "$DELEG_FORMAT" "$2" "$3" "$4" "$5" "$6" >"$1"
}

# Checks a reply code. Sets CODE_HEX (its bytes), or returns 1 with CODE_ERR
# (a message) and CODE_SHORT=1 when the code only stops too early.
parse_reply_code() { # text
  CODE_HEX=
  CODE_ERR=
  CODE_SHORT=
  _norm=$(code_norm "$1")
  if [ -z "$_norm" ]; then
    CODE_ERR="no reply code given"
    return 1
  fi
  read -r _st _g _hex _ch <<EOF
$(awk -v s="$_norm" "$CODE_AWK"'BEGIN { init(); print check(s) }')
EOF
  [ "$_hex" = - ] && _hex=
  case "$_hex" in
    02*) _want=144 _wantg=29 ;;
    03*) _want=358 _wantg=72 ;;
    01*) CODE_ERR="this is an activation request code, not the station's reply to it"; return 1 ;;
    ?? | ???*) CODE_ERR="this is not a reply code of an EdgeForge station (type 0x$(printf '%.2s' "$_hex"))"; return 1 ;;
    *) _want='' _wantg='' ;;
  esac
  case "$_st" in
    char) CODE_ERR="group $_g of the reply code is mistyped: '$_ch' is not a code character"; return 1 ;;
    bad) CODE_ERR="group $_g of the reply code is mistyped (its check character does not match)"; return 1 ;;
    part)
      # The last group does not check: mistyped, or the code goes on.
      if [ -z "$_want" ] || [ "${#_hex}" -lt "$_want" ]; then
        CODE_SHORT=1
        CODE_ERR="the reply code is incomplete ($((_g - 1)) groups${_wantg:+ of $_wantg})"
      else
        CODE_ERR="group $_g of the reply code is mistyped (its check character does not match)"
      fi
      return 1
      ;;
  esac
  if [ -z "$_want" ] || [ "${#_hex}" -lt "$_want" ]; then
    CODE_SHORT=1
    CODE_ERR="the reply code is incomplete ($_g groups${_wantg:+ of $_wantg})"
    return 1
  fi
  if [ "${#_hex}" -gt "$_want" ]; then
    CODE_ERR="the reply code is too long ($_g groups, a reply code has $_wantg): a group typed twice?"
    return 1
  fi
  CODE_HEX=$_hex
}

# The pending request (REQ_BATCH, REQ_NONCE, REQ_FP), or, on a box already
# activated with none pending, those of its certificate (REQ_SOURCE=activation:
# only that same certificate is then accepted again).
load_request() {
  if [ -f "$REQUEST_FILE" ]; then
    REQ_SOURCE=request
    _rf=$REQUEST_FILE
  elif [ "$(trim "$(cat "$ETC_DIR/state" 2>/dev/null)")" = activated ] && [ -f "$ETC_DIR/activation.txt" ]; then
    REQ_SOURCE=activation
    _rf=$ETC_DIR/activation.txt
  else
    fail 80 "this box has no pending activation request: run sh install.sh request, and have the station answer that request"
  fi
  REQ_BATCH=$(txt_field "$_rf" batch)
  REQ_NONCE=$(txt_field "$_rf" nonce)
  REQ_FP=$(txt_field "$_rf" fingerprint)
  [ "$REQ_BATCH" = "$EF_BATCH_ID" ] ||
    fail 80 "the pending request is for batch ${REQ_BATCH:-?}, not for this bundle's batch $EF_BATCH_ID: run sh install.sh request again"
}

# Reply code (CODE_HEX) -> $WORK/cert.txt and cert.sig (DER); for a delegate's
# reply also delegation.txt and delegation.sig. The box rebuilds the texts from
# its pending request, the bundle and the code (docs/activation.md §2).
reply_from_code() {
  # shellcheck disable=SC2046 # numbers and hex, no glob characters
  set -- $(awk -v h="$CODE_HEX" "$CODE_AWK"'BEGIN {
    init()
    printf "%s %.0f %.0f %s", substr(h, 1, 2), dec(substr(h, 3, 6)), dec(substr(h, 9, 8)) * 60, der(substr(h, 17, 128))
    if (substr(h, 1, 2) == "03")
      printf " %s %.0f %.0f %.0f %s", substr(h, 145, 66), dec(substr(h, 211, 6)), dec(substr(h, 217, 6)), dec(substr(h, 223, 8)) * 60, der(substr(h, 231, 128))
    print ""
  }')
  _signer=$ISSUER
  [ "$1" = 03 ] && _signer=$5
  write_cert "$WORK/cert.txt" "$REQ_BATCH" "$2" "$(serial_of "$2")" "$REQ_FP" "$REQ_NONCE" "$3" "$_signer" &&
    hex_to_file "$4" "$WORK/cert.sig" || fail 80 "cannot write in $WORK"
  if [ "$1" = 03 ]; then
    write_deleg "$WORK/delegation.txt" "$REQ_BATCH" "$6-$7" "$5" "$8" "$ISSUER" &&
      hex_to_file "$9" "$WORK/delegation.sig" || fail 80 "cannot write in $WORK"
  fi
}

# The lines between "-----BEGIN EDGEFORGE <label>-----" and its END line.
# Exit status 0, 1 (no END line) or 2 (no such block).
armoured() { # file label
  tr -d '\r' <"$1" | awk -v b="-----BEGIN EDGEFORGE $2-----" -v e="-----END EDGEFORGE $2-----" '
    done { next }
    on && $0 == e { done = 1; next }
    on { print; next }
    $0 == b { on = 1 }
    END { exit done ? 0 : (on ? 1 : 2) }'
}

# A reply file (docs/activation.md §4) -> $WORK/cert.txt, cert.sig and, from a
# delegate, delegation.txt and delegation.sig. A file without the armoured
# certificate is read for its code= line, or as a bare code.
reply_from_file() { # file
  [ -r "$1" ] || fail 80 "$1: cannot be read"
  armoured "$1" ACTIVATION >"$WORK/cert.txt"
  case $? in
    0) ;;
    1) fail 80 "$1: the certificate has no END line (is the file cut short?)" ;;
    *)
      _code=$(tr -d '\r' <"$1" | sed -n 's/^code=//p' | head -n 1)
      if [ -n "$_code" ]; then
        parse_reply_code "$_code" || fail 80 "$1: $CODE_ERR"
      else
        parse_reply_code "$(grep -v '^[[:space:]]*#' "$1")" ||
          fail 80 "$1: not a reply file (no BEGIN EDGEFORGE ACTIVATION block, no code= line), nor a reply code: $CODE_ERR"
      fi
      reply_from_code
      return 0
      ;;
  esac
  armoured "$1" 'ACTIVATION SIGNATURE' | tr -d ' \t\n' | openssl base64 -d -A >"$WORK/cert.sig" 2>/dev/null
  [ -s "$WORK/cert.sig" ] || fail 80 "$1: the certificate's signature (BEGIN EDGEFORGE ACTIVATION SIGNATURE) is missing or not base64"
  armoured "$1" DELEGATION >"$WORK/delegation.txt"
  case $? in
    0)
      armoured "$1" 'DELEGATION SIGNATURE' | tr -d ' \t\n' | openssl base64 -d -A >"$WORK/delegation.sig" 2>/dev/null
      [ -s "$WORK/delegation.sig" ] || fail 80 "$1: the delegation's signature (BEGIN EDGEFORGE DELEGATION SIGNATURE) is missing or not base64"
      ;;
    1) fail 80 "$1: the delegation has no END line (is the file cut short?)" ;;
    *) rm -f "$WORK/delegation.txt" ;;
  esac
}

# Asks for the reply code on stdin until it is whole and every group checks
# (a mistyped group is named); an incomplete code may go on on the next line.
reply_from_prompt() {
  printf '%s\n' "Type the reply code of the EdgeForge station, paste it, or scan its QR code (dashes and spaces do not matter)." >&2
  _kept=
  _eof=
  while :; do
    if [ -n "$_kept" ]; then printf 'Rest of the reply code: ' >&2; else printf 'Reply code: ' >&2; fi
    _line=
    IFS= read -r _line || _eof=1
    [ -n "$_eof" ] && printf '\n' >&2
    _line=$(code_norm "$_line")
    if [ -n "$_line" ]; then
      # A whole code on its own line replaces what was kept.
      if [ -n "$_kept" ] && parse_reply_code "$_line"; then
        break
      fi
      parse_reply_code "$_kept$_line" && break
      if [ -n "$CODE_SHORT" ]; then
        _kept=$_kept$_line
        printf '%s\n' "install.sh: $CODE_ERR: type the rest of it." >&2
      else
        _kept=
        printf '%s\n' "install.sh: $CODE_ERR: type the whole code again." >&2
      fi
    fi
    if [ -n "$_eof" ]; then
      if [ -n "$_kept" ]; then fail 80 "the reply code was incomplete at the end of the input"; fi
      fail 80 "no reply code was entered (end of input)"
    fi
  done
  reply_from_code
}

# The delegation in $WORK (docs/activation.md §3, rule 4): issued by the
# bundle's station, for this batch, to the certificate's signer, over its seat.
check_delegation() { # signer seat
  _d=$WORK/delegation.txt
  _dformat=$(txt_field "$_d" format)
  _dbatch=$(txt_field "$_d" batch)
  _seats=$(txt_field "$_d" seats)
  _delegate=$(txt_field "$_d" delegate)
  _dissued=$(txt_field "$_d" issued)
  _issuer=$(txt_field "$_d" issuer)
  [ "$_dformat" = "$DELEG_FORMAT" ] || fail 80 "the delegation's format is ${_dformat:-missing}, not $DELEG_FORMAT"
  [ "$_dbatch" = "$EF_BATCH_ID" ] || fail 80 "the delegation is for batch ${_dbatch:-?}, not this bundle's batch $EF_BATCH_ID"
  _first=$(num "${_seats%%-*}" "")
  _last=$(num "${_seats#*-}" "")
  write_deleg "$WORK/canon.txt" "$_dbatch" "$_seats" "$_delegate" "$_dissued" "$_issuer"
  [ -n "$_first" ] && [ -n "$_last" ] && [ "$(file_sha "$_d")" = "$(file_sha "$WORK/canon.txt")" ] ||
    fail 80 "the delegation is not in the exact form of $DELEG_FORMAT (lines changed, added or reordered)"
  [ "$_issuer" = "$ISSUER" ] ||
    fail 80 "the delegation was issued by station $_issuer, not by this bundle's station $ISSUER"
  sig_ok "$DELEG_DOMAIN" "$_d" "$WORK/delegation.sig" ||
    fail 80 "the delegation's signature is invalid: it was not signed by this bundle's station (station.pub.pem), or it was changed"
  [ "$_delegate" = "$1" ] ||
    fail 80 "the delegation is for station $_delegate, but the certificate was signed by station $1"
  point_pem "$_delegate" "$WORK/delegate.pem" || fail 80 "cannot write in $WORK"
  sig_verify "$CERT_DOMAIN" "$WORK/cert.txt" "$WORK/cert.sig" "$WORK/delegate.pem" ||
    fail 80 "the certificate's signature is invalid: it was not signed by the delegated station $_delegate, or the reply answers another request or another box"
  [ "$2" -ge "$_first" ] && [ "$2" -le "$_last" ] ||
    fail 80 "seat $2 is outside the seats $_seats delegated to station $_delegate"
}

# Checks the certificate in $WORK against the bundle, the pending request and
# the box (docs/activation.md §3, "What the box accepts"); sets SEAT, SERIAL,
# MATCHED, TOTAL and DELEGATED.
accept_certificate() {
  _c=$WORK/cert.txt
  _format=$(txt_field "$_c" format)
  _batch=$(txt_field "$_c" batch)
  SEAT=$(txt_field "$_c" seat)
  SERIAL=$(txt_field "$_c" serial)
  _fp=$(txt_field "$_c" fingerprint)
  _nonce=$(txt_field "$_c" nonce)
  _issued=$(txt_field "$_c" issued)
  _signer=$(txt_field "$_c" signer)
  # 1. Its format and batch.
  [ "$_format" = "$CERT_FORMAT" ] || fail 80 "the certificate's format is ${_format:-missing}, not $CERT_FORMAT"
  [ "$_batch" = "$EF_BATCH_ID" ] || fail 80 "the certificate is for batch ${_batch:-?}, but this bundle is batch $EF_BATCH_ID"
  write_cert "$WORK/canon.txt" "$_batch" "$SEAT" "$SERIAL" "$_fp" "$_nonce" "$_issued" "$_signer"
  case "$SEAT" in '' | 0* | *[!0-9]*) SEAT= ;; esac
  [ -n "$SEAT" ] && [ "$(file_sha "$_c")" = "$(file_sha "$WORK/canon.txt")" ] ||
    fail 80 "the certificate is not in the exact form of $CERT_FORMAT (lines changed, added or reordered)"
  if [ "$REQ_SOURCE" = activation ] && [ "$(file_sha "$_c")" != "$(file_sha "$ETC_DIR/activation.txt")" ]; then
    fail 80 "this box has no pending activation request (it is activated: seat $(txt_field "$ETC_DIR/activation.txt" seat)); to activate it again, run sh install.sh request, and have the station answer that request"
  fi
  # 2. The nonce of the pending request.
  [ "$_nonce" = "$REQ_NONCE" ] ||
    fail 80 "the certificate answers another request (nonce $_nonce), not this box's pending request (nonce $REQ_NONCE): a reply to an older request, or to another box's? Give the station the request that sh install.sh request prints now"
  # 3. k of n of its fingerprint are this box's.
  # shellcheck disable=SC2046 # two numbers
  set -- $(awk -v fp="$_fp" -v own="$FP_ALL_PREFIXES" 'BEGIN {
    n = split(fp, a, ",")
    m = split(own, b, ",")
    for (i = 1; i <= m; i++) mine[b[i]] = 1
    for (i = 1; i <= n; i++) if ((a[i] in mine) && !(a[i] in seen)) { k++; seen[a[i]] = 1 }
    printf "%d %d\n", k, n
  }')
  MATCHED=$1
  TOTAL=$2
  _need=$(((TOTAL + 1) / 2))
  [ "$TOTAL" -ge 1 ] && [ "$MATCHED" -ge "$_need" ] ||
    fail 80 "the certificate's fingerprint matches $MATCHED of its $TOTAL hardware components on this box, at least $_need must: a certificate for another box?"
  [ "$SERIAL" = "$(serial_of "$SEAT")" ] ||
    fail 80 "the certificate's serial $SERIAL does not follow this batch's serial scheme (seat $SEAT is $(serial_of "$SEAT"))"
  # 4. Signed by the bundle's station, or by a station it delegated the seat to.
  DELEGATED=
  if [ "$_signer" = "$ISSUER" ]; then
    rm -f "$WORK/delegation.txt" "$WORK/delegation.sig"
    sig_ok "$CERT_DOMAIN" "$_c" "$WORK/cert.sig" ||
      fail 80 "the certificate's signature is invalid: it was not signed by this bundle's station (station.pub.pem), or the reply answers another request or another box"
  elif [ ! -f "$WORK/delegation.txt" ]; then
    fail 80 "the certificate was signed by station $_signer, not by this bundle's station $ISSUER, and comes with no delegation from it: an untrusted station"
  else
    check_delegation "$_signer" "$SEAT"
    DELEGATED=1
  fi
  # 5. (The trusted stations were checked with the bundle, by do_verify.)
}

# ---------------------------------------------------------------------------
# Commands

run_step() { # name
  STEP_N=$((STEP_N + 1))
  CUR_STEP=$1
  case "$1" in
    verify | preflight) ;;
    *)
      if [ -f "$MARK_DIR/$1.done" ]; then
        progress "$1" skip "done by an earlier run"
        CUR_STEP=
        return 0
      fi
      ;;
  esac
  progress "$1" start
  SKIPPED=
  case "$1" in
    verify) do_verify full ;;
    *) "do_$1" ;;
  esac
  case "$1" in
    verify | preflight) ;;
    *) mark "$1" || fail 70 "cannot write the step marker in $MARK_DIR" ;;
  esac
  if [ -n "$SKIPPED" ]; then progress "$1" skip "$SKIPPED"; else progress "$1" "done"; fi
  CUR_STEP=
}

common_checks() {
  [ "$(id -u)" = 0 ] || fail 3 "run as root (e.g. sudo sh install.sh)"
  need_tools 3 openssl sha256sum tar gzip sed grep awk df find sort cut tr wc head uname od mktemp
}

cmd_install() {
  STEP_TOTAL=8
  for _s in $STEPS; do
    run_step "$_s"
  done
  info "installed; this box is awaiting activation (sh install.sh request)"
}

cmd_preflight() {
  STEP_TOTAL=2
  run_step verify
  run_step preflight
}

cmd_request() { # [request file to write]
  QUIET=1
  do_verify light
  case "$EF_BATCH_ID" in
    bat_[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ;;
    *) fail 11 "bundle.env: the batch id $EF_BATCH_ID is not bat_ and 16 hex digits: this bundle cannot be activated" ;;
  esac
  compute_identity
  [ -n "$FP_HASHES" ] || fail 70 "no usable hardware identity on this box (no DMI UUID, serials or physical NIC)"
  # The pending request is printed again unchanged, unless the batch or the
  # box's identity changed since it was made.
  _code=
  if [ -f "$REQUEST_FILE" ] && [ "$(txt_field "$REQUEST_FILE" batch)" = "$EF_BATCH_ID" ] &&
    [ "$(txt_field "$REQUEST_FILE" fingerprint)" = "$FP_PREFIXES" ] &&
    [ "$(txt_field "$REQUEST_FILE" machine-id)" = "$MACHINE_ID_PREFIX" ]; then
    _code=$(txt_field "$REQUEST_FILE" code)
  fi
  if [ -z "$_code" ]; then
    _nonce=$(od -An -N4 -tx1 /dev/urandom 2>/dev/null | tr -d ' \n')
    case "$_nonce" in
      [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ;;
      *) fail 70 "cannot read a random nonce from /dev/urandom" ;;
    esac
    # 0x01, batch, nonce, n (+0x80 with a machine-id prefix), machine-id prefix, component prefixes.
    _n=$(printf '%s\n' "$FP_PREFIXES" | awk -F, '{ print NF }')
    [ -n "$MACHINE_ID_PREFIX" ] && _n=$((_n + 128))
    _code=$(code_of_hex "$(printf '01%s%s%02x%s%s' "${EF_BATCH_ID#bat_}" "$_nonce" "$_n" "$MACHINE_ID_PREFIX" "$(printf '%s' "$FP_PREFIXES" | tr -d ,)")")
    [ -n "$_code" ] || fail 70 "cannot compute the request code (awk failed)"
    { mkdir -p "$STATE_DIR" && write_text "$REQUEST_FILE" 0644 "format=$REQUEST_FORMAT
batch=$EF_BATCH_ID
nonce=$_nonce
fingerprint=$FP_PREFIXES
machine-id=$MACHINE_ID_PREFIX
code=$_code"; } || fail 70 "cannot write the pending request $REQUEST_FILE"
  fi

  printf 'EDGEFORGE-REQUEST %s\n' "$_code"
  printf '\n  Activation request of this box (batch %s, %s hardware components).\n' "$EF_BATCH_ID" "$(printf '%s\n' "$FP_HASHES" | grep -c .)"
  if [ "$(trim "$(cat "$ETC_DIR/state" 2>/dev/null)")" = activated ] && [ -f "$ETC_DIR/activation.txt" ]; then
    printf '  This box is activated already (seat %s, serial %s); a new activation replaces that one.\n' \
      "$(txt_field "$ETC_DIR/activation.txt" seat)" "$(txt_field "$ETC_DIR/activation.txt" serial)"
  fi
  printf '  Give it to the EdgeForge station of this batch: scan the QR code below, or\n'
  printf '  type the code (each group of 5 ends with a check character):\n\n'
  printf '%s\n' "$_code" | awk -F- '{ for (i = 1; i <= NF; i++) printf "%s%s%s", (i % 8 == 1 ? "    " : "-"), $i, (i % 8 == 0 || i == NF ? "\n" : "") }'
  printf '\n  Then, with the reply file of the station: sh install.sh activate <file>;\n'
  printf '  or run sh install.sh activate and type, paste or scan its reply code.\n'
  printf '  This request stays the same until the box is activated.\n\n'
  if [ -f qr.awk ]; then
    _style=ascii
    case "$(lower "$CALLER_LOCALE")" in *utf-8* | *utf8*) _style=utf8 ;; esac
    if _qr=$(awk -v text="$_code" -v style="$_style" -f qr.awk </dev/null 2>/dev/null) && [ -n "$_qr" ]; then
      printf '%s\n' "$_qr" | sed 's/^/  /'
    else
      printf '  (no QR code: qr.awk failed to draw it)\n'
    fi
  else
    printf '  (no QR code: qr.awk is not in this bundle)\n'
  fi
  if [ -n "${1:-}" ]; then
    write_text "$1" 0644 "# EdgeForge activation request: batch $EF_BATCH_ID, box $(uname -n)
# At the station: activate the box with this file, or type the code below.
EDGEFORGE-REQUEST $_code" || fail 70 "cannot write the request file $1"
    printf '\n  Request written to %s\n' "$1"
  fi
}

cmd_activate() { # file|code|prompt [file or code]
  QUIET=1
  FAIL_TAG=EDGEFORGE-ACTIVATION
  TRUST_FAIL=80
  do_verify light
  [ -f "$ETC_DIR/state" ] || fail 80 "this box is not installed yet: run sh install.sh first"
  serial_scheme
  ISSUER=$(issuer_point)
  case "$ISSUER" in
    0[23]*) [ "${#ISSUER}" -eq 66 ] || ISSUER= ;;
    *) ISSUER= ;;
  esac
  [ -n "$ISSUER" ] || fail 10 "station.pub.pem: not a P-256 public key that openssl can read"
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/edgeforge-activate.XXXXXX") || fail 80 "cannot create a temporary folder"
  trap 'rm -rf "$WORK"' EXIT
  trap 'exit 130' INT TERM
  load_request
  compute_identity
  case "$1" in
    file) reply_from_file "$2" ;;
    code)
      parse_reply_code "$2" || fail 80 "$CODE_ERR"
      reply_from_code
      ;;
    *) reply_from_prompt ;;
  esac
  accept_certificate

  # Recorded: the certificate (and the delegation), then the state; the
  # pending request is forgotten last, so an interrupted run can be redone.
  { mkdir -p "$ETC_DIR" &&
    install_file "$WORK/cert.txt" "$ETC_DIR/activation.txt" 0644 &&
    install_file "$WORK/cert.sig" "$ETC_DIR/activation.sig" 0644; } ||
    fail 80 "cannot write the activation into $ETC_DIR"
  if [ -n "$DELEGATED" ]; then
    { install_file "$WORK/delegation.txt" "$ETC_DIR/delegation.txt" 0644 &&
      install_file "$WORK/delegation.sig" "$ETC_DIR/delegation.sig" 0644; } ||
      fail 80 "cannot write the delegation into $ETC_DIR"
  else
    rm -f "$ETC_DIR/delegation.txt" "$ETC_DIR/delegation.sig"
  fi
  write_text "$ETC_DIR/state" 0644 activated || fail 80 "cannot write $ETC_DIR/state"
  rm -f "$REQUEST_FILE"
  printf 'EDGEFORGE-ACTIVATION state=activated seat=%s serial=%s matched=%s/%s\n' "$SEAT" "$SERIAL" "$MATCHED" "$TOTAL"
}

cmd_status() {
  _state=not-installed
  [ -f "$ETC_DIR/state" ] && _state=$(trim "$(cat "$ETC_DIR/state")")
  _sha=
  [ -f manifest.json ] && _sha=$(file_sha manifest.json)
  _done=
  for _s in $STEPS; do
    [ -n "$_sha" ] && [ -f "$STATE_DIR/install/$_sha/$_s.done" ] && _done="$_done${_done:+,}$_s"
  done
  _batch=
  [ -f "$ETC_DIR/versions.json" ] && _batch=$(json_str_field "$ETC_DIR/versions.json" batch)
  _seat=
  if [ "$_state" = activated ] && [ -f "$ETC_DIR/activation.txt" ]; then
    _seat=" seat=$(txt_field "$ETC_DIR/activation.txt" seat) serial=$(txt_field "$ETC_DIR/activation.txt" serial)"
  fi
  printf 'EDGEFORGE-STATUS state=%s batch=%s bundle=%s done=%s%s\n' "$_state" "${_batch:--}" "${_sha:--}" "${_done:--}" "$_seat"
  [ -f "$ETC_DIR/versions.json" ] && cat "$ETC_DIR/versions.json"
  return 0
}

# ---------------------------------------------------------------------------
# Main

# A path given by the caller is relative to where the caller stands.
from_caller() {
  case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$(pwd)" "$1" ;; esac
}

cmd=${1:-install}
ARG_MODE=
ARG=
case "$cmd" in
  install | preflight | status)
    [ $# -le 1 ] || usage
    ;;
  request)
    if [ $# -eq 3 ] && [ "$2" = --file ] && [ -n "$3" ]; then
      ARG=$(from_caller "$3")
    elif [ $# -ne 1 ]; then
      usage
    fi
    ;;
  activate)
    FAIL_TAG=EDGEFORGE-ACTIVATION
    if [ $# -eq 1 ]; then
      ARG_MODE=prompt
    elif [ $# -eq 2 ] && [ -f "$2" ]; then
      ARG_MODE='file'
      ARG=$(from_caller "$2")
    else
      # A reply code, possibly split into several arguments by its spaces.
      shift
      ARG_MODE=code
      ARG="$*"
      if [ -n "$(printf '%s' "$ARG" | tr -d '0-9A-Za-z \t-')" ]; then
        [ $# -eq 1 ] || usage
        fail 80 "$1: no such file, and not a reply code"
      fi
    fi
    ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac

cd "$(dirname "$0")" || fail 11 "cannot enter the bundle directory $(dirname "$0")"
common_checks

case "$cmd" in
  install) cmd_install ;;
  preflight) cmd_preflight ;;
  request) cmd_request "$ARG" ;;
  activate) cmd_activate "$ARG_MODE" "$ARG" ;;
  status) cmd_status ;;
esac
exit 0
