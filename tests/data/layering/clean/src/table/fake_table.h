#ifndef FAKE_TABLE_H
#define FAKE_TABLE_H
int fake_table_lookup(int key);
#endif
