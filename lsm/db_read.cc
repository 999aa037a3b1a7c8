// The read path: point lookups, iterators, snapshots and size estimates.
//
// A reader takes the mutex only to pin what it reads (the memtables and the
// current Version) and to unpin them afterwards; the lookup itself runs
// unlocked, so readers never wait for each other or for the writer.

#include <memory>
#include <optional>

#include "lsm/db_impl.h"
#include "lsm/db_iter.h"
#include "sstable/merging_iterator.h"

namespace kvs {

namespace {

SequenceNumber SnapshotSequence(const ReadOptions& options,
                                SequenceNumber latest) {
  return options.snapshot != nullptr
             ? static_cast<const SnapshotImpl*>(options.snapshot)->sequence()
             : latest;
}

}  // namespace

absl::StatusOr<std::string> DBImpl::Get(const ReadOptions& options,
                                        std::string_view key) {
  MemTable* mem;
  MemTable* imm;
  Version* current;
  SequenceNumber sequence;
  {
    MutexLock l(&mutex_);
    sequence = SnapshotSequence(options, versions_->LastSequence());
    mem = mem_;
    imm = imm_;
    current = versions_->current();
    mem->Ref();
    if (imm != nullptr) imm->Ref();
    current->Ref();
  }

  LookupKey lkey(key, sequence);
  std::string value;
  GetStats stats;
  absl::StatusOr<LookupResult> result = LookupResult::kNotFound;
  MemTableGetResult in_memory = mem->Get(lkey, &value);
  if (in_memory == MemTableGetResult::kAbsent && imm != nullptr) {
    in_memory = imm->Get(lkey, &value);
  }
  if (in_memory == MemTableGetResult::kFound) {
    result = LookupResult::kFound;
  } else if (in_memory == MemTableGetResult::kDeleted) {
    result = LookupResult::kDeleted;
  } else {
    result = current->Get(options, lkey, &value, &stats);
  }

  {
    MutexLock l(&mutex_);
    if (current->UpdateStats(stats)) MaybeScheduleCompaction();
    mem->Unref();
    if (imm != nullptr) imm->Unref();
    current->Unref();
  }
  if (!result.ok()) return result.status();
  if (*result != LookupResult::kFound)
    return absl::NotFoundError("key not found");
  return value;
}

Iterator* DBImpl::NewInternalIterator(const ReadOptions& options,
                                      SequenceNumber* latest_snapshot) {
  MutexLock l(&mutex_);
  *latest_snapshot = versions_->LastSequence();
  std::vector<Iterator*> children;
  // Newest first: the merging iterator yields equal keys in child order, but
  // internal keys of distinct writes never compare equal, so the order only
  // matters for speed.
  children.push_back(mem_->NewIterator());
  mem_->Ref();
  if (imm_ != nullptr) {
    children.push_back(imm_->NewIterator());
    imm_->Ref();
  }
  Version* current = versions_->current();
  current->AddIterators(options, &children);
  current->Ref();

  Iterator* merged =
      NewMergingIterator(&internal_comparator_, std::move(children));
  MemTable* mem = mem_;
  MemTable* imm = imm_;
  merged->RegisterCleanup([this, mem, imm, current] {
    MutexLock cleanup_lock(&mutex_);
    mem->Unref();
    if (imm != nullptr) imm->Unref();
    current->Unref();
  });
  return merged;
}

std::unique_ptr<Iterator> DBImpl::NewIterator(const ReadOptions& options) {
  SequenceNumber latest;
  Iterator* internal = NewInternalIterator(options, &latest);
  std::optional<std::string> lower;
  std::optional<std::string> upper;
  if (options.iterate_lower_bound != nullptr) {
    lower = std::string(*options.iterate_lower_bound);
  }
  if (options.iterate_upper_bound != nullptr) {
    upper = std::string(*options.iterate_upper_bound);
  }
  return std::unique_ptr<Iterator>(NewDBIterator(
      internal_comparator_.user_comparator(), internal,
      SnapshotSequence(options, latest), std::move(lower), std::move(upper)));
}

const Snapshot* DBImpl::GetSnapshot() {
  MutexLock l(&mutex_);
  return snapshots_.New(versions_->LastSequence());
}

void DBImpl::ReleaseSnapshot(const Snapshot* snapshot) {
  MutexLock l(&mutex_);
  snapshots_.Delete(static_cast<const SnapshotImpl*>(snapshot));
}

std::vector<uint64_t> DBImpl::GetApproximateSizes(
    const std::vector<Range>& ranges) {
  Version* v;
  {
    MutexLock l(&mutex_);
    v = versions_->current();
    v->Ref();
  }
  std::vector<uint64_t> sizes;
  sizes.reserve(ranges.size());
  for (const Range& range : ranges) {
    InternalKey start(range.start, kMaxSequenceNumber, kValueTypeForSeek);
    InternalKey limit(range.limit, kMaxSequenceNumber, kValueTypeForSeek);
    uint64_t a = v->ApproximateOffsetOf(start.Encode());
    uint64_t b = v->ApproximateOffsetOf(limit.Encode());
    sizes.push_back(b >= a ? b - a : 0);
  }
  MutexLock l(&mutex_);
  v->Unref();
  return sizes;
}

}  // namespace kvs
