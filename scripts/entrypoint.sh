#!/bin/sh
# The image's entrypoint (Dockerfile). Its first argument says what the container is:
#
#   [lab] [EXPERIMENT OPTIONS]      (the default) a Flink cluster inside this container (`cluster start`), the whole
#                                   experiment against it, the verdict on stdout and as the exit code, the cluster
#                                   stopped; its logs in /opt/flink/log (mount a host directory there to keep them)
#   jobmanager|taskmanager|both [OPTIONS]
#                                   `cluster run`: Flink's processes in the foreground (docker-compose.yml)
#   COMMAND [ARGS]                  any StateLab command (`statelab COMMAND`), e.g. `savepoint` as a pipeline stage
#
# Nothing here starts Flink itself: it is the project's cluster code (scripts/Cluster.java) either way.
set -eu
cd /opt/statelab
dir=/opt/flink

require_writable_logs() {
  if ! [ -w "$dir/log" ]; then
    echo "statelab: cannot write $dir/log as uid $(id -u): make the host directory mounted there writable" \
         "(mkdir -p logs && chmod a+rwx logs) or run with --user \"\$(id -u):\$(id -g)\"" >&2
    exit 11
  fi
}

# Options alone are the experiment's: `docker run --rm statelab --control`.
case "${1:-lab}" in -*) set -- lab "$@" ;; esac

case "${1:-lab}" in
  lab)
    [ $# -gt 0 ] && shift
    for arg in "$@"; do
      case "$arg" in -h|--help|-V|--version) exec ./jbang statelab experiment "$@" ;; esac
    done
    require_writable_logs
    # The cluster's own lines (its REST URL) are talk here: stdout carries the verdict only.
    ./jbang cluster start --dir "$dir" >&2
    trap './jbang cluster stop --dir "$dir" >&2; exit 143' TERM INT
    rc=0
    ./jbang statelab experiment "$@" || rc=$?
    ./jbang cluster stop --dir "$dir" >&2 || true
    exit "$rc"
    ;;
  jobmanager|taskmanager|both)
    require_writable_logs
    exec ./jbang cluster run --dir "$dir" "$@"
    ;;
  *)
    exec ./jbang statelab "$@"
    ;;
esac
