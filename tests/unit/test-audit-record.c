/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the audit record's text (lib/audit-record.c): the one
 * that pam_x86ns and x86ns-monitor send, which tests/pam/t-audit.sh reads
 * back from the kernel. */
#include "audit-record.h"
#include "util.h"

#include "tap.h"

#include <errno.h>

static void check_texts(void)
{
	char buf[512];
	struct audit_record start_failed = { .op = "start",
					     .vm = "debian",
					     .vm_pid = "0",
					     .user = "alice",
					     .uid = 1001,
					     .translator = "none" };
	CHECK_INT_EQ(audit_record_format(&start_failed, buf, sizeof(buf)) >= 0, 1, "a start fits");
	CHECK_STR_EQ(buf,
		     "virt=x86ns op=start vm=debian vm-pid=0 user=alice uid=1001 translator=none",
		     "pam_x86ns: a start that failed");
	struct audit_record start = start_failed;
	start.vm_pid = "4242";
	start.translator = "/usr/bin/qemu-aarch64-static";
	start.new_guest = "1";
	audit_record_format(&start, buf, sizeof(buf));
	CHECK_STR_EQ(buf,
		     "virt=x86ns op=start vm=debian vm-pid=4242 user=alice uid=1001 "
		     "translator=/usr/bin/qemu-aarch64-static new=1",
		     "pam_x86ns: a start");
	struct audit_record stop = { .op = "stop",
				     .vm = "debian",
				     .vm_pid = "4242",
				     .user = "alice",
				     .uid = 1001,
				     .stopping = "0" };
	audit_record_format(&stop, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "virt=x86ns op=stop vm=debian vm-pid=4242 user=alice uid=1001 stopping=0",
		     "pam_x86ns: a stop");
	struct audit_record destroy = { .op = "destroy",
					.vm = "debian",
					.vm_pid = "4242",
					.user = "alice",
					.uid = 1001,
					.translator = "none" };
	audit_record_format(&destroy, buf, sizeof(buf));
	CHECK_STR_EQ(
	    buf, "virt=x86ns op=destroy vm=debian vm-pid=4242 user=alice uid=1001 translator=none",
	    "x86ns-monitor: the guest's end");
}

static void check_too_long(void)
{
	char buf[40];
	struct audit_record r = { .op = "start",
				  .vm = "debian",
				  .vm_pid = "1",
				  .user = "alice",
				  .uid = 1,
				  .translator = "none" };
	CHECK_INT_EQ(audit_record_format(&r, buf, sizeof(buf)), -ENAMETOOLONG,
		     "a record that does not fit is an error");
	CHECK_INT_EQ(strlen(buf), sizeof(buf) - 1, "and it is cut, terminated");
}

int main(void)
{
	check_texts();
	check_too_long();
	return tap_exit();
}
