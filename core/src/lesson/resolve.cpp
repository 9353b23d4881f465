// The lesson resolver (core/include/tcplab/lesson.hpp, docs/LESSONS.md).
//
// Order of work: validate the lesson's shape (document.cpp) -> choose parameter values and
// substitute them (params.cpp) -> run the engine -> cut the trace into steps with event matchers
// (match.cpp) -> evaluate every fact query (facts.cpp): named facts, checks (checks.cpp), quiz
// answers and evidence (quiz.cpp, answerable.cpp) -> interpolate {{names}} into the texts
// (texts.cpp). Every error names the file, a JSON pointer into the lesson and what was expected
// there.
#include "tcplab/lesson.hpp"
#include "tcplab/lesson_param.hpp"

#include "checks.hpp"
#include "document.hpp"
#include "facts.hpp"
#include "match.hpp"
#include "params.hpp"
#include "quiz.hpp"
#include "texts.hpp"

#include <map>
#include <set>
#include <vector>

namespace tcplab {
namespace lesson {

using namespace detail;

namespace {

std::vector<StepRange> resolve_steps(const json& steps, const TraceIndex& ti,
                                     const std::string& file,
                                     std::map<std::string, std::size_t>& ids) {
    std::vector<StepRange> ranges;
    std::size_t cursor = 0;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const std::string p = child("/steps", i);
        const json& step = steps[i];
        if (!step.is_object()) fail(file, p, "expected a step object");
        if (step.contains("id")) {
            if (!step["id"].is_string() || step["id"].get<std::string>().empty())
                fail(file, child(p, "id"), "expected a step id string");
            if (!ids.emplace(step["id"].get<std::string>(), i).second)
                fail(file, child(p, "id"), "expected a unique step id");
        }
        validate_text(step, "text", file, p);
        validate_text(step, "title", file, p, false);
        const json& until = require_member(step, "until", file, p, "an event matcher or \"end\"");
        if (cursor >= ti.size())
            fail(file, child(p, "until"),
                 "expected events after event " + std::to_string(cursor == 0 ? 0 : cursor - 1) +
                     ", but the trace has only " + std::to_string(ti.size()) +
                     " events (the previous step already reached its end)");
        std::size_t last;
        if (until.is_string()) {
            if (until.get<std::string>() != "end")
                fail(file, child(p, "until"), "expected an event matcher or \"end\"");
            last = ti.size() - 1;
        } else {
            validate_matcher(until, file, child(p, "until"));
            auto found = find_in(until, ti, cursor, ti.size());
            if (!found)
                fail(file, child(p, "until"),
                     "expected an event matching " + describe(until) +
                         (cursor == 0 ? std::string(" in the trace")
                                      : " after event " + std::to_string(cursor - 1)) +
                         ", but none of the trace's " + std::to_string(ti.size()) +
                         " events from index " + std::to_string(cursor) + " on matches");
            last = *found;
        }
        ranges.push_back({cursor, last});
        cursor = last + 1;
    }
    return ranges;
}

}  // namespace

nlohmann::ordered_json resolve_lesson_with(const nlohmann::json& lesson_in, const std::string& file,
                                           const nlohmann::json& options, const Runner& run) {
    validate_top(lesson_in, file);
    if (!options.is_null() && !options.is_object())
        fail("options", "", "expected an options object ({\"params\": {...}, \"seed\": n})");
    const json opts = options.is_null() ? json::object() : options;
    const json specs = lesson_in.value("params", json::object());
    const json chosen = choose_params(specs, opts, file);

    json lesson = lesson_in;
    lesson.erase("params");
    substitute_params(lesson, chosen, file, "");

    ojson trace = run(lesson, file);
    TraceIndex ti(trace);

    std::map<std::string, ojson> values;
    for (auto it = chosen.begin(); it != chosen.end(); ++it)
        values[it.key()] = ojson::parse(it->dump());
    if (lesson.contains("constants")) {
        const json& constants = lesson["constants"];
        for (auto it = constants.begin(); it != constants.end(); ++it) {
            if (values.count(it.key()))
                fail(file, child("/constants", it.key()),
                     "expected a name not already used by a parameter");
            values[it.key()] = ojson::parse((*it)["value"].dump());
        }
    }
    ojson facts_out = ojson::object();
    if (lesson.contains("facts")) {
        const json& facts = lesson["facts"];
        for (auto it = facts.begin(); it != facts.end(); ++it) {
            if (values.count(it.key()))
                fail(file, child("/facts", it.key()),
                     "expected a name not already used by a parameter or a constant");
            ojson r = evaluate(*it, ti, 0, ti.size() == 0 ? 0 : ti.size() - 1, file,
                               child("/facts", it.key()));
            values[it.key()] = r["value"];
            facts_out[it.key()] = r;
        }
    }

    std::map<std::string, std::size_t> step_ids;
    const json& steps = lesson["steps"];
    std::vector<StepRange> ranges = resolve_steps(steps, ti, file, step_ids);

    ojson out_steps = ojson::array();
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const std::string p = child("/steps", i);
        const json& step = steps[i];
        ojson s = ojson::object();
        if (step.contains("id")) s["id"] = step["id"];
        s["first"] = ranges[i].first;
        s["last"] = ranges[i].last;
        if (step.contains("title"))
            s["title"] = resolve_text(step["title"], values, file, child(p, "title"));
        s["text"] = resolve_text(step["text"], values, file, child(p, "text"));
        if (step.contains("focus")) {
            validate_matcher(step["focus"], file, child(p, "focus"));
            auto f = find_in(step["focus"], ti, ranges[i].first, ranges[i].last + 1);
            if (!f)
                fail(file, child(p, "focus"),
                     "expected an event matching " + describe(step["focus"]) +
                         " inside the step (events " + std::to_string(ranges[i].first) + " to " +
                         std::to_string(ranges[i].last) + ")");
            s["focus"] = *f;
        }
        verify_checks(step, ti, ranges[i].first, ranges[i].last, file, p);
        out_steps.push_back(s);
    }

    ojson lesson_texts = ojson::object();
    lesson_texts["title"] = resolve_text(lesson["title"], values, file, "/title");
    lesson_texts["summary"] = resolve_text(lesson["summary"], values, file, "/summary");
    ojson out_quizzes = ojson::array();
    std::set<std::string> quiz_ids;
    if (lesson.contains("quizzes")) {
        const json& quizzes = lesson["quizzes"];
        for (std::size_t i = 0; i < quizzes.size(); ++i) {
            ojson q = resolve_quiz(quizzes[i], i, ti, ranges, step_ids, out_steps, out_quizzes,
                                   lesson_texts, values, file);
            if (!quiz_ids.insert(q["id"].get<std::string>()).second)
                fail(file, child(child("/quizzes", i), "id"), "expected a unique quiz id");
            out_quizzes.push_back(q);
        }
    }

    ojson meta = ojson::object();
    meta["id"] = lesson["id"];
    meta["title"] = lesson_texts["title"];
    meta["summary"] = lesson_texts["summary"];
    meta["minutes"] = lesson["minutes"];
    meta["level"] = lesson["level"];
    meta["topics"] = ojson::parse(lesson.value("topics", json::array()).dump());
    meta["draft"] = lesson.value("draft", false);
    if (meta["draft"].get<bool>())
        meta["draft_reason"] = ojson::parse(lesson["draft_reason"].dump());
    if (!specs.empty()) {
        ojson ps = ojson::object();
        for (auto it = specs.begin(); it != specs.end(); ++it) {
            ojson sp = ojson::object();
            sp["label"] = ojson::parse((*it)["label"].dump());
            if (it->contains("values")) {
                sp["values"] = ojson::parse((*it)["values"].dump());
            } else {
                sp["min"] = (*it)["min"];
                sp["max"] = (*it)["max"];
            }
            sp["default"] = ojson::parse((*it)["default"].dump());
            ps[it.key()] = sp;
        }
        meta["params"] = ps;
    }

    ojson out = ojson::object();
    out["tcplab_lesson"] = 1;
    out["lesson"] = meta;
    out["params"] = ojson::parse(chosen.dump());
    out["facts"] = facts_out;
    out["steps"] = out_steps;
    out["quizzes"] = out_quizzes;
    out["trace"] = std::move(trace);
    return out;
}

}  // namespace lesson

nlohmann::ordered_json resolve_lesson(const nlohmann::json& lesson, const std::string& file,
                                      const nlohmann::json& options) {
    // The engine runs the scenario member alone; its error pointers are then relative to the
    // scenario, so they are re-rooted at /scenario to point into the lesson file.
    return lesson::resolve_lesson_with(
        lesson, file, options, [](const nlohmann::json& doc, const std::string& f) {
            try {
                return run_scenario(doc.at("scenario"), f);
            } catch (const InputError& e) {
                const std::string msg = e.what();
                const std::string prefix = f + ": ";
                if (msg.rfind(prefix, 0) == 0 && msg.size() > prefix.size() &&
                    (msg[prefix.size()] == '/' || msg[prefix.size()] == ':'))
                    throw InputError(prefix + "/scenario" + msg.substr(prefix.size()));
                throw;
            }
        });
}

std::string resolve_lesson_text(std::string_view lesson_text, const std::string& file,
                                std::string_view options_text) {
    nlohmann::json lesson;
    nlohmann::json options = nlohmann::json::object();
    try {
        lesson = nlohmann::json::parse(lesson_text);
    } catch (const nlohmann::json::parse_error& e) {
        throw InputError(file + ": byte " + std::to_string(e.byte) + ": invalid JSON");
    }
    if (options_text.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        try {
            options = nlohmann::json::parse(options_text);
        } catch (const nlohmann::json::parse_error& e) {
            throw InputError("options: byte " + std::to_string(e.byte) + ": invalid JSON");
        }
    }
    return resolve_lesson(lesson, file, options).dump();
}

}  // namespace tcplab
