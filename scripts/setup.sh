#!/usr/bin/env bash
# Installs every build and test dependency from Debian 12 packages. Idempotent.
set -euo pipefail
PKGS=(cmake ninja-build g++ pkg-config libxnnpack-dev libcpuinfo-dev libpthreadpool-dev
      libonnx-dev libprotobuf-dev protobuf-compiler libbenchmark-dev libgtest-dev
      libonnx-testdata nlohmann-json3-dev python3-torch python3-onnx python3-numpy libopenblas0-pthread)
# Speech front end: audio decoding, resampling, FFT.
PKGS+=(libsndfile1-dev libsamplerate0-dev libkissfft-dev zlib1g-dev sox espeak-ng)
# The libFuzzer target (fuzz/, scripts/fuzz.sh): clang and its libFuzzer/sanitizer runtimes.
PKGS+=(clang libclang-rt-14-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q "${missing[@]}"
else
  echo "setup: all packages present"
fi
