/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ELF machines, binfmt_misc registration lines and a small ELF header
 * reader. Pure logic: the caller opens files and writes the register file. */
#include "binfmt.h"
#include "util.h"

#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#ifndef EM_MCST_ELBRUS
#define EM_MCST_ELBRUS 175
#endif

/* e_ident[EI_CLASS], e_ident[EI_DATA] and e_machine of each machine. The
 * registration matches on these and on the ELF magic, version and e_type
 * (executables and shared objects, i.e. PIE); it ignores e_ident[EI_OSABI],
 * which toolchains set to either SYSV or GNU/Linux. */
static const struct {
	const char *name;
	unsigned char elf_class, elf_data;
	unsigned short e_machine;
} machines[N_MACHINES] = {
	[MACHINE_X86_64] = { "x86_64", ELFCLASS64, ELFDATA2LSB, EM_X86_64 },
	[MACHINE_I386] = { "i386", ELFCLASS32, ELFDATA2LSB, EM_386 },
	[MACHINE_AARCH64] = { "aarch64", ELFCLASS64, ELFDATA2LSB, EM_AARCH64 },
	[MACHINE_ARM] = { "arm", ELFCLASS32, ELFDATA2LSB, EM_ARM },
	[MACHINE_RISCV64] = { "riscv64", ELFCLASS64, ELFDATA2LSB, EM_RISCV },
	[MACHINE_PPC64LE] = { "ppc64le", ELFCLASS64, ELFDATA2LSB, EM_PPC64 },
	[MACHINE_S390X] = { "s390x", ELFCLASS64, ELFDATA2MSB, EM_S390 },
	[MACHINE_E2K] = { "e2k", ELFCLASS64, ELFDATA2LSB, EM_MCST_ELBRUS },
};

int binfmt_machine_from_name(const char *name)
{
	for (size_t i = 0; i < N_MACHINES; i++)
		if (strcmp(machines[i].name, name) == 0)
			return (int)i;
	return -EINVAL;
}

const char *binfmt_machine_name(enum binfmt_machine m)
{
	return (unsigned)m < N_MACHINES ? machines[m].name : "unknown";
}

enum binfmt_machine binfmt_host_machine(void)
{
#if defined(__x86_64__)
	return MACHINE_X86_64;
#elif defined(__i386__)
	return MACHINE_I386;
#elif defined(__aarch64__)
	return MACHINE_AARCH64;
#elif defined(__arm__)
	return MACHINE_ARM;
#elif defined(__riscv) && __riscv_xlen == 64
	return MACHINE_RISCV64;
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return MACHINE_PPC64LE;
#elif defined(__s390x__)
	return MACHINE_S390X;
#elif defined(__e2k__)
	return MACHINE_E2K;
#else
// cppcheck-suppress preprocessorErrorDirective
#error "unknown host machine: add it to lib/binfmt.c"
#endif
}

#define MATCH_LEN 20 /* e_ident (16), e_type (2), e_machine (2) */

static void put16(unsigned char *p, unsigned v, unsigned char data)
{
	p[data == ELFDATA2LSB ? 0 : 1] = v & 0xff;
	p[data == ELFDATA2LSB ? 1 : 0] = (v >> 8) & 0xff;
}

static int append_escaped(char *buf, size_t len, size_t *off, const unsigned char *bytes)
{
	for (size_t i = 0; i < MATCH_LEN; i++) {
		int r = xsnprintf(buf + *off, len - *off, "\\x%02x", bytes[i]);
		if (r < 0)
			return r;
		*off += (size_t)r;
	}
	return 0;
}

int binfmt_register_line(enum binfmt_machine m, const char *interpreter, char *buf, size_t len)
{
	if ((unsigned)m >= N_MACHINES || interpreter[0] != '/' || strchr(interpreter, ':'))
		return -EINVAL;
	unsigned char magic[MATCH_LEN] = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3 };
	unsigned char mask[MATCH_LEN];
	memset(mask, 0xff, sizeof(mask));
	magic[EI_CLASS] = machines[m].elf_class;
	magic[EI_DATA] = machines[m].elf_data;
	magic[EI_VERSION] = EV_CURRENT;
	mask[EI_OSABI] = 0x00;
	put16(magic + 16, ET_EXEC, machines[m].elf_data);
	put16(mask + 16, 0xfffe, machines[m].elf_data); /* ET_EXEC (2) or ET_DYN (3) */
	put16(magic + 18, machines[m].e_machine, machines[m].elf_data);

	size_t off = 0;
	int r = xsnprintf(buf, len, ":x86ns-%s:M::", machines[m].name);
	if (r < 0)
		return r;
	off = (size_t)r;
	if ((r = append_escaped(buf, len, &off, magic)) < 0 ||
	    (r = xsnprintf(buf + off, len - off, ":")) < 0)
		return r;
	off++;
	if ((r = append_escaped(buf, len, &off, mask)) < 0)
		return r;
	r = xsnprintf(buf + off, len - off, ":%s:FP", interpreter);
	return r < 0 ? r : (int)(off + (size_t)r);
}

static unsigned get16(const unsigned char *p, unsigned char data)
{
	return data == ELFDATA2LSB ? p[0] | (unsigned)p[1] << 8 : p[1] | (unsigned)p[0] << 8;
}

static unsigned long long get_n(const unsigned char *p, size_t n, unsigned char data)
{
	unsigned long long v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (unsigned long long)p[data == ELFDATA2LSB ? i : n - 1 - i] << (8 * i);
	return v;
}

#define PHNUM_MAX 256

int elf_inspect(int fd, struct elf_info *ret)
{
	unsigned char h[64];
	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return -ENOEXEC;
	if (memcmp(h, ELFMAG, SELFMAG) != 0 ||
	    (h[EI_CLASS] != ELFCLASS32 && h[EI_CLASS] != ELFCLASS64) ||
	    (h[EI_DATA] != ELFDATA2LSB && h[EI_DATA] != ELFDATA2MSB))
		return -ENOEXEC;
	unsigned char data = h[EI_DATA];
	bool wide = h[EI_CLASS] == ELFCLASS64;
	struct elf_info info = { .machine = -1, .e_machine = get16(h + 18, data) };
	for (size_t i = 0; i < N_MACHINES; i++)
		if (machines[i].e_machine == info.e_machine &&
		    machines[i].elf_class == h[EI_CLASS] && machines[i].elf_data == data)
			info.machine = (int)i;

	/* Program headers: offset, entry size and count sit at fixed places. */
	unsigned long long phoff = wide ? get_n(h + 32, 8, data) : get_n(h + 28, 4, data);
	unsigned phentsize = get16(h + (wide ? 54 : 42), data);
	unsigned phnum = get16(h + (wide ? 56 : 44), data);
	if (phnum > PHNUM_MAX || phentsize < 4 || phentsize > 64)
		return -ENOEXEC;
	info.is_static = true;
	for (unsigned i = 0; i < phnum; i++) {
		unsigned char type[4];
		if (pread(fd, type, sizeof(type),
			  (off_t)(phoff + (unsigned long long)i * phentsize)) !=
		    (ssize_t)sizeof(type))
			return -ENOEXEC;
		if (get_n(type, 4, data) == PT_INTERP)
			info.is_static = false;
	}
	*ret = info;
	return 0;
}

int translator_file_check(const char *path, bool require_static)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return negerrno();
	struct stat st;
	if (fstat(fd, &st) < 0)
		return negerrno();
	if (!S_ISREG(st.st_mode) || !(st.st_mode & S_IXOTH))
		return -EACCES;
	struct elf_info elf;
	int r = elf_inspect(fd, &elf);
	if (r < 0)
		return r;
	if (elf.machine != (int)binfmt_host_machine())
		return -EXDEV;
	if (require_static && !elf.is_static)
		return -ELIBBAD;
	return 0;
}

const char *translator_file_error(int r)
{
	switch (r) {
	case -ENOEXEC: return "not an ELF executable";
	case -EXDEV: return "built for another machine than this one";
	case -ELIBBAD:
		return "dynamically linked, and its profile needs a static build (its libraries "
		       "are not in the guest after pivot_root; Debian: qemu-user-static)";
	case -EACCES: return "not a regular file executable by all";
	default: return strerror(-r);
	}
}

/* ---- registrations as binfmt_misc shows them --------------------------- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "7f454c46..." into bytes; the kernel prints magic and mask in lower case. */
static int hex_bytes(const char *s, size_t n_chars, unsigned char *out, size_t max,
		     size_t *ret_len)
{
	if (n_chars % 2 || n_chars / 2 > max)
		return -EINVAL;
	for (size_t i = 0; i < n_chars; i += 2) {
		int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	*ret_len = n_chars / 2;
	return 0;
}

static int entry_line(struct binfmt_entry *e, const char *line, size_t len, bool *has_mask)
{
#define IS(word) (len > strlen(word) && strncmp(line, word, strlen(word)) == 0)
	size_t n;
	if (len == 7 && strncmp(line, "enabled", 7) == 0)
		e->enabled = true;
	else if (len == 8 && strncmp(line, "disabled", 8) == 0)
		e->enabled = false;
	else if (IS("interpreter "))
		return xsnprintf(e->interpreter, sizeof(e->interpreter), "%.*s", (int)(len - 12),
				 line + 12) < 0
			   ? -EINVAL
			   : 0;
	else if (IS("flags: "))
		return xsnprintf(e->flags, sizeof(e->flags), "%.*s", (int)(len - 7), line + 7) < 0
			   ? -EINVAL
			   : 0;
	else if (IS("flags:"))
		e->flags[0] = '\0';
	else if (IS("offset "))
		e->offset = (unsigned)strtoul(line + 7, NULL, 10);
	else if (IS("magic ")) {
		e->by_magic = true;
		return hex_bytes(line + 6, len - 6, e->magic, sizeof(e->magic), &e->magic_len);
	} else if (IS("mask ")) {
		*has_mask = true;
		return hex_bytes(line + 5, len - 5, e->mask, sizeof(e->mask), &n) < 0 ||
			       n != e->magic_len
			   ? -EINVAL
			   : 0;
	}
#undef IS
	return 0;
}

int binfmt_entry_parse(const char *text, struct binfmt_entry *ret)
{
	struct binfmt_entry e = { 0 };
	bool has_mask = false, seen_state = false;
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		if ((len == 7 && strncmp(line, "enabled", 7) == 0) ||
		    (len == 8 && strncmp(line, "disabled", 8) == 0))
			seen_state = true;
		int r = entry_line(&e, line, len, &has_mask);
		if (r < 0)
			return r;
		line += len + (line[len] == '\n');
	}
	/* An entry's mask line is left out when its mask is all ones. */
	if (e.by_magic && !has_mask)
		memset(e.mask, 0xff, e.magic_len);
	if (!seen_state || !e.interpreter[0])
		return -EINVAL;
	*ret = e;
	return 0;
}

/* The first MATCH_LEN bytes of an ELF executable of machine m, of type t. */
static void elf_header_of(enum binfmt_machine m, unsigned type, unsigned char h[MATCH_LEN])
{
	memset(h, 0, MATCH_LEN);
	memcpy(h, ELFMAG, SELFMAG);
	h[EI_CLASS] = machines[m].elf_class;
	h[EI_DATA] = machines[m].elf_data;
	h[EI_VERSION] = EV_CURRENT;
	put16(h + 16, type, machines[m].elf_data);
	put16(h + 18, machines[m].e_machine, machines[m].elf_data);
}

static bool entry_matches(const struct binfmt_entry *e, const unsigned char h[MATCH_LEN])
{
	for (size_t i = 0; i < e->magic_len; i++) {
		size_t at = e->offset + i;
		/* Bytes past the part of the header we know must not matter. */
		unsigned char byte = at < MATCH_LEN ? h[at] : 0;
		if (at >= MATCH_LEN && e->mask[i])
			return false;
		if ((byte & e->mask[i]) != (e->magic[i] & e->mask[i]))
			return false;
	}
	return e->magic_len > 0;
}

bool binfmt_entry_runs(const struct binfmt_entry *e, enum binfmt_machine m)
{
	if ((unsigned)m >= N_MACHINES || !e->enabled || !e->by_magic)
		return false;
	unsigned char exec[MATCH_LEN], dyn[MATCH_LEN];
	elf_header_of(m, ET_EXEC, exec);
	elf_header_of(m, ET_DYN, dyn);
	return entry_matches(e, exec) && entry_matches(e, dyn);
}
