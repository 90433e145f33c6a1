/* Upward: wire may not use table. The prototype is written by hand instead of including
   table/fake_table.h, so only the symbol check sees it. */
#include "wire_fake.h"

int fake_table_lookup(int key);
int bad_call(int key);
int bad_call(int key)
{
    return fake_table_lookup(wire_fake_parse(key));
}
