#!/bin/bash
# /user/crasher in the demo: prints, runs CRASHER_RUN_SECONDS, exits 1, so the supervisor restarts it again and again.
printf 'crasher: starting pid %d first=%s\n' "$$" "${GOKRAZY_FIRST_START:-}"
# Waits without forking; EOF on stdin (the demo device is gone) ends it early.
read -r -t "${CRASHER_RUN_SECONDS:-20}" _
[ $? -gt 128 ] || exit 0
printf 'crasher: giving up\n' >&2
exit 1
