"""The oracle's cases. Each case is a tcplab scenario (docs/CONTRACTS.md) that oracle.py runs on
the real kernel and that the engine runs as tests/data/linux/<case>/scenario.json, plus an
"oracle" part (moments for ss snapshots, notes) that is not part of the scenario.

Server port 80 on 10.0.0.2, client 10.0.0.1. Link delay 5 ms one way unless a case says
otherwise, so that every exchange is visible in whole milliseconds.
"""

DELAY = 5


def scenario(title, server_steps, client_apps, until_ms, sysctl_client=None, sysctl_server=None,
             delay=DELAY, faults=None, events=None):
    hosts = {"client": {"ip": "10.0.0.1"}, "server": {"ip": "10.0.0.2"}}
    if sysctl_client:
        hosts["client"]["sysctl"] = sysctl_client
    if sysctl_server:
        hosts["server"]["sysctl"] = sysctl_server
    apps = []
    # The oracle's programs block SIGPIPE and collect it (oracle.py), so a raised SIGPIPE does
    # not end them: in tcplab's terms the signal is ignored.
    if server_steps is not None:
        apps.append({"name": "srv", "host": "server", "sigpipe": "ignore", "steps": server_steps})
    if isinstance(client_apps, list) and client_apps and isinstance(client_apps[0], dict) \
            and "steps" in client_apps[0]:
        apps += [dict(a, sigpipe="ignore") for a in client_apps]
    else:
        apps.append({"name": "cli", "host": "client", "sigpipe": "ignore", "steps": client_apps})
    s = {"tcplab": 1, "title": title, "seed": 1, "profile": "linux", "hosts": hosts,
         "link": {"delay_ms": delay}, "apps": apps}
    if events:
        s["events"] = events
    if faults:
        s["faults"] = faults
    s["until_ms"] = until_ms
    return s


def listener(backlog=128, port=80):
    return [{"call": "socket", "as": "L"},
            {"call": "bind", "sock": "L", "port": port},
            {"call": "listen", "sock": "L", "backlog": backlog}]


def connect(at_ms=10, port=80, sock="s", bind_port=None, reuse=False):
    st = [{"at_ms": at_ms, "call": "socket", "as": sock}]
    if reuse:
        st.append({"call": "setsockopt", "sock": sock, "name": "SO_REUSEADDR", "value": 1})
    if bind_port:
        st.append({"call": "bind", "sock": sock, "port": bind_port})
    st.append({"call": "connect", "sock": sock, "to": "server:%d" % port})
    return st


CASES = {}


def case(name, scn, ss_at_ms=(), notes=()):
    CASES[name] = {"scenario": scn, "oracle": {"ss_at_ms": list(ss_at_ms), "notes": list(notes)}}


# 1. Normal open, data, close; the client closes first.
case("normal-close", scenario(
    "Open, 100 bytes, client closes first",
    listener() + [{"call": "accept", "sock": "L", "as": "c"},
                  {"call": "recv", "sock": "c", "max": 1000, "repeat": "until_eof"},
                  {"call": "close", "sock": "c"}],
    connect() + [{"after_ms": 50, "call": "send", "sock": "s", "bytes": 100},
                 {"after_ms": 100, "call": "close", "sock": "s"}],
    500), ss_at_ms=[100, 400])

# 2. The server closes first.
case("server-close-first", scenario(
    "Server sends 100 bytes and closes first",
    listener() + [{"call": "accept", "sock": "L", "as": "c"},
                  {"after_ms": 50, "call": "send", "sock": "c", "bytes": 100},
                  {"after_ms": 100, "call": "close", "sock": "c"}],
    connect() + [{"call": "recv", "sock": "s", "max": 1000, "repeat": "until_eof"},
                 {"after_ms": 100, "call": "close", "sock": "s"}],
    600), ss_at_ms=[100, 250, 500])

# 3. Simultaneous close: both FINs cross on a 20 ms link.
case("simultaneous-close", scenario(
    "Both sides close at the same moment; the FINs cross",
    listener() + [{"call": "accept", "sock": "L", "as": "c"},
                  {"at_ms": 200, "call": "close", "sock": "c"}],
    connect() + [{"at_ms": 200, "call": "close", "sock": "s"}],
    500, delay=20), ss_at_ms=[100, 212, 230, 300])

# 4. Connection refused.
case("refused", scenario(
    "connect() to a port without a listener",
    listener(),
    connect(port=81) + [{"after_ms": 50, "call": "close", "sock": "s"}],
    200), ss_at_ms=[100])

# 5. close() with unread data sends RST.
case("close-unread-rst", scenario(
    "Server closes with 200 unread bytes: RST instead of FIN",
    listener() + [{"call": "accept", "sock": "L", "as": "c"},
                  {"at_ms": 200, "call": "close", "sock": "c"}],
    connect() + [{"at_ms": 100, "call": "send", "sock": "s", "bytes": 200},
                 {"at_ms": 300, "call": "recv", "sock": "s", "max": 1000},
                 {"after_ms": 10, "call": "send", "sock": "s", "bytes": 10, "nosignal": True}],
    500), ss_at_ms=[150, 250])

# 6. SO_LINGER {1,0}: abort with RST, no TIME_WAIT.
case("linger-abort", scenario(
    "Client sets SO_LINGER {1,0} and closes: RST, no TIME_WAIT",
    listener() + [{"call": "accept", "sock": "L", "as": "c"},
                  {"call": "recv", "sock": "c", "max": 1000, "repeat": "until_error"}],
    [{"at_ms": 10, "call": "socket", "as": "s"},
     {"call": "setsockopt", "sock": "s", "name": "SO_LINGER", "value": {"onoff": 1, "linger": 0}},
     {"call": "connect", "sock": "s", "to": "server:80"},
     {"at_ms": 100, "call": "send", "sock": "s", "bytes": 100},
     {"at_ms": 200, "call": "close", "sock": "s"}],
    400), ss_at_ms=[150, 300])

# 7. Half-close.
case("half-close", scenario(
    "Client shuts down writing; the server keeps sending, then closes",
    listener() + [{"call": "accept", "sock": "L", "as": "c"},
                  {"call": "recv", "sock": "c", "max": 1000, "repeat": "until_eof"},
                  {"at_ms": 200, "call": "send", "sock": "c", "bytes": 100},
                  {"at_ms": 300, "call": "send", "sock": "c", "bytes": 100},
                  {"at_ms": 400, "call": "close", "sock": "c"}],
    connect() + [{"at_ms": 50, "call": "send", "sock": "s", "bytes": 100},
                 {"at_ms": 100, "call": "shutdown", "sock": "s", "how": "wr"},
                 {"at_ms": 150, "call": "send", "sock": "s", "bytes": 10, "nosignal": True},
                 {"call": "recv", "sock": "s", "max": 1000, "repeat": "until_eof"},
                 {"after_ms": 20, "call": "close", "sock": "s"}],
    700), ss_at_ms=[170, 350, 600])

# 8. A lost data segment, and its lost first retransmission.
case("data-retransmit", scenario(
    "The client's data segment is lost three times: tail loss probe, RTO, doubled RTO",
    listener() + [{"call": "accept", "sock": "L", "as": "c"},
                  {"call": "recv", "sock": "c", "max": 1000, "repeat": "until_eof"},
                  {"call": "close", "sock": "c"}],
    connect() + [{"at_ms": 100, "call": "send", "sock": "s", "bytes": 100},
                 {"at_ms": 1500, "call": "close", "sock": "s"}],
    1800, faults=[{"drop": {"from": "client", "with_data": True, "nth": 1}},
                  {"drop": {"from": "client", "with_data": True, "nth": 2}},
                  {"drop": {"from": "client", "with_data": True, "nth": 3}}]),
    ss_at_ms=[150, 400, 1200])

# 9. The client's final ACK is lost: the server retransmits its FIN, TIME_WAIT re-ACKs.
case("lost-final-ack", scenario(
    "The final ACK is lost; LAST_ACK retransmits the FIN; TIME_WAIT answers again",
    listener() + [{"call": "accept", "sock": "L", "as": "c"},
                  {"call": "recv", "sock": "c", "max": 1000, "repeat": "until_eof"},
                  {"call": "close", "sock": "c"}],
    connect() + [{"at_ms": 100, "call": "close", "sock": "s"}],
    1000, faults=[{"drop": {"from": "client", "flags": "ACK", "from_ms": 100, "nth": 1}}]),
    ss_at_ms=[150, 600])

KEEPALIVE = [{"call": "setsockopt", "sock": "s", "name": "SO_KEEPALIVE", "value": 1},
             {"call": "setsockopt", "sock": "s", "name": "TCP_KEEPIDLE", "value": 2},
             {"call": "setsockopt", "sock": "s", "name": "TCP_KEEPINTVL", "value": 1},
             {"call": "setsockopt", "sock": "s", "name": "TCP_KEEPCNT", "value": 3}]

# 10. Keepalive with the peer alive.
case("keepalive-alive", scenario(
    "Keepalive 2 s idle, 1 s interval, 3 probes; the peer answers",
    listener() + [{"call": "accept", "sock": "L", "as": "c"}],
    [{"at_ms": 10, "call": "socket", "as": "s"}] + KEEPALIVE +
    [{"call": "connect", "sock": "s", "to": "server:80"}],
    5500), ss_at_ms=[1000, 2500])

# 11. Keepalive with the link cut: ETIMEDOUT.
case("keepalive-dead", scenario(
    "Keepalive probes go unanswered after the link is cut: ETIMEDOUT",
    listener() + [{"call": "accept", "sock": "L", "as": "c"}],
    [{"at_ms": 10, "call": "socket", "as": "s"}] + KEEPALIVE +
    [{"call": "connect", "sock": "s", "to": "server:80"},
     {"at_ms": 100, "call": "recv", "sock": "s", "max": 1000}],
    6000, events=[{"at_ms": 1000, "action": "unplug", "host": "server"}]), ss_at_ms=[1500, 3500, 5500])


# 12/13. Write after the peer closed.
def epipe(nosignal):
    return scenario(
        "Write after the peer closed: RST, then EPIPE" + (" (MSG_NOSIGNAL)" if nosignal else " and SIGPIPE"),
        listener() + [{"call": "accept", "sock": "L", "as": "c"},
                      {"at_ms": 100, "call": "close", "sock": "c"}],
        connect() + [{"at_ms": 200, "call": "send", "sock": "s", "bytes": 100, "nosignal": nosignal},
                     {"at_ms": 300, "call": "send", "sock": "s", "bytes": 100, "nosignal": nosignal},
                     {"at_ms": 350, "call": "recv", "sock": "s", "max": 1000},
                     {"at_ms": 400, "call": "close", "sock": "s"}],
        500)


case("write-after-close-sigpipe", epipe(False), ss_at_ms=[150, 250])
case("write-after-close-nosignal", epipe(True), ss_at_ms=[150, 250])

# 14. Orphaned FIN_WAIT_2 times out (tcp_fin_timeout=3); the late FIN.
case("fin-wait-2-timeout", scenario(
    "Orphaned FIN_WAIT_2 expires after tcp_fin_timeout=3; the peer's late FIN",
    listener() + [{"call": "accept", "sock": "L", "as": "c"},
                  {"at_ms": 5000, "call": "close", "sock": "c"}],
    connect() + [{"at_ms": 100, "call": "close", "sock": "s"}],
    5500, sysctl_client={"tcp_fin_timeout": 3}), ss_at_ms=[200, 2900, 3300, 5200])

# 15/16. SYN retries to a silent host.
for lin in (4, 0):
    case("syn-retries-linear%d" % lin, scenario(
        "SYN to a silent host, tcp_syn_retries=3, tcp_syn_linear_timeouts=%d" % lin,
        None,
        connect(),
        17000 if lin == 0 else 21000,
        sysctl_client={"tcp_syn_retries": 3, "tcp_syn_linear_timeouts": lin},
        faults=[{"drop": {"from": "client"}}]),
        ss_at_ms=[500])

# 17. Accept queue overflow.
case("accept-overflow", scenario(
    "listen(backlog=1), never accept(); four clients",
    listener(backlog=1),
    # On the real kernel thread c reaches connect() before thread b (APP lines): list it first
    # so the simulation starts them in the same order.
    [{"name": "a", "host": "client", "steps": connect(100, sock="a")},
     {"name": "c", "host": "client", "steps": connect(200, sock="c") +
      [{"at_ms": 500, "call": "send", "sock": "c", "bytes": 10}]},
     {"name": "b", "host": "client", "steps": connect(200, sock="b")},
     {"name": "d", "host": "client", "steps": connect(300, sock="d")}],
    9000, sysctl_client={"tcp_syn_retries": 3}), ss_at_ms=[250, 400, 2500, 8500])


# 18/19. RST in TIME_WAIT, tcp_rfc1337 = 0 and 1.
def tw_rst(rfc1337):
    return scenario(
        "A RST reaches TIME_WAIT, tcp_rfc1337=%d" % rfc1337,
        listener() + [{"call": "accept", "sock": "L", "as": "c"},
                      {"call": "recv", "sock": "c", "max": 1000, "repeat": "until_eof"},
                      {"call": "close", "sock": "c"}],
        connect(bind_port=40000) + [{"at_ms": 100, "call": "close", "sock": "s"}],
        800, sysctl_client={"tcp_rfc1337": rfc1337},
        # seq relative to the server's ISS on this 4-tuple: SYN 1 + FIN 1 = its SND.NXT, i.e.
        # exactly the client's RCV.NXT (tcp_timewait_state_process takes only that RST).
        events=[{"at_ms": 400, "action": "inject", "host": "server",
                 "seg": {"sport": 80, "dport": 40000, "flags": "RST", "seq": 0, "ack": 0, "len": 0,
                         "win": 0, "rel": {"seq": 2}}}])


case("time-wait-rst-rfc1337-0", tw_rst(0), ss_at_ms=[300, 500])
case("time-wait-rst-rfc1337-1", tw_rst(1), ss_at_ms=[300, 500])

# 20. New connection from the same port while the client's own socket is in TIME_WAIT.
case("time-wait-reuse-bind", scenario(
    "Client in TIME_WAIT binds the same port again (SO_REUSEADDR) and reconnects",
    listener() + [{"call": "accept", "sock": "L", "as": "c"},
                  {"call": "recv", "sock": "c", "max": 1000, "repeat": "until_eof"},
                  {"call": "close", "sock": "c"},
                  {"call": "accept", "sock": "L", "as": "c2"}],
    connect(bind_port=40000, reuse=True) + [
        {"at_ms": 50, "call": "send", "sock": "s", "bytes": 100},
        {"at_ms": 100, "call": "close", "sock": "s"}] +
    connect(at_ms=300, sock="t", bind_port=40000, reuse=True),
    600), ss_at_ms=[200, 400])

# 21. Ephemeral connect() and tcp_tw_reuse=1 with a one-port range.
case("time-wait-reuse-ephemeral", scenario(
    "One local port, tcp_tw_reuse=1: connect() while the port is in TIME_WAIT",
    listener() + [{"call": "accept", "sock": "L", "as": "c"},
                  {"call": "recv", "sock": "c", "max": 1000, "repeat": "until_eof"},
                  {"call": "close", "sock": "c"},
                  {"call": "accept", "sock": "L", "as": "c2"}],
    connect() + [{"at_ms": 100, "call": "close", "sock": "s"}] +
    connect(at_ms=300, sock="t") + [{"after_ms": 10, "call": "close", "sock": "t"}] +
    connect(at_ms=1050, sock="u") + [{"after_ms": 10, "call": "close", "sock": "u"}] +
    connect(at_ms=1250, sock="v"),
    1500, sysctl_client={"tcp_tw_reuse": 1, "ip_local_port_range": [40000, 40000]}),
    ss_at_ms=[200, 1000, 1400])

# 22. The server is in TIME_WAIT and the client reconnects from the same port (RFC 6191).
case("time-wait-new-syn", scenario(
    "Server in TIME_WAIT accepts a new SYN on the same 4-tuple (timestamps newer)",
    listener() + [{"call": "accept", "sock": "L", "as": "c"},
                  {"at_ms": 100, "call": "close", "sock": "c"},
                  {"call": "accept", "sock": "L", "as": "c2"}],
    connect(bind_port=40000) + [{"call": "recv", "sock": "s", "max": 1000, "repeat": "until_eof"},
                                {"call": "close", "sock": "s"}] +
    connect(at_ms=400, sock="t", bind_port=40000),
    700), ss_at_ms=[300, 600])

# 23. The server host reboots; the client's next segment gets a RST.
case("peer-reboot", scenario(
    "The server reboots with the connection open; the client's next send gets RST",
    listener() + [{"call": "accept", "sock": "L", "as": "c"},
                  {"call": "recv", "sock": "c", "max": 1000}],
    connect() + [{"at_ms": 100, "call": "send", "sock": "s", "bytes": 100},
                 {"at_ms": 1000, "call": "send", "sock": "s", "bytes": 100},
                 {"at_ms": 1100, "call": "recv", "sock": "s", "max": 1000},
                 {"at_ms": 1200, "call": "send", "sock": "s", "bytes": 100, "nosignal": True}],
    1400, events=[{"at_ms": 500, "action": "reboot", "host": "server"}]),
    ss_at_ms=[400, 700, 1050])

# 24. Accept queue overflow with tcp_abort_on_overflow=1: the third ACK gets a RST.
case("accept-overflow-abort", scenario(
    "listen(backlog=1), never accept(), tcp_abort_on_overflow=1",
    listener(backlog=1),
    [{"name": "a", "host": "client", "steps": connect(100, sock="a")},
     {"name": "c", "host": "client", "steps": connect(200, sock="c") +
      [{"at_ms": 300, "call": "recv", "sock": "c", "max": 100}]},
     {"name": "b", "host": "client", "steps": connect(200, sock="b")}],
    600, sysctl_server={"tcp_abort_on_overflow": 1}), ss_at_ms=[250, 500])

# 25. close() in SYN_SENT is silent; the late SYN-ACK is answered with RST.
case("close-in-syn-sent", scenario(
    "Non-blocking connect(), close() before the (delayed) SYN-ACK arrives",
    listener(),
    [{"at_ms": 10, "call": "socket", "as": "s"},
     {"call": "setsockopt", "sock": "s", "name": "O_NONBLOCK", "value": 1},
     {"call": "connect", "sock": "s", "to": "server:80"},
     {"at_ms": 50, "call": "close", "sock": "s"}],
    400, faults=[{"delay": {"from": "server", "flags": "SYN,ACK", "nth": 1, "extra_ms": 100}}]),
    ss_at_ms=[30, 80, 300])

# 26. RFC 5961: a SYN on an established connection gets a challenge ACK.
case("syn-in-established", scenario(
    "A SYN with the connection's 4-tuple reaches an ESTABLISHED socket (RFC 5961 section 4)",
    listener() + [{"call": "accept", "sock": "L", "as": "c"},
                  {"call": "recv", "sock": "c", "max": 1000}],
    connect(bind_port=40000) + [{"at_ms": 100, "call": "send", "sock": "s", "bytes": 100}],
    500,
    events=[{"at_ms": 300, "action": "inject", "host": "client",
             "seg": {"sport": 40000, "dport": 80, "flags": "SYN", "seq": 0, "len": 0, "win": 64240,
                     "rel": {"seq": 5000}}}]),
    ss_at_ms=[250, 400])

# 27. RFC 5961: an in-window RST that is not exactly RCV.NXT gets a challenge ACK; the exact one resets.
case("rst-in-window", scenario(
    "RSTs reach an ESTABLISHED socket: in the window (challenge ACK), then exactly RCV.NXT (reset)",
    listener() + [{"call": "accept", "sock": "L", "as": "c"},
                  {"call": "recv", "sock": "c", "max": 1000},
                  {"call": "recv", "sock": "c", "max": 1000}],
    connect(bind_port=40000) + [{"at_ms": 100, "call": "send", "sock": "s", "bytes": 100}],
    600,
    events=[{"at_ms": 300, "action": "inject", "host": "client",
             "seg": {"sport": 40000, "dport": 80, "flags": "RST", "seq": 0, "len": 0, "win": 0,
                     "rel": {"seq": 1101}}},
            {"at_ms": 400, "action": "inject", "host": "client",
             "seg": {"sport": 40000, "dport": 80, "flags": "RST", "seq": 0, "len": 0, "win": 0,
                     "rel": {"seq": 101}}}]),
    ss_at_ms=[350, 500])
