// The capture observer's own types, shared by its files (core/src/capture/explain.cpp,
// observer_timeline.cpp, observer_send.cpp, observer_arrive.cpp); not part of the engine's API.
//
// The observer replays captured TCP connections through the state machine. It sees each segment
// once, at the capture point, somewhere on the path between its two ends. The handshake tells how
// far each end is from that point; each segment then becomes two events on the true timeline: it
// left its sender (seen time minus the sender's distance) and reached its receiver (seen time plus
// the receiver's), never earlier than the segments it answers reached its sender (causality beats
// the estimated distances). Transitions follow RFC 9293 §3.10.7 (segment arrives) in the order the
// RFC checks a segment: RST, SYN, ACK, FIN. A sender's own transitions (SYN -> SYN_SENT, SYN+ACK
// -> SYN_RECEIVED, FIN -> FIN_WAIT_1 / LAST_ACK, RST -> CLOSED) happen when its segment leaves.
// Where Linux differs from the RFC the note says so.
//
// States are the engine's (tcplab::State), sequence numbers compare as the engine compares them
// (seq.hpp), and what the observer assumes of both ends is the engine's Linux profile
// (profile.hpp).
#pragma once

#include "tcplab/capture.hpp"
#include "tcplab/explain.hpp"
#include "tcplab/profile.hpp"
#include "tcplab/seq.hpp"
#include "tcplab/state.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tcplab::observer {

using nlohmann::ordered_json;

// What the observer assumes of both ends: the engine's Linux profile (TIME_WAIT length, initial
// and minimum RTO, ...), with the one sysctl that a capture cannot show but that changes what it
// means: tcp_rfc1337 (a RST in TIME_WAIT is ignored).
Params observed_params(const ExplainOptions& opt);

// Two copies of one packet (same interface, IP ID and header bytes) this close together are one
// packet the capture tool recorded twice (e.g. dumpcap on several interfaces including lo), not
// a retransmission: TCP never re-sends within microseconds, and a re-sent segment has a new IP ID.
inline constexpr int64_t kDuplicateWindowUs = 100;

struct Sent {  // a segment carrying sequence space, for retransmission spacing
    Seq seq, end;
    int64_t last_us;
    int64_t prev_gap_us = 0;  // the wait before the last timeout copy (0: none to compare with)
    int copies = 1;
    int timeouts = 0;  // copies sent by the retransmission timer (a loss probe is not one)
};

struct End {
    std::string addr, host, conn;  // "ip:port", host name, "local>remote"
    State state = State::Closed;
    bool seen = false;  // sent anything
    Seq base = 0;       // ISS (or a guess) for relative numbers
    bool iss_known = false;
    Seq iss = 0;
    Seq snd_nxt = 0;
    Seq snd_una = 0;
    bool una_known = false;
    bool fin_sent = false, fin_acked = false, fin_received = false;
    Seq fin_seq = 0;
    bool zero_win = false;
    uint16_t last_win = 0;
    // What this end's SYN said (RFC 7323 §2.2; RFC 2018 §2): -2 no SYN seen, -1 no option.
    int syn_wscale = -2;
    int syn_sack = -2;
    bool base_known = false;  // `base` set from the peer's ACK before this end sent anything
    bool last_ack_valid = false;
    Seq last_ack = 0;
    int dups = 0;
    bool dup_noted = false;
    bool rtx_timer = false;
    bool got_data = false;  // received payload from the peer
    bool half_close_noted = false;
    bool passive = false;   // the listening side
    std::deque<Sent> sent;  // unacknowledged sequence-space segments
    int64_t last_us = 0;
    // What the capture shows of why this end's numbers are what they are (the trace's "why",
    // "retransmission_of" and a state event's "sent"), kept only while events are written.
    struct Began {
        uint32_t end;  // offset from `anchor`
        uint64_t id;
    };
    bool anchored = false;
    Seq anchor = 0;                   // the first sequence-space segment's SEQ
    std::map<uint32_t, Began> began;  // offset of SEQ -> the first segment that carried it
    // SEG.SEQ+SEG.LEN -> the last segment ending there
    std::unordered_map<uint32_t, uint64_t> ends;
    bool adv_known = false;  // adv_*: the segment that last advanced SND.NXT
    bool adv_syn = false;    // ... was the SYN (adv_id 0: a SYN the capture missed)
    Seq adv_end = 0;
    uint64_t adv_id = 0;
    struct Last {
        uint64_t id = 0;
        uint8_t flags = 0;
        Seq seq = 0, ack = 0;
        uint32_t seglen = 0;
    } last_tx;  // the last segment this end sent
    // A state event waiting for the ACK this end sends as part of its transition (the
    // handshake's third ACK, the ACK of the peer's FIN): its index in the events, and the ACK.
    size_t pending_state = SIZE_MAX;
    Seq pending_ack = 0;
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
inline Key key_of(const CapturedSegment& s, bool* forward) {
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

    // The trace (explain.cpp).
    ordered_json run();

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
    // The shift that applies to the windows x advertises (RFC 7323 §2.2-2.3): its own SYN's
    // window scale when both SYNs carried the option, 0 when both SYNs were seen and one did not,
    // and never on a SYN. -1: unknown (a SYN is not in the capture).
    static int window_shift(const End& x, const End& y, bool syn) {
        if (syn) return 0;
        if (x.syn_wscale == -2 || y.syn_wscale == -2) return -1;
        return x.syn_wscale >= 0 && y.syn_wscale >= 0 ? x.syn_wscale : 0;
    }

    size_t index_of(const Conn& c) const { return size_t(c.id - 1); }

    // explain.cpp: the capture as a whole (order, hosts, events, the trace it becomes).
    void drop_duplicates_and_sort();
    void name_hosts();
    std::string identity(uint8_t v, const std::array<uint8_t, 16>& ip, uint16_t port) const;
    // Returns the state event's index in events_ (SIZE_MAX when none was written). `sent`: the
    // segment x sent as part of the transition (0: none).
    size_t state(Conn& c, End& x, int64_t t, State to, const std::string& cause,
                 bool inferred = false, uint64_t sent = 0);
    // The state event `ev` gets the next segment x sends, when it is a pure ACK of `ack`.
    void await_ack(End& x, size_t ev, Seq ack) {
        if (ev != SIZE_MAX) x.pending_state = ev, x.pending_ack = ack;
    }
    // The send event's "why" (null when the capture does not show why SEQ is what it is).
    ordered_json why_of(const End& x, const End& y, const CapturedSegment& s, bool retrans,
                        bool keepalive, uint64_t retransmission_of) const;
    void timer(const Conn& c, const End& x, int64_t t, const char* name, const char* action,
               int64_t expires = -1, bool inferred = false);
    void flush_timers(int64_t t);
    ordered_json delay_of(const Conn& c) const;
    void finish();
    std::pair<std::string, ordered_json> interface_note() const;
    std::string interface_label(uint32_t i) const;
    ordered_json build();

    // observer_timeline.cpp: where the capture point is, when each segment left and arrived, and
    // which ones the receiver never got.
    void estimate_paths();
    bool receiver_at_capture_point(const CapturedSegment& s) const;
    void compute_timeline();
    std::pair<int64_t, int64_t> distances(const CapturedSegment& s) const;
    void infer_losses();
    void find_answered_by_reset();

    // observer_send.cpp: a segment leaves its sender.
    Conn& open(const CapturedSegment& s, const Key& k, int64_t t);
    void sent(uint32_t idx, int64_t t);
    void retransmission(Conn& c, End& x, End& y, const CapturedSegment& s, int64_t t, bool syn,
                        bool fin);
    void sender_rst(Conn& c, End& x, End& y, const CapturedSegment& s, int64_t t,
                    const std::string& cause, bool answer, uint64_t id);

    // observer_arrive.cpp: a segment reaches its receiver (RFC 9293 §3.10.7).
    void arrived(uint32_t idx, int64_t t);
    void lost(Conn& c, End& x, End& y, const CapturedSegment& s, int64_t t, uint64_t id, Loss why);
    void receiver_rst(Conn& c, End& x, End& y, const CapturedSegment& s, int64_t t,
                      const std::string& cause);
    void receive_ack(Conn& c, End& x, End& y, const CapturedSegment& s, int64_t t,
                     const std::string& cause, bool keepalive);
    void receive_fin(Conn& c, End& x, End& y, const CapturedSegment& s, int64_t t,
                     const std::string& cause);
};

}  // namespace tcplab::observer
