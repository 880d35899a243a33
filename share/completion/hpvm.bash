# bash completion for the HPVM administration commands             -*- shell-script -*-
#
# Needs bash-completion (>= 2.x): _init_completion, __ltrim_colon_completions
# and _filedir come from it. One file serves every command; it is installed as
# completions/hpvm with every command name as a symlink to it, so
# bash-completion's on-demand loader finds it under any of them.
#
# Adding a command (hpvmmodify, hpvmstart, ...):
#   1. add a line to _hpvm_spec below: the command's options, each either
#        -X           a flag
#        -X=kind      an option taking a value, completed by _hpvm_arg_<kind>
#                     ("-" = free text, nothing to complete)
#        -X=kind+     the same, and the option may be repeated
#      (--help and --version are added to every command);
#   2. if some options exclude each other, add a line to _hpvm_exclusive;
#   3. write _hpvm_arg_<kind> for any new kind of value;
#   4. install/symlink completions/<command> (top-level CMakeLists.txt).
# The `complete` line at the end registers every command in _hpvm_spec.
#
# Values come from the code: cmd/*.cpp and cmd/cli/options.cpp (options),
# libvmconfig/vmconfig/model/grammar.cpp (resource statements) and
# libvmconfig/vmconfig/model/characteristics.cpp (-O, -B, -x).

# The usual completion idioms: COMPREPLY=($(compgen ...)) and compgen -W
# '${list[@]}' (compgen expands it itself).
# shellcheck disable=SC2207,SC2016

# `declare -g`: bash-completion sources this file from inside a function.
declare -gA _hpvm_spec=(
    [hpvmcreate]='-P=- -O=ostype -c=- -e=- -E=- -r=- -l=- -B=start -u=user+ -g=group+ -x=extended+ -a=resource+ -s -F'
    [hpvmstatus]='-P=guest -p=vmnumber -V -d -D -M -X -J --json -r -s -S -m -e -A -C -v'
    [hpvmremove]='-P=guest -Q'
    [hpvminfo]='-V -v -S -J --json'
    [hpvmconvert]='-P=guest -A -C -U -M -J --json'
    [hpvmimport]='-P=- -D=file -S=file -M=file -f=file -A -s -F -V -O=ostype -c=- -e=- -E=- -r=- -l=- -B=start -u=user+ -g=group+ -x=extended+'
    [hpvmnet]='-S=vswitch -c -n=netif -b -h -d -r -u=portvlan -A -V -J --json -Q -F'
    [hpvmdevmgmt]='-l=devlist -a=devadd -d=devdelete -m=devmodify -n=devreplace -S=- -A -r -I -v -V'
    [hpvmhostrdev]='-u -d -r -E -D -h'
    [hpvmmodify]='-P=guest -R -N=- -O=ostype -c=- -e=- -E=- -r=- -l=- -B=start -u=user+ -g=group+ -x=extended+ -a=resource+ -d=device+ -m=devmod+ -s -F'
    [hpvmclone]='-P=guest -N=- -O=ostype -c=- -e=- -E=- -r=- -l=- -B=start -u=user+ -g=group+ -x=extended+ -b=storage+ -a=resource+ -d=device+ -m=devmod+ -s -F'
    [hpvmstart]='-P=guest -F'
    [hpvmstop]='-P=guest -g -t=- -F -q -Q'
    [hpvmconsole]='-P=guest'
    [hpvmdevinfo]='-P=guest -V -M -J --json'
    [hpvmmigrate]='-P=guest -p=vmnumber -h=host -N=- -l=- -c=- -e=- -E=- -r=- -o -b -d -D -s -q -F'
)

# Space-separated groups of options that exclude each other ('|' within a group).
declare -gA _hpvm_exclusive=(
    [hpvmcreate]='-e|-E'
    [hpvmimport]='-e|-E'
    [hpvmconvert]='-P|-A -C|-U|-M|-J|--json'
    [hpvmstatus]='-P|-p -V|-d|-D|-M|-X|-J|--json -r|-s|-S|-m|-e|-A|-C|-v|-V|-d|-D|-X'
    [hpvmnet]='-c|-b|-h|-d|-r|-u|-A|-V -n|-b|-h|-d|-r|-u|-A|-V -c|-b|-h|-d|-r|-u|-J|--json -n|-J|--json'
    [hpvmdevmgmt]='-l|-a|-d|-m|-n|-S|-r|-I|-v'
    [hpvmhostrdev]='-u|-d|-r|-E|-D|-h'
    [hpvmmodify]='-e|-E'
    [hpvmclone]='-e|-E'
    [hpvmstop]='-q|-Q'
    [hpvmdevinfo]='-V|-M|-J|--json'
    [hpvminfo]='-V|-v|-S|-J|--json'
    [hpvmmigrate]='-P|-p -e|-E -o|-b -o|-d -o|-c -o|-e -o|-E -o|-r'
)

declare -g _hpvm_os_types='hpux linux windows openvms unknown'
declare -g _hpvm_start_values='auto manual'

# -x keywords, in the order they are offered, and the values each takes
# (none listed: a number or an amount of memory, left to the user).
declare -g _hpvm_x_keywords='runnable_status modify_status visible_status register_status
    graceful_stop_timeout ram_dyn_min ram_dyn_max ram_dyn_target_start ram_dyn_entitlement
    amr_chunk_size dynamic_memory_control amr_enable ram_dyn_type sched_preference
    online_migration resources_reserved vm_type'
declare -gA _hpvm_x_values=(
    [runnable_status]='enabled disabled'
    [modify_status]='enabled disabled'
    [visible_status]='enabled disabled'
    [register_status]='enabled disabled'
    [dynamic_memory_control]='0 1'
    [amr_enable]='0 1'
    [ram_dyn_type]='none any driver'
    [sched_preference]='cell ilm'
    [online_migration]='enabled disabled'
    [resources_reserved]='true false'
    [vm_type]='shared'
    [ram_target]='start'
)

# Resource statements (hpvmresources(5)):
#   devicetype:adaptertype:bus,device,target:storage:location
#   network:adaptertype:[bus,device,mac:]vswitch:name[:portid:number]
declare -g _hpvm_device_types='disk dvd tape changer burner'
declare -g _hpvm_storage_adapters='scsi avio_stor aviostor'
declare -g _hpvm_net_adapters='lan avio_lan aviolan'
declare -gA _hpvm_storage_types=( # which storage types may back which device type
    [disk]='disk lv file'
    [dvd]='disk file null'
    [tape]='attach attach_path'
    [changer]='attach attach_path'
    [burner]='attach attach_path'
)

# The suite command $1 to ask: the one beside the command being completed
# when it was typed with a path (./build/cmd/hpvmremove), else the one on PATH.
_hpvm_sibling_command()
{
    local cmd=${words[0]} dir
    if [[ $cmd == */* ]]; then
        dir=${cmd%/*}
        [[ $dir ]] || dir=/
        if declare -F __expand_tilde_by_ref >/dev/null; then
            __expand_tilde_by_ref dir
        fi
        if [[ -x $dir/$1 ]]; then
            printf '%s\n' "$dir/$1"
            return
        fi
    fi
    printf '%s\n' "$1"
}

_hpvm_status_command() { _hpvm_sibling_command hpvmstatus; }

# Vswitch names: the first column of the `hpvmnet` table (localnet when
# hpvmnet cannot tell). HPVM_ROOT is passed on even when not exported.
_hpvm_vswitch_names()
{
    local net out
    net=$(_hpvm_sibling_command hpvmnet)
    if [[ ${HPVM_ROOT+set} ]]; then
        out=$(HPVM_ROOT=$HPVM_ROOT command "$net" 2>/dev/null)
    else
        out=$(command "$net" 2>/dev/null)
    fi
    if [[ -z $out ]]; then
        printf '%s\n' localnet
        return
    fi
    awk 'seen && NF {print $1} /^=/ {seen = 1}' <<<"$out"
}

# hpvmstatus with arguments $@. HPVM_ROOT is passed on even when it is set
# in the shell but not exported.
_hpvm_status()
{
    local st
    st=$(_hpvm_status_command)
    if [[ ${HPVM_ROOT+set} ]]; then
        HPVM_ROOT=$HPVM_ROOT command "$st" "$@" 2>/dev/null
    else
        command "$st" "$@" 2>/dev/null
    fi
}

# Lines of `hpvmstatus -M` (name:uuid:number:...).
_hpvm_machine_status()
{
    _hpvm_status -M
}

# The guest named by -P on the line being completed (-P name or -Pname).
_hpvm_named_guest()
{
    local i
    for ((i = 1; i < cword; i++)); do
        if [[ ${words[i]} == -P ]] && ((i + 1 < cword)); then
            printf '%s
' "${words[i + 1]}"
            return
        elif [[ ${words[i]} == -P?* ]]; then
            printf '%s
' "${words[i]#-P}"
            return
        fi
    done
}

# The device statements of the guest named by -P (`hpvmstatus -P g -d`);
# $1 is a regex of the device types wanted.
_hpvm_guest_statements()
{
    local guest
    guest=$(_hpvm_named_guest)
    [[ $guest ]] || return
    _hpvm_status -P "$guest" -d | grep -E "^($1):"
}

# ------------------------------------------------------- option values
# Each _hpvm_arg_<kind> fills COMPREPLY with whole words matching $cur; the
# caller trims what readline will not replace (text up to a ':' or '=').

_hpvm_arg_file() { _filedir; }

_hpvm_arg_guest()
{
    local name _uuid _number _rest names=()
    while IFS=: read -r name _uuid _number _rest; do
        [[ $name ]] && names+=("$name")
    done < <(_hpvm_machine_status)
    COMPREPLY=($(compgen -W '${names[@]}' -- "$cur"))
}

_hpvm_arg_vmnumber()
{
    local _name _uuid number _rest numbers=()
    while IFS=: read -r _name _uuid number _rest; do
        [[ $number ]] && numbers+=("$number")
    done < <(_hpvm_machine_status)
    COMPREPLY=($(compgen -W '${numbers[@]}' -- "$cur"))
}

_hpvm_arg_vswitch()
{
    COMPREPLY=($(compgen -W '$(_hpvm_vswitch_names)' -- "$cur"))
}

# Host interfaces a vswitch may uplink to.
# Target VM Hosts: the hosts ssh knows (bash-completion reads
# ~/.ssh/known_hosts and ssh's configuration; hashed entries cannot be read).
_hpvm_arg_host()
{
    _known_hosts_real -- "$cur"
}

_hpvm_arg_netif()
{
    local names=() path
    for path in /sys/class/net/*; do
        [[ -e $path && ${path##*/} != lo && ! -d $path/bridge ]] && names+=("${path##*/}")
    done
    COMPREPLY=($(compgen -W '${names[@]}' -- "$cur"))
}

# hpvmnet -u portid:N:vlanid:V|none
_hpvm_arg_portvlan()
{
    if [[ $cur =~ ^portid:[0-9]+:vlanid: ]]; then
        COMPREPLY=($(compgen -W "${BASH_REMATCH[0]}none" -- "$cur"))
    elif [[ $cur =~ ^portid:[0-9]+ ]]; then
        COMPREPLY=($(compgen -W "${BASH_REMATCH[0]}:vlanid:" -- "$cur"))
    else
        COMPREPLY=($(compgen -W 'portid:' -- "$cur"))
    fi
}

_hpvm_arg_ostype()
{
    [[ $cur == *:* ]] && return # ostype:version, the version is free text
    COMPREPLY=($(compgen -W "$_hpvm_os_types" -- "$cur"))
}

_hpvm_arg_start()
{
    COMPREPLY=($(compgen -W "$_hpvm_start_values" -- "$cur"))
}

# user[:admin|oper] or group[:admin|oper]; $1 is compgen's -u or -g.
_hpvm_console_access()
{
    local name
    if [[ $cur == *:* ]]; then
        name=${cur%%:*}
        COMPREPLY=($(compgen -P "$name:" -W 'admin oper' -- "${cur#*:}"))
        return
    fi
    COMPREPLY=($(compgen "$1" -- "$cur"))
    for name in "${COMPREPLY[@]}"; do
        if [[ $name == "$cur" ]]; then # a whole name: show the roles too
            COMPREPLY+=("$cur:admin" "$cur:oper")
            break
        fi
    done
}
_hpvm_arg_user() { _hpvm_console_access -u; }
_hpvm_arg_group() { _hpvm_console_access -g; }

_hpvm_arg_extended()
{
    if [[ $cur != *=* ]]; then
        local keywords=$_hpvm_x_keywords
        # A running guest's memory: hpvmmodify's only.
        [[ ${words[0]##*/} == hpvmmodify ]] && keywords+=' ram_target'
        COMPREPLY=($(compgen -S = -W "$keywords" -- "$cur"))
        return
    fi
    local key=${cur%%=*}
    COMPREPLY=($(compgen -P "$key=" -W "${_hpvm_x_values[$key]-}" -- "${cur#*=}"))
}

# File names for a backing store's location; $1 is the text of the statement
# before it. Locations are absolute: an empty one starts from /.
_hpvm_location()
{
    local prefix=$1 cur=${cur#"$1"} i
    [[ $cur ]] || cur=/
    _filedir
    for i in "${!COMPREPLY[@]}"; do
        COMPREPLY[i]=$prefix${COMPREPLY[i]}
    done
}

# A resource statement, one field at a time; $@ are the words allowed as its
# first field.
_hpvm_resource()
{
    local -a f=()
    local rest=$cur
    while [[ $rest == *:* ]]; do
        f+=("${rest%%:*}")
        rest=${rest#*:}
    done
    f+=("$rest")
    local n=${#f[@]} first=" $* "

    if ((n == 1)); then
        COMPREPLY=($(compgen -S : -W "$*" -- "$cur"))
        return
    fi
    [[ $first == *" ${f[0]} "* ]] || return

    if [[ ${f[0]} == network ]]; then
        if ((n == 2)); then
            COMPREPLY=($(compgen -P network: -S : -W "$_hpvm_net_adapters" -- "${f[1]}"))
            return
        fi
        [[ " $_hpvm_net_adapters " == *" ${f[1]} "* ]] || return
        local head=network:${f[1]}:
        # The hardware field (bus,device,mac) is optional: vswitch may follow
        # the adapter type at once.
        if ((n == 3)); then
            COMPREPLY=($(compgen -P "$head" -S : -W vswitch -- "${f[2]}"))
            if [[ ${f[2]} =~ ^[0-9]*(,[0-9]*(,[0-9A-Fa-fx-]*)?)?$ ]]; then
                COMPREPLY=("$head${f[2]}:" "${COMPREPLY[@]}")
            fi
            return
        fi
        local k=2
        if [[ ${f[2]} != vswitch ]]; then
            k=3
            if ((n == 4)); then
                COMPREPLY=($(compgen -P "$head${f[2]}:" -S : -W vswitch -- "${f[3]}"))
                return
            fi
            [[ ${f[3]} == vswitch ]] || return
            head+=${f[2]}:
        fi
        head+=vswitch:
        if ((n == k + 2)); then
            COMPREPLY=($(compgen -P "$head" -W '$(_hpvm_vswitch_names)' -- "${f[k + 1]}"))
        elif ((n == k + 3)) && [[ ${f[k + 1]} ]]; then
            COMPREPLY=($(compgen -P "$head${f[k + 1]}:" -S : -W portid -- "${f[k + 2]}"))
        fi
        return
    fi

    # Storage: devicetype:adaptertype:address:storage:location
    if ((n == 2)); then
        COMPREPLY=($(compgen -P "${f[0]}:" -S : -W "$_hpvm_storage_adapters" -- "${f[1]}"))
        return
    fi
    [[ " $_hpvm_storage_adapters " == *" ${f[1]} "* ]] || return
    if ((n == 3)); then
        # Empty (placed automatically) or bus[,device[,target]]: accept it.
        if [[ ${f[2]} =~ ^[0-9]*(,[0-9]*(,[0-9]*)?)?$ ]]; then
            COMPREPLY=("${f[0]}:${f[1]}:${f[2]}:")
        fi
        return
    fi
    local types=${_hpvm_storage_types[${f[0]}]-}
    if ((n == 4)); then
        COMPREPLY=($(compgen -P "${f[0]}:${f[1]}:${f[2]}:" -S : -W "$types" -- "${f[3]}"))
        return
    fi
    [[ " $types " == *" ${f[3]} "* ]] || return
    # The location is the rest of the statement: host paths may hold ':'.
    _hpvm_location "${f[0]}:${f[1]}:${f[2]}:${f[3]}:"
}

# -d: the guest's devices, as -d takes them back.
_hpvm_arg_device()
{
    local -a statements
    mapfile -t statements < <(_hpvm_guest_statements 'disk|dvd|tape|changer|burner|network')
    COMPREPLY=($(compgen -W '${statements[@]}' -- "$cur"))
}

# -m: the guest's devices (to edit into their new value) and, for each
# storage adapter, the switch to the other adapter type.
_hpvm_arg_devmod()
{
    local -a statements
    local line type rest addr
    mapfile -t statements < <(_hpvm_guest_statements 'disk|dvd|tape|changer|burner|network')
    for line in "${statements[@]}"; do
        [[ $line == network:* ]] && continue
        rest=${line#*:}
        type=${rest%%:*}
        addr=${rest#*:}
        addr=${addr%%:*}
        addr=${addr%,*}
        [[ $type == scsi ]] && type=avio_stor || type=scsi
        [[ " ${statements[*]} " == *" hba:$type:$addr "* ]] || statements+=("hba:$type:$addr")
    done
    COMPREPLY=($(compgen -W '${statements[@]}' -- "$cur"))
}

# -b (hpvmclone): the source's storage devices, to edit into the copy's target.
_hpvm_arg_storage()
{
    local -a statements
    mapfile -t statements < <(_hpvm_guest_statements 'disk|dvd')
    COMPREPLY=($(compgen -W '${statements[@]}' -- "$cur"))
}

_hpvm_arg_resource()
{
    # shellcheck disable=SC2086 # one argument per device type
    _hpvm_resource $_hpvm_device_types network
}

# ------------------------------------------------------- device database
# hpvmdevmgmt arguments: type:entry[:attr:NAME=VALUE | :depend:guest].
# Entry names come from `hpvmdevmgmt -l type` (field 0: name,alias,...).

declare -g _hpvm_devdb_types='gdev rdev server env'
declare -gA _hpvm_devdb_values=(
    [SHARE]='YES NO'
    [PRESERVE]='YES NO'
    [USAGE]='DISK DVD'
    [RECURSIVE]='FS DIR'
    [DEVTYPE]='DISK FILE LV DIR ATTACH'
    [IGNOREWWID]='YES NO'
    [SHARE_LUNPATHS]='YES NO'
)

# hpvmdevmgmt beside the command being completed, else the one on PATH.
_hpvm_devmgmt()
{
    local st dir
    st=$(_hpvm_status_command)
    dir=${st%/*}
    [[ $st == */* && -x $dir/hpvmdevmgmt ]] && st=$dir/hpvmdevmgmt || st=hpvmdevmgmt
    if [[ ${HPVM_ROOT+set} ]]; then
        HPVM_ROOT=$HPVM_ROOT command "$st" "$@" 2>/dev/null
    else
        command "$st" "$@" 2>/dev/null
    fi
}

# The names and aliases of the entries of type $1, one a line.
_hpvm_devdb_names()
{
    local line names
    while IFS= read -r line; do
        names=${line%%:*} # field 0: name,alias,...
        printf '%s\n' "${names//,/$'\n'}"
    done < <(_hpvm_devmgmt -l "$1")
}

# Field $3 (2: attributes, 3: dependents) of entry $2 of type $1, one item a line.
_hpvm_devdb_field()
{
    local line fields
    line=$(_hpvm_devmgmt -l "$1:$2") || return
    IFS=: read -ra fields <<<"$line"
    local IFS=,
    printf '%s\n' ${fields[$3]-}
}

# COMPREPLY: "$1" followed by each of the lines of the command $2...
_hpvm_prefixed()
{
    local prefix=$1 item
    shift
    local -a items=()
    mapfile -t items < <("$@")
    COMPREPLY=()
    for item in "${items[@]}"; do
        [[ $prefix$item == "$cur"* ]] && COMPREPLY+=("$prefix$item")
    done
}

_hpvm_devdb_entry_arg()
{
    local mode=$1 type=${cur%%:*} rest=${cur#*:}
    if [[ $cur != *:* ]]; then
        local types=$_hpvm_devdb_types
        [[ $mode == list ]] && types="all $types"
        [[ $mode == replace ]] && types='gdev rdev'
        [[ $mode == delete ]] && types+=' gdev_alias'
        COMPREPLY=($(compgen -S : -W "$types" -- "$cur"))
        [[ $mode == list ]] && COMPREPLY+=($(compgen -W "$types" -- "$cur"))
        return
    fi
    if [[ $type == gdev_alias ]]; then
        _hpvm_prefixed gdev_alias: _hpvm_devdb_names gdev
        return
    fi
    [[ " all $_hpvm_devdb_types " == *" $type "* ]] || return
    if [[ $mode == add ]]; then
        [[ $type == gdev || $type == rdev ]] && _hpvm_location "$type:"
        return
    fi
    if [[ $rest != *:* ]]; then # the entry
        _hpvm_prefixed "$type:" _hpvm_devdb_names "$type"
        if [[ $mode == list ]]; then
            COMPREPLY+=($(compgen -P "$type:" -W 'depend:' -- "$rest"))
        fi
        local i
        for i in "${!COMPREPLY[@]}"; do
            [[ $mode == list || ${COMPREPLY[i]} == *: ]] || COMPREPLY[i]+=:
        done
        return
    fi
    local entry=${rest%%:*} after=${rest#*:}
    if [[ $mode == list ]]; then
        [[ $entry == depend ]] && _hpvm_prefixed "$type:depend:" _hpvm_arg_guest_names
        return
    fi
    if [[ $mode == replace ]]; then
        _hpvm_location "$type:$entry:"
        return
    fi
    local head=$type:$entry:
    if [[ $after != *:* ]]; then
        local subs=attr:
        [[ $mode == delete && $type == gdev ]] && subs='attr: depend:'
        COMPREPLY=($(compgen -P "$head" -W "$subs" -- "$after"))
        return
    fi
    local sub=${after%%:*} value=${after#*:}
    head+=$sub:
    if [[ $sub == depend && $mode == delete ]]; then
        _hpvm_prefixed "$head" _hpvm_devdb_field "$type" "$entry" 2
    elif [[ $sub == attr && $mode == delete ]]; then
        local -a attrs
        mapfile -t attrs < <(_hpvm_devdb_field "$type" "$entry" 1)
        attrs=("${attrs[@]%%=*}")
        # What -d refuses to delete is not offered.
        local -a deletable=()
        local i
        for i in "${attrs[@]}"; do
            [[ " CONFIG EXIST AUTORDEV " == *" $i "* ]] || deletable+=("$i")
        done
        COMPREPLY=($(compgen -P "$head" -W '${deletable[@]}' -- "$value"))
    elif [[ $sub == attr && $mode == modify ]]; then
        if [[ $value != *=* ]]; then
            COMPREPLY=($(compgen -P "$head" -S = -W '${!_hpvm_devdb_values[@]}' -- "$value"))
        else
            local name=${value%%=*}
            COMPREPLY=($(compgen -P "$head$name=" -W "${_hpvm_devdb_values[$name]-}" -- "${value#*=}"))
        fi
    fi
}

_hpvm_arg_guest_names()
{
    local name _rest
    while IFS=: read -r name _rest; do
        [[ $name ]] && printf '%s\n' "$name"
    done < <(_hpvm_machine_status)
}

_hpvm_arg_devlist() { _hpvm_devdb_entry_arg list; }
_hpvm_arg_devadd() { _hpvm_devdb_entry_arg add; }
_hpvm_arg_devdelete() { _hpvm_devdb_entry_arg delete; }
_hpvm_arg_devmodify() { _hpvm_devdb_entry_arg modify; }
_hpvm_arg_devreplace() { _hpvm_devdb_entry_arg replace; }

# ------------------------------------------------------------- options

# The options still worth offering: a non-repeatable option already given,
# or one excluded by an option given, is left out.
_hpvm_options()
{
    local cmd=$1 entry opt group member i given=" "
    for ((i = 1; i < ${#words[@]}; i++)); do
        ((i == cword)) || given+="${words[i]} "
    done
    local -a offer=()
    for entry in ${_hpvm_spec[$cmd]}; do
        opt=${entry%%=*}
        if [[ $entry != *+ && $given == *" $opt "* ]]; then
            continue
        fi
        for group in ${_hpvm_exclusive[$cmd]-}; do
            [[ "|$group|" == *"|$opt|"* ]] || continue
            for member in ${group//|/ }; do
                [[ $member != "$opt" && $given == *" $member "* ]] && continue 3
            done
        done
        offer+=("$opt")
    done
    offer+=(--help --version)
    COMPREPLY=($(compgen -W '${offer[@]}' -- "$cur"))
}

# The kind of value option $2 of command $1 takes; fails for a flag or an
# unknown option.
_hpvm_value_kind()
{
    local entry
    for entry in ${_hpvm_spec[$1]}; do
        if [[ ${entry%%=*} == "$2" && $entry == *=* ]]; then
            entry=${entry#*=}
            printf '%s\n' "${entry%+}"
            return 0
        fi
    done
    return 1
}

_hpvm()
{
    local cur prev words cword
    # ':' and '=' stay inside the word: statements, user:role and key=value
    # are completed whole.
    _init_completion -n := || return

    local cmd=${words[0]##*/} kind
    [[ ${_hpvm_spec[$cmd]+set} ]] || return

    COMPREPLY=()
    if [[ $cmd == hpvmdevmgmt ]] && ((cword > 2)) && [[ ${words[cword - 2]} == -S ]]; then
        _filedir # -S size file: the file (a new one, or one to extend)
    elif ((cword > 1)) && kind=$(_hpvm_value_kind "$cmd" "$prev"); then
        [[ $kind == - ]] || "_hpvm_arg_$kind"
    else
        _hpvm_options "$cmd"
    fi

    if [[ ${COMPREPLY[*]} == *[:=] || ${COMPREPLY[*]} == *[:=]\ * ]]; then
        compopt -o nospace 2>/dev/null
    fi
    # readline replaces only the text after the last ':' or '=' of the word
    # (both are in COMP_WORDBREAKS): drop what comes before from the matches.
    __ltrim_colon_completions "$cur"
    local tail=${cur##*:} i
    if [[ $tail == *=* && $COMP_WORDBREAKS == *=* ]]; then
        local eq_word=${tail%"${tail##*=}"}
        for i in "${!COMPREPLY[@]}"; do
            COMPREPLY[i]=${COMPREPLY[i]#"$eq_word"}
        done
    fi
} &&
    complete -F _hpvm "${!_hpvm_spec[@]}"

# ex: filetype=sh
