/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The protocol of x86ns-spawner, the process inside each guest that forks
 * the user's sessions there, so that they share the guest's Landlock
 * domain (a domain can only be entered by being forked inside it).
 * Header-only: the spawner is a static program built apart from lib/.
 *
 * A SOCK_SEQPACKET unix socket at SPAWN_SOCKET_PATH in the guest; one
 * session per connection. The peer's credentials (SO_PEERCRED) are the
 * session's: the spawner never gives anyone more than the ids they
 * connect with.
 *
 *   request: one message, SCM_RIGHTS with the session's fds 0, 1 and 2,
 *            payload  SPAWN_MAGIC "\0" FLAGS "\0" CWD "\0" PATH "\0"
 *                     ARGV... "\0" (an empty string ends argv) ENV...
 *            FLAGS is "tty" (the first of the fds that is a terminal
 *            becomes the controlling terminal of the new session) or "-".
 *   reply:   "ok pid=N" with SCM_RIGHTS [pidfd of the session], or
 *            "err errno=N step=WORD";
 *   then:    "exit status=N" (a wait status) when the session ends.
 */
#pragma once

#define SPAWN_SOCKET_DIR  "/run/host"
#define SPAWN_SOCKET_PATH SPAWN_SOCKET_DIR "/spawner.sock"
#define SPAWN_MAGIC       "x86ns-spawn-1"
#define SPAWN_REQUEST_MAX (128 * 1024)
#define SPAWN_REPLY_MAX   128
#define SPAWN_LISTEN_FD   3
