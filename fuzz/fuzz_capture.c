/*
 * fuzz/fuzz_capture.c - libFuzzer target for the capture reader (src/capture/capture.c):
 * the input is a capture file, pcap or pcapng, read from memory.
 *
 * libpcap reads files only, so the input is written to a memfd and opened by its
 * /proc/self/fd path, through tr_capture_open() as `synack trace` opens a file. Every record
 * is read with tr_capture_next() until the end, an error or 4096 records. Besides, the
 * decoders run on the input as one record of every link type. Whatever the bytes: no crash,
 * no sanitizer report, no leak, and a decoded TCP segment's header fields and captured
 * payload lie inside the record (payload_captured <= payload_len).
 *
 * Built only with libpcap (CMake leaves it out otherwise; its ctest smoke test skips).
 *
 *   make fuzz    (or: build-fuzz/fuzz_capture fuzz/corpus/fuzz_capture)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

static void check_packet(const struct tr_packet *p, const uint8_t *rec, uint32_t caplen)
{
    CHECK(p->kind >= TR_PKT_TCP4 && p->kind <= TR_PKT_BAD);
    if (p->kind != TR_PKT_TCP4 && p->kind != TR_PKT_TCP6) return;
    const struct synack_segment *s = &p->seg;
    CHECK((p->kind == TR_PKT_TCP6 || s->ip.hdr_len >= 20) && s->tcp.hdr_len >= 20);
    CHECK(p->payload_captured <= s->payload_len);
    CHECK(s->payload >= rec && s->payload + p->payload_captured <= rec + caplen);
    CHECK(p->opts_cut ? p->payload_captured == 0 : 1);
}

static void decode_all_links(const uint8_t *data, size_t size)
{
    uint32_t caplen = size > 0xffff ? 0xffff : (uint32_t)size;
    for (int link = TR_LINK_UNKNOWN; link <= TR_LINK_LOOP; link++) {
        struct tr_packet p;
        memset(&p, 0, sizeof p);
        /* once as captured whole, once as cut by a snaplen */
        tr_decode((enum tr_link)link, data, caplen, caplen, &p);
        check_packet(&p, data, caplen);
        memset(&p, 0, sizeof p);
        tr_decode((enum tr_link)link, data, caplen, caplen + 100, &p);
        check_packet(&p, data, caplen);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode_all_links(data, size);

    int fd = memfd_create("fuzz_capture", MFD_CLOEXEC);
    if (fd < 0) return 0;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) break;
        done += (size_t)n;
    }
    char path[64], err[512];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    tr_capture *c = tr_capture_open(path, err, sizeof err);
    if (c) {
        CHECK(tr_capture_link(c) != TR_LINK_UNKNOWN);
        CHECK(tr_capture_link_name(c) != NULL);
        struct tr_packet p;
        uint64_t frames = 0;
        while (frames < 4096 && tr_capture_next(c, &p, err, sizeof err) == 1) {
            CHECK(p.frame == ++frames);
            /* the record's bytes are libpcap's; only relations between fields are checked */
            CHECK(p.kind >= TR_PKT_TCP4 && p.kind <= TR_PKT_BAD);
            if (p.kind == TR_PKT_TCP4 || p.kind == TR_PKT_TCP6)
                CHECK(p.payload_captured <= p.seg.payload_len);
            CHECK(p.truncated == (p.caplen < p.origlen));
        }
        tr_capture_close(c);
    }
    close(fd);
    return 0;
}
