#include "tcplab/catalog.hpp"
#include "tcplab/timers.hpp"

namespace tcplab {

namespace {
using nlohmann::ordered_json;

ordered_json text(const char* en, const char* zh) {
    ordered_json t;
    t["en"] = en;
    t["zh-CN"] = zh;
    return t;
}
}  // namespace

ordered_json catalog() {
    ordered_json c;
    auto& st = c["states"];
    // RFC 9293 §3.3.2 gives each state's meaning; the wording here is the project's own.
    st["CLOSED"] = text("No connection at all: nothing is remembered about this 4-tuple.",
                        "没有连接：这个四元组不再留下任何状态。");
    st["LISTEN"] = text("Waiting for a connection request (a SYN) from any remote peer.",
                        "等待任意对端发来的连接请求（SYN）。");
    st["SYN_SENT"] = text("connect() sent a SYN and waits for the peer's SYN,ACK.",
                          "connect() 已发出 SYN，正在等待对端的 SYN,ACK。");
    st["SYN_RECEIVED"] = text(
        "A SYN arrived and was answered with SYN,ACK; waiting for the final ACK (on a listener, "
        "a half-open connection in its SYN queue).",
        "收到 SYN 并回复了 SYN,ACK，正在等待最后一个 "
        "ACK（若由监听套接字产生，它就在半连接队列中）。");
    st["ESTABLISHED"] = text("The handshake is complete: both directions can carry data.",
                             "握手完成：双方向都可以传输数据。");
    st["FIN_WAIT_1"] = text("This side closed (sent FIN) and waits for it to be acknowledged.",
                            "本端已关闭（发出 FIN），正在等待对方确认这个 FIN。");
    st["FIN_WAIT_2"] =
        text("Our FIN is acknowledged; waiting for the peer to close its direction with a FIN.",
             "我方的 FIN 已被确认，正在等待对端发送它的 FIN 来关闭另一个方向。");
    st["CLOSE_WAIT"] = text(
        "The peer closed its direction (its FIN arrived); this side's application has not called "
        "close() yet.",
        "对端已关闭它的方向（收到了 FIN）；本端应用程序还没有调用 close()。");
    st["CLOSING"] = text("Both sides sent FIN at the same time; waiting for the ACK of our FIN.",
                         "双方同时发出了 FIN；正在等待对方确认我方的 FIN。");
    st["LAST_ACK"] =
        text("The peer closed first and we have now sent our FIN; waiting for its ACK.",
             "对端先关闭，我方随后发出了 FIN，正在等待它的 ACK。");
    st["TIME_WAIT"] = text(
        "The active closer waits 2 MSL so a lost last ACK can be resent and old duplicates die "
        "out.",
        "主动关闭的一方等待 2MSL：如果最后的 ACK 丢失可以重发，旧连接的迟到报文也会在此期间消亡。");

    auto& tm = c["timers"];
    tm[timer_name(TimerName::Retransmit)] = text("Retransmission timer (RTO)", "重传定时器（RTO）");
    tm[timer_name(TimerName::SynRetransmit)] = text("SYN retransmission timer", "SYN 重传定时器");
    tm[timer_name(TimerName::SynackRetransmit)] =
        text("SYN,ACK retransmission timer", "SYN,ACK 重传定时器");
    tm[timer_name(TimerName::DelayedAck)] = text("Delayed ACK timer", "延迟确认定时器");
    tm[timer_name(TimerName::Keepalive)] = text("Keepalive timer", "保活（keepalive）定时器");
    tm[timer_name(TimerName::FinWait2)] =
        text("FIN_WAIT_2 timeout (tcp_fin_timeout)", "FIN_WAIT_2 超时（tcp_fin_timeout）");
    tm[timer_name(TimerName::TimeWait)] =
        text("TIME_WAIT timer (2MSL)", "TIME_WAIT 定时器（2MSL）");

    auto& er = c["errno"];
    er["EAGAIN"] = text("Would block: the socket is non-blocking and the call cannot complete now.",
                        "会阻塞：套接字是非阻塞的，调用此刻无法完成。");
    er["EBADF"] = text("Not an open socket.", "不是一个打开的套接字。");
    er["EINVAL"] =
        text("Invalid argument for this socket's state.", "对套接字当前状态而言参数无效。");
    er["EISCONN"] = text("The socket is already connected.", "套接字已经连接。");
    er["ENOTCONN"] = text("The socket is not connected.", "套接字没有连接。");
    er["ECONNREFUSED"] = text(
        "Connection refused: the peer answered the SYN with a RST (no one listens on that port).",
        "连接被拒绝：对端用 RST 回应了 SYN（该端口上没有监听者）。");
    er["ECONNRESET"] =
        text("Connection reset by the peer: a RST arrived.", "连接被对端重置：收到了 RST。");
    er["ECONNABORTED"] = text("Connection aborted before accept() could return it.",
                              "连接在 accept() 返回之前就被中止了。");
    er["EPIPE"] = text(
        "Broken pipe: this socket can no longer send (the connection is closed or shut down for "
        "writing).",
        "管道破裂：这个套接字已不能再发送（连接已关闭或写方向已关闭）。");
    er["ETIMEDOUT"] = text("Timed out: retransmissions or keepalive probes went unanswered.",
                           "超时：重传或保活探测一直没有得到回应。");
    er["EADDRINUSE"] =
        text("Address already in use: another socket (possibly in TIME_WAIT) holds this port.",
             "地址已被占用：另一个套接字（可能处于 TIME_WAIT）占着这个端口。");
    er["EADDRNOTAVAIL"] =
        text("No local address/port available: every ephemeral port to this destination is taken.",
             "没有可用的本地地址或端口：到这个目的地的临时端口全都被占用了。");
    er["EINPROGRESS"] = text("Connection in progress (non-blocking connect).",
                             "连接正在进行中（非阻塞 connect）。");
    er["EALREADY"] =
        text("A connection attempt is already in progress.", "已有一个连接尝试在进行中。");
    er["EOPNOTSUPP"] = text("Operation not supported on this socket.", "该套接字不支持此操作。");
    er["EHOSTUNREACH"] = text("No route to host.", "主机不可达。");

    auto& n = c["notes"];
    n["rst_no_socket"] =
        text("No socket matches this segment, so the host answers with a RST (RFC 9293 §3.10.7.1).",
             "没有任何套接字与这个报文段匹配，主机用 RST 回应（RFC 9293 §3.10.7.1）。");
    n["rst_bad_ack_syn_sent"] =
        text("In SYN_SENT, an ACK for something we never sent is answered with a RST.",
             "在 SYN_SENT 状态收到的 ACK 确认的是自己从未发送过的序号，用 RST 回应。");
    n["simultaneous_open"] = text(
        "Both sides sent SYN at once: SYN_SENT receives a bare SYN and moves to SYN_RECEIVED "
        "(simultaneous open).",
        "双方同时发出 SYN：处于 SYN_SENT 的一端收到不带 ACK 的 SYN，进入 "
        "SYN_RECEIVED（同时打开）。");
    n["challenge_ack"] = text(
        "Challenge ACK (RFC 5961): a {why} that might be forged is answered with an ACK instead of "
        "being obeyed.",
        "挑战 ACK（RFC 5961）：对可能是伪造的 {why} 不直接执行，而是回一个 ACK。");
    n["tail_loss_probe"] = text(
        "Nothing came back for the newest segment: a tail loss probe sends it again before the "
        "retransmission timer gives up on it (RACK-TLP, RFC 8985).",
        "最新的报文段迟迟没有得到确认：在重传定时器真正超时之前，先发一个尾部丢失探测把它再发一次（"
        "RACK-TLP，RFC 8985）。");
    n["fast_retransmit"] = text(
        "Three duplicate ACKs: the oldest segment is retransmitted without waiting for the timer "
        "(fast retransmit).",
        "收到三个重复 ACK：不等定时器超时，立即重传最早的报文段（快速重传）。");
    n["rst_data_after_close"] = text(
        "Data arrived after this side called close(): nobody can read it, so the host sends a RST "
        "(RFC 1122).",
        "本端调用 close() 之后又收到数据：已经没有人能读取，主机发送 RST（RFC 1122）。");
    n["synack_retries_exhausted"] = text(
        "SYN,ACK sent {retries} more times without an answer: the half-open connection is dropped "
        "silently.",
        "SYN,ACK 又重发了 {retries} 次仍无回应：这个半连接被悄悄丢弃。");
    n["retries_exhausted"] =
        text("{retries} retransmissions went unanswered: the connection is given up (ETIMEDOUT).",
             "{retries} 次重传都没有回应：放弃这个连接（ETIMEDOUT）。");
    n["keepalive_probe"] = text(
        "Keepalive probe #{n}: an ACK with an old sequence number that forces the peer to answer.",
        "第 {n} 个保活探测：带旧序号的 ACK，对端必须回应。");
    n["keepalive_dead"] = text(
        "{probes} keepalive probes unanswered: the peer is considered dead; RST and ETIMEDOUT.",
        "{probes} 个保活探测都没有回应：认为对端已失效，发送 RST 并报告 ETIMEDOUT。");
    n["syn_flood_cookies"] = text(
        "The SYN queue of port {port} is full (possible SYN flood): answering with SYN cookies "
        "instead of keeping state.",
        "端口 {port} 的半连接队列已满（可能是 SYN 洪水）：改用 SYN cookie 回应，不再保存状态。");
    n["syn_cookie_sent"] = text(
        "SYN,ACK with a SYN cookie as its sequence number (cookie {cookie}, MSS {mss}); nothing is "
        "stored.",
        "SYN,ACK 的序号就是 SYN cookie（cookie {cookie}，MSS {mss}）；服务器不保存任何状态。");
    n["syn_cookie_accepted"] = text(
        "The ACK returned cookie+1: the cookie checks out and the connection is created now (MSS "
        "{mss}).",
        "ACK 带回了 cookie+1：校验通过，此时才创建连接（MSS {mss}）。");
    n["syn_queue_full_drop"] = text("SYN queue full and SYN cookies are off: the SYN is dropped.",
                                    "半连接队列已满且没有启用 SYN cookie：丢弃这个 SYN。");
    n["accept_queue_full_syn_drop"] =
        text("Accept queue full: the new SYN is dropped silently; the client will retransmit it.",
             "全连接队列已满：新来的 SYN 被悄悄丢弃，客户端会重传。");
    n["accept_queue_full_ack_dropped"] = text(
        "Accept queue full: the final ACK is dropped; the server keeps resending SYN,ACK (the "
        "client already thinks it is ESTABLISHED).",
        "全连接队列已满：第三次握手的 ACK 被丢弃，服务器继续重发 SYN,ACK（客户端却已认为连接是 "
        "ESTABLISHED）。");
    n["accept_queue_full_abort"] =
        text("Accept queue full and tcp_abort_on_overflow = 1: the connection is reset.",
             "全连接队列已满且 tcp_abort_on_overflow = 1：直接重置连接。");
    n["rst_accept_queue_full"] =
        text("RST because the accept queue is full (tcp_abort_on_overflow).",
             "因全连接队列已满而发送 RST（tcp_abort_on_overflow）。");
    n["rst_ack_to_listener"] = text(
        "A segment with the ACK flag reached a listening socket that has no such connection: "
        "answered with a RST (RFC 9293 §3.10.7.2).",
        "一个带 ACK 标志的报文到达监听套接字，但并不存在对应的连接：用 RST 回应（RFC 9293 "
        "§3.10.7.2）。");
    n["rst_syn_in_syn_received"] =
        text("A different SYN for a half-open connection: the request is dropped and a RST sent.",
             "半连接收到了另一个不同的 SYN：丢弃该请求并发送 RST。");
    n["rst_bad_ack_syn_received"] =
        text("The ACK does not acknowledge our SYN,ACK: answered with a RST.",
             "这个 ACK 并没有确认我们的 SYN,ACK：用 RST 回应。");
    n["tw_bucket_overflow"] = text(
        "More than tcp_max_tw_buckets ({max}) TIME_WAIT sockets: this one is destroyed at once, "
        "without TIME_WAIT's protection.",
        "TIME_WAIT 套接字超过 tcp_max_tw_buckets（{max}）：这个连接直接销毁，失去 TIME_WAIT "
        "的保护。");
    n["rst_ignored_rfc1337"] =
        text("RST in TIME_WAIT ignored (tcp_rfc1337 = 1, RFC 1337 fix F1).",
             "TIME_WAIT 中收到的 RST 被忽略（tcp_rfc1337 = 1，RFC 1337 的 F1 修正）。");
    n["time_wait_assassinated"] = text(
        "A RST killed the TIME_WAIT state early (\"TIME-WAIT assassination\", RFC 1337; Linux "
        "default tcp_rfc1337 = 0).",
        "一个 RST 提前结束了 TIME_WAIT（RFC 1337 所说的 TIME-WAIT 暗杀；Linux 默认 tcp_rfc1337 = "
        "0）。");
    n["time_wait_reopened"] = text(
        "A new SYN with a higher sequence number reopens the 4-tuple held in TIME_WAIT (RFC 6191); "
        "the new ISN is {isn}.",
        "一个序号更大的新 SYN 重新打开了处于 TIME_WAIT 的四元组（RFC 6191）；新的 ISN 是 {isn}。");
    n["time_wait_restart"] = text(
        "The FIN was retransmitted (our last ACK was lost): ACK it again and restart the 2MSL "
        "timer.",
        "对方重传了 FIN（我们最后的 ACK 丢了）：再次确认，并重新开始 2MSL 计时。");
    n["tw_reuse"] = text(
        "Port {port} was in TIME_WAIT; tcp_tw_reuse lets this new connection take it over "
        "(timestamps protect it).",
        "端口 {port} 处于 TIME_WAIT；tcp_tw_reuse 允许新连接接管它（由时间戳提供保护）。");
    n["ports_exhausted"] = text(
        "Every local port in {lo}–{hi} to this destination is in use: connect() fails with "
        "EADDRNOTAVAIL.",
        "到这个目的地的本地端口 {lo}–{hi} 全被占用：connect() 失败，返回 EADDRNOTAVAIL。");
    n["rst_unread_data"] = text(
        "close() with {bytes} unread bytes: the data would be lost, so a RST is sent instead of a "
        "FIN (RFC 2525 §2.17).",
        "close() 时还有 {bytes} 字节未读：这些数据将丢失，所以发送 RST 而不是 FIN（RFC 2525 "
        "§2.17）。");
    n["abort_linger_zero"] =
        text("SO_LINGER {1, 0}: close() aborts the connection with a RST and skips TIME_WAIT.",
             "SO_LINGER {1, 0}：close() 用 RST 中止连接，并跳过 TIME_WAIT。");
    n["process_killed"] = text(
        "The process was killed by {signal} (its default action); the kernel closed all its "
        "sockets.",
        "进程被 {signal} 杀死（这是该信号的默认动作）；内核关闭了它的所有套接字。");

    auto& d = c["discard"];
    d["rst_to_listener"] =
        text("A RST to a listening socket is ignored.", "发给监听套接字的 RST 被忽略。");
    d["no_syn"] = text("A listening socket only takes SYNs.", "监听套接字只接受 SYN。");
    d["syn_queue_full"] = text("The SYN queue is full.", "半连接队列已满。");
    d["accept_queue_full"] = text("The accept queue is full.", "全连接队列已满。");
    d["paws"] =
        text("Rejected by PAWS: its timestamp is older than the last one seen (an old duplicate).",
             "被 PAWS 拒绝：时间戳比最近见到的更旧（旧的重复报文）。");
    d["out_of_window"] = text("Outside the receive window: dropped and answered with an ACK.",
                              "不在接收窗口内：丢弃，并回一个 ACK。");
    d["syn_in_synchronized_state"] =
        text("A SYN on an established connection: dropped, a challenge ACK is sent.",
             "已建立的连接上收到 SYN：丢弃，并发送挑战 ACK。");
    d["no_ack"] = text("No ACK bit: dropped.", "没有 ACK 标志：丢弃。");
    return c;
}

}  // namespace tcplab
