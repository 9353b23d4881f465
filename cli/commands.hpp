// The subcommands of `tcplab`. Each returns the process exit status: 0 success, 2 invalid
// input (message on stderr), 1 internal error (CONTRACTS.md, "CLI").
#pragma once

#include "tcplab/run.hpp"

#include <cstddef>
#include <string>

namespace tcplab_cli {

int cmd_run(int argc, char** argv);
int cmd_pcap(int argc, char** argv);
int cmd_explain(int argc, char** argv);
int cmd_bench(int argc, char** argv);
int cmd_lesson(int argc, char** argv);

// ---- what every command shares (main.cpp) --------------------------------------------------

// The one wording of a file a command cannot use, for every command:
//   "<file>: cannot read: <reason>"   (action "read")
//   "<file>: cannot write: <reason>"  (action "write")
// `reason` is lower-case, e.g. from file_reason(errno).
std::string file_error(const std::string& file, const std::string& action,
                       const std::string& reason);
// strerror(err) with a lower-case first letter ("no such file or directory").
std::string file_reason(int err);

// How an input path is named in messages: "-" is "<stdin>".
std::string input_name(const std::string& path);

// Reads a whole input: a file, or standard input for "-". At most `limit` bytes; a longer
// input is refused before it is read whole. Throws tcplab::InputError worded by file_error
// (a missing file, a directory, a read error) or, over the limit,
//   "<file>: byte <limit + 1>: expected at most <limit> bytes (limit \"<limit_name>\")".
std::string read_input(const std::string& path, std::size_t limit = tcplab::kLimits.input_bytes,
                       const std::string& limit_name = "input size");

// Reads a whole file as read_input does; on failure prints its message and returns false.
bool read_file(const std::string& path, std::string& out);

// A whole number given on the command line: decimal digits only (no sign, exponent, spaces or
// trailing characters), from lo to hi. Throws tcplab::InputError
//   "tcplab <command>: <option>: expected a whole number from <lo> to <hi>, got \"<text>\"".
long long parse_count(const std::string& command, const std::string& option,
                      const std::string& text, long long lo, long long hi);

}  // namespace tcplab_cli
