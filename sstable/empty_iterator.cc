#include "sstable/empty_iterator.h"

#include <utility>

namespace kvs {
namespace {

class EmptyIterator final : public Iterator {
 public:
  explicit EmptyIterator(absl::Status status) : status_(std::move(status)) {}

  bool Valid() const override { return false; }
  void SeekToFirst() override {}
  void SeekToLast() override {}
  void Seek(std::string_view) override {}
  void Next() override {}
  void Prev() override {}
  // Never called: the iterator is never Valid().
  std::string_view key() const override { return {}; }
  std::string_view value() const override { return {}; }
  absl::Status status() const override { return status_; }

 private:
  const absl::Status status_;
};

}  // namespace

Iterator* NewEmptyIterator() { return new EmptyIterator(absl::OkStatus()); }

Iterator* NewErrorIterator(absl::Status status) {
  return new EmptyIterator(std::move(status));
}

}  // namespace kvs
