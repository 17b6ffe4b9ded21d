#!/bin/bash
# /user/late in the demo: its first line comes only after LATE_DELAY_SECONDS, so /log sends nothing until then.
# Waits without forking; EOF on stdin (the demo device is gone) ends it early.
read -r -t "${LATE_DELAY_SECONDS:-6}" _
[ $? -gt 128 ] || exit 0
printf 'late: first line after %s s\n' "${LATE_DELAY_SECONDS:-6}"
read -r _
