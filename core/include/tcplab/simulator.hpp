// The simulator: a virtual clock in microseconds, one event queue, a seeded random number
// generator, the hosts, and the network between them. Nothing here reads a wall clock or does
// I/O, so the same scenario and seed give the same trace on every platform.
//
// The simulator calls its hosts (a segment arrives, a timer fires, and through the scenario
// runner the socket API); a host never calls it. What a host asks for waits in the outbox of the
// HostEnv the simulator shares with its hosts (tcplab/host_env.hpp) until flush() carries it
// out, which happens before the simulator does anything of its own.
#pragma once

#include "tcplab/host.hpp"
#include "tcplab/host_env.hpp"
#include "tcplab/segment.hpp"
#include "tcplab/time.hpp"
#include "tcplab/trace.hpp"

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tcplab {

// xoshiro256** seeded through splitmix64: small, fast, and identical on every platform.
class Rng {
public:
    explicit Rng(std::uint64_t seed = 1);
    std::uint64_t next();
    double uniform();  // [0, 1)

private:
    std::uint64_t s_[4];
};

// One shared medium with the same properties between every pair of hosts.
struct LinkSpec {
    Time delay = ms(1);
    Time jitter = 0;            // uniform extra delay in [0, jitter]
    double loss = 0;            // probability a segment is lost
    double duplicate = 0;       // probability a segment is delivered twice
    double reorder = 0;         // probability a segment is held back by up to 2x delay
    double bandwidth_mbps = 0;  // 0 = no serialisation delay
};

// A scripted fault on one sender's segments (CONTRACTS.md, "faults").
struct FaultSpec {
    enum class Type : std::uint8_t { Drop, Duplicate, Delay } type = Type::Drop;
    int from_host = 0;
    std::optional<std::uint8_t> flags;  // matched by flags_match (tcplab/flag_match.hpp)
    std::optional<bool> with_data;
    int nth = 0;  // 0 = every matching segment
    Time from = 0;
    Time until = std::numeric_limits<Time>::max();
    Time extra = 0;
    int seen = 0;  // matching segments so far (runtime)
};

class Simulator {
public:
    explicit Simulator(std::uint64_t seed, bool trace_on = true);
    ~Simulator();

    Host& add_host(const std::string& name, std::uint32_t ip, Params p, IsnSpec isn);
    Host* host_by_ip(std::uint32_t ip);
    Host* host_by_name(const std::string& name);
    std::vector<std::unique_ptr<Host>>& hosts() { return hosts_; }

    Time now() const { return env_.now; }
    Trace& trace() { return env_.trace; }
    Rng& rng() { return rng_; }
    LinkSpec link;
    std::vector<FaultSpec> faults;

    // Network: `from` puts a segment on the wire (a hand-made segment: the hosts' own go through
    // HostEnv). `event` is its send event in the trace, if it has one: a drop follows it.
    void send(int from, Segment&& seg, std::size_t event = Trace::kNone);
    std::uint32_t next_segment_id() { return env_.next_segment_id(); }
    void set_unplugged(int host, bool unplugged);
    bool unplugged(int host) const { return unplugged_[static_cast<std::size_t>(host)]; }

    // Carries out, in order, what the hosts asked for since the last time (HostEnv's outbox).
    // Every other member that changes the queue, the network or the clock calls it first.
    void flush();

    // Events.
    void schedule(Time at, std::function<void()> fn);
    // Called (through a scheduled event, after the current one) when a socket may have changed.
    std::function<void(int host, int fd)> on_wake;

    // Runs until no event is left or the next one lies beyond `limit`. Returns false if
    // `max_events` ran out first.
    bool run(Time limit, std::size_t max_events = std::numeric_limits<std::size_t>::max());
    // Runs every event up to `t` and leaves the clock at `t` (tests step time this way).
    void run_until(Time t) {
        run(t);
        if (env_.now < t) env_.now = t;
    }
    std::size_t events_executed() const { return env_.executed; }
    std::size_t segments_sent() const { return env_.seg_ids; }
    std::size_t segments_dropped() const { return dropped_; }
    bool idle() const { return queue_.empty() && env_.outbox.empty(); }

private:
    enum class EvType : std::uint8_t { Deliver, Timer, Wake, Callback };
    struct Ev {
        Time t;
        std::uint64_t order;
        EvType type;
        std::uint8_t kind;
        std::uint32_t a, b, c;
    };
    struct Later {
        bool operator()(const Ev& x, const Ev& y) const {
            return x.t != y.t ? x.t > y.t : x.order > y.order;
        }
    };
    void push(Ev e);
    void transmit(int from, std::uint32_t slot, std::size_t event);
    void set_rst_rel(const HostEnv::Request& r);
    // Segment `slot` (HostEnv::segments) goes to host `dst`.
    void fly(std::uint32_t slot, int dst, bool duplicate) {
        if (flights_.size() <= slot) flights_.resize(env_.segments.size());
        flights_[slot] = Flight{dst, duplicate};
    }
    void deliver(std::uint32_t slot);
    void drop(const Segment& s, const char* reason, std::size_t event = Trace::kNone);

    HostEnv env_;
    Rng rng_;
    std::uint64_t order_ = 0;
    std::size_t dropped_ = 0;
    std::vector<Ev> queue_;
    std::vector<std::unique_ptr<Host>> hosts_;
    std::vector<bool> unplugged_;
    std::vector<Time> tx_free_;
    // Where each parked segment (HostEnv::segments, by slot) is going.
    struct Flight {
        int dst = -1;
        bool duplicate = false;
    };
    std::vector<Flight> flights_;
    std::vector<std::function<void()>> callbacks_;
    std::vector<std::uint32_t> free_callbacks_;
};

}  // namespace tcplab
