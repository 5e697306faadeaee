/*
 * HelloC — the smallest complete Switchboard plugin, in plain C.
 *
 * It proves the ABI is language-neutral: it includes only plugin_abi.h and
 * the C library. It
 *   - greets on GET /api/hello (a plugin route);
 *   - subscribes to message.received (ABI 1.3 subscriptions_json) and answers
 *     every event by returning the event's bytes (an echo); `bench.ping`
 *     events (the ABI benchmark calls handle_event directly) are only echoed;
 *   - counts the events it has seen in the tenant-scoped record store
 *     (collection "counters", key "events"), so tests can check isolation;
 *   - runs its jobs: kind "count" adds one to counters/jobs; kind "flaky" asks
 *     for a retry (SB_RETRY) on its first attempt, then counts like "count".
 */
#include "hello_c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sb_instance {
    const sb_host_api *host;
    sb_host_ctx *ctx;
};

static sb_bytes text(const char *s) {
    sb_bytes b = {(const uint8_t *)s, strlen(s)};
    return b;
}

static sb_owned_bytes copy_out(const void *data, size_t len) {
    sb_owned_bytes out = {NULL, 0};
    if (len == 0) return out;
    out.ptr = malloc(len);
    if (out.ptr == NULL) return out;
    memcpy(out.ptr, data, len);
    out.len = len;
    return out;
}

static void hello_free(sb_owned_bytes buffer) { free(buffer.ptr); }

static sb_status hello_create(const sb_host_api *host, sb_host_ctx *ctx, sb_bytes tenant, sb_bytes config,
                              sb_instance **out_instance, sb_owned_bytes *out_error) {
    (void)tenant;
    (void)config;
    if (host == NULL || !SB_HAS_MEMBER(host, sb_host_api, free_bytes)) {
        static const char err[] = "{\"code\":\"host_too_old\",\"message\":\"HelloC needs host ABI 1.0\"}";
        *out_error = copy_out(err, sizeof err - 1);
        return SB_UNSUPPORTED;
    }
    sb_instance *instance = calloc(1, sizeof *instance);
    if (instance == NULL) return SB_ERROR;
    instance->host = host;
    instance->ctx = ctx;
    host->log(ctx, SB_LOG_INFO, text("HelloC instance created"));
    *out_instance = instance;
    return SB_OK;
}

/* Increments a counter (collection "counters") in the record store and returns the new value. */
static long bump_counter(sb_instance *self, const char *key) {
    long count = 0;
    sb_owned_bytes current = {NULL, 0};
    if (self->host->store_get(self->ctx, text("counters"), text(key), &current) == SB_OK) {
        char buf[32] = {0};
        size_t n = current.len < sizeof buf - 1 ? current.len : sizeof buf - 1;
        memcpy(buf, current.ptr, n);
        count = strtol(buf, NULL, 10);
    }
    self->host->free_bytes(current);
    count += 1;
    char value[32];
    int len = snprintf(value, sizeof value, "%ld", count);
    sb_bytes v = {(const uint8_t *)value, (size_t)len};
    self->host->store_put(self->ctx, text("counters"), text(key), v);
    return count;
}

/* Whether the event JSON names the type "bench.ping". */
static int is_bench_ping(sb_bytes event) {
    static const char needle[] = "\"type\":\"bench.ping\"";
    size_t n = sizeof needle - 1;
    for (size_t i = 0; i + n <= event.len; i++) {
        if (memcmp(event.ptr + i, needle, n) == 0) return 1;
    }
    return 0;
}

static sb_status hello_event(sb_instance *self, sb_bytes event, sb_owned_bytes *out) {
    if (!is_bench_ping(event)) bump_counter(self, "events");
    /* Echo: the reply is the event itself. */
    *out = copy_out(event.ptr, event.len);
    return SB_OK;
}

static sb_status hello_http(sb_instance *self, sb_bytes request, sb_owned_bytes *out) {
    (void)request;
    sb_owned_bytes current = {NULL, 0};
    char count[32] = "0";
    if (self->host->store_get(self->ctx, text("counters"), text("events"), &current) == SB_OK) {
        size_t n = current.len < sizeof count - 1 ? current.len : sizeof count - 1;
        memcpy(count, current.ptr, n);
        count[n] = 0;
    }
    self->host->free_bytes(current);
    char body[160];
    int len = snprintf(body, sizeof body,
                       "{\"status\":200,\"json\":{\"hello\":\"from C\",\"events_seen\":%s}}", count);
    *out = copy_out(body, (size_t)len);
    return SB_OK;
}

/* The text after `"name":` in a job, or NULL. The host sends compact JSON with sorted keys, so the
 * top-level "attempt", "id" and "kind" come before "payload" and are found first. */
static const char *member(const char *json, const char *name) {
    char pattern[32];
    snprintf(pattern, sizeof pattern, "\"%s\":", name);
    const char *at = strstr(json, pattern);
    return at == NULL ? NULL : at + strlen(pattern);
}

/* Returns `status` with the JSON error body `error`. */
static sb_status fail(sb_owned_bytes *out, sb_status status, const char *error) {
    *out = copy_out(error, strlen(error));
    return status;
}

static sb_status hello_job(sb_instance *self, sb_bytes job, sb_owned_bytes *out) {
    char *json = calloc(1, job.len + 1);
    if (json == NULL) return SB_ERROR;
    if (job.len > 0) memcpy(json, job.ptr, job.len);
    const char *kind = member(json, "kind");
    const char *attempt = member(json, "attempt");
    int count = kind != NULL && strncmp(kind, "\"count\"", 7) == 0;
    int flaky = kind != NULL && strncmp(kind, "\"flaky\"", 7) == 0;
    long attempt_number = attempt == NULL ? 0 : strtol(attempt, NULL, 10);
    free(json);
    if (!count && !flaky) return fail(out, SB_BAD_ARGUMENT, "{\"code\":\"unknown_kind\",\"message\":\"HelloC runs count and flaky jobs\"}");
    if (flaky && attempt_number <= 1) return fail(out, SB_RETRY, "{\"code\":\"flaky\",\"message\":\"flaky fails its first attempt\"}");
    bump_counter(self, "jobs");
    return SB_OK;
}

static void hello_destroy(sb_instance *self) { free(self); }

static const sb_plugin_descriptor descriptor = {
    .struct_size = sizeof(sb_plugin_descriptor),
    .abi_major = SB_ABI_MAJOR,
    .abi_minor = SB_ABI_MINOR,
    .plugin_id = "hello-c",
    .plugin_version = "1.0.0",
    .capabilities = SB_CAP_FLOWS | SB_CAP_HTTP_ROUTES | SB_CAP_JOBS,
    .routes_json = "[{\"method\":\"GET\",\"path\":\"/api/hello\",\"permission\":\"contacts:read\"}]",
    .create_instance = hello_create,
    .handle_event = hello_event,
    .handle_http = hello_http,
    .run_job = hello_job,
    .query_analytics = NULL,
    .destroy_instance = hello_destroy,
    .free_bytes = hello_free,
    .subscriptions_json = "[\"message.received\"]",
    .min_host_minor = 0,
};

/* A 1.2 host ignores subscriptions_json and delivers message.received to flows plugins anyway, so HelloC runs on
 * every 1.x host. */
const sb_plugin_descriptor *switchboard_plugin_entry_v1(uint16_t host_major, uint16_t host_minor) {
    (void)host_minor;
    return host_major == SB_ABI_MAJOR ? &descriptor : NULL;
}
