// The rules that keep a quiz answerable and its answer hidden until the learner answers
// (docs/LESSONS.md "Quizzes").
#include "quiz.hpp"

#include "checks.hpp"
#include "facts.hpp"
#include "tcplab/segment.hpp"
#include "texts.hpp"

#include <cctype>
#include <cmath>
#include <set>
#include <vector>

namespace tcplab::lesson::detail {

namespace {

// The flag boxes and the state list the player offers (web/src/ui/quiz.ts, web/src/types.ts).
const std::set<std::string> kAnswerableFlags = [] {
    const std::vector<std::string> names = flag_names(FIN | SYN | RST | PSH | ACK);
    return std::set<std::string>(names.begin(), names.end());
}();
const std::set<std::string> kStateNames = {
    "CLOSED",     "LISTEN",     "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
    "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",  "LAST_ACK",     "TIME_WAIT"};

// `needle` occurs in `text` as a word of its own: no letter, digit or '_' touches it, and a
// number is not part of a longer decimal ("5" is not in "1.5").
bool contains_token(const std::string& text, const std::string& needle) {
    if (needle.empty()) return false;
    auto word = [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x80 && (std::isalnum(u) || c == '_');
    };
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    for (std::size_t pos = text.find(needle); pos != std::string::npos;
         pos = text.find(needle, pos + 1)) {
        const std::size_t end = pos + needle.size();
        bool ok = (pos == 0 || !word(text[pos - 1])) && (end >= text.size() || !word(text[end]));
        if (ok && pos >= 2 && text[pos - 1] == '.' && digit(text[pos - 2])) ok = false;
        if (ok && end + 1 < text.size() && text[end] == '.' && digit(text[end + 1])) ok = false;
        if (ok) return true;
    }
    return false;
}

std::string brief(const ojson& e, std::size_t index) {
    std::string s = "event " + std::to_string(index) + " (" + e.value("kind", "?");
    if (e.contains("host")) s += " " + e.value("host", "");
    if (e.contains("to") && e["to"].is_string()) s += " -> " + e["to"].get<std::string>();
    if (e.contains("call") && e["call"].is_string()) s += " " + e["call"].get<std::string>();
    if (e.contains("errno") && e["errno"].is_string()) s += " " + e["errno"].get<std::string>();
    if (e.contains("seg") && e["seg"].contains("flags"))
        s += " " + canonical_flags(event_flag_set(e["seg"]["flags"]));
    return s + ")";
}

}  // namespace

void check_answerable(const std::string& kind, const ojson& answer, const std::string& file,
                      const std::string& p) {
    if (!answer.contains("value")) return;
    const ojson& v = answer["value"];
    if (kind == "predict_segment" && v.is_object()) {
        for (const auto& f : parse_flag_set(v.value("flags", "")))
            if (!kAnswerableFlags.count(f))
                fail(file, child(p, "answer"),
                     "expected a segment whose flags the player offers (FIN, SYN, RST, PSH, "
                     "ACK), but the answer has " +
                         f);
    }
    if (kind == "predict_state" && !(v.is_string() && kStateNames.count(v.get<std::string>())))
        fail(file, child(p, "answer"), "expected one of the eleven TCP states, got " + v.dump());
    if (kind == "number" && !(v.is_number() && std::isfinite(v.get<double>())))
        fail(file, child(p, "answer"), "expected a finite number, got " + v.dump());
}

// What the page shows while a quiz is open is the world *before* the quiz's step: every event
// up to the previous step's last one, that step's title and narration, the prompt, and any
// quiz asked just before at the same moment. None of it may give the answer away
// (docs/LESSONS.md "Quizzes").
void check_answer_hidden(const json& quiz, const ojson& out, const ojson& answer,
                         const std::optional<std::size_t>& evidence, const TraceIndex& ti,
                         const std::vector<StepRange>& ranges, std::size_t step,
                         const ojson& out_steps, const ojson& earlier_quizzes,
                         const ojson& lesson_texts, const std::string& file, const std::string& p) {
    const std::size_t shown = ranges[step - 1].last;
    const std::string before = out_steps[step].contains("id")
                                   ? "step \"" + out_steps[step]["id"].get<std::string>() + "\""
                                   : "step " + std::to_string(step);
    const std::string on_screen = "is already on screen when the quiz stops before " + before +
                                  " (events 0 to " + std::to_string(shown) + " are shown)";
    const bool is_concept = answer.value("kind", "") == "concept";
    if (!is_concept && evidence && *evidence <= shown)
        fail(file, p,
             "expected the answer to happen after the quiz, but its evidence, " +
                 brief(ti.event(*evidence), *evidence) + ", " + on_screen +
                 "; ask it before an earlier step, or about a later event");
    if (out.contains("items"))
        for (const auto& item : out["items"]) {
            const std::size_t idx = item["event"].get<std::size_t>();
            if (idx <= shown)
                fail(file, child(p, "items"),
                     "expected every item to happen after the quiz, but item \"" +
                         item["id"].get<std::string>() + "\", " + brief(ti.event(idx), idx) + ", " +
                         on_screen);
        }
    // A state that does not change during the step is on the lane header and the state diagram.
    const std::string kind = out["kind"].get<std::string>();
    if (!is_concept && (kind == "predict_state" || kind == "which_side")) {
        json now = quiz["answer"];
        now["at"] = "shown";
        ojson r =
            evaluate(now, ti, ranges[step].first, ranges[step].last, file, child(p, "answer"));
        if (values_equal(r["value"], json::parse(answer["value"].dump())))
            fail(file, child(p, "answer"),
                 "expected an answer that is not on screen yet, but " +
                     format_value(answer["value"]) + " " + on_screen +
                     " (the lane headers and the state diagram show it)");
    }
    // Words that would name the answer in the narration on screen or in the prompt itself.
    std::vector<std::string> needles;
    if (is_concept) {
        const std::string correct = answer.value("choice", "");
        for (const auto& c : out["choices"])
            if (c["id"] == correct)
                for (const char* lang : kLanguages) {
                    // A short label ("Yes", "A") is an ordinary word; a sentence is the answer.
                    const std::string text = c["text"][lang];
                    if (text.size() >= 12) needles.push_back(text);
                }
    } else if (answer.contains("value")) {
        const ojson& v = answer["value"];
        if (v.is_number()) {
            needles.push_back(format_value(v));
        } else if (v.is_string() && kind != "which_side") {
            const std::string s = v.get<std::string>();
            // A state or an errno names itself; a flag set or a host name is too common a word.
            if (kStateNames.count(s) ||
                (s.size() > 2 && s[0] == 'E' &&
                 s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string::npos))
                needles.push_back(s);
        }
    }
    struct Shown {
        std::string where;
        const ojson* text;
    };
    std::vector<Shown> texts;
    const ojson& prev = out_steps[step - 1];
    const std::string sp = child("/steps", step - 1);
    if (prev.contains("title")) texts.push_back({child(sp, "title"), &prev["title"]});
    texts.push_back({child(sp, "text"), &prev["text"]});
    texts.push_back({child(p, "prompt"), &out["prompt"]});
    // The lesson's title is in the page's header the whole time, and its summary is what the
    // learner read to choose it.
    for (auto it = lesson_texts.begin(); it != lesson_texts.end(); ++it)
        texts.push_back({"/" + it.key(), &*it});
    // Quizzes asked at the same moment come one after another: their prompts and explanations
    // are still on screen.
    for (std::size_t i = 0; i < earlier_quizzes.size(); ++i) {
        const ojson& q = earlier_quizzes[i];
        if (q["step"].get<std::size_t>() != step) continue;
        const std::string qp = child("/quizzes", i);
        texts.push_back({child(qp, "prompt"), &q["prompt"]});
        texts.push_back({child(qp, "explain"), &q["explain"]});
    }
    for (const auto& needle : needles)
        for (const auto& t : texts)
            for (const char* lang : kLanguages)
                if (contains_token((*t.text)[lang].get<std::string>(), needle))
                    fail(file, child(t.where, lang),
                         "expected a text that does not name the answer of quiz \"" +
                             out["id"].get<std::string>() + "\" (" + needle +
                             "), but it is shown while the quiz is open");
}

}  // namespace tcplab::lesson::detail
