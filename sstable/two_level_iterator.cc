#include "sstable/two_level_iterator.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"

namespace kvs {
namespace {

class TwoLevelIterator final : public Iterator {
 public:
  TwoLevelIterator(Iterator* index_iter, DataIteratorFunction function)
      : index_iter_(index_iter), function_(std::move(function)) {}

  bool Valid() const override {
    return status_.ok() && data_iter_ != nullptr && data_iter_->Valid();
  }

  void SeekToFirst() override {
    index_iter_->SeekToFirst();
    InitDataIterator();
    if (data_iter_ != nullptr) data_iter_->SeekToFirst();
    SkipEmptyForward();
  }

  void SeekToLast() override {
    index_iter_->SeekToLast();
    InitDataIterator();
    if (data_iter_ != nullptr) data_iter_->SeekToLast();
    SkipEmptyBackward();
  }

  void Seek(std::string_view target) override {
    index_iter_->Seek(target);
    InitDataIterator();
    if (data_iter_ != nullptr) data_iter_->Seek(target);
    SkipEmptyForward();
  }

  void Next() override {
    if (!Valid()) return;
    data_iter_->Next();
    SkipEmptyForward();
  }

  void Prev() override {
    if (!Valid()) return;
    data_iter_->Prev();
    SkipEmptyBackward();
  }

  std::string_view key() const override { return data_iter_->key(); }
  std::string_view value() const override { return data_iter_->value(); }

  absl::Status status() const override {
    if (!status_.ok()) return status_;
    if (absl::Status s = index_iter_->status(); !s.ok()) return s;
    if (data_iter_ != nullptr) return data_iter_->status();
    return absl::OkStatus();
  }

 private:
  void SaveError(const absl::Status& s) {
    if (status_.ok() && !s.ok()) status_ = s;
  }

  void SetDataIterator(Iterator* iter) {
    if (data_iter_ != nullptr) SaveError(data_iter_->status());
    data_iter_.reset(iter);
  }

  // Points data_iter_ at the data for the index's current entry (unpositioned),
  // reusing the current data iterator when the entry is the one it already
  // covers.
  void InitDataIterator() {
    if (!status_.ok() || !index_iter_->Valid()) {
      SetDataIterator(nullptr);
      return;
    }
    std::string_view handle = index_iter_->value();
    if (data_iter_ != nullptr && handle == data_handle_) return;
    data_handle_.assign(handle.data(), handle.size());
    SetDataIterator(function_(handle));
  }

  // True if the loops below must stop: an error, or the index ran out.
  bool StopSkipping() {
    if (data_iter_ != nullptr && !data_iter_->status().ok()) {
      SaveError(data_iter_->status());
      return true;
    }
    if (!status_.ok() || !index_iter_->Valid()) {
      SetDataIterator(nullptr);
      return true;
    }
    return false;
  }

  void SkipEmptyForward() {
    while (data_iter_ == nullptr || !data_iter_->Valid()) {
      if (StopSkipping()) return;
      index_iter_->Next();
      InitDataIterator();
      if (data_iter_ != nullptr) data_iter_->SeekToFirst();
    }
  }

  void SkipEmptyBackward() {
    while (data_iter_ == nullptr || !data_iter_->Valid()) {
      if (StopSkipping()) return;
      index_iter_->Prev();
      InitDataIterator();
      if (data_iter_ != nullptr) data_iter_->SeekToLast();
    }
  }

  std::unique_ptr<Iterator> index_iter_;
  const DataIteratorFunction function_;
  std::unique_ptr<Iterator> data_iter_;
  std::string data_handle_;  // Index value data_iter_ was made from.
  absl::Status status_;      // First error met.
};

}  // namespace

Iterator* NewTwoLevelIterator(Iterator* index_iter,
                              DataIteratorFunction data_iterator_function) {
  return new TwoLevelIterator(index_iter, std::move(data_iterator_function));
}

}  // namespace kvs
