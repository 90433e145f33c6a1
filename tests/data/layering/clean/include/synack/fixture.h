/* A public header: anyone may include it. */
#ifndef SYNACK_FIXTURE_H
#define SYNACK_FIXTURE_H
#define FIXTURE_VERSION 1
#endif
