// Plays a scenario on a simulator: apps are threads that run their steps in order; a blocking
// call waits until its socket changes and is then tried again, as a kernel's wait queue would.
// Waiting apps are indexed by what they wait for (a socket, another app's step), so a wake-up
// or a returning step costs what it wakes, not a scan of every app. The run limits of
// limits.hpp (sockets, connections, trace size) are enforced here as InputErrors.
//
// runner.cpp schedules steps and records calls and returns; runner_calls.cpp performs each call
// (one overload per call of step.hpp); runner_events.cpp performs the timed host events.
#pragma once

#include "tcplab/scenario.hpp"
#include "tcplab/simulator.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace tcplab {

class Runner {
public:
    Runner(const Scenario& sc, bool trace_on = true, std::string file = "scenario");
    // Returns false if the scenario's event budget ran out before it finished. Throws
    // InputError when the run goes beyond a limit of limits.hpp.
    bool run();
    ojson trace_json();
    Simulator& sim() { return sim_; }

private:
    struct AppState {
        int index = 0;
        std::size_t step = 0;
        long rep = 0;
        bool in_call = false;
        bool dead = false;
        bool waiting_dep = false;
        int returned = -1;  // index of the last step that returned
        int wait_host = -1, wait_fd = -1;
        std::size_t sent = 0;
        Time last_return = 0;
        std::uint64_t gen = 0, deadline_gen = 0;
    };
    struct CallAttempt;  // performs one try of a step's call (runner_calls.cpp)

    void start();
    Host& host_of(const AppState& a);
    void schedule_step(AppState& a);
    void begin_step(AppState& a);
    void emit_call(AppState& a, const StepSpec& st);
    void attempt(AppState& a);
    void finish(AppState& a, SysResult r, ev::Return&& ret);
    void step_returned(const AppState& done);
    void wake(int host, int fd);
    void kill_process(int host);
    void host_event(const EventSpec& event);
    int fd_of(const AppState& a, const std::string& handle);
    void new_socket(const AppState& a, int fd);
    void check_run_limits();
    [[noreturn]] void limit_error(const std::string& pointer, const std::string& what);
    // The key of fd_waiters_.
    static std::uint64_t fd_key(int host, int fd) {
        return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(host)) << 32) |
               static_cast<std::uint32_t>(fd);
    }

    const Scenario& sc_;
    Simulator sim_;
    std::vector<AppState> apps_;
    std::vector<std::map<std::string, int>> handles_;
    std::string scenario_file_;
    std::vector<std::vector<int>> apps_of_host_;  // app indexes per host, in order
    std::vector<std::vector<int>> dep_waiters_;   // per app: apps whose step waits for it
    std::unordered_map<std::uint64_t, std::vector<int>> fd_waiters_;  // (host, fd) -> apps
    std::size_t echoed_text_ = 0;  // bytes of "text" the trace has repeated
};

}  // namespace tcplab
