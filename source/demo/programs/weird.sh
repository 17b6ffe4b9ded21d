#!/bin/sh
# /user/weird in the demo: lines a log viewer must survive (empty, \r, CRLF, escapes, OSC title and clipboard, invalid UTF-8, a late-completed line).
printf 'weird: first line\n'
printf '\n'
printf 'with\rcarriage return\n'
printf 'crlf line\r\n'
printf 'weird: stderr line, empty stderr line follows\n' >&2
printf '\n' >&2
printf 'err\rcr\n' >&2
printf 'tab\there \033[31mred\033[0m\n'
printf 'data: looks like sse\n'
printf 'clear\033[2J\033[Hscreen\n'
printf 'title\033]0;pwned\007set\n'
printf 'clipboard\033]52;c;cHduZWQ=\007write\n'
printf '\377\376 invalid utf8\n'
printf 'partial...'
sleep 1
printf 'completed\n'
read -r _
