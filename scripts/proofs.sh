#!/usr/bin/env bash
# `make proofs`: generate the Isabelle theories of the ext2 example (its
# CDSL programs and its DDSL layout) and their Coq mirror, print the
# obligation count, then check: with `isabelle` on PATH, `isabelle build`
# of the base session and the generated ones; otherwise `coqc` on the Coq
# mirror (round trips proved, shallow embedding type-checked) and the
# structural check of every Isabelle text (cdsl-thycheck).
set -euo pipefail
cdsl=$1
ddsl=$2
thycheck=$3
out=${PROOFS_OUT:-target/proofs}

if compgen -G "fs-examples/ext2/*.cdsl" >/dev/null; then dir=fs-examples/ext2; else dir=fs-examples/cdsl; fi
if [ -f fs-examples/ext2/ext2.ddsl ]; then layout=fs-examples/ext2/ext2.ddsl; else layout=ddsl/ext2.ddsl; fi

# The ext2 program includes its field bindings, generated from the layout
# and not committed: written here as fs-examples/build.rs writes them.
if [ "$dir" = fs-examples/ext2 ]; then
  "$ddsl" gen "$layout" --emit cdsl-fields --access block=Dev,dev_le,dev_set --access bytes=Buf,le,set -o "$dir" >/dev/null
fi

# The programs: every file of $dir that no other file there includes.
roots=()
for file in "$dir"/*.cdsl; do
  if ! grep -qs "^include \"$(basename "$file")\"" "$dir"/*.cdsl; then
    roots+=("$file")
  fi
done

rm -rf "$out"
mkdir -p "$out/isabelle" "$out/coq"
total=0
sessions=()
for file in "${roots[@]}"; do
  stem=$(basename "$file" .cdsl)
  "$cdsl" build --emit isabelle -o "$out/isabelle/$stem" "$file"
  "$cdsl" build --emit coq -o "$out/coq/$stem" "$file"
  n=$(grep -c '^  sorry$' "$out/isabelle/$stem"/*_Obligations.thy || true)
  printf '%-40s %5d obligations (<fn>_corres, <fn>_refines_c)\n' "$file" "$n"
  total=$((total + n))
  sessions+=("$out/isabelle/$stem")
done
"$ddsl" gen "$layout" --emit isabelle -o "$out/isabelle/layout" 2>/dev/null
"$ddsl" gen "$layout" --emit coq -o "$out/coq/layout" 2>/dev/null
n=$(grep -c '_round_trip:' "$out/isabelle/layout"/*.thy || true)
printf '%-40s %5d obligations (<struct>_round_trip)\n' "$layout" "$n"
total=$((total + n))
sessions+=("$out/isabelle/layout")
echo "obligations: $total, each closed by sorry in $out/isabelle"

if command -v isabelle >/dev/null 2>&1; then
  args=(-D proofs)
  for session in "${sessions[@]}"; do args+=(-D "$session"); done
  isabelle build "${args[@]}"
else
  echo "isabelle is not on PATH: checking the Coq mirror with coqc and the Isabelle text structurally"
  for mirror in "$out"/coq/*; do
    make -s -C "$mirror"
    echo "coqc: $mirror type-checks"
  done
  proved=$(find "$out/coq/layout" -name '*.v' ! -name DdslBase.v -exec cat {} + | grep -c '^Qed\.' || true)
  echo "coqc: $proved layout round trips proved"
  "$thycheck" --structure proofs
  "$thycheck" "${sessions[@]}"
fi
