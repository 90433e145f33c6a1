/* A clean file in a folder that no layer declares. */
#include "base/base_util.h"

int stray(int a);
int stray(int a)
{
    return base_add(a, a);
}
