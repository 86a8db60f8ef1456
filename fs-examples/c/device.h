/* The block device of the ext2 example's C engine, beside the abstract
 * functions of ext2/device.cdsl (declared in the generated ext2.h, defined
 * in device.c): what server.c needs to open, check and sync it. The C twin
 * of src/device.rs. */
#ifndef CDSLFS_DEVICE_H
#define CDSLFS_DEVICE_H

#include "ext2.h"

/* Opens the image at `path` (read-only or not) whose file-system block size
 * is `block_size`; NULL with `why` filled in when it cannot. */
struct Abs_Dev *device_open(const char *path, uint32_t block_size, bool read_only, char *why, size_t why_len);

/* The first error recorded since the last call, copied into `message` and
 * cleared; false when there was none. */
bool device_take_error(struct Abs_Dev *dev, char *message, size_t message_len);

/* Writes every dirty block to the image and flushes the file to the disk;
 * false with `why` filled in on an error. */
bool device_sync(struct Abs_Dev *dev, char *why, size_t why_len);

/* Writes every dirty block to the image file, where other readers of the
 * image see it (not necessarily on disk yet); as device_sync. */
bool device_write_back(struct Abs_Dev *dev, char *why, size_t why_len);

/* Releases the cache and closes the file, writing nothing back (as dropping
 * a `Dev` in Rust does). */
void device_close(struct Abs_Dev *dev);

#endif
