#!/usr/bin/env bash
# Start the services the tests use when they are not answering: PostgreSQL, Redis and RabbitMQ
# on their standard local ports (installed from Debian's packages first if missing).
set -euo pipefail
here="$(dirname "$0")"
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() {
  for _ in $(seq 1 60); do listening "$1" && return 0; sleep 1; done
  echo "$2 did not start on port $1" >&2
  return 1
}
if ! listening 5432; then
  "$here/apt-install.sh" postgresql
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  wait_for 5432 PostgreSQL
fi
if ! listening 6379; then
  "$here/apt-install.sh" redis-server
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no
  wait_for 6379 Redis
fi
if ! listening 5672; then
  "$here/apt-install.sh" rabbitmq-server
  service rabbitmq-server start || rabbitmq-server -detached
  wait_for 5672 RabbitMQ
fi
