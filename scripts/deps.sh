#!/bin/sh
# Installs the Debian packages that synack's tests and tools use. Only root can install;
# anyone else is told what is missing, and the tests that need it are reported as skipped.
PKGS="cmake make gcc clang libclang-rt-14-dev pkg-config libpcap-dev tshark tcpdump iproute2 iptables netcat-openbsd socat curl chromium ethtool python3 iputils-ping hping3 cppcheck clang-tidy clang-tools liblwip-dev liburing-dev gdb"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "deps: not root; missing:$missing (tests that need them are skipped)"
    exit 0
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no, without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null
apt-get update -qq >/dev/null 2>&1 || true
# Install one by one so that a package the mirror lacks does not block the others.
for p in $missing; do
    apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1 || echo "deps: could not install $p"
done
exit 0
