# What every CLI suite needs before anything else: HPVM_BIN (the directory of
# the built commands) and HPVM_SOURCE (the source tree, found from this file
# when not given). Sourced by lib.sh and by suites with their own harness.
set -u
set -o pipefail

if [[ -z "${HPVM_BIN:-}" ]]; then
  echo "HPVM_BIN is not set: it must name the directory holding hpvmcreate, hpvmstatus, ..." >&2
  exit 1
fi
HPVM_SOURCE=${HPVM_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
