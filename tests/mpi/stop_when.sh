# Sourced by the checkpoint tests. stop_when PID FILE PATTERN: waits (up to a minute) until
# FILE exists or the process PID (mpiexec) ends, then sends SIGTERM to every process whose
# command line matches PATTERN (mpiexec and its ranks), as a batch system ends a job at its
# time limit, and waits for PID; returns its exit code.
stop_when() {
  local pid=$1 file=$2 pattern=$3
  for _ in $(seq 1 12000); do
    [ -f "$file" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.005
  done
  pkill -TERM -f -- "$pattern"
  wait "$pid"
}
