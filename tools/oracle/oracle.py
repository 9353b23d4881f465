#!/usr/bin/env python3
"""Linux oracle for tcplab: runs one scenario against this machine's real kernel.

The scenario is a tcplab scenario (docs/CONTRACTS.md format, see cases.py). This program
builds three fresh network namespaces

    client ns (10.0.0.1, c0) --veth-- wire ns (wc | ws) --veth-- server ns (10.0.0.2, s0)

where the wire namespace holds no addresses: a forwarder in this process copies Ethernet
frames between wc and ws with AF_PACKET sockets. The forwarder applies the scenario's link
delay, its "faults" (drop / delay / duplicate by sender, flags, nth, with_data, time window)
and the events unplug / plug / reboot. It also records every TCP segment with the kernel's
receive timestamp, i.e. the moment the sending host put it on its wire (the kernel here has no
sch_netem, so loss and delay cannot come from tc; this forwarder replaces it).

Every app of the scenario runs as a thread that has entered its host's namespace (setns), and
performs the real socket calls at the scenario's times. tcpdump writes capture.pcap on the
client's veth; `ss -tano` is sampled in both namespaces at the case's chosen moments.

Output: tests/data/linux/<case>/{capture.pcap, ss.txt, expected.txt, scenario.json, meta.json}.
Must run as root. Standard library only.

Usage: oracle.py CASE [CASE...] | --all | --list
"""

import copy
import ctypes
import datetime
import errno as errno_mod
import heapq
import json
import math
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import cases as case_defs  # noqa: E402

CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = 35
IPS = {"client": "10.0.0.1", "server": "10.0.0.2"}
MACS = {"c0": "02:00:00:00:00:01", "s0": "02:00:00:00:00:02",
        "wc": "02:00:00:00:01:01", "ws": "02:00:00:00:01:02"}
FLAG_BITS = [("FIN", 0x01), ("SYN", 0x02), ("RST", 0x04), ("PSH", 0x08), ("ACK", 0x10), ("URG", 0x20)]
SS_STATES = {"ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RECEIVED",
             "FIN-WAIT-1": "FIN_WAIT_1", "FIN-WAIT-2": "FIN_WAIT_2", "TIME-WAIT": "TIME_WAIT",
             "CLOSE-WAIT": "CLOSE_WAIT", "LAST-ACK": "LAST_ACK", "LISTEN": "LISTEN",
             "CLOSING": "CLOSING", "UNCONN": "CLOSED"}

_libc = ctypes.CDLL(None, use_errno=True)


def setns(name):
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "setns(%s): %s" % (name, os.strerror(e)))
    finally:
        os.close(fd)


def flag_names(bits):
    return [n for n, b in FLAG_BITS if bits & b]


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def tcp_checksum(src, dst, tcp):
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    return csum(pseudo + tcp)


def parse_opts(raw):
    names, out, i = [], {}, 0
    while i < len(raw):
        kind = raw[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(raw):
            break
        ln = raw[i + 1]
        if ln < 2:
            break
        body = raw[i + 2:i + ln]
        if kind == 2:
            names.append("mss"); out["mss"] = struct.unpack("!H", body)[0]
        elif kind == 3:
            names.append("wscale"); out["wscale"] = body[0]
        elif kind == 4:
            names.append("sack_ok"); out["sack_ok"] = True
        elif kind == 5:
            names.append("sack")
        elif kind == 8:
            names.append("ts"); out["ts"] = list(struct.unpack("!II", body))
        else:
            names.append("opt%d" % kind)
        i += ln
    return names, out


def parse_frame(frame):
    """Ethernet/IPv4/TCP frame -> dict, or None for anything else."""
    if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[9] != 6:
        return None
    total = struct.unpack("!H", ip[2:4])[0]
    tcp = ip[ihl:total]
    if len(tcp) < 20:
        return None
    sport, dport, seq, ack, off, fl, win = struct.unpack("!HHIIBBH", tcp[:16])
    doff = (off >> 4) * 4
    names, opts = parse_opts(tcp[20:doff])
    return {"src": socket.inet_ntoa(ip[12:16]), "dst": socket.inet_ntoa(ip[16:20]),
            "sport": sport, "dport": dport, "seq": seq, "ack": ack, "bits": fl,
            "flags": flag_names(fl), "win": win, "len": len(tcp) - doff,
            "optnames": names, "opts": opts}


def fix_tcp_checksum(frame):
    """Veth hands frames over with checksum offload (only the pseudo-header sum filled in);
    recompute so the receiving stack sees a valid segment after the AF_PACKET hop."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return frame
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    tcp = bytearray(ip[ihl:total])
    tcp[16:18] = b"\0\0"
    c = tcp_checksum(socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20]), bytes(tcp))
    tcp[16:18] = struct.pack("!H", c)
    return frame[:14] + ip[:ihl] + bytes(tcp) + ip[total:]


class Run:
    """One scenario run on the real kernel."""

    def __init__(self, name, case):
        self.name = name
        self.case = case
        self.scn = case["scenario"]
        self.orc = case.get("oracle", {})
        tag = "%d" % os.getpid()
        self.ns = {"client": "tlc" + tag, "server": "tls" + tag, "wire": "tlw" + tag}
        self.outdir = os.path.join(REPO, "tests", "data", "linux", name)
        self.commands = []
        self.log = []          # wire log: segments as seen by the forwarder
        self.applog = []       # app results
        self.sslog = []        # ss snapshots
        self.actions = []      # scenario events performed
        self.notes = []
        self.lock = threading.Lock()
        self.blocked = {"client": False, "server": False}
        self.t0 = None
        self.step_done = {}
        self.handles = {"client": {}, "server": {}}
        self.dead_hosts = set()
        self.injected = []

    # ---------- shell ----------
    def sh(self, cmd, check=True, record=True):
        if record:
            self.commands.append(cmd)
        r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError("command failed: %s\n%s%s" % (cmd, r.stdout, r.stderr))
        return r.stdout

    def rel_ms(self, t):
        return (t - self.t0) * 1000.0

    # ---------- namespaces ----------
    def setup(self):
        n = self.ns
        for k in ("client", "server", "wire"):
            self.sh("ip netns add %s" % n[k])
        self.sh("ip link add c0 address %s netns %s type veth peer name wc address %s netns %s"
                % (MACS["c0"], n["client"], MACS["wc"], n["wire"]))
        self.sh("ip link add s0 address %s netns %s type veth peer name ws address %s netns %s"
                % (MACS["s0"], n["server"], MACS["ws"], n["wire"]))
        for host, dev, peer, peermac in (("client", "c0", "server", MACS["s0"]),
                                         ("server", "s0", "client", MACS["c0"])):
            ns = n[host]
            self.sh("ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                    "net.ipv6.conf.default.disable_ipv6=1" % ns)
            self.sh("ip -n %s link set lo up" % ns)
            self.sh("ip -n %s addr add %s/24 dev %s" % (ns, IPS[host], dev))
            self.sh("ip -n %s link set %s up" % (ns, dev))
            # Static neighbour entries: no ARP traffic, nothing but TCP on the wire.
            self.sh("ip -n %s neigh replace %s lladdr %s dev %s nud permanent"
                    % (ns, IPS[peer], peermac, dev))
            for key, val in sorted(self.sysctls(host).items()):
                self.sh("ip netns exec %s sysctl -qw net.ipv4.%s=%s" % (ns, key, val))
        self.sh("ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1" % n["wire"])
        for dev in ("wc", "ws"):
            self.sh("ip -n %s link set %s up promisc on" % (n["wire"], dev))

    def sysctls(self, host):
        out = {}
        for k, v in self.scn["hosts"][host].get("sysctl", {}).items():
            if k == "ip_local_port_range":
                v = '"%s"' % (" ".join(str(x) for x in v) if isinstance(v, list) else v)
            out[k] = v
        return out

    def teardown(self):
        for k in ("client", "server", "wire"):
            self.sh("ip netns del %s" % self.ns[k], check=False, record=False)

    # ---------- wire ----------
    def wire_thread(self, ready):
        setns(self.ns["wire"])
        socks = {}
        for dev in ("wc", "ws"):
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            s.bind((dev, ETH_P_ALL))
            socks[dev] = s
        other = {"wc": socks["ws"], "ws": socks["wc"]}
        side = {"wc": "client", "ws": "server"}
        delay = self.scn.get("link", {}).get("delay_ms", 0) / 1000.0
        faults = []
        for f in self.scn.get("faults", []):
            (kind, spec), = f.items()
            faults.append({"kind": kind, "spec": spec, "count": 0})
        heap, seqno = [], 0
        ready.set()
        while not self.stop_wire.is_set():
            now = time.time()
            while heap and heap[0][0] <= now:
                _, _, sk, frame = heapq.heappop(heap)
                sk.send(frame)
            timeout = 0.05 if not heap else max(0.0, min(0.05, heap[0][0] - time.time()))
            r, _, _ = select.select(list(socks.values()), [], [], timeout)
            for s in r:
                dev = [d for d, x in socks.items() if x is s][0]
                data, anc, _, addr = s.recvmsg(65600, 64)
                if addr[2] == PACKET_OUTGOING:
                    continue
                ts = time.time()
                for lvl, typ, cdata in anc:
                    if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                        sec, nsec = struct.unpack("qq", cdata[:16])
                        ts = sec + nsec / 1e9
                seg = parse_frame(data)
                if seg is None:
                    continue  # only IPv4 TCP crosses this wire
                sender = side[dev]
                seg["t"] = ts
                seg["from"] = sender
                fate, extra, dup = "fwd", 0.0, False
                with self.lock:
                    if self.blocked[sender]:
                        fate = self.blocked[sender]
                    else:
                        for f in faults:
                            if self.fault_matches(f, seg):
                                if f["kind"] == "drop":
                                    fate = "fault"
                                elif f["kind"] == "delay":
                                    extra += f["spec"].get("extra_ms", 0) / 1000.0
                                elif f["kind"] == "duplicate":
                                    dup = True
                    seg["fate"] = fate
                    seg["injected"] = self.is_injected(seg)
                    self.log.append(seg)
                if fate == "fwd":
                    frame = fix_tcp_checksum(data)
                    for _ in range(2 if dup else 1):
                        seqno += 1
                        heapq.heappush(heap, (ts + delay + extra, seqno, other[dev], frame))
        for s in socks.values():
            s.close()

    def fault_matches(self, f, seg):
        sp = f["spec"]
        if sp.get("from") != seg["from"]:
            return False
        t = self.rel_ms(seg["t"])
        if "from_ms" in sp and t < sp["from_ms"]:
            return False
        if "until_ms" in sp and t >= sp["until_ms"]:
            return False
        if "flags" in sp:
            want = set(sp["flags"].split(","))
            have = set(seg["flags"])
            if "PSH" not in want:
                have.discard("PSH")
            if want != have:
                return False
        if "with_data" in sp and bool(sp["with_data"]) != (seg["len"] > 0):
            return False
        f["count"] += 1
        if "nth" in sp and f["count"] != sp["nth"]:
            return False
        return True

    def is_injected(self, seg):
        for inj in self.injected:
            if (inj["sport"], inj["dport"], inj["seq"], inj["bits"]) == \
                    (seg["sport"], seg["dport"], seg["seq"], seg["bits"]):
                return True
        return False

    # ---------- apps ----------
    def wait_until(self, t):
        while True:
            d = t - time.time()
            if d <= 0:
                return
            time.sleep(d - 0.0005 if d > 0.002 else d / 2 if d > 0.0002 else 0)

    def app_thread(self, app):
        host = app["host"]
        setns(self.ns[host])
        prev_ret = self.t0
        for idx, step in enumerate(app["steps"]):
            target = prev_ret
            if "after_step" in step:
                ev = self.step_done[step["after_step"]]
                ev["event"].wait()
                target = ev["t"]
            if "after_ms" in step:
                target += step["after_ms"] / 1000.0
            if "at_ms" in step:
                target = max(target, self.t0 + step["at_ms"] / 1000.0)
            self.wait_until(target)
            if host in self.dead_hosts:
                break
            reps = step.get("repeat", 1)
            n = 0
            while True:
                n += 1
                res = self.do_call(app, host, step)
                if reps == "until_eof" and (res[0] == 0 or res[0] < 0):
                    break
                if reps == "until_error" and res[0] < 0:
                    break
                if isinstance(reps, int) and n >= reps:
                    break
            prev_ret = time.time()
            key = "%s:%d" % (app["name"], idx)
            self.step_done[key]["t"] = prev_ret
            self.step_done[key]["event"].set()

    def do_call(self, app, host, step):
        call = step["call"]
        hs = self.handles[host]
        sname = step.get("sock", step.get("as"))
        t_call = time.time()
        entry = {"t_call": t_call, "host": host, "app": app["name"], "call": call, "sock": sname,
                 "step": step}
        with self.lock:
            self.applog.append(entry)
        result, err, extra = 0, None, {}
        try:
            if call == "socket":
                hs[step["as"]] = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            elif call == "setsockopt":
                s = hs[sname]
                name, val = step["name"], step.get("value", 1)
                if name == "SO_LINGER":
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack("ii", val["onoff"], val["linger"]))
                elif name == "O_NONBLOCK":
                    s.setblocking(not val)
                else:
                    lvl = socket.SOL_SOCKET if name.startswith("SO_") else socket.IPPROTO_TCP
                    s.setsockopt(lvl, getattr(socket, name), val)
            elif call == "getsockopt":
                s = hs[sname]
                if step["name"] == "SO_ERROR":
                    v = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    extra["value"] = errno_mod.errorcode.get(v, v) if v else 0
            elif call == "bind":
                hs[sname].bind((step.get("ip", "0.0.0.0"), step.get("port", 0)))
            elif call == "listen":
                hs[sname].listen(step.get("backlog", 128))
            elif call == "accept":
                c, addr = hs[sname].accept()
                hs[step["as"]] = c
                extra["new_sock"] = step["as"]
                extra["peer"] = "%s:%d" % addr
                extra["local_port"] = c.getsockname()[1]
            elif call == "connect":
                h, p = step["to"].split(":")
                r = hs[sname].connect_ex((IPS.get(h, h), int(p)))
                if r:
                    raise OSError(r, os.strerror(r))
                extra["local_port"] = hs[sname].getsockname()[1]
            elif call == "send":
                data = step["text"].encode() if "text" in step else b"x" * step["bytes"]
                flags = socket.MSG_NOSIGNAL if step.get("nosignal") else 0
                result = hs[sname].send(data, flags)
            elif call == "recv":
                result = len(hs[sname].recv(step.get("max", 65536)))
            elif call == "shutdown":
                how = {"rd": socket.SHUT_RD, "wr": socket.SHUT_WR, "rdwr": socket.SHUT_RDWR}
                hs[sname].shutdown(how[step["how"]])
            elif call == "close":
                hs[sname].close()
            elif call == "poll":
                p = select.poll()
                m = {"in": select.POLLIN, "out": select.POLLOUT}
                mask = 0
                for e in step.get("events", ["in"]):
                    mask |= m[e]
                p.register(hs[sname], mask)
                ev = p.poll(step.get("timeout_ms", -1))
                names = []
                for _, bits in ev:
                    for nm, b in (("in", select.POLLIN), ("out", select.POLLOUT),
                                  ("err", select.POLLERR), ("hup", select.POLLHUP)):
                        if bits & b:
                            names.append(nm)
                result = len(ev)
                extra["events"] = names
            else:
                raise RuntimeError("unsupported call %s" % call)
        except OSError as e:
            result, err = -1, errno_mod.errorcode.get(e.errno, str(e.errno))
        t_ret = time.time()
        entry.update({"t_ret": t_ret, "result": result, "errno": err, **extra})
        # SIGPIPE is blocked in every thread, so a SIGPIPE raised by this thread's call stays
        # pending on it: collect it here and note it with the call's return time.
        if signal.SIGPIPE in signal.sigpending():
            signal.sigwait([signal.SIGPIPE])
            with self.lock:
                self.applog.append({"t_call": t_ret, "t_ret": t_ret + 1e-6, "signal": "SIGPIPE",
                                    "host": host, "app": app["name"]})
        return result, err

    # ---------- events ----------
    def events_thread(self):
        for ev in sorted(self.scn.get("events", []), key=lambda e: e["at_ms"]):
            self.wait_until(self.t0 + ev["at_ms"] / 1000.0)
            act = ev["action"]
            t = time.time()
            if act in ("unplug", "plug"):
                # One link joins the two hosts: unplugging either host's cable cuts both ways.
                hosts = ["client", "server"]
                with self.lock:
                    for h in hosts:
                        self.blocked[h] = "unplugged" if act == "unplug" else False
            elif act in ("reboot", "crash"):
                h = ev["host"]
                with self.lock:
                    self.blocked[h] = "reboot"
                self.dead_hosts.add(h)
                # Destroy every TCP socket of the host (SOCK_DESTROY). The kernel's abort
                # RSTs die on the unplugged wire: the peer learns nothing, as after a reboot.
                self.sh("ip netns exec %s ss -K -tan" % self.ns[h], check=False)
                time.sleep(0.02)
                if act == "reboot":
                    with self.lock:
                        self.blocked[h] = False
            elif act == "inject":
                self.inject(ev)
            self.actions.append({"t_ms": round(self.rel_ms(t), 3), "event": ev})

    def inject(self, ev):
        seg = dict(ev["seg"])
        host = ev["host"]
        src = ev.get("src_ip", IPS[host])
        dst = IPS["server" if host == "client" else "client"]
        if "rel" in seg:
            # Sequence numbers relative to the sender's last connection on this 4-tuple, as
            # the engine's trace "rel" fields: seq relative to its ISS, ack to the peer's ISN.
            with self.lock:
                conns = label_connections(self.log)
            match = [c for c in conns.values()
                     if {(c["cport"], c["sport"])} & {(seg["sport"], seg["dport"]),
                                                      (seg["dport"], seg["sport"])}]
            c = match[-1]
            mine, theirs = ("c", "s") if host == "client" else ("s", "c")
            seg["seq"] = (c[mine + "isn"] + seg["rel"].get("seq", 0)) & 0xFFFFFFFF
            seg["ack"] = (c[theirs + "isn"] + seg["rel"].get("ack", 0)) & 0xFFFFFFFF \
                if "ack" in seg["rel"] else seg.get("ack", 0)
        bits = 0
        for nm, b in FLAG_BITS:
            if nm in seg["flags"].split(","):
                bits |= b
        payload = b"x" * seg.get("len", 0)
        hdr = struct.pack("!HHIIBBHHH", seg["sport"], seg["dport"], seg["seq"], seg.get("ack", 0),
                          5 << 4, bits, seg.get("win", 0), 0, 0)
        c = tcp_checksum(src, dst, hdr + payload)
        pkt = hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload
        with self.lock:
            self.injected.append({"sport": seg["sport"], "dport": seg["dport"], "seq": seg["seq"],
                                  "bits": bits})
        ev["_resolved"] = {"seq": seg["seq"], "ack": seg.get("ack", 0)}

        def send():
            setns(self.ns[host])
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
            if "src_ip" in ev:
                raise RuntimeError("spoofed src_ip not supported by the oracle")
            s.sendto(pkt, (dst, 0))
            s.close()
        th = threading.Thread(target=send)
        th.start()
        th.join()

    # ---------- ss ----------
    def ss_thread(self):
        for at in sorted(self.orc.get("ss_at_ms", [])):
            self.wait_until(self.t0 + at / 1000.0)
            snap = {"at_ms": at}

            def sample(h):
                # A thread inside the host's namespace forks ss: no `ip netns exec` start-up
                # cost. The sample happened somewhere between t0 and t1.
                setns(self.ns[h])
                t0 = time.time()
                out = subprocess.run(["ss", "-tano"], capture_output=True, text=True).stdout
                t1 = time.time()
                snap[h] = {"t_ms": round(self.rel_ms(t0), 1), "t1_ms": round(self.rel_ms(t1), 1),
                           "text": out}
            ths = [threading.Thread(target=sample, args=(h,)) for h in ("client", "server")]
            for th in ths:
                th.start()
            for th in ths:
                th.join()
            self.sslog.append(snap)

    # ---------- run ----------
    def run(self):
        self.teardown()
        self.setup()
        os.makedirs(self.outdir, exist_ok=True)
        pcap = os.path.join(self.outdir, "capture.pcap")
        tcpdump_cmd = ("ip netns exec %s tcpdump -i c0 -n -U --immediate-mode -s 128 -w %s tcp"
                       % (self.ns["client"], pcap))
        self.commands.append(tcpdump_cmd.replace(REPO + "/", ""))
        td = subprocess.Popen(tcpdump_cmd, shell=True, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
        line = td.stderr.readline()
        if "listening" not in line:
            raise RuntimeError("tcpdump did not start: " + line)
        self.stop_wire = threading.Event()
        ready = threading.Event()
        wt = threading.Thread(target=self.wire_thread, args=(ready,), daemon=True)
        wt.start()
        ready.wait()
        # Not ignored (Python ignores SIGPIPE by default) but blocked: the kernel queues it on
        # the thread whose send() raised it, see do_call().
        signal.signal(signal.SIGPIPE, lambda *a: None)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGPIPE})
        for app in self.scn["apps"]:
            for i in range(len(app["steps"])):
                self.step_done["%s:%d" % (app["name"], i)] = {"event": threading.Event(), "t": None}
        self.t0 = time.time() + 0.2
        threads = [threading.Thread(target=self.app_thread, args=(a,), daemon=True)
                   for a in self.scn["apps"]]
        threads.append(threading.Thread(target=self.events_thread, daemon=True))
        threads.append(threading.Thread(target=self.ss_thread, daemon=True))
        for th in threads:
            th.start()
        end = self.t0 + self.scn.get("until_ms", 1000) / 1000.0
        while time.time() < end:
            time.sleep(min(0.05, max(0.0, end - time.time())))
        time.sleep(0.1)
        self.stop_wire.set()
        wt.join(1)
        os.killpg(td.pid, signal.SIGINT)
        td.wait(5)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        self.teardown()
        self.write()

    # ---------- output ----------
    def write(self):
        conns = label_connections(self.log)
        lines = ["# tcplab Linux oracle: %s" % self.name,
                 "# kernel %s; link delay %s ms one way; times in ms from scenario time 0"
                 % (os.uname().release, self.scn.get("link", {}).get("delay_ms", 0)),
                 "# SEG t_ms conn dir flags rel_seq rel_ack len options [fate]",
                 "#   t_ms = when the sender put the segment on its wire; rel_seq relative to the",
                 "#   sender's ISN, rel_ack to the receiver's ISN (the first seq seen from a side",
                 "#   that sent no SYN); fate: DROP(fault|unplugged), INJECTED",
                 "# APP t_call..t_ret host app call sock = result [ERRNO] [peer=conn] [value=] [events=]",
                 "#   (result 'fd' = a new descriptor; 'PENDING' = never returned before until_ms)",
                 "# SIG t_ms host app SIGNAL",
                 "# STATE t0..t1 host conn STATE recvq= sendq= [timer=name,remaining]  (ss -tano sampled",
                 "#   between t0 and t1; conn '-' NONE = no TCP socket at all on that host)",
                 "# NOTE free text"]
        for seg in self.log:
            c = seg["conn"]
            if seg["fate"] == "reboot":
                # The aborts that emptied the "rebooted" host's tables; they never reached the
                # wire, and a real reboot sends nothing: not part of the expected sequence.
                self.notes.append("omitted %s from %s at %d ms: SOCK_DESTROY abort while "
                                  "simulating the reboot (never on the wire)"
                                  % (",".join(seg["flags"]), seg["from"], round(self.rel_ms(seg["t"]))))
                continue
            d = "C>S" if seg["from"] == "client" else "S>C"
            isn_self = c["cisn"] if seg["from"] == "client" else c["sisn"]
            isn_peer = c["sisn"] if seg["from"] == "client" else c["cisn"]
            rs = (seg["seq"] - isn_self) & 0xFFFFFFFF if isn_self is not None else seg["seq"]
            if "ACK" in seg["flags"]:
                ra = (seg["ack"] - isn_peer) & 0xFFFFFFFF if isn_peer is not None else seg["ack"]
            else:
                ra = 0
            fate = ""
            if seg["fate"] != "fwd":
                fate = " DROP(%s)" % seg["fate"]
            if seg.get("injected"):
                fate += " INJECTED"
            lines.append("SEG %d %s %s %s %d %d %d %s%s" % (
                round(self.rel_ms(seg["t"])), c["label"], d, ",".join(seg["flags"]), rs, ra,
                seg["len"], ",".join(seg["optnames"]) or "-", fate))
        apps = []
        for e in sorted(self.applog, key=lambda e: e.get("t_ret") or 1e18):
            if e.get("signal"):
                apps.append("SIG %d %s %s %s" % (round(self.rel_ms(e["t_ret"])), e["host"], e["app"],
                                                 e["signal"]))
                continue
            if e.get("t_ret") is None:
                apps.append("APP %d.. %s %s %s %s = PENDING" % (round(self.rel_ms(e["t_call"])), e["host"],
                                                               e["app"], e["call"], e["sock"]))
                continue
            res = e["result"]
            if e["call"] in ("socket", "accept") and res == 0 and not e["errno"]:
                res = "fd"  # a new descriptor; its number is not part of the behaviour
            s = "APP %d..%d %s %s %s %s = %s" % (
                round(self.rel_ms(e["t_call"])), round(self.rel_ms(e["t_ret"])), e["host"], e["app"],
                e["call"], e["sock"], res)
            if e["errno"]:
                s += " " + e["errno"]
            if "peer" in e:
                pc = [c for c in conns.values() if c["cport"] == int(e["peer"].split(":")[1])
                      and c["t_first"] <= e["t_ret"]]
                s += " peer=%s" % (pc[-1]["label"] if pc else e["peer"])
            if "value" in e:
                s += " value=%s" % e["value"]
            if "events" in e:
                s += " events=%s" % ",".join(e["events"])
            apps.append(s)
        lines += apps
        ss_lines = []
        states = []
        for snap in self.sslog:
            for h in ("client", "server"):
                sn = snap[h]
                span = "%d..%d" % (math.floor(sn["t_ms"]), math.ceil(sn["t1_ms"]))
                ss_lines.append("=== t=%.1f..%.1f ms %s (ss -tano in %s namespace)"
                                % (sn["t_ms"], sn["t1_ms"], h, h))
                ss_lines.append(sn["text"].rstrip())
                for row in parse_ss(sn["text"]):
                    lbl = conn_label_for(conns, row, h, self.t0 + sn["t_ms"] / 1000.0)
                    timer = (" timer=" + row["timer"]) if row["timer"] else ""
                    q = " recvq=%s sendq=%s" % (row["recvq"], row["sendq"])
                    states.append("STATE %s %s %s %s%s%s" % (span, h, lbl, row["state"], q, timer))
                if not parse_ss(sn["text"]):
                    states.append("STATE %s %s - NONE" % (span, h))
        lines += states
        for c in conns.values():
            if c.get("isn_note"):
                self.notes.append(c["isn_note"])
        lines += ["NOTE " + n for n in self.notes + self.orc.get("notes", [])]
        with open(os.path.join(self.outdir, "expected.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(os.path.join(self.outdir, "ss.txt"), "w") as f:
            f.write("# ss -tano snapshots; t = ms from scenario time 0 (capture starts 200 ms earlier)\n")
            f.write("\n".join(ss_lines) + "\n")
        scn = copy.deepcopy(self.scn)
        scn["linux_kernel"] = os.uname().release
        for ev in scn.get("events", []):
            # "rel" is what the engine uses; "seq" records the absolute value used on the wire.
            resolved = ev.pop("_resolved", None)
            if resolved:
                ev["seg"]["seq"] = resolved["seq"]
        with open(os.path.join(self.outdir, "scenario.json"), "w") as f:
            json.dump(scn, f, indent=2)
            f.write("\n")
        meta = {"case": self.name, "title": self.scn.get("title"),
                "kernel": os.uname().release,
                "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "sysctl": {h: self.scn["hosts"][h].get("sysctl", {}) for h in ("client", "server")},
                "link_delay_ms": self.scn.get("link", {}).get("delay_ms", 0),
                "loss_method": "userspace AF_PACKET forwarder in a third namespace (no sch_netem)",
                "events": [{"t_ms": a["t_ms"], "action": a["event"]["action"]} for a in self.actions],
                "commands": [c.replace(self.ns["client"], "NS_CLIENT").replace(self.ns["server"], "NS_SERVER")
                             .replace(self.ns["wire"], "NS_WIRE") for c in self.commands]}
        with open(os.path.join(self.outdir, "meta.json"), "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")


def label_connections(log):
    """Give each connection a label c1, c2... in order of first appearance, and fill in both
    sides' ISNs. A SYN (without ACK) with a new sequence number on a known 4-tuple starts a new
    connection (a reused port), unless it was injected."""
    conns, cur = {}, {}
    n = 0
    for seg in log:
        if seg["from"] == "client":
            key, cseq = (seg["sport"], seg["dport"]), True
        else:
            key, cseq = (seg["dport"], seg["sport"]), False
        c = cur.get(key)
        # An injected segment (a forged SYN or RST) belongs to the connection it imitates.
        is_syn = seg["flags"] == ["SYN"] and not seg.get("injected")
        if c is None or (is_syn and cseq and c["cisn"] is not None and seg["seq"] != c["cisn"]
                         and c["csyn"]):
            n += 1
            newc = {"label": "c%d" % n, "cport": key[0], "sport": key[1], "cisn": None, "sisn": None,
                    "csyn": False, "ssyn": False, "t_first": seg["t"]}
            if c is not None and c["cisn"] is not None and is_syn:
                newc["prev"] = c
            c = newc
            cur[key] = c
            conns[c["label"]] = c
        side = "c" if cseq else "s"
        seg["conn"] = c
        if seg.get("injected") and c[side + "isn"] is not None:
            continue
        if c[side + "isn"] is not None or "SYN" in seg["flags"]:
            base = c[side + "isn"] if c[side + "isn"] is not None else seg["seq"]
            end = (seg["seq"] - base + seg["len"] + ("SYN" in seg["flags"]) + ("FIN" in seg["flags"])) \
                & 0xFFFFFFFF
            if seg["fate"] != "reboot" and "RST" not in seg["flags"]:
                c[side + "nxt"] = max(c.get(side + "nxt", 0), end)
        if "SYN" in seg["flags"] and not c[side + "syn"]:
            c[side + "isn"] = seg["seq"]
            c[side + "syn"] = True
        elif c[side + "isn"] is None:
            c[side + "isn"] = seg["seq"]
    for c in conns.values():
        prev = c.get("prev")
        if prev and c["csyn"] and prev["cisn"] is not None:
            notes = []
            for side, who in (("c", "client"), ("s", "server")):
                if c[side + "isn"] is None or prev[side + "isn"] is None:
                    continue
                delta = (c[side + "isn"] - prev[side + "isn"]) & 0xFFFFFFFF
                if delta == prev.get(side + "nxt", -1) + 65537:
                    # Derived from TIME_WAIT: old SND.NXT + 65537 (tcp_twsk_unique / TCP_TW_SYN).
                    notes.append("%s ISN %s = %s ISN + %d" % (who, c["label"], prev["label"], delta))
                else:
                    # From the ISN clock (secure_tcp_seq: hash + ns/64): informative only.
                    ms = (c["t_first"] - prev["t_first"]) * 1000.0
                    notes.append("%s ISN %s - %s ISN is %d, clock-driven: %.1f ms apart, one step "
                                 "per %.1f ns" % (who, c["label"], prev["label"], delta, ms,
                                                  ms * 1e6 / delta if delta else 0))
            c["isn_note"] = "; ".join(notes)
    return conns


def timer_ms(v):
    """ss prints a timer's remaining time as e.g. '59sec', '208ms', '1min3sec' and, in this
    iproute2, '2.908ms' for 2908 ms. Returns '<n>ms' (whole seconds stay coarse as ss gives)."""
    m = re.fullmatch(r"(\d+)\.(\d{3})ms", v)
    if m:
        return "%dms" % (int(m.group(1)) * 1000 + int(m.group(2)))
    m = re.fullmatch(r"(?:(\d+)min)?(?:(\d+)sec)?(?:(\d+)ms)?", v)
    if m and any(m.groups()):
        mi, se, ms = (int(x or 0) for x in m.groups())
        return "%dms" % ((mi * 60 + se) * 1000 + ms)
    return v


def parse_ss(text):
    rows = []
    for ln in text.splitlines()[1:]:
        parts = ln.split()
        if len(parts) < 5:
            continue
        m = re.search(r"timer:\(([^)]*)\)", ln)
        timer = None
        if m:
            bits = m.group(1).split(",")
            timer = bits[0] + ("," + timer_ms(bits[1]) if len(bits) > 1 else "")
        rows.append({"state": SS_STATES.get(parts[0], parts[0]), "recvq": parts[1], "sendq": parts[2],
                     "local": parts[3], "peer": parts[4], "timer": timer})
    return rows


def conn_label_for(conns, row, host, t):
    if row["state"] == "LISTEN":
        return "listen:" + row["local"].rsplit(":", 1)[1]
    lp = int(row["local"].rsplit(":", 1)[1])
    pp = int(row["peer"].rsplit(":", 1)[1]) if row["peer"] != "*:*" else 0
    cport, sport = (lp, pp) if host == "client" else (pp, lp)
    match = [c for c in conns.values() if c["cport"] == cport and c["sport"] == sport
             and c["t_first"] <= t]
    return match[-1]["label"] if match else "%s>%s" % (row["local"], row["peer"])


def realtime():
    """Run this process (the app threads, the wire, ss and tcpdump children) under SCHED_FIFO:
    on a busy machine ordinary scheduling adds tens of milliseconds to the measured times."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(20))
    except (OSError, AttributeError):
        try:
            os.nice(-19)
        except OSError:
            pass


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 2
    allc = case_defs.CASES
    if argv[1] == "--list":
        for k, v in allc.items():
            print("%-28s %s" % (k, v["scenario"]["title"]))
        return 0
    if os.geteuid() != 0:
        print("oracle.py: must run as root (network namespaces)", file=sys.stderr)
        return 2
    names = list(allc) if argv[1] == "--all" else argv[1:]
    for nm in names:
        if nm not in allc:
            print("oracle.py: unknown case %r (see --list)" % nm, file=sys.stderr)
            return 2
    for nm in names:
        # One process per case: threads blocked in calls that never return die with it.
        if len(names) > 1:
            r = subprocess.run([sys.executable, os.path.abspath(__file__), nm])
            if r.returncode:
                return r.returncode
            continue
        print("[oracle] %s ..." % nm, flush=True)
        realtime()
        run = Run(nm, allc[nm])
        try:
            run.run()
        finally:
            run.teardown()
        print("[oracle] %s done -> tests/data/linux/%s" % (nm, nm), flush=True)
        os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
