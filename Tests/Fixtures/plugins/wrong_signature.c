/* An entry point with the wrong signature. plugin_abi.h declares the prototype, so this must not compile; built with
 * -DRIGHT_SIGNATURE it is the correct one and compiles, which shows the failure is the signature's. */
#include "plugin_abi.h"

#ifdef RIGHT_SIGNATURE
const sb_plugin_descriptor *switchboard_plugin_entry_v1(uint16_t major, uint16_t minor) {
#else
const sb_plugin_descriptor *switchboard_plugin_entry_v1(uint32_t abi) {
#endif
    return NULL;
}
