#ifndef BASE_UTIL_H
#define BASE_UTIL_H
#include "synack/fixture.h"
int base_add(int a, int b);
#endif
