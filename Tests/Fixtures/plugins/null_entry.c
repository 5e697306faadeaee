/* A plugin whose entry point declines every host. */
#include "plugin_abi.h"
const sb_plugin_descriptor *switchboard_plugin_entry_v1(uint16_t major, uint16_t minor) {
    (void)major; (void)minor;
    return 0;
}
