# bash completion for the HPVM administration commands             -*- shell-script -*-
#
# Needs bash-completion (>= 2.x): _init_completion, __ltrim_colon_completions
# and _filedir come from it. One file serves every command; it is installed as
# completions/hpvmcreate with the other command names as symlinks to it, so
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
# libvmconfig/vmconfig/grammar.cpp (resource statements) and
# libvmconfig/vmconfig/characteristics.cpp (-O, -B, -x).

# The usual completion idioms: COMPREPLY=($(compgen ...)) and compgen -W
# '${list[@]}' (compgen expands it itself).
# shellcheck disable=SC2207,SC2016

# `declare -g`: bash-completion sources this file from inside a function.
declare -gA _hpvm_spec=(
    [hpvmcreate]='-P=- -O=ostype -c=- -e=- -E=- -r=- -l=- -B=start -u=user+ -g=group+ -x=extended+ -a=resource+ -s -F'
    [hpvmstatus]='-P=guest -p=vmnumber -V -d -D -M -X -J --json'
    [hpvmremove]='-P=guest -Q'
    [hpvminfo]='-V'
    [hpvmstart]='-P=guest -F'
    [hpvmstop]='-P=guest -g -t=- -F -q -Q'
    [hpvmconsole]='-P=guest'
)

# Space-separated groups of options that exclude each other ('|' within a group).
declare -gA _hpvm_exclusive=(
    [hpvmcreate]='-e|-E'
    [hpvmstatus]='-P|-p -V|-d|-D|-M|-X|-J|--json'
    [hpvmstop]='-q|-Q'
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

# Vswitch names. Nothing records vswitches yet (no hpvmnet): offer the
# built-in localnet. Replace with a query of hpvmnet once it exists.
_hpvm_vswitch_names()
{
    printf '%s\n' localnet
}

# The hpvmstatus to ask: the one beside the command being completed when it
# was typed with a path (./build/cmd/hpvmremove), else the one on PATH.
_hpvm_status_command()
{
    local cmd=${words[0]} dir
    if [[ $cmd == */* ]]; then
        dir=${cmd%/*}
        [[ $dir ]] || dir=/
        if declare -F __expand_tilde_by_ref >/dev/null; then
            __expand_tilde_by_ref dir
        fi
        if [[ -x $dir/hpvmstatus ]]; then
            printf '%s\n' "$dir/hpvmstatus"
            return
        fi
    fi
    printf '%s\n' hpvmstatus
}

# Lines of `hpvmstatus -M` (name:uuid:number:...). HPVM_ROOT is passed on
# even when it is set in the shell but not exported.
_hpvm_machine_status()
{
    local st
    st=$(_hpvm_status_command)
    if [[ ${HPVM_ROOT+set} ]]; then
        HPVM_ROOT=$HPVM_ROOT command "$st" -M 2>/dev/null
    else
        command "$st" -M 2>/dev/null
    fi
}

# ------------------------------------------------------- option values
# Each _hpvm_arg_<kind> fills COMPREPLY with whole words matching $cur; the
# caller trims what readline will not replace (text up to a ':' or '=').

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
        COMPREPLY=($(compgen -S = -W "$_hpvm_x_keywords" -- "$cur"))
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

_hpvm_arg_resource()
{
    # shellcheck disable=SC2086 # one argument per device type
    _hpvm_resource $_hpvm_device_types network
}

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
    if ((cword > 1)) && kind=$(_hpvm_value_kind "$cmd" "$prev"); then
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
