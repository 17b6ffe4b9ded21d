#!/bin/bash
# /user/hello in the demo's "good next build": the service that build adds; says hello, then a line a minute.
printf 'hello: Hello from the new build (pid %d)\n' "$$"
n=0
while :; do
	read -r -t 60 _
	[ $? -gt 128 ] || exit 0
	n=$(( n + 1 ))
	printf 'hello: still here (%d min)\n' "$n"
done
