/* entry may use base, wire, table and tcp. */
#include "../tcp/tcp_fake.h"
#include "table/fake_table.h"

int entry_fake_input(int key);
int entry_fake_input(int key)
{
    return tcp_fake_step(key) + fake_table_lookup(key);
}
