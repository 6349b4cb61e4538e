#!/usr/bin/env bash
# Starts a single-process FoundationDB cluster on this machine, creates its
# database, waits until it is available and prints the cluster file path on
# stdout (progress goes to stderr), so this works:
#
#   export FDB_CLUSTER_FILE="$(fdb-config/start-local-cluster.sh)"
#
# Needs fdbserver and fdbcli (FoundationDB 7.3) on PATH. The server keeps
# running after the script exits; stop it with the command the script prints.
# Run again on the same directory to restart a stopped cluster with its data.
set -euo pipefail

readonly PROG="${0##*/}"
readonly EXIT_USAGE=2
readonly EXIT_MISSING_FDB=3
readonly EXIT_START_FAILED=4
# Same as single-process/configure.fdbcli: one process cannot replicate, and
# the memory engine starts fastest for the small data sets of development.
readonly CONFIGURE_NEW="configure new single memory"

usage() {
  cat >&2 <<EOF
Usage: $PROG [-p PORT] [-t SECONDS] [DIR]

Starts a one-process FoundationDB cluster on 127.0.0.1:PORT (default 4690, away
from the packaged service's 4500) with its files in DIR (default: a new
temporary directory), and prints the cluster file path.
  -p PORT      port of the fdbserver process
  -t SECONDS   how long to wait for the database (default 60)
Exit codes: 0 ok, $EXIT_USAGE usage, $EXIT_MISSING_FDB fdbserver/fdbcli missing, $EXIT_START_FAILED cluster did not come up.
EOF
}

die() {
  local code=$1
  shift
  echo "$PROG: $*" >&2
  exit "$code"
}

port=4690
timeout_s=60
while getopts ":p:t:h" opt; do
  case $opt in
    p) port=$OPTARG ;;
    t) timeout_s=$OPTARG ;;
    h) usage; exit 0 ;;
    :) usage; die "$EXIT_USAGE" "option -$OPTARG needs a value" ;;
    *) usage; die "$EXIT_USAGE" "unknown option -$OPTARG" ;;
  esac
done
shift $((OPTIND - 1))
[[ $# -le 1 ]] || { usage; die "$EXIT_USAGE" "at most one directory expected"; }
if [[ ! $port =~ ^[1-9][0-9]{0,4}$ ]] || ((port > 65535)); then
  die "$EXIT_USAGE" "port must be 1-65535, got '$port'"
fi
[[ $timeout_s =~ ^[0-9]+$ ]] || die "$EXIT_USAGE" "timeout must be whole seconds, got '$timeout_s'"

# Checked before touching the disk, so a machine without FoundationDB gets one
# clear line and no leftovers.
for tool in fdbserver fdbcli; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "$EXIT_MISSING_FDB" "$tool not found on PATH. Install the FoundationDB 7.3 server package" \
      "(https://github.com/apple/foundationdb/releases), or use fdb-config/docker/docker-compose.yml," \
      "or run fdbmeta on its embedded store, which needs no FoundationDB."
done

if [[ $# -eq 1 ]]; then
  dir=$1
  mkdir -p "$dir"
else
  dir=$(mktemp -d "${TMPDIR:-/tmp}/fdbmeta-fdb.XXXXXX")
fi
dir=$(cd "$dir" && pwd)
cluster_file="$dir/fdb.cluster"
pid_file="$dir/fdbserver.pid"
mkdir -p "$dir/data" "$dir/logs"

if [[ -f $pid_file ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  die "$EXIT_START_FAILED" "fdbserver already running for $dir (pid $(cat "$pid_file"))"
fi
if [[ ! -f $cluster_file ]]; then
  # The id only has to be unique per cluster: 12 hex digits from the kernel.
  id=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
  echo "fdbmeta_local:${id}@127.0.0.1:${port}" >"$cluster_file"
fi

echo "$PROG: starting fdbserver on 127.0.0.1:$port in $dir" >&2
nohup fdbserver --cluster-file "$cluster_file" --public-address "127.0.0.1:$port" \
  --datadir "$dir/data" --logdir "$dir/logs" >"$dir/fdbserver.out" 2>&1 &
server_pid=$!
echo "$server_pid" >"$pid_file"

# Leave no half-started server behind if anything below fails.
started=false
stop_on_failure() {
  if [[ $started != true ]]; then
    kill "$server_pid" 2>/dev/null || true
    rm -f "$pid_file"
  fi
}
trap stop_on_failure EXIT

fdbcli_run() {
  fdbcli --cluster-file "$cluster_file" --timeout 5 --exec "$1" 2>&1
}

deadline=$((SECONDS + timeout_s))
while true; do
  # Checked first: a status reply proves nothing if our server is gone.
  if ! kill -0 "$server_pid" 2>/dev/null; then
    tail -n 20 "$dir/fdbserver.out" >&2 || true
    die "$EXIT_START_FAILED" "fdbserver exited; is port $port in use? Output: $dir/fdbserver.out"
  fi
  if fdbcli_run "status minimal" | grep -q "The database is available"; then
    break
  fi
  ((SECONDS < deadline)) ||
    die "$EXIT_START_FAILED" "database not available after ${timeout_s}s; logs in $dir/logs"
  # Creating the database fails harmlessly until the server answers, and
  # after the database exists (a restart, or an earlier attempt that worked).
  fdbcli_run "$CONFIGURE_NEW" >/dev/null || true
  sleep 1
done
started=true

echo "$PROG: FoundationDB is available. Stop it with: kill \$(cat $pid_file)" >&2
echo "$cluster_file"
