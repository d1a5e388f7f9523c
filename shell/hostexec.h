/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host's sftp-server, run inside a guest that has none (hostexec.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define HOSTEXEC_LIBS_MAX 8

struct hostexec {
	int program_fd;
	int interp_fd;
	char interp[256];
	struct {
		char name[128];
		int fd;
	} libs[HOSTEXEC_LIBS_MAX];
	size_t n_libs;
};

/* Is this -c command a bare sftp-server path, as sshd's Subsystem runs it? */
bool hostexec_is_sftp_server(const char *command);

/* Runs in: the host's namespaces. Open program, its loader and libraries. */
int hostexec_prepare(const char *program, struct hostexec *h);

/* Runs in: the guest. Exec the prepared program; returns only on error. */
int hostexec_run(const struct hostexec *h, const char *argv0, char **envp);
