// tcplab run [--json] [--abs] FILE.json   (FILE "-" is standard input)
#include "commands.hpp"
#include "ladder.hpp"

#include "tcplab/run.hpp"

#include <iostream>

namespace tcplab_cli {

int cmd_run(int argc, char** argv) {
    bool json = false;
    LadderOptions opt;
    std::string file;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--json")
            json = true;
        else if (a == "--abs")
            opt.absolute = true;
        else if (a == "--help" || a == "-h") {
            std::cout
                << "Usage: tcplab run [--json] [--abs] FILE.json   (FILE - reads standard input)\n";
            return 0;
        } else if (a.size() > 1 && a[0] == '-') {
            std::cerr << "tcplab run: unknown option \"" << a << "\"\n";
            return 2;
        } else if (file.empty()) {
            file = a;
        } else {
            std::cerr << "tcplab run: one file at a time (got \"" << file << "\" and \"" << a
                      << "\")\n";
            return 2;
        }
    }
    if (file.empty()) {
        std::cerr << "Usage: tcplab run [--json] [--abs] FILE.json\n";
        return 2;
    }
    const std::string text = read_input(file);  // InputError: exit 2 from main
    const std::string trace = tcplab::run_scenario_text(text, input_name(file));
    if (json) {
        std::cout << trace << "\n";
        return 0;
    }
    print_ladder(nlohmann::ordered_json::parse(trace), std::cout, opt);
    return 0;
}

}  // namespace tcplab_cli
