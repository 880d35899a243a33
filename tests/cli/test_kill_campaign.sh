#!/usr/bin/env bash
# Issue 14, reliability campaign items 2 and 3, short versions (bench/kill and
# bench/concurrency run the long ones): 100 commands SIGKILLed at random
# instants (tests/stress/kill_campaign.py: integrity_check ok, configuration
# exactly before or after, a running guest's difference reported by
# hpvmstatus -P and repaired by hpvmmodify -R, the next command works), then
# 4 writers x 25 mixed operations at once (tests/stress/concurrency.py: 0
# lost, 0 duplicated, 0 silent failures, every refusal says why), and 8 x 20
# with a 1 ms busy timeout, so that refusals happen. What a kill leaves
# (taps, bridges, run directories, partial files) is counted, and fails the
# run when it is still there once the next command has run, or blocks it.
# Each driver runs in its own network namespace with firmware-only QEMU
# guests.
# HPVM_KILLS, HPVM_WRITERS, HPVM_OPS and HPVM_SEED change the sizes and the seed.
# shellcheck source=tests/cli/env.sh
source "$(dirname "$0")/env.sh"
seed=${HPVM_SEED:-$(date +%s)}
status=0
for driver in "kill_campaign.py --kills ${HPVM_KILLS:-100} --sweep-every 25" \
  "concurrency.py --writers ${HPVM_WRITERS:-4} --ops ${HPVM_OPS:-25}"; do
  # shellcheck disable=SC2086 # the options are words
  python3 "$HPVM_SOURCE/tests/stress/"$driver "$HPVM_BIN" --seed "$seed" --quiet
  rc=$?
  case $rc in
  0) ;;
  77) exit 77 ;;
  *) echo "FAIL: ${driver%% *} exited $rc"; status=1 ;;
  esac
done
# Writers that cannot wait for the database (a 1 ms busy timeout): many
# refusals, each must say why and change nothing.
out=$(HPVM_BUSY_TIMEOUT_MS=1 python3 "$HPVM_SOURCE/tests/stress/concurrency.py" "$HPVM_BIN" \
  --writers 8 --ops 20 --seed "$seed" --quiet)
rc=$?
printf '%s\n' "$out"
if [[ $rc -ne 0 ]]; then
  echo "FAIL: concurrency.py with a 1 ms busy timeout exited $rc"
  status=1
elif ! grep -qE '^  refused [0-9]+x: The configuration database is locked' <<<"$out"; then
  echo "FAIL: with a 1 ms busy timeout no writer was refused as busy"
  status=1
fi
exit $status
