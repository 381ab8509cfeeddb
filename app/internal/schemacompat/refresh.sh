#!/usr/bin/env bash
# refresh.sh [COMMIT]: capture the statements of the previous release into
# testdata/{sqlite,postgres}.json, for TestPreviousReleaseQueries.
#
# The previous release is, by default, the commit before the one that added
# the newest migration: the code that replicas still run while the newest
# migration is being rolled out. Run this after adding a migration (and
# commit the result with it). It checks COMMIT out in a temporary worktree,
# copies workload_test.go into it, runs TestCaptureQueries there on SQLite
# and on PostgreSQL (DATABASE_URL, default the local test database), and
# removes the worktree.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(git -C "$here" rev-parse --show-toplevel)"
pg="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"

last="$(git -C "$root" log -1 --format=%H --diff-filter=A -- migrations/postgres)"
commit="${1:-$(git -C "$root" rev-parse "$last^")}"
echo "newest migration added by $(git -C "$root" log -1 --format='%h %s' "$last" | cut -c1-72)"
echo "capturing the statements of $(git -C "$root" log -1 --format='%h %s' "$commit" | cut -c1-72)"

tmp="$(mktemp -d)"
cleanup() { git -C "$root" worktree remove --force "$tmp/src" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
git -C "$root" worktree add --quiet --detach "$tmp/src" "$commit"
if [ -e "$root/node_modules" ]; then ln -s "$root/node_modules" "$tmp/src/node_modules"; fi
mkdir -p "$tmp/src/app/internal/schemacompat" "$tmp/out"
cp "$here/workload_test.go" "$tmp/src/app/internal/schemacompat/"

cd "$tmp/src"
CAPTURE_QUERIES="$tmp/out" DATABASE_URL= go test -count=1 -run '^TestCaptureQueries$' ./app/internal/schemacompat/
CAPTURE_QUERIES="$tmp/out" DATABASE_URL="$pg" go test -count=1 -run '^TestCaptureQueries$' ./app/internal/schemacompat/
cp "$tmp/out/sqlite.json" "$tmp/out/postgres.json" "$here/testdata/"
echo "wrote $here/testdata/sqlite.json and postgres.json"
