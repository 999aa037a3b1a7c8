#include "sstable/table.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "sstable/empty_iterator.h"
#include "sstable/two_level_iterator.h"
#include "util/coding.h"

namespace kvs {
namespace {

// Bytes read from the end of the file at Open. Covers the footer and, for
// tables up to a few MiB, all the metadata too, so that opening takes a single
// read.
constexpr size_t kTailPrefetch = 64 << 10;

// True if handle's block and its trailer lie within [begin, end). Written so
// nothing overflows.
bool HandleWithin(const BlockHandle& handle, uint64_t begin, uint64_t end) {
  return handle.offset >= begin && handle.offset <= end &&
         handle.size <= end - handle.offset &&
         kBlockTrailerSize <= end - handle.offset - handle.size;
}

void DeleteCachedBlock(std::string_view /*key*/, void* value) {
  delete static_cast<Block*>(value);
}

}  // namespace

class Table::BlockRef {
 public:
  BlockRef() = default;
  BlockRef(const BlockRef&) = delete;
  BlockRef& operator=(const BlockRef&) = delete;
  ~BlockRef() {
    if (handle_ != nullptr) {
      cache_->Release(handle_);
    } else {
      delete block_;
    }
  }

  void Pin(Cache* cache, Cache::Handle* handle) {
    cache_ = cache;
    handle_ = handle;
    block_ = static_cast<Block*>(cache->Value(handle));
  }
  void Own(Block* block) { block_ = block; }
  const Block* block() const { return block_; }

  // Hands what this reference holds over to iter, which releases it when
  // destroyed.
  void TransferTo(Iterator* iter) {
    if (handle_ != nullptr) {
      iter->RegisterCleanup(
          [cache = cache_, handle = handle_] { cache->Release(handle); });
    } else {
      iter->RegisterCleanup([block = block_] { delete block; });
    }
    block_ = nullptr;
    handle_ = nullptr;
  }

 private:
  Block* block_ = nullptr;
  Cache* cache_ = nullptr;
  Cache::Handle* handle_ = nullptr;
};

Table::Table(const TableOptions& options,
             std::unique_ptr<RandomAccessFile> file, uint64_t file_size)
    : options_(options), file_(std::move(file)), file_size_(file_size) {}

Table::~Table() = default;

absl::StatusOr<std::unique_ptr<Table>> Table::Open(
    const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
    uint64_t file_size) {
  if (file_size < Footer::kEncodedLength) {
    return absl::DataLossError("file too short to be a table");
  }
  std::unique_ptr<Table> table(new Table(options, std::move(file), file_size));
  if (absl::Status s = table->ReadMetadata(); !s.ok()) return s;
  if (options.block_cache != nullptr) {
    table->cache_id_ = options.block_cache->NewId();
  }
  return table;
}

absl::Status Table::ReadMetadata() {
  // One read of the end of the file; a second only if the metadata is bigger
  // than that.
  const size_t prefetch =
      static_cast<size_t>(std::min<uint64_t>(file_size_, kTailPrefetch));
  auto buf = std::make_unique_for_overwrite<char[]>(prefetch);
  std::string_view got;
  if (absl::Status s =
          file_->Read(file_size_ - prefetch, prefetch, &got, buf.get());
      !s.ok()) {
    return s;
  }
  if (got.size() != prefetch) return absl::DataLossError("truncated table");
  if (absl::Status s = footer_.DecodeFrom(got); !s.ok()) return s;

  const uint64_t footer_offset = file_size_ - Footer::kEncodedLength;
  const uint64_t meta_offset = footer_.meta_offset;
  if (meta_offset > footer_offset ||
      !HandleWithin(footer_.index, meta_offset, footer_offset) ||
      !HandleWithin(footer_.metaindex, meta_offset, footer_offset)) {
    return absl::DataLossError("table footer points outside the metadata");
  }

  tail_size_ = static_cast<size_t>(file_size_ - meta_offset);
  tail_ = std::make_unique_for_overwrite<char[]>(tail_size_);
  if (tail_size_ <= prefetch) {
    std::memcpy(tail_.get(), got.data() + (prefetch - tail_size_), tail_size_);
  } else {
    size_t missing = tail_size_ - prefetch;
    std::memcpy(tail_.get() + missing, got.data(), prefetch);
    buf.reset();
    std::string_view rest;
    if (absl::Status s = file_->Read(meta_offset, missing, &rest, tail_.get());
        !s.ok()) {
      return s;
    }
    if (rest.size() != missing) return absl::DataLossError("truncated table");
    if (rest.data() != tail_.get()) {
      std::memcpy(tail_.get(), rest.data(), missing);
    }
  }
  buf.reset();

  // Metadata blocks are always checksummed: they are read once, and damage
  // there would otherwise mislead every later read.
  auto read_meta_block =
      [&](const BlockHandle& handle) -> absl::StatusOr<BlockContents> {
    if (!HandleWithin(handle, meta_offset, footer_offset)) {
      return absl::DataLossError("table metadata handle out of range");
    }
    const char* p = tail_.get() + (handle.offset - meta_offset);
    size_t size = static_cast<size_t>(handle.size);
    return DecodeBlock(std::string_view(p, size),
                       std::string_view(p + size, kBlockTrailerSize),
                       /*verify_checksum=*/true);
  };

  // The metaindex names the other metadata blocks.
  BlockHandle properties_handle;
  BlockHandle filter_handle;
  bool found_properties = false;
  bool found_filter = false;
  {
    absl::StatusOr<BlockContents> contents = read_meta_block(footer_.metaindex);
    if (!contents.ok()) return contents.status();
    Block metaindex(std::move(*contents));
    std::string filter_name;
    if (options_.filter_policy != nullptr) {
      filter_name = std::string("filter.") + options_.filter_policy->Name();
    }
    Block::Iter it(&metaindex, BytewiseComparator());
    for (it.SeekToFirst(); it.Valid(); it.Next()) {
      BlockHandle* target = nullptr;
      if (it.key() == "properties") {
        target = &properties_handle;
        found_properties = true;
      } else if (!filter_name.empty() && it.key() == filter_name) {
        target = &filter_handle;
        found_filter = true;
      } else {
        continue;
      }
      std::string_view value = it.value();
      if (absl::Status s = target->DecodeFrom(&value); !s.ok()) return s;
    }
    if (!it.status().ok()) return it.status();
  }
  if (!found_properties) {
    return absl::DataLossError("table has no properties block");
  }

  {
    absl::StatusOr<BlockContents> contents = read_meta_block(properties_handle);
    if (!contents.ok()) return contents.status();
    if (absl::Status s = props_.Decode(contents->data); !s.ok()) return s;
  }
  if (props_.comparator_name != options_.comparator->Name()) {
    return absl::InvalidArgumentError("table was written with comparator " +
                                      props_.comparator_name + ", not " +
                                      options_.comparator->Name());
  }

  if (found_filter) {
    absl::StatusOr<BlockContents> contents = read_meta_block(filter_handle);
    if (!contents.ok()) return contents.status();
    filter_contents_ = std::move(*contents);
    filter_ = filter_contents_.data;
  }

  absl::StatusOr<BlockContents> index = read_meta_block(footer_.index);
  if (!index.ok()) return index.status();
  index_ = std::make_unique<Block>(std::move(*index));
  index_->CacheRestartKeys();
  return index_->status();
}

size_t Table::MemoryUsage() const {
  size_t usage = sizeof(*this) + tail_size_;
  // Compressed metadata blocks were uncompressed into memory of their own.
  if (index_ != nullptr) {
    usage += index_->num_restarts() * sizeof(std::string_view);
    if (index_->owns_data()) usage += index_->size();
  }
  if (filter_contents_.owned()) usage += filter_.size();
  return usage;
}

absl::Status Table::GetDataBlock(const ReadOptions& options,
                                 std::string_view index_value,
                                 BlockRef* ref) const {
  BlockHandle handle;
  if (absl::Status s = handle.DecodeFrom(&index_value); !s.ok()) return s;

  Cache* cache = options_.block_cache;
  char cache_key[16];
  if (cache != nullptr) {
    EncodeFixed64(cache_key, cache_id_);
    EncodeFixed64(cache_key + 8, handle.offset);
    if (Cache::Handle* h =
            cache->Lookup(std::string_view(cache_key, sizeof(cache_key)))) {
      ref->Pin(cache, h);
      return absl::OkStatus();
    }
  }

  // Data blocks lie before the metadata: bounding the read there catches a
  // damaged handle.
  absl::StatusOr<BlockContents> contents =
      ReadBlock(*file_, footer_.meta_offset, options, handle);
  if (!contents.ok()) return contents.status();
  // Blocks borrowed from the file's own memory are not worth caching.
  bool cacheable = contents->owned();
  auto block = std::make_unique<Block>(std::move(*contents));
  if (!block->status().ok()) return block->status();
  if (cache != nullptr && options.fill_cache && cacheable) {
    size_t charge = block->size();
    Cache::Handle* h =
        cache->Insert(std::string_view(cache_key, sizeof(cache_key)),
                      block.release(), charge, &DeleteCachedBlock);
    ref->Pin(cache, h);
  } else {
    ref->Own(block.release());
  }
  return absl::OkStatus();
}

Iterator* Table::NewDataBlockIterator(const ReadOptions& options,
                                      std::string_view index_value) const {
  BlockRef ref;
  if (absl::Status s = GetDataBlock(options, index_value, &ref); !s.ok()) {
    return NewErrorIterator(std::move(s));
  }
  Iterator* iter = ref.block()->NewIterator(options_.comparator);
  ref.TransferTo(iter);
  return iter;
}

Iterator* Table::DataBlockIterator(const void* table,
                                   const ReadOptions& options,
                                   std::string_view index_value) {
  return static_cast<const Table*>(table)->NewDataBlockIterator(options,
                                                                index_value);
}

Iterator* Table::NewIterator(const ReadOptions& options) const {
  return NewTwoLevelIterator(index_->NewIterator(options_.comparator),
                             &DataBlockIterator, this, options);
}

absl::Status Table::InternalGet(const ReadOptions& options,
                                std::string_view key,
                                FoundFunction found) const {
  if (!filter_.empty() && !options_.filter_policy->KeyMayMatch(key, filter_)) {
    return absl::OkStatus();
  }
  Block::Iter index_iter(index_.get(), options_.comparator);
  index_iter.Seek(key);
  if (!index_iter.Valid()) return index_iter.status();

  BlockRef ref;
  if (absl::Status s = GetDataBlock(options, index_iter.value(), &ref);
      !s.ok()) {
    return s;
  }
  Block::Iter block_iter(ref.block(), options_.comparator);
  block_iter.Seek(key);
  if (block_iter.Valid()) found(block_iter.key(), block_iter.value());
  return block_iter.status();
}

uint64_t Table::ApproximateOffsetOf(std::string_view key) const {
  Block::Iter index_iter(index_.get(), options_.comparator);
  index_iter.Seek(key);
  if (index_iter.Valid()) {
    BlockHandle handle;
    std::string_view value = index_iter.value();
    if (handle.DecodeFrom(&value).ok()) {
      return std::min(handle.offset, footer_.meta_offset);
    }
  }
  // Past the last key, or an unreadable entry: the end of the data is the best
  // answer.
  return footer_.meta_offset;
}

}  // namespace kvs
