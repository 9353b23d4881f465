#!/usr/bin/env bash
# Regenerate the Linux oracle data in tests/data/linux/ from this machine's kernel.
# Usage (as root):  tools/oracle/generate.sh [CASE...]     (no argument: every case)
#                   tools/oracle/generate.sh --list
# Needs: iproute2 (ip, ss), tcpdump, python3 (standard library only). Each case builds its own
# network namespaces (client, server, wire), so no traffic leaves them; they are deleted after.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ "${1:-}" == "--list" ]]; then exec python3 "$here/oracle.py" --list; fi
if [[ $EUID -ne 0 ]]; then echo "generate.sh: run as root (network namespaces, raw sockets)" >&2; exit 2; fi
for tool in ip ss tcpdump python3; do
  command -v "$tool" >/dev/null || { echo "generate.sh: missing $tool" >&2; exit 2; }
done
if [[ $# -eq 0 ]]; then exec python3 "$here/oracle.py" --all; fi
exec python3 "$here/oracle.py" "$@"
