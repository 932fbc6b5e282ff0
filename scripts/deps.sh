#!/usr/bin/env bash
# Installs the Debian packages iovsim needs, only those that are missing.
# Every dependency comes from Debian's archive (see README).
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config
      libsystemc-dev libboost-graph-dev libprotobuf-dev protobuf-compiler
      libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libfmt-dev libedit-dev
      pciutils pci.ids graphviz python3
      python3-matplotlib   # iovsim report's plots (viz/report.py, under /usr/bin/python3)
      chromium   # the report test opens the page in headless Chromium (skipped without it)
      slurm-wlm munge   # iovsim sweep --slurm; its test starts a single-node Slurm (slurmctld, slurmd, munged)
      tshark   # decodes the pcap captures in a test; noninteractive: wireshark-common's debconf question keeps its default
      clang libclang-rt-dev)   # the sanitizer build and the libFuzzer targets (scripts/sanitize.sh)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
