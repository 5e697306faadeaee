/*
 * Compile-time guard on the ABI's memory layout. If a change to plugin_abi.h
 * moves a member or changes a size on a 64-bit target, this file stops
 * compiling, long before a plugin built against the old layout crashes.
 */
#include "plugin_abi.h"

#if UINTPTR_MAX == 0xffffffffffffffffu
_Static_assert(sizeof(sb_bytes) == 16, "sb_bytes layout");
_Static_assert(sizeof(sb_owned_bytes) == 16, "sb_owned_bytes layout");
_Static_assert(offsetof(sb_host_api, log) == 8, "sb_host_api header layout");
_Static_assert(offsetof(sb_host_api, free_bytes) == 8 + 14 * 8, "sb_host_api v1.0 members");
_Static_assert(offsetof(sb_host_api, call) == 8 + 15 * 8, "sb_host_api v1.1 appends call after the v1.0 members");
_Static_assert(sizeof(sb_host_api) == 8 + 16 * 8, "sb_host_api v1.1 size");
_Static_assert(offsetof(sb_plugin_descriptor, plugin_id) == 8, "descriptor header layout");
_Static_assert(offsetof(sb_plugin_descriptor, create_instance) == 40, "descriptor strings layout");
_Static_assert(offsetof(sb_plugin_descriptor, free_bytes) == 40 + 6 * 8, "descriptor v1.0 members");
_Static_assert(SB_PLUGIN_DESCRIPTOR_MIN_SIZE == 40 + 7 * 8, "descriptor v1.0 size");
_Static_assert(SB_HOST_API_MIN_SIZE == 8 + 15 * 8, "sb_host_api v1.0 size");
_Static_assert(offsetof(sb_plugin_descriptor, subscriptions_json) == 96, "descriptor v1.3 appends subscriptions_json");
_Static_assert(offsetof(sb_plugin_descriptor, min_host_minor) == 104, "descriptor v1.3 appends min_host_minor");
_Static_assert(sizeof(sb_plugin_descriptor) == 112, "descriptor v1.3 size");
#endif
