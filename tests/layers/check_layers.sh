#!/usr/bin/env bash
# The layering rule, checked on every build's test run: each folder of
# libvmconfig includes only from the folders below it, libavio never includes
# libvmconfig, and cmd/ reaches libvmconfig only through its operations,
# renderers and model. A new include that breaks the order fails here.
#   check_layers.sh SOURCE_DIR
set -euo pipefail
cd "${1:-$(dirname "$0")/../..}"

# folder -> the vmconfig folders its files may include (itself included)
declare -A allowed=(
  [model]="model"
  [store]="model store"
  [devdb]="model store devdb"
  [render]="model render"
  [ops]="model store devdb render ops"
)
bad=0
violation() { echo "layering: $1"; bad=1; }

for folder in "${!allowed[@]}"; do
  while IFS= read -r line; do
    file=${line%%:*}
    target=$(sed -E 's#.*vmconfig/([a-z_]+)/.*#\1#' <<<"$line")
    [[ " ${allowed[$folder]} " == *" $target "* ]] ||
      violation "$file includes vmconfig/$target/ (a $folder file may include: ${allowed[$folder]})"
  done < <(grep -Hn -E '#include [<"]vmconfig/[a-z_]+/' -r "libvmconfig/vmconfig/$folder" || true)
done
# Every libvmconfig file lives in one of the folders above.
while IFS= read -r file; do
  violation "$file is not in a layer folder (${!allowed[*]})"
done < <(find libvmconfig/vmconfig -maxdepth 1 -type f \( -name '*.cpp' -o -name '*.hpp' \))
while IFS= read -r line; do
  violation "libavio includes libvmconfig: $line"
done < <(grep -rn -E '#include [<"]vmconfig/' libavio || true)
while IFS= read -r line; do
  violation "cmd/ reaches into the store (it may name only the Store handle and store/errors.hpp): $line"
done < <(grep -rn -E "#include [<\"](vmconfig/store/|SQLiteCpp|sqlite3)" cmd | grep -v -E "vmconfig/store/(store|errors)\.hpp" || true)
while IFS= read -r line; do
  violation "cmd/ names a SQLite type: $line"
done < <(grep -rn 'SQLite::' cmd || true)
# cmd/ reaches libavio only for the error types and the plain values ops
# hand back (how a console session ended); everything else goes through ops/.
while IFS= read -r line; do
  violation "cmd/ calls libavio directly (go through an ops/ function): $line"
done < <(grep -rn -E '#include [<"]avio/' cmd | grep -v -E 'avio/(error|console)\.hpp' || true)
while IFS= read -r line; do
  violation "SQL outside the store: $line"
done < <(grep -rln 'SQLite::' libvmconfig | grep -v '^libvmconfig/vmconfig/store/' || true)

# The HPVM root's layout: only libavio/avio/layout.* knows the paths under
# $HPVM_ROOT (hpvm.db, common/, command.log, hpvmhostrdev.*, uuids/, guests/,
# running/, the run directory's files) and reads HPVM_ROOT; cmd/ never asks
# for the root (the Store opens it, the command log finds it).
layout_names='hpvm\.db(-wal)?|vmm_config\.current|command\.log|hpvmhostrdev\.(backup|auto)|qemu\.(pid|log)|(qmp|console)\.sock|console\.log|pending-removals'
while IFS= read -r line; do
  violation "a path under \$HPVM_ROOT spelled outside avio/layout: $line"
done < <(grep -rn -E "\"($layout_names)\"|/ *\"(uuids|guests|running|common)\"|\"(uuids|guests|running|common)/|getenv\(\"HPVM_ROOT\"\)" \
  cmd libavio libvmconfig | grep -v -E '^libavio/avio/layout\.(hpp|cpp):' | grep -v -E '^[^:]+:[0-9]+:\s*//' || true)
while IFS= read -r line; do
  violation "cmd/ fetches the HPVM root itself: $line"
done < <(grep -rn -E 'root_from_environment|avio/layout\.hpp|avio::layout' cmd || true)

# Host access goes through libavio: libvmconfig and cmd/ make no system call
# on a host path of their own (the host name, /proc, creating, writing,
# reading or removing files and directories, file modes, users and groups,
# CPUs, resolving paths): avio/host.*, avio/layout.* and the rest of libavio
# do it for them.
host_access='gethostname|/proc|[^a-z_]open\(|ftruncate|unlink\(|weakly_canonical|::stat\('
host_access+='|(fs|filesystem)::(create_director|remove|rename)|create_directory_symlink'
host_access+='|std::ofstream|std::ifstream|::chmod|::umask|getpwnam|getgrnam'
host_access+='|hardware_concurrency|directory_iterator'
# The named exceptions, each with its reason:
host_access_allowed=(
  # The store owns hpvm.db: it creates the database under umask 0077 and
  # keeps hpvm.db 0600 (avio/layout makes the root and its directories).
  '^libvmconfig/vmconfig/store/store\.cpp:[0-9]+: +(if \(::stat\(db_path\.c_str\(\)|if \(::chmod\(db_path\.c_str\(\)|(const mode_t old_mask = )?::umask\((0077|old_mask)\);)'
  # hpvmimport reads the file its user names (not a file of $HPVM_ROOT);
  # moving it needs a change to cmd/hpvmimport.cpp, left for later.
  '^cmd/hpvmimport\.cpp:[0-9]+: +std::ifstream in\(path\);$'
)
allowed_re=$(IFS='|'; echo "${host_access_allowed[*]}")
while IFS= read -r line; do
  violation "host access outside libavio (give it a function in libavio/avio/): $line"
done < <(grep -rn -E "$host_access" libvmconfig cmd | grep -v -E "$allowed_re" || true)

# No include cycle among libvmconfig's files (x.hpp and x.cpp are one node):
# a file may use only what is below it, so each can be read, tested and
# changed without the ones above it.
while IFS= read -r line; do
  violation "include cycle in libvmconfig: $line"
done < <(python3 - <<'PY'
import os, re, sys
base = 'libvmconfig'
graph = {}
inc = re.compile(r'^\s*#\s*include\s*[<"](vmconfig/[^">]+)\.(?:hpp|h)[">]')
for dirpath, _, files in os.walk(os.path.join(base, 'vmconfig')):
    for f in sorted(files):
        if not f.endswith(('.cpp', '.hpp')):
            continue
        path = os.path.join(dirpath, f)
        node = os.path.splitext(os.path.relpath(path, base))[0]
        edges = graph.setdefault(node, set())
        with open(path, encoding='utf-8') as fh:
            for line in fh:
                m = inc.match(line)
                if m and m.group(1) != node:
                    edges.add(m.group(1))
state = {}  # 1: on the path, 2: done
def visit(node, path):
    state[node] = 1
    path.append(node)
    for nxt in sorted(graph.get(node, ())):
        if state.get(nxt) == 1:
            return path[path.index(nxt):] + [nxt]
        if nxt not in state:
            found = visit(nxt, path)
            if found:
                return found
    path.pop()
    state[node] = 2
    return None
for node in sorted(graph):
    if node not in state:
        cycle = visit(node, [])
        if cycle:
            print(' -> '.join(cycle))
            sys.exit(1)
PY
)

if ((bad)); then
  exit 1
fi
echo "layering: libvmconfig's folders, libavio and cmd/ keep the order model < store < devdb < ops, render < ops"
