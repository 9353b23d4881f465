#include "tcplab/flag_match.hpp"

#include "tcplab/segment.hpp"

namespace tcplab {

bool flags_match(std::uint8_t named, std::uint8_t actual) {
    if (!(named & PSH)) actual &= static_cast<std::uint8_t>(~PSH);
    return actual == named;
}

}  // namespace tcplab
