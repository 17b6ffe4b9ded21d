#!/bin/sh
# /user/exit0 in the demo: exits 0 at once, which the supervisor marks stopped.
printf 'exit0: done, exiting 0\n'
exit 0
