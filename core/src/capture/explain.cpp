// Explaining a capture (explain.hpp): the observer's driver. The segments in the order they were
// seen, one packet recorded twice taken once, hosts named, then every segment sent and delivered on
// the true timeline (observer_timeline.cpp, observer_send.cpp, observer_arrive.cpp), and the result
// written as a trace. See observer.hpp for how the observer works.
#include "observer.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace tcplab::observer {

Params observed_params(const ExplainOptions& opt) {
    Params p = profile_params("linux");
    p.rfc1337 = opt.tcp_rfc1337 ? 1 : 0;
    return p;
}

ordered_json Explainer::run() {
    name_hosts();
    estimate_paths();
    infer_losses();
    find_answered_by_reset();
    compute_timeline();
    // Every segment becomes two events on the true timeline: sent and arrived
    // (compute_timeline).
    struct Ev {
        int64_t t;
        uint32_t idx;
        bool arrive;
    };
    std::vector<Ev> evs;
    evs.reserve(cap_.segments.size() * 2);
    int64_t first = INT64_MAX, last = INT64_MIN;
    for (uint32_t i = 0; i < cap_.segments.size(); ++i) {
        evs.push_back({send_t_[i], i, false});
        evs.push_back({arr_t_[i], i, true});
        first = std::min(first, send_t_[i]);
        last = std::max(last, arr_t_[i]);
    }
    std::sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) {
        return a.t != b.t ? a.t < b.t : a.idx != b.idx ? a.idx < b.idx : a.arrive < b.arrive;
    });
    start_us_ = evs.empty() ? 0 : first;
    per_seg_.resize(cap_.segments.size());
    for (const Ev& e : evs) {
        flush_timers(rel(e.t));
        if (e.arrive)
            arrived(e.idx, rel(e.t));
        else
            sent(e.idx, rel(e.t));
    }
    end_us_ = evs.empty() ? 0 : rel(last);
    flush_timers(end_us_);
    finish();
    return build();
}

// One packet recorded twice is explained once: a copy with the same interface, IP ID and
// header bytes (whose TCP checksum covers the payload) within kDuplicateWindowUs of an
// earlier one. Then the segments are taken in the order they were seen: a file written from
// several capture buffers is not always in time order (Wireshark's "Strict time order").
void Explainer::drop_duplicates_and_sort() {
    auto& v = cap_.segments;
    std::stable_sort(v.begin(), v.end(),
                     [](const auto& a, const auto& b) { return a.ts_us < b.ts_us; });
    std::vector<CapturedSegment> kept;
    kept.reserve(v.size());
    std::deque<size_t> window;  // kept copies of the last kDuplicateWindowUs, in time order
    std::unordered_map<uint64_t, std::vector<size_t>> by_digest;  // ... by digest
    for (auto& s : v) {
        while (!window.empty() && s.ts_us - kept[window.front()].ts_us > kDuplicateWindowUs) {
            auto it = by_digest.find(kept[window.front()].digest);
            std::erase(it->second, window.front());
            if (it->second.empty()) by_digest.erase(it);
            window.pop_front();
        }
        if (auto it = by_digest.find(s.digest); it != by_digest.end() && s.digest != 0) {
            auto same = std::find_if(it->second.begin(), it->second.end(), [&](size_t k) {
                return kept[k].iface == s.iface && kept[k].ip_id == s.ip_id;
            });
            if (same != it->second.end()) {
                duplicates_.emplace_back(s.frame, kept[*same].frame);
                continue;
            }
        }
        window.push_back(kept.size());
        by_digest[s.digest].push_back(kept.size());
        kept.push_back(std::move(s));
    }
    v = std::move(kept);
}

// Host naming: one host per IP address, unless some connection has the same address on both
// ends (loopback), then one host per endpoint. Two hosts with consistent roles are called
// "client" and "server"; otherwise "A", "B", ... in order of appearance.
void Explainer::name_hosts() {
    std::vector<std::string> order;
    std::map<std::string, std::string> ip_of, port_of;
    std::map<std::string, std::set<std::string>> roles;
    std::unordered_map<Key, bool, KeyHash> seen;
    for (const auto& s : cap_.segments)
        if (s.ip_version == 4 ? std::equal(s.src.begin(), s.src.begin() + 4, s.dst.begin())
                              : s.src == s.dst) {
            per_endpoint_ = true;
            break;
        }
    for (const auto& s : cap_.segments) {
        Key k = key_of(s, nullptr);
        if (seen.count(k)) continue;
        bool client_is_src = (s.flags & SYN) ? !(s.flags & ACK) : s.sport > s.dport;
        seen[k] = true;
        std::string src = identity(s.ip_version, s.src, s.sport),
                    dst = identity(s.ip_version, s.dst, s.dport);
        for (auto& [id, ver, ip, port, role] :
             {std::tuple{src, s.ip_version, s.src, s.sport, client_is_src},
              std::tuple{dst, s.ip_version, s.dst, s.dport, !client_is_src}}) {
            if (!ip_of.count(id)) {
                order.push_back(id);
                ip_of[id] = ip_to_string(ver, ip);
                port_of[id] = std::to_string(port);
            }
            roles[id].insert(role ? "client" : "server");
        }
    }
    bool cs = order.size() == 2 && roles[order[0]].size() == 1 && roles[order[1]].size() == 1 &&
              *roles[order[0]].begin() != *roles[order[1]].begin();
    for (size_t i = 0; i < order.size(); ++i) {
        std::string name;
        if (cs)
            name = *roles[order[i]].begin();
        else if (i < 26)
            name = std::string(1, char('A' + i));
        else
            name = "H" + std::to_string(i + 1);
        host_of_[order[i]] = name;
        ordered_json h = {{"ip", ip_of[order[i]]}};
        if (per_endpoint_) h["port"] = std::stoi(port_of[order[i]]);
        hosts_[name] = h;
    }
}

std::string Explainer::identity(uint8_t v, const std::array<uint8_t, 16>& ip, uint16_t port) const {
    return per_endpoint_ ? endpoint_string(v, ip, port) : ip_to_string(v, ip);
}

size_t Explainer::state(Conn& c, End& x, int64_t t, State to, const std::string& cause,
                        bool inferred, uint64_t sent) {
    if (x.state == to && cause != "capture_start") return SIZE_MAX;
    size_t ev = SIZE_MAX;
    x.pending_state = SIZE_MAX;  // a new transition: the last one's ACK is no longer awaited
    if (opt_.events && wanted(c)) {
        ordered_json e = {{"t_us", t},
                          {"kind", "state"},
                          {"host", x.host},
                          {"conn", x.conn},
                          {"from", state_name(x.state)},
                          {"to", state_name(to)},
                          {"cause", cause}};
        if (inferred) e["inferred"] = true;
        if (sent) e["sent"] = sent;
        ev = events_.size();
        push(std::move(e));
    }
    State from = x.state;
    x.state = to;
    int side = &x == &c.e[0] ? 0 : 1;
    if (to == State::TimeWait) {
        c.tw_expires[side] = t + p_.time_wait;
        tw_.push({t + p_.time_wait, index_of(c), side});
        timer(c, x, t, "time_wait", "set", t + p_.time_wait);
        note(c, t, &x, "cap_time_wait");
    } else if (from == State::TimeWait && c.tw_expires[side] >= 0) {
        c.tw_expires[side] = -1;
        timer(c, x, t, "time_wait", "cancel");
    }
    if (to == State::Closed && x.rtx_timer) {
        x.rtx_timer = false;
        timer(c, x, t, "retransmit", "cancel");
    }
    return ev;
}

void Explainer::timer(const Conn& c, const End& x, int64_t t, const char* name, const char* action,
                      int64_t expires, bool inferred) {
    if (!opt_.events || !wanted(c)) return;
    ordered_json e = {{"t_us", t},      {"kind", "timer"}, {"host", x.host},
                      {"conn", x.conn}, {"timer", name},   {"action", action}};
    if (expires >= 0) e["expires_us"] = expires;
    if (inferred) e["inferred"] = true;
    push(std::move(e));
}

// TIME_WAIT timers that expire before time t: fire them first, so events stay in time order.
void Explainer::flush_timers(int64_t t) {
    while (!tw_.empty() && tw_.top().at <= t) {
        Tw w = tw_.top();
        tw_.pop();
        Conn& c = *conns_[w.conn];
        End& x = c.e[w.side];
        if (c.tw_expires[w.side] != w.at || x.state != State::TimeWait)
            continue;  // cancelled or restarted
        c.tw_expires[w.side] = -1;
        timer(c, x, w.at, "time_wait", "fire");
        state(c, x, w.at, State::Closed, "timer:time_wait");
    }
}

ordered_json Explainer::delay_of(const Conn& c) const {
    auto it = paths_.find(c.key);
    if (it == paths_.end()) return {{"client", 0}, {"server", 0}};
    return {{"client", it->second.to_client}, {"server", it->second.to_server}};
}

void Explainer::finish() {
    for (auto& cp : conns_) {
        Conn& c = *cp;
        if (!c.e[0].seen || !c.e[1].seen)
            note(c, end_us_, nullptr, "cap_one_direction",
                 {{"seen", c.e[0].seen ? c.e[0].addr + " → " + c.e[1].addr
                                       : c.e[1].addr + " → " + c.e[0].addr}});
        if (c.done) continue;
        for (auto& x : c.e) {
            if (x.state == State::TimeWait) {
                int side = &x == &c.e[0] ? 0 : 1;
                note(c, end_us_, &x, "cap_end_time_wait",
                     {{"left_s", std::round(double(c.tw_expires[side] - end_us_) / 1e5) / 10}});
            } else if (x.state == State::CloseWait) {
                note(c, end_us_, &x, "cap_end_close_wait");
            } else if (x.state == State::FinWait2) {
                note(c, end_us_, &x, "cap_end_fin_wait_2");
            }
        }
    }
}

// Which capture point of a file with several interfaces this is (select_capture_interfaces).
std::pair<std::string, ordered_json> Explainer::interface_note() const {
    if (sel_.points < 2) return {};  // one capture point: nothing was chosen
    const auto& ifs = cap_.info.interfaces;
    std::string list, read;
    for (uint32_t i = 0; i < ifs.size(); ++i)
        if (ifs[i].tcp_packets) list += (list.empty() ? "" : ", ") + interface_label(i);
    for (uint32_t i : sel_.ids)
        if (ifs[i].tcp_packets || sel_.ids.size() == 1)
            read += (read.empty() ? "" : ", ") + interface_label(i);
    return {"cap_interface_" + sel_.how, {{"read", read}, {"count", sel_.points}, {"list", list}}};
}

std::string Explainer::interface_label(uint32_t i) const {
    const auto& f = cap_.info.interfaces[i];
    std::string s = std::to_string(i);
    if (!f.name.empty()) s += " \"" + f.name + "\"";
    if (!f.description.empty()) s += " (" + f.description + ")";
    return s;
}

ordered_json Explainer::build() {
    ordered_json tr;
    tr["tcplab"] = 1;
    tr["source"] = "capture";
    tr["title"] = opt_.file;
    tr["hosts"] = hosts_;
    ordered_json cap;
    cap["file"] = opt_.file;
    cap["format"] = cap_.info.format;
    cap["linktypes"] = cap_.info.linktypes;
    cap["packets"] = cap_.info.packets;
    cap["tcp_packets"] = cap_.info.tcp_packets;
    ordered_json sk = ordered_json::object();
    for (const auto& r : capture_skip_reasons())
        if (auto it = cap_.info.skipped.find(r); it != cap_.info.skipped.end()) sk[r] = it->second;
    cap["skipped"] = sk;
    if (cap_.info.truncated_at) cap["truncated_at"] = *cap_.info.truncated_at;
    cap["start_us"] = start_us_;
    // Wireshark's time 0: the file's first packet. (Listings give each frame's time from it.)
    cap["first_packet_us"] = cap_.info.first_ts_us ? *cap_.info.first_ts_us : start_us_;
    cap["duplicates"] = duplicates_.size();
    cap["interfaces"] = interfaces_json(cap_.info);
    cap["interface"] = {{"ids", sel_.ids}, {"how", sel_.how}};
    ordered_json list = ordered_json::array();
    for (const auto& cp : conns_) {
        const Conn& c = *cp;
        list.push_back(
            {{"id", c.id},
             {"client", c.e[0].addr},
             {"server", c.e[1].addr},
             {"client_host", c.e[0].host},
             {"server_host", c.e[1].host},
             {"first_frame", c.first_frame},
             {"segments", c.segments},
             {"roles", c.roles},
             {"delay_us", delay_of(c)},
             {"final",
              {{"client", state_name(c.e[0].state)}, {"server", state_name(c.e[1].state)}}}});
    }
    cap["connections"] = list;
    ordered_json counts = ordered_json::object();
    for (auto& [k, v] : note_counts_) counts[k] = v;
    cap["note_counts"] = counts;
    tr["capture"] = cap;
    tr["end_us"] = end_us_;
    // Capture-wide notes first.
    ordered_json head = ordered_json::array();
    auto headnote = [&](const std::string& code, ordered_json args) {
        head.push_back({{"t_us", 0}, {"kind", "note"}, {"code", code}, {"args", std::move(args)}});
    };
    if (opt_.events) {
        headnote("cap_source", {{"file", opt_.file}, {"format", cap_.info.format}});
        if (cap_.info.tcp_packets == 0) headnote("cap_no_tcp", {{"packets", cap_.info.packets}});
        uint64_t other = cap_.info.packets - cap_.info.tcp_packets;
        if (other > 0 && cap_.info.tcp_packets > 0) {
            std::string reasons;
            for (auto& [k, v] : sk.items())
                reasons +=
                    (reasons.empty() ? "" : ", ") + k + " " + std::to_string(v.get<uint64_t>());
            headnote("cap_not_tcp", {{"count", other}, {"reasons", reasons}});
        }
        if (cap_.info.truncated_at)
            headnote("cap_truncated", {{"offset", *cap_.info.truncated_at}});
        if (auto n = interface_note(); !n.first.empty()) headnote(n.first, std::move(n.second));
        if (!duplicates_.empty()) {
            std::string pairs;
            for (size_t i = 0; i < duplicates_.size() && i < 5; ++i)
                pairs += (i ? ", " : "") + ("#" + std::to_string(duplicates_[i].first)) + " = #" +
                         std::to_string(duplicates_[i].second);
            if (duplicates_.size() > 5) pairs += ", …";
            headnote("cap_duplicate_frames", {{"count", duplicates_.size()}, {"pairs", pairs}});
        }
        for (auto& e : events_) head.push_back(std::move(e));
        // Notes emitted at the end may carry earlier times: keep the array in time order
        // (stable).
        std::stable_sort(head.begin(), head.end(),
                         [](const ordered_json& a, const ordered_json& b) {
                             return a["t_us"].get<int64_t>() < b["t_us"].get<int64_t>();
                         });
    }
    tr["events"] = std::move(head);
    return tr;
}

}  // namespace tcplab::observer

namespace tcplab {

using nlohmann::ordered_json;

ordered_json explain_capture(const Capture& cap, const ExplainOptions& opt) {
    InterfaceSelection sel = select_capture_interfaces(cap, opt.interface, opt.file);
    if (sel.ids.size() >= cap.info.interfaces.size())
        return observer::Explainer(cap, opt, sel).run();
    // One capture point: only its interfaces' segments (frame numbers stay the file's).
    std::vector<bool> keep(cap.info.interfaces.size(), false);
    for (uint32_t i : sel.ids) keep[i] = true;
    Capture part;
    part.info = cap.info;
    for (const auto& s : cap.segments)
        if (s.iface < keep.size() && keep[s.iface]) part.segments.push_back(s);
    return observer::Explainer(std::move(part), opt, std::move(sel)).run();
}

ordered_json explain_capture(std::span<const uint8_t> bytes, const ExplainOptions& opt) {
    return explain_capture(read_capture(bytes, opt.file), opt);
}

}  // namespace tcplab
