#!/usr/bin/env bash
# Install the Debian packages mipmib's tests and tools use, only those that are missing:
# net-snmp clients and agent (snmp, snmpd, snmptrapd), libsmi's smilint (smitools) and
# Prometheus' promtool (prometheus). Needs root (or sudo) when something is missing.
set -euo pipefail
need=()
command -v snmpget   >/dev/null 2>&1 || need+=(snmp)
command -v snmpd     >/dev/null 2>&1 || need+=(snmpd)
command -v snmptrapd >/dev/null 2>&1 || need+=(snmptrapd)
command -v smilint   >/dev/null 2>&1 || need+=(smitools)
command -v promtool  >/dev/null 2>&1 || need+=(prometheus)
command -v npm       >/dev/null 2>&1 || need+=(npm)
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
