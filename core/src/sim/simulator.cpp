#include "tcplab/simulator.hpp"
#include "tcplab/flag_match.hpp"

#include <algorithm>

namespace tcplab {

namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Rng::Rng(std::uint64_t seed) {
    for (auto& s : s_) s = splitmix64(seed);
}

std::uint64_t Rng::next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

Simulator::Simulator(std::uint64_t seed, bool trace_on) : env_(trace_on), rng_(seed) {}
Simulator::~Simulator() = default;

Host& Simulator::add_host(const std::string& name, std::uint32_t ip, Params p, IsnSpec isn) {
    flush();
    const int index = static_cast<int>(hosts_.size());
    hosts_.push_back(std::make_unique<Host>(env_, index, name, ip, std::move(p), isn, rng_.next()));
    unplugged_.push_back(false);
    tx_free_.push_back(0);
    return *hosts_.back();
}

Host* Simulator::host_by_ip(std::uint32_t ip) {
    for (auto& h : hosts_)
        if (h->ip() == ip) return h.get();
    return nullptr;
}

Host* Simulator::host_by_name(const std::string& name) {
    for (auto& h : hosts_)
        if (h->name() == name) return h.get();
    return nullptr;
}

void Simulator::push(Ev e) {
    e.order = order_++;
    queue_.push_back(e);
    std::push_heap(queue_.begin(), queue_.end(), Later{});
}

void Simulator::flush() {
    // Requests are taken in the order they were made; carrying one out never adds another.
    auto& out = env_.outbox;
    if (out.empty()) return;
    for (const HostEnv::Request& r : out) {
        switch (r.kind) {
            case HostEnv::Request::Kind::Send:
                if (r.rst_reply && r.event != Trace::kNone) set_rst_rel(r);
                transmit(r.host, r.a, r.event);
                break;
            case HostEnv::Request::Kind::Timer:
                push({r.at, 0, EvType::Timer, r.timer, static_cast<std::uint32_t>(r.host), r.a,
                      r.b});
                break;
            case HostEnv::Request::Kind::Wake:
                if (on_wake)
                    push(
                        {env_.now, 0, EvType::Wake, 0, static_cast<std::uint32_t>(r.host), r.a, 0});
                break;
        }
    }
    out.clear();
}

void Simulator::set_rst_rel(const HostEnv::Request& r) {
    // The connection the RST answers, as the peer (its receiver) knows it.
    const Segment& seg = env_.segments[r.a];
    Seq iss = 0, irs = 0;
    const Host* peer = host_by_ip(seg.dst.ip);
    const bool known =
        peer && peer->isns({seg.dst.ip, seg.src.ip, seg.dst.port, seg.src.port}, &iss, &irs);
    if (auto rel = Host::rst_rel(seg, r.b, r.answered_syn, known, iss, irs))
        env_.trace.set_rel(r.event, *rel);
}

void Simulator::schedule(Time at, std::function<void()> fn) {
    flush();
    std::uint32_t slot;
    if (!free_callbacks_.empty()) {
        slot = free_callbacks_.back();
        free_callbacks_.pop_back();
        callbacks_[slot] = std::move(fn);
    } else {
        slot = static_cast<std::uint32_t>(callbacks_.size());
        callbacks_.push_back(std::move(fn));
    }
    push({std::max(at, env_.now), 0, EvType::Callback, 0, slot, 0, 0});
}

void Simulator::set_unplugged(int host, bool value) {
    flush();
    unplugged_[static_cast<std::size_t>(host)] = value;
}

void Simulator::drop(const Segment& s, const char* reason, std::size_t event) {
    ++dropped_;
    if (event != Trace::kNone) return env_.trace.set_dropped(event, reason);
    env_.trace.add({env_.now, std::string(), std::string(), ev::Drop{s.id, reason}});
}

namespace {
bool fault_matches(const FaultSpec& f, const Segment& s, Time now) {
    if (now < f.from || now >= f.until) return false;
    if (f.flags && !flags_match(*f.flags, s.flags)) return false;
    if (f.with_data && (*f.with_data != (s.len() > 0))) return false;
    return true;
}
}  // namespace

void Simulator::send(int from, Segment&& seg, std::size_t event) {
    flush();
    transmit(from, env_.park(std::move(seg)), event);
}

void Simulator::transmit(int from, std::uint32_t slot, std::size_t event) {
    const Segment& seg = env_.segments[slot];
    auto lose = [&](const char* reason) {
        drop(seg, reason, event);
        env_.free_segments.push_back(slot);
    };
    const Time now = env_.now;
    Time depart = now;
    if (link.bandwidth_mbps > 0) {
        // FIFO transmit queue per host; serialisation of the IP packet (no link header).
        const double bits = static_cast<double>(ip_packet_bytes(seg)) * 8.0;
        const Time ser = static_cast<Time>(bits / link.bandwidth_mbps);
        auto& free_at = tx_free_[static_cast<std::size_t>(from)];
        depart = std::max(now, free_at) + ser;
        free_at = depart;
    }
    Host* dst = host_by_ip(seg.dst.ip);
    if (!dst) return lose("no_route");
    if (unplugged_[static_cast<std::size_t>(from)] ||
        unplugged_[static_cast<std::size_t>(dst->index())])
        return lose("unplugged");

    Time extra = 0;
    bool dup = false, dropped = false;
    // Every fault counts every matching segment, whatever another fault does with it, so
    // {"nth": 1} and {"nth": 2} on the same match hit the first and the second segment.
    for (auto& f : faults) {
        if (f.from_host != from || !fault_matches(f, seg, now)) continue;
        ++f.seen;
        if (f.nth != 0 && f.seen != f.nth) continue;
        switch (f.type) {
            case FaultSpec::Type::Drop: dropped = true; break;
            case FaultSpec::Type::Duplicate: dup = true; break;
            case FaultSpec::Type::Delay: extra += f.extra; break;
        }
    }
    if (dropped) return lose("fault");
    if (link.loss > 0 && rng_.uniform() < link.loss) return lose("loss");
    if (link.duplicate > 0 && rng_.uniform() < link.duplicate) dup = true;
    if (link.reorder > 0 && rng_.uniform() < link.reorder)
        extra += static_cast<Time>(rng_.uniform() * 2.0 * static_cast<double>(link.delay)) + 1;
    if (link.jitter > 0)
        extra += static_cast<Time>(rng_.uniform() * static_cast<double>(link.jitter));

    const Time arrive = depart + link.delay + extra;
    const int dst_index = dst->index();
    if (dup) {
        // Parking the copy may move the pool: `seg` is not used after this.
        const std::uint32_t copy = env_.park(Segment(seg));
        fly(copy, dst_index, true);
        push({arrive + 1, 0, EvType::Deliver, 0, copy, 0, 0});
    }
    fly(slot, dst_index, false);
    push({arrive, 0, EvType::Deliver, 0, slot, 0, 0});
}

void Simulator::deliver(std::uint32_t slot) {
    const Flight f = flights_[slot];
    Segment seg = std::move(env_.segments[slot]);
    env_.free_segments.push_back(slot);
    const int dst = f.dst;
    const bool duplicate = f.duplicate;
    Host& h = *hosts_[static_cast<std::size_t>(dst)];
    if (!h.up()) return drop(seg, "host_down");
    if (unplugged_[static_cast<std::size_t>(dst)]) return drop(seg, "unplugged");
    Trace& trace = env_.trace;
    if (trace.on())
        trace.add({env_.now, h.name(), std::string(), ev::Deliver{seg.id, duplicate}});
    else
        trace.count();
    h.receive(seg);
}

bool Simulator::run(Time limit, std::size_t max_events) {
    for (;;) {
        // What the hosts asked for in the last event (or before the run) goes first.
        if (!env_.outbox.empty()) flush();
        if (queue_.empty()) break;
        if (queue_.front().t > limit) return true;
        if (env_.executed >= max_events) return false;
        std::pop_heap(queue_.begin(), queue_.end(), Later{});
        Ev e = queue_.back();
        queue_.pop_back();
        env_.now = e.t;
        ++env_.executed;
        switch (e.type) {
            case EvType::Deliver: deliver(e.a); break;
            case EvType::Timer:
                hosts_[e.a]->on_timer(e.b, static_cast<TimerKind>(e.kind), e.c);
                break;
            case EvType::Wake:
                if (on_wake) on_wake(static_cast<int>(e.a), static_cast<int>(e.b));
                break;
            case EvType::Callback: {
                auto fn = std::move(callbacks_[e.a]);
                callbacks_[e.a] = nullptr;
                free_callbacks_.push_back(e.a);
                fn();
                break;
            }
        }
    }
    return true;
}

}  // namespace tcplab
