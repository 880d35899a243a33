#!/usr/bin/env bash
# The man pages in man/: every page is clean for mandoc and groff, every
# command has a page, every option a command takes (from its --help) is in
# its page's SYNOPSIS and OPTIONS, every option the OPTIONS section lists is
# one the command takes, and the keywords and output fields the code knows
# are all documented (so the pages cannot silently fall behind the code).
#
# Needs mandoc and groff (scripts/bootstrap installs mandoc and groff-base).
# HPVM_BIN: the directory of the built commands; HPVM_SOURCE: the source tree.
# shellcheck source=tests/cli/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
MAN="$HPVM_SOURCE/man"
export LC_ALL=C

for tool in mandoc groff; do
  if ! command -v "$tool" >/dev/null; then
    echo "$tool is not installed (scripts/bootstrap installs it); the man pages cannot be checked." >&2
    exit 1
  fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hpvm-test_manpages.XXXXXX") || exit 1
trap 'rm -rf -- "$TMP"' EXIT

_checks=0
_failures=0
_section=""
section() { _section=$1; printf -- '--- %s\n' "$1"; }
pass() { _checks=$((_checks + 1)); }
fail() {
  _checks=$((_checks + 1))
  _failures=$((_failures + 1))
  printf 'FAIL [%s] %s\n' "$_section" "$1"
  if [[ $# -gt 1 && -n $2 ]]; then
    printf '%s\n' "$2" | sed 's/^/    /'
  fi
}

# The page rendered as plain text, wide enough that nothing wraps.
render() { mandoc -Tascii -O width=400 "$1" | sed "s/.\x08//g"; }

# Lines of section $2 (a top-level heading such as OPTIONS) of rendered text $1.
man_section() {
  awk -v want="$2" '
    /^[A-Z]/ { inside = ($0 == want); next }
    inside' "$1"
}

# Lines of subsection $2 (an .SS heading, matched as a prefix) of rendered text $1.
man_subsection() {
  awk -v want="$2" '
    /^[A-Z]/ { next }
    /^   [^ ]/ { inside = (index(substr($0, 4), want) == 1); next }
    inside' "$1"
}

# Whether the word $1 (an option, a keyword) occurs in file $2 as a whole word.
has_word() {
  grep -qE -- "(^|[^[:alnum:]_-])$(sed 's/[.[\*^$]/\\&/g' <<<"$1")([^[:alnum:]_-]|\$)" "$2"
}

mapfile -t pages < <(find "$MAN" -maxdepth 1 -type f -name '*.[0-9]*' | sort)
if [[ ${#pages[@]} -eq 0 ]]; then
  echo "no man pages found in $MAN" >&2
  exit 1
fi

# ----------------------------------------------------------------- linting
section "mandoc -Tlint and groff -ww"
for page in "${pages[@]}"; do
  name=$(basename "$page")
  # Any mandoc message fails, except a style remark about HPVM's section 1m.
  out=$(mandoc -Tlint -W warning "$page" 2>&1 | grep -vE 'STYLE: .*(section|1[mM])' || true)
  if [[ -z $out ]]; then pass; else fail "$name: mandoc -Tlint -W warning" "$out"; fi
  out=$(groff -ww -z -man "$page" 2>&1)
  if [[ -z $out ]]; then pass; else fail "$name: groff -ww -z -man" "$out"; fi
  # As man(1) formats it for an 80-column terminal.
  out=$(groff -ww -z -man -Tutf8 -rLL=78n "$page" 2>&1)
  if [[ -z $out ]]; then pass; else fail "$name: groff -ww -z -man -Tutf8 -rLL=78n" "$out"; fi
  th=$(grep -m1 '^\.TH ' "$page" | awk '{print tolower($2) "." tolower($3)}')
  if [[ $th == "$name" ]]; then pass; else fail "$name: .TH names '$th', not the file name"; fi
done

# --------------------------------------------------- sections of each page
section "required sections"
for page in "${pages[@]}"; do
  name=$(basename "$page")
  text="$TMP/$name.txt"
  render "$page" >"$text"
  required=("NAME" "DESCRIPTION" "SEE ALSO")
  if [[ $name == *.1m || $name == *.8 ]]; then
    required=("NAME" "SYNOPSIS" "DESCRIPTION" "OPTIONS" "EXIT STATUS" "ENVIRONMENT" "FILES"
      "EXAMPLES" "DIFFERENCES FROM HPVM" "SEE ALSO")
  fi
  for s in "${required[@]}"; do
    if grep -qx -- "$s" "$text"; then pass; else fail "$name has no $s section"; fi
  done
done

# --------------------------------------------------------------- commands
section "every command has a page"
commands=()
for bin in "$HPVM_BIN"/hpvm*; do
  [[ -f $bin && -x $bin ]] || continue
  cmd=$(basename "$bin")
  commands+=("$cmd")
  found=$(find "$MAN" -maxdepth 1 -type f \( -name "$cmd.1m" -o -name "$cmd.8" \) | head -1)
  if [[ -n $found ]]; then pass; else fail "$cmd has no page in man/ ($cmd.1m)"; fi
done
if [[ ${#commands[@]} -gt 0 ]]; then pass; else fail "no hpvm* commands in $HPVM_BIN"; fi

section "options: --help against SYNOPSIS and OPTIONS"
for cmd in "${commands[@]}"; do
  page=$(find "$MAN" -maxdepth 1 -type f \( -name "$cmd.1m" -o -name "$cmd.8" \) | head -1)
  [[ -n $page ]] || continue
  text="$TMP/$(basename "$page").txt"
  if ! "$HPVM_BIN/$cmd" --help >"$TMP/help" 2>&1; then
    fail "$cmd --help failed" "$(cat "$TMP/help")"
    continue
  fi
  # CLI11 lists options as "  -P TEXT ...", "  -d,-D ...", "  -J,--json ...".
  mapfile -t opts < <(sed -n '/^Options:/,$p' "$TMP/help" | grep -E '^ +-' |
    awk '{print $1}' | tr ',' '\n' | grep -E '^-' | sort -u)
  if [[ ${#opts[@]} -ge 2 ]]; then pass; else fail "$cmd --help lists no options" "$(cat "$TMP/help")"; fi
  man_section "$text" SYNOPSIS >"$TMP/synopsis"
  man_section "$text" OPTIONS >"$TMP/options"
  for opt in "${opts[@]}"; do
    if has_word "$opt" "$TMP/synopsis"; then pass; else fail "$cmd: $opt is not in the SYNOPSIS of $(basename "$page")"; fi
    if has_word "$opt" "$TMP/options"; then pass; else fail "$cmd: $opt is not in the OPTIONS of $(basename "$page")"; fi
  done
  # The reverse: every option the OPTIONS section lists as a tag (a line at
  # the section's indentation that starts with options) is one the command takes.
  mapfile -t tagged < <(grep -E '^ {7}-' "$TMP/options" | sed -E 's/^ {7}//' | awk '{
      for (i = 1; i <= NF; i++) { w = $i; sub(/,$/, "", w); if (w !~ /^-/) break; print w }
    }' | sort -u)
  for opt in "${tagged[@]}"; do
    # Not grep -q: it may exit before printf has written everything, and
    # pipefail would turn printf's SIGPIPE into a failure.
    if printf '%s\n' "${opts[@]}" | grep -xF -- "$opt" >/dev/null; then
      pass
    else
      fail "$(basename "$page") documents $opt, which $cmd --help does not list"
    fi
  done
done

# ------------------------------------------- messages in DIAGNOSTICS
section "DIAGNOSTICS: the messages each page must list, as the code says them"
# The code's text with adjacent string literals joined (messages are split
# across lines there).
code=$(cat "$HPVM_SOURCE"/libvmconfig/vmconfig/*/*.cpp "$HPVM_SOURCE"/libavio/avio/*.cpp \
  "$HPVM_SOURCE"/cmd/*.cpp | tr '\n' ' ' | sed 's/"[[:space:]]*"//g')
# page | text in its DIAGNOSTICS section | the same message's words in the code
while IFS='|' read -r page text words; do
  [[ -n $page ]] || continue
  man_section "$TMP/$page.txt" DIAGNOSTICS | tr -s ' \n' '  ' >"$TMP/diag"
  if grep -qF -- "$text" "$TMP/diag"; then pass; else fail "$page: DIAGNOSTICS does not list \"$text\""; fi
  if grep -qF -- "$words" <<<"$code"; then pass; else fail "the code no longer says \"$words\" ($page)"; fi
done <<'EOF'
hpvmstatus.1m|and cannot be made 0600:|and cannot be made 0600: {}
hpvmstatus.1m|is full (No space left on device): the configuration database cannot be changed. Free some space there and try again; nothing was changed.|: the configuration database cannot be changed. {}
hpvmstatus.1m|is read-only: the configuration database cannot be changed. Nothing was changed.|"is read-only", "Nothing was changed."
hpvmstart.1m|is no longer the file or device it was configured with|is no longer the file or device it was configured with (it is now {}{})
hpvmcreate.1m|'lvs' did not finish within 30 s; it was stopped.|'{}' did not finish within {} s; it was stopped.
hpvmdevmgmt.1m|'lvs' did not finish within 30 s; it was stopped.|'{}' did not finish within {} s; it was stopped.
hpvmnet.1m|exists, but the vswitch is recorded down: an interrupted hpvmnet -b left it. hpvmnet -b -S|exists, but the vswitch is recorded down: an interrupted hpvmnet -b left it. hpvmnet -b -S {}
hpvmnet.1m|which is recorded down: an interrupted hpvmnet -b left it.|which is recorded down: an interrupted hpvmnet -b left it.
hpvmnet.1m|The host was put back as it was: nothing was changed.| The host was put back as it was: nothing was changed.
hpvmconsole.1m|and was not free within 3 s. Try again once it detaches (Ctrl-B).|and was not free within {} s. Try again once it detaches (Ctrl-B).
hpvmconsole.1m|user u; command line: command line) and was not free within 3 s. Try again once that program lets go of it.|user {}; command line: {}) and was not free within {} s. Try again once that program lets go of it.
hpvmconsole.1m|is in use by a program that could not be found (no process here holds the other end of QEMU's console connection)|is in use by a program that could not be found (no process here holds the other end of QEMU's console connection) and was not free within {} s.
hpvmconsole.1m|QEMU did not take the console connection within 3 s, and no program holding the console was found. Try again.|QEMU did not take the console connection within {} s, and no program holding the console was found. Try again.
hpvmcreate.1m|The configuration database is locked by command (pid N) since hh:mm:ss (command line: command line); nothing was changed. Try again.|The configuration database is locked by {} (pid {}) since {:%H:%M:%S} (command line: {}); nothing was changed. Try again.
hpvmcreate.1m|The configuration database is locked, and the record of its holder is stale: command (pid N), recorded as holding it since hh:mm:ss, is gone, so another program (not an HPVM command) holds it;|The configuration database is locked, and the record of its holder is stale: {} (pid {}), recorded as holding it since {:%H:%M:%S}, is gone, so another program (not an HPVM command) holds it;
hpvmcreate.1m|The configuration database is locked by another program (no HPVM command is recorded as holding it); nothing was changed. Try again.|The configuration database is locked by another program (no HPVM command is recorded as holding it); nothing was changed. Try again.
hpvmcreate.1m|is full (No space left on device): the configuration database cannot be changed. Free some space there and try again; nothing was changed.|Free some space there and try again; nothing was changed.
hpvmmodify.1m|Free some space there and try again; nothing was changed. The running guest was changed back.|The running guest was changed back{}
hpvmnet.1m|nothing was changed. The host was put back as it was.|The host was put back as it was.
hpvmstop.1m|The guest did not power off within N seconds; it was stopped hard.|The guest did not power off within {} seconds; it was stopped hard.
hpvmstop.1m|The guest could not be asked to power off: why; it was stopped hard.|The guest could not be asked to power off: {}; it was stopped hard.
hpvmcreate.1m|ram_dyn_target_start (n MB) is above ram_dyn_max (m MB).|ram_dyn_target_start ({}) is above ram_dyn_max ({}).
hpvmcreate.1m|ram_dyn_target_start (n MB) is below ram_dyn_min (m MB).|ram_dyn_target_start ({}) is below ram_dyn_min ({}).
hpvmcreate.1m|and -x ram_dyn_type=t contradict each other: dynamic memory is either on or off.|and -x ram_dyn_type={} contradict each other: dynamic memory is either on or off.
hpvmmodify.1m|MB takes effect at the guest's next start: the running guest has no balloon device.|MB takes effect at the guest's next start: the running guest has no balloon device.
hpvmmigrate.1m|The guest's configuration changed during the migration; migrate it again.|The guest's configuration changed during the migration; migrate it again.
hpvmmigrate.1m|' did not confirm it has the guest.|' did not confirm it has the guest.
hpvmmigrate.1m|' may have the guest now: check there before using this host's copy, which stays as it was.|' may have the guest now: check there before using this host's copy, which stays as it was.
hpvmmigrate.1m|' to take the guest over; check '|An interrupted migration told the VM Host '{}' to take the guest over; check '{}' first (hpvmstatus -P {} says how).
hpvmmigrate.1m|The guest has been handed over to this host and is not removed.|The guest has been handed over to this host and is not removed.
hpvmstart.1m|QEMU sent the guest away and is paused (postmigrate): a migration was interrupted after it told the VM Host '|QEMU sent the guest away and is paused (postmigrate): a
hpvmstart.1m|' to take the guest over, and '|migration was interrupted after it told the VM Host '{}' to take the 
hpvmstart.1m|can bring the guest back); if not, 'hpvmstart -P|back); if not, 'hpvmstart -P {} -F' {} here
hpvmstart.1m|QEMU did not resume the guest: its state is '|QEMU did not resume the guest: its state is '{}' after 'cont'.
hpvmstart.1m|The runtime event was not recorded: why|The runtime event was not recorded: 
hpvmstop.1m|The runtime event was not recorded: why|The runtime event was not recorded: 
hpvmstart.1m|shows the guest's free and available memory as unknown: QEMU does not ask its balloon driver for them:|shows the guest's free and available memory as unknown: QEMU does not ask its balloon driver for them: {}
hpvmmodify.1m|The running guest cannot be changed: QEMU (pid N) is stopped (SIGSTOP or a debugger) and cannot answer its monitor; 'kill -CONT N' resumes it, 'hpvmstop -P vm-name -F' stops it. Nothing was changed.|is stopped (SIGSTOP or a debugger) and cannot answer its monitor; 'kill -CONT {}' resumes it, 'hpvmstop -P {} -F' stops it
hpvmmodify.1m|The running guest cannot be changed: QEMU|The running guest cannot be changed: {}. Nothing was changed.
hpvmnet.1m|was deleted on the host: its vNIC is cut off; hpvmmodify -P vm -R reconnects it.|was deleted on the host: its vNIC is cut off; hpvmmodify -P {} -R reconnects it.
EOF

# ------------------------------------------ keywords the code knows about
section "hpvmresources(5): every grammar keyword"
res="$TMP/hpvmresources.5.txt"
grammar="$HPVM_SOURCE/libvmconfig/vmconfig/model/grammar.cpp"
if [[ -f $res && -f $grammar ]]; then
  mapfile -t words < <(grep -oE 'Keyword<[A-Za-z]+>\{"[a-z_]+"' "$grammar" | sed -E 's/.*\{"//; s/"$//' | sort -u)
  if [[ ${#words[@]} -ge 10 ]]; then pass; else fail "found only ${#words[@]} keywords in grammar.cpp"; fi
  for w in "${words[@]}" network hba vswitch portid; do
    if has_word "$w" "$res"; then pass; else fail "hpvmresources.5 does not mention the keyword '$w'"; fi
  done
else
  fail "hpvmresources.5 or $grammar is missing"
fi

section "hpvmcreate(1M): every -x keyword"
create="$TMP/hpvmcreate.1m.txt"
chars="$HPVM_SOURCE/libvmconfig/vmconfig/model/characteristics.cpp"
if [[ -f $create && -f $chars ]]; then
  mapfile -t words < <(grep -oE 'key == "[a-z_]+"' "$chars" | sed -E 's/.*"([a-z_]+)"/\1/' | sort -u)
  if [[ ${#words[@]} -ge 10 ]]; then pass; else fail "found only ${#words[@]} -x keywords in characteristics.cpp"; fi
  for w in "${words[@]}"; do
    if has_word "$w" "$create"; then pass; else fail "hpvmcreate.1m does not document -x $w"; fi
  done
else
  fail "hpvmcreate.1m or $chars is missing"
fi

# ------------------------------------ hpvmstatus formats against the binary
section "hpvmstatus(1M): -M, -X and -J as the binary prints them"
status="$TMP/hpvmstatus.1m.txt"
if [[ -f $status && -x $HPVM_BIN/hpvmcreate && -x $HPVM_BIN/hpvmstatus ]]; then
  export HPVM_ROOT="$TMP/root"
  truncate -s 1M "$TMP/disk.img"
  if "$HPVM_BIN/hpvmcreate" -P g1 -u root -x ram_dyn_type=driver \
    -a "disk:avio_stor::file:$TMP/disk.img" \
    -a network:lan:,,0x02AABBCC0001:vswitch:vsw1:portid:3 >"$TMP/out" 2>&1; then
    pass
  else
    fail "hpvmcreate of the sample guest failed" "$(cat "$TMP/out")"
  fi

  # -M: the documented field numbers are exactly 0 .. N-1.
  fields=$("$HPVM_BIN/hpvmstatus" -M -P g1 | awk -F: '{print NF}')
  man_subsection "$status" "Machine-readable" >"$TMP/msect"
  documented=$(grep -E '^ {7}[0-9]+( |$)' "$TMP/msect" | awk '{print $1}' | tr '\n' ' ')
  expected=$(seq 0 $((fields - 1)) | tr '\n' ' ')
  if [[ $documented == "$expected" ]]; then
    pass
  else
    fail "hpvmstatus -M prints $fields fields; the page documents fields: $documented"
  fi

  # -X: every element and attribute name.
  "$HPVM_BIN/hpvmstatus" -X >"$TMP/xml"
  man_subsection "$status" "XML" >"$TMP/xsect"
  mapfile -t names < <({ grep -oE '<[a-z_]+' "$TMP/xml" | tr -d '<'; grep -oE ' [a-z_]+="' "$TMP/xml" | tr -d ' ="'; } |
    grep -vx version | sort -u)
  if [[ ${#names[@]} -ge 20 ]]; then pass; else fail "hpvmstatus -X printed only ${#names[@]} names" "$(cat "$TMP/xml")"; fi
  for n in "${names[@]}" version; do
    if has_word "$n" "$TMP/xsect"; then pass; else fail "hpvmstatus.1m (XML) does not document '$n'"; fi
  done

  # -J: every member name.
  "$HPVM_BIN/hpvmstatus" -J >"$TMP/json"
  man_subsection "$status" "JSON" >"$TMP/jsect"
  mapfile -t names < <(grep -oE '"[a-z_]+":' "$TMP/json" | tr -d '":' | grep -vx ram_dyn_type | sort -u)
  if [[ ${#names[@]} -ge 20 ]]; then pass; else fail "hpvmstatus -J printed only ${#names[@]} names" "$(cat "$TMP/json")"; fi
  for n in "${names[@]}"; do
    if has_word "$n" "$TMP/jsect"; then pass; else fail "hpvmstatus.1m (JSON) does not document '$n'"; fi
  done

  # -V: every key.
  "$HPVM_BIN/hpvmstatus" -V -P g1 >"$TMP/verbose"
  man_subsection "$status" "Verbose" >"$TMP/vsect"
  mapfile -t keys < <(grep -E ' :' "$TMP/verbose" | sed -E 's/ :.*//' | grep -vx ram_dyn_type | sort -u)
  for k in "${keys[@]}"; do
    if grep -qF -- "$k" "$TMP/vsect"; then pass; else fail "hpvmstatus.1m (-V) does not show the key '$k'"; fi
  done
  unset HPVM_ROOT
else
  fail "hpvmstatus.1m or the hpvmcreate/hpvmstatus binaries are missing"
fi

printf 'test_manpages: %d checks, %d failed\n' "$_checks" "$_failures"
[[ $_failures -eq 0 ]]
