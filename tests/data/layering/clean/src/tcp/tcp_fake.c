/* tcp may use base, wire and table. */
#include "tcp_fake.h"
#include "base/base_util.h"
#include "table/fake_table.h"

int tcp_fake_step(int key)
{
    return base_add(fake_table_lookup(key), TCP_FAKE_MSS);
}
