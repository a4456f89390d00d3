#!/usr/bin/env bash
# Starts the local PostgreSQL and RabbitMQ when they are not running, and waits until both accept
# connections. Does nothing to a service that is already up.
set -euo pipefail

wait_for() {
  local what=$1 check=$2
  for _ in $(seq 1 60); do
    if eval "$check" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "$what did not come up within 60 s" >&2
  return 1
}

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
  wait_for PostgreSQL "pg_isready -h 127.0.0.1 -p 5432 -q"
fi

if ! rabbitmqctl -q await_startup --timeout 5 >/dev/null 2>&1; then
  echo "starting RabbitMQ"
  rabbitmq-server -detached || true
  wait_for RabbitMQ "rabbitmqctl -q await_startup --timeout 5"
fi
# A test that stopped the RabbitMQ application and failed before starting it again leaves the node up
# with the app stopped. start_app starts it then, and does nothing when the app already runs.
rabbitmqctl -q start_app >/dev/null 2>&1 || true
wait_for "RabbitMQ on port 5672" "bash -c '</dev/tcp/127.0.0.1/5672'"
