// Fuzz target: wal::Reader over arbitrary bytes.
//
// Input: one flag byte (bit 0: verify checksums), then the log file. Checking
// is off for half the inputs so that the fuzzer can explore the fragment logic
// behind the CRC, which random mutations almost never get right.
//
// Invariants checked for every input:
//  - the reader never reads out of bounds and its counters stay within the
//    file;
//  - the records it returns, written again by wal::Writer, read back
//    identically and without any damage report;
//  - a log cut back to EndOfLastRecord() and then appended to (what a reopened
//    writer does after a torn tail) reads as the same records plus the new one.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/fuzz_util.h"
#include "wal/reader.h"
#include "wal/writer.h"

namespace kvs::fuzz {
namespace {

class CountingReporter : public wal::Reader::Reporter {
 public:
  void Corruption(size_t bytes, const absl::Status& status) override {
    FUZZ_CHECK(absl::IsDataLoss(status), status.ToString());
    calls++;
    bytes_dropped += bytes;
  }
  uint64_t calls = 0;
  uint64_t bytes_dropped = 0;
};

struct ReadResult {
  std::vector<std::string> records;
  uint64_t reports = 0;
  uint64_t torn_tail = 0;
  uint64_t end_of_last_record = 0;
};

ReadResult ReadAll(std::string_view log, bool verify_checksums) {
  StringSequentialFile file(log);
  CountingReporter reporter;
  wal::Reader reader(&file, &reporter, verify_checksums);
  ReadResult result;
  std::string_view record;
  std::string scratch;
  uint64_t record_bytes = 0;
  while (reader.ReadRecord(&record, &scratch)) {
    FUZZ_CHECK(reader.LastRecordOffset() < reader.EndOfLastRecord(),
               "a record occupies at least its header");
    FUZZ_CHECK(reader.EndOfLastRecord() <= log.size(), "record past the end");
    record_bytes += record.size();
    result.records.emplace_back(record);
  }
  FUZZ_CHECK(reader.status().ok(), reader.status().ToString());
  FUZZ_CHECK(reader.CorruptionReports() == reporter.calls, "report count");
  FUZZ_CHECK(reader.DroppedBytes() == reporter.bytes_dropped, "dropped bytes");
  FUZZ_CHECK(reader.DroppedBytes() <= log.size(), "dropped more than the file");
  FUZZ_CHECK(reader.TornTailBytes() <= log.size(), "tail longer than file");
  FUZZ_CHECK(record_bytes <= log.size(), "records hold more than the file");
  result.reports = reader.CorruptionReports();
  result.torn_tail = reader.TornTailBytes();
  result.end_of_last_record = reader.EndOfLastRecord();
  return result;
}

}  // namespace
}  // namespace kvs::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kvs;
  using namespace kvs::fuzz;
  InputReader in(data, size);
  const bool verify = (in.Byte() & 1) != 0;
  const std::string_view log = in.Rest();
  ReadResult first = ReadAll(log, verify);

  // Written again, the records must read back exactly and cleanly.
  StringSink sink;
  {
    wal::Writer writer(&sink, 0);
    for (const std::string& r : first.records) {
      absl::Status s = writer.AddRecord(r);
      FUZZ_CHECK(s.ok(), s.ToString());
    }
  }
  ReadResult again = ReadAll(sink.contents, /*verify_checksums=*/true);
  FUZZ_CHECK(again.records == first.records, "rewritten log differs");
  FUZZ_CHECK(again.reports == 0 && again.torn_tail == 0,
             "rewritten log has damage");

  // Cut at the end of the last record and append: a reopened writer's view.
  std::string cut(log.substr(0, first.end_of_last_record));
  StringSink appended;
  appended.contents = cut;
  {
    wal::Writer writer(&appended, cut.size());
    absl::Status s = writer.AddRecord("appended after reopening");
    FUZZ_CHECK(s.ok(), s.ToString());
  }
  ReadResult reopened = ReadAll(appended.contents, verify);
  std::vector<std::string> expected = first.records;
  expected.emplace_back("appended after reopening");
  FUZZ_CHECK(reopened.records == expected,
             "records changed after cutting and appending");
  return 0;
}
