/* HelloC: a Switchboard plugin in plain C. It exports only the entry symbol. */
#ifndef HELLO_C_H
#define HELLO_C_H
#include "plugin_abi.h"
const sb_plugin_descriptor *switchboard_plugin_entry_v1(uint16_t host_major, uint16_t host_minor);
#endif
