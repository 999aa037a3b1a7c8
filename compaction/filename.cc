#include "compaction/filename.h"

#include <memory>

#include "absl/strings/str_format.h"

namespace kvs {
namespace {

std::string NumberedName(std::string_view dbname, uint64_t number,
                         const char* suffix) {
  return absl::StrFormat("%s/%06d.%s",
                         absl::string_view(dbname.data(), dbname.size()),
                         number, suffix);
}

// Parses a decimal number at the front of *in, consuming it. False on no digits
// or overflow.
bool ConsumeDecimal(std::string_view* in, uint64_t* value) {
  constexpr uint64_t kMax = ~uint64_t{0};
  uint64_t v = 0;
  size_t digits = 0;
  while (digits < in->size() && (*in)[digits] >= '0' && (*in)[digits] <= '9') {
    uint64_t d = (*in)[digits] - '0';
    if (v > (kMax - d) / 10) return false;
    v = v * 10 + d;
    digits++;
  }
  if (digits == 0) return false;
  in->remove_prefix(digits);
  *value = v;
  return true;
}

}  // namespace

std::string LogFileName(std::string_view dbname, uint64_t number) {
  return NumberedName(dbname, number, "log");
}

std::string TableFileName(std::string_view dbname, uint64_t number) {
  return NumberedName(dbname, number, "sst");
}

std::string DescriptorFileName(std::string_view dbname, uint64_t number) {
  return absl::StrFormat("%s/MANIFEST-%06d",
                         absl::string_view(dbname.data(), dbname.size()),
                         number);
}

std::string CurrentFileName(std::string_view dbname) {
  return std::string(dbname) + "/CURRENT";
}

std::string LockFileName(std::string_view dbname) {
  return std::string(dbname) + "/LOCK";
}

std::string TempFileName(std::string_view dbname, uint64_t number) {
  return NumberedName(dbname, number, "dbtmp");
}

std::string InfoLogFileName(std::string_view dbname) {
  return std::string(dbname) + "/LOG";
}

std::string OldInfoLogFileName(std::string_view dbname) {
  return std::string(dbname) + "/LOG.old";
}

bool ParseFileName(std::string_view name, uint64_t* number, FileType* type) {
  if (name == "CURRENT") {
    *number = 0;
    *type = FileType::kCurrentFile;
  } else if (name == "LOCK") {
    *number = 0;
    *type = FileType::kLockFile;
  } else if (name == "LOG" || name == "LOG.old") {
    *number = 0;
    *type = FileType::kInfoLogFile;
  } else if (name.starts_with("MANIFEST-")) {
    std::string_view rest = name.substr(9);
    uint64_t n;
    if (!ConsumeDecimal(&rest, &n) || !rest.empty()) return false;
    *number = n;
    *type = FileType::kDescriptorFile;
  } else {
    std::string_view rest = name;
    uint64_t n;
    if (!ConsumeDecimal(&rest, &n)) return false;
    if (rest == ".log") {
      *type = FileType::kLogFile;
    } else if (rest == ".sst") {
      *type = FileType::kTableFile;
    } else if (rest == ".dbtmp") {
      *type = FileType::kTempFile;
    } else {
      return false;
    }
    *number = n;
  }
  return true;
}

absl::Status SetCurrentFile(FileSystem* fs, std::string_view dbname,
                            uint64_t descriptor_number) {
  std::string manifest = DescriptorFileName(dbname, descriptor_number);
  std::string_view basename(manifest);
  basename.remove_prefix(dbname.size() + 1);
  std::string contents = std::string(basename) + "\n";
  std::string tmp = TempFileName(dbname, descriptor_number);

  absl::Status s;
  {
    auto file = fs->NewWritableFile(tmp);
    if (!file.ok()) return file.status();
    s = (*file)->Append(contents);
    if (s.ok()) s = (*file)->Sync();
    if (s.ok()) s = (*file)->Close();
  }
  if (s.ok()) s = fs->RenameFile(tmp, CurrentFileName(dbname));
  if (s.ok()) s = fs->SyncDir(std::string(dbname));
  if (!s.ok()) fs->RemoveFile(tmp).IgnoreError();
  return s;
}

}  // namespace kvs
