#!/bin/sh
# ExecStopPost= of every <app>-gunicorn.service, run as root ("+"): when
# gunicorn stopped by itself (a crash, workers that cannot boot) instead of
# being asked to, the connections queued in its socket would wait for a
# gunicorn that is not coming. Restarting the socket resets them at once, so
# nginx answers 502 and the load balancer retries them on a healthy host, and
# gunicorn starts again at once: a one-off crash costs a second. A crash
# again within 5 minutes (a gunicorn that cannot boot) stops the socket
# instead, which refuses new connections too, and gunicorn starts again
# (with its socket) after a pause that grows with each crash in a row (5, 10,
# 20, then 30 s): a crash loop spends little time holding connections it
# will drop. `systemctl restart` (a converge, a deploy) starts both at once.
#
#   gunicorn-exited SOCKET_UNIT SERVICE_UNIT  (systemd sets SERVICE_RESULT, EXIT_STATUS)
set -eu
[ "${SERVICE_RESULT:-success}" = success ] && exit 0
socket=$1 service=$2
state_dir=/run/gunicorn-exited
mkdir -p "$state_dir"
now=$(date +%s) crashes=0 last=0
if [ -r "$state_dir/$service" ]; then read -r crashes last < "$state_dir/$service" || true; fi
[ $((now - last)) -gt 300 ] && crashes=0
echo "$((crashes + 1)) $now" > "$state_dir/$service"
if [ "$crashes" -eq 0 ]; then
  echo "gunicorn stopped by itself (${SERVICE_RESULT}, status ${EXIT_STATUS:-?}): resetting the connections waiting on $socket"
  exec systemctl restart --no-block "$socket"
fi
case $crashes in 1) pause=5 ;; 2) pause=10 ;; 3) pause=20 ;; *) pause=30 ;; esac
echo "gunicorn stopped by itself again (${SERVICE_RESULT}, status ${EXIT_STATUS:-?}, crash $((crashes + 1)) in a row): resetting the connections waiting on $socket; new ones are refused for $pause s, then $service starts again"
systemd-run --quiet --collect --on-active="$pause" --timer-property=AccuracySec=1s systemctl start --no-block "$service"
exec systemctl stop --no-block "$socket"
