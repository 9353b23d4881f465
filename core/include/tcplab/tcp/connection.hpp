// One TCP connection as RFC 9293 §3.10 describes it: events in (a segment arrives, a timer
// fires, the user calls), with the time they happen; what to do out (segments to send, timers to
// arm or cancel, typed trace events, and the connection's end) through `tcp::Io`, in the order it
// happens. A connection knows nothing of the simulator, the host's tables or the trace's JSON:
// the host that owns it implements Io, and a test can implement it with a recorder
// (tests/native/connection_test.cpp).
//
// Where each rule lives:
//   tcp/input.cpp     SEGMENT ARRIVES: SYN-SENT (§3.10.7.3) and the synchronized states
//                     (§3.10.7.4) in the RFC's order; the FIN in every state (FIN-WAIT-2's
//                     too, whether a socket holds the connection or it is an orphan) in rcv_fin
//   tcp/handshake.cpp SYN-RECEIVED (§3.10.7.4) and the SYN a listener accepted (§3.10.7.2)
//   tcp/output.cpp    sending: window, Nagle, ACKs and delayed ACK, SYN, RST, the trace's "why"
//   tcp/timer.cpp     timeouts (§3.10.8): retransmission, delayed ACK, keepalive, the orphan's
//                     FIN-WAIT-2 timeout, in one switch
//   tcp/user.cpp      user calls (§3.10.1-3.10.6): OPEN, SEND, RECEIVE, CLOSE, ABORT
// TIME-WAIT lives in the host's compact record (tcp/timewait.cpp): a connection that enters it
// hands over to the host through Io::enter_time_wait and ends.
#pragma once

#include "tcplab/profile.hpp"
#include "tcplab/segment.hpp"
#include "tcplab/tcb.hpp"
#include "tcplab/timers.hpp"
#include "tcplab/trace.hpp"
#include "tcplab/trace_event.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace tcplab::tcp {

class Connection;

// What a connection needs from whoever runs it. Every call happens at once, in order; after
// done(), free() or enter_time_wait() the connection may no longer exist, so it returns at once.
class Io {
public:
    virtual ~Io() = default;

    virtual bool tracing() const = 0;
    // A trace event of this connection; the host adds the time, its name and the connection's.
    virtual void record(const Connection& c, ConnEvent&& e) = 0;
    // Puts a segment on the wire; returns the id the trace gives it.
    virtual std::uint32_t transmit(const Connection& c, Segment&& s, bool retransmission,
                                   const SendWhy& why, std::uint32_t retransmission_of) = 0;
    // A RST answering `seg` (RFC 9293 §3.10.7.1), noted as `why` on `c` when given.
    virtual void reply_rst(const Segment& seg, const char* why, const Connection* c) = 0;
    // Schedules timer `k` of `c` at `at`; returns the token the firing will carry.
    virtual std::uint32_t schedule(const Connection& c, TimerKind k, Time at) = 0;
    // The connection changed in a way its socket (or its listener) may be waiting for.
    virtual void wake(const Connection& c) = 0;

    // A passive connection's handshake completed: into the listener's accept queue.
    virtual void child_established(Connection& c, const std::string& cause) = 0;
    virtual bool accept_queue_full(const Connection& c) const = 0;
    // A passive connection leaves its listener's queues (before its state event).
    virtual void detach(Connection& c) = 0;
    // The connection is CLOSED: out of the tables (kept for its socket if one holds it).
    virtual void done(Connection& c) = 0;
    // A half-open request dropped: the connection is freed.
    virtual void free(Connection& c) = 0;
    // Into the host's compact TIME-WAIT record for `timeout` (the profile's time_wait); with
    // `ack_fin`, the record acknowledges the FIN that brought the connection there.
    virtual void enter_time_wait(Connection& c, Time timeout, const std::string& cause,
                                 bool ack_fin) = 0;
    // An orphan enters FIN-WAIT-2: Linux counts it against tcp_max_tw_buckets (it is a
    // timewait socket there); false when the table is full and the connection must end at once.
    virtual bool take_tw_bucket(Connection& c) = 0;
};

class Connection : public Tcb {
public:
    Connection(Io& io, const Params& p) : io_(io), p_(p) {}

    // ---- events in
    // SEGMENT ARRIVES (§3.10.7), dispatched by state.
    void segment_arrives(Segment& seg, Time now);
    // A timer fires (§3.10.8); stale firings (cancelled or re-armed since) are ignored.
    void timer_fires(TimerKind k, std::uint32_t token, Time now);

    // LISTEN: a SYN the listener accepted (§3.10.7.2). The caller traces its queue, then
    // calls send_syn(true, ...).
    void syn_arrives_in_listen(const Segment& seg, Time now);
    // Synchronized states (§3.10.7.4), from ESTABLISHED on.
    void synchronized_segment_arrives(Segment& seg, Time now);

    // ---- user calls (§3.10.1-3.10.6); the host checks the socket first
    void open(Time now);                                               // active OPEN: SYN-SENT
    void send(std::string_view data, Time now);                        // SEND: queue and output
    std::size_t receive(std::size_t max, std::string* out, Time now);  // RECEIVE
    void shutdown_write(Time now);                                     // CLOSE of the sending side
    // CLOSE of a socket (close()): unread bytes mean a RST (RFC 2525 §2.17), `abort` is
    // SO_LINGER {1, 0}; else a FIN is queued (or, half-closed already, the orphan waits).
    void close(bool abort, Time now);
    void set_keepalive(bool on, Time now);
    void set_keepidle(int secs, Time now);
    void set_nodelay(bool on, Time now);

    // ---- building blocks the host uses around its tables
    void set_state(State to, const std::string& cause, Time now);
    void established(const std::string& cause, Time now);
    void send_syn(bool with_ack, bool retransmission, Time now);
    void send_rst(Time now);  // active reset, <SEQ=SND.NXT><CTL=RST,ACK>
    void ack_now(Time now);   // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, at once
    void disarm(TimerKind k, Time now);
    void disarm_all(Time now);
    std::uint16_t window_field(bool syn) const;
    void set_iss(Seq iss) { this->iss = snd_una = snd_nxt = snd_max = snd_sml = iss; }
    const Params& params() const { return p_; }
    // The name a timer of kind `k` is set under now (SYN_SENT's retransmission timer is
    // "syn_retransmit", ...).
    TimerName timer_name_of(TimerKind k) const;

private:
    // input.cpp
    void synchronized_states(Segment& seg);
    void syn_sent(Segment& seg);
    void syn_received(Segment& seg);
    void syn_acked(const Segment& seg);
    void process_options(const Segment& seg);
    bool acceptable(const Segment& seg) const;
    void rcv_rst(Segment& seg);
    bool rcv_ack(Segment& seg);
    void rcv_text(Segment& seg);
    enum class FinResult { None, Acked, Dead };
    FinResult rcv_fin(Segment& seg);
    bool data_after_close(const Segment& seg) const;
    void reset_on_data_after_close(Segment& seg);
    void connection_reset(Errno err, const std::string& cause);
    void done();
    // An orphan (closed by its application) in FIN-WAIT-2 waits for the peer's FIN at most
    // tcp_fin_timeout, or TCP_LINGER2 (timer.cpp). False when it ended instead.
    bool orphan_fin_wait_2(const std::string& cause);

    // output.cpp
    Segment make_segment(std::uint8_t flags, Seq seq);
    void transmit(Segment&& seg, bool retransmission = false);
    void output();
    void send_ack();
    void ack_received_data(bool force_now);
    std::uint32_t ts_now() const;
    Seq data_base() const { return snd_una == iss ? iss + 1 : snd_una; }
    SendWhy why_for(const Segment& seg, bool retransmission,
                    std::uint32_t* retransmission_of) const;

    // timer.cpp
    void arm(TimerKind k, Time at);
    void arm_retransmit();
    void arm_keepalive(Time after);
    void retransmit_timeout();
    void delayed_ack_timeout();
    void keepalive_timeout();
    void fin_wait_2_timeout();
    void rtt_sample(Time rtt);
    bool retries_exhausted() const;
    TimerName retransmit_timer() const;

    void note(const char* code, ojson args = ojson::object());
    void discard(const Segment& seg, const char* reason);
    void trace_buffers();

    Io& io_;
    const Params& p_;
    Time now_ = 0;
};

}  // namespace tcplab::tcp
