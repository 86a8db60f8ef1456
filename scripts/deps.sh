#!/usr/bin/env bash
# The one idempotent set-up step behind `make run` and `make test`: installs
# whatever the build and the tests need and is missing. As root it uses
# apt-get; otherwise it names the packages to install and stops.
set -euo pipefail

# command-on-PATH  Debian-package   (what needs it)
NEEDED=(
  "cc gcc"                # the linker rustc calls
  "make make"             # this Makefile
  "mke2fs e2fsprogs"      # real ext2 images for the DDSL tests
  "e2fsck e2fsprogs"      # the oracle those tests compare `ddsl fsck` with
  "debugfs e2fsprogs"     # corrupting test images in targeted ways
  "coqc coq"              # type-checks the Coq mirror of the shallow embedding (~20 s to install)
  "fusermount3 fuse3"     # mounting cdslfs through /dev/fuse (its tests, make run)
  "fuse2fs fuse2fs"       # the peer cdslfs is measured against in make bench-fs
  "pkg-config pkg-config" # locating system libraries for native builds
)

if ! command -v cargo >/dev/null 2>&1; then
  echo "deps: cargo is missing; install the Rust toolchain with rustup (https://rustup.rs)" >&2
  exit 1
fi

missing=()
for pair in "${NEEDED[@]}"; do
  read -r cmd pkg <<<"$pair"
  # e2fsprogs lives in /usr/sbin, which a non-root PATH may lack.
  if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ] && [[ ! " ${missing[*]} " == *" $pkg "* ]]; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}"
