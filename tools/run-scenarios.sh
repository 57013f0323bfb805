#!/usr/bin/env bash
# Run Molecule scenarios one after another with a progress line for each, then a summary.
# usage: tools/run-scenarios.sh [SCENARIO ...]      (default: every scenario under molecule/)
# A scenario may list extra Debian releases to run under in molecule/<name>/debian-releases.
set -uo pipefail
cd "$(dirname "$0")/.."

if (($#)); then
  scenarios=("$@")
else
  mapfile -t scenarios < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' \
    | xargs -n1 basename | sort)
  # smoke proves the rig, so it goes first.
  scenarios=(smoke $(printf '%s\n' "${scenarios[@]}" | grep -vx smoke))
fi

runs=()
for s in "${scenarios[@]}"; do
  [[ -f "molecule/$s/molecule.yml" ]] || { echo "run-scenarios: no scenario '$s' under molecule/" >&2; exit 2; }
  releases="${WEBSTACK_DEBIAN:-bookworm}"
  if [[ -f "molecule/$s/debian-releases" && -z "${WEBSTACK_DEBIAN_ONLY:-}" ]]; then
    releases="$(grep -v '^#' "molecule/$s/debian-releases" | xargs)"
  fi
  for r in $releases; do runs+=("$s:$r"); done
done

passed=0 failed=0 failures=()
start=$SECONDS
total=${#runs[@]}
for i in "${!runs[@]}"; do
  s="${runs[$i]%%:*}" r="${runs[$i]##*:}"
  printf '\n==> [%d/%d] molecule test -s %s (Debian %s)   elapsed %dm%02ds\n' \
    $((i + 1)) "$total" "$s" "$r" $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60))
  tools/build-image.sh "$r"
  t0=$SECONDS
  if WEBSTACK_DEBIAN="$r" molecule test -s "$s"; then
    passed=$((passed + 1)); verdict=passed
  else
    failed=$((failed + 1)); verdict=FAILED; failures+=("$s ($r)")
  fi
  printf '==> %s (Debian %s) %s in %ds\n' "$s" "$r" "$verdict" $((SECONDS - t0))
done

printf '\n==> molecule finished in %dm%02ds\n' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60))
((failed)) && printf '    failed: %s\n' "${failures[@]}"
echo "molecule: $passed passed, $failed failed"
((failed == 0))
