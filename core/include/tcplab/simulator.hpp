// The simulator: a virtual clock in microseconds, one event queue, a seeded random number
// generator, the hosts, and the network between them. Nothing here reads a wall clock or does
// I/O, so the same scenario and seed give the same trace on every platform.
#pragma once

#include "tcplab/host.hpp"
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

    Time now() const { return now_; }
    const Time& clock() const { return now_; }
    Trace& trace() { return trace_; }
    Rng& rng() { return rng_; }
    LinkSpec link;
    std::vector<FaultSpec> faults;

    // Network: `from` puts a segment on the wire. `injected` marks a hand-made segment.
    void send(int from, Segment&& seg);
    std::uint32_t next_segment_id() { return ++seg_ids_; }
    void set_unplugged(int host, bool unplugged);
    bool unplugged(int host) const { return unplugged_[static_cast<std::size_t>(host)]; }

    // Events.
    void schedule_timer(Time at, int host, std::uint32_t slot, TimerKind k, std::uint32_t token);
    void schedule_wake(int host, int fd);
    void schedule(Time at, std::function<void()> fn);
    // Called (through a scheduled event, after the current one) when a socket may have changed.
    std::function<void(int host, int fd)> on_wake;

    // Runs until no event is left or the next one lies beyond `limit`. Returns false if
    // `max_events` ran out first.
    bool run(Time limit, std::size_t max_events = std::numeric_limits<std::size_t>::max());
    // Runs every event up to `t` and leaves the clock at `t` (tests step time this way).
    void run_until(Time t) {
        run(t);
        if (now_ < t) now_ = t;
    }
    std::size_t events_executed() const { return executed_; }
    std::size_t segments_sent() const { return seg_ids_; }
    std::size_t segments_dropped() const { return dropped_; }
    bool idle() const { return queue_.empty(); }

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
    void deliver(std::uint32_t slot);
    void drop(const Segment& s, const char* reason);
    std::uint32_t park(Segment&& s, int dst);

    Trace trace_;
    Rng rng_;
    Time now_ = 0;
    std::uint64_t order_ = 0;
    std::uint32_t seg_ids_ = 0;
    std::size_t executed_ = 0;
    std::size_t dropped_ = 0;
    std::vector<Ev> queue_;
    std::vector<std::unique_ptr<Host>> hosts_;
    std::vector<bool> unplugged_;
    std::vector<Time> tx_free_;
    struct InFlight {
        Segment seg;
        int dst = -1;
        bool duplicate = false;
    };
    std::vector<InFlight> inflight_;
    std::vector<std::uint32_t> free_inflight_;
    std::vector<std::function<void()>> callbacks_;
    std::vector<std::uint32_t> free_callbacks_;
};

}  // namespace tcplab
