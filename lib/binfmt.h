/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ELF machines a translator runs, and their binfmt_misc registrations.
 *
 * A guest's translator is registered in the container's own binfmt_misc
 * instance (Linux 6.7 and later: one per user namespace) with the flags
 * "FP": F opens the interpreter at registration, so it need not exist in
 * the guest tree; P keeps argv[0], which multi-call programs such as
 * busybox dispatch on. The host's own registrations are never touched. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Machines by ELF e_machine; the names are those of `uname -m`. */
enum binfmt_machine {
	MACHINE_X86_64,
	MACHINE_I386,
	MACHINE_AARCH64,
	MACHINE_ARM,
	MACHINE_RISCV64,
	MACHINE_PPC64LE,
	MACHINE_S390X,
	MACHINE_E2K,
	N_MACHINES
};

/* -EINVAL for a name not in the table. */
int binfmt_machine_from_name(const char *name);
const char *binfmt_machine_name(enum binfmt_machine m);

/* The machine this program was built for: registering it would make the
 * kernel run the translator through itself (ELOOP). */
enum binfmt_machine binfmt_host_machine(void);

/* The line to write to binfmt_misc's register file for `interpreter`
 * running machine m: ":x86ns-NAME:M::MAGIC:MASK:INTERPRETER:FP". The
 * interpreter path must not contain ':' (-EINVAL). */
int binfmt_register_line(enum binfmt_machine m, const char *interpreter, char *buf, size_t len);

/* What the ELF header of an executable says. */
struct elf_info {
	int machine;    /* enum binfmt_machine, or -1 for one not in the table */
	bool is_static; /* no PT_INTERP: runs without the guest's libraries */
	unsigned e_machine;
};

/* Runs in: host root (the launcher, x86nsctl). `path` comes from the
 * root-owned configuration. 0 when it is a regular file executable by all,
 * an ELF program for this machine and, with require_static, statically
 * linked; else -errno, described by translator_file_error(). */
int translator_file_check(const char *path, bool require_static);
const char *translator_file_error(int r);

/* Read the ELF header and program headers of fd (opened for reading).
 * -ENOEXEC when it is not an ELF file this code understands. */
int elf_inspect(int fd, struct elf_info *ret);

/* A registration as /proc/sys/fs/binfmt_misc/NAME shows it (the host's,
 * on kernels without a per-container instance). */
#define BINFMT_MAGIC_MAX 128
struct binfmt_entry {
	bool enabled;
	bool by_magic; /* M (magic bytes), not E (file name extension) */
	char flags[16];
	char interpreter[256];
	unsigned offset;
	unsigned char magic[BINFMT_MAGIC_MAX], mask[BINFMT_MAGIC_MAX];
	size_t magic_len;
};

/* Parse the text of one entry; -EINVAL when it is not an entry's text. */
int binfmt_entry_parse(const char *text, struct binfmt_entry *ret);

/* Does the entry run the executables (ET_EXEC and PIE) of machine m? It
 * must be enabled and match both kinds of ELF header of m. */
bool binfmt_entry_runs(const struct binfmt_entry *e, enum binfmt_machine m);
