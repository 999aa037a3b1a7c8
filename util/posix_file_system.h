#ifndef KVS_UTIL_POSIX_FILE_SYSTEM_H_
#define KVS_UTIL_POSIX_FILE_SYSTEM_H_

#include <memory>

#include "lsm/file_system.h"

namespace kvs {

// The POSIX FileSystem. DefaultFileSystem() (declared in lsm/file_system.h,
// defined here) returns a process-wide instance that is never destroyed;
// NewPosixFileSystem makes a private one, whose destructor runs any scheduled
// work still queued and joins its background threads (tests use it so that
// every thread is gone when the test ends).
//
// Behaviour worth knowing:
//  - Every file descriptor is opened O_CLOEXEC.
//  - RandomAccessFile::Read is a single pread on a descriptor kept open for the
//    file's lifetime, so concurrent reads need no locking.
//  - WritableFile buffers appends in user space (64 KiB): small appends cost no
//    system call. Flush write()s the buffer; Sync is Flush plus fdatasync;
//    Close is Flush plus close. Appends larger than the buffer go straight to
//    write(). After Close, every call returns FailedPrecondition.
//  - NewLogFile (the WAL) writes through a shared mapping instead: Append is a
//    memcpy into the page cache (it survives a crash of the process with no
//    system call; appends of 16 KiB or more are one pwrite instead, cheaper
//    than a page fault per fresh page), space is fallocate'd ahead in chunks of
//    64 KiB doubling to 1 MiB, Flush does nothing, Sync is fdatasync, Close
//    unmaps and trims the file to the bytes appended. After a crash the file
//    ends in zeros up to the chunk's end. On a file system without fallocate it
//    is the buffered file.
//  - Creating, renaming or removing a file is NOT durable until SyncDir on its
//    directory: callers that need that call SyncDir themselves (nothing here
//    does it behind their back).
//  - LockFile takes an fcntl(F_SETLK) write lock, which excludes other
//    processes, and also records the path in a process-wide set, because fcntl
//    locks never conflict within one process. The set is checked before the
//    file is opened: closing any descriptor of a locked file would drop the
//    process's fcntl lock. Two spellings of one path ("db/LOCK", "./db/LOCK")
//    are not recognised as the same file within a process.
//  - Errors (see util/io_error.h): ENOENT -> NotFound, EEXIST -> AlreadyExists,
//    others -> Internal, each with the message "<op> <path>: <strerror>". A
//    held lock -> Unavailable naming the path. CreateDir on an existing non-
//    directory -> AlreadyExists.
//  - Schedule: one thread per priority (util/scheduler.h), started on first
//    use. The kLow thread (compactions) runs at nice +10, so it yields the CPU
//    to the threads serving reads and writes.
//  - NowMicros reads the monotonic clock.
//
// Thread-safety: as FileSystem (everything may be called concurrently).
std::unique_ptr<FileSystem> NewPosixFileSystem();

}  // namespace kvs

#endif  // KVS_UTIL_POSIX_FILE_SYSTEM_H_
