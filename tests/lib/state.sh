# state.sh - publish edg state into a test Redis by docs/redis-schema.md (sourced).
#
#   state_init                      generation 1, empty, published
#   state_sender ADDR               approve ADDR (or @domain), as one committed change
#   state_unsender ADDR
#   state_suppress ADDR REASON TIME [ID]
#   state_unsuppress ADDR
#
# Needs redis_cli from redis.sh. STATE_PREFIX defaults to edg:v1. Every change is
# written the way the writer does it: hash and log entry, then a commit entry.
: "${STATE_PREFIX:=edg:v1}"
STATE_SEQ=0
_state_log() {
	STATE_SEQ=$((STATE_SEQ + 1))
	redis_cli XADD "$STATE_PREFIX:log" '*' seq "$STATE_SEQ" "$@" >/dev/null
	redis_cli SET "$STATE_PREFIX:seq" "$STATE_SEQ" >/dev/null
}
_state_commit() { _state_log op commit; }
state_init() {
	redis_cli SET "$STATE_PREFIX:gen" 1 >/dev/null
	_state_log op gen gen 1
}
state_sender() {
	redis_cli HSET "$STATE_PREFIX:1:senders" "$1" "ocid1.emailsender.test - 2026-01-01T00:00:00.000Z" >/dev/null
	_state_log op set kind sender key "$1" val x
	_state_commit
}
state_unsender() {
	redis_cli HDEL "$STATE_PREFIX:1:senders" "$1" >/dev/null
	_state_log op del kind sender key "$1"
	_state_commit
}
state_suppress() {
	rec="$2 $3 ${4:-ocid1.emailsuppression.oc1..test}"
	redis_cli HSET "$STATE_PREFIX:1:sup" "$1" "$rec" >/dev/null
	_state_log op set kind sup key "$1" val "$rec"
	_state_commit
}
state_unsuppress() {
	redis_cli HDEL "$STATE_PREFIX:1:sup" "$1" >/dev/null
	_state_log op del kind sup key "$1"
	_state_commit
}
