// Runs a scenario: builds the simulator from it, plays each app's steps (blocking calls wait
// for their socket), performs the timed host events, and records the trace.
#include "tcplab/runner.hpp"

#include "tcplab/run.hpp"

#include <algorithm>

namespace tcplab {

namespace {
ojson poll_list(unsigned bits) {
    ojson a = ojson::array();
    if (bits & kPollIn) a.push_back("in");
    if (bits & kPollOut) a.push_back("out");
    if (bits & kPollErr) a.push_back("err");
    if (bits & kPollHup) a.push_back("hup");
    return a;
}

// Text the trace can carry: no control characters but layout, and well-formed UTF-8 (RFC 3629
// §4), which JSON text must be (RFC 8259 §8.1). A recv can end inside a multi-byte character.
bool printable(const std::string& s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') return false;
            ++i;
            continue;
        }
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        for (std::size_t k = 1; k <= n; ++k) {
            if (i + k >= s.size()) return false;
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        // Overlong forms, surrogates and code points above U+10FFFF are not UTF-8.
        static const std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMin[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
        i += n + 1;
    }
    return true;
}

std::uint64_t fd_key(int host, int fd) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(host)) << 32) |
           static_cast<std::uint32_t>(fd);
}

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
    if (st.text_bytes) {
        echoed_text_ += st.text_bytes;
        if (echoed_text_ > kLimits.echoed_text_bytes)
            limit_error(step_pointer(static_cast<std::size_t>(a.index), a.step),
                        "the trace would repeat more than " +
                            std::to_string(kLimits.echoed_text_bytes) +
                            " bytes of \"text\" with this step's calls (limit \"echoed text "
                            "bytes\"); send \"bytes\" instead");
    }
    auto e = Trace::event(sim_.now(), "call");
    e["host"] = host_of(a).name();
    e["app"] = spec.name;
    e["call"] = call_name(st.call);
    if (!st.sock.empty()) e["sock"] = st.sock;
    e["args"] = st.args;
    if (st.repeat > 1 || st.repeat_mode != StepSpec::Repeat::Count) e["iteration"] = a.rep + 1;
    sim_.trace().add(std::move(e));
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
    if (st.call == Call::Poll && st.timeout >= 0) {
        const std::uint64_t g = ++a.gen;
        a.deadline_gen = g;
        sim_.schedule(sim_.now() + st.timeout, [this, idx = a.index, g] {
            AppState& s = apps_[static_cast<std::size_t>(idx)];
            if (s.in_call && s.deadline_gen == g) {
                ojson extra;
                extra["revents"] = ojson::array();
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

void Runner::attempt(AppState& a) {
    const AppSpec& spec = sc_.apps[static_cast<std::size_t>(a.index)];
    const StepSpec& st = spec.steps[a.step];
    Host& h = host_of(a);
    auto& names = handles_[static_cast<std::size_t>(spec.host)];
    const int fd = st.sock.empty() ? -1 : fd_of(a, st.sock);
    ojson extra = ojson::object();
    SysResult r;
    if (!st.sock.empty() && fd < 0) {
        r = SysResult::fail(Errno::ebadf);
    } else {
        switch (st.call) {
            case Call::Socket: {
                const int nfd = h.socket();
                new_socket(a, nfd);
                names[st.as] = nfd;
                r = SysResult::ok(nfd);
                break;
            }
            case Call::Setsockopt: r = h.set_option(fd, st.option, st.value, st.value2); break;
            case Call::Getsockopt:
                r = h.get_error(fd);
                if (r.err == Errno::ok) {
                    const auto e = static_cast<Errno>(r.value);
                    extra["value"] = e == Errno::ok ? ojson(0) : ojson(errno_name(e));
                    r.value = 0;
                }
                break;
            case Call::Bind: r = h.bind(fd, st.ip, st.port); break;
            case Call::Listen: r = h.listen(fd, st.backlog); break;
            case Call::Accept: {
                int nfd = -1;
                Addr peer{};
                r = h.accept(fd, &nfd, &peer);
                if (!r.block && r.err == Errno::ok) {
                    new_socket(a, nfd);
                    names[st.as] = nfd;
                    extra["new_sock"] = st.as;
                    extra["peer"] = addr_string(peer);
                }
                break;
            }
            case Call::Connect:
                r = h.connect(fd, st.to);
                if (!r.block && r.err == Errno::ok) {
                    if (const Socket* s = h.sock(fd)) extra["local"] = addr_string(s->local);
                }
                break;
            case Call::Send: {
                const std::string_view rest = std::string_view(st.data).substr(a.sent);
                r = h.send(fd, rest, st.nosignal);
                if (!r.block && r.err == Errno::ok) {
                    a.sent += static_cast<std::size_t>(r.value);
                    const Socket* s = h.sock(fd);
                    if (a.sent < st.data.size() && s && !s->nonblock)
                        r = SysResult::wait();
                    else
                        r = SysResult::ok(static_cast<long>(a.sent));
                } else if (!r.block && a.sent > 0) {
                    r = SysResult::ok(
                        static_cast<long>(a.sent));  // a partial write returns its count
                }
                break;
            }
            case Call::Recv: {
                std::string data;
                r = h.recv(fd, st.max, &data);
                if (!r.block && r.err == Errno::ok && r.value > 0 && data.size() <= 256 &&
                    printable(data))
                    extra["data"] = data;
                break;
            }
            case Call::Shutdown: r = h.shutdown(fd, st.shut_rd, st.shut_wr); break;
            case Call::Close:
                r = h.close(fd);
                if (r.err == Errno::ok) names.erase(st.sock);
                break;
            case Call::Poll: {
                const unsigned ready = h.poll(fd) & (st.poll_events | kPollErr | kPollHup);
                if (ready) {
                    r = SysResult::ok(1);
                    extra["revents"] = poll_list(ready);
                } else if (st.timeout == 0) {
                    r = SysResult::ok(0);
                    extra["revents"] = ojson::array();
                } else {
                    r = SysResult::wait();
                }
                break;
            }
            case Call::Sleep: r = SysResult::ok(0); break;
        }
    }
    if (r.block) {
        a.wait_host = spec.host;
        a.wait_fd = fd;
        fd_waiters_[fd_key(spec.host, fd)].push_back(a.index);
        return;
    }
    finish(a, r, std::move(extra));
}

void Runner::finish(AppState& a, SysResult r, ojson extra) {
    const AppSpec& spec = sc_.apps[static_cast<std::size_t>(a.index)];
    const StepSpec& st = spec.steps[a.step];
    Host& h = host_of(a);
    a.in_call = false;
    a.wait_fd = -1;
    a.deadline_gen = 0;
    if (sim_.trace().on()) {
        auto e = Trace::event(sim_.now(), "return");
        e["host"] = h.name();
        e["app"] = spec.name;
        e["call"] = call_name(st.call);
        if (!st.sock.empty())
            e["sock"] = st.sock;
        else if (!st.as.empty())
            e["sock"] = st.as;
        e["result"] = r.value;
        if (r.err != Errno::ok) e["errno"] = errno_name(r.err);
        for (auto& [k, v] : extra.items()) e[k] = v;
        if (st.repeat > 1 || st.repeat_mode != StepSpec::Repeat::Count) e["iteration"] = a.rep + 1;
        sim_.trace().add(std::move(e));
    } else {
        sim_.trace().count();
    }
    if (r.sigpipe) {
        if (sim_.trace().on()) {
            auto e = Trace::event(sim_.now(), "signal");
            e["host"] = h.name();
            e["app"] = spec.name;
            e["signal"] = "SIGPIPE";
            e["action"] = spec.sigpipe_ignored ? "ignored" : "terminate";
            sim_.trace().add(std::move(e));
        }
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

void Runner::kill_process(int host) {
    Host& h = *sim_.hosts()[static_cast<std::size_t>(host)];
    for (int i : apps_of_host_[static_cast<std::size_t>(host)]) {
        AppState& a = apps_[static_cast<std::size_t>(i)];
        a.dead = true;
        a.in_call = false;
    }
    if (sim_.trace().on()) {
        auto e = Trace::event(sim_.now(), "note");
        e["host"] = h.name();
        e["code"] = "process_killed";
        e["args"] = {{"signal", "SIGPIPE"}};
        sim_.trace().add(std::move(e));
    }
    auto& names = handles_[static_cast<std::size_t>(host)];
    std::vector<std::pair<int, std::string>> open;
    for (auto& [name, fd] : names) open.emplace_back(fd, name);
    std::sort(open.begin(), open.end());
    for (auto& [fd, name] : open) h.close(fd);
    names.clear();
}

void Runner::host_event(const EventSpec& ev) {
    Host& h = *sim_.hosts()[static_cast<std::size_t>(ev.host)];
    if (ev.action == "inject") {
        Segment seg = ev.seg;
        // The connection this segment imitates, if any: looked up at the receiver (whose IRS is
        // the sender's ISS), else at the sender.
        Seq iss = 0, irs = 0;
        bool known = false;
        if (Host* dst = sim_.host_by_ip(seg.dst.ip))
            known = dst->isns({seg.dst.ip, seg.src.ip, seg.dst.port, seg.src.port}, &irs, &iss);
        if (!known)
            known = h.isns({seg.src.ip, seg.dst.ip, seg.src.port, seg.dst.port}, &iss, &irs);
        if (ev.rel_seq || ev.rel_ack) {
            if (!known)
                throw InputError(
                    scenario_file_ + ": " + ev.ptr + "/seg/rel: no connection with this 4-tuple " +
                    "exists when the segment is sent, so relative numbers cannot be resolved");
            if (ev.rel_seq) seg.seq = iss + static_cast<Seq>(*ev.rel_seq);
            if (ev.rel_ack) seg.ack = irs + static_cast<Seq>(*ev.rel_ack);
        }
        seg.id = sim_.next_segment_id();
        if (sim_.trace().on()) {
            auto e = Trace::event(sim_.now(), "send");
            e["host"] = h.name();
            if (known) e["conn"] = conn_name({seg.src.ip, seg.dst.ip, seg.src.port, seg.dst.port});
            e["seg"] = segment_json(seg);
            if (known) {
                ojson rel;
                rel["seq"] = seg.seq - iss;
                if (seg.flags & ACK) rel["ack"] = seg.ack - irs;
                e["rel"] = std::move(rel);
            }
            e["injected"] = true;
            sim_.trace().add(std::move(e));
        }
        sim_.send(ev.host, std::move(seg));
        return;
    }
    if (sim_.trace().on()) {
        auto e = Trace::event(sim_.now(), "action");
        e["host"] = h.name();
        e["action"] = ev.action;
        sim_.trace().add(std::move(e));
    }
    auto lose_state = [&] {
        h.crash();
        for (int i : apps_of_host_[static_cast<std::size_t>(ev.host)]) {
            AppState& a = apps_[static_cast<std::size_t>(i)];
            if (a.in_call || a.step > 0 || a.rep > 0) a.dead = true;
        }
        handles_[static_cast<std::size_t>(ev.host)].clear();
    };
    if (ev.action == "crash") {
        lose_state();
    } else if (ev.action == "reboot") {
        // A reboot loses every connection like a crash, and the host is back at once.
        if (h.up()) lose_state();
        h.reboot();
    } else if (ev.action == "unplug") {
        sim_.set_unplugged(ev.host, true);
    } else if (ev.action == "plug") {
        sim_.set_unplugged(ev.host, false);
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
    t["events"] = std::move(sim_.trace().events());
    return t;
}

}  // namespace tcplab
