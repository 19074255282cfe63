# Shell functions that start the servers bench/load compares, sourced by run-load.sh and run-load-gpu.sh.
# Each start_* prints the process id; the caller stops it (stop_server) and names the log file.

# free_port: a TCP port nobody listens on right now (the OS picks it)
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_until_ok URL PID SECONDS: waits for URL to answer 200 while PID lives; fails with the reason
wait_until_ok() {
  local url=$1 pid=$2 seconds=$3 i
  for i in $(seq 1 $((seconds * 5))); do
    curl -sf -o /dev/null "$url" && return 0
    kill -0 "$pid" 2>/dev/null || { echo "the server (pid $pid) exited before $url answered" >&2; return 1; }
    sleep 0.2
  done
  echo "$url did not answer within $seconds s" >&2
  return 1
}

# start_llama_server BIN MODEL SLOTS CTX_PER_SLOT THREADS PORT LOG [ARG...]: one llama-server with SLOTS parallel
# sequences of CTX_PER_SLOT tokens each (-c is the total), its Prometheus metrics on the API port
start_llama_server() {
  local bin=$1 model=$2 slots=$3 ctx=$4 threads=$5 port=$6 log=$7
  shift 7
  "$bin/llama-server" -m "$model" -np "$slots" -c $((slots * ctx)) -t "$threads" -tb "$threads" --metrics \
    --host 127.0.0.1 --port "$port" "$@" >"$log" 2>&1 &
  echo $!
}

# start_chorus_silo SILO_DLL HTTP_PORT METRICS_PORT LOG [SETTING...]: one chorus-silo on loopback (development
# clustering, no gRPC endpoint) serving the OpenAI API; SETTINGs are --Chorus:… arguments (models, packs). SILO_DLL
# may be a self-contained apphost (run as is) or a .dll (run by dotnet).
start_chorus_silo() {
  local silo=$1 http=$2 metrics=$3 log=$4 port
  shift 4
  port=$(free_port)
  local run=("$silo")
  [[ "$silo" == *.dll ]] && run=(dotnet "$silo")
  "${run[@]}" --Chorus:Cluster:Provider=development --Chorus:Cluster:SiloPort="$port" \
    --Chorus:Cluster:GatewayPort="$(free_port)" --Chorus:Cluster:PrimarySilo=127.0.0.1:"$port" --Chorus:Cluster:GrpcPort=0 \
    --Chorus:Cluster:HttpPort="$http" --Chorus:Cluster:MetricsPort="$metrics" --Logging:LogLevel:Default=Warning \
    "$@" >"$log" 2>&1 &
  echo $!
}

# model_settings INDEX ID PATH CTX SLOTS THREADS: the --Chorus:Models:INDEX:… arguments of one served model, one a
# line (read them with mapfile); THREADS 0 = the silo's default, its cores shared among its models
model_settings() {
  local i=$1
  printf '%s\n' "--Chorus:Models:$i:Id=$2" "--Chorus:Models:$i:Path=$3" "--Chorus:Models:$i:ContextSize=$4" "--Chorus:Models:$i:MaxSequences=$5"
  if [ "$6" -gt 0 ]; then echo "--Chorus:Models:$i:Threads=$6"; fi
}

# stop_server PID: stops it and waits up to 60 s until it is gone (a silo drains first; a server started inside $(…)
# is not this shell's child, so `wait` cannot be used)
stop_server() {
  local pid=${1:-} i
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
}
