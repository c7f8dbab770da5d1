# shellcheck shell=bash
# Shared by prepare.sh and services.sh: finds the server binaries, installs the Debian packages
# when they are missing and we are root, else fails with the exact command.

SERVER_PACKAGES_INSTALL="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y zookeeper redis-server postgresql"

pg_bin_dir() {
  if [[ -n "${ZKOC_PG_BIN:-}" ]]; then echo "$ZKOC_PG_BIN"; return; fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n | tail -1 || true)
  echo "${dir:-/usr/lib/postgresql/NONE/bin}"
}

missing_server_binaries() {
  local missing=()
  command -v "${ZKOC_JAVA:-java}" >/dev/null 2>&1 || missing+=("java")
  [[ -r "${ZKOC_ZOOKEEPER_JAR:-/usr/share/java/zookeeper.jar}" ]] || missing+=("zookeeper.jar")
  command -v "${ZKOC_REDIS_SERVER:-redis-server}" >/dev/null 2>&1 || missing+=("redis-server")
  local pg; pg=$(pg_bin_dir)
  [[ -x "$pg/initdb" && -x "$pg/postgres" ]] || missing+=("postgresql (initdb, postgres)")
  echo "${missing[*]:-}"
}

# ensure_server_packages <label>
ensure_server_packages() {
  local label=$1 missing
  missing=$(missing_server_binaries)
  if [[ -z "$missing" ]]; then echo "$label: server binaries present"; return 0; fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "$label: missing server binaries: $missing" >&2
    echo "$label: install them with:  sudo sh -c '$SERVER_PACKAGES_INSTALL'" >&2
    exit 1
  fi
  echo "$label: installing server packages (missing: $missing)"
  apt-get update >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y zookeeper redis-server postgresql >/dev/null
  missing=$(missing_server_binaries)
  if [[ -n "$missing" ]]; then echo "$label: still missing after install: $missing" >&2; exit 1; fi
}
