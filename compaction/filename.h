#ifndef KVS_COMPACTION_FILENAME_H_
#define KVS_COMPACTION_FILENAME_H_

// Names of the files in a database directory (docs/format.md, "File naming").

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "lsm/file_system.h"

namespace kvs {

enum class FileType {
  kLogFile,         // NNNNNN.log: write-ahead log
  kTableFile,       // NNNNNN.sst: sorted table
  kDescriptorFile,  // MANIFEST-NNNNNN
  kCurrentFile,     // CURRENT: names the live MANIFEST
  kLockFile,        // LOCK
  kInfoLogFile,     // LOG, LOG.old
  kTempFile,        // NNNNNN.dbtmp: a CURRENT being replaced
};

std::string LogFileName(std::string_view dbname, uint64_t number);
std::string TableFileName(std::string_view dbname, uint64_t number);
std::string DescriptorFileName(std::string_view dbname, uint64_t number);
std::string CurrentFileName(std::string_view dbname);
std::string LockFileName(std::string_view dbname);
std::string TempFileName(std::string_view dbname, uint64_t number);
std::string InfoLogFileName(std::string_view dbname);
std::string OldInfoLogFileName(std::string_view dbname);

// Parses a file name (not a path) of a database directory. Returns false for
// names kvs does not own; *number is 0 for files without a number.
bool ParseFileName(std::string_view name, uint64_t* number, FileType* type);

// Points CURRENT at MANIFEST-descriptor_number atomically and durably: writes a
// temporary file, syncs it, renames it over CURRENT and syncs the directory.
absl::Status SetCurrentFile(FileSystem* fs, std::string_view dbname,
                            uint64_t descriptor_number);

}  // namespace kvs

#endif  // KVS_COMPACTION_FILENAME_H_
