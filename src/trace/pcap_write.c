/*
 * trace/pcap_write.c - writes the datagrams a stack sends to a classic pcap file, one IPv4
 * datagram per record with link type LINKTYPE_RAW (101), so that tcpdump, tshark and Wireshark
 * read synack's traffic like any other capture.
 *
 * The file format is the classic libpcap one (draft-ietf-opsawg-pcap): a 24-byte header, then
 * per packet a 16-byte record header and the bytes. We always write little-endian with the
 * microsecond magic 0xa1b2c3d4, so that the same run gives the same bytes on any host; readers
 * tell the byte order from the magic.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "synack/synack.h"
#include "synack/trace.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_SNAPLEN  262144u
#define LINKTYPE_RAW  101u /* not DLT_RAW's 12/14, which differ between platforms */

struct synack_pcap_writer {
    FILE *f;
    int err; /* first write error, reported by close */
};

static void put32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void put16le(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

synack_pcap_writer *synack_pcap_open(const char *path, int *err)
{
    int dummy;
    if (!err) err = &dummy;
    if (!path) {
        *err = SYNACK_EINVAL;
        return NULL;
    }
    synack_pcap_writer *w = calloc(1, sizeof *w);
    if (!w) {
        *err = SYNACK_ENOMEM;
        return NULL;
    }
    w->f = fopen(path, "wb");
    if (!w->f) {
        free(w);
        *err = SYNACK_ESYS;
        return NULL;
    }
    uint8_t h[24];
    put32le(h, PCAP_MAGIC_US);
    put16le(h + 4, 2); /* version 2.4 */
    put16le(h + 6, 4);
    put32le(h + 8, 0);  /* thiszone: timestamps are UTC */
    put32le(h + 12, 0); /* sigfigs */
    put32le(h + 16, PCAP_SNAPLEN);
    put32le(h + 20, LINKTYPE_RAW);
    if (fwrite(h, sizeof h, 1, w->f) != 1) {
        (void)fclose(w->f); /* failing already: ESYS is reported either way */
        free(w);
        *err = SYNACK_ESYS;
        return NULL;
    }
    *err = 0;
    return w;
}

int synack_pcap_write(synack_pcap_writer *w, uint64_t now, const uint8_t *pkt, uint32_t len)
{
    if (!w || (!pkt && len)) return SYNACK_EINVAL;
    uint32_t incl = len;
    if (incl > PCAP_SNAPLEN) incl = PCAP_SNAPLEN;
    uint8_t h[16];
    put32le(h, (uint32_t)(now / 1000000u));
    put32le(h + 4, (uint32_t)(now % 1000000u));
    put32le(h + 8, incl);
    put32le(h + 12, len);
    if (fwrite(h, sizeof h, 1, w->f) != 1 || (incl && fwrite(pkt, incl, 1, w->f) != 1)) {
        if (!w->err) w->err = SYNACK_ESYS;
        return SYNACK_ESYS;
    }
    return 0;
}

void synack_pcap_event(void *ctx, const struct synack_trace_event *ev)
{
    synack_pcap_writer *w = ctx;
    if (!w || !ev || !ev->pkt) return;
    /* Each datagram once, as sent: what arrives is some stack's SEG_OUT already. */
    if (ev->kind == SYNACK_TRACE_SEG_OUT || ev->kind == SYNACK_TRACE_PKT_OUT)
        synack_pcap_write(w, ev->now, ev->pkt, ev->pkt_len);
}

void synack_pcap_close(synack_pcap_writer *w)
{
    if (!w) return;
    /* void by API: whoever needs to know that all was written calls synack_pcap_flush
     * first, which reports write errors. */
    (void)fclose(w->f);
    free(w);
}

int synack_pcap_flush(synack_pcap_writer *w)
{
    if (!w) return SYNACK_EINVAL;
    if (fflush(w->f) != 0 && !w->err) w->err = SYNACK_ESYS;
    return w->err;
}
