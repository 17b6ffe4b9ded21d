#!/bin/sh
# /gokrazy/dhcp in the demo: announces its lease once, then stays quiet until the device goes away (stdin EOF).
printf 'dhcp: lease 10.0.0.%d/24 from 10.0.0.1 (router 10.0.0.1, dns 10.0.0.1), valid for 12h0m0s\n' $(( $$ % 200 + 20 ))
read -r _
