// The subcommands of `tcplab`. Each returns the process exit status: 0 success, 2 invalid
// input (message on stderr), 1 internal error (CONTRACTS.md, "CLI").
#pragma once

#include <string>

namespace tcplab_cli {

int cmd_run(int argc, char** argv);
int cmd_pcap(int argc, char** argv);
int cmd_explain(int argc, char** argv);
int cmd_bench(int argc, char** argv);
int cmd_lesson(int argc, char** argv);

// Reads a whole file; on failure prints "<file>: cannot read: <reason>" and returns false.
bool read_file(const std::string& path, std::string& out);

}  // namespace tcplab_cli
