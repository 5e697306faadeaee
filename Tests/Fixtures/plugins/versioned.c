/*
 * A plugin built in two versions (-DVERSION='"1.0.0"' or '"2.0.0"') for the hot-swap tests.
 * The config names a directory `dir` it signals through:
 *   GET /api/version answers {"version": VERSION}
 *   GET /api/slow    creates <dir>/entered-VERSION, waits (up to 60 s) until <dir>/gate exists, then
 *                    answers {"version": VERSION}
 * and destroying the instance creates <dir>/destroyed-VERSION.
 */
#include "plugin_abi.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef VERSION
#define VERSION "0.0.0"
#endif

struct sb_instance { char dir[512]; };

static sb_owned_bytes copy_out(const char *s, size_t n) {
    sb_owned_bytes o = {malloc(n), n};
    memcpy(o.ptr, s, n);
    return o;
}

static void touch(sb_instance *self, const char *name) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", self->dir, name);
    FILE *f = fopen(path, "w");
    if (f) fclose(f);
}

static sb_status create(const sb_host_api *h, sb_host_ctx *c, sb_bytes t, sb_bytes cfg, sb_instance **o, sb_owned_bytes *e) {
    (void)h; (void)c; (void)t; (void)e;
    sb_instance *self = calloc(1, sizeof *self);
    /* The config is {"dir":"<path>"}: take the string after the colon. */
    const char *end = (const char *)cfg.ptr + cfg.len;
    const char *start = cfg.len ? memchr(cfg.ptr, ':', cfg.len) : NULL;
    if (start && (start = memchr(start, '"', (size_t)(end - start)))) {
        start++;
        size_t n = 0;
        while (start + n < end && start[n] != '"' && n < sizeof self->dir - 1) n++;
        memcpy(self->dir, start, n);
    }
    *o = self;
    return SB_OK;
}

static sb_status event(sb_instance *i, sb_bytes e, sb_owned_bytes *o) { (void)i; (void)e; (void)o; return SB_OK; }

static sb_status http(sb_instance *self, sb_bytes request, sb_owned_bytes *out) {
    static const char slow[] = "\"path\":\"/api/slow\"";
    int is_slow = 0;
    for (size_t i = 0; i + sizeof slow - 1 <= request.len; i++) {
        if (memcmp(request.ptr + i, slow, sizeof slow - 1) == 0) is_slow = 1;
    }
    if (is_slow) {
        touch(self, "entered-" VERSION);
        char gate[600];
        snprintf(gate, sizeof gate, "%s/gate", self->dir);
        for (int waited = 0; access(gate, F_OK) != 0 && waited < 6000; waited++) usleep(10000);
    }
    static const char body[] = "{\"status\":200,\"json\":{\"version\":\"" VERSION "\"}}";
    *out = copy_out(body, sizeof body - 1);
    return SB_OK;
}

static void destroy(sb_instance *self) {
    touch(self, "destroyed-" VERSION);
    free(self);
}

static void release(sb_owned_bytes b) { free(b.ptr); }

static const sb_plugin_descriptor descriptor = {
    .struct_size = sizeof(sb_plugin_descriptor),
    .abi_major = SB_ABI_MAJOR,
    .abi_minor = SB_ABI_MINOR,
    .plugin_id = "versioned",
    .plugin_version = VERSION,
    .capabilities = SB_CAP_HTTP_ROUTES,
    .routes_json = "[{\"method\":\"GET\",\"path\":\"/api/version\",\"permission\":\"public\"},"
                   "{\"method\":\"GET\",\"path\":\"/api/slow\",\"permission\":\"public\"}]",
    .create_instance = create,
    .handle_event = event,
    .handle_http = http,
    .destroy_instance = destroy,
    .free_bytes = release,
};

const sb_plugin_descriptor *switchboard_plugin_entry_v1(uint16_t major, uint16_t minor) {
    (void)major; (void)minor;
    return &descriptor;
}
