/* base uses nothing but itself and the public headers. */
#include "base_util.h"

int base_add(int a, int b)
{
    return a + b + FIXTURE_VERSION - 1;
}
