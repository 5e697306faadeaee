/* A plugin that leaves the required handle_event NULL. */
#include "plugin_abi.h"
#include <stdlib.h>

static sb_status create(const sb_host_api *h, sb_host_ctx *c, sb_bytes t, sb_bytes cfg, sb_instance **o, sb_owned_bytes *e) {
    (void)h; (void)c; (void)t; (void)cfg; (void)e; *o = NULL; return SB_OK;
}
static void destroy(sb_instance *i) { (void)i; }
static void release(sb_owned_bytes b) { free(b.ptr); }

static const sb_plugin_descriptor descriptor = {
    .struct_size = sizeof(sb_plugin_descriptor),
    .abi_major = SB_ABI_MAJOR,
    .abi_minor = SB_ABI_MINOR,
    .plugin_id = "half-plugin",
    .plugin_version = "1.0.0",
    .create_instance = create,
    .destroy_instance = destroy,
    .free_bytes = release,
};

const sb_plugin_descriptor *switchboard_plugin_entry_v1(uint16_t major, uint16_t minor) {
    (void)major; (void)minor;
    return &descriptor;
}
