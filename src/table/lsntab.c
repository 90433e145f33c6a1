/*
 * table/lsntab.c - the listeners by local port of table/lsntab.h.
 */
#include "table/lsntab.h"

#include <stddef.h>

void lsntab_insert(struct lsntab *t, struct lsn_node *node, uint16_t port)
{
    if (node->in) return;
    struct lsn_node **head = &t->b[lsntab_bucket(port)];
    node->port = port;
    node->next = *head;
    *head = node;
    node->in = true;
}

void lsntab_remove(struct lsntab *t, struct lsn_node *node)
{
    if (!node->in) return;
    for (struct lsn_node **pp = &t->b[lsntab_bucket(node->port)]; *pp; pp = &(*pp)->next) {
        if (*pp == node) {
            *pp = node->next;
            break;
        }
    }
    node->next = NULL;
    node->in = false;
}
