#!/usr/bin/env bash
# Starts a throw-away Redis and PostgreSQL 15 on loopback, on free ports, in a
# temp folder, for the integration tests. Real servers, not mocks.
#
#   scripts/services.sh start [ENV_FILE]   start both, write ENV_FILE
#   scripts/services.sh env   [ENV_FILE]   print ENV_FILE (eval-able)
#   scripts/services.sh stop  [ENV_FILE]   stop both, remove the folder and ENV_FILE
#   scripts/services.sh start-postgres DIR  PostgreSQL alone, its cluster in DIR
#                                           (made); prints its DATABASE_URL
#   scripts/services.sh stop-postgres DIR   stops that one (DIR is left)
#
# ENV_FILE defaults to $LLMGW_SERVICES_ENV or build/services.env. It exports
# REDIS_URL and DATABASE_URL (plus LLMGW_SERVICES_DIR, used by stop), so
#   source build/services.env        or    eval "$(scripts/services.sh env)"
# With LLMGW_REDIS_CLUSTER=1, start also brings up a 3-node Redis Cluster and
# exports REDIS_CLUSTER_NODES=host:port,host:port,host:port.
#
# PostgreSQL refuses to run as root, so when we are root initdb and pg_ctl run
# as the `postgres` system user on a folder it owns. bench/run.sh starts its
# PostgreSQL with start-postgres (under taskset: the server keeps the caller's
# cores).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cmd=${1:-}
env_file=${2:-${LLMGW_SERVICES_ENV:-$repo_root/build/services.env}}

log() { echo "services: $*" >&2; }
# Values are single-quoted (none of ours contains a quote) so the file also
# reads correctly for tools that are not bash.
emit() { printf "export %s='%s'\n" "$1" "$2" >>"$env_file"; }
die() { log "$*"; exit 1; }

pg_bin=""
find_pg_bin() {
  local d
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [[ -x "$d/pg_ctl" ]]; then pg_bin=$d; return 0; fi
  done
  command -v pg_ctl >/dev/null 2>&1 || die "pg_ctl not found (scripts/install-deps.sh installs postgresql)"
  pg_bin=$(dirname "$(command -v pg_ctl)")
}

# Run a PostgreSQL tool as a user it accepts.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_in_use() {
  # A successful connect means someone listens there.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A free port below the kernel's ephemeral range, so outgoing connections of
# the tests cannot take it between our check and the server's bind.
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000))
    if ! port_in_use "$p"; then echo "$p"; return 0; fi
  done
  die "no free port found"
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || return 1
    sleep 0.1
  done
  log "$what ready"
}

start_redis() {  # start_redis PORT DIR [extra redis-server args...]
  local port=$1 dir=$2
  shift 2
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
    --save '' --appendonly no "$@" >/dev/null
}

redis_pong() { [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]; }

pg_url=""
start_postgres() {  # start_postgres DIR : a cluster in DIR on a free port; sets pg_url
  local pg_dir=$1 pg_port attempt
  find_pg_bin
  mkdir -p "$pg_dir"
  if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$pg_dir"; fi
  as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U llmgw --auth=trust --encoding=UTF8 --locale=C \
    --no-sync >"$pg_dir/initdb.log" 2>&1 || { cat "$pg_dir/initdb.log" >&2; die "initdb failed"; }
  for attempt in 1 2 3; do
    pg_port=$(free_port)
    # Test-only settings: durability off for speed; TCP on loopback only;
    # the unix socket lives in our folder, not in /var/run/postgresql.
    if as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" -w -t 30 \
        -o "-p $pg_port -c listen_addresses=127.0.0.1 -k $pg_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null; then
      break
    fi
    [[ $attempt -lt 3 ]] || { cat "$pg_dir/postgres.log" >&2 || true; die "postgres did not start"; }
  done
  psql -h 127.0.0.1 -p "$pg_port" -U llmgw -d postgres -v ON_ERROR_STOP=1 -qc 'create database llmgw' >/dev/null \
    || die "create database failed"
  pg_ok() { psql "postgresql://llmgw@127.0.0.1:$pg_port/llmgw" -tAc 'select 1' | grep -qx 1; }
  wait_for 10 "postgres on :$pg_port" pg_ok || die "postgres does not answer"
  pg_url="postgresql://llmgw@127.0.0.1:$pg_port/llmgw"
}

stop_postgres() {  # stop_postgres DIR : the cluster start_postgres made in DIR, when it runs
  [[ -f "$1/data/postmaster.pid" ]] || return 0
  find_pg_bin
  as_pg "$pg_bin/pg_ctl" -D "$1/data" -m immediate -w -t 20 stop >/dev/null 2>&1 || log "pg_ctl stop failed"
}

start() {
  command -v redis-server >/dev/null 2>&1 || die "redis-server not found (scripts/install-deps.sh installs it)"
  find_pg_bin
  if [[ -f "$env_file" ]]; then
    log "$env_file exists: stopping the services it names first"
    stop
  fi

  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/llmgw-services.XXXXXX")
  # The postgres user must be able to reach its data folder inside.
  chmod 755 "$dir"
  mkdir -p "$(dirname "$env_file")"
  # Written before anything starts, so stop can clean up a half-done start.
  : >"$env_file"
  emit LLMGW_SERVICES_DIR "$dir"

  # --- Redis ---------------------------------------------------------------
  local redis_port attempt
  for attempt in 1 2 3; do
    redis_port=$(free_port)
    if start_redis "$redis_port" "$dir/redis" && wait_for 10 "redis on :$redis_port" redis_pong "$redis_port"; then
      break
    fi
    [[ $attempt -lt 3 ]] || { cat "$dir/redis/redis.log" >&2 || true; die "redis did not start"; }
  done
  emit REDIS_URL "redis://127.0.0.1:$redis_port"

  # --- Redis Cluster (opt-in) ----------------------------------------------
  if [[ ${LLMGW_REDIS_CLUSTER:-0} == 1 ]]; then
    local nodes=() n p
    for n in 1 2 3; do
      p=$(free_port)
      start_redis "$p" "$dir/redis-cluster-$n" --cluster-enabled yes \
        --cluster-config-file "$dir/redis-cluster-$n/nodes.conf" --cluster-node-timeout 2000
      wait_for 10 "redis cluster node on :$p" redis_pong "$p" || die "redis cluster node did not start"
      nodes+=("127.0.0.1:$p")
    done
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$dir/redis-cluster-create.log" 2>&1 \
      || { cat "$dir/redis-cluster-create.log" >&2; die "redis cluster create failed"; }
    cluster_ok() { redis-cli -h 127.0.0.1 -p "${nodes[0]##*:}" cluster info | grep -q 'cluster_state:ok'; }
    wait_for 20 "redis cluster" cluster_ok || die "redis cluster did not reach state ok"
    emit REDIS_CLUSTER_NODES "$(IFS=,; echo "${nodes[*]}")"
  fi

  # --- PostgreSQL ----------------------------------------------------------
  start_postgres "$dir/pg"
  emit DATABASE_URL "$pg_url"

  log "env written to $env_file"
}

stop() {
  [[ -f "$env_file" ]] || { log "nothing to stop ($env_file not found)"; return 0; }
  local LLMGW_SERVICES_DIR=""
  # shellcheck disable=SC1090
  source "$env_file"
  local dir=$LLMGW_SERVICES_DIR
  if [[ -n "$dir" && -d "$dir" ]]; then
    stop_postgres "$dir/pg"
    local pidfile pid
    for pidfile in "$dir"/redis*/redis.pid; do
      [[ -f "$pidfile" ]] || continue
      pid=$(cat "$pidfile")
      kill "$pid" 2>/dev/null || continue
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    done
    case "$dir" in
      "${TMPDIR:-/tmp}"/llmgw-services.*) rm -rf "$dir" ;;
      *) log "not removing unexpected folder $dir" ;;
    esac
  fi
  rm -f "$env_file"
  log "stopped"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  env) [[ -f "$env_file" ]] || die "$env_file not found: run '$0 start' first"; cat "$env_file" ;;
  start-postgres) [[ -n ${2:-} ]] || die "start-postgres: which folder?"; start_postgres "$2"; echo "$pg_url" ;;
  stop-postgres) [[ -n ${2:-} ]] || die "stop-postgres: which folder?"; stop_postgres "$2" ;;
  *) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
