#include "tcplab/trace.hpp"

namespace tcplab {

ojson segment_json(const Segment& s) {
    ojson j;
    j["id"] = s.id;
    j["src"] = addr_string(s.src);
    j["dst"] = addr_string(s.dst);
    j["flags"] = flag_names(s.flags);
    j["seq"] = s.seq;
    j["ack"] = s.ack;
    j["win"] = s.window;
    j["len"] = s.len();
    ojson o = ojson::object();
    if (s.opts.mss) o["mss"] = *s.opts.mss;
    if (s.opts.sack_ok) o["sack_ok"] = true;
    if (s.opts.ts_val) o["ts"] = ojson::array({*s.opts.ts_val, s.opts.ts_ecr});
    if (s.opts.wscale) o["wscale"] = *s.opts.wscale;
    j["opts"] = std::move(o);
    return j;
}

}  // namespace tcplab
