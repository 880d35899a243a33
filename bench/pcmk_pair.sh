# shellcheck shell=bash
# A two-node Pacemaker cluster on this machine (corosync 3 with knet, two_node
# quorum), for bench/pacemaker. Each node is a holder process (sleep) with
# its own mount and UTS namespaces (host name = node name), in the network
# namespace it is started in: libqb's IPC sockets are abstract unix sockets,
# per network namespace, and its ring buffers are files in /dev/shm. Private
# tmpfs cover /etc/corosync, /var/lib/corosync, /var/lib/pacemaker,
# /var/log/corosync, /var/log/pacemaker, /run, /dev/shm and
# /usr/lib/ocf/resource.d (the node has only the agents it is given).
# corosync and pacemakerd run in the node's namespaces, and so does every
# command given to pcmk_on. Nothing is written outside the tmpfs but what
# the caller names.
#
#   pcmk_node_up NAME ADDR [NETNS]
#       node NAME (node id: its rank), its corosync link on ADDR, in network
#       namespace NETNS (default: the caller's)
#   pcmk_install NAME SOURCE TARGET
#       copies file SOURCE into the node's private file systems at TARGET
#   pcmk_start CIB
#       writes corosync.conf on every node, installs CIB (a file: the
#       cluster's first configuration) on each, starts corosync on each
#       (status 1 when one does not answer within 20 s), then pacemakerd
#   pcmk_wait_online SECONDS
#       waits until every node is online and a DC is elected (status 1 after
#       SECONDS)
#   pcmk_on NAME CMD...
#       CMD in the node's namespaces
#   pcmk_where RES
#       the resource's role and the nodes it is active on (crm_mon, from the
#       first node), e.g. "Started node2"
#   pcmk_crash NAME
#       SIGKILL to every process of the node at once (corosync, the Pacemaker
#       daemons, what they started) but its holder, as a power-off would;
#       prints their pids
#   pcmk_logs NAME DIR
#       copies the node's corosync and Pacemaker logs into DIR
#   pcmk_down
#       kills every node's processes and holders (by pid) and waits for them

PCMK_NODES=()
declare -gA PCMK_HOLDER=() PCMK_ADDR=()
# The holders, corosyncs and pacemakerds: this shell's children, disowned (a
# node's crash is no job failure to report).
_pcmk_children=()

pcmk_node_up() {
  local name=$1 addr=$2 netns=${3:-} pid
  local in_netns=()
  [[ -n $netns ]] && in_netns=(ip netns exec "$netns")
  # ip netns exec, unshare and sh all exec: $! is the holder's pid.
  # shellcheck disable=SC2016 # the node's own shell expands it
  "${in_netns[@]}" unshare --mount --uts --propagation private sh -c '
    for d in /etc/corosync /var/lib/corosync /var/lib/pacemaker /var/log/corosync \
      /var/log/pacemaker /run /dev/shm /usr/lib/ocf/resource.d; do
      mount -t tmpfs -o mode=0755 "pcmk-$1" "$d" || exit 1
    done
    chmod 1777 /dev/shm
    cd /var/lib/pacemaker && mkdir -m 0750 cib pengine blackbox cores &&
      chown hacluster:haclient cib pengine blackbox cores /var/log/pacemaker &&
      chmod 0770 /var/log/pacemaker && hostname "$1" && exec sleep infinity' sh "$name" &
  pid=$!
  disown "$pid"
  _pcmk_children+=("$pid")
  PCMK_NODES+=("$name")
  PCMK_HOLDER[$name]=$pid
  PCMK_ADDR[$name]=$addr
  for _ in $(seq 50); do
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == sleep ]] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "pcmk: node $name's namespaces were not ready within 5 s" >&2
  return 1
}

# The node's files, through its holder's root (its mount namespace).
_pcmk_root() { echo "/proc/${PCMK_HOLDER[$1]}/root"; }

pcmk_install() {
  local root
  root=$(_pcmk_root "$1")
  mkdir -p "$root$(dirname "$3")" && cp "$2" "$root$3"
}

pcmk_on() {
  local name=$1
  shift
  nsenter -t "${PCMK_HOLDER[$name]}" -m -u -n -- "$@"
}

_pcmk_corosync_conf() {
  local name i=0
  cat <<EOF
totem {
  version: 2
  cluster_name: hpvm-pcmk
  transport: knet
  crypto_cipher: none
  crypto_hash: none
  # A lost node is noticed within a second and a half (token + consensus).
  token: 1000
}
nodelist {
EOF
  for name in "${PCMK_NODES[@]}"; do
    i=$((i + 1))
    printf '  node {\n    name: %s\n    nodeid: %d\n    ring0_addr: %s\n  }\n' \
      "$name" "$i" "${PCMK_ADDR[$name]}"
  done
  cat <<EOF
}
quorum {
  provider: corosync_votequorum
  two_node: 1
}
logging {
  to_logfile: yes
  logfile: /var/log/corosync/corosync.log
  to_stderr: no
  to_syslog: no
  timestamp: on
}
EOF
}

pcmk_start() {
  local cib=$1 name root pid
  for name in "${PCMK_NODES[@]}"; do
    root=$(_pcmk_root "$name")
    _pcmk_corosync_conf >"$root/etc/corosync/corosync.conf"
    install -o hacluster -g haclient -m 0600 "$cib" "$root/var/lib/pacemaker/cib/cib.xml"
    # nsenter execs: $! is corosync's pid.
    nsenter -t "${PCMK_HOLDER[$name]}" -m -u -n -- corosync -f &
    disown $!
    _pcmk_children+=($!)
  done
  for name in "${PCMK_NODES[@]}"; do
    for _ in $(seq 100); do
      pcmk_on "$name" corosync-cmapctl -g totem.cluster_name >/dev/null 2>&1 && continue 2
      sleep 0.2
    done
    echo "pcmk: corosync on $name did not answer within 20 s" >&2
    return 1
  done
  for name in "${PCMK_NODES[@]}"; do
    nsenter -t "${PCMK_HOLDER[$name]}" -m -u -n -- \
      env PCMK_logfacility=none PCMK_logfile=/var/log/pacemaker/pacemaker.log pacemakerd &
    disown $!
    _pcmk_children+=($!)
  done
}

# crm_mon's XML, as node NAME sees the cluster.
_pcmk_mon() { pcmk_on "$1" crm_mon -1 --output-as=xml 2>/dev/null; }

pcmk_wait_online() {
  local limit=$1 xml start=$SECONDS
  while ((SECONDS - start <= limit)); do
    xml=$(_pcmk_mon "${PCMK_NODES[0]}")
    if [[ $(xmllint --xpath 'count(//nodes/node[@online="true"])' - <<<"$xml" 2>/dev/null) == \
      "${#PCMK_NODES[@]}" &&
      $(xmllint --xpath 'string(//summary/current_dc/@present)' - <<<"$xml" 2>/dev/null) == true ]]; then
      return 0
    fi
    sleep 0.2
  done
  echo "pcmk: the cluster was not online within $limit s; crm_mon said:" >&2
  pcmk_on "${PCMK_NODES[0]}" crm_mon -1 >&2
  return 1
}

pcmk_where() {
  local xml role nodes
  xml=$(_pcmk_mon "${PCMK_NODES[0]}")
  role=$(xmllint --xpath "string(//resources/resource[@id='$1']/@role)" - <<<"$xml" 2>/dev/null)
  nodes=$(xmllint --xpath "//resources/resource[@id='$1']/node/@name" - <<<"$xml" 2>/dev/null |
    sed 's/ *name="\([^"]*\)"/ \1/g')
  echo "$role$nodes"
}

# The pids in node NAME's mount namespace but its holder.
_pcmk_pids() {
  local holder=${PCMK_HOLDER[$1]} ns p
  ns=$(readlink "/proc/$holder/ns/mnt") || return 0
  for p in /proc/[0-9]*; do
    [[ ${p#/proc/} != "$holder" && $(readlink "$p/ns/mnt" 2>/dev/null) == "$ns" ]] &&
      echo "${p#/proc/}"
  done
}

pcmk_crash() {
  local pids
  mapfile -t pids < <(_pcmk_pids "$1")
  ((${#pids[@]})) && kill -9 "${pids[@]}" 2>/dev/null
  echo "${pids[*]}"
}

pcmk_logs() {
  local root
  root=$(_pcmk_root "$1")
  mkdir -p "$2"
  cp "$root/var/log/corosync/corosync.log" "$root/var/log/pacemaker/pacemaker.log" "$2/" 2>/dev/null
  return 0
}

pcmk_down() {
  local name pids=() pid
  for name in "${PCMK_NODES[@]}"; do
    mapfile -t -O "${#pids[@]}" pids < <(_pcmk_pids "$name")
  done
  pids+=("${_pcmk_children[@]}")
  ((${#pids[@]})) && kill -9 "${pids[@]}" 2>/dev/null
  # Gone (or zombies) within 10 s.
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do
      [[ -e /proc/$pid && $(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) != Z ]] || continue 2
      sleep 0.1
    done
    echo "pcmk: process $pid did not end within 10 s of SIGKILL" >&2
  done
  PCMK_NODES=()
  _pcmk_children=()
  return 0
}
