#!/bin/bash
# The systemd tests, run inside the booted container by scrubd-test.service
# (see run.sh).  They drive the installed package only through dpkg,
# systemctl, socat and files.  The phase file says which boot this is;
# the boot ends with `systemctl exit` and the number of failures.
set -u
dir=/root/scrubd-test
phase=$(cat "$dir/phase")
conf=/etc/scrubd/scrubd.conf
sock=/run/scrubd/scrubd.sock
jsock=/run/scrubd/scrubd-jsonl.sock
tmp=$(mktemp -d)
inodes=
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: pass if the command succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# same A B: are the two strings equal?  Says what differs if not.
same() {
	[ "$1" = "$2" ] && return 0
	echo "    got '$1', want '$2'"
	return 1
}

# client SOCKET IN OUT: one socat client; its exit status (124: it hung).
client() {
	timeout 20 socat -t 30 - "UNIX-CONNECT:$1" < "$2" > "$3" 2> "$3.err"
}

# quietly LOG COMMAND...: run it with its output in LOG, shown on failure.
quietly() {
	local log=$1
	shift
	"$@" > "$log" 2>&1 && return 0
	sed 's/^/    /' "$log"
	return 1
}

# outcome SOCKET IN: how one client fares.  socat -d reports a reset
# ("Connection reset by peer", a warning: socat still exits 0); a client
# that sees it knows it failed.  served, reset, failed (non-zero exit: a
# refused connection, a broken pipe), hang (no answer in 20 s) or
# empty-success (exit 0, no output, nothing said: the failure to avoid).
outcome() {
	local rc=0 out=$tmp/outcome.$BASHPID
	timeout 20 socat -d -t 30 - "UNIX-CONNECT:$1" < "$2" > "$out" \
	    2> "$out.err" || rc=$?
	if [ "$rc" -eq 0 ] && [ -s "$out" ]; then echo served
	elif [ "$rc" -eq 0 ] && grep -q "reset by peer" "$out.err"; then
		echo reset
	elif [ "$rc" -eq 0 ]; then echo empty-success
	elif [ "$rc" -eq 124 ]; then echo hang
	else echo failed
	fi
}

prop() { systemctl show -P "$2" "$1"; }
now_ms() { date +%s%3N; }

# Each corpus document through the raw socket, compared byte for byte.
corpus_through() {
	local f want good=0 n=0
	for f in "$dir"/corpus/*.in.txt; do
		want=${f%.in.txt}.expected.txt
		n=$((n + 1))
		client "$sock" "$f" "$tmp/out" && cmp -s "$tmp/out" "$want" &&
		    good=$((good + 1))
	done
	same "$good of $n" "$n of $n"
}

# One JSON Lines record through the JSON Lines socket.
jsonl_through() {
	printf '{"id":7,"text":"a##paidend##b"}\n' > "$tmp/j.in"
	client "$jsock" "$tmp/j.in" "$tmp/j.out" &&
	    same "$(cat "$tmp/j.out")" '{"id":7,"text":"ab"}'
}

# A document with a marker only the reload-test rule removes.
probe() {
	printf 'keep RELOADME this\n' > "$tmp/probe.in"
	client "$sock" "$tmp/probe.in" "$tmp/probe.out" || return 1
	cat "$tmp/probe.out"
}

test_install() {
	echo "# install"
	check "dpkg -i installs the package" \
	    quietly "$tmp/dpkg.log" dpkg -i "$dir/scrubd.deb"
	check "sysusers made the scrubd user and group" \
	    quietly "$tmp/getent.log" getent passwd scrubd
	check "both sockets enabled" same \
	    "$(systemctl is-enabled scrubd.socket scrubd-jsonl.socket | xargs)" \
	    "enabled enabled"
	check "both sockets listening after installation" \
	    systemctl is-active --quiet scrubd.socket scrubd-jsonl.socket
	check "service not started at installation" \
	    same "$(prop scrubd.service ActiveState)" inactive
	check "service not enabled (its sockets are)" \
	    same "$(systemctl is-enabled scrubd.service)" indirect
	check "socket file srw-rw---- root:scrubd" \
	    same "$(stat -c '%A %U:%G' "$sock")" "srw-rw---- root:scrubd"
	check "/etc/scrubd files are conffiles" same \
	    "$(dpkg-query -W -f='${Conffiles}' scrubd | awk '{print $1}' | xargs)" \
	    "/etc/scrubd/scrubd.conf /etc/scrubd/watermark.patterns"
	check "units where bookworm's debhelper put them" \
	    test -f /lib/systemd/system/scrubd.service
	inodes=$(stat -c %i "$sock" "$jsock" | xargs)
}

test_activation() {
	echo "# socket activation"
	check "corpus documents cleaned through the socket" corpus_through
	check "the first connection started the service" \
	    same "$(prop scrubd.service ActiveState)" active
	check "scrubd serves the sockets systemd made (same files)" \
	    same "$(stat -c %i "$sock" "$jsock" | xargs)" "$inodes"
	check "JSON Lines through scrubd-jsonl.socket" jsonl_through
	check "scrubc (installed in /usr/bin) cleans a document, exit 0" \
	    scrubc_through
}

# A corpus document through scrubc, compared byte for byte.
scrubc_through() {
	local f
	f=$(ls "$dir"/corpus/*.in.txt | head -n 1)
	timeout 20 scrubc -s "$sock" < "$f" > "$tmp/c.out" &&
	    cmp -s "$tmp/c.out" "${f%.in.txt}.expected.txt"
}

# scrubc_fails: scrubc exits 1, saying why, on a document it cannot get.
scrubc_fails() {
	local f rc=0
	f=$(ls "$dir"/corpus/*.in.txt | head -n 1)
	timeout 20 scrubc -s "$sock" < "$f" > "$tmp/c.out" 2> "$tmp/c.err" ||
	    rc=$?
	same "$rc $(grep -c '^scrubc: ' "$tmp/c.err")" "1 1"
}

# journal_has TEXT: does scrubd's journal contain TEXT (fixed string)?
journal_has() {
	journalctl -q -u scrubd.service --no-pager -o cat | grep -qF -- "$1"
}

test_reload() {
	local pid rc
	echo "# try-reload-or-restart"
	cp "$conf" "$tmp/conf.orig"
	check "before the reload RELOADME passes" \
	    same "$(probe)" "keep RELOADME this"
	pid=$(prop scrubd.service MainPID)
	printf '\n[filter:reload-test]\ntype = replace\npattern = RELOADME ?\n' \
	    >> "$conf"
	cp "$conf" "$tmp/conf.good"
	rc=0
	systemctl try-reload-or-restart scrubd || rc=$?
	check "reload with a good configuration exits 0" same "$rc" 0
	check "the new rule is in force as soon as it returns" \
	    same "$(probe)" "keep this"
	check "same process (a reload, not a restart)" \
	    same "$(prop scrubd.service MainPID)" "$pid"

	printf '\n[filter:broken]\ntype = bogus\n' >> "$conf"
	rc=0
	systemctl try-reload-or-restart scrubd 2> "$tmp/reload.err" || rc=$?
	check "reload with a broken configuration FAILS" test "$rc" -ne 0
	check "ReloadResult says so" \
	    same "$(prop scrubd.service ReloadResult)" exit-code
	check "the service keeps running, same process" \
	    same "$(prop scrubd.service ActiveState)/$(prop scrubd.service MainPID)" \
	    "active/$pid"
	check "the old rules stay in force" same "$(probe)" "keep this"
	check "the journal names the broken line" \
	    journal_has "$conf:$(grep -c '' "$conf"): "
	cp "$tmp/conf.good" "$conf"
	# Idle: reload has nothing to signal; try-reload-or-restart does nothing.
	systemctl stop scrubd.service
	rc=0
	systemctl reload scrubd 2> /dev/null || rc=$?
	check "idle: plain reload fails (why the README says try-reload-or-restart)" \
	    test "$rc" -ne 0
	rc=0
	systemctl try-reload-or-restart scrubd || rc=$?
	check "idle: try-reload-or-restart exits 0 and starts nothing" \
	    same "$rc/$(prop scrubd.service ActiveState)" "0/inactive"
	check "idle: the next connection starts it with the new rules" \
	    same "$(probe)" "keep this"
}

# Stop with a document in flight: it finishes, the service exits 0.
test_stop_in_flight() {
	local f want half cpid t0 t1 rc crc
	echo "# stop with a document in flight"
	f=$(ls "$dir"/corpus/*.in.txt | head -n 1)
	want=${f%.in.txt}.expected.txt
	half=$(($(stat -c %s "$f") / 2))
	head -c "$half" "$f" > "$tmp/part1"
	tail -c "+$((half + 1))" "$f" > "$tmp/part2"
	: > "$tmp/inflight.out"
	( cat "$tmp/part1"; sleep 3; cat "$tmp/part2" ) |
	    timeout 60 socat -t 30 - "UNIX-CONNECT:$sock" > "$tmp/inflight.out" &
	cpid=$!
	for _ in $(seq 200); do
		[ -s "$tmp/inflight.out" ] && break
		sleep 0.05
	done
	check "the first half is being answered" test -s "$tmp/inflight.out"
	t0=$(now_ms)
	rc=0
	systemctl stop scrubd.service || rc=$?
	t1=$(now_ms)
	crc=0
	wait "$cpid" || crc=$?
	check "systemctl stop exits 0" same "$rc" 0
	check "stop waited for the document ($((t1 - t0)) ms)" \
	    test $((t1 - t0)) -ge 1000
	check "the client got the whole document and exit 0" \
	    same "$crc/$(cmp -s "$tmp/inflight.out" "$want" && echo same)" \
	    "0/same"
	check "service result success, main exit status 0" same \
	    "$(prop scrubd.service Result)/$(prop scrubd.service ExecMainStatus)" \
	    "success/0"
	check "sockets still listening after the stop" \
	    systemctl is-active --quiet scrubd.socket scrubd-jsonl.socket
}

# A restart with a good configuration: the document in flight finishes in
# the old process, clients arriving during the drain wait in the socket's
# backlog and are served by the new one (FlushPending= flushes only when
# no job is queued).
test_restart_queued() {
	local f want half cpid rpid i pid good=0
	echo "# restart with clients queued during the drain"
	f=$(ls "$dir"/corpus/*.in.txt | head -n 1)
	want=${f%.in.txt}.expected.txt
	half=$(($(stat -c %s "$f") / 2))
	probe > /dev/null
	pid=$(prop scrubd.service MainPID)
	: > "$tmp/slow.out"
	( head -c "$half" "$f"; sleep 2; tail -c "+$((half + 1))" "$f" ) |
	    timeout 60 socat -t 30 - "UNIX-CONNECT:$sock" > "$tmp/slow.out" &
	cpid=$!
	for _ in $(seq 200); do
		[ -s "$tmp/slow.out" ] && break
		sleep 0.05
	done
	systemctl restart scrubd &
	rpid=$!
	sleep 0.5
	for i in $(seq 5); do
		client "$sock" "$f" "$tmp/queued.$i" &
	done
	wait "$rpid"
	check "restart exits 0" test $? -eq 0
	wait "$cpid"
	check "the document in flight finished" cmp -s "$tmp/slow.out" "$want"
	wait
	for i in $(seq 5); do
		cmp -s "$tmp/queued.$i" "$want" && good=$((good + 1))
	done
	check "clients queued during the drain all served" same "$good" 5
	check "by a new process" test "$(prop scrubd.service MainPID)" != "$pid"
}

# count_outcomes FILE: how many of each outcome, as "served=N ...".
count_outcomes() {
	local o line=
	for o in served empty-success hang reset failed; do
		line="$line $o=$(grep -cx "$o" "$1")"
	done
	echo "${line# }"
}

# no_silent_failure FILE N: all N clients saw their failure.
no_silent_failure() {
	local c
	c=$(count_outcomes "$1")
	case "$c" in
	"served=0 empty-success=0 hang=0 "*) ;;
	*) echo "    $c"; return 1 ;;
	esac
	[ $(($(grep -cx reset "$1") + $(grep -cx failed "$1"))) -eq "$2" ]
}

# Restart with a broken configuration: the sockets stay, clients fail
# visibly, and fixing the file is enough to serve again.
test_broken_restart() {
	local f rc t0 t1 i
	echo "# restart with a broken configuration"
	f=$(ls "$dir"/corpus/*.in.txt | head -n 1)
	cp "$conf" "$tmp/conf.good"
	probe > /dev/null
	printf '\n[filter:broken]\ntype = bogus\n' >> "$conf"
	rc=0
	systemctl restart scrubd 2> /dev/null || rc=$?
	check "restart with a broken configuration fails" test "$rc" -ne 0
	check "service failed with exit status 1" same \
	    "$(prop scrubd.service ActiveState)/$(prop scrubd.service ExecMainStatus)" \
	    "failed/1"
	: > "$tmp/outcomes"
	t0=$(now_ms)
	for i in $(seq 30); do outcome "$sock" "$f" >> "$tmp/outcomes"; done
	for i in $(seq 20); do outcome "$sock" "$f" >> "$tmp/outcomes" & done
	wait
	t1=$(now_ms)
	echo "    50 clients in $((t1 - t0)) ms: $(count_outcomes "$tmp/outcomes")"
	check "every client saw its failure (reset or error): none empty, none hung" \
	    no_silent_failure "$tmp/outcomes" 50
	check "scrubc exits 1 with a reason meanwhile" scrubc_fails
	check "no restart loop (NRestarts 0)" \
	    same "$(prop scrubd.service NRestarts)" 0
	check "both sockets still listening" \
	    systemctl is-active --quiet scrubd.socket scrubd-jsonl.socket
	check "socket files still there" test -S "$sock" -a -S "$jsock"
	check "socket unit results still success" same \
	    "$(prop scrubd.socket Result)/$(prop scrubd-jsonl.socket Result)" \
	    "success/success"
	cp "$tmp/conf.good" "$conf"
	check "configuration fixed: the next client is served, no systemctl" \
	    corpus_through
	check "and JSON Lines too" jsonl_through
}

# A crash is restarted (exit status 1 only is not), sockets untouched.
test_crash_restart() {
	local pid
	echo "# crash"
	probe > /dev/null
	pid=$(prop scrubd.service MainPID)
	systemctl kill -s KILL scrubd.service
	for _ in $(seq 100); do
		[ "$(prop scrubd.service SubState)" = running ] &&
		    [ "$(prop scrubd.service MainPID)" != "$pid" ] && break
		sleep 0.1
	done
	check "killed with SIGKILL, restarted once (Restart=on-failure)" same \
	    "$(prop scrubd.service SubState)/$(prop scrubd.service NRestarts)" \
	    "running/1"
	check "a new process serves the corpus" corpus_through
}

test_security() {
	local level
	echo "# systemd-analyze security"
	level=$(systemd-analyze security --no-pager scrubd.service 2>&1 |
	    sed -n 's/.*Overall exposure level for scrubd.service: \([0-9.]*\).*/\1/p')
	echo "    exposure $level"
	check "exposure level 1.5 or better (is ${level:-missing})" \
	    awk -v l="${level:-99}" 'BEGIN { exit !(l <= 1.5) }'
}

# Reinstalling (an upgrade to the same version) restarts the running
# service and not the sockets, and keeps an edited configuration.
test_upgrade() {
	local pid since
	echo "# upgrade"
	pid=$(prop scrubd.service MainPID)
	since=$(prop scrubd.socket ActiveEnterTimestampMonotonic)
	printf '\n[filter:upgrade-test]\ntype = replace\npattern = UPGRADEME ?\n' \
	    >> "$conf"
	printf 'a UPGRADEME b\n' > "$tmp/upgrade.in"
	check "dpkg -i over the installed package" \
	    quietly "$tmp/dpkg.log" dpkg -i "$dir/scrubd.deb"
	check "the running service was restarted" same \
	    "$(prop scrubd.service ActiveState)/$([ "$(prop scrubd.service MainPID)" != "$pid" ] && echo new)" \
	    "active/new"
	check "the sockets were not" \
	    same "$(prop scrubd.socket ActiveEnterTimestampMonotonic)" "$since"
	client "$sock" "$tmp/upgrade.in" "$tmp/upgrade.out"
	check "the edited configuration was kept, and is in force" \
	    same "$(grep -c UPGRADEME "$conf")/$(cat "$tmp/upgrade.out")" "1/a b"
}

# Second boot: what the package left enabled starts, nothing more; purge.
test_boot_and_purge() {
	echo "# after a reboot"
	check "both sockets listening at boot" \
	    systemctl is-active --quiet scrubd.socket scrubd-jsonl.socket
	check "service not started at boot" \
	    same "$(prop scrubd.service ActiveState)" inactive
	check "first connection starts it" corpus_through
	test_upgrade
	echo "# purge"
	check "dpkg --purge" quietly "$tmp/dpkg.log" dpkg --purge scrubd
	check "service and sockets stopped" same \
	    "$(systemctl is-active scrubd.service scrubd.socket scrubd-jsonl.socket | xargs)" \
	    "inactive inactive inactive"
	check "socket files and /etc/scrubd removed" \
	    test ! -e "$sock" -a ! -e "$jsock" -a ! -e /etc/scrubd
}

case "$phase" in
install-and-test)
	test_install
	test_activation
	test_reload
	test_stop_in_flight
	test_restart_queued
	test_broken_restart
	test_crash_restart
	test_security
	;;
reboot-and-purge)
	test_boot_and_purge
	;;
*)
	not_ok "unknown phase $phase"
	;;
esac
if [ "$fail" -ne 0 ]; then
	echo "# the journal of scrubd's units:"
	journalctl -q --no-pager -u scrubd.service -u scrubd.socket \
	    -u scrubd-jsonl.socket | tail -n 60
fi
echo "# $phase"
echo "systemd: $pass passed, $fail failed"
rm -rf "$tmp"
systemctl --no-block exit "$((fail > 0 ? 1 : 0))"
