// Helpers shared by the capture tests (tests/native/capture_*.cpp).
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace capture_test {

inline std::filesystem::path source_dir() { return TCPLAB_SOURCE_DIR; }
inline std::filesystem::path data_dir() { return source_dir() / "tests" / "capture" / "data"; }
inline std::filesystem::path oracle_dir() { return source_dir() / "tests" / "data" / "linux"; }

// A missing file is an error, never an empty input: a test must not pass on missing data.
inline std::ifstream open_or_throw(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    if (!f) throw std::runtime_error(p.string() + ": missing (test data must be there)");
    return f;
}
inline std::vector<uint8_t> read_bytes(const std::filesystem::path& p) {
    auto f = open_or_throw(p);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), {});
}
inline std::string read_text(const std::filesystem::path& p) {
    auto f = open_or_throw(p);
    return std::string((std::istreambuf_iterator<char>(f)), {});
}

}  // namespace capture_test
