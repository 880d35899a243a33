#!/usr/bin/env bash
# Dynamic memory (-x ram_dyn_*, hpvmmodify -x ram_target): the values checked
# against each other and the memory (every problem said, nothing stored),
# what hpvmstatus shows in each form, and real QEMU guests with no operating
# system: the balloon hpvmstart plugs and the target it asks, hpvmmodify -x
# ram_target and -x ram_dyn_target_start with no guest driver to move (the bounded wait, then a warning),
# a busy monitor, dynamic memory turned on or off while a guest runs. The
# guest's memory really moving is checked on the real test guest
# (test_devinfo_guest.sh). Runs in its own network namespace.
if [[ -z ${HPVM_RUNTIME_NETNS:-} ]] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
  HPVM_RUNTIME_NETNS=1 exec unshare -n bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/cli/runtime_lib.sh
source "$(dirname "$0")/runtime_lib.sh"

# dynamic_section GUEST: hpvmstatus -V's [Dynamic Memory Information], without the blank after it.
dynamic_section() { hpvmstatus -V -P "$1" | awk '/^\[Dynamic Memory Information\]$/ { p = 1 } /^$/ { p = 0 } p'; }
# Free and available memory: "-" while off; "unknown" while it runs, since
# these guests have no operating system, so no balloon driver to report them.
section_of() { # GUEST TARGET CURRENT [TYPE MIN MAX BOOT]
  local guest_figure=unknown
  [[ $3 == - ]] && guest_figure=-
  printf '[Dynamic Memory Information]\nType : %s\nMinimum memory : %s MB\nTarget memory : %s MB\nMaximum memory : %s MB\nCurrent memory : %s\nBoot memory : %s MB\nFree memory : %s\nAvailable memory : %s\nMemory chunksize : 4 KB' \
    "${4:-driver}" "${5:-128}" "$2" "${6:-256}" "$3" "${7:-256}" "$guest_figure" "$guest_figure"
}
timed() { _t0=$(date +%s%N); run "$@"; _ms=$((($(date +%s%N) - _t0) / 1000000)); }

section "values that do not fit together: every problem said, nothing stored"
expect_ok hpvmcreate -P plain -O linux -r 256M # the database exists: refusals leave it as it is
refused hpvmcreate d1 "ram_dyn_max (4096 MB) is above the guest's memory (2048 MB): the balloon only takes memory back, it never gives a guest more than -r." \
  -- -r 2G -x ram_dyn_type=driver -x ram_dyn_max=4G
refused hpvmcreate d1 "ram_dyn_min (1536 MB) is above ram_dyn_max (1024 MB)." \
  -- -x ram_dyn_min=1536M -x ram_dyn_max=1G
refused hpvmcreate d1 "ram_dyn_target_start (256 MB) is outside ram_dyn_min - ram_dyn_max (512 MB - 2048 MB)." \
  -- -x ram_dyn_type=any -x ram_dyn_target_start=256M
refused hpvmcreate d1 "ram_dyn_max (4096 MB) is above the guest's memory (2048 MB): the balloon only takes memory back, it never gives a guest more than -r." \
  "ram_dyn_min (16 MB) is below the smallest guest memory (32 MB)." -- -x ram_dyn_min=16M -x ram_dyn_max=4G
refused hpvmcreate d1 "-x ram_target changes the memory of a running guest: only hpvmmodify takes it (-x ram_dyn_target_start sets the memory a guest starts with)." \
  -- -x ram_target=1G
refused hpvmcreate d1 "ram_dyn_min (1024 MB) is above ram_dyn_max (512 MB)." \
  "ram_dyn_target_start (2048 MB) is above ram_dyn_max (512 MB)." \
  -- -x ram_dyn_min=1G -x ram_dyn_max=512M -x ram_dyn_target_start=2G
refused hpvmcreate d1 "-x dynamic_memory_control=0 and -x ram_dyn_type=any contradict each other: dynamic memory is either on or off." \
  -- -x dynamic_memory_control=0 -x ram_dyn_type=any
refused hpvmcreate d1 "-x dynamic_memory_control=1 and -x ram_dyn_type=none contradict each other: dynamic memory is either on or off." \
  -- -x ram_dyn_type=none -x dynamic_memory_control=1
expect_sql "SELECT name FROM guests" plain

section "dynamic_memory_control: on as ram_dyn_type=any with its defaults, off as none"
extended_of() { echo "SELECT keyword || '=' || value FROM guest_extended e JOIN guests g ON g.id = e.guest_id WHERE g.name = '$1' ORDER BY keyword"; }
expect_ok hpvmcreate -P c1 -O linux -r 256M -x dynamic_memory_control=1
expect_sql "$(extended_of c1)" "ram_dyn_type=any"
expect_stdout "$(section_of c1 256 - any 64 256 256)" dynamic_section c1
expect_ok hpvmmodify -P c1 -x ram_dyn_type=driver -x ram_dyn_min=128M
expect_ok hpvmmodify -P c1 -x dynamic_memory_control=1 # already on: stays driver
expect_sql "$(extended_of c1)" "ram_dyn_min=128M
ram_dyn_type=driver"
db_snapshot
refused hpvmmodify c1 "-x dynamic_memory_control=0 and -x ram_dyn_type=driver contradict each other: dynamic memory is either on or off." \
  -- -x dynamic_memory_control=0 -x ram_dyn_type=driver
expect_db_unchanged
expect_ok hpvmmodify -P c1 -x dynamic_memory_control=0
expect_sql "$(extended_of c1)" "ram_dyn_min=128M
ram_dyn_type=none"
expect_stdout "" dynamic_section c1
expect_ok hpvmremove -Q -P c1

section "stored, and shown by -V, -M, -X and -J"
expect_ok hpvmcreate -P d1 -O linux -r 256M -x ram_dyn_type=driver -x ram_dyn_min=128M -x ram_dyn_target_start=192M
expect_sql "SELECT keyword || '=' || value FROM guest_extended ORDER BY keyword" "ram_dyn_min=128M
ram_dyn_target_start=192M
ram_dyn_type=driver"
expect_stdout "$(section_of d1 192 -)" dynamic_section d1
# Off: field 20's current size is empty, -X has no current.
expect_stdout "driver:256MB;64MB;128MB;192MB;256MB;" sh -c 'hpvmstatus -M -P d1 | cut -d: -f19,21'
expect_stdout '        <dynamic type="driver" unit="MB" minimum="128" target_start="192" maximum="256"/>' \
  sh -c 'hpvmstatus -X -P d1 | grep "<dynamic "'
expect_stdout '{"type": "driver", "minimum_mb": 128, "target_mb": 192, "target_start_mb": 192, "maximum_mb": 256, "current_mb": null}' \
  sh -c "hpvmstatus -J -P d1 | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)[\"guests\"][0][\"dynamic_memory\"]))'"

section "hpvmmodify: checked with the stored values and against a new -r"
refused hpvmmodify d1 "ram_dyn_target_start (192 MB) is outside ram_dyn_min - ram_dyn_max (128 MB - 128 MB)." -- -r 128M
refused hpvmmodify d1 "ram_dyn_min (240 MB) is above ram_dyn_max (224 MB)." \
  "ram_dyn_target_start (192 MB) is below ram_dyn_min (240 MB)." -- -x ram_dyn_max=224M -x ram_dyn_min=240M
expect_ok hpvmmodify -P d1 -x ram_dyn_max=224M
expect_stdout "$(section_of d1 192 - driver 128 224)" dynamic_section d1
# Another change leaves values stored before these rules alone.
expect_ok hpvmmodify -P d1 -l "dynamic"

section "-x ram_target: off, out of range, malformed, not alone"
refused hpvmmodify d1 "The guest is not running: -x ram_target changes a running guest's memory (-x ram_dyn_target_start sets the memory it starts with)." \
  -- -x ram_target=160M
refused hpvmmodify d1 "ram_target (64 MB) is outside ram_dyn_min - ram_dyn_max (128 MB - 224 MB)." -- -x ram_target=64M
refused hpvmmodify d1 "ram_target (256 MB) is outside ram_dyn_min - ram_dyn_max (128 MB - 224 MB)." -- -x ram_target=256M
refused hpvmmodify d1 "Invalid value 'some' for -x ram_target: expected an amount of memory or start." -- -x ram_target=some
refuse 2 "hpvmmodify: ERROR (d1): -x ram_target changes only the running guest's memory: give it without other changes.
Run 'hpvmmodify --help' for usage." hpvmmodify -P d1 -x ram_target=160M -l other
refuse 2 "hpvmmodify: ERROR (d1): -x ram_target changes only the running guest's memory: give it without other changes.
Run 'hpvmmodify --help' for usage." hpvmmodify -P d1 -x ram_target=160M -x ram_dyn_min=160M
refused hpvmmodify plain "The guest has no dynamic memory (ram_dyn_type is none): -x ram_target needs -x ram_dyn_type=any or driver, from the guest's next start." \
  -- -x ram_target=128M

section "hpvmstart: the balloon in root slot 9, asked for the start target"
run hpvmstart -P d1
assert_exit 0
started d1
assert_stderr ""
expect_stdout "9 hpvm.balloon" sh -c "$QMP $(run_dir d1)/qmp.sock root | grep balloon"
expect_stdout '"virtio-balloon-pci"' qmp d1 get /machine/peripheral/hpvm.balloon type
expect_stdout "192" cat "$(run_dir d1)/balloon-target"
# No operating system, so no balloon driver: the guest keeps all of its memory.
expect_stdout "256" qmp d1 balloon
expect_stdout "$(section_of d1 192 "256 MB" driver 128 224)" dynamic_section d1
expect_stdout "Devices : as configured" sh -c 'hpvmstatus -P d1 | grep "^Devices"'
# QEMU asks the balloon driver for the guest's figures every 2 s (a real
# guest's are checked in test_devinfo_guest.sh).
expect_stdout "2" qmp d1 get /machine/peripheral/hpvm.balloon guest-stats-polling-interval
# -M and -X have the running guest's current size, for one guest or all.
expect_stdout "driver:256MB;64MB;128MB;192MB;224MB;256MB" sh -c 'hpvmstatus -M -P d1 | cut -d: -f19,21'
expect_stdout "d1:256MB;64MB;128MB;192MB;224MB;256MB
plain:256MB;64MB" sh -c 'hpvmstatus -M | cut -d: -f1,21 | sort'
expect_stdout '        <dynamic type="driver" unit="MB" minimum="128" target_start="192" maximum="224" current="256"/>' \
  sh -c 'hpvmstatus -X | grep "<dynamic "'
expect_stdout '{"target_mb": 192, "current_mb": 256}' \
  sh -c "hpvmstatus -J -P d1 | python3 -c 'import json, sys; d = json.load(sys.stdin)[\"guests\"][0][\"dynamic_memory\"]; print(json.dumps({k: d[k] for k in (\"target_mb\", \"current_mb\")}))'"

section "-x ram_target on the running guest: asked at once, waited for 5 s, then a warning"
before=$(log_lines)
timed hpvmmodify -P d1 -x ram_target=160M
assert_exit 0
assert_stdout ""
assert_stderr "hpvmmodify: WARNING (d1): The guest has 256 MB after 5 s, on its way to 160 MB: its balloon driver moves it (hpvmstatus -V -P d1 shows its current memory)."
check "the wait is bounded at 5 s (took $_ms ms)" test "$_ms" -ge 5000 -a "$_ms" -lt 9000
expect_logged "$before" SUCCESS "hpvmmodify -P d1 -x ram_target=160M"
expect_stdout "160" cat "$(run_dir d1)/balloon-target"
expect_stdout "$(section_of d1 160 "256 MB" driver 128 224)" dynamic_section d1
# Nothing configured: the start target is what the next start asks.
expect_sql "SELECT value FROM guest_extended WHERE keyword = 'ram_dyn_target_start'" 192M
# Refused on the running guest: the target and its record stay.
refused hpvmmodify d1 "ram_target (230 MB) is outside ram_dyn_min - ram_dyn_max (128 MB - 224 MB)." -- -x ram_target=230M
expect_ok hpvmmodify -P d1 -x ram_target=start -s
expect_stdout "160" cat "$(run_dir d1)/balloon-target"

section "-x ram_dyn_target_start on the running guest: stored and asked at once, as ram_target"
before=$(log_lines)
timed hpvmmodify -P d1 -x ram_dyn_target_start=176M
assert_exit 0
assert_stdout ""
assert_stderr "hpvmmodify: WARNING (d1): The guest has 256 MB after 5 s, on its way to 176 MB: its balloon driver moves it (hpvmstatus -V -P d1 shows its current memory)."
check "the wait is bounded at 5 s (took $_ms ms)" test "$_ms" -ge 5000 -a "$_ms" -lt 9000
expect_logged "$before" SUCCESS "hpvmmodify -P d1 -x ram_dyn_target_start=176M"
expect_sql "SELECT value FROM guest_extended WHERE keyword = 'ram_dyn_target_start'" 176M
expect_stdout "176" cat "$(run_dir d1)/balloon-target"
expect_stdout "256" qmp d1 balloon
expect_stdout "$(section_of d1 176 "256 MB" driver 128 224)" dynamic_section d1
refused hpvmmodify d1 "ram_dyn_target_start (230 MB) is outside ram_dyn_min - ram_dyn_max (128 MB - 224 MB)." \
  -- -x ram_dyn_target_start=230M
expect_stdout "176" cat "$(run_dir d1)/balloon-target"
# Back to the start target the rest of this test expects, and the target it asked.
expect_exit 0 hpvmmodify -P d1 -x ram_dyn_target_start=192M
expect_exit 0 hpvmmodify -P d1 -x ram_target=160M
expect_stdout "160" cat "$(run_dir d1)/balloon-target"

section "a busy monitor: hpvmstatus says unknown, ram_target changes nothing"
python3 "$HPVM_SOURCE/tests/runtime/qmp_hold.py" "$(run_dir d1)/qmp.sock" 3 >"$S/hold.out" &
holder=$!
track_pid "$holder"
for ((i = 0; i < 100; i++)); do [[ -s $S/hold.out ]] && break; sleep 0.1; done
expect_stdout "held" cat "$S/hold.out"
timed hpvmstatus -V -P d1
assert_exit 0
check "hpvmstatus -V on a busy monitor within its bounds (took $_ms ms)" test "$_ms" -lt 8000
assert_stdout_has "^Current memory : unknown$"
assert_stdout_has "^Target memory : 160 MB$"
timed hpvmstatus -M -P d1
assert_exit 0
check "hpvmstatus -M on a busy monitor within its bounds (took $_ms ms)" test "$_ms" -lt 8000
check "-M's current size is empty when QEMU does not answer, and says why" grep -qxE "256MB;64MB;128MB;192MB;224MB;;unknown=monitor busy( or not responding)?" <(cut -d: -f21 "$OUT")
db_snapshot
timed hpvmmodify -P d1 -x ram_target=128M
assert_exit 1
check "hpvmmodify -x ram_target on a busy monitor within its bounds (took $_ms ms)" test "$_ms" -lt 10000
assert_stderr_has "^hpvmmodify: ERROR \(d1\): The running guest cannot be changed: The guest's monitor .* Nothing was changed\.$"
expect_db_unchanged
run hpvmmodify -P d1 -x ram_dyn_target_start=144M
assert_exit 1
assert_stderr_has "^hpvmmodify: ERROR \(d1\): The running guest cannot be changed: The guest's monitor .* Nothing was changed\.$"
expect_db_unchanged
expect_stdout "160" cat "$(run_dir d1)/balloon-target"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

section "dynamic memory turned off and on while guests run: at the next start"
run hpvmmodify -P d1 -x ram_dyn_type=none
assert_exit 0
assert_stderr "hpvmmodify: WARNING (d1): Turning dynamic memory off takes effect at the guest's next start."
expect_stdout "Difference : Dynamic memory : off, the running guest has a balloon device (at the next start)" \
  sh -c 'hpvmstatus -P d1 | grep "^Difference"'
refused hpvmmodify d1 "The guest has no dynamic memory (ram_dyn_type is none): -x ram_target needs -x ram_dyn_type=any or driver, from the guest's next start." \
  -- -x ram_target=128M
expect_exit 0 hpvmstart -P plain
started plain
expect_stdout "" sh -c "$QMP $(run_dir plain)/qmp.sock root | grep balloon || true"
run hpvmmodify -P plain -x ram_dyn_type=any
assert_exit 0
assert_stderr "hpvmmodify: WARNING (plain): Dynamic memory (its balloon device) takes effect at the guest's next start."
expect_stdout "Difference : Dynamic memory : configured, the running guest has no balloon device (at the next start)" \
  sh -c 'hpvmstatus -P plain | grep "^Difference"'
expect_stdout "Current memory : unknown" sh -c 'hpvmstatus -V -P plain | grep "^Current memory"'
refused hpvmmodify plain "The running guest has no balloon device: its dynamic memory was turned on after it started and takes effect at its next start." \
  -- -x ram_target=128M
run hpvmmodify -P plain -x ram_dyn_target_start=128M
assert_exit 0
assert_stderr "hpvmmodify: WARNING (plain): The dynamic memory start target 128 MB takes effect at the guest's next start: the running guest has no balloon device."
expect_sql "SELECT value FROM guest_extended e JOIN guests g ON g.id = e.guest_id WHERE g.name = 'plain' AND keyword = 'ram_dyn_target_start'" 128M

section "a stop removes the recorded target; the next start asks the start target again"
expect_exit 0 hpvmstop -P plain -F -q
expect_exit 0 hpvmmodify -P d1 -x ram_dyn_type=driver
assert_stderr "hpvmmodify: WARNING (d1): Dynamic memory (its balloon device) takes effect at the guest's next start."
expect_exit 0 hpvmstop -P d1 -F -q
check "the stop removed balloon-target" test ! -e "$(run_dir d1)/balloon-target"
expect_stdout "$(section_of d1 192 - driver 128 224)" dynamic_section d1
expect_exit 0 hpvmstart -P d1
started d1
expect_stdout "192" cat "$(run_dir d1)/balloon-target"
expect_exit 0 hpvmstop -P d1 -F -q
finish
