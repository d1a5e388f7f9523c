/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one builder of x86ns's audit records (audit-record.h). Linked only
 * into the programs that write them (pam_x86ns.so, x86ns-monitor), which
 * link libaudit. */
#include "audit-record.h"
#include "util.h"

#include <libaudit.h>
#include <stdio.h>

static int optional_key(char *buf, size_t len, size_t *used, const char *key, const char *value)
{
	if (!value)
		return 0;
	int r = xsnprintf(buf + *used, len - *used, " %s=%s", key, value);
	*used += strlen(buf + *used);
	return r;
}

int audit_record_format(const struct audit_record *r, char *buf, size_t len)
{
	int ret = xsnprintf(buf, len, "virt=x86ns op=%s vm=%s vm-pid=%s user=%s uid=%u", r->op,
			    r->vm, r->vm_pid, r->user, (unsigned)r->uid);
	size_t used = strlen(buf);
	if (ret >= 0)
		ret = optional_key(buf, len, &used, "translator", r->translator);
	if (ret >= 0)
		ret = optional_key(buf, len, &used, "new", r->new_guest);
	if (ret >= 0)
		ret = optional_key(buf, len, &used, "stopping", r->stopping);
	return ret;
}

void audit_record_send(const struct audit_record *r, const char *hostname, const char *tty, bool ok)
{
	char msg[512];
	/* A record cut short is still sent: what fits names the guest and user. */
	(void)audit_record_format(r, msg, sizeof(msg));
	int fd = audit_open();
	if (fd < 0)
		return;
	audit_log_user_message(fd, AUDIT_VIRT_CONTROL, msg, hostname, NULL, tty, ok ? 1 : 0);
	audit_close(fd);
}
