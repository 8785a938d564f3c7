# Kannel on loopback for the demo and the benchmarks (sourced by run.sh and
# bench_notify.sh; the tests start the same boxes from C++,
# tests/support/kannel_sink.h): bearerbox with a fake SMSC, the fake SMSC's
# client from kannel-extras, which writes every SMS it gets to
# DIR/received.log, and smsbox serving sendsms.
#
#   kannel_start DIR ADMIN_PORT BOX_PORT SMSC_PORT SENDSMS_PORT USER PASSWORD
#
# Appends the three processes to the caller's array `sink_pids` (stop them
# with SIGTERM) and returns once sendsms answers.

kannel_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

kannel_start() {
  local dir=$1 admin=$2 box=$3 smsc=$4 sendsms=$5 user=$6 password=$7 _
  mkdir -p "$dir"
  cat >"$dir/kannel.conf" <<KANNEL
# Written by scripts/kannel.sh.
group = core
admin-port = $admin
admin-password = $(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
smsbox-port = $box
box-allow-ip = 127.0.0.1
log-file = $dir/bearerbox.log
log-level = 1
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = $smsc
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $box
sendsms-port = $sendsms
log-file = $dir/smsbox.log
log-level = 1

group = sendsms-user
username = $user
password = $password
concatenation = true
max-messages = 3
KANNEL
  /usr/sbin/bearerbox "$dir/kannel.conf" >"$dir/bearerbox.out" 2>&1 &
  sink_pids+=($!)
  for _ in $(seq 100); do kannel_port_open "$smsc" && break; sleep 0.1; done
  /usr/lib/kannel/test/fakesmsc -H 127.0.0.1 -r "$smsc" -i 0.1 -m 0 unused \
    >"$dir/received.log" 2>&1 &
  sink_pids+=($!)
  /usr/sbin/smsbox "$dir/kannel.conf" >"$dir/smsbox.out" 2>&1 &
  sink_pids+=($!)
  for _ in $(seq 150); do kannel_port_open "$sendsms" && return 0; sleep 0.1; done
  echo "kannel: smsbox does not answer on 127.0.0.1:$sendsms; see $dir/smsbox.log" >&2
  return 1
}
