# Sourced by the checkpoint tests. stop_when PID FILE: waits (up to a minute) until FILE exists
# or the process PID ends, then sends it SIGTERM, as a batch system ends a job at its time
# limit, and waits for it; returns its exit code.
stop_when() {
  local pid=$1 file=$2
  for _ in $(seq 1 6000); do
    [ -f "$file" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
}
