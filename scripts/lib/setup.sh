# Shared setup for scripts/start and scripts/test. Source it, then call `tcplab_setup`.
#
# On a fresh Debian 12 machine (as root) it installs the system packages that dpkg says are
# missing, checks Node.js, and installs the web dependencies from web/package-lock.json.
# As non-root with everything present it changes nothing.

# Repository root, whatever the caller's working directory.
TCPLAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export TCPLAB_ROOT

# Debian packages the build and tests need (see docs in the README):
#   compilers and build:   g++ cmake ninja-build clang-14 libclang-rt-14-dev clang-format
#   C++ libraries:         nlohmann-json3-dev catch2 libbenchmark-dev libpcap-dev
#   WebAssembly:           emscripten
#   browser tests:         chromium (Playwright drives Debian's Chromium; nothing is downloaded),
#                          fonts-wqy-microhei (a CJK font, so Chinese text renders in the browser)
#   capture tooling:       tshark tcpdump
TCPLAB_APT_PACKAGES=(
    g++ cmake ninja-build clang-14 libclang-rt-14-dev clang-format
    nlohmann-json3-dev catch2 libbenchmark-dev libpcap-dev
    emscripten
    chromium fonts-wqy-microhei
    tshark tcpdump
)

# Node.js is not taken from Debian (Debian 12 ships 18.x). Vite 8 needs ^20.19 || >=22.12
# (Vitest 4 and Playwright 1.65 need 20 or newer).
TCPLAB_NODE_WANTED="^20.19.0 || >=22.12.0"

tcplab_say() { printf '[setup] %s\n' "$*"; }
tcplab_die() { printf '[setup] error: %s\n' "$*" >&2; return 1; }

tcplab_missing_packages() {
    local pkg
    for pkg in "${TCPLAB_APT_PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null | grep -q '^ii'; then
            printf '%s\n' "$pkg"
        fi
    done
}

tcplab_install_packages() {
    local missing
    mapfile -t missing < <(tcplab_missing_packages)
    if ((${#missing[@]} == 0)); then
        tcplab_say "system packages: all ${#TCPLAB_APT_PACKAGES[@]} present"
        return 0
    fi
    tcplab_say "system packages missing: ${missing[*]}"
    if [[ $(id -u) -ne 0 ]]; then
        tcplab_die "run as root, or install them first: apt-get install --no-install-recommends ${missing[*]}"
        return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Wait for another apt/dpkg run (e.g. at machine start) instead of failing on its lock.
    local lock=(-o DPkg::Lock::Timeout=600)
    apt-get "${lock[@]}" update -q || { tcplab_die "apt-get update failed"; return 1; }
    apt-get "${lock[@]}" install -y -q --no-install-recommends "${missing[@]}" ||
        { tcplab_die "apt-get install failed for: ${missing[*]}"; return 1; }
    mapfile -t missing < <(tcplab_missing_packages)
    if ((${#missing[@]} > 0)); then
        tcplab_die "still missing after apt-get install: ${missing[*]}"
        return 1
    fi
}

# Succeeds if version $1 >= version $2 (both x.y.z).
tcplab_version_ge() {
    [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]
}

tcplab_check_node() {
    if ! command -v node >/dev/null 2>&1; then
        tcplab_die "Node.js $TCPLAB_NODE_WANTED is required and 'node' is not on PATH" \
            "(Debian 12's own nodejs is 18.x, too old for Vite 8 / Vitest 4 / Playwright)"
        return 1
    fi
    local v major
    v="$(node --version)"
    v="${v#v}"
    major="${v%%.*}"
    if ! { { [[ "$major" == 20 ]] && tcplab_version_ge "$v" 20.19.0; } ||
        tcplab_version_ge "$v" 22.12.0; }; then
        tcplab_die "Node.js $v found, but $TCPLAB_NODE_WANTED is required" \
            "(Vite 8's requirement; Debian 12's own nodejs is 18.x)"
        return 1
    fi
    if ! command -v npm >/dev/null 2>&1; then
        tcplab_die "npm is not on PATH (it comes with Node.js)"
        return 1
    fi
    tcplab_say "node $v, npm $(npm --version 2>/dev/null)"
}

# npm ci when node_modules is missing or older than the lockfile.
tcplab_install_web() {
    local web="$TCPLAB_ROOT/web"
    if [[ ! -f "$web/package.json" ]]; then
        tcplab_die "web/package.json does not exist: the web dependencies cannot be installed"
        return 1
    fi
    if [[ ! -f "$web/package-lock.json" ]]; then
        tcplab_die "web/package-lock.json does not exist: npm ci needs the lockfile"
        return 1
    fi
    # npm ci writes node_modules/.package-lock.json, so its age says when it last ran.
    local stamp="$web/node_modules/.package-lock.json"
    if [[ -f "$stamp" && ! "$web/package-lock.json" -nt "$stamp" && ! "$web/package.json" -nt "$stamp" ]]; then
        tcplab_say "web/node_modules is up to date"
        return 0
    fi
    tcplab_say "npm ci in web/"
    (cd "$web" && npm ci --no-audit --no-fund) || { tcplab_die "npm ci failed in web/"; return 1; }
}

# Everything above, in order. Returns non-zero if any part failed (after trying all of them).
tcplab_setup() {
    local status=0
    tcplab_install_packages || status=1
    # Debian's emscripten needs node-acorn from /usr/share/nodejs, which NodeSource's node does not
    # search by default.
    export NODE_PATH=/usr/share/nodejs
    tcplab_check_node || status=1
    if ((status == 0)); then
        tcplab_install_web || status=1
    fi
    return "$status"
}
