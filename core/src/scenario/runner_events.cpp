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

}  // namespace tcplab
