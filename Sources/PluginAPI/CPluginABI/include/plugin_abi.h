/*
 * plugin_abi.h — the Switchboard plugin ABI.
 *
 * One header, C11, <stdint.h>/<stddef.h> only, so a plugin can be written in
 * any language that can export a C function. Modelled on SQLite's
 * sqlite3ext.h (the host hands the plugin a table of function pointers) and
 * Envoy's dynamic-module abi.h (every pointer says who owns it).
 *
 * VERSIONING
 *   SB_ABI_MAJOR  a breaking change. The host refuses a plugin whose major
 *                 differs from its own.
 *   SB_ABI_MINOR  an appended struct member, function or enum value. A plugin
 *                 built against an older minor keeps loading: every struct
 *                 starts with `struct_size`, and members are only ever appended.
 *                 Before reading a member, check that `struct_size` covers it
 *                 (SB_HAS_MEMBER below).
 *   A test pins this file's SHA-256 per version: editing it without bumping
 *   the version fails the test suite (Sources/PluginAPI/CPluginABI/abi-pins.txt).
 *
 *   A plugin that needs what a later minor added says so in min_host_minor
 *   (1.3): a 1.3 or later host refuses it with "needs host ABI >= 1.N". On a host
 *   older than 1.3, which does not read that member, the entry point itself
 *   must decline by returning NULL when host_minor is too low.
 *
 * ENTRY POINT
 *   The only symbol a plugin exports is a function (dlsym is only guaranteed
 *   for functions), with the major version in its name. Its prototype is
 *   declared at the end of this header with SB_EXPORT, so a definition with
 *   another signature does not compile, and -fvisibility=hidden cannot hide it:
 *
 *     SB_EXPORT const sb_plugin_descriptor *
 *     switchboard_plugin_entry_v1(uint16_t host_major, uint16_t host_minor);
 *
 *   It returns a pointer to a descriptor with static storage duration, or NULL
 *   if the plugin cannot run on that host. The host never frees it.
 *
 * DATA
 *   Everything beyond scalars crosses as UTF-8 JSON bytes with an explicit
 *   length (no NUL terminator is needed or implied).
 *
 * OWNERSHIP (read this before writing a plugin)
 *   sb_bytes        BORROWED. Valid only for the duration of the call that
 *                   received it. Copy what you want to keep. Never free it.
 *   sb_owned_bytes  OWNED by the side that allocated it. It is freed by that
 *                   side's own free function and nobody else's:
 *                     - buffers a plugin returns to the host are freed by the
 *                       host calling descriptor->free_bytes;
 *                     - buffers the host returns to a plugin are freed by the
 *                       plugin calling host->free_bytes.
 *                   A zero-length buffer may have ptr == NULL; free_bytes
 *                   accepts that.
 *   const char *    in the descriptor: static, NUL-terminated, plugin-owned,
 *                   valid for the life of the process.
 *
 * ERRORS
 *   Every call returns an sb_status. On anything but SB_OK, the call may put
 *   a JSON error body {"code": "...", "message": "..."} into its out buffer.
 *   Nothing unwinds across this boundary: no C++ exception, Swift error or
 *   Rust panic may escape a function declared here.
 *
 * THREADING AND RE-ENTRANCY
 *   Inline (the default): the host calls one instance at a time, in the order
 *   the calls came, each on one of the host's worker threads (any thread, not
 *   always the same one). Two instances, also two tenants' instances of the
 *   same plugin, run at the same time: keep per-tenant state in the instance,
 *   and guard any global state yourself. A call blocks only its own instance:
 *   the callers behind it wait without a thread. A call that runs longer than
 *   its budget (the manifest's timeout_ms, else the host's) cannot be stopped;
 *   it is logged and counted, an HTTP request gets a 504, and an outbound
 *   http_request never waits longer than the budget. A crash (a segfault, an
 *   abort, a Swift trap) in an inline plugin ends the whole host process.
 *   Process isolation: the same rules, in a worker process of its own that
 *   the host kills when a call outlives its budget; there, call host API
 *   functions only from inside a call the host made (the socket carries one
 *   exchange at a time).
 *   Host API functions are thread-safe and may block (a database write, an
 *   outbound HTTP request). They are valid from create_instance until
 *   destroy_instance returns, and only on the instance they were given to.
 *   No host function calls back into the calling instance: emit_event,
 *   send_message and every change deliver their events later, through
 *   handle_event, never during the call that caused them.
 *
 * EVENTS
 *   Everything that happens in a tenant is an event. The host's catalogue
 *   (each event's data is documented in docs/plugin-abi.md):
 *     message.received  message.sent  message.status  message.blocked
 *     message.note      conversation.created  conversation.updated
 *     contact.created   contact.updated  contact.deleted
 *     task.created      task.updated
 *     calendar.event.created  calendar.event.updated  calendar.event.cancelled
 *     plugin.reloaded
 *   and the events plugins emit under names of their own. A plugin names the
 *   ones it wants in subscriptions_json (1.3). The host records each event in
 *   the transaction of the change that raised it and then delivers it to
 *   every subscriber:
 *   - in order: a plugin gets the events of one contact (and so of each of its
 *     conversations) one at a time, in the order they were committed, each
 *     with its "sequence"; other contacts and tenants run side by side;
 *   - retried alone: when handle_event returns anything but SB_OK, only this
 *     plugin gets the event again, with backoff ("attempt" counts up), and
 *     its later events of that contact wait; after the last attempt the
 *     delivery goes to the dead-letter list with the plugin named, and the
 *     next event follows;
 *   - at least once: a host that dies during a call delivers the event again.
 *     Deduplicate by the event's "id" where a second run would do harm;
 *   - never back to its cause: a plugin does not get the events its own
 *     changes raised, nor the ones it emitted.
 *
 * TENANCY
 *   One instance serves exactly one tenant. The sb_host_ctx handed to
 *   create_instance is bound by the host to that tenant and plugin: every host
 *   API call is scoped by it, and nothing a plugin passes can name another
 *   tenant.
 *
 * UNLOADING
 *   The host never dlclose()s a plugin. A new version is loaded beside the old.
 */
#ifndef SWITCHBOARD_PLUGIN_ABI_H
#define SWITCHBOARD_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SB_ABI_MAJOR 1
#define SB_ABI_MINOR 3

/* Marks the one exported symbol, so it stays visible under -fvisibility=hidden. */
#if defined(_WIN32)
#define SB_EXPORT __declspec(dllexport)
#else
#define SB_EXPORT __attribute__((visibility("default")))
#endif

/* The exported entry symbol's name, as a string for dlsym. */
#define SB_PLUGIN_ENTRY_SYMBOL "switchboard_plugin_entry_v1"

/* True if a struct whose first member is struct_size contains `member`. */
#define SB_HAS_MEMBER(ptr, type, member) \
    ((ptr)->struct_size >= offsetof(type, member) + sizeof(((type *)0)->member))

/* ---------------------------------------------------------------- status */

typedef int32_t sb_status;
#define SB_OK 0           /* success                                          */
#define SB_ERROR 1        /* generic failure; see the JSON error body         */
#define SB_NOT_FOUND 2    /* the record, route, job or contact does not exist */
#define SB_UNSUPPORTED 3  /* the callee does not implement this call          */
#define SB_DENIED 4       /* policy, egress allow-list or permissions refused */
#define SB_BAD_ARGUMENT 5 /* malformed JSON or a missing field                */
#define SB_RETRY 6        /* transient; the caller may try again later        */

/* ---------------------------------------------------------- capabilities */

/* Capability bits a plugin declares in its descriptor. Before 1.3, and for a
 * plugin that leaves subscriptions_json NULL, SB_CAP_FLOWS also subscribes
 * the plugin to message.received (and every plugin gets the events other
 * plugins emit); a 1.3 plugin subscribes through subscriptions_json. */
#define SB_CAP_FLOWS 0x01u       /* handles conversation events      */
#define SB_CAP_TEMPLATES 0x02u   /* provides message templates       */
#define SB_CAP_PIPELINES 0x04u   /* CRM pipelines and stages         */
#define SB_CAP_ANALYTICS 0x08u   /* answers query_analytics          */
#define SB_CAP_HTTP_ROUTES 0x10u /* serves the routes in routes_json */
#define SB_CAP_JOBS 0x20u        /* runs scheduled jobs (run_job)    */

/* ---------------------------------------------------------------- bytes */

/* BORROWED for the duration of one call. */
typedef struct sb_bytes {
    const uint8_t *ptr;
    size_t len;
} sb_bytes;

/* OWNED by whoever allocated it; freed through that side's free_bytes. */
typedef struct sb_owned_bytes {
    uint8_t *ptr;
    size_t len;
} sb_owned_bytes;

/* Log levels for sb_host_api.log. */
#define SB_LOG_DEBUG 0
#define SB_LOG_INFO 1
#define SB_LOG_WARNING 2
#define SB_LOG_ERROR 3

/* Opaque handles. The host owns sb_host_ctx; the plugin owns sb_instance. */
typedef struct sb_host_ctx sb_host_ctx;
typedef struct sb_instance sb_instance;

/* ------------------------------------------------------------- host API */

/*
 * The services the host offers one plugin instance, bound to one tenant.
 * The table and its ctx are HOST-owned and stay valid until destroy_instance
 * returns. Every function takes the ctx it was handed in create_instance.
 * Every `out` buffer is host-allocated: free it with host->free_bytes.
 * JSON shapes are documented in docs/plugin-abi.md.
 */
typedef struct sb_host_api {
    uint32_t struct_size; /* sizeof(sb_host_api) as the host compiled it */
    uint16_t abi_major;
    uint16_t abi_minor;

    /* Write one line to the host's structured log, tagged with tenant and plugin. */
    void (*log)(sb_host_ctx *ctx, int32_t level, sb_bytes message);

    /* Milliseconds since the Unix epoch on the host's clock. */
    int64_t (*now_ms)(sb_host_ctx *ctx);

    /* Tenant-scoped record store, namespaced by (tenant, plugin, collection, key).
     * `value` and `*out` are JSON. store_get returns SB_NOT_FOUND for a missing key.
     * store_query takes {"prefix"?: string, "after"?: key, "limit"?: int,
     * "where"?: {field: value}} and returns {"records": [{"key", "value", "updated_at"}],
     * "next"?: key}. */
    sb_status (*store_put)(sb_host_ctx *ctx, sb_bytes collection, sb_bytes key, sb_bytes value);
    sb_status (*store_get)(sb_host_ctx *ctx, sb_bytes collection, sb_bytes key, sb_owned_bytes *out);
    sb_status (*store_query)(sb_host_ctx *ctx, sb_bytes collection, sb_bytes query, sb_owned_bytes *out);
    sb_status (*store_delete)(sb_host_ctx *ctx, sb_bytes collection, sb_bytes key);

    /* Contacts of this tenant. `request` is JSON; see docs/plugin-abi.md.
     * contact_get:    {"id"} | {"phone"} | {"email"}  -> the contact with attributes and labels
     * contact_update: {"id", "attributes"?: {...}, "add_labels"?: [...], "remove_labels"?: [...]}
     *                 -> the updated contact */
    sb_status (*contact_get)(sb_host_ctx *ctx, sb_bytes request, sb_owned_bytes *out);
    sb_status (*contact_update)(sb_host_ctx *ctx, sb_bytes request, sb_owned_bytes *out);

    /* Durable jobs. schedule_job takes {"kind", "run_at" (ms), "payload"?, "unique_key"?,
     * "max_attempts"?} and returns {"id", "created": bool}; a unique_key already pending
     * returns the existing job. cancel_job takes {"id"} or {"unique_key"} and returns
     * {"cancelled": n}. list_jobs takes {"status"?, "kind"?} and returns {"jobs": [...]}. */
    sb_status (*schedule_job)(sb_host_ctx *ctx, sb_bytes job, sb_owned_bytes *out);
    sb_status (*cancel_job)(sb_host_ctx *ctx, sb_bytes selector, sb_owned_bytes *out);
    sb_status (*list_jobs)(sb_host_ctx *ctx, sb_bytes filter, sb_owned_bytes *out);

    /* Send a message to a contact through the host's outbound path (and its
     * policy, where the host enforces one).
     * {"contact_id", "channel"?, "type": "session_text"|"template", "text"?,
     *  "template_name"?, "variables"?, "send_at"?, "opt_out_confirmation"?}
     * -> {"message_id", "status", ...}.
     * A policy block returns SB_DENIED with the reason in the error body.
     * To a contact who opted out, a plugin may only send the confirmation of
     * the opt-out, marked "opt_out_confirmation": true. */
    sb_status (*send_message)(sb_host_ctx *ctx, sb_bytes message, sb_owned_bytes *out);

    /* Record {"type", "data"?, "contact_id"?, "conversation_id"?} as an event
     * of this tenant, delivered to the plugins that subscribe to it (with a
     * contact, in that contact's order), never to the emitting plugin. A host
     * event name (docs/plugin-abi.md) is refused with SB_BAD_ARGUMENT. */
    sb_status (*emit_event)(sb_host_ctx *ctx, sb_bytes event);

    /* Outbound HTTP through the host, allowed only to the hosts in the tenant
     * manifest's egress list (SB_DENIED otherwise).
     * {"method", "url", "headers"?: {...}, "body"?: string, "body_base64"?: string,
     *  "timeout_ms"?} -> {"status", "headers", "body_base64"}. */
    sb_status (*http_request)(sb_host_ctx *ctx, sb_bytes request, sb_owned_bytes *out);

    /* Free a buffer the host allocated. */
    void (*free_bytes)(sb_owned_bytes buffer);

    /* ---- ABI 1.1 ---- */

    /* Call a named host service of this tenant with a JSON request, e.g. "calendar.events",
     * "conversations.update", "tasks.create" (the methods and their JSON are listed in
     * docs/plugin-abi.md). An unknown method returns SB_UNSUPPORTED. Check
     * SB_HAS_MEMBER(host, sb_host_api, call) first: a 1.0 host does not have it. */
    sb_status (*call)(sb_host_ctx *ctx, sb_bytes method, sb_bytes request, sb_owned_bytes *out);

    /* Append new members below this line only. */
} sb_host_api;

/* ------------------------------------------------------ plugin descriptor */

/*
 * What a plugin exports. Static storage, PLUGIN-owned, never freed.
 * Every function but the required ones may be NULL when the matching
 * capability is absent. Required: create_instance, destroy_instance,
 * handle_event, free_bytes.
 * Every `out` buffer is plugin-allocated: the host frees it with
 * descriptor->free_bytes.
 */
typedef struct sb_plugin_descriptor {
    uint32_t struct_size; /* sizeof(sb_plugin_descriptor) as the plugin compiled it */
    uint16_t abi_major;   /* must equal the host's SB_ABI_MAJOR */
    uint16_t abi_minor;   /* the minor the plugin was built against */

    const char *plugin_id;      /* [a-z0-9-]+, unique per host, e.g. "mrdj-crm" */
    const char *plugin_version; /* semver, e.g. "1.2.0" */
    uint64_t capabilities;      /* SB_CAP_* bits */

    /* JSON array of the HTTP routes the plugin serves on its tenants' domains:
     * [{"method": "GET", "path": "/api/crm/leads/{id}", "permission": "crm:read"}].
     * NULL or "[]" when there are none.
     * Since 1.2, a path under "/console/app/" is a console page: the host signs
     * the user in by the console session (never "public"), checks the CSRF token
     * of a POSTed form, adds "console": {"csrf", "user"} to the request, and
     * wraps a reply {"status", "page": {"title", "html"}} in the tenant's branded
     * layout. A GET page may carry "nav": "Label" to appear in the console's
     * navigation for users holding its permission. */
    const char *routes_json;

    /* Create the instance for one tenant. `host` and `ctx` stay valid until
     * destroy_instance; `tenant` ({"slug","name","timezone","locale",...}) and
     * `config` (the manifest's config for this plugin) are borrowed JSON.
     * On failure, set *out_error to a JSON error body. */
    sb_status (*create_instance)(const sb_host_api *host, sb_host_ctx *ctx, sb_bytes tenant,
                                 sb_bytes config, sb_instance **out_instance,
                                 sb_owned_bytes *out_error);

    /* Handle one event {"type", "id", "occurred_at", "data", "source", "actor",
     * "contact_id"?, "conversation_id"?, "sequence"?, "attempt"} (source: the
     * emitting plugin's id, or null for the host; actor: who caused it, e.g.
     * "user:Ana", "plugin:x", "webhook:whatsapp"). See EVENTS above for order
     * and retries. Return SB_OK once it is handled (any JSON reply, or none);
     * anything else has it delivered again later. */
    sb_status (*handle_event)(sb_instance *instance, sb_bytes event, sb_owned_bytes *out);

    /* Serve one of routes_json. Request: {"method", "path", "route", "params",
     * "query", "headers", "body_base64", "identity"}. Response: {"status",
     * "headers"?, "body"? (UTF-8) | "body_base64"?, "json"?: any}. */
    sb_status (*handle_http)(sb_instance *instance, sb_bytes request, sb_owned_bytes *out);

    /* Run a job the instance scheduled: {"id", "kind", "payload", "attempt"}.
     * SB_RETRY asks the scheduler to try again with backoff. */
    sb_status (*run_job)(sb_instance *instance, sb_bytes job, sb_owned_bytes *out);

    /* Answer {"metric", "from"?, "to"?, "params"?} with a JSON result. */
    sb_status (*query_analytics)(sb_instance *instance, sb_bytes query, sb_owned_bytes *out);

    /* Destroy the instance. The host calls nothing on it afterwards. */
    void (*destroy_instance)(sb_instance *instance);

    /* Free a buffer the plugin allocated. */
    void (*free_bytes)(sb_owned_bytes buffer);

    /* ---- ABI 1.3 ---- */

    /* JSON array of the events the plugin wants delivered to handle_event:
     * exact names ("message.received"), prefixes ("message.*") or "*".
     * Static, plugin-owned. NULL keeps the behaviour of 1.2 (see SB_CAP_FLOWS);
     * "[]" subscribes to nothing. */
    const char *subscriptions_json;

    /* The lowest host minor the plugin runs on; 0 for any 1.x host. A 1.3 or
     * later host with a lower SB_ABI_MINOR refuses the plugin. */
    uint16_t min_host_minor;

    /* Append new members below this line only. */
} sb_plugin_descriptor;

/* The smallest tables the host and a plugin accept: those of ABI 1.0.
 * A descriptor smaller than this is refused; a plugin must not use a host
 * table smaller than this. Members appended later are checked with
 * SB_HAS_MEMBER. */
#define SB_PLUGIN_DESCRIPTOR_MIN_SIZE offsetof(sb_plugin_descriptor, subscriptions_json)
#define SB_HOST_API_MIN_SIZE offsetof(sb_host_api, call)

/* The signature of the exported entry symbol SB_PLUGIN_ENTRY_SYMBOL. */
typedef const sb_plugin_descriptor *(*sb_plugin_entry_fn)(uint16_t host_major, uint16_t host_minor);

/* The entry point every plugin defines and exports (see ENTRY POINT above). */
SB_EXPORT const sb_plugin_descriptor *switchboard_plugin_entry_v1(uint16_t host_major, uint16_t host_minor);

#ifdef __cplusplus
}
#endif

#endif /* SWITCHBOARD_PLUGIN_ABI_H */
