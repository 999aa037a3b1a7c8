#ifndef KVS_UTIL_MEM_FILE_SYSTEM_H_
#define KVS_UTIL_MEM_FILE_SYSTEM_H_

#include <memory>

#include "lsm/file_system.h"

namespace kvs {

// A FileSystem held entirely in memory, for fast tests. It follows POSIX
// semantics closely enough that code tested on it behaves the same on disk:
//  - Paths are normalized lexically (util/path_util.h), so "/db//x" and "/db/x"
//    are one file. The roots "/" and "." (for relative paths) always exist;
//    every other directory must be made with CreateDir, whose parent must exist
//    (no "mkdir -p"), and a file can only be created in an existing directory.
//  - A file's bytes are shared and reference-counted: a reader or writer opened
//    before the file is removed, renamed or replaced keeps working on the bytes
//    it opened, as with an inode. NewWritableFile on an existing file truncates
//    those same bytes, as O_TRUNC does.
//  - Appends are visible to readers at once; Flush, Sync and SyncDir succeed
//    and do nothing (use FaultInjectionFileSystem on top to model durability).
//  - GetChildren lists files and subdirectories. RemoveDir needs an empty
//    directory. RenameFile moves files and directories with POSIX rules (a file
//    replaces a file; a directory replaces only an empty directory and cannot
//    move inside itself).
//  - LockFile is exclusive within this instance (Unavailable naming the path if
//    held) and creates the file like NewAppendableFile.
//  - Errors carry the errno POSIX would give, mapped as in util/io_error.h:
//    NotFound for a missing file or directory, AlreadyExists, otherwise
//    Internal ("Is a directory", "Directory not empty", ...). Writes after
//    WritableFile::Close return FailedPrecondition.
//  - Schedule uses a Scheduler (one thread per priority); NowMicros and
//    SleepForMicros use the real clock.
//
// Thread-safety: as FileSystem. Destroying the file system runs the scheduled
// work still queued and joins its threads; files opened from it must be
// destroyed first.
std::unique_ptr<FileSystem> NewMemFileSystem();

}  // namespace kvs

#endif  // KVS_UTIL_MEM_FILE_SYSTEM_H_
