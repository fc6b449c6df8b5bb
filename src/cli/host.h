/* host.h: the few things the command line asks of its host. The engine itself does no I/O.
 * Native builds and C test programs use stdio (host_stdio.c); the wasm product module imports
 * them from the module "wasmrec" that wasm/wasmrec.mjs supplies (host_wasm.c). */
#ifndef WR_HOST_H
#define WR_HOST_H

#include <stddef.h>

/* Writes n bytes to fd 1 (stdout) or 2 (stderr). */
void wr__host_print(int fd, const char *s, size_t n);
/* Reads a whole file into a malloc'd buffer (NUL-terminated, *len excludes the NUL).
 * Returns 0, or -1 with a reason in err (size errlen). */
int wr__host_read_file(const char *path, char **out, size_t *len, char *err, size_t errlen);
/* Writes a whole file atomically (temporary file + rename), so a failed write never leaves a
 * half-written file in place of the old one. Returns 0, or -1 with a reason in err. */
int wr__host_write_file(const char *path, const char *data, size_t len, char *err, size_t errlen);
/* The number of cores (for --threads auto); 1 where the host has no threads. */
int wr__host_cores(void);

#endif
