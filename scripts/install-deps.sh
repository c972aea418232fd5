#!/usr/bin/env bash
# Installs the Debian 12 packages mlconv needs to build and test, and nothing
# when they are all present already. Uses sudo when not run as root.
set -euo pipefail

packages=(
  cmake g++ make pkg-config
  libprotobuf-dev protobuf-compiler
  libcli11-dev nlohmann-json3-dev libspdlog-dev doctest-dev
  libeigen3-dev libstb-dev  # the executor's GEMM; image decoding for `run`
  libonnx-dev  # the converter's ONNX frontend (protobuf model, checker, shape inference)
  python3-jsonschema  # validates inspect's JSON against schemas/ in the test suite
  python3-numpy python3-onnx  # test fixtures and the ONNX backend conformance cases
  clang libclang-rt-14-dev llvm  # the sanitizer build, libFuzzer targets, symbolized reports (CMakePresets.json)
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "mlconv: error: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
echo "mlconv: installing Debian packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
