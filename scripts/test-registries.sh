#!/usr/bin/env bash
# Starts or stops the loopback registries that a CI run shares between its
# test files, all Debian's docker-registry on 127.0.0.1 with free ports:
#   plain  HTTP, anonymous
#   tls    HTTPS with a test CA, htpasswd basic auth
#   token  HTTP, bearer tokens from the tests' token server
#
# Usage: scripts/test-registries.sh start|stop|env
#   start  starts all three and prints `export BERTH_TEST_REGISTRY_...` lines
#          for eval. test/distribution/registry.ts reads those variables.
#   stop   stops the processes that start recorded, by PID, and removes the state
#   env    prints the export lines of the running registries again
#
# State (configs, certificates, storage, logs, PID files) lives in
# $BERTH_TEST_REGISTRIES_STATE, by default /tmp/berth-test-registries.
# The token server is compiled TypeScript, so run `npm run build` first.
set -Eeuo pipefail
cd "$(dirname "$0")/.."

state="${BERTH_TEST_REGISTRIES_STATE:-/tmp/berth-test-registries}"
# Test credentials for registries that listen on loopback only.
username=tester
password=secret-password
token_server=dist/test/distribution/token-server.js

log() {
  echo "test-registries: $*" >&2
}

free_port() {
  node -e 'const server = require("node:net").createServer(); server.listen(0, "127.0.0.1", () => { console.log(server.address().port); server.close(); });'
}

# Starts a command in the background with its output in $state/NAME.log and its PID in $state/NAME.pid.
start_process() {
  local name=$1
  shift
  "$@" >"$state/$name.log" 2>&1 &
  echo $! >"$state/$name.pid"
}

# Waits until GET /v2/ returns 200 or 401, either of which means the registry is serving.
wait_for_registry() {
  local name=$1 url=$2
  shift 2
  local status
  for _ in $(seq 1 150); do
    status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$@" "$url/v2/" || true)
    if [ "$status" = 200 ] || [ "$status" = 401 ]; then return 0; fi
    sleep 0.1
  done
  log "registry $name at $url did not start within 15 s; its log:"
  tail -n 20 "$state/$name.log" >&2 || true
  return 1
}

# Writes $state/NAME/config.yml for a registry on PORT. Further arguments are appended as lines.
write_config() {
  local name=$1 port=$2
  shift 2
  mkdir -p "$state/$name/storage"
  {
    echo 'version: 0.1'
    echo 'log:'
    echo '  level: warn'
    echo 'storage:'
    echo '  filesystem:'
    echo "    rootdirectory: $state/$name/storage"
    echo '  delete:'
    echo '    enabled: true'
    echo 'http:'
    echo "  addr: 127.0.0.1:$port"
    echo "  secret: $(openssl rand -hex 16)"
    printf '%s\n' "$@"
  } >"$state/$name/config.yml"
}

make_tls_files() {
  local directory="$state/tls/certificates"
  mkdir -p "$directory" "$state/tls/ca"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=Berth test CA' -keyout "$directory/ca.key" -out "$directory/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj '/CN=127.0.0.1' -keyout "$directory/server.key" -out "$directory/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$directory/server.ext"
  openssl x509 -req -in "$directory/server.csr" -CA "$directory/ca.crt" -CAkey "$directory/ca.key" -CAcreateserial -days 2 \
    -extfile "$directory/server.ext" -out "$directory/server.crt" 2>/dev/null
  # The CA gets a directory of its own, because skopeo's --cert-dir reads every *.crt and *.key in it.
  cp "$directory/ca.crt" "$state/tls/ca/ca.crt"
  htpasswd -Bbc "$state/tls/htpasswd" "$username" "$password" 2>/dev/null
}

print_env() {
  cat "$state/env"
}

start() {
  if [ -e "$state/env" ]; then
    log "registries already started in $state; run '$0 stop' first"
    exit 1
  fi
  if [ ! -f "$token_server" ]; then
    log "$token_server is missing; run 'npm run build' first"
    exit 1
  fi
  rm -rf "$state"
  mkdir -p -m 700 "$state"
  # A failed start stops what it started, so no registry outlives it.
  trap 'log "start failed; stopping what was started"; stop' ERR

  local plain_port tls_port token_port token_server_port
  plain_port=$(free_port)
  write_config plain "$plain_port"
  start_process plain /usr/bin/docker-registry serve "$state/plain/config.yml"

  make_tls_files
  tls_port=$(free_port)
  write_config tls "$tls_port" \
    "  tls:" "    certificate: $state/tls/certificates/server.crt" "    key: $state/tls/certificates/server.key" \
    'auth:' '  htpasswd:' '    realm: berth-test' "    path: $state/tls/htpasswd"
  start_process tls /usr/bin/docker-registry serve "$state/tls/config.yml"

  mkdir -p "$state/token"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=Berth test token issuer' \
    -keyout "$state/token/token.key" -out "$state/token/token.crt" 2>/dev/null
  : >"$state/token/requests.log"
  token_server_port=$(free_port)
  start_process token-server node "$token_server" --port "$token_server_port" --key "$state/token/token.key" \
    --certificate "$state/token/token.crt" --username "$username" --password "$password" \
    --service berth-test-registry --issuer berth-test-issuer --log "$state/token/requests.log"
  token_port=$(free_port)
  write_config token "$token_port" \
    'auth:' '  token:' "    realm: http://127.0.0.1:$token_server_port/token" '    service: berth-test-registry' \
    '    issuer: berth-test-issuer' "    rootcertbundle: $state/token/token.crt"
  start_process token /usr/bin/docker-registry serve "$state/token/config.yml"

  wait_for_registry plain "http://127.0.0.1:$plain_port"
  wait_for_registry tls "https://127.0.0.1:$tls_port" --cacert "$state/tls/ca/ca.crt"
  wait_for_registry token "http://127.0.0.1:$token_port"

  cat >"$state/env" <<EOF
export BERTH_TEST_REGISTRY_PLAIN=127.0.0.1:$plain_port
export BERTH_TEST_REGISTRY_PLAIN_STORAGE=$state/plain/storage
export BERTH_TEST_REGISTRY_TLS=127.0.0.1:$tls_port
export BERTH_TEST_REGISTRY_TLS_STORAGE=$state/tls/storage
export BERTH_TEST_REGISTRY_TLS_CA=$state/tls/ca/ca.crt
export BERTH_TEST_REGISTRY_TLS_USERNAME=$username
export BERTH_TEST_REGISTRY_TLS_PASSWORD=$password
export BERTH_TEST_REGISTRY_TOKEN=127.0.0.1:$token_port
export BERTH_TEST_REGISTRY_TOKEN_STORAGE=$state/token/storage
export BERTH_TEST_REGISTRY_TOKEN_LOG=$state/token/requests.log
export BERTH_TEST_REGISTRY_TOKEN_USERNAME=$username
export BERTH_TEST_REGISTRY_TOKEN_PASSWORD=$password
EOF
  trap - ERR
  log "started plain on $plain_port, tls on $tls_port, token on $token_port (token server on $token_server_port)"
  print_env
}

# Stops each recorded process by its PID, and only when its command line still names the state directory.
stop() {
  local pid_file pid waited
  for pid_file in "$state"/*.pid; do
    [ -e "$pid_file" ] || continue
    pid=$(cat "$pid_file")
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$state/"; then
      kill -TERM "$pid" 2>/dev/null || true
      waited=0
      while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 50 ]; do
        sleep 0.1
        waited=$((waited + 1))
      done
      if kill -0 "$pid" 2>/dev/null; then
        log "$(basename "$pid_file" .pid) (PID $pid) did not stop on SIGTERM within 5 s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
    rm -f "$pid_file"
  done
  rm -rf "$state"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  *)
    echo "usage: $0 start|stop|env" >&2
    exit 2
    ;;
esac
