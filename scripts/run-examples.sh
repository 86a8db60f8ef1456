#!/usr/bin/env bash
# `make run`: check each example program with the cdsl binary and summarise.
set -uo pipefail
cdsl=$1
shift
ok=0
failed=0
printf '%-44s %7s  %s\n' "program" "lines" "verdict"
for file in "$@"; do
  lines=$(wc -l <"$file")
  if "$cdsl" check --color never "$file" 2>/tmp/cdsl-run.$$; then
    printf '%-44s %7d  %s\n' "$file" "$lines" "ok"
    ok=$((ok + 1))
  else
    printf '%-44s %7d  %s\n' "$file" "$lines" "FAILED"
    cat /tmp/cdsl-run.$$
    failed=$((failed + 1))
  fi
done
rm -f /tmp/cdsl-run.$$
echo "checked $((ok + failed)) programs: $ok ok, $failed failed (parsed and linearly type-checked)"
[ "$failed" -eq 0 ] || exit 1

# The same program on both semantics, checked call by call, then compiled.
demo=compiler/benches/engines/checksum.cdsl
echo
echo "running $demo on value and update semantics (checked against each other):"
"$cdsl" run "$demo" --fn main --arg '(SysState, 4096)' --engine both || exit 1
echo "and compiled to Rust:"
"$cdsl" run "$demo" --fn main --arg '(SysState, 4096)' --engine rust || exit 1
if command -v "${CC:-cc}" >/dev/null; then
  echo "and compiled to C:"
  "$cdsl" run "$demo" --fn main --arg '(SysState, 4096)' --engine c || exit 1
else
  echo "(skipping the C engine: ${CC:-cc} is not installed)"
fi
