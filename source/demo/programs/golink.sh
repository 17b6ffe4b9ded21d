#!/bin/bash
# /user/golink in the demo: a quiet web service, a startup line and then a request line every few seconds.
printf 'golink: listening on :8080, database %s, HOME=%s first_start=%s\n' "${1#--sqlitedb=}" "$HOME" "${GOKRAZY_FIRST_START:-0}"

# Sleeps without forking: nothing ever arrives on stdin, and EOF there means the demo device is gone.
pause() {
	read -r -t "$1" _
	[ $? -gt 128 ] || exit 0
}

n=0
while :; do
	pause $(( 2 + RANDOM % 6 ))
	n=$(( n + 1 ))
	links=(docs cal wiki grafana)
	printf 'golink: request %d served: GET /%s -> 302\n' "$n" "${links[RANDOM % 4]}"
done
