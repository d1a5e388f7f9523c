/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sd-bus (libsystemd.so.0), loaded at run time.
 *
 * Only hosts whose init is systemd need it, and only the processes that
 * talk to systemd or systemd-machined (the monitor-to-be, x86nsctl check):
 * everywhere else libsystemd is never loaded, so x86ns does not depend on
 * it. The few types and calls x86ns uses are declared here as sd-bus(3)
 * documents them, so that libsystemd-dev is not needed to build. */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct sd_bus sd_bus;
typedef struct sd_bus_message sd_bus_message;
typedef struct sd_bus_slot sd_bus_slot;
typedef struct sd_bus_error {
	const char *name;
	const char *message;
	int need_free; /* sd-bus's own bookkeeping */
} sd_bus_error;
typedef int (*sd_bus_message_handler_t)(sd_bus_message *m, void *userdata, sd_bus_error *error);

struct sdbus_api {
	int (*bus_new)(sd_bus **ret);
	int (*bus_set_address)(sd_bus *bus, const char *address);
	int (*bus_set_bus_client)(sd_bus *bus, int b);
	int (*bus_start)(sd_bus *bus);
	sd_bus *(*bus_flush_close_unref)(sd_bus *bus);
	int (*message_new_method_call)(sd_bus *bus, sd_bus_message **m, const char *destination,
				       const char *path, const char *interface, const char *member);
	int (*message_append)(sd_bus_message *m, const char *types, ...);
	int (*message_append_array)(sd_bus_message *m, char type, const void *ptr, size_t size);
	int (*message_open_container)(sd_bus_message *m, char type, const char *contents);
	int (*message_close_container)(sd_bus_message *m);
	int (*message_read)(sd_bus_message *m, const char *types, ...);
	sd_bus_message *(*message_unref)(sd_bus_message *m);
	int (*call)(sd_bus *bus, sd_bus_message *m, uint64_t usec, sd_bus_error *ret_error,
		    sd_bus_message **reply);
	void (*error_free)(sd_bus_error *e);
	int (*error_has_name)(const sd_bus_error *e, const char *name);
	int (*match_signal)(sd_bus *bus, sd_bus_slot **ret, const char *sender, const char *path,
			    const char *interface, const char *member,
			    sd_bus_message_handler_t callback, void *userdata);
	int (*process)(sd_bus *bus, sd_bus_message **r);
	int (*wait)(sd_bus *bus, uint64_t timeout_usec);
	sd_bus_slot *(*slot_unref)(sd_bus_slot *slot);
};

/* dlopen("libsystemd.so.0") once per process and resolve every call above.
 * -ELIBACC: the library is not installed; -ELIBBAD: a call is missing. */
int sdbus_load(const struct sdbus_api **ret);
