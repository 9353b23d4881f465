// Helpers shared by the capture tests (tests/native/capture_*.cpp).
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace capture_test {

inline std::filesystem::path source_dir() { return TCPLAB_SOURCE_DIR; }
inline std::filesystem::path data_dir() { return source_dir() / "tests" / "capture" / "data"; }
inline std::filesystem::path oracle_dir() { return source_dir() / "tests" / "data" / "linux"; }

inline std::vector<uint8_t> read_bytes(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), {});
}
inline std::string read_text(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), {});
}

}  // namespace capture_test
