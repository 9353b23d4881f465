// Unit tests of the lesson resolver (core/src/lesson/) on small hand-written traces: event
// matchers, fact queries, parameters, text interpolation and the errors an author sees.
#include "tcplab/lesson.hpp"
#include "tcplab/lesson_param.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

using nlohmann::json;
using nlohmann::ordered_json;
using tcplab::InputError;
using tcplab::lesson::evaluate_fact;
using tcplab::lesson::event_matches;
using tcplab::lesson::find_event;

namespace {

const char* const kClient = "10.0.0.1:40000>10.0.0.2:80";
const char* const kServer = "10.0.0.2:80>10.0.0.1:40000";
const char* const kListener = "10.0.0.2:80>*";

// Builds a trace event by event, in the trace format of docs/CONTRACTS.md.
class TraceBuilder {
public:
    TraceBuilder() {
        trace_["tcplab"] = 1;
        trace_["title"] = "hand-made";
        trace_["hosts"] = ordered_json::object();
        trace_["hosts"]["client"] = {{"ip", "10.0.0.1"}};
        trace_["hosts"]["server"] = {{"ip", "10.0.0.2"}};
        trace_["events"] = ordered_json::array();
    }
    TraceBuilder& call(double ms, const std::string& host, const std::string& call,
                       const std::string& sock, ordered_json args = nullptr) {
        ordered_json e = {{"kind", "call"}, {"host", host}, {"call", call}, {"sock", sock}};
        if (!args.is_null()) e["args"] = args;
        return add(ms, e);
    }
    TraceBuilder& ret(double ms, const std::string& host, const std::string& call,
                      const std::string& sock, long result, const std::string& err = "") {
        ordered_json e = {
            {"kind", "return"}, {"host", host}, {"call", call}, {"sock", sock}, {"result", result}};
        if (!err.empty()) e["errno"] = err;
        return add(ms, e);
    }
    TraceBuilder& state(double ms, const std::string& host, const std::string& conn,
                        const std::string& from, const std::string& to, const std::string& cause) {
        return add(ms, {{"kind", "state"},
                        {"host", host},
                        {"conn", conn},
                        {"from", from},
                        {"to", to},
                        {"cause", cause}});
    }
    // A segment from `host`; seq/ack absolute, rel relative to the ISNs (1000 and 5000 here).
    TraceBuilder& send(double ms, const std::string& host, int id, ordered_json flags, long seq,
                       long ack, int len, long rel_seq, long rel_ack) {
        const bool c = host == "client";
        ordered_json seg = {{"id", id},
                            {"src", c ? "10.0.0.1:40000" : "10.0.0.2:80"},
                            {"dst", c ? "10.0.0.2:80" : "10.0.0.1:40000"},
                            {"flags", flags},
                            {"seq", seq},
                            {"ack", ack},
                            {"win", 64240},
                            {"len", len}};
        return add(ms, {{"kind", "send"},
                        {"host", host},
                        {"conn", c ? kClient : kServer},
                        {"seg", seg},
                        {"rel", {{"seq", rel_seq}, {"ack", rel_ack}}}});
    }
    // The listener's queues, as the engine reports them after listen() and on every change.
    TraceBuilder& queue(double ms, int syn_queue, int accept_queue, int backlog) {
        return add(ms, {{"kind", "queue"},
                        {"host", "server"},
                        {"listener", kListener},
                        {"syn_queue", syn_queue},
                        {"backlog", backlog},
                        {"syn_max", backlog + 1},
                        {"accept_queue", accept_queue},
                        {"accept_max", backlog + 1}});
    }
    TraceBuilder& deliver(double ms, const std::string& host, int id) {
        return add(ms, {{"kind", "deliver"}, {"host", host}, {"seg_id", id}});
    }
    TraceBuilder& drop(double ms, int id) {
        return add(ms, {{"kind", "drop"}, {"seg_id", id}, {"reason", "fault"}});
    }
    TraceBuilder& timer(double ms, const std::string& host, const std::string& name,
                        const std::string& action) {
        return add(ms, {{"kind", "timer"},
                        {"host", host},
                        {"conn", kClient},
                        {"timer", name},
                        {"action", action}});
    }
    ordered_json build() const { return trace_; }

private:
    TraceBuilder& add(double ms, ordered_json e) {
        ordered_json full = {{"t_us", static_cast<long>(ms * 1000)}};
        for (auto it = e.begin(); it != e.end(); ++it) full[it.key()] = it.value();
        trace_["events"].push_back(full);
        return *this;
    }
    ordered_json trace_;
};

// A handshake, 100 bytes, a four-way close and TIME_WAIT, with a 10 ms link.
ordered_json handshake_trace() {
    return TraceBuilder()
        .call(0, "server", "listen", "L")                                          // 0
        .state(0, "server", kListener, "CLOSED", "LISTEN", "listen")               // 1
        .ret(0, "server", "listen", "L", 0)                                        // 2
        .call(10, "client", "connect", "s")                                        // 3
        .state(10, "client", kClient, "CLOSED", "SYN_SENT", "connect")             // 4
        .send(10, "client", 1, {"SYN"}, 1000, 0, 0, 0, 0)                          // 5
        .deliver(20, "server", 1)                                                  // 6
        .state(20, "server", kServer, "LISTEN", "SYN_RECEIVED", "seg:1")           // 7
        .send(20, "server", 2, {"SYN", "ACK"}, 5000, 1001, 0, 0, 1)                // 8
        .deliver(30, "client", 2)                                                  // 9
        .state(30, "client", kClient, "SYN_SENT", "ESTABLISHED", "seg:2")          // 10
        .send(30, "client", 3, {"ACK"}, 1001, 5001, 0, 1, 1)                       // 11
        .ret(30, "client", "connect", "s", 0)                                      // 12
        .send(30, "client", 4, {"PSH", "ACK"}, 1001, 5001, 100, 1, 1)              // 13
        .deliver(40, "server", 3)                                                  // 14
        .state(40, "server", kServer, "SYN_RECEIVED", "ESTABLISHED", "seg:3")      // 15
        .deliver(40, "server", 4)                                                  // 16
        .send(40, "server", 5, {"ACK"}, 5001, 1101, 0, 1, 101)                     // 17
        .call(100, "client", "close", "s")                                         // 18
        .state(100, "client", kClient, "ESTABLISHED", "FIN_WAIT_1", "close")       // 19
        .send(100, "client", 6, {"FIN", "ACK"}, 1101, 5001, 0, 101, 1)             // 20
        .ret(100, "client", "close", "s", 0)                                       // 21
        .deliver(110, "server", 6)                                                 // 22
        .state(110, "server", kServer, "ESTABLISHED", "CLOSE_WAIT", "seg:6")       // 23
        .send(110, "server", 7, {"ACK"}, 5001, 1102, 0, 1, 102)                    // 24
        .deliver(120, "client", 7)                                                 // 25
        .state(120, "client", kClient, "FIN_WAIT_1", "FIN_WAIT_2", "seg:7")        // 26
        .send(400, "server", 8, {"FIN", "ACK"}, 5001, 1102, 0, 1, 102)             // 27
        .state(400, "server", kServer, "CLOSE_WAIT", "LAST_ACK", "close")          // 28
        .drop(405, 8)                                                              // 29
        .send(1400, "server", 9, {"FIN", "ACK"}, 5001, 1102, 0, 1, 102)            // 30
        .deliver(1410, "client", 9)                                                // 31
        .state(1410, "client", kClient, "FIN_WAIT_2", "TIME_WAIT", "seg:9")        // 32
        .send(1410, "client", 10, {"ACK"}, 1102, 5002, 0, 102, 2)                  // 33
        .timer(1410, "client", "time_wait", "set")                                 // 34
        .deliver(1420, "server", 10)                                               // 35
        .state(1420, "server", kServer, "LAST_ACK", "CLOSED", "seg:10")            // 36
        .timer(3410, "client", "time_wait", "fire")                                // 37
        .state(3410, "client", kClient, "TIME_WAIT", "CLOSED", "timer:time_wait")  // 38
        .ret(3500, "client", "recv", "s", -1, "ECONNRESET")                        // 39
        .build();
}

json text(const std::string& zh, const std::string& en) { return {{"zh-CN", zh}, {"en", en}}; }

// A small valid lesson over handshake_trace(); tests mutate it to provoke errors.
json small_lesson() {
    return {
        {"tcplab_lesson", 1},
        {"id", "tiny"},
        {"title", text("握手", "Handshake")},
        {"summary", text("一个小测试课", "A small test lesson")},
        {"minutes", 3},
        {"level", "basics"},
        {"scenario", {{"tcplab", 1}, {"hosts", json::object()}}},
        {"steps",
         {{{"id", "syn"},
           {"until", {{"kind", "send"}, {"host", "client"}, {"seg", {{"flags", "SYN"}}}}},
           {"text", text("客户端发出 SYN", "The client sends a SYN")}},
          {{"id", "synack"},
           {"until", {{"kind", "send"}, {"host", "server"}, {"flags", "SYN,ACK"}}},
           {"focus", {{"kind", "state"}, {"host", "server"}}},
           {"text", text("服务器回 SYN+ACK", "The server answers SYN+ACK")}},
          {{"id", "rest"}, {"until", "end"}, {"text", text("其余", "The rest")}}}},
        {"quizzes",
         {{{"id", "q1"},
           {"kind", "predict_state"},
           {"before", "synack"},
           {"prompt", text("服务器进入哪个状态？", "Which state does the server enter?")},
           {"answer", {{"fact", "state"}, {"host", "server"}}},
           {"choices",
            {{{"id", "a"}, {"value", "LISTEN"}},
             {{"id", "b"}, {"value", "SYN_RECEIVED"}},
             {{"id", "c"}, {"value", "ESTABLISHED"}}}},
           {"explain", text("是 {{answer}}。", "It is {{answer}}.")}}}},
    };
}

tcplab::lesson::Runner fixed(const ordered_json& trace) {
    return [trace](const json&, const std::string&) { return trace; };
}

std::string error_of(const json& lesson, const json& options = json::object()) {
    try {
        tcplab::lesson::resolve_lesson_with(lesson, "tiny.json", options, fixed(handshake_trace()));
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("matcher: fields compare by subset, flags as an exact set", "[lesson][matcher]") {
    const ordered_json t = handshake_trace();
    CHECK(event_matches({{"kind", "send"}, {"host", "client"}}, t, 5));
    CHECK(event_matches({{"kind", "send"}, {"seg", {{"flags", "SYN"}}}}, t, 5));
    CHECK_FALSE(event_matches({{"kind", "send"}, {"seg", {{"flags", "SYN"}}}}, t, 8));
    CHECK(event_matches({{"seg", {{"flags", "ACK,SYN"}}}}, t, 8));
    CHECK(event_matches({{"flags", "syn, ack"}}, t, 8));
    // "ACK" is a pure ACK: not a SYN+ACK, but a data segment with PSH (PSH ignored unless named).
    CHECK_FALSE(event_matches({{"flags", "ACK"}}, t, 8));
    CHECK(event_matches({{"flags", "ACK"}}, t, 13));
    CHECK_FALSE(event_matches({{"flags", "PSH"}}, t, 13));
    CHECK(event_matches({{"flags", "PSH,ACK"}}, t, 13));
    CHECK(event_matches({{"with_data", true}}, t, 13));
    CHECK_FALSE(event_matches({{"with_data", true}}, t, 11));
    CHECK(event_matches({{"with_data", false}, {"flags", "ACK"}}, t, 11));
    CHECK(event_matches({{"has_flags", "FIN"}}, t, 20));
    CHECK_FALSE(event_matches({{"has_flags", "FIN"}}, t, 13));
    CHECK(event_matches({{"kind", "state"}, {"to", "ESTABLISHED"}, {"host", "client"}}, t, 10));
    CHECK_FALSE(
        event_matches({{"kind", "state"}, {"to", "ESTABLISHED"}, {"host", "server"}}, t, 10));
    CHECK(event_matches({{"rel", {{"ack", 101}}}}, t, 17));
    CHECK_FALSE(event_matches({{"errno", "ECONNRESET"}}, t, 12));  // a field the event lacks
}

TEST_CASE("matcher: deliver and drop events match by the segment they carry", "[lesson][matcher]") {
    const ordered_json t = handshake_trace();
    CHECK(event_matches({{"kind", "deliver"}, {"seg", {{"flags", "SYN,ACK"}}}}, t, 9));
    CHECK(event_matches({{"kind", "deliver"}, {"host", "client"}, {"rel", {{"ack", 1}}}}, t, 9));
    CHECK(event_matches({{"kind", "drop"}, {"flags", "FIN,ACK"}}, t, 29));
    CHECK_FALSE(event_matches({{"kind", "drop"}, {"flags", "ACK"}}, t, 29));
}

TEST_CASE("matcher: nth, time bounds and the search start", "[lesson][matcher]") {
    const ordered_json t = handshake_trace();
    CHECK(find_event({{"kind", "send"}, {"host", "client"}}, t, 0) == 5u);
    CHECK(find_event({{"kind", "send"}, {"host", "client"}, {"nth", 3}}, t, 0) == 13u);
    CHECK(find_event({{"kind", "send"}, {"host", "client"}}, t, 6) == 11u);
    CHECK(find_event({{"kind", "send"}, {"host", "server"}, {"after_ms", 1000}}, t, 0) == 30u);
    CHECK(find_event({{"kind", "send"}, {"before_ms", 10}}, t, 0) == std::nullopt);
    CHECK(find_event({{"kind", "state"}, {"to", "CLOSING"}}, t, 0) == std::nullopt);
}

TEST_CASE("fact: a host's state at a moment, listeners left out", "[lesson][fact]") {
    const ordered_json t = handshake_trace();
    auto at = [&](const std::string& host, std::size_t i) {
        return evaluate_fact({{"fact", "state"}, {"host", host}}, t, 0, i, "t", "/q")["value"];
    };
    CHECK(at("server", 2) == "CLOSED");  // only the listener exists: no connection yet
    CHECK(at("server", 7) == "SYN_RECEIVED");
    CHECK(at("client", 26) == "FIN_WAIT_2");
    CHECK(at("server", 28) == "LAST_ACK");
    CHECK(evaluate_fact({{"fact", "state"}, {"host", "server"}, {"listener", true}}, t, 0, 2, "t",
                        "/q")["value"] == "LISTEN");
    ordered_json r = evaluate_fact(
        {{"fact", "state"}, {"host", "client"}, {"at", {{"kind", "timer"}, {"action", "set"}}}}, t,
        0, 0, "t", "/q");
    CHECK(r["value"] == "TIME_WAIT");
    CHECK(r["evidence"] == 32);
}

TEST_CASE("fact: which side is in a state", "[lesson][fact]") {
    const ordered_json t = handshake_trace();
    auto side = [&](const std::string& state, std::size_t i) {
        return evaluate_fact({{"fact", "which_side"}, {"state", state}}, t, 0, i, "t",
                             "/q")["value"];
    };
    CHECK(side("TIME_WAIT", 33) == "client");
    CHECK(side("TIME_WAIT", 38) == "none");
    CHECK(side("ESTABLISHED", 17) == "client,server");
    CHECK(side("CLOSE_WAIT", 24) == "server");
    // "shown": the moment the quiz stops, before its step (here the step starts at event 33).
    CHECK(evaluate_fact({{"fact", "which_side"}, {"state", "TIME_WAIT"}, {"at", "shown"}}, t, 33,
                        38, "t", "/q")["value"] == "client");
    CHECK(evaluate_fact({{"fact", "which_side"}, {"state", "TIME_WAIT"}}, t, 33, 38, "t",
                        "/q")["value"] == "none");
    CHECK_THROWS_WITH(evaluate_fact({{"fact", "which_side"}, {"state", "TIME_WAIT"}, {"at", "now"}},
                                    t, 33, 38, "t", "/q"),
                      Catch::StartsWith("t: /q/at: expected an event matcher"));
}

TEST_CASE("fact: segment fields, errno, counts and times", "[lesson][fact]") {
    const ordered_json t = handshake_trace();
    auto fact = [&](const json& q, std::size_t first = 0) {
        return evaluate_fact(q, t, first, t["events"].size() - 1, "t", "/q");
    };
    CHECK(
        fact({{"fact", "seg"}, {"match", {{"flags", "SYN,ACK"}}}, {"field", "rel.ack"}})["value"] ==
        1);
    CHECK(fact({{"fact", "seg"}, {"match", {{"flags", "SYN,ACK"}}}, {"field", "ack"}})["value"] ==
          1001);
    CHECK(fact({{"fact", "seg"},
                {"match", {{"kind", "send"}, {"host", "server"}}},
                {"field", "flags"}})["value"] == "SYN,ACK");
    // The default scope starts at the quiz's step: the first server segment from event 20 on.
    CHECK(fact({{"fact", "seg"},
                {"match", {{"kind", "send"}, {"host", "server"}}},
                {"field", "flags"}},
               20)["value"] == "ACK");
    CHECK(fact({{"fact", "seg"},
                {"scope", "all"},
                {"match", {{"kind", "send"}, {"host", "server"}}},
                {"field", "flags"}},
               20)["value"] == "SYN,ACK");
    ordered_json seg =
        fact({{"fact", "segment"},
              {"match", {{"kind", "send"}, {"has_flags", "FIN"}, {"host", "server"}}}})["value"];
    CHECK(seg == ordered_json({{"flags", "FIN,ACK"}, {"seq", 1}, {"ack", 102}}));
    CHECK(fact({{"fact", "errno"}, {"match", {{"call", "connect"}}}})["value"] == "none");
    CHECK(fact({{"fact", "errno"}, {"match", {{"call", "recv"}}}})["value"] == "ECONNRESET");
    CHECK(fact({{"fact", "count"},
                {"match",
                 {{"kind", "send"}, {"host", "server"}, {"has_flags", "FIN"}}}})["value"] == 2);
    CHECK(fact({{"fact", "count"}, {"match", {{"kind", "drop"}}}})["evidence"] == 29);
    CHECK(fact({{"fact", "exists"}, {"match", {{"flags", "RST"}}}})["value"] == false);
    ordered_json tw = fact({{"fact", "time_between"},
                            {"from", {{"kind", "state"}, {"to", "TIME_WAIT"}}},
                            {"to", {{"kind", "state"}, {"from", "TIME_WAIT"}}}});
    CHECK(tw["value"] == 2000);
    CHECK(tw["evidence"] == 38);
    CHECK(fact({{"fact", "time_between"},
                {"from", {{"kind", "send"}, {"has_flags", "FIN"}, {"host", "server"}}},
                {"to", {{"kind", "send"}, {"has_flags", "FIN"}, {"host", "server"}, {"nth", 2}}},
                {"unit", "s"}})["value"] == 1);
}

TEST_CASE("fact: maxima and differences", "[lesson][fact]") {
    const ordered_json t = handshake_trace();
    auto fact = [&](const json& q) { return evaluate_fact(q, t, 0, 0, "t", "/q"); };
    ordered_json m = fact({{"fact", "max"}, {"match", {{"kind", "send"}}}, {"field", "len"}});
    CHECK(m["value"] == 100);
    CHECK(m["evidence"] == 13);
    CHECK(fact({{"fact", "min"},
                {"match", {{"kind", "send"}, {"host", "client"}}},
                {"field", "rel.ack"}})["value"] == 0);
    const json syn = {{"fact", "seg"}, {"match", {{"flags", "SYN"}}}, {"field", "seq"}};
    const json synack = {{"fact", "seg"}, {"match", {{"flags", "SYN,ACK"}}}, {"field", "seq"}};
    CHECK(fact({{"fact", "difference"}, {"from", syn}, {"to", synack}})["value"] == 4000);
    // Sequence numbers wrap: 1000 - 5000 modulo 2^32.
    CHECK(fact({{"fact", "difference"},
                {"from", synack},
                {"to", syn},
                {"modulo", 4294967296LL}})["value"] == 4294963296LL);
    CHECK(fact({{"fact", "difference"}, {"from", synack}, {"to", syn}})["value"] == -4000);
    CHECK_THROWS_WITH(fact({{"fact", "max"}, {"match", {{"kind", "state"}}}, {"field", "to"}}),
                      Catch::Contains("with a numeric \"to\""));
}

TEST_CASE("fact: a query that finds nothing is an error at its pointer", "[lesson][fact]") {
    const ordered_json t = handshake_trace();
    try {
        evaluate_fact({{"fact", "seg"}, {"match", {{"flags", "RST"}}}, {"field", "seq"}}, t, 0, 0,
                      "x.json", "/quizzes/2/answer");
        FAIL("expected an InputError");
    } catch (const InputError& e) {
        CHECK_THAT(e.what(), Catch::Contains("x.json: /quizzes/2/answer/match: expected an event "
                                             "matching"));
    }
    CHECK_THROWS_AS(evaluate_fact({{"fact", "colour"}}, t, 0, 0, "x", "/q"), InputError);
    CHECK_THROWS_WITH(
        evaluate_fact({{"fact", "seg"}, {"match", {{"flags", "SYN"}}}, {"field", "nope"}}, t, 0, 0,
                      "x", "/q"),
        Catch::Contains("has no field \"nope\""));
}

TEST_CASE("fact: an unknown fact names every fact there is", "[lesson][fact]") {
    const ordered_json t = handshake_trace();
    CHECK_THROWS_WITH(evaluate_fact({{"fact", "colour"}}, t, 0, 0, "x", "/q"),
                      "x: /q/fact: unknown fact \"colour\" (expected state, seg, field, errno, "
                      "segment, count, exists, max, min, difference, time_between, which_side)");
}

TEST_CASE("fact: arguments are checked before the trace is searched", "[lesson][fact]") {
    const ordered_json t = handshake_trace();
    // The trace has no RST, yet the missing field is what the author hears about first.
    CHECK_THROWS_WITH(
        evaluate_fact({{"fact", "seg"}, {"match", {{"flags", "RST"}}}}, t, 0, 0, "x", "/q"),
        Catch::StartsWith("x: /q/field: missing; expected a field path"));
    CHECK_THROWS_WITH(evaluate_fact({{"fact", "time_between"},
                                     {"from", {{"flags", "RST"}}},
                                     {"to", {{"flags", "FIN"}}},
                                     {"unit", "min"}},
                                    t, 0, 0, "x", "/q"),
                      "x: /q/unit: expected \"us\", \"ms\" or \"s\"");
    // A difference checks both of its facts before it evaluates either.
    CHECK_THROWS_WITH(
        evaluate_fact({{"fact", "difference"},
                       {"from", {{"fact", "seg"}, {"match", {{"flags", "RST"}}}, {"field", "seq"}}},
                       {"to", {{"fact", "state"}}}},
                      t, 0, 0, "x", "/q"),
        "x: /q/to/host: missing; expected a host name");
}

TEST_CASE("fact: an argument of the wrong type is an error at its pointer", "[lesson][fact]") {
    const ordered_json t = handshake_trace();
    auto error = [&](const json& q) {
        try {
            evaluate_fact(q, t, 0, t["events"].size() - 1, "x", "/q");
        } catch (const InputError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    const json send = {{"kind", "send"}};
    CHECK(error({{"fact", "count"}, {"match", send}, {"scope", json::object()}}) ==
          "x: /q/scope: expected \"step\" or \"all\"");
    CHECK(error({{"fact", "state"}, {"host", "client"}, {"listener", "yes"}}) ==
          "x: /q/listener: expected true or false");
    CHECK_THAT(error({{"fact", "state"}, {"host", "client"}, {"conn", 5}}),
               Catch::StartsWith("x: /q/conn: expected a connection"));
    CHECK(error({{"fact", "segment"}, {"match", send}, {"absolute", 1}}) ==
          "x: /q/absolute: expected true or false");
    CHECK(error({{"fact", "time_between"}, {"from", send}, {"to", send}, {"unit", 1000}}) ==
          "x: /q/unit: expected \"us\", \"ms\" or \"s\"");
    CHECK_THAT(error({{"fact", "errno"}, {"match", "connect"}}),
               Catch::StartsWith("x: /q/match: expected an event matcher object"));

    json l = small_lesson();
    l["quizzes"][0]["answer"]["fact"] = 5;
    CHECK(error_of(l) ==
          "tiny.json: /quizzes/0/answer/fact: expected \"state\" for a predict_state quiz");
    l = small_lesson();
    l["quizzes"][0].erase("answer");
    l["quizzes"][0]["correct"] = "a";
    l["quizzes"][0]["answer_kind"] = 5;
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /quizzes/0/answer_kind: expected "
                                              "\"concept\""));
}

TEST_CASE("resolve: steps cut the trace, quizzes get computed answers", "[lesson][resolve]") {
    ordered_json r = tcplab::lesson::resolve_lesson_with(small_lesson(), "tiny.json",
                                                         json::object(), fixed(handshake_trace()));
    REQUIRE(r["steps"].size() == 3);
    CHECK(r["steps"][0]["first"] == 0);
    CHECK(r["steps"][0]["last"] == 5);
    CHECK(r["steps"][1]["first"] == 6);
    CHECK(r["steps"][1]["last"] == 8);
    CHECK(r["steps"][1]["focus"] == 7);
    CHECK(r["steps"][2]["last"] == 39);
    const ordered_json& q = r["quizzes"][0];
    CHECK(q["step"] == 1);
    CHECK(q["answer"]["value"] == "SYN_RECEIVED");
    CHECK(q["answer"]["choice"] == "b");
    CHECK(q["evidence"] == 7);
    CHECK(q["explain"]["en"] == "It is SYN_RECEIVED.");
    CHECK(q["choices"][1]["text"]["zh-CN"] == "SYN_RECEIVED");
    CHECK(r["lesson"]["title"]["zh-CN"] == "握手");
}

TEST_CASE("resolve: a step matcher that matches nothing names the step and the index",
          "[lesson][errors]") {
    json l = small_lesson();
    l["steps"][1]["until"] = {{"kind", "send"}, {"flags", "RST"}};
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /steps/1/until: expected an event "
                                              "matching") &&
                                Catch::Contains("after event 5"));
    // Steps only look forward: the SYN is before the second step's start.
    l["steps"][1]["until"] = {{"kind", "send"}, {"flags", "SYN"}};
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /steps/1/until:"));
}

TEST_CASE("resolve: choices must contain the computed answer exactly once", "[lesson][errors]") {
    json l = small_lesson();
    l["quizzes"][0]["choices"][1]["value"] = "CLOSE_WAIT";
    CHECK_THAT(error_of(l),
               Catch::StartsWith("tiny.json: /quizzes/0/choices:") && Catch::Contains("none does"));
    l = small_lesson();
    l["quizzes"][0]["choices"][0]["value"] = "SYN_RECEIVED";
    CHECK_THAT(error_of(l), Catch::Contains("both do"));
}

TEST_CASE("resolve: hand-written answers must declare themselves conceptual", "[lesson][errors]") {
    json l = small_lesson();
    l["quizzes"][0].erase("answer");
    l["quizzes"][0]["kind"] = "choice";
    l["quizzes"][0]["correct"] = "b";
    l["quizzes"][0]["explain"] = text("因为……", "Because...");
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /quizzes/0/answer_kind:"));
    l["quizzes"][0]["answer_kind"] = "concept";
    CHECK(error_of(l) == "");
    l["quizzes"][0]["kind"] = "predict_state";
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /quizzes/0/correct:"));
}

TEST_CASE("resolve: every text needs both languages, non-empty", "[lesson][errors]") {
    json l = small_lesson();
    l["steps"][2]["text"].erase("zh-CN");
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /steps/2/text/zh-CN:"));
    l = small_lesson();
    l["quizzes"][0]["explain"]["en"] = "  ";
    CHECK_THAT(error_of(l),
               Catch::StartsWith("tiny.json: /quizzes/0/explain/en: expected a non-empty"));
    l = small_lesson();
    l["summary"] = "just English";
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /summary:"));
    l = small_lesson();
    l["steps"][0]["text"]["en"] = "Port {{port}}";
    CHECK_THAT(error_of(l),
               Catch::StartsWith("tiny.json: /steps/0/text/en: unknown name {{port}}"));
}

TEST_CASE("resolve: structure errors point at the field", "[lesson][errors]") {
    json l = small_lesson();
    l["minutes"] = 30;
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /minutes:"));
    l = small_lesson();
    l["steps"][0]["until"]["kind"] = "sned";
    CHECK_THAT(error_of(l),
               Catch::StartsWith("tiny.json: /steps/0/until/kind: expected an event kind"));
    l = small_lesson();
    l["steps"][1]["until"]["flags"] = "SYN,ACX";
    CHECK(error_of(l) ==
          "tiny.json: /steps/1/until/flags: unknown flag \"ACX\" (expected FIN, "
          "SYN, RST, PSH, ACK, URG)");
    // The engine does not negotiate ECN (RFC 3168): no segment carries ECE or CWR.
    l["steps"][1]["until"]["flags"] = "SYN,ECE";
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /steps/1/until/flags: unknown flag "
                                              "\"ECE\""));
    l["steps"][1]["until"]["flags"] = " , ";
    CHECK(error_of(l) ==
          "tiny.json: /steps/1/until/flags: expected at least one flag (FIN, SYN, "
          "RST, PSH, ACK, URG)");
    l = small_lesson();
    l["quizzes"][0]["before"] = "nowhere";
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /quizzes/0/before:"));
    l = small_lesson();
    l["steps"].push_back({{"until", "end"}, {"text", text("多余", "Extra")}});
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /steps/3/until: expected events after"));
}

TEST_CASE("params: placeholders, ranges, seeds and facts in texts", "[lesson][params]") {
    json l = small_lesson();
    l["params"] = {
        {"port",
         {{"label", text("端口", "Port")}, {"min", 1024}, {"max", 65535}, {"default", 8080}}},
        {"loss", {{"label", text("丢哪个", "Which loss")}, {"values", {1, 2, 3}}, {"default", 2}}}};
    l["scenario"]["port"] = {{"$param", "port"}};
    l["scenario"]["nested"] = {{{"x", {{"$param", "loss"}}}}};
    l["facts"] = {
        {"synack_ack", {{"fact", "seg"}, {"match", {{"flags", "SYN,ACK"}}}, {"field", "rel.ack"}}}};
    l["steps"][0]["text"]["en"] = "Port {{port}}, loss {{ loss }}, ack {{synack_ack}}";

    json seen;
    auto capture = [&seen](const json& doc, const std::string&) {
        seen = doc;
        return handshake_trace();
    };
    ordered_json r = tcplab::lesson::resolve_lesson_with(l, "tiny.json", json::object(), capture);
    CHECK(seen["scenario"]["port"] == 8080);
    CHECK(seen["scenario"]["nested"][0]["x"] == 2);
    CHECK_FALSE(seen.contains("params"));
    CHECK(r["steps"][0]["text"]["en"] == "Port 8080, loss 2, ack 1");
    CHECK(r["lesson"]["params"]["port"]["max"] == 65535);

    r = tcplab::lesson::resolve_lesson_with(l, "tiny.json", {{"params", {{"port", 9000}}}},
                                            capture);
    CHECK(r["params"]["port"] == 9000);

    // A seed picks every value in range, the same way every time; different seeds differ.
    ordered_json a = tcplab::lesson::resolve_lesson_with(l, "tiny.json", {{"seed", 7}}, capture);
    ordered_json b = tcplab::lesson::resolve_lesson_with(l, "tiny.json", {{"seed", 7}}, capture);
    CHECK(a["params"] == b["params"]);
    bool differs = false;
    for (int s = 1; s <= 20; ++s) {
        ordered_json c =
            tcplab::lesson::resolve_lesson_with(l, "tiny.json", {{"seed", s}}, capture);
        CHECK(c["params"]["port"].get<int>() >= 1024);
        CHECK(c["params"]["port"].get<int>() <= 65535);
        differs = differs || c["params"] != a["params"];
    }
    CHECK(differs);

    CHECK_THAT(error_of(l, {{"params", {{"port", 80}}}}),
               Catch::StartsWith("options: /params/port: expected an integer from 1024 to 65535"));
    CHECK_THAT(error_of(l, {{"params", {{"loss", 9}}}}),
               Catch::StartsWith("options: /params/loss:"));
    CHECK_THAT(error_of(l, {{"params", {{"colour", 1}}}}),
               Catch::StartsWith("options: /params/colour: no such parameter"));
    l["scenario"]["bad"] = {{"$param", "nope"}};
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /scenario/bad/$param:"));
}

TEST_CASE("params: one substitution, strict in a lesson, lenient in a lesson run as a scenario",
          "[lesson][params]") {
    using tcplab::UnknownParam;
    const json specs = {{"port", {{"min", 1}, {"max", 9}, {"default", 8}}},
                        {"loss", {{"values", {1, 2}}}},
                        {"odd", 5}};
    const json values = tcplab::param_defaults(specs);
    CHECK(values == json({{"port", 8}}));

    const json doc = {{"a/b", {{"$param", "port"}}},
                      {"list", {1, {{"$param", "loss"}}}},
                      {"two", {{"$param", "port"}, {"x", 1}}}};
    json kept = doc;
    tcplab::substitute_params(kept, values, "f.json", "/scenario", UnknownParam::keep);
    CHECK(kept["a/b"] == 8);
    CHECK(kept["list"] == doc["list"]);  // no value: left for the scenario's checks
    CHECK(kept["two"] == doc["two"]);    // not a placeholder: it has a second member

    json strict = doc;
    CHECK_THROWS_WITH(
        tcplab::substitute_params(strict, values, "f.json", "/scenario"),
        "f.json: /scenario/list/1/$param: expected the name of a parameter declared in /params");
    json escaped = {{"a/b", {{"$param", 7}}}};
    CHECK_THROWS_WITH(tcplab::substitute_params(escaped, values, "f.json", ""),
                      Catch::StartsWith("f.json: /a~1b/$param:"));
}

TEST_CASE("resolve: order quizzes list item ids in trace order", "[lesson][resolve]") {
    json l = small_lesson();
    l["quizzes"].push_back(
        {{"id", "q2"},
         {"kind", "order"},
         {"before", "synack"},
         {"prompt", text("排序", "Order them")},
         {"items",
          {{{"id", "fin"}, {"text", text("FIN", "FIN")}, {"match", {{"has_flags", "FIN"}}}},
           {{"id", "synack"},
            {"text", text("SYN,ACK", "SYN,ACK")},
            {"match", {{"flags", "SYN,ACK"}}}},
           {{"id", "est"},
            {"text", text("建立", "Established")},
            {"match", {{"to", "ESTABLISHED"}}}}}},
         {"explain", text("{{answer}}", "{{answer}}")}});
    ordered_json r = tcplab::lesson::resolve_lesson_with(l, "tiny.json", json::object(),
                                                         fixed(handshake_trace()));
    CHECK(r["quizzes"][1]["answer"]["value"] == ordered_json({"synack", "est", "fin"}));
    CHECK(r["quizzes"][1]["explain"]["en"] == "synack, est, fin");
    l["quizzes"][1]["items"][2]["match"] = {{"flags", "SYN,ACK"}};
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /quizzes/1/items/2/match: expected a "
                                              "different event"));
}

TEST_CASE("resolve: text API reports parse errors with the byte offset", "[lesson][errors]") {
    CHECK_THROWS_WITH(tcplab::resolve_lesson_text("{\"id\": ", "bad.json", ""),
                      Catch::StartsWith("bad.json: byte "));
    CHECK_THROWS_WITH(tcplab::resolve_lesson_text("{}", "empty.json", "{oops"),
                      Catch::StartsWith("options: byte "));
    CHECK_THROWS_WITH(tcplab::resolve_lesson_text("{}", "empty.json", ""),
                      Catch::StartsWith("empty.json: /tcplab_lesson:"));
}

namespace {

// What the engine is expected to produce for lessons/handshake-close.json (10 ms link, client
// MSL 1 s): lets the lesson's own logic be checked independently of the engine.
ordered_json handshake_close_model() {
    return TraceBuilder()
        .call(0, "server", "listen", "L", {{"backlog", 128}})
        .state(0, "server", kListener, "CLOSED", "LISTEN", "listen")
        .queue(0, 0, 0, 128)
        .ret(0, "server", "listen", "L", 0)
        .call(0, "server", "accept", "L")
        .call(10, "client", "connect", "s")
        .state(10, "client", kClient, "CLOSED", "SYN_SENT", "connect")
        .send(10, "client", 1, {"SYN"}, 1000, 0, 0, 0, 0)
        .deliver(20, "server", 1)
        .state(20, "server", kServer, "LISTEN", "SYN_RECEIVED", "seg:1")
        .send(20, "server", 2, {"SYN", "ACK"}, 5000, 1001, 0, 0, 1)
        .deliver(30, "client", 2)
        .state(30, "client", kClient, "SYN_SENT", "ESTABLISHED", "seg:2")
        .send(30, "client", 3, {"ACK"}, 1001, 5001, 0, 1, 1)
        .ret(30, "client", "connect", "s", 0)
        .call(30, "client", "send", "s")
        .send(30, "client", 4, {"PSH", "ACK"}, 1001, 5001, 100, 1, 1)
        .ret(30, "client", "send", "s", 100)
        .call(30, "client", "recv", "s")
        .deliver(40, "server", 3)
        .state(40, "server", kServer, "SYN_RECEIVED", "ESTABLISHED", "seg:3")
        .ret(40, "server", "accept", "L", 4)
        .call(40, "server", "recv", "c")
        .deliver(40, "server", 4)
        .ret(40, "server", "recv", "c", 100)
        .call(40, "server", "send", "c")
        .send(40, "server", 5, {"PSH", "ACK"}, 5001, 1101, 200, 1, 101)
        .ret(40, "server", "send", "c", 200)
        .call(40, "server", "recv", "c")
        .deliver(50, "client", 5)
        .ret(50, "client", "recv", "s", 200)
        .send(90, "client", 6, {"ACK"}, 1101, 5201, 0, 101, 201)
        .deliver(100, "server", 6)
        .call(150, "client", "close", "s")
        .state(150, "client", kClient, "ESTABLISHED", "FIN_WAIT_1", "close")
        .send(150, "client", 7, {"FIN", "ACK"}, 1101, 5201, 0, 101, 201)
        .ret(150, "client", "close", "s", 0)
        .deliver(160, "server", 7)
        .state(160, "server", kServer, "ESTABLISHED", "CLOSE_WAIT", "seg:7")
        .ret(160, "server", "recv", "c", 0)
        .send(160, "server", 8, {"ACK"}, 5201, 1102, 0, 201, 102)
        .deliver(170, "client", 8)
        .state(170, "client", kClient, "FIN_WAIT_1", "FIN_WAIT_2", "seg:8")
        .call(460, "server", "close", "c")
        .state(460, "server", kServer, "CLOSE_WAIT", "LAST_ACK", "close")
        .send(460, "server", 9, {"FIN", "ACK"}, 5201, 1102, 0, 201, 102)
        .ret(460, "server", "close", "c", 0)
        .deliver(470, "client", 9)
        .state(470, "client", kClient, "FIN_WAIT_2", "TIME_WAIT", "seg:9")
        .send(470, "client", 10, {"ACK"}, 1102, 5202, 0, 102, 202)
        .timer(470, "client", "time_wait", "set")
        .deliver(480, "server", 10)
        .state(480, "server", kServer, "LAST_ACK", "CLOSED", "seg:10")
        .timer(2470, "client", "time_wait", "fire")
        .state(2470, "client", kClient, "TIME_WAIT", "CLOSED", "timer:time_wait")
        .build();
}

json read_lesson(const std::string& name) {
    std::ifstream in(std::string(TCPLAB_SOURCE_DIR) + "/lessons/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str());
}

}  // namespace

TEST_CASE("lesson handshake-close: resolves on a model of its trace", "[lesson][resolve]") {
    // The model is a simplified trace (no bind events, an ACK at once): the lesson's
    // checks are claims about the engine's own trace and are tested there (lesson_files_test).
    json lesson = read_lesson("handshake-close.json");
    for (auto& s : lesson["steps"]) s.erase("checks");
    for (auto& q : lesson["quizzes"]) q.erase("checks");
    ordered_json r = tcplab::lesson::resolve_lesson_with(
        lesson, "lessons/handshake-close.json", json::object(), fixed(handshake_close_model()));
    std::map<std::string, ordered_json> quiz;
    for (const auto& q : r["quizzes"]) quiz[q["id"].get<std::string>()] = q;
    CHECK(quiz["synack-numbers"]["answer"]["value"] ==
          ordered_json({{"flags", "SYN,ACK"}, {"seq", 0}, {"ack", 1}}));
    CHECK(quiz["third-ack-number"]["answer"]["value"] == 1);
    CHECK(quiz["call-order"]["answer"]["value"] ==
          ordered_json({"close-returns", "server-eof", "fin-wait-2"}));
    CHECK(quiz["request-ack"]["answer"]["value"] == 101);
    CHECK(quiz["after-close"]["answer"]["value"] == "CLOSE_WAIT");
    // The segment that answers the client's FIN: the server's ACK, before its own FIN.
    CHECK(quiz["fin-numbers"]["answer"]["value"] ==
          ordered_json({{"flags", "ACK"}, {"seq", 201}, {"ack", 102}}));
    CHECK(quiz["who-time-wait"]["answer"]["value"] == "client");
    CHECK(quiz["time-wait-length"]["answer"]["value"] == 2000);
    CHECK(r["facts"]["accept_max"]["value"] == 129);
    CHECK(r["steps"].back()["last"] == r["trace"]["events"].size() - 1);
    CHECK_THAT(r["steps"][1]["text"]["en"].get<std::string>(), Catch::Contains("10.0.0.1:40000"));
}

TEST_CASE("resolve: the engine's scenario errors point into the lesson file", "[lesson][errors]") {
    json l = small_lesson();
    l["scenario"] = {{"tcplab", 1}};  // no hosts: the engine rejects it
    try {
        tcplab::resolve_lesson(l, "tiny.json", json::object());
        FAIL("expected an InputError");
    } catch (const InputError& e) {
        CHECK_THAT(e.what(), Catch::StartsWith("tiny.json: /scenario/hosts"));
    }
}

TEST_CASE("resolve: the same lesson and options give the same bytes", "[lesson][resolve]") {
    const json l = read_lesson("handshake-close.json");
    std::ifstream in(std::string(TCPLAB_SOURCE_DIR) + "/lessons/handshake-close.json");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string a = tcplab::resolve_lesson_text(ss.str(), "lessons/handshake-close.json", "");
    const std::string b =
        tcplab::resolve_lesson_text(ss.str(), "lessons/handshake-close.json", "{}");
    CHECK(a == b);
    CHECK(a == tcplab::resolve_lesson(l, "lessons/handshake-close.json", json::object()).dump());
}

// ---- a quiz never shows its answer; claims in texts are checked (docs/LESSONS.md) ----------

TEST_CASE("quiz: cannot stop the playback before the first step", "[lesson][errors][quiz]") {
    json l = small_lesson();
    l["quizzes"][0]["before"] = "syn";
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /quizzes/0/before: expected a step "
                                              "after the first one"));
    l["quizzes"][0]["before"] = 0;
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /quizzes/0/before:"));
}

TEST_CASE("quiz: an answer whose evidence is already on screen is refused",
          "[lesson][errors][quiz]") {
    json l = small_lesson();
    // Asked before "synack", while the client's SYN (event 5) is already drawn.
    l["quizzes"][0] = {{"id", "syn-seq"},
                       {"kind", "number"},
                       {"before", "synack"},
                       {"prompt", text("SYN 的序号？", "The SYN's sequence number?")},
                       {"answer",
                        {{"fact", "seg"},
                         {"scope", "all"},
                         {"match", {{"kind", "send"}, {"flags", "SYN"}}},
                         {"field", "seq"}}},
                       {"explain", text("{{answer}}", "{{answer}}")}};
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /quizzes/0: expected the answer to "
                                              "happen after the quiz") &&
                                Catch::Contains("event 5 (send client SYN)") &&
                                Catch::Contains("before step \"synack\""));
    // The same question about the SYN,ACK, which the next step shows, is fine.
    l["quizzes"][0]["answer"]["match"]["flags"] = "SYN,ACK";
    CHECK(error_of(l) == "");
}

TEST_CASE("quiz: narration on screen, the prompt or an earlier quiz must not name the answer",
          "[lesson][errors][quiz]") {
    json l = small_lesson();
    l["steps"][0]["text"]["en"] = "The client sends a SYN; the server will be SYN_RECEIVED.";
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /steps/0/text/en: expected a text "
                                              "that does not name the answer of quiz \"q1\" "
                                              "(SYN_RECEIVED)"));
    // The step the quiz stops before is not on screen yet: it may say it.
    l = small_lesson();
    l["steps"][1]["text"]["en"] = "The server is SYN_RECEIVED.";
    CHECK(error_of(l) == "");
    // A word that merely contains the answer is not the answer.
    l["steps"][0]["title"] = text("SYN_RECEIVED_X", "not SYN_RECEIVEDs");
    CHECK(error_of(l) == "");
    // A question asked just before, at the same moment, is still on screen.
    l = small_lesson();
    json earlier = {
        {"id", "q0"},
        {"kind", "choice"},
        {"before", "synack"},
        {"answer_kind", "concept"},
        {"correct", "a"},
        {"prompt", text("为什么？", "Why?")},
        {"choices",
         {{{"id", "a"}, {"text", text("甲", "A")}}, {{"id", "b"}, {"text", text("乙", "B")}}}},
        {"explain", text("服务器会进入 SYN_RECEIVED。", "It will be SYN_RECEIVED.")}};
    l["quizzes"].insert(l["quizzes"].begin(), earlier);
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /quizzes/0/explain/zh-CN:") &&
                                Catch::Contains("quiz \"q1\""));
    // Numbers: the prompt of a number quiz must not contain the answer.
    l = small_lesson();
    l["quizzes"][0] = {
        {"id", "sends"},
        {"kind", "number"},
        {"before", "rest"},
        {"prompt", text("还要发几个报文（提示：8）？", "How many more segments (8)?")},
        {"answer", {{"fact", "count"}, {"match", {{"kind", "send"}}}}},
        {"explain", text("{{answer}} 个。", "{{answer}}.")}};
    CHECK_THAT(error_of(l),
               Catch::StartsWith("tiny.json: /quizzes/0/prompt/zh-CN:") && Catch::Contains("(8)"));
    l["quizzes"][0]["prompt"] = text("还要发几个报文？", "How many more segments?");
    CHECK(error_of(l) == "");
}

TEST_CASE("checks: a step's claims are facts of the trace", "[lesson][checks]") {
    json l = small_lesson();
    l["steps"][2]["checks"] = {
        {{"about", "eight more segments"},
         {"fact", "count"},
         {"match", {{"kind", "send"}}},
         {"equals", 8}},
        {{"about", "one of them is lost"},
         {"fact", "count"},
         {"match", {{"kind", "drop"}}},
         {"at_least", 1},
         {"at_most", 1}},
        {{"fact", "errno"}, {"match", {{"call", "recv"}}}, {"equals", "ECONNRESET"}}};
    CHECK(error_of(l) == "");
    l["steps"][2]["checks"][0]["equals"] = 4;
    CHECK(error_of(l) ==
          "tiny.json: /steps/2/checks/0: the claim \"eight more segments\" "
          "expects 4, but the trace gives 8 (event 33)");
    l["steps"][2]["checks"][0]["equals"] = 8;
    l["steps"][2]["checks"][1]["at_least"] = 2;
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /steps/2/checks/1: the claim \"one of "
                                              "them is lost\" expects from 2 to 1"));
    l["steps"][2]["checks"][1] = {{"fact", "count"}, {"match", {{"kind", "drop"}}}};
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /steps/2/checks/1: expected \"equals\""));
    // The scope is the step: the first step has no drop.
    l = small_lesson();
    l["steps"][0]["checks"] = {{{"fact", "exists"},
                                {"match", {{"kind", "drop"}}},
                                {"until", {{"kind", "send"}}},
                                {"equals", true}}};
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /steps/0/checks/0: the text expects "
                                              "true, but the trace gives false"));
}

TEST_CASE("constants: real-world numbers with their source, quoted as {{name}}",
          "[lesson][params]") {
    json l = small_lesson();
    l["constants"] = {{"linux_tw_s", {{"value", 60}, {"source", "Linux TCP_TIMEWAIT_LEN"}}}};
    l["steps"][2]["text"]["en"] = "Linux waits {{linux_tw_s}} s.";
    ordered_json r = tcplab::lesson::resolve_lesson_with(l, "tiny.json", json::object(),
                                                         fixed(handshake_trace()));
    // The unit stays with its number: a no-break space.
    CHECK(r["steps"][2]["text"]["en"] == "Linux waits 60\xC2\xA0s.");
    l["constants"]["linux_tw_s"].erase("source");
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /constants/linux_tw_s/source:"));
    l["constants"] = {{"answer_x", {{"value", "x"}, {"source", "s"}, {"unit", "s"}}}};
    CHECK_THAT(error_of(l), Catch::StartsWith("tiny.json: /constants/answer_x/unit: unexpected"));
}

TEST_CASE("lint: no number is written into a text", "[lesson][lint]") {
    json l = small_lesson();
    CHECK(tcplab::lesson::lint_lesson(l, "tiny.json").empty());
    l["steps"][0]["text"] = text("RFC 9293 §3.10.7.4：FIN_WAIT_2、IPv4、2MSL、{{x}} 毫秒",
                                 "RFC 9293 §3.10.7.4, RFC793, FIN_WAIT_2, IPv4, 2MSL, {{x}} ms");
    l["scenario"]["title"] = "100 ms";  // not a text: scenarios are data
    CHECK(tcplab::lesson::lint_lesson(l, "tiny.json").empty());
    l["steps"][1]["text"] = text("等 100 毫秒", "wait 100 ms, then 1.5 s, 60s");
    const auto found = tcplab::lesson::lint_lesson(l, "tiny.json");
    REQUIRE(found.size() == 4);
    CHECK_THAT(found[0], Catch::StartsWith("tiny.json: /steps/1/text/en: the number \"100\""));
    CHECK_THAT(found[1], Catch::Contains("\"1.5\""));
    CHECK_THAT(found[2], Catch::Contains("\"60\""));
    CHECK_THAT(found[3], Catch::StartsWith("tiny.json: /steps/1/text/zh-CN: the number \"100\""));
}
