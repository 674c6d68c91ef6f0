#!/usr/bin/env bash
# deploy.sh installs, switches, checks and rolls back booty releases on the server.
#
# Layout under BOOTY_ROOT:
#   releases/SHA/{booty,booty-ctl,release.env,deploy.sh}   one directory per release
#   current  -> releases/SHA   what systemd runs (ExecStart), and booty-ctl for operators
#   previous -> releases/SHA   where `rollback` goes by default
#
# A release is live only when /health answers 200 with "release" equal to its SHA: a
# process that answers but is still the old binary, or reports another release, does
# not count. Switching is a symlink rename, so systemd always sees one whole release.
set -euo pipefail

readonly PROG=${0##*/}
readonly SELF=${BASH_SOURCE[0]}
readonly KEEP_RELEASES=5
readonly CURL_TIMEOUT=5
readonly RELEASE_RE='"release"[[:space:]]*:[[:space:]]*"([^"]*)"'

ROOT=${BOOTY_ROOT:-/opt/booty}
ETC=${BOOTY_ETC:-/etc/booty}
UNIT=${BOOTY_UNIT:-booty}
HEALTH_URL=${HEALTH_URL:-http://127.0.0.1:8000/health}
TRIES=${HEALTH_TRIES:-10}
INTERVAL=${HEALTH_INTERVAL:-3}
WORK=""

usage() {
	cat <<EOF
Usage:
  $PROG deploy --sha SHA --env ENV --binary PATH
  $PROG rollback [--to SHA]
  $PROG status
  $PROG check --sha SHA

Commands:
  deploy    Install PATH as release SHA for environment ENV, switch to it, restart
            the unit and wait until /health reports release SHA. If it does not,
            switch back to the previous release, restart and check that instead.
            Deploying the live SHA again changes nothing and only checks health.
  rollback  Switch to the previous release (or to SHA), restart and check it; if
            that fails, return to the release that was live.
  status    Print the current and previous release, the unit and socket state and
            /health.
  check     Wait until HEALTH_URL answers 200 with release SHA (no other effect).

deploy and rollback print the SHA that is live on stdout when they succeed; every
other message goes to stderr. Exit status: 0 success, 1 failure (for status: the
current release is not the one answering 200), 2 usage error.

Environment (default):
  BOOTY_ROOT       releases and the current/previous links (/opt/booty)
  BOOTY_ETC        where release.env is written (/etc/booty)
  BOOTY_UNIT       systemd unit to restart (booty); BOOTY_UNIT.socket holds its socket,
                   so that connections wait during the restart instead of being refused
  SYSTEMCTL        systemctl command (systemctl, through "sudo -n" when not root)
  HEALTH_URL       health endpoint (http://127.0.0.1:8000/health)
  HEALTH_TRIES     health checks before giving up (10)
  HEALTH_INTERVAL  seconds between health checks (3)
EOF
}

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }

die() {
	log "$*"
	exit 1
}

usage_error() {
	log "$*"
	usage >&2
	exit 2
}

valid_sha() { [[ $1 =~ ^[0-9a-f]{7,64}$ ]]; }

# need_value fails unless the option $1 has a value ($2).
need_value() {
	(($# >= 2)) || usage_error "$1 needs a value"
}

check_settings() {
	[[ $TRIES =~ ^[1-9][0-9]*$ ]] || usage_error "HEALTH_TRIES must be a positive integer, got '$TRIES'"
	[[ $INTERVAL =~ ^[0-9]+([.][0-9]+)?$ ]] || usage_error "HEALTH_INTERVAL must be a number of seconds, got '$INTERVAL'"
	[[ $UNIT =~ ^[A-Za-z0-9@._-]+$ ]] || usage_error "BOOTY_UNIT '$UNIT' is not a unit name"
}

# release_of prints the release a link in ROOT points at, or nothing when there is no link.
release_of() {
	local link="$ROOT/$1"
	[[ -L $link ]] || return 0
	local target
	target=$(readlink -- "$link")
	printf '%s\n' "${target##*/}"
}

# environment_of prints the SENTRY_ENVIRONMENT a release was installed with.
environment_of() {
	local file="$ROOT/releases/$1/release.env"
	[[ -f $file ]] || return 0
	sed -n 's/^SENTRY_ENVIRONMENT=//p' -- "$file"
}

# point makes the link ROOT/$1 point at releases/$2 with one rename, so a reader sees the
# old target or the new one and never a missing link.
point() {
	local tmp="$ROOT/.$1.$$"
	ln -sfn -- "releases/$2" "$tmp"
	mv -fT -- "$tmp" "$ROOT/$1"
}

# write_release_env copies a release's release.env to ETC, atomically for the same reason.
write_release_env() {
	local tmp
	tmp=$(mktemp "$ETC/.release.env.XXXXXX")
	cat -- "$ROOT/releases/$1/release.env" >"$tmp"
	chmod 0644 -- "$tmp"
	mv -f -- "$tmp" "$ETC/release.env"
}

# restart_unit closes the lock (fd 9) for the command it runs: a service started by a
# SYSTEMCTL stand-in would otherwise inherit it and hold the lock for its whole life.
restart_unit() {
	if [[ -n ${SYSTEMCTL:-} ]]; then
		"$SYSTEMCTL" restart "$UNIT" 9>&-
	elif ((EUID == 0)); then
		systemctl restart "$UNIT" 9>&-
	else
		# The one command the deploy user may run as root (see docs/deploy.md).
		sudo -n systemctl restart "$UNIT" 9>&-
	fi
}

unit_state() {
	"${SYSTEMCTL:-systemctl}" is-active "$UNIT" 2>/dev/null || true
}

# socket_state prints the state of UNIT.socket, the listening socket systemd holds for
# booty so that a restart queues connections instead of refusing them.
socket_state() {
	"${SYSTEMCTL:-systemctl}" is-active "$UNIT.socket" 2>/dev/null || true
}

# warn_without_socket says when a restart is about to refuse connections: without
# UNIT.socket, booty's own listener closes while it restarts, and Sentry does not retry.
warn_without_socket() {
	local state
	state=$(socket_state)
	if [[ $state != active ]]; then
		log "warning: $UNIT.socket is ${state:-unknown}, so webhooks that arrive during this restart" \
			"are refused; enable it (docs/deploy.md: 'systemctl enable --now $UNIT.socket')"
	fi
}

# probe asks HEALTH_URL once and prints "HTTP_CODE RELEASE"; when nothing answers it
# prints why and fails. The body is left in WORK/health for status.
probe() {
	local code body release=""
	if ! code=$(curl --silent --show-error --max-time "$CURL_TIMEOUT" --output "$WORK/health" \
		--write-out '%{http_code}' -- "$HEALTH_URL" 2>"$WORK/curl.err"); then
		printf 'no answer (%s)\n' "$(head -n 1 -- "$WORK/curl.err")"
		return 1
	fi
	body=$(<"$WORK/health")
	if [[ $body =~ $RELEASE_RE ]]; then
		release=${BASH_REMATCH[1]}
	fi
	printf '%s %s\n' "$code" "$release"
}

# check_health waits until HEALTH_URL answers 200 with release $1.
check_health() {
	local want=$1 i result code got last=""
	for ((i = 1; i <= TRIES; i++)); do
		if result=$(probe); then
			read -r code got <<<"$result"
			if [[ $code == 200 && $got == "$want" ]]; then
				log "health: $HEALTH_URL reports release $want (try $i of $TRIES)"
				return 0
			fi
			last="HTTP $code, release '${got:-none}', want $want"
		else
			last=$result
		fi
		if ((i < TRIES)); then
			sleep "$INTERVAL"
		fi
	done
	log "health: $HEALTH_URL not good after $TRIES tries: $last"
	return 1
}

# activate makes release $1 current, restarts the unit and checks that $1 is the one answering.
activate() {
	local sha=$1
	write_release_env "$sha"
	point current "$sha"
	# The directory's mtime records when a release was last live; prune keeps the newest.
	touch -- "$ROOT/releases/$sha"
	log "switched to release $sha; restarting $UNIT"
	warn_without_socket
	if ! restart_unit; then
		log "restarting $UNIT failed"
		return 1
	fi
	check_health "$sha"
}

# lock serialises deploy and rollback on this server, whoever starts them.
lock() {
	# Files root left behind in BOOTY_ROOT or BOOTY_ETC would block the deploy user's next
	# deploy, so root may only run this where root owns the releases.
	if ((EUID == 0)) && [[ -d $ROOT && $(stat -c %u -- "$ROOT") != 0 ]]; then
		die "run this as the owner of $ROOT, not as root: sudo -u $(stat -c %U -- "$ROOT") $SELF ..."
	fi
	mkdir -p -- "$ROOT/releases"
	if ! command -v flock >/dev/null; then
		log "flock not found; not guarding against a concurrent deploy"
		return 0
	fi
	exec 9>"$ROOT/.lock"
	flock --wait 120 9 || die "another deploy or rollback holds $ROOT/.lock"
}

# prune keeps the KEEP_RELEASES most recently live releases, and current and previous always.
prune() {
	local cur prev n=0 sha
	cur=$(release_of current)
	prev=$(release_of previous)
	while read -r _ sha; do
		n=$((n + 1))
		if ((n > KEEP_RELEASES)) && [[ $sha != "$cur" && $sha != "$prev" ]]; then
			rm -rf -- "${ROOT:?}/releases/$sha"
			log "removed old release $sha"
		fi
	done < <(find "$ROOT/releases" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%T@ %f\n' | sort -rn)
	# Left by an install that was interrupted; the lock says no install is running now.
	find "$ROOT/releases" -mindepth 1 -maxdepth 1 -name '.*' -exec rm -rf -- {} +
}

# install_release puts binary $3 into releases/$1 with a release.env for environment $2.
install_release() {
	local sha=$1 env=$2 binary=$3 tmp version
	tmp=$(mktemp -d "$ROOT/releases/.$sha.XXXXXX")
	install -m 0755 -- "$binary" "$tmp/booty"
	install -m 0755 -- "$SELF" "$tmp/deploy.sh"
	# The operator's wrapper (docs/deploy.md) travels with the binary it runs.
	local ctl
	ctl="$(dirname -- "$SELF")/booty-ctl"
	if [[ ! -f $ctl ]]; then
		rm -rf -- "$tmp"
		die "booty-ctl is missing next to $SELF; nothing was changed"
	fi
	install -m 0755 -- "$ctl" "$tmp/booty-ctl"
	printf 'SENTRY_RELEASE=%s\nSENTRY_ENVIRONMENT=%s\n' "$sha" "$env" >"$tmp/release.env"
	chmod 0644 -- "$tmp/release.env"
	chmod 0755 -- "$tmp"
	# A binary for the wrong architecture or a truncated upload fails here, before anything changes.
	if ! version=$("$tmp/booty" version 2>&1); then
		rm -rf -- "$tmp"
		die "the new binary does not run on this server ('booty version' said: ${version:0:200}); nothing was changed"
	fi
	rm -rf -- "${ROOT:?}/releases/$sha"
	mv -T -- "$tmp" "$ROOT/releases/$sha"
	log "installed release $sha ($version) for environment $env"
}

cmd_deploy() {
	local sha="" env="" binary=""
	while (($#)); do
		case $1 in
		--sha) need_value "$@" && sha=$2 && shift 2 ;;
		--env) need_value "$@" && env=$2 && shift 2 ;;
		--binary) need_value "$@" && binary=$2 && shift 2 ;;
		-h | --help) usage && exit 0 ;;
		*) usage_error "deploy: unknown argument '$1'" ;;
		esac
	done
	valid_sha "$sha" || usage_error "deploy: --sha must be 7 to 64 lowercase hex digits, got '$sha'"
	[[ $env =~ ^[A-Za-z0-9._-]+$ ]] || usage_error "deploy: --env must be a name like staging or production, got '$env'"
	[[ -f $binary ]] || usage_error "deploy: --binary '$binary' is not a file"

	lock
	local cur
	cur=$(release_of current)
	if [[ $cur == "$sha" ]]; then
		local live_env
		live_env=$(environment_of "$sha")
		[[ $live_env == "$env" ]] ||
			die "release $sha is live for environment '$live_env'; not changing it to '$env' in place"
		log "release $sha is already live; checking health only"
		check_health "$sha" || die "release $sha is live but not healthy; nothing was changed (see '$PROG status')"
		printf '%s\n' "$sha"
		return 0
	fi

	install_release "$sha" "$env" "$binary"
	if activate "$sha"; then
		if [[ -n $cur ]]; then
			point previous "$cur"
		fi
		prune
		log "release $sha is live in $env"
		printf '%s\n' "$sha"
		return 0
	fi

	[[ -n $cur ]] ||
		die "release $sha failed, and there is no previous release to return to: booty is not serving a good release"
	log "release $sha failed; rolling back to $cur"
	if activate "$cur"; then
		# A failed release is not a rollback target; keep it only if previous still names it.
		if [[ $sha != "$(release_of previous)" ]]; then
			rm -rf -- "${ROOT:?}/releases/$sha"
		fi
		die "release $sha failed its health check; rolled back to $cur, which is serving again"
	fi
	die "release $sha failed, and so did the rollback to $cur: booty is not serving a good release"
}

cmd_rollback() {
	local to=""
	while (($#)); do
		case $1 in
		--to) need_value "$@" && to=$2 && shift 2 ;;
		-h | --help) usage && exit 0 ;;
		*) usage_error "rollback: unknown argument '$1'" ;;
		esac
	done
	if [[ -n $to ]]; then
		valid_sha "$to" || usage_error "rollback: --to must be 7 to 64 lowercase hex digits, got '$to'"
	fi

	lock
	local cur target
	cur=$(release_of current)
	target=${to:-$(release_of previous)}
	[[ -n $target ]] || die "there is no previous release to roll back to"
	[[ -d $ROOT/releases/$target ]] ||
		die "release $target is not on this server; these are: $(list_releases)"
	if [[ $target == "$cur" ]]; then
		log "release $target is already live; checking health only"
		check_health "$target" || die "release $target is live but not healthy; nothing was changed"
		printf '%s\n' "$target"
		return 0
	fi

	if activate "$target"; then
		if [[ -n $cur ]]; then
			point previous "$cur"
		fi
		log "rolled back from ${cur:-nothing} to $target"
		printf '%s\n' "$target"
		return 0
	fi

	[[ -n $cur ]] || die "release $target failed, and nothing was live before it"
	log "release $target failed; returning to $cur"
	if activate "$cur"; then
		die "rollback to $target failed its health check; $cur is serving again"
	fi
	die "rollback to $target failed, and so did the return to $cur: booty is not serving a good release"
}

# list_releases prints the releases on this server, most recently live first.
list_releases() {
	[[ -d $ROOT/releases ]] || return 0
	find "$ROOT/releases" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%T@ %f\n' |
		sort -rn | cut -d' ' -f2 | paste -sd' ' -
}

cmd_status() {
	(($# == 0)) || usage_error "status takes no arguments"
	local cur prev result code got
	cur=$(release_of current)
	prev=$(release_of previous)
	printf 'current:  %s\n' "${cur:-none}${cur:+ ($(environment_of "$cur"))}"
	printf 'previous: %s\n' "${prev:-none}${prev:+ ($(environment_of "$prev"))}"
	printf 'releases: %s\n' "$(list_releases)"
	printf 'unit:     %s %s\n' "$UNIT" "$(unit_state)"
	printf 'socket:   %s %s\n' "$UNIT.socket" "$(socket_state)"
	if ! result=$(probe); then
		printf 'health:   %s\n' "$result"
		return 1
	fi
	read -r code got <<<"$result"
	printf 'health:   HTTP %s %s\n' "$code" "$(head -c 2000 -- "$WORK/health")"
	if [[ $code != 200 || $got != "$cur" ]]; then
		log "the answering release '${got:-none}' is not current release '${cur:-none}' (or it is not healthy)"
		return 1
	fi
}

cmd_check() {
	local sha=""
	while (($#)); do
		case $1 in
		--sha) need_value "$@" && sha=$2 && shift 2 ;;
		-h | --help) usage && exit 0 ;;
		*) usage_error "check: unknown argument '$1'" ;;
		esac
	done
	valid_sha "$sha" || usage_error "check: --sha must be 7 to 64 lowercase hex digits, got '$sha'"
	check_health "$sha" || die "release $sha is not the one answering at $HEALTH_URL"
}

main() {
	(($# > 0)) || usage_error "missing command"
	local cmd=$1
	shift
	check_settings
	WORK=$(mktemp -d)
	trap 'rm -rf -- "$WORK"' EXIT
	case $cmd in
	deploy) cmd_deploy "$@" ;;
	rollback) cmd_rollback "$@" ;;
	status) cmd_status "$@" ;;
	check) cmd_check "$@" ;;
	-h | --help | help) usage ;;
	*) usage_error "unknown command '$cmd'" ;;
	esac
}

main "$@"
