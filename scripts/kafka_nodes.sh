# The Kafka nodes of scripts/stack: start, wait for, stop one node (the single node or one of
# the cluster's). Sourced by scripts/stack after common.sh, never run; uses its KAFKA_DIR.
# shellcheck shell=bash

# A Kafka node: its directory, ports, properties template and, in the cluster, its id and the
# controller voters. The single node lives in .run/kafka; the cluster's in .run/kafka-cluster/nodeN.
node_running() {  # DIR
  local pid
  pid=$(cat "$1/kafka.pid" 2>/dev/null) || return 1
  # A pid file whose process is gone, or is now another program, is stale.
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "kafka.Kafka $1/server.properties"; then
    return 0
  fi
  rm -f "$1/kafka.pid"; return 1
}

java_args() {  # DIR
  JAVA_ARGS=(-Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$ROOT/infra/kafka/log4j2.properties" -Dkafka.logs.dir="$1"
    -cp "$KAFKA_DIR/libs/*")
}

node_up() {  # DIR BROKER_PORT CONTROLLER_PORT TEMPLATE CLUSTER_ID [NODE_ID VOTERS]
  local dir=$1 port=$2 ctrl=$3 template=$4 cluster_id=$5 node_id=${6:-1} voters=${7:-}
  [ -f "$KAFKA_DIR/libs/.stamp" ] || die "Kafka jars missing; run ./scripts/setup"
  if node_running "$dir"; then say "kafka already running on 127.0.0.1:$port"; return; fi
  port_open "$port" && die "port $port is taken by another program (set GRIDFLOW_STACK_KAFKA_PORT)"
  mkdir -p "$dir/data"
  java_args "$dir"
  sed -e "s#@BROKER_PORT@#$port#g; s#@CONTROLLER_PORT@#$ctrl#g; s#@DATA_DIR@#$dir/data#g" \
    -e "s#@NODE_ID@#$node_id#g; s#@VOTERS@#$voters#g" "$template" >"$dir/server.properties"
  if [ ! -f "$dir/data/meta.properties" ]; then
    say "formatting kafka storage in $dir"
    java "${JAVA_ARGS[@]}" kafka.tools.StorageTool format --cluster-id="$cluster_id" -c "$dir/server.properties" >/dev/null
  fi
  say "starting kafka on 127.0.0.1:$port"
  : >"$dir/server.log"
  setsid nohup java "${JAVA_ARGS[@]}" kafka.Kafka "$dir/server.properties" \
    >"$dir/console.log" 2>&1 </dev/null &
  local launcher=$!
  # setsid may fork: record the JVM's own pid, not the launcher's.
  for _ in $(seq 1 20); do
    pgrep -f "kafka.Kafka $dir/server.properties" >"$dir/kafka.pid" && break
    sleep 0.1
  done
  [ -s "$dir/kafka.pid" ] || echo "$launcher" >"$dir/kafka.pid"
}

node_wait() {  # DIR PORT: until the node says it started
  local dir=$1 port=$2
  for _ in $(seq 1 180); do
    if grep -q "Kafka Server started" "$dir/server.log" 2>/dev/null && port_open "$port"; then return; fi
    node_running "$dir" || { tail -n 20 "$dir/console.log" >&2; die "kafka failed to start"; }
    sleep 0.5
  done
  die "kafka did not answer within 90 s (see $dir/server.log)"
}

node_down() {  # DIR
  node_running "$1" || return 0
  local pid; pid=$(cat "$1/kafka.pid")
  say "stopping kafka in $1"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$1/kafka.pid"
}

new_cluster_id() {
  python3 -c 'import base64,uuid;print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))'
}
