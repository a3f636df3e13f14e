#!/usr/bin/env bash
# Runs Node ($BENCH_NODE) with the arguments given, then appends the CPU time used by this shell and
# its process tree (user and system, bash's `times`) to $BENCH_CPU_LOG: how the bench tells a burst's
# racers' CPU from the git server's and the pusher's. `times` is not piped: in a subshell it sees no
# children. bash, not sh: dash drops the INPUT_* variables, whose names have dashes.
"$BENCH_NODE" "$@"
status=$?
times >> "$BENCH_CPU_LOG"
exit $status
