#!/usr/bin/env bash
# Records small real-kernel captures for the capture tests, over loopback inside a private
# network namespace (no traffic leaves it). Needs root, tcpdump, python3, iproute2.
# Usage: tests/capture/make-captures.sh [outdir [case]]   (default: tests/capture/data, every case)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/data}"
only="${2:-}"
ns="tcplab-cap-$$"
mkdir -p "$out"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT

run_case() {  # name, python program (server and client in one process)
  local name="$1" prog="$2"
  if [ -n "$only" ] && [ "$only" != "$name" ]; then return 0; fi
  ip netns del "$ns" 2>/dev/null || true   # a fresh namespace per case: no TIME_WAIT left over
  ip netns add "$ns"
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" tcpdump -i lo -w "$out/$name.pcap" -s 200 -U 'tcp port 5000' 2>/dev/null &
  local tp=$!
  sleep 0.5
  ip netns exec "$ns" python3 -c "$prog" > "$out/$name.ss.txt"
  sleep 0.3
  kill "$tp"; wait "$tp" 2>/dev/null || true
  echo "$name: $(stat -c %s "$out/$name.pcap") bytes"
}

common='
import socket, struct, subprocess, time, threading
def ss(label):
    r = subprocess.run(["ss", "-tan", "sport = :5000 or dport = :5000"], capture_output=True, text=True).stdout
    print("## " + label); print(r, end="")
L = socket.socket(); L.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
L.bind(("127.0.0.1", 5000)); L.listen(8)
'

run_case normal "$common
c = socket.create_connection(('127.0.0.1', 5000)); s, _ = L.accept()
c.sendall(b'hello from the client\n'); s.recv(100); s.sendall(b'hi\n'); c.recv(100)
time.sleep(0.05); ss('established')
c.close(); time.sleep(0.05); ss('after client close')
s.recv(100); s.close(); time.sleep(0.05); ss('after server close')
"

run_case server-closes-first "$common
c = socket.create_connection(('127.0.0.1', 5000)); s, _ = L.accept()
s.sendall(b'bye\n'); s.close(); time.sleep(0.05); ss('after server close')
c.recv(100); c.recv(100); c.close(); time.sleep(0.05); ss('after client close')
"

run_case refused "
import socket, subprocess
c = socket.socket()
try: c.connect(('127.0.0.1', 5000))
except ConnectionRefusedError: print('## refused')
"

run_case reset-unread "$common
c = socket.create_connection(('127.0.0.1', 5000)); s, _ = L.accept()
c.sendall(b'data the server never reads\n'); time.sleep(0.05)
s.close(); time.sleep(0.05); ss('after server close with unread data')
"

run_case linger0 "$common
c = socket.create_connection(('127.0.0.1', 5000)); s, _ = L.accept()
c.sendall(b'x'); s.recv(10)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); c.close()
time.sleep(0.05); ss('after abortive close')
"

run_case half-close "$common
c = socket.create_connection(('127.0.0.1', 5000)); s, _ = L.accept()
c.sendall(b'request\n'); c.shutdown(socket.SHUT_WR); time.sleep(0.05); ss('client shut down writing')
s.recv(100); s.recv(100); s.sendall(b'response after the client FIN\n'); time.sleep(0.05)
c.recv(100); s.close(); time.sleep(0.05); c.recv(100); c.close(); time.sleep(0.05); ss('both closed')
"

run_case both-shutdown "$common
c = socket.create_connection(('127.0.0.1', 5000)); s, _ = L.accept()
c.shutdown(socket.SHUT_WR); s.shutdown(socket.SHUT_WR)
time.sleep(0.05); ss('both shut down')
c.close(); s.close()
"

# A capture tool that records each loopback packet twice: an AF_PACKET socket on lo sees every
# packet once leaving (PACKET_OUTGOING) and once arriving, a fraction of a microsecond apart;
# libpcap drops the outgoing copy, a tool that does not (as dumpcap did with "-i IF -i lo" in a
# user's report) writes both. The explainer must take them as one packet.
run_duplicates() {
  local name=duplicate-frames
  if [ -n "$only" ] && [ "$only" != "$name" ]; then return 0; fi
  ip netns del "$ns" 2>/dev/null || true
  ip netns add "$ns"
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" python3 -c '
import socket, struct, sys, threading, time
out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
cap.bind(("lo", 0))
cap.setsockopt(socket.SOL_SOCKET, 35, 1)  # SO_TIMESTAMPNS: the kernel stamp of each copy
cap.settimeout(0.2)
done = threading.Event()
def record():
    while not done.is_set():
        try:
            data, anc, _, addr = cap.recvmsg(65535, 64)
        except socket.timeout:
            continue
        if len(data) < 38 or data[12:14] != b"\x08\x00" or data[23] != 6: continue
        if 5000 not in struct.unpack("!HH", data[34:38]): continue
        sec, ns = struct.unpack("qq", anc[0][2][:16])
        out.write(struct.pack("<IIII", sec, ns // 1000, len(data), len(data)) + data)
t = threading.Thread(target=record); t.start(); time.sleep(0.3)
L = socket.socket(); L.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
L.bind(("127.0.0.1", 5000)); L.listen(8)
c = socket.create_connection(("127.0.0.1", 5000)); s, _ = L.accept()
c.sendall(b"hello\n"); s.recv(100); s.sendall(b"hi\n"); c.recv(100)
c.close(); time.sleep(0.05); s.recv(100); s.close(); time.sleep(0.2)
done.set(); t.join(); out.close()
' "$out/$name.pcap"
  echo "$name: $(stat -c %s "$out/$name.pcap") bytes"
}
run_duplicates
