#!/usr/bin/env bash
# make test-systemd: the Debian package under a real systemd.
#
#   bash tests/systemd/run.sh build/scrubd_VERSION_ARCH.deb
#
# A minimal Debian 12 root file system is made with debootstrap from the
# Debian mirror this machine's APT uses, and cached in build/systemd-root
# (made again only when the mirror, the suite or the package's
# dependencies change).  Each run copies it, puts the package and
# tests/systemd/inside.sh in the copy and boots it twice with systemd as
# PID 1 in systemd-nspawn: the first boot installs the package and runs
# the tests, the second checks what starts at boot, then purges.  The
# tests drive the package only through systemctl, socat and files.
#
# Skips (exit 0, with a message) only where systemd-nspawn cannot run a
# container on this machine at all.  Environment: SCRUBD_TEST_MIRROR to
# use another mirror, SCRUBD_TEST_KEEP=1 to keep the booted copy.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
deb=${1:?usage: run.sh PACKAGE.deb}
deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")
suite=bookworm
cache=$root/build/systemd-root
run=$cache/run
# Changing what the cache holds changes this and makes a new one.
layout=2

skip() {
	echo "test-systemd: SKIP: $*"
	exit 0
}

die() {
	echo "test-systemd: $*" >&2
	exit 1
}

# The first Debian mirror in APT's sources for $suite, main component.
find_mirror() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk -v s="$suite" '$1 == "deb" && $3 == s {
			for (i = 4; i <= NF; i++) if ($i == "main") {
				print $2; exit } }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk -v s="$suite" '
			/^[ \t]*$/ { if (u != "" && ok && main) { print u; exit }
				u = ""; ok = 0; main = 0; next }
			tolower($1) == "uris:" { u = $2 }
			tolower($1) == "suites:" { for (i = 2; i <= NF; i++)
				if ($i == s) ok = 1 }
			tolower($1) == "components:" { for (i = 2; i <= NF; i++)
				if ($i == "main") main = 1 }
			END { if (u != "" && ok && main) print u }' "$f"
	done | head -n 1
}

# The package's dependencies, first alternative of each, without versions.
deb_depends() {
	dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -e 's/|.*//' \
	    -e 's/(.*)//' -e 's/[[:space:]]//g' | grep -v '^$' | sort -u
}

# Make the cached root file system if it is missing or out of date.
ensure_rootfs() {
	local mirror include key
	mirror=${SCRUBD_TEST_MIRROR:-$(find_mirror)}
	[ -n "$mirror" ] || die "no Debian mirror for $suite in" \
	    "/etc/apt/sources.list*: set SCRUBD_TEST_MIRROR"
	include=$( (printf '%s\n' systemd systemd-sysv socat; deb_depends) |
	    sort -u | paste -sd, -)
	key="layout=$layout suite=$suite mirror=$mirror include=$include"
	if [ -f "$cache/rootfs.key" ] && [ -d "$cache/rootfs" ] &&
	    [ "$(cat "$cache/rootfs.key")" = "$key" ]; then
		echo "test-systemd: cached root file system ($cache/rootfs)"
		return
	fi
	echo "test-systemd: debootstrap $suite from $mirror (cached in" \
	    "$cache/rootfs); packages: $include"
	rm -rf "$cache/rootfs" "$cache/rootfs.new" "$cache/rootfs.key"
	mkdir -p "$cache"
	if ! debootstrap --variant=minbase --include="$include" "$suite" \
	    "$cache/rootfs.new" "$mirror" > "$cache/debootstrap.log" 2>&1; then
		tail -20 "$cache/debootstrap.log" >&2
		die "debootstrap failed (log: $cache/debootstrap.log)"
	fi
	# No getty on the container's console, quiet boots.
	ln -sf /dev/null "$cache/rootfs.new/etc/systemd/system/console-getty.service"
	echo "$key" > "$cache/rootfs.key.new"
	mv "$cache/rootfs.new" "$cache/rootfs"
	mv "$cache/rootfs.key.new" "$cache/rootfs.key"
}

# Lay out a fresh copy with the package, the tests and the test unit.
prepare_run() {
	local d
	rm -rf "$run"
	cp -a "$cache/rootfs" "$run"
	d=$run/root/scrubd-test
	mkdir -p "$d/corpus"
	cp "$deb" "$d/scrubd.deb"
	cp "$here/inside.sh" "$d/inside.sh"
	cp "$root"/tests/corpus/seeds/*.txt "$d/corpus/"
	cat > "$run/etc/systemd/system/scrubd-test.service" <<-EOF
	[Unit]
	Description=scrubd package tests
	After=multi-user.target
	# If inside.sh dies before its own systemctl exit, end the boot too.
	FailureAction=exit
	FailureActionExitStatus=3
	[Service]
	Type=oneshot
	ExecStart=/bin/bash /root/scrubd-test/inside.sh
	StandardOutput=tty
	StandardError=tty
	TTYPath=/dev/console
	TimeoutStartSec=500
	EOF
	mkdir -p "$run/etc/systemd/system/multi-user.target.wants"
	ln -sf ../scrubd-test.service \
	    "$run/etc/systemd/system/multi-user.target.wants/scrubd-test.service"
}

# Can systemd-nspawn run a container here at all?  Tried on a tree that
# borrows the host's /usr, before anything is downloaded.
probe_nspawn() {
	local p=$cache/probe d
	rm -rf "$p"
	mkdir -p "$p/etc" "$p/usr"
	for d in bin sbin lib lib64; do ln -s "usr/$d" "$p/$d"; done
	cp /etc/os-release "$p/etc/os-release"
	systemd-nspawn --quiet --register=no --keep-unit --directory="$p" \
	    --bind-ro=/usr /bin/true < /dev/null > "$cache/probe.log" 2>&1
}

# Boot the copy once; inside.sh ends the boot with its exit status.  The
# console goes to standard output and to build/systemd-root/PHASE.log.
boot() {
	echo "$1" > "$run/root/scrubd-test/phase"
	echo "test-systemd: booting ($1)"
	timeout 600 systemd-nspawn --quiet --boot --register=no --keep-unit \
	    --directory="$run" --machine=scrubd-test --console=read-only \
	    -- systemd.show_status=no < /dev/null 2>&1 | tee "$cache/$1.log"
	return "${PIPESTATUS[0]}"
}

# The sum of the "N passed, N failed" lines of both boots.
totals() {
	cat "$cache"/*-and-*.log | tr -d '\r' | awk '
	    /^systemd: [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4 }
	    END { printf "test-systemd: %d passed, %d failed\n", p, f }'
}

[ "$(id -u)" -eq 0 ] || skip "needs root for systemd-nspawn (run as root)"
command -v systemd-nspawn > /dev/null ||
    die "systemd-nspawn missing: make deps-pkg installs systemd-container"
command -v debootstrap > /dev/null ||
    die "debootstrap missing: make deps-pkg installs it"
[ -f "$deb" ] || die "$deb: no such package (make deb)"

mkdir -p "$cache"
if ! probe_nspawn; then
	skip "systemd-nspawn cannot run a container on this machine:" \
	    "$(head -c 600 "$cache/probe.log")"
fi
ensure_rootfs
prepare_run
rm -f "$cache"/*-and-*.log
start=$(date +%s)
rc=0
boot install-and-test || rc=$?
if [ "$rc" -eq 0 ]; then
	boot reboot-and-purge || rc=$?
fi
echo "test-systemd: $(($(date +%s) - start)) s in the container"
totals
if [ "$rc" -ne 0 ]; then
	echo "test-systemd: FAILED (exit $rc); the booted tree is $run"
	exit 1
fi
[ -n "${SCRUBD_TEST_KEEP:-}" ] || rm -rf "$run"
echo "test-systemd: passed"
