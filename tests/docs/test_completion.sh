#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The bash completion that `siobpf help --bash-completion` generates from
# user/cli/commands.c offers what `siobpf help` documents: every command, every
# option, the values an option's syntax lists, interfaces, files, and the VIPs
# and backends of `status --json`. Each case sets COMP_WORDS and COMP_CWORD
# (and COMP_LINE, COMP_POINT) as bash does for a line, calls the completion
# function and compares COMPREPLY with what the table says.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
bin=$BUILD/siobpf
script=$BUILD/siobpf.bash-completion
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "not ok - $*"; }
# expect NAME WANT GOT
expect() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (expected '$2', got '$3')"; fi; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/stderr"

# The words given, sorted, on one line: the order of COMPREPLY is not shown.
sorted() { [ $# -eq 0 ] || printf '%s\n' "$@" | LC_ALL=C sort | paste -sd' '; }

# split_words LINE: LINE's words as bash splits them into COMP_WORDS: at
# blanks, and around runs of ':' and '=' (COMP_WORDBREAKS), so that
# 10.0.0.1:80 arrives as 10.0.0.1, :, 80.
split_words() {
	local w raw
	words=()
	read -ra raw <<<"$1"
	for w in "${raw[@]}"; do
		while [[ $w =~ ^([^:=]*)([:=]+)(.*)$ ]]; do
			[ -n "${BASH_REMATCH[1]}" ] && words+=("${BASH_REMATCH[1]}")
			words+=("${BASH_REMATCH[2]}")
			w=${BASH_REMATCH[3]}
		done
		[ -n "$w" ] && words+=("$w")
	done
	[[ $1 == *[[:blank:]] ]] && words+=("")
}

# complete LINE [AFTER]: COMPREPLY for <TAB> at the end of LINE, sorted; AFTER
# is the rest of the line, after the cursor.
complete_line() {
	local words
	split_words "$1"
	COMP_CWORD=$((${#words[@]} - 1))
	split_words "$1${2-}"
	COMP_LINE=$1${2-} COMP_POINT=${#1} COMP_WORDS=("${words[@]}")
	COMPREPLY=()
	_siobpf "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>>"$tmp/stderr"
	sorted "${COMPREPLY[@]}"
}

cmp -s <("$bin" help --bash-completion) "$script" && bash -n "$script" &&
	ok "$script is the generated completion and parses" ||
	bad "$script is missing, stale or not bash: run make"
# shellcheck source=/dev/null
source "$script" || bad "sourcing $script failed"
complete -p siobpf 2>/dev/null | grep -q -- '-F _siobpf siobpf$' &&
	ok "the script registers _siobpf for siobpf" || bad "the script registers no completion for siobpf"

# The table as `siobpf help` shows it: command names, then each command's
# options as "ALIAS;NAME;SYNTAX" (ALIAS and SYNTAX may be empty).
mapfile -t names < <("$bin" help | sed -n 's/^  \([a-z]*\( [a-z]*\)\?\) .*/\1/p' | while read -r a b; do
	case "$b" in add|set|del) echo "$a $b" ;; *) echo "$a" ;; esac
done)
[ "${#names[@]}" -ge 14 ] && ok "help lists ${#names[@]} commands" || bad "help lists only ${#names[@]} commands"
options_of() {
	"$bin" $1 --help | sed -n 's/^  \(-\(.\), \)\?--\([a-z-]*\)\( \([^ ]*\)\)\?  .*/\2;\3;\5/p'
}
synopsis_of() { "$bin" $1 --help | sed -n "s/^usage: siobpf $1 \(.*\) \[options\]$/\1/p"; }

mapfile -t first < <(printf '%s\n' "${names[@]}" | cut -d' ' -f1 | uniq)
expect "'siobpf <TAB>' offers the ${#first[@]} command words" "$(sorted "${first[@]}")" "$(complete_line "$bin ")"
expect "'siobpf -v <TAB>' offers the command words" "$(sorted "${first[@]}")" "$(complete_line "$bin -v ")"
expect "'siobpf st<TAB>' offers status and stats" "stats status" "$(complete_line "$bin st")"
for group in $(printf '%s\n' "${names[@]}" | sed -n 's/ .*//p' | uniq); do
	want=$(sorted $(printf '%s\n' "${names[@]}" | sed -n "s/^$group //p"))
	expect "'siobpf $group <TAB>' offers its subcommands" "$want" "$(complete_line "$bin $group ")"
	expect "'siobpf -vv $group <TAB>' offers its subcommands" "$want" "$(complete_line "$bin -vv $group ")"
	expect "'siobpf help $group <TAB>' offers its subcommands" "$want" "$(complete_line "$bin help $group ")"
done
expect "'siobpf help <TAB>' offers the command words" "$(sorted "${first[@]}")" "$(complete_line "$bin help ")"
expect "'siobpf -<TAB>' offers the global flags" "--pin-dir -v -vv" "$(complete_line "$bin -")"
expect "'siobpf -v<TAB>' offers -v and -vv" "-v -vv" "$(complete_line "$bin -v")"

expect "'vip add 10.0.0.1:80 --st<TAB>' offers --sticky" "--sticky" "$(complete_line "$bin vip add 10.0.0.1:80 --st")"
expect "'vip add 10.0.0.1:80 --sticky <TAB>' offers ip ip-port" "ip ip-port" \
	"$(complete_line "$bin vip add 10.0.0.1:80 --sticky ")"
expect "'vip add 10.0.0.1:80 --sticky=<TAB>' offers ip ip-port" "ip ip-port" \
	"$(complete_line "$bin vip add 10.0.0.1:80 --sticky=")"
expect "'load --mode=g<TAB>' offers generic" "generic" "$(complete_line "$bin load --mode=g")"
expect "'vip a<TAB> 10.0.0.1:80' reads the line up to the cursor" "add" "$(complete_line "$bin vip a" " 10.0.0.1:80")"
expect "'st<TAB>atus' completes the word's start" "stats status" "$(complete_line "$bin st" "atus")"
expect "'status --json --<TAB>' leaves out the option already given" "--pin-dir" \
	"$(complete_line "$bin status --json --")"
expect "'vip add --sticky ip --pin-dir /tmp 10.0.0.1:80 --sti<TAB>' offers nothing more" "" \
	"$(complete_line "$bin vip add --sticky ip --pin-dir /tmp 10.0.0.1:80 --sti")"

# Values: what the syntax in the table lists, files for FILE, directories for
# DIR, interfaces for IFACE, nothing for a number or free text.
mkdir -p "$tmp/cwd/pins" && touch "$tmp/cwd/conf.yaml"
cd "$tmp/cwd" || exit 1
ifaces() { local f; for f in /sys/class/net/*; do [ -e "$f" ] && echo "${f##*/}"; done; }
values_of() {
	case $1 in
	*'|'*) sorted ${1//|/ } ;;
	FILE) sorted conf.yaml pins ;;
	DIR) sorted pins ;;
	IFACE) sorted $(ifaces) ;;
	*[!a-z0-9.-]*) ;; # N, MS, PATH, [ADDR:]PORT: free text
	*) echo "$1" ;;   # one literal word (dsr)
	esac
}
for n in "${names[@]}"; do
	longs=() all=() wrong=()
	while IFS=';' read -r alias name syntax; do
		longs+=("--$name")
		all+=(${alias:+"-$alias"} "--$name")
		[ -n "$syntax" ] || continue
		want=$(values_of "$syntax")
		got=$(complete_line "$bin $n --$name ")
		[ "$got" = "$want" ] || wrong+=("--$name $syntax: expected '$want', got '$got'")
		got=$(complete_line "$bin $n --$name=")
		[ "$got" = "$want" ] || wrong+=("--$name=$syntax: expected '$want', got '$got'")
		if [ -n "$alias" ]; then
			got=$(complete_line "$bin $n -$alias ")
			[ "$got" = "$want" ] || wrong+=("-$alias $syntax: expected '$want', got '$got'")
		fi
	done < <(options_of "$n")
	expect "'siobpf $n --<TAB>' offers its ${#longs[@]} options" "$(sorted "${longs[@]}")" "$(complete_line "$bin $n --")"
	expect "'siobpf $n -<TAB>' offers its options and aliases" "$(sorted "${all[@]}")" "$(complete_line "$bin $n -")"
	[ ${#wrong[@]} -eq 0 ] && ok "every option value of '$n' completes as its syntax lists" ||
		bad "option values of '$n': ${wrong[*]}"
	if [ "$(synopsis_of "$n")" = IFACE ]; then
		before=$(sorted $(ifaces))
		got=$(complete_line "$bin $n ")
		after=$(sorted $(ifaces))
		[ "$got" = "$before" ] || [ "$got" = "$after" ] && ok "'siobpf $n <TAB>' offers the interfaces" ||
			bad "'siobpf $n <TAB>' offers '$got', not the interfaces '$after'"
	fi
done
expect "'siobpf --pin-dir <TAB>' offers directories" "pins" "$(complete_line "$bin --pin-dir ")"
expect "'siobpf --pin-dir=<TAB>' offers directories" "pins" "$(complete_line "$bin --pin-dir=")"
expect "'apply -f conf.yaml --dry-run -<TAB>' offers what is left" "--file --pin-dir" \
	"$(complete_line "$bin apply -f conf.yaml --dry-run -")"
expect "'apply -f conf.yaml --at @1 -<TAB>' offers no --dry-run (apply refuses the two together)" "--file --pin-dir" \
	"$(complete_line "$bin apply -f conf.yaml --at @1 -")"

# VIPs and backends come from `status --json` of the binary on the line:
# a stand-in that prints what cmd_status prints (json-c, plain, '/' as '\/').
cat >"$tmp/status.json" <<'EOF'
{"vips":[{"vip":"10.0.0.1:80\/tcp","address":"10.0.0.1","port":80,"proto":"tcp","sticky":"ip","prefix":32,"persist":600,"forward":"dsr","seed":0,"id":1,"probe":{"type":"http","port":80,"path":"\/healthz","status":200,"method":"GET","interval":2000,"timeout":1000,"rise":2,"fall":3},"backends":[{"address":"10.1.0.11","state":"up","weight":1,"mac":"02:00:00:00:01:0b","ifname":"eth1","id":1,"generation":1,"probe_down":false,"probe":{"type":"http","port":80,"path":"\/healthz","method":"GET","status":200,"interval":2000,"timeout":1000,"rise":2,"fall":3},"probe_own":false},{"address":"10.1.0.12","state":"drain","weight":3,"mac":"02:00:00:00:01:0c","ifname":"eth1","id":2,"generation":1,"probe_down":true,"probe":{"type":"tcp","port":8080,"path":"\/","method":"GET","status":200,"interval":500,"timeout":250,"rise":2,"fall":3},"probe_own":true}]},{"vip":"[fd00::1]:443\/udp","address":"fd00::1","port":443,"proto":"udp","sticky":"ip-port","prefix":64,"persist":0,"forward":"dsr","seed":7,"id":2,"probe":{"type":"socketio","port":443,"path":"\/socket.io\/","status":200,"method":"GET","interval":2000,"timeout":1000,"rise":2,"fall":3},"backends":[{"address":"fd00:1::11","state":"up","weight":1,"mac":"02:00:00:00:02:11","ifname":"eth2","id":3,"generation":1,"probe_down":false,"probe":{"type":"socketio","port":443,"path":"\/socket.io\/","method":"GET","status":200,"interval":2000,"timeout":1000,"rise":2,"fall":3},"probe_own":false},{"address":"fd00:1::12","state":"down","weight":1,"mac":"02:00:00:00:02:12","ifname":"eth2","id":4,"generation":2,"probe_down":false,"probe":{"type":"socketio","port":443,"path":"\/socket.io\/","method":"GET","status":200,"interval":2000,"timeout":1000,"rise":2,"fall":3},"probe_own":false}]},{"vip":"192.0.2.10:5353\/udp","address":"192.0.2.10","port":5353,"proto":"udp","sticky":"ip","prefix":24,"persist":600,"forward":"dsr","seed":0,"id":3,"probe":{"type":"none","port":5353,"path":"\/","status":200,"method":"GET","interval":2000,"timeout":1000,"rise":2,"fall":3},"backends":[]}],"interfaces":[{"ifname":"eth0","mode":"native"}]}
EOF
mkdir "$tmp/bin" "$tmp/failing"
cat >"$tmp/bin/siobpf" <<EOF
#!/bin/sh
echo "\$*" >>"$tmp/calls"
cat "$tmp/status.json"
EOF
printf '#!/bin/sh\necho "siobpf: error: no pins" >&2\nexit 1\n' >"$tmp/failing/siobpf"
chmod +x "$tmp/bin/siobpf" "$tmp/failing/siobpf"
fake=$tmp/bin/siobpf
vips="10.0.0.1:80/tcp 192.0.2.10:5353/udp [fd00::1]:443/udp"

for n in "vip set" "vip del" "backend add" "backend set" "backend del" lookup; do
	expect "'$n <TAB>' offers the VIPs of status --json" "$vips" "$(complete_line "$fake $n ")"
done
expect "'vip add <TAB>' offers no existing VIP" "" "$(complete_line "$fake vip add ")"
expect "'vip del 10.0.0.1:<TAB>' offers the rest of the VIP after the colon" "80/tcp" \
	"$(complete_line "$fake vip del 10.0.0.1:")"
expect "'vip del [fd00::1]:4<TAB>' offers the rest of the IPv6 VIP" "443/udp" \
	"$(complete_line "$fake vip del [fd00::1]:4")"
expect "'vip del 19<TAB>' offers the matching VIP" "192.0.2.10:5353/udp" "$(complete_line "$fake vip del 19")"
expect "'backend set 10.0.0.1:80/tcp <TAB>' offers its backends" "10.1.0.11 10.1.0.12" \
	"$(complete_line "$fake backend set 10.0.0.1:80/tcp ")"
expect "'backend del 10.0.0.1:80 <TAB>' offers its backends (/tcp implied)" "10.1.0.11 10.1.0.12" \
	"$(complete_line "$fake backend del 10.0.0.1:80 ")"
expect "'backend del [fd00::1]:443/udp fd00:1::<TAB>' offers the IPv6 backends' ends" "11 12" \
	"$(complete_line "$fake backend del [fd00::1]:443/udp fd00:1::")"
expect "'backend set 192.0.2.10:5353/udp <TAB>' offers nothing (no backends)" "" \
	"$(complete_line "$fake backend set 192.0.2.10:5353/udp ")"
expect "'backend add 10.0.0.1:80/tcp <TAB>' offers no existing backend" "" \
	"$(complete_line "$fake backend add 10.0.0.1:80/tcp ")"
expect "'lookup 10.0.0.1:80/tcp <TAB>' offers no client" "" "$(complete_line "$fake lookup 10.0.0.1:80/tcp ")"

: >"$tmp/calls"
complete_line "$fake vip del --pin-dir /tmp/other " >/dev/null
complete_line "$fake --pin-dir=/tmp/global backend del " >/dev/null
complete_line "$fake backend set 10.0.0.1:80 --pin-dir=/tmp/eq " >/dev/null
expect "status is asked with the --pin-dir on the line" \
	"--pin-dir /tmp/other status --json|--pin-dir /tmp/global status --json|--pin-dir /tmp/eq status --json" \
	"$(paste -sd'|' "$tmp/calls")"

expect "a failing status offers nothing" "" "$(complete_line "$tmp/failing/siobpf vip del ")"
expect "a missing binary offers nothing" "" "$(complete_line "$tmp/none/siobpf backend set ")"
expect "completion printed nothing on stderr" "" "$(cat "$tmp/stderr")"

echo "# $passed passed, $failed failed"
[ "$failed" -eq 0 ]
