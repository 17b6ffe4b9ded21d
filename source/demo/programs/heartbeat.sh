#!/bin/sh
# /gokrazy/heartbeat in the demo: one line at start, then quiet until the device goes away (stdin EOF).
printf 'heartbeat: sending a heartbeat to gokrazy.org every 1h0m0s\n'
read -r _
