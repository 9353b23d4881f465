// How C++ errors cross into JavaScript, shared by every binding file in wasm/.
//
// Emscripten 3.1.6 gives JS no message for an uncaught C++ exception (with -fwasm-exceptions it
// surfaces as an opaque WebAssembly.Exception). So every binding catches at the boundary and
// throws a real JS Error instead:
//   tcplab::InputError   -> Error(what()), i.e. "<file>: <JSON pointer>: <what was expected>"
//   other std::exception -> Error("internal error: " + what())
// The JS exception is thrown only after the C++ handler has finished, so no C++ exception
// object is left behind on the wasm heap.
#pragma once

#include "tcplab/error.hpp"

#include <emscripten/val.h>

#include <exception>
#include <string>
#include <utility>

namespace tcplab::wasm {

// Throws `new Error(message)` in JavaScript. Never returns.
[[noreturn]] inline void throw_js_error(const std::string& message) {
    emscripten::val error = emscripten::val::global("Error").new_(message);
    error.throw_();
}

// Calls fn() and returns its result; any C++ exception becomes a JS Error (see above).
template <class Fn>
auto js_errors(Fn&& fn) -> decltype(fn()) {
    std::string message;
    try {
        return std::forward<Fn>(fn)();
    } catch (const InputError& e) {
        message = e.what();
    } catch (const std::exception& e) {
        message = std::string("internal error: ") + e.what();
    } catch (...) {
        message = "internal error: unknown exception";
    }
    throw_js_error(message);
}

}  // namespace tcplab::wasm
