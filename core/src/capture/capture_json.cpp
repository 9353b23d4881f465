// What the reader found, in text and JSON (addresses, options, the reader's JSON form) and which
// interfaces of a file are read as one capture point (capture.hpp).
#include "tcplab/capture.hpp"
#include "tcplab/error.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <unordered_map>

namespace tcplab {

std::string ip_to_string(uint8_t version, const std::array<uint8_t, 16>& ip) {
    char buf[64];
    if (version == 4) {  // by hand: this runs for every segment of million-packet captures
        std::string r;
        r.reserve(15);
        for (int i = 0; i < 4; ++i) {
            if (i) r += '.';
            unsigned v = ip[size_t(i)];
            if (v >= 100) r += char('0' + v / 100);
            if (v >= 10) r += char('0' + v / 10 % 10);
            r += char('0' + v % 10);
        }
        return r;
    }
    // RFC 5952: lower case, longest run (>1) of zero groups as "::"
    uint16_t g[8];
    for (int i = 0; i < 8; ++i) g[i] = uint16_t(ip[2 * i] << 8 | ip[2 * i + 1]);
    int best = -1, bestlen = 1;
    for (int i = 0; i < 8;) {
        if (g[i] != 0) {
            ++i;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0) ++j;
        if (j - i > bestlen) {
            best = i;
            bestlen = j - i;
        }
        i = j;
    }
    std::string s;
    for (int i = 0; i < 8; ++i) {
        if (i == best) {
            s += "::";
            i += bestlen - 1;
            continue;
        }
        if (!s.empty() && s.back() != ':') s += ':';
        std::snprintf(buf, sizeof buf, "%x", g[i]);
        s += buf;
    }
    return s;
}

std::string endpoint_string(uint8_t version, const std::array<uint8_t, 16>& ip, uint16_t port) {
    if (version == 6) return "[" + ip_to_string(6, ip) + "]:" + std::to_string(port);
    return ip_to_string(4, ip) + ":" + std::to_string(port);
}

nlohmann::ordered_json options_json(const TcpOptionsSeen& opts) {
    nlohmann::ordered_json o = nlohmann::ordered_json::object();
    if (opts.mss >= 0) o["mss"] = opts.mss;
    if (opts.wscale >= 0) o["wscale"] = opts.wscale;
    if (opts.sack_ok) o["sack_ok"] = true;
    if (opts.has_ts) o["ts"] = {opts.ts_val, opts.ts_ecr};
    if (!opts.sack.empty()) {
        o["sack"] = nlohmann::ordered_json::array();
        for (auto [l, r] : opts.sack) o["sack"].push_back({l, r});
    }
    return o;
}

nlohmann::ordered_json interfaces_json(const CaptureInfo& info) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (size_t i = 0; i < info.interfaces.size(); ++i) {
        const auto& f = info.interfaces[i];
        nlohmann::ordered_json j = {{"id", i}, {"linktype", f.linktype}};
        if (!f.name.empty()) j["name"] = f.name;
        if (!f.description.empty()) j["description"] = f.description;
        j["packets"] = f.packets;
        j["tcp_packets"] = f.tcp_packets;
        list.push_back(std::move(j));
    }
    return list;
}

nlohmann::ordered_json capture_to_json(const Capture& cap) {
    using nlohmann::ordered_json;
    ordered_json j;
    j["format"] = cap.info.format;
    j["linktypes"] = cap.info.linktypes;
    j["packets"] = cap.info.packets;
    j["tcp_packets"] = cap.info.tcp_packets;
    ordered_json sk = ordered_json::object();
    for (const auto& r : capture_skip_reasons())
        if (auto it = cap.info.skipped.find(r); it != cap.info.skipped.end()) sk[r] = it->second;
    j["skipped"] = sk;
    if (cap.info.truncated_at) j["truncated_at"] = *cap.info.truncated_at;
    j["interfaces"] = interfaces_json(cap.info);
    std::map<std::string, size_t> index;  // "a|b" canonical -> connection
    ordered_json conns = ordered_json::array(), segs = ordered_json::array();
    for (const auto& s : cap.segments) {
        std::string src = endpoint_string(s.ip_version, s.src, s.sport),
                    dst = endpoint_string(s.ip_version, s.dst, s.dport);
        std::string key = src < dst ? src + "|" + dst : dst + "|" + src;
        auto [it, fresh] = index.try_emplace(key, conns.size());
        if (fresh) conns.push_back({{"a", src}, {"b", dst}, {"segments", 0}});
        auto& c = conns[it->second];
        c["segments"] = c["segments"].get<uint64_t>() + 1;
        ordered_json e;
        e["frame"] = s.frame;
        e["iface"] = s.iface;
        e["t_us"] = s.ts_us;
        e["conn"] = it->second;
        e["dir"] = c["a"] == src ? "a>b" : "b>a";
        e["flags"] = flag_names(s.flags);
        e["seq"] = s.seq;
        e["ack"] = s.ack;
        e["win"] = s.win;
        e["len"] = s.len;
        if (auto o = options_json(s.opts); !o.empty()) e["opts"] = std::move(o);
        segs.push_back(std::move(e));
    }
    j["connections"] = conns;
    j["segments"] = segs;
    return j;
}

InterfaceSelection select_capture_interfaces(const Capture& cap, const std::string& choice,
                                             const std::string& file) {
    const auto& ifs = cap.info.interfaces;
    // Capture points: interfaces sharing a non-empty if_name are one point.
    std::vector<std::vector<uint32_t>> points;
    std::vector<size_t> point_of(ifs.size());
    std::map<std::string, size_t> by_name;
    for (uint32_t i = 0; i < ifs.size(); ++i) {
        auto it = ifs[i].name.empty() ? by_name.end() : by_name.find(ifs[i].name);
        if (it == by_name.end()) {
            if (!ifs[i].name.empty()) by_name[ifs[i].name] = points.size();
            point_of[i] = points.size();
            points.push_back({i});
        } else {
            point_of[i] = it->second;
            points[it->second].push_back(i);
        }
    }
    std::vector<size_t> tcp_points;
    for (size_t p = 0; p < points.size(); ++p) {
        uint64_t n = 0;
        for (uint32_t i : points[p]) n += ifs[i].tcp_packets;
        if (n) tcp_points.push_back(p);
    }
    InterfaceSelection sel;
    sel.points = tcp_points.size();
    auto all = [&] {
        for (uint32_t i = 0; i < ifs.size(); ++i) sel.ids.push_back(i);
    };
    auto sorted = [](std::vector<uint32_t> v) {
        std::sort(v.begin(), v.end());
        return v;
    };
    if (choice == "all") {
        all();
        sel.how = "all";
        return sel;
    }
    if (!choice.empty()) {
        sel.how = "chosen";
        if (choice.find_first_not_of("0123456789") == std::string::npos && choice.size() < 10) {
            unsigned long id = std::stoul(choice);
            if (id < ifs.size()) {
                sel.ids = {uint32_t(id)};
                return sel;
            }
        } else if (auto it = by_name.find(choice); it != by_name.end()) {
            sel.ids = sorted(points[it->second]);
            return sel;
        }
        std::string list;
        for (uint32_t i = 0; i < ifs.size(); ++i)
            list += (i ? ", " : "") + std::to_string(i) +
                    (ifs[i].name.empty() ? "" : " \"" + ifs[i].name + "\"");
        throw InputError(file + ": the capture has no interface \"" + choice +
                         "\" (its interfaces: " + (list.empty() ? "none" : list) + ")");
    }
    if (tcp_points.size() <= 1) {
        if (tcp_points.empty())
            all();
        else
            sel.ids = sorted(points[tcp_points[0]]);
        sel.how = "only";
        return sel;
    }
    // Did two capture points see the same segment? Everything that identifies one transmission:
    // addresses, ports, numbers, flags, window, length and the TCP timestamps.
    std::unordered_map<std::string, size_t> seen;
    seen.reserve(cap.segments.size());
    bool same = false;
    for (const auto& s : cap.segments) {
        std::string k;
        k.reserve(64);
        auto put = [&k](const void* p, size_t n) { k.append(static_cast<const char*>(p), n); };
        put(&s.ip_version, 1);
        put(s.src.data(), 16);
        put(s.dst.data(), 16);
        put(&s.sport, 2);
        put(&s.dport, 2);
        put(&s.seq, 4);
        put(&s.ack, 4);
        put(&s.flags, 1);
        put(&s.win, 2);
        put(&s.len, 4);
        put(&s.opts.has_ts, 1);
        put(&s.opts.ts_val, 4);
        put(&s.opts.ts_ecr, 4);
        const size_t p = s.iface < point_of.size() ? point_of[s.iface] : 0;
        auto [it, fresh] = seen.emplace(std::move(k), p);
        if (!fresh && it->second != p) {
            same = true;
            break;
        }
    }
    if (same) {
        sel.ids = sorted(points[tcp_points[0]]);
        sel.how = "first";
    } else {
        all();
        sel.how = "together";
    }
    return sel;
}

}  // namespace tcplab
