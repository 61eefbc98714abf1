#!/usr/bin/env bash
# The README's test command: every test in the solution, on a fresh machine with only the .NET SDK.
#
# Two kinds of tests need a program the .NET SDK does not bring: the resolver tests run against a
# real DNS server (dnsmasq), and the sample apps' browser tests drive Chromium. This script installs
# Debian's packages for them when they are missing (it needs root or password-less sudo for that),
# and otherwise says exactly what to install; then it runs `dotnet test` with any arguments given.
set -uo pipefail
cd "$(dirname "$0")"

need=()
[ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base)
[ -x /usr/bin/chromium ] || need+=(chromium)

if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  if command -v apt-get >/dev/null 2>&1 && { [ -z "$sudo" ] || sudo -n true 2>/dev/null; }; then
    echo "test.sh: installing ${need[*]} (Debian packages) for the DNS and browser tests..."
    if ! ($sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}") >/dev/null 2>&1; then
      echo "test.sh: could not install ${need[*]}. Install them yourself: sudo apt-get install ${need[*]}" >&2
    fi
  else
    echo "test.sh: missing ${need[*]}; the tests that need them will fail." >&2
    echo "  On Debian or Ubuntu: sudo apt-get install ${need[*]}" >&2
    echo "  Elsewhere: dnsmasq must be at /usr/sbin/dnsmasq and Chromium at /usr/bin/chromium." >&2
  fi
fi

exec dotnet test SecureAoai.sln "$@"
