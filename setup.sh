#!/usr/bin/env bash
# Installs every Debian package kvs needs to build, test and benchmark. Idempotent: packages already
# present are left alone, so a second run costs one `dpkg -s` per package.
set -euo pipefail

packages=(
  bazel-bootstrap      # Bazel 4.2.3
  g++ clang clang-format libclang-rt-14-dev
  libabsl-dev libsnappy-dev libgtest-dev libgmock-dev libbenchmark-dev
  libleveldb-dev librocksdb-dev  # comparison benchmarks
)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -q
  $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "setup: all packages present"
