#!/usr/bin/env bash
# ship.sh is the CI side of a deploy: the steps of .github/workflows/deploy.yml and
# rollback.yml that are more than one line. It runs on the CI runner; deploy.sh runs on
# the server.
#
# Every command logs to $RUNNER_TEMP/booty-logs/COMMAND.log as well as to the job log, so
# that "summary" can show the end of the log of the step that failed.
set -euo pipefail

readonly PROG=${0##*/}
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly LOGS=${RUNNER_TEMP:-/tmp}/booty-logs
readonly KNOWN_HOSTS=${RUNNER_TEMP:-/tmp}/booty-known-hosts
readonly RELEASE_DIR=${RUNNER_TEMP:-/tmp}/booty-release

usage() {
	cat <<EOF
Usage: $PROG COMMAND

Commands (settings come from the environment, as the workflows set it):
  preflight    check that the environment's variables and secrets are set; list what is missing
  build        build booty for the server into $RELEASE_DIR
  known-hosts  write the server's SSH host key for ssh and scp
  ship         copy booty and deploy/ to the server and run deploy.sh deploy there
  rollback     copy deploy/ to the server and run deploy.sh rollback there
  check        check https://SERVER_NAME/health from outside until it reports SHA
  summary      write what failed and the end of its log to the job summary

Environment:
  TARGET_ENV          staging or production
  EVENT               the event that started the workflow (push, workflow_dispatch)
  SHA                 the commit to deploy or check
  DEPLOY_HOST         SSH host of the server
  DEPLOY_USER         SSH user that runs deploy.sh
  DEPLOY_PORT         SSH port (22)
  SERVER_NAME         public name of the server; https://SERVER_NAME/health is checked
  HAS_SSH_KEY         "true" when the SSH_PRIVATE_KEY secret is set
  DEPLOY_KNOWN_HOSTS  the server's known_hosts line(s); without it the key is scanned
  DEPLOY_GOARCH       the server's architecture (amd64)
  REPO_SERVER_NAME, REPO_DEPLOY_HOST
                      the repository-level values: staging must have its own
  ROLLBACK_TO         rollback: the release to go back to (the previous one)
  STEPS_JSON          summary: toJSON(steps) of the job
EOF
}

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }

die() {
	log "$*"
	exit 1
}

# summary appends markdown to the job summary (or stderr, outside Actions).
summary() {
	if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
		printf '%s\n' "$@" >>"$GITHUB_STEP_SUMMARY"
	else
		printf '%s\n' "$@" >&2
	fi
}

# output sets a step output.
output() {
	if [[ -n ${GITHUB_OUTPUT:-} ]]; then
		printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
	fi
	log "output $1=$2"
}

need_sha() {
	[[ ${SHA:-} =~ ^[0-9a-f]{40}$ ]] || die "SHA must be a full commit SHA, got '${SHA:-}'"
}

port() { printf '%s\n' "${DEPLOY_PORT:-22}"; }

cmd_preflight() {
	local env=${TARGET_ENV:-}
	[[ $env == staging || $env == production ]] || die "TARGET_ENV must be staging or production, got '$env'"

	# A push deploys to staging only when the staging environment has a server of its own:
	# values inherited from the repository level belong to production.
	if [[ $env == staging && ${EVENT:-} == push ]]; then
		if [[ -z ${SERVER_NAME:-} || ${SERVER_NAME:-} == "${REPO_SERVER_NAME:-}" ||
			-z ${DEPLOY_HOST:-} || ${DEPLOY_HOST:-} == "${REPO_DEPLOY_HOST:-}" ]]; then
			summary "Staging is not configured (its environment sets no SERVER_NAME and DEPLOY_HOST of its own); skipping it."
			output configured false
			return 0
		fi
	fi

	local missing=() bad=()
	[[ -n ${DEPLOY_HOST:-} ]] || missing+=("variable DEPLOY_HOST (SSH host of the server)")
	[[ -n ${DEPLOY_USER:-} ]] || missing+=("variable DEPLOY_USER (SSH user that runs deploy.sh)")
	[[ -n ${SERVER_NAME:-} ]] || missing+=("variable SERVER_NAME (public name; https://SERVER_NAME/health is checked)")
	[[ ${HAS_SSH_KEY:-} == true ]] || missing+=("secret SSH_PRIVATE_KEY (private key of DEPLOY_USER)")
	if [[ $env == staging ]]; then
		[[ -z ${SERVER_NAME:-} || ${SERVER_NAME:-} != "${REPO_SERVER_NAME:-}" ]] ||
			bad+=("SERVER_NAME is the repository's (production's); set staging's own in the staging environment")
		[[ -z ${DEPLOY_HOST:-} || ${DEPLOY_HOST:-} != "${REPO_DEPLOY_HOST:-}" ]] ||
			bad+=("DEPLOY_HOST is the repository's (production's); set staging's own in the staging environment")
	fi
	if [[ -n ${DEPLOY_HOST:-} && ! ${DEPLOY_HOST} =~ ^[A-Za-z0-9][A-Za-z0-9.:_-]*$ ]]; then
		bad+=("DEPLOY_HOST '${DEPLOY_HOST}' is not a host name or address")
	fi
	if [[ -n ${DEPLOY_USER:-} && ! ${DEPLOY_USER} =~ ^[a-z_][a-z0-9_-]*$ ]]; then
		bad+=("DEPLOY_USER '${DEPLOY_USER}' is not a user name")
	fi
	if [[ -n ${SERVER_NAME:-} && ! ${SERVER_NAME} =~ ^[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]+)?$ ]]; then
		bad+=("SERVER_NAME '${SERVER_NAME}' is not a host name (no scheme, no path)")
	fi
	if [[ ! $(port) =~ ^[0-9]+$ ]]; then
		bad+=("DEPLOY_PORT '$(port)' is not a port number")
	fi
	if [[ -n ${DEPLOY_GOARCH:-} && ! ${DEPLOY_GOARCH} =~ ^(amd64|arm64|arm|386|riscv64|ppc64le|s390x)$ ]]; then
		bad+=("DEPLOY_GOARCH '${DEPLOY_GOARCH}' is not a Linux architecture Go builds for")
	fi

	if ((${#missing[@]} + ${#bad[@]} == 0)); then
		if [[ -z ${DEPLOY_KNOWN_HOSTS:-} ]]; then
			summary "Note: variable DEPLOY_KNOWN_HOSTS is not set for $env, so the server's SSH host key is trusted on first sight each run. See docs/deploy.md."
		fi
		output configured true
		return 0
	fi
	summary "## Deploy to $env: the $env environment is not ready" ""
	local item
	for item in "${missing[@]}"; do
		summary "- missing $item"
	done
	for item in "${bad[@]}"; do
		summary "- $item"
	done
	summary "" "Set them under Settings → Environments → $env (docs/deploy.md lists each one)."
	die "$env is not configured: ${#missing[@]} missing, ${#bad[@]} wrong (see the job summary)"
}

cmd_build() {
	need_sha
	local arch=${DEPLOY_GOARCH:-amd64}
	rm -rf -- "$RELEASE_DIR"
	mkdir -p -- "$RELEASE_DIR"
	(
		cd -- "$HERE/.."
		CGO_ENABLED=0 GOOS=linux GOARCH=$arch \
			go build -trimpath -ldflags "-s -w -X main.version=$SHA" -o "$RELEASE_DIR/booty" ./cmd/booty
	)
	log "built booty $SHA for linux/$arch"
	(cd -- "$RELEASE_DIR" && sha256sum booty)
}

cmd_known_hosts() {
	: "${DEPLOY_HOST:?}"
	if [[ -n ${DEPLOY_KNOWN_HOSTS:-} ]]; then
		printf '%s\n' "$DEPLOY_KNOWN_HOSTS" >"$KNOWN_HOSTS"
		log "using the host key(s) from DEPLOY_KNOWN_HOSTS"
		return 0
	fi
	log "DEPLOY_KNOWN_HOSTS is not set; trusting the key $DEPLOY_HOST shows now"
	ssh-keyscan -p "$(port)" -T 15 -- "$DEPLOY_HOST" >"$KNOWN_HOSTS"
	[[ -s $KNOWN_HOSTS ]] || die "ssh-keyscan got no host key from $DEPLOY_HOST port $(port)"
}

ssh_opts() {
	printf '%s\n' -o BatchMode=yes -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$KNOWN_HOSTS" \
		-o ConnectTimeout=20 -o ServerAliveInterval=15 -o ServerAliveCountMax=4
}

# remote runs a command on the server. The command is one string for the remote shell;
# callers quote what they put in it.
remote() {
	local opts
	mapfile -t opts < <(ssh_opts)
	ssh "${opts[@]}" -p "$(port)" -- "$DEPLOY_USER@$DEPLOY_HOST" "$1"
}

# upload copies files into a new temporary directory on the server and prints its path.
upload() {
	local dir opts
	dir=$(remote 'mktemp -d -t booty-deploy.XXXXXXXX')
	[[ $dir =~ ^/[A-Za-z0-9._/-]+$ ]] || die "unexpected temporary directory from the server: '$dir'"
	mapfile -t opts < <(ssh_opts)
	scp -q -r "${opts[@]}" -P "$(port)" -- "$@" "$DEPLOY_USER@$DEPLOY_HOST:$dir/"
	printf '%s\n' "$dir"
}

# run_deploy_sh runs deploy.sh from the uploaded directory $1 with arguments, removes the
# directory whatever happens, and prints what deploy.sh printed on stdout (the live SHA).
run_deploy_sh() {
	local dir=$1 cmd
	shift
	printf -v cmd '%q ' bash "$dir/deploy/deploy.sh" "$@"
	remote "$cmd; rc=\$?; rm -rf $(printf '%q' "$dir"); exit \$rc"
}

cmd_ship() {
	need_sha
	[[ ${TARGET_ENV:-} =~ ^(staging|production)$ ]] || die "TARGET_ENV must be staging or production"
	[[ -x $RELEASE_DIR/booty ]] || die "no binary at $RELEASE_DIR/booty; run '$PROG build' first"
	log "copying booty and deploy/ to $DEPLOY_USER@$DEPLOY_HOST"
	local dir live
	dir=$(upload "$RELEASE_DIR/booty" "$HERE")
	log "running deploy.sh deploy on $DEPLOY_HOST"
	live=$(run_deploy_sh "$dir" deploy --sha "$SHA" --env "$TARGET_ENV" --binary "$dir/booty")
	[[ $live == "$SHA" ]] || die "deploy.sh reported '$live' live, want $SHA"
	output live "$live"
}

cmd_rollback() {
	local args=(rollback) dir live
	if [[ -n ${ROLLBACK_TO:-} ]]; then
		[[ $ROLLBACK_TO =~ ^[0-9a-f]{7,64}$ ]] || die "the release to roll back to must be a commit SHA, got '$ROLLBACK_TO'"
		args+=(--to "$ROLLBACK_TO")
	fi
	dir=$(upload "$HERE")
	log "running deploy.sh ${args[*]} on $DEPLOY_HOST"
	live=$(run_deploy_sh "$dir" "${args[@]}")
	[[ $live =~ ^[0-9a-f]{7,64}$ ]] || die "deploy.sh reported '$live' live, which is not a release"
	output live "$live"
}

cmd_check() {
	: "${SERVER_NAME:?}"
	[[ ${SHA:-} =~ ^[0-9a-f]{7,64}$ ]] || die "SHA must be a commit SHA, got '${SHA:-}'"
	local url="https://$SERVER_NAME/health"
	HEALTH_URL=$url HEALTH_TRIES=10 HEALTH_INTERVAL=6 bash "$HERE/deploy.sh" check --sha "$SHA"
	summary "Release \`$SHA\` is live in **${TARGET_ENV:-?}**: $url reports it."
}

cmd_summary() {
	local steps=${STEPS_JSON:-"{}"} failed
	failed=$(jq -r 'to_entries[] | select(.value.outcome == "failure") | .key' <<<"$steps" | head -n 1)
	summary "## ${WHAT:-Deploy} to ${TARGET_ENV:-?} failed" ""
	summary "Commit: \`${SHA:-unknown}\`. Failed step: **${failed:-unknown}**." ""
	if [[ -n $failed && -s $LOGS/$failed.log ]]; then
		summary "Last lines of its log:" "" '```text'
		summary "$(tail -n 40 -- "$LOGS/$failed.log")"
		summary '```'
	else
		summary "That step keeps no log of its own here; open the job log."
	fi
}

main() {
	(($# == 1)) || {
		usage >&2
		exit 2
	}
	local cmd=$1 fn
	case $cmd in
	preflight | build | ship | rollback | check | summary) fn=cmd_$cmd ;;
	known-hosts) fn=cmd_known_hosts ;;
	-h | --help) usage && exit 0 ;;
	*)
		usage >&2
		exit 2
		;;
	esac
	if [[ $cmd == summary ]]; then
		"$fn"
		return
	fi
	mkdir -p -- "$LOGS"
	"$fn" 2>&1 | tee -- "$LOGS/$cmd.log"
}

main "$@"
