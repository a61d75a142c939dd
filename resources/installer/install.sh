#!/bin/sh
# EdgeForge box-side installer for bundles of format edgeforge.bundle/v1.
#
#   sh install.sh [install]        verify, check the hardware, install (default)
#   sh install.sh preflight        verify and check the hardware only; installs nothing
#   sh install.sh request          print this box's activation request
#   sh install.sh activate FILE    check an activation certificate (FILE + FILE.sig) and record it
#   sh install.sh status           print what is installed
#
# Contract: docs/bundle-format.md (the bundle) and docs/installer.md (this
# script: steps, progress lines, exit codes, files written on the box).
# POSIX sh only: it runs under dash and bash, on CentOS 7 through Debian 12,
# with nothing but what those systems ship (coreutils, openssl >= 1.0.2, tar,
# gzip, sed, grep, awk, iproute2, systemd). It must be run as root, from the
# bundle directory it sits in (it changes to that directory itself), and it
# never writes into that directory (an ISO bundle is read-only).

umask 022
LC_ALL=C
export LC_ALL
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}
export PATH

FORMAT=edgeforge.bundle/v1
MANIFEST_DOMAIN=edgeforge.bundle.manifest.v1
LICENSE_DOMAIN=edgeforge.batch.license.v1
CERT_DOMAIN=edgeforge.activation.certificate.v1
FP_DOMAIN=edgeforge.fingerprint.v1
REQUEST_FORMAT=edgeforge.activation-request/v1
IDENTITY_FORMAT=edgeforge.identity/v1

STATE_DIR=/var/lib/edgeforge
ETC_DIR=/etc/edgeforge
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
usage: sh install.sh [install]        verify the bundle, check the hardware, install
       sh install.sh preflight        verify the bundle and check the hardware only
       sh install.sh request          print this box's activation request
       sh install.sh activate FILE    check and record an activation certificate (FILE, FILE.sig)
       sh install.sh status           print what is installed
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

sig_ok() { # domain file sigfile
  { printf '%s\n' "$1" && cat "$2"; } | openssl dgst -sha256 -verify station.pub.pem -signature "$3" >/dev/null 2>&1
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
  fail 10 "station.pub.pem is not a trusted station key: it matches none of the keys in $TRUST_DIR/ (this bundle was signed by another station)"
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
# files this script reads (bundle.env, license.json). Then sources bundle.env.
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
    for _f in bundle.env license.json license.json.sig station.pub.pem; do
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

# Sets FP_COMPONENTS (lines "component hash"), FP_HASHES (lines) and MACHINE_ID_HASH.
compute_identity() {
  FP_COMPONENTS=
  _add() {
    is_placeholder "$2" && return 0
    FP_COMPONENTS="$FP_COMPONENTS${FP_COMPONENTS:+
}$1 $(fp_hash "$1" "$2")"
  }
  _add dmi-uuid "$(lower "$(read_sys /sys/class/dmi/id/product_uuid)")"
  _add board-serial "$(read_sys /sys/class/dmi/id/board_serial)"
  _add product-serial "$(read_sys /sys/class/dmi/id/product_serial)"
  _macs=$(for _d in /sys/class/net/*; do
    [ -e "$_d/device" ] && lower "$(read_sys "$_d/address")" && echo
  done | sort -u)
  for _mac in $_macs; do
    _add mac "$_mac"
  done
  FP_HASHES=$(printf '%s\n' "$FP_COMPONENTS" | awk 'NF == 2 { print $2 }')
  _mid=$(read_sys /etc/machine-id)
  MACHINE_ID_HASH=
  is_placeholder "$_mid" || MACHINE_ID_HASH=$(fp_hash machine-id "$_mid")
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
  need_tools 3 openssl sha256sum tar gzip sed grep awk df find sort cut tr wc head uname
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

cmd_request() {
  QUIET=1
  do_verify light
  compute_identity
  [ -n "$FP_HASHES" ] || fail 70 "no usable hardware identity on this box (no DMI UUID, serials or physical NIC)"
  _json="{\"format\":\"$REQUEST_FORMAT\",\"batch\":\"$(json_esc "$EF_BATCH_ID")\",\"fingerprint\":[$(json_hash_list "$FP_HASHES")],\"machineId\":$(json_machine_id)}"
  printf 'EDGEFORGE-REQUEST %s\n' "$(printf '%s' "$_json" | openssl base64 -A)"
}

cmd_activate() { # file
  QUIET=1
  FAIL_TAG=EDGEFORGE-ACTIVATION
  _cert=$1
  [ -f "$_cert" ] || fail 80 "$_cert: no such file"
  [ -f "$_cert.sig" ] || fail 80 "$_cert.sig: missing (the certificate's signature)"
  do_verify light
  [ -f "$ETC_DIR/state" ] || fail 80 "this box is not installed yet: run sh install.sh first"
  sig_ok "$CERT_DOMAIN" "$_cert" "$_cert.sig" ||
    fail 80 "$_cert: signature invalid (not signed by the station key of this bundle)"
  _batch=$(json_str_field "$_cert" batch)
  [ "$_batch" = "$EF_BATCH_ID" ] ||
    fail 80 "$_cert: the certificate is for batch ${_batch:-?}, this bundle is batch $EF_BATCH_ID"
  _cert_fp=$(tr -d '\r\n' <"$_cert" | grep -o '"fingerprint" *: *\[[^]]*]' | head -n 1 | grep -o '[0-9a-f]\{64\}')
  compute_identity
  _match=0
  _total=0
  for _h in $FP_HASHES; do
    _total=$((_total + 1))
    case " $(printf '%s' "$_cert_fp" | tr '\n' ' ') " in *" $_h "*) _match=$((_match + 1)) ;; esac
  done
  [ "$_match" -ge 1 ] || fail 80 "$_cert: its fingerprint matches none of this box's $_total hardware components (a certificate for another box?)"
  install_file "$_cert" "$ETC_DIR/activation.json" 0644 &&
    install_file "$_cert.sig" "$ETC_DIR/activation.json.sig" 0644 &&
    write_text "$ETC_DIR/state" 0644 activated ||
    fail 80 "cannot write the activation into $ETC_DIR"
  printf 'EDGEFORGE-ACTIVATION state=activated matched=%s/%s\n' "$_match" "$_total"
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
  printf 'EDGEFORGE-STATUS state=%s batch=%s bundle=%s done=%s\n' "$_state" "${_batch:--}" "${_sha:--}" "${_done:--}"
  [ -f "$ETC_DIR/versions.json" ] && cat "$ETC_DIR/versions.json"
  return 0
}

# ---------------------------------------------------------------------------
# Main

cmd=${1:-install}
case "$cmd" in
  install | preflight | request | status)
    [ $# -le 1 ] || usage
    ;;
  activate)
    [ $# -eq 2 ] && [ -n "$2" ] || usage
    # The certificate's path is relative to where the caller stands.
    case "$2" in /*) CERT_FILE=$2 ;; *) CERT_FILE=$(pwd)/$2 ;; esac
    ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac

cd "$(dirname "$0")" || fail 11 "cannot enter the bundle directory $(dirname "$0")"
common_checks

case "$cmd" in
  install) cmd_install ;;
  preflight) cmd_preflight ;;
  request) cmd_request ;;
  activate) cmd_activate "$CERT_FILE" ;;
  status) cmd_status ;;
esac
exit 0
