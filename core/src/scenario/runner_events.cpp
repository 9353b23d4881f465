// The scenario's timed host events (crash, reboot, unplug, plug, inject), and what a process's
// death does to its apps and descriptors.
#include "tcplab/runner.hpp"

#include <algorithm>

namespace tcplab {

void Runner::kill_process(int host) {
    Host& h = *sim_.hosts()[static_cast<std::size_t>(host)];
    for (int i : apps_of_host_[static_cast<std::size_t>(host)]) {
        AppState& a = apps_[static_cast<std::size_t>(i)];
        a.dead = true;
        a.in_call = false;
    }
    if (sim_.trace().on())
        sim_.trace().add({sim_.now(), h.name(), std::string(),
                          ev::Note{"process_killed", {{"signal", "SIGPIPE"}}}});
    auto& names = handles_[static_cast<std::size_t>(host)];
    std::vector<std::pair<int, std::string>> open;
    for (auto& [name, fd] : names) open.emplace_back(fd, name);
    std::sort(open.begin(), open.end());
    for (auto& [fd, name] : open) h.close(fd);
    names.clear();
}

void Runner::host_event(const EventSpec& event) {
    Host& h = *sim_.hosts()[static_cast<std::size_t>(event.host)];
    if (event.action == "inject") {
        Segment seg = event.seg;
        // The connection this segment imitates, if any: looked up at the receiver (whose IRS is
        // the sender's ISS), else at the sender.
        Seq iss = 0, irs = 0;
        bool known = false;
        if (Host* dst = sim_.host_by_ip(seg.dst.ip))
            known = dst->isns({seg.dst.ip, seg.src.ip, seg.dst.port, seg.src.port}, &irs, &iss);
        if (!known)
            known = h.isns({seg.src.ip, seg.dst.ip, seg.src.port, seg.dst.port}, &iss, &irs);
        if (event.rel_seq || event.rel_ack) {
            if (!known)
                throw InputError(
                    scenario_file_ + ": " + event.ptr +
                    "/seg/rel: no connection with this 4-tuple " +
                    "exists when the segment is sent, so relative numbers cannot be resolved");
            if (event.rel_seq) seg.seq = iss + static_cast<Seq>(*event.rel_seq);
            if (event.rel_ack) seg.ack = irs + static_cast<Seq>(*event.rel_ack);
        }
        seg.id = sim_.next_segment_id();
        std::size_t sent = Trace::kNone;  // its send event
        if (sim_.trace().on()) {
            ev::Send e;
            e.seg = ev::Send::header(seg);
            if (known) e.rel = ev::Send::rel_of(seg, iss, irs);
            e.injected = true;
            sent = sim_.trace().add(
                {sim_.now(), h.name(),
                 known ? conn_name({seg.src.ip, seg.dst.ip, seg.src.port, seg.dst.port})
                       : std::string(),
                 std::move(e)});
        }
        sim_.send(event.host, std::move(seg), sent);
        return;
    }
    if (sim_.trace().on())
        sim_.trace().add({sim_.now(), h.name(), std::string(), ev::Action{event.action}});
    auto lose_state = [&] {
        h.crash();
        for (int i : apps_of_host_[static_cast<std::size_t>(event.host)]) {
            AppState& a = apps_[static_cast<std::size_t>(i)];
            if (a.in_call || a.step > 0 || a.rep > 0) a.dead = true;
        }
        handles_[static_cast<std::size_t>(event.host)].clear();
    };
    if (event.action == "crash") {
        lose_state();
    } else if (event.action == "reboot") {
        // A reboot loses every connection like a crash, and the host is back at once.
        if (h.up()) lose_state();
        h.reboot();
    } else if (event.action == "unplug") {
        sim_.set_unplugged(event.host, true);
    } else if (event.action == "plug") {
        sim_.set_unplugged(event.host, false);
    }
}

}  // namespace tcplab
