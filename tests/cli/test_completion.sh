#!/usr/bin/env bash
# CLI suite: bash completion (share/completion/hpvm.bash) and zsh completion
# (share/completion/_hpvm).
#
# Sources bash-completion and the completion file, makes a private HPVM_ROOT
# with guests created by the real hpvmcreate, then for each case sets
# COMP_WORDS/COMP_CWORD/COMP_LINE/COMP_POINT the way readline does, calls the
# registered completion function and compares COMPREPLY exactly (in order).
#
# Every command built (each hpvm* executable in HPVM_BIN) must be registered
# in both files, and each option its --help lists must be completed by both,
# as an option taking a value or a flag as --help says, repeatable when
# --help says so ("TEXT ..."); options the completion offers that --help does
# not list fail too. zsh's specs are read by running _hpvm under zsh with
# _arguments replaced by a function that prints them.
#
# Environment: HPVM_BIN (directory of the built commands), HPVM_SOURCE
# (source root). Exit 0 pass, 1 fail, 77 skip (bash-completion not installed).

set -u

if [[ -z ${HPVM_BIN:-} ]]; then
  echo "HPVM_BIN is not set: it must name the directory holding hpvmcreate, hpvmstatus, ..." >&2
  exit 1
fi
HPVM_SOURCE=${HPVM_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
COMPLETION_FILE=$HPVM_SOURCE/share/completion/hpvm.bash
for tool in hpvmcreate hpvmstatus hpvmremove hpvminfo; do
  if [[ ! -x $HPVM_BIN/$tool ]]; then
    echo "$HPVM_BIN/$tool is missing or not executable" >&2
    exit 1
  fi
done
if [[ ! -r $COMPLETION_FILE ]]; then
  echo "$COMPLETION_FILE is missing" >&2
  exit 1
fi

BASH_COMPLETION_SCRIPT=
for f in /usr/share/bash-completion/bash_completion /usr/local/share/bash-completion/bash_completion; do
  if [[ -r $f ]]; then
    BASH_COMPLETION_SCRIPT=$f
    break
  fi
done
if [[ -z $BASH_COMPLETION_SCRIPT ]]; then
  echo "SKIP: bash-completion is not installed (no /usr/share/bash-completion/bash_completion)."
  exit 77
fi

export LC_ALL=C
export PATH="$HPVM_BIN:$PATH"
REAL_PATH=$PATH

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hpvm-test_completion.XXXXXX") || exit 1
trap 'rm -rf -- "$TMP"' EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ set-up

export HPVM_ROOT=$TMP/root
mkdir -p "$HPVM_ROOT"
for g in alpha beta; do
  if ! out=$(hpvmcreate -P "$g" 2>&1); then
    echo "hpvmcreate -P $g failed: $out" >&2
    exit 1
  fi
done
hpvmnet -c -S vsw9 || exit 1
OTHER_ROOT=$TMP/other
mkdir -p "$OTHER_ROOT"
HPVM_ROOT=$OTHER_ROOT hpvmcreate -P gamma || exit 1
EMPTY_ROOT=$TMP/empty
mkdir -p "$EMPTY_ROOT"

# Backing-store candidates for the location field.
ST=$TMP/store
mkdir -p "$ST/sub" "$ST/a:b"
: >"$ST/disk1.img"
: >"$ST/disk2.img"
: >"$ST/a:b/img"

# A stand-in hpvmstatus, to see which one the completion runs.
FAKE=$TMP/fake
mkdir -p "$FAKE"
cat >"$FAKE/hpvmstatus" <<'EOF'
#!/bin/sh
[ "$1" = -M ] && echo 'fake:00000000-0000-0000-0000-000000000000:7::Integrity VM:UNKNOWN:::'
EOF
chmod +x "$FAKE/hpvmstatus"
ln -s "$HPVM_BIN/hpvmremove" "$FAKE/hpvmremove"

# shellcheck source=/dev/null
source "$BASH_COMPLETION_SCRIPT" || { echo "sourcing $BASH_COMPLETION_SCRIPT failed" >&2; exit 1; }
# shellcheck source=/dev/null
source "$COMPLETION_FILE" || { echo "sourcing $COMPLETION_FILE failed" >&2; exit 1; }

# compopt only works inside a real completion: record what was asked for.
COMPOPTS=""
compopt() {
  local IFS=" "
  COMPOPTS+=" $*"
}

# ---------------------------------------------------------------- harness

checks=0
failures=0
section() { printf -- '--- %s\n' "$1"; }
pass() { checks=$((checks + 1)); }
fail() {
  checks=$((checks + 1))
  failures=$((failures + 1))
  printf 'FAIL %s\n' "$1"
  [[ $# -gt 1 ]] && printf '%s\n' "$2" | sed 's/^/    /'
}

# Splits a command line into COMP_WORDS as readline does with the default
# COMP_WORDBREAKS: on blanks, and a run of ':' or '=' is a word of its own
# (the test lines hold no other break characters and no quotes). A line
# ending in a blank gets an empty last word.
split_line() {
  local line=$1 part rest
  local -a parts
  COMP_WORDS=()
  read -ra parts <<<"$line"
  for part in "${parts[@]}"; do
    rest=$part
    while [[ $rest =~ ^([^:=]+|[:=]+)(.*)$ ]]; do
      COMP_WORDS+=("${BASH_REMATCH[1]}")
      rest=${BASH_REMATCH[2]}
    done
  done
  [[ $line == *[[:blank:]] || -z $line ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
}

# complete_line LINE: runs the function registered for LINE's command with
# the cursor at the end; leaves COMPREPLY and COMPOPTS.
complete_line() {
  local line=$1 spec fn
  split_line "$line"
  COMP_LINE=$line
  COMP_POINT=${#line}
  COMPREPLY=()
  COMPOPTS=""
  spec=$(complete -p "${COMP_WORDS[0]}" 2>/dev/null || complete -p "${COMP_WORDS[0]##*/}" 2>/dev/null)
  if [[ ! $spec =~ -F\ ([^ ]+) ]]; then
    fail "no completion function registered for ${COMP_WORDS[0]}"
    return 1
  fi
  fn=${BASH_REMATCH[1]}
  local prev=""
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  "$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "$prev"
}

# expect LINE WORD...: completing LINE gives exactly WORD... in this order
# (in any order when SORT=1: file names come in directory order).
SORT=0
expect() {
  local line=$1
  shift
  complete_line "$line" || return
  local want got
  want=$(printf '%s\n' "$@")
  got=$(printf '%s\n' ${COMPREPLY[@]+"${COMPREPLY[@]}"})
  if [[ $SORT == 1 ]]; then
    want=$(sort <<<"$want")
    got=$(sort <<<"$got")
  fi
  if [[ $want == "$got" ]]; then
    pass
  else
    fail "completing '$line'" "$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | sed -n 's/^</expected:/p; s/^>/actual:  /p')"
  fi
}

# expect_nospace LINE WORD...: as expect, and no space is to follow.
expect_nospace() {
  expect "$@"
  if [[ $COMPOPTS == *"-o nospace"* ]]; then pass; else fail "completing '$1': compopt -o nospace not set"; fi
}

# expect_space LINE WORD...: as expect, and a space may follow.
expect_space() {
  expect "$@"
  if [[ $COMPOPTS != *"-o nospace"* ]]; then pass; else fail "completing '$1': compopt -o nospace set"; fi
}

# expect_files LINE WORD...: as expect in any order, and the matches are
# file names.
expect_files() {
  SORT=1 expect "$@"
  if [[ $COMPOPTS == *"-o filenames"* ]]; then pass; else fail "completing '$1': compopt -o filenames not set"; fi
}

# ---------------------------------------- every command, every --help option

# The commands: every hpvm* executable built.
COMMANDS=()
for f in "$HPVM_BIN"/hpvm*; do
  [[ -f $f && -x $f ]] && COMMANDS+=("${f##*/}")
done

# help_options CMD: the options CMD --help lists (CLI11's format), one a line:
# "NAME KIND", KIND being flag, value (one value: "-P TEXT") or values
# (repeatable: "-a TEXT ..."). "-J,--json" gives two lines. The value's
# type follows the names after one blank; the description comes after more.
help_options() {
  local line names rest kind name
  local -a split
  while IFS= read -r line; do
    [[ $line =~ ^\ \ (-[^\ ]*)(.*)$ ]] || continue
    names=${BASH_REMATCH[1]}
    rest=${BASH_REMATCH[2]}
    kind=flag
    if [[ $rest =~ ^\ [A-Z][A-Z0-9_]*(:[^\ ]*)?\ \.\.\.(\ |$) ]]; then
      kind=values
    elif [[ $rest =~ ^\ [A-Z][A-Z0-9_]*(:[^\ ]*)?(\ |$) ]]; then
      kind=value
    fi
    IFS=, read -ra split <<<"$names"
    for name in "${split[@]}"; do
      printf '%s %s\n' "$name" "$kind"
    done
  done < <("$HPVM_BIN/$1" --help 2>/dev/null)
}

# in_list WORD WORD...: WORD is one of the others.
in_list() {
  local word=$1 w
  shift
  for w in "$@"; do
    [[ $w == "$word" ]] && return 0
  done
  return 1
}

# check_options SHELL CMD FILE NAMES...: every option of CMD's --help is in
# NAMES (what SHELL's completion offers), and nothing else is.
check_options() {
  local shell=$1 cmd=$2 file=$3 name
  shift 3
  for name in "${HELP_NAMES[@]}"; do
    if in_list "$name" "$@"; then pass; else fail "$shell: $cmd: option $name (from $cmd --help) has no completion in $file"; fi
  done
  for name in "$@"; do
    if in_list "$name" "${HELP_NAMES[@]}"; then pass; else fail "$shell: $cmd: $file completes $name, which $cmd --help does not list"; fi
  done
}

section "every command built, every option its --help lists (bash)"
if ((${#COMMANDS[@]} < 4)); then
  fail "found ${#COMMANDS[@]} hpvm* commands in $HPVM_BIN: ${COMMANDS[*]}"
fi
declare -A HELP_KIND=() HELP_OF=()
for cmd in "${COMMANDS[@]}"; do
  HELP_NAMES=()
  while read -r name kind; do
    HELP_NAMES+=("$name")
    HELP_KIND[$cmd $name]=$kind
  done < <(help_options "$cmd")
  HELP_OF[$cmd]="${HELP_NAMES[*]}"
  if ! in_list --help "${HELP_NAMES[@]}" || ! in_list --version "${HELP_NAMES[@]}"; then
    fail "$cmd --help: no --help and --version among the options read from it: '${HELP_NAMES[*]}'"
  fi
  spec=$(complete -p "$cmd" 2>/dev/null)
  if [[ $spec == "complete -F _hpvm $cmd" ]]; then
    pass
  else
    fail "bash: $cmd is not registered for completion by hpvm.bash (complete -p $cmd: '$spec')"
    continue
  fi
  # With nothing given yet, every option is offered.
  complete_line "$cmd "
  check_options bash "$cmd" hpvm.bash ${COMPREPLY[@]+"${COMPREPLY[@]}"}
  for name in "${HELP_NAMES[@]}"; do
    [[ $name == --help || $name == --version ]] && continue
    kind=${HELP_KIND[$cmd $name]}
    # After an option taking a value comes its value, not options.
    complete_line "$cmd $name "
    if in_list --help ${COMPREPLY[@]+"${COMPREPLY[@]}"}; then
      [[ $kind == flag ]] && pass || fail "bash: $cmd $name takes a value (--help: $kind), but hpvm.bash completes it as a flag"
    else
      [[ $kind != flag ]] && pass || fail "bash: $cmd $name is a flag, but hpvm.bash completes a value after it"
    fi
    [[ $kind == flag ]] && continue
    # Once given, an option is offered again only when it may be repeated.
    complete_line "$cmd $name x -"
    if in_list "$name" ${COMPREPLY[@]+"${COMPREPLY[@]}"}; then
      [[ $kind == values ]] && pass || fail "bash: $cmd $name may be given once, but hpvm.bash offers it again"
    else
      [[ $kind == value ]] && pass || fail "bash: $cmd $name may be repeated (--help: TEXT ...), but hpvm.bash offers it once"
    fi
  done
done

# ------------------------------------------------------------------ cases

section "options"
CREATE_OPTS=(-P -O -c -e -E -r -l -B -u -g -x -a -s -F --help --version)
expect "hpvmcreate " "${CREATE_OPTS[@]}"
expect "hpvmcreate -" "${CREATE_OPTS[@]}"
expect "hpvmcreate --" --help --version
expect "hpvmcreate -P vm1 -e 50 -" -O -c -r -l -B -u -g -x -a -s -F --help --version
expect "hpvmcreate -P vm1 -E 2000 -s " -O -c -r -l -B -u -g -x -a -F --help --version
expect "hpvmcreate -a disk:scsi::file:/x -x vm_type=shared -u root -g root -" \
  -P -O -c -e -E -r -l -B -u -g -x -a -s -F --help --version
expect "$HPVM_BIN/hpvmcreate -" "${CREATE_OPTS[@]}"
expect "hpvmstatus " -P -p -V -d -D -M -X -J --json -r -s -S -m -e -A -C -v --help --version
expect "hpvmstatus --" --json --help --version
expect "hpvmstatus -M " -P -p -r -s -S -m -e -A -C -v --help --version
expect "hpvmstatus -P alpha -" -V -d -D -M -X -J --json -r -s -S -m -e -A -C -v --help --version
expect "hpvmstatus -S " -P -p -M -J --json --help --version
expect "hpvmstatus -V " -P -p --help --version
expect "hpvmstatus -p 1 -d -" --help --version
expect "hpvmremove " -P -Q --help --version
expect "hpvmremove -Q -" -P --help --version
expect "hpvminfo " -V -v -S -J --json --help --version
expect "hpvminfo -V " --help --version
expect "hpvminfo -S " --help --version
expect "hpvmdevinfo " -P -V -M -J --json --help --version
expect "hpvmdevinfo -P " alpha beta
expect "hpvmdevinfo -M -" -P --help --version
expect "hpvmconvert " -P -A -C -U -M -J --json --help --version
expect "hpvmconvert -P " alpha beta
expect "hpvmconvert -A -M -" --help --version
expect "hpvmimport -D x -f y -A -s -F -V -e 5 -" -P -S -M -O -c -r -l -B -u -g -x --help --version
expect "hpvmstart " -P -F --help --version
expect "hpvmstop " -P -g -t -F -q -Q --help --version
expect "hpvmstop -q -" -P -g -t -F --help --version
expect "hpvmstop -t "
expect "hpvmconsole " -P --help --version

section "free-text values"
expect "hpvmcreate -P "
expect "hpvmcreate -P a"
expect "hpvmcreate -c "
expect "hpvmcreate -r "
expect "hpvmcreate -l "

section "guest names and numbers (hpvmstatus -M)"
expect "hpvmremove -P " alpha beta
expect "hpvmremove -P b" beta
expect "hpvmremove -P x"
expect "hpvmstatus -P " alpha beta
expect "hpvmstatus -V -P a" alpha
expect "hpvmstatus -p " 1 2
expect "hpvmstart -P " alpha beta
expect "hpvmstop -g -P a" alpha
expect "hpvmconsole -P b" beta
expect "hpvmstatus -p 2" 2
HPVM_ROOT=$OTHER_ROOT
expect "hpvmremove -P " gamma
export -n HPVM_ROOT # set in the shell but not exported: still used
expect "hpvmremove -P " gamma
export HPVM_ROOT=$EMPTY_ROOT
expect "hpvmremove -P "
expect "hpvmstatus -p "
export HPVM_ROOT=$TMP/root
# The hpvmstatus beside a command typed with a path; else the one on PATH.
expect "$FAKE/hpvmremove -P " fake
expect "$FAKE/hpvmremove -P f" fake
expect "$HPVM_BIN/hpvmremove -P " alpha beta
PATH=$FAKE:$REAL_PATH
expect "hpvmremove -P " fake
expect "hpvmstatus -p " 7
PATH=/usr/bin:/bin
expect "hpvmremove -P "
expect "$HPVM_BIN/hpvmstatus -P " alpha beta
PATH=$REAL_PATH

section "resource statement: storage"
expect_nospace "hpvmcreate -a " disk: dvd: tape: changer: burner: network:
expect_nospace "hpvmcreate -a d" disk: dvd:
expect_nospace "hpvmcreate -a disk" disk:
expect "hpvmcreate -a floppy"
expect_nospace "hpvmcreate -a disk:" scsi: avio_stor: aviostor:
expect_nospace "hpvmcreate -a disk:a" avio_stor: aviostor:
expect_nospace "hpvmcreate -a dvd:avio_stor" avio_stor:
expect "hpvmcreate -a floppy:"
expect "hpvmcreate -a disk:ide:"
expect_nospace "hpvmcreate -a disk:scsi:" :
expect_nospace "hpvmcreate -a disk:scsi:0" 0:
expect_nospace "hpvmcreate -a disk:scsi:0,1,2" 0,1,2:
expect "hpvmcreate -a disk:scsi:x"
expect "hpvmcreate -a disk:scsi:0,1,2,3"
expect_nospace "hpvmcreate -a disk:scsi::" disk: lv: file:
expect_nospace "hpvmcreate -a disk:scsi:0,1:l" lv:
expect_nospace "hpvmcreate -a dvd:avio_stor::" disk: file: null:
expect_nospace "hpvmcreate -a dvd:scsi::n" null:
expect_nospace "hpvmcreate -a tape:scsi::" attach: attach_path:
expect_nospace "hpvmcreate -a changer:aviostor:1,2:attach" attach: attach_path:
expect_nospace "hpvmcreate -a burner:scsi::at" attach: attach_path:
expect "hpvmcreate -a disk:scsi::null"
expect "hpvmcreate -a disk:scsi::null:"
expect "hpvmcreate -a tape:scsi::file:$ST/"
expect_files "hpvmcreate -a disk:scsi::file:$ST/d" "$ST/disk1.img" "$ST/disk2.img"
expect_files "hpvmcreate -a disk:scsi::file:$ST/" "$ST/a:b" "$ST/disk1.img" "$ST/disk2.img" "$ST/sub"
expect_files "hpvmcreate -a disk:avio_stor:0,1,2:lv:$ST/s" "$ST/sub"
expect_files "hpvmcreate -a dvd:scsi::file:$ST/a" "$ST/a:b"
# A location holding ':': only the text after its last ':' is replaced.
expect_files "hpvmcreate -a disk:scsi::file:$ST/a:b/" "b/img"
expect_files "hpvmcreate -a disk:scsi::file:$ST/a:b/i" "b/img"
mapfile -t root_files < <(compgen -f -- /)
expect_files "hpvmcreate -a dvd:scsi::null:" "${root_files[@]}"
expect "hpvmcreate -a disk:scsi::file:$ST/nothing-here"

section "resource statement: network"
expect_nospace "hpvmcreate -a n" network:
expect_nospace "hpvmcreate -a network:" lan: avio_lan: aviolan:
expect_nospace "hpvmcreate -a network:avio" avio_lan: aviolan:
expect "hpvmcreate -a network:bogus:"
expect_nospace "hpvmcreate -a network:lan:" : vswitch:
expect_nospace "hpvmcreate -a network:lan:v" vswitch:
expect_nospace "hpvmcreate -a network:avio_lan:0,1" 0,1:
expect_nospace "hpvmcreate -a network:lan:,,aa-bb-cc-00-11-22" ,,aa-bb-cc-00-11-22:
expect "hpvmcreate -a network:lan:zz"
expect_nospace "hpvmcreate -a network:lan::" vswitch:
expect_nospace "hpvmcreate -a network:lan:0,1,0x02AABBCCDDEE:vs" vswitch:
expect "hpvmcreate -a network:lan::nope:"
expect_space "hpvmcreate -a network:lan::vswitch:" localnet vsw9
expect_space "hpvmcreate -a network:aviolan:vswitch:l" localnet
expect "hpvmcreate -a network:lan:vswitch:x"
expect_nospace "hpvmcreate -a network:lan:vswitch:localnet:" portid:
expect_nospace "hpvmcreate -a network:lan:0,0:vswitch:localnet:p" portid:
expect "hpvmcreate -a network:lan::vswitch:localnet:portid:"
expect "hpvmcreate -a network:lan::vswitch::"
expect_nospace "hpvmcreate -P vm1 -a disk:scsi::file:/x -a network:lan::vswitch:localnet -a net" network:

section "-O -B"
expect "hpvmcreate -O " hpux linux windows openvms unknown
expect "hpvmcreate -O w" windows
expect "hpvmcreate -O linux:"
expect "hpvmcreate -B " auto manual
expect "hpvmcreate -B m" manual
expect "hpvmcreate -B x"

section "-x"
expect_nospace "hpvmcreate -x " runnable_status= modify_status= visible_status= register_status= \
  graceful_stop_timeout= ram_dyn_min= ram_dyn_max= ram_dyn_target_start= ram_dyn_entitlement= \
  amr_chunk_size= dynamic_memory_control= amr_enable= ram_dyn_type= sched_preference= \
  online_migration= resources_reserved= vm_type=
expect_nospace "hpvmcreate -x ram_dyn_t" ram_dyn_target_start= ram_dyn_type=
expect_space "hpvmcreate -x ram_dyn_type=" none any driver
expect_space "hpvmcreate -x ram_dyn_type=a" any
expect "hpvmcreate -x runnable_status=" enabled disabled
expect "hpvmcreate -x modify_status=d" disabled
expect "hpvmcreate -x amr_enable=" 0 1
expect "hpvmcreate -x sched_preference=" cell ilm
expect "hpvmcreate -x online_migration=" enabled disabled
expect "hpvmcreate -x resources_reserved=t" true
expect "hpvmcreate -x vm_type=" shared
expect "hpvmcreate -x graceful_stop_timeout="
expect "hpvmcreate -x ram_dyn_max=1"
expect "hpvmcreate -x nosuch="
# ram_target moves a running guest's memory: hpvmmodify's only.
expect "hpvmcreate -x ram_ta"
expect_nospace "hpvmmodify -x ram_ta" ram_target=
expect_space "hpvmmodify -x ram_target=" start

section "-u -g"
mapfile -t users < <(compgen -u -- root)
expect "hpvmcreate -u root" "${users[@]}" root:admin root:oper
expect_space "hpvmcreate -u root:" admin oper
expect "hpvmcreate -u root:o" oper
expect "hpvmcreate -u root:x"
mapfile -t groups < <(compgen -g -- root)
expect "hpvmcreate -g root" "${groups[@]}" root:admin root:oper
expect "hpvmcreate -g root:a" admin
mapfile -t users < <(compgen -u -- r)
expect "hpvmcreate -u r" "${users[@]}"

section "hpvmnet"
expect "hpvmnet -S " localnet vsw9
expect "hpvmnet -S v" vsw9
expect "hpvmcreate -a network:lan::vswitch:v" vsw9
expect_nospace "hpvmnet -S vsw9 -u " portid:
expect_nospace "hpvmnet -S vsw9 -u portid:12" 12:vlanid:
expect_space "hpvmnet -S vsw9 -u portid:12:vlanid:" none
expect "hpvmnet -S vsw9 -u portid:12:vlanid:1"
expect "hpvmnet -S vsw9 -c -n lo"
expect "hpvmnet -c -S x -" -n -Q -F --help --version
expect "hpvmnet -b -" -S -Q -F --help --version
expect "hpvmnet -J -" -S -A -V -Q -F --help --version
expect "hpvmnet -J -A -" -S -Q -F --help --version

section "hpvmdevmgmt and hpvmhostrdev"
hpvmdevmgmt -a "gdev:$ST/disk1.img,$ST/disk2.img:attr:USAGE=DISK" 2>/dev/null || fail "hpvmdevmgmt -a gdev"
hpvmdevmgmt -a "rdev:$ST/sub" || fail "hpvmdevmgmt -a rdev"
DEVMGMT_OPTS=(-l -a -d -m -n -S -A -r -I -v -V --help --version)
expect "hpvmdevmgmt " "${DEVMGMT_OPTS[@]}"
expect "hpvmdevmgmt -l all -" -A -V --help --version
expect "hpvmhostrdev " -u -d -r -E -D -h --help --version
expect "hpvmhostrdev -u -" --help --version
expect_nospace "hpvmdevmgmt -l " all: gdev: rdev: server: env: all gdev rdev server env
expect "hpvmdevmgmt -l r" rdev: rdev
expect "hpvmdevmgmt -l rdev:" "$ST/sub" depend:
expect "hpvmdevmgmt -l gdev:$ST/disk2" "$ST/disk2.img"
expect "hpvmdevmgmt -l gdev:depend:" alpha beta
expect_nospace "hpvmdevmgmt -d " gdev: rdev: server: env: gdev_alias:
expect "hpvmdevmgmt -d gdev_alias:" "$ST/disk1.img" "$ST/disk2.img"
expect_nospace "hpvmdevmgmt -d gdev:" "$ST/disk1.img:" "$ST/disk2.img:"
expect_nospace "hpvmdevmgmt -d gdev:$ST/disk1.img:" attr: depend:
expect_nospace "hpvmdevmgmt -d rdev:$ST/sub:" attr:
# CONFIG and EXIST are not offered: -d refuses to delete them.
expect "hpvmdevmgmt -d gdev:$ST/disk1.img:attr:" DEVTYPE SHARE USAGE
expect_nospace "hpvmdevmgmt -m gdev:$ST/disk1.img:attr:S" SHARE= SHARE_LUNPATHS=
expect "hpvmdevmgmt -m gdev:$ST/disk1.img:attr:PRESERVE=" YES NO
expect "hpvmdevmgmt -m gdev:$ST/disk1.img:attr:RECURSIVE=D" DIR
expect_nospace "hpvmdevmgmt -n " gdev: rdev:
expect_files "hpvmdevmgmt -a rdev:$ST/d" "$ST/disk1.img" "$ST/disk2.img"
expect_files "hpvmdevmgmt -n gdev:$ST/disk1.img:$ST/s" "$ST/sub"
expect "hpvmdevmgmt -a server:"
# -S size file: after the size comes the file, not options.
expect "hpvmdevmgmt -S 1G"
expect_files "hpvmdevmgmt -S 1G $ST/d" "$ST/disk1.img" "$ST/disk2.img"
expect_files "hpvmdevmgmt -A -S 1G $ST/su" "$ST/sub"

section "hpvmmodify and hpvmclone"
MODIFY_OPTS=(-P -R -N -O -c -e -E -r -l -B -u -g -x -a -d -m -s -F --help --version)
expect "hpvmmodify " "${MODIFY_OPTS[@]}"
expect "hpvmmodify -P alpha -e 20 -s -" -R -N -O -c -r -l -B -u -g -x -a -d -m -F --help --version
expect "hpvmclone " -P -N -O -c -e -E -r -l -B -u -g -x -b -a -d -m -s -F --help --version
expect "hpvmclone -P alpha -N x -b /y -" -O -c -e -E -r -l -B -u -g -x -b -a -d -m -s -F --help --version
expect "hpvmmodify -P " alpha beta
expect "hpvmclone -P b" beta
expect "hpvmmodify -P alpha -N "
expect "hpvmmodify -P alpha -O l" linux
expect_nospace "hpvmmodify -P alpha -a d" disk: dvd:
expect_nospace "hpvmclone -P alpha -N x -a network:" lan: avio_lan: aviolan:
# -d / -m / -b: the statements of the guest named by -P.
DEV_ROOT=$TMP/devices
mkdir -p "$DEV_ROOT"
truncate -s 1M "$TMP/dev0.img" "$TMP/dev1.img"
if ! out=$(HPVM_ROOT=$DEV_ROOT hpvmcreate -P delta -a disk:scsi::file:"$TMP/dev0.img" \
  -a disk:avio_stor:1,2,3:file:"$TMP/dev1.img" -a dvd:scsi::null: \
  -a network:lan:,,0x020000000042:vswitch:localnet 2>&1); then
  fail "hpvmcreate -P delta failed" "$out"
fi
export HPVM_ROOT=$DEV_ROOT
D0="disk:scsi:0,0,0:file:$TMP/dev0.img"
D1="disk:avio_stor:1,2,3:file:$TMP/dev1.img"
DVD="dvd:scsi:0,0,1:null:"
NIC="network:lan:0,1,0x020000000042:vswitch:localnet"
expect "hpvmmodify -P delta -d " "$D0" "$DVD" "$D1" "$NIC"
expect "hpvmmodify -Pdelta -d " "$D0" "$DVD" "$D1" "$NIC"
expect "hpvmmodify -P delta -c 2 -d d" "$D0" "$DVD" "$D1"
expect "hpvmmodify -P delta -d network:" "${NIC#network:}"
expect "hpvmmodify -P delta -m " "$D0" "$DVD" "$D1" "$NIC" hba:avio_stor:0,0 hba:scsi:1,2
expect "hpvmmodify -P delta -m hba:" avio_stor:0,0 scsi:1,2
expect "hpvmclone -P delta -N e -b " "$D0" "$DVD" "$D1"
expect "hpvmclone -P delta -N e -d dvd" "$DVD"
# No -P yet, or an unknown guest: nothing to offer.
expect "hpvmmodify -d "
expect "hpvmmodify -P nosuch -d "
export HPVM_ROOT=$TMP/root

section "zsh completion (share/completion/_hpvm): every command built, every --help option"
ZSH_FILE=$HPVM_SOURCE/share/completion/_hpvm
zsh_skipped=0
if ! command -v zsh >/dev/null; then
  echo "SKIP zsh is not installed: _hpvm not checked (scripts/bootstrap installs zsh)"
  zsh_skipped=1
elif ! out=$(zsh -n "$ZSH_FILE" 2>&1); then
  fail "zsh -n _hpvm" "$out"
else
  pass
  read -r first_line <"$ZSH_FILE"
  read -ra compdef <<<"$first_line"
  # _hpvm's function body, run once per command with _arguments printing
  # the specs it is given, one a line, after a "== command" line.
  # shellcheck disable=SC2016 # expanded by zsh
  zsh_specs=$(zsh -f -c '
    _arguments() { print -rl -- "$@" }
    eval "_hpvm_under_test() { $(<$1) }"
    shift
    for service in "$@"; do
      words=($service)
      print -r -- "== $service"
      _hpvm_under_test
    done' zsh "$ZSH_FILE" "${COMMANDS[@]}" 2>&1)
  for cmd in "${COMMANDS[@]}"; do
    if [[ ${compdef[0]} == "#compdef" ]] && in_list "$cmd" "${compdef[@]:1}"; then
      pass
    else
      fail "zsh: $cmd is not on the #compdef line of _hpvm: '$first_line'"
    fi
    read -ra HELP_NAMES <<<"${HELP_OF[$cmd]}"
    names=()
    declare -A zkind=()
    while IFS= read -r spec; do
      spec=${spec#\(*\)} # the options it excludes
      repeat=0
      if [[ $spec == \** ]]; then
        repeat=1
        spec=${spec#\*}
      fi
      [[ $spec =~ ^(-[^]:=+[]*)(\[[^]]*\])?(:?) ]] || continue
      name=${BASH_REMATCH[1]}
      names+=("$name")
      if [[ -n ${BASH_REMATCH[3]} ]]; then
        ((repeat)) && zkind[$name]=values || zkind[$name]=value
      else
        zkind[$name]=flag
      fi
    done < <(awk -v cmd="== $cmd" '$0 == cmd {on = 1; next} /^== / {on = 0} on' <<<"$zsh_specs")
    if ((${#names[@]} == 0)); then
      fail "zsh: _hpvm has no _arguments for $cmd (no branch in its case)"
      continue
    fi
    check_options zsh "$cmd" _hpvm "${names[@]}"
    for name in "${HELP_NAMES[@]}"; do
      [[ $name == --help || $name == --version || -z ${zkind[$name]-} ]] && continue
      kind=${HELP_KIND[$cmd $name]}
      if [[ ${zkind[$name]} == "$kind" ]]; then
        pass
      else
        fail "zsh: $cmd $name: --help says $kind, _hpvm's spec says ${zkind[$name]}"
      fi
    done
    unset zkind
  done
  # Vswitch names come from hpvmnet (this HPVM_ROOT has localnet and vsw9).
  # shellcheck disable=SC2016 # expanded by zsh
  out=$(zsh -f -c '
    _arguments() { : }
    _wanted() { shift 3; "$@" }
    compadd() { [[ $1 == -a ]] && print -rl -- ${(P)2} }
    eval "_hpvm_under_test() { $(<$1) }"
    service=none words=(hpvmnet)
    _hpvm_under_test
    _hpvm_vswitch_names' zsh "$ZSH_FILE" 2>&1)
  if [[ $out == $'localnet\nvsw9' ]]; then pass; else fail "zsh: _hpvm_vswitch_names offers '$out', expected localnet and vsw9"; fi
fi

printf 'test_completion: %d checks, %d failed\n' "$checks" "$failures"
if ((failures == 0 && zsh_skipped)); then
  exit 77 # the bash half passed; the zsh half was not checked
fi
[[ $failures -eq 0 ]]
