#!/usr/bin/env bash
# Run Molecule scenarios one after another with a progress line for each, then a summary.
# usage: tools/run-scenarios.sh [SCENARIO ...]      (default: every scenario under molecule/)
# A scenario may list the Debian releases to run under in molecule/<name>/debian-releases, and the
# topologies to run in (WEBSTACK_TOPOLOGY) in molecule/<name>/topologies, each optionally followed by the releases
# it runs on. The demo and bench scenarios are left out.
set -uo pipefail
cd "$(dirname "$0")/.."

if (($#)); then
  scenarios=("$@")
else
  mapfile -t scenarios < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' \
    | xargs -n1 basename | sort)
  # smoke proves the rig, so it goes first.
  scenarios=(smoke $(printf '%s\n' "${scenarios[@]}" | grep -vxE 'smoke|demo|bench'))
fi

runs=()
for s in "${scenarios[@]}"; do
  [[ -f "molecule/$s/molecule.yml" ]] || { echo "run-scenarios: no scenario '$s' under molecule/" >&2; exit 2; }
  releases="${WEBSTACK_DEBIAN:-bookworm}"
  if [[ -f "molecule/$s/debian-releases" && -z "${WEBSTACK_DEBIAN_ONLY:-}" ]]; then
    releases="$(grep -v '^#' "molecule/$s/debian-releases" | xargs)"
  fi
  # Each line of topologies: a topology, then the releases it runs on if not all of them.
  topologies=("-")
  [[ -f "molecule/$s/topologies" ]] && mapfile -t topologies < <(grep -v -e '^#' -e '^[[:space:]]*$' "molecule/$s/topologies")
  for r in $releases; do
    for line in "${topologies[@]}"; do
      read -r t only <<<"$line"
      [[ -z "$only" || " $only " == *" $r "* ]] && runs+=("$s:$r:$t")
    done
  done
done

# Molecule looks for a scenario called default on every run and says it found none; there is none on purpose.
molecule_quiet() { molecule "$@" 2>&1 | sed -u "/molecule\/default\/molecule.yml' glob failed/d"; }

passed=0 failed=0 failures=()
start=$SECONDS
total=${#runs[@]}
for i in "${!runs[@]}"; do
  IFS=: read -r s r t <<<"${runs[$i]}"
  label="Debian $r" topology=chained
  [[ "$t" == - ]] || label+=", $t" topology=$t
  printf '\n==> [%d/%d] molecule test -s %s (%s)   elapsed %dm%02ds\n' \
    $((i + 1)) "$total" "$s" "$label" $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60))
  tools/build-image.sh "$r"
  t0=$SECONDS
  if WEBSTACK_DEBIAN="$r" WEBSTACK_TOPOLOGY="$topology" molecule_quiet test -s "$s"; then
    passed=$((passed + 1)); verdict=passed
  else
    failed=$((failed + 1)); verdict=FAILED; failures+=("$s ($label)")
  fi
  printf '==> %s (%s) %s in %ds\n' "$s" "$label" "$verdict" $((SECONDS - t0))
done

printf '\n==> molecule finished in %dm%02ds\n' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60))
((failed)) && printf '    failed: %s\n' "${failures[@]}"
echo "molecule: $passed passed, $failed failed"
((failed == 0))
