#include "ladder.hpp"

#include "tcplab/catalog.hpp"
#include "tcplab/explain.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace tcplab_cli {

namespace {

using nlohmann::ordered_json;

std::string join_flags(const ordered_json& flags) {
    std::string s;
    for (auto& f : flags) s += (s.empty() ? "" : ",") + f.get<std::string>();
    return s.empty() ? "-" : s;
}

std::string time_ms(long long t_us) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%10.3f", static_cast<double>(t_us) / 1000.0);
    return buf;
}

std::string duration(long long us) {
    char buf[32];
    if (us >= 1000000)
        std::snprintf(buf, sizeof buf, "%.3g s", static_cast<double>(us) / 1e6);
    else
        std::snprintf(buf, sizeof buf, "%.3g ms", static_cast<double>(us) / 1e3);
    return buf;
}

std::string segment_label(const ordered_json& ev, bool absolute) {
    const auto& seg = ev["seg"];
    std::string s = join_flags(seg["flags"]);
    const bool rel = !absolute && ev.contains("rel");
    const auto seq = rel ? ev["rel"]["seq"].get<long long>() : seg["seq"].get<long long>();
    s += " seq=" + std::to_string(seq);
    bool has_ack = false;
    for (auto& f : seg["flags"]) has_ack = has_ack || f == "ACK";
    if (has_ack) {
        const auto ack = rel && ev["rel"].contains("ack") ? ev["rel"]["ack"].get<long long>()
                                                          : seg["ack"].get<long long>();
        s += " ack=" + std::to_string(ack);
    }
    if (seg["len"].get<long long>() > 0) s += " len=" + std::to_string(seg["len"].get<long long>());
    if (ev.contains("retransmission")) s += " (retx)";
    if (ev.contains("injected")) s += " (injected)";
    return s;
}

std::string call_text(const ordered_json& call) {
    std::string s = call.value("call", "?") + "(";
    bool first = true;
    if (call.contains("sock")) {
        s += call["sock"].get<std::string>();
        first = false;
    }
    if (call.contains("args")) {
        for (auto& [k, v] : call["args"].items()) {
            if (k == "as") continue;
            s += (first ? "" : ", ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
            first = false;
        }
    }
    return s + ")";
}

class Canvas {
public:
    Canvas(std::vector<std::string> hosts, int column) : hosts_(std::move(hosts)), col_(column) {}

    int center(std::size_t h) const { return 12 + static_cast<int>(h) * col_ + col_ / 2; }
    std::size_t width() const {
        return static_cast<std::size_t>(12 + static_cast<int>(hosts_.size()) * col_);
    }
    std::size_t index(const std::string& host) const {
        for (std::size_t i = 0; i < hosts_.size(); ++i)
            if (hosts_[i] == host) return i;
        return 0;
    }

    std::string blank(long long t, bool show_time) const {
        std::string row(width(), ' ');
        const std::string ts = show_time ? time_ms(t) : std::string(10, ' ');
        row.replace(0, ts.size(), ts);
        for (std::size_t h = 0; h < hosts_.size(); ++h)
            row[static_cast<std::size_t>(center(h))] = '|';
        return row;
    }
    void put_center(std::string& row, std::size_t h, const std::string& text) const {
        int start = center(h) - static_cast<int>(text.size()) / 2;
        start = std::max(start, 11);
        for (std::size_t i = 0; i < text.size() && static_cast<std::size_t>(start) + i < row.size();
             ++i)
            row[static_cast<std::size_t>(start) + i] = text[i];
    }
    // Draws the arrow with its label on it; returns false (and draws no label) when the label
    // does not fit between the lifelines, so the caller can print it in the margin instead of
    // cutting it short ("len=156" must never read "len=1").
    bool arrow(std::string& row, std::size_t from, std::size_t to, const std::string& label,
               bool lost) const {
        const bool right = to > from;
        int a = center(std::min(from, to)) + 1, b = center(std::max(from, to)) - 1;
        if (lost) {
            // A lost segment stops half way, with an X where it died.
            const int mid = (a + b) / 2;
            if (right)
                b = mid;
            else
                a = mid;
        }
        for (int x = a; x <= b; ++x) row[static_cast<std::size_t>(x)] = '-';
        if (lost)
            row[static_cast<std::size_t>(right ? b : a)] = 'X';
        else
            row[static_cast<std::size_t>(right ? b : a)] = right ? '>' : '<';
        const std::string text = " " + label + " ";
        const int span = b - a + 1;
        if (static_cast<int>(text.size()) > span - 4) return false;
        int start = a + (span - static_cast<int>(text.size())) / 2;
        if (lost) start = right ? a + 1 : b - static_cast<int>(text.size());
        for (std::size_t i = 0; i < text.size(); ++i)
            row[static_cast<std::size_t>(start) + i] = text[i];
        return true;
    }

private:
    std::vector<std::string> hosts_;
    int col_;
};

}  // namespace

void print_ladder(const ordered_json& trace, std::ostream& out, const LadderOptions& opt) {
    // Notes in words: the engine's catalogue (as the player shows them), or the capture notes'.
    const ordered_json notes = tcplab::catalog()["notes"];
    const std::string lang = opt.lang == "zh-CN" ? "zh-CN" : "en";
    auto note_text = [&](const ordered_json& ev) {
        const std::string code = ev.value("code", "");
        const ordered_json args = ev.value("args", ordered_json::object());
        if (code.rfind("cap_", 0) == 0) return tcplab::render_capture_note(code, args, lang);
        if (auto it = notes.find(code); it != notes.end() && it->contains(lang))
            return tcplab::fill_note_template((*it)[lang].get<std::string>(), args);
        return code + (args.empty() ? "" : " " + args.dump());  // a code the catalogue lacks
    };
    std::vector<std::string> hosts;
    for (auto& [name, _] : trace["hosts"].items()) hosts.push_back(name);
    Canvas cv(hosts, opt.column);

    out << trace.value("title", "") << "  (profile " << trace.value("profile", "linux") << ", seed "
        << trace.value("seed", 0) << ")\n\n";
    std::string head(cv.width(), ' ');
    head.replace(0, 10, "      t/ms");
    std::string under(cv.width(), ' ');
    for (std::size_t h = 0; h < hosts.size(); ++h) {
        cv.put_center(head, h, hosts[h]);
        cv.put_center(under, h, trace["hosts"][hosts[h]].value("ip", ""));
    }
    out << head << "\n" << under << "\n";

    std::map<long long, std::pair<std::string, std::string>> segs;  // id -> (sender, receiver)
    std::map<long long, const ordered_json*> sends;
    std::map<long long, bool> lost;
    for (auto& ev : trace["events"]) {
        if (ev["kind"] == "drop") lost[ev["seg_id"].get<long long>()] = true;
    }
    std::map<std::string, std::string> ip_host;
    for (auto& [name, h] : trace["hosts"].items()) ip_host[h.value("ip", "")] = name;

    long long last_t = -1;
    auto emit = [&](long long t, std::string row, const std::string& margin) {
        if (last_t >= 0 && t - last_t >= 1000000) {
            std::string gap = cv.blank(t, false);
            std::string text = "... " + duration(t - last_t) + " later ...";
            gap.replace(0, std::min(gap.size(), text.size() + 1), " " + text);
            out << gap << "\n";
        }
        const bool same = t == last_t;
        if (same) row.replace(0, 10, std::string(10, ' '));
        while (!row.empty() && row.back() == ' ') row.pop_back();
        if (!margin.empty()) {
            row.resize(std::max(row.size(), cv.width()), ' ');
            row += "  " + margin;
        }
        out << row << "\n";
        last_t = t;
    };

    std::size_t index = 0;
    for (auto& ev : trace["events"]) {
        if (opt.before_event) opt.before_event(index, out);
        ++index;
        const long long t = ev["t_us"].get<long long>();
        const std::string kind = ev["kind"];
        const std::string host = ev.value("host", "");
        std::string row = cv.blank(t, true);
        if (kind == "send") {
            const auto& seg = ev["seg"];
            const std::string dst_ip =
                seg["dst"].get<std::string>().substr(0, seg["dst"].get<std::string>().rfind(':'));
            auto it = ip_host.find(dst_ip);
            const std::size_t from = cv.index(host);
            if (it == ip_host.end() || it->second == host) {
                emit(t, row,
                     host + " sends " + segment_label(ev, opt.absolute) + " to " +
                         seg["dst"].get<std::string>());
                continue;
            }
            const std::size_t to = cv.index(it->second);
            const bool dropped = lost.count(seg["id"].get<long long>()) > 0;
            const std::string label = segment_label(ev, opt.absolute);
            std::string margin = cv.arrow(row, from, to, label, dropped) ? "" : label;
            if (dropped) margin += margin.empty() ? "lost" : " (lost)";
            emit(t, row, margin);
        } else if (kind == "state") {
            cv.put_center(row, cv.index(host), ev["to"].get<std::string>());
            std::string margin;
            const std::string conn = ev.value("conn", "");
            if (ev.value("from", "") == "CLOSED" && ev.value("to", "") != "CLOSED") margin = conn;
            emit(t, row, margin);
        } else if (kind == "call") {
            continue;  // shown with its return
        } else if (kind == "return") {
            std::string text =
                host + ": " + call_text(ev) + " = " + std::to_string(ev["result"].get<long long>());
            if (ev.contains("errno")) text += " " + ev["errno"].get<std::string>();
            if (ev.contains("peer")) text += " (peer " + ev["peer"].get<std::string>() + ")";
            if (ev.contains("data")) {
                std::string d = ev["data"].get<std::string>();
                if (d.size() > 24) d = d.substr(0, 21) + "...";
                text += " \"" + d + "\"";
            }
            emit(t, row, text);
        } else if (kind == "timer") {
            const std::string timer = ev["timer"];
            const std::string action = ev["action"];
            const bool quiet =
                (timer == "delayed_ack" || timer == "retransmit" || timer == "syn_retransmit" ||
                 timer == "synack_retransmit" || timer == "keepalive") &&
                action != "fire";
            if (quiet || timer == "delayed_ack") continue;
            std::string text = host + ": " + timer + " timer ";
            if (action == "set")
                text += "started (" + duration(ev["expires_us"].get<long long>() - t) + ")";
            else if (action == "fire")
                text += "expired";
            else
                text += "cancelled";
            emit(t, row, text);
        } else if (kind == "signal") {
            emit(t, row,
                 host + ": " + ev.value("signal", "") + " (" + ev.value("action", "") + ")");
        } else if (kind == "action") {
            cv.put_center(row, cv.index(host), "**" + ev.value("action", "") + "**");
            emit(t, row, host + ": " + ev.value("action", ""));
        } else if (kind == "discard") {
            emit(t, row,
                 host + ": discards segment " + std::to_string(ev["seg_id"].get<long long>()) +
                     " (" + ev.value("reason", "") + ")");
        } else if (kind == "note") {
            emit(t, row, (host.empty() ? "" : host + ": ") + note_text(ev));
        } else if (kind == "queue") {
            emit(t, row,
                 host + ": " + ev.value("listener", "") + " syn queue " +
                     std::to_string(ev["syn_queue"].get<long long>()) + "/" +
                     std::to_string(ev["syn_max"].get<long long>()) + ", accept queue " +
                     std::to_string(ev["accept_queue"].get<long long>()) + "/" +
                     std::to_string(ev["accept_max"].get<long long>()));
        }
        // deliver, drop and buffers are implied by the arrows and the margin.
    }
    out << "\n";
    out << "end at " << time_ms(trace.value("end_us", 0LL)) << " ms\n";
}

}  // namespace tcplab_cli
