/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The audit record of a guest's life: one AUDIT_VIRT_CONTROL message per
 * event, written by pam_x86ns (op=start at a login, op=stop at its logout)
 * and by x86ns-monitor (op=destroy when the guest has gone), with the keys
 * libvirt uses (virt, op, vm, vm-pid) so that ausearch -m VIRT_CONTROL
 * finds them, followed by who and through what. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct audit_record {
	const char *op;     /* start, stop, destroy */
	const char *vm;     /* the guest's name */
	const char *vm_pid; /* its init's pid as text, "0" when it did not start */
	const char *user;
	uid_t uid;
	/* Each NULL when it does not apply; written in this order. */
	const char *translator; /* "none" or its host path */
	const char *new_guest;  /* op=start: "1" when this login started the guest */
	const char *stopping;   /* op=stop: "1" when the guest now stops */
};

/* The message text:
 * "virt=x86ns op=OP vm=VM vm-pid=PID user=USER uid=UID[ translator=T][ new=N][ stopping=S]".
 * -ENAMETOOLONG when it does not fit len (it is then cut). */
int audit_record_format(const struct audit_record *r, char *buf, size_t len);

/* Runs in: pam_x86ns (the PAM application, root) or x86ns-monitor (host
 * root). Send the record with its result; hostname and tty (PAM_RHOST,
 * PAM_TTY) may be NULL. Without audit in the kernel it does nothing:
 * syslog has the event. */
void audit_record_send(const struct audit_record *r, const char *hostname, const char *tty,
		       bool ok);
