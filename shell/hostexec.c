/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running the host's sftp-server inside a guest that has none.
 *
 * sshd starts the sftp subsystem as `x86ns-shell -c /usr/lib/openssh/sftp-server`.
 * When the guest lacks that program, the host's copy runs inside the
 * container (so sftp and scp see the guest's files), without putting any
 * host file into the guest's tree: before joining, the program, its dynamic
 * loader and its libraries are opened by fd; inside, the loader is exec'd
 * from its fd with the libraries preloaded through /proc/self/fd, so that
 * nothing is looked up in the guest's /lib.
 *
 * Runs in: x86ns-shell, as the user; hostexec_prepare on the host side,
 * hostexec_run inside the guest. */

#include "hostexec.h"

#include "util.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define HOSTEXEC_ELF_MAX (64u << 20)

static const char *const lib_dirs[] = {
	"/lib/x86_64-linux-gnu",
	"/usr/lib/x86_64-linux-gnu",
	"/lib/aarch64-linux-gnu",
	"/usr/lib/aarch64-linux-gnu",
	"/lib64",
	"/usr/lib64",
	"/lib",
	"/usr/lib",
};

bool hostexec_is_sftp_server(const char *command)
{
	if (!command || command[0] != '/' || strpbrk(command, " \t;|&$`'\"<>"))
		return false;
	const char *base = strrchr(command, '/') + 1;
	return strcmp(base, "sftp-server") == 0;
}

/* The PT_INTERP path and the DT_NEEDED names of a 64-bit ELF in memory. */
static int elf_dependencies(const unsigned char *img, size_t size, struct hostexec *h)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff > size || eh->e_phnum > (size - eh->e_phoff) / sizeof(Elf64_Phdr))
		return -ENOEXEC;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(img + eh->e_phoff);
	const Elf64_Dyn *dyn = NULL;
	size_t n_dyn = 0;
	for (size_t i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_offset > size || ph[i].p_filesz > size - ph[i].p_offset)
			return -ENOEXEC;
		if (ph[i].p_type == PT_INTERP)
			snprintf(h->interp, sizeof(h->interp), "%.*s", (int)ph[i].p_filesz,
				 (const char *)img + ph[i].p_offset);
		if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const Elf64_Dyn *)(img + ph[i].p_offset);
			n_dyn = ph[i].p_filesz / sizeof(Elf64_Dyn);
		}
	}
	if (!dyn || !h->interp[0])
		return -ENOEXEC;
	/* DT_STRTAB is a virtual address: map it back to a file offset. */
	uint64_t strtab_va = 0;
	for (size_t i = 0; i < n_dyn && dyn[i].d_tag != DT_NULL; i++)
		if (dyn[i].d_tag == DT_STRTAB)
			strtab_va = dyn[i].d_un.d_ptr;
	uint64_t strtab_off = 0;
	bool found = false;
	for (size_t i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && strtab_va >= ph[i].p_vaddr &&
		    strtab_va < ph[i].p_vaddr + ph[i].p_filesz) {
			strtab_off = strtab_va - ph[i].p_vaddr + ph[i].p_offset;
			found = true;
		}
	if (!found || strtab_off >= size)
		return -ENOEXEC;
	for (size_t i = 0; i < n_dyn && dyn[i].d_tag != DT_NULL; i++) {
		if (dyn[i].d_tag != DT_NEEDED)
			continue;
		if (h->n_libs == HOSTEXEC_LIBS_MAX || dyn[i].d_un.d_val >= size - strtab_off)
			return -E2BIG;
		const char *name = (const char *)img + strtab_off + dyn[i].d_un.d_val;
		snprintf(h->libs[h->n_libs].name, sizeof(h->libs[0].name), "%.*s",
			 (int)strnlen(name, size - strtab_off - dyn[i].d_un.d_val), name);
		h->libs[h->n_libs++].fd = -1;
	}
	return 0;
}

static int open_library(const char *name, int *ret_fd)
{
	if (strchr(name, '/'))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(lib_dirs); i++) {
		char path[512];
		if (xsnprintf(path, sizeof(path), "%s/%s", lib_dirs[i], name) < 0)
			continue;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			*ret_fd = fd;
			return 0;
		}
	}
	return -ENOENT;
}

int hostexec_prepare(const char *program, struct hostexec *h)
{
	*h = (struct hostexec){ .program_fd = -1, .interp_fd = -1 };
	h->program_fd = open(program, O_RDONLY | O_CLOEXEC);
	if (h->program_fd < 0)
		return negerrno();
	struct stat st;
	if (fstat(h->program_fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (size_t)st.st_size > HOSTEXEC_ELF_MAX)
		return -ENOEXEC;
	void *img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, h->program_fd, 0);
	if (img == MAP_FAILED)
		return negerrno();
	int r = elf_dependencies(img, (size_t)st.st_size, h);
	munmap(img, (size_t)st.st_size);
	if (r < 0)
		return r;
	h->interp_fd = open(h->interp, O_RDONLY | O_CLOEXEC);
	if (h->interp_fd < 0)
		return negerrno();
	/* One level of dependencies covers sftp-server (libc, whose own only
	 * dependency is the loader); anything deeper fails with ENOENT from
	 * the loader and is reported. */
	for (size_t i = 0; i < h->n_libs; i++) {
		r = open_library(h->libs[i].name, &h->libs[i].fd);
		if (r < 0)
			return r;
	}
	return 0;
}

int hostexec_run(const struct hostexec *h, const char *argv0, char **envp)
{
	/* The fds must survive the exec: the loader opens them by path. */
	char preload[HOSTEXEC_LIBS_MAX * 24] = "";
	size_t off = 0;
	for (size_t i = 0; i < h->n_libs; i++) {
		if (fcntl(h->libs[i].fd, F_SETFD, 0) < 0)
			return negerrno();
		int r = xsnprintf(preload + off, sizeof(preload) - off, "%s/proc/self/fd/%d",
				  i ? " " : "", h->libs[i].fd);
		if (r < 0)
			return r;
		off += (size_t)r;
	}
	if (fcntl(h->program_fd, F_SETFD, 0) < 0)
		return negerrno();
	char program[32];
	snprintf(program, sizeof(program), "/proc/self/fd/%d", h->program_fd);
	char *argv[] = { (char *)argv0, "--preload", preload, "--argv0",
			 (char *)argv0, program,     NULL };
	syscall(SYS_execveat, h->interp_fd, "", argv, envp, AT_EMPTY_PATH);
	return negerrno();
}
