// Every lessons/*.json is a regression test of the engine: it must resolve (the engine runs its
// scenario), its steps must cut the trace sensibly, every fact-based quiz answer must match
// exactly one choice, every text must exist in zh-CN and en, and a lesson with parameters must
// still resolve for other parameter values. One Catch2 test case per lesson file, registered
// when the test binary starts, so ctest names the lesson that fails.
#include "tcplab/lesson.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

fs::path lessons_dir() { return fs::path(TCPLAB_SOURCE_DIR) / "lessons"; }

// Lesson files: every lessons/*.json except the schema and the learning-path index.
std::vector<fs::path> lesson_files() {
    std::vector<fs::path> out;
    if (!fs::exists(lessons_dir())) return out;
    for (const auto& entry : fs::directory_iterator(lessons_dir())) {
        const auto name = entry.path().filename().string();
        if (entry.path().extension() == ".json" && name != "schema.json" && name != "index.json")
            out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

json read_json(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str());
}

// Every "zh-CN"/"en" pair anywhere in the resolved lesson is present and non-empty.
void check_texts(const ordered_json& node, const std::string& where) {
    if (node.is_object()) {
        if (node.contains("en") || node.contains("zh-CN")) {
            for (const char* lang : {"zh-CN", "en"}) {
                INFO(where << " language " << lang);
                REQUIRE(node.contains(lang));
                REQUIRE(node[lang].is_string());
                CHECK_FALSE(node[lang].get<std::string>().empty());
                // Interpolation leaves no placeholder behind.
                CHECK(node[lang].get<std::string>().find("{{") == std::string::npos);
            }
            return;
        }
        for (auto it = node.begin(); it != node.end(); ++it)
            if (it.key() != "trace") check_texts(*it, where + "/" + it.key());
    } else if (node.is_array()) {
        for (std::size_t i = 0; i < node.size(); ++i)
            check_texts(node[i], where + "/" + std::to_string(i));
    }
}

// Properties of a resolved lesson that hold for any trace the engine produces.
void check_resolved(const ordered_json& r, const std::string& name) {
    const ordered_json& events = r["trace"]["events"];
    const ordered_json& steps = r["steps"];
    INFO(name);
    REQUIRE(events.size() > 0);
    REQUIRE(steps.size() >= 2);

    // Every segment a host's TCP sends carries relative numbers, the ladder's default view: also
    // a RST from no socket (counted from the peer's ISN; a RST,ACK's own sequence number is 0)
    // and a SYN cookie's SYN,ACK (the cookie is its ISN). Only a segment injected for a
    // connection that does not exist has none.
    int sends = 0;
    for (const auto& e : events) {
        if (e["kind"] != "send" || e.value("injected", false)) continue;
        ++sends;
        INFO("send " << e.dump());
        REQUIRE(e.contains("rel"));
        const auto& flags = e["seg"]["flags"];
        const bool ack = std::find(flags.begin(), flags.end(), "ACK") != flags.end();
        CHECK(e["rel"].contains("ack") == ack);
        if (std::find(flags.begin(), flags.end(), "RST") != flags.end() && ack &&
            e["seg"]["seq"] == 0)
            CHECK(e["rel"]["seq"] == 0);
        // Relative numbers are small in a lesson: never a 32-bit ISN left in by mistake.
        CHECK(e["rel"]["seq"].get<long long>() < 100000000);
        if (ack) CHECK(e["rel"]["ack"].get<long long>() < 100000000);
    }
    CHECK(sends > 0);

    // Each thing the engine explains is explained once: no note repeated at the same moment
    // (a RST for data after close() was once noted by the connection and again by the reply).
    std::set<std::string> notes;
    for (const auto& e : events) {
        if (e["kind"] != "note") continue;
        // A note about a segment is about that segment, whichever connection (if any) says it.
        const bool about_segment = e["args"].contains("seg_id");
        const std::string key = e["t_us"].dump() + e["host"].dump() +
                                (about_segment ? std::string() : e.value("conn", "")) +
                                e["code"].dump() + e["args"].dump();
        INFO("note " << e.dump());
        CHECK(notes.insert(key).second);
    }

    // Steps: contiguous from the first event, each non-empty, focus inside its step.
    std::size_t expected_first = 0;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        INFO("step " << i);
        CHECK(steps[i]["first"].get<std::size_t>() == expected_first);
        CHECK(steps[i]["last"].get<std::size_t>() >= steps[i]["first"].get<std::size_t>());
        if (steps[i].contains("focus")) {
            CHECK(steps[i]["focus"].get<std::size_t>() >= steps[i]["first"].get<std::size_t>());
            CHECK(steps[i]["focus"].get<std::size_t>() <= steps[i]["last"].get<std::size_t>());
        }
        expected_first = steps[i]["last"].get<std::size_t>() + 1;
    }
    // Nothing a learner must see (a segment or a state change) is left after the last step.
    for (std::size_t i = expected_first; i < events.size(); ++i) {
        const std::string kind = events[i].value("kind", "");
        INFO("event " << i << " after the last step: " << events[i].dump());
        CHECK(kind != "send");
        CHECK(kind != "state");
    }

    // Quizzes: a step to stop at, evidence inside the trace, and for choices exactly one
    // correct one (the resolver enforces it; this checks the resolved output says so).
    std::set<std::string> ids;
    for (const auto& q : r["quizzes"]) {
        INFO("quiz " << q["id"]);
        CHECK(ids.insert(q["id"].get<std::string>()).second);
        CHECK(q["step"].get<std::size_t>() < steps.size());
        if (q["answer"]["kind"] == "fact") {
            REQUIRE(q["evidence"].is_number_integer());
            CHECK(q["evidence"].get<std::size_t>() < events.size());
        }
        if (q.contains("choices")) {
            REQUIRE(q["answer"].contains("choice"));
            int hits = 0;
            for (const auto& c : q["choices"]) hits += c["id"] == q["answer"]["choice"] ? 1 : 0;
            CHECK(hits == 1);
        }
    }
    check_texts(r, "");
}

void run_lesson_test(const fs::path& path) {
    const std::string name = path.filename().string();
    json lesson;
    REQUIRE_NOTHROW(lesson = read_json(path));
    const bool draft = lesson.value("draft", false);
    try {
        ordered_json r = tcplab::resolve_lesson(lesson, "lessons/" + name, json::object());
        check_resolved(r, name);
        if (lesson.contains("params")) {
            // Regenerated parameter sets (training mode) must resolve too.
            for (int seed : {1, 2, 3, 4, 5}) {
                INFO("seed " << seed);
                ordered_json again =
                    tcplab::resolve_lesson(lesson, "lessons/" + name, json{{"seed", seed}});
                check_resolved(again, name + " seed " + std::to_string(seed));
            }
        }
        // No number is written into a text (docs/LESSONS.md "Texts").
        for (const auto& finding : tcplab::lesson::lint_lesson(lesson, "lessons/" + name))
            FAIL_CHECK(finding);
        if (draft) WARN(name << " resolves now: remove \"draft\" from it");
    } catch (const tcplab::InputError& e) {
        if (!draft) FAIL(e.what());
        WARN("pending (draft): " << name << ": "
                                 << lesson["draft_reason"].value("en", std::string()) << "\n  "
                                 << e.what());
    }
}

class LessonInvoker : public Catch::ITestInvoker {
public:
    explicit LessonInvoker(fs::path path) : path_(std::move(path)) {}
    void invoke() const override { run_lesson_test(path_); }

private:
    fs::path path_;
};

// Registers "lesson file: <name>" for every lesson before Catch2 runs.
struct RegisterLessonTests {
    RegisterLessonTests() {
        static std::vector<std::string> names;  // StringRefs below must outlive registration
        const auto files = lesson_files();
        names.reserve(files.size());
        for (const auto& f : files) {
            names.push_back("lesson file: " + f.filename().string());
            Catch::AutoReg(new LessonInvoker(f), CATCH_INTERNAL_LINEINFO, "",
                           Catch::NameAndTags{names.back(), "[lesson][lesson-file]"});
        }
    }
};
const RegisterLessonTests register_lesson_tests;

}  // namespace

TEST_CASE("lessons: the directory holds lessons and a learning path", "[lesson]") {
    const auto files = lesson_files();
    REQUIRE_FALSE(files.empty());
    std::set<std::string> ids;
    for (const auto& f : files) {
        json l = read_json(f);
        INFO(f.filename().string());
        REQUIRE(l.contains("id"));
        CHECK(f.stem().string() == l["id"].get<std::string>());  // file name = lesson id
        ids.insert(l["id"].get<std::string>());
    }
    // lessons/index.json orders every lesson exactly once.
    json index = read_json(lessons_dir() / "index.json");
    std::set<std::string> listed;
    for (const auto& part : index["path"]) {
        for (const auto& id : part["lessons"]) {
            INFO(id);
            CHECK(ids.count(id.get<std::string>()) == 1);
            CHECK(listed.insert(id.get<std::string>()).second);
        }
    }
    CHECK(listed == ids);
}

TEST_CASE("lessons: none is a draft", "[lesson]") {
    for (const auto& f : lesson_files()) {
        json l = read_json(f);
        INFO(f.filename().string());
        CHECK_FALSE(l.value("draft", false));
    }
}

TEST_CASE("lessons: every curriculum topic is taught and mapped in COVERAGE.md", "[lesson]") {
    // The topic map S0.1 ... S3.12 of the curriculum (lessons/COVERAGE.md).
    const std::vector<std::pair<int, int>> parts = {{0, 8}, {1, 6}, {2, 11}, {3, 12}};
    std::set<std::string> taught;
    for (const auto& f : lesson_files())
        for (const auto& t : read_json(f).value("topics", json::array()))
            taught.insert(t.get<std::string>());
    std::ifstream in(lessons_dir() / "COVERAGE.md");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string coverage = ss.str();
    for (const auto& [part, count] : parts) {
        for (int i = 1; i <= count; ++i) {
            const std::string code = "S" + std::to_string(part) + "." + std::to_string(i);
            INFO(code);
            CHECK(taught.count(code) == 1);
            CHECK(coverage.find("| " + code + " ") != std::string::npos);
        }
    }
}

TEST_CASE("lessons: COVERAGE.md names only steps and quizzes that exist", "[lesson]") {
    // Entries look like "**lesson-id** step: a, b; quiz: c, d"; every id must exist in that lesson.
    std::ifstream in(lessons_dir() / "COVERAGE.md");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    const std::regex entry(R"(\*\*([a-z0-9-]+)\*\*([^*|]*))");
    const std::regex list(R"((step|quiz): ([a-z0-9, -]+))");
    int checked = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), entry);
         it != std::sregex_iterator(); ++it) {
        const std::string id = (*it)[1];
        const fs::path file = lessons_dir() / (id + ".json");
        INFO("COVERAGE.md names lesson " << id);
        REQUIRE(fs::exists(file));
        const json lesson = read_json(file);
        std::set<std::string> steps, quizzes;
        for (const auto& s : lesson["steps"]) steps.insert(s.value("id", std::string()));
        for (const auto& q : lesson.value("quizzes", json::array()))
            quizzes.insert(q.value("id", std::string()));
        const std::string rest = (*it)[2];
        for (auto l = std::sregex_iterator(rest.begin(), rest.end(), list);
             l != std::sregex_iterator(); ++l) {
            const bool is_step = (*l)[1] == "step";
            std::stringstream names((*l)[2].str());
            std::string name;
            while (std::getline(names, name, ',')) {
                name.erase(0, name.find_first_not_of(' '));
                name.erase(name.find_last_not_of(' ') + 1);
                if (name.empty() || name == "...") continue;
                INFO((is_step ? "step " : "quiz ") << name);
                CHECK((is_step ? steps : quizzes).count(name) == 1);
                ++checked;
            }
        }
    }
    CHECK(checked > 50);
}
