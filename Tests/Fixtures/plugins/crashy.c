/*
 * A plugin that misbehaves on request, for the process-isolation tests:
 *   GET /api/ok    answers {"ok": true, "pid": <the process it runs in>}
 *   GET /api/crash raises SIGSEGV
 *   GET /api/hang  sleeps forever
 * and runs the job kind "crash_once", which crashes on its first run (after recording it in the
 * store) and succeeds on the next.
 */
#include "plugin_abi.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sb_instance { const sb_host_api *host; sb_host_ctx *ctx; };

static sb_bytes text(const char *s) { sb_bytes b = {(const uint8_t *)s, strlen(s)}; return b; }

static sb_owned_bytes copy_out(const char *s, size_t n) {
    sb_owned_bytes o = {malloc(n), n};
    memcpy(o.ptr, s, n);
    return o;
}

static int contains(sb_bytes haystack, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= haystack.len; i++) {
        if (memcmp(haystack.ptr + i, needle, n) == 0) return 1;
    }
    return 0;
}

static sb_status create(const sb_host_api *h, sb_host_ctx *c, sb_bytes t, sb_bytes cfg, sb_instance **o, sb_owned_bytes *e) {
    (void)t; (void)cfg; (void)e;
    sb_instance *self = calloc(1, sizeof *self);
    self->host = h;
    self->ctx = c;
    *o = self;
    return SB_OK;
}

static sb_status event(sb_instance *i, sb_bytes e, sb_owned_bytes *o) { (void)i; (void)e; (void)o; return SB_OK; }

static sb_status http(sb_instance *self, sb_bytes request, sb_owned_bytes *out) {
    (void)self;
    if (contains(request, "\"path\":\"/api/crash\"")) raise(SIGSEGV);
    if (contains(request, "\"path\":\"/api/hang\"")) for (;;) pause();
    char body[96];
    int len = snprintf(body, sizeof body, "{\"status\":200,\"json\":{\"ok\":true,\"pid\":%ld}}", (long)getpid());
    *out = copy_out(body, (size_t)len);
    return SB_OK;
}

static sb_status job(sb_instance *self, sb_bytes j, sb_owned_bytes *out) {
    (void)j; (void)out;
    sb_owned_bytes seen = {NULL, 0};
    if (self->host->store_get(self->ctx, text("state"), text("crashed"), &seen) == SB_OK) {
        self->host->free_bytes(seen);
        return SB_OK;
    }
    self->host->store_put(self->ctx, text("state"), text("crashed"), text("true"));
    raise(SIGSEGV);
    return SB_ERROR;
}

static void destroy(sb_instance *i) { free(i); }
static void release(sb_owned_bytes b) { free(b.ptr); }

static const sb_plugin_descriptor descriptor = {
    .struct_size = sizeof(sb_plugin_descriptor),
    .abi_major = SB_ABI_MAJOR,
    .abi_minor = SB_ABI_MINOR,
    .plugin_id = "crashy",
    .plugin_version = "1.0.0",
    .capabilities = SB_CAP_HTTP_ROUTES | SB_CAP_JOBS,
    .routes_json = "[{\"method\":\"GET\",\"path\":\"/api/ok\",\"permission\":\"public\"},"
                   "{\"method\":\"GET\",\"path\":\"/api/crash\",\"permission\":\"public\"},"
                   "{\"method\":\"GET\",\"path\":\"/api/hang\",\"permission\":\"public\"}]",
    .create_instance = create,
    .handle_event = event,
    .handle_http = http,
    .run_job = job,
    .destroy_instance = destroy,
    .free_bytes = release,
};

const sb_plugin_descriptor *switchboard_plugin_entry_v1(uint16_t major, uint16_t minor) {
    (void)major; (void)minor;
    return &descriptor;
}
