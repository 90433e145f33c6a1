#ifndef TCP_FAKE_H
#define TCP_FAKE_H
#define TCP_FAKE_MSS 1460
int tcp_fake_step(int key);
#endif
