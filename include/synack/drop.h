/*
 * synack/drop.h - why a datagram or segment was dropped: one table of named reasons that
 * the parsers return, the stack counts (synack_stats.drop_by_reason) and traces, and tools
 * print. Names are stable: counters, scripts and tests use them.
 */
#ifndef SYNACK_DROP_H
#define SYNACK_DROP_H

#ifdef __cplusplus
extern "C" {
#endif

/* Why a datagram or segment was dropped. Names are stable: counters and tests use them. */
#define SYNACK_DROP_REASONS(X)                                                                     \
    X(NONE, "none")                                                                                \
    X(IP_TRUNCATED, "ip-truncated")                                                                \
    X(IP_VERSION, "ip-version")                                                                    \
    X(IP_HDR_LEN, "ip-header-length")                                                              \
    X(IP_TOTAL_LEN, "ip-total-length")                                                             \
    X(IP_CHECKSUM, "ip-checksum")                                                                  \
    X(IP_FRAGMENT, "ip-fragment")                                                                  \
    X(IP_NOT_FOR_US, "ip-not-for-us")                                                              \
    X(IP_SRC_INVALID, "ip-source-invalid")                                                         \
    X(IP_PROTO, "ip-protocol-unsupported")                                                         \
    X(TCP_TRUNCATED, "tcp-truncated")                                                              \
    X(TCP_HDR_LEN, "tcp-header-length")                                                            \
    X(TCP_OPTION, "tcp-bad-option")                                                                \
    X(TCP_CHECKSUM, "tcp-checksum")                                                                \
    X(TCP_BAD_FLAGS, "tcp-bad-flags")                                                              \
    X(TCP_BAD_PORT, "tcp-port-zero")                                                               \
    X(TCP_NO_SOCKET, "tcp-no-socket")                                                              \
    X(TCP_NOT_ACCEPTABLE, "tcp-not-acceptable")                                                    \
    X(TCP_RST_INVALID, "tcp-rst-not-acceptable")                                                   \
    X(TCP_RST_CHALLENGED, "tcp-rst-in-window-challenged")                                          \
    X(TCP_SYN_CHALLENGED, "tcp-syn-challenged")                                                    \
    X(TCP_ACK_INVALID, "tcp-ack-not-acceptable")                                                   \
    X(TCP_NO_ACK, "tcp-no-ack-flag")                                                               \
    X(TCP_BACKLOG_FULL, "tcp-backlog-full")                                                        \
    X(TCP_TIME_WAIT, "tcp-time-wait")                                                              \
    X(TCP_REASS_FULL, "tcp-reassembly-full")                                                       \
    X(TCP_AFTER_CLOSE, "tcp-data-after-close")                                                     \
    X(TCP_CHALLENGE_LIMIT, "tcp-challenge-ack-limit")                                              \
    X(TCP_LISTEN_BAD, "tcp-listen-unexpected")                                                     \
    X(ICMP_TRUNCATED, "icmp-truncated")                                                            \
    X(ICMP_CHECKSUM, "icmp-checksum")                                                              \
    X(ICMP_TYPE, "icmp-type-ignored")                                                              \
    X(OUT_QUEUE_FULL, "out-queue-full")                                                            \
    X(LINK_LOSS, "link-loss")                                                                      \
    X(LINK_QUEUE_FULL, "link-queue-full")                                                          \
    X(LINK_MTU, "link-mtu")                                                                        \
    X(IP6_TRUNCATED, "ip6-truncated")                                                              \
    X(IP6_VERSION, "ip6-version")                                                                  \
    X(IP6_PAYLOAD_LEN, "ip6-payload-length")                                                       \
    X(IP6_EXT_CHAIN, "ip6-ext-chain-too-long")                                                     \
    X(IP6_EXT_TRUNCATED, "ip6-ext-truncated")                                                      \
    X(IP6_EXT_ORDER, "ip6-hop-by-hop-not-first")                                                   \
    X(IP6_OPTION, "ip6-option-unknown")                                                            \
    X(IP6_OPTION_LEN, "ip6-option-length")                                                         \
    X(IP6_ROUTING, "ip6-routing-header")                                                           \
    X(IP6_FRAGMENT, "ip6-fragment")                                                                \
    X(ICMP6_TRUNCATED, "icmp6-truncated")                                                          \
    X(ICMP6_CHECKSUM, "icmp6-checksum")                                                            \
    X(ICMP6_TYPE, "icmp6-type-ignored")                                                            \
    X(TCP_NO_MEMORY, "tcp-no-memory")                                                              \
    X(INPUT_PLACED_STALE, "input-placed-stale")

enum synack_drop_reason {
#define SYNACK_DROP_ENUM(name, text) SYNACK_DROP_##name,
    SYNACK_DROP_REASONS(SYNACK_DROP_ENUM)
#undef SYNACK_DROP_ENUM
        SYNACK_DROP_COUNT
};
/* "tcp-checksum", ... */
const char *synack_drop_name(int reason);

#ifdef __cplusplus
}
#endif
#endif
