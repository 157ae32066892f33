#!/usr/bin/env bash
# Installs the Debian 12 packages moefab needs, only those missing, then configures and builds
# (Release) into ./build. Used by the README's two commands and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake g++ make pkg-config
          verilator libopenmpi-dev openmpi-bin libucx-dev ucx-utils
          libprotobuf-dev protobuf-compiler libspdlog-dev libcli11-dev libgtest-dev libbenchmark-dev yosys chromium python3)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "moefab setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
