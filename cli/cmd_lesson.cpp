// tcplab lesson [--lang en|zh-CN|both] [--seed N] [--abs] [--json] FILE.json
// tcplab lesson --check FILE.json...
//
// The first form resolves a lesson (docs/LESSONS.md) and prints it the way a learner meets it:
// the ladder diagram with each step's title and narration where the step begins, and each quiz
// where it stops the playback, with the answer the engine computed and the event that proves
// it. It is the authoring view: a sentence that disagrees with the ladder beside it is visible.
// The second form resolves and lints every file named and reports each problem.
#include "commands.hpp"
#include "ladder.hpp"

#include "tcplab/lesson.hpp"

#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace tcplab_cli {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

const char* const kUsage =
    "Usage: tcplab lesson [--lang en|zh-CN|both] [--seed N] [--abs] [--json] FILE.json\n"
    "       tcplab lesson --check FILE.json...\n";

std::vector<std::string> languages(const std::string& lang) {
    if (lang == "both") return {"en", "zh-CN"};
    return {lang};
}

void print_text(std::ostream& out, const ordered_json& text, const std::vector<std::string>& langs,
                const std::string& indent, const std::string& label = "") {
    for (const auto& l : langs) {
        if (!text.contains(l)) continue;
        out << indent << label << (langs.size() > 1 ? "[" + l + "] " : "")
            << text[l].get<std::string>() << "\n";
    }
}

std::string value_text(const ordered_json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.contains("flags"))
        return v["flags"].get<std::string>() + " seq=" + v["seq"].dump() +
               " ack=" + v["ack"].dump();
    if (v.is_array()) {
        std::string s;
        for (const auto& x : v) s += (s.empty() ? "" : " -> ") + value_text(x);
        return s;
    }
    return v.dump();
}

void print_quiz(std::ostream& out, const ordered_json& q, const std::vector<std::string>& langs) {
    out << "\n  ?? quiz \"" << q["id"].get<std::string>() << "\" (" << q["kind"].get<std::string>()
        << ") stops the playback here; the next step is not shown yet\n";
    print_text(out, q["prompt"], langs, "     ", "Q: ");
    const ordered_json& a = q["answer"];
    if (q.contains("choices")) {
        for (const auto& c : q["choices"]) {
            const bool right = a.contains("choice") && a["choice"] == c["id"];
            out << "     " << (right ? "(*) " : "( ) ") << c["id"].get<std::string>() << ": "
                << c["text"][langs.front()].get<std::string>() << "\n";
        }
    }
    if (q.contains("items"))
        for (const auto& it : q["items"])
            out << "     - " << it["id"].get<std::string>() << ": "
                << it["text"][langs.front()].get<std::string>() << " (event " << it["event"].dump()
                << ")\n";
    if (a.contains("value"))
        out << "     answer: " << value_text(a["value"]);
    else
        out << "     answer: choice \"" << a.value("choice", "") << "\" (a concept)";
    if (!q["evidence"].is_null()) out << "   evidence: event " << q["evidence"].dump();
    out << "\n";
    print_text(out, q["explain"], langs, "     ", "explain: ");
    out << "\n";
}

int check_files(const std::vector<std::string>& files) {
    int failed = 0;
    for (const auto& file : files) {
        // `tcplab lesson --check lessons/*.json` also names the folder's two non-lessons.
        const std::string base = file.substr(file.find_last_of('/') + 1);
        if (base == "schema.json" || base == "index.json") continue;
        std::string text;
        if (!read_file(file, text)) {
            ++failed;
            continue;
        }
        try {
            json lesson;
            try {
                lesson = json::parse(text);
            } catch (const json::parse_error& e) {
                throw tcplab::InputError(file + ": byte " + std::to_string(e.byte) +
                                         ": invalid JSON");
            }
            tcplab::resolve_lesson(lesson, file, json::object());
            // A lesson with parameters must hold for other values too (training mode).
            if (lesson.contains("params") && !lesson["params"].empty())
                for (int seed = 1; seed <= 8; ++seed) {
                    try {
                        tcplab::resolve_lesson(lesson, file, json{{"seed", seed}});
                    } catch (const tcplab::InputError& e) {
                        throw tcplab::InputError(std::string(e.what()) + " (with --seed " +
                                                 std::to_string(seed) + ")");
                    }
                }
            const auto findings = tcplab::lesson::lint_lesson(lesson, file);
            for (const auto& f : findings) std::cerr << f << "\n";
            if (!findings.empty()) {
                ++failed;
                continue;
            }
            std::cout << "ok " << file << "\n";
        } catch (const tcplab::InputError& e) {
            std::cerr << e.what() << "\n";
            ++failed;
        }
    }
    return failed == 0 ? 0 : 2;
}

}  // namespace

int cmd_lesson(int argc, char** argv) {
    bool json_out = false, check = false;
    std::string lang = "en";
    std::string seed;
    LadderOptions opt;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--json") {
            json_out = true;
        } else if (a == "--abs") {
            opt.absolute = true;
        } else if (a == "--check") {
            check = true;
        } else if (a == "--lang" || a == "--seed") {
            if (i + 1 >= argc) {
                std::cerr << "tcplab lesson: " << a << " needs a value\n" << kUsage;
                return 2;
            }
            (a == "--lang" ? lang : seed) = argv[++i];
        } else if (a == "--help" || a == "-h") {
            std::cout << kUsage;
            return 0;
        } else if (!a.empty() && a[0] == '-') {
            std::cerr << "tcplab lesson: unknown option \"" << a << "\"\n" << kUsage;
            return 2;
        } else {
            files.push_back(a);
        }
    }
    if (lang != "en" && lang != "zh-CN" && lang != "both") {
        std::cerr << "tcplab lesson: --lang: expected en, zh-CN or both, got \"" << lang << "\"\n";
        return 2;
    }
    if (files.empty() || (!check && files.size() > 1)) {
        std::cerr << kUsage;
        return 2;
    }
    if (check) return check_files(files);

    json options = json::object();
    if (!seed.empty()) {
        std::size_t used = 0;
        long long n = -1;
        try {
            n = std::stoll(seed, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != seed.size() || n < 0) {
            std::cerr << "tcplab lesson: --seed: expected a whole number >= 0, got \"" << seed
                      << "\"\n";
            return 2;
        }
        options["seed"] = n;
    }
    std::string text;
    if (!read_file(files[0], text)) return 2;
    const std::string resolved_text =
        tcplab::resolve_lesson_text(text, files[0], options.empty() ? "" : options.dump());
    if (json_out) {
        std::cout << resolved_text << "\n";
        return 0;
    }
    const ordered_json r = ordered_json::parse(resolved_text);
    const auto langs = languages(lang);
    const ordered_json& meta = r["lesson"];
    std::cout << "Lesson \"" << meta["id"].get<std::string>() << "\", " << meta["minutes"].dump()
              << " min\n";
    print_text(std::cout, meta["title"], langs, "  ");
    print_text(std::cout, meta["summary"], langs, "  ");
    if (!r["params"].empty()) std::cout << "  parameters: " << r["params"].dump() << "\n";
    std::cout << "\n";

    std::map<std::size_t, std::size_t> step_at;  // first event -> step index
    const ordered_json& steps = r["steps"];
    for (std::size_t i = 0; i < steps.size(); ++i)
        step_at[steps[i]["first"].get<std::size_t>()] = i;
    opt.before_event = [&](std::size_t index, std::ostream& out) {
        auto it = step_at.find(index);
        if (it == step_at.end()) return;
        const std::size_t i = it->second;
        for (const auto& q : r["quizzes"])
            if (q["step"].get<std::size_t>() == i) print_quiz(out, q, langs);
        const ordered_json& s = steps[i];
        out << "  == step " << i + 1 << "/" << steps.size();
        if (s.contains("id")) out << " \"" << s["id"].get<std::string>() << "\"";
        out << ", events " << s["first"].dump() << " to " << s["last"].dump();
        if (s.contains("focus")) out << ", focus " << s["focus"].dump();
        out << " ==\n";
        if (s.contains("title")) print_text(out, s["title"], langs, "     ", "# ");
        print_text(out, s["text"], langs, "     ");
    };
    print_ladder(r["trace"], std::cout, opt);
    return 0;
}

}  // namespace tcplab_cli
