/*
 * pd_proc.c - the kernel's /proc/net views of the stack under test, for the shell commands
 * of a script (Linux's suite reads counters with `nstat` and sockets from /proc/net/tcp).
 *
 * A shell command of a script runs in a child of packetdrill and would read the kernel's
 * files, which know nothing of synack. Before each command (the preload library's system(),
 * synack_pd_preload.c) the plug-in writes synack's own figures into a directory of its
 * own, in the kernel's formats:
 *   - netstat and snmp: the counters the stack keeps (synack_get_stats), each under the
 *     name Linux gives the same count (TcpExt: OutOfWindowIcmps, TCPFastOpenPassive, ...;
 *     Tcp: ActiveOpens, InSegs, ...). Only counters synack keeps are listed: a name synack
 *     has no count for is absent, never 0 made up. snmp6 is empty.
 *   - tcp and tcp6: one line per socket the application holds (a descriptor of the
 *     plug-in's), in Linux's format: addresses and ports, Linux's state number, the bytes
 *     queued each way; the timer, uid and inode columns are 0. Sockets the application
 *     does not hold (a listener's queue, TIME-WAIT records) are not listed.
 * nstat reads the files the environment names (iproute2's PROC_NET_NETSTAT, PROC_NET_SNMP,
 * PROC_NET_SNMP6, and NSTAT_HISTORY for its history, so that parallel runs do not share
 * one); for /proc/net/tcp and tcp6 the preload library, inherited by the command's
 * processes through LD_PRELOAD, opens the file here instead (SYNACK_PD_PROC_NET).
 */

#include "pd_proc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const files[] = {"netstat", "snmp", "snmp6", "tcp", "tcp6", "nstat.history"};

bool pd_proc_init(char *dir)
{
    static const char tmpl[] = "/tmp/synack-pd-proc.XXXXXX";
    memcpy(dir, tmpl, sizeof tmpl); /* dir has room for 64 bytes */
    if (!mkdtemp(dir)) return false;
    char path[128];
    static const struct {
        const char *env, *file;
    } vars[] = {{"PROC_NET_NETSTAT", "netstat"},
                {"PROC_NET_SNMP", "snmp"},
                {"PROC_NET_SNMP6", "snmp6"},
                {"NSTAT_HISTORY", "nstat.history"}};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, vars[i].file);
        setenv(vars[i].env, path, 1);
    }
    setenv("SYNACK_PD_PROC_NET", dir, 1);
    return true;
}

/* Writes path atomically (a temporary file renamed), so that a reader never sees half. */
static FILE *open_tmp(const char *dir, const char *name, char *tmp, size_t cap)
{
    snprintf(tmp, cap, "%s/.%s.tmp", dir, name);
    return fopen(tmp, "w");
}

static void close_tmp(FILE *fp, const char *dir, const char *name, const char *tmp)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (fclose(fp) == 0) (void)rename(tmp, path);
}

struct mib {
    const char *name;
    uint64_t v;
};

/* One group as Linux prints it: a line of names, then a line of values. */
static void group(FILE *fp, const char *prefix, const struct mib *m, size_t n)
{
    fprintf(fp, "%s:", prefix);
    for (size_t i = 0; i < n; i++) fprintf(fp, " %s", m[i].name);
    fprintf(fp, "\n%s:", prefix);
    for (size_t i = 0; i < n; i++) fprintf(fp, " %llu", (unsigned long long)m[i].v);
    fprintf(fp, "\n");
}

/* Linux's TCP state numbers (include/net/tcp_states.h). */
static int linux_state(int s)
{
    switch (s) {
    case SYNACK_ESTABLISHED:
        return 1;
    case SYNACK_SYN_SENT:
        return 2;
    case SYNACK_SYN_RECEIVED:
        return 3;
    case SYNACK_FIN_WAIT_1:
        return 4;
    case SYNACK_FIN_WAIT_2:
        return 5;
    case SYNACK_TIME_WAIT:
        return 6;
    case SYNACK_CLOSE_WAIT:
        return 8;
    case SYNACK_LAST_ACK:
        return 9;
    case SYNACK_LISTEN:
        return 10;
    case SYNACK_CLOSING:
        return 11;
    default:
        return 7; /* CLOSED */
    }
}

/* An address as /proc/net/tcp prints it: the 32-bit words in host order, in hex. */
static void addr_hex(char *out, const struct synack_addr *a, bool v6)
{
    size_t words = v6 ? 4 : 1, first = v6 ? 0 : 3;
    out[0] = 0;
    for (size_t w = 0; w < words; w++) {
        uint32_t host;
        /* The bytes in network order, read as the host reads memory. */
        memcpy(&host, a->bytes + 4 * (first + w), 4);
        (void)snprintf(out + 8 * w, 9, "%08X", (unsigned)host);
    }
}

static void tcp_file(const char *dir, synack_stack *st, const struct pd_proc_sock *socks, int n,
                     bool v6)
{
    char tmp[160];
    const char *name = v6 ? "tcp6" : "tcp";
    FILE *fp = open_tmp(dir, name, tmp, sizeof tmp);
    if (!fp) return;
    fprintf(fp, "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
                "   uid  timeout inode\n");
    int sl = 0;
    for (int i = 0; i < n; i++) {
        struct synack_sockinfo in;
        if (synack_getinfo(st, socks[i].sd, &in) < 0) continue;
        if (socks[i].inet6 != v6) continue;
        char la[40], ra[40];
        addr_hex(la, &in.local.addr, v6);
        addr_hex(ra, &in.remote.addr, v6);
        int state = socks[i].listening ? 10 : linux_state(in.state);
        fprintf(fp, "%4d: %s:%04X %s:%04X %02X %08X:%08X 00:00000000 00000000     0        0 0\n",
                sl++, la, in.local.port, ra, in.remote.port, state, in.snd_queued, in.rcv_queued);
    }
    close_tmp(fp, dir, name, tmp);
}

void pd_proc_write(const char *dir, synack_stack *st, const struct pd_proc_sock *socks, int n)
{
    struct synack_stats s;
    synack_get_stats(st, &s);
    char tmp[160];
    FILE *fp = open_tmp(dir, "netstat", tmp, sizeof tmp);
    if (fp) {
        const struct mib ext[] = {
            {"SyncookiesSent", s.syn_cookies_sent},
            {"SyncookiesRecv", s.syn_cookies_accepted},
            {"SyncookiesFailed", s.syn_cookies_failed},
            {"OutOfWindowIcmps", s.icmp_out_of_window},
            {"TCPTimeouts", s.rto_timeouts},
            {"TCPLossProbes", s.tlp_probes},
            {"TCPFastRetrans", s.fast_retransmits},
            {"TCPSpuriousRTOs", s.spurious_rtos},
            {"TCPDSACKRecv", s.dsacks_in},
            {"TCPChallengeACK", s.challenge_acks},
            {"TCPFastOpenActive", s.tfo_active},
            {"TCPFastOpenActiveFail", s.tfo_active_failed},
            {"TCPFastOpenPassive", s.tfo_passive},
            {"TCPFastOpenCookieReqd", s.tfo_cookie_reqs},
        };
        group(fp, "TcpExt", ext, sizeof ext / sizeof ext[0]);
        close_tmp(fp, dir, "netstat", tmp);
    }
    fp = open_tmp(dir, "snmp", tmp, sizeof tmp);
    if (fp) {
        const struct mib ip[] = {{"InReceives", s.ip_in}, {"OutRequests", s.ip_out}};
        const struct mib icmp[] = {{"InMsgs", s.icmp_in}, {"OutMsgs", s.icmp_out}};
        const struct mib tcp[] = {
            {"ActiveOpens", s.conn_opened_active},
            {"PassiveOpens", s.conn_opened_passive},
            {"InSegs", s.tcp_in},
            {"OutSegs", s.tcp_out},
            {"RetransSegs", s.retransmits},
            {"OutRsts", s.rst_out},
        };
        group(fp, "Ip", ip, 2);
        group(fp, "Icmp", icmp, 2);
        group(fp, "Tcp", tcp, sizeof tcp / sizeof tcp[0]);
        close_tmp(fp, dir, "snmp", tmp);
    }
    fp = open_tmp(dir, "snmp6", tmp, sizeof tmp);
    if (fp) close_tmp(fp, dir, "snmp6", tmp);
    tcp_file(dir, st, socks, n, false);
    tcp_file(dir, st, socks, n, true);
}

void pd_proc_remove(const char *dir)
{
    char path[160];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        (void)unlink(path);
    }
    (void)rmdir(dir);
}
