// Runs a scenario: builds the simulator from it, schedules each app's steps (a blocking call
// waits for its socket; runner_calls.cpp tries it), records every call and return, and returns
// the trace.
#include "tcplab/runner.hpp"

#include <algorithm>
#include <variant>

namespace tcplab {

namespace {
void sort_unique(std::vector<int>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
}
}  // namespace

Runner::Runner(const Scenario& sc, bool trace_on, std::string file)
    : sc_(sc), sim_(sc.seed, trace_on), scenario_file_(std::move(file)) {
    for (auto& h : sc_.hosts) sim_.add_host(h.name, h.ip, h.params, h.isn);
    sim_.link = sc_.link;
    sim_.faults = sc_.faults;
    handles_.resize(sc_.hosts.size());
    apps_.resize(sc_.apps.size());
    apps_of_host_.resize(sc_.hosts.size());
    for (std::size_t a = 0; a < sc_.apps.size(); ++a)
        apps_of_host_[static_cast<std::size_t>(sc_.apps[a].host)].push_back(static_cast<int>(a));
    dep_waiters_.resize(sc_.apps.size());
    sim_.on_wake = [this](int host, int fd) { wake(host, fd); };
}

void Runner::limit_error(const std::string& pointer, const std::string& what) {
    throw InputError(scenario_file_ + ": " + (pointer.empty() ? "(root)" : pointer) + ": " + what);
}

void Runner::start() {
    for (std::size_t i = 0; i < sc_.events.size(); ++i)
        sim_.schedule(sc_.events[i].at, [this, i] { host_event(sc_.events[i]); });
    for (std::size_t a = 0; a < apps_.size(); ++a) {
        apps_[a].index = static_cast<int>(a);
        schedule_step(apps_[a]);
    }
}

Host& Runner::host_of(const AppState& a) {
    return *sim_.hosts()[static_cast<std::size_t>(
        sc_.apps[static_cast<std::size_t>(a.index)].host)];
}

void Runner::schedule_step(AppState& a) {
    const AppSpec& spec = sc_.apps[static_cast<std::size_t>(a.index)];
    if (a.dead || a.step >= spec.steps.size()) return;
    const StepSpec& st = spec.steps[a.step];
    if (a.rep == 0 && st.after_app >= 0) {
        const AppState& dep = apps_[static_cast<std::size_t>(st.after_app)];
        if (dep.returned <= st.after_index) {
            a.waiting_dep = true;
            dep_waiters_[static_cast<std::size_t>(st.after_app)].push_back(a.index);
            return;  // step_returned() resumes us
        }
    }
    a.waiting_dep = false;
    Time t = sim_.now();
    if (a.rep == 0) {
        if (st.at) t = std::max(t, *st.at);
        if (st.after) t = std::max(t, a.last_return + *st.after);
    }
    const std::uint64_t gen = ++a.gen;
    sim_.schedule(t, [this, idx = a.index, gen] {
        AppState& s = apps_[static_cast<std::size_t>(idx)];
        if (s.gen == gen) begin_step(s);
    });
}

void Runner::emit_call(AppState& a, const StepSpec& st) {
    if (!sim_.trace().on()) return sim_.trace().count();
    const AppSpec& spec = sc_.apps[static_cast<std::size_t>(a.index)];
    const auto* send = std::get_if<calls::Send>(&st.call);
    if (send && send->text_bytes) {
        echoed_text_ += send->text_bytes;
        if (echoed_text_ > kLimits.echoed_text_bytes)
            limit_error(step_pointer(static_cast<std::size_t>(a.index), a.step),
                        "the trace would repeat more than " +
                            std::to_string(kLimits.echoed_text_bytes) +
                            " bytes of \"text\" with this step's calls (limit \"echoed text "
                            "bytes\"); send \"bytes\" instead");
    }
    ev::Call e;
    e.app = spec.name;
    e.call = call_name(st.call);
    e.sock = st.sock;
    e.args = st.args;
    if (st.repeat > 1 || st.repeat_mode != StepSpec::Repeat::Count) e.iteration = a.rep + 1;
    sim_.trace().add({sim_.now(), host_of(a).name(), std::string(), std::move(e)});
}

void Runner::begin_step(AppState& a) {
    const AppSpec& spec = sc_.apps[static_cast<std::size_t>(a.index)];
    Host& h = host_of(a);
    if (!h.up()) {
        a.dead = true;
        return;
    }
    const StepSpec& st = spec.steps[a.step];
    emit_call(a, st);
    a.in_call = true;
    a.sent = 0;
    a.deadline_gen = 0;
    const auto* poll = std::get_if<calls::Poll>(&st.call);
    if (poll && poll->timeout >= 0) {
        const std::uint64_t g = ++a.gen;
        a.deadline_gen = g;
        sim_.schedule(sim_.now() + poll->timeout, [this, idx = a.index, g] {
            AppState& s = apps_[static_cast<std::size_t>(idx)];
            if (s.in_call && s.deadline_gen == g) {
                ev::Return extra;
                extra.revents.emplace();
                finish(s, SysResult::ok(0), std::move(extra));
            }
        });
    }
    attempt(a);
}

void Runner::new_socket(const AppState& a, int fd) {
    // Descriptors are allocated lowest first, so fd >= N means N are open.
    if (fd >= 0 && static_cast<std::size_t>(fd) >= kLimits.sockets_per_host)
        limit_error(step_pointer(static_cast<std::size_t>(a.index), a.step),
                    "the run opened more than " + std::to_string(kLimits.sockets_per_host) +
                        " sockets on host \"" + host_of(a).name() +
                        "\" (limit \"sockets per host\")");
}

int Runner::fd_of(const AppState& a, const std::string& handle) {
    const auto& m =
        handles_[static_cast<std::size_t>(sc_.apps[static_cast<std::size_t>(a.index)].host)];
    auto it = m.find(handle);
    return it == m.end() ? -1 : it->second;
}

void Runner::finish(AppState& a, SysResult r, ev::Return&& ret) {
    const AppSpec& spec = sc_.apps[static_cast<std::size_t>(a.index)];
    const StepSpec& st = spec.steps[a.step];
    Host& h = host_of(a);
    a.in_call = false;
    a.wait_fd = -1;
    a.deadline_gen = 0;
    if (sim_.trace().on()) {
        ret.app = spec.name;
        ret.call = call_name(st.call);
        ret.sock = !st.sock.empty() ? st.sock : st.as;
        ret.result = r.value;
        ret.err = r.err;
        if (st.repeat > 1 || st.repeat_mode != StepSpec::Repeat::Count) ret.iteration = a.rep + 1;
        sim_.trace().add({sim_.now(), h.name(), std::string(), std::move(ret)});
    } else {
        sim_.trace().count();
    }
    if (r.sigpipe) {
        if (sim_.trace().on())
            sim_.trace().add(
                {sim_.now(), h.name(), std::string(),
                 ev::Signal{spec.name, "SIGPIPE", spec.sigpipe_ignored ? "ignored" : "terminate"}});
        if (!spec.sigpipe_ignored) {
            // SIGPIPE's default action ends the process: every thread (app) on this host stops
            // and the kernel closes every descriptor it held, as exit() does.
            kill_process(spec.host);
            return;
        }
    }
    a.last_return = sim_.now();
    bool again = false;
    ++a.rep;
    switch (st.repeat_mode) {
        case StepSpec::Repeat::Count: again = a.rep < st.repeat; break;
        case StepSpec::Repeat::UntilEof:
            again =
                !(r.err == Errno::ok && r.value == 0) && r.err == Errno::ok && a.rep < st.repeat;
            break;
        case StepSpec::Repeat::UntilError: again = r.err == Errno::ok && a.rep < st.repeat; break;
    }
    if (again) {
        schedule_step(a);
        return;
    }
    a.rep = 0;
    a.returned = static_cast<int>(a.step);
    ++a.step;
    step_returned(a);
    schedule_step(a);
}

void Runner::step_returned(const AppState& done) {
    // The apps whose next step waits for `done`, in app order (the order a scan of every app
    // would meet them in, which fixes the order their steps are scheduled in).
    auto& list = dep_waiters_[static_cast<std::size_t>(done.index)];
    if (list.empty()) return;
    std::vector<int> waiting = std::move(list);
    list.clear();
    sort_unique(waiting);
    for (int i : waiting) {
        AppState& other = apps_[static_cast<std::size_t>(i)];
        if (!other.waiting_dep || other.dead) continue;
        const StepSpec& st = sc_.apps[static_cast<std::size_t>(other.index)].steps[other.step];
        if (st.after_app != done.index) continue;
        if (done.returned >= st.after_index) {
            other.last_return = std::max(other.last_return, sim_.now());
            schedule_step(other);  // may wait again, and then re-enters this list
        } else {
            dep_waiters_[static_cast<std::size_t>(done.index)].push_back(i);
        }
    }
}

void Runner::wake(int host, int fd) {
    // The apps blocked on this socket, in app order; each is tried once, as a scan of every
    // app would try it. An app that blocks again is listed anew for the next wake-up.
    auto it = fd_waiters_.find(fd_key(host, fd));
    if (it == fd_waiters_.end()) return;
    std::vector<int> waiting = std::move(it->second);
    fd_waiters_.erase(it);
    sort_unique(waiting);
    for (int i : waiting) {
        AppState& a = apps_[static_cast<std::size_t>(i)];
        if (a.in_call && !a.dead && a.wait_host == host && a.wait_fd == fd) attempt(a);
    }
}

bool Runner::run() {
    start();
    const Time limit = sc_.until ? *sc_.until : sec(86400);
    // The run goes in slices of events, with the limits checked between them; stopping and
    // resuming Simulator::run changes nothing in what it does.
    constexpr std::size_t kSlice = 16384;
    for (;;) {
        const std::size_t next = std::min(sc_.max_events, sim_.events_executed() + kSlice);
        if (sim_.run(limit, next)) {
            check_run_limits();
            return true;
        }
        if (sim_.events_executed() >= sc_.max_events) return false;
        check_run_limits();
    }
}

void Runner::check_run_limits() {
    if (sim_.trace().size() > sc_.max_trace_events)
        limit_error("", "the run recorded more than " + std::to_string(sc_.max_trace_events) +
                            " trace events (limit \"trace events\"); end it sooner with "
                            "\"until_ms\"");
    std::size_t open = 0;
    for (const auto& h : sim_.hosts()) open += h->connection_count();
    if (open > kLimits.connections)
        limit_error("", "the run had more than " + std::to_string(kLimits.connections) +
                            " connections open at once on all hosts (limit \"connections\")");
}

ojson Runner::trace_json() {
    ojson t;
    t["tcplab"] = 1;
    t["title"] = sc_.title;
    t["profile"] = sc_.profile;
    t["seed"] = sc_.seed;
    ojson hosts = ojson::object();
    for (auto& h : sc_.hosts) {
        ojson j;
        j["ip"] = ip_string(h.ip);
        j["profile"] = h.params.profile;
        hosts[h.name] = std::move(j);
    }
    t["hosts"] = std::move(hosts);
    t["end_us"] = sim_.now();
    t["events"] = sim_.trace().json();
    return t;
}

}  // namespace tcplab
