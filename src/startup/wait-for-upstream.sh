#!/bin/sh
# wait-for-upstream.sh: the cdk8s-h2ogpt startup waiter.
#
# Polls WAIT_URL until it answers HTTP 2xx once, then execs its arguments (the in-app form,
# where PID 1 and signals pass to the real program) or exits 0 when it has none (the
# init-container form). One 2xx is enough: vLLM's /health turns 200 once the engine is up and
# h2oGPT retries its own requests, so demanding a streak would only add delay.
#
# Runs unchanged under bash with curl or GNU wget (the h2oGPT image) and under busybox sh with
# busybox nc (the init image). It needs a shell, date, od, sleep and kill, and under busybox also
# mkfifo, sed, tr, head and wc, all busybox applets.
#
# A redirect (3xx) means "not ready", and no request ever goes to its Location: a health URL that
# redirects elsewhere could hand the check to a host outside the mesh policy. curl does not follow
# by default and GNU wget is told not to (--max-redirect=0). busybox wget always follows and has no
# switch against it, so under busybox the request is written by hand and sent with nc, and only
# the status line is read; https there is refused, because nc cannot speak TLS.
#
# Settings, all whole seconds except WAIT_URL, read from the environment so that
# `kubectl set env` retunes a running Deployment:
#   WAIT_URL                      required; http:// or https:// URL that answers 2xx when ready
#   WAIT_DEADLINE_SECONDS         give up after this long (default 2100)
#   WAIT_INITIAL_DELAY_SECONDS    shortest pause between attempts (default 2)
#   WAIT_MAX_DELAY_SECONDS        longest pause between attempts (default 3)
#   WAIT_ATTEMPT_TIMEOUT_SECONDS  one attempt's time limit (default 5)
# Pauses are jittered within [max(initial, ceiling/2), ceiling], where the ceiling doubles from
# 2 x initial up to the maximum, so many waiters do not poll in lockstep.
#
# WAIT_PRINT_SCHEDULE=N prints the first N pauses (milliseconds) and exits, for tests.
#
# Exit status: 0 when ready (or the exec'd program's own), 64 for a missing or malformed
# setting, 69 when the deadline passes, 143 on SIGTERM and 130 on SIGINT.

me=wait-for-upstream

log() { printf '%s: %s\n' "$me" "$*" >&2; }

bad_setting() {
  log "invalid setting $1=\"$2\": $3"
  exit 64
}

# Reads a whole-seconds setting into the variable named $1 (default $2, minimum $3).
whole_seconds() {
  eval "value=\${$1-}"
  [ -n "$value" ] || value=$2
  case "$value" in
    *[!0-9]* | '') bad_setting "$1" "$value" "expected a whole number of seconds" ;;
    0?*) bad_setting "$1" "$value" "expected a whole number of seconds without leading zeros" ;;
  esac
  [ "${#value}" -le 7 ] || bad_setting "$1" "$value" "at most 9999999 seconds"
  [ "$value" -ge "$3" ] || bad_setting "$1" "$value" "must be at least $3"
  eval "$1=\$value"
}

[ -n "${WAIT_URL-}" ] || bad_setting WAIT_URL "" "set it to the upstream's health URL, e.g. http://vllm:8000/health"
case "$WAIT_URL" in
  http://?* | https://?*) ;;
  *) bad_setting WAIT_URL "$WAIT_URL" "expected an http:// or https:// URL" ;;
esac
case "$WAIT_URL" in
  *[[:space:]]*) bad_setting WAIT_URL "$WAIT_URL" "a URL cannot contain white space" ;;
esac
whole_seconds WAIT_DEADLINE_SECONDS 2100 1
whole_seconds WAIT_INITIAL_DELAY_SECONDS 2 1
whole_seconds WAIT_MAX_DELAY_SECONDS 3 1
whole_seconds WAIT_ATTEMPT_TIMEOUT_SECONDS 5 1
[ "$WAIT_MAX_DELAY_SECONDS" -ge "$WAIT_INITIAL_DELAY_SECONDS" ] ||
  bad_setting WAIT_MAX_DELAY_SECONDS "$WAIT_MAX_DELAY_SECONDS" "must be at least WAIT_INITIAL_DELAY_SECONDS ($WAIT_INITIAL_DELAY_SECONDS)"

# Scratch space for one attempt's output, made just before the first attempt (below), so that no
# exit on a bad setting leaves it behind.
work=""

# Helpers (the request, its watchdog, nc's feeder) are stopped with KILL, never TERM: busybox ash
# drops a TERM that reaches a just-forked subshell before it has reset the traps it inherited, and
# a watchdog that missed its stop made the next wait last the whole attempt limit.
child=""
watchdog=""
feeder=""
stop() {
  [ -z "$1" ] || kill -9 "$1" 2>/dev/null
}
cleanup() {
  stop "$child"
  stop "$watchdog"
  stop "$feeder"
  [ -z "$work" ] || rm -rf "$work"
}
on_signal() {
  log "received $1 while waiting for $WAIT_URL; exiting"
  cleanup
  exit "$2"
}
trap 'on_signal SIGTERM 143' TERM
trap 'on_signal SIGINT 130' INT

if command -v curl >/dev/null 2>&1; then
  client=curl
elif command -v wget >/dev/null 2>&1 && wget --version 2>/dev/null | grep -q 'GNU Wget'; then
  client=gnu-wget
elif command -v nc >/dev/null 2>&1; then
  client=nc
else
  log "none of curl, GNU wget or nc is on PATH; cannot poll $WAIT_URL"
  exit 64
fi

if [ "$client" = nc ]; then
  case "$WAIT_URL" in
    https://*) bad_setting WAIT_URL "$WAIT_URL" "https needs curl or GNU wget in the image: busybox wget follows redirects and cannot be told not to, and nc has no TLS" ;;
  esac
  # http://host[:port][/path], host possibly an [IPv6] literal.
  url_rest=${WAIT_URL#http://}
  url_authority=${url_rest%%/*}
  case "$url_rest" in
    */*) url_path="/${url_rest#*/}" ;;
    *) url_path=/ ;;
  esac
  case "$url_authority" in
    \[*\]:*) url_host=${url_authority%%]:*}; url_host=${url_host#[}; url_port=${url_authority##*]:} ;;
    \[*\]) url_host=${url_authority#[}; url_host=${url_host%]}; url_port=80 ;;
    *:*) url_host=${url_authority%:*}; url_port=${url_authority##*:} ;;
    *) url_host=$url_authority; url_port=80 ;;
  esac
  case "$url_port" in
    '' | *[!0-9]*) bad_setting WAIT_URL "$WAIT_URL" "expected a numeric port after the host" ;;
  esac
  cr=$(printf '\r')
fi

# Runs one request in place of the calling (sub)shell, so a kill reaches the client itself.
# curl prints the HTTP status on stdout; errors go to stderr. Neither client reads a config file
# (curl -q, first; wget --no-config) or a proxy variable: a ~/.curlrc with `location` would follow
# redirects, and a proxy would answer for an upstream that is down.
request() {
  case "$client" in
    curl) exec curl -q -sS --noproxy '*' -o /dev/null -w '%{http_code}' --connect-timeout "$WAIT_ATTEMPT_TIMEOUT_SECONDS" \
      --max-time "$WAIT_ATTEMPT_TIMEOUT_SECONDS" "$WAIT_URL" ;;
    # Verbose on purpose: GNU wget's quiet modes drop the read errors that name a reset. With
    # --server-response it prints the status line it got: a reply without one (GNU wget takes it for
    # HTTP/0.9 and exits 0) is no answer.
    gnu-wget) exec wget --no-config --no-proxy --server-response --tries=1 --max-redirect=0 --timeout="$WAIT_ATTEMPT_TIMEOUT_SECONDS" \
      --progress=dot -O /dev/null "$WAIT_URL" ;;
    # busybox nc quits as soon as its input ends, before a slow reply arrives, so its input is a
    # FIFO that start_nc_feeder keeps open past the attempt's time limit.
    nc) exec nc "$url_host" "$url_port" <"$work/request" ;;
  esac
}

# The request, HTTP/1.0 with Connection: close, so the server ends its reply by closing.
http_request() {
  printf 'GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: wait-for-upstream\r\nAccept: */*\r\nConnection: close\r\n\r\n' \
    "$url_path" "$url_authority"
}

# Writes the request into the FIFO nc reads, then holds it open until after the watchdog would
# have stopped the attempt; sets $feeder to its PID.
start_nc_feeder() {
  rm -f "$work/request"
  mkfifo "$work/request" || return 1
  { http_request; exec sleep "$((WAIT_ATTEMPT_TIMEOUT_SECONDS + 2))"; } >"$work/request" 2>/dev/null &
  feeder=$!
}

# Whether the raw reply in file $1 is whole: busybox nc exits 0 even when the server resets the
# connection mid-reply, so a body shorter than its Content-Length is a failed attempt.
nc_reply_whole() {
  length=$(sed -n "1,/^$cr\{0,1\}\$/p" "$1" | tr -d "$cr" | sed -n 's/^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-[Ll][Ee][Nn][Gg][Tt][Hh]: *//p' | head -n 1)
  case "$length" in
    '' | *[!0-9]*) return 0 ;; # no length: the server's close ended the reply
  esac
  header_bytes=$(sed -n "1,/^$cr\{0,1\}\$/p" "$1" | wc -c)
  [ $(($(wc -c <"$1") - header_bytes)) -ge "$length" ]
}

# The reason for an HTTP status that is not 2xx.
status_result() {
  case "$1" in
    3??) result="HTTP $1 (redirect, not followed)" ;;
    *) result="HTTP $1" ;;
  esac
}

# Turns one attempt's exit code, stdout and stderr into a short reason; returns 0 when ready.
classify() {
  rc=$1 out=$2 err=$3
  if [ "$client" = nc ]; then
    # Only the status line counts; the reply is complete only if nc saw the server close. Split
    # into words with globbing off: a status line of patterns must not walk the file system.
    set -f
    # shellcheck disable=SC2046 # split the status line into words on purpose
    set -- $(printf '%s\n' "$out" | head -n 1 | tr -d '\r')
    set +f
    status=${2-}
    case "$rc:${1-}:$status" in
      0:HTTP/[0-9]*:2[0-9][0-9])
        if ! nc_reply_whole "$work/out"; then
          result="connection reset"
          return 1
        fi
        result="HTTP $status"
        return 0 ;;
      0:HTTP/[0-9]*:[1-5][0-9][0-9]) status_result "$status"; return 1 ;;
      0:*) result="connection closed without a reply"; return 1 ;;
    esac
  elif [ "$rc" -eq 0 ]; then
    case "$client:$out" in
      curl:2[0-9][0-9]) result="HTTP $out"; return 0 ;;
      curl:*) status_result "$out"; return 1 ;;
    esac
    # GNU wget: the last status line --server-response printed (after a redirect there would be two).
    status=$(printf '%s\n' "$err" | sed -n 's/^ *HTTP\/[0-9][0-9.]* \([0-9][0-9][0-9]\).*/\1/p' | tail -n 1)
    case "$status" in
      2[0-9][0-9]) result="HTTP $status"; return 0 ;;
      '') result="no HTTP status line in the reply"; return 1 ;;
      *) status_result "$status"; return 1 ;;
    esac
  fi
  # 137/143: the watchdog stopped an attempt that outlived its time limit.
  if [ "$rc" -eq 137 ] || [ "$rc" -eq 143 ]; then
    result="timeout after ${WAIT_ATTEMPT_TIMEOUT_SECONDS}s"
    return 1
  fi
  if [ "$client" = curl ]; then
    case "$rc" in
      6) result="DNS failure" ;;
      7) result="connection refused" ;;
      28) result="timeout after ${WAIT_ATTEMPT_TIMEOUT_SECONDS}s" ;;
      52) result="connection closed without a reply" ;;
      56 | 35) result="connection reset" ;;
      *) result="curl exit $rc" ;;
    esac
    return 1
  fi
  case "$err" in
    # GNU wget with --max-redirect=0: "awaiting response... 302 Found ... 0 redirections exceeded."
    *"redirections exceeded"*) status_result "$(printf '%.3s' "${err##*awaiting response... }")" ;;
    *"server returned error: HTTP/"*) result="HTTP $(printf '%s' "${err#*HTTP/}" | cut -d' ' -f2)" ;;
    *"ERROR "[0-9][0-9][0-9]*) result="HTTP $(printf '%s' "${err##*ERROR }" | cut -c1-3)" ;;
    *[Rr]efused*) result="connection refused" ;;
    *"bad address"* | *"unable to resolve"* | *"resolve host"* | *"Name or service not known"* | *"name resolution"*) result="DNS failure" ;;
    *"timed out"*) result="timeout after ${WAIT_ATTEMPT_TIMEOUT_SECONDS}s" ;;
    *[Rr]eset*) result="connection reset" ;;
    *) result="$client exit $rc: $(printf '%s' "$err" | tail -n 1 | cut -c1-200)" ;;
  esac
  return 1
}

# Kills process $1 if it outlives the attempt time limit. Stopped with KILL, it leaves its sleep
# to end by itself within that limit; the sleep holds nothing.
watchdog_for() {
  sleep "$((WAIT_ATTEMPT_TIMEOUT_SECONDS + 1))"
  kill -9 "$1" 2>/dev/null
}

# One attempt, bounded by a watchdog so that a server that accepts and never answers cannot
# hold it past WAIT_ATTEMPT_TIMEOUT_SECONDS (busybox nc has no timeout option of its own).
attempt() {
  if [ "$client" = nc ] && [ -z "$work" ]; then
    result="no writable temporary directory for nc's request (mount one at /tmp)"
    return 1
  fi
  if [ -z "$work" ]; then
    both=$(request 2>&1)
    rc=$?
    classify "$rc" "$both" "$both"
    return
  fi
  [ "$client" != nc ] || start_nc_feeder
  request >"$work/out" 2>"$work/err" &
  child=$!
  watchdog_for "$child" >/dev/null 2>&1 &
  watchdog=$!
  wait "$child"
  rc=$?
  child=""
  stop "$watchdog"
  wait "$watchdog" 2>/dev/null
  watchdog=""
  if [ -n "$feeder" ]; then
    stop "$feeder"
    wait "$feeder" 2>/dev/null
    feeder=""
  fi
  classify "$rc" "$(cat "$work/out")" "$(cat "$work/err")"
}

now() { date +%s; }

# Sets $random to a random whole number in [0, $1]. Uses the shell's RANDOM (bash, busybox ash)
# without a subshell, so it advances; elsewhere /dev/urandom.
random_upto() {
  if [ -n "${RANDOM-}" ]; then
    random=$(((RANDOM * 32768 + RANDOM) % ($1 + 1)))
  else
    random=$(od -An -N4 -tu4 /dev/urandom 2>/dev/null | tr -d ' ')
    [ -n "$random" ] || random=$$
    random=$((random % ($1 + 1)))
  fi
}

# Sets $pause to the pause after attempt $1, in milliseconds.
next_pause() {
  ceiling=$((WAIT_INITIAL_DELAY_SECONDS * 2000))
  cap=$((WAIT_MAX_DELAY_SECONDS * 1000))
  i_=1
  while [ "$i_" -lt "$1" ] && [ "$ceiling" -lt "$cap" ]; do
    ceiling=$((ceiling * 2))
    i_=$((i_ + 1))
  done
  [ "$ceiling" -le "$cap" ] || ceiling=$cap
  floor=$((ceiling / 2))
  [ "$floor" -ge $((WAIT_INITIAL_DELAY_SECONDS * 1000)) ] || floor=$((WAIT_INITIAL_DELAY_SECONDS * 1000))
  [ "$floor" -le "$ceiling" ] || floor=$ceiling
  random_upto $((ceiling - floor))
  pause=$((floor + random))
}

# Sleeps $1 milliseconds, interruptible by SIGTERM. In slices of at most half a second: bash and
# ash can miss a trapped signal that arrives just before `wait` blocks, and then run the trap only
# when the sleep ends, so a slice bounds that delay (1 in 200 SIGTERMs under load, before).
pause() {
  left=$1
  while [ "$left" -gt 0 ]; do
    slice=$left
    [ "$slice" -le 500 ] || slice=500
    # "0." and three digits, without a subshell: 1000 + slice has four digits, the first a 1.
    digits=$((1000 + slice))
    sleep "0.${digits#1}" &
    child=$!
    wait "$child"
    child=""
    left=$((left - slice))
  done
}

# For tests and the startup benchmark: print the first N pauses in milliseconds, one a line,
# computed exactly as the loop below computes them, and exit.
if [ -n "${WAIT_PRINT_SCHEDULE-}" ]; then
  case "$WAIT_PRINT_SCHEDULE" in
    *[!0-9]* | '' | 0?*) bad_setting WAIT_PRINT_SCHEDULE "$WAIT_PRINT_SCHEDULE" "expected a count of pauses" ;;
  esac
  i=1
  while [ "$i" -le "$WAIT_PRINT_SCHEDULE" ]; do
    next_pause "$i"
    echo "$pause"
    i=$((i + 1))
  done
  exit 0
fi

# Without scratch space attempts run in the foreground, and a SIGTERM is then handled only when
# the attempt ends (at most WAIT_ATTEMPT_TIMEOUT_SECONDS).
work=$(mktemp -d 2>/dev/null) || work=""
started=$(now)
deadline=$((started + WAIT_DEADLINE_SECONDS))
log "waiting for $WAIT_URL (deadline ${WAIT_DEADLINE_SECONDS}s, pauses ${WAIT_INITIAL_DELAY_SECONDS}-${WAIT_MAX_DELAY_SECONDS}s, attempt timeout ${WAIT_ATTEMPT_TIMEOUT_SECONDS}s, client $client)"
n=0
while :; do
  n=$((n + 1))
  if attempt; then
    log "attempt $n: $WAIT_URL is ready ($result) after $(($(now) - started))s"
    break
  fi
  remaining=$((deadline - $(now)))
  if [ "$remaining" -le 0 ]; then
    log "gave up: $WAIT_URL was not ready within WAIT_DEADLINE_SECONDS=${WAIT_DEADLINE_SECONDS}s after $n attempts; last result: $result"
    cleanup
    exit 69
  fi
  next_pause "$n"
  delay=$pause
  [ "$delay" -le $((remaining * 1000)) ] || delay=$((remaining * 1000))
  log "attempt $n: $WAIT_URL not ready ($result); next attempt in $(($delay / 1000)).$(printf '%03d' $(($delay % 1000)))s, ${remaining}s left"
  pause "$delay"
done

cleanup
trap - TERM INT
if [ "$#" -gt 0 ]; then
  log "starting: $*"
  exec "$@"
fi
exit 0
