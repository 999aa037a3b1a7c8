#include "sstable/two_level_iterator.h"

#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"

namespace kvs {
namespace {

// Owns an iterator and keeps its Valid() and key() after every move, so that
// the many reads of both between moves (by this iterator, and by the merging
// and DB iterators above it) make no virtual calls.
class CachedIterator {
 public:
  Iterator* iter() const { return iter_.get(); }

  // Takes ownership of iter (which may be nullptr), deleting the previous one.
  void Set(Iterator* iter) {
    iter_.reset(iter);
    Refresh();
  }

  // False when there is no iterator.
  bool Valid() const { return valid_; }
  // REQUIRES: Valid().
  std::string_view key() const { return key_; }
  // REQUIRES: Valid().
  std::string_view value() const { return iter_->value(); }
  // REQUIRES: iter() != nullptr.
  absl::Status status() const { return iter_->status(); }

  // REQUIRES for all: iter() != nullptr.
  void SeekToFirst() {
    iter_->SeekToFirst();
    Refresh();
  }
  void SeekToLast() {
    iter_->SeekToLast();
    Refresh();
  }
  void Seek(std::string_view target) {
    iter_->Seek(target);
    Refresh();
  }
  void Next() {
    iter_->Next();
    Refresh();
  }
  void Prev() {
    iter_->Prev();
    Refresh();
  }

 private:
  void Refresh() {
    valid_ = iter_ != nullptr && iter_->Valid();
    if (valid_) key_ = iter_->key();
  }

  std::unique_ptr<Iterator> iter_;
  bool valid_ = false;
  std::string_view key_;
};

// The index value the current data iterator was made from, so that a seek
// within the same block or file reuses it. Block handles and level file values
// fit in the inline buffer; longer values are kept in a string.
class IndexValue {
 public:
  bool Equals(std::string_view value) const { return value == view_; }

  void Assign(std::string_view value) {
    if (value.size() <= sizeof(inline_)) {
      if (!value.empty()) std::memcpy(inline_, value.data(), value.size());
      view_ = std::string_view(inline_, value.size());
    } else {
      long_.assign(value.data(), value.size());
      view_ = long_;
    }
  }

 private:
  char inline_[24];
  std::string long_;
  std::string_view view_;
};

// MakeData turns an index value into that entry's data iterator:
// Iterator* operator()(std::string_view index_value).
template <typename MakeData>
class TwoLevelIterator final : public Iterator {
 public:
  TwoLevelIterator(Iterator* index_iter, MakeData make_data)
      : make_data_(std::move(make_data)) {
    index_.Set(index_iter);
  }

  bool Valid() const override { return status_.ok() && data_.Valid(); }

  void SeekToFirst() override {
    index_.SeekToFirst();
    InitDataIterator();
    if (data_.iter() != nullptr) data_.SeekToFirst();
    SkipEmptyForward();
  }

  void SeekToLast() override {
    index_.SeekToLast();
    InitDataIterator();
    if (data_.iter() != nullptr) data_.SeekToLast();
    SkipEmptyBackward();
  }

  void Seek(std::string_view target) override {
    index_.Seek(target);
    InitDataIterator();
    if (data_.iter() != nullptr) data_.Seek(target);
    SkipEmptyForward();
  }

  void Next() override {
    if (!Valid()) return;
    data_.Next();
    SkipEmptyForward();
  }

  void Prev() override {
    if (!Valid()) return;
    data_.Prev();
    SkipEmptyBackward();
  }

  std::string_view key() const override { return data_.key(); }
  std::string_view value() const override { return data_.value(); }

  absl::Status status() const override {
    if (!status_.ok()) return status_;
    if (absl::Status s = index_.status(); !s.ok()) return s;
    if (data_.iter() != nullptr) return data_.status();
    return absl::OkStatus();
  }

 private:
  void SaveError(const absl::Status& s) {
    if (status_.ok() && !s.ok()) status_ = s;
  }

  void SetDataIterator(Iterator* iter) {
    if (data_.iter() != nullptr) SaveError(data_.status());
    data_.Set(iter);
  }

  // Points data_ at the data for the index's current entry (unpositioned),
  // reusing the current data iterator when the entry is the one it already
  // covers.
  void InitDataIterator() {
    if (!status_.ok() || !index_.Valid()) {
      SetDataIterator(nullptr);
      return;
    }
    std::string_view handle = index_.value();
    if (data_.iter() != nullptr && data_handle_.Equals(handle)) return;
    data_handle_.Assign(handle);
    SetDataIterator(make_data_(handle));
  }

  // True if the loops below must stop: an error, or the index ran out.
  bool StopSkipping() {
    if (data_.iter() != nullptr) {
      if (absl::Status s = data_.status(); !s.ok()) {
        SaveError(s);
        return true;
      }
    }
    if (!status_.ok() || !index_.Valid()) {
      SetDataIterator(nullptr);
      return true;
    }
    return false;
  }

  void SkipEmptyForward() {
    while (!data_.Valid()) {
      if (StopSkipping()) return;
      index_.Next();
      InitDataIterator();
      if (data_.iter() != nullptr) data_.SeekToFirst();
    }
  }

  void SkipEmptyBackward() {
    while (!data_.Valid()) {
      if (StopSkipping()) return;
      index_.Prev();
      InitDataIterator();
      if (data_.iter() != nullptr) data_.SeekToLast();
    }
  }

  CachedIterator index_;
  const MakeData make_data_;
  CachedIterator data_;
  IndexValue data_handle_;  // Index value data_ was made from.
  absl::Status status_;     // First error met.
};

// Calls a plain function, for callers that want no std::function.
struct DataBlockCall {
  DataBlockFunction function;
  const void* arg;
  ReadOptions options;

  Iterator* operator()(std::string_view index_value) const {
    return function(arg, options, index_value);
  }
};

}  // namespace

Iterator* NewTwoLevelIterator(Iterator* index_iter,
                              DataIteratorFunction data_iterator_function) {
  return new TwoLevelIterator<DataIteratorFunction>(
      index_iter, std::move(data_iterator_function));
}

Iterator* NewTwoLevelIterator(Iterator* index_iter,
                              DataBlockFunction data_block_function,
                              const void* arg, const ReadOptions& options) {
  return new TwoLevelIterator<DataBlockCall>(
      index_iter, DataBlockCall{data_block_function, arg, options});
}

}  // namespace kvs
