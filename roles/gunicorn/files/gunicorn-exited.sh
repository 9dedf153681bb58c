#!/bin/sh
# ExecStopPost= of every <app>-gunicorn.service, run as root ("+"): when
# gunicorn stopped by itself (a crash, workers that cannot boot) instead of
# being asked to, the connections queued in its socket would wait for a
# gunicorn that is not coming. Restarting the socket resets them at once, so
# nginx answers 502 and the load balancer retries them on a healthy host;
# systemd still restarts gunicorn (Restart=on-failure) on the new socket.
#
#   gunicorn-exited SOCKET_UNIT      (systemd sets SERVICE_RESULT, EXIT_STATUS)
set -eu
[ "${SERVICE_RESULT:-success}" = success ] && exit 0
echo "gunicorn stopped by itself (${SERVICE_RESULT}, status ${EXIT_STATUS:-?}): resetting the connections waiting on $1"
exec systemctl restart --no-block "$1"
