/* table may use base and wire. */
#include "table/fake_table.h"
#include "base/base_util.h"
#include "wire/wire_fake.h"

int fake_table_lookup(int key)
{
    return base_add(wire_fake_parse(key), 2);
}
