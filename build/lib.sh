# Shared set-up for build/run and build/test: installs PostgreSQL and Redis from apt when
# missing, and starts private instances with their data under .data/ (ignored by git).
# Sourced, not run. Idempotent: a running instance on the wanted port is reused.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_ROOT="${METRICS_DATA_DIR:-$ROOT/.data}"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=1
  fi
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Server settings for the instances these scripts start (applied when the server starts):
# PostgreSQL's defaults (128 MB shared buffers, 1 GB of WAL between checkpoints) are sized for
# tiny machines; metric tables and their indexes are large and written constantly. wal_buffers
# beyond its automatic 16 MB: every bench phase was faster with 64 MB (ADR 0021).
PG_SERVER_SETTINGS="shared_buffers=2GB effective_cache_size=8GB max_wal_size=8GB checkpoint_timeout=15min wal_compression=on wal_buffers=64MB"

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

ensure_postgres_installed() {
  if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
    apt_install postgresql postgresql-contrib
  fi
}

ensure_redis_installed() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
}

ensure_dotnet() {
  command -v dotnet >/dev/null 2>&1 || { log "the .NET SDK (see global.json) is required"; exit 1; }
}

ensure_node() {
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
}

# Headless browser for the dashboard tests (Playwright drives Debian's Chromium).
ensure_chromium() {
  [ -x /usr/bin/chromium ] || apt_install chromium
}

# The dashboard's browser libraries (SignalR client, uPlot) from npm into wwwroot/lib, which git
# ignores; redone when the lock file changes.
ensure_web_assets() {
  ensure_node
  local src="$ROOT/src/Metrics.Api/ClientLibs" lib="$ROOT/src/Metrics.Api/wwwroot/lib"
  if [ -f "$lib/.stamp" ] && [ "$lib/.stamp" -nt "$src/package-lock.json" ]; then
    return
  fi
  log "npm ci (dashboard libraries)"
  (cd "$src" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  mkdir -p "$lib"
  cp "$src/node_modules/@microsoft/signalr/dist/browser/signalr.min.js" \
     "$src/node_modules/uplot/dist/uPlot.iife.min.js" \
     "$src/node_modules/uplot/dist/uPlot.min.css" "$lib/"
  touch "$lib/.stamp"
}

# start_timescale_wasm PORT: TimescaleDB in PGlite (tests/timescale), in memory, on 127.0.0.1:PORT.
# Prints the server's PID; the caller stops it. Waits until it accepts connections.
start_timescale_wasm() {
  local port="$1" dir="$ROOT/tests/timescale" log="$DATA_ROOT/timescale-wasm-$1.log"
  ensure_node
  if port_open "$port"; then
    log "port $port is taken; set TEST_TIMESCALEDB_URL to use a running TimescaleDB, or free the port"
    return 1
  fi
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  mkdir -p "$DATA_ROOT"
  log "starting TimescaleDB (PGlite, WebAssembly) on 127.0.0.1:$port"
  node "$dir/server.mjs" "$port" >"$log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 120); do
    grep -q "^ready" "$log" 2>/dev/null && { echo "$pid"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  log "TimescaleDB (PGlite) did not start; see $log"
  kill "$pid" 2>/dev/null || true
  return 1
}

# After a benchmark: the service's own Prometheus series (metricservice_*) into a file, and where.
save_service_metrics() {
  local url="$1" file="$2"
  if curl -sf -H "Authorization: Bearer ${METRICS_API_KEY:-}" "$url/metrics" | grep '^metricservice_' >"$file"; then
    log "the service's own /metrics series after the run: $file ($(wc -l <"$file") lines)"
  else
    log "could not read $url/metrics"
  fi
}

# Debian's Python with pytest, for the Python client's tests (not whatever python3 is first on PATH).
ensure_python_pytest() {
  /usr/bin/python3 -m pytest --version >/dev/null 2>&1 || apt_install python3 python3-pytest
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# stop_postgres PORT [MODE]: stops the private cluster of that port (MODE: fast, or immediate = a crash).
stop_postgres() {
  as_root runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$DATA_ROOT/postgres-$1" stop -m "${2:-fast}" >/dev/null
}

# stop_redis PORT: stops the private Redis of that port, keeping nothing.
stop_redis() {
  redis-cli -p "$1" shutdown nosave >/dev/null 2>&1 || true
}

# start_postgres PORT DB USER PASSWORD [extra postgres -c options...]
# Prints the connection URL on stdout.
start_postgres() {
  local port=$1 db=$2 user=$3 password=$4; shift 4
  local bin dir owner
  bin="$(pg_bin)"
  dir="$DATA_ROOT/postgres-$port"
  # PostgreSQL refuses to run as root: the cluster belongs to the 'postgres' user.
  owner=postgres
  id -u "$owner" >/dev/null 2>&1 || as_root useradd --system --home-dir /var/lib/postgresql --shell /bin/bash "$owner"
  mkdir -p "$DATA_ROOT"
  chmod 755 "$DATA_ROOT"
  if [ ! -s "$dir/PG_VERSION" ]; then
    log "initialising PostgreSQL cluster in $dir"
    as_root mkdir -p "$dir"
    as_root chown "$owner" "$dir"
    as_root chmod 700 "$dir"
    as_root runuser -u "$owner" -- "$bin/initdb" -D "$dir" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! as_root runuser -u "$owner" -- "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    if port_open "$port"; then
      log "port $port is taken by another process; set TIMESCALE_URL to use it, or free the port"
      return 1
    fi
    local opts="-p $port -k $dir -c listen_addresses=127.0.0.1"
    for o in "$@"; do opts="$opts -c $o"; done
    log "starting PostgreSQL on 127.0.0.1:$port"
    as_root runuser -u "$owner" -- "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -o "$opts" -w -t 60 start >/dev/null
  fi
  local psql=("$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA)
  if [ "$(as_root runuser -u "$owner" -- "${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname='$user'")" != "1" ]; then
    as_root runuser -u "$owner" -- "${psql[@]}" -c "CREATE ROLE \"$user\" LOGIN PASSWORD '$password'"
  fi
  # CREATEDB: the tests make throw-away databases (e.g. to migrate from scratch).
  as_root runuser -u "$owner" -- "${psql[@]}" -c "ALTER ROLE \"$user\" CREATEDB"
  if [ "$(as_root runuser -u "$owner" -- "${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname='$db'")" != "1" ]; then
    as_root runuser -u "$owner" -- "${psql[@]}" -c "CREATE DATABASE \"$db\" OWNER \"$user\""
  fi
  echo "postgresql://$user:$password@127.0.0.1:$port/$db"
}

# start_redis PORT — prints the URL on stdout.
start_redis() {
  local port=$1 dir="$DATA_ROOT/redis-$1"
  mkdir -p "$dir"
  if ! redis-cli -p "$port" ping >/dev/null 2>&1; then
    if port_open "$port"; then
      log "port $port is taken by another process; set REDIS_URL to use it, or free the port"
      return 1
    fi
    log "starting Redis on 127.0.0.1:$port"
    redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --dir "$dir" \
      --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save "" --appendonly no >/dev/null
    for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  echo "redis://127.0.0.1:$port"
}
