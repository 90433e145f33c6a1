/* Upward: base may not use tcp. Only a macro is taken, so only the include check sees it. */
#include "tcp/tcp_fake.h"

int bad_include_mss(void);
int bad_include_mss(void)
{
    return TCP_FAKE_MSS;
}
