#include "compaction/version_edit.h"

#include <string>

#include "gtest/gtest.h"
#include "memtable/internal_key.h"
#include "util/random.h"

namespace kvs {
namespace {

void ExpectRoundTrip(const VersionEdit& edit) {
  std::string encoded;
  edit.EncodeTo(&encoded);
  VersionEdit parsed;
  ASSERT_TRUE(parsed.DecodeFrom(encoded).ok());
  std::string encoded2;
  parsed.EncodeTo(&encoded2);
  EXPECT_EQ(encoded, encoded2);
  EXPECT_EQ(edit.DebugString(), parsed.DebugString());
}

std::string IKey(std::string_view user_key, uint64_t seq, ValueType type) {
  return std::string(InternalKey(user_key, seq, type).Encode());
}

TEST(VersionEditTest, EmptyEditRoundTrips) { ExpectRoundTrip(VersionEdit()); }

TEST(VersionEditTest, EveryFieldRoundTrips) {
  static const uint64_t kBig = 1ull << 50;
  VersionEdit edit;
  for (int i = 0; i < 4; i++) {
    ExpectRoundTrip(edit);
    FileMetaData f;
    f.number = kBig + 300 + i;
    f.file_size = kBig + 400 + i;
    f.smallest = IKey("foo", kBig + 500 + i, kTypeValue);
    f.largest = IKey("zoo", kBig + 600 + i, kTypeDeletion);
    edit.AddFile(3, f);
    edit.RemoveFile(4, kBig + 700 + i);
    edit.SetCompactPointer(i, IKey("x", kBig + 900 + i, kTypeValue));
  }
  edit.SetComparatorName("foo");
  edit.SetLogNumber(kBig + 100);
  edit.SetNextFileNumber(kBig + 200);
  edit.SetLastSequence(kBig + 1000);
  ExpectRoundTrip(edit);
}

TEST(VersionEditTest, EmptyUserKeysAreFine) {
  VersionEdit edit;
  FileMetaData f;
  f.number = 7;
  f.smallest = IKey("", 1, kTypeValue);
  f.largest = IKey("", 1, kTypeValue);
  edit.AddFile(0, f);
  ExpectRoundTrip(edit);
}

TEST(VersionEditTest, EveryTruncationAndFlipIsDataLossOrValid) {
  VersionEdit edit;
  FileMetaData f;
  f.number = 12;
  f.file_size = 4096;
  f.smallest = IKey("apple", 5, kTypeValue);
  f.largest = IKey("pear", 9, kTypeValue);
  edit.AddFile(1, f);
  edit.RemoveFile(2, 33);
  edit.SetComparatorName("kvs.BytewiseComparator");
  edit.SetLogNumber(4);
  edit.SetNextFileNumber(40);
  edit.SetLastSequence(1000);
  std::string encoded;
  edit.EncodeTo(&encoded);
  for (size_t len = 0; len < encoded.size(); len++) {
    VersionEdit parsed;
    absl::Status s = parsed.DecodeFrom(std::string_view(encoded.data(), len));
    // A prefix ending exactly between records is a valid (smaller) edit.
    if (!s.ok()) EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  }
  for (size_t i = 0; i < encoded.size(); i++) {
    for (int bit = 0; bit < 8; bit++) {
      std::string damaged = encoded;
      damaged[i] ^= static_cast<char>(1 << bit);
      VersionEdit parsed;
      absl::Status s = parsed.DecodeFrom(damaged);
      if (!s.ok()) EXPECT_TRUE(absl::IsDataLoss(s)) << s;
    }
  }
  Random rnd(99);
  for (int i = 0; i < 5000; i++) {
    VersionEdit parsed;
    absl::Status s = parsed.DecodeFrom(rnd.RandomBytes(rnd.Uniform(64)));
    if (!s.ok()) EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  }
}

TEST(VersionEditTest, RejectsLevelsBeyondTheMaximum) {
  std::string encoded;
  encoded.push_back(6);  // kDeletedFile
  encoded.push_back(static_cast<char>(kMaxNumLevels));
  encoded.push_back(1);
  VersionEdit parsed;
  EXPECT_TRUE(absl::IsDataLoss(parsed.DecodeFrom(encoded)));
}

TEST(VersionEditTest, RejectsKeysTooShortToBeInternalKeys) {
  std::string encoded;
  encoded.push_back(7);  // kNewFile
  encoded.push_back(0);  // level
  encoded.push_back(1);  // number
  encoded.push_back(1);  // size
  encoded.push_back(3);
  encoded += "abc";  // smallest: 3 bytes, no trailer
  encoded.push_back(3);
  encoded += "abd";
  VersionEdit parsed;
  EXPECT_TRUE(absl::IsDataLoss(parsed.DecodeFrom(encoded)));
}

}  // namespace
}  // namespace kvs
