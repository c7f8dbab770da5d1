#!/usr/bin/env bash
# services.sh up|down|status — one ZooKeeper, Redis and PostgreSQL for the demo and for users.
#   up:     docker compose when a Docker engine answers, else local processes from the Debian
#           packages (installed when missing, as prepare.sh does), data under .zkoc/services/.
#           A server already answering on its port is reused, and said so. Prints export lines.
#   down:   stops only what `up` started, by the pids it recorded.
#   status: what runs and answers.
# Ports: ZKOC_ZK_PORT (2181), ZKOC_REDIS_PORT (6379), ZKOC_PG_PORT (5432).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib/server-packages.sh

ZK_PORT=${ZKOC_ZK_PORT:-2181}
REDIS_PORT=${ZKOC_REDIS_PORT:-6379}
PG_PORT=${ZKOC_PG_PORT:-5432}
STATE=.zkoc/services
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)

docker_answers() { command -v docker >/dev/null 2>&1 && timeout 2 docker info >/dev/null 2>&1; }

# tcp_ask <port> <payload>: prints the reply (bash /dev/tcp: there is no nc here), bounded to 2 s.
tcp_ask() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "%b" "$2" >&3 && timeout 1 cat <&3' _ "$1" "$2" 2>/dev/null || true
}
zk_answers() { tcp_ask "$ZK_PORT" 'srvr' | grep -q '^Mode: '; }
redis_answers() { tcp_ask "$REDIS_PORT" 'PING\r\nQUIT\r\n' | grep -q '^+PONG'; }
pg_answers() { "$(pg_bin_dir)/../bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2 2>/dev/null; }

wait_for() { # wait_for <name> <check-fn> <log>
  for _ in $(seq 1 300); do "$2" && return 0; sleep 0.1; done
  echo "services: $1 did not answer within 30 s; log $3 ends with:" >&2; tail -20 "$3" >&2 || true; exit 1
}

# spawn_daemon <name> <cmd…>: runs in its own session, detached from this shell, pid recorded.
spawn_daemon() {
  local name=$1; shift
  setsid "$@" >>"$STATE/$name.log" 2>&1 < /dev/null &
  echo $! > "$STATE/$name.pid"
}

as_postgres() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

up_local() {
  ensure_server_packages services
  if zk_answers; then echo "services: ZooKeeper already answers on 127.0.0.1:$ZK_PORT; reusing it" >&2
  else
    mkdir -p "$STATE/zookeeper/data"
    cat > "$STATE/zookeeper/zoo.cfg" <<CFG
tickTime=200
dataDir=$STATE/zookeeper/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
minSessionTimeout=400
maxSessionTimeout=60000
admin.enableServer=false
4lw.commands.whitelist=*
CFG
    local cp="/etc/zookeeper/conf:${ZKOC_ZOOKEEPER_JAR:-/usr/share/java/zookeeper.jar}"
    for jar in /usr/share/java/slf4j-log4j12.jar /usr/share/java/log4j-1.2.jar; do [[ -r $jar ]] && cp="$cp:$jar"; done
    spawn_daemon zookeeper "${ZKOC_JAVA:-java}" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
      -Dzookeeper.root.logger=INFO,CONSOLE -cp "$cp" org.apache.zookeeper.server.quorum.QuorumPeerMain "$STATE/zookeeper/zoo.cfg"
    wait_for ZooKeeper zk_answers "$STATE/zookeeper.log"
    echo "services: started ZooKeeper on 127.0.0.1:$ZK_PORT (pid $(cat "$STATE/zookeeper.pid"))" >&2
  fi

  if redis_answers; then echo "services: Redis already answers on 127.0.0.1:$REDIS_PORT; reusing it" >&2
  else
    mkdir -p "$STATE/redis"
    spawn_daemon redis "${ZKOC_REDIS_SERVER:-redis-server}" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$STATE/redis" --daemonize no
    wait_for Redis redis_answers "$STATE/redis.log"
    echo "services: started Redis on 127.0.0.1:$REDIS_PORT (pid $(cat "$STATE/redis.pid"))" >&2
  fi

  local pgbin; pgbin=$(pg_bin_dir)
  if pg_answers; then echo "services: PostgreSQL already answers on 127.0.0.1:$PG_PORT; reusing it" >&2
  else
    local pgdir="$STATE/postgres"
    mkdir -p "$pgdir"
    if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$pgdir"; chmod o+x "$STATE" "$(dirname "$STATE")"; fi
    if [[ ! -f "$pgdir/data/PG_VERSION" ]]; then
      as_postgres "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync --no-instructions >>"$STATE/postgres.log" 2>&1
    fi
    if [[ $(id -u) -eq 0 ]]; then
      spawn_daemon postgres runuser -u postgres -- "$pgbin/postgres" -D "$pgdir/data" -p "$PG_PORT" -k "$pgdir" -c listen_addresses=127.0.0.1
    else
      spawn_daemon postgres "$pgbin/postgres" -D "$pgdir/data" -p "$PG_PORT" -k "$pgdir" -c listen_addresses=127.0.0.1
    fi
    wait_for PostgreSQL pg_answers "$STATE/postgres.log"
    echo "services: started PostgreSQL on 127.0.0.1:$PG_PORT (pid $(cat "$STATE/postgres.pid"))" >&2
  fi
  # The zkoc database: created when missing (a reused server may refuse; then say so).
  if ! "$pgbin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'zkoc'" 2>/dev/null | grep -q 1; then
    "$pgbin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qc 'CREATE DATABASE zkoc' >/dev/null 2>&1 \
      || echo "services: could not create database zkoc on 127.0.0.1:$PG_PORT as postgres; create it yourself" >&2
  fi
}

print_exports() {
  echo "export ZKOC_ZK=127.0.0.1:$ZK_PORT"
  echo "export ZKOC_REDIS=redis://127.0.0.1:$REDIS_PORT"
  echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/zkoc"
}

down_local() {
  local name pid signal
  for name in postgres redis zookeeper; do
    [[ -f "$STATE/$name.pid" ]] || continue
    pid=$(cat "$STATE/$name.pid")
    signal=TERM; [[ $name == postgres ]] && signal=INT   # PostgreSQL: fast shutdown
    # setsid made the pid a session and group leader: signal its group (runuser + postgres).
    if kill -0 "$pid" 2>/dev/null; then
      kill -s "$signal" -- "-$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -s KILL -- "-$pid" 2>/dev/null || true
      echo "services: stopped $name (pid $pid)" >&2
    fi
    rm -f "$STATE/$name.pid"
  done
}

status() {
  local name pid
  for name in zookeeper redis postgres; do
    pid=""; [[ -f "$STATE/$name.pid" ]] && pid=$(cat "$STATE/$name.pid")
    local check=zk_answers port=$ZK_PORT
    [[ $name == redis ]] && check=redis_answers port=$REDIS_PORT
    [[ $name == postgres ]] && check=pg_answers port=$PG_PORT
    local answers=no; "$check" && answers=yes
    local owner="not started by services.sh"; [[ -n $pid ]] && { kill -0 "$pid" 2>/dev/null && owner="started by services.sh, pid $pid" || owner="recorded pid $pid is gone"; }
    echo "$name 127.0.0.1:$port answers=$answers ($owner)"
  done
}

case "${1:-}" in
  up)
    if docker_answers; then
      echo "services: Docker engine answers; using docker compose" >&2
      ZKOC_ZK_PORT=$ZK_PORT ZKOC_REDIS_PORT=$REDIS_PORT ZKOC_PG_PORT=$PG_PORT docker compose up -d --wait
      touch "$STATE/compose"
    else
      up_local
    fi
    print_exports ;;
  down)
    if [[ -f "$STATE/compose" ]]; then docker compose down; rm -f "$STATE/compose"; fi
    down_local ;;
  status)
    if [[ -f "$STATE/compose" ]]; then docker compose ps; fi
    status ;;
  *) echo "usage: scripts/services.sh up|down|status" >&2; exit 2 ;;
esac
