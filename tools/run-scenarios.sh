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
# nothing beside it. Those, and every run when only one goes at a time, print straight to the terminal (and to
# their log).
#
# WEBSTACK_RETRIES (default 1 when CI=true, else 0): how many times a failed run goes again. The summary at the
# end names every run that failed, retried or not, with the lines of its log that say why.
set -uo pipefail
cd "$(dirname "$0")/.."

jobs="${WEBSTACK_JOBS:-2}"
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "run-scenarios: WEBSTACK_JOBS must be a whole number above 0, not '$jobs'" >&2; exit 2; }
retries="${WEBSTACK_RETRIES:-$([[ "${CI:-}" == true ]] && echo 1 || echo 0)}"
[[ "$retries" =~ ^[0-9]$ ]] || { echo "run-scenarios: WEBSTACK_RETRIES must be a whole number from 0 to 9, not '$retries'" >&2; exit 2; }
logs=logs/molecule
mkdir -p "$logs"

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
total=${#runs[@]}
# Runs of one scenario cannot overlap, so a single scenario prints straight to the terminal.
(($(printf '%s\n' "${pool[@]%%:*}" | sort -u | grep -c .) > 1)) || jobs=1

# Molecule looks for a scenario called default on every run and says it found none; there is none on purpose.
molecule_quiet() { molecule "$@" 2>&1 | sed -u "/molecule\/default\/molecule.yml' glob failed/d"; }

passed=0 failed=0 failures=() started=0 reasons=() flaky=()
declare -A tries=()
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
  printf '\n==> [%d/%d] molecule test -s %s (%s)   elapsed %s\n' "$started" "$total" "$s" "$label" "$(clock)"
}

# why_failed LOG: the lines of a failed run's log that say why (failed tasks, failed tests, errors), without
# colours, at most 15 of at most 300 characters (the end of a CI log is often all one sees).
why_failed() {
  sed 's/\x1b\[[0-9;]*m//g' "$1" \
    | grep -E 'fatal: \[|FAILED|failed=[1-9]|unreachable=[1-9]|^[[:space:]│]*E  |Error|CRITICAL|Traceback' \
    | head -n 15 | cut -c1-300
}

# record RUN STATUS SECONDS LOG [PRINT]: count the result and print its line (and, with PRINT, the log of a
# failed run). Sets again when the failed run is to go again.
record() {
  parse_run "$1"
  local verdict=passed attempt=$((${tries[$1]:-0} + 1)) note=
  again=
  if (($2 == 0)); then
    passed=$((passed + 1))
    ((attempt == 1)) || flaky+=("$s ($label)")
  else
    verdict=FAILED
    reasons+=("$(printf '==> why %s (%s) failed, attempt %d (log %s):\n%s' "$s" "$label" "$attempt" "$4" "$(why_failed "$4")")")
    if ((attempt <= retries)); then
      tries[$1]=$attempt again=1 total=$((total + 1)) note=", it goes again"
    else
      failed=$((failed + 1)) failures+=("$s ($label)")
    fi
    if [[ -n "${5:-}" ]]; then
      printf '\n==> log of %s (%s), %s\n' "$s" "$label" "$4"
      cat "$4"
    fi
  fi
  ((attempt == 1)) || note=", attempt $attempt$note"
  printf '==> %s (%s) %s in %ds%s, log %s   elapsed %s\n' "$s" "$label" "$verdict" "$3" "$note" "$4" "$(clock)"
}

# log_of RUN: where a run writes its output (a run that goes again, to a log of its own).
log_of() {
  local name=${1%:-} n=${tries[$1]:-0}
  name=${name//:/-}
  ((n == 0)) || name+="-again$n"
  echo "$logs/$name.log"
}

# run_here RUN: one run in the foreground, its output on the terminal and in its log; again while it fails and
# retries are left.
run_here() {
  local t0 status log
  again=1
  while [[ -n "$again" ]]; do
    announce "$1"
    t0=$SECONDS status=0 log=$(log_of "$1")
    WEBSTACK_DEBIAN="$r" WEBSTACK_TOPOLOGY="$topology" molecule_quiet test -s "$s" | tee "$log"
    status=${PIPESTATUS[0]}
    record "$1" "$status" $((SECONDS - t0)) "$log"
  done
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
    log=$(log_of "$run")
    record "$run" "$status" $((SECONDS - began[$pid])) "$log" print
    [[ -z "$again" ]] || queue+=("$run")
    unset 'running[$pid]' 'began[$pid]'
  done
fi

for run in "${last[@]}"; do run_here "$run"; done

printf '\n==> molecule finished in %s\n' "$(clock)"
((${#reasons[@]})) && printf '%s\n' "${reasons[@]}"
((${#flaky[@]})) && printf '    passed only when it went again: %s\n' "${flaky[@]}"
((failed)) && printf '    failed: %s\n' "${failures[@]}"
echo "molecule: $passed passed, $failed failed"
((failed == 0))
