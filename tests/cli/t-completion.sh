# tests/cli/t-completion.sh - the bash completion (core/cli/xlsr.bash-
# completion) with bash-completion's own helpers: commands, each command's
# options from the option table, and fixed values.

# complete WORDS...: the candidates bash would offer for the last word.
complete_words() {
    bc=/usr/share/bash-completion/bash_completion
    [ -r "$bc" ] || fail "bash-completion missing (tests/deps.sh)"
    PATH="$(cd "$(dirname "$XLSR")" && pwd):$PATH" bash -c '
        . "$1"; . "$2"; shift 2
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        _xlsr xlsr "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf "%s\n" "${COMPREPLY[@]}"' sh "$bc" 2>"$T/complete.err" \
        "$XLSR_TOP/core/cli/xlsr.bash-completion" "$@" | sort
    # compopt only works inside a real completion; nothing else may fail.
    if grep -v 'compopt: not currently executing' "$T/complete.err" | grep -q .; then
        fail "completion errors: $(head -3 "$T/complete.err")"
    fi
}

t_completion_commands_and_options() {
    complete_words xlsr '' >"$T/c"
    for c in dump verify restore plugins help --help --version; do
        grep -qx -- "$c" "$T/c" || fail "command $c not offered: $(tr '\n' ' ' <"$T/c")"
    done
    complete_words xlsr ve >"$T/c"
    eq "$(cat "$T/c")" verify "completion of 've'"
    complete_words xlsr restore --d >"$T/c"
    eq "$(tr '\n' ' ' <"$T/c")" "--dm-domid= --domid= --dry-run " "restore --d"
    complete_words xlsr verify --d >"$T/c"
    [ -z "$(tr -d '\n ' <"$T/c")" ] || fail "verify offers restore's options: $(tr '\n' ' ' <"$T/c")"
    complete_words xlsr verify --format '' >"$T/c"
    eq "$(tr '\n' ' ' <"$T/c")" "auto libvirt libxc libxl xenopsd xl " "values of --format"
    complete_words xlsr dump --checkpointed c >"$T/c"
    eq "$(cat "$T/c")" colo "values of --checkpointed"
    # Every option --help lists for a command is offered.
    for c in dump verify restore plugins; do
        complete_words xlsr "$c" -- >"$T/c"
        "$XLSR" help "$c" | grep -o -- '--[a-z][a-z-]*' | sort -u >"$T/h"
        sed 's/=$//' "$T/c" | sort -u | comm -13 - "$T/h" >"$T/missing"
        [ ! -s "$T/missing" ] || fail "$c: not offered: $(tr '\n' ' ' <"$T/missing")"
    done
}
