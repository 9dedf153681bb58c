#!/usr/bin/env bash
# The minimal hand-written deploy bench/run.py compares playbooks/deploy.yml
# with: only the work a release cannot do without, as root on a web host
# (piped over SSH: ssh HOST sudo -n bash -s -- build|switch ...).
#
#   build RELEASE_ID COMMIT  git fetch in the mirror, export the commit, the
#                            live release's virtualenv and launch spec (the
#                            requirements did not change), the shared links
#                            and REVISION (so the project's state and rollback
#                            know the release)
#   switch RELEASE_ID        atomic switch of `current`, restart gunicorn
#
# No drain, health check, release task or worker restart: those are what
# deploy.yml adds for safety.
set -euo pipefail
app=sampleapp
base=/srv/$app
action=$1 release=$2
dir=$base/releases/$release

case $action in
build)
  commit=$3
  git -C "$base/repo" fetch --quiet origin
  mkdir -p "$dir"
  git -C "$base/repo" -c tar.umask=0022 archive --format=tar "$commit" | tar -x -C "$dir"
  # The requirements did not change: the live release's virtualenv and what
  # its build read from it (the launch spec gunicorn needs), as deploy.yml
  # reuses them.
  live=$(readlink -f "$base/current")
  ln -s "$(readlink "$live/.venv")" "$dir/.venv"
  cp -a "$live/.flaskdeploy" "$dir/.flaskdeploy"
  for shared in log tmp uploads; do
    rm -rf "${dir:?}/$shared"
    ln -s "$base/shared/$shared" "$dir/$shared"
  done
  chown root:$app "$dir"
  chmod 0755 "$dir"
  echo "$release" > "$dir/REVISION"
  ;;
switch)
  ln -sfn "releases/$release" "$base/.current-$release"
  mv -T "$base/.current-$release" "$base/current"
  systemctl restart $app-gunicorn.service
  ;;
*)
  echo "usage: $0 build RELEASE_ID COMMIT | switch RELEASE_ID" >&2
  exit 2
  ;;
esac
