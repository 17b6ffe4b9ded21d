#!/bin/sh
# A service of the demo's "bad build": it fails at once on every start, so the supervisor restarts it again and again.
printf '%s: starting\n' "${1##*/}"
printf 'panic: open /perm/home/golink/data.db: database schema version 7 is newer than this binary understands (5)\n' >&2
exit 1
