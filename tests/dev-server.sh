# Sourced by the test and benchmark scripts that need a live dev server.
# start_dev_server BINARY DIR: a dev-mode server (SQLite in DIR/data, demo data) on a free port, logging
# to DIR/server.log. Sets DEV_URL and DEV_PID; returns once /readyz answers, or fails with the log.
start_dev_server() {
  local bin=$1 dir=$2 port
  mkdir -p "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  DEV_URL="http://127.0.0.1:$port"
  "$bin" --bind "127.0.0.1:$port" --public-url "$DEV_URL" --data-dir "$dir/data" --log-format json \
    >"$dir/server.log" 2>&1 &
  DEV_PID=$!
  for _ in $(seq 1 100); do
    curl -sf "$DEV_URL/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  tail -n 40 "$dir/server.log" >&2
  echo "the dev server ($bin) did not become ready" >&2
  return 1
}

# with_dev_server: for a suite script run from the repository's root: builds the server if it is not built,
# starts it in a fresh temporary WORK directory, and stops it and removes WORK when the script exits.
with_dev_server() {
  [ -x target/debug/egov-server ] || cargo build -q -p egov-server
  WORK=$(mktemp -d)
  DEV_PID=
  trap 'kill $DEV_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
  start_dev_server target/debug/egov-server "$WORK"
}
