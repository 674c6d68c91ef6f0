#!/usr/bin/env bash
# postgres.sh starts and stops a throwaway PostgreSQL cluster for booty's tests: a new
# temporary directory, initdb, and a server on a free loopback port, with trust auth
# and a superuser named booty. It is for tests only: nothing it starts outlives stop.
set -euo pipefail

# The oldest major version booty's PostgreSQL store and tests support.
readonly MIN_MAJOR=15
# Marks a directory as one of ours, so that stop never removes anything else. It
# also records the binaries and the user that run the server.
readonly MARKER=booty-postgres.env
# Where the server listens: loopback only, never a public interface.
readonly HOST=127.0.0.1
# The system user that runs the server when postgres.sh runs as root and the
# distribution's postgres user is missing.
readonly FALLBACK_USER=booty-postgres
# The directory of a cluster start has not finished, for its EXIT trap to remove.
half_made=''

usage() {
	cat <<EOF
Usage: ${0##*/} start
       ${0##*/} stop [DIR]

start  creates a cluster in a new temporary directory, starts it on a free port
       on $HOST and prints the shell lines that point the tests at it:
           eval "\$(bash .ci/postgres.sh start)"
       sets BOOTY_TEST_POSTGRES_URL (postgres://booty@$HOST:PORT/postgres) and
       BOOTY_TEST_POSTGRES_DIR (the directory).
stop   stops the cluster in DIR (default \$BOOTY_TEST_POSTGRES_DIR) and removes DIR.

Needs PostgreSQL $MIN_MAJOR or newer: the newest /usr/lib/postgresql/*/bin (Debian,
Ubuntu), else initdb and pg_ctl on PATH. As root the server runs as the postgres
user (created as $FALLBACK_USER when there is none): initdb refuses to run as root.
EOF
}

die() {
	printf 'postgres.sh: %s\n' "$*" >&2
	exit 1
}

# quote prints $1 in single quotes, for a shell to eval.
quote() {
	local s=$1 q="'"
	printf "'%s'" "${s//$q/$q\\$q$q}"
}

# find_bindir prints the directory holding the newest initdb: the highest version
# under /usr/lib/postgresql (Debian keeps the binaries off PATH), else the one on PATH.
find_bindir() {
	local dir newest=''
	while IFS= read -r dir; do
		[[ -x $dir/initdb && -x $dir/pg_ctl ]] && newest=$dir
	done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V)
	if [[ -n $newest ]]; then
		printf '%s\n' "$newest"
		return
	fi
	local initdb
	if initdb=$(command -v initdb); then
		dirname -- "$(readlink -f -- "$initdb")"
		return
	fi
	die "no PostgreSQL found: no initdb under /usr/lib/postgresql/*/bin or on PATH" \
		"(Debian/Ubuntu: apt-get install postgresql)"
}

# check_version fails unless the binaries in $1 are PostgreSQL MIN_MAJOR or newer.
check_version() {
	local bindir=$1 version major
	version=$("$bindir/initdb" --version) || die "$bindir/initdb --version failed"
	# "initdb (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)"
	major=$(sed -n 's/^initdb (PostgreSQL) \([0-9][0-9]*\).*/\1/p' <<<"$version")
	[[ -n $major ]] || die "cannot read the version from '$version' ($bindir/initdb)"
	if ((major < MIN_MAJOR)); then
		die "PostgreSQL $major found ($bindir), but booty's tests need PostgreSQL $MIN_MAJOR" \
			"or newer; install a newer one (Debian/Ubuntu: apt-get install postgresql)"
	fi
}

# server_user prints the user to run the server as when we are root: the postgres
# user the distribution's package creates, else a system user made for the purpose.
server_user() {
	if id -u postgres >/dev/null 2>&1; then
		echo postgres
		return
	fi
	if ! id -u "$FALLBACK_USER" >/dev/null 2>&1; then
		echo "postgres.sh: no postgres user; creating the system user $FALLBACK_USER" >&2
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$FALLBACK_USER" >&2 ||
			die "cannot create the system user $FALLBACK_USER to run the server"
	fi
	echo "$FALLBACK_USER"
}

# as_owner runs a command in directory $1 as user $2 ("" for the current user). The
# directory is the cluster's own, so the command never starts in one the server's
# user cannot read (initdb and postgres fail there).
as_owner() {
	local dir=$1 user=$2
	shift 2
	if [[ -z $user ]]; then
		(cd -- "$dir" && "$@")
	else
		(cd -- "$dir" && runuser -u "$user" -- "$@")
	fi
}

# pick_port prints a loopback port nothing listens on, from a range below Linux's
# ephemeral ports so that outgoing connections do not take it in the meantime. The
# server's own bind is the final check: start tries again if it loses a race.
pick_port() {
	local port i
	for ((i = 0; i < 100; i++)); do
		port=$((20000 + RANDOM % 12000))
		if ! (: <"/dev/tcp/$HOST/$port") 2>/dev/null; then
			echo "$port"
			return
		fi
	done
	die "no free port on $HOST found"
}

# show_log prints the server's log to stderr, for a start that failed.
show_log() {
	local log=$1
	if [[ -s $log ]]; then
		printf '\n--- %s\n' "$log" >&2
		tail -n 50 -- "$log" >&2
		printf -- '---\n' >&2
	fi
}

start() {
	local bindir user='' dir
	bindir=$(find_bindir)
	check_version "$bindir"
	if ((EUID == 0)); then
		command -v runuser >/dev/null || die "running as root needs runuser (util-linux) to drop to an unprivileged user"
		user=$(server_user)
	fi

	dir=$(mktemp -d "${TMPDIR:-/tmp}/booty-postgres.XXXXXXXX")
	# The unix socket lives in dir, and a socket's path has room for about 100 bytes.
	if ((${#dir} > 80)); then
		rm -rf -- "$dir"
		die "temporary directory $dir is too long a path for the server's unix socket; set TMPDIR to a shorter one"
	fi
	printf 'bindir=%s\nuser=%s\n' "$bindir" "$user" >"$dir/$MARKER"
	if [[ -n $user ]]; then
		chown "$user:" -- "$dir"
		if ! runuser -u "$user" -- test -w "$dir"; then
			rm -rf -- "$dir"
			die "$user cannot write to $dir; set TMPDIR to a directory it can reach"
		fi
	fi
	# From here on, a failure takes the half-made cluster with it.
	half_made=$dir
	trap 'stop_dir "$half_made" >/dev/null 2>&1 || true' EXIT

	echo "postgres.sh: PostgreSQL $("$bindir/pg_ctl" --version | sed 's/^pg_ctl (PostgreSQL) //') from $bindir in $dir" >&2
	# --no-sync only skips flushing the new cluster's files at the end of initdb; the
	# server itself runs with fsync on.
	as_owner "$dir" "$user" "$bindir/initdb" --pgdata="$dir/data" --username=booty \
		--auth=trust --encoding=UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 || {
		show_log "$dir/initdb.log"
		die "initdb failed"
	}
	cat >>"$dir/data/postgresql.conf" <<EOF

# booty's test cluster (.ci/postgres.sh)
listen_addresses = '$HOST'
unix_socket_directories = '$dir'
# Many tests run in parallel, each with a pool of its own.
max_connections = 300
shared_buffers = 128MB
# booty's durability claims are tested against this server: keep flushes real.
fsync = on
synchronous_commit = on
full_page_writes = on
EOF

	local port attempt log="$dir/server.log"
	for ((attempt = 1; ; attempt++)); do
		port=$(pick_port)
		: >"$log"
		[[ -z $user ]] || chown "$user:" -- "$log"
		if as_owner "$dir" "$user" "$bindir/pg_ctl" start --pgdata="$dir/data" --log="$log" \
			--wait --timeout=60 --options="-p $port" >&2; then
			break
		fi
		# Another process took the port between pick_port and the server's bind.
		if ((attempt < 5)) && grep -q 'could not bind\|could not create any TCP/IP sockets' -- "$log"; then
			echo "postgres.sh: port $port was taken, trying another" >&2
			continue
		fi
		show_log "$log"
		die "the server did not start (pg_ctl start failed); its log is above"
	done
	if ! "$bindir/pg_isready" --host="$HOST" --port="$port" --username=booty --dbname=postgres \
		--timeout=30 >&2; then
		show_log "$log"
		die "the server started but does not accept connections on $HOST:$port; its log is above"
	fi
	trap - EXIT

	echo "postgres.sh: ready on $HOST:$port; stop it with: bash .ci/postgres.sh stop" >&2
	printf 'export BOOTY_TEST_POSTGRES_URL=%s\n' "$(quote "postgres://booty@$HOST:$port/postgres?sslmode=disable")"
	printf 'export BOOTY_TEST_POSTGRES_DIR=%s\n' "$(quote "$dir")"
}

# stop_dir stops the cluster in $1, if it runs, and removes the directory.
stop_dir() {
	local dir=$1 bindir='' user='' key value
	[[ -f $dir/$MARKER ]] || die "$dir is not a cluster made by postgres.sh start (no $MARKER); not removing it"
	while IFS='=' read -r key value; do
		case $key in
		bindir) bindir=$value ;;
		user) user=$value ;;
		esac
	done <"$dir/$MARKER"
	if [[ -f $dir/data/postmaster.pid ]]; then
		[[ -x $bindir/pg_ctl ]] || die "$bindir/pg_ctl (recorded in $dir/$MARKER) is missing; stop the server by hand"
		if ((EUID != 0)); then
			user=''
		fi
		if ! as_owner "$dir" "$user" "$bindir/pg_ctl" stop --pgdata="$dir/data" --mode=fast \
			--wait --timeout=30 >&2; then
			echo "postgres.sh: fast shutdown failed; stopping immediately" >&2
			as_owner "$dir" "$user" "$bindir/pg_ctl" stop --pgdata="$dir/data" --mode=immediate \
				--wait --timeout=30 >&2 || die "cannot stop the server in $dir"
		fi
	fi
	rm -rf -- "$dir"
}

stop() {
	local dir=${1:-${BOOTY_TEST_POSTGRES_DIR:-}}
	[[ -n $dir ]] || die "stop needs the cluster's directory: stop DIR, or BOOTY_TEST_POSTGRES_DIR set"
	[[ -d $dir ]] || die "$dir does not exist"
	stop_dir "$dir"
	echo "postgres.sh: stopped and removed $dir" >&2
}

main() {
	case ${1:-} in
	start)
		(($# == 1)) || {
			usage >&2
			exit 2
		}
		start
		;;
	stop)
		(($# <= 2)) || {
			usage >&2
			exit 2
		}
		stop "${2:-}"
		;;
	-h | --help | help)
		usage
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
}

main "$@"
