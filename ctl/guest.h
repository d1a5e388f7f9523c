/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86nsctl guest: make guest trees with the distribution's own tool. */
#pragma once

/* The "guest" sub-commands of x86nsctl; argv[0] is the sub-command
 * ("create"). Returns the exit status; never returns on a usage error.
 * Runs in: x86nsctl, as root, host namespaces. */
int guest_main(int argc, char **argv);
