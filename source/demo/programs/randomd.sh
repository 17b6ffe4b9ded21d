#!/bin/sh
# /gokrazy/randomd in the demo: one line at start, then quiet until the device goes away (stdin EOF).
printf 'randomd: seeded the kernel entropy pool with 4096 bytes from the hardware RNG\n'
read -r _
