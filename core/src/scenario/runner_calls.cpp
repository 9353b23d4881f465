// Performing a step's call: one overload per call of tcplab/step.hpp, chosen with std::visit.
// Each try either returns (the result, and what the trace adds to the return event) or blocks,
// and is tried again when its socket changes.
#include "tcplab/runner.hpp"

#include <string_view>
#include <variant>
#include <vector>

namespace tcplab {

namespace {
std::vector<const char*> poll_list(unsigned bits) {
    std::vector<const char*> a;
    if (bits & kPollIn) a.push_back("in");
    if (bits & kPollOut) a.push_back("out");
    if (bits & kPollErr) a.push_back("err");
    if (bits & kPollHup) a.push_back("hup");
    return a;
}

// Text the trace can carry: no control characters but layout, and well-formed UTF-8 (RFC 3629
// §4), which JSON text must be (RFC 8259 §8.1). A recv can end inside a multi-byte character.
bool printable(const std::string& s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') return false;
            ++i;
            continue;
        }
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        for (std::size_t k = 1; k <= n; ++k) {
            if (i + k >= s.size()) return false;
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        // Overlong forms, surrogates and code points above U+10FFFF are not UTF-8.
        static const std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMin[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
        i += n + 1;
    }
    return true;
}

}  // namespace

// One try of the call of app `a`'s current step on descriptor `fd` (the step's "sock"). Fills
// `ret` with what the return event reports beyond the result.
struct Runner::CallAttempt {
    Runner& run;
    AppState& a;
    const StepSpec& st;
    Host& h;
    std::map<std::string, int>& names;  // the host's handles
    int fd;
    ev::Return& ret;

    SysResult operator()(const calls::Socket&) {
        const int nfd = h.socket();
        run.new_socket(a, nfd);
        names[st.as] = nfd;
        return SysResult::ok(nfd);
    }
    SysResult operator()(const calls::Setsockopt& c) {
        return h.set_option(fd, c.option, c.value, c.value2);
    }
    SysResult operator()(const calls::Getsockopt&) {
        SysResult r = h.get_error(fd);
        if (r.err == Errno::ok) {
            const auto e = static_cast<Errno>(r.value);
            ret.value = e;
            r.value = 0;
        }
        return r;
    }
    SysResult operator()(const calls::Bind& c) { return h.bind(fd, c.ip, c.port); }
    SysResult operator()(const calls::Listen& c) { return h.listen(fd, c.backlog); }
    SysResult operator()(const calls::Accept&) {
        int nfd = -1;
        Addr peer{};
        const SysResult r = h.accept(fd, &nfd, &peer);
        if (!r.block && r.err == Errno::ok) {
            run.new_socket(a, nfd);
            names[st.as] = nfd;
            ret.new_sock = st.as;
            ret.peer = addr_string(peer);
        }
        return r;
    }
    SysResult operator()(const calls::Connect& c) {
        const SysResult r = h.connect(fd, c.to);
        if (!r.block && r.err == Errno::ok) {
            if (const Socket* s = h.sock(fd)) ret.local = addr_string(s->local);
        }
        return r;
    }
    SysResult operator()(const calls::Send& c) {
        // A blocking send returns when all of its data is in the send buffer; what a try
        // could not take waits for the next one.
        const std::string_view rest = std::string_view(c.data).substr(a.sent);
        SysResult r = h.send(fd, rest, c.nosignal);
        if (!r.block && r.err == Errno::ok) {
            a.sent += static_cast<std::size_t>(r.value);
            const Socket* s = h.sock(fd);
            if (a.sent < c.data.size() && s && !s->nonblock) return SysResult::wait();
            return SysResult::ok(static_cast<long>(a.sent));
        }
        if (!r.block && a.sent > 0)
            return SysResult::ok(static_cast<long>(a.sent));  // a partial write returns its count
        return r;
    }
    SysResult operator()(const calls::Recv& c) {
        std::string data;
        const SysResult r = h.recv(fd, c.max, &data);
        if (!r.block && r.err == Errno::ok && r.value > 0 && data.size() <= 256 && printable(data))
            ret.data = std::move(data);
        return r;
    }
    SysResult operator()(const calls::Shutdown& c) { return h.shutdown(fd, c.rd, c.wr); }
    SysResult operator()(const calls::Close&) {
        const SysResult r = h.close(fd);
        if (r.err == Errno::ok) names.erase(st.sock);
        return r;
    }
    SysResult operator()(const calls::Poll& c) {
        const unsigned ready = h.poll(fd) & (c.events | kPollErr | kPollHup);
        if (ready) {
            ret.revents = poll_list(ready);
            return SysResult::ok(1);
        }
        if (c.timeout == 0) {
            ret.revents.emplace();
            return SysResult::ok(0);
        }
        return SysResult::wait();
    }
    SysResult operator()(const calls::Sleep&) { return SysResult::ok(0); }
};

void Runner::attempt(AppState& a) {
    const AppSpec& spec = sc_.apps[static_cast<std::size_t>(a.index)];
    const StepSpec& st = spec.steps[a.step];
    Host& h = host_of(a);
    auto& names = handles_[static_cast<std::size_t>(spec.host)];
    const int fd = st.sock.empty() ? -1 : fd_of(a, st.sock);
    ev::Return ret;
    const SysResult r = !st.sock.empty() && fd < 0
                            ? SysResult::fail(Errno::ebadf)
                            : std::visit(CallAttempt{*this, a, st, h, names, fd, ret}, st.call);
    if (r.block) {
        a.wait_host = spec.host;
        a.wait_fd = fd;
        fd_waiters_[fd_key(spec.host, fd)].push_back(a.index);
        return;
    }
    finish(a, r, std::move(ret));
}

}  // namespace tcplab
