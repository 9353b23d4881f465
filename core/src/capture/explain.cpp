// Replays captured TCP connections through the state machine as an observer.
//
// The observer sees each segment once, at the capture point, somewhere on the path between its
// two ends. The handshake tells how far each end is from that point; each segment then becomes
// two events on the true timeline: it left its sender (seen time minus the sender's distance)
// and reached its receiver (seen time plus the receiver's), never earlier than the segments it
// answers reached its sender (causality beats the estimated distances). Transitions follow
// RFC 9293 §3.10.7 (segment arrives) in the order the RFC checks a segment: RST, SYN, ACK, FIN. A
// sender's own transitions (SYN -> SYN_SENT, SYN+ACK -> SYN_RECEIVED, FIN -> FIN_WAIT_1 /
// LAST_ACK, RST -> CLOSED) happen when its segment leaves. Where Linux differs from the RFC the
// note says so.
#include "tcplab/explain.hpp"
#include "tcplab/error.hpp"
#include "tcplab/profile.hpp"
#include "tcplab/seq.hpp"
#include "tcplab/state.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <unordered_map>

namespace tcplab {
namespace {

using nlohmann::ordered_json;

// What the observer assumes of both ends: the engine's Linux profile (TIME_WAIT length, initial
// and minimum RTO, ...), with the one sysctl that a capture cannot show but that changes what it
// means: tcp_rfc1337 (a RST in TIME_WAIT is ignored).
Params observed_params(const ExplainOptions& opt) {
    Params p = profile_params("linux");
    p.rfc1337 = opt.tcp_rfc1337 ? 1 : 0;
    return p;
}
// Two copies of one packet (same interface, IP ID and header bytes) this close together are one
// packet the capture tool recorded twice (e.g. dumpcap on several interfaces including lo), not
// a retransmission: TCP never re-sends within microseconds, and a re-sent segment has a new IP ID.
constexpr int64_t kDuplicateWindowUs = 100;

struct Sent {  // a segment carrying sequence space, for retransmission spacing
    uint32_t seq, end;
    int64_t last_us;
    int64_t prev_gap_us = 0;  // the wait before the last timeout copy (0: none to compare with)
    int copies = 1;
    int timeouts = 0;  // copies sent by the retransmission timer (a loss probe is not one)
};

struct End {
    std::string addr, host, conn;  // "ip:port", host name, "local>remote"
    State state = State::Closed;
    bool seen = false;  // sent anything
    uint32_t base = 0;  // ISS (or a guess) for relative numbers
    bool iss_known = false;
    uint32_t iss = 0;
    uint32_t snd_nxt = 0;
    uint32_t snd_una = 0;
    bool una_known = false;
    bool fin_sent = false, fin_acked = false, fin_received = false;
    uint32_t fin_seq = 0;
    bool zero_win = false;
    uint16_t last_win = 0;
    // What this end's SYN said (RFC 7323 §2.2; RFC 2018 §2): -2 no SYN seen, -1 no option.
    int syn_wscale = -2;
    int syn_sack = -2;
    bool base_known = false;  // `base` set from the peer's ACK before this end sent anything
    bool last_ack_valid = false;
    uint32_t last_ack = 0;
    int dups = 0;
    bool dup_noted = false;
    bool rtx_timer = false;
    bool got_data = false;  // received payload from the peer
    bool half_close_noted = false;
    bool passive = false;   // the listening side
    std::deque<Sent> sent;  // unacknowledged sequence-space segments
    int64_t last_us = 0;
};

struct Key {
    std::array<uint8_t, 16> a, b;
    uint16_t pa, pb;
    uint8_t v;
    bool operator==(const Key& o) const {
        return a == o.a && b == o.b && pa == o.pa && pb == o.pb && v == o.v;
    }
};

struct Conn {
    long id = 0;
    Key key{};
    End e[2];  // 0: client, 1: server
    std::string roles;
    uint64_t first_frame = 0, segments = 0;
    int64_t syn_us = -1, rtt_us = -1;
    bool established_once = false;
    bool done = false;  // superseded by a new incarnation
    int64_t tw_expires[2] = {-1, -1};
};

struct KeyHash {
    size_t operator()(const Key& k) const {
        std::uint64_t h = 1469598103934665603ull;  // FNV-1a offset basis: 64 bits on every target
        auto mix = [&](uint8_t x) { h = (h ^ x) * 1099511628211ull; };
        for (auto x : k.a) mix(x);
        for (auto x : k.b) mix(x);
        mix(uint8_t(k.pa)), mix(uint8_t(k.pa >> 8)), mix(uint8_t(k.pb)), mix(uint8_t(k.pb >> 8)),
            mix(k.v);
        return h;
    }
};
// Canonical key: the smaller endpoint first.
Key key_of(const CapturedSegment& s, bool* forward) {
    bool f = std::tie(s.src, s.sport) < std::tie(s.dst, s.dport);
    if (forward) *forward = f;
    return f ? Key{s.src, s.dst, s.sport, s.dport, s.ip_version}
             : Key{s.dst, s.src, s.dport, s.sport, s.ip_version};
}

class Explainer {
public:
    // `cap` holds the segments of the capture point explained (explain_capture selects them).
    Explainer(Capture cap, const ExplainOptions& opt, InterfaceSelection sel)
        : cap_(std::move(cap)), opt_(opt), p_(observed_params(opt)), sel_(std::move(sel)) {
        drop_duplicates_and_sort();
    }

    ordered_json run() {
        name_hosts();
        estimate_paths();
        infer_losses();
        find_answered_by_reset();
        compute_timeline();
        // Every segment becomes two events on the true timeline: sent and arrived
        // (compute_timeline).
        struct Ev {
            int64_t t;
            uint32_t idx;
            bool arrive;
        };
        std::vector<Ev> evs;
        evs.reserve(cap_.segments.size() * 2);
        int64_t first = INT64_MAX, last = INT64_MIN;
        for (uint32_t i = 0; i < cap_.segments.size(); ++i) {
            evs.push_back({send_t_[i], i, false});
            evs.push_back({arr_t_[i], i, true});
            first = std::min(first, send_t_[i]);
            last = std::max(last, arr_t_[i]);
        }
        std::sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) {
            return a.t != b.t ? a.t < b.t : a.idx != b.idx ? a.idx < b.idx : a.arrive < b.arrive;
        });
        start_us_ = evs.empty() ? 0 : first;
        per_seg_.resize(cap_.segments.size());
        for (const Ev& e : evs) {
            flush_timers(rel(e.t));
            if (e.arrive)
                arrived(e.idx, rel(e.t));
            else
                sent(e.idx, rel(e.t));
        }
        end_us_ = evs.empty() ? 0 : rel(last);
        flush_timers(end_us_);
        finish();
        return build();
    }

private:
    Capture cap_;
    const ExplainOptions& opt_;
    const Params p_;                // both ends' parameters (observed_params)
    const InterfaceSelection sel_;  // the capture point explained
    int64_t start_us_ = 0, end_us_ = 0;
    // Frames that repeat an earlier frame (drop_duplicates_and_sort): (copy, original).
    std::vector<std::pair<uint64_t, uint64_t>> duplicates_;
    // Per segment: when it left its sender and when it reached its receiver (absolute µs).
    std::vector<int64_t> send_t_, arr_t_;
    ordered_json events_ = ordered_json::array();
    ordered_json hosts_ = ordered_json::object();
    std::map<std::string, std::string> host_of_;  // identity -> host name
    // One-way delays between the capture point and each end of a 4-tuple, from its handshake.
    struct Path {
        std::string client;     // "ip:port" of the SYN's sender
        int64_t to_client = 0;  // capture point <-> client, us
        int64_t to_server = 0;  // capture point <-> server, us
        bool loopback = false;  // both ends on the capture point's host
        bool measured = false;  // from a handshake (else both distances are a guess of 0)
    };
    std::unordered_map<Key, Path, KeyHash> paths_;
    // Segments that the receiver behaved as if it never got (see infer_losses).
    enum Loss : uint8_t {
        kNotLost = 0,
        kUnacked = 1,
        kAckIgnored = 2,
        kUnanswered = 3,
        kAckStillIgnored = 4  // the last ACK of a SYN+ACK after several ignored ones
    };
    std::vector<uint8_t> lost_;
    // Segments whose receiver's next segment on the connection is a bare RST with SEQ = their
    // ACK: the answer of a host with no connection (RFC 9293 §3.10.7.1).
    std::vector<bool> reset_answer_;
    // Bare RSTs <SEQ=SEG.ACK> sent at once after a segment carrying an ACK: how TCP answers an ACK
    // it does not accept (RFC 9293 §3.10.7.1-3), whether or not the sender keeps the connection.
    std::vector<bool> rst_answers_;
    struct SegState {
        Conn* conn = nullptr;
        int xi = 0;
        uint64_t id = 0;
        bool keepalive = false;
    };
    std::vector<SegState> per_seg_;
    bool per_endpoint_ = false;
    std::unordered_map<Key, size_t, KeyHash> live_;
    std::vector<std::unique_ptr<Conn>> conns_;
    std::map<std::string, uint64_t> note_counts_;
    uint64_t seg_id_ = 0;
    struct Tw {
        int64_t at;
        size_t conn;
        int side;
        bool operator>(const Tw& o) const { return at > o.at; }
    };
    std::priority_queue<Tw, std::vector<Tw>, std::greater<Tw>> tw_;

    int64_t rel(int64_t abs_us) const { return abs_us - start_us_; }
    bool wanted(const Conn& c) const { return opt_.connection < 0 || opt_.connection == c.id; }

    // One packet recorded twice is explained once: a copy with the same interface, IP ID and
    // header bytes (whose TCP checksum covers the payload) within kDuplicateWindowUs of an
    // earlier one. Then the segments are taken in the order they were seen: a file written from
    // several capture buffers is not always in time order (Wireshark's "Strict time order").
    void drop_duplicates_and_sort() {
        auto& v = cap_.segments;
        std::stable_sort(v.begin(), v.end(),
                         [](const auto& a, const auto& b) { return a.ts_us < b.ts_us; });
        std::vector<CapturedSegment> kept;
        kept.reserve(v.size());
        std::deque<size_t> window;  // kept copies of the last kDuplicateWindowUs, in time order
        std::unordered_map<uint64_t, std::vector<size_t>> by_digest;  // ... by digest
        for (auto& s : v) {
            while (!window.empty() && s.ts_us - kept[window.front()].ts_us > kDuplicateWindowUs) {
                auto it = by_digest.find(kept[window.front()].digest);
                std::erase(it->second, window.front());
                if (it->second.empty()) by_digest.erase(it);
                window.pop_front();
            }
            if (auto it = by_digest.find(s.digest); it != by_digest.end() && s.digest != 0) {
                auto same = std::find_if(it->second.begin(), it->second.end(), [&](size_t k) {
                    return kept[k].iface == s.iface && kept[k].ip_id == s.ip_id;
                });
                if (same != it->second.end()) {
                    duplicates_.emplace_back(s.frame, kept[*same].frame);
                    continue;
                }
            }
            window.push_back(kept.size());
            by_digest[s.digest].push_back(kept.size());
            kept.push_back(std::move(s));
        }
        v = std::move(kept);
    }

    // The capture point sits somewhere on the path: a SYN seen at t0, its SYN+ACK at t1 and the
    // client's ACK at t2 put it (t1 - t0) / 2 from the server and (t2 - t1) / 2 from the client
    // (each a round trip halved; kernel processing is negligible). Without a handshake both are
    // taken as 0. Asymmetric paths cannot be seen from one point: the split is then a guess.
    void estimate_paths() {
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
            } else if (f == (SYN | ACK) && h.syn >= 0 && h.ack < 0 && h.synack < 0 &&
                       src != h.client) {
                h.synack = s.ts_us;
            } else if (f == (SYN | ACK) && h.peer_syn >= 0 && h.client_synack < 0 &&
                       src == h.client) {
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
    bool receiver_at_capture_point(const CapturedSegment& s) const {
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
    void compute_timeline() {
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
            if (pure && ack && x.acked && s.ack == x.last_ack && s.win == x.last_win &&
                y.last > x.last)
                answers(size_t(y.last));
            if (rst && !ack && y.last >= 0 && reset_answer_[size_t(y.last)])
                answers(size_t(y.last));
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
    std::pair<int64_t, int64_t> distances(const CapturedSegment& s) const {
        auto it = paths_.find(key_of(s, nullptr));
        if (it == paths_.end()) return {0, 0};
        const Path& p = it->second;
        bool from_client = endpoint_string(s.ip_version, s.src, s.sport) == p.client;
        return from_client ? std::pair{p.to_client, p.to_server}
                           : std::pair{p.to_server, p.to_client};
    }

    // A segment the capture point saw can still be lost beyond it (or thrown away by the
    // receiver). The receiver's later behaviour tells:
    //  - kUnacked: its sender sent the same sequence number again and nothing in between
    //    acknowledged it (a timeout retransmission of a lost segment);
    //  - kAckIgnored: an ACK of a SYN+ACK or FIN whose sender re-sent that SYN+ACK or FIN
    //    afterwards (lost, or dropped: Linux ignores the ACK when the accept queue is full);
    //  - kUnanswered: a keepalive probe followed by another segment from the same side with no
    //    answer in between, and a RST sent after such probes.
    void infer_losses() {
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
                    if (!(y.ack_known && seq_le(oend, y.max_ack)) &&
                        lost_[it->second] == kNotLost && !simultaneous)
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
    void find_answered_by_reset() {
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

    // Host naming: one host per IP address, unless some connection has the same address on both
    // ends (loopback), then one host per endpoint. Two hosts with consistent roles are called
    // "client" and "server"; otherwise "A", "B", ... in order of appearance.
    void name_hosts() {
        std::vector<std::string> order;
        std::map<std::string, std::string> ip_of, port_of;
        std::map<std::string, std::set<std::string>> roles;
        std::unordered_map<Key, bool, KeyHash> seen;
        for (const auto& s : cap_.segments)
            if (s.ip_version == 4 ? std::equal(s.src.begin(), s.src.begin() + 4, s.dst.begin())
                                  : s.src == s.dst) {
                per_endpoint_ = true;
                break;
            }
        for (const auto& s : cap_.segments) {
            Key k = key_of(s, nullptr);
            if (seen.count(k)) continue;
            bool client_is_src = (s.flags & SYN) ? !(s.flags & ACK) : s.sport > s.dport;
            seen[k] = true;
            std::string src = identity(s.ip_version, s.src, s.sport),
                        dst = identity(s.ip_version, s.dst, s.dport);
            for (auto& [id, ver, ip, port, role] :
                 {std::tuple{src, s.ip_version, s.src, s.sport, client_is_src},
                  std::tuple{dst, s.ip_version, s.dst, s.dport, !client_is_src}}) {
                if (!ip_of.count(id)) {
                    order.push_back(id);
                    ip_of[id] = ip_to_string(ver, ip);
                    port_of[id] = std::to_string(port);
                }
                roles[id].insert(role ? "client" : "server");
            }
        }
        bool cs = order.size() == 2 && roles[order[0]].size() == 1 && roles[order[1]].size() == 1 &&
                  *roles[order[0]].begin() != *roles[order[1]].begin();
        for (size_t i = 0; i < order.size(); ++i) {
            std::string name;
            if (cs)
                name = *roles[order[i]].begin();
            else if (i < 26)
                name = std::string(1, char('A' + i));
            else
                name = "H" + std::to_string(i + 1);
            host_of_[order[i]] = name;
            ordered_json h = {{"ip", ip_of[order[i]]}};
            if (per_endpoint_) h["port"] = std::stoi(port_of[order[i]]);
            hosts_[name] = h;
        }
    }
    std::string identity(uint8_t v, const std::array<uint8_t, 16>& ip, uint16_t port) const {
        return per_endpoint_ ? endpoint_string(v, ip, port) : ip_to_string(v, ip);
    }

    void push(ordered_json e) {
        if (opt_.events) events_.push_back(std::move(e));
    }
    // Args are built lazily (a callable), so a summary of a huge capture builds no JSON.
    void note(const Conn& c, int64_t t, const End* who, const std::string& code) {
        note(c, t, who, code, [] { return ordered_json::object(); });
    }
    void note(const Conn& c, int64_t t, const End* who, const std::string& code,
              ordered_json args) {
        note(c, t, who, code, [&] { return std::move(args); });
    }
    template <class Args>
    void note(const Conn& c, int64_t t, const End* who, const std::string& code, Args&& make_args) {
        if (!wanted(c)) return;
        ++note_counts_[code];  // the notes of the connections explained
        if (!opt_.events) return;
        ordered_json args = make_args();
        if (who && !args.contains("host")) args["host"] = who->host;
        ordered_json e = {{"t_us", t}, {"kind", "note"}};
        if (who) e["host"] = who->host, e["conn"] = who->conn;
        e["code"] = code;
        e["args"] = std::move(args);
        push(std::move(e));
    }
    void state(Conn& c, End& x, int64_t t, State to, const std::string& cause,
               bool inferred = false) {
        if (x.state == to && cause != "capture_start") return;
        if (opt_.events && wanted(c)) {
            ordered_json e = {{"t_us", t},
                              {"kind", "state"},
                              {"host", x.host},
                              {"conn", x.conn},
                              {"from", state_name(x.state)},
                              {"to", state_name(to)},
                              {"cause", cause}};
            if (inferred) e["inferred"] = true;
            push(std::move(e));
        }
        State from = x.state;
        x.state = to;
        int side = &x == &c.e[0] ? 0 : 1;
        if (to == State::TimeWait) {
            c.tw_expires[side] = t + p_.time_wait;
            tw_.push({t + p_.time_wait, index_of(c), side});
            timer(c, x, t, "time_wait", "set", t + p_.time_wait);
            note(c, t, &x, "cap_time_wait");
        } else if (from == State::TimeWait && c.tw_expires[side] >= 0) {
            c.tw_expires[side] = -1;
            timer(c, x, t, "time_wait", "cancel");
        }
        if (to == State::Closed && x.rtx_timer) {
            x.rtx_timer = false;
            timer(c, x, t, "retransmit", "cancel");
        }
    }
    void timer(const Conn& c, const End& x, int64_t t, const char* name, const char* action,
               int64_t expires = -1, bool inferred = false) {
        if (!opt_.events || !wanted(c)) return;
        ordered_json e = {{"t_us", t},      {"kind", "timer"}, {"host", x.host},
                          {"conn", x.conn}, {"timer", name},   {"action", action}};
        if (expires >= 0) e["expires_us"] = expires;
        if (inferred) e["inferred"] = true;
        push(std::move(e));
    }

    // TIME_WAIT timers that expire before time t: fire them first, so events stay in time order.
    void flush_timers(int64_t t) {
        while (!tw_.empty() && tw_.top().at <= t) {
            Tw w = tw_.top();
            tw_.pop();
            Conn& c = *conns_[w.conn];
            End& x = c.e[w.side];
            if (c.tw_expires[w.side] != w.at || x.state != State::TimeWait)
                continue;  // cancelled or restarted
            c.tw_expires[w.side] = -1;
            timer(c, x, w.at, "time_wait", "fire");
            state(c, x, w.at, State::Closed, "timer:time_wait");
        }
    }

    Conn& open(const CapturedSegment& s, const Key& k, int64_t t) {
        auto c = std::make_unique<Conn>();
        c->id = long(conns_.size()) + 1;
        c->first_frame = s.frame;
        c->key = k;
        std::string src = endpoint_string(s.ip_version, s.src, s.sport),
                    dst = endpoint_string(s.ip_version, s.dst, s.dport);
        std::string hsrc = host_of_[identity(s.ip_version, s.src, s.sport)],
                    hdst = host_of_[identity(s.ip_version, s.dst, s.dport)];
        bool syn = s.flags & SYN, ack = s.flags & ACK;
        bool client_is_src = syn ? !ack : s.sport > s.dport;
        End& cl = c->e[0];
        End& sv = c->e[1];
        cl.addr = client_is_src ? src : dst, cl.host = client_is_src ? hsrc : hdst;
        sv.addr = client_is_src ? dst : src, sv.host = client_is_src ? hdst : hsrc;
        cl.conn = cl.addr + ">" + sv.addr;
        sv.conn = sv.addr + ">" + cl.addr;
        sv.passive = true;
        c->roles = syn ? (ack ? "syn_ack" : "syn") : "guessed";
        size_t idx = conns_.size();
        conns_.push_back(std::move(c));
        live_[k] = idx;
        Conn& r = *conns_[idx];
        if (syn && !ack) {
            r.e[1].state = State::Listen;  // assumed until the server answers
        } else if (syn && ack) {
            r.e[1].state = State::Listen;
            state(r, r.e[0], t, State::SynSent, "capture_start", true);
            r.e[0].iss_known = true;
            r.e[0].iss = r.e[0].base = s.ack - 1;
            r.e[0].snd_nxt = s.ack;
            r.e[0].seen = true;
            note(r, t, &r.e[0], "cap_missed_syn");
        } else {
            state(r, r.e[0], t, State::Established, "capture_start", true);
            state(r, r.e[1], t, State::Established, "capture_start", true);
            r.established_once = true;
            note(r, t, nullptr, "cap_mid_connection",
                 {{"client", r.e[0].addr}, {"server", r.e[1].addr}});
        }
        return r;
    }

    // A segment leaves its sender (at time t on the true timeline).
    void sent(uint32_t idx, int64_t t) {
        const CapturedSegment& s = cap_.segments[idx];
        bool fwd;
        Key k = key_of(s, &fwd);
        auto it = live_.find(k);
        Conn* cp = it == live_.end() ? nullptr : conns_[it->second].get();
        const std::string src = endpoint_string(s.ip_version, s.src, s.sport);
        const bool syn = s.flags & SYN, ackf = s.flags & ACK, fin = s.flags & FIN,
                   rst = s.flags & RST;
        // What this SYN means for an earlier connection on the same 4-tuple, said after the
        // segment itself (it is the cause).
        std::vector<std::function<void()>> after_send;
        if (cp && syn && !ackf) {
            int xi = cp->e[0].addr == src ? 0 : 1;
            End& x = cp->e[xi];
            bool same_syn = x.iss_known && s.seq == x.iss;
            // (An end's first segment is its own connect(), e.g. in a simultaneous open.)
            if (!same_syn && x.seen) {
                auto closed = [](const End& e) {
                    return e.state == State::Closed || e.state == State::TimeWait ||
                           e.state == State::Listen;
                };
                if (closed(cp->e[0]) && closed(cp->e[1])) {
                    std::string old = cp->e[0].conn;
                    const End* tw = cp->e[0].state == State::TimeWait   ? &cp->e[0]
                                    : cp->e[1].state == State::TimeWait ? &cp->e[1]
                                                                        : nullptr;
                    std::string twhost = tw ? tw->host : "";
                    Conn* prev = cp;
                    prev->done = true;
                    cp = &open(s, k, t);
                    Conn* next = cp;
                    const std::string cause = "seg:" + std::to_string(seg_id_ + 1);
                    after_send.push_back([this, prev, next, t, old, twhost, cause] {
                        note(*next, t, nullptr, "cap_new_incarnation", [&] {
                            return ordered_json{{"conn", old}};
                        });
                        if (twhost.empty()) return;
                        // The old incarnation's TIME_WAIT ends here (RFC 6191 / Linux
                        // tcp_timewait_state_process).
                        note(*next, t, nullptr, "cap_syn_in_time_wait", [&] {
                            return ordered_json{{"host", twhost}};
                        });
                        for (int i = 0; i < 2; ++i)
                            if (prev->e[i].state == State::TimeWait)
                                state(*prev, prev->e[i], t, State::Closed, cause);
                    });
                } else {
                    Conn* on = cp;
                    const std::string conn = x.conn;
                    after_send.push_back([this, on, t, conn] {
                        note(*on, t, nullptr, "cap_syn_in_synchronized", [&] {
                            return ordered_json{{"conn", conn}};
                        });
                    });
                }
            }
        }
        if (!cp) cp = &open(s, k, t);
        Conn& c = *cp;
        ++c.segments;
        int xi = c.e[0].addr == src ? 0 : 1;
        End& x = c.e[xi];
        End& y = c.e[1 - xi];
        const uint32_t seglen = s.seg_len();
        const uint64_t id = ++seg_id_;
        const std::string cause = "seg:" + std::to_string(id);

        const bool first_segment = !x.seen;
        // Sequence bookkeeping before this segment.
        if (!x.seen) {
            x.seen = true;
            if (syn) {
                x.iss_known = true;
                x.iss = x.base = s.seq;
            } else if (!x.iss_known && !x.base_known)
                x.base = s.seq - 1;
            if (!x.iss_known || !syn) x.snd_nxt = s.seq;
            if (syn) x.snd_nxt = s.seq;
        }
        // Numbers relative to an end that has not sent anything yet (a capture that starts in
        // the middle): its base comes from this ACK, as its own first segment would give it, so
        // the same numbering holds both ways (Wireshark does the same).
        if (ackf && !y.seen && !y.iss_known && !y.base_known) {
            y.base = s.ack - 1;
            y.base_known = true;
        }
        if (syn) {
            x.syn_wscale = s.opts.wscale >= 0 ? std::min(s.opts.wscale, 14) : -1;
            x.syn_sack = s.opts.sack_ok ? 1 : -1;
        }
        if (syn && !x.iss_known) {
            x.iss_known = true;
            x.iss = x.base = s.seq;
            x.snd_nxt = s.seq;
        }

        // The sender's side first (what kind of copy this is), then the segment, then the rest.
        bool retrans = false, keepalive = false, probe = false;
        // In a simultaneous open the SYN+ACK repeats the SYN's number (RFC 9293 Figure 8).
        const bool simultaneous_synack =
            syn && ackf && x.state == State::SynSent && x.iss_known && s.seq == x.iss && s.len == 0;
        if (seglen > 0 && seq_lt(s.seq, x.snd_nxt) && !simultaneous_synack) {
            if (!syn && !fin && s.len <= 1 && s.seq == x.snd_nxt - 1)
                keepalive = true;
            else if (y.zero_win && s.len <= 1)
                probe = true;
            else
                retrans = true;
        } else if (seglen == 0 && !rst && !syn && s.seq == x.snd_nxt - 1 && x.seen && s.len == 0 &&
                   c.established_once && t - x.last_us > 1'000'000) {
            keepalive = true;
        } else if (seglen > 0 && y.zero_win && !syn && !fin && s.len <= 1 &&
                   !seq_lt(x.snd_nxt, s.seq)) {
            probe = true;
        }

        // The segment itself.
        if (opt_.events && wanted(c)) {
            ordered_json seg = {{"id", id},
                                {"src", src},
                                {"dst", endpoint_string(s.ip_version, s.dst, s.dport)},
                                {"flags", flag_names(s.flags)},
                                {"seq", s.seq},
                                {"ack", s.ack},
                                {"win", s.win},
                                {"len", s.len}};
            if (auto o = options_json(s.opts); !o.empty()) seg["opts"] = std::move(o);
            ordered_json e = {
                {"t_us", t}, {"kind", "send"}, {"host", x.host}, {"conn", x.conn}, {"seg", seg}};
            ordered_json r = {{"seq", uint32_t(s.seq - x.base)}};
            if (ackf) r["ack"] = uint32_t(s.ack - y.base);
            e["rel"] = r;
            // Scaled by the shift both SYNs agreed on (RFC 7323 §2.2-2.3; never on a SYN).
            if (int shift = window_shift(x, y, syn); shift >= 0)
                e["window"] = uint64_t(s.win) << shift;
            if (retrans) e["retransmission"] = true;
            e["frame"] = s.frame;
            e["seen_us"] = rel(s.ts_us);
            e["capture_conn"] = c.id;
            push(std::move(e));
        }
        for (auto& f : after_send) f();

        // --- the sender's side ---
        if (seglen > 0 && seq_lt(x.snd_nxt, s.seq) && x.iss_known && !rst) {
            note(c, t, &x, "cap_gap",
                 {{"seq", uint32_t(s.seq - x.base)}, {"expected", uint32_t(x.snd_nxt - x.base)}});
        }
        if (keepalive) {
            note(c, t, &x, "cap_keepalive",
                 {{"idle_s", std::round(double(t - std::max(x.last_us, y.last_us)) / 1e5) / 10}});
            timer(c, x, t, "keepalive", "fire", -1, true);
        } else if (probe) {
            note(c, t, &x, "cap_zero_window_probe", [&] { return ordered_json{{"len", s.len}}; });
            timer(c, x, t, "persist", "fire", -1, true);
        } else if (retrans) {
            retransmission(c, x, y, s, t, syn, fin);
        }
        if (s.len > 0 && !retrans && !keepalive && !probe) {
            if (x.fin_sent && seq_le(x.fin_seq, s.seq)) note(c, t, &x, "cap_data_after_fin");
            if (y.fin_sent && !x.fin_sent && !x.half_close_noted && y.state != State::Closed) {
                x.half_close_noted = true;
                note(c, t, &x, "cap_half_closed");
            }
        }
        if (s.win == 0 && !rst && !x.zero_win) {
            x.zero_win = true;
            note(c, t, &x, "cap_zero_window");
        } else if (s.win > 0 && x.zero_win && !rst) {
            x.zero_win = false;
            note(c, t, &x, "cap_window_open", [&] {
                return ordered_json{
                    {"win", uint64_t(s.win) << std::max(0, window_shift(x, y, syn))}};
            });
        }

        if (rst) {
            sender_rst(c, x, y, s, t, cause, rst_answers_[idx]);
        } else if (syn && !ackf) {
            if (x.state == State::Closed || x.state == State::Listen) {
                // A socket that sends a SYN called connect(): it was not the listener assumed
                // for the end that had not sent anything yet.
                if (first_segment) {
                    x.state = State::Closed;
                    x.passive = false;
                }
                state(c, x, t, State::SynSent, "connect");
                if (x.iss_known) c.syn_us = t;
                note(c, t, &x, "cap_syn");
                timer(c, x, t, "syn_retransmit", "set", t + p_.rto_initial, true);
            }
            if (y.state == State::SynSent && y.seen) note(c, t, nullptr, "cap_simultaneous_open");
        } else if (syn && ackf) {
            if (x.state == State::Listen || x.state == State::Closed || x.state == State::SynSent) {
                bool simultaneous = x.state == State::SynSent;
                state(c, x, t, State::SynReceived,
                      simultaneous ? cause : "seg:" + std::to_string(id - 1));
                if (!simultaneous) {
                    note(c, t, &x, "cap_syn_ack");
                    timer(c, x, t, "synack_retransmit", "set", t + p_.rto_initial, true);
                }
            }
        }
        if (fin && !rst && !(retrans && x.fin_sent)) {
            const uint32_t fseq = s.seq + s.len + (syn ? 1 : 0);
            if (!x.fin_sent) {
                x.fin_sent = true;
                x.fin_seq = fseq;
                State from = x.state, to = from;
                if (from == State::Established || from == State::SynReceived)
                    to = State::FinWait1;
                else if (from == State::CloseWait)
                    to = State::LastAck;
                state(c, x, t, to, cause);
                note(c, t, &x, "cap_fin", [&] {
                    return ordered_json{{"from", state_name(from)}, {"to", state_name(to)}};
                });
            }
        }
        uint32_t end = s.seq + seglen;
        if (seglen > 0 && seq_lt(x.snd_nxt, end)) {
            if (!retrans) x.sent.push_back({s.seq, end, t});
            if (x.snd_nxt == x.snd_una && x.una_known && !x.rtx_timer && !syn && !keepalive &&
                !probe) {
                x.rtx_timer = true;
                int64_t rtt = c.rtt_us > 0 ? c.rtt_us : 0;
                timer(c, x, t, "retransmit", "set", t + rtt + std::max(2 * rtt, p_.rto_min), true);
            }
            x.snd_nxt = end;
        }

        x.last_us = t;
        per_seg_[idx] = {&c, xi, id, keepalive};
    }

    // The segment reaches its receiver (at time t), unless the receiver's later behaviour shows
    // it never did (infer_losses).
    void arrived(uint32_t idx, int64_t t) {
        const CapturedSegment& s = cap_.segments[idx];
        const SegState& ps = per_seg_[idx];
        Conn& c = *ps.conn;
        End& x = c.e[ps.xi];
        End& y = c.e[1 - ps.xi];
        const uint64_t id = ps.id;
        const bool keepalive = ps.keepalive;
        const bool syn = s.flags & SYN, ackf = s.flags & ACK, fin = s.flags & FIN,
                   rst = s.flags & RST;
        const std::string cause = "seg:" + std::to_string(id);
        if (lost_[idx] != kNotLost) {
            lost(c, x, y, s, t, id, Loss(lost_[idx]));
            return;
        }
        if (opt_.events && wanted(c))
            push({{"t_us", t}, {"kind", "deliver"}, {"host", y.host}, {"seg_id", id}});
        // (In SYN_SENT a SYN+ACK with an unacceptable ACK gets the same RST from the live
        // connection, RFC 9293 §3.10.7.3: that is not a vanished end.)
        const bool bad_ack_in_syn_sent =
            y.state == State::SynSent && y.iss_known && (s.flags & ACK) && s.ack != y.iss + 1;
        if (reset_answer_[idx] && y.state != State::Closed && y.state != State::Listen &&
            y.state != State::TimeWait && !bad_ack_in_syn_sent) {
            // The receiver answers with a bare RST <SEQ=SEG.ACK>: it has no such connection
            // (RFC 9293 §3.10.7.1; Linux tcp_v4_send_reset), so its end was gone before this
            // segment arrived, though nothing on the wire closed it.
            if (y.state == State::FinWait2) {
                // An orphaned FIN_WAIT_2 ends when tcp_fin_timeout runs out (Linux, 60 s by
                // default; RFC 9293 has no such timer): it closed before this segment arrived.
                note(c, t, &y, "cap_fin_wait_2_gone");
                state(c, y, t, State::Closed, "timer:fin_wait_2", true);
            } else if (y.state == State::SynSent) {
                // close() in SYN_SENT deletes the connection and sends nothing (RFC 9293
                // §3.10.4; Linux tcp_close -> tcp_set_state(TCP_CLOSE)), and so does a connect()
                // that gives up: the SYN+ACK finds no socket.
                note(c, t, &y, "cap_gone_in_syn_sent");
                timer(c, y, t, "syn_retransmit", "cancel");
                state(c, y, t, State::Closed, "close", true);
            } else {
                // Nothing on the wire closed it: the host lost its state (a crash or reboot,
                // or the connection was aborted without a RST reaching the capture point).
                note(c, t, &y, "cap_conn_gone", [&] {
                    return ordered_json{{"state", state_name(y.state)}};
                });
                state(c, y, t, State::Closed, "crash", true);
            }
            return;  // the segment reached no connection: only the RST answers it
        }
        // --- the receiver's side (RFC 9293 §3.10.7: RST, SYN, ACK, FIN in that order) ---
        if (rst) {
            receiver_rst(c, x, y, s, t, cause);
        } else {
            if (syn && ackf && y.state == State::SynSent) {
                if (s.ack == y.iss + 1 || !y.iss_known) {
                    y.snd_una = s.ack, y.una_known = true;
                    state(c, y, t, State::Established, cause);
                    c.established_once = true;
                    if (c.syn_us >= 0) c.rtt_us = t - c.syn_us;
                    timer(c, y, t, "syn_retransmit", "cancel");
                    note(c, t, &y, "cap_established_client",
                         {{"rtt_ms",
                           c.rtt_us >= 0 ? std::round(double(c.rtt_us) / 10) / 100 : 0.0}});
                } else {
                    note(c, t, &x, "cap_unacceptable_ack",
                         {{"ack", s.ack}, {"snd_nxt", y.snd_nxt}});
                }
            } else if (ackf) {
                receive_ack(c, x, y, s, t, cause, keepalive);
            }
            if (s.len > 0 && (y.state == State::Closed && y.seen) && !rst)
                note(c, t, &y, "cap_data_to_closed", [&] {
                    return ordered_json{{"state", state_name(y.state)}};
                });
            if (s.len > 0) y.got_data = true;
            if (fin && !rst) receive_fin(c, x, y, s, t, cause);
        }
        if (ackf && !rst) {
            x.last_ack_valid = true;
            x.last_ack = s.ack;
            x.last_win = s.win;
        }
    }

    // A segment its receiver behaved as if it never got (infer_losses). Beyond the capture point
    // it is an inferred drop: lost in the network, or thrown away by the receiver, which a
    // capture elsewhere cannot tell apart. At the receiver's own interface (loopback, or a
    // handshake that puts the capture point there) it did arrive: an inferred discard.
    void lost(Conn& c, End& x, End& y, const CapturedSegment& s, int64_t t, uint64_t id, Loss why) {
        const bool here = receiver_at_capture_point(s);
        if (opt_.events && wanted(c)) {
            if (here) {
                push({{"t_us", t}, {"kind", "deliver"}, {"host", y.host}, {"seg_id", id}});
                push({{"t_us", t},
                      {"kind", "discard"},
                      {"host", y.host},
                      {"seg_id", id},
                      {"reason", "ignored"},
                      {"inferred", true}});
            } else {
                push({{"t_us", t},
                      {"kind", "drop"},
                      {"seg_id", id},
                      {"reason", "loss"},
                      {"inferred", true}});
            }
        }
        static const char* names[] = {"", "retransmitted", "ack_ignored", "unanswered",
                                      "ack_still_ignored"};
        // What it was, for the note: Linux drops a SYN while the accept queue is full
        // (tcp_conn_request) and ignores the ACK of its SYN+ACK then (tcp_check_req,
        // listen_overflow); nothing like that applies to other segments.
        const bool bare_syn = (s.flags & (SYN | ACK)) == SYN;
        const bool ack_of_synack = why == kAckIgnored && y.state == State::SynReceived;
        std::string code = here ? "cap_inferred_discard" : "cap_inferred_loss";
        if (why == kUnanswered)
            code += "_probe";
        else if (why == kAckStillIgnored)
            code += "_synack_ack_assumed";
        else if (why == kAckIgnored)
            code += ack_of_synack ? "_synack_ack" : "_ack";
        else if (bare_syn)
            code += "_syn";
        note(c, t, &y, code, [&] { return ordered_json{{"why", names[why]}, {"from", x.host}}; });
    }

    // The shift that applies to the windows x advertises (RFC 7323 §2.2-2.3): its own SYN's
    // window scale when both SYNs carried the option, 0 when both SYNs were seen and one did not,
    // and never on a SYN. -1: unknown (a SYN is not in the capture).
    static int window_shift(const End& x, const End& y, bool syn) {
        if (syn) return 0;
        if (x.syn_wscale == -2 || y.syn_wscale == -2) return -1;
        return x.syn_wscale >= 0 && y.syn_wscale >= 0 ? x.syn_wscale : 0;
    }

    void retransmission(Conn& c, End& x, End& y, const CapturedSegment& s, int64_t t, bool syn,
                        bool fin) {
        Sent* orig = nullptr;
        for (auto& p : x.sent)
            if (p.seq == s.seq) {
                orig = &p;
                break;
            }
        int64_t gap = orig ? t - orig->last_us : -1;
        std::string what = syn                 ? (s.flags & ACK ? "SYN+ACK" : "SYN")
                           : fin && s.len == 0 ? "FIN"
                                               : "data";
        const char* tname =
            syn ? (s.flags & ACK ? "synack_retransmit" : "syn_retransmit") : "retransmit";
        const uint32_t end = s.seq + s.seg_len();
        auto ms = [](int64_t us) { return std::round(double(us) / 100) / 10; };
        if (!syn && y.dups >= 3 && y.last_ack == s.seq && (!orig || orig->copies == 1)) {
            note(c, t, &x, "cap_fast_retransmit",
                 {{"seq", uint32_t(s.seq - x.base)}, {"dups", y.dups}});
        } else if (!syn && orig && orig->copies == 1 && end == x.snd_nxt && c.rtt_us >= 0 &&
                   x.syn_sack != -1 && y.syn_sack != -1 &&
                   gap <= 2 * c.rtt_us + p_.rto_min + std::max<int64_t>(20'000, c.rtt_us / 2)) {
            // Linux RACK-TLP (RFC 8985 §7; tcp_schedule_loss_probe, tcp_send_loss_probe): with
            // SACK, the first timeout of the newest segment is a probe, sent after about two
            // round trips (plus TCP_RTO_MIN for a delayed ACK when one segment is in flight, and
            // never later than the retransmission timer). It does not back off: the
            // retransmission timer, restarted when the probe leaves, fires one RTO later.
            timer(c, x, t, "retransmit", "fire", -1, true);
            note(c, t, &x, "cap_tail_loss_probe",
                 {{"seq", uint32_t(s.seq - x.base)},
                  {"gap_ms", ms(gap)},
                  {"rtt_ms", std::round(double(c.rtt_us) / 10) / 100}});
            orig->prev_gap_us = 0;  // the next copy's wait is an RTO, not a backoff of this one
            orig->last_us = t;
            ++orig->copies;
            return;
        } else {
            const int n = orig ? orig->timeouts + 1 : 1;
            timer(c, x, t, tname, "fire", -1, true);
            note(c, t, &x, "cap_retransmission",
                 {{"what", what},
                  {"seq", uint32_t(s.seq - x.base)},
                  {"n", n},
                  {"gap_ms", gap >= 0 ? ms(gap) : -1.0}});
            if (orig && orig->prev_gap_us > 0 && gap > 0) {
                // RFC 6298 §5.5: the timer backs off, doubling. Linux 6.5+ keeps the first
                // tcp_syn_linear_timeouts (4) SYN timeouts at the initial RTO.
                double ratio = double(gap) / double(orig->prev_gap_us);
                ordered_json a = {{"prev_ms", ms(orig->prev_gap_us)}, {"gap_ms", ms(gap)}};
                const char* code = ratio > 1.6 && ratio < 2.5 ? "cap_backoff_doubled"
                                   : what == "SYN" && ratio > 0.8 && ratio < 1.25
                                       ? "cap_backoff_linear_syn"
                                       : "cap_backoff_unusual";
                note(c, t, &x, code, a);
            }
            if (orig) ++orig->timeouts;
        }
        if (orig) {
            orig->prev_gap_us = gap;
            orig->last_us = t;
            ++orig->copies;
        }
    }

    void sender_rst(Conn& c, End& x, End& y, const CapturedSegment& s, int64_t t,
                    const std::string& cause, bool answer) {
        const bool synchronized = x.state == State::Established || x.state == State::CloseWait ||
                                  x.state == State::FinWait1 || x.state == State::FinWait2 ||
                                  x.state == State::Closing || x.state == State::LastAck;
        if (!(s.flags & ACK) && x.seen && synchronized) {
            if (answer) {
                // <SEQ=SEG.ACK><CTL=RST> right after a segment: how TCP refuses an ACK it does
                // not accept (RFC 9293 §3.10.7.1-3). Its sender goes on with the connection, so
                // it did not accept that segment's ACK: it is at another point of the
                // connection than the capture suggests (e.g. in SYN_SENT with another ISN).
                note(c, t, &x, "cap_rst_answer");
                return;
            }
            // Linux resets a live connection with RST+ACK (tcp_send_active_reset); a bare RST
            // that answers nothing did not come from its TCP (injected, spoofed or a middlebox).
            note(c, t, &x, "cap_rst_foreign");
            return;
        }
        if (x.state == State::Listen && !x.fin_sent && y.state == State::SynSent) {
            x.state = State::Closed;  // there never was a listener
            note(c, t, &x, "cap_refused",
                 {{"port", x.addr.substr(x.addr.rfind(':') + 1)}, {"peer", y.host}});
            return;
        }
        if (x.state == State::Closed || x.state == State::Listen) {
            note(c, t, &x, "cap_rst_for_closed");
            return;
        }
        if (x.state == State::TimeWait) {  // Linux answers some segments in TIME_WAIT with RST
            note(c, t, &x, "cap_rst_for_closed");
            return;
        }
        if (x.state ==
            State::SynSent) {  // an aborted connect(): RFC 9293 §3.10.5 sends nothing, Linux may
            state(c, x, t, State::Closed, cause);
            return;
        }
        note(c, t, &x, "cap_abort", [&] { return ordered_json{{"state", state_name(x.state)}}; });
        state(c, x, t, State::Closed, cause);
    }

    void receiver_rst(Conn& c, End& x, End& y, const CapturedSegment& s, int64_t t,
                      const std::string& cause) {
        if (y.state == State::SynSent) {
            // RFC 9293 §3.10.7.3: acceptable if the ACK acknowledges our SYN.
            if ((s.flags & ACK) && (!y.iss_known || s.ack == y.iss + 1)) {
                timer(c, y, t, "syn_retransmit", "cancel");
                note(c, t, &y, "cap_reset", [&] {
                    return ordered_json{{"state", state_name(y.state)},
                                        {"errno", errno_name(Errno::econnrefused)}};
                });
                state(c, y, t, State::Closed, cause);
            } else {
                note(c, t, &y, "cap_rst_out_of_window");
            }
            return;
        }
        if (y.state == State::Closed || y.state == State::Listen) return;
        if (y.state == State::TimeWait) {
            if (p_.rfc1337) {  // RFC 1337 fix F1: ignore RST in TIME_WAIT
                note(c, t, &y, "cap_rst_time_wait_ignored");
                return;
            }
            note(c, t, &y, "cap_rst_time_wait");
            state(c, y, t, State::Closed, cause);
            return;
        }
        // RFC 5961 §3.2: exact match resets; elsewhere in the window: challenge ACK; outside:
        // ignore. Y's RCV.NXT is what X has sent so far (X.snd_nxt before this RST; a RST takes no
        // space).
        uint32_t rcv_nxt = x.snd_nxt;
        uint64_t wnd = uint64_t(y.last_win) << std::max(0, window_shift(y, x, false));
        if (wnd == 0) wnd = 1;
        bool exact = s.seq == rcv_nxt;
        bool in_window = seq_le(rcv_nxt, s.seq) && uint64_t(uint32_t(s.seq - rcv_nxt)) < wnd;
        if (!exact && !in_window && y.last_ack_valid && s.seq == y.last_ack) exact = true;
        if (exact) {
            // Linux tcp_reset(): SYN_SENT -> ECONNREFUSED, CLOSE_WAIT -> EPIPE, otherwise
            // ECONNRESET.
            std::string err =
                errno_name(y.state == State::CloseWait ? Errno::epipe : Errno::econnreset);
            if (y.state == State::SynReceived && y.passive)
                err = "none (the connection never reached accept())";
            note(c, t, &y, "cap_reset", [&] {
                return ordered_json{{"state", state_name(y.state)}, {"errno", err}};
            });
            state(c, y, t, State::Closed, cause);
        } else if (in_window) {
            note(c, t, &y, "cap_rst_challenge");
        } else {
            note(c, t, &y, "cap_rst_out_of_window");
        }
    }

    void receive_ack(Conn& c, End& x, End& y, const CapturedSegment& s, int64_t t,
                     const std::string& cause, bool keepalive) {
        // Acceptable ACK range (RFC 9293 §3.10.7.4): never beyond what the peer sent.
        if (y.seen && y.iss_known && seq_lt(y.snd_nxt, s.ack)) {
            note(c, t, &x, "cap_unacceptable_ack",
                 {{"ack", uint32_t(s.ack - y.base)}, {"snd_nxt", uint32_t(y.snd_nxt - y.base)}});
            return;
        }
        // Duplicate ACKs (RFC 5681 §2): pure ACK, same ack and window, data outstanding.
        bool pure = s.len == 0 && !(s.flags & (SYN | FIN | RST));
        if (pure && !keepalive && x.last_ack_valid && s.ack == x.last_ack && s.win == x.last_win &&
            y.seen && s.ack != y.snd_nxt) {
            ++x.dups;
            if (x.dups == 3 && !x.dup_noted) {
                x.dup_noted = true;
                note(c, t, &x, "cap_dup_ack", [&] {
                    return ordered_json{{"ack", uint32_t(s.ack - y.base)}, {"n", x.dups}};
                });
            }
        } else if (!pure || s.ack != x.last_ack) {
            x.dups = 0;
            x.dup_noted = false;
        }
        if (!y.una_known || seq_lt(y.snd_una, s.ack)) {
            y.snd_una = s.ack;
            y.una_known = true;
            while (!y.sent.empty() && seq_le(y.sent.front().end, s.ack)) y.sent.pop_front();
        }
        if (y.rtx_timer && y.snd_una == y.snd_nxt) {
            y.rtx_timer = false;
            timer(c, y, t, "retransmit", "cancel");
        }
        if (y.state == State::SynReceived && (!y.iss_known || seq_le(y.iss + 1, s.ack))) {
            state(c, y, t, State::Established, cause);
            timer(c, y, t, "synack_retransmit", "cancel");
            c.established_once = true;
            if (y.passive) note(c, t, &y, "cap_handshake_done");
        }
        if (y.fin_sent && !y.fin_acked && seq_le(y.fin_seq + 1, s.ack)) {
            y.fin_acked = true;
            State from = y.state, to = from;
            if (from == State::FinWait1)
                to = State::FinWait2;
            else if (from == State::Closing)
                to = State::TimeWait;
            else if (from == State::LastAck)
                to = State::Closed;
            if (to != from) {
                note(c, t, &y, "cap_fin_acked", [&] {
                    return ordered_json{{"from", state_name(from)}, {"to", state_name(to)}};
                });
                state(c, y, t, to, cause);
                if (to == State::Closed) note(c, t, &y, "cap_closed");
            }
        }
    }

    void receive_fin(Conn& c, End& x, End& y, const CapturedSegment& s, int64_t t,
                     const std::string& cause) {
        (void)x;
        (void)s;
        if (y.fin_received) {
            if (y.state == State::TimeWait) {
                note(c, t, &y, "cap_time_wait_restart");
                int side = &y == &c.e[0] ? 0 : 1;
                c.tw_expires[side] = t + p_.time_wait;
                tw_.push({t + p_.time_wait, index_of(c), side});
                timer(c, y, t, "time_wait", "set", t + p_.time_wait);
            }
            return;
        }
        if (y.state == State::Closed || y.state == State::Listen || y.state == State::SynSent)
            return;
        y.fin_received = true;
        State from = y.state, to = from;
        if (from == State::Established || from == State::SynReceived)
            to = State::CloseWait;
        else if (from == State::FinWait1)
            to = y.fin_acked ? State::TimeWait : State::Closing;
        else if (from == State::FinWait2)
            to = State::TimeWait;
        note(c, t, &y, "cap_fin_received", [&] {
            return ordered_json{{"from", state_name(from)}, {"to", state_name(to)}};
        });
        state(c, y, t, to, cause);
    }

    ordered_json delay_of(const Conn& c) const {
        auto it = paths_.find(c.key);
        if (it == paths_.end()) return {{"client", 0}, {"server", 0}};
        return {{"client", it->second.to_client}, {"server", it->second.to_server}};
    }

    size_t index_of(const Conn& c) const { return size_t(c.id - 1); }

    void finish() {
        for (auto& cp : conns_) {
            Conn& c = *cp;
            if (!c.e[0].seen || !c.e[1].seen)
                note(c, end_us_, nullptr, "cap_one_direction",
                     {{"seen", c.e[0].seen ? c.e[0].addr + " → " + c.e[1].addr
                                           : c.e[1].addr + " → " + c.e[0].addr}});
            if (c.done) continue;
            for (auto& x : c.e) {
                if (x.state == State::TimeWait) {
                    int side = &x == &c.e[0] ? 0 : 1;
                    note(c, end_us_, &x, "cap_end_time_wait",
                         {{"left_s", std::round(double(c.tw_expires[side] - end_us_) / 1e5) / 10}});
                } else if (x.state == State::CloseWait) {
                    note(c, end_us_, &x, "cap_end_close_wait");
                } else if (x.state == State::FinWait2) {
                    note(c, end_us_, &x, "cap_end_fin_wait_2");
                }
            }
        }
    }

    // Which capture point of a file with several interfaces this is (select_capture_interfaces).
    std::pair<std::string, ordered_json> interface_note() const {
        if (sel_.points < 2) return {};  // one capture point: nothing was chosen
        const auto& ifs = cap_.info.interfaces;
        std::string list, read;
        for (uint32_t i = 0; i < ifs.size(); ++i)
            if (ifs[i].tcp_packets) list += (list.empty() ? "" : ", ") + interface_label(i);
        for (uint32_t i : sel_.ids)
            if (ifs[i].tcp_packets || sel_.ids.size() == 1)
                read += (read.empty() ? "" : ", ") + interface_label(i);
        return {"cap_interface_" + sel_.how,
                {{"read", read}, {"count", sel_.points}, {"list", list}}};
    }
    std::string interface_label(uint32_t i) const {
        const auto& f = cap_.info.interfaces[i];
        std::string s = std::to_string(i);
        if (!f.name.empty()) s += " \"" + f.name + "\"";
        if (!f.description.empty()) s += " (" + f.description + ")";
        return s;
    }

    ordered_json build() {
        ordered_json tr;
        tr["tcplab"] = 1;
        tr["source"] = "capture";
        tr["title"] = opt_.file;
        tr["hosts"] = hosts_;
        ordered_json cap;
        cap["file"] = opt_.file;
        cap["format"] = cap_.info.format;
        cap["linktypes"] = cap_.info.linktypes;
        cap["packets"] = cap_.info.packets;
        cap["tcp_packets"] = cap_.info.tcp_packets;
        ordered_json sk = ordered_json::object();
        for (const auto& r : capture_skip_reasons())
            if (auto it = cap_.info.skipped.find(r); it != cap_.info.skipped.end())
                sk[r] = it->second;
        cap["skipped"] = sk;
        if (cap_.info.truncated_at) cap["truncated_at"] = *cap_.info.truncated_at;
        cap["start_us"] = start_us_;
        // Wireshark's time 0: the file's first packet. (Listings give each frame's time from it.)
        cap["first_packet_us"] = cap_.info.first_ts_us ? *cap_.info.first_ts_us : start_us_;
        cap["duplicates"] = duplicates_.size();
        cap["interfaces"] = interfaces_json(cap_.info);
        cap["interface"] = {{"ids", sel_.ids}, {"how", sel_.how}};
        ordered_json list = ordered_json::array();
        for (const auto& cp : conns_) {
            const Conn& c = *cp;
            list.push_back(
                {{"id", c.id},
                 {"client", c.e[0].addr},
                 {"server", c.e[1].addr},
                 {"client_host", c.e[0].host},
                 {"server_host", c.e[1].host},
                 {"first_frame", c.first_frame},
                 {"segments", c.segments},
                 {"roles", c.roles},
                 {"delay_us", delay_of(c)},
                 {"final",
                  {{"client", state_name(c.e[0].state)}, {"server", state_name(c.e[1].state)}}}});
        }
        cap["connections"] = list;
        ordered_json counts = ordered_json::object();
        for (auto& [k, v] : note_counts_) counts[k] = v;
        cap["note_counts"] = counts;
        tr["capture"] = cap;
        tr["end_us"] = end_us_;
        // Capture-wide notes first.
        ordered_json head = ordered_json::array();
        auto headnote = [&](const std::string& code, ordered_json args) {
            head.push_back(
                {{"t_us", 0}, {"kind", "note"}, {"code", code}, {"args", std::move(args)}});
        };
        if (opt_.events) {
            headnote("cap_source", {{"file", opt_.file}, {"format", cap_.info.format}});
            if (cap_.info.tcp_packets == 0)
                headnote("cap_no_tcp", {{"packets", cap_.info.packets}});
            uint64_t other = cap_.info.packets - cap_.info.tcp_packets;
            if (other > 0 && cap_.info.tcp_packets > 0) {
                std::string reasons;
                for (auto& [k, v] : sk.items())
                    reasons +=
                        (reasons.empty() ? "" : ", ") + k + " " + std::to_string(v.get<uint64_t>());
                headnote("cap_not_tcp", {{"count", other}, {"reasons", reasons}});
            }
            if (cap_.info.truncated_at)
                headnote("cap_truncated", {{"offset", *cap_.info.truncated_at}});
            if (auto n = interface_note(); !n.first.empty()) headnote(n.first, std::move(n.second));
            if (!duplicates_.empty()) {
                std::string pairs;
                for (size_t i = 0; i < duplicates_.size() && i < 5; ++i)
                    pairs += (i ? ", " : "") + ("#" + std::to_string(duplicates_[i].first)) +
                             " = #" + std::to_string(duplicates_[i].second);
                if (duplicates_.size() > 5) pairs += ", …";
                headnote("cap_duplicate_frames", {{"count", duplicates_.size()}, {"pairs", pairs}});
            }
            for (auto& e : events_) head.push_back(std::move(e));
            // Notes emitted at the end may carry earlier times: keep the array in time order
            // (stable).
            std::stable_sort(head.begin(), head.end(),
                             [](const ordered_json& a, const ordered_json& b) {
                                 return a["t_us"].get<int64_t>() < b["t_us"].get<int64_t>();
                             });
        }
        tr["events"] = std::move(head);
        return tr;
    }
};

}  // namespace

ordered_json explain_capture(const Capture& cap, const ExplainOptions& opt) {
    InterfaceSelection sel = select_capture_interfaces(cap, opt.interface, opt.file);
    if (sel.ids.size() >= cap.info.interfaces.size()) return Explainer(cap, opt, sel).run();
    // One capture point: only its interfaces' segments (frame numbers stay the file's).
    std::vector<bool> keep(cap.info.interfaces.size(), false);
    for (uint32_t i : sel.ids) keep[i] = true;
    Capture part;
    part.info = cap.info;
    for (const auto& s : cap.segments)
        if (s.iface < keep.size() && keep[s.iface]) part.segments.push_back(s);
    return Explainer(std::move(part), opt, std::move(sel)).run();
}

ordered_json explain_capture(std::span<const uint8_t> bytes, const ExplainOptions& opt) {
    return explain_capture(read_capture(bytes, opt.file), opt);
}

}  // namespace tcplab
