/*
 * A plugin "built against an older minor": its descriptor is exactly the v1.0 size
 * and reports minor 0. The host must load it whatever its own minor is.
 */
#include "plugin_abi.h"
#include <stdlib.h>
#include <string.h>

struct sb_instance { int unused; };

static sb_status create(const sb_host_api *h, sb_host_ctx *c, sb_bytes t, sb_bytes cfg, sb_instance **o, sb_owned_bytes *e) {
    (void)h; (void)c; (void)t; (void)cfg; (void)e;
    *o = calloc(1, sizeof(sb_instance));
    return SB_OK;
}
static sb_status event(sb_instance *i, sb_bytes e, sb_owned_bytes *o) {
    (void)i; (void)e;
    static const char reply[] = "{\"old\":true}";
    o->ptr = malloc(sizeof reply - 1);
    memcpy(o->ptr, reply, sizeof reply - 1);
    o->len = sizeof reply - 1;
    return SB_OK;
}
static void destroy(sb_instance *i) { free(i); }
static void release(sb_owned_bytes b) { free(b.ptr); }

static const sb_plugin_descriptor descriptor = {
    .struct_size = 96, /* sizeof(sb_plugin_descriptor) at ABI 1.0 */
    .abi_major = SB_ABI_MAJOR,
    .abi_minor = 0,
    .plugin_id = "old-minor",
    .plugin_version = "1.0.0",
    .create_instance = create,
    .handle_event = event,
    .destroy_instance = destroy,
    .free_bytes = release,
};

const sb_plugin_descriptor *switchboard_plugin_entry_v1(uint16_t major, uint16_t minor) {
    (void)major; (void)minor;
    return &descriptor;
}
