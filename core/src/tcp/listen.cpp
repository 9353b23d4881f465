// LISTEN (RFC 9293 §3.10.7.2) and SYN-RECEIVED (§3.10.7.4), with what Linux adds around them:
// the SYN queue and the accept queue of a listening socket (net/ipv4/tcp_input.c
// tcp_conn_request(), net/ipv4/tcp_minisocks.c tcp_check_req()) and SYN cookies
// (net/ipv4/syncookies.c).
#include "tcplab/host.hpp"

#include <algorithm>
#include <array>

namespace tcplab {

namespace {
// Linux msstab[] (net/ipv4/syncookies.c): the MSS a cookie can remember.
constexpr std::array<std::uint16_t, 4> kMssTable{536, 1300, 1440, 1460};
constexpr int kCookieBits = 24;
constexpr std::uint32_t kCookieMask = (1u << kCookieBits) - 1;
constexpr std::uint32_t kMaxCookieAge = 2;  // MAX_SYNCOOKIE_AGE, in minutes
}  // namespace

bool Host::accept_queue_full(const Socket& l) const {
    // include/net/sock.h sk_acceptq_is_full(): sk_ack_backlog > sk_max_ack_backlog, so the
    // queue holds backlog + 1 connections.
    return static_cast<int>(l.accept_queue.size()) > l.backlog;
}

std::uint32_t Host::cookie_make(const Segment& syn, std::uint16_t* mss_out) const {
    // secure_tcp_syn_cookie(): H0(4-tuple) + client ISN + (count << 24) + ((H1(4-tuple, count)
    // + mssind) & 0xFFFFFF), count = minutes (tcp_cookie_time()).
    const std::uint16_t client_mss = syn.opts.mss ? *syn.opts.mss : 536;
    std::uint32_t mssind = 0;
    for (std::uint32_t i = 0; i < kMssTable.size(); ++i)
        if (kMssTable[i] <= client_mss) mssind = i;
    *mss_out = kMssTable[mssind];
    const auto count = static_cast<std::uint32_t>(now() / sec(60));
    const Addr s = syn.src, d = syn.dst;
    const auto h0 = static_cast<std::uint32_t>(hash_tuple(k0_ ^ 0xC0, k1_, s, d, 0));
    const auto h1 = static_cast<std::uint32_t>(hash_tuple(k0_ ^ 0xC1, k1_, s, d, count));
    return h0 + syn.seq + (count << kCookieBits) + ((h1 + mssind) & kCookieMask);
}

std::optional<std::uint16_t> Host::cookie_check(const Segment& ack) const {
    // check_tcp_syn_cookie(): undo the hash, check the age (< 2 minutes), recover mssind.
    const std::uint32_t cookie = ack.ack - 1;
    const std::uint32_t sseq = ack.seq - 1;
    const Addr s = ack.src, d = ack.dst;
    const auto count = static_cast<std::uint32_t>(now() / sec(60));
    std::uint32_t v =
        cookie - (static_cast<std::uint32_t>(hash_tuple(k0_ ^ 0xC0, k1_, s, d, 0)) + sseq);
    const std::uint32_t diff = (count - (v >> kCookieBits)) & (0xFFFFFFFFu >> kCookieBits);
    if (diff >= kMaxCookieAge) return std::nullopt;
    const std::uint32_t mssind =
        (v - static_cast<std::uint32_t>(hash_tuple(k0_ ^ 0xC1, k1_, s, d, count - diff))) &
        kCookieMask;
    if (mssind >= kMssTable.size()) return std::nullopt;
    return kMssTable[mssind];
}

void Host::detach_from_listener(Tcb& c) {
    if (c.listener_fd < 0 || !valid_fd(c.listener_fd)) {
        c.listener_fd = -1;
        return;
    }
    Socket& l = sk(c.listener_fd);
    if (c.in_accept_queue) {
        auto it = std::find(l.accept_queue.begin(), l.accept_queue.end(), c.slot);
        if (it != l.accept_queue.end()) l.accept_queue.erase(it);
        c.in_accept_queue = false;
    } else if (l.syn_queue > 0) {
        --l.syn_queue;
    }
    trace_queue(c.listener_fd);
    c.listener_fd = -1;
}

void Host::child_established(Connection& c, const std::string& cause) {
    Socket& l = sk(c.listener_fd);
    if (l.syn_queue > 0) --l.syn_queue;
    l.accept_queue.push_back(c.slot);
    c.in_accept_queue = true;
    c.established(cause, now());
    trace_queue(c.listener_fd);
    wake(c.listener_fd);
}

void Host::rcv_listen(int lfd, Segment& seg) {
    Socket& l = sk(lfd);
    auto discard = [&](const char* reason) { discard_segment(seg.id, reason); };
    const std::optional<Seq> isn_hint = tw_isn_hint_;
    tw_isn_hint_.reset();
    // "first check for an RST: An incoming RST segment could not be valid ... ignore it".
    if (seg.flags & RST) return discard("rst_to_listener");
    if (seg.flags & ACK && !(seg.flags & SYN)) {
        // A SYN cookie comes back as the ACK number minus one (Linux cookie_v4_check(), tried
        // only shortly after the SYN queue overflowed, or always with tcp_syncookies = 2).
        const bool cookies_recent =
            p_.syncookies == 2 || (p_.syncookies == 1 && l.last_cookie_overflow >= 0 &&
                                   now() - l.last_cookie_overflow < sec(120));
        if (cookies_recent) {
            if (auto mss = cookie_check(seg)) {
                if (accept_queue_full(l)) return discard("accept_queue_full");
                const FourTuple t{ip_, seg.src.ip, seg.dst.port, seg.src.port};
                Connection& c = new_tcb(t, State::Listen);
                c.passive = true;
                c.listener_fd = lfd;
                c.set_iss(seg.ack - 1);
                c.snd_una = c.snd_nxt = c.snd_max = c.snd_sml = seg.ack;
                c.irs = seg.seq - 1;
                c.rcv_nxt = c.rcv_wup = seg.seq;
                c.rcv_adv_id = seg.id;
                c.peer_mss = *mss;
                c.mss = std::min<std::uint16_t>(*mss, static_cast<std::uint16_t>(p_.mtu - 40));
                c.snd_wnd = seg.window;  // no window scale: the cookie could not keep it
                copy_options(c, l);
                c.holds_port = true;
                port_take(c.tuple.lport, c.reuse, false);
                note(conn_name(t), "syn_cookie_accepted", {{"mss", *mss}});
                c.set_state(State::SynReceived, "syn_cookie", now());
                ++l.syn_queue;
                child_established(c, "seg:" + std::to_string(seg.id));
                c.synchronized_segment_arrives(seg, now());  // data in the third segment
                return;
            }
        }
        // "any acknowledgment is bad if it arrives on a connection still in the LISTEN state.
        // An acceptable reset segment should be formed for any arriving ACK-bearing segment."
        reply_rst_to(seg, "rst_ack_to_listener", std::string());
        return;
    }
    if (!(seg.flags & SYN)) return discard("no_syn");

    // Linux tcp_conn_request(): a full SYN queue means cookies (or a drop without them); a
    // full accept queue drops the SYN whatever the cookies.
    bool want_cookie = p_.syncookies == 2;
    // inet_csk_reqsk_queue_is_full(): qlen > sk_max_ack_backlog, so like the accept queue the
    // SYN queue takes backlog + 1 requests before cookies start.
    if (!want_cookie && static_cast<int>(l.syn_queue) > l.backlog) {
        if (p_.syncookies == 0) {
            note(listener_name({ip_, l.local.port}), "syn_queue_full_drop");
            return discard("syn_queue_full");
        }
        want_cookie = true;
        if (l.last_cookie_overflow < 0 || now() - l.last_cookie_overflow >= sec(60))
            note(listener_name({ip_, l.local.port}), "syn_flood_cookies", {{"port", l.local.port}});
        l.last_cookie_overflow = now();
    }
    if (accept_queue_full(l)) {
        note(listener_name({ip_, l.local.port}), "accept_queue_full_syn_drop");
        return discard("accept_queue_full");
    }
    if (want_cookie) {
        // The SYN,ACK carries the cookie as ISN and no state is kept (RFC 4987 §3.6).
        std::uint16_t mss = 0;
        Segment r;
        r.src = seg.dst;
        r.dst = seg.src;
        r.seq = cookie_make(seg, &mss);
        r.ack = seg.seq + 1;
        r.flags = SYN | ACK;
        r.window = static_cast<std::uint16_t>(
            std::min(65535, p_.rcvbuf / 2 / (p_.mtu - 40) * (p_.mtu - 40)));
        r.opts.mss = mss;
        note("", "syn_cookie_sent", {{"seg_id", seg.id}, {"cookie", r.seq}, {"mss", mss}});
        Tcb numbers;  // only for the trace's relative numbers: the cookie is this side's ISN
        numbers.iss = r.seq;
        numbers.irs = seg.seq;
        SendWhy why;
        why.seq = SendWhy::SeqRule::Cookie;
        why.ack = SendWhy::AckRule::RcvNxt;
        why.ack_after = seg.id;
        emit(std::move(r), std::string(), &numbers, false, why);
        return;
    }
    const FourTuple t{ip_, seg.src.ip, seg.dst.port, seg.src.port};
    Connection& c = new_tcb(t, State::Listen);
    c.passive = true;
    c.listener_fd = lfd;
    copy_options(c, l);
    c.holds_port = true;
    port_take(c.tuple.lport, c.reuse, false);
    // RFC 6191 / Linux tcp_timewait_state_process(): a SYN that reopens a TIME-WAIT 4-tuple
    // gets ISN = old SND.NXT + 65535 + 2, so old and new sequence spaces cannot overlap.
    c.set_iss(isn_hint ? *isn_hint : isn_.next(now(), t.local(), t.remote()));
    c.syn_arrives_in_listen(seg, now());
    ++l.syn_queue;
    trace_queue(lfd);
    c.send_syn(true, false, now());
}

}  // namespace tcplab
