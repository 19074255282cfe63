#!/usr/bin/env bash
# Time from SIGTERM to exit of one Redis-clustered silo whose store is gone (redis-server killed) or hung (SIGSTOP),
# after one generation ("up": the store answers, for comparison).
# Usage: bench/faults/stop-with-store-down.sh BIN_DIR [gone|hung|up] [LIMIT_SECONDS] [DRAIN_SECONDS]
# BIN_DIR holds chorus-silo.dll and chorus.dll (e.g. tests/Chorus.Silo.Tests/bin/Release/net10.0).
set -u
bin=$(cd "$1" && pwd); mode=${2:-gone}; limit=${3:-60}; drain=${4:-3}
work=$(mktemp -d /tmp/chorus-stop-XXXX)
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
rport=$(port); sport=$(port); gport=$(port); cport=$(port)
dotnet "$bin/chorus.dll" forge synthetic --seed 71 --layers 2 --embd 64 --ff 192 --ctx 1024 -o "$work/m.gguf" > /dev/null
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" --daemonize no > "$work/redis.log" 2>&1 &
redis=$!
sleep 0.5
dotnet "$bin/chorus-silo.dll" --Chorus:Cluster:Provider=redis --Chorus:Cluster:ConnectionString=127.0.0.1:$rport \
  --Chorus:Cluster:ClusterId=stop-$$ --Chorus:Cluster:SiloPort=$sport --Chorus:Cluster:GatewayPort=$gport --Chorus:Cluster:GrpcPort=$cport \
  --Chorus:Sessions:DrainSeconds=$drain --Chorus:Models:0:Id=m --Chorus:Models:0:Path="$work/m.gguf" --Chorus:Models:0:Threads=1 \
  --Logging:LogLevel:Default=Warning --Logging:LogLevel:Chorus=Information > "$work/silo.log" 2>&1 &
silo=$!
for _ in $(seq 1 240); do
  dotnet "$bin/chorus.dll" generate --endpoint "http://127.0.0.1:$cport" -m m -n 8 "Hello" > /dev/null 2>&1 && break
  sleep 0.5
done
case "$mode" in hung) kill -STOP "$redis" ;; gone) kill -KILL "$redis" ;; esac
start=$(date +%s.%N)
kill -TERM "$silo"
code=timeout
for _ in $(seq 1 $((limit * 10))); do
  if ! kill -0 "$silo" 2>/dev/null; then wait "$silo"; code=$?; break; fi
  sleep 0.1
done
end=$(date +%s.%N)
elapsed=$(python3 -c "print(f'{$end-$start:.2f}')")
if [ "$code" = timeout ]; then echo "store $mode: still running ${limit} s after SIGTERM"; kill -KILL "$silo"; else echo "store $mode: exited ${elapsed} s after SIGTERM with code $code"; fi
grep -iE "membership|leave|left" "$work/silo.log" | tail -3 | cut -c1-400
kill -CONT "$redis" 2>/dev/null; kill -KILL "$redis" 2>/dev/null
rm -rf "$work"
