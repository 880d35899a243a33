#!/usr/bin/env bash
# Hostile input: every row of tests/cli/hostile/*.tsv is a command line that
# must be refused, run against a realistic configuration (guests, vswitches,
# device-database entries). Each is checked by `refuse`: the exit status, the
# exact stderr (its `cmd: ERROR ...` lines), nothing on stdout, the database
# dump and run directories byte-identical, and the command log.
#
# A row: status TAB stderr TAB command TAB argument... Fields are read with
# printf %b (\n, \t, \001, \303\251 ...), then @S@ becomes the scratch
# directory, @F@ tests/cli/hostile/files, and @c*N@ the character c N times.
# Lines that are empty or start with '#' are comments.
source "$(dirname "$0")/lib.sh"

HOSTILE=$HPVM_SOURCE/tests/cli/hostile

# -------------------------------------------------- the configuration
section "a realistic configuration"
for f in g1.img g2.img g3.img data.img shared.iso host.img spare.img; do
  truncate -s 64M "$S/$f"
done
expect_ok hpvmnet -c -S sw1
expect_ok hpvmnet -c -S sw2
expect_ok hpvmdevmgmt -a gdev:"$S/shared.iso":attr:SHARE=YES
expect_ok hpvmdevmgmt -a rdev:"$S/host.img"
expect_ok hpvmdevmgmt -a server:vmhost1
expect_ok hpvmcreate -P g1 -O linux -c 2 -r 1G -l "web server" \
  -a disk:avio_stor::file:"$S/g1.img" -a dvd:avio_stor::file:"$S/shared.iso" \
  -a network:avio_lan::vswitch:sw1
expect_ok hpvmcreate -P g2 -c 1 -r 512M -a disk:scsi::file:"$S/g2.img" \
  -a dvd:scsi::file:"$S/shared.iso" -a network:lan::vswitch:sw2 -a network:avio_lan::vswitch:localnet
expect_ok hpvmcreate -P g3 -a disk:avio_stor:0,3,1:file:"$S/g3.img" -x graceful_stop_timeout=30
check "the configuration has three guests" [ "$(sql 'SELECT count(*) FROM guests')" = 3 ]

# -------------------------------------------------------- the rows
# expand FIELD: the field as the command gets it, in $EXPANDED (not through
# $(...), which would drop trailing newlines).
expand() {
  local f run
  printf -v f '%b' "$1"
  f=${f//@S@/$S}
  f=${f//@F@/$HOSTILE/files}
  while [[ $f =~ @(.)\*([0-9]+)@ ]]; do
    printf -v run "%${BASH_REMATCH[2]}s" ""
    f=${f/"${BASH_REMATCH[0]}"/${run// /${BASH_REMATCH[1]}}}
  done
  EXPANDED=$f
}

rows=0
for table in "$HOSTILE"/*.tsv; do
  section "hostile input: ${table##*/}"
  number=0
  while IFS= read -r line || [[ -n $line ]]; do
    number=$((number + 1))
    [[ -z $line || $line == \#* ]] && continue
    # A sentinel last field keeps a trailing empty argument (read drops it).
    IFS=$'\x1f' read -r -a fields <<<"${line//$'\t'/$'\x1f'}"$'\x1f'.
    unset 'fields[-1]'
    if ((${#fields[@]} < 3)); then
      fail "${table##*/}:$number: a row needs status, stderr and a command"
      continue
    fi
    args=()
    for field in "${fields[@]:2}"; do
      expand "$field"
      args+=("$EXPANDED")
    done
    expand "${fields[1]}"
    refuse "${fields[0]}" "$EXPANDED" "${args[@]}"
    rows=$((rows + 1))
  done <"$table"
done
check "at least 300 hostile inputs ($rows)" [ "$rows" -ge 300 ]
finish
