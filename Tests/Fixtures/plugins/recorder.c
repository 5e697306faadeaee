/*
 * A plugin that records the events it is handed, for the event-pipeline tests. Built with
 *   -DPLUGIN_ID='"recorder-a"'        its id (default "recorder"), so a tenant can run two;
 *   -DSUBSCRIPTIONS='"[\"*\"]"'       its subscriptions_json (default every event);
 * and always with -fvisibility=hidden, to show SB_EXPORT keeps the entry point visible.
 *
 * handle_event stores each event it accepts under collection "seen", key "000001", "000002", …
 * in the order it handled them, the whole envelope as the value. It fails (SB_ERROR) an event
 * whose JSON contains "#fail-<id>" while the event's attempt is below 3, and every event that
 * contains "#always-fail-<id>". An event that contains "#emit-<id>" makes it emit "<id>.noticed" for
 * the event's contact, then try to emit the host's "message.sent", and store both statuses under
 * collection "emits". The config {"gate": "<path>"} makes every event and request wait
 * while that file exists: a plugin that hangs until the test lets it go; {"sleep_ms": N} makes
 * every event take N ms (make bench's slow tenant). GET /api/<id> answers how many events it
 * recorded.
 */
#include "plugin_abi.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PLUGIN_ID
#define PLUGIN_ID "recorder"
#endif
#ifndef SUBSCRIPTIONS
#define SUBSCRIPTIONS "[\"*\"]"
#endif

struct sb_instance {
    const sb_host_api *host;
    sb_host_ctx *ctx;
    long recorded;
    long sleep_ms;
    char gate[512];
};

static sb_bytes text(const char *s) {
    sb_bytes b = {(const uint8_t *)s, strlen(s)};
    return b;
}

static sb_owned_bytes copy_out(const char *s, size_t n) {
    sb_owned_bytes o = {malloc(n), n};
    memcpy(o.ptr, s, n);
    return o;
}

/* A NUL-terminated copy of borrowed bytes; the caller frees it. */
static char *terminated(sb_bytes bytes) {
    char *copy = calloc(1, bytes.len + 1);
    if (copy != NULL && bytes.len > 0) memcpy(copy, bytes.ptr, bytes.len);
    return copy;
}

/* Waits while the configured gate file exists. */
static void hold(sb_instance *self) {
    if (self->gate[0] == 0) return;
    while (access(self->gate, F_OK) == 0) usleep(2000);
}

static sb_status create(const sb_host_api *host, sb_host_ctx *ctx, sb_bytes tenant, sb_bytes config, sb_instance **out,
                        sb_owned_bytes *error) {
    (void)tenant;
    (void)error;
    sb_instance *self = calloc(1, sizeof *self);
    self->host = host;
    self->ctx = ctx;
    char *json = terminated(config);
    const char *gate = json == NULL ? NULL : strstr(json, "\"gate\":\"");
    if (gate != NULL) {
        gate += strlen("\"gate\":\"");
        size_t n = 0;
        while (gate[n] != 0 && gate[n] != '"' && n < sizeof self->gate - 1) n++;
        memcpy(self->gate, gate, n);
    }
    const char *sleep_ms = json == NULL ? NULL : strstr(json, "\"sleep_ms\":");
    if (sleep_ms != NULL) self->sleep_ms = strtol(sleep_ms + strlen("\"sleep_ms\":"), NULL, 10);
    free(json);
    *out = self;
    return SB_OK;
}

/* Emits "<id>.noticed" for the contact of `json` (its envelope's first "contact_id", which sorts before "data"),
 * then the host's own "message.sent", which the host must refuse; keeps both statuses. */
static void emit(sb_instance *self, const char *json) {
    char contact[64] = {0};
    const char *at = strstr(json, "\"contact_id\":\"");
    if (at != NULL) {
        at += strlen("\"contact_id\":\"");
        size_t n = 0;
        while (at[n] != 0 && at[n] != '"' && n < sizeof contact - 1) n++;
        memcpy(contact, at, n);
    }
    char request[160];
    snprintf(request, sizeof request, "{\"type\":\"" PLUGIN_ID ".noticed\",\"contact_id\":\"%s\",\"data\":{\"by\":\"" PLUGIN_ID "\"}}", contact);
    char statuses[64];
    snprintf(statuses, sizeof statuses, "{\"own\":%d,\"host\":%d}", self->host->emit_event(self->ctx, text(request)),
             self->host->emit_event(self->ctx, text("{\"type\":\"message.sent\"}")));
    self->host->store_put(self->ctx, text("emits"), text("last"), text(statuses));
}

static sb_status event(sb_instance *self, sb_bytes event, sb_owned_bytes *out) {
    hold(self);
    if (self->sleep_ms > 0) usleep((useconds_t)self->sleep_ms * 1000);
    char *json = terminated(event);
    if (json == NULL) return SB_ERROR;
    /* Keys are sorted, so the envelope's "attempt" comes before "data" and is found first. */
    const char *attempt = strstr(json, "\"attempt\":");
    long attempt_number = attempt == NULL ? 1 : strtol(attempt + strlen("\"attempt\":"), NULL, 10);
    int fails = (strstr(json, "#fail-" PLUGIN_ID) != NULL && attempt_number < 3) || strstr(json, "#always-fail-" PLUGIN_ID) != NULL;
    if (!fails && strstr(json, "#emit-" PLUGIN_ID) != NULL) emit(self, json);
    free(json);
    if (fails) {
        static const char body[] = "{\"code\":\"told_to_fail\",\"message\":\"" PLUGIN_ID " was told to fail this event\"}";
        *out = copy_out(body, sizeof body - 1);
        return SB_ERROR;
    }
    char key[16];
    snprintf(key, sizeof key, "%06ld", ++self->recorded);
    return self->host->store_put(self->ctx, text("seen"), text(key), event);
}

static sb_status http(sb_instance *self, sb_bytes request, sb_owned_bytes *out) {
    (void)request;
    hold(self);
    char body[96];
    int len = snprintf(body, sizeof body, "{\"status\":200,\"json\":{\"recorded\":%ld}}", self->recorded);
    *out = copy_out(body, (size_t)len);
    return SB_OK;
}

static void destroy(sb_instance *self) { free(self); }

static void release(sb_owned_bytes b) { free(b.ptr); }

static const sb_plugin_descriptor descriptor = {
    .struct_size = sizeof(sb_plugin_descriptor),
    .abi_major = SB_ABI_MAJOR,
    .abi_minor = SB_ABI_MINOR,
    .plugin_id = PLUGIN_ID,
    .plugin_version = "1.0.0",
    .capabilities = SB_CAP_HTTP_ROUTES,
    .routes_json = "[{\"method\":\"GET\",\"path\":\"/api/" PLUGIN_ID "\",\"permission\":\"public\"}]",
    .create_instance = create,
    .handle_event = event,
    .handle_http = http,
    .destroy_instance = destroy,
    .free_bytes = release,
    .subscriptions_json = SUBSCRIPTIONS,
    .min_host_minor = 3,
};

const sb_plugin_descriptor *switchboard_plugin_entry_v1(uint16_t major, uint16_t minor) {
    return major == SB_ABI_MAJOR && minor >= 3 ? &descriptor : NULL;
}
