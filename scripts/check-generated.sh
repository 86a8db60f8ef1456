#!/bin/sh
# Generated files that are committed must be what the build generates: the
# build (fs-examples/build.rs) rewrites them from their sources, so a change
# here means the committed copy was stale.
set -e
cd "$(dirname "$0")/.."
git rev-parse --git-dir >/dev/null 2>&1 || exit 0
for file in fs-examples/ext2/ext2_fields.cdsl; do
  if ! git diff --quiet -- "$file"; then
    echo "error: $file changed when built from its layout (fs-examples/ext2/ext2.ddsl): commit the regenerated file" >&2
    exit 1
  fi
done
