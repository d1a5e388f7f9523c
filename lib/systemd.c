/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Containers as systemd units: see systemd.h.
 * Runs in: host root, host namespaces (the monitor-to-be, x86nsctl check). */
#include "systemd.h"

#include "cgroup.h"
#include "config.h"
#include "sdbus.h"
#include "util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#define SYSTEM_BUS_ADDRESS      "unix:path=/run/dbus/system_bus_socket"
#define SYSTEMD_PRIVATE_ADDRESS "unix:path=/run/systemd/private"
#define CALL_TIMEOUT_USEC       (30ULL * 1000000)
/* A scope's start job waits for the units it is After= (at boot, for
 * remote-fs.target); a login that comes that early waits with it. */
#define JOB_TIMEOUT_MS      90000
#define UNIT_EXISTS_RETRIES 50
#define UNIT_EXISTS_WAIT_MS 100

#define SYSTEMD_DEST  "org.freedesktop.systemd1"
#define SYSTEMD_PATH  "/org/freedesktop/systemd1"
#define SYSTEMD_IFACE "org.freedesktop.systemd1.Manager"
#define MACHINED_DEST "org.freedesktop.machine1"

struct systemd_bus {
	const struct sdbus_api *api;
	sd_bus *bus;
	bool private_socket; /* systemd's own socket: machined is not there */
};

bool systemd_is_init(void)
{
	struct stat st;
	return fstatat(AT_FDCWD, "/run/systemd/system", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode) && st.st_uid == 0;
}

bool systemd_units_wanted(void)
{
	enum cgroup_layout layout;
	return systemd_is_init() && cgroup_detect(&layout) == 0 && layout == CGROUP_UNIFIED;
}

int systemd_guest_unit(uid_t uid, char *buf, size_t len)
{
	return xsnprintf(buf, len, "x86ns-%u.scope", (unsigned)uid);
}

int systemd_monitor_unit(uid_t uid, char *buf, size_t len)
{
	return xsnprintf(buf, len, "x86ns-%u-monitor.scope", (unsigned)uid);
}

int systemd_machine_name(const char *user, uid_t uid, char *buf, size_t len)
{
	char name[80];
	if (xsnprintf(name, sizeof(name), "x86ns-%s", user ? user : "") >= 0 && user &&
	    config_hostname_is_valid(name))
		return xsnprintf(buf, len, "%s", name);
	return xsnprintf(buf, len, "x86ns-%u", (unsigned)uid);
}

/* "what: systemd's message", or "what: strerror(r)" where it gave none. */
static int bus_error(struct error *e, const char *step, const sd_bus_error *be, const char *what,
		     int r)
{
	if (be && be->message)
		return error_set_text(e, step, r, "%s: %s", what, be->message);
	return error_set(e, step, r, "%s", what);
}

static int connect_to(const struct sdbus_api *api, const char *address, bool bus_client,
		      sd_bus **ret)
{
	sd_bus *b = NULL;
	int r = api->bus_new(&b);
	if (r < 0)
		return r;
	r = api->bus_set_address(b, address);
	if (r >= 0)
		r = api->bus_set_bus_client(b, bus_client);
	if (r >= 0)
		r = api->bus_start(b);
	if (r < 0) {
		api->bus_flush_close_unref(b);
		return r;
	}
	*ret = b;
	return 0;
}

int systemd_bus_open(struct systemd_bus **ret, struct error *e)
{
	const struct sdbus_api *api;
	int r = sdbus_load(&api);
	if (r < 0)
		return error_set_text(e, "systemd unit", r,
				      "cannot load libsystemd.so.0 (Debian package libsystemd0)");
	struct systemd_bus *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->api = api;
	/* Explicit addresses: the environment of a PAM application is not
	 * ours to trust with DBUS_SYSTEM_BUS_ADDRESS. */
	r = connect_to(api, SYSTEM_BUS_ADDRESS, true, &b->bus);
	if (r < 0) {
		b->private_socket = true;
		r = connect_to(api, SYSTEMD_PRIVATE_ADDRESS, false, &b->bus);
	}
	if (r < 0) {
		free(b);
		return error_set(e, "systemd unit", r, "cannot connect to systemd (%s, %s)",
				 SYSTEM_BUS_ADDRESS, SYSTEMD_PRIVATE_ADDRESS);
	}
	*ret = b;
	return 0;
}

void systemd_bus_close(struct systemd_bus *b)
{
	if (!b)
		return;
	b->api->bus_flush_close_unref(b->bus);
	free(b);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* ---- jobs ----------------------------------------------------------------- */

struct job_wait {
	const struct sdbus_api *api;
	char path[128]; /* "" until StartTransientUnit answered */
	bool done;
	char result[32];
};

/* JobRemoved(u id, o job, s unit, s result); signals that arrive while
 * the call waits for its reply are queued and dispatched afterwards, when
 * the job's path is known. */
static int job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct job_wait *w = userdata;
	uint32_t id;
	const char *path, *unit, *result;
	if (w->api->message_read(m, "uoss", &id, &path, &unit, &result) < 0)
		return 0;
	if (w->path[0] && strcmp(path, w->path) == 0) {
		w->done = true;
		snprintf(w->result, sizeof(w->result), "%s", result);
	}
	return 0;
}

static int job_wait_done(struct systemd_bus *b, struct job_wait *w)
{
	uint64_t deadline = now_ms() + JOB_TIMEOUT_MS;
	while (!w->done) {
		int r = b->api->process(b->bus, NULL);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		r = b->api->wait(b->bus, 1000000);
		if (r < 0 && r != -EINTR)
			return r;
	}
	return strcmp(w->result, "done") == 0 ? 0 : -EIO;
}

/* ---- scopes --------------------------------------------------------------- */

static int append_properties(const struct sdbus_api *api, sd_bus_message *m,
			     const struct systemd_scope *s, bool with_newer)
{
	int r = api->message_open_container(m, 'a', "(sv)");
#define PROP(...)                                                                                  \
	do {                                                                                       \
		if (r >= 0)                                                                        \
			r = api->message_append(m, "(sv)", __VA_ARGS__);                           \
	} while (0)
	PROP("Description", "s", s->description);
	PROP("Slice", "s", SYSTEMD_SLICE);
	PROP("CollectMode", "s", "inactive-or-failed");
	PROP("PIDs", "au", 1, (uint32_t)s->pid);
	PROP("After", "as", 3, "local-fs.target", "remote-fs.target", "systemd-journald.service");
	if (s->delegate)
		PROP("Delegate", "b", 1);
	if (s->before) {
		PROP("Before", "as", 1, s->before);
		if (with_newer)
			PROP("PropagatesStopTo", "as", 1, s->before);
	}
	if (s->timeout_stop_usec)
		PROP("TimeoutStopUSec", "t", s->timeout_stop_usec);
	if (s->memory_max)
		PROP("MemoryMax", "t", s->memory_max);
	/* systemd gives scopes DefaultTasksMax; x86ns's "no limit" is none. */
	PROP("TasksMax", "t", s->tasks_max ? s->tasks_max : UINT64_MAX);
	if (s->cpu_quota_per_sec_usec)
		PROP("CPUQuotaPerSecUSec", "t", s->cpu_quota_per_sec_usec);
#undef PROP
	if (r >= 0)
		r = api->message_close_container(m);
	return r;
}

static int manager_call(struct systemd_bus *b, const char *member, const char *unit,
			const char *mode)
{
	const struct sdbus_api *api = b->api;
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error e = { 0 };
	int r = api->message_new_method_call(b->bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_IFACE,
					     member);
	if (r >= 0)
		r = mode ? api->message_append(m, "ss", unit, mode)
			 : api->message_append(m, "s", unit);
	if (r >= 0)
		r = api->call(b->bus, m, CALL_TIMEOUT_USEC, &e, &reply);
	api->error_free(&e);
	api->message_unref(reply);
	api->message_unref(m);
	return r;
}

/* One StartTransientUnit; the job is waited for by the caller. */
static int scope_start_once(struct systemd_bus *b, const struct systemd_scope *s, bool with_newer,
			    struct job_wait *w, sd_bus_error *e)
{
	const struct sdbus_api *api = b->api;
	sd_bus_message *m = NULL, *reply = NULL;
	int r = api->message_new_method_call(b->bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_IFACE,
					     "StartTransientUnit");
	if (r >= 0)
		r = api->message_append(m, "ss", s->name, "fail");
	if (r >= 0)
		r = append_properties(api, m, s, with_newer);
	if (r >= 0)
		r = api->message_append(m, "a(sa(sv))", 0);
	if (r >= 0)
		r = api->call(b->bus, m, CALL_TIMEOUT_USEC, e, &reply);
	const char *job = NULL;
	if (r >= 0)
		r = api->message_read(reply, "o", &job);
	if (r >= 0)
		r = xsnprintf(w->path, sizeof(w->path), "%s", job);
	api->message_unref(reply);
	api->message_unref(m);
	return r;
}

int systemd_scope_start(struct systemd_bus *b, const struct systemd_scope *s, struct error *err)
{
	const struct sdbus_api *api = b->api;
	struct job_wait w = { .api = api };
	sd_bus_slot *slot = NULL;
	/* Before the call: JobRemoved may come before its reply. */
	int r = api->match_signal(b->bus, &slot, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_IFACE,
				  "JobRemoved", job_removed, &w);
	if (r < 0)
		return error_set(err, "systemd unit", r, "cannot watch systemd's jobs");
	bool with_newer = true;
	for (unsigned attempt = 0;; attempt++) {
		sd_bus_error e = { 0 };
		r = scope_start_once(b, s, with_newer, &w, &e);
		bool exists =
		    r < 0 && api->error_has_name(&e, "org.freedesktop.systemd1.UnitExists");
		bool unknown =
		    r < 0 && with_newer &&
		    (api->error_has_name(&e, "org.freedesktop.DBus.Error.PropertyReadOnly") ||
		     api->error_has_name(&e, "org.freedesktop.DBus.Error.InvalidArgs"));
		if (r < 0 && !(exists && attempt < UNIT_EXISTS_RETRIES) && !unknown)
			(void)bus_error(err, "systemd unit", &e, "cannot create the systemd unit",
					r);
		api->error_free(&e);
		if (r >= 0)
			break;
		if (unknown) {
			with_newer = false; /* systemd before 249 */
			continue;
		}
		if (!exists || attempt >= UNIT_EXISTS_RETRIES)
			goto out;
		/* Left by an earlier container: its processes are being
		 * killed; stop it and let systemd collect it. */
		(void)manager_call(b, "StopUnit", s->name, "replace");
		(void)manager_call(b, "ResetFailedUnit", s->name, NULL);
		sleep_ms(UNIT_EXISTS_WAIT_MS);
	}
	r = job_wait_done(b, &w);
	if (r < 0)
		(void)error_set_text(
		    err, "systemd unit", r, "the start job of %s ended with \"%s\"%s", s->name,
		    w.result[0] ? w.result : "no answer", r == -ETIMEDOUT ? " (timed out)" : "");
out:
	api->slot_unref(slot);
	return r;
}

/* ---- machined ------------------------------------------------------------- */

int systemd_machine_register(struct systemd_bus *b, const char *name, pid_t leader,
			     const char *root_directory, struct error *err)
{
	if (b->private_socket)
		return error_set_text(
		    err, "machined", -ENOTCONN,
		    "systemd-machined is reached through the system bus, which does not run");
	const struct sdbus_api *api = b->api;
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error e = { 0 };
	int r = api->message_new_method_call(b->bus, &m, MACHINED_DEST, "/org/freedesktop/machine1",
					     "org.freedesktop.machine1.Manager", "RegisterMachine");
	if (r >= 0)
		r = api->message_append(m, "s", name);
	if (r >= 0)
		r = api->message_append_array(m, 'y', NULL, 0); /* no machine id */
	if (r >= 0)
		r = api->message_append(m, "ssus", "x86ns", "container", (uint32_t)leader,
					root_directory);
	if (r >= 0)
		r = api->call(b->bus, m, CALL_TIMEOUT_USEC, &e, &reply);
	if (r < 0)
		(void)bus_error(err, "machined", &e, "cannot register with systemd-machined", r);
	api->error_free(&e);
	api->message_unref(reply);
	api->message_unref(m);
	return r;
}
