#!/usr/bin/env bash
# Run Molecule scenarios, several at a time, with a progress line for each, then a summary.
# usage: tools/run-scenarios.sh [SCENARIO ...]      (default: every scenario under molecule/)
# A scenario may list the Debian releases to run under in molecule/<name>/debian-releases, and the
# topologies to run in (WEBSTACK_TOPOLOGY) in molecule/<name>/topologies, each optionally followed by the releases
# it runs on. The demo and bench scenarios are left out.
#
# WEBSTACK_JOBS runs (default 2) go at once, each writing to its own log under logs/molecule/; the log of a
# failed run is printed when it ends. Two runs of one scenario never overlap (they share container names).
# smoke proves the rig, so it runs first; a scenario with a file molecule/<name>/run-alone runs last, with
# nothing beside it. Those, and every run when only one goes at a time, print straight to the terminal.
set -uo pipefail
cd "$(dirname "$0")/.."

jobs="${WEBSTACK_JOBS:-2}"
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "run-scenarios: WEBSTACK_JOBS must be a whole number above 0, not '$jobs'" >&2; exit 2; }
logs=logs/molecule

if (($#)); then
  scenarios=("$@")
else
  mapfile -t scenarios < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' \
    | xargs -n1 basename | sort)
  scenarios=(smoke $(printf '%s\n' "${scenarios[@]}" | grep -vxE 'smoke|demo|bench'))
fi

first=() pool=() last=() releases_used=()
declare -A pool_of=()
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
    [[ " ${releases_used[*]} " == *" $r "* ]] || releases_used+=("$r")
    for line in "${topologies[@]}"; do
      read -r t only <<<"$line"
      [[ -z "$only" || " $only " == *" $r "* ]] || continue
      if [[ "$s" == smoke ]]; then first+=("$s:$r:$t")
      elif [[ -f "molecule/$s/run-alone" ]]; then last+=("$s:$r:$t")
      else pool_of[$r]+=" $s:$r:$t"; fi
    done
  done
done
# The pool goes release by release, so the two runs of a scenario rarely wait for each other.
for r in "${releases_used[@]}"; do pool+=(${pool_of[$r]:-}); done
runs=("${first[@]}" "${pool[@]}" "${last[@]}")
# Runs of one scenario cannot overlap, so a single scenario prints straight to the terminal.
(($(printf '%s\n' "${pool[@]%%:*}" | sort -u | grep -c .) > 1)) || jobs=1

# Molecule looks for a scenario called default on every run and says it found none; there is none on purpose.
molecule_quiet() { molecule "$@" 2>&1 | sed -u "/molecule\/default\/molecule.yml' glob failed/d"; }

passed=0 failed=0 failures=() started=0
start=$SECONDS
clock() { printf '%dm%02ds' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)); }

# parse_run RUN: sets s, r, topology and label ("Debian 12, split") for a run written scenario:release:topology.
parse_run() {
  local t
  IFS=: read -r s r t <<<"$1"
  label="Debian $r" topology=chained
  [[ "$t" == - ]] || label+=", $t" topology=$t
}

# announce RUN: the progress line for a run that starts now.
announce() {
  parse_run "$1"
  started=$((started + 1))
  printf '\n==> [%d/%d] molecule test -s %s (%s)   elapsed %s\n' "$started" "${#runs[@]}" "$s" "$label" "$(clock)"
}

# record RUN STATUS SECONDS [LOG]: count the result and print its line (and the log of a failed run).
record() {
  parse_run "$1"
  local verdict=passed
  if (($2 == 0)); then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)) verdict=FAILED failures+=("$s ($label)")
  fi
  if [[ -n "${4:-}" && "$verdict" == FAILED ]]; then
    printf '\n==> log of %s (%s), %s\n' "$s" "$label" "$4"
    cat "$4"
  fi
  printf '==> %s (%s) %s in %ds%s   elapsed %s\n' "$s" "$label" "$verdict" "$3" "${4:+, log $4}" "$(clock)"
}

# log_of RUN: where a run in the background writes its output.
log_of() { local name=${1%:-}; echo "$logs/${name//:/-}.log"; }

# run_here RUN: one run in the foreground, its output on the terminal.
run_here() {
  announce "$1"
  local t0=$SECONDS status=0
  WEBSTACK_DEBIAN="$r" WEBSTACK_TOPOLOGY="$topology" molecule_quiet test -s "$s" || status=$?
  record "$1" "$status" $((SECONDS - t0))
}

# Stop the runs in the background too: they ignore the terminal's interrupt.
kill_tree() { local child; for child in $(pgrep -P "$1"); do kill_tree "$child"; done; kill "$1" 2>/dev/null; }
declare -A running=() began=()
stop_all() { local pid; for pid in "${!running[@]}"; do kill_tree "$pid"; done; exit 130; }
trap stop_all INT TERM

for r in "${releases_used[@]}"; do tools/build-image.sh "$r" || exit 1; done

for run in "${first[@]}"; do run_here "$run"; done

if ((jobs == 1)); then
  for run in "${pool[@]}"; do run_here "$run"; done
else
  mkdir -p "$logs"
  queue=("${pool[@]}")
  while ((${#queue[@]} + ${#running[@]})); do
    # Start the first queued runs whose scenario is not already running, up to WEBSTACK_JOBS.
    for i in "${!queue[@]}"; do
      ((${#running[@]} < jobs)) || break
      run=${queue[$i]} busy=
      for pid in "${!running[@]}"; do [[ "${running[$pid]%%:*}" == "${run%%:*}" ]] && busy=1; done
      [[ -z "$busy" ]] || continue
      announce "$run"
      (WEBSTACK_DEBIAN="$r" WEBSTACK_TOPOLOGY="$topology" molecule_quiet test -s "$s") >"$(log_of "$run")" 2>&1 &
      running[$!]=$run began[$!]=$SECONDS
      unset 'queue[i]'
    done
    queue=("${queue[@]}")
    status=0
    wait -n -p pid "${!running[@]}" || status=$?
    run=${running[$pid]}
    record "$run" "$status" $((SECONDS - began[$pid])) "$(log_of "$run")"
    unset 'running[$pid]' 'began[$pid]'
  done
fi

for run in "${last[@]}"; do run_here "$run"; done

printf '\n==> molecule finished in %s\n' "$(clock)"
((failed)) && printf '    failed: %s\n' "${failures[@]}"
echo "molecule: $passed passed, $failed failed"
((failed == 0))
