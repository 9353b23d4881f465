#include "tcplab/segment.hpp"

#include <array>
#include <cctype>

namespace tcplab {

namespace {
constexpr std::array<std::pair<std::uint8_t, const char*>, 8> kFlagNames{{{FIN, "FIN"},
                                                                          {SYN, "SYN"},
                                                                          {RST, "RST"},
                                                                          {PSH, "PSH"},
                                                                          {ACK, "ACK"},
                                                                          {URG, "URG"},
                                                                          {ECE, "ECE"},
                                                                          {CWR, "CWR"}}};
}

std::vector<std::string> flag_names(std::uint8_t flags) {
    std::vector<std::string> out;
    for (auto [bit, name] : kFlagNames)
        if (flags & bit) out.emplace_back(name);
    return out;
}

std::string flags_string(std::uint8_t flags, char sep) {
    std::string out;
    for (auto [bit, name] : kFlagNames) {
        if (!(flags & bit)) continue;
        if (!out.empty()) out += sep;
        out += name;
    }
    return out;
}

std::optional<std::uint8_t> parse_flags(const std::string& text) {
    std::uint8_t flags = 0;
    std::string word;
    auto take = [&]() -> bool {
        if (word.empty()) return true;
        for (auto [bit, name] : kFlagNames) {
            if (word == name) {
                flags |= bit;
                word.clear();
                return true;
            }
        }
        return false;
    };
    for (char c : text) {
        if (c == ',' || c == '|' || c == ' ' || c == '+') {
            if (!take()) return std::nullopt;
        } else {
            word += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
    }
    if (!take()) return std::nullopt;
    return flags;
}

std::string ip_string(std::uint32_t ip) {
    return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
           std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
}

std::string addr_string(Addr a) { return ip_string(a.ip) + ":" + std::to_string(a.port); }

std::optional<std::uint32_t> parse_ip(const std::string& text) {
    std::uint32_t ip = 0;
    int parts = 0;
    std::size_t i = 0;
    while (parts < 4) {
        if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i])))
            return std::nullopt;
        unsigned v = 0;
        int digits = 0;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
            v = v * 10 + static_cast<unsigned>(text[i] - '0');
            if (++digits > 3 || v > 255) return std::nullopt;
            ++i;
        }
        ip = (ip << 8) | v;
        ++parts;
        if (parts < 4) {
            if (i >= text.size() || text[i] != '.') return std::nullopt;
            ++i;
        }
    }
    if (i != text.size()) return std::nullopt;
    return ip;
}

std::uint32_t tcp_header_bytes(const Segment& s) {
    std::uint32_t opt = 0;
    if (s.opts.mss) opt += 4;
    if (s.opts.wscale) opt += 3;
    if (s.opts.sack_ok) opt += 2;
    if (s.opts.ts_val) opt += 10;
    opt = (opt + 3) / 4 * 4;  // options are padded to a 32-bit boundary
    return 20 + opt;
}

std::uint32_t ip_packet_bytes(const Segment& s) { return 20 + tcp_header_bytes(s) + s.len(); }

}  // namespace tcplab
