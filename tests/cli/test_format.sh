#!/usr/bin/env bash
# Every C++ source file is formatted as .clang-format says.
source "$(dirname "$0")/env.sh"
if ! command -v clang-format >/dev/null; then
  echo "SKIP: clang-format is not installed (scripts/bootstrap installs it)."
  exit 77
fi
cd "$HPVM_SOURCE" || exit 1
mapfile -t files < <(find cmd libavio libvmconfig tests bench -name '*.cpp' -o -name '*.hpp' | sort)
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  printf 'not formatted (run clang-format -i): %s\n' "${bad[@]}"
  echo "${#files[@]} checked, ${#bad[@]} failed"
  exit 1
fi
echo "${#files[@]} files formatted as .clang-format says"
