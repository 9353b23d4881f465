// The capture observer (observer.hpp), before any state: where the capture point sits on each
// path, which segments never reached their receiver, which RSTs answer a segment, and when each
// segment left its sender and reached its receiver.
#include "observer.hpp"

#include <algorithm>

namespace tcplab::observer {

// The capture point sits somewhere on the path: a SYN seen at t0, its SYN+ACK at t1 and the
// client's ACK at t2 put it (t1 - t0) / 2 from the server and (t2 - t1) / 2 from the client
// (each a round trip halved; kernel processing is negligible). Without a handshake both are
// taken as 0. Asymmetric paths cannot be seen from one point: the split is then a guess.
void Explainer::estimate_paths() {
    struct H {
        int64_t syn = -1, synack = -1, ack = -1;
        std::string client;
        // A simultaneous open (RFC 9293 §3.5, Figure 8): the other end's SYN, and the
        // client's SYN+ACK that answers it.
        int64_t peer_syn = -1, client_synack = -1;
    };
    std::unordered_map<Key, H, KeyHash> hs;
    for (const auto& s : cap_.segments) {
        H& h = hs[key_of(s, nullptr)];
        const std::string src = endpoint_string(s.ip_version, s.src, s.sport);
        const uint8_t f = s.flags & (SYN | ACK | RST);
        if (f == SYN && h.synack < 0 && h.peer_syn < 0 && (h.syn < 0 || src == h.client)) {
            h.syn = s.ts_us;  // (a re-sent SYN: the SYN+ACK answers the last one)
            h.client = src;
        } else if (f == SYN && h.synack < 0 && h.peer_syn < 0) {
            h.peer_syn = s.ts_us;
        } else if (f == (SYN | ACK) && h.syn >= 0 && h.ack < 0 && h.synack < 0 && src != h.client) {
            h.synack = s.ts_us;
        } else if (f == (SYN | ACK) && h.peer_syn >= 0 && h.client_synack < 0 && src == h.client) {
            h.client_synack = s.ts_us;
        } else if (h.synack >= 0 && h.ack < 0 && src == h.client && h.peer_syn < 0) {
            h.ack = s.ts_us;  // its ACK (or RST)
        }
    }
    for (auto& [k, h] : hs) {
        Path p;
        p.client = h.client;
        const bool loopback = k.a == k.b;  // both ends on one host: seen = sent = arrived
        p.loopback = loopback;
        if (loopback) {
            // distances stay 0
        } else if (h.peer_syn >= 0) {
            // Each SYN+ACK answers the other end's SYN: a round trip to that end.
            if (h.synack >= h.syn && h.client_synack >= h.peer_syn &&
                h.synack - h.syn < 10'000'000 && h.client_synack - h.peer_syn < 10'000'000) {
                p.to_server = (h.synack - h.syn) / 2;
                p.to_client = (h.client_synack - h.peer_syn) / 2;
                p.measured = true;
            }
        } else if (h.syn >= 0 && h.synack >= h.syn && h.ack >= h.synack &&
                   h.ack - h.syn < 10'000'000) {
            p.to_server = (h.synack - h.syn) / 2;
            p.to_client = (h.ack - h.synack) / 2;
            p.measured = true;
        }
        // Below 1 ms a "delay" is mostly kernel and application processing time, whose
        // jitter would put an ACK before the data it acknowledges: take it as 0.
        if (p.to_server < 1000) p.to_server = 0;
        if (p.to_client < 1000) p.to_client = 0;
        paths_[k] = p;
    }
}

// Whether the segment's receiver is at the capture point: both ends are (loopback), or the
// handshake put the capture point at the receiver's end and away from the sender's. A
// capture whose round trips are all under 1 ms cannot tell which end it is at.
bool Explainer::receiver_at_capture_point(const CapturedSegment& s) const {
    auto it = paths_.find(key_of(s, nullptr));
    if (it == paths_.end()) return false;
    const Path& p = it->second;
    if (p.loopback) return true;
    auto [ds, da] = distances(s);
    return p.measured && da == 0 && ds > 0;
}

// When each segment left its sender and reached its receiver. The distances give seen time
// minus the sender's distance and plus the receiver's; but the split of a round trip is an
// estimate (halves of the handshake's round trips, with jitter), so causality is enforced on
// top of it: a segment that answers another leaves its sender no earlier than the other one
// arrived there (and no later than it was seen). A segment answers
//  - the peer's segments whose sequence space its ACK acknowledges for the first time (the
//    earliest copy that was not lost): data, SYN and FIN are acknowledged after they arrive;
//  - for a duplicate ACK (no data, same ACK and window as the sender's previous one), the
//    peer's latest segment: a TCP repeats an ACK only when something arrives (an
//    unacceptable segment, RFC 9293 §3.10.7.4; a RST or SYN to challenge, RFC 5961;
//    out-of-order data, RFC 5681 §4.2; a keepalive probe);
//  - for a bare RST answering a segment (find_answered_by_reset), that segment.
// A sender's segments leave in the order they were seen.
void Explainer::compute_timeline() {
    const auto& segs = cap_.segments;
    send_t_.assign(segs.size(), 0);
    arr_t_.assign(segs.size(), 0);
    struct Pending {
        uint32_t seq, end;
        size_t idx;
    };
    struct Dir {
        std::deque<Pending> unacked;  // this direction's sequence space not yet acknowledged
        bool acked = false;
        uint32_t last_ack = 0;
        uint16_t last_win = 0;
        long last = -1;  // this direction's latest segment
        int64_t last_send = INT64_MIN;
        bool sent = false;
        uint32_t nxt = 0;  // the end of the sequence space sent so far
    };
    std::unordered_map<Key, std::array<Dir, 2>, KeyHash> dirs;
    for (size_t i = 0; i < segs.size(); ++i) {
        const auto& s = segs[i];
        bool fwd;
        auto& two = dirs[key_of(s, &fwd)];
        Dir& x = two[fwd ? 0 : 1];
        Dir& y = two[fwd ? 1 : 0];
        const bool rst = s.flags & RST, ack = s.flags & ACK;
        const uint32_t seglen = s.seg_len();
        auto [ds, da] = distances(s);
        int64_t snd = s.ts_us - ds, arr = s.ts_us + da;
        int64_t cause = INT64_MIN;
        auto answers = [&](size_t j) {
            if (lost_[j] == kNotLost) cause = std::max(cause, arr_t_[j]);
        };
        if (ack && !rst && !(x.acked && seq_le(s.ack, x.last_ack)))
            while (!y.unacked.empty() && seq_le(y.unacked.front().end, s.ack)) {
                answers(y.unacked.front().idx);
                y.unacked.pop_front();
            }
        // (A keepalive probe, one below the next sequence number, answers nothing.)
        const bool pure = seglen == 0 && !rst && !(x.sent && s.seq + 1 == x.nxt);
        if (pure && ack && x.acked && s.ack == x.last_ack && s.win == x.last_win && y.last > x.last)
            answers(size_t(y.last));
        if (rst && !ack && y.last >= 0 && reset_answer_[size_t(y.last)]) answers(size_t(y.last));
        if (cause > snd) snd = std::min(cause, s.ts_us);
        snd = std::max(snd, x.last_send);
        x.last_send = snd;
        send_t_[i] = snd;
        arr_t_[i] = std::max(arr, snd);
        if (seglen > 0 && !rst) {
            const uint32_t end = s.seq + seglen;
            if (!x.sent || seq_lt(x.nxt, end)) {
                x.unacked.push_back({s.seq, end, i});  // new sequence space
            } else {                                   // sent again: the copy that got through
                auto same = std::find_if(x.unacked.begin(), x.unacked.end(),
                                         [&](const Pending& p) { return p.seq == s.seq; });
                if (same != x.unacked.end() && lost_[same->idx] != kNotLost) same->idx = i;
            }
        }
        if (!x.sent || seq_lt(x.nxt, s.seq + seglen)) x.nxt = s.seq + seglen;
        x.sent = true;
        if (ack && !rst) {
            x.acked = true;
            x.last_ack = s.ack;
            x.last_win = s.win;
        }
        x.last = long(i);
    }
}

// (how long before it was seen the segment was sent, how long after it arrives)
std::pair<int64_t, int64_t> Explainer::distances(const CapturedSegment& s) const {
    auto it = paths_.find(key_of(s, nullptr));
    if (it == paths_.end()) return {0, 0};
    const Path& p = it->second;
    bool from_client = endpoint_string(s.ip_version, s.src, s.sport) == p.client;
    return from_client ? std::pair{p.to_client, p.to_server} : std::pair{p.to_server, p.to_client};
}

// A segment the capture point saw can still be lost beyond it (or thrown away by the
// receiver). The receiver's later behaviour tells:
//  - kUnacked: its sender sent the same sequence number again and nothing in between
//    acknowledged it (a timeout retransmission of a lost segment);
//  - kAckIgnored: an ACK of a SYN+ACK or FIN whose sender re-sent that SYN+ACK or FIN
//    afterwards (lost, or dropped: Linux ignores the ACK when the accept queue is full);
//  - kUnanswered: a keepalive probe followed by another segment from the same side with no
//    answer in between, and a RST sent after such probes.
void Explainer::infer_losses() {
    lost_.assign(cap_.segments.size(), kNotLost);
    struct Dir {
        bool seen = false, ack_known = false, ctrl_seen = false;
        bool bare_syn = false;  // sent a SYN without ACK
        uint32_t snd_nxt = 0, max_ack = 0, ctrl_seq = 0, ctrl_end = 0;
        bool ctrl_synack = false;  // the last SYN+ACK or FIN sent was a SYN+ACK
        int ignored_run = 0;       // answers to it ignored in a row
        std::unordered_map<uint32_t, size_t> by_seq;
        std::vector<size_t> pure_acks;
    };
    struct T {
        Dir d[2];
        long pending_ka = -1;
        int ka_dir = 0;
    };
    std::unordered_map<Key, T, KeyHash> ts;
    // Per listening endpoint, the last SYN+ACK it sent for a new connection: the accept
    // queue had room then (Linux drops SYNs while it is full, tcp_conn_request).
    std::unordered_map<std::string, size_t> room;
    for (size_t i = 0; i < cap_.segments.size(); ++i) {
        const auto& s = cap_.segments[i];
        bool fwd;
        T& t = ts[key_of(s, &fwd)];
        const int d = fwd ? 0 : 1;
        Dir& x = t.d[d];
        Dir& y = t.d[1 - d];
        const bool syn = s.flags & SYN, fin = s.flags & FIN, rst = s.flags & RST,
                   ack = s.flags & ACK;
        const uint32_t seglen = s.seg_len();
        if (t.pending_ka >= 0) {
            if (t.ka_dir == d) {
                lost_[size_t(t.pending_ka)] = kUnanswered;
                if (rst) lost_[i] = kUnanswered;
            }
            t.pending_ka = -1;
        }
        bool keepalive = x.seen && !syn && !fin && !rst && s.len <= 1 && s.seq == x.snd_nxt - 1;
        if (keepalive) {
            t.pending_ka = long(i);
            t.ka_dir = d;
        }
        if (seglen > 0 && !keepalive) {
            if (auto it = x.by_seq.find(s.seq); it != x.by_seq.end()) {
                const auto& o = cap_.segments[it->second];
                // A simultaneous open: the SYN+ACK repeats the SYN's number to answer the
                // other end's SYN (RFC 9293 Figure 8); the SYN was not lost.
                const bool simultaneous =
                    syn && ack && y.bare_syn && (o.flags & (SYN | ACK | RST)) == SYN;
                const uint32_t oend = o.seq + o.seg_len();
                if (!(y.ack_known && seq_le(oend, y.max_ack)) && lost_[it->second] == kNotLost &&
                    !simultaneous)
                    lost_[it->second] = kUnacked;
            }
            x.by_seq[s.seq] = i;
        }
        if ((syn && ack) || fin) {
            const uint32_t cend = s.seq + seglen;
            const bool again = x.ctrl_seen && x.ctrl_seq == s.seq;
            bool ignored = false;
            if (again)
                for (size_t j : y.pure_acks)
                    if (seq_le(cend, cap_.segments[j].ack)) {
                        lost_[j] = kAckIgnored;
                        ignored = true;
                    }
            x.ignored_run = again && ignored ? x.ignored_run + 1 : 0;
            if (syn && !x.ctrl_seen) room[endpoint_string(s.ip_version, s.src, s.sport)] = i;
            x.ctrl_seen = true;
            x.ctrl_seq = s.seq;
            x.ctrl_end = cend;
            x.ctrl_synack = syn && ack;
            y.pure_acks.clear();
        } else if (seglen > 0) {
            y.pure_acks.clear();
        }
        // ACKs (with or without data) answering a SYN+ACK or FIN of the other side.
        if (ack && !rst && !syn && y.ctrl_seen) x.pure_acks.push_back(i);
        if (!x.seen || seq_lt(x.snd_nxt, s.seq + seglen)) x.snd_nxt = s.seq + seglen;
        x.seen = true;
        if (syn && !ack && !rst) x.bare_syn = true;
        if (ack && !rst && (!x.ack_known || seq_lt(x.max_ack, s.ack))) {
            x.max_ack = s.ack;
            x.ack_known = true;
        }
    }
    // The last answers of a capture are taken as delivered: nothing after them shows
    // otherwise. One exception: a listener that ignored the ACK of its SYN+ACK several times
    // in a row has a full accept queue (Linux tcp_check_req, listen_overflow), which stays
    // full until the application calls accept(); its last answer is taken as ignored too.
    // (An ACK of a FIN is only ever lost by chance: never assumed.)
    // Unless the listener answered a new connection's SYN after it: the queue had room.
    for (auto& [k, t] : ts)
        for (int d = 0; d < 2; ++d)
            if (t.d[d].ctrl_synack && t.d[d].ignored_run >= 2)
                for (size_t j : t.d[1 - d].pure_acks) {
                    const auto& a = cap_.segments[j];
                    auto r = room.find(endpoint_string(a.ip_version, a.dst, a.dport));
                    if (seq_le(t.d[d].ctrl_end, a.ack) && (r == room.end() || r->second < j))
                        lost_[j] = kAckStillIgnored;
                }
}

// A bare RST whose SEQ is the ACK of the last segment its sender received, sent as soon as
// that segment arrived, is how a host with no connection answers it (RFC 9293 §3.10.7.1).
// If the sender sends nothing else on the connection afterwards (a forged RST is not an
// answer, and the real TCP would go on), it had lost the connection before that segment.
void Explainer::find_answered_by_reset() {
    reset_answer_.assign(cap_.segments.size(), false);
    rst_answers_.assign(cap_.segments.size(), false);
    struct D {
        long last = -1;                // the last segment sent in this direction
        std::vector<size_t> answered;  // segments this direction answered with a bare RST
    };
    std::unordered_map<Key, std::array<D, 2>, KeyHash> dirs;
    for (size_t i = 0; i < cap_.segments.size(); ++i) {
        const auto& s = cap_.segments[i];
        bool fwd;
        auto& two = dirs[key_of(s, &fwd)];
        D& x = two[fwd ? 0 : 1];
        const D& y = two[fwd ? 1 : 0];
        if ((s.flags & (SYN | ACK)) == SYN) {
            x.answered.clear();  // a new connection from this end: earlier answers stand
        } else if ((s.flags & (RST | ACK)) == RST) {
            if (y.last >= 0) {
                const auto& p = cap_.segments[size_t(y.last)];
                // Answered at once: the round trip between the capture point and the
                // sender, plus a little processing time.
                const bool at_once = s.ts_us - p.ts_us <= 2 * distances(s).first + 10'000;
                if ((p.flags & ACK) && !(p.flags & RST) && p.ack == s.seq && at_once) {
                    rst_answers_[i] = true;
                    reset_answer_[size_t(y.last)] = true;
                    x.answered.push_back(size_t(y.last));
                }
            }
        } else if (!(s.flags & RST)) {
            for (size_t j : x.answered) reset_answer_[j] = false;  // it still had it
            x.answered.clear();
        }
        x.last = long(i);
    }
}

}  // namespace tcplab::observer
