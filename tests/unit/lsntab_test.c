/*
 * lsntab_test.c - the listeners-by-port table (table/lsntab.c): every port's chain gives
 * exactly the nodes entered under it, through ports that share a bucket, removals from the
 * front, middle and end, and double inserts and removes.
 */
#include "table/lsntab.h"
#include "test.h"

#define N 600

/* How many nodes the table gives for port, each checked to be under port and in. */
static int count(const struct lsntab *t, uint16_t port)
{
    int c = 0;
    for (struct lsn_node *n = lsntab_first(t, port); n; n = lsntab_next(n->next, port)) {
        ASSERT_EQ(n->port, port);
        ASSERT(n->in);
        c++;
    }
    return c;
}

TEST(each_port_gives_exactly_its_nodes)
{
    static struct lsntab t;
    static struct lsn_node nodes[N];
    memset(&t, 0, sizeof t);
    memset(nodes, 0, sizeof nodes);
    /* 600 nodes over 300 ports, 256 buckets: ports share buckets, two nodes a port. */
    for (int i = 0; i < N; i++) lsntab_insert(&t, &nodes[i], (uint16_t)(1000 + i % 300));
    lsntab_insert(&t, &nodes[0], 1000); /* already in: nothing */
    for (int p = 0; p < 300; p++) ASSERT_EQ(count(&t, (uint16_t)(1000 + p)), 2);
    ASSERT_EQ(count(&t, 999), 0);
    ASSERT_EQ(count(&t, 1300), 0);
    /* Out: every third node, then the same again (nothing). */
    for (int i = 0; i < N; i += 3) lsntab_remove(&t, &nodes[i]);
    for (int i = 0; i < N; i += 3) lsntab_remove(&t, &nodes[i]);
    for (int p = 0; p < 300; p++) {
        int want = 0;
        for (int i = p; i < N; i += 300) want += i % 3 != 0;
        ASSERT_EQ(count(&t, (uint16_t)(1000 + p)), want);
    }
    /* All out: every chain empty. */
    for (int i = 0; i < N; i++) lsntab_remove(&t, &nodes[i]);
    for (uint32_t b = 0; b < LSNTAB_BUCKETS; b++) ASSERT(t.b[b] == NULL);
}

TEST_MAIN()
