# shellcheck shell=bash
# Sourced first by the suites that boot the real test guest: builds the
# guest image (or finds it cached) here, where Debian's archive can be
# reached, then runs the suite again in a network namespace of its own (no
# network there), so that its taps and bridges stay private.
if [[ -z ${HPVM_RUNTIME_NETNS:-} ]] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
  "${HPVM_SOURCE:-$(dirname "$0")/../..}/scripts/guest-image" "${HPVM_BIN:-build/cmd}/.." >/dev/null 2>&1 || true
  HPVM_RUNTIME_NETNS=1 exec unshare -n bash "$0" "$@"
fi
