#include "sstable/table_builder.h"

#include <algorithm>
#include <utility>

#include "util/coding.h"

namespace kvs {
namespace {

// Entry lengths are varint32s and block offsets fixed32s. Keeping each entry
// (key plus value) under 2 GiB and blocks under 1 GiB keeps a block (less than
// block_size, then the entry that fills it) under 4 GiB.
constexpr size_t kMaxEntrySize = (size_t{1} << 31) - 1;
constexpr size_t kMaxBlockSize = size_t{1} << 30;

}  // namespace

TableBuilder::TableBuilder(const TableOptions& options, WritableFile* file)
    : options_(options),
      file_(file),
      data_block_(options.block_restart_interval),
      // Restart interval 1: every index key is stored whole, so a lookup is a
      // pure binary search over the restart array.
      index_block_(1) {
  props_.compression = options_.compression;
  props_.comparator_name = options_.comparator->Name();
  if (options_.filter_policy != nullptr) {
    props_.filter_policy_name = options_.filter_policy->Name();
  }
}

TableBuilder::~TableBuilder() = default;

absl::Status TableBuilder::Add(std::string_view key, std::string_view value) {
  if (closed_) {
    return absl::FailedPreconditionError("TableBuilder::Add after Finish");
  }
  if (!status_.ok()) return status_;
  if (props_.num_entries > 0 &&
      options_.comparator->Compare(key, last_key_) <= 0) {
    status_ = absl::InvalidArgumentError(
        "TableBuilder::Add: key not greater than the previous key");
    return status_;
  }
  if (key.size() > kMaxEntrySize || value.size() > kMaxEntrySize - key.size()) {
    status_ = absl::InvalidArgumentError("TableBuilder::Add: entry too large");
    return status_;
  }

  if (pending_index_entry_) {
    options_.comparator->FindShortestSeparator(&last_key_, key);
    std::string handle;
    pending_handle_.EncodeTo(&handle);
    index_block_.Add(last_key_, handle);
    pending_index_entry_ = false;
  }
  if (options_.filter_policy != nullptr) {
    filter_key_starts_.push_back(filter_keys_.size());
    filter_keys_.append(key.data(), key.size());
  }
  if (props_.num_entries == 0) props_.smallest_key.assign(key);
  last_key_.assign(key.data(), key.size());
  props_.num_entries++;
  props_.raw_key_size += key.size();
  props_.raw_value_size += value.size();

  data_block_.Add(key, value);
  if (data_block_.CurrentSizeEstimate() >=
      std::min(options_.block_size, kMaxBlockSize)) {
    FlushDataBlock();
  }
  return status_;
}

void TableBuilder::FlushDataBlock() {
  if (data_block_.empty() || !status_.ok()) return;
  WriteBlock(data_block_.Finish(), &pending_handle_);
  data_block_.Reset();
  if (status_.ok()) {
    pending_index_entry_ = true;
    props_.num_data_blocks++;
  }
}

void TableBuilder::WriteBlock(std::string_view raw, BlockHandle* handle) {
  CompressionType used;
  std::string_view stored =
      CompressBlock(raw, options_.compression, &compressed_, &used);
  WriteStoredBlock(stored, used, handle);
}

void TableBuilder::WriteStoredBlock(std::string_view stored,
                                    CompressionType type, BlockHandle* handle) {
  handle->offset = offset_;
  handle->size = stored.size();
  char trailer[kBlockTrailerSize];
  EncodeBlockTrailer(stored, type, trailer);
  status_ = file_->Append(stored);
  if (status_.ok()) {
    status_ = file_->Append(std::string_view(trailer, kBlockTrailerSize));
  }
  if (status_.ok()) offset_ += stored.size() + kBlockTrailerSize;
}

absl::Status TableBuilder::Finish() {
  if (closed_) {
    return absl::FailedPreconditionError("TableBuilder::Finish called twice");
  }
  FlushDataBlock();
  closed_ = true;
  if (!status_.ok()) return status_;

  Footer footer;
  footer.meta_offset = offset_;
  props_.data_size = offset_;
  props_.largest_key = last_key_;

  BlockHandle filter_handle;
  if (options_.filter_policy != nullptr) {
    std::vector<std::string_view> keys;
    keys.reserve(filter_key_starts_.size());
    for (size_t i = 0; i < filter_key_starts_.size(); i++) {
      size_t end = i + 1 < filter_key_starts_.size() ? filter_key_starts_[i + 1]
                                                     : filter_keys_.size();
      keys.emplace_back(filter_keys_.data() + filter_key_starts_[i],
                        end - filter_key_starts_[i]);
    }
    std::string filter;
    options_.filter_policy->CreateFilter(keys, &filter);
    keys = {};
    filter_keys_ = {};
    filter_key_starts_ = {};
    // Filter bits are random: compressing them would only cost time.
    WriteStoredBlock(filter, CompressionType::kNone, &filter_handle);
    props_.filter_size = filter.size();
  }

  if (pending_index_entry_) {
    options_.comparator->FindShortSuccessor(&last_key_);
    std::string handle;
    pending_handle_.EncodeTo(&handle);
    index_block_.Add(last_key_, handle);
    pending_index_entry_ = false;
  }
  if (status_.ok()) WriteBlock(index_block_.Finish(), &footer.index);
  props_.index_size = footer.index.size;

  BlockHandle properties_handle;
  if (status_.ok()) WriteBlock(props_.Encode(), &properties_handle);

  if (status_.ok()) {
    // Entries in bytewise order: "filter.<name>" < "properties".
    BlockBuilder metaindex(1);
    std::string handle;
    if (options_.filter_policy != nullptr) {
      filter_handle.EncodeTo(&handle);
      metaindex.Add(std::string("filter.") + options_.filter_policy->Name(),
                    handle);
      handle.clear();
    }
    properties_handle.EncodeTo(&handle);
    metaindex.Add("properties", handle);
    WriteBlock(metaindex.Finish(), &footer.metaindex);
  }

  if (status_.ok()) {
    std::string encoded;
    footer.EncodeTo(&encoded);
    status_ = file_->Append(encoded);
    if (status_.ok()) offset_ += encoded.size();
  }
  return status_;
}

void TableBuilder::Abandon() { closed_ = true; }

}  // namespace kvs
