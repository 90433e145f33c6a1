#ifndef WIRE_FAKE_H
#define WIRE_FAKE_H
int wire_fake_parse(int byte);
#endif
