# ipv6.bash - what the IPv6 interop tests (tests/scripts/interop_*6.sh) add to
# interop_common.bash; sourced after it. synack serve and connect give tun0 both families by
# default (kernel 10.7.0.1/24 and fd00:7::1/64, synack 10.7.0.2 and fd00:7::2): only these
# unique local addresses (RFC 4193), inside the test's own namespaces, are used.
# shellcheck shell=bash disable=SC2034 # HOST6 and STACK6 are for the sourcing tests

HOST6=fd00:7::1
STACK6=fd00:7::2

# check_capture6 and check_close
source "$(dirname "${BASH_SOURCE[0]}")/capture.bash"

# interop_common.bash turns IPv6 off in the namespace, so that its IPv4-only tests see no
# IPv6 at all (serve then notes it and runs IPv4 only). These tests turn it back on before
# serve creates tun0: a new device takes net.ipv6.conf.default's value.
inns sysctl -qw net.ipv6.conf.all.disable_ipv6=0 2>/dev/null || skip "no IPv6 in this kernel"
inns sysctl -qw net.ipv6.conf.default.disable_ipv6=0 2>/dev/null || skip "no IPv6 in this kernel"

# serve_has_ipv6: the running serve says it gave the stack fd00:7::2 (after start_serve).
serve_has_ipv6() {
    grep -q "synack 10.7.0.2/24 $STACK6/64;\|synack $STACK6/64;" "$WORK/serve.log" ||
        fail "serve did not configure IPv6: $(head -3 "$WORK/serve.log")"
}

# stats6: the server's /stats JSON, fetched over IPv6.
stats6() { inns timeout 10 curl -6 -s "http://[$STACK6]:${HTTP_PORT:-80}/stats"; }
# stat_of NAME JSON: one number from it.
stat_of() { echo "$2" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }


