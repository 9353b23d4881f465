// Recording typed trace events (tcplab/trace.hpp); their JSON is written in trace_json.cpp.
#include "tcplab/trace.hpp"

namespace tcplab {

std::size_t Trace::add(TraceEvent&& e) {
    ++count_;
    if (!on_) return kNone;
    events_.push_back(std::move(e));
    return events_.size() - 1;
}

void Trace::set_sent(std::size_t i, std::uint32_t seg_id) {
    std::get<ev::StateChange>(events_[i].what).sent = seg_id;
}

void Trace::set_rel(std::size_t i, const ev::Send::Rel& rel) {
    std::get<ev::Send>(events_[i].what).rel = rel;
}

void Trace::set_dropped(std::size_t i, const char* reason) {
    ++count_;
    std::get<ev::Send>(events_[i].what).dropped = reason;
}

ev::Send::Header ev::Send::header(const Segment& s) {
    Header h;
    h.id = s.id;
    h.src = s.src;
    h.dst = s.dst;
    h.flags = s.flags;
    h.seq = s.seq;
    h.ack = s.ack;
    h.window = s.window;
    h.len = s.len();
    h.hlen = tcp_header_bytes(s);
    h.opts = s.opts;
    return h;
}

ev::Send::Rel ev::Send::rel_of(const Segment& s, Seq iss, Seq irs) {
    Rel r;
    r.seq = s.seq - iss;
    if (s.flags & ACK) r.ack = s.ack - irs;
    return r;
}

}  // namespace tcplab
