// A host: what an operating system adds around TCP connections. The socket table, the
// demultiplexing of arriving segments by 4-tuple, listening sockets with their SYN queue and
// accept queue, ephemeral ports, TIME-WAIT bookkeeping, RSTs for segments that match nothing,
// SYN cookies, crash and reboot, and the results the socket API returns.
//
// Each connection is a tcp::Connection (tcplab/tcp/connection.hpp), which processes its own
// segments, timers and user calls and asks the host, as its tcp::Io, for what it does. The host:
//   sim/host.cpp        tables: sockets, connections, ports, demultiplexing; crash and reboot
//   sim/host_io.cpp     a segment or a timer to its connection; tcp::Io for the connections
//   sim/host_trace.cpp  the host's trace events, its segments, RSTs for no socket (§3.10.7.1)
//   tcp/listen.cpp      LISTEN state, SYN queue, accept queue, SYN cookies (§3.10.7.2)
//   tcp/timewait.cpp    the compact TIME-WAIT record (§3.10.7.4, RFC 1337, RFC 6191)
//   tcp/socket_api.cpp  the BSD socket calls around the connection's OPEN, SEND, RECEIVE, CLOSE
//
// The host does not know the simulator that runs it. It reads the clock and writes the trace of
// a HostEnv (tcplab/host_env.hpp) and leaves there what it asks for: segments for the wire,
// timers, wake-ups. The simulator calls the host (a segment arrives, a timer fires, an
// application calls the socket API) and carries the requests out after it returns.
#pragma once

#include "tcplab/host_env.hpp"
#include "tcplab/isn.hpp"
#include "tcplab/profile.hpp"
#include "tcplab/segment.hpp"
#include "tcplab/tcb.hpp"
#include "tcplab/tcp/connection.hpp"
#include "tcplab/trace.hpp"

#include <array>
#include <deque>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tcplab {

// A FIFO of TCB slots with the part of std::deque's interface a listener's accept queue uses.
// libstdc++'s std::deque allocates a 512-byte block and its map as soon as it is constructed,
// so every socket paid about 600 bytes for a queue only listeners use; this one allocates on
// its first push_back, and moves without copying when the socket table grows.
class SlotQueue {
public:
    using iterator = std::vector<std::uint32_t>::iterator;
    using const_iterator = std::vector<std::uint32_t>::const_iterator;

    bool empty() const { return head_ == v_.size(); }
    std::size_t size() const { return v_.size() - head_; }
    std::uint32_t front() const { return v_[head_]; }
    void push_back(std::uint32_t slot) { v_.push_back(slot); }
    void pop_front() {
        ++head_;
        if (head_ == v_.size()) {
            v_.clear();
            head_ = 0;
        } else if (head_ >= 64 && 2 * head_ >= v_.size()) {
            v_.erase(v_.begin(), v_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
    }
    iterator begin() { return v_.begin() + static_cast<std::ptrdiff_t>(head_); }
    iterator end() { return v_.end(); }
    const_iterator begin() const { return v_.begin() + static_cast<std::ptrdiff_t>(head_); }
    const_iterator end() const { return v_.end(); }
    iterator erase(iterator it) { return v_.erase(it); }

private:
    std::vector<std::uint32_t> v_;
    std::size_t head_ = 0;
};

// Poll bits (POLLIN, POLLOUT, POLLERR, POLLHUP).
enum PollBits : unsigned { kPollIn = 1, kPollOut = 4, kPollErr = 8, kPollHup = 16 };

struct Socket {
    bool open = false;
    enum class Kind : std::uint8_t { Fresh, Listener, Conn } kind = Kind::Fresh;
    Addr local{};
    bool bound = false;
    // Options (setsockopt).
    bool reuseaddr = false;
    bool keepalive = false;
    bool nonblock = false;
    bool nodelay = false;
    bool linger_on = false;
    int linger_secs = 0;
    int keepidle = 0, keepintvl = 0, keepcnt = 0;
    Time user_timeout = 0;
    int linger2 = 0;
    // Listener.
    int backlog = 0;
    SlotQueue accept_queue;          // Tcb slots, ESTABLISHED children not yet accepted
    std::uint32_t syn_queue = 0;     // children in SYN_RECEIVED
    Time last_cookie_overflow = -1;  // when a SYN last found the SYN queue full
    // Connection.
    std::uint32_t tcb = kNone;
    bool connecting = false;
    Errno error = Errno::ok;  // error left after the connection is gone (e.g. connect refused)
    static constexpr std::uint32_t kNone = 0xffffffff;
};

// Counters a benchmark or census reads; kept whether or not the trace is recorded.
struct HostStats {
    std::size_t time_wait_entered = 0;
    std::size_t time_wait_expired = 0;
    std::size_t peak_time_wait = 0;
};

struct SysResult {
    long value = 0;
    Errno err = Errno::ok;
    bool block = false;  // the call would block; wait for the socket and call again
    bool sigpipe = false;
    static SysResult ok(long v = 0) { return {v, Errno::ok, false, false}; }
    static SysResult fail(Errno e) { return {-1, e, false, false}; }
    static SysResult wait() { return {0, Errno::ok, true, false}; }
};

class Host : private tcp::Io {
public:
    Host(HostEnv& env, int index, std::string name, std::uint32_t ip, Params params, IsnSpec isn,
         std::uint64_t secret);

    const std::string& name() const { return name_; }
    std::uint32_t ip() const { return ip_; }
    int index() const { return index_; }
    const Params& params() const { return p_; }
    bool up() const { return up_; }

    // ---- socket API (tcp/socket_api.cpp). Calls never block: a result with `block` set means
    // "wait for this socket to change, then call again" (the caller implements blocking).
    int socket();
    SysResult bind(int fd, std::uint32_t ip, std::uint16_t port);
    SysResult listen(int fd, int backlog);
    SysResult connect(int fd, Addr remote);
    SysResult accept(int fd, int* new_fd, Addr* peer);
    SysResult send(int fd, std::string_view data, bool nosignal);
    SysResult recv(int fd, std::size_t max, std::string* out);
    SysResult shutdown(int fd, bool rd, bool wr);
    SysResult close(int fd);
    SysResult set_option(int fd, const std::string& name, long value, long value2 = 0);
    SysResult get_error(int fd);  // getsockopt(SO_ERROR): returns and clears the pending error
    unsigned poll(int fd) const;
    bool valid_fd(int fd) const;
    const Socket* sock(int fd) const;

    // ---- network side
    void receive(Segment& seg);  // a segment arrives
    void on_timer(std::uint32_t slot, TimerKind kind, std::uint32_t token);
    void crash();
    void reboot();

    // ---- introspection (tests, census, benchmarks)
    std::size_t time_wait_count() const { return tw_count_; }
    const HostStats& stats() const { return stats_; }
    // What one connection in TIME-WAIT costs: its record plus its demultiplexing entry.
    std::size_t time_wait_footprint() const;
    std::size_t connection_count() const { return conns_.size() - free_tcbs_.size(); }
    const Tcb* find_tcb(const FourTuple& t) const;
    const TimeWaitSock* find_tw(const FourTuple& t) const;
    // ISS and IRS of the connection (live or in TIME-WAIT) with this 4-tuple, seen from here.
    bool isns(const FourTuple& t, Seq* iss, Seq* irs) const;
    // The trace's relative numbers of `rst`, a RST a host sent for a segment no connection took
    // (its SEQ `answered_seq`, `answered_syn` if a SYN), counted as the peer's connection counts
    // them; `known` if the peer has that connection, with its ISS and IRS. The simulator asks
    // the peer and sets them when it puts the RST on the wire (HostEnv::send_rst_reply).
    static std::optional<ev::Send::Rel> rst_rel(const Segment& rst, Seq answered_seq,
                                                bool answered_syn, bool known, Seq peer_iss,
                                                Seq peer_irs);

private:
    friend class HostTestAccess;
    using Connection = tcp::Connection;
    struct Demux {
        bool tw = false;
        std::uint32_t slot = 0;
    };

    // sim/host.cpp: tables, ports
    Connection& new_tcb(const FourTuple& t, State initial);
    // The socket options a connection takes from the socket that made it: its own on connect(),
    // the listener's for an accepted one (Linux clones the listener, inet_csk_clone_lock()).
    static void copy_options(Connection& c, const Socket& s);
    void free_tcb(Tcb& c);
    int lookup_listener(Addr local) const;
    bool port_in_use(std::uint16_t port) const;
    void port_take(std::uint16_t port, bool reuse, bool listener);
    void port_release(std::uint16_t port, bool reuse, bool listener);
    bool bind_conflict(std::uint16_t port, bool reuse) const;
    void retire(Tcb& c);
    std::optional<std::uint16_t> pick_ephemeral(Addr remote, bool* reused_tw);
    bool tw_reusable(const TimeWaitSock& tw) const;
    Socket& sk(int fd) { return socks_[static_cast<std::size_t>(fd)]; }
    void wake(int fd);
    void wake_tcb(const Tcb& c);
    void connection_done(Connection& c);

    // sim/host_trace.cpp: what the host records, and what its connections report
    // A state event; with `t`, its "sent" names the segment sent with the transition.
    void trace_state(const std::string& conn, State from, State to, const std::string& cause,
                     const FourTuple* t = nullptr, bool passive = false);
    void trace_timer(const std::string& conn, TimerName timer, ev::Timer::Action action,
                     Time expires);
    void trace_queue(int lfd);
    void note(const std::string& conn, const char* code, ojson args = ojson::object());
    void discard_segment(std::uint32_t seg_id, const char* reason);
    // Puts a segment on the wire and records its send event; returns its id. `numbers` gives
    // the ISS/IRS for "rel", `retransmission_of` the first segment that carried its SEQ.
    std::uint32_t emit(Segment&& seg, const std::string& conn, const Tcb* numbers,
                       bool retransmission, const SendWhy& why,
                       std::uint32_t retransmission_of = 0);
    // Gives `seg` its id and records its send event (emit's first half); returns the event.
    std::size_t trace_send(Segment& seg, const std::string& conn, const Tcb* numbers,
                           bool retransmission, const SendWhy& why,
                           std::uint32_t retransmission_of);
    // RFC 9293 §3.10.7.1; `why` is noted once, on `conn` when a connection answers.
    void reply_rst_to(const Segment& seg, const char* why, const std::string& conn);

    // tcp::Io: what the host does for its connections (sim/host_io.cpp)
    bool tracing() const override;
    void record(const Connection& c, ConnEvent&& e) override;
    std::uint32_t transmit(const Connection& c, Segment&& s, bool retransmission,
                           const SendWhy& why, std::uint32_t retransmission_of) override;
    void reply_rst(const Segment& seg, const char* why, const Connection* c) override;
    std::uint32_t schedule(const Connection& c, TimerKind k, Time at) override;
    void wake(const Connection& c) override;
    void child_established(Connection& c, const std::string& cause) override;
    bool accept_queue_full(const Connection& c) const override;
    void detach(Connection& c) override;
    void done(Connection& c) override;
    void free(Connection& c) override;
    void enter_time_wait(Connection& c, Time timeout, const std::string& cause,
                         bool ack_fin) override;
    bool take_tw_bucket(Connection& c) override;

    // tcp/listen.cpp: LISTEN, the SYN queue and the accept queue, SYN cookies
    void rcv_listen(int lfd, Segment& seg);
    std::uint32_t cookie_make(const Segment& syn, std::uint16_t* mss_out) const;
    std::optional<std::uint16_t> cookie_check(const Segment& ack) const;
    bool accept_queue_full(const Socket& l) const;
    void detach_from_listener(Tcb& c);

    // tcp/timewait.cpp: the compact TIME-WAIT record
    void rcv_time_wait(TimeWaitSock& tw, Segment& seg);
    void on_tw_timer(std::uint32_t slot, std::uint32_t token);
    void tw_kill(TimeWaitSock& tw, const std::string& cause);
    void tw_schedule(TimeWaitSock& tw, Time timeout);
    void tw_send_ack(TimeWaitSock& tw);

    // The clock and the trace this host writes to, and its requests to the world: the
    // simulator owns them all (tcplab/host_env.hpp) and the host never calls it.
    Time now() const { return env_.now; }
    Trace& trace() const { return env_.trace; }

    HostEnv& env_;
    int index_;
    std::string name_;
    std::uint32_t ip_;
    Params p_;
    IsnGenerator isn_;
    std::uint64_t k0_, k1_;  // the host's secret (ISNs, ports, SYN cookies, timestamp offsets)
    bool up_ = true;
    std::uint32_t next_token_ = 1;

    std::vector<Socket> socks_;
    std::priority_queue<int, std::vector<int>, std::greater<int>> free_fds_;
    std::vector<std::unique_ptr<Connection>> conns_;
    std::vector<std::uint32_t> free_tcbs_;
    std::vector<TimeWaitSock> tws_;
    std::vector<std::uint32_t> free_tws_;
    std::size_t tw_count_ = 0;
    HostStats stats_;
    std::unordered_map<FourTuple, Demux, FourTupleHash> demux_;
    std::unordered_map<std::uint64_t, int> listeners_;  // (ip << 16 | port) -> fd; ip 0 = any
    struct PortUse {
        std::uint32_t users = 0, no_reuse = 0, listeners = 0;
    };
    // Linux's bind hash: who holds each local port. Only ports in use have an entry (a table of
    // all 65,536 made every host cost 768 KiB); an absent port is held by nobody.
    std::unordered_map<std::uint16_t, PortUse> ports_;
    // Trace facts of TIME-WAIT records, by slot: {snd_adv_id, rcv_adv_id} (only while tracing,
    // so the record itself stays 64 bytes).
    std::vector<std::array<std::uint32_t, 2>> tw_facts_;
    // A state event's "sent": the segment that goes with a transition is sent just before the
    // state event (an ACK of a FIN, a RST) or just after it (a SYN, a FIN), in the same step.
    enum class Want : std::uint8_t { None, Syn, Fin, PureAck, Rst };
    struct Step {
        std::size_t events = 0;
        Time now = -1;
        bool operator==(const Step&) const = default;
    };
    struct SentLink {
        FourTuple tuple{};
        std::size_t event = 0;
        Want want = Want::None;
        Step step;
        bool pending = false;
    };
    struct LastSent {
        FourTuple tuple{};
        std::uint32_t id = 0;
        std::uint8_t flags = 0;
        Step step;
    };
    SentLink sent_link_;
    LastSent last_sent_;
    Step step() const;
    static bool wanted(Want w, std::uint8_t flags);
    std::optional<Seq> tw_isn_hint_;  // RFC 6191: ISN for a SYN that replaced a TIME-WAIT
    std::uint32_t port_hint_ = 0;
};

}  // namespace tcplab
