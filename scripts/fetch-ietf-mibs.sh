#!/usr/bin/env bash
# Fetch the IETF base MIB modules that MIP-MIB imports from (SNMPv2-SMI, SNMPv2-TC,
# SNMPv2-CONF, IF-MIB, ...) at install time.
#
# The texts are NOT part of this repository (their licence does not let us ship them);
# they are taken from the npm registry package `net-snmp`, which carries them in
# lib/mibs/, and installed as mibs/ietf/<MODULE>.txt (a gitignored folder).
# When run as root and /usr/share/snmp/mibs exists, they are also copied to
# /usr/share/snmp/mibs/ietf/ so that net-snmp tools and libsmi (smilint) find them
# on their default search path, e.g.:
#     snmpbulkwalk -M +mibs -m +MIP-MIB ...
#
# Idempotent: does nothing when every module is already in place.
#
# Environment:
#   MIPMIB_MIB_DIR      mibs folder to install into (default: <repo>/mibs)
#   NET_SNMP_NPM_SPEC   npm package spec to take the modules from (default: net-snmp@3.29.2)
#   MIPMIB_NO_SYSTEM_MIBS=1   never touch /usr/share/snmp/mibs
set -euo pipefail

MODULES=(SNMPv2-SMI SNMPv2-TC SNMPv2-CONF SNMPv2-MIB IF-MIB IANAifType-MIB)

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
mib_dir="${MIPMIB_MIB_DIR:-$repo/mibs}"
dest="$mib_dir/ietf"
spec="${NET_SNMP_NPM_SPEC:-net-snmp@3.29.2}"
system_root="/usr/share/snmp/mibs"
system_dest="$system_root/ietf"

die() {
    echo "fetch-ietf-mibs: error: $*" >&2
    exit 1
}

# Does folder $1 hold every module, each one really defining that module?
complete_in() {
    local dir="$1" m
    for m in "${MODULES[@]}"; do
        [[ -s "$dir/$m.txt" ]] || return 1
        grep -q "^[[:space:]]*$m[[:space:]]\+DEFINITIONS" "$dir/$m.txt" || return 1
    done
    return 0
}

want_system=0
if [[ "${MIPMIB_NO_SYSTEM_MIBS:-0}" != 1 && "$(id -u)" -eq 0 && -d "$system_root" ]]; then
    want_system=1
fi

need_local=1
complete_in "$dest" && need_local=0
need_system=0
if [[ $want_system == 1 ]] && ! complete_in "$system_dest"; then
    need_system=1
fi

if [[ $need_local == 0 && $need_system == 0 ]]; then
    echo "fetch-ietf-mibs: IETF base modules already present in $dest"
    exit 0
fi

if [[ $need_local == 1 ]]; then
    command -v npm >/dev/null 2>&1 || die "npm is not installed; it is needed to fetch $spec"
    command -v tar >/dev/null 2>&1 || die "tar is not installed"

    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT

    echo "fetch-ietf-mibs: fetching $spec from the npm registry"
    if ! (cd "$work" && npm pack --silent "$spec" >pack.out 2>pack.err); then
        cat "$work/pack.err" >&2 || true
        die "'npm pack $spec' failed (no network access to the npm registry?)"
    fi
    tarball="$(find "$work" -maxdepth 1 -name '*.tgz' | head -n 1)"
    [[ -n "$tarball" ]] || die "'npm pack $spec' produced no tarball"
    mkdir -p "$work/x"
    tar -xzf "$tarball" -C "$work/x" || die "could not unpack $tarball"

    src="$work/x/package/lib/mibs"
    for m in "${MODULES[@]}"; do
        [[ -s "$src/$m.mib" ]] || die "$spec has no lib/mibs/$m.mib"
        grep -q "^[[:space:]]*$m[[:space:]]\+DEFINITIONS" "$src/$m.mib" \
            || die "$spec lib/mibs/$m.mib does not define module $m"
    done

    mkdir -p "$dest"
    for m in "${MODULES[@]}"; do
        # write through a temporary name so an interrupted run never leaves half a module
        cp "$src/$m.mib" "$dest/.$m.txt.tmp"
        mv -f "$dest/.$m.txt.tmp" "$dest/$m.txt"
    done
    complete_in "$dest" || die "installation into $dest is incomplete"
    echo "fetch-ietf-mibs: installed ${MODULES[*]} into $dest"
fi

if [[ $need_system == 1 ]]; then
    mkdir -p "$system_dest" || die "cannot create $system_dest"
    for m in "${MODULES[@]}"; do
        # never overwrite a module some other package already installed there
        if [[ ! -s "$system_dest/$m.txt" ]]; then
            cp "$dest/$m.txt" "$system_dest/$m.txt" || die "cannot copy $m to $system_dest"
        fi
    done
    echo "fetch-ietf-mibs: copied the modules to $system_dest"
fi
