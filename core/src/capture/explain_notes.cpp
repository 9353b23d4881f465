// Catalogue of the notes that explaining a capture writes (trace "note" events).
// Codes start with "cap_" so they never collide with the engine's own note codes.
// Every text exists in English and Simplified Chinese; {name} is replaced by the note's args.
#include "tcplab/explain.hpp"

namespace tcplab {

const nlohmann::ordered_json& capture_note_catalog() {
    static const nlohmann::ordered_json c = [] {
        nlohmann::ordered_json j;
        auto add = [&](const char* code, const char* en, const char* zh) {
            j[code] = {{"en", en}, {"zh-CN", zh}};
        };
        add("cap_source",
            "This trace was read from a real capture ({file}, {format}): every segment is real; "
            "states and timers are inferred by watching the wire.",
            "这份轨迹来自真实抓包（{file}，{format}"
            "）：每个报文段都是真实的；状态和定时器是通过观察线路推断出来的。");
        add("cap_no_tcp",
            "The capture holds {packets} packets but no TCP segment, so there is no connection to "
            "explain.",
            "抓包里有 {packets} 个包，但没有任何 TCP 报文段，所以没有连接可以解释。");
        add("cap_not_tcp",
            "{count} packets are not TCP (or could not be decoded) and are not shown: {reasons}.",
            "有 {count} 个包不是 TCP（或无法解码），没有显示：{reasons}。");
        add("cap_truncated",
            "The file ends in the middle of a packet at byte {offset}: the capture was cut short; "
            "everything before it is explained.",
            "文件在第 {offset} 字节处的一个包中间结束：抓包被截断了；之前的内容都已解释。");
        add("cap_interface_first",
            "This file holds {count} capture points that saw the same segments ({list}). Read "
            "together they would show every segment once per interface and invent "
            "retransmissions, so only interface {read} is explained; pick another interface to "
            "see the exchange from there.",
            "这个文件里有 {count} 个抓包点看到了同样的报文段（{list}"
            "）。合在一起读，每个报文段会在每个接口上各出现一次，凭空多出重传，所以这里只解释接口 "
            "{read}；选择另一个接口，就能从那里看这次交换。");
        add("cap_interface_chosen",
            "Explained: interface {read}, one of the {count} capture points in this file ({list}).",
            "这里解释的是接口 {read}，它是文件中 {count} 个抓包点之一（{list}）。");
        add("cap_interface_together",
            "The {count} interfaces of this file ({list}) never saw the same segment: they are "
            "parts of one path, so they are read together.",
            "这个文件的 {count} 个接口（{list}）从未看到同一个报文段：它们是同一条路径的几部分，"
            "所以合在一起读。");
        add("cap_interface_all",
            "All interfaces of this file are read together, as asked ({list}): a segment that "
            "several of them saw appears several times and may look like a retransmission.",
            "按要求把这个文件的所有接口合在一起读（{list}"
            "）：被几个接口都看到的报文段会出现几次，看起来可能像重传。");
        add("cap_fin_wait_2_gone",
            "{host} answers this segment with a bare RST: it no longer has the connection. Its "
            "end was an orphaned FIN_WAIT_2 (the application had closed the socket), which ends "
            "when tcp_fin_timeout runs out (Linux: 60 s by default): {host} had already gone to "
            "CLOSED without sending anything.",
            "{host} 用一个不带 ACK 的 RST 回应这个报文段：它已经没有这个连接了。它这一端是孤儿 "
            "FIN_WAIT_2（应用已经关闭了套接字），tcp_fin_timeout 到期就会结束（Linux 默认 60 "
            "秒）：{host} 早已悄悄进入 CLOSED，没有发送任何报文段。");
        add("cap_conn_gone",
            "{host} answers this segment with a bare RST, the answer of a host that has no such "
            "connection, and sends nothing else on it: its end (in {state}) was already gone. No "
            "segment closed it, so {host} lost its state: it crashed or rebooted.",
            "{host} 用一个不带 ACK 的 RST "
            "回应这个报文段——这是没有这个连接的主机的回答——之后在这个连接上"
            "再也没有发送别的：它那一端（处于 {state}）早已不存在。没有任何报文段关闭过它，所以 "
            "{host} "
            "丢失了连接状态：它崩溃或重启过。");
        add("cap_gone_in_syn_sent",
            "{host} answers the SYN+ACK with a bare RST whose sequence number is the SYN+ACK's "
            "ACK: the answer of a host that has no such connection (RFC 9293 §3.10.7.1). Its "
            "connect() had been abandoned in SYN_SENT, by close() (which sends nothing there, RFC "
            "9293 §3.10.4) or by giving up, before the SYN+ACK arrived: {host}'s end went to "
            "CLOSED silently.",
            "{host} 用一个不带 ACK 的 RST 回应 SYN+ACK，其序号正是 SYN+ACK 的确认号：这是没有这个"
            "连接的主机的回答（RFC 9293 §3.10.7.1）。它的 connect() 在 SYN_SENT 中已被放弃——调用了 "
            "close()（此时不发送任何报文段，RFC 9293 §3.10.4）或放弃了重试——在 SYN+ACK "
            "到达之前，{host} 这一端已悄悄进入 CLOSED。");
        add("cap_duplicate_frames",
            "{count} frames are exact copies of a frame captured microseconds earlier on the same "
            "interface (the same IP ID and bytes; {pairs}): the capture tool recorded one packet "
            "twice. Each such packet is explained once.",
            "有 {count} 帧与同一接口上几微秒前抓到的一帧完全相同（IP ID 和字节都相同；{pairs}"
            "）：抓包工具把同一个包记录了两次。这样的包只解释一次。");
        add("cap_mid_connection",
            "The capture starts in the middle of connection {client} ↔ {server}: no SYN was seen, "
            "so both ends are assumed ESTABLISHED and the roles are a guess.",
            "抓包从连接 {client} ↔ {server} 的中途开始：没有看到 SYN，所以假定两端都处于 "
            "ESTABLISHED，角色也是推测的。");
        add("cap_missed_syn",
            "The first segment of this connection is a SYN+ACK: the client's SYN is not in the "
            "capture, so the client is assumed to be in SYN_SENT.",
            "这个连接的第一个报文段是 SYN+ACK：客户端的 SYN 不在抓包中，因此假定客户端处于 "
            "SYN_SENT。");
        add("cap_one_direction",
            "Only one direction of this connection is in the capture ({seen}): what the other side "
            "sent is unknown, so its state is only partly inferred.",
            "抓包中只有这个连接的一个方向（{seen}"
            "）：另一方发送的内容未知，所以它的状态只能部分推断。");
        add("cap_syn",
            "{host} sends SYN: connect() was called; it enters SYN_SENT and starts the SYN "
            "retransmission timer (Linux: 1 s initially).",
            "{host} 发送 SYN：调用了 connect()；进入 SYN_SENT，并启动 SYN 重传定时器（Linux 初始为 "
            "1 秒）。");
        add("cap_syn_ack",
            "{host} answers with SYN+ACK: a listening socket accepted the SYN; the new connection "
            "is in SYN_RECEIVED (in the SYN queue).",
            "{host} 回复 SYN+ACK：监听套接字接受了这个 SYN；新连接处于 "
            "SYN_RECEIVED（在半连接队列中）。");
        add("cap_simultaneous_open",
            "Both ends sent a SYN: this is a simultaneous open (RFC 9293 §3.5); each answers with "
            "SYN+ACK.",
            "两端都发送了 SYN：这是同时打开（RFC 9293 §3.5）；双方都用 SYN+ACK 回应。");
        add("cap_established_client",
            "{host} got the SYN+ACK and is ESTABLISHED: connect() returns 0 (handshake RTT "
            "{rtt_ms} ms as seen here).",
            "{host} 收到 SYN+ACK，进入 ESTABLISHED：connect() 返回 0（此处观察到的握手往返时间 "
            "{rtt_ms} 毫秒）。");
        add("cap_handshake_done",
            "{host} receives the ACK of its SYN+ACK: the handshake is complete, and the connection "
            "moves from the SYN queue to the accept queue, where accept() can take it.",
            "{host} 收到了对其 SYN+ACK 的确认：握手完成，连接从半连接队列移入全连接（accept）"
            "队列，accept() 可以取走它了。");
        add("cap_refused",
            "{host} answers the SYN with RST: nothing listens on port {port}; connect() on {peer} "
            "fails with ECONNREFUSED (RFC 9293 §3.10.7.1).",
            "{host} 用 RST 回应 SYN：端口 {port} 上没有监听；{peer} 上的 connect() 以 ECONNREFUSED "
            "失败（RFC 9293 §3.10.7.1）。");
        add("cap_fin",
            "{host} sends FIN: it will send no more data (close() or shutdown(SHUT_WR)); {from} → "
            "{to}.",
            "{host} 发送 FIN：它不会再发送数据（close() 或 shutdown(SHUT_WR)）；{from} → {to}。");
        add("cap_fin_received",
            "{host} receives the FIN: read() will return 0 (end of file) once the data before it "
            "is read; {from} → {to}.",
            "{host} 收到 FIN：读完之前的数据后，read() 将返回 0（文件结束）；{from} → {to}。");
        add("cap_fin_acked", "{host}'s FIN is acknowledged: {from} → {to}.",
            "{host} 的 FIN 被确认：{from} → {to}。");
        add("cap_half_closed",
            "{host} keeps sending after its peer's FIN: the connection is half-closed, which TCP "
            "allows (RFC 9293 §3.6).",
            "{host} 在对端发送 FIN 后继续发送数据：连接处于半关闭状态，这是 TCP 允许的（RFC 9293 "
            "§3.6）。");
        add("cap_time_wait",
            "{host} enters TIME_WAIT: it waits 2MSL (Linux: 60 s, TCP_TIMEWAIT_LEN) so a lost last "
            "ACK can be re-sent and old segments die out.",
            "{host} 进入 TIME_WAIT：等待 2MSL（Linux 为 60 "
            "秒，TCP_TIMEWAIT_LEN），以便重发丢失的最后一个 ACK，并让旧报文段消失。");
        add("cap_time_wait_restart",
            "A FIN arrives again at {host} in TIME_WAIT: it re-sends the ACK and restarts the 2MSL "
            "timer (RFC 9293 §3.10.7.4).",
            "{host} 在 TIME_WAIT 中再次收到 FIN：重发 ACK，并重新开始 2MSL 计时（RFC 9293 "
            "§3.10.7.4）。");
        add("cap_closed", "{host} reaches CLOSED: the connection is gone on this side.",
            "{host} 进入 CLOSED：这一端的连接已经不存在了。");
        add("cap_abort",
            "{host} sends RST in {state}: an abortive close. Linux does this on close() with "
            "unread received data (RFC 2525 §2.17) or with SO_LINGER {{1, 0}}; no FIN, no "
            "TIME_WAIT.",
            "{host} 在 {state} 状态发送 RST：这是异常关闭。Linux 在关闭时仍有未读数据（RFC 2525 "
            "§2.17）或设置了 SO_LINGER {{1, 0}} 时这样做；没有 FIN，也没有 TIME_WAIT。");
        add("cap_reset",
            "{host} accepts the RST in {state} and goes to CLOSED; the application sees {errno}.",
            "{host} 在 {state} 状态接受 RST 并进入 CLOSED；应用程序会得到 {errno}。");
        add("cap_rst_time_wait",
            "The RST ends {host}'s TIME_WAIT early (TIME_WAIT assassination, RFC 1337; Linux does "
            "this while tcp_rfc1337 = 0).",
            "这个 RST 提前结束了 {host} 的 TIME_WAIT（TIME_WAIT 暗杀，RFC 1337；Linux 在 "
            "tcp_rfc1337 = 0 时如此）。");
        add("cap_rst_for_closed",
            "{host} no longer has this connection and answers with RST (RFC 9293 §3.10.7.1).",
            "{host} 已经没有这个连接了，所以用 RST 回应（RFC 9293 §3.10.7.1）。");
        add("cap_rst_out_of_window",
            "This RST's sequence number is outside {host}'s receive window: it is ignored (RFC "
            "5961 §3.2).",
            "这个 RST 的序号不在 {host} 的接收窗口内：被忽略（RFC 5961 §3.2）。");
        add("cap_rst_challenge",
            "This RST is in {host}'s window but not at the exact next sequence number: {host} "
            "should answer with a challenge ACK, not reset (RFC 5961 §3.2).",
            "这个 RST 在 {host} 的窗口内，但不是恰好下一个序号：{host} 应回复挑战 "
            "ACK，而不是重置连接（RFC 5961 §3.2）。");
        add("cap_data_after_fin",
            "{host} sends new data after its own FIN: this breaks RFC 9293 (§3.10.4: no SEND after "
            "CLOSE).",
            "{host} 在自己的 FIN 之后又发送了新数据：这违反了 RFC 9293（§3.10.4：CLOSE 之后不能再 "
            "SEND）。");
        add("cap_data_to_closed",
            "Data reaches {host}, which has already closed this connection ({state}): Linux "
            "answers with RST (RFC 1122 §4.2.2.13).",
            "数据到达 {host}，但它已经关闭了这个连接（{state}）：Linux 会用 RST 回应（RFC 1122 "
            "§4.2.2.13）。");
        add("cap_retransmission",
            "{host} retransmits {what} (seq {seq}, attempt {n}) {gap_ms} ms after the previous "
            "copy: its retransmission timer fired.",
            "{host} 重传了{what}（seq {seq}，第 {n} 次），距上一次发送 {gap_ms} "
            "毫秒：它的重传定时器超时了。");
        add("cap_tail_loss_probe",
            "{host} sends its newest segment (seq {seq}) again {gap_ms} ms after it went out, "
            "with nothing acknowledged: a tail loss probe (RACK-TLP, RFC 8985 §7). Linux sends it "
            "about two round trips after the segment (here {rtt_ms} ms each), plus 200 ms for a "
            "delayed ACK when one segment is in flight; the probe does not back off, and the "
            "retransmission timer restarts when it leaves.",
            "{host} 在发出最新的报文段（seq {seq}）{gap_ms} 毫秒后又发了一次，期间没有任何确认："
            "这是尾部丢失探测（RACK-TLP，RFC 8985 §7）。Linux 在大约两个往返时间后发送它（这里每个"
            "往返 {rtt_ms} 毫秒），只有一个报文段在途时再加上为延迟确认留出的 200 毫秒；探测不做"
            "退避，重传定时器在它发出时重新开始计时。");
        add("cap_backoff_doubled",
            "The wait doubled ({prev_ms} ms → {gap_ms} ms): exponential backoff as RFC 6298 §5.5 "
            "and Linux (tcp_timer.c) do.",
            "等待时间翻倍（{prev_ms} 毫秒 → {gap_ms} 毫秒）：这是 RFC 6298 §5.5 和 "
            "Linux（tcp_timer.c）的指数退避。");
        add("cap_backoff_unusual",
            "The wait went from {prev_ms} ms to {gap_ms} ms: not the doubling of RFC 6298 §5.5 "
            "(the timer was restarted by something else, or a copy is missing from the capture).",
            "等待时间从 {prev_ms} 毫秒变为 {gap_ms} 毫秒：不是 RFC 6298 §5.5 "
            "的翻倍（定时器被别的事件重新启动了，或者抓包里缺了一份副本）。");
        add("cap_backoff_linear_syn",
            "The wait stayed at {gap_ms} ms (before: {prev_ms} ms): Linux 6.5 and later keep the "
            "first tcp_syn_linear_timeouts (4 by default) SYN timeouts at the initial RTO instead "
            "of doubling them.",
            "等待时间保持在 {gap_ms} 毫秒（之前为 {prev_ms} 毫秒）：Linux 6.5 及以后版本的前 "
            "tcp_syn_linear_timeouts 次（默认 4 次）SYN 超时保持初始 RTO，不翻倍。");
        add("cap_fast_retransmit",
            "{host} retransmits seq {seq} after {dups} duplicate ACKs, without waiting for the "
            "timer: fast retransmit (RFC 5681 §3.2).",
            "{host} 在收到 {dups} 个重复 ACK 后立即重传 seq {seq}，没有等待定时器：快速重传（RFC "
            "5681 §3.2）。");
        add("cap_dup_ack",
            "{host} repeats ACK {ack} ({n} duplicates): a segment before it is missing (RFC 5681 "
            "§2).",
            "{host} 重复发送 ACK {ack}（{n} 个重复）：它之前的一个报文段丢失了（RFC 5681 §2）。");
        add("cap_gap",
            "{host} sends seq {seq} but the capture never saw bytes from {expected}: a segment was "
            "lost before the capture point or not captured.",
            "{host} 发送了 seq {seq}，但抓包从未看到从 {expected} "
            "开始的字节：某个报文段在抓包点之前丢失，或没有被抓到。");
        add("cap_unacceptable_ack",
            "{host} acknowledges {ack}, beyond anything its peer sent ({snd_nxt}): an unacceptable "
            "ACK; the peer should answer with an ACK and drop it (RFC 9293 §3.10.7.4), or the "
            "capture missed segments.",
            "{host} 确认了 {ack}，超出了对端发送过的范围（{snd_nxt}）：这是不可接受的 "
            "ACK；对端应回复 ACK 并丢弃它（RFC 9293 §3.10.7.4），或者抓包漏掉了报文段。");
        add("cap_zero_window",
            "{host} advertises a zero window: its receive buffer is full (the application is not "
            "reading); the peer must stop and probe (RFC 9293 §3.8.6.1).",
            "{host} "
            "通告零窗口：它的接收缓冲区满了（应用程序没有读取）；对端必须停止发送并进行探测（RFC "
            "9293 §3.8.6.1）。");
        add("cap_window_open", "{host} opens its window again ({win} bytes).",
            "{host} 重新打开窗口（{win} 字节）。");
        add("cap_zero_window_probe",
            "{host} probes the zero window with {len} byte(s): its persist timer fired (RFC 9293 "
            "§3.8.6.1).",
            "{host} 用 {len} 字节探测零窗口：它的坚持（persist）定时器超时了（RFC 9293 "
            "§3.8.6.1）。");
        add("cap_keepalive",
            "{host} sends a keepalive probe after {idle_s} s of silence (seq one below the next "
            "byte; Linux: tcp_keepalive_time 7200 s, then every 75 s).",
            "{host} 在静默 {idle_s} 秒后发送保活探测（seq "
            "比下一个字节小一；Linux：tcp_keepalive_time 7200 秒，之后每 75 秒一次）。");
        add("cap_keepalive_ack", "{host} answers the keepalive: the connection is still alive.",
            "{host} 回应了保活探测：连接仍然存活。");
        add("cap_syn_in_synchronized",
            "A SYN with a new sequence number arrives on connection {conn}, which is still open: "
            "the receiver should answer with a challenge ACK (RFC 5961 §4).",
            "一个带有新序号的 SYN 到达仍然打开的连接 {conn}：接收方应回复挑战 ACK（RFC 5961 "
            "§4）。");
        add("cap_new_incarnation",
            "A new connection reuses the addresses and ports of an earlier one ({conn}).",
            "一个新连接复用了之前连接（{conn}）的地址和端口。");
        add("cap_syn_in_time_wait",
            "The new SYN arrives while {host} still holds TIME_WAIT for these ports: Linux accepts "
            "it when its sequence number (or timestamp) is newer (RFC 6191).",
            "新的 SYN 到达时，{host} 还在这组端口上处于 "
            "TIME_WAIT：如果它的序号（或时间戳）更新，Linux 会接受（RFC 6191）。");
        // A segment the receiver behaved as if it never got, seen before the receiver (a drop)
        // or at the receiver's own interface (a discard); one text per kind of segment.
        add("cap_inferred_loss",
            "{host} behaves as if this segment from {from} never arrived: {from} sends the same "
            "bytes again, with nothing acknowledging them in between. It was lost after the "
            "capture point.",
            "{host} 的表现说明来自 {from} 的这个报文段没有到达：{from} "
            "之后又发送了同样的字节，期间没有任何确认。它在抓包点之后丢失了。");
        add("cap_inferred_loss_syn",
            "{host} behaves as if this SYN from {from} never arrived: {from} sends it again, "
            "unanswered. It was lost after the capture point, or {host} dropped it (Linux drops "
            "a SYN silently while the listener's accept queue is full, tcp_conn_request).",
            "{host} 的表现说明来自 {from} 的这个 SYN 没有到达：{from} 又发送了一次，没有回应。"
            "它在抓包点之后丢失了，或者被 {host} 丢弃了（监听套接字的全连接队列满时，Linux "
            "会悄悄丢弃 SYN，tcp_conn_request）。");
        add("cap_inferred_loss_ack",
            "{host} sends its FIN again after this ACK from {from}: the ACK never reached {host}. "
            "It was lost after the capture point.",
            "{host} 在来自 {from} 的这个 ACK 之后又发送了 FIN：这个 ACK 没有到达 {host}"
            "。它在抓包点之后丢失了。");
        add("cap_inferred_loss_synack_ack",
            "{host} sends its SYN+ACK again after this ACK from {from}: the ACK did not complete "
            "the handshake. It was lost after the capture point, or {host} ignored it (Linux "
            "ignores the ACK of a SYN+ACK while the accept queue is full, tcp_check_req).",
            "{host} 在来自 {from} 的这个 ACK 之后又发送了 SYN+ACK：这个 ACK 没有完成握手。"
            "它在抓包点之后丢失了，或者被 {host} 忽略了（全连接队列满时，Linux 会忽略对 SYN+ACK "
            "的确认，tcp_check_req）。");
        add("cap_inferred_loss_synack_ack_assumed",
            "{host} ignored the earlier ACKs of its SYN+ACK, re-sending the SYN+ACK each time: "
            "its accept queue is full (Linux tcp_check_req), and stays full until the "
            "application calls accept(). Nothing after this last ACK from {from} shows that it "
            "got through, so it is taken as ignored too (or lost after the capture point).",
            "{host} 忽略了之前对其 SYN+ACK 的几个确认，每次都重发 SYN+ACK：它的全连接队列满了"
            "（Linux tcp_check_req），在应用程序调用 accept() 之前会一直满着。来自 {from} "
            "的这最后一个 ACK "
            "之后没有任何迹象表明它被接受了，所以也当作被忽略（或在抓包点之后丢失）。");
        add("cap_inferred_discard_synack_ack_assumed",
            "This last ACK from {from} reached {host} (it is in {host}'s own capture). {host} "
            "ignored the earlier ACKs of its SYN+ACK, re-sending the SYN+ACK each time: its accept "
            "queue is full (Linux tcp_check_req), and stays full until the application calls "
            "accept(); nothing after this ACK shows that it got in, so it is taken as ignored too.",
            "来自 {from} 的这最后一个 ACK 到达了 {host}（它在 {host} 自己的抓包里）。{host} "
            "忽略了之前对其 SYN+ACK 的几个确认，每次都重发 SYN+ACK：它的全连接队列满了"
            "（Linux tcp_check_req），在应用程序调用 accept() 之前会一直满着；这个 ACK "
            "之后没有任何迹象表明连接进入了队列，所以也当作被忽略。");
        add("cap_inferred_loss_probe",
            "Nothing answers this keepalive probe from {from}: it never reached a live {host} "
            "(lost after the capture point, or {host} is gone).",
            "这个来自 {from} 的保活探测没有得到任何回应：它没有到达一个仍在运行的 {host}"
            "（在抓包点之后丢失了，或者 {host} 已经不在了）。");
        add("cap_inferred_discard",
            "This segment from {from} reached {host} (it is in {host}'s own capture), but {host} "
            "behaves as if it had not: {from} sends the same bytes again with nothing "
            "acknowledging them. {host} threw it away.",
            "来自 {from} 的这个报文段到达了 {host}（它在 {host} 自己的抓包里），但 {host} "
            "的表现就像没有收到：{from} 又发送了同样的字节，期间没有任何确认。{host} 丢弃了它。");
        add("cap_inferred_discard_syn",
            "This SYN from {from} reached {host} (it is in {host}'s own capture) but got no "
            "answer: {host} dropped it. Linux drops a SYN silently while the listener's accept "
            "queue is full (tcp_conn_request).",
            "来自 {from} 的这个 SYN 到达了 {host}（它在 {host} "
            "自己的抓包里），但没有得到回应：{host} "
            "丢弃了它。监听套接字的全连接队列满时，Linux 会悄悄丢弃 SYN（tcp_conn_request）。");
        add("cap_inferred_discard_ack",
            "This ACK from {from} reached {host} (it is in {host}'s own capture), but {host} sends "
            "its FIN again: it threw the ACK away.",
            "来自 {from} 的这个 ACK 到达了 {host}（它在 {host} 自己的抓包里），但 {host} 又发送了 "
            "FIN：它丢弃了这个 ACK。");
        add("cap_inferred_discard_synack_ack",
            "This ACK from {from} reached {host} (it is in {host}'s own capture), but {host} sends "
            "its SYN+ACK again: it ignored the ACK. Linux does that while the listener's accept "
            "queue is full (tcp_check_req, tcp_abort_on_overflow = 0): the connection stays in "
            "the SYN queue.",
            "来自 {from} 的这个 ACK 到达了 {host}（它在 {host} 自己的抓包里），但 {host} 又发送了 "
            "SYN+ACK：它忽略了这个 ACK。监听套接字的全连接队列满时 Linux 就会这样做"
            "（tcp_check_req，tcp_abort_on_overflow = 0）：连接留在半连接队列中。");
        add("cap_inferred_discard_probe",
            "This keepalive probe from {from} reached {host} (it is in {host}'s own capture), but "
            "{host} did not answer it.",
            "来自 {from} 的这个保活探测到达了 {host}（它在 {host} 自己的抓包里），但 {host} "
            "没有回应。");
        add("cap_rst_foreign",
            "This RST carries {host}'s addresses but no ACK bit, while {host} is synchronized: "
            "Linux resets its own connections with RST+ACK, so it was injected or forged (the "
            "connection on {host} is not affected by sending it).",
            "这个 RST 带着 {host} 的地址，却没有 ACK 标志，而 {host} 处于同步状态：Linux "
            "复位自己的连接时使用 RST+ACK，所以它是被注入或伪造的（{host} "
            "上的连接不会因此改变）。");
        add("cap_rst_answer",
            "{host} answers the segment it just received with a bare RST whose sequence number is "
            "that segment's ACK: how TCP refuses an ACK it does not accept (RFC 9293 §3.10.7). "
            "{host} goes on with the connection afterwards, so it was not where the capture "
            "suggests (for instance still in SYN_SENT with another initial sequence number); its "
            "connection is not reset by sending this.",
            "{host} 用一个不带 ACK 的 RST 回应刚收到的报文段，其序号正是那个报文段的确认号：这是 "
            "TCP "
            "拒绝一个它不接受的 ACK 的方式（RFC 9293 §3.10.7）。{host} "
            "之后仍在继续这个连接，所以它并不处于抓包所显示的状态（例如仍在 SYN_SENT，"
            "使用另一个初始序号）；发送它并不会复位它的连接。");
        add("cap_rst_time_wait_ignored",
            "{host} ignores the RST in TIME_WAIT (RFC 1337 fix F1, Linux tcp_rfc1337 = 1): "
            "TIME_WAIT runs to its end.",
            "{host} 在 TIME_WAIT 中忽略这个 RST（RFC 1337 的 F1 修正，Linux tcp_rfc1337 = "
            "1）：TIME_WAIT 会完整地持续下去。");
        add("cap_end_state", "At the end of the capture {host} is in {state}.",
            "抓包结束时 {host} 处于 {state}。");
        add("cap_end_time_wait",
            "At the end of the capture {host} is in TIME_WAIT for {left_s} more seconds; `ss -tan` "
            "shows it as TIME-WAIT until then.",
            "抓包结束时 {host} 还要在 TIME_WAIT 中停留 {left_s} 秒；在此之前 `ss -tan` 会显示 "
            "TIME-WAIT。");
        add("cap_end_close_wait",
            "At the end of the capture {host} is in CLOSE_WAIT: its peer has closed, but the "
            "application has not called close() yet. Many of these mean a leak.",
            "抓包结束时 {host} 处于 CLOSE_WAIT：对端已经关闭，但应用程序还没有调用 "
            "close()。大量出现意味着泄漏。");
        add("cap_end_fin_wait_2",
            "At the end of the capture {host} is in FIN_WAIT_2, waiting for its peer's FIN (if the "
            "socket was closed, Linux gives up after tcp_fin_timeout, 60 s).",
            "抓包结束时 {host} 处于 FIN_WAIT_2，等待对端的 FIN（如果套接字已关闭，Linux 在 "
            "tcp_fin_timeout（60 秒）后放弃）。");
        return j;
    }();
    return c;
}

std::string render_capture_note(const std::string& code, const nlohmann::json& args,
                                const std::string& lang) {
    const auto& cat = capture_note_catalog();
    auto it = cat.find(code);
    if (it == cat.end()) return code;
    return fill_note_template((*it).value(lang == "zh-CN" ? "zh-CN" : "en", std::string(code)),
                              args);
}

std::string fill_note_template(const std::string& t, const nlohmann::json& args) {
    std::string out;
    for (size_t i = 0; i < t.size(); ++i) {
        if (t[i] == '{' && i + 1 < t.size() && t[i + 1] == '{') {
            out += '{';
            ++i;
            continue;
        }
        if (t[i] == '}' && i + 1 < t.size() && t[i + 1] == '}') {
            out += '}';
            ++i;
            continue;
        }
        if (t[i] == '{') {
            size_t j = t.find('}', i);
            if (j == std::string::npos) {
                out += t.substr(i);
                break;
            }
            std::string name = t.substr(i + 1, j - i - 1);
            if (args.is_object() && args.contains(name)) {
                const auto& a = args[name];
                out += a.is_string() ? a.get<std::string>() : a.dump();
            } else {
                out += "{" + name + "}";
            }
            i = j;
            continue;
        }
        out += t[i];
    }
    return out;
}

}  // namespace tcplab
