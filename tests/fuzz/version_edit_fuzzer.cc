// Fuzz target: VersionEdit decoding, and a database whose MANIFEST ends with
// the fuzzed record (a record with a valid checksum but arbitrary contents).
//
// Input: one flag byte, then the encoded edit.
//   bit 0: also open a database whose MANIFEST is [a valid snapshot naming one
//          real table, the fuzzed record], write, flush, compact and reopen it.
//   bit 1: open with paranoid_checks.
//
// Invariants:
//  - DecodeFrom fails only with DataLoss; an edit that decodes re-encodes to
//    bytes that decode to the same edit (the encoding is canonical after one
//    round);
//  - opening fails only with DataLoss or InvalidArgument; once open, reads of
//    the original table's keys return the right value, NotFound or DataLoss,
//    never another value; and, when the recovered state does not contradict the
//    table (its sequence numbers), data written after opening reads back
//    exactly, also after flush, compaction and reopen.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "compaction/filename.h"
#include "compaction/version_edit.h"
#include "lsm/comparator.h"
#include "lsm/db.h"
#include "lsm/filter_policy.h"
#include "memtable/internal_key.h"
#include "sstable/table_builder.h"
#include "tests/fuzz/fuzz_util.h"
#include "util/mem_file_system.h"
#include "wal/writer.h"

namespace kvs::fuzz {
namespace {

constexpr char kDB[] = "/db";
constexpr uint64_t kTableNumber = 3;
constexpr uint64_t kTableEntries = 10;  // Keys a..j, sequences 1..10.

std::string OldValue(char key) { return std::string("old-") + key; }

void CheckError(const absl::Status& s) {
  FUZZ_CHECK(s.ok() || absl::IsDataLoss(s) || absl::IsInvalidArgument(s),
             s.ToString());
}

// Writes table kTableNumber as the database would and returns its metadata.
FileMetaData WriteTable(FileSystem* fs) {
  InternalKeyComparator icmp(BytewiseComparator());
  TableOptions options;
  options.comparator = &icmp;
  options.filter_policy =
      std::make_shared<InternalFilterPolicy>(NewBloomFilterPolicy(10));
  auto file = fs->NewWritableFile(TableFileName(kDB, kTableNumber));
  FUZZ_CHECK(file.ok(), file.status().ToString());
  TableBuilder builder(options, file->get());
  FileMetaData meta;
  meta.number = kTableNumber;
  for (uint64_t i = 0; i < kTableEntries; i++) {
    char key = static_cast<char>('a' + i);
    InternalKey ikey(std::string_view(&key, 1), i + 1, kTypeValue);
    if (i == 0) meta.smallest = std::string(ikey.Encode());
    meta.largest = std::string(ikey.Encode());
    FUZZ_CHECK(builder.Add(ikey.Encode(), OldValue(key)).ok(), "table add");
  }
  FUZZ_CHECK(builder.Finish().ok(), "table finish");
  FUZZ_CHECK((*file)->Close().ok(), "table close");
  meta.file_size = builder.FileSize();
  return meta;
}

void WriteManifest(FileSystem* fs, const FileMetaData& table,
                   std::string_view fuzzed_record) {
  VersionEdit base;
  base.SetComparatorName(BytewiseComparator()->Name());
  base.SetLogNumber(0);
  base.SetNextFileNumber(kTableNumber + 1);
  base.SetLastSequence(kTableEntries);
  base.AddFile(0, table);
  std::string record;
  base.EncodeTo(&record);
  auto file = fs->NewWritableFile(DescriptorFileName(kDB, 2));
  FUZZ_CHECK(file.ok(), file.status().ToString());
  wal::Writer log(file->get(), 0);
  FUZZ_CHECK(log.AddRecord(record).ok(), "manifest write");
  FUZZ_CHECK(log.AddRecord(fuzzed_record).ok(), "manifest write");
  FUZZ_CHECK((*file)->Close().ok(), "manifest close");
  FUZZ_CHECK(SetCurrentFile(fs, kDB, 2).ok(), "CURRENT");
}

// The right value (the one in the table, or one written since), NotFound or
// DataLoss; never another value. With exact, the right value only.
void CheckOldKeys(DB* db, const std::map<std::string, std::string>& written,
                  bool exact) {
  for (uint64_t i = 0; i < kTableEntries; i++) {
    std::string key(1, static_cast<char>('a' + i));
    auto w = written.find(key);
    const std::string expected =
        w != written.end() ? w->second : OldValue(key[0]);
    absl::StatusOr<std::string> got = db->Get(ReadOptions(), key);
    if (exact) {
      FUZZ_CHECK(got.ok() && *got == expected,
                 "lost table data: " + key + " " + got.status().ToString());
    } else if (got.ok()) {
      FUZZ_CHECK(*got == OldValue(key[0]) || *got == std::string("new-") + key,
                 "wrong value for an old key: " + *got);
    } else {
      FUZZ_CHECK(
          absl::IsNotFound(got.status()) || absl::IsDataLoss(got.status()),
          got.status().ToString());
    }
  }
}

void CheckNewKeys(DB* db, const std::map<std::string, std::string>& written,
                  bool exact) {
  for (const auto& [key, value] : written) {
    absl::StatusOr<std::string> got = db->Get(ReadOptions(), key);
    if (exact) {
      FUZZ_CHECK(got.ok() && *got == value,
                 "lost a write: " + key + " " + got.status().ToString());
    } else {
      FUZZ_CHECK(!got.ok() || *got == value || *got == OldValue(key[0]),
                 "wrong value for " + key + ": " + *got);
      FUZZ_CHECK(got.ok() || absl::IsNotFound(got.status()) ||
                     absl::IsDataLoss(got.status()),
                 key + ": " + got.status().ToString());
    }
  }
}

void FuzzDatabase(const VersionEdit* edit, std::string_view record,
                  bool paranoid) {
  std::unique_ptr<FileSystem> fs = NewMemFileSystem();
  FUZZ_CHECK(fs->CreateDir(kDB).ok(), "mkdir");
  FileMetaData table = WriteTable(fs.get());
  WriteManifest(fs.get(), table, record);

  Options options;
  options.file_system = fs.get();
  options.paranoid_checks = paranoid;
  options.write_buffer_size = 64 << 10;
  absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(options, kDB);
  if (!db.ok()) {
    CheckError(db.status());
    return;
  }
  // Exact reads are only owed when the MANIFEST does not lie: it leaves the
  // table's entry alone and does not claim fewer sequence numbers were used
  // than the table holds.
  bool honest = edit != nullptr && (!edit->last_sequence() ||
                                    *edit->last_sequence() >= kTableEntries);
  bool table_untouched = honest;
  if (edit != nullptr) {
    for (const auto& [level, number] : edit->deleted_files()) {
      if (number == kTableNumber) table_untouched = false;
    }
    for (const auto& [level, f] : edit->new_files()) {
      if (f.number == kTableNumber) table_untouched = false;
    }
  }
  std::map<std::string, std::string> written;
  CheckOldKeys(db->get(), written, table_untouched);

  bool writes_ok = true;
  for (char key : std::string("acjz")) {
    std::string k(1, key);
    std::string v = std::string("new-") + key;
    absl::Status s = (*db)->Put(WriteOptions(), k, v);
    CheckError(s);
    if (!s.ok()) {
      writes_ok = false;
      break;
    }
    written[k] = v;
  }
  CheckNewKeys(db->get(), written, honest && writes_ok);
  absl::Status s = (*db)->Flush();
  CheckError(s);
  CheckNewKeys(db->get(), written, honest && s.ok());
  s = (*db)->CompactRange(nullptr, nullptr);
  CheckError(s);
  CheckNewKeys(db->get(), written, honest && s.ok());
  CheckOldKeys(db->get(), written, table_untouched && writes_ok && s.ok());
  db->reset();

  db = DB::Open(options, kDB);
  if (!db.ok()) {
    CheckError(db.status());
    return;
  }
  CheckNewKeys(db->get(), written, honest && writes_ok);
  CheckOldKeys(db->get(), written, table_untouched && writes_ok);
}

}  // namespace
}  // namespace kvs::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kvs;
  using namespace kvs::fuzz;
  InputReader in(data, size);
  const uint8_t flags = in.Byte();
  const std::string_view record = in.Rest();

  VersionEdit edit;
  absl::Status s = edit.DecodeFrom(record);
  FUZZ_CHECK(s.ok() || absl::IsDataLoss(s), s.ToString());
  if (s.ok()) {
    std::string once;
    edit.EncodeTo(&once);
    VersionEdit again;
    s = again.DecodeFrom(once);
    FUZZ_CHECK(s.ok(), "re-encoded edit does not decode: " + s.ToString());
    std::string twice;
    again.EncodeTo(&twice);
    FUZZ_CHECK(once == twice, "encoding is not stable");
    FUZZ_CHECK(edit.DebugString() == again.DebugString(), "debug strings");
  }
  if (flags & 1) {
    FuzzDatabase(s.ok() ? &edit : nullptr, record, (flags & 2) != 0);
  }
  return 0;
}
