/* A plugin that needs a host one ABI minor newer than this header: a host of this minor must refuse it with the
 * reason, not load it and fail later. */
#include "plugin_abi.h"
#include <stddef.h>

static sb_status create(const sb_host_api *h, sb_host_ctx *c, sb_bytes t, sb_bytes cfg, sb_instance **o, sb_owned_bytes *e) {
    (void)h; (void)c; (void)t; (void)cfg; (void)o; (void)e;
    return SB_ERROR;
}
static sb_status event(sb_instance *i, sb_bytes e, sb_owned_bytes *o) { (void)i; (void)e; (void)o; return SB_OK; }
static void destroy(sb_instance *i) { (void)i; }
static void release(sb_owned_bytes b) { (void)b; }

static const sb_plugin_descriptor descriptor = {
    .struct_size = sizeof(sb_plugin_descriptor),
    .abi_major = SB_ABI_MAJOR,
    .abi_minor = SB_ABI_MINOR + 1,
    .plugin_id = "needs-newer",
    .plugin_version = "1.0.0",
    .create_instance = create,
    .handle_event = event,
    .destroy_instance = destroy,
    .free_bytes = release,
    .min_host_minor = SB_ABI_MINOR + 1,
};

const sb_plugin_descriptor *switchboard_plugin_entry_v1(uint16_t major, uint16_t minor) {
    (void)major; (void)minor;
    return &descriptor;
}
