#!/usr/bin/env bash
# lint-deploy.sh lints booty's shell scripts with shellcheck and its GitHub workflows with
# actionlint, which also runs shellcheck on every run: block. Run from anywhere in the
# repository; needs shellcheck on PATH (Debian/Ubuntu: apt-get install shellcheck).
set -euo pipefail

readonly ACTIONLINT=github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

usage() {
	cat <<EOF2
Usage: ${0##*/}

Runs shellcheck on every shell script in the repository (*.sh, *.bash, and files whose
first line is a sh or bash #!), then $ACTIONLINT on .github/workflows.
EOF2
}

# shell_scripts prints the repository's shell scripts, one per line.
shell_scripts() {
	local file first
	while IFS= read -r -d '' file; do
		case $file in
		*.sh | *.bash)
			printf '%s\n' "$file"
			continue
			;;
		esac
		first=$(head -c 100 -- "$file" | head -n 1 | tr -d '\0')
		if [[ $first =~ ^\#!.*(/|[[:space:]])(ba)?sh([[:space:]]|$) ]]; then
			printf '%s\n' "$file"
		fi
	done < <(find . \( -name .git -o -name testdata \) -prune -o -type f -print0 | sort -z)
}

main() {
	if (($# > 0)); then
		usage >&2
		exit 2
	fi
	cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."
	if ! command -v shellcheck >/dev/null; then
		echo "lint-deploy: shellcheck is not installed (apt-get install shellcheck);" \
			"without it actionlint would skip the run: blocks silently" >&2
		exit 1
	fi

	local scripts
	mapfile -t scripts < <(shell_scripts)
	if ((${#scripts[@]} == 0)); then
		echo "lint-deploy: no shell scripts found" >&2
		exit 1
	fi
	echo "shellcheck: ${scripts[*]}"
	shellcheck --external-sources -- "${scripts[@]}"

	echo "actionlint: .github/workflows"
	go run "$ACTIONLINT"
}

main "$@"
