// Resolving a quiz (docs/LESSONS.md "Quizzes"): its step, answer, evidence, choices and items.
#include "quiz.hpp"

#include "checks.hpp"
#include "facts.hpp"
#include "texts.hpp"

#include <algorithm>
#include <set>
#include <utility>

namespace tcplab::lesson::detail {

namespace {

// "scope": "all": the quiz's matchers search the whole trace, not just its step.
bool whole_trace(const json& quiz) { return quiz.contains("scope") && quiz["scope"] == "all"; }

const std::set<std::string> kQuizKinds = {"choice", "predict_segment", "predict_state",
                                          "number", "order",           "which_side"};

}  // namespace

ojson resolve_quiz(const json& quiz, std::size_t qi, const TraceIndex& ti,
                   const std::vector<StepRange>& ranges,
                   const std::map<std::string, std::size_t>& step_ids, const ojson& out_steps,
                   const ojson& earlier_quizzes, const ojson& lesson_texts,
                   const std::map<std::string, ojson>& values_in, const std::string& file) {
    const std::string p = child("/quizzes", qi);
    if (!quiz.is_object()) fail(file, p, "expected a quiz object");
    const std::string id = require_string(quiz, "id", file, p, "a quiz id");
    const std::string kind = require_string(quiz, "kind", file, p,
                                            "choice, predict_segment, predict_state, number, order "
                                            "or which_side");
    if (!kQuizKinds.count(kind))
        fail(file, child(p, "kind"),
             "expected choice, predict_segment, predict_state, number, order or which_side");
    const json& before =
        require_member(quiz, "before", file, p, "the id or index of the step it stops before");
    std::size_t step = 0;
    if (before.is_string()) {
        auto it = step_ids.find(before.get<std::string>());
        if (it == step_ids.end()) fail(file, child(p, "before"), "expected the id of a step");
        step = it->second;
    } else if (before.is_number_integer() && before.get<std::int64_t>() >= 0 &&
               static_cast<std::size_t>(before.get<std::int64_t>()) < ranges.size()) {
        step = before.get<std::size_t>();
    } else {
        fail(file, child(p, "before"), "expected a step id or a step index");
    }
    // The page always shows the first step, so there is no moment "before" it to stop at: such
    // a quiz could never be shown, yet it would still have to be answered.
    if (step == 0)
        fail(file, child(p, "before"),
             "expected a step after the first one: the player shows the first step as soon as "
             "the lesson opens, so a quiz cannot stop the playback before it");
    validate_text(quiz, "prompt", file, p);
    validate_text(quiz, "explain", file, p);
    const std::size_t scope_first = ranges[step].first;
    const std::size_t scope_last = ranges[step].last;

    ojson out = ojson::object();
    out["id"] = id;
    out["kind"] = kind;
    out["step"] = step;

    const bool is_concept = quiz.contains("correct");
    ojson answer = ojson::object();
    std::optional<std::size_t> evidence;
    ojson computed;
    if (is_concept) {
        if (!quiz.contains("answer_kind") || quiz["answer_kind"] != "concept")
            fail(file, child(p, "answer_kind"),
                 "expected \"concept\": a hand-written \"correct\" choice is only for conceptual "
                 "questions; facts of the simulation need an \"answer\" fact query");
        if (kind != "choice")
            fail(file, child(p, "correct"),
                 "expected a fact query in \"answer\": only \"choice\" quizzes may be conceptual");
        if (quiz.contains("answer"))
            fail(file, child(p, "answer"),
                 "expected either \"answer\" (a fact) or \"correct\", not both");
        answer["kind"] = "concept";
    } else {
        if (quiz.contains("answer_kind") && quiz["answer_kind"] != "fact")
            fail(file, child(p, "answer_kind"),
                 "expected \"fact\" (or \"concept\" with \"correct\")");
        if (kind == "order") {
            answer["kind"] = "fact";
        } else {
            const json& q =
                require_member(quiz, "answer", file, p,
                               "a fact query (or \"correct\" with \"answer_kind\": \"concept\")");
            const std::string fact = q.is_object() && q.contains("fact") && q["fact"].is_string()
                                         ? q["fact"].get<std::string>()
                                         : "";
            if (kind == "predict_state" && fact != "state")
                fail(file, child(child(p, "answer"), "fact"),
                     "expected \"state\" for a predict_state quiz");
            if (kind == "which_side" && fact != "which_side")
                fail(file, child(child(p, "answer"), "fact"),
                     "expected \"which_side\" for a which_side quiz");
            if (kind == "predict_segment" && fact != "segment")
                fail(file, child(child(p, "answer"), "fact"),
                     "expected \"segment\" for a predict_segment quiz");
            ojson r = evaluate(q, ti, scope_first, scope_last, file, child(p, "answer"));
            computed = r["value"];
            if (kind == "number" && !computed.is_number())
                fail(file, child(p, "answer"),
                     "expected a fact with a numeric value for a number quiz, got " +
                         computed.dump());
            if (!r["evidence"].is_null()) evidence = r["evidence"].get<std::size_t>();
            answer["kind"] = "fact";
            answer["value"] = computed;
            // The player labels the seq/ack fields: relative to the ISNs, or as on the wire.
            if (fact == "segment" && evidence)
                out["absolute"] = q.value("absolute", false) || !ti.rel_of(ti.event(*evidence));
        }
    }

    std::map<std::string, ojson> values = values_in;
    if (!computed.is_null()) {
        values["answer"] = computed;
        values["ans"] = computed;  // short alias
    }

    // order: each item's event is found from the step on; the answer lists item ids in trace order.
    if (kind == "order") {
        const json& items =
            require_member(quiz, "items", file, p, "an array of at least two items");
        if (!items.is_array() || items.size() < 2)
            fail(file, child(p, "items"), "expected an array of at least two items");
        std::vector<std::pair<std::size_t, std::string>> found;
        ojson out_items = ojson::array();
        std::set<std::string> item_ids;
        const std::size_t start = whole_trace(quiz) ? 0 : scope_first;
        for (std::size_t i = 0; i < items.size(); ++i) {
            const std::string ip = child(child(p, "items"), i);
            const std::string iid = require_string(items[i], "id", file, ip, "an item id");
            if (!item_ids.insert(iid).second)
                fail(file, child(ip, "id"), "expected a unique item id");
            validate_text(items[i], "text", file, ip);
            const json& m = require_member(items[i], "match", file, ip, "an event matcher");
            std::size_t idx = locate(m, ti, start, file, child(ip, "match"));
            for (const auto& [other, oid] : found)
                if (other == idx)
                    fail(file, child(ip, "match"),
                         "expected a different event than item \"" + oid + "\" (both match event " +
                             std::to_string(idx) + ")");
            found.emplace_back(idx, iid);
            ojson item = ojson::object();
            item["id"] = iid;
            item["text"] = resolve_text(items[i]["text"], values, file, child(ip, "text"));
            item["event"] = idx;
            out_items.push_back(item);
        }
        std::sort(found.begin(), found.end());
        ojson order = ojson::array();
        for (const auto& [idx, iid] : found) order.push_back(iid);
        answer["value"] = order;
        evidence = found.back().first;
        values["answer"] = order;
        values["ans"] = order;
        out["items"] = out_items;
    }

    // Choices: machine values, and for fact answers exactly one must equal the computed value.
    const bool needs_choices = kind == "choice" || kind == "predict_state" || kind == "which_side";
    if (quiz.contains("choices") || needs_choices) {
        const json& choices =
            require_member(quiz, "choices", file, p, "an array of at least two choices");
        if (!choices.is_array() || choices.size() < 2)
            fail(file, child(p, "choices"), "expected an array of at least two choices");
        ojson out_choices = ojson::array();
        std::set<std::string> choice_ids;
        std::vector<std::string> hits;
        for (std::size_t i = 0; i < choices.size(); ++i) {
            const std::string cp = child(child(p, "choices"), i);
            const json& c = choices[i];
            const std::string cid = require_string(c, "id", file, cp, "a choice id");
            if (!choice_ids.insert(cid).second)
                fail(file, child(cp, "id"), "expected a unique choice id");
            ojson oc = ojson::object();
            oc["id"] = cid;
            if (c.contains("text")) {
                validate_text(c, "text", file, cp);
                oc["text"] = resolve_text(c["text"], values, file, child(cp, "text"));
            } else if (c.contains("value") && (c["value"].is_string() || c["value"].is_number())) {
                // A language-neutral label: a state name, a flag set, a number.
                std::string label =
                    c["value"].is_string() ? c["value"].get<std::string>() : c["value"].dump();
                oc["text"] = ojson{{"zh-CN", label}, {"en", label}};
            } else {
                fail(file, child(cp, "text"),
                     "missing; expected a text (or a string/number value as its label)");
            }
            if (!is_concept) {
                const json& v = require_member(c, "value", file, cp,
                                               "the machine value this choice stands for");
                oc["value"] = v;
                if (values_equal(computed, v)) hits.push_back(cid);
            } else if (c.contains("value")) {
                oc["value"] = c["value"];
            }
            out_choices.push_back(oc);
        }
        if (is_concept) {
            const std::string correct =
                quiz["correct"].is_string() ? quiz["correct"].get<std::string>() : "";
            if (!choice_ids.count(correct))
                fail(file, child(p, "correct"), "expected the id of one of the choices");
            answer["choice"] = correct;
        } else if (kind != "order") {
            if (hits.empty())
                fail(file, child(p, "choices"),
                     "expected exactly one choice whose value equals the computed answer " +
                         computed.dump() + ", but none does");
            if (hits.size() > 1)
                fail(file, child(p, "choices"),
                     "expected exactly one choice whose value equals the computed answer " +
                         computed.dump() + ", but \"" + hits[0] + "\" and \"" + hits[1] +
                         "\" both do");
            answer["choice"] = hits[0];
        }
        out["choices"] = out_choices;
    }
    if (quiz.contains("tolerance")) {
        if (kind != "number" || !quiz["tolerance"].is_number() ||
            quiz["tolerance"].get<double>() < 0)
            fail(file, child(p, "tolerance"), "expected a number >= 0 (number quizzes only)");
        out["tolerance"] = quiz["tolerance"];
    }
    if (quiz.contains("unit")) {
        validate_text(quiz, "unit", file, p);
        out["unit"] = resolve_text(quiz["unit"], values, file, child(p, "unit"));
    }
    if (quiz.contains("evidence")) {
        const std::size_t start = whole_trace(quiz) ? 0 : scope_first;
        evidence = locate(quiz["evidence"], ti, start, file, child(p, "evidence"));
    }
    if (!is_concept && !evidence)
        fail(file, p,
             "expected an \"evidence\" matcher: the answer's fact query points at no event");

    out["prompt"] = resolve_text(quiz["prompt"], values, file, child(p, "prompt"));
    check_answerable(kind, answer, file, p);
    check_answer_hidden(quiz, out, answer, evidence, ti, ranges, step, out_steps, earlier_quizzes,
                        lesson_texts, file, p);
    verify_checks(quiz, ti, scope_first, scope_last, file, p);
    out["answer"] = answer;
    out["evidence"] = evidence ? ojson(*evidence) : ojson(nullptr);
    out["explain"] = resolve_text(quiz["explain"], values, file, child(p, "explain"));
    return out;
}

}  // namespace tcplab::lesson::detail
