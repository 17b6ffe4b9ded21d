#!/bin/bash
# /user/chatty in the demo: a line on stdout every 0.5 s, every fifth also a warning on stderr.

# Sleeps without forking: nothing ever arrives on stdin, and EOF there means the demo device is gone.
pause() {
	read -r -t "$1" _
	[ $? -gt 128 ] || exit 0
}

n=0
while :; do
	n=$(( n + 1 ))
	printf 'chatty: tick %d\n' "$n"
	if (( n % 5 == 0 )); then
		printf 'chatty: warning: slow upstream (%d)\n' "$n" >&2
	fi
	pause 0.5
done
