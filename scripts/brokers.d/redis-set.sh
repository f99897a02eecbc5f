#!/usr/bin/env bash
# Runs a set of Redis processes for scripts/brokers as one broker, and stops them together:
#
#   redis-set.sh cluster DIR     three masters on 127.0.0.1:7000-7002 (cluster bus 17000-17002), joined into one
#                                Redis Cluster with every slot assigned
#   redis-set.sh sentinel DIR    a master on 127.0.0.1:6380 and a Sentinel on 127.0.0.1:26379 watching it as
#                                master set "sluice"
#
# DIR holds the processes' files; it is emptied first, so every start is a fresh cluster or master.
# SIGTERM or SIGINT stops every process of the set.
set -euo pipefail
kind=$1
dir=$2
host=127.0.0.1
rm -rf "$dir"
mkdir -p "$dir"
pids=()
stop() {
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait
  exit 0
}
trap stop TERM INT

server() {
  local port=$1
  shift
  mkdir -p "$dir/$port"
  redis-server --bind "$host" --port "$port" --protected-mode yes --daemonize no --save "" \
    --appendonly no --dir "$dir/$port" --logfile "" "$@" &
  pids+=($!)
}

listening() { redis-cli -h "$host" -p "$1" ping 2>/dev/null | grep -q PONG; }

case $kind in
cluster)
  for port in 7000 7001 7002; do
    server "$port" --cluster-enabled yes --cluster-config-file "$dir/$port/nodes.conf" --cluster-node-timeout 5000
  done
  for port in 7000 7001 7002; do
    until listening "$port"; do sleep 0.1; done
  done
  redis-cli --cluster create "$host:7000" "$host:7001" "$host:7002" --cluster-replicas 0 --cluster-yes >/dev/null
  ;;
sentinel)
  server 6380
  until listening 6380; do sleep 0.1; done
  # The Sentinel rewrites its configuration file: it gets a fresh one in DIR at every start.
  cat >"$dir/sentinel.conf" <<CONF
bind $host
port 26379
dir $dir
sentinel monitor sluice $host 6380 1
sentinel down-after-milliseconds sluice 5000
sentinel failover-timeout sluice 10000
CONF
  redis-server "$dir/sentinel.conf" --sentinel &
  pids+=($!)
  ;;
*)
  echo "usage: redis-set.sh cluster|sentinel DIR" >&2
  exit 2
  ;;
esac
echo "redis $kind up: pids ${pids[*]}"
wait
