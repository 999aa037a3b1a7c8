#include "lsm/db_iter.h"

#include <memory>
#include <utility>

#include "memtable/internal_key.h"

namespace kvs {
namespace {

// Going forward, the internal iterator sits on the entry that is the current
// user entry, and key()/value() read straight from it. Going backward it sits
// just before all entries of the current user key (it had to look at them all
// to find the newest visible one), so the current entry is kept in
// saved_key_/saved_value_.
class DBIter final : public Iterator {
 public:
  DBIter(const Comparator* ucmp, Iterator* iter, SequenceNumber sequence,
         std::optional<std::string> lower, std::optional<std::string> upper)
      : ucmp_(ucmp),
        ucmp_is_bytewise_(ucmp == BytewiseComparator()),
        iter_(iter),
        sequence_(sequence),
        lower_(std::move(lower)),
        upper_(std::move(upper)) {}

  bool Valid() const override { return valid_; }

  std::string_view key() const override {
    return direction_ == Direction::kForward ? ExtractUserKey(iter_->key())
                                             : std::string_view(saved_key_);
  }
  std::string_view value() const override {
    return direction_ == Direction::kForward ? iter_->value()
                                             : std::string_view(saved_value_);
  }
  absl::Status status() const override {
    return status_.ok() ? iter_->status() : status_;
  }

  void SeekToFirst() override {
    if (lower_) {
      Seek(*lower_);
      return;
    }
    direction_ = Direction::kForward;
    ClearSaved();
    iter_->SeekToFirst();
    FindNextUserEntry(false);
  }

  void SeekToLast() override {
    direction_ = Direction::kReverse;
    ClearSaved();
    if (upper_) {
      // Everything at or after the upper bound is out: start just before it.
      SeekInternal(*upper_);
      if (iter_->Valid()) {
        iter_->Prev();
      } else {
        iter_->SeekToLast();
      }
    } else {
      iter_->SeekToLast();
    }
    FindPrevUserEntry();
  }

  void Seek(std::string_view target) override {
    direction_ = Direction::kForward;
    ClearSaved();
    if (lower_ && CompareUserKeys(target, *lower_) < 0) target = *lower_;
    SeekInternal(target);
    FindNextUserEntry(false);
  }

  void Next() override {
    if (direction_ == Direction::kReverse) {
      // iter_ is before the current key's entries: step onto them, then past
      // them below.
      direction_ = Direction::kForward;
      if (iter_->Valid()) {
        iter_->Next();
      } else {
        iter_->SeekToFirst();
      }
      if (!iter_->Valid()) {
        valid_ = false;
        ClearSaved();
        return;
      }
      // saved_key_ already holds the current key.
    } else {
      std::string_view current = ExtractUserKey(iter_->key());
      saved_key_.assign(current.data(), current.size());
      iter_->Next();
    }
    FindNextUserEntry(true);
  }

  void Prev() override {
    if (direction_ == Direction::kForward) {
      // Back up until iter_ is before every entry of the current key.
      std::string_view current = ExtractUserKey(iter_->key());
      saved_key_.assign(current.data(), current.size());
      while (true) {
        iter_->Prev();
        if (!iter_->Valid()) break;
        if (CompareUserKeys(ExtractUserKey(iter_->key()), saved_key_) < 0) {
          break;
        }
      }
      direction_ = Direction::kReverse;
    }
    FindPrevUserEntry();
  }

 private:
  enum class Direction { kForward, kReverse };

  // The bytewise order is compared inline: a scan compares every entry's user
  // key with the previous one.
  int CompareUserKeys(std::string_view a, std::string_view b) const {
    return ucmp_is_bytewise_ ? a.compare(b) : ucmp_->Compare(a, b);
  }

  void SeekInternal(std::string_view user_key) {
    // LookupKey keeps short keys inline: no allocation per seek.
    const LookupKey target(user_key, sequence_);
    iter_->Seek(target.internal_key());
  }

  void ClearSaved() {
    saved_key_.clear();
    saved_value_.clear();
  }

  bool Parse(ParsedInternalKey* parsed) {
    if (ParseInternalKey(iter_->key(), parsed)) return true;
    status_ = absl::DataLossError("corrupted internal key in DB iterator");
    valid_ = false;
    return false;
  }

  // Moves forward to the first visible entry; with skipping, entries of user
  // keys <= saved_key_ are passed over (they are hidden by a newer entry
  // already seen).
  void FindNextUserEntry(bool skipping) {
    for (; iter_->Valid(); iter_->Next()) {
      ParsedInternalKey ikey;
      if (!Parse(&ikey)) return;
      if (ikey.sequence > sequence_) continue;  // Too new for this view.
      if (skipping && CompareUserKeys(ikey.user_key, saved_key_) <= 0) continue;
      if (ikey.type == kTypeDeletion) {
        // Hides every older entry of this key.
        saved_key_.assign(ikey.user_key.data(), ikey.user_key.size());
        skipping = true;
        continue;
      }
      if (upper_ && CompareUserKeys(ikey.user_key, *upper_) >= 0) break;
      valid_ = true;
      saved_key_.clear();
      return;
    }
    valid_ = false;
    saved_key_.clear();
  }

  // Moves backward over all entries of the previous user key, remembering its
  // newest visible entry; skips keys whose newest visible entry is a deletion.
  void FindPrevUserEntry() {
    ValueType value_type = kTypeDeletion;
    while (iter_->Valid()) {
      ParsedInternalKey ikey;
      if (!Parse(&ikey)) return;
      if (ikey.sequence <= sequence_) {
        if (value_type != kTypeDeletion &&
            CompareUserKeys(ikey.user_key, saved_key_) < 0) {
          break;  // Reached the key before the one we have: saved_* is the
                  // answer.
        }
        value_type = ikey.type;
        if (value_type == kTypeDeletion) {
          ClearSaved();
        } else {
          saved_key_.assign(ikey.user_key.data(), ikey.user_key.size());
          std::string_view v = iter_->value();
          saved_value_.assign(v.data(), v.size());
        }
      }
      iter_->Prev();
    }
    // An error (not the start of the data) ended the loop: newer entries of
    // the key may be among those never reached, so saved_* is not the answer.
    if (value_type == kTypeDeletion || !iter_->status().ok() ||
        (lower_ && CompareUserKeys(saved_key_, *lower_) < 0)) {
      valid_ = false;
      ClearSaved();
      direction_ = Direction::kForward;
    } else {
      valid_ = true;
    }
  }

  const Comparator* const ucmp_;
  const bool ucmp_is_bytewise_;
  const std::unique_ptr<Iterator> iter_;
  const SequenceNumber sequence_;
  const std::optional<std::string> lower_;
  const std::optional<std::string> upper_;

  absl::Status status_;
  Direction direction_ = Direction::kForward;
  bool valid_ = false;
  std::string saved_key_;
  std::string saved_value_;
};

}  // namespace

Iterator* NewDBIterator(const Comparator* user_comparator,
                        Iterator* internal_iter, uint64_t sequence,
                        std::optional<std::string> lower_bound,
                        std::optional<std::string> upper_bound) {
  return new DBIter(user_comparator, internal_iter, sequence,
                    std::move(lower_bound), std::move(upper_bound));
}

}  // namespace kvs
