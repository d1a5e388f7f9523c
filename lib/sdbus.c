/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sd-bus loaded at run time: see sdbus.h.
 * Runs in: host root, host namespaces (monitor-to-be, x86nsctl); never once
 * guest files are in view (the library and its dependencies come from the
 * host's /usr). */
#include "sdbus.h"

#include "util.h"

#include <dlfcn.h>

static const struct {
	const char *symbol;
	size_t offset;
} symbols[] = {
#define SYM(field, name)                                                                           \
	{                                                                                          \
		name, offsetof(struct sdbus_api, field)                                            \
	}
	SYM(bus_new, "sd_bus_new"),
	SYM(bus_set_address, "sd_bus_set_address"),
	SYM(bus_set_bus_client, "sd_bus_set_bus_client"),
	SYM(bus_start, "sd_bus_start"),
	SYM(bus_flush_close_unref, "sd_bus_flush_close_unref"),
	SYM(message_new_method_call, "sd_bus_message_new_method_call"),
	SYM(message_append, "sd_bus_message_append"),
	SYM(message_append_array, "sd_bus_message_append_array"),
	SYM(message_open_container, "sd_bus_message_open_container"),
	SYM(message_close_container, "sd_bus_message_close_container"),
	SYM(message_read, "sd_bus_message_read"),
	SYM(message_unref, "sd_bus_message_unref"),
	SYM(call, "sd_bus_call"),
	SYM(error_free, "sd_bus_error_free"),
	SYM(error_has_name, "sd_bus_error_has_name"),
	SYM(match_signal, "sd_bus_match_signal"), /* libsystemd 237 */
	SYM(process, "sd_bus_process"),
	SYM(wait, "sd_bus_wait"),
	SYM(slot_unref, "sd_bus_slot_unref"),
#undef SYM
};

int sdbus_load(const struct sdbus_api **ret)
{
	static struct sdbus_api api;
	static bool loaded;
	if (loaded) {
		*ret = &api;
		return 0;
	}
	/* RTLD_NODELETE: function pointers stay valid for the process. */
	void *lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!lib)
		return -ELIBACC;
	struct sdbus_api found;
	for (size_t i = 0; i < ARRAY_SIZE(symbols); i++) {
		void *fn = dlsym(lib, symbols[i].symbol);
		if (!fn)
			return -ELIBBAD;
		memcpy((char *)&found + symbols[i].offset, &fn, sizeof(fn));
	}
	api = found;
	loaded = true;
	*ret = &api;
	return 0;
}
