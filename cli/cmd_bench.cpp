// tcplab bench churn --n N (the connection-churn workload of bench/WORKLOAD.md)
#include "commands.hpp"

#include <iostream>

namespace tcplab_cli {

int cmd_bench(int argc, char** argv) {
    (void)argc;
    (void)argv;
    std::cerr << "tcplab bench: no workload built in\n";
    return 2;
}

}  // namespace tcplab_cli
