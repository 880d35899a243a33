#!/usr/bin/env bash
# cmake --install with the prefix existing HPVM scripts call (/opt/hpvm),
# staged under DESTDIR: commands in bin, man pages, the XML schema,
# completion where bash-completion and zsh find it, and the OCF agent where
# Pacemaker finds it.
source "$(dirname "$0")/lib.sh"

build_dir=$(cd "$HPVM_BIN/.." && pwd)
if [[ ! -f $build_dir/cmake_install.cmake ]]; then
  echo "SKIP: $build_dir is not a CMake build directory; nothing to install."
  exit 77
fi
stage=$(new_tmpdir)
run env DESTDIR="$stage" cmake --install "$build_dir" --prefix /opt/hpvm
assert_exit 0
P=$stage/opt/hpvm

section "commands, man pages, schema"
# Every command the build made (a new one is checked without editing this).
mapfile -t commands < <(find "$HPVM_BIN" -maxdepth 1 -type f -executable -name 'hpvm*' -printf '%f\n' | sort)
if ((${#commands[@]} >= 14)); then pass; else fail "found only ${#commands[@]} commands in $HPVM_BIN"; fi
for cmd in "${commands[@]}"; do
  check "bin/$cmd is installed and runs" "$P/bin/$cmd" --version
  check "man1m/$cmd.1m is installed" test -f "$P/share/man/man1m/$cmd.1m"
done
check "man5/hpvmresources.5 is installed" test -f "$P/share/man/man5/hpvmresources.5"
check "the hpvmstatus XML schema is installed" test -f "$P/share/hpvm/hpvmstatus.xsd"

section "the boot-time systemd unit runs the prefix's hpvmnet -b"
unit_dir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
unit=$stage${unit_dir:-/usr/lib/systemd/system}/hpvm.service
check "hpvm.service is installed where systemd looks" test -f "$unit"
check "its ExecStart is /opt/hpvm/bin/hpvmnet -b" grep -qx 'ExecStart=/opt/hpvm/bin/hpvmnet -b' "$unit"

section "the Pacemaker agent is the suite's OCF provider, running the prefix's commands"
agent=$stage/usr/lib/ocf/resource.d/hpvm/guest
check "ocf:hpvm:guest is installed under /usr/lib/ocf/resource.d/hpvm" test -f "$agent"
check "it is mode 0755" test "$(stat -c %a "$agent")" = 755
check "its commands are /opt/hpvm/bin's" grep -qx "HPVM_DEFAULT_BINDIR='/opt/hpvm/bin'" "$agent"
check "no @VARIABLE@ is left in it" bash -c '! grep -q "@[A-Z_]*@" "$1"' _ "$agent"
check "man7/ocf_hpvm_guest.7 is installed" test -f "$P/share/man/man7/ocf_hpvm_guest.7"

section "completion lands where bash-completion and zsh look, whatever the prefix"
check "zsh completion is installed" test -f "$stage/usr/share/zsh/vendor-completions/_hpvm"
BC=/usr/share/bash-completion/bash_completion
if [[ ! -f $BC ]]; then
  skip "bash-completion is not installed: cannot check that it finds our completion"
else
  completions=$stage$(pkg-config --variable=completionsdir bash-completion 2>/dev/null ||
    echo /usr/share/bash-completion/completions)
  for cmd in "${commands[@]}"; do
    check "$cmd's completion is in bash-completion's directory" test -e "$completions/$cmd"
    # XDG_DATA_DIRS stands the staged tree in for /usr/share.
    run env XDG_DATA_DIRS="${completions%/bash-completion/completions}" \
      bash -c 'source "$1"; __load_completion "$2" && complete -p "$2"' _ "$BC" "$cmd"
    assert_exit 0
    assert_stdout_has "^complete .* $cmd\$"
  done
fi

finish
