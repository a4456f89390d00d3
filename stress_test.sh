#!/usr/bin/env bash
# Sends a burst of order.created events to the ingestion API, then polls each accepted event until it
# is processed. Exits 0 only when every event was accepted (202) and processed before the deadline.
#
#   ./stress_test.sh [URL]          URL of the API, default http://localhost:5001
#
# Environment:
#   STRESS_EVENTS            number of events to send (default 50)
#   STRESS_CONCURRENCY       maximum number of requests in flight while sending (default 50)
#   STRESS_TIMEOUT_SECONDS   time the events may take to be processed once sent (default 60)
#   API_KEY                  sent as "Authorization: Bearer <API_KEY>" when set
#
# Needs bash 4.4 or later, curl and GNU coreutils.
set -euo pipefail

readonly REQUEST_TIMEOUT_SECONDS=10
readonly CONNECT_TIMEOUT_SECONDS=5
readonly POLL_INTERVAL_SECONDS=0.2
# Maximum number of failed or pending event ids printed at the end.
readonly MAX_LISTED=10

usage() {
  sed -n '2,13s/^# \{0,1\}//p' "$0"
}

fail_usage() {
  echo "stress_test.sh: $1" >&2
  echo "Run ./stress_test.sh --help for usage." >&2
  exit 2
}

require_positive_integer() {
  local name=$1 value=$2
  if ! [[ $value =~ ^[1-9][0-9]*$ ]]; then
    fail_usage "$name must be a positive integer, got '$value'"
  fi
}

now_ms() {
  echo $(($(date +%s%N) / 1000000))
}

format_seconds() {
  local ms=$1
  printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100))
}

# Sets REPLY to the value of the first "key":"value" string pair in a JSON text, or to "" when there
# is none. Bash's own regex matching keeps the per-response parsing free of subprocesses.
read_json_string() {
  local key=$1 json=$2
  local pattern="\"$key\":\"([^\"]*)\""
  REPLY=""
  if [[ $json =~ $pattern ]]; then
    REPLY=${BASH_REMATCH[1]}
  fi
}

listed_note() {
  if (($1 > MAX_LISTED)); then
    echo " (first $MAX_LISTED listed)"
  fi
}

case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
esac
[[ $# -le 1 ]] || fail_usage "expected at most one argument, the URL of the API"

base_url=${1:-http://localhost:5001}
base_url=${base_url%/}
[[ $base_url =~ ^https?://[^/]+ ]] || fail_usage "URL must start with http:// or https://, got '$base_url'"

events=${STRESS_EVENTS:-50}
concurrency=${STRESS_CONCURRENCY:-50}
timeout_seconds=${STRESS_TIMEOUT_SECONDS:-60}
require_positive_integer STRESS_EVENTS "$events"
require_positive_integer STRESS_CONCURRENCY "$concurrency"
require_positive_integer STRESS_TIMEOUT_SECONDS "$timeout_seconds"
command -v curl >/dev/null || fail_usage "curl is not installed"

work_dir=$(mktemp -d)
trap 'rm -rf "$work_dir"' EXIT

# curl reads headers from this file, so the API key never appears in the process list.
headers_file="$work_dir/headers"
touch "$headers_file"
chmod 600 "$headers_file"
if [[ -n ${API_KEY:-} ]]; then
  printf 'Authorization: Bearer %s\n' "$API_KEY" >"$headers_file"
fi

run_id="$(date -u +%Y%m%dT%H%M%SZ)-$$"

# Writes the HTTP status (000 when no response arrived) to <n>.status and the body to <n>.body.
post_event() {
  local n=$1
  local body="{\"type\":\"order.created\",\"source\":\"/stress-test\",\"data\":{\"orderId\":\"stress-$run_id-$n\",\"amountCents\":$n,\"currency\":\"EUR\"}}"
  curl --silent --show-error \
    --connect-timeout "$CONNECT_TIMEOUT_SECONDS" --max-time "$REQUEST_TIMEOUT_SECONDS" \
    --header @"$headers_file" --header 'Content-Type: application/json' \
    --data-binary "$body" \
    --output "$work_dir/$n.body" --write-out '%{http_code}' \
    "$base_url/Ingestion/ingest" >"$work_dir/$n.status" 2>"$work_dir/$n.error" || true
}

echo "stress test: $events order.created events to $base_url (run $run_id, concurrency $concurrency, timeout ${timeout_seconds} s)"

started_ms=$(now_ms)
for ((n = 1; n <= events; n++)); do
  post_event "$n" &
  while (($(jobs -rp | wc -l) >= concurrency)); do
    wait -n || true
  done
done
wait
sent_ms=$(now_ms)
echo "sent $events requests in $(format_seconds $((sent_ms - started_ms)))"

# Collect the ids of the accepted events and count the other responses by HTTP status.
ids=()
declare -A rejected_by_status=()
first_rejection=""
for ((n = 1; n <= events; n++)); do
  status=$(<"$work_dir/$n.status")
  body=""
  if [[ -f $work_dir/$n.body ]]; then
    body=$(<"$work_dir/$n.body")
  fi
  read_json_string id "$body"
  id=$REPLY
  if [[ $status == 202 && -n $id ]]; then
    ids+=("$id")
    continue
  fi
  rejected_by_status[$status]=$((${rejected_by_status[$status]:-0} + 1))
  if [[ -z $first_rejection ]]; then
    detail=${body:-$(<"$work_dir/$n.error")}
    first_rejection="event $n: HTTP $status ${detail:0:300}"
  fi
done
accepted=${#ids[@]}

# Poll every event that is still accepted with one curl call per round, which reuses its connection.
pending=("${ids[@]}")
processed=0
failed=()
deadline_ms=$(($(now_ms) + timeout_seconds * 1000))
while ((${#pending[@]} > 0 && $(now_ms) < deadline_ms)); do
  {
    printf 'write-out = "\\n"\n'
    for id in "${pending[@]}"; do
      printf 'url = "%s/Ingestion/events/%s"\n' "$base_url" "$id"
    done
  } >"$work_dir/poll.config"
  curl --silent --connect-timeout "$CONNECT_TIMEOUT_SECONDS" --max-time "$REQUEST_TIMEOUT_SECONDS" \
    --header @"$headers_file" --config "$work_dir/poll.config" >"$work_dir/poll.out" 2>/dev/null || true

  declare -A status_by_id=()
  declare -A error_by_id=()
  while IFS= read -r line; do
    read_json_string id "$line"
    id=$REPLY
    [[ -n $id ]] || continue
    read_json_string status "$line"
    status_by_id[$id]=$REPLY
    read_json_string error "$line"
    error_by_id[$id]=$REPLY
  done <"$work_dir/poll.out"

  still_pending=()
  for id in "${pending[@]}"; do
    case "${status_by_id[$id]:-}" in
      processed) processed=$((processed + 1)) ;;
      failed) failed+=("$id: ${error_by_id[$id]:-no error recorded}") ;;
      *) still_pending+=("$id") ;;
    esac
  done
  pending=("${still_pending[@]}")
  unset status_by_id error_by_id
  if ((${#pending[@]} > 0)); then
    sleep "$POLL_INTERVAL_SECONDS"
  fi
done
finished_ms=$(now_ms)

echo "accepted $accepted/$events, processed $processed/$events in $(format_seconds $((finished_ms - started_ms)))"
for status in "${!rejected_by_status[@]}"; do
  echo "not accepted: ${rejected_by_status[$status]} with HTTP $status"
done
if [[ -n $first_rejection ]]; then
  echo "first rejection: $first_rejection"
fi
if ((${#failed[@]} > 0)); then
  echo "failed: ${#failed[@]}$(listed_note ${#failed[@]})"
  printf '  %s\n' "${failed[@]:0:MAX_LISTED}"
fi
if ((${#pending[@]} > 0)); then
  echo "not processed within ${timeout_seconds} s: ${#pending[@]}$(listed_note ${#pending[@]})"
  printf '  %s\n' "${pending[@]:0:MAX_LISTED}"
fi

if ((accepted == events && processed == events)); then
  exit 0
fi
exit 1
