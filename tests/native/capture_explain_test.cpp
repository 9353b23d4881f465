// Explaining real captures: the observer's inferred states must match what `ss -tan` showed on
// the machines that produced them (tests/data/linux/<case>/, recorded by tools/oracle; and
// tests/capture/data/*.pcap with *.ss.txt, recorded by tests/capture/make-captures.sh).
#include "capture_support.hpp"

#include "tcplab/explain.hpp"
#include "tcplab/run.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <regex>
#include <sstream>

using namespace capture_test;
using nlohmann::ordered_json;

namespace {

ordered_json explain_file(const std::filesystem::path& p) {
    tcplab::ExplainOptions opt;
    opt.file = p.filename().string();
    return tcplab::explain_capture(read_bytes(p), opt);
}

std::string ss_state(std::string s) {  // ss -tan spelling -> RFC names used in traces
    if (s == "ESTAB") return "ESTABLISHED";
    if (s == "SYN-RECV") return "SYN_RECEIVED";
    for (auto& c : s)
        if (c == '-') c = '_';
    return s;
}

// The state of endpoint `local` ("ip:port") on connection `conn_id` at trace time t_us.
std::string state_at(const ordered_json& tr, long conn_id, const std::string& local, int64_t t_us,
                     int64_t* last_change) {
    std::string st = "CLOSED";
    const auto& c = tr["capture"]["connections"][size_t(conn_id - 1)];
    std::string remote =
        c["client"] == local ? c["server"].get<std::string>() : c["client"].get<std::string>();
    const std::string view = local + ">" + remote;
    // Connection ids in the trace's send events tell which incarnation a state event belongs to.
    long current = 0;
    *last_change = -1;
    for (const auto& e : tr["events"]) {
        if (e["t_us"].get<int64_t>() > t_us) break;
        if (e["kind"] == "send" && e["conn"] == view) current = e["capture_conn"].get<long>();
        if (e["kind"] == "send" && e["conn"] == remote + ">" + local)
            current = e["capture_conn"].get<long>();
        if (e["kind"] == "state" && e["conn"] == view && (current == conn_id || current == 0)) {
            st = e["to"].get<std::string>();
            *last_change = e["t_us"].get<int64_t>();
        }
    }
    return st;
}

std::vector<std::string> note_codes(const ordered_json& tr) {
    std::vector<std::string> v;
    for (const auto& e : tr["events"])
        if (e["kind"] == "note") v.push_back(e["code"]);
    return v;
}
bool has_note(const ordered_json& tr, const std::string& code) {
    auto v = note_codes(tr);
    return std::find(v.begin(), v.end(), code) != v.end();
}

}  // namespace

TEST_CASE("explain: inferred states match ss -tan in the Linux oracle captures",
          "[capture][explain][oracle]") {
    REQUIRE(std::filesystem::exists(oracle_dir()));
    int cases = 0, compared = 0;
    for (const auto& d : std::filesystem::directory_iterator(oracle_dir())) {
        const auto cap = d.path() / "capture.pcap", exp = d.path() / "expected.txt",
                   meta = d.path() / "meta.json";
        if (!std::filesystem::exists(cap) || !std::filesystem::exists(exp) ||
            !std::filesystem::exists(meta))
            continue;
        const std::string name = d.path().filename().string();
        INFO("case " << name);
        auto m = nlohmann::json::parse(read_text(meta));
        // The observer cannot see sysctls; tell it the one that changes what a capture means.
        tcplab::ExplainOptions eo;
        eo.file = name;
        for (const auto& h : m["sysctl"])
            if (h.is_object() && h.value("net.ipv4.tcp_rfc1337", h.value("tcp_rfc1337", 0)) == 1)
                eo.tcp_rfc1337 = true;
        auto tr = tcplab::explain_capture(read_bytes(cap), eo);
        // Addresses of the oracle's hosts from its commands ("ip -n NS_CLIENT addr add 10.0.0.1/24
        // ...").
        std::map<std::string, std::string> ip_of;
        std::regex addr(R"(ip -n NS_(\w+) addr add ([0-9.]+)/)");
        for (const auto& c : m["commands"]) {
            std::smatch sm;
            std::string s = c.get<std::string>();
            if (std::regex_search(s, sm, addr)) {
                std::string h = sm[1];
                for (auto& ch : h) ch = char(std::tolower(ch));
                ip_of[h] = sm[2];
            }
        }
        const int64_t delay_us = int64_t(m.value("link_delay_ms", 0.0) * 1000);
        // The capture's time 0 is the first SEG line's time (taken at the client's wire).
        std::istringstream in(read_text(exp));
        std::string line;
        int64_t offset_us = -1;
        std::vector<std::tuple<int64_t, int64_t, std::string, std::string, std::string>>
            states;  // t, host, conn, state
        while (std::getline(in, line)) {
            std::istringstream ls(line);
            std::string kind;
            ls >> kind;
            if (kind == "SEG" && offset_us < 0) {
                double t;
                ls >> t;
                offset_us = int64_t(t * 1000);
            } else if (kind == "STATE") {
                // "t" or "from..to" (a snapshot taken over an interval), in ms.
                std::string t, host, conn, st;
                ls >> t >> host >> conn >> st;
                size_t dots = t.find("..");
                double a = std::stod(t.substr(0, dots));
                double b = dots == std::string::npos ? a : std::stod(t.substr(dots + 2));
                states.emplace_back(int64_t(a * 1000), int64_t(b * 1000), host, conn, st);
            }
        }
        if (offset_us < 0) continue;  // no segment at all
        ++cases;
        const auto& conns = tr["capture"]["connections"];
        for (auto& [ta, tb, host, conn, st] : states) {
            if (conn.rfind("c", 0) != 0) continue;  // listeners and "-"
            long id = std::stol(conn.substr(1));
            INFO("STATE " << ta / 1000 << ".." << tb / 1000 << " ms " << host << " " << conn << " "
                          << st);
            REQUIRE(id <= long(conns.size()));
            const auto& c = conns[size_t(id - 1)];
            const std::string ip = ip_of[host];
            std::string local =
                c["client"].get<std::string>().rfind(ip + ":", 0) == 0 ? c["client"] : c["server"];
            int64_t changed_a, changed_b;
            // Transitions can only be placed within the path's delay (estimated from the
            // handshake).
            const int64_t path =
                c["delay_us"]["client"].get<int64_t>() + c["delay_us"]["server"].get<int64_t>();
            const int64_t tol = std::max(2 * delay_us, path) + 2000;
            std::string before = state_at(tr, id, local, ta - offset_us - tol, &changed_a);
            std::string ours = state_at(tr, id, local, tb - offset_us + tol, &changed_b);
            // A transition within a link delay of the snapshot cannot be placed exactly from a
            // capture taken at one end: compare only when the state is the same all around it.
            if (before != ours) continue;
            CHECK(ours == st);
            ++compared;
        }
    }
    CHECK(cases >= 10);
    CHECK(compared >= 30);
}

TEST_CASE("explain: final states match the last ss -tan snapshot of the loopback captures",
          "[capture][explain]") {
    int checked = 0;
    for (const char* name : {"normal", "server-closes-first", "reset-unread", "linger0",
                             "half-close", "both-shutdown"}) {
        INFO(name);
        auto tr = explain_file(data_dir() / (std::string(name) + ".pcap"));
        // Last snapshot: lines "STATE Recv-Q Send-Q Local Peer" after the last "## ".
        std::string text = read_text(data_dir() / (std::string(name) + ".ss.txt"));
        std::map<std::string, std::string> ss;  // local ip:port -> state
        std::istringstream in(text.substr(text.rfind("## ")));
        std::string line;
        std::getline(in, line);
        while (std::getline(in, line)) {
            std::istringstream ls(line);
            std::string st, rq, sq, local, peer;
            ls >> st >> rq >> sq >> local >> peer;
            if (st == "State" || st == "LISTEN" || st.empty()) continue;
            ss[local] = ss_state(st);
        }
        const auto& conns = tr["capture"]["connections"];
        REQUIRE(conns.size() == 1);
        for (const char* role : {"client", "server"}) {
            std::string ep = conns[0][role];
            std::string want = ss.count(ep) ? ss[ep] : "CLOSED";
            INFO(role << " " << ep);
            CHECK(conns[0]["final"][role] == want);
            ++checked;
        }
    }
    CHECK(checked == 12);
}

TEST_CASE("explain: each kind of capture gets its explanation", "[capture][explain]") {
    auto refused = explain_file(data_dir() / "refused.pcap");
    CHECK(has_note(refused, "cap_refused"));
    CHECK(refused["capture"]["connections"][0]["final"]["client"] == "CLOSED");

    auto normal = explain_file(data_dir() / "normal.pcap");
    CHECK(normal["source"] == "capture");
    CHECK(has_note(normal, "cap_handshake_done"));
    CHECK(has_note(normal, "cap_time_wait"));
    CHECK(has_note(normal, "cap_end_time_wait"));
    // TIME_WAIT's timer is set for Linux's 60 s.
    bool tw = false;
    for (const auto& e : normal["events"])
        if (e["kind"] == "timer" && e["timer"] == "time_wait" && e["action"] == "set")
            tw = e["expires_us"].get<int64_t>() - e["t_us"].get<int64_t>() == 60'000'000;
    CHECK(tw);

    auto rst = explain_file(data_dir() / "reset-unread.pcap");
    CHECK(has_note(rst, "cap_abort"));
    CHECK(has_note(rst, "cap_reset"));

    auto half = explain_file(data_dir() / "half-close.pcap");
    CHECK(has_note(half, "cap_half_closed"));

    // Same segments in another format: the same explanation.
    auto v6 = explain_file(data_dir() / "sll2-ipv6.pcap");
    CHECK(v6["capture"]["connections"][0]["final"] == normal["capture"]["connections"][0]["final"]);
    CHECK(v6["hosts"].size() == 2);
    CHECK(v6["hosts"].contains("client"));

    auto cut = explain_file(data_dir() / "truncated.pcap");
    CHECK(has_note(cut, "cap_truncated"));
    auto mixed = explain_file(data_dir() / "ethernet-mixed.pcap");
    CHECK(has_note(mixed, "cap_not_tcp"));
}

TEST_CASE("explain: a capture that starts mid-connection or sees one direction says so",
          "[capture][explain]") {
    auto full = tcplab::read_capture(read_bytes(data_dir() / "half-close.pcap"), "half-close.pcap");
    tcplab::Capture mid = full;
    mid.segments.erase(mid.segments.begin(), mid.segments.begin() + 3);  // no handshake
    auto tr = tcplab::explain_capture(mid, {});
    CHECK(has_note(tr, "cap_mid_connection"));
    CHECK(tr["capture"]["connections"][0]["roles"] == "guessed");
    CHECK(tr["capture"]["connections"][0]["final"]["client"] == "TIME_WAIT");

    tcplab::Capture one = full;
    auto client_port = full.segments[0].sport;
    std::erase_if(one.segments, [&](const auto& s) { return s.sport != client_port; });
    auto tr1 = tcplab::explain_capture(one, {});
    CHECK(has_note(tr1, "cap_one_direction"));

    tcplab::Capture none;
    none.info.format = "pcap";
    none.info.packets = 3;
    none.info.skipped["udp"] = 3;
    auto tr2 = tcplab::explain_capture(none, {});
    CHECK(has_note(tr2, "cap_no_tcp"));
    CHECK(tr2["capture"]["connections"].empty());
}

TEST_CASE("explain: every note code has an English and a Chinese text", "[capture][explain]") {
    const auto& cat = tcplab::capture_note_catalog();
    CHECK(cat.size() >= 40);
    for (auto& [code, t] : cat.items()) {
        INFO(code);
        CHECK(code.rfind("cap_", 0) == 0);
        CHECK(!t["en"].get<std::string>().empty());
        CHECK(!t["zh-CN"].get<std::string>().empty());
    }
    // Every note an explanation writes is in the catalogue, and renders without a placeholder left.
    for (const char* f :
         {"normal.pcap", "refused.pcap", "reset-unread.pcap", "half-close.pcap", "linger0.pcap"}) {
        auto tr = explain_file(data_dir() / f);
        for (const auto& e : tr["events"])
            if (e["kind"] == "note") {
                INFO(e.dump());
                REQUIRE(cat.contains(e["code"].get<std::string>()));
                for (const char* lang : {"en", "zh-CN"}) {
                    auto text = tcplab::render_capture_note(e["code"], e["args"], lang);
                    CHECK(std::regex_search(text, std::regex(R"(\{[a-z_]+\})")) == false);
                }
            }
    }
}
